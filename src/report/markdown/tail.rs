//! The tail of the document: the policy's ignores as the verdict applied them (in force, expired,
//! unused, and how many findings each matched), the warnings of the scan, and the footer.
//!
//! Reads what the verdict found of each ignore; it must not decide whether one applies.

use super::budget::{NOTE_RESERVE, Section, list, table};
use super::cells::{ID_CHARS, PACKAGE_CHARS, SEE_JSON, plural, text};
use super::variant::{Variant, measure};
use crate::policy::{FindingState, Ignore, Verdict};
use crate::report::Context;
use crate::report::escape::{markdown_inline, truncate};

/// The tail, within `budget`.
pub(super) fn tail(ctx: &Context<'_>, variant: Variant, budget: usize) -> Section {
    let mut sec = Section::new(variant, budget);
    let footer = format!(
        "\n<sub>ecr-scan-gate {}</sub>\n",
        markdown_inline(&truncate(ctx.tool_version, 40))
    );
    let reserve = measure(variant, &footer);
    if let Some(verdict) = ctx.verdict() {
        ignores(ctx, verdict, &mut sec, reserve);
        vex(ctx, verdict, &mut sec, reserve);
    }
    let baseline = ctx.verdict().and_then(|v| v.baseline.as_deref());
    let warnings: Vec<&String> = ctx
        .set
        .warnings
        .iter()
        .chain(baseline.map_or(&[][..], |d| &d.warnings[..]))
        .collect();
    if !warnings.is_empty() && sec.try_push("\n### Warnings\n", reserve + NOTE_RESERVE) {
        let items = warnings.iter().map(|w| markdown_inline(&truncate(w, 500)));
        list(
            &mut sec,
            items,
            warnings.len(),
            ("warnings", SEE_JSON),
            reserve,
        );
    }
    sec.push(&footer);
    sec
}

fn ignores(ctx: &Context<'_>, verdict: &Verdict, sec: &mut Section, reserve: usize) {
    let ignores = &ctx.policy.ignores;
    if ignores.is_empty() {
        return;
    }
    let applied = Applied::new(ignores, verdict);
    if !sec.try_push(
        &format!("\n### Ignores ({})\n", ignores.len()),
        reserve + NOTE_RESERVE,
    ) {
        return;
    }
    match sec.variant {
        Variant::Summary => ignores_table(&applied, sec, reserve),
        Variant::Comment => ignores_in_brief(&applied, sec, reserve),
    }
}

/// The VEX documents read, and how many findings their statements suppressed or were shown beside.
fn vex(ctx: &Context<'_>, verdict: &Verdict, sec: &mut Section, reserve: usize) {
    let vex = &ctx.policy.vex;
    if vex.is_empty() {
        return;
    }
    let documents = vex.documents.len();
    // Per document: findings suppressed, findings with a statement that keeps them in.
    let mut counts = vec![(0usize, 0usize); documents];
    for applied in verdict.vex.iter().flatten() {
        if let Some(statement) = vex.statements.get(applied.statement)
            && let Some(count) = counts.get_mut(statement.document)
        {
            if applied.suppresses {
                count.0 += 1;
            } else {
                count.1 += 1;
            }
        }
    }
    let (suppressed, shown) = counts.iter().fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
    if !sec.try_push(
        &format!(
            "\n### VEX ({})\n\n{} suppressed (`not_affected`, `fixed`); {} with a statement \
             that suppresses nothing (`affected`, `under_investigation`, or not every image covered).\n",
            plural(documents, "document", "documents"),
            plural(suppressed, "finding", "findings"),
            plural(shown, "finding", "findings"),
        ),
        reserve + NOTE_RESERVE,
    ) {
        return;
    }
    if sec.variant == Variant::Comment {
        return;
    }
    let rows = vex.documents.iter().zip(&counts).map(|(document, count)| {
        vec![
            text(Some(&document.file), 200),
            text(document.id.as_deref(), 200),
            document.statements.to_string(),
            count.0.to_string(),
            count.1.to_string(),
        ]
    });
    let header = ["file", "id", "statements", "suppressed", "shown"];
    table(
        sec,
        &header,
        rows,
        documents,
        ("VEX documents", SEE_JSON),
        reserve,
    );
}

/// The policy's ignores as the verdict applied them.
struct Applied<'a> {
    ignores: &'a [Ignore],
    verdict: &'a Verdict,
    /// How many findings each ignore matched.
    matched: Vec<usize>,
    /// How many ignores are past their expiry date.
    expired: usize,
    /// How many ignores matched no finding.
    unused: usize,
}

impl<'a> Applied<'a> {
    fn new(ignores: &'a [Ignore], verdict: &'a Verdict) -> Applied<'a> {
        let mut matched = vec![0usize; ignores.len()];
        for state in &verdict.states {
            if let FindingState::Ignored(i) = state
                && let Some(n) = matched.get_mut(*i)
            {
                *n += 1;
            }
        }
        Applied {
            ignores,
            verdict,
            matched,
            expired: verdict.expired_ignores.len(),
            unused: verdict.unused_ignores.len(),
        }
    }

    /// The id of ignore `i`, escaped.
    fn id(&self, i: usize) -> String {
        self.ignores
            .get(i)
            .map_or_else(String::new, |ig| text(Some(&ig.id), ID_CHARS))
    }

    /// The expiry date of ignore `i`; ignores from the command line never expire.
    fn expires(&self, i: usize) -> String {
        self.ignores
            .get(i)
            .and_then(|ig| ig.expires)
            .map_or_else(|| "never (command line)".to_string(), |d| d.to_string())
    }

    /// The summary's row of ignore `i`.
    fn row(&self, i: usize, ignore: &Ignore) -> Vec<String> {
        let status = if self.verdict.expired_ignores.contains(&i) {
            "⚠️ expired"
        } else if self.verdict.unused_ignores.contains(&i) {
            "unused"
        } else {
            "in force"
        };
        let mut scope = Vec::new();
        if let Some(package) = &ignore.package {
            scope.push(format!("package {}", text(Some(package), PACKAGE_CHARS)));
        }
        if let Some(repository) = &ignore.repository {
            scope.push(format!("repository {}", text(Some(repository), 200)));
        }
        vec![
            status.to_string(),
            self.id(i),
            scope.join(", "),
            text(Some(&ignore.reason), 300),
            self.expires(i),
            self.matched.get(i).copied().unwrap_or(0).to_string(),
        ]
    }
}

/// The summary's ignores: what needs attention (expired, unused), then every ignore in a table.
fn ignores_table(applied: &Applied<'_>, sec: &mut Section, reserve: usize) {
    let (expired, unused) = (applied.expired, applied.unused);
    if expired > 0 {
        sec.try_push(
            &format!(
                "\n⚠️ **{} no longer {}** (past the expiry date): renew or remove {}.\n",
                plural(expired, "expired ignore", "expired ignores"),
                if expired == 1 { "applies" } else { "apply" },
                if expired == 1 { "it" } else { "them" },
            ),
            reserve + NOTE_RESERVE,
        );
    }
    if unused > 0 {
        sec.try_push(
            &format!(
                "\n{} matched no finding: remove {} if no longer needed.\n",
                plural(unused, "ignore", "ignores"),
                if unused == 1 { "it" } else { "them" },
            ),
            reserve + NOTE_RESERVE,
        );
    }
    let ignores = applied.ignores;
    let rows = ignores
        .iter()
        .enumerate()
        .map(|(i, ignore)| applied.row(i, ignore));
    let header = ["status", "id", "scope", "reason", "expires", "matched"];
    table(
        sec,
        &header,
        rows,
        ignores.len(),
        ("ignores", SEE_JSON),
        reserve,
    );
}

/// The comment's ignores: how many are in force, then only the expired and the unused ones.
fn ignores_in_brief(applied: &Applied<'_>, sec: &mut Section, reserve: usize) {
    let (expired, unused) = (applied.expired, applied.unused);
    let in_force = applied.ignores.len() - expired;
    let hits: usize = applied.matched.iter().sum();
    sec.try_push(
        &format!(
            "\n{} in force, matching {}.\n",
            plural(in_force, "ignore", "ignores"),
            plural(hits, "finding", "findings")
        ),
        reserve + NOTE_RESERVE,
    );
    if expired > 0
        && sec.try_push(
            "\n⚠️ **Expired** (no longer applied):\n",
            reserve + NOTE_RESERVE,
        )
    {
        let items = applied
            .verdict
            .expired_ignores
            .iter()
            .map(|&i| format!("{}, expired after {}", applied.id(i), applied.expires(i)));
        list(sec, items, expired, ("expired ignores", SEE_JSON), reserve);
    }
    if unused > 0
        && sec.try_push(
            "\n**Unused** (matched no finding):\n",
            reserve + NOTE_RESERVE,
        )
    {
        let items = applied
            .verdict
            .unused_ignores
            .iter()
            .map(|&i| applied.id(i));
        list(sec, items, unused, ("unused ignores", SEE_JSON), reserve);
    }
}
