use std::path::Path;

use jiff::civil::date;
use serde_json::{Value, json};

use super::*;
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{ScanSet, ScanType, Severity};
use crate::policy::{Ignore, Policy, evaluate};
use crate::run::{RunResult, testing};

/// Asserts that `report` is valid under the vendored GitLab container-scanning schema (15.2.4).
#[track_caller]
pub(crate) fn assert_valid_gitlab(report: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schemas/gitlab-container-scanning-report-format-15.2.4.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(10)
        .collect();
    assert!(errors.is_empty(), "not a valid GitLab report: {errors:#?}");
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn render(set: &ScanSet, policy: &Policy, result: &RunResult) -> Value {
    let ctx = Context {
        set,
        policy,
        result,
        tool_version: "0.1.0",
    };
    let mut out = Vec::new();
    write(
        &ctx,
        at("2026-11-28T10:00:00Z"),
        at("2026-11-28T10:03:07.5Z"),
        &mut out,
    )
    .unwrap();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_valid_gitlab(&report);
    report
}

fn scene() -> (ScanSet, Policy) {
    let image = |platform: &str| {
        ImageBuilder::new("team/app")
            .account("123456789012", "eu-west-1")
            .tag("1.2.3")
            .digest(format!("sha256:{}", "c".repeat(64)))
            .platform(platform)
            .scan(ScanType::Basic, "COMPLETE")
            .build()
    };
    let set = ScanSet {
        images: vec![image("linux/amd64"), image("linux/arm64")],
        findings: vec![
            FindingBuilder::new("CVE-2026-1000", Severity::Critical)
                .title("CVE-2026-1000 - openssl")
                .description("A heap overflow.")
                .package("openssl", "3.0.1")
                .fix("3.0.2")
                .urls(&[
                    "https://nvd.nist.gov/vuln/detail/CVE-2026-1000",
                    "HTTPS://upper.example/x",
                ])
                .images([0, 1])
                .build(),
            FindingBuilder::new("ALAS-2026-7", Severity::Informational)
                .package("bash", "5.2")
                .images([1])
                .build(),
            FindingBuilder::new("CVE-2026-3000", Severity::High)
                .package("curl", "8.0")
                .images([0])
                .build(),
            FindingBuilder::new("CVE-2026-5000", Severity::Medium)
                .package("zlib", "1.3")
                .suppressed_by_scanner()
                .images([0])
                .build(),
        ],
        warnings: vec!["a count disagrees".to_string()],
    };
    let mut policy = Policy::default();
    policy.ignores.push(Ignore {
        id: "CVE-2026-3000".into(),
        reason: "not reachable".into(),
        expires: Some(date(2099, 1, 1)),
        package: None,
        repository: None,
        line: Some(3),
    });
    (set, policy)
}

#[test]
fn a_verdict_is_a_successful_scan_with_one_vulnerability_per_finding_and_image() {
    let (set, policy) = scene();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let report = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_eq!(report["version"], "15.2.4");
    let scan = &report["scan"];
    assert_eq!(scan["status"], "success");
    assert_eq!(scan["type"], "container_scanning");
    assert_eq!(scan["start_time"], "2026-11-28T10:00:00");
    assert_eq!(scan["end_time"], "2026-11-28T10:03:07");
    assert_eq!(scan["analyzer"]["id"], "ecr-scan-gate");
    assert_eq!(scan["analyzer"]["version"], "0.1.0");
    assert_eq!(scan["scanner"]["name"], "Amazon ECR basic scanning");
    assert_eq!(scan["scanner"]["vendor"]["name"], "Amazon Web Services");
    assert!(
        scan["scanner"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.aws.amazon.com/")
    );
    assert_eq!(scan["analyzer"]["vendor"]["name"], "ecr-scan-gate");
    assert_eq!(
        scan["messages"],
        json!([{"level": "warn", "value": "a count disagrees"}]),
        "nothing left out, nothing else to say"
    );
    let vulnerabilities = report["vulnerabilities"].as_array().unwrap();
    // openssl in both images, bash in arm64; curl (ignored) and zlib (suppressed) left out.
    let ids: Vec<(&str, &str)> = vulnerabilities
        .iter()
        .map(|v| {
            (
                v["identifiers"][0]["value"].as_str().unwrap(),
                v["location"]["image"].as_str().unwrap(),
            )
        })
        .collect();
    let image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.2.3";
    assert_eq!(
        ids,
        [
            ("CVE-2026-1000", image),
            ("CVE-2026-1000", image),
            ("ALAS-2026-7", image)
        ]
    );
    let first = &vulnerabilities[0];
    assert_eq!(first["severity"], "Critical");
    assert_eq!(first["name"], "CVE-2026-1000 - openssl");
    assert_eq!(first["description"], "A heap overflow.");
    assert_eq!(first["solution"], "Upgrade openssl to 3.0.2");
    assert_eq!(first["identifiers"][0]["type"], "cve");
    assert_eq!(
        first["identifiers"][0]["url"],
        "https://nvd.nist.gov/vuln/detail/CVE-2026-1000"
    );
    assert_eq!(first["links"].as_array().unwrap().len(), 1);
    assert_eq!(
        first["location"]["dependency"]["package"]["name"],
        "openssl"
    );
    assert_eq!(first["location"]["dependency"]["version"], "3.0.1");
    assert_eq!(first["location"]["operating_system"], "linux");
    assert_eq!(vulnerabilities[2]["severity"], "Info");
    assert_eq!(vulnerabilities[2]["identifiers"][0]["type"], "alas");
    assert_eq!(vulnerabilities[2]["name"], "ALAS-2026-7 in bash");
    // Ids: one per finding and image, the same in every run.
    assert_ne!(first["id"], vulnerabilities[1]["id"]);
    let again = render(&set, &policy, &testing::verdict(&verdict, true));
    assert_eq!(again["vulnerabilities"][0]["id"], first["id"]);
}

#[test]
fn a_failed_policy_is_still_a_successful_scan() {
    let (set, mut policy) = scene();
    policy.fail_on = Some(Severity::Informational);
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    assert_eq!(verdict.outcome, crate::policy::Outcome::Fail);
    let report = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_eq!(report["scan"]["status"], "success");
}

#[test]
fn no_verdict_is_a_failed_scan_with_the_reason() {
    let (set, policy) = scene();
    let reasons = vec!["team/app (linux/s390x): UNSUPPORTED_IMAGE".to_string()];
    let report = render(&set, &policy, &testing::incomplete(&reasons));
    assert_eq!(report["scan"]["status"], "failure");
    let messages = report["scan"]["messages"].as_array().unwrap();
    assert!(messages.iter().any(
        |m| m["level"] == "fatal" && m["value"] == "team/app (linux/s390x): UNSUPPORTED_IMAGE"
    ));
    let report = render(
        &ScanSet::default(),
        &policy,
        &testing::error("couldn't read findings file x.json"),
    );
    assert_eq!(report["scan"]["status"], "failure");
    assert_eq!(report["scan"]["messages"][0]["level"], "fatal");
    assert_eq!(report["vulnerabilities"], Value::Array(Vec::new()));
}

#[test]
fn expired_ignores_are_warned_about() {
    let (set, mut policy) = scene();
    policy.ignores[0].expires = Some(date(2026, 1, 1));
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let report = render(&set, &policy, &testing::verdict(&verdict, false));
    let messages = report["scan"]["messages"].as_array().unwrap();
    assert!(
        messages.iter().any(|m| m["level"] == "warn"
            && m["value"]
                == "the ignore of CVE-2026-3000 expired on 2026-01-01: it no longer applies"),
        "{messages:?}"
    );
    // No longer ignored, so listed.
    assert_eq!(report["vulnerabilities"].as_array().unwrap().len(), 4);
}

#[test]
fn hostile_and_huge_text_stays_valid_and_bounded() {
    let hostile = "CVE-1 ![x](https://t.example/p.png) [l](javascript:x) <img src=x> @team #1 \u{0}\u{1b}[31m\u{202e}\u{feff}\u{e0041} \r\n::error::x";
    let huge = format!("{hostile}{}", "A".repeat(2_000_000));
    let image = ImageBuilder::new(hostile)
        .account("123456789012", "eu-west-1")
        .tag(hostile)
        .platform(hostile)
        .scan(ScanType::Enhanced, hostile)
        .build();
    let finding = FindingBuilder::new(&huge, Severity::Critical)
        .title(&huge)
        .description(&huge)
        .package(&huge, &huge)
        .fix(&huge)
        .urls(&["javascript:alert(1)", "https://u:p@e.example/", " "])
        .build();
    let set = ScanSet {
        images: vec![image],
        findings: vec![finding],
        warnings: vec![huge.clone()],
    };
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let report = render(&set, &policy, &testing::verdict(&verdict, false));
    let text = report.to_string();
    assert!(text.len() < 60_000, "{} bytes", text.len());
    let vulnerability = &report["vulnerabilities"][0];
    assert!(vulnerability.get("links").is_none());
    assert!(vulnerability["identifiers"][0].get("url").is_none());
    assert_eq!(vulnerability["identifiers"][0]["type"], "cve");
    let description = vulnerability["description"].as_str().unwrap();
    assert!(description.contains(r"!\[x\](https") && !description.contains("<img"));
    assert!(
        !description.replace(r"\]", "").contains(']'),
        "{description}"
    );
    assert!(description.contains("&#64;&#8203;team"));
    let mut strings = Vec::new();
    collect(&report, &mut strings);
    for s in strings {
        assert!(!s.chars().any(crate::report::escape::is_hidden), "{s:?}");
    }
}

fn collect<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[test]
fn past_the_cap_the_least_severe_are_left_out_and_said() {
    let findings = (0..MAX_VULNERABILITIES + 3)
        .map(|n| {
            let severity = if n < 3 {
                Severity::Critical
            } else {
                Severity::Low
            };
            FindingBuilder::new(&format!("CVE-2026-{n:05}"), severity).build()
        })
        .collect();
    let set = ScanSet {
        images: vec![ImageBuilder::new("team/big").build()],
        findings,
        warnings: Vec::new(),
    };
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let ctx = Context {
        set: &set,
        policy: &policy,
        result: &testing::verdict(&verdict, false),
        tool_version: "0.1.0",
    };
    let report = report(&ctx, at("2026-11-28T10:00:00Z"), at("2026-11-28T10:00:00Z"));
    assert_eq!(report.vulnerabilities.len(), MAX_VULNERABILITIES);
    assert_eq!(report.vulnerabilities[0].severity, "Critical");
    assert!(report.scan.messages.iter().any(|m| {
        m.value
            .starts_with("3 less severe vulnerabilities are left out")
    }));
}

#[test]
fn identifier_types_come_from_the_id() {
    assert_eq!(identifier_type("CVE-2024-1"), "cve");
    assert_eq!(identifier_type("GHSA-xxxx-yyyy-zzzz"), "ghsa");
    assert_eq!(identifier_type("ALAS2023-2024-1"), "alas2023");
    for odd in ["", "-1", "noid", "a b-1", "<x>-1", "ABCDEFGHIJKLMNOPQ-1"] {
        assert_eq!(identifier_type(odd), "vulnerability", "{odd}");
    }
}

#[test]
fn the_scanner_is_named_after_the_scans_read() {
    let image = |scan_type| {
        ImageBuilder::new("team/app")
            .scan(scan_type, "COMPLETE")
            .build()
    };
    let name = |images: Vec<Image>| {
        let set = ScanSet {
            images,
            findings: Vec::new(),
            warnings: Vec::new(),
        };
        let policy = Policy::default();
        let result = testing::error("x");
        let ctx = Context {
            set: &set,
            policy: &policy,
            result: &result,
            tool_version: "0.1.0",
        };
        scanner_name(&ctx)
    };
    assert_eq!(
        name(vec![image(ScanType::Basic)]),
        "Amazon ECR basic scanning"
    );
    assert_eq!(
        name(vec![image(ScanType::Enhanced)]),
        "Amazon ECR enhanced scanning (Amazon Inspector)"
    );
    assert_eq!(
        name(vec![image(ScanType::Enhanced), image(ScanType::Basic)]),
        "Amazon ECR basic and enhanced scanning"
    );
    assert_eq!(name(Vec::new()), "Amazon ECR basic scanning");
}

#[test]
fn text_that_cleans_to_nothing_falls_back() {
    let finding = FindingBuilder::new("CVE-2026-9", Severity::High)
        .title("\u{200b}\u{202e} \u{0}")
        .description("\u{feff}")
        .package("\u{200b}", "1.0")
        .build();
    let image = ImageBuilder::new("team/app").build();
    let vulnerability = vulnerability(&finding, &image);
    assert_eq!(vulnerability.name, "CVE-2026-9 in unknown");
    assert_eq!(vulnerability.description, None);
    assert_eq!(vulnerability.location.dependency.package.name, "unknown");
    assert_eq!(vulnerability.location.operating_system, "unknown");
    assert_eq!(vulnerability.location.image, "team/app");
}
