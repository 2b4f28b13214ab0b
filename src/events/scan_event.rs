//! A scan event read into the image it names: `ECR Image Scan` or `Inspector2 Scan`, as EventBridge
//! delivers it, inside a GitHub `repository_dispatch` payload (`client_payload` is the event, or holds
//! it under `event`) or inside an SNS notification (`Message`).
//!
//! Everything here is hostile input: every field is checked before it can reach an AWS call (the
//! region becomes part of a host name, the registry id an account, the repository and digest request
//! parameters). Anything that is not one of the two scan events of an ECR image is refused with what
//! was expected. The event's tags are kept for reports only: a tag may have moved since the scan.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::{BASIC_DETAIL_TYPE, BASIC_SOURCE, ENHANCED_DETAIL_TYPE, ENHANCED_SOURCE};
use crate::digest::Digest;
use crate::findings::ScanType;
use crate::image_ref::{ImageRef, is_registry_id};

/// What `--from-event` accepts, for messages.
pub const EXPECTED: &str = "an `ECR Image Scan` event (source aws.ecr) or an `Inspector2 Scan` \
event of an ECR image (source aws.inspector2), as EventBridge delivers it, or inside a \
repository_dispatch payload (`client_payload`, or `client_payload.event`) or an SNS notification \
(`Message`)";

/// How deep wrappers (`client_payload`, `event`, an SNS `Message`) may nest around the event.
const MAX_WRAPPERS: usize = 4;

/// The most tags kept from an event (ECR allows 1,000 per image; reports need a few).
const MAX_TAGS: usize = 100;

/// A scan event: of a completed scan, whose result the gate reads, or of a failed one (no verdict).
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Complete(ScanEvent),
    Failed(FailedScan),
}

/// A scan event of one ECR image whose scan completed, every field checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanEvent {
    pub scan_type: ScanType,
    /// `detail.scan-status` as sent (`COMPLETE`, `INITIAL_SCAN_COMPLETE`).
    pub scan_status: String,
    /// The registry: the account in the repository ARN, else the event's `account`.
    pub registry_id: String,
    /// The region: the one in the repository ARN, else the event's `region`.
    pub region: String,
    pub repository: String,
    pub digest: Digest,
    /// The image's tags when the event was sent: reported, never used to find the image.
    pub tags: Vec<String>,
    /// `finding-severity-counts` as sent (absent in basic events before 2021).
    pub counts: Option<BTreeMap<String, u64>>,
    /// The event's `time`, as sent.
    pub time: Option<String>,
    /// The wrappers the event came in, outermost first (empty for a raw EventBridge event).
    pub via: Vec<Wrapper>,
}

impl ScanEvent {
    /// The image the event names, by digest only (never by tag), with its registry and region.
    pub fn image(&self) -> ImageRef {
        ImageRef {
            registry_id: Some(self.registry_id.clone()),
            region: Some(self.region.clone()),
            host: None,
            repository: self.repository.clone(),
            tag: None,
            digest: Some(self.digest.clone()),
        }
    }

    /// `Inspector2 Scan` (enhanced) or `ECR Image Scan` (basic).
    pub fn kind(&self) -> &'static str {
        kind(self.scan_type)
    }
}

/// A scan event whose scan failed. Nothing is read for it, so its fields are kept as sent (for the
/// report) rather than checked.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedScan {
    pub scan_type: ScanType,
    /// `detail.scan-status` as sent.
    pub scan_status: String,
    /// `repository@digest` as the event names it, as far as it does.
    pub image: String,
}

impl FailedScan {
    /// `Inspector2 Scan` (enhanced) or `ECR Image Scan` (basic).
    pub fn kind(&self) -> &'static str {
        kind(self.scan_type)
    }
}

fn kind(scan_type: ScanType) -> &'static str {
    match scan_type {
        ScanType::Basic => BASIC_DETAIL_TYPE,
        ScanType::Enhanced => ENHANCED_DETAIL_TYPE,
    }
}

/// How the scan named by the event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventStatus {
    /// `COMPLETE` (basic) or `INITIAL_SCAN_COMPLETE` (enhanced): there is a result to read.
    Complete,
    /// The scan failed: there is no result, so no verdict.
    Failed,
}

/// A wrapper around the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// A `repository_dispatch` payload's `client_payload`.
    ClientPayload,
    /// The `event` member of a `client_payload`.
    Event,
    /// An SNS notification's `Message`.
    SnsMessage,
}

impl fmt::Display for Wrapper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Wrapper::ClientPayload => "client_payload",
            Wrapper::Event => "event",
            Wrapper::SnsMessage => "Message",
        })
    }
}

/// Why an event cannot be gated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("is not JSON (line {line}, column {column}: {message}); expected {EXPECTED}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{at}is not an EventBridge event (no `source`, `detail-type` and `detail`); expected {EXPECTED}"
    )]
    NotAnEvent { at: String },
    #[error("{at}is {what}; expected {EXPECTED}")]
    Foreign { at: String, what: String },
    #[error(
        "{at}is an `Inspector2 Scan` event of {what}, not of an ECR image; expected {EXPECTED}"
    )]
    NotAnImage { at: String, what: String },
    #[error("{at}`{field}` {problem}")]
    Field {
        at: String,
        field: &'static str,
        problem: String,
    },
    #[error(
        "{at}`detail.scan-status` is `{status}`, not a finished scan; expected COMPLETE or FAILED \
         (`ECR Image Scan`) or INITIAL_SCAN_COMPLETE (`Inspector2 Scan`)"
    )]
    Status { at: String, status: String },
}

/// Reads an event from its bytes.
pub fn parse(bytes: &[u8]) -> Result<Parsed, EventError> {
    // A byte-order mark (some editors and PowerShell write one) is not part of the JSON.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|error| EventError::Syntax {
        line: error.line(),
        column: error.column(),
        message: error.to_string(),
    })?;
    let (event, via) = unwrap(value)?;
    read(&event, via)
}

/// Takes the event out of its wrappers.
fn unwrap(mut value: Value) -> Result<(Map<String, Value>, Vec<Wrapper>), EventError> {
    let mut via = Vec::new();
    loop {
        let at = place(&via);
        let Value::Object(mut object) = value else {
            return Err(EventError::NotAnEvent { at });
        };
        if ["source", "detail-type", "detail"]
            .iter()
            .any(|key| object.contains_key(*key))
        {
            return Ok((object, via));
        }
        if via.len() >= MAX_WRAPPERS {
            return Err(EventError::NotAnEvent { at });
        }
        let (wrapper, inner) = if let Some(inner) = object.remove("client_payload") {
            (Wrapper::ClientPayload, inner)
        } else if via.last() == Some(&Wrapper::ClientPayload)
            && let Some(inner) = object.remove("event")
        {
            (Wrapper::Event, inner)
        } else if object.get("Type").and_then(Value::as_str) == Some("Notification")
            && let Some(inner) = object.remove("Message")
        {
            (Wrapper::SnsMessage, inner)
        } else {
            return Err(EventError::NotAnEvent { at });
        };
        via.push(wrapper);
        // A wrapper may carry the event as JSON text (an SNS message always does).
        value = match inner {
            Value::String(text) => serde_json::from_str(&text)
                .map_err(|_| EventError::NotAnEvent { at: place(&via) })?,
            other => other,
        };
    }
}

/// `client_payload.event: ` — where in the input a problem is, for messages; empty at the top.
fn place(via: &[Wrapper]) -> String {
    if via.is_empty() {
        return String::new();
    }
    let path: Vec<String> = via.iter().map(Wrapper::to_string).collect();
    format!("{}: ", path.join("."))
}

fn read(event: &Map<String, Value>, via: Vec<Wrapper>) -> Result<Parsed, EventError> {
    let at = place(&via);
    let text = |key: &str| event.get(key).and_then(Value::as_str).unwrap_or_default();
    let (source, detail_type) = (text("source"), text("detail-type"));
    let scan_type = match (source, detail_type) {
        (BASIC_SOURCE, BASIC_DETAIL_TYPE) => ScanType::Basic,
        (ENHANCED_SOURCE, ENHANCED_DETAIL_TYPE) => ScanType::Enhanced,
        _ => {
            return Err(EventError::Foreign {
                at,
                what: describe_foreign(source, detail_type),
            });
        }
    };
    let Some(detail) = event.get("detail").and_then(Value::as_object) else {
        return Err(field(&at, "detail", "is missing or not an object"));
    };
    if scan_type == ScanType::Enhanced
        && !detail.contains_key("repository-name")
        && !detail.contains_key("image-digest")
    {
        return Err(EventError::NotAnImage {
            at,
            what: describe_resource(event, detail),
        });
    }
    let scan_status = match detail.get("scan-status").and_then(Value::as_str) {
        Some(status) if !status.trim().is_empty() => status.trim().to_string(),
        _ => return Err(field(&at, "detail.scan-status", "is missing")),
    };
    let status = classify(&scan_status).ok_or_else(|| EventError::Status {
        at: at.clone(),
        status: scan_status.clone(),
    })?;
    if status == EventStatus::Failed {
        // No result to read, so nothing here reaches AWS: the image is named as sent.
        let text = |key: &str| {
            detail
                .get(key)
                .and_then(Value::as_str)
                .map(|text| text.chars().take(300).collect::<String>())
        };
        let image = match (text("repository-name"), text("image-digest")) {
            (Some(repository), Some(digest)) => format!("{repository}@{digest}"),
            (Some(repository), None) => repository,
            (None, Some(digest)) => digest,
            (None, None) => "the image the event names".to_string(),
        };
        return Ok(Parsed::Failed(FailedScan {
            scan_type,
            scan_status,
            image,
        }));
    }
    let location = locate(event, detail, &at)?;
    let tags = detail
        .get("image-tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .filter(|tag| !tag.is_empty() && tag.len() <= 128)
                .take(MAX_TAGS)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let counts = detail
        .get("finding-severity-counts")
        .and_then(Value::as_object)
        .map(|counts| {
            counts
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), value.as_u64()?)))
                .collect()
        });
    Ok(Parsed::Complete(ScanEvent {
        scan_type,
        scan_status,
        registry_id: location.registry_id,
        region: location.region,
        repository: location.repository,
        digest: location.digest,
        tags,
        counts,
        time: event
            .get("time")
            .and_then(Value::as_str)
            .map(str::to_string),
        via,
    }))
}

/// A finished scan's status: completed, or failed. `None` for anything else.
fn classify(status: &str) -> Option<EventStatus> {
    let upper = status.to_ascii_uppercase();
    if upper.contains("FAIL") {
        Some(EventStatus::Failed)
    } else if upper == "COMPLETE" || upper.ends_with("_COMPLETE") {
        Some(EventStatus::Complete)
    } else {
        None
    }
}

/// Where the image is: registry, region, repository, digest.
struct Location {
    registry_id: String,
    region: String,
    repository: String,
    digest: Digest,
}

fn locate(
    event: &Map<String, Value>,
    detail: &Map<String, Value>,
    at: &str,
) -> Result<Location, EventError> {
    let name = match detail.get("repository-name").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => name.trim(),
        _ => return Err(field(at, "detail.repository-name", "is missing")),
    };
    let text = |key: &str| event.get(key).and_then(Value::as_str).unwrap_or_default();
    // Inspector2 names the repository by its ARN, arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME,
    // which then also names the registry and region; a plain name is in the event's account and
    // region.
    let (registry_id, region, repository, account_field, region_field) =
        match name.strip_prefix("arn:") {
            Some(arn) => {
                let parts: Vec<&str> = arn.splitn(5, ':').collect();
                let (region, account, repository) = match parts.as_slice() {
                    [_partition, "ecr", region, account, resource] => {
                        (*region, *account, resource.strip_prefix("repository/"))
                    }
                    _ => ("", "", None),
                };
                let Some(repository) = repository else {
                    let problem = format!(
                        "`{name}` is not an ECR repository ARN \
                         (arn:aws:ecr:REGION:ACCOUNT:repository/NAME)"
                    );
                    return Err(field(at, "detail.repository-name", &problem));
                };
                (
                    account,
                    region,
                    repository,
                    "detail.repository-name (its account)",
                    "detail.repository-name (its region)",
                )
            }
            None => (text("account"), text("region"), name, "account", "region"),
        };
    if !is_registry_id(registry_id) {
        return Err(field(
            at,
            account_field,
            &format!("`{registry_id}` is not a 12-digit AWS account id"),
        ));
    }
    if !is_region(region) {
        return Err(field(
            at,
            region_field,
            &format!("`{region}` is not an AWS region (like us-east-1)"),
        ));
    }
    let digest = match detail.get("image-digest").and_then(Value::as_str) {
        Some(digest) => Digest::parse(digest.trim()).map_err(|error| {
            field(
                at,
                "detail.image-digest",
                &format!("is not usable: {error}"),
            )
        })?,
        None => {
            return Err(field(
                at,
                "detail.image-digest",
                "is missing: the event must name the scanned image by its digest (tags can move)",
            ));
        }
    };
    // The repository name is checked as an image reference is; a name that looks like a registry
    // host is refused rather than followed.
    let repository = match ImageRef::parse(&format!("{repository}@{digest}")) {
        Ok(reference)
            if reference.host.is_none()
                && reference.registry_id.is_none()
                && reference.repository == repository =>
        {
            reference.repository
        }
        _ => {
            return Err(field(
                at,
                "detail.repository-name",
                &format!("`{repository}` is not an ECR repository name"),
            ));
        }
    };
    Ok(Location {
        registry_id: registry_id.to_string(),
        region: region.to_string(),
        repository,
        digest,
    })
}

/// An AWS region name: lowercase words joined by `-`, ending in a number (`us-east-1`,
/// `us-gov-west-1`, `cn-north-1`).
fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    text.len() <= 32
        && first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !middle.is_empty()
        && middle
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

fn field(at: &str, field: &'static str, problem: &str) -> EventError {
    EventError::Field {
        at: at.to_string(),
        field,
        problem: problem.to_string(),
    }
}

/// What a foreign event is, in words.
fn describe_foreign(source: &str, detail_type: &str) -> String {
    let named = format!("`{detail_type}` (source {source})");
    match (source, detail_type) {
        (ENHANCED_SOURCE, "Inspector2 Finding") => {
            format!("a finding event {named}, which names one vulnerability, not a finished scan")
        }
        ("aws.inspector", _) => format!(
            "an event of the 2021 preview of Amazon Inspector {named}, replaced by \
             `{ENHANCED_DETAIL_TYPE}` (source {ENHANCED_SOURCE})"
        ),
        ("", "") => "an event with no `source` and no `detail-type`".to_string(),
        _ => format!("an event {named}, not a scan of an ECR image"),
    }
}

/// What an `Inspector2 Scan` event that names no image scanned.
fn describe_resource(event: &Map<String, Value>, detail: &Map<String, Value>) -> String {
    let resource = event
        .get("resources")
        .and_then(Value::as_array)
        .and_then(|resources| resources.first())
        .and_then(Value::as_str)
        .unwrap_or_default();
    if detail.contains_key("instance-id")
        || resource.starts_with("i-")
        || resource.contains(":ec2:")
    {
        "an EC2 instance".to_string()
    } else if resource.contains(":lambda:") || detail.keys().any(|key| key.contains("function")) {
        "a Lambda function".to_string()
    } else {
        "a resource that is not an ECR image (no `repository-name` or `image-digest`)".to_string()
    }
}

#[cfg(test)]
mod tests;
