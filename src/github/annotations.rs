//! Annotations: the workflow commands (`::error title=…::message`) that GitHub shows on the run and the
//! pull request.
//!
//! GitHub keeps at most 10 error and 10 warning annotations per step and drops the rest, so this module
//! chooses which ones are worth a place: violating findings (errors; warnings under `report-only`), scans
//! without a usable result, the error that stopped the gate, expired ignores and the warnings of the read.
//! A few warning places are kept for the publishing step's own problems (a comment or an upload that
//! failed). Everything untrusted is escaped for the workflow-command syntax. It reads the verdict and
//! never changes it.

use std::io::Write;

use crate::findings::Finding;
use crate::policy::{Outcome, Verdict};
use crate::report::Context;
use crate::report::escape::{
    plain_line, truncate, workflow_command_data, workflow_command_property,
};
use crate::run::Conclusion;

/// GitHub shows at most this many error annotations of one step.
pub const MAX_ERRORS: usize = 10;
/// GitHub shows at most this many warning annotations of one step.
pub const MAX_WARNINGS: usize = 10;
/// GitHub shows at most this many notice annotations of one step.
pub const MAX_NOTICES: usize = 10;
/// Warning places kept for the publishing step (comment, upload, summary, outputs).
pub const RESERVED_WARNINGS: usize = 3;

const TITLE_CHARS: usize = 200;
const MESSAGE_CHARS: usize = 2000;

/// How loud an annotation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// One annotation, before escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: Level,
    pub title: String,
    pub message: String,
}

impl Annotation {
    fn new(level: Level, title: impl Into<String>, message: impl Into<String>) -> Annotation {
        Annotation {
            level,
            title: title.into(),
            message: message.into(),
        }
    }

    /// The workflow command line (without the line break).
    pub fn command(&self) -> String {
        format!(
            "::{} title={}::{}",
            self.level.command(),
            workflow_command_property(&truncate(&self.title, TITLE_CHARS)),
            workflow_command_data(&truncate(&self.message, MESSAGE_CHARS))
        )
    }
}

/// The annotations for a run, within GitHub's limits (leaving [`RESERVED_WARNINGS`] warning places free).
pub fn for_run(ctx: &Context<'_>) -> Vec<Annotation> {
    let mut found = Found::default();
    if !ctx.result.unwritten.is_empty() {
        found.errors.push(Annotation::new(
            Level::Error,
            "ecr-scan-gate: error",
            "a requested report could not be written; see the log above",
        ));
    }
    match &ctx.result.conclusion {
        Conclusion::Error(_) => found.errors.push(Annotation::new(
            Level::Error,
            "ecr-scan-gate: no verdict (error)",
            ctx.result.error_text().unwrap_or_default(),
        )),
        Conclusion::Incomplete(images) => {
            for image in images {
                found.errors.push(Annotation::new(
                    Level::Error,
                    "ecr-scan-gate: no verdict (scan not usable)",
                    image.to_string(),
                ));
            }
        }
        Conclusion::Verdict(verdict) => found.verdict(ctx, verdict),
    }
    for warning in &ctx.set.warnings {
        found.warnings.push(Annotation::new(
            Level::Warning,
            "ecr-scan-gate: warning",
            warning.clone(),
        ));
    }
    let mut out = cap(found.errors, MAX_ERRORS, Level::Error);
    out.extend(cap(
        found.warnings,
        MAX_WARNINGS - RESERVED_WARNINGS,
        Level::Warning,
    ));
    out.extend(cap(found.notices, MAX_NOTICES, Level::Notice));
    out
}

/// The annotations worth making, by level, before GitHub's limits are applied.
#[derive(Default)]
struct Found {
    errors: Vec<Annotation>,
    warnings: Vec<Annotation>,
    notices: Vec<Annotation>,
}

impl Found {
    /// Violating findings (errors; warnings under `report-only`), expired and unused ignores, and a
    /// notice for a pass.
    fn verdict(&mut self, ctx: &Context<'_>, verdict: &Verdict) {
        let level = if ctx.report_only() {
            Level::Warning
        } else {
            Level::Error
        };
        let violating: Vec<Annotation> = verdict
            .violations
            .iter()
            .filter_map(|v| {
                let finding = ctx.set.findings.get(v.finding)?;
                Some(violation(ctx, finding, level, &v.rule.to_string()))
            })
            .collect();
        self.ignores(ctx, verdict);
        match level {
            Level::Error => self.errors.extend(violating),
            _ => self.warnings.extend(violating),
        }
        if verdict.outcome == Outcome::Pass {
            let counts = ctx.set.counts();
            self.notices.push(Annotation::new(
                Level::Notice,
                "ecr-scan-gate: PASS",
                format!(
                    "{} finding(s); none violates the policy. See the job summary.",
                    counts.total
                ),
            ));
        }
    }

    /// A warning per expired ignore, a notice per ignore that matched nothing.
    fn ignores(&mut self, ctx: &Context<'_>, verdict: &Verdict) {
        for index in &verdict.expired_ignores {
            if let Some(ignore) = ctx.policy.ignores.get(*index) {
                let expires = ignore
                    .expires
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "?".into());
                self.warnings.push(Annotation::new(
                    Level::Warning,
                    format!("ecr-scan-gate: ignore of {} expired", ignore.id),
                    format!(
                        "The ignore of {} expired on {expires} and no longer applies (reason given: {}).",
                        ignore.id, ignore.reason
                    ),
                ));
            }
        }
        for index in &verdict.unused_ignores {
            if let Some(ignore) = ctx.policy.ignores.get(*index) {
                self.notices.push(Annotation::new(
                    Level::Notice,
                    format!("ecr-scan-gate: unused ignore of {}", ignore.id),
                    format!("The ignore of {} matched no finding.", ignore.id),
                ));
            }
        }
    }
}

fn violation(ctx: &Context<'_>, finding: &Finding, level: Level, rule: &str) -> Annotation {
    let package = finding.package.name.as_deref().unwrap_or("unknown package");
    let mut message = format!("{} ({}) in {package}", finding.id, finding.severity);
    if let Some(version) = &finding.package.version {
        message.push(' ');
        message.push_str(version);
    }
    if let Some(path) = &finding.package.path {
        message.push_str(&format!(" at {path}"));
    }
    match &finding.package.fixed_in {
        Some(fixed) => message.push_str(&format!("; fixed in {fixed}")),
        None if finding.fix_available == Some(false) => message.push_str("; no fix available"),
        None => {}
    }
    message.push_str(&format!(" — breaks {rule}"));
    let images: Vec<String> = finding
        .images
        .iter()
        .filter_map(|i| ctx.set.images.get(*i))
        .map(|image| image.label())
        .collect();
    if !images.is_empty() {
        message.push_str(&format!(" — in {}", images.join(", ")));
    }
    if let Some(title) = &finding.title {
        message.push_str(&format!("\n{title}"));
    }
    let state = match level {
        Level::Error => "violates the policy",
        _ => "violates the policy (report-only)",
    };
    Annotation::new(
        level,
        format!("{} ({}) {state}", finding.id, finding.severity),
        message,
    )
}

/// At most `max` annotations; when there are more, the last place says how many were left out.
fn cap(mut list: Vec<Annotation>, max: usize, level: Level) -> Vec<Annotation> {
    if list.len() <= max || max == 0 {
        list.truncate(max);
        return list;
    }
    let left_out = list.len() - (max - 1);
    list.truncate(max - 1);
    list.push(Annotation::new(
        level,
        "ecr-scan-gate: more",
        format!("{left_out} more like these; see the job summary and the reports."),
    ));
    list
}

/// Writes annotations, keeping count so that later ones (the publishing step's warnings) stay within
/// GitHub's limits; past a limit, a warning is written as a plain log line instead.
pub struct Annotator<'w> {
    out: &'w mut dyn Write,
    errors: usize,
    warnings: usize,
}

impl<'w> Annotator<'w> {
    pub fn new(out: &'w mut dyn Write) -> Annotator<'w> {
        Annotator {
            out,
            errors: 0,
            warnings: 0,
        }
    }

    /// Writes one annotation (or a plain line once its level's limit is reached).
    pub fn emit(&mut self, annotation: &Annotation) {
        let count = match annotation.level {
            Level::Error => Some(&mut self.errors),
            Level::Warning => Some(&mut self.warnings),
            Level::Notice => None,
        };
        let within = match count {
            Some(count) => {
                *count += 1;
                *count
                    <= match annotation.level {
                        Level::Error => MAX_ERRORS,
                        _ => MAX_WARNINGS,
                    }
            }
            None => true,
        };
        let line = if within {
            annotation.command()
        } else {
            plain_line(&format!(
                "{}: {}: {}",
                annotation.level.command(),
                annotation.title,
                annotation.message
            ))
        };
        let _ = writeln!(self.out, "{line}");
    }

    /// A warning of the publishing step.
    pub fn warning(&mut self, title: &str, message: &str) {
        self.emit(&Annotation::new(Level::Warning, title, message));
    }

    /// A plain log line (escaped so the runner never reads it as a command).
    pub fn note(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", plain_line(text));
    }

    /// How many error and warning annotations were written as annotations (not plain lines).
    pub fn counts(&self) -> (usize, usize) {
        (self.errors.min(MAX_ERRORS), self.warnings.min(MAX_WARNINGS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_escapes_title_and_message() {
        let a = Annotation::new(Level::Error, "a:b,c", "line\n::error::x %");
        assert_eq!(
            a.command(),
            "::error title=a%3Ab%2Cc::line%0A::error::x %25"
        );
    }

    #[test]
    fn cap_keeps_the_limit_and_says_how_many_were_left_out() {
        let list: Vec<Annotation> = (0..25)
            .map(|i| Annotation::new(Level::Error, format!("t{i}"), "m"))
            .collect();
        let capped = cap(list, MAX_ERRORS, Level::Error);
        assert_eq!(capped.len(), MAX_ERRORS);
        assert!(capped[9].message.starts_with("16 more"), "{:?}", capped[9]);
    }

    #[test]
    fn annotator_turns_warnings_past_the_limit_into_plain_lines() {
        let mut out = Vec::new();
        let mut annotator = Annotator::new(&mut out);
        for i in 0..12 {
            annotator.warning("w", &format!("::error::{i}"));
        }
        assert_eq!(annotator.counts(), (0, MAX_WARNINGS));
        let text = String::from_utf8(out).unwrap();
        let commands = text.lines().filter(|l| l.starts_with("::")).count();
        assert_eq!(commands, MAX_WARNINGS);
        assert!(text.lines().all(|l| !l.contains("\n")));
        assert_eq!(text.lines().last().unwrap(), "warning: w: ::error::11");
    }
}
