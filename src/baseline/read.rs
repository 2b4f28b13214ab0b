//! Reading a baseline file: a JSON report of this tool (`--json`, schema version 1) or saved
//! `aws ecr describe-image-scan-findings` output, told apart by their top-level keys.
//!
//! Refuses what cannot be a complete baseline, with the place in the file: not JSON, neither kind of
//! document, a report of another version or of a run that reached no verdict (its findings may be
//! incomplete), a finding without an id or in no image. A saved scan result that is not usable (still
//! running, findings missing) is returned as such: the caller makes it "no verdict", as for the run's
//! own scans.

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::report::{self, ReportError, strip_position};
use crate::ecr::saved::{self, SavedError, SavedScan};
use crate::findings::ImageScan;

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "neither a JSON report of ecr-scan-gate (`--json`) nor saved `aws ecr \
         describe-image-scan-findings` output: {what}"
    )]
    Unknown { what: String },
    #[error("as a JSON report of ecr-scan-gate")]
    Report(#[source] ReportError),
    #[error("as saved describe-image-scan-findings output")]
    Saved(#[source] SavedError),
}

/// What a baseline file holds.
#[derive(Debug)]
pub enum Read {
    /// A JSON report: its images, each with its findings.
    Report(Vec<ImageScan>),
    /// One saved scan result, usable or not.
    Saved(Box<SavedScan>),
}

/// The top-level keys that tell the two kinds apart; everything else is skipped unread.
#[derive(Deserialize)]
struct Sniff {
    schema_version: Option<IgnoredAny>,
    tool: Option<IgnoredAny>,
    #[serde(rename = "imageScanStatus")]
    image_scan_status: Option<IgnoredAny>,
    #[serde(rename = "imageScanFindings")]
    image_scan_findings: Option<IgnoredAny>,
}

/// Reads a baseline file's bytes.
pub fn read(bytes: &[u8]) -> Result<Read, BaselineError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
    match first {
        None => {
            return Err(BaselineError::Unknown {
                what: "the file is empty".into(),
            });
        }
        Some(b'{') => {}
        Some(b'[') => {
            return Err(BaselineError::Unknown {
                what: "the file holds a JSON array, not one object".into(),
            });
        }
        Some(_) => {}
    }
    let sniff: Sniff = serde_json::from_slice(text).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => BaselineError::Unknown {
            what: format!("the top level is not a JSON object ({error})"),
        },
        _ => BaselineError::Syntax {
            line: error.line(),
            column: error.column(),
            message: strip_position(&error.to_string()),
        },
    })?;
    if sniff.schema_version.is_some() || sniff.tool.is_some() {
        return report::parse(text)
            .map(Read::Report)
            .map_err(BaselineError::Report);
    }
    if sniff.image_scan_status.is_some() || sniff.image_scan_findings.is_some() {
        return saved::parse(text)
            .map(|scan| Read::Saved(Box::new(scan)))
            .map_err(BaselineError::Saved);
    }
    Err(BaselineError::Unknown {
        what: "it has neither `schema_version` and `tool` (a report) nor `imageScanStatus` and \
               `imageScanFindings` (a scan result)"
            .into(),
    })
}
