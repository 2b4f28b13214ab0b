//! Reading saved `aws ecr describe-image-scan-findings` output (AWS CLI v1/v2, or the raw API response)
//! from bytes: the JSON is parsed into the wire shapes (`wire`), which `convert` turns into a scan
//! result.
//!
//! Parses tolerantly: every field may be missing or `null`, timestamps may be ISO-8601 strings or epoch
//! numbers, scores may be strings or numbers, unknown keys are ignored. What is not JSON, or not one
//! JSON object, is refused here with the line and column, or a message that says what the file is.
//! Must not decide pass or fail.

use super::convert;
pub use super::convert::{SavedError, SavedScan};
use super::wire::RawResponse;

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
    convert::scan_result(raw, false)
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

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
        assert!(convert::scan_result(raw, true).unwrap().usable.is_ok());
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
