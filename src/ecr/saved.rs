//! Reading saved `aws ecr describe-image-scan-findings` output (AWS CLI v1/v2, or the raw API response).
//!
//! Parses tolerantly: every field may be missing or `null`, timestamps may be ISO-8601 strings or epoch
//! numbers, scores may be strings or numbers, unknown keys are ignored. What is not a whole scan result
//! (an EventBridge event, a single finding, a first page with `nextToken`) is refused with a message that
//! says what the file is. Must not decide pass or fail.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::convert;
use crate::findings::{ImageScan, ScanStatus, StatusClass};

/// Why a file could not be read as a scan result (no verdict, exit 2).
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unexpected shape at `{path}` (line {line}, column {column}): {message}")]
    Shape {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not a describe-image-scan-findings result: {what}")]
    NotAScanResult { what: String },
    #[error(
        "only part of the findings: the file has a `{key}` ({listed} findings listed{declared}); save the \
         output of `aws ecr describe-image-scan-findings` without --max-items or --no-paginate so the CLI \
         joins every page"
    )]
    PartialPage {
        /// `nextToken` (the API's) or `NextToken` (the AWS CLI's, after `--max-items`).
        key: &'static str,
        listed: usize,
        declared: String,
    },
    #[error(
        "status {status} is enhanced scanning but the file has no `enhancedFindings`: it was probably saved \
         by an AWS CLI or SDK too old to know them (AWS CLI before 2.4.3); save it again with a current CLI"
    )]
    EnhancedFindingsMissing { status: String },
}

/// A saved scan result that was read completely.
#[derive(Debug)]
pub struct SavedScan {
    pub scan: ImageScan,
    /// `Err(reason)` when the scan did not reach a usable final state (no verdict, exit 3).
    pub usable: Result<(), String>,
}

/// Reads one saved scan result.
pub fn parse(bytes: &[u8]) -> Result<SavedScan, SavedError> {
    let first = bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    match first {
        None => {
            return Err(SavedError::NotAScanResult {
                what: "the file is empty".into(),
            });
        }
        Some(b'[') => {
            return Err(SavedError::NotAScanResult {
                what: "the file holds a JSON array; expected the one object printed by `aws ecr \
                       describe-image-scan-findings` (pass each image's result as its own file)"
                    .into(),
            });
        }
        Some(b'{') => {}
        Some(_) => {
            // Let the JSON parser say where the problem is.
        }
    }
    let text = strip_bom(bytes);
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let raw: RawResponse =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            shape_or_syntax(path, inner)
        })?;
    deserializer
        .end()
        .map_err(|e| shape_or_syntax(".".into(), e))?;
    classify(raw, false)
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn shape_or_syntax(path: String, error: serde_json::Error) -> SavedError {
    let (line, column) = (error.line(), error.column());
    let message = strip_position(&error.to_string());
    match error.classify() {
        serde_json::error::Category::Data => SavedError::Shape {
            path: if path.is_empty() { ".".into() } else { path },
            line,
            column,
            message,
        },
        _ => SavedError::Syntax {
            line,
            column,
            message,
        },
    }
}

/// serde_json appends " at line L column C"; the error variants say that themselves.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// `settled`: the caller watched the result settle (live scanning), so an empty result is clean rather
/// than "not filled in yet".
pub(super) fn classify(raw: RawResponse, settled: bool) -> Result<SavedScan, SavedError> {
    if raw.image_scan_status.is_none() && raw.image_scan_findings.is_none() {
        return Err(SavedError::NotAScanResult {
            what: describe_other(&raw),
        });
    }
    let status_text = raw
        .image_scan_status
        .as_ref()
        .and_then(|s| s.status.clone());
    let Some(status_text) = status_text else {
        return Err(SavedError::NotAScanResult {
            what: "it has no `imageScanStatus.status`, so it cannot tell whether the scan finished"
                .into(),
        });
    };
    let status = ScanStatus::parse(&status_text);
    let findings = raw.image_scan_findings.as_ref();
    let listed = findings.map_or(0, |f| {
        f.findings.as_ref().map_or(0, Vec::len) + f.enhanced_findings.as_ref().map_or(0, Vec::len)
    });
    // NOTE: `aws ecr describe-image-scan-findings --max-items N` prints its resume token as `NextToken`
    // (botocore's paginator), the API as `nextToken`; either one means the list is partial.
    let resume_token = [&raw.next_token, &raw.cli_next_token]
        .into_iter()
        .flatten()
        .find(|t| !t.trim().is_empty());
    if let Some(token) = resume_token {
        let key = if raw.next_token.as_ref() == Some(token) {
            "nextToken"
        } else {
            "NextToken"
        };
        let declared = findings
            .and_then(|f| f.finding_severity_counts.as_ref())
            .map(|c| {
                let total: u64 = c.values().filter_map(|v| v.0).sum();
                format!(" of {total} counted")
            })
            .unwrap_or_default();
        return Err(SavedError::PartialPage {
            key,
            listed,
            declared,
        });
    }
    let class = status.class();
    if class == StatusClass::Final
        && status == ScanStatus::Active
        && findings.is_some_and(|f| f.enhanced_findings.is_none())
    {
        return Err(SavedError::EnhancedFindingsMissing {
            status: status_text,
        });
    }
    // A count that is not a whole number cannot show whether findings are missing.
    let unreadable_counts: Vec<String> = findings
        .and_then(|f| f.finding_severity_counts.as_ref())
        .map(|counts| {
            counts
                .iter()
                .filter(|(_, count)| count.0.is_none())
                .map(|(severity, _)| severity.clone())
                .collect()
        })
        .unwrap_or_default();
    let scan = convert::image_scan(raw, &status_text);
    let missing = scan.count_check().missing;
    let usable = match class {
        StatusClass::Final if !unreadable_counts.is_empty() => Err(format!(
            "findingSeverityCounts for {} is not a whole number of findings, so the gate cannot tell \
             whether findings are missing",
            unreadable_counts.join(", ")
        )),
        StatusClass::Final if !missing.is_empty() => {
            let gaps: Vec<String> = missing.iter().map(ToString::to_string).collect();
            Err(format!(
                "findingSeverityCounts declare more findings than the result lists ({}): findings are \
                 missing (a page that never came, an AWS CLI or SDK too old to list enhancedFindings, or \
                 a trimmed file), so no verdict can be reached; read the complete result again",
                gaps.join("; ")
            ))
        }
        StatusClass::Final => {
            if !settled
                && listed == 0
                && scan.declared_counts.as_ref().is_none_or(|c| c.is_empty())
                && scan.image.scan.completed_at.is_none()
            {
                // NOTE: under enhanced scan-on-push, COMPLETE can come before the findings are filled in
                // (https://github.com/aws/aws-sdk/issues/289). A finished basic scan always carries
                // imageScanCompletedAt, so an empty result without one is not a clean bill of health.
                Err(format!(
                    "status {status_text} but no findings, no severity counts and no completion time: the \
                     findings were not filled in yet (enhanced scanning reports COMPLETE early); read them \
                     again in a minute"
                ))
            } else {
                Ok(())
            }
        }
        StatusClass::Running | StatusClass::Unusable => {
            let mut reason = format!("status {status_text}: {}", status.explain());
            if let Some(description) = &scan.image.scan.description {
                reason.push_str(&format!(" (ECR says: {description})"));
            }
            Err(reason)
        }
    };
    Ok(SavedScan { scan, usable })
}

fn describe_other(raw: &RawResponse) -> String {
    if let Some(detail_type) = &raw.detail_type {
        return format!(
            "it is an EventBridge event (\"{detail_type}\"), which carries at most severity counts; save \
             `aws ecr describe-image-scan-findings` output for the image instead"
        );
    }
    if raw.package_vulnerability_details.is_some() || raw.finding_arn.is_some() {
        return "it is a single enhanced finding, not a whole describe-image-scan-findings result"
            .into();
    }
    if raw.image_details.is_some() {
        return "it is describe-images output; use describe-image-scan-findings".into();
    }
    "it has neither `imageScanStatus` nor `imageScanFindings`".into()
}

// ---- Raw, serde-facing shapes. Every field optional; unknown fields ignored. ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawResponse {
    pub registry_id: Option<Text>,
    pub repository_name: Option<Text>,
    pub image_id: Option<RawImageId>,
    pub image_scan_status: Option<RawStatus>,
    pub image_scan_findings: Option<RawImageScanFindings>,
    pub next_token: Option<String>,
    /// The AWS CLI's spelling of the resume token when `--max-items` cut the list short (botocore's
    /// paginator output): the list is just as partial as with `nextToken`.
    #[serde(rename = "NextToken")]
    pub cli_next_token: Option<String>,
    // Only to recognise files that are something else.
    #[serde(rename = "detail-type")]
    pub detail_type: Option<String>,
    pub package_vulnerability_details: Option<IgnoredAny>,
    pub finding_arn: Option<IgnoredAny>,
    pub image_details: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawImageId {
    pub image_digest: Option<Text>,
    pub image_tag: Option<Text>,
}

#[derive(Deserialize)]
pub(super) struct RawStatus {
    pub status: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawImageScanFindings {
    pub image_scan_completed_at: Option<Timestamp>,
    pub vulnerability_source_updated_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "unique_counts")]
    pub finding_severity_counts: Option<BTreeMap<String, Count>>,
    pub findings: Option<Vec<RawBasicFinding>>,
    pub enhanced_findings: Option<Vec<RawEnhancedFinding>>,
}

#[derive(Deserialize)]
pub(super) struct RawBasicFinding {
    pub name: Option<Text>,
    pub description: Option<String>,
    pub uri: Option<String>,
    pub severity: Option<String>,
    pub attributes: Option<Vec<RawAttribute>>,
}

#[derive(Deserialize)]
pub(super) struct RawAttribute {
    pub key: Option<String>,
    pub value: Option<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEnhancedFinding {
    pub description: Option<String>,
    pub finding_arn: Option<String>,
    pub package_vulnerability_details: Option<RawPackageVulnerabilityDetails>,
    pub remediation: Option<RawRemediation>,
    pub resources: Option<Vec<RawResource>>,
    pub score: Option<Number>,
    pub score_details: Option<RawScoreDetails>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub title: Option<String>,
    pub fix_available: Option<String>,
    pub exploit_available: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPackageVulnerabilityDetails {
    pub vulnerability_id: Option<Text>,
    pub cvss: Option<Vec<RawCvss>>,
    pub reference_urls: Option<Vec<Option<String>>>,
    pub source_url: Option<String>,
    pub vulnerable_packages: Option<Vec<RawVulnerablePackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawCvss {
    pub base_score: Option<Number>,
    pub scoring_vector: Option<String>,
    pub version: Option<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawVulnerablePackage {
    pub name: Option<Text>,
    pub version: Option<Text>,
    pub release: Option<Text>,
    pub epoch: Option<Text>,
    pub fixed_in_version: Option<Text>,
    pub package_manager: Option<Text>,
    pub file_path: Option<Text>,
}

#[derive(Deserialize)]
pub(super) struct RawRemediation {
    pub recommendation: Option<RawRecommendation>,
}

#[derive(Deserialize)]
pub(super) struct RawRecommendation {
    pub url: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawResource {
    pub details: Option<RawResourceDetails>,
    /// The resource ARN (`arn:aws:ecr:REGION:ACCOUNT:repository/NAME/sha256:…`): the only place an ECR
    /// enhanced finding names the region.
    pub id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawResourceDetails {
    pub aws_ecr_container_image: Option<RawContainerImage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawContainerImage {
    pub architecture: Option<String>,
    pub image_tags: Option<Vec<Option<Text>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawScoreDetails {
    pub cvss: Option<RawScoreCvss>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawScoreCvss {
    pub score: Option<Number>,
    pub scoring_vector: Option<String>,
}

/// A scalar read as text: strings as they are, numbers and booleans in their JSON spelling.
#[derive(Debug, Clone)]
pub(super) struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Scalar {
            S(String),
            I(i64),
            U(u64),
            F(f64),
            B(bool),
        }
        Ok(Text(match Scalar::deserialize(d)? {
            Scalar::S(s) => s,
            Scalar::I(i) => i.to_string(),
            Scalar::U(u) => u.to_string(),
            Scalar::F(f) => f.to_string(),
            Scalar::B(b) => b.to_string(),
        }))
    }
}

/// A number that may arrive as a JSON number or a numeric string; anything else reads as `None`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Number(pub Option<f64>);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Scalar {
            F(f64),
            S(String),
        }
        Ok(Number(
            match Scalar::deserialize(d)? {
                Scalar::F(f) => Some(f),
                Scalar::S(s) => s.trim().parse::<f64>().ok(),
            }
            .filter(|f| f.is_finite()),
        ))
    }
}

/// A count in `findingSeverityCounts`; a count that is not a whole number reads as `None` (and makes the
/// result unusable: it cannot show whether findings are missing).
#[derive(Debug, Clone, Copy)]
pub(super) struct Count(pub Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let number = Option::<Number>::deserialize(d)?;
        Ok(Count(number.and_then(|n| n.0).and_then(|f| {
            (f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64).then_some(f as u64)
        })))
    }
}

/// `findingSeverityCounts`, refusing a severity named twice: JSON readers keep the last of two equal keys,
/// so `{"HIGH": 40, "HIGH": 0}` would otherwise hide the 40 from the completeness check.
fn unique_counts<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Count>>, D::Error> {
    struct Counts;
    impl<'de> serde::de::Visitor<'de> for Counts {
        type Value = Option<BTreeMap<String, Count>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of severity counts")
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(Counts)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut counts = BTreeMap::new();
            while let Some((severity, count)) = map.next_entry::<String, Count>()? {
                if counts.insert(severity.clone(), count).is_some() {
                    return Err(serde::de::Error::custom(format!(
                        "severity `{severity}` is counted twice"
                    )));
                }
            }
            Ok(Some(counts))
        }
    }
    d.deserialize_option(Counts)
}

/// A timestamp as the CLI prints it (ISO-8601 string) or as the wire carries it (epoch seconds).
#[derive(Debug, Clone)]
pub(super) enum Timestamp {
    Epoch(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            F(f64),
            S(String),
        }
        Ok(match Either::deserialize(d)? {
            Either::F(f) => Timestamp::Epoch(f),
            Either::S(s) => Timestamp::Text(s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(findings: &str, counts: &str, status: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"{{"repositoryName":"app","imageId":{{"imageDigest":"sha256:1"}},
               "imageScanStatus":{{"status":"{status}"}},
               "imageScanFindings":{{"imageScanCompletedAt":1700000000,
                  "findings":[{findings}],"findingSeverityCounts":{{{counts}}}}}{extra}}}"#
        )
        .into_bytes()
    }

    const HIGH: &str = r#"{"name":"CVE-1","severity":"HIGH"}"#;
    const LOW: &str = r#"{"name":"CVE-2","severity":"LOW"}"#;

    #[test]
    fn either_spelling_of_the_resume_token_marks_a_partial_list() {
        for (key, token) in [("nextToken", "abc"), ("NextToken", "abc")] {
            let bytes = result(
                LOW,
                r#""CRITICAL":40,"LOW":1"#,
                "COMPLETE",
                &format!(r#","{key}":"{token}""#),
            );
            match parse(&bytes) {
                Err(SavedError::PartialPage {
                    key: found,
                    listed,
                    declared,
                }) => {
                    assert_eq!(found, key);
                    assert_eq!(listed, 1);
                    assert_eq!(declared, " of 41 counted");
                }
                other => panic!("{key}: {other:?}"),
            }
        }
        // Empty or blank tokens are no token; null is none.
        for extra in [
            r#","nextToken":"""#,
            r#","NextToken":" ""#,
            r#","NextToken":null"#,
        ] {
            let bytes = result(LOW, r#""LOW":1"#, "COMPLETE", extra);
            assert!(parse(&bytes).unwrap().usable.is_ok(), "{extra}");
        }
    }

    #[test]
    fn counts_above_the_list_make_the_result_unusable_naming_the_gap() {
        let bytes = result(
            &format!("{HIGH},{LOW}"),
            r#""HIGH":3,"LOW":1"#,
            "COMPLETE",
            "",
        );
        let reason = parse(&bytes).unwrap().usable.unwrap_err();
        assert!(reason.contains("HIGH 3 declared, 1 listed"), "{reason}");
        assert!(!reason.contains("LOW"), "{reason}");
    }

    #[test]
    fn counts_below_the_list_or_equal_leave_it_usable() {
        for counts in [r#""HIGH":1"#, r#""HIGH":1,"LOW":1"#, r#""HIGH":0"#] {
            let bytes = result(&format!("{HIGH},{LOW}"), counts, "COMPLETE", "");
            assert!(parse(&bytes).unwrap().usable.is_ok(), "{counts}");
        }
    }

    #[test]
    fn counts_that_are_not_whole_numbers_make_the_result_unusable() {
        for counts in [
            r#""HIGH":-1"#,
            r#""HIGH":1.5"#,
            r#""HIGH":"many""#,
            r#""HIGH":null"#,
            r#""HIGH":1e300"#,
        ] {
            let bytes = result(HIGH, counts, "COMPLETE", "");
            let reason = parse(&bytes).unwrap().usable.unwrap_err();
            assert!(reason.contains("HIGH is not a whole number"), "{reason}");
        }
        let fine = result(HIGH, r#""HIGH":"1""#, "COMPLETE", "");
        assert!(parse(&fine).unwrap().usable.is_ok());
    }

    #[test]
    fn a_severity_counted_twice_is_refused() {
        let bytes = result(HIGH, r#""HIGH":40,"HIGH":0"#, "COMPLETE", "");
        let error = parse(&bytes).unwrap_err().to_string();
        assert!(error.contains("`HIGH` is counted twice"), "{error}");
        assert!(error.contains("findingSeverityCounts"), "{error}");
        let null = br#"{"repositoryName":"app","imageScanStatus":{"status":"COMPLETE"},
            "imageScanFindings":{"imageScanCompletedAt":1,"findings":[],"findingSeverityCounts":null}}"#;
        assert!(parse(null).unwrap().usable.is_ok());
        let list = br#"{"imageScanStatus":{"status":"COMPLETE"},"imageScanFindings":{"findingSeverityCounts":[1]}}"#;
        assert!(matches!(parse(list), Err(SavedError::Shape { .. })));
    }

    #[test]
    fn a_running_scan_is_unusable_whatever_its_counts_say() {
        let bytes = result(HIGH, r#""HIGH":1"#, "IN_PROGRESS", "");
        let reason = parse(&bytes).unwrap().usable.unwrap_err();
        assert!(reason.starts_with("status IN_PROGRESS"), "{reason}");
    }

    #[test]
    fn an_enhanced_status_without_enhanced_findings_is_refused() {
        let bytes = result("", "", "ACTIVE", "");
        assert!(matches!(
            parse(&bytes),
            Err(SavedError::EnhancedFindingsMissing { .. })
        ));
    }

    #[test]
    fn empty_complete_without_completion_time_is_unusable_unless_watched_to_settle() {
        let bytes = br#"{"repositoryName":"app","imageScanStatus":{"status":"COMPLETE"},
            "imageScanFindings":{"findings":[]}}"#;
        assert!(parse(bytes).unwrap().usable.is_err());
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let raw = RawResponse::deserialize(&mut de).unwrap();
        assert!(classify(raw, true).unwrap().usable.is_ok());
    }

    #[test]
    fn things_that_are_not_scan_results_say_what_they_are() {
        let event = br#"{"detail-type":"ECR Image Scan","detail":{}}"#;
        let what = parse(event).unwrap_err().to_string();
        assert!(what.contains("EventBridge"), "{what}");
        assert!(parse(b"[]").unwrap_err().to_string().contains("array"));
        assert!(parse(b"  ").unwrap_err().to_string().contains("empty"));
        let no_status = br#"{"imageScanFindings":{}}"#;
        assert!(
            parse(no_status)
                .unwrap_err()
                .to_string()
                .contains("imageScanStatus")
        );
    }
}
