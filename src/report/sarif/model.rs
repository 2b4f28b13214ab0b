//! The SARIF 2.1.0 objects this report writes, as serde writes them: field names, casing and which
//! fields are left out when empty.
//!
//! Plain data that borrows from the findings. The containers that are streamed (the log, its runs, a
//! run's rules and results) are in `runs`, `rules` and `results`, which also build these objects. It
//! must not compute anything.

use std::borrow::Cow;

use serde::Serialize;

/// `automationDetails`: the run's category, which GitHub keys its alerts by.
#[derive(Serialize)]
pub(super) struct AutomationDetails {
    pub(super) id: String,
}

/// `invocations[0]`: the run succeeded; what was left out is said in its notifications.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Invocation {
    pub(super) execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) tool_execution_notifications: Vec<Notification>,
}

/// A `toolExecutionNotification`: a cut announced in the run.
#[derive(Serialize)]
pub(super) struct Notification {
    pub(super) level: &'static str,
    pub(super) message: Text<'static>,
}

impl Notification {
    /// A warning with `text`.
    pub(super) fn warning(text: String) -> Notification {
        Notification {
            level: "warning",
            message: Text {
                text: Cow::Owned(text),
            },
        }
    }
}

/// The run's `properties`: the image it is about.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RunProperties<'a> {
    pub(super) repository: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) digest: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) platform: Option<Cow<'a, str>>,
    pub(super) tags: Vec<Cow<'a, str>>,
    pub(super) scan_type: &'static str,
}

/// A `message` or description: `{ "text": … }`.
#[derive(Serialize)]
pub(super) struct Text<'a> {
    pub(super) text: Cow<'a, str>,
}

/// A `reportingDescriptor`: one vulnerability id in a run.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Rule<'a> {
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) short_description: Text<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) full_description: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) help_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) help: Option<Help>,
    pub(super) properties: RuleProperties,
}

/// A rule's `help`, in plain text and Markdown.
#[derive(Serialize)]
pub(super) struct Help {
    pub(super) text: String,
    pub(super) markdown: String,
}

/// A rule's `properties`: tags and GitHub's `security-severity`.
#[derive(Serialize)]
pub(super) struct RuleProperties {
    pub(super) tags: Vec<&'static str>,
    #[serde(rename = "security-severity")]
    pub(super) security_severity: String,
}

/// A `result`: one finding in the run's image.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SarifResult<'a> {
    pub(super) rule_id: &'a str,
    pub(super) rule_index: usize,
    pub(super) level: &'static str,
    pub(super) message: Text<'static>,
    pub(super) locations: [Location; 1],
    pub(super) partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) suppressions: Option<[Suppression<'a>; 1]>,
    /// `new`, `unchanged` or `updated` against the baseline, when the run has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) baseline_state: Option<&'static str>,
    pub(super) properties: ResultProperties<'a>,
}

/// A result's location (see `location`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Location {
    pub(super) physical_location: PhysicalLocation,
}

/// `physicalLocation`: the artifact and a region GitHub requires.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhysicalLocation {
    pub(super) artifact_location: ArtifactLocation,
    pub(super) region: Region,
}

/// `artifactLocation`: a repo-relative URI.
#[derive(Serialize)]
pub(super) struct ArtifactLocation {
    pub(super) uri: String,
}

/// `region`: always line 1.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Region {
    pub(super) start_line: u32,
}

/// `partialFingerprints`: the alert identity GitHub keeps across runs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Fingerprints {
    pub(super) primary_location_line_hash: String,
}

/// A `suppression`: the finding is ignored or suppressed, with why.
#[derive(Serialize)]
pub(super) struct Suppression<'a> {
    pub(super) kind: &'static str,
    pub(super) status: &'static str,
    pub(super) justification: Cow<'a, str>,
}

/// A result's `properties`: the finding's data and its gate state.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResultProperties<'a> {
    pub(super) severity: &'static str,
    pub(super) vendor_severity: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) package_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) package_version: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) fixed_in: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) package_manager: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) package_path: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) fix_available: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) exploit_available: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) image_digest: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) image_platform: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) gate_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) gate_rule: Option<String>,
}
