//! JUnit XML, the test-report format every CI shows natively (Jenkins, GitLab, CircleCI, Buildkite,
//! Azure Pipelines): one `<testsuite>` per image, one failing `<testcase>` per violating finding in
//! it, and one passing case that sums up the rest.
//!
//! A run without a verdict is never green: an image whose scan gave no usable result is a suite with a
//! case in `<error>`, an error that stopped the run is a case in `<error>` of an `ecr-scan-gate` suite,
//! and the images that were read are listed with their cases `<skipped>` (no verdict to apply).
//! `--report-only` changes the exit code, not the report: violations stay failures.
//!
//! Valid under the de-facto schema Jenkins checks (`tests/fixtures/schemas/junit-10.xsd`). Every piece
//! of text goes through [`escape::xml`], clipped; a suite lists at most [`MAX_FAILURES_PER_SUITE`]
//! violating findings, the most severe, and says how many more there are. Streams into the writer;
//! reads the verdict, never decides anything.

use std::io::{self, BufWriter, Write};

use super::Context;
use super::escape::{self, clip};
use crate::findings::{Finding, Image};
use crate::policy::{FindingState, Verdict};

/// Violating findings listed per suite; the rest are counted in one more failing case.
pub const MAX_FAILURES_PER_SUITE: usize = 5_000;
/// Bound on a `message` attribute, in UTF-16 units (a one-line summary).
const MAX_MESSAGE_LEN: usize = 500;
/// Bound on a piece of vendor text (title, description, package) inside a failure's body.
const MAX_PIECE_LEN: usize = 2_000;
/// Bound on a name (suite, case, class).
const MAX_NAME_LEN: usize = 500;
/// Links listed per failure.
const MAX_URLS: usize = 5;

/// Writes the JUnit report of the run.
pub fn write(ctx: &Context<'_>, w: impl Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, w);
    let suites = suites(ctx);
    let (tests, failures, errors) = suites.iter().fold((0, 0, 0), |(t, f, e), s| {
        (t + s.tests(), f + s.failures(), e + s.errors())
    });
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        w,
        r#"<testsuites name="ecr-scan-gate" tests="{}" failures="{}" errors="{}">"#,
        tests, failures, errors,
    )?;
    for suite in &suites {
        suite.write(&mut w)?;
    }
    writeln!(w, "</testsuites>")?;
    w.flush()
}

/// One `<testsuite>`.
struct Suite<'a> {
    name: String,
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case<'a>>,
}

/// One `<testcase>`.
enum Case<'a> {
    /// A violating finding.
    Violation { finding: &'a Finding, rule: String },
    /// Violating findings left out past [`MAX_FAILURES_PER_SUITE`].
    MoreViolations(usize),
    /// The image's other findings, summed up: they pass.
    Passed(String),
    /// The image was read but the run has no verdict.
    NoVerdict(String),
    /// The image has no usable scan, or the run stopped on an error.
    Error {
        name: &'static str,
        kind: &'static str,
        text: String,
    },
}

impl Suite<'_> {
    fn tests(&self) -> usize {
        self.cases.len()
    }

    fn failures(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c, Case::Violation { .. } | Case::MoreViolations(_)))
            .count()
    }

    fn errors(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c, Case::Error { .. }))
            .count()
    }

    fn skipped(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c, Case::NoVerdict(_)))
            .count()
    }

    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        let name = attr(&self.name, MAX_NAME_LEN);
        writeln!(
            w,
            r#"  <testsuite name="{name}" tests="{}" failures="{}" errors="{}" skipped="{}">"#,
            self.tests(),
            self.failures(),
            self.errors(),
            self.skipped(),
        )?;
        if !self.properties.is_empty() {
            writeln!(w, "    <properties>")?;
            for (key, value) in &self.properties {
                writeln!(
                    w,
                    r#"      <property name="{key}" value="{}"/>"#,
                    attr(value, MAX_NAME_LEN)
                )?;
            }
            writeln!(w, "    </properties>")?;
        }
        for case in &self.cases {
            case.write(&name, w)?;
        }
        writeln!(w, "  </testsuite>")
    }
}

impl Case<'_> {
    fn write(&self, class: &str, w: &mut impl Write) -> io::Result<()> {
        let open = |w: &mut dyn Write, name: &str| {
            write!(
                w,
                r#"    <testcase classname="{class}" name="{}""#,
                attr(name, MAX_NAME_LEN)
            )
        };
        match self {
            Case::Violation { finding, rule } => {
                open(w, &case_name(finding))?;
                writeln!(w, ">")?;
                writeln!(
                    w,
                    r#"      <failure type="{}" message="{}">{}</failure>"#,
                    finding.severity,
                    attr(&failure_message(finding, rule), MAX_MESSAGE_LEN),
                    escape::xml(&failure_body(finding, rule)),
                )?;
                writeln!(w, "    </testcase>")
            }
            Case::MoreViolations(more) => {
                open(w, &format!("{more} more violating findings"))?;
                writeln!(w, ">")?;
                let text = format!(
                    "{more} more violating findings are not listed here (at most \
                     {MAX_FAILURES_PER_SUITE} per image); the JSON report lists every finding"
                );
                writeln!(
                    w,
                    r#"      <failure type="violations" message="{}"/>"#,
                    attr(&text, MAX_MESSAGE_LEN)
                )?;
                writeln!(w, "    </testcase>")
            }
            Case::Passed(summary) => {
                open(w, "policy")?;
                writeln!(w, ">")?;
                writeln!(
                    w,
                    "      <system-out>{}</system-out>",
                    escape::xml(&pieces(summary))
                )?;
                writeln!(w, "    </testcase>")
            }
            Case::NoVerdict(why) => {
                open(w, "policy")?;
                writeln!(w, ">")?;
                writeln!(
                    w,
                    r#"      <skipped message="{}"/>"#,
                    attr(why, MAX_MESSAGE_LEN)
                )?;
                writeln!(w, "    </testcase>")
            }
            Case::Error { name, kind, text } => {
                open(w, name)?;
                writeln!(w, ">")?;
                writeln!(
                    w,
                    r#"      <error type="{kind}" message="{}">{}</error>"#,
                    attr(text, MAX_MESSAGE_LEN),
                    escape::xml(&pieces(text)),
                )?;
                writeln!(w, "    </testcase>")
            }
        }
    }
}

/// An attribute value: one line, clipped, escaped.
fn attr(text: &str, max: usize) -> String {
    escape::xml(&clip(text, max))
}

/// Text of several lines, each cleaned and clipped on its own.
fn pieces(text: &str) -> String {
    text.lines()
        .map(|line| clip(line, MAX_PIECE_LEN))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds every suite of the run.
fn suites<'a>(ctx: &'a Context<'a>) -> Vec<Suite<'a>> {
    let mut suites: Vec<Suite<'a>> = ctx
        .set
        .images
        .iter()
        .enumerate()
        .map(|(index, image)| image_suite(ctx, index, image))
        .collect();
    for incomplete in ctx.result.incomplete() {
        suites.push(Suite {
            name: incomplete
                .image
                .clone()
                .unwrap_or_else(|| "ecr-scan-gate".to_string()),
            properties: vec![("result", "incomplete".to_string())],
            cases: vec![Case::Error {
                name: "scan",
                kind: "incomplete",
                text: incomplete.reason.to_string(),
            }],
        });
    }
    let errors = ctx.result.errors();
    if !errors.is_empty() {
        suites.push(Suite {
            name: "ecr-scan-gate".to_string(),
            properties: vec![("result", "error".to_string())],
            cases: errors
                .iter()
                .map(|error| Case::Error {
                    name: "run",
                    kind: "error",
                    text: error_text(error.as_ref()),
                })
                .collect(),
        });
    }
    suites
}

/// An error with its causes on the first line, then its hint.
fn error_text(error: &dyn crate::run::Fatal) -> String {
    let mut text = crate::error_chain(error);
    if let Some(hint) = error.hint() {
        text.push_str("\nhint: ");
        text.push_str(hint);
    }
    text
}

fn image_suite<'a>(ctx: &'a Context<'a>, index: usize, image: &'a Image) -> Suite<'a> {
    let mut properties = vec![("repository", image.repository.clone())];
    if let Some(digest) = &image.digest {
        properties.push(("digest", digest.clone()));
    }
    if !image.tags.is_empty() {
        properties.push(("tags", image.tags.join(", ")));
    }
    if let Some(platform) = &image.platform {
        properties.push(("platform", platform.clone()));
    }
    properties.push(("scan.type", image.scan.scan_type.as_str().to_string()));
    properties.push(("scan.status", image.scan.status.clone()));
    if let Some(at) = image.scan.completed_at {
        properties.push(("scan.completed_at", at.to_string()));
    }
    if let Some(at) = image.scan.source_updated_at {
        properties.push(("scan.source_updated_at", at.to_string()));
    }
    properties.push(("result", ctx.result.concluded().to_string()));
    if ctx.report_only() {
        properties.push(("report_only", "true".to_string()));
    }
    let in_image: Vec<usize> = (0..ctx.set.findings.len())
        .filter(|&i| ctx.set.findings[i].images.contains(&index))
        .collect();
    let cases = match ctx.verdict() {
        Some(verdict) => verdict_cases(ctx, verdict, &in_image),
        None => vec![Case::NoVerdict(format!(
            "{} findings read; no verdict: {}",
            in_image.len(),
            why_no_verdict(ctx)
        ))],
    };
    Suite {
        name: image.label(),
        properties,
        cases,
    }
}

fn why_no_verdict(ctx: &Context<'_>) -> &'static str {
    if ctx.result.incomplete().is_empty() {
        "the run stopped on an error"
    } else {
        "another image's scan gave no usable result"
    }
}

fn verdict_cases<'a>(
    ctx: &'a Context<'a>,
    verdict: &'a Verdict,
    in_image: &[usize],
) -> Vec<Case<'a>> {
    let mut cases = Vec::new();
    let (mut violating, mut more) = (0, 0);
    let (mut allowed, mut ignored, mut suppressed, mut vex, mut below) = (0, 0, 0, 0, 0);
    let mut inherited = 0;
    for &i in in_image {
        match verdict.states.get(i) {
            Some(FindingState::Violating(rule)) => {
                violating += 1;
                if cases.len() < MAX_FAILURES_PER_SUITE {
                    cases.push(Case::Violation {
                        finding: &ctx.set.findings[i],
                        rule: rule.to_string(),
                    });
                } else {
                    more += 1;
                }
            }
            Some(FindingState::Allowed) => allowed += 1,
            Some(FindingState::Ignored(_)) => ignored += 1,
            Some(FindingState::SuppressedByScanner) => suppressed += 1,
            Some(FindingState::SuppressedByVex(_)) => vex += 1,
            Some(FindingState::InBaseline) => inherited += 1,
            Some(FindingState::BelowThreshold) | None => below += 1,
        }
    }
    if more > 0 {
        cases.push(Case::MoreViolations(more));
    }
    let passing = in_image.len() - violating;
    let mut summary = vec![match (in_image.len(), violating) {
        (0, _) => "no findings".to_string(),
        (_, 0) => format!("all {} findings pass the policy", in_image.len()),
        _ => format!(
            "{passing} of {} findings pass the policy; {violating} violate it",
            in_image.len()
        ),
    }];
    for (count, what) in [
        (allowed, "within an allowance ([gate.max])"),
        (ignored, "ignored by the policy"),
        (suppressed, "suppressed in Amazon Inspector"),
        (vex, "suppressed by a VEX statement"),
        (inherited, "in the baseline (scope = new)"),
        (below, "below the threshold"),
    ] {
        if count > 0 {
            summary.push(format!("{count} {what}"));
        }
    }
    summary.push(format!("policy: {}", policy_line(ctx)));
    cases.push(Case::Passed(summary.join("\n")));
    cases
}

fn policy_line(ctx: &Context<'_>) -> String {
    let policy = ctx.policy;
    let mut line = format!(
        "fail-on = {}",
        policy.fail_on.map_or("none", |s| s.as_str())
    );
    if policy.only_fixed {
        line.push_str(", only-fixed");
    }
    if policy.only_exploitable {
        line.push_str(", only-exploitable");
    }
    if policy.scope == crate::policy::Scope::New {
        line.push_str(", scope = new");
    }
    if let Some(score) = policy.min_score {
        line.push_str(&format!(", min-score = {score}"));
    }
    for (severity, max) in &policy.max {
        line.push_str(&format!(", max.{severity} = {max}"));
    }
    line
}

/// `CVE-2024-12345 in openssl 3.0.1`.
fn case_name(finding: &Finding) -> String {
    let mut name = finding.id.clone();
    if let Some(package) = &finding.package.name {
        name.push_str(" in ");
        name.push_str(package);
        if let Some(version) = &finding.package.version {
            name.push(' ');
            name.push_str(version);
        }
    }
    name
}

/// `critical CVE-2024-12345 in openssl 3.0.1 (fixed in 3.0.2) breaks fail-on = high`.
fn failure_message(finding: &Finding, rule: &str) -> String {
    let mut message = format!("{} {}", finding.severity, case_name(finding));
    if let Some(fixed) = &finding.package.fixed_in {
        message.push_str(&format!(" (fixed in {fixed})"));
    }
    message.push_str(&format!(" breaks {rule}"));
    message
}

fn failure_body(finding: &Finding, rule: &str) -> String {
    let piece = |text: &str| clip(text, MAX_PIECE_LEN).into_owned();
    let mut lines = vec![format!("{}: {}", piece(&finding.id), piece(rule))];
    let mut severity = format!("severity: {}", finding.severity);
    if let Some(score) = finding.score {
        severity.push_str(&format!(" (score {score})"));
    }
    lines.push(severity);
    let package = &finding.package;
    if let Some(name) = &package.name {
        let mut line = format!("package: {}", piece(name));
        if let Some(version) = &package.version {
            line.push_str(&format!(" {}", piece(version)));
        }
        if let Some(manager) = &package.manager {
            line.push_str(&format!(" ({})", piece(manager)));
        }
        lines.push(line);
    }
    if let Some(path) = &package.path {
        lines.push(format!("path: {}", piece(path)));
    }
    match (&package.fixed_in, finding.fix_available) {
        (Some(fixed), _) => lines.push(format!("fixed in: {}", piece(fixed))),
        (None, Some(false)) => lines.push("fixed in: no fix available".to_string()),
        _ => {}
    }
    if finding.exploit_available == Some(true) {
        lines.push("exploit available: yes".to_string());
    }
    if let Some(title) = &finding.title {
        lines.push(format!("title: {}", piece(title)));
    }
    if let Some(description) = &finding.description {
        lines.push(format!("description: {}", piece(description)));
    }
    for url in finding
        .urls
        .iter()
        .filter_map(|u| escape::http_url(u))
        .take(MAX_URLS)
    {
        lines.push(format!("see: {url}"));
    }
    lines.join("\n")
}

#[cfg(test)]
#[path = "junit_tests.rs"]
mod tests;
