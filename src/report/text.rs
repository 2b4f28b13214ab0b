//! The short human summary printed on stderr. Never prints to stdout (stdout is for requested machine
//! output only) and never decides anything.

use std::io::Write;

use super::Context;
use super::escape::plain_line;
use crate::baseline::Delta;
use crate::findings::{Finding, Severity};
use crate::policy::{Scope, Verdict};
use crate::run::Conclusion;

/// How many violating findings the summary names before "and N more".
const SHOWN_VIOLATIONS: usize = 5;

/// Writes the summary.
pub fn write(ctx: &Context<'_>, mut w: impl Write) -> std::io::Result<()> {
    match &ctx.result.conclusion {
        Conclusion::Verdict(verdict) => headline(ctx, verdict, &mut w)?,
        Conclusion::Incomplete(images) => {
            writeln!(
                w,
                "ecr-scan-gate: NO VERDICT: a scan did not reach a usable final state"
            )?;
            for image in images {
                writeln!(w, "  {}", plain_line(&image.to_string()))?;
            }
        }
        Conclusion::Error(_) => {
            let message = ctx.result.error_text().unwrap_or_default();
            writeln!(w, "ecr-scan-gate: ERROR: {}", plain_line(&message))?;
        }
    }
    for image in &ctx.set.images {
        let scan = &image.scan;
        let mut line = format!(
            "  {} — {} scan, {}",
            image.label(),
            scan.scan_type.as_str(),
            scan.status
        );
        if let Some(at) = scan.completed_at {
            line.push_str(&format!(
                ", completed {}",
                at.strftime("%Y-%m-%d %H:%M UTC")
            ));
        }
        writeln!(w, "{}", plain_line(&line))?;
    }
    if !ctx.set.images.is_empty() {
        let counts = ctx.set.counts();
        let parts: Vec<String> = Severity::ALL
            .iter()
            .filter(|s| counts.get(**s) > 0)
            .map(|s| format!("{} {}", counts.get(*s), s))
            .collect();
        let detail = if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(", "))
        };
        writeln!(w, "  {} finding(s){detail}", counts.total)?;
    }
    if let Some(verdict) = ctx.verdict() {
        if let Some(delta) = verdict.baseline.as_deref() {
            baseline(ctx, delta, &mut w)?;
        }
        details(ctx, verdict, &mut w)?;
    }
    let baseline_warnings = ctx
        .verdict()
        .and_then(|v| v.baseline.as_deref())
        .map_or(&[][..], |d| &d.warnings[..]);
    for warning in ctx.set.warnings.iter().chain(baseline_warnings) {
        writeln!(w, "  warning: {}", plain_line(warning))?;
    }
    for hint in ctx.result.errors().iter().filter_map(|e| e.hint()) {
        writeln!(w, "hint: {hint}")?;
    }
    w.flush()
}

fn headline(ctx: &Context<'_>, verdict: &Verdict, w: &mut impl Write) -> std::io::Result<()> {
    match verdict.violations.first() {
        None => writeln!(w, "ecr-scan-gate: PASS — no finding violates the policy"),
        Some(first) => {
            let note = if ctx.report_only() {
                " (report-only: the job is not failed)"
            } else {
                ""
            };
            writeln!(
                w,
                "ecr-scan-gate: FAIL — {} violation(s); first rule broken: {}{note}",
                verdict.violations.len(),
                first.rule
            )
        }
    }
}

/// `  baseline report main.json: 2 new, 1 fixed, 40 unchanged (scope = new)`.
fn baseline(ctx: &Context<'_>, delta: &Delta, w: &mut impl Write) -> std::io::Result<()> {
    let counts = delta.counts(ctx.set);
    let scope = match ctx.policy.scope {
        Scope::New => " (scope = new: only new findings can violate)",
        Scope::All => "",
    };
    match &delta.missing {
        Some(why) => writeln!(
            w,
            "  no baseline ({}): all {} finding(s) are new{scope}",
            plain_line(why),
            counts.new.total
        ),
        None => writeln!(
            w,
            "  baseline {}: {} new, {} fixed, {} unchanged{scope}",
            plain_line(&delta.source),
            counts.new.total,
            counts.fixed.total,
            counts.unchanged.total
        ),
    }
}

fn details(ctx: &Context<'_>, verdict: &Verdict, w: &mut impl Write) -> std::io::Result<()> {
    for violation in verdict.violations.iter().take(SHOWN_VIOLATIONS) {
        let finding = &ctx.set.findings[violation.finding];
        writeln!(w, "    {}", plain_line(&describe(finding)))?;
    }
    if verdict.violations.len() > SHOWN_VIOLATIONS {
        writeln!(
            w,
            "    … and {} more (see the JSON, markdown or SARIF report)",
            verdict.violations.len() - SHOWN_VIOLATIONS
        )?;
    }
    let ignored = verdict.ignored_count();
    match verdict.vex_suppressed_count() {
        0 if ignored > 0 => writeln!(w, "  {ignored} finding(s) ignored")?,
        0 => {}
        vex => writeln!(
            w,
            "  {ignored} finding(s) ignored, {vex} of them suppressed by VEX statements"
        )?,
    }
    if !ctx.policy.vex.is_empty() {
        writeln!(
            w,
            "  VEX: {} document(s), {} statement(s)",
            ctx.policy.vex.documents.len(),
            ctx.policy.vex.statements.len()
        )?;
    }
    for &i in &verdict.expired_ignores {
        if let Some(ignore) = ctx.policy.ignores.get(i) {
            let expires = ignore.expires.map(|d| d.to_string()).unwrap_or_default();
            writeln!(
                w,
                "  warning: ignore of {} expired on {expires} and no longer applies",
                plain_line(&ignore.id)
            )?;
        }
    }
    for &i in &verdict.unused_ignores {
        if let Some(ignore) = ctx.policy.ignores.get(i) {
            writeln!(
                w,
                "  note: ignore of {} matched no finding",
                plain_line(&ignore.id)
            )?;
        }
    }
    Ok(())
}

fn describe(finding: &Finding) -> String {
    let mut text = format!("{} ({})", finding.id, finding.severity);
    if let Some(name) = &finding.package.name {
        text.push_str(" in ");
        text.push_str(name);
        if let Some(version) = &finding.package.version {
            text.push(' ');
            text.push_str(version);
        }
    }
    if let Some(fixed) = &finding.package.fixed_in {
        text.push_str(", fixed in ");
        text.push_str(fixed);
    }
    if finding.exploit_available == Some(true) {
        text.push_str(", exploit available");
    }
    text
}
