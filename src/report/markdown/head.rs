//! The head of the document: the marker line (comment), the heading with the outcome, the verdict or
//! why there is none, the images, the severity counts and the policy in force.
//!
//! Reads the run's result from [`Context`]; it must not decide anything.

use super::budget::{NOTE_RESERVE, Section, list, row, table};
use super::cells::{ID_CHARS, PACKAGE_CHARS, SEE_JSON, plural, text, time};
use super::delta::delta_text;
use super::marker::comment_marker;
use super::variant::{Variant, measure};
use crate::findings::{Counts, Image, ScanSet, Severity, short_digest};
use crate::policy::{FindingState, Outcome, Verdict};
use crate::report::Context;
use crate::report::escape::{markdown_inline, truncate};
use crate::run::Conclusion;

/// The head, within `budget`.
pub(super) fn head(ctx: &Context<'_>, variant: Variant, budget: usize) -> Section {
    let mut sec = Section::new(variant, budget);
    if variant == Variant::Comment {
        sec.push(&comment_marker(ctx.set));
        sec.push("\n");
    }
    sec.push(&heading(ctx));
    if let Some(delta) = ctx.verdict().and_then(|v| v.baseline.as_deref()) {
        sec.push(&delta_text(ctx, delta));
    }
    let mut closing = String::new();
    if let Some(verdict) = ctx.verdict() {
        closing.push_str(&severity_table(ctx.set, verdict));
    }
    if !matches!(ctx.result.conclusion, Conclusion::Error(_)) {
        closing.push_str(&policy_line(ctx));
    }
    let reserve = measure(variant, &closing) + NOTE_RESERVE;
    match &ctx.result.conclusion {
        Conclusion::Verdict(verdict) => sec.push(&verdict_text(ctx, verdict)),
        Conclusion::Incomplete(images) => {
            sec.push(
                "\nThere is no verdict: not every image's scan reached a usable final state, so the \
                 findings could not be completely read.\n",
            );
            let items = images
                .iter()
                .map(|image| markdown_inline(&truncate(&image.to_string(), 500)));
            list(
                &mut sec,
                items,
                images.len(),
                ("reasons", SEE_JSON),
                reserve,
            );
        }
        Conclusion::Error(_) => {
            sec.push("\nThere is no verdict: the gate stopped with an error.\n");
            let message = ctx.result.error_text().unwrap_or_default();
            let lines: Vec<&str> = message.lines().filter(|l| !l.trim().is_empty()).collect();
            let items = lines.iter().map(|l| markdown_inline(&truncate(l, 1000)));
            list(
                &mut sec,
                items,
                lines.len(),
                ("lines", "see the log"),
                reserve,
            );
        }
    }
    images(ctx, &mut sec, reserve);
    sec.push(&closing);
    sec
}

/// The first image's reference, and how many platforms there are when several.
fn subject(set: &ScanSet) -> String {
    let Some(image) = set.images.first() else {
        return String::new();
    };
    let mut out = markdown_inline(&truncate(&image.reference(), 120));
    if set.images.len() > 1 {
        out.push_str(&format!(" ({} platforms)", set.images.len()));
    }
    out
}

fn heading(ctx: &Context<'_>) -> String {
    let (icon, word) = match &ctx.result.conclusion {
        Conclusion::Verdict(v) if v.outcome == Outcome::Pass => ("✅", "pass"),
        Conclusion::Verdict(_) => ("❌", "fail"),
        Conclusion::Incomplete(_) => ("⚠️", "no verdict (incomplete)"),
        Conclusion::Error(_) => ("🛑", "error"),
    };
    let subject = subject(ctx.set);
    if subject.is_empty() {
        format!("## {icon} ecr-scan-gate: {word}\n")
    } else {
        format!("## {icon} ecr-scan-gate: {word} — {subject}\n")
    }
}

fn verdict_text(ctx: &Context<'_>, verdict: &Verdict) -> String {
    let total = ctx.set.findings.len();
    let ignored = verdict.ignored_count();
    let Some(first) = verdict.violations.first() else {
        return format!(
            "\nNo finding violates the policy ({}, {ignored} ignored{}).\n",
            plural(total, "finding", "findings"),
            vex_suppressed(verdict)
        );
    };
    let mut out = format!(
        "\n**{}** of the policy. The rule that failed first: `{}`",
        plural(verdict.violations.len(), "violation", "violations"),
        first.rule
    );
    if let Some(finding) = ctx.set.findings.get(first.finding) {
        out.push_str(&format!(" ({}", text(Some(&finding.id), ID_CHARS)));
        if let Some(name) = &finding.package.name {
            out.push_str(&format!(" in {}", text(Some(name), PACKAGE_CHARS)));
        }
        out.push(')');
    }
    out.push_str(".\n");
    if ctx.report_only() {
        out.push_str(
            "\n**Report only:** the policy is violated, but the job is not failed because \
             `--report-only` is set.\n",
        );
    }
    out
}

/// `, 3 of them by VEX`, when VEX statements suppressed findings.
fn vex_suppressed(verdict: &Verdict) -> String {
    match verdict.vex_suppressed_count() {
        0 => String::new(),
        n => format!(", {n} of them by VEX"),
    }
}

fn images(ctx: &Context<'_>, sec: &mut Section, reserve: usize) {
    let images = &ctx.set.images;
    let header: &[&str] = match sec.variant {
        Variant::Summary => &[
            "repository",
            "tags",
            "digest",
            "platform",
            "scan",
            "status",
            "completed",
            "database updated",
        ],
        Variant::Comment => &["image", "digest", "scan", "completed"],
    };
    let variant = sec.variant;
    let rows = images.iter().map(|image| image_cells(image, variant));
    table(
        sec,
        header,
        rows,
        images.len(),
        ("images", SEE_JSON),
        reserve,
    );
}

fn image_cells(image: &Image, variant: Variant) -> Vec<String> {
    let digest = text(image.digest.as_deref().map(short_digest), 80);
    let completed = time(image.scan.completed_at);
    let scan_type = image.scan.scan_type.as_str().to_string();
    let status = text(Some(&image.scan.status), 40);
    match variant {
        Variant::Summary => {
            let mut tags: Vec<String> = image
                .tags
                .iter()
                .take(5)
                .map(|t| markdown_inline(&truncate(t, 100)))
                .collect();
            if image.tags.len() > 5 {
                tags.push(format!("+{} more", image.tags.len() - 5));
            }
            let mut status = status;
            if let Some(description) = &image.scan.description {
                let description = markdown_inline(&truncate(description, 200));
                if !description.is_empty() {
                    status.push_str(": ");
                    status.push_str(&description);
                }
            }
            vec![
                text(Some(&image.repository), 200),
                tags.join(", "),
                digest,
                text(image.platform.as_deref(), 60),
                scan_type,
                status,
                completed,
                time(image.scan.source_updated_at),
            ]
        }
        Variant::Comment => vec![
            markdown_inline(&truncate(&image.label(), 150)),
            digest,
            format!("{scan_type}, {status}"),
            completed,
        ],
    }
}

fn severity_table(set: &ScanSet, verdict: &Verdict) -> String {
    let total = set.counts();
    let fixable = Counts::of(
        set.findings
            .iter()
            .filter(|f| f.fix_available == Some(true)),
    );
    let ignored = verdict.counts_where(set, FindingState::is_ignored);
    let violating = verdict.counts_where(set, |s| matches!(s, FindingState::Violating(_)));
    let cells = |name: String, get: &dyn Fn(&Counts) -> usize| {
        vec![
            name,
            get(&total).to_string(),
            get(&fixable).to_string(),
            get(&ignored).to_string(),
            get(&violating).to_string(),
        ]
    };
    let header = ["severity", "total", "fixable", "ignored", "violating"].map(String::from);
    let mut out = String::from("\n");
    out.push_str(&row(&header));
    out.push_str(&row(&vec!["---".to_string(); header.len()]));
    for severity in Severity::ALL {
        out.push_str(&row(&cells(severity.as_str().to_string(), &|c| {
            c.get(severity)
        })));
    }
    out.push_str(&row(&cells("**total**".to_string(), &|c| c.total)));
    out
}

fn policy_line(ctx: &Context<'_>) -> String {
    let policy = ctx.policy;
    let fail_on = policy.fail_on.map_or("none", Severity::as_str);
    let yes_no = |on: bool| if on { "yes" } else { "no" };
    let only_fixed = yes_no(policy.only_fixed);
    let only_exploitable = yes_no(policy.only_exploitable);
    let min_score = policy
        .min_score
        .map_or_else(|| "none".to_string(), |s| format!("{s:.1}"));
    let max = if policy.max.is_empty() {
        "`none`".to_string()
    } else {
        policy
            .max
            .iter()
            .rev()
            .map(|(severity, n)| format!("`{severity} = {n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let vex = &policy.vex;
    let vex = if vex.is_empty() {
        String::new()
    } else {
        format!(
            " · {} ({})",
            plural(vex.documents.len(), "VEX document", "VEX documents"),
            plural(vex.statements.len(), "statement", "statements")
        )
    };
    format!(
        "\n**Policy:** fail-on `{fail_on}` · only-fixed `{only_fixed}` · only-exploitable \
         `{only_exploitable}` · min-score `{min_score}` · max {max} · scope `{}` · {}{vex}\n",
        policy.scope.as_str(),
        plural(policy.ignores.len(), "ignore", "ignores")
    )
}
