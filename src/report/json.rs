//! The JSON report, version 1: a documented, versioned object for machines.
//!
//! The schema lives in `schemas/report-v1.schema.json`; a change that breaks it needs a new
//! `schema_version`. Streams with serde straight into the writer; never decides anything.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use super::Context;
use crate::baseline::{Delta, Fixed};
use crate::findings::{Counts, Finding, Image, Severity};
use crate::policy::{FindingState, Ignore, Policy, Verdict};
use crate::vex::{Applied, Vex};

/// The version of the report's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes the JSON report.
pub fn write(ctx: &Context<'_>, mut w: impl Write) -> std::io::Result<()> {
    let report = build(ctx);
    serde_json::to_writer_pretty(&mut w, &report)?;
    w.write_all(b"\n")?;
    w.flush()
}

fn build<'a>(ctx: &'a Context<'a>) -> Report<'a> {
    let verdict = ctx.verdict();
    let delta = verdict.and_then(|v| v.baseline.as_deref());
    let policy = ctx.policy;
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "ecr-scan-gate",
            version: ctx.tool_version,
        },
        result: ctx.result.concluded(),
        report_only: ctx.report_only(),
        error: ctx.result.error_text(),
        incomplete: ctx
            .result
            .incomplete()
            .iter()
            .map(ToString::to_string)
            .collect(),
        images: ctx.set.images.iter().map(image).collect(),
        counts: ctx.set.counts(),
        policy: PolicyOut {
            fail_on: policy.fail_on.map_or("none", Severity::as_str),
            only_fixed: policy.only_fixed,
            min_score: policy.min_score,
            max: policy.max.iter().map(|(s, n)| (s.as_str(), *n)).collect(),
            vex: policy
                .vex
                .documents
                .iter()
                .map(|d| VexDocumentOut {
                    file: &d.file,
                    id: d.id.as_deref(),
                    statements: d.statements,
                })
                .collect(),
            only_exploitable: policy.only_exploitable,
            scope: policy.scope.as_str(),
        },
        findings: ctx
            .set
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let applied = verdict.and_then(|v| v.vex.get(i).copied().flatten());
                let mut out = finding(f, verdict.map(|v| v.states[i]), applied, policy);
                if let Some(delta) = delta {
                    out.baseline_state = Some(delta.change(i).as_str());
                    out.baseline_versions = delta
                        .findings
                        .get(i)
                        .map(|d| &d.previous_versions[..])
                        .filter(|v| !v.is_empty());
                }
                out
            })
            .collect(),
        verdict: verdict.map(|v| verdict_out(v, ctx)),
        baseline: delta.map(|d| baseline_out(d, ctx)),
        warnings: &ctx.set.warnings,
    }
}

#[derive(Serialize)]
struct BaselineOut<'a> {
    /// What the baseline is: the files and images it was read from.
    source: &'a str,
    /// Why there was no baseline, when `--baseline-missing=all-new` made every finding new.
    missing: Option<&'a str>,
    counts: DeltaCountsOut,
    /// The baseline's findings that no image of this run has any more.
    fixed: Vec<FixedOut<'a>>,
    /// Images of this run that had no baseline (all their findings are new).
    without_baseline: &'a [String],
    warnings: &'a [String],
}

#[derive(Serialize)]
struct DeltaCountsOut {
    new: Counts,
    /// Unchanged and updated findings.
    unchanged: Counts,
    fixed: Counts,
}

#[derive(Serialize)]
struct FixedOut<'a> {
    id: &'a str,
    severity: Severity,
    package: PackageOut<'a>,
    platforms: &'a [String],
}

fn baseline_out<'a>(delta: &'a Delta, ctx: &'a Context<'a>) -> BaselineOut<'a> {
    let counts = delta.counts(ctx.set);
    BaselineOut {
        source: &delta.source,
        missing: delta.missing.as_deref(),
        counts: DeltaCountsOut {
            new: counts.new,
            unchanged: counts.unchanged,
            fixed: counts.fixed,
        },
        fixed: delta.fixed.iter().map(fixed_out).collect(),
        without_baseline: &delta.without_baseline,
        warnings: &delta.warnings,
    }
}

fn fixed_out(fixed: &Fixed) -> FixedOut<'_> {
    let f = &fixed.finding;
    FixedOut {
        id: &f.id,
        severity: f.severity,
        package: package_out(f),
        platforms: &fixed.platforms,
    }
}

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    tool: Tool<'a>,
    /// pass | fail | incomplete | error
    result: &'a str,
    report_only: bool,
    error: Option<String>,
    incomplete: Vec<String>,
    images: Vec<ImageOut<'a>>,
    counts: Counts,
    policy: PolicyOut<'a>,
    findings: Vec<FindingOut<'a>>,
    verdict: Option<VerdictOut<'a>>,
    /// How the findings compare with the baseline; null without one.
    baseline: Option<BaselineOut<'a>>,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct ImageOut<'a> {
    repository: &'a str,
    registry_id: Option<&'a str>,
    region: Option<&'a str>,
    digest: Option<&'a str>,
    /// The image index the image was resolved from, when the tag named one.
    index_digest: Option<&'a str>,
    tags: &'a [String],
    platform: Option<&'a str>,
    scan: ScanOut<'a>,
}

#[derive(Serialize)]
struct ScanOut<'a> {
    #[serde(rename = "type")]
    scan_type: &'static str,
    status: &'a str,
    description: Option<&'a str>,
    completed_at: Option<String>,
    source_updated_at: Option<String>,
}

fn image(image: &Image) -> ImageOut<'_> {
    ImageOut {
        repository: &image.repository,
        registry_id: image.registry_id.as_deref(),
        region: image.region.as_deref(),
        digest: image.digest.as_deref(),
        index_digest: image.index_digest.as_deref(),
        tags: &image.tags,
        platform: image.platform.as_deref(),
        scan: ScanOut {
            scan_type: image.scan.scan_type.as_str(),
            status: &image.scan.status,
            description: image.scan.description.as_deref(),
            completed_at: image.scan.completed_at.map(rfc3339),
            source_updated_at: image.scan.source_updated_at.map(rfc3339),
        },
    }
}

#[derive(Serialize)]
struct PolicyOut<'a> {
    fail_on: &'static str,
    only_fixed: bool,
    min_score: Option<f64>,
    max: BTreeMap<&'static str, usize>,
    only_exploitable: bool,
    scope: &'static str,
    /// The VEX documents read (the policy's `vex` and `--vex`).
    vex: Vec<VexDocumentOut<'a>>,
}

#[derive(Serialize)]
struct VexDocumentOut<'a> {
    file: &'a str,
    id: Option<&'a str>,
    statements: usize,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    id: &'a str,
    severity: Severity,
    vendor_severity: &'a str,
    score: Option<f64>,
    vector: Option<&'a str>,
    title: Option<&'a str>,
    description: Option<&'a str>,
    package: PackageOut<'a>,
    fix_available: Option<bool>,
    exploit_available: Option<bool>,
    urls: &'a [String],
    /// Indices into `images`.
    images: &'a [usize],
    /// violating | allowed | ignored | suppressed | below-threshold; null without a verdict.
    state: Option<&'static str>,
    ignored: Option<IgnoredOut<'a>>,
    /// new | unchanged | updated; null without a baseline.
    baseline_state: Option<&'static str>,
    /// The baseline's versions of an updated finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_versions: Option<&'a [String]>,
    /// The VEX statement that suppresses the finding or is shown beside it; null when none covers it.
    vex: Option<VexOut<'a>>,
}

#[derive(Serialize)]
struct VexOut<'a> {
    status: &'static str,
    /// The finding is suppressed by it.
    suppresses: bool,
    /// A suppressing statement that covers only some of the finding's images (so it does not suppress).
    partial: bool,
    vulnerability: &'a str,
    justification: Option<&'a str>,
    impact_statement: Option<&'a str>,
    action_statement: Option<&'a str>,
    status_notes: Option<&'a str>,
    timestamp: Option<String>,
    /// The document's file, as named, and the statement's place in it.
    document: &'a str,
    statement: usize,
}

fn vex_out(vex: &Vex, applied: Applied) -> Option<VexOut<'_>> {
    let statement = vex.statements.get(applied.statement)?;
    Some(VexOut {
        status: statement.status.as_str(),
        suppresses: applied.suppresses,
        partial: applied.partial,
        vulnerability: statement.vulnerability.label(),
        justification: statement.justification.as_deref(),
        impact_statement: statement.impact_statement.as_deref(),
        action_statement: statement.action_statement.as_deref(),
        status_notes: statement.status_notes.as_deref(),
        timestamp: statement.timestamp.map(rfc3339),
        document: vex
            .documents
            .get(statement.document)
            .map_or("", |d| d.file.as_str()),
        statement: statement.position,
    })
}

#[derive(Serialize)]
struct PackageOut<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    fixed_in: Option<&'a str>,
    manager: Option<&'a str>,
    path: Option<&'a str>,
}

#[derive(Serialize)]
struct IgnoredOut<'a> {
    reason: &'a str,
    expires: Option<String>,
}

/// The name of a finding's state in machine output.
pub fn state_name(state: FindingState) -> &'static str {
    match state {
        FindingState::Violating(_) => "violating",
        FindingState::Allowed => "allowed",
        FindingState::Ignored(_) => "ignored",
        FindingState::SuppressedByScanner => "suppressed",
        FindingState::SuppressedByVex(_) => "vex-suppressed",
        FindingState::BelowThreshold => "below-threshold",
        FindingState::InBaseline => "in-baseline",
    }
}

fn finding<'a>(
    f: &'a Finding,
    state: Option<FindingState>,
    applied: Option<Applied>,
    policy: &'a Policy,
) -> FindingOut<'a> {
    let ignored = match state {
        Some(FindingState::Ignored(i)) => policy.ignores.get(i).map(|ignore| IgnoredOut {
            reason: &ignore.reason,
            expires: ignore.expires.map(|d| d.to_string()),
        }),
        Some(FindingState::SuppressedByScanner) => Some(IgnoredOut {
            reason: "suppressed in Amazon Inspector",
            expires: None,
        }),
        Some(FindingState::SuppressedByVex(_)) => Some(IgnoredOut {
            reason: "suppressed by a VEX statement (see vex)",
            expires: None,
        }),
        _ => None,
    };
    FindingOut {
        id: &f.id,
        severity: f.severity,
        vendor_severity: &f.vendor_severity,
        score: f.score,
        vector: f.vector.as_deref(),
        title: f.title.as_deref(),
        description: f.description.as_deref(),
        package: package_out(f),
        fix_available: f.fix_available,
        exploit_available: f.exploit_available,
        urls: &f.urls,
        images: &f.images,
        state: state.map(state_name),
        ignored,
        vex: applied.and_then(|a| vex_out(&policy.vex, a)),
        baseline_state: None,
        baseline_versions: None,
    }
}

fn package_out(f: &Finding) -> PackageOut<'_> {
    PackageOut {
        name: f.package.name.as_deref(),
        version: f.package.version.as_deref(),
        fixed_in: f.package.fixed_in.as_deref(),
        manager: f.package.manager.as_deref(),
        path: f.package.path.as_deref(),
    }
}

#[derive(Serialize)]
struct VerdictOut<'a> {
    result: &'static str,
    violations: Vec<ViolationOut<'a>>,
    ignored: usize,
    /// How many of the ignored findings a VEX statement suppressed.
    vex_suppressed: usize,
    expired_ignores: Vec<IgnoreOut<'a>>,
    unused_ignores: Vec<IgnoreOut<'a>>,
}

#[derive(Serialize)]
struct ViolationOut<'a> {
    /// Index into `findings`.
    finding: usize,
    id: &'a str,
    package: Option<&'a str>,
    severity: Severity,
    rule: String,
}

#[derive(Serialize)]
struct IgnoreOut<'a> {
    id: &'a str,
    reason: &'a str,
    expires: Option<String>,
    package: Option<&'a str>,
    repository: Option<&'a str>,
    line: Option<usize>,
}

fn ignore_out(ignore: &Ignore) -> IgnoreOut<'_> {
    IgnoreOut {
        id: &ignore.id,
        reason: &ignore.reason,
        expires: ignore.expires.map(|d| d.to_string()),
        package: ignore.package.as_deref(),
        repository: ignore.repository.as_deref(),
        line: ignore.line,
    }
}

fn verdict_out<'a>(verdict: &'a Verdict, ctx: &'a Context<'a>) -> VerdictOut<'a> {
    let ignores = &ctx.policy.ignores;
    VerdictOut {
        result: verdict.outcome.as_str(),
        violations: verdict
            .violations
            .iter()
            .map(|v| {
                let f = &ctx.set.findings[v.finding];
                ViolationOut {
                    finding: v.finding,
                    id: &f.id,
                    package: f.package.name.as_deref(),
                    severity: f.severity,
                    rule: v.rule.to_string(),
                }
            })
            .collect(),
        ignored: verdict.ignored_count(),
        vex_suppressed: verdict.vex_suppressed_count(),
        expired_ignores: verdict
            .expired_ignores
            .iter()
            .filter_map(|&i| ignores.get(i))
            .map(ignore_out)
            .collect(),
        unused_ignores: verdict
            .unused_ignores
            .iter()
            .filter_map(|&i| ignores.get(i))
            .map(ignore_out)
            .collect(),
    }
}

/// RFC 3339 in UTC, as JSON Schema's `date-time` expects.
fn rfc3339(t: jiff::Timestamp) -> String {
    t.to_string()
}
