//! A run's results, one per planned finding, built as they are written: level, message, location,
//! fingerprint, suppression and the finding's properties with its gate state.
//!
//! The gate state is read from the [`Verdict`], never recomputed; nothing here can change it.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use super::fields::{bounded, fixed_in, piece};
use super::location::{fingerprint, location_uri};
use super::model::{
    ArtifactLocation, Fingerprints, Location, PhysicalLocation, Region, ResultProperties,
    SarifResult, Suppression, Text,
};
use super::plan::Plan;
use crate::findings::{Finding, Image, ScanSet, Severity};
use crate::policy::{FindingState, Policy, Verdict};

/// A run's results, built as they are written.
pub(super) struct Results<'a> {
    pub(super) set: &'a ScanSet,
    pub(super) policy: &'a Policy,
    pub(super) verdict: &'a Verdict,
    pub(super) image: &'a Image,
    /// The image's index in the set.
    pub(super) image_index: usize,
    pub(super) plan: &'a Plan<'a>,
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

impl<'a> SarifResult<'a> {
    /// The result of finding `index` of the set, under rule `rule` of the plan.
    fn new(results: &Results<'a>, index: usize, rule: usize) -> SarifResult<'a> {
        let finding = &results.set.findings[index];
        let image = results.image;
        let package = &finding.package;
        let state = results.verdict.states.get(index).copied();
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
            suppressions: suppression(results.policy, state).map(|s| [s]),
            baseline_state: results.verdict.baseline.as_deref().map(|delta| {
                delta
                    .change_in(index, &finding.images, results.image_index)
                    .as_str()
            }),
            properties: properties(finding, image, state),
        }
    }
}

/// Longest free text of a VEX statement in a suppression's justification: many results may carry
/// one, and the file must stay within GitHub's size limit.
const MAX_VEX_TEXT_CHARS: usize = 200;

/// Why the finding does not count, for findings the policy ignores, the scanner or a VEX statement
/// suppressed.
fn suppression(policy: &Policy, state: Option<FindingState>) -> Option<Suppression<'_>> {
    match state {
        Some(FindingState::Ignored(i)) => Some(Suppression {
            kind: "external",
            status: "accepted",
            justification: policy
                .ignores
                .get(i)
                .map(|ignore| bounded(&ignore.reason))
                .filter(|reason| !reason.is_empty())
                .unwrap_or(Cow::Borrowed("ignored by the gate's policy")),
        }),
        Some(FindingState::SuppressedByScanner) => Some(Suppression {
            kind: "external",
            status: "accepted",
            justification: Cow::Borrowed("suppressed in Amazon Inspector"),
        }),
        Some(FindingState::SuppressedByVex(i)) => Some(Suppression {
            kind: "external",
            status: "accepted",
            justification: match policy.vex.statements.get(i) {
                Some(statement) => Cow::Owned(
                    bounded(&format!("VEX {}", statement.describe(MAX_VEX_TEXT_CHARS)))
                        .into_owned(),
                ),
                None => Cow::Borrowed("suppressed by a VEX statement"),
            },
        }),
        _ => None,
    }
}

/// The finding's data, its image and its gate state, vendor text bounded.
fn properties<'a>(
    finding: &'a Finding,
    image: &'a Image,
    state: Option<FindingState>,
) -> ResultProperties<'a> {
    let package = &finding.package;
    ResultProperties {
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
        FindingState::SuppressedByVex(_) => "vex-suppressed",
        FindingState::InBaseline => "in-baseline",
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
    match finding.exploit_available {
        Some(true) => text.push_str(", exploit available"),
        Some(false) => text.push_str(", no known exploit"),
        None => {}
    }
    text.push(')');
    text
}
