//! The baseline in the document: the delta it leads with (new, fixed and unchanged findings per
//! severity, and what the baseline was), and the table of fixed findings. Fixed findings are listed in
//! the Markdown only: they are not in the image, so they are no SARIF result.
//!
//! Reads the [`Delta`] of the verdict; it must not compare anything.

use super::budget::{NOTE_RESERVE, Section, row, table};
use super::cells::{ID_CHARS, PACKAGE_CHARS, PATH_CHARS, SEE_JSON, VERSION_CHARS, plural, text};
use super::variant::{Variant, measure};
use crate::baseline::{Delta, Fixed};
use crate::findings::{Counts, ScanSet, Severity};
use crate::policy::{Scope, Verdict};
use crate::report::Context;
use crate::report::escape::{markdown_inline, truncate};

/// The longest baseline source shown.
const SOURCE_CHARS: usize = 300;

/// The delta the document leads with: one line saying what the run was compared with and what
/// changed, then new, fixed and unchanged findings per severity.
pub(super) fn delta_text(ctx: &Context<'_>, delta: &Delta) -> String {
    let counts = delta.counts(ctx.set);
    let source = markdown_inline(&truncate(&delta.source, SOURCE_CHARS));
    let mut out = match &delta.missing {
        Some(why) => format!(
            "\n**No baseline** ({}): every finding is new (`--baseline-missing=all-new`).\n",
            markdown_inline(&truncate(why, 300))
        ),
        None => format!(
            "\n**Since the baseline** ({source}): **{} new**, {} fixed, {} unchanged.\n",
            counts.new.total, counts.fixed.total, counts.unchanged.total
        ),
    };
    if delta.missing.is_none() && !delta.without_baseline.is_empty() {
        out.push_str(&format!(
            "\n{} had no baseline: all {} findings are new.\n",
            plural(delta.without_baseline.len(), "image", "images"),
            if delta.without_baseline.len() == 1 {
                "its"
            } else {
                "their"
            }
        ));
    }
    if ctx.policy.scope == Scope::New {
        out.push_str("\nOnly new findings can violate the policy (`scope = new`).\n");
    }
    out.push_str(&delta_table(&counts.new, &counts.fixed, &counts.unchanged));
    out
}

fn delta_table(new: &Counts, fixed: &Counts, unchanged: &Counts) -> String {
    let header = ["severity", "new", "fixed", "unchanged"].map(String::from);
    let mut out = String::from("\n");
    out.push_str(&row(&header));
    out.push_str(&row(&vec!["---".to_string(); header.len()]));
    for severity in Severity::ALL {
        let cells = [new, fixed, unchanged].map(|c| c.get(severity));
        if cells.iter().all(|&n| n == 0) {
            continue;
        }
        let mut line = vec![severity.as_str().to_string()];
        line.extend(cells.iter().map(ToString::to_string));
        out.push_str(&row(&line));
    }
    let mut total = vec!["**total**".to_string()];
    total.extend([new, fixed, unchanged].map(|c| c.total.to_string()));
    out.push_str(&row(&total));
    out
}

/// The fixed findings, folded away, within the section's budget.
pub(super) fn fixed(verdict: &Verdict, set: &ScanSet, sec: &mut Section) {
    let Some(delta) = verdict.baseline.as_deref() else {
        return;
    };
    let total = delta.fixed.len();
    if total == 0 {
        return;
    }
    let variant = sec.variant;
    let multi = set.images.len() > 1;
    let mut header = vec!["severity", "id", "package", "version"];
    if multi {
        header.push("platforms");
    }
    let rows = delta
        .fixed
        .iter()
        .map(|fixed| fixed_cells(fixed, variant, multi));
    let open = format!(
        "\n<details>\n<summary>Fixed since the baseline ({total}): no longer in the image</summary>\n"
    );
    let close = "\n</details>\n";
    let close_size = measure(variant, close);
    if sec.try_push(&open, close_size + NOTE_RESERVE) {
        table(
            sec,
            &header,
            rows,
            total,
            ("fixed findings", SEE_JSON),
            close_size,
        );
        sec.push(close);
    } else {
        sec.push(&format!(
            "\n{} not shown ({SEE_JSON})\n",
            plural(total, "fixed finding", "fixed findings")
        ));
    }
}

fn fixed_cells(fixed: &Fixed, variant: Variant, multi: bool) -> Vec<String> {
    let finding = &fixed.finding;
    let mut package = text(finding.package.name.as_deref(), PACKAGE_CHARS);
    if variant == Variant::Summary {
        let path = text(finding.package.path.as_deref(), PATH_CHARS);
        if !path.is_empty() {
            package = if package.is_empty() {
                path
            } else {
                format!("{package} · {path}")
            };
        }
    }
    let mut cells = vec![
        finding.severity.as_str().to_string(),
        text(Some(&finding.id), ID_CHARS),
        package,
        text(finding.package.version.as_deref(), VERSION_CHARS),
    ];
    if multi {
        let platforms: Vec<String> = fixed
            .platforms
            .iter()
            .take(4)
            .map(|p| markdown_inline(&truncate(p, 40)))
            .collect();
        let mut shown = platforms.join(", ");
        if fixed.platforms.len() > 4 {
            shown.push_str(&format!(", +{} more", fixed.platforms.len() - 4));
        }
        cells.push(shown);
    }
    cells
}
