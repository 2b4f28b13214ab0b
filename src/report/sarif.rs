//! SARIF 2.1.0 report for GitHub code scanning.
//!
//! Owns the mapping of a [`ScanSet`] and its [`Verdict`] onto SARIF: one run per image (category
//! `ecr-scan-gate/<image key>/`), one rule per vulnerability id, one result per finding in the image, a
//! stable repo-relative location and fingerprint per result, and GitHub's limits (runs, results, rules,
//! tags, name and description lengths). It must not decide anything: the gate state of each finding is
//! read from the verdict, never recomputed, and nothing here can change the exit code.
//!
//! The document is streamed with serde from small structs that borrow from the findings; no
//! `serde_json::Value` of the whole document is ever built. Only indices are planned ahead; rules and
//! results are built one at a time as they are written.
//!
//! Vendor text is cleaned, clipped and checked (links) by [`super::escape`], as in every report; this
//! module only chooses the limits.
//!
//! Size: past 20 images the rest are left out; a run keeps at most 25,000 results, the most severe, and
//! fewer when the file would exceed 100,000 in all (never fewer than the 5,000 GitHub shows). Rules carry
//! less text as the file's rule count grows (`Detail`), which keeps even a full file under GitHub's
//! 10 MB gzipped. Every cut is announced in the run's `toolExecutionNotifications`.
//!
//! `security-severity` follows the gating severity ([`Finding::severity`]), not the vendor score, so the
//! Security tab and the gate agree. GitHub reads it in bands: above 9.0 critical, 7.0–8.9 high,
//! 4.0–6.9 medium, 0.1–3.9 low, 0.0 none. A rule takes the highest severity among its findings in the run;
//! it shows the highest score of those findings that, rounded to one decimal, falls inside that severity's
//! band, and otherwise a representative value of the band: critical 9.5, high 8.0, medium 5.5, low 2.0,
//! informational and unknown 0.0. A critical finding scored exactly 9.0 therefore shows 9.5: GitHub
//! would read 9.0 as high.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use sha2::{Digest, Sha256};

use super::Context;
use super::escape::{self, clip, markdown_code as code};
use crate::findings::{Finding, Image, Package, ScanSet, Severity};
use crate::policy::{FindingState, Policy, Verdict};

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
const TOOL_NAME: &str = "ecr-scan-gate";
const INFORMATION_URI: &str = "https://github.com/ecr-scan-gate/ecr-scan-gate";

// NOTE: GitHub's limits, https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#file-limits
const MAX_RUNS: usize = 20;
const MAX_RESULTS_PER_RUN: usize = 25_000;
const MAX_RULES_PER_RUN: usize = 25_000;
const MAX_TAGS: usize = 10;
/// Lengths are counted in UTF-16 code units, which bounds characters too.
const MAX_NAME_LEN: usize = 255;
const MAX_DESCRIPTION_LEN: usize = 1024;
/// GitHub shows only this many results of a run, the most severe.
const SHOWN_RESULTS_PER_RUN: usize = 5_000;
/// Results in the whole file. With this many, a run may hold fewer than 25,000 but never fewer than
/// GitHub shows; together with [`Detail`] it keeps large files under GitHub's 10 MB (gzipped).
const MAX_RESULTS_PER_FILE: usize = 100_000;
/// Budget of `fullDescription` text in the whole file, shared out over its rules.
const DESCRIPTION_BUDGET: usize = 6_000_000;
/// Below this share per rule, rules have no `fullDescription` (GitHub then shows `shortDescription`).
const MIN_FULL_DESCRIPTION_LEN: usize = 80;
/// Bound on `shortDescription` when the description budget is tight.
const MIN_SHORT_DESCRIPTION_LEN: usize = 120;
/// Bound on one piece of vendor text (package name, version, …) inside a message or help text.
const MAX_PIECE_LEN: usize = 100;
/// Packages listed in a rule's help; the rest are counted.
const MAX_HELP_PACKAGES: usize = 5;
/// Rules in the file above which a rule's help lists one package.
const MAX_RULES_WITH_FULL_HELP: usize = 10_000;
/// Rules in the file above which rules have no help (`helpUri` stays).
const MAX_RULES_WITH_HELP: usize = 50_000;

/// Writes the SARIF report of `verdict` over `ctx.set` to `w`.
///
/// One run per image, at most 20; results beyond the limits are left out, most severe kept, and each
/// cut is announced in the run's `toolExecutionNotifications`. The JSON report always has everything.
pub fn write(ctx: &Context<'_>, verdict: &Verdict, w: impl Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer(&mut w, &Log::new(ctx, verdict))?;
    w.write_all(b"\n")?;
    w.flush()
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Runs<'a>,
}

impl<'a> Log<'a> {
    fn new(ctx: &'a Context<'a>, verdict: &'a Verdict) -> Log<'a> {
        Log {
            schema: SCHEMA_URI,
            version: SARIF_VERSION,
            runs: Runs {
                set: ctx.set,
                policy: ctx.policy,
                verdict,
                tool_version: ctx.tool_version,
            },
        }
    }
}

/// The runs: planned up front (indices only), then written one image at a time.
struct Runs<'a> {
    set: &'a ScanSet,
    policy: &'a Policy,
    verdict: &'a Verdict,
    tool_version: &'a str,
}

impl Serialize for Runs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let images = &self.set.images;
        let kept = images.len().min(MAX_RUNS);
        let cap = results_per_run(kept);
        let plans: Vec<Plan<'_>> = (0..kept).map(|i| Plan::new(self.set, i, cap)).collect();
        let detail = Detail::for_rules(plans.iter().map(|p| p.rules.len()).sum());
        let mut seq = serializer.serialize_seq(Some(kept))?;
        let mut categories: HashMap<String, usize> = HashMap::new();
        for (index, (image, plan)) in images.iter().zip(&plans).enumerate() {
            let mut notifications = Vec::new();
            if plan.omitted > 0 {
                notifications.push(Notification::warning(format!(
                    "left out {} of {} findings in this image, keeping the {} most severe, to stay within \
                     GitHub's limits ({} results per run, 10 MB per file; GitHub shows the {} most severe of a \
                     run); the JSON report has all of them",
                    plan.omitted,
                    plan.total,
                    plan.results.len(),
                    MAX_RESULTS_PER_RUN,
                    SHOWN_RESULTS_PER_RUN
                )));
            }
            if index + 1 == kept && images.len() > kept {
                notifications.push(Notification::warning(format!(
                    "left out {} of {} images: GitHub accepts at most {} runs per file, so only the first \
                     {} images are here; the JSON report has all of them",
                    images.len() - kept,
                    images.len(),
                    MAX_RUNS,
                    kept
                )));
            }
            let run = Run {
                tool: Tool {
                    driver: Driver {
                        name: TOOL_NAME,
                        version: self.tool_version,
                        information_uri: INFORMATION_URI,
                        rules: Rules {
                            set: self.set,
                            plan,
                            detail,
                        },
                    },
                },
                automation_details: AutomationDetails {
                    id: category(image, &mut categories),
                },
                invocations: [Invocation {
                    execution_successful: true,
                    tool_execution_notifications: notifications,
                }],
                results: Results {
                    set: self.set,
                    policy: self.policy,
                    verdict: self.verdict,
                    image,
                    plan,
                },
                properties: RunProperties {
                    repository: bounded(&image.repository),
                    digest: image.digest.as_deref().map(bounded),
                    platform: image.platform.as_deref().map(bounded),
                    tags: image.tags.iter().map(|t| bounded(t)).collect(),
                    scan_type: image.scan.scan_type.as_str(),
                },
            };
            seq.serialize_element(&run)?;
        }
        seq.end()
    }
}

/// Results kept per run when the file has `runs` runs: 25,000 while the file stays within 100,000 in
/// all, never fewer than the 5,000 GitHub shows.
fn results_per_run(runs: usize) -> usize {
    (MAX_RESULTS_PER_FILE / runs.max(1)).clamp(SHOWN_RESULTS_PER_RUN, MAX_RESULTS_PER_RUN)
}

/// How much text each rule carries, so that files with many rules stay under GitHub's size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Detail {
    short_len: usize,
    /// `None`: no `fullDescription`.
    full_len: Option<usize>,
    /// Packages listed in `help`; `None`: no `help`.
    help_packages: Option<usize>,
}

impl Detail {
    fn for_rules(rules: usize) -> Detail {
        let share = (DESCRIPTION_BUDGET / rules.max(1)).min(MAX_DESCRIPTION_LEN);
        Detail {
            short_len: share.max(MIN_SHORT_DESCRIPTION_LEN),
            full_len: (share >= MIN_FULL_DESCRIPTION_LEN).then_some(share),
            help_packages: if rules > MAX_RULES_WITH_HELP {
                None
            } else if rules > MAX_RULES_WITH_FULL_HELP {
                Some(1)
            } else {
                Some(MAX_HELP_PACKAGES)
            },
        }
    }
}

/// `ecr-scan-gate/<image key>/`; a key seen before in this file gets `#2`, `#3`, … so that no two runs
/// share a category.
fn category(image: &Image, seen: &mut HashMap<String, usize>) -> String {
    let key = bounded(&image.key()).into_owned();
    let count = seen.entry(key.clone()).or_insert(0);
    *count += 1;
    if *count == 1 {
        format!("{TOOL_NAME}/{key}/")
    } else {
        format!("{TOOL_NAME}/{key}#{count}/")
    }
}

/// Which findings of one image become results, and under which rules.
struct Plan<'a> {
    rules: Vec<RulePlan<'a>>,
    /// (finding index, rule index), most severe first.
    results: Vec<(usize, usize)>,
    /// Findings in the image.
    total: usize,
    /// Findings left out to stay within the limits.
    omitted: usize,
}

struct RulePlan<'a> {
    id: Cow<'a, str>,
    /// Indices of this rule's findings in the run, most severe first.
    findings: Vec<usize>,
}

impl<'a> Plan<'a> {
    fn new(set: &'a ScanSet, image: usize, cap: usize) -> Plan<'a> {
        let mut order: Vec<usize> = set
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.images.contains(&image))
            .map(|(i, _)| i)
            .collect();
        order.sort_by_key(|&i| std::cmp::Reverse(set.findings[i].severity));
        let mut plan = Plan {
            rules: Vec::new(),
            results: Vec::with_capacity(order.len().min(cap)),
            total: order.len(),
            omitted: 0,
        };
        let mut by_id: HashMap<Cow<'a, str>, usize> = HashMap::new();
        for index in order {
            if plan.results.len() >= cap {
                plan.omitted += 1;
                continue;
            }
            let id = rule_id(&set.findings[index].id);
            let rule = match by_id.get(&id) {
                Some(&rule) => rule,
                None if plan.rules.len() >= MAX_RULES_PER_RUN => {
                    plan.omitted += 1;
                    continue;
                }
                None => {
                    plan.rules.push(RulePlan {
                        id: id.clone(),
                        findings: Vec::new(),
                    });
                    by_id.insert(id, plan.rules.len() - 1);
                    plan.rules.len() - 1
                }
            };
            plan.rules[rule].findings.push(index);
            plan.results.push((index, rule));
        }
        plan
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    invocations: [Invocation; 1],
    results: Results<'a>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    information_uri: &'static str,
    rules: Rules<'a>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text<'static>,
}

impl Notification {
    fn warning(text: String) -> Notification {
        Notification {
            level: "warning",
            message: Text {
                text: Cow::Owned(text),
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    repository: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<Cow<'a, str>>,
    tags: Vec<Cow<'a, str>>,
    scan_type: &'static str,
}

#[derive(Serialize)]
struct Text<'a> {
    text: Cow<'a, str>,
}

/// A run's rules, built as they are written.
struct Rules<'a> {
    set: &'a ScanSet,
    plan: &'a Plan<'a>,
    detail: Detail,
}

impl Serialize for Rules<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.plan.rules.len()))?;
        for rule in &self.plan.rules {
            seq.serialize_element(&Rule::new(self.set, rule, self.detail))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Help>,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    #[serde(rename = "security-severity")]
    security_severity: String,
}

impl<'a> Rule<'a> {
    fn new(set: &'a ScanSet, plan: &'a RulePlan<'a>, detail: Detail) -> Rule<'a> {
        let findings: Vec<&Finding> = plan.findings.iter().map(|&i| &set.findings[i]).collect();
        let severity = findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Unknown);
        let id = plan.id.as_ref();
        let short = findings
            .iter()
            .filter_map(|f| f.title.as_deref())
            .map(|t| clip(t, detail.short_len))
            .find(|t| !t.is_empty())
            .unwrap_or_else(|| Cow::Owned(format!("{id} ({severity})")));
        let full = detail.full_len.map(|len| {
            findings
                .iter()
                .filter_map(|f| f.description.as_deref())
                .map(|d| clip(d, len))
                .find(|d| !d.is_empty())
                .unwrap_or_else(|| short.clone())
        });
        let help_uri = findings
            .iter()
            .flat_map(|f| &f.urls)
            .find_map(|u| escape::http_url(u));
        let mut tags = vec!["security", "vulnerability", "container", severity.as_str()];
        if findings.iter().any(|f| fixed_in(f).is_some()) {
            tags.push("fix-available");
        }
        tags.truncate(MAX_TAGS);
        Rule {
            id,
            name: id,
            short_description: Text { text: short },
            full_description: full.map(|text| Text { text }),
            help_uri,
            help: detail
                .help_packages
                .map(|packages| help(id, severity, &findings, help_uri, packages)),
            properties: RuleProperties {
                tags,
                security_severity: security_severity(
                    severity,
                    findings
                        .iter()
                        .filter(|f| f.severity == severity)
                        .filter_map(|f| f.score),
                ),
            },
        }
    }
}

/// Short help: the severity, the packages of this rule in the run (a few) and a link.
fn help(
    id: &str,
    severity: Severity,
    findings: &[&Finding],
    url: Option<&str>,
    packages: usize,
) -> Help {
    let mut text = format!("{id}, severity {severity}. Affected packages:");
    let mut markdown = format!(
        "{}, severity **{severity}**.\n\nAffected packages:\n",
        code(id)
    );
    for (n, finding) in findings.iter().take(packages).enumerate() {
        let package = &finding.package;
        let name = piece(package.name.as_deref()).unwrap_or(Cow::Borrowed("unnamed package"));
        text.push_str(if n == 0 { " " } else { "; " });
        text.push_str(&name);
        markdown.push_str("\n- ");
        markdown.push_str(&code(&name));
        if let Some(version) = piece(package.version.as_deref()) {
            let _ = write!(text, " {version}");
            let _ = write!(markdown, " {}", code(&version));
        }
        if let Some(path) = piece(package.path.as_deref()) {
            let _ = write!(text, " at {path}");
            let _ = write!(markdown, " at {}", code(&path));
        }
        match (piece(fixed_in(finding)), finding.fix_available) {
            (Some(fixed), _) => {
                let _ = write!(text, " (fixed in {fixed})");
                let _ = write!(markdown, ", fixed in {}", code(&fixed));
            }
            (None, Some(false)) => {
                text.push_str(" (no fix available)");
                markdown.push_str(", no fix available");
            }
            (None, _) => {}
        }
    }
    if findings.len() > packages {
        let more = findings.len() - packages;
        let _ = write!(text, "; and {more} more");
        let _ = write!(markdown, "\n- and {more} more");
    }
    text.push('.');
    markdown.push('\n');
    if let Some(url) = url {
        let _ = write!(text, " More information: {url}");
        let _ = write!(markdown, "\n[More information](<{url}>)\n");
    }
    Help { text, markdown }
}

fn fixed_in(finding: &Finding) -> Option<&str> {
    finding
        .package
        .fixed_in
        .as_deref()
        .filter(|v| !v.trim().is_empty())
}

/// A run's results, built as they are written.
struct Results<'a> {
    set: &'a ScanSet,
    policy: &'a Policy,
    verdict: &'a Verdict,
    image: &'a Image,
    plan: &'a Plan<'a>,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.plan.results.len()))?;
        for &(finding, rule) in &self.plan.results {
            seq.serialize_element(&SarifResult::new(self, finding, rule))?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text<'static>,
    locations: [Location; 1],
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression<'a>; 1]>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints {
    primary_location_line_hash: String,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: &'static str,
    vendor_severity: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_version: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed_in: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_manager: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_path: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_available: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exploit_available: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_digest: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_platform: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate_rule: Option<String>,
}

impl<'a> SarifResult<'a> {
    fn new(results: &Results<'a>, index: usize, rule: usize) -> SarifResult<'a> {
        let finding = &results.set.findings[index];
        let image = results.image;
        let package = &finding.package;
        let state = results.verdict.states.get(index).copied();
        let suppression = match state {
            Some(FindingState::Ignored(i)) => Some(Suppression {
                kind: "external",
                status: "accepted",
                justification: results
                    .policy
                    .ignores
                    .get(i)
                    .map(|ignore| clip(&ignore.reason, MAX_DESCRIPTION_LEN))
                    .filter(|reason| !reason.is_empty())
                    .unwrap_or(Cow::Borrowed("ignored by the gate's policy")),
            }),
            Some(FindingState::SuppressedByScanner) => Some(Suppression {
                kind: "external",
                status: "accepted",
                justification: Cow::Borrowed("suppressed in Amazon Inspector"),
            }),
            _ => None,
        };
        let rule_id = results.plan.rules[rule].id.as_ref();
        SarifResult {
            rule_id,
            rule_index: rule,
            level: level(finding.severity),
            message: Text {
                text: Cow::Owned(message(rule_id, finding)),
            },
            locations: [Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: location_uri(&image.repository, package),
                    },
                    region: Region { start_line: 1 },
                },
            }],
            partial_fingerprints: Fingerprints {
                primary_location_line_hash: fingerprint(
                    &finding.id,
                    &image.repository,
                    package.name.as_deref(),
                    package.path.as_deref(),
                ),
            },
            suppressions: suppression.map(|s| [s]),
            properties: ResultProperties {
                severity: finding.severity.as_str(),
                vendor_severity: bounded(&finding.vendor_severity),
                score: finding.score.filter(|s| s.is_finite()),
                package_name: package.name.as_deref().map(bounded),
                package_version: package.version.as_deref().map(bounded),
                fixed_in: package.fixed_in.as_deref().map(bounded),
                package_manager: package.manager.as_deref().map(bounded),
                package_path: package.path.as_deref().map(bounded),
                fix_available: finding.fix_available,
                exploit_available: finding.exploit_available,
                image_digest: image.digest.as_deref().map(bounded),
                image_platform: image.platform.as_deref().map(bounded),
                gate_state: state.map(gate_state),
                gate_rule: match state {
                    Some(FindingState::Violating(rule)) => Some(rule.to_string()),
                    _ => None,
                },
            },
        }
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational | Severity::Unknown => "note",
    }
}

fn gate_state(state: FindingState) -> &'static str {
    match state {
        FindingState::Violating(_) => "violating",
        FindingState::Allowed => "allowed",
        FindingState::Ignored(_) => "ignored",
        FindingState::BelowThreshold => "below-threshold",
        FindingState::SuppressedByScanner => "suppressed",
    }
}

/// `CVE-2021-3711 in openssl 1.1.1k (critical, fixed in 1.1.1l)`: one line, vendor text cleaned.
fn message(rule_id: &str, finding: &Finding) -> String {
    let mut text = String::with_capacity(96);
    text.push_str(rule_id);
    if let Some(name) = piece(finding.package.name.as_deref()) {
        let _ = write!(text, " in {name}");
        if let Some(version) = piece(finding.package.version.as_deref()) {
            let _ = write!(text, " {version}");
        }
    }
    let _ = write!(text, " ({}", finding.severity);
    match (piece(fixed_in(finding)), finding.fix_available) {
        (Some(fixed), _) => {
            let _ = write!(text, ", fixed in {fixed}");
        }
        (None, Some(false)) => text.push_str(", no fix available"),
        (None, _) => {}
    }
    text.push(')');
    text
}

/// The rule id of a vulnerability id: cleaned, at most 255 long, never empty.
fn rule_id(id: &str) -> Cow<'_, str> {
    let id = clip(id, MAX_NAME_LEN);
    if id.is_empty() {
        Cow::Borrowed("unknown-vulnerability")
    } else {
        id
    }
}

/// See the module documentation.
fn security_severity(severity: Severity, scores: impl Iterator<Item = f64>) -> String {
    let (band, representative) = match severity {
        Severity::Critical => (91..=100, 95),
        Severity::High => (70..=89, 80),
        Severity::Medium => (40..=69, 55),
        Severity::Low => (1..=39, 20),
        Severity::Informational | Severity::Unknown => (0..=0, 0),
    };
    let tenths = scores
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
        .map(|s| (s * 10.0).round() as i64)
        .filter(|t| band.contains(t))
        .max()
        .unwrap_or(representative);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `ecr/<repository>/<package path>` or `ecr/<repository>/os-packages/<package name>`: repo-relative,
/// without scheme, colon, tag, digest or account. Each part is cut to its first 1,024 bytes and
/// normalised on its own (empty and `.` segments dropped, `..` removes the previous segment of that part
/// only), and every byte outside `[A-Za-z0-9._~-]` of a segment is percent-encoded.
fn location_uri(repository: &str, package: &Package) -> String {
    let mut uri = String::from("ecr");
    if !push_segments(&mut uri, repository) {
        uri.push_str("/unknown-repository");
    }
    let path_written = package
        .path
        .as_deref()
        .is_some_and(|path| push_segments(&mut uri, path));
    if !path_written {
        uri.push_str("/os-packages");
        let name = package.name.as_deref().unwrap_or_default();
        if !push_segments(&mut uri, name) {
            uri.push_str("/unnamed-package");
        }
    }
    uri
}

/// Appends `/segment` for each normalised segment of `path`; false when there were none.
fn push_segments(uri: &mut String, path: &str) -> bool {
    let end = path
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|&end| end <= MAX_DESCRIPTION_LEN)
        .last()
        .unwrap_or(0);
    let mut segments: Vec<&str> = Vec::new();
    for segment in path[..end].split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    for segment in &segments {
        uri.push('/');
        for &byte in segment.as_bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'~' | b'-') {
                uri.push(char::from(byte));
            } else {
                let _ = write!(uri, "%{byte:02X}");
            }
        }
    }
    !segments.is_empty()
}

/// GitHub's alert identity for a result: vulnerability id, repository, package name and path, never
/// version, tag or digest. 16 hex digits of SHA-256 and `:1`, the shape CodeQL uses.
fn fingerprint(id: &str, repository: &str, name: Option<&str>, path: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    for part in [Some(id), Some(repository), name, path] {
        match part {
            Some(part) => {
                hasher.update([1u8]);
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
            None => hasher.update([0u8]),
        }
    }
    let digest = hasher.finalize();
    let mut hash = String::with_capacity(18);
    for byte in &digest[..8] {
        let _ = write!(hash, "{byte:02x}");
    }
    hash.push_str(":1");
    hash
}

/// Vendor text for properties: [`one_line`](escape::one_line) and at most 1,024 long.
fn bounded(text: &str) -> Cow<'_, str> {
    clip(text, MAX_DESCRIPTION_LEN)
}

/// A piece of vendor text for messages and help: clipped, `None` when absent or blank.
fn piece(text: Option<&str>) -> Option<Cow<'_, str>> {
    text.map(|t| clip(t, MAX_PIECE_LEN))
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    use flate2::Compression;
    use flate2::write::GzEncoder;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::findings::{ImageScan, ScanInfo, ScanType, merge};
    use crate::policy::{Ignore, evaluate};

    const TOOL_VERSION: &str = "0.0.0-test";

    fn image(repository: &str, platform: Option<&str>, digest: &str) -> Image {
        Image {
            repository: repository.into(),
            registry_id: Some("123456789012".into()),
            region: Some("eu-west-1".into()),
            digest: Some(digest.into()),
            tags: vec!["v1.2.3".into()],
            platform: platform.map(Into::into),
            scan: ScanInfo {
                scan_type: ScanType::Basic,
                status: "COMPLETE".into(),
                description: None,
                completed_at: None,
                source_updated_at: None,
            },
        }
    }

    fn finding(
        id: &str,
        severity: Severity,
        score: Option<f64>,
        name: &str,
        version: &str,
    ) -> Finding {
        Finding {
            id: id.into(),
            severity,
            vendor_severity: severity.as_str().to_ascii_uppercase(),
            score,
            vector: None,
            title: None,
            description: Some(format!("{id} description")),
            package: Package {
                name: Some(name.into()),
                version: Some(version.into()),
                ..Package::default()
            },
            fix_available: None,
            exploit_available: None,
            urls: vec![format!("https://nvd.nist.gov/vuln/detail/{id}")],
            suppressed_by_scanner: false,
            images: vec![0],
        }
    }

    fn one_image(findings: Vec<Finding>) -> ScanSet {
        let mut set = ScanSet {
            images: vec![image(
                "payments/api",
                Some("linux/amd64"),
                "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
            )],
            findings,
            warnings: Vec::new(),
        };
        set.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        set
    }

    fn render(set: &ScanSet, policy: &Policy) -> Value {
        let verdict = evaluate(set, policy, jiff::civil::date(2026, 1, 1));
        let result = crate::run::testing::verdict(&verdict, false);
        let ctx = Context {
            set,
            policy,
            result: &result,
            tool_version: TOOL_VERSION,
        };
        let mut out = Vec::new();
        write(&ctx, &verdict, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    /// Renders, validates against the SARIF schema and checks GitHub's limits.
    fn checked(set: &ScanSet, policy: &Policy) -> Value {
        let doc = render(set, policy);
        assert_schema_valid(&doc);
        assert_within_limits(&doc);
        doc
    }

    fn assert_schema_valid(doc: &Value) {
        static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
        let validator = VALIDATOR.get_or_init(|| {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/schemas/sarif-schema-2.1.0.json"
            );
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap()
        });
        let errors: Vec<String> = validator
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "schema errors: {errors:#?}");
    }

    fn utf16_len(text: &str) -> usize {
        text.encode_utf16().count()
    }

    fn is_one_clean_line(text: &str) -> bool {
        !text
            .chars()
            .any(|c| escape::is_hidden(c) || (c.is_whitespace() && c != ' '))
    }

    /// GitHub's reading of a `security-severity` value.
    fn github_band(value: &str) -> &'static str {
        let score: f64 = value.parse().unwrap();
        if score > 9.0 {
            "critical"
        } else if (7.0..=8.9).contains(&score) {
            "high"
        } else if (4.0..=6.9).contains(&score) {
            "medium"
        } else if (0.1..=3.9).contains(&score) {
            "low"
        } else if score == 0.0 {
            "none"
        } else {
            "outside every band"
        }
    }

    fn assert_within_limits(doc: &Value) {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        serde_json::to_writer(&mut gz, doc).unwrap();
        assert!(gz.finish().unwrap().len() <= 10 * 1024 * 1024);
        let runs = doc["runs"].as_array().unwrap();
        assert!(runs.len() <= MAX_RUNS);
        let mut categories = Vec::new();
        for run in runs {
            categories.push(run["automationDetails"]["id"].as_str().unwrap().to_string());
            let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
            let results = run["results"].as_array().unwrap();
            assert!(rules.len() <= MAX_RULES_PER_RUN);
            assert!(results.len() <= MAX_RESULTS_PER_RUN);
            let mut highest: Vec<Option<Severity>> = vec![None; rules.len()];
            for rule in rules {
                let tags = rule["properties"]["tags"].as_array().unwrap();
                assert!(tags.len() <= MAX_TAGS);
                assert!(tags.iter().any(|t| t == "security"));
                let name = rule["name"].as_str().unwrap();
                assert!(utf16_len(name) <= MAX_NAME_LEN);
                assert!(!rule["id"].as_str().unwrap().is_empty());
                assert!(rule["shortDescription"]["text"].is_string());
                for key in ["shortDescription", "fullDescription"] {
                    let Some(text) = rule[key]["text"].as_str() else {
                        continue;
                    };
                    assert!(utf16_len(text) <= MAX_DESCRIPTION_LEN, "{key}: {text}");
                    assert!(is_one_clean_line(text), "{key}: {text:?}");
                }
                if let Some(help) = rule["help"]["text"].as_str() {
                    assert!(is_one_clean_line(help), "{help:?}");
                }
            }
            for result in results {
                let locations = result["locations"].as_array().unwrap();
                assert_eq!(locations.len(), 1);
                let uri = locations[0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap();
                assert!(uri.starts_with("ecr/"), "{uri}");
                assert!(
                    uri.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._~/-%".contains(&b)),
                    "{uri}"
                );
                assert!(
                    !uri.split('/')
                        .any(|s| s.is_empty() || s == "." || s == "..")
                );
                let text = result["message"]["text"].as_str().unwrap();
                assert!(is_one_clean_line(text), "{text:?}");
                let hash = result["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap();
                assert!(hash.len() == 18 && hash.ends_with(":1"), "{hash}");
                let index = result["ruleIndex"].as_u64().unwrap() as usize;
                let rule = &rules[index];
                assert_eq!(rule["id"], result["ruleId"]);
                let expected_level = match result["properties"]["severity"].as_str().unwrap() {
                    "critical" | "high" => "error",
                    "medium" => "warning",
                    _ => "note",
                };
                assert_eq!(result["level"], expected_level);
                let severity =
                    Severity::parse_name(result["properties"]["severity"].as_str().unwrap());
                let highest = &mut highest[index];
                *highest = (*highest).max(severity);
            }
            for (rule, severity) in rules.iter().zip(highest) {
                let id = &rule["id"];
                let severity = severity.expect("every rule has a result");
                let band = github_band(rule["properties"]["security-severity"].as_str().unwrap());
                let expected = match severity {
                    Severity::Informational | Severity::Unknown => "none",
                    other => other.as_str(),
                };
                assert_eq!(band, expected, "rule {id}");
                assert!(
                    rule["properties"]["tags"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|t| t == severity.as_str())
                );
            }
        }
        let total = categories.len();
        categories.sort();
        categories.dedup();
        assert_eq!(categories.len(), total, "categories must be distinct");
    }

    fn results(doc: &Value, run: usize) -> &Vec<Value> {
        doc["runs"][run]["results"].as_array().unwrap()
    }

    fn rules(doc: &Value, run: usize) -> &Vec<Value> {
        doc["runs"][run]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
    }

    fn rule_of<'a>(doc: &'a Value, id: &str) -> &'a Value {
        rules(doc, 0).iter().find(|r| r["id"] == id).unwrap()
    }

    fn result_of<'a>(doc: &'a Value, id: &str) -> &'a Value {
        results(doc, 0).iter().find(|r| r["ruleId"] == id).unwrap()
    }

    fn uri(result: &Value) -> &str {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
    }

    fn hash(result: &Value) -> &str {
        result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap()
    }

    #[test]
    fn basic_scan_maps_severity_score_and_level() {
        let set = one_image(vec![
            finding(
                "CVE-2021-3711",
                Severity::Critical,
                Some(9.8),
                "openssl",
                "1.1.1k",
            ),
            finding(
                "CVE-2022-0001",
                Severity::Medium,
                Some(5.3),
                "zlib",
                "1.2.11",
            ),
            finding("CVE-2022-0002", Severity::Low, Some(9.1), "bash", "5.1"),
            finding(
                "CVE-2022-0003",
                Severity::Informational,
                Some(2.0),
                "tar",
                "1.34",
            ),
            finding("CVE-2022-0004", Severity::Unknown, None, "gzip", "1.10"),
        ]);
        let doc = checked(&set, &Policy::default());
        assert_eq!(doc["$schema"], SCHEMA_URI);
        assert_eq!(doc["version"], "2.1.0");
        let run = &doc["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "ecr-scan-gate");
        assert_eq!(run["tool"]["driver"]["version"], TOOL_VERSION);
        assert_eq!(
            run["automationDetails"]["id"],
            "ecr-scan-gate/payments/api/linux/amd64/"
        );
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
        assert!(
            run["invocations"][0]
                .get("toolExecutionNotifications")
                .is_none()
        );

        let critical = result_of(&doc, "CVE-2021-3711");
        assert_eq!(critical["level"], "error");
        assert_eq!(
            critical["message"]["text"],
            "CVE-2021-3711 in openssl 1.1.1k (critical)"
        );
        assert_eq!(critical["properties"]["score"], 9.8);
        assert_eq!(critical["properties"]["gateState"], "violating");
        assert_eq!(critical["properties"]["gateRule"], "fail-on = high");
        assert_eq!(critical["properties"]["vendorSeverity"], "CRITICAL");
        assert!(critical.get("suppressions").is_none());
        let rule = rule_of(&doc, "CVE-2021-3711");
        assert_eq!(rule["properties"]["security-severity"], "9.8");
        assert_eq!(
            rule["helpUri"],
            "https://nvd.nist.gov/vuln/detail/CVE-2021-3711"
        );
        assert_eq!(
            critical["ruleIndex"].as_u64().unwrap() as usize,
            rules(&doc, 0)
                .iter()
                .position(|r| r["id"] == "CVE-2021-3711")
                .unwrap()
        );

        assert_eq!(result_of(&doc, "CVE-2022-0001")["level"], "warning");
        assert_eq!(
            result_of(&doc, "CVE-2022-0001")["properties"]["gateState"],
            "below-threshold"
        );
        assert_eq!(
            rule_of(&doc, "CVE-2022-0001")["properties"]["security-severity"],
            "5.3"
        );
        assert_eq!(result_of(&doc, "CVE-2022-0002")["level"], "note");
        assert_eq!(
            rule_of(&doc, "CVE-2022-0002")["properties"]["security-severity"],
            "2.0"
        );
        assert_eq!(result_of(&doc, "CVE-2022-0003")["level"], "note");
        assert_eq!(
            rule_of(&doc, "CVE-2022-0003")["properties"]["security-severity"],
            "0.0"
        );
        assert!(
            result_of(&doc, "CVE-2022-0004")["properties"]
                .get("score")
                .is_none()
        );
    }

    #[test]
    fn enhanced_finding_reports_fix_and_exploit_without_score() {
        let mut f = finding(
            "GHSA-j8r2-6x86-q33q",
            Severity::High,
            None,
            "requests",
            "2.19.0",
        );
        f.title = Some("GHSA-j8r2-6x86-q33q - requests".into());
        f.package.fixed_in = Some("2.20.0".into());
        f.package.manager = Some("PYTHONPKG".into());
        f.package.path = Some(
            "/usr/local/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA".into(),
        );
        f.fix_available = Some(true);
        f.exploit_available = Some(true);
        let mut unfixable = finding("CVE-2023-9999", Severity::Medium, None, "glibc", "2.36");
        unfixable.fix_available = Some(false);
        let doc = checked(&one_image(vec![f, unfixable]), &Policy::default());

        let result = result_of(&doc, "GHSA-j8r2-6x86-q33q");
        assert_eq!(
            result["message"]["text"],
            "GHSA-j8r2-6x86-q33q in requests 2.19.0 (high, fixed in 2.20.0)"
        );
        let properties = &result["properties"];
        assert!(properties.get("score").is_none());
        assert_eq!(properties["fixedIn"], "2.20.0");
        assert_eq!(properties["fixAvailable"], true);
        assert_eq!(properties["exploitAvailable"], true);
        assert_eq!(properties["packageManager"], "PYTHONPKG");
        assert_eq!(
            uri(result),
            "ecr/payments/api/usr/local/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA"
        );
        let rule = rule_of(&doc, "GHSA-j8r2-6x86-q33q");
        assert_eq!(rule["properties"]["security-severity"], "8.0");
        assert_eq!(
            rule["shortDescription"]["text"],
            "GHSA-j8r2-6x86-q33q - requests"
        );
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.iter().any(|t| t == "fix-available"));
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("fixed in `2.20.0`")
        );

        let unfixable = result_of(&doc, "CVE-2023-9999");
        assert_eq!(
            unfixable["message"]["text"],
            "CVE-2023-9999 in glibc 2.36 (medium, no fix available)"
        );
        assert_eq!(uri(unfixable), "ecr/payments/api/os-packages/glibc");
    }

    #[test]
    fn merged_platform_images_get_one_run_each() {
        let scan = |platform: &str, digest: &str, findings: Vec<Finding>| ImageScan {
            image: image("payments/api", Some(platform), digest),
            findings,
            declared_counts: None,
            listed_counts: BTreeMap::new(),
            warnings: Vec::new(),
        };
        let shared = finding(
            "CVE-2021-3711",
            Severity::Critical,
            Some(9.8),
            "openssl",
            "1.1.1k",
        );
        let arm_only = finding("CVE-2024-1111", Severity::High, Some(7.5), "libarm", "1.0");
        let set = merge(vec![
            scan("linux/amd64", "sha256:aaaa", vec![shared.clone()]),
            scan("linux/arm64", "sha256:bbbb", vec![shared, arm_only]),
        ]);
        assert_eq!(set.findings.len(), 2);
        let doc = checked(&set, &Policy::default());
        let runs = doc["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs[0]["automationDetails"]["id"],
            "ecr-scan-gate/payments/api/linux/amd64/"
        );
        assert_eq!(
            runs[1]["automationDetails"]["id"],
            "ecr-scan-gate/payments/api/linux/arm64/"
        );
        assert_eq!(results(&doc, 0).len(), 1);
        assert_eq!(rules(&doc, 0).len(), 1);
        assert_eq!(results(&doc, 1).len(), 2);
        assert_eq!(rules(&doc, 1).len(), 2);
        assert_eq!(
            results(&doc, 0)[0]["properties"]["imageDigest"],
            "sha256:aaaa"
        );
        assert_eq!(
            results(&doc, 1)[0]["properties"]["imageDigest"],
            "sha256:bbbb"
        );
        assert_eq!(
            results(&doc, 1)[0]["properties"]["imagePlatform"],
            "linux/arm64"
        );
        assert_eq!(hash(&results(&doc, 0)[0]), hash(&results(&doc, 1)[0]));
        assert_eq!(runs[1]["properties"]["platform"], "linux/arm64");
    }

    #[test]
    fn ignored_and_scanner_suppressed_findings_carry_suppressions() {
        let mut suppressed = finding("CVE-2024-2222", Severity::High, Some(7.0), "curl", "8.0");
        suppressed.suppressed_by_scanner = true;
        let set = one_image(vec![
            finding(
                "CVE-2021-3711",
                Severity::Critical,
                Some(9.8),
                "openssl",
                "1.1.1k",
            ),
            suppressed,
        ]);
        let policy = Policy {
            ignores: vec![Ignore {
                id: "cve-2021-3711".into(),
                reason: "not reachable: TLS is terminated at the load balancer".into(),
                expires: Some(jiff::civil::date(2027, 3, 31)),
                package: None,
                repository: None,
                line: Some(3),
            }],
            ..Policy::default()
        };
        let doc = checked(&set, &policy);
        let ignored = result_of(&doc, "CVE-2021-3711");
        assert_eq!(ignored["properties"]["gateState"], "ignored");
        assert_eq!(
            ignored["suppressions"],
            serde_json::json!([{
                "kind": "external",
                "status": "accepted",
                "justification": "not reachable: TLS is terminated at the load balancer"
            }])
        );
        let suppressed = result_of(&doc, "CVE-2024-2222");
        assert_eq!(suppressed["properties"]["gateState"], "suppressed");
        assert_eq!(suppressed["suppressions"][0]["kind"], "external");
        assert_eq!(
            suppressed["suppressions"][0]["justification"],
            "suppressed in Amazon Inspector"
        );
    }

    #[test]
    fn zero_findings_give_empty_runs() {
        let mut set = one_image(Vec::new());
        set.images
            .push(image("payments/api", Some("linux/arm64"), "sha256:bbbb"));
        let doc = checked(&set, &Policy::default());
        let runs = doc["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        for run in 0..2 {
            assert_eq!(results(&doc, run).len(), 0);
            assert_eq!(rules(&doc, run).len(), 0);
        }
    }

    #[test]
    fn no_images_give_no_runs() {
        let doc = checked(&ScanSet::default(), &Policy::default());
        assert_eq!(doc["runs"], serde_json::json!([]));
    }

    /// The parts of a markdown text outside code spans.
    fn outside_code_spans(markdown: &str) -> String {
        let bytes = markdown.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'`' {
                let next = markdown[i..].find('`').map_or(markdown.len(), |n| i + n);
                out.push_str(&markdown[i..next]);
                i = next;
                continue;
            }
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            let fence = "`".repeat(run);
            let mut search = i + run;
            let close = loop {
                let Some(at) = markdown[search..].find(&fence).map(|n| search + n) else {
                    panic!("unclosed code span in {markdown:?}");
                };
                let len = bytes[at..].iter().take_while(|&&b| b == b'`').count();
                if len == run {
                    break at;
                }
                search = at + len;
            };
            i = close + run;
        }
        out
    }

    #[test]
    fn hostile_vendor_text_is_neutralised() {
        let mut f = finding(
            "CVE-2024-0001\u{202E}\n",
            Severity::Critical,
            Some(9.9),
            "`evil` @octocat <img src=x onerror=alert(1)>",
            "1.0\u{0007}\r\n::error::pwned",
        );
        f.title = Some("::warning file=x::title\u{2066}with bidi\u{2069} <b>bold</b>".into());
        f.description = Some(format!(
            "first line\n::error::pwned\r\n<script>alert(1)</script> @octocat **bold** | a | b |\t\u{0}{}",
            "long text ".repeat(500)
        ));
        f.package.path = Some("/app/../../etc/passwd: x".into());
        f.package.fixed_in = Some("[link](javascript:alert(1))".into());
        f.urls = vec![
            "javascript:alert(1)".into(),
            "https://example.com/a b".into(),
            "https://user:pw@example.com/".into(),
            "https://example.com:abc/".into(),
            "https://nvd.nist.gov/vuln/detail/CVE-2024-0001?x=1#top".into(),
        ];
        let mut g = finding("", Severity::High, None, "", "");
        g.package.name = None;
        g.package.version = None;
        g.urls.clear();
        let mut set = one_image(vec![f, g]);
        set.images[0].repository = "team/../app name:1".into();
        set.images[0].platform = Some("linux/amd64\n::error::x".into());
        let doc = checked(&set, &Policy::default());

        let rule = &rules(&doc, 0)[0];
        assert_eq!(rule["id"], "CVE-2024-0001");
        assert_eq!(
            rule["helpUri"],
            "https://nvd.nist.gov/vuln/detail/CVE-2024-0001?x=1#top"
        );
        assert_eq!(
            rule["shortDescription"]["text"],
            "::warning file=x::titlewith bidi <b>bold</b>"
        );
        let full = rule["fullDescription"]["text"].as_str().unwrap();
        assert!(full.starts_with("first line ::error::pwned <script>alert(1)</script> @octocat"));
        assert!(full.ends_with('…'));
        assert_eq!(utf16_len(full), MAX_DESCRIPTION_LEN);
        let markdown = rule["help"]["markdown"].as_str().unwrap();
        assert!(markdown.contains("`` `evil` @octocat <img src=x onerror=alert(1)> ``"));
        let outside = outside_code_spans(markdown);
        for bad in ["@", "<img", "javascript:", "::error"] {
            assert!(
                !outside.contains(bad),
                "{bad} outside code spans: {outside}"
            );
        }
        assert!(outside.contains("[More information](<https://nvd.nist.gov/"));

        let evil = &results(&doc, 0)[0];
        assert_eq!(
            evil["message"]["text"],
            "CVE-2024-0001 in `evil` @octocat <img src=x onerror=alert(1)> 1.0 ::error::pwned \
             (critical, fixed in [link](javascript:alert(1)))"
        );
        assert_eq!(uri(evil), "ecr/app%20name%3A1/etc/passwd%3A%20x");
        assert_eq!(
            evil["properties"]["imagePlatform"],
            "linux/amd64 ::error::x"
        );
        assert_eq!(
            doc["runs"][0]["automationDetails"]["id"],
            "ecr-scan-gate/team/../app name:1/linux/amd64 ::error::x/"
        );

        let anonymous = &results(&doc, 0)[1];
        assert_eq!(anonymous["ruleId"], "unknown-vulnerability");
        assert_eq!(anonymous["message"]["text"], "unknown-vulnerability (high)");
        assert_eq!(
            uri(anonymous),
            "ecr/app%20name%3A1/os-packages/unnamed-package"
        );
        assert!(rules(&doc, 0)[1].get("helpUri").is_none());
    }

    #[test]
    fn locations_have_no_colon_tag_digest_or_account() {
        let mut set = one_image(vec![
            finding(
                "CVE-2021-3711",
                Severity::Critical,
                Some(9.8),
                "openssl",
                "1.1.1k",
            ),
            finding(
                "CVE-2022-0001",
                Severity::High,
                Some(7.1),
                "lib:colon name",
                "1:2.3-4",
            ),
        ]);
        set.images[0].tags = vec!["release-2026".into()];
        let doc = checked(&set, &Policy::default());
        let digest = set.images[0].digest.clone().unwrap();
        for result in results(&doc, 0) {
            let uri = uri(result);
            assert!(!uri.contains(':'), "{uri}");
            for leaked in [
                "sha256",
                &digest[7..19],
                "release-2026",
                "123456789012",
                "eu-west-1",
                "1.1.1k",
            ] {
                assert!(!uri.contains(leaked), "{leaked} in {uri}");
            }
        }
        assert_eq!(
            uri(result_of(&doc, "CVE-2022-0001")),
            "ecr/payments/api/os-packages/lib%3Acolon%20name"
        );
    }

    #[test]
    fn location_uri_normalises_segments_within_each_part() {
        let at = |repository: &str, name: Option<&str>, path: Option<&str>| {
            location_uri(
                repository,
                &Package {
                    name: name.map(Into::into),
                    path: path.map(Into::into),
                    ..Package::default()
                },
            )
        };
        assert_eq!(
            at("a/b", Some("x"), Some("//usr/./lib/../lib64/")),
            "ecr/a/b/usr/lib64"
        );
        assert_eq!(at("a", Some("x"), Some("../../..")), "ecr/a/os-packages/x");
        assert_eq!(
            at("", Some("../x"), None),
            "ecr/unknown-repository/os-packages/x"
        );
        assert_eq!(at("a", Some("~é%"), None), "ecr/a/os-packages/~%C3%A9%25");
        assert_eq!(at("a", Some("..."), None), "ecr/a/os-packages/...");
        assert_eq!(at("a", None, Some("")), "ecr/a/os-packages/unnamed-package");
    }

    #[test]
    fn fingerprints_ignore_version_tag_and_digest_but_not_package_or_path() {
        let render_one =
            |version: &str, digest: &str, tag: &str, name: &str, path: Option<&str>| {
                let mut f = finding(
                    "CVE-2021-3711",
                    Severity::Critical,
                    Some(9.8),
                    name,
                    version,
                );
                f.package.path = path.map(Into::into);
                let mut set = one_image(vec![f]);
                set.images[0].digest = Some(digest.into());
                set.images[0].tags = vec![tag.into()];
                hash(&render(&set, &Policy::default())["runs"][0]["results"][0]).to_string()
            };
        let base = render_one("1.1.1k", "sha256:aaaa", "v1", "openssl", None);
        assert_eq!(
            base,
            render_one("1.1.1w", "sha256:bbbb", "v2", "openssl", None)
        );
        assert_ne!(
            base,
            render_one("1.1.1k", "sha256:aaaa", "v1", "libssl", None)
        );
        assert_ne!(
            base,
            render_one("1.1.1k", "sha256:aaaa", "v1", "openssl", Some("/opt/lib"))
        );
        assert_ne!(
            render_one("1", "sha256:a", "v1", "openssl", Some("/opt/a")),
            render_one("1", "sha256:a", "v1", "openssl", Some("/opt/b"))
        );
        assert_ne!(
            fingerprint("CVE-1", "repo", Some("ab"), Some("c")),
            fingerprint("CVE-1", "repo", Some("a"), Some("bc"))
        );
        assert_ne!(
            fingerprint("CVE-1", "repo", Some("a"), None),
            fingerprint("CVE-1", "repo", Some("a"), Some(""))
        );
        assert_ne!(
            fingerprint("CVE-1", "repo-a", Some("a"), None),
            fingerprint("CVE-1", "repo-b", Some("a"), None)
        );
    }

    #[test]
    fn security_severity_stays_in_the_band_of_the_gating_severity() {
        let cases: [(Severity, &[f64], &str); 16] = [
            (Severity::Critical, &[9.8], "9.8"),
            (Severity::Critical, &[9.0], "9.5"),
            (Severity::Critical, &[9.04], "9.5"),
            (Severity::Critical, &[], "9.5"),
            (Severity::Critical, &[10.0], "10.0"),
            (Severity::High, &[9.8], "8.0"),
            (Severity::High, &[7.5], "7.5"),
            (Severity::High, &[8.96], "8.0"),
            (Severity::High, &[7.2, 8.1, 9.9], "8.1"),
            (Severity::High, &[f64::NAN, f64::INFINITY], "8.0"),
            (Severity::Medium, &[5.3], "5.3"),
            (Severity::Low, &[0.0], "2.0"),
            (Severity::Low, &[0.04], "2.0"),
            (Severity::Low, &[3.1], "3.1"),
            (Severity::Informational, &[5.0], "0.0"),
            (Severity::Unknown, &[], "0.0"),
        ];
        for (severity, scores, expected) in cases {
            let value = security_severity(severity, scores.iter().copied());
            assert_eq!(value, expected, "{severity} {scores:?}");
            let band = match severity {
                Severity::Informational | Severity::Unknown => "none",
                other => other.as_str(),
            };
            assert_eq!(github_band(&value), band, "{severity} {scores:?}");
        }
    }

    #[test]
    fn rule_takes_the_highest_severity_of_its_findings() {
        let mut in_path = finding("CVE-2024-3333", Severity::Critical, Some(9.3), "lib", "1");
        in_path.package.path = Some("/opt/lib".into());
        let set = one_image(vec![
            finding("CVE-2024-3333", Severity::Medium, Some(9.9), "lib", "1"),
            in_path,
        ]);
        let doc = checked(&set, &Policy::default());
        assert_eq!(rules(&doc, 0).len(), 1);
        assert_eq!(results(&doc, 0).len(), 2);
        let rule = &rules(&doc, 0)[0];
        assert_eq!(rule["properties"]["security-severity"], "9.3");
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "critical")
        );
        assert_ne!(hash(&results(&doc, 0)[0]), hash(&results(&doc, 0)[1]));
    }

    #[test]
    fn more_than_twenty_images_keep_the_first_twenty_and_say_so() {
        let mut set = one_image(Vec::new());
        set.images = (0..23)
            .map(|i| image(&format!("repo-{i}"), None, "sha256:aaaa"))
            .collect();
        set.findings = vec![finding(
            "CVE-2021-3711",
            Severity::High,
            Some(7.5),
            "openssl",
            "1",
        )];
        set.findings[0].images = (0..23).collect();
        let doc = checked(&set, &Policy::default());
        let runs = doc["runs"].as_array().unwrap();
        assert_eq!(runs.len(), MAX_RUNS);
        assert_eq!(
            runs[19]["automationDetails"]["id"],
            "ecr-scan-gate/repo-19/"
        );
        for run in &runs[..19] {
            assert!(
                run["invocations"][0]
                    .get("toolExecutionNotifications")
                    .is_none()
            );
        }
        let notice = &runs[19]["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(notice["level"], "warning");
        let text = notice["message"]["text"].as_str().unwrap();
        assert!(text.starts_with("left out 3 of 23 images"), "{text}");
        assert!(text.contains("JSON report"));
    }

    #[test]
    fn images_with_the_same_key_get_distinct_categories() {
        let mut set = one_image(Vec::new());
        set.images = vec![
            image("payments/api", None, "sha256:aaaa"),
            image("payments/api", None, "sha256:bbbb"),
        ];
        let doc = checked(&set, &Policy::default());
        assert_eq!(
            doc["runs"][0]["automationDetails"]["id"],
            "ecr-scan-gate/payments/api/"
        );
        assert_eq!(
            doc["runs"][1]["automationDetails"]["id"],
            "ecr-scan-gate/payments/api#2/"
        );
    }

    #[test]
    fn more_than_25000_findings_keep_the_most_severe_and_say_so() {
        let severities = [
            Severity::Low,
            Severity::Critical,
            Severity::Medium,
            Severity::High,
        ];
        let findings: Vec<Finding> = (0..30_000)
            .map(|i| Finding {
                id: format!("CVE-2024-{i}"),
                severity: severities[i % 4],
                vendor_severity: String::new(),
                score: None,
                vector: None,
                title: None,
                description: None,
                package: Package {
                    name: Some(format!("pkg{i}")),
                    version: Some("1".into()),
                    ..Package::default()
                },
                fix_available: None,
                exploit_available: None,
                urls: Vec::new(),
                suppressed_by_scanner: false,
                images: vec![0],
            })
            .collect();
        let set = one_image(findings);
        let doc = render(&set, &Policy::default());
        assert_within_limits(&doc);
        assert_eq!(results(&doc, 0).len(), MAX_RESULTS_PER_RUN);
        assert_eq!(rules(&doc, 0).len(), MAX_RULES_PER_RUN);
        let kept_low = results(&doc, 0)
            .iter()
            .filter(|r| r["properties"]["severity"] == "low")
            .count();
        assert_eq!(kept_low, 7_500 - 5_000);
        let notice = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(notice["level"], "warning");
        let text = notice["message"]["text"].as_str().unwrap();
        assert!(
            text.starts_with("left out 5000 of 30000 findings"),
            "{text}"
        );
        assert!(text.contains("JSON report has all of them"));
    }

    #[test]
    fn large_files_keep_fewer_results_per_run_but_never_fewer_than_github_shows() {
        assert_eq!(results_per_run(0), 25_000);
        assert_eq!(results_per_run(1), 25_000);
        assert_eq!(results_per_run(4), 25_000);
        assert_eq!(results_per_run(5), 20_000);
        assert_eq!(results_per_run(20), 5_000);
    }

    #[test]
    fn many_rules_carry_less_text() {
        let full = Detail::for_rules(100);
        assert_eq!(
            full,
            Detail {
                short_len: 1024,
                full_len: Some(1024),
                help_packages: Some(5)
            }
        );
        assert_eq!(Detail::for_rules(0), full);
        assert_eq!(
            Detail::for_rules(25_000),
            Detail {
                short_len: 240,
                full_len: Some(240),
                help_packages: Some(1)
            }
        );
        assert_eq!(
            Detail::for_rules(100_000),
            Detail {
                short_len: 120,
                full_len: None,
                help_packages: None
            }
        );
    }

    #[test]
    fn compact_rules_drop_full_description_and_help_but_keep_the_link() {
        let mut f = finding(
            "CVE-2021-3711",
            Severity::Critical,
            Some(9.8),
            "openssl",
            "1.1.1k",
        );
        f.title = Some("a long title ".repeat(100));
        let set = one_image(vec![f]);
        let plan = Plan::new(&set, 0, MAX_RESULTS_PER_RUN);
        let rule =
            serde_json::to_value(Rule::new(&set, &plan.rules[0], Detail::for_rules(100_000)))
                .unwrap();
        assert!(rule.get("fullDescription").is_none());
        assert!(rule.get("help").is_none());
        assert_eq!(
            rule["helpUri"],
            "https://nvd.nist.gov/vuln/detail/CVE-2021-3711"
        );
        let short = rule["shortDescription"]["text"].as_str().unwrap();
        assert!(utf16_len(short) <= MIN_SHORT_DESCRIPTION_LEN && short.ends_with('…'));
        assert_eq!(rule["properties"]["security-severity"], "9.8");
    }

    #[test]
    fn snapshot_of_a_small_realistic_report() {
        let mut openssl = finding(
            "CVE-2021-3711",
            Severity::Critical,
            Some(9.8),
            "openssl",
            "1.1.1k-r0",
        );
        openssl.title = Some("CVE-2021-3711 - openssl".into());
        openssl.description = Some(
            "In order to decrypt SM2 encrypted data an application is expected to call the API function \
             EVP_PKEY_decrypt()."
                .into(),
        );
        openssl.package.fixed_in = Some("1.1.1l-r0".into());
        openssl.package.manager = Some("OS".into());
        openssl.fix_available = Some(true);
        openssl.exploit_available = Some(false);
        let mut requests = finding(
            "CVE-2018-18074",
            Severity::High,
            Some(7.5),
            "requests",
            "2.19.0",
        );
        requests.package.path = Some(
            "/app/.venv/lib/python3.12/site-packages/requests-2.19.0.dist-info/METADATA".into(),
        );
        requests.package.fixed_in = Some("2.20.0".into());
        requests.package.manager = Some("PYTHONPKG".into());
        requests.fix_available = Some(true);
        let mut zlib = finding(
            "CVE-2022-37434",
            Severity::Medium,
            None,
            "zlib",
            "1.2.12-r1",
        );
        zlib.fix_available = Some(false);
        let set = one_image(vec![openssl, requests, zlib]);
        let policy = Policy {
            ignores: vec![Ignore {
                id: "CVE-2018-18074".into(),
                reason: "requests is only used by the build tooling".into(),
                expires: Some(jiff::civil::date(2026, 6, 30)),
                package: Some("requests".into()),
                repository: None,
                line: Some(7),
            }],
            ..Policy::default()
        };
        let verdict = evaluate(&set, &policy, jiff::civil::date(2026, 1, 1));
        let result = crate::run::testing::verdict(&verdict, false);
        let ctx = Context {
            set: &set,
            policy: &policy,
            result: &result,
            tool_version: TOOL_VERSION,
        };
        let pretty = serde_json::to_string_pretty(&Log::new(&ctx, &verdict)).unwrap();
        let mut streamed = Vec::new();
        write(&ctx, &verdict, &mut streamed).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&streamed).unwrap(),
            serde_json::from_str::<Value>(&pretty).unwrap()
        );
        assert_schema_valid(&serde_json::from_str(&pretty).unwrap());
        insta::assert_snapshot!(pretty);
    }

    fn arb_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9._-]{0,12}",
            "(?s).{0,40}",
            Just("::error::x\n@octocat <b>`x`</b>\u{202E}".to_string()),
            Just("..".to_string()),
        ]
    }

    fn arb_url() -> impl Strategy<Value = String> {
        prop_oneof![
            "https?://[a-zA-Z0-9.:-]{0,12}[/?#%@!$&'()*+,;=a-zA-Z0-9._~-]{0,30}",
            "(?s).{0,30}",
        ]
    }

    fn arb_image() -> impl Strategy<Value = Image> {
        (
            arb_text(),
            proptest::option::of(arb_text()),
            arb_text(),
            arb_text(),
        )
            .prop_map(|(repository, platform, digest, tag)| {
                let mut image = image(&repository, platform.as_deref(), &digest);
                image.tags = vec![tag];
                image
            })
    }

    fn arb_score() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            Just(None),
            (0.0f64..=10.0).prop_map(Some),
            prop::sample::select(vec![0.0, 9.0, 8.95, -1.0, 11.0, f64::NAN, f64::INFINITY])
                .prop_map(Some),
        ]
    }

    fn arb_finding(images: usize) -> impl Strategy<Value = Finding> {
        let ids = prop_oneof!["CVE-20[0-9]{2}-[0-9]{1,3}", arb_text()];
        let package = (
            proptest::option::of(arb_text()),
            proptest::option::of(arb_text()),
            proptest::option::of(arb_text()),
            proptest::option::of(arb_text()),
        );
        let texts = (
            arb_text(),
            proptest::option::of(arb_text()),
            proptest::option::of(prop_oneof![arb_text(), "(?s).{900,1200}"]),
            prop::collection::vec(arb_url(), 0..3),
        );
        let flags = (
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            any::<bool>(),
            prop::collection::btree_set(0..images, 1..=images.min(4)),
        );
        (
            ids,
            prop::sample::select(Severity::ALL.to_vec()),
            arb_score(),
            package,
            texts,
            flags,
        )
            .prop_map(
                |(id, severity, score, (name, version, fixed_in, path), texts, flags)| {
                    let (vendor_severity, title, description, urls) = texts;
                    let (fix_available, exploit_available, suppressed_by_scanner, images) = flags;
                    Finding {
                        id,
                        severity,
                        vendor_severity,
                        score,
                        vector: None,
                        title,
                        description,
                        package: Package {
                            name,
                            version,
                            fixed_in,
                            manager: None,
                            path,
                        },
                        fix_available,
                        exploit_available,
                        urls,
                        suppressed_by_scanner,
                        images: images.into_iter().collect(),
                    }
                },
            )
    }

    fn arb_set() -> impl Strategy<Value = ScanSet> {
        prop::collection::vec(arb_image(), 1..=24).prop_flat_map(|images| {
            let count = images.len();
            prop::collection::vec(arb_finding(count), 0..300).prop_map(move |mut findings| {
                findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
                ScanSet {
                    images: images.clone(),
                    findings,
                    warnings: Vec::new(),
                }
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn arbitrary_findings_give_valid_sarif(set in arb_set()) {
            checked(&set, &Policy::default());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn arbitrary_findings_stay_within_github_limits(set in arb_set()) {
            let doc = render(&set, &Policy::default());
            assert_within_limits(&doc);
            let results: usize = doc["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|run| run["results"].as_array().unwrap().len())
                .sum();
            let expected: usize = (0..set.images.len().min(MAX_RUNS))
                .map(|i| set.findings.iter().filter(|f| f.images.contains(&i)).count())
                .sum();
            prop_assert_eq!(results, expected);
        }
    }
}
