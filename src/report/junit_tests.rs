use std::path::Path;
use std::process::Command;

use jiff::civil::date;

use super::*;
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{ScanSet, ScanType, Severity};
use crate::policy::{Ignore, Policy, evaluate};
use crate::run::{RunResult, testing};

/// Asserts that `xml` is valid under the vendored `junit-10.xsd` (Python's `xmlschema`, which
/// `scripts/test` installs; a missing validator fails the test).
#[track_caller]
pub(crate) fn assert_valid_junit(xml: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), xml).unwrap();
    let output = Command::new("python3")
        .arg(root.join("validate_xsd.py"))
        .arg(root.join("junit-10.xsd"))
        .arg(file.path())
        .output()
        .expect("python3 runs (scripts/test installs it and xmlschema)");
    assert!(
        output.status.success(),
        "JUnit report not valid under junit-10.xsd:\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        &xml[..xml.len().min(4000)]
    );
}

fn render(set: &ScanSet, policy: &Policy, result: &RunResult) -> String {
    let ctx = Context {
        set,
        policy,
        result,
        tool_version: "0.1.0",
    };
    let mut out = Vec::new();
    write(&ctx, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Two platform images; a critical finding in both, a high one in arm64 only, a low one in amd64, an
/// ignored one.
fn scene() -> (ScanSet, Policy) {
    let image = |platform: &str| {
        ImageBuilder::new("team/app")
            .tag("1.2.3")
            .digest(format!("sha256:{}", "b".repeat(64)))
            .platform(platform)
            .scan(ScanType::Enhanced, "ACTIVE")
            .build()
    };
    let set = ScanSet {
        images: vec![image("linux/amd64"), image("linux/arm64")],
        findings: vec![
            FindingBuilder::new("CVE-2026-1000", Severity::Critical)
                .package("openssl", "3.0.1")
                .fix("3.0.2")
                .score(9.8)
                .urls(&["https://nvd.nist.gov/vuln/detail/CVE-2026-1000"])
                .images([0, 1])
                .build(),
            FindingBuilder::new("CVE-2026-2000", Severity::High)
                .package("zlib", "1.2")
                .images([1])
                .build(),
            FindingBuilder::new("CVE-2026-3000", Severity::High)
                .package("curl", "8.0")
                .images([0])
                .build(),
            FindingBuilder::new("CVE-2026-4000", Severity::Low)
                .package("bash", "5.2")
                .images([0])
                .build(),
        ],
        warnings: Vec::new(),
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

fn count(xml: &str, needle: &str) -> usize {
    xml.matches(needle).count()
}

#[test]
fn a_failing_run_has_a_suite_per_image_and_a_failure_per_violating_finding() {
    let (set, policy) = scene();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_valid_junit(&xml);
    assert_eq!(count(&xml, "<testsuite "), 2, "{xml}");
    // amd64: the critical one fails; curl is ignored and bash below the threshold, summed up.
    // arm64: the critical and zlib fail.
    assert!(xml.contains(
        r#"<testsuite name="team/app:1.2.3 (linux/amd64)" tests="2" failures="1" errors="0" skipped="0">"#
    ), "{xml}");
    assert!(xml.contains(
        r#"<testsuite name="team/app:1.2.3 (linux/arm64)" tests="3" failures="2" errors="0" skipped="0">"#
    ), "{xml}");
    assert!(xml.contains(r#"<testsuites name="ecr-scan-gate" tests="5" failures="3" errors="0">"#));
    assert_eq!(count(&xml, "<failure "), 3);
    assert!(xml.contains(r#"name="CVE-2026-1000 in openssl 3.0.1""#));
    assert!(xml.contains(
        r#"message="critical CVE-2026-1000 in openssl 3.0.1 (fixed in 3.0.2) breaks fail-on = high""#
    ));
    assert!(xml.contains("see: https://nvd.nist.gov/vuln/detail/CVE-2026-1000"));
    assert!(xml.contains("\nfixed in: 3.0.2\n"), "{xml}");
    assert!(!xml.contains("exploit available"), "{xml}");
    assert_eq!(count(&xml, r#"<property name="tags" value="1.2.3"/>"#), 2);
    assert_eq!(count(&xml, r#"<property name="result" value="fail"/>"#), 2);
    assert!(
        xml.contains("2 of 3 findings pass the policy; 1 violate it"),
        "{xml}"
    );
    assert!(
        xml.contains("1 ignored by the policy\n1 below the threshold"),
        "{xml}"
    );
    assert!(xml.contains("policy: fail-on = high"));
}

#[test]
fn a_passing_run_has_only_passing_cases() {
    let (set, mut policy) = scene();
    policy.fail_on = Some(Severity::Critical);
    policy.ignores.clear();
    let mut set = set;
    set.findings.remove(0);
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_valid_junit(&xml);
    assert_eq!(count(&xml, "<failure"), 0);
    assert_eq!(count(&xml, "<error"), 0);
    assert!(
        xml.contains(r#"tests="2" failures="0" errors="0">"#),
        "{xml}"
    );
    assert!(xml.contains("all 2 findings pass the policy"), "{xml}");
    assert!(xml.contains("policy: fail-on = critical"));
}

#[test]
fn report_only_keeps_violations_as_failures() {
    let (set, policy) = scene();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, true));
    assert_valid_junit(&xml);
    assert_eq!(count(&xml, "<failure "), 3);
    assert_eq!(
        count(&xml, r#"<property name="report_only" value="true"/>"#),
        2
    );
}

#[test]
fn an_incomplete_run_is_never_green() {
    let (set, policy) = scene();
    let reasons =
        vec!["team/app@sha256:b (linux/s390x): scan FAILED: UNSUPPORTED_IMAGE".to_string()];
    let xml = render(&set, &policy, &testing::incomplete(&reasons));
    assert_valid_junit(&xml);
    assert_eq!(count(&xml, "<failure"), 0);
    assert_eq!(count(&xml, "<error "), 1, "{xml}");
    assert!(xml.contains(r#"type="incomplete""#));
    assert!(xml.contains("UNSUPPORTED_IMAGE"));
    // The images read are listed, their cases skipped: no verdict applies to them.
    assert_eq!(count(&xml, "<skipped "), 2);
    assert_eq!(
        count(&xml, r#"failures="0" errors="0" skipped="1">"#),
        2,
        "{xml}"
    );
    assert!(xml.contains(r#"errors="1">"#), "{xml}");
    assert!(xml.contains("no verdict: another image&apos;s scan gave no usable result"));
}

#[test]
fn an_error_is_an_error_case() {
    let xml = render(
        &ScanSet::default(),
        &Policy::default(),
        &testing::error("couldn't read findings file x.json: No such file"),
    );
    assert_valid_junit(&xml);
    assert!(
        xml.contains(
            r#"<testsuite name="ecr-scan-gate" tests="1" failures="0" errors="1" skipped="0">"#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"<error type="error" message="couldn&apos;t read findings file x.json: No such file">"#), "{xml}");
    assert!(xml.contains(r#"<testsuites name="ecr-scan-gate" tests="1" failures="0" errors="1">"#));
}

#[test]
fn an_image_without_findings_passes_with_one_case() {
    let set = ScanSet {
        images: vec![ImageBuilder::new("team/empty").tag("v1").build()],
        findings: Vec::new(),
        warnings: Vec::new(),
    };
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_valid_junit(&xml);
    assert!(
        xml.contains(r#"tests="1" failures="0" errors="0" skipped="0">"#),
        "{xml}"
    );
    assert!(xml.contains("no findings"));
}

#[test]
fn hostile_and_huge_text_stays_valid_xml_within_bounds() {
    let hostile = "CVE-1 ]]> <![CDATA[ x ]]> </failure><testcase name=\"pwn\"/> &amp; \u{0}\u{1}\u{b}\u{c}\u{1b}[31m \u{7f}\u{85}\u{202e}\u{feff}\u{fffe}\u{ffff} 'q' \r\n::error::x";
    let huge = format!("{hostile}{}", "A".repeat(2_000_000));
    let image = ImageBuilder::new(hostile)
        .tag(hostile)
        .platform(hostile)
        .scan(ScanType::Basic, hostile)
        .build();
    let finding = |id: &str| {
        FindingBuilder::new(id, Severity::Critical)
            .title(&huge)
            .description(&huge)
            .package(hostile, &huge)
            .fix(hostile)
            .path(hostile)
            .urls(&["javascript:alert(1)", "https://e.com/a\"b"])
            .build()
    };
    let set = ScanSet {
        images: vec![image],
        findings: vec![finding(hostile), finding(&huge)],
        warnings: vec![hostile.to_string()],
    };
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_valid_junit(&xml);
    assert!(xml.len() < 40_000, "{} bytes", xml.len());
    assert!(!xml.contains("]]>") && !xml.contains("<testcase name=\"pwn\""));
    assert!(!xml.contains("javascript:") && !xml.contains("e.com/a"));
    for c in xml.chars() {
        assert!(
            c == '\n' || !crate::report::escape::is_hidden(c),
            "U+{:04X}",
            c as u32
        );
        assert!(!matches!(c, '\u{fffe}' | '\u{ffff}'));
    }
    assert_eq!(count(&xml, "<failure "), 2);
}

#[test]
fn a_suite_lists_at_most_the_cap_and_counts_the_rest() {
    let findings = (0..MAX_FAILURES_PER_SUITE + 7)
        .map(|n| FindingBuilder::new(&format!("CVE-2026-{n:05}"), Severity::High).build())
        .collect();
    let set = ScanSet {
        images: vec![ImageBuilder::new("team/big").build()],
        findings,
        warnings: Vec::new(),
    };
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_eq!(
        count(&xml, "<failure type=\"high\""),
        MAX_FAILURES_PER_SUITE
    );
    assert!(
        xml.contains(r#"name="7 more violating findings""#),
        "cap case missing"
    );
    let all = MAX_FAILURES_PER_SUITE + 7;
    assert!(xml.contains(&format!(
        "0 of {all} findings pass the policy; {all} violate it"
    )));
    let failures = MAX_FAILURES_PER_SUITE + 1;
    assert!(xml.contains(&format!(
        r#"tests="{}" failures="{failures}" errors="0" skipped="0">"#,
        failures + 1
    )));
}

#[test]
fn the_passing_case_sums_up_allowed_and_suppressed_findings() {
    let findings = vec![
        FindingBuilder::new("CVE-2026-1", Severity::High)
            .exploit_available(true)
            .fix_available(false)
            .build(),
        FindingBuilder::new("CVE-2026-2", Severity::High).build(),
        FindingBuilder::new("CVE-2026-3", Severity::Medium)
            .suppressed_by_scanner()
            .build(),
    ];
    let set = ScanSet {
        images: vec![ImageBuilder::new("team/app").build()],
        findings,
        warnings: Vec::new(),
    };
    let mut policy = Policy::default();
    policy.max.insert(Severity::High, 1);
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_valid_junit(&xml);
    // Two highs over an allowance of one: both violate.
    assert_eq!(count(&xml, "<failure "), 2, "{xml}");
    assert!(xml.contains("\nexploit available: yes</failure>"), "{xml}");
    assert!(xml.contains("\nfixed in: no fix available\n"), "{xml}");
    assert!(
        xml.contains(
            "1 of 3 findings pass the policy; 2 violate it\n1 suppressed in Amazon Inspector\n\
             policy: fail-on = high, max.high = 1"
        ),
        "{xml}"
    );
    // One high within the allowance of one: allowed.
    let mut set = set;
    set.findings.remove(1);
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let xml = render(&set, &policy, &testing::verdict(&verdict, false));
    assert_eq!(count(&xml, "<failure "), 0, "{xml}");
    assert!(
        xml.contains(
            "all 2 findings pass the policy\n1 within an allowance ([gate.max])\n\
             1 suppressed in Amazon Inspector"
        ),
        "{xml}"
    );
}
