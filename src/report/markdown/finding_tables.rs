//! The findings of the document: the violating ones in a table, then the others (allowed, ignored,
//! suppressed, below the threshold) folded in `<details>`, with their state; fewer columns in the
//! comment, which shows the others only when all of them fit.
//!
//! Reads each finding's state from the [`Verdict`]; it must not decide anything.

use super::budget::{NOTE_RESERVE, Section, note, table};
use super::cells::{
    COMMENT_URL_CHARS, ID_CHARS, PACKAGE_CHARS, PATH_CHARS, SEE_REPORTS, VERSION_CHARS, plural,
    text,
};
use super::variant::{Variant, measure};
use crate::baseline::{Change, Delta};
use crate::findings::{Finding, ScanSet, Severity};
use crate::policy::{FindingState, Verdict};
use crate::report::Context;
use crate::report::escape::{self, markdown_inline, markdown_link, truncate};

fn finding_header(
    ctx: &Context<'_>,
    variant: Variant,
    multi: bool,
    last: &'static str,
) -> Vec<&'static str> {
    let mut header = vec![
        "severity",
        "id",
        "package",
        "installed",
        "fixed in",
        "exploit",
    ];
    if variant == Variant::Summary {
        header.push("score");
    }
    if baseline(ctx).is_some() {
        header.push("change");
    }
    header.push(last);
    if variant == Variant::Summary && multi {
        header.push("images");
    }
    header
}

/// The run's baseline comparison, when it has one.
fn baseline<'a>(ctx: &Context<'a>) -> Option<&'a Delta> {
    ctx.result.verdict().and_then(|v| v.baseline.as_deref())
}

/// How finding `index` compares with the baseline: `new`, `unchanged`, `updated from 1.0`.
fn change_text(delta: &Delta, index: usize) -> String {
    let change = delta.change(index);
    match delta.findings.get(index) {
        Some(d) if change == Change::Updated && !d.previous_versions.is_empty() => {
            let versions: Vec<String> = d
                .previous_versions
                .iter()
                .take(3)
                .map(|v| text(Some(v), VERSION_CHARS))
                .collect();
            format!("updated from {}", versions.join(", "))
        }
        _ => change.as_str().to_string(),
    }
}

fn finding_cells(
    ctx: &Context<'_>,
    variant: Variant,
    (index, finding): (usize, &Finding),
    last: String,
) -> Vec<String> {
    let url_cap = match variant {
        Variant::Summary => escape::MAX_URL_CHARS,
        Variant::Comment => COMMENT_URL_CHARS,
    };
    let id = truncate(&finding.id, ID_CHARS);
    let url = finding
        .urls
        .iter()
        .find(|u| u.chars().nth(url_cap).is_none() && escape::is_linkable(u));
    let id = match url {
        Some(url) => markdown_link(&id, url),
        None => markdown_inline(&id),
    };
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
    let fixed = match (&finding.package.fixed_in, finding.fix_available) {
        (Some(v), _) => text(Some(v), VERSION_CHARS),
        (None, Some(false)) => "no fix".to_string(),
        (None, _) => String::new(),
    };
    let exploit = match finding.exploit_available {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    let mut cells = vec![
        finding.severity.as_str().to_string(),
        id,
        package,
        text(finding.package.version.as_deref(), VERSION_CHARS),
        fixed,
        exploit.to_string(),
    ];
    if variant == Variant::Summary {
        cells.push(
            finding
                .score
                .map_or_else(String::new, |s| format!("{s:.1}")),
        );
    }
    if let Some(delta) = baseline(ctx) {
        cells.push(change_text(delta, index));
    }
    cells.push(last);
    if variant == Variant::Summary && ctx.set.images.len() > 1 {
        cells.push(image_list(ctx.set, finding));
    }
    cells
}

fn image_list(set: &ScanSet, finding: &Finding) -> String {
    if finding.images.len() >= set.images.len() {
        return "all".to_string();
    }
    let mut names: Vec<String> = finding
        .images
        .iter()
        .take(4)
        .filter_map(|&i| set.images.get(i))
        .map(|image| match &image.platform {
            Some(platform) => markdown_inline(&truncate(platform, 40)),
            None => markdown_inline(&truncate(&image.label(), 60)),
        })
        .collect();
    if finding.images.len() > 4 {
        names.push(format!("+{} more", finding.images.len() - 4));
    }
    names.join(", ")
}

/// Longest free text of a VEX statement in a cell (the summary; the comment shows less).
const VEX_TEXT_CHARS: usize = 200;
const COMMENT_VEX_TEXT_CHARS: usize = 80;

/// What the VEX statement governing finding `index` says, escaped: `VEX not_affected
/// (justification): impact statement`; empty when no statement covers the finding.
fn vex_text(ctx: &Context<'_>, verdict: &Verdict, index: usize, variant: Variant) -> String {
    let Some(applied) = verdict.vex.get(index).copied().flatten() else {
        return String::new();
    };
    let Some(statement) = ctx.policy.vex.statements.get(applied.statement) else {
        return String::new();
    };
    let max = match variant {
        Variant::Summary => VEX_TEXT_CHARS,
        Variant::Comment => COMMENT_VEX_TEXT_CHARS,
    };
    let mut text = format!("VEX {}", markdown_inline(&statement.describe(max)));
    if applied.partial {
        text.push_str(" (only some of its images: not suppressed)");
    }
    text
}

/// `first · second`, or whichever is not empty.
fn joined(first: String, second: String) -> String {
    match (first.is_empty(), second.is_empty()) {
        (_, true) => first,
        (true, false) => second,
        (false, false) => format!("{first} · {second}"),
    }
}

fn state_text(ctx: &Context<'_>, state: Option<&FindingState>, severity: Severity) -> String {
    match state {
        Some(FindingState::Violating(rule)) => {
            format!("violates {}", markdown_inline(&rule.to_string()))
        }
        Some(FindingState::Allowed) => match ctx.policy.max.get(&severity) {
            Some(n) => format!("allowed by max.{severity} = {n}"),
            None => "allowed".to_string(),
        },
        Some(FindingState::Ignored(i)) => match ctx.policy.ignores.get(*i).and_then(|i| i.line) {
            Some(line) => format!("ignored (policy line {line})"),
            None => "ignored (--ignore)".to_string(),
        },
        Some(FindingState::SuppressedByScanner) => "suppressed in Amazon Inspector".to_string(),
        // The statement follows (see `vex_text`).
        Some(FindingState::SuppressedByVex(_)) => "suppressed".to_string(),
        Some(FindingState::BelowThreshold) => "below threshold".to_string(),
        Some(FindingState::InBaseline) => "in the baseline (scope = new)".to_string(),
        None => String::new(),
    }
}

/// The table of violating findings, in the order of the verdict's violations.
pub(super) fn violating(ctx: &Context<'_>, verdict: &Verdict, sec: &mut Section) {
    let total = verdict.violations.len();
    if total == 0 {
        return;
    }
    sec.push(&format!("\n### Violating findings ({total})\n"));
    let variant = sec.variant;
    let header = finding_header(ctx, variant, ctx.set.images.len() > 1, "rule");
    let rows = verdict
        .violations
        .iter()
        .map(|v| match ctx.set.findings.get(v.finding) {
            Some(finding) => {
                let rule = joined(
                    markdown_inline(&v.rule.to_string()),
                    vex_text(ctx, verdict, v.finding, variant),
                );
                finding_cells(ctx, variant, (v.finding, finding), rule)
            }
            None => Vec::new(),
        });
    table(sec, &header, rows, total, ("findings", SEE_REPORTS), 0);
}

/// The findings that do not violate, with their state, folded away.
pub(super) fn others(ctx: &Context<'_>, verdict: &Verdict, sec: &mut Section) {
    let others: Vec<(usize, &Finding, Option<&FindingState>)> = ctx
        .set
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f, verdict.states.get(i)))
        .filter(|(_, _, s)| !matches!(s, Some(FindingState::Violating(_))))
        .collect();
    let total = others.len();
    if total == 0 {
        return;
    }
    let variant = sec.variant;
    let header = finding_header(ctx, variant, ctx.set.images.len() > 1, "status");
    let rows = || {
        others.iter().map(|&(i, f, s)| {
            let status = joined(
                state_text(ctx, s, f.severity),
                vex_text(ctx, verdict, i, variant),
            );
            finding_cells(ctx, variant, (i, f), status)
        })
    };
    let open = format!(
        "\n<details>\n<summary>Other findings ({total}): not violating the policy</summary>\n"
    );
    let close = "\n</details>\n";
    let close_size = measure(variant, close);
    match variant {
        Variant::Summary => {
            if sec.try_push(&open, close_size + NOTE_RESERVE) {
                table(
                    sec,
                    &header,
                    rows(),
                    total,
                    ("findings", SEE_REPORTS),
                    close_size,
                );
                sec.push(close);
            } else {
                sec.push(&note(total, 0, "other findings", SEE_REPORTS));
            }
        }
        Variant::Comment => {
            let room = sec.limit.saturating_sub(sec.used + NOTE_RESERVE);
            let mut scratch = Section::new(variant, room);
            scratch.push(&open);
            let shown = table(
                &mut scratch,
                &header,
                rows(),
                total,
                ("findings", SEE_REPORTS),
                close_size,
            );
            scratch.push(close);
            if shown == total && sec.fits(&scratch.text, 0) {
                sec.push(&scratch.text);
            } else {
                sec.push(&format!(
                    "\n{} (not violating) not shown here (see the job summary or the JSON report)\n",
                    plural(total, "other finding", "other findings")
                ));
            }
        }
    }
}
