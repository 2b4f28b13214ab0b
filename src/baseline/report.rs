//! A JSON report of this tool (schema version 1) read back as a baseline: its images, each with the
//! findings that occur in it.
//!
//! Reads only what a baseline needs (the images' platforms and each finding's id, severity, package
//! and images) and skips everything else, so reports with fields added later still read. Refuses a
//! report of another schema version, of a run without a verdict (whose findings may be incomplete), and
//! findings that cannot be compared (no id, no image, an image the report does not list).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::findings::{Finding, Image, ImageScan, Package, ScanInfo, ScanType, Severity};
use crate::report::json::SCHEMA_VERSION;

/// Why a JSON report cannot be a baseline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("unexpected shape at `{path}` (line {line}, column {column}): {message}")]
    Shape {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "schema_version {found}: this version of ecr-scan-gate reads version {SCHEMA_VERSION} \
         reports"
    )]
    Version { found: String },
    #[error("tool is `{found}`, not ecr-scan-gate")]
    Tool { found: String },
    #[error(
        "the report's result is `{result}`: the run it records reached no verdict, so its findings \
         may be incomplete; use the report of a run that reached one (pass or fail)"
    )]
    NoVerdict { result: String },
    #[error("the report lists no image")]
    NoImages,
    #[error("findings[{index}] {problem}")]
    Finding { index: usize, problem: String },
}

/// The most findings a report may list: far beyond any image's, and a bound on the memory a hostile
/// file can make the gate use.
pub(super) const MAX_FINDINGS: usize = 500_000;
/// The most images a report may list.
const MAX_IMAGES: usize = 1_000;

#[derive(Deserialize)]
struct RawReport {
    schema_version: Option<serde_json::Number>,
    tool: Option<RawTool>,
    result: Option<String>,
    images: Option<Capped<RawImage, MAX_IMAGES>>,
    findings: Option<Capped<RawFinding, MAX_FINDINGS>>,
}

/// A JSON array of at most `N` items, refused as soon as it has more (before reading the rest).
struct Capped<T, const N: usize>(Vec<T>);

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Capped<T, N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T, const N: usize>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for Items<T, N> {
            type Value = Capped<T, N>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "an array of at most {N} items")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    if items.len() == N {
                        return Err(serde::de::Error::custom(format_args!(
                            "more than {N} items: not a report this gate wrote"
                        )));
                    }
                    items.push(item);
                }
                Ok(Capped(items))
            }
        }

        deserializer.deserialize_seq(Items(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct RawTool {
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawImage {
    repository: Option<String>,
    registry_id: Option<String>,
    region: Option<String>,
    digest: Option<String>,
    index_digest: Option<String>,
    tags: Option<Vec<String>>,
    platform: Option<String>,
    scan: Option<RawScan>,
}

#[derive(Deserialize)]
struct RawScan {
    #[serde(rename = "type")]
    scan_type: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct RawFinding {
    id: Option<String>,
    severity: Option<String>,
    vendor_severity: Option<String>,
    score: Option<f64>,
    package: Option<RawPackage>,
    fix_available: Option<bool>,
    exploit_available: Option<bool>,
    images: Option<Vec<u64>>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: Option<String>,
    version: Option<String>,
    fixed_in: Option<String>,
    manager: Option<String>,
    path: Option<String>,
}

/// Reads a report's images and their findings.
pub(super) fn parse(bytes: &[u8]) -> Result<Vec<ImageScan>, ReportError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let raw: RawReport = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        ReportError::Shape {
            path: if path.is_empty() { ".".into() } else { path },
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })?;
    match &raw.schema_version {
        Some(n) if n.as_f64() == Some(f64::from(SCHEMA_VERSION)) => {}
        other => {
            return Err(ReportError::Version {
                found: other
                    .as_ref()
                    .map_or_else(|| "missing".to_string(), ToString::to_string),
            });
        }
    }
    let tool = raw.tool.and_then(|t| t.name).unwrap_or_default();
    if tool != "ecr-scan-gate" {
        return Err(ReportError::Tool { found: tool });
    }
    let result = raw.result.unwrap_or_else(|| "missing".into());
    if result != "pass" && result != "fail" {
        return Err(ReportError::NoVerdict { result });
    }
    let images = raw.images.map(|c| c.0).unwrap_or_default();
    if images.is_empty() {
        return Err(ReportError::NoImages);
    }
    let mut scans: Vec<ImageScan> = images.into_iter().map(image_scan).collect();
    let findings = raw.findings.map(|c| c.0).unwrap_or_default();
    for (index, raw) in findings.into_iter().enumerate() {
        let problem = |problem: &str| ReportError::Finding {
            index,
            problem: problem.to_string(),
        };
        let id = raw
            .id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| problem("has no id"))?
            .to_string();
        let in_images = raw.images.clone().unwrap_or_default();
        if in_images.is_empty() {
            return Err(problem("is in no image"));
        }
        let finding = finding(id, raw);
        let mut placed: Vec<usize> = Vec::new();
        for image in in_images {
            let at = usize::try_from(image)
                .ok()
                .filter(|&i| i < scans.len())
                .ok_or_else(|| {
                    problem(&format!(
                        "is in image {image}, but the report lists {} image(s)",
                        scans.len()
                    ))
                })?;
            if !placed.contains(&at) {
                placed.push(at);
                scans[at].findings.push(finding.clone());
            }
        }
    }
    Ok(scans)
}

fn image_scan(raw: RawImage) -> ImageScan {
    let scan = raw.scan.unwrap_or(RawScan {
        scan_type: None,
        status: None,
    });
    let status = scan.status.unwrap_or_default();
    ImageScan {
        image: Image {
            repository: raw.repository.unwrap_or_default(),
            registry_id: raw.registry_id,
            region: raw.region,
            digest: raw.digest,
            index_digest: raw.index_digest,
            tags: raw.tags.unwrap_or_default(),
            tags_from_event: false,
            platform: raw.platform.filter(|p| !p.trim().is_empty()),
            scan: ScanInfo {
                scan_type: match scan.scan_type.as_deref() {
                    Some("enhanced") => ScanType::Enhanced,
                    _ => ScanType::Basic,
                },
                status,
                description: None,
                completed_at: None,
                source_updated_at: None,
            },
        },
        findings: Vec::new(),
        declared_counts: None,
        listed_counts: BTreeMap::new(),
        warnings: Vec::new(),
    }
}

fn finding(id: String, raw: RawFinding) -> Finding {
    let severity = raw
        .severity
        .as_deref()
        .and_then(Severity::parse_name)
        .unwrap_or(Severity::Unknown);
    let package = raw.package.map_or_else(Package::default, |p| Package {
        name: p.name,
        version: p.version,
        fixed_in: p.fixed_in,
        manager: p.manager,
        path: p.path,
    });
    Finding {
        id,
        severity,
        vendor_severity: raw
            .vendor_severity
            .unwrap_or_else(|| severity.as_str().to_ascii_uppercase()),
        score: raw.score.filter(|s| s.is_finite()),
        vector: None,
        title: None,
        description: None,
        package,
        fix_available: raw.fix_available,
        exploit_available: raw.exploit_available,
        urls: Vec::new(),
        suppressed_by_scanner: false,
        images: Vec::new(),
    }
}

/// serde_json appends " at line L column C"; the errors say that themselves.
pub(super) fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}
