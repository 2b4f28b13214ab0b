//! Shared by the fuzz targets: drive a scan set and a policy through the core and every renderer, and
//! check the invariants the renderers document. A broken invariant panics, so libFuzzer reports it like
//! any other crash.

use ecr_scan_gate::findings::ScanSet;
use ecr_scan_gate::policy::{self, Policy, Verdict};
use ecr_scan_gate::report::markdown::{self, COMMENT_LIMIT_CHARS, SUMMARY_LIMIT_BYTES, Variant};
use ecr_scan_gate::report::{Context, json, sarif};
use ecr_scan_gate::run::{Conclusion, Fatal, RunResult};

/// The fixed "today" of every evaluation, so runs are reproducible.
pub fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 1, 1)
}

/// Evaluates `set` under `policy`, checks the verdict's shape and renders every report for it.
#[allow(dead_code)] // the baseline target evaluates against its delta instead
pub fn evaluate_and_render(set: &ScanSet, policy: &Policy) -> Verdict {
    check_set(set);
    let verdict = policy::evaluate(set, policy, today());
    assert_eq!(
        verdict.states.len(),
        set.findings.len(),
        "one state per finding"
    );
    for v in &verdict.violations {
        assert!(v.finding < set.findings.len(), "violation index in range");
    }
    for &i in verdict
        .expired_ignores
        .iter()
        .chain(&verdict.unused_ignores)
    {
        assert!(i < policy.ignores.len(), "ignore index in range");
    }
    render_all(set, policy, || Conclusion::Verdict(verdict.clone()));
    verdict
}

/// An error that stops a run, for the error reports (rendered by the findings target only).
#[allow(dead_code)]
#[derive(Debug)]
pub struct FuzzError;

impl std::fmt::Display for FuzzError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fuzz: an error")
    }
}

impl std::error::Error for FuzzError {}

impl Fatal for FuzzError {}

/// Renders every report for the conclusion `conclude` gives; SARIF only when there is a verdict (as
/// the app does).
pub fn render_all(set: &ScanSet, policy: &Policy, conclude: impl Fn() -> Conclusion) {
    for report_only in [false, true] {
        let result = RunResult::new(conclude(), report_only);
        let ctx = Context {
            set,
            policy,
            result: &result,
            tool_version: "0.0.0-fuzz",
        };
        render_markdown(&ctx);
        if report_only {
            continue; // JSON and SARIF do not depend on it beyond a flag; render them once.
        }
        let mut out = Vec::new();
        json::write(&ctx, &mut out).expect("JSON report writes to a Vec");
        serde_json::from_slice::<serde_json::Value>(&out).expect("JSON report is valid JSON");
        if let Some(verdict) = ctx.verdict() {
            let mut out = Vec::new();
            sarif::write(&ctx, verdict, &mut out).expect("SARIF report writes to a Vec");
            serde_json::from_slice::<serde_json::Value>(&out).expect("SARIF report is valid JSON");
        }
    }
}

fn render_markdown(ctx: &Context<'_>) {
    let summary = markdown::render(ctx, Variant::Summary);
    assert!(
        summary.len() <= SUMMARY_LIMIT_BYTES,
        "summary is {} bytes, over the limit",
        summary.len()
    );
    let comment = markdown::render(ctx, Variant::Comment);
    let units: usize = comment
        .chars()
        .map(|c| if c == '\n' { 2 } else { c.len_utf16() })
        .sum();
    assert!(
        units <= COMMENT_LIMIT_CHARS,
        "comment is {units} units, over the limit"
    );

    let marker = markdown::comment_marker(ctx.set);
    let key = marker
        .strip_prefix("<!-- ecr-scan-gate: ")
        .and_then(|rest| rest.strip_suffix(" -->"))
        .unwrap_or_else(|| panic!("comment marker shape: {marker:?}"));
    assert!(
        !key.contains("--") && !key.contains('>') && !key.contains('\n') && !key.contains('\r'),
        "comment marker key must not close the comment: {marker:?}"
    );
}

/// The merge's promises: every finding lists at least one image, and only images that exist.
pub fn check_set(set: &ScanSet) {
    for finding in &set.findings {
        assert!(!finding.images.is_empty(), "finding without an image");
        for &i in &finding.images {
            assert!(i < set.images.len(), "image index in range");
        }
    }
}
