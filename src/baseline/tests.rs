use super::*;
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{ScanType, Severity};

fn finding(id: &str, severity: Severity, package: &str, version: &str) -> FindingBuilder {
    FindingBuilder::new(id, severity).package(package, version)
}

/// One image per platform (`None`: unknown), each with its findings.
fn scans(images: Vec<(Option<&str>, Vec<FindingBuilder>)>) -> Vec<ImageScan> {
    images
        .into_iter()
        .map(|(platform, findings)| {
            let mut image = ImageBuilder::new("team/app").scan(ScanType::Enhanced, "ACTIVE");
            if let Some(platform) = platform {
                image = image.platform(platform);
            }
            image.into_scan(findings.into_iter().map(FindingBuilder::build).collect())
        })
        .collect()
}

fn set(images: Vec<(Option<&str>, Vec<FindingBuilder>)>) -> ScanSet {
    merge(scans(images))
}

fn baseline(images: Vec<(Option<&str>, Vec<FindingBuilder>)>) -> Baseline {
    Baseline::new("report main.json".into(), scans(images))
}

fn change_of(set: &ScanSet, delta: &Delta, id: &str) -> Change {
    let index = set
        .findings
        .iter()
        .position(|f| f.id == id)
        .unwrap_or_else(|| panic!("{id}"));
    delta.change(index)
}

fn fixed_ids(delta: &Delta) -> Vec<&str> {
    delta.fixed.iter().map(|f| f.finding.id.as_str()).collect()
}

#[test]
fn findings_are_new_unchanged_or_updated_and_the_rest_of_the_baseline_is_fixed() {
    let run = set(vec![(
        None,
        vec![
            finding("CVE-1", Severity::High, "openssl", "3.0.1"),
            finding("CVE-2", Severity::Critical, "openssl", "3.0.2"),
            finding("CVE-3", Severity::Medium, "zlib", "1.2"),
        ],
    )]);
    let base = baseline(vec![(
        None,
        vec![
            finding("CVE-1", Severity::High, "openssl", "3.0.1"),
            finding("cve-2", Severity::Critical, "openssl", "3.0.1"),
            finding("CVE-4", Severity::Low, "tar", "1.3"),
            finding("CVE-3", Severity::Medium, "zlib-ng", "1.2"),
        ],
    )]);
    let delta = compare(&run, &base, false).unwrap();
    assert_eq!(change_of(&run, &delta, "CVE-1"), Change::Unchanged);
    assert_eq!(change_of(&run, &delta, "CVE-2"), Change::Updated);
    assert_eq!(
        change_of(&run, &delta, "CVE-3"),
        Change::New,
        "another package"
    );
    let updated = &delta.findings[run.findings.iter().position(|f| f.id == "CVE-2").unwrap()];
    assert_eq!(updated.previous_versions, ["3.0.1"]);
    assert_eq!(fixed_ids(&delta), ["CVE-3", "CVE-4"]);
    let counts = delta.counts(&run);
    assert_eq!(counts.new.medium, 1);
    assert_eq!(counts.new.total, 1);
    assert_eq!(counts.unchanged.critical, 1);
    assert_eq!(counts.unchanged.high, 1);
    assert_eq!(counts.fixed.low, 1);
    assert_eq!(counts.fixed.medium, 1);
    assert_eq!(counts.fixed.total, 2);
    assert_eq!(delta.source, "report main.json");
}

#[test]
fn an_updated_finding_lists_each_version_the_baseline_had_once() {
    // Two baseline findings at 1.0 (scored apart, so not merged) and one at 1.1.
    let run = set(vec![(
        None,
        vec![finding("CVE-1", Severity::High, "a", "2.0")],
    )]);
    let base = baseline(vec![(
        None,
        vec![
            finding("CVE-1", Severity::High, "a", "1.0").score(7.0),
            finding("CVE-1", Severity::High, "a", "1.0").score(7.5),
            finding("CVE-1", Severity::High, "a", "1.1"),
        ],
    )]);
    let delta = compare(&run, &base, false).unwrap();
    assert_eq!(delta.change(0), Change::Updated);
    let mut versions = delta.findings[0].previous_versions.clone();
    versions.sort();
    assert_eq!(versions, ["1.0", "1.1"]);
    assert_eq!(delta.fixed.len(), 0);
}

#[test]
fn the_package_path_is_part_of_the_identity() {
    let run = set(vec![(
        None,
        vec![
            finding("GHSA-1", Severity::High, "lodash", "4.17.20").path("/app/node_modules/lodash"),
            finding("GHSA-1", Severity::High, "lodash", "4.17.20").path("/opt/other/lodash"),
        ],
    )]);
    let base = baseline(vec![(
        None,
        vec![
            finding("GHSA-1", Severity::High, "lodash", "4.17.20").path("/app/node_modules/lodash"),
        ],
    )]);
    let delta = compare(&run, &base, false).unwrap();
    let changes: Vec<Change> = delta.findings.iter().map(|f| f.change).collect();
    assert_eq!(changes, [Change::Unchanged, Change::New]);
    assert!(delta.fixed.is_empty());
}

#[test]
fn duplicates_and_missing_package_fields_compare_without_panicking() {
    let bare = || FindingBuilder::new("CVE-9", Severity::High);
    let run = set(vec![(
        None,
        vec![bare(), bare(), finding("CVE-8", Severity::Low, " ", "")],
    )]);
    let base = baseline(vec![(
        None,
        vec![bare(), bare().score(1.0), bare().score(2.0)],
    )]);
    let delta = compare(&run, &base, false).unwrap();
    assert_eq!(change_of(&run, &delta, "CVE-9"), Change::Unchanged);
    assert_eq!(change_of(&run, &delta, "CVE-8"), Change::New);
    assert!(delta.fixed.is_empty());
    // A blank version on either side is no version: unchanged, never updated.
    let run = set(vec![(None, vec![finding("CVE-7", Severity::Low, "a", "")])]);
    let base = baseline(vec![(
        None,
        vec![finding("CVE-7", Severity::Low, "a", "1")],
    )]);
    assert_eq!(
        compare(&run, &base, false).unwrap().change(0),
        Change::Unchanged
    );
}

#[test]
fn platforms_are_compared_with_their_own_baseline() {
    let high = |id: &str| finding(id, Severity::High, "openssl", "3");
    let run = set(vec![
        (Some("linux/amd64"), vec![high("CVE-1"), high("CVE-2")]),
        (Some("linux/arm64/v8"), vec![high("CVE-1"), high("CVE-2")]),
    ]);
    let base = baseline(vec![
        (Some("linux/arm64"), vec![high("CVE-2"), high("CVE-3")]),
        (Some("linux/amd64"), vec![high("CVE-1")]),
        (Some("linux/s390x"), vec![high("CVE-4")]),
    ]);
    let delta = compare(&run, &base, false).unwrap();
    // CVE-1 is new on arm64 only, CVE-2 on amd64 only: both new, per image as found.
    assert_eq!(change_of(&run, &delta, "CVE-1"), Change::New);
    let cve1 = &delta.findings[0];
    assert_eq!(cve1.per_image, [Change::Unchanged, Change::New]);
    assert_eq!(delta.change_in(0, &run.findings[0].images, 1), Change::New);
    assert_eq!(
        delta.change_in(0, &run.findings[0].images, 0),
        Change::Unchanged
    );
    // CVE-3 is gone from arm64; s390x is not gated, so CVE-4 is not "fixed".
    assert_eq!(fixed_ids(&delta), ["CVE-3"]);
    assert_eq!(delta.fixed[0].platforms, ["linux/arm64"]);
    assert!(
        delta.warnings.iter().any(|w| w.contains("linux/s390x")),
        "{:?}",
        delta.warnings
    );
}

#[test]
fn a_single_platform_baseline_applies_to_every_image() {
    let run = set(vec![
        (
            Some("linux/amd64"),
            vec![finding("CVE-1", Severity::High, "a", "1")],
        ),
        (
            Some("linux/arm64"),
            vec![finding("CVE-2", Severity::High, "a", "1")],
        ),
    ]);
    let base = baseline(vec![(
        None,
        vec![
            finding("CVE-1", Severity::High, "a", "1"),
            finding("CVE-2", Severity::High, "a", "1"),
            finding("CVE-3", Severity::High, "a", "1"),
        ],
    )]);
    let delta = compare(&run, &base, false).unwrap();
    assert_eq!(delta.change(0), Change::Unchanged);
    assert_eq!(delta.change(1), Change::Unchanged);
    // Gone from both images: fixed; CVE-1 is still in amd64, so it is not fixed for arm64.
    assert_eq!(fixed_ids(&delta), ["CVE-3"]);
}

#[test]
fn a_platform_a_multi_platform_baseline_lacks_is_an_error_unless_all_new() {
    let run = set(vec![(
        Some("linux/ppc64le"),
        vec![finding("CVE-1", Severity::High, "a", "1")],
    )]);
    let base = baseline(vec![
        (
            Some("linux/amd64"),
            vec![finding("CVE-1", Severity::High, "a", "1")],
        ),
        (Some("linux/arm64"), vec![]),
    ]);
    let error = compare(&run, &base, false).unwrap_err().to_string();
    assert!(error.contains("ppc64le"), "{error}");
    assert!(error.contains("linux/amd64, linux/arm64"), "{error}");
    let delta = compare(&run, &base, true).unwrap();
    assert_eq!(delta.change(0), Change::New);
    assert_eq!(delta.without_baseline.len(), 1);
    assert!(delta.fixed.is_empty(), "nothing was compared");
}

#[test]
fn an_empty_baseline_has_no_image_for_any_platform() {
    let run = set(vec![(
        None,
        vec![finding("CVE-1", Severity::High, "a", "1")],
    )]);
    let base = Baseline::new("x".into(), Vec::new());
    assert!(compare(&run, &base, false).is_err());
    let all_new = Delta::all_new(&run, "x".into(), "first run".into());
    assert_eq!(all_new.change(0), Change::New);
    assert_eq!(all_new.missing.as_deref(), Some("first run"));
}

#[test]
fn platform_keys_fold_aliases_and_arm64_s_default_variant() {
    assert_eq!(
        platform_key(Some("linux/arm64/v8")).as_deref(),
        Some("linux/arm64")
    );
    assert_eq!(
        platform_key(Some("Linux/AARCH64")).as_deref(),
        Some("linux/arm64")
    );
    assert_eq!(
        platform_key(Some("linux/x86_64")).as_deref(),
        Some("linux/amd64")
    );
    assert_eq!(
        platform_key(Some("linux/arm/v7")).as_deref(),
        Some("linux/arm/v7")
    );
    assert_eq!(platform_key(Some(" ")), None);
    assert_eq!(platform_key(None), None);
}

// ---- reading files ----

fn report(findings: &str, images: &str, result: &str) -> Vec<u8> {
    format!(
        r#"{{"schema_version":1,"tool":{{"name":"ecr-scan-gate","version":"0.1.0"}},
            "result":"{result}","images":[{images}],"findings":[{findings}],"extra":{{"vex":[1]}}}}"#
    )
    .into_bytes()
}

const AMD64: &str = r#"{"repository":"app","platform":"linux/amd64","scan":{"type":"enhanced"}}"#;

#[test]
fn a_report_reads_back_as_its_images_and_findings() {
    let bytes = report(
        r#"{"id":"CVE-1","severity":"high","package":{"name":"openssl","version":"3","path":null},
            "images":[0],"state":"violating","future":true},
           {"id":"CVE-2","severity":"weird","package":null,"images":[0,0]}"#,
        AMD64,
        "fail",
    );
    let Read::Report(scans) = read(&bytes).unwrap() else {
        panic!("a report")
    };
    let as_float = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("\"schema_version\":1,", "\"schema_version\":1.0,");
    assert!(read(as_float.as_bytes()).is_ok(), "1.0 is version 1");
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].image.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(scans[0].image.scan.scan_type, ScanType::Enhanced);
    let findings = &scans[0].findings;
    assert_eq!(findings.len(), 2, "an image listed twice counts once");
    assert_eq!(findings[0].severity, Severity::High);
    assert_eq!(findings[0].package.name.as_deref(), Some("openssl"));
    assert_eq!(findings[1].severity, Severity::Unknown);
}

#[test]
fn reports_that_cannot_be_a_baseline_are_refused_saying_why() {
    let refused = |bytes: &[u8]| match read(bytes) {
        Err(error) => crate::error_chain(&error),
        Ok(other) => panic!("accepted: {other:?}"),
    };
    let finding = r#"{"id":"CVE-1","images":[0]}"#;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            report(finding, AMD64, "incomplete"),
            "result is `incomplete`",
        ),
        (report(finding, AMD64, "error"), "reached no verdict"),
        (report(finding, "", "pass"), "lists no image"),
        (
            report(r#"{"id":" ","images":[0]}"#, AMD64, "pass"),
            "findings[0] has no id",
        ),
        (
            report(r#"{"id":"CVE-1"}"#, AMD64, "pass"),
            "findings[0] is in no image",
        ),
        (
            report(r#"{"id":"CVE-1","images":[3]}"#, AMD64, "pass"),
            "is in image 3, but the report lists 1 image(s)",
        ),
        (
            report(r#"{"id":"CVE-1","images":[-1]}"#, AMD64, "pass"),
            "findings[0].images[0]",
        ),
        (
            report(r#"{"id":5,"images":[0]}"#, AMD64, "pass"),
            "findings[0].id",
        ),
        (
            br#"{"schema_version":2,"tool":{"name":"ecr-scan-gate"},"result":"pass"}"#.to_vec(),
            "schema_version 2",
        ),
        (
            br#"{"tool":{"name":"ecr-scan-gate"},"result":"pass"}"#.to_vec(),
            "schema_version missing",
        ),
        (
            br#"{"schema_version":"1","tool":{"name":"ecr-scan-gate"},"result":"pass"}"#.to_vec(),
            "schema_version",
        ),
        (
            br#"{"schema_version":1,"tool":{"name":"trivy"},"result":"pass"}"#.to_vec(),
            "tool is `trivy`",
        ),
        (
            b"{\"schema_version\":1,".to_vec(),
            "not valid JSON at line 1",
        ),
        (b"".to_vec(), "empty"),
        (b"[]".to_vec(), "array"),
        (b"42".to_vec(), "not a JSON object"),
        (br#"{"SchemaVersion":2,"Results":[]}"#.to_vec(), "neither"),
    ];
    for (bytes, expected) in cases {
        let error = refused(&bytes);
        assert!(
            error.contains(expected),
            "{}: {error}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn a_report_with_more_findings_than_any_image_has_is_refused_while_reading() {
    let one = r#"{"id":"CVE-1","images":[0]},"#;
    let mut findings = one.repeat(report::MAX_FINDINGS + 1);
    findings.pop();
    let error = crate::error_chain(&read(&report(&findings, AMD64, "pass")).unwrap_err());
    assert!(error.contains("more than 500000 items"), "{error}");
    assert!(error.contains("`findings`"), "{error}");
    let mut findings = one.repeat(1000);
    findings.pop();
    assert!(read(&report(&findings, AMD64, "pass")).is_ok());
}

#[test]
fn saved_scan_results_read_as_saved_whether_usable_or_not() {
    let saved = br#"{"repositoryName":"app","imageScanStatus":{"status":"COMPLETE"},
        "imageScanFindings":{"imageScanCompletedAt":1,"findings":[{"name":"CVE-1","severity":"HIGH"}]}}"#;
    match read(saved).unwrap() {
        Read::Saved(scan) => {
            assert!(scan.usable.is_ok());
            assert_eq!(scan.scan.findings[0].id, "CVE-1");
        }
        other => panic!("{other:?}"),
    }
    let running = br#"{"imageScanStatus":{"status":"IN_PROGRESS"}}"#;
    match read(running).unwrap() {
        Read::Saved(scan) => assert!(scan.usable.is_err()),
        other => panic!("{other:?}"),
    }
    let partial =
        br#"{"imageScanStatus":{"status":"COMPLETE"},"imageScanFindings":{},"NextToken":"x"}"#;
    let error = crate::error_chain(&read(partial).unwrap_err());
    assert!(error.contains("NextToken"), "{error}");
}
