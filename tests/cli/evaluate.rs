//! `evaluate` end to end: the real binary on saved scan results.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

// ---- Public ECR outputs ----

#[test]
fn aws_cli_doc_example_passes_with_one_medium() {
    let run = Gate::evaluate(&[public(
        "findings/basic/awscli-example-sample-repo-1-finding-epoch-timestamps.json",
    )])
    .reports()
    .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "pass");
    assert_eq!(report["counts"]["medium"], 1);
    assert_eq!(report["images"][0]["scan"]["type"], "basic");
    assert!(
        report["images"][0]["scan"]["completed_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2020-01-24")),
        "{}",
        report["images"][0]
    );
    run.sarif();
    run.assert_stderr("PASS");
}

#[test]
fn real_debian_scan_with_257_findings_fails_on_critical_and_high() {
    let run = Gate::evaluate(&[public(
        "findings/basic/cultureamp-debian10-bff-version-257-findings.json",
    )])
    .reports()
    .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    let counts = &report["counts"];
    assert_eq!(counts["total"], 257);
    assert_eq!(counts["critical"], 1);
    assert_eq!(counts["high"], 5);
    assert_eq!(counts["medium"], 32);
    assert_eq!(counts["low"], 25);
    assert_eq!(counts["informational"], 183);
    assert_eq!(counts["unknown"], 11);
    assert_eq!(report["verdict"]["violations"].as_array().unwrap().len(), 6);
    assert_eq!(report["verdict"]["violations"][0]["rule"], "fail-on = high");
    // Severity is the vendor's, not derived from CVSS: CVE-2005-2541 is INFORMATIONAL with CVSS2 10.
    let informational = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2005-2541")
        .expect("CVE-2005-2541");
    assert_eq!(informational["severity"], "informational");
    assert_eq!(informational["score"], 10.0);
    // Same CVE in two packages: two findings.
    let sarif = run.sarif();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 257);
    assert!(run.markdown().contains("fail-on = high"));
    run.assert_stderr("FAIL");
}

#[test]
fn hand_edited_sample_with_disagreeing_counts_warns_and_judges_the_list() {
    let run = Gate::evaluate(&[public(
        "findings/basic/cultureamp-sample-repo-3-findings-edited-cli-example.json",
    )])
    .reports()
    .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["counts"]["total"], 3);
    assert_eq!(report["counts"]["unknown"], 1);
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("disagree"), "{warnings}");
    run.assert_stderr("disagree");
}

#[test]
fn first_page_with_next_token_is_refused_not_passed() {
    let run = Gate::evaluate(&[public(
        "findings/basic/dynatrace-docs-unguard-frontend-page1-4-of-715-findings-nexttoken.json",
    )])
    .reports()
    .run();
    run.expect(2);
    run.assert_stderr("`nextToken`");
    run.assert_stderr("715");
    assert_eq!(run.json()["result"], "error");
    assert!(!run.exists("report.sarif"));
}

#[test]
fn aws_cli_v1_alpine_output_passes() {
    let run = Gate::evaluate(&[public(
        "findings/basic/strongjz-workshop-alpine-golang-example-4-findings-cli-v1.json",
    )])
    .reports()
    .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["counts"]["medium"], 3);
    assert_eq!(report["counts"]["low"], 1);
}

#[test]
fn moto_enhanced_example_keeps_untriaged_as_unknown_without_score() {
    let run = Gate::evaluate(&[public(
        "findings/enhanced/moto-test-motoserver-debian12-2-findings-untriaged.json",
    )])
    .reports()
    .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["counts"]["total"], 2);
    assert_eq!(report["counts"]["unknown"], 1);
    let untriaged = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vendor_severity"] == "UNTRIAGED")
        .expect("untriaged finding");
    assert_eq!(untriaged["score"], Value::Null);
    assert_eq!(untriaged["package"]["fixed_in"], Value::Null);
    assert_eq!(report["images"][0]["scan"]["type"], "enhanced");
    run.sarif();
}

#[test]
fn api_reference_enhanced_active_example_fails_on_its_high() {
    let run = Gate::evaluate(&[public(
        "findings/enhanced/ecr-api-reference-example-enhanced-1-finding-active.json",
    )])
    .reports()
    .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(report["images"][0]["scan"]["status"], "ACTIVE");
    assert_eq!(report["findings"][0]["fix_available"], false);
    assert_eq!(report["findings"][0]["exploit_available"], false);
    run.sarif();
}

#[test]
fn enhanced_region_is_read_from_the_resource_arn() {
    // ECR's `Resource` has no `region` field; the API reference example names its region only in the ARN.
    let run = Gate::evaluate(&[public(
        "findings/enhanced/ecr-api-reference-example-enhanced-1-finding-active.json",
    )])
    .reports()
    .run();
    assert_eq!(run.json()["images"][0]["region"], "us-west-2");
}

#[test]
fn single_enhanced_finding_fragment_is_not_a_scan_result() {
    let run = Gate::evaluate(&[public(
        "findings/enhanced/cdk-eks-blueprints-patterns-fragment-1-enhanced-finding-centos8.json",
    )])
    .reports()
    .run();
    run.expect(2);
    run.assert_stderr("single enhanced finding");
}

#[test]
fn cli_max_items_output_with_capital_next_token_is_refused_not_passed() {
    // Regression (issue 8.1): `--max-items` prints the resume token as `NextToken`; the reader only knew
    // `nextToken`, so one low finding was judged although the counts declare 40 critical ones.
    let run = Gate::evaluate(&[fixture("findings/cli-max-items-next-token.json")])
        .reports()
        .run();
    run.expect(2);
    run.assert_stderr("`NextToken`");
    run.assert_stderr("1 findings listed of 41 counted");
    assert_eq!(run.json()["result"], "error");
    assert!(!run.exists("report.sarif"));
    // --report-only never turns a partial list into a pass.
    Gate::evaluate(&[fixture("findings/cli-max-items-next-token.json")])
        .reports()
        .report_only()
        .fail_on("none")
        .run()
        .expect(2);
}

#[test]
fn counts_declaring_more_than_listed_give_no_verdict_naming_both_numbers() {
    // Regression (issue 8.2): more declared than listed means findings are missing: no verdict, exit 3.
    let run = Gate::evaluate(&[fixture("findings/counts-declare-more-than-listed.json")])
        .reports()
        .fail_on("critical")
        .run();
    run.expect(3);
    let report = run.json();
    assert_eq!(report["result"], "incomplete");
    let stderr = &run.stderr;
    run.assert_stderr("CRITICAL 2 declared, 0 listed");
    run.assert_stderr("HIGH 3 declared, 1 listed");
    assert!(!stderr.contains("LOW 1 declared"), "{stderr}");
    assert!(!run.exists("report.sarif"));
    assert!(run.markdown().contains("HIGH 3 declared, 1 listed"));
    Gate::evaluate(&[fixture("findings/counts-declare-more-than-listed.json")])
        .reports()
        .report_only()
        .run()
        .expect(3);
}

#[test]
fn enhanced_complete_result_whose_list_was_dropped_gives_no_verdict() {
    // An outdated CLI drops `enhancedFindings` of a COMPLETE enhanced result: only the counts remain.
    let run = Gate::evaluate(&[fixture(
        "findings/enhanced-complete-without-enhanced-findings.json",
    )])
    .reports()
    .run();
    run.expect(3);
    run.assert_stderr("HIGH 2 declared, 0 listed");
    run.assert_stderr("MEDIUM 5 declared, 0 listed");
}

#[test]
fn one_platform_with_missing_findings_stops_the_verdict_for_all() {
    let [amd64, _] = platforms();
    let run = Gate::evaluate(&[
        amd64,
        fixture("findings/counts-declare-more-than-listed.json"),
    ])
    .reports()
    .run();
    run.expect(3);
}

#[test]
fn outdated_cli_output_without_enhanced_findings_is_refused() {
    let run = Gate::evaluate(&[public(
        "findings/status/aws-cli-issue-6759-enhanced-continuous-active-empty-findings.json",
    )])
    .reports()
    .run();
    run.expect(2);
    run.assert_stderr("enhancedFindings");
}

#[test]
fn complete_before_enhanced_findings_filled_in_is_incomplete() {
    let run = Gate::evaluate(&[public(
        "findings/status/aws-sdk-issue-289-enhanced-scan-on-push-complete-empty-redacted.json",
    )])
    .reports()
    .run();
    run.expect(3);
    assert_eq!(run.json()["result"], "incomplete");
    assert!(!run.exists("report.sarif"));
}

#[test]
fn scans_that_are_not_finished_or_failed_exit_3() {
    for (file, status) in [
        (
            "findings/status/awscli-start-image-scan-example-in-progress.json",
            "IN_PROGRESS",
        ),
        (
            "findings/status/ecr-scan-image-pr51-pending-minified.json",
            "PENDING",
        ),
        (
            "findings/status/strongjz-workshop-failed-unsupportedimageerror-scratch-null-findings.json",
            "FAILED",
        ),
    ] {
        let run = Gate::evaluate(&[public(file)]).reports().run();
        run.expect(3);
        assert!(run.stderr.contains(status), "{file}: {}", run.stderr);
        let report = run.json();
        assert_eq!(report["result"], "incomplete", "{file}");
        assert_eq!(report["verdict"], Value::Null);
        let escaped = status.replace('_', "\\_");
        assert!(run.markdown().contains(&escaped), "{file}");
    }
}

#[test]
fn failed_scan_says_why() {
    let run = Gate::evaluate(&[public(
        "findings/status/strongjz-workshop-failed-unsupportedimageerror-scratch-null-findings.json",
    )])
    .reports()
    .run();
    run.expect(3);
    run.assert_stderr("UnsupportedImageError");
}

#[test]
fn eventbridge_events_are_refused_with_a_clear_error() {
    let dir = public("events");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("events dir") {
        let path = entry.expect("entry").path();
        let run = Gate::evaluate(std::slice::from_ref(&path)).reports().run();
        run.expect(2);
        assert!(
            run.stderr.contains("EventBridge event"),
            "{}: {}",
            path.display(),
            run.stderr
        );
        seen += 1;
    }
    assert_eq!(seen, 18);
}

// ---- Our own fixtures ----

fn platforms() -> [PathBuf; 2] {
    [
        fixture("findings/enhanced-linux-amd64.json"),
        fixture("findings/enhanced-linux-arm64.json"),
    ]
}

#[test]
fn two_platforms_merge_identical_findings_and_list_both_images() {
    let run = Gate::evaluate(&platforms()).reports().run();
    run.expect(1);
    let report = run.json();
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["platform"], "linux/amd64");
    assert_eq!(images[1]["platform"], "linux/arm64");
    assert_eq!(images[0]["region"], "us-east-1");
    let findings = report["findings"].as_array().unwrap();
    let openssl = findings
        .iter()
        .find(|f| f["package"]["name"] == "openssl")
        .expect("openssl");
    assert_eq!(openssl["images"], serde_json::json!([0, 1]));
    assert_eq!(openssl["fix_available"], true);
    assert_eq!(openssl["exploit_available"], true);
    assert_eq!(openssl["package"]["fixed_in"], "3.0.15-1~deb12u1");
    let npm = findings
        .iter()
        .find(|f| f["package"]["name"] == "deep-merge")
        .expect("npm package");
    assert_eq!(npm["images"], serde_json::json!([0]));
    assert_eq!(
        npm["package"]["path"],
        "app/node_modules/deep-merge/package.json"
    );
    let arm_only = findings
        .iter()
        .find(|f| f["id"] == "CVE-2026-0006")
        .expect("arm64 finding");
    assert_eq!(arm_only["images"], serde_json::json!([1]));
    // CLOSED left out, SUPPRESSED kept but not violating.
    assert!(findings.iter().all(|f| f["id"] != "CVE-2025-9999"));
    let suppressed = findings
        .iter()
        .find(|f| f["id"] == "CVE-2026-0005")
        .expect("suppressed");
    assert_eq!(suppressed["state"], "suppressed");
    let sarif = run.sarif();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn only_fixed_spares_findings_inspector_says_have_no_fix() {
    let run = Gate::evaluate(&platforms())
        .reports()
        .arg("--only-fixed")
        .fail_on("medium")
        .run();
    run.expect(1);
    let report = run.json();
    let violating: Vec<&str> = report["verdict"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert!(!violating.contains(&"CVE-2026-0003"), "{violating:?}");
    assert!(violating.contains(&"CVE-2026-0006"), "{violating:?}");
}

#[test]
fn zero_findings_pass() {
    let run = Gate::evaluate(&[fixture("findings/basic-zero-findings.json")])
        .reports()
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["counts"]["total"], 0);
    let sarif = run.sarif();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn cvss3_preferred_numbers_as_strings_and_epoch_times_read() {
    let run = Gate::evaluate(&[fixture("findings/basic-cvss3-epoch.json")])
        .reports()
        .fail_on("critical")
        .run();
    run.expect(0);
    let report = run.json();
    let by_id = |id: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(by_id("CVE-2026-1000")["score"], 8.1);
    assert_eq!(
        by_id("CVE-2026-1000")["urls"][0],
        "https://ubuntu.com/security/CVE-2026-1000"
    );
    assert_eq!(by_id("CVE-2026-1001")["score"], 6.8);
    assert_eq!(by_id("CVE-2026-1001")["package"]["version"], "1.2");
    assert_eq!(by_id("CVE-2026-1002")["severity"], "unknown");
    assert_eq!(by_id("CVE-2026-1002")["vendor_severity"], "SEVERE");
    assert_eq!(by_id("CVE-2026-1004")["package"]["name"], Value::Null);
    assert!(
        report["images"][0]["scan"]["completed_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-28")),
        "{}",
        report["images"][0]
    );
}

#[test]
fn unknown_severity_is_kept_as_unknown_never_dropped() {
    let run = Gate::evaluate(&[fixture("findings/unknown-severity.json")])
        .reports()
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["counts"]["unknown"], 1);
    assert_eq!(report["findings"][0]["vendor_severity"], "CATASTROPHIC");
    let strict = Gate::evaluate(&[fixture("findings/unknown-severity.json")])
        .reports()
        .fail_on("informational")
        .run();
    strict.expect(1);
}

#[test]
fn unknown_scan_status_is_never_a_pass() {
    let run = Gate::evaluate(&[fixture("findings/unknown-status.json")])
        .reports()
        .run();
    run.expect(3);
    run.assert_stderr("QUANTUM_RESCAN");
}

#[test]
fn truncated_json_says_where() {
    let run = Gate::evaluate(&[fixture("findings/truncated.json")])
        .reports()
        .run();
    run.expect(2);
    run.assert_stderr("truncated.json");
    run.assert_stderr("not valid JSON at line 4, column");
}

#[test]
fn wrong_shape_names_the_path() {
    let run = Gate::evaluate(&[fixture("findings/wrong-shape.json")])
        .reports()
        .run();
    run.expect(2);
    run.assert_stderr("imageScanFindings.findings");
    run.assert_stderr("line 4");
}

#[test]
fn missing_findings_file_is_an_error_naming_it() {
    let run = Gate::evaluate(&[PathBuf::from("no-such-file.json")])
        .reports()
        .run();
    run.expect(2);
    run.assert_stderr("no-such-file.json");
}

#[test]
fn a_bad_file_among_good_ones_is_still_an_error() {
    let mut files = platforms().to_vec();
    files.push(fixture("findings/truncated.json"));
    Gate::evaluate(&files).reports().run().expect(2);
}

#[test]
fn not_json_at_all_and_empty_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("empty.json", &b""[..]),
        ("text.json", &b"hello"[..]),
        ("array.json", &b"[{}]"[..]),
        ("number.json", &b"42"[..]),
        ("binary.json", &b"\x00\xff\xfe{"[..]),
        ("object.json", &b"{}"[..]),
        (
            "null-status.json",
            &br#"{"imageScanStatus":null,"imageScanFindings":{"findings":[]}}"#[..],
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let run = Gate::evaluate(&[path]).reports().run();
        run.expect(2);
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    }
}

#[test]
fn hostile_vendor_text_is_neutralised_in_every_report() {
    let run = Gate::evaluate(&[fixture("findings/hostile.json")])
        .reports()
        .run();
    run.expect(1);
    let summary = run.markdown();
    for bad in [
        "<script",
        "<img",
        "<details><summary>x",
        "\u{202e}",
        "\u{7}",
        "@octocat",
        "@everyone",
    ] {
        assert!(!summary.contains(bad), "summary contains {bad:?}");
    }
    assert!(
        !summary.lines().any(|l| l.trim_start().starts_with("::")),
        "{summary}"
    );
    let stderr = &run.stderr;
    assert!(!stderr.lines().any(|l| l.starts_with("::")), "{stderr}");
    assert!(!stderr.contains('\u{202e}') && !stderr.contains('\u{7}'));
    assert!(run.stdout.is_empty());
    run.json();
    let sarif = run.sarif();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.contains(':'), "{uri}");
    }
}

#[test]
fn thousands_of_findings_render_within_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut findings = Vec::new();
    for i in 0..5000 {
        let severity = [
            "CRITICAL",
            "HIGH",
            "MEDIUM",
            "LOW",
            "INFORMATIONAL",
            "UNDEFINED",
        ][i % 6];
        findings.push(serde_json::json!({
            "name": format!("CVE-2026-{i:05}"),
            "description": "x".repeat(300),
            "uri": format!("https://security-tracker.debian.org/tracker/CVE-2026-{i:05}"),
            "severity": severity,
            "attributes": [
                {"key": "package_name", "value": format!("pkg{}", i % 97)},
                {"key": "package_version", "value": "1.0"},
                {"key": "CVSS3_SCORE", "value": "7.5"}
            ]
        }));
    }
    let doc = serde_json::json!({
        "registryId": "111122223333",
        "repositoryName": "big/app",
        "imageId": {"imageDigest": format!("sha256:{}", "9".repeat(64)), "imageTag": "v1"},
        "imageScanStatus": {"status": "COMPLETE"},
        "imageScanFindings": {"findings": findings, "imageScanCompletedAt": 1795852800}
    });
    let path = dir.path().join("big.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).expect("write");
    let run = Gate::evaluate(&[path]).reports().run();
    run.expect(1);
    assert_eq!(run.json()["counts"]["total"], 5000);
    let summary = run.markdown();
    assert!(summary.len() <= 1_048_576);
    let sarif = run.sarif();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 5000);
}

// ---- Policy and options ----

#[test]
fn policy_file_ignores_with_scope_and_reports_expired_and_unused() {
    let policy = r#"
[gate]
fail-on = "high"

[[ignore]]
id = "CVE-2026-0001"
reason = "TLS is terminated at the load balancer"
expires = "2027-01-31"
repository = "payments/*"

[[ignore]]
id = "GHSA-xxxx-yyyy-zzzz"
reason = "merge helper only sees our own config"
expires = "2026-10-01"

[[ignore]]
id = "CVE-1999-0001"
reason = "stale"
expires = "2027-01-01"
"#;
    let run = Gate::evaluate(&platforms())
        .file("ecr-scan-gate.toml", policy)
        .json()
        .markdown()
        .run();
    run.expect(1);
    let report = run.json();
    let verdict = &report["verdict"];
    assert_eq!(verdict["violations"].as_array().unwrap().len(), 1);
    assert_eq!(verdict["violations"][0]["id"], "GHSA-xxxx-yyyy-zzzz");
    assert_eq!(verdict["expired_ignores"][0]["id"], "GHSA-xxxx-yyyy-zzzz");
    assert_eq!(verdict["unused_ignores"][0]["id"], "CVE-1999-0001");
    assert_eq!(verdict["ignored"], 3);
    let summary = run.markdown();
    assert!(
        summary.contains("TLS is terminated at the load balancer"),
        "{summary}"
    );
    assert!(summary.contains("2026-10-01"), "{summary}");
    run.assert_stderr("expired");
}

#[test]
fn malformed_policy_lists_every_problem_with_file_line_and_key() {
    let run = Gate::evaluate(&[fixture("findings/basic-zero-findings.json")])
        .file(
            "policy.toml",
            "[gate]\nfail-on = \"hihg\"\n\n[[ignore]]\nid = \"CVE-1\"\nexpires = \"soon\"\n",
        )
        .policy("policy.toml")
        .json()
        .run();
    run.expect(2);
    run.assert_stderr("policy.toml:line 2, column 11: gate.fail-on");
    run.assert_stderr("policy.toml:line 4, column 1: ignore[0].reason");
    run.assert_stderr("policy.toml:line 6, column 11: ignore[0].expires");
    assert_eq!(run.json()["result"], "error");
}

#[test]
fn explicit_policy_file_that_does_not_exist_is_an_error() {
    let run = Gate::evaluate(&[fixture("findings/basic-zero-findings.json")])
        .policy("nope.toml")
        .run();
    run.expect(2);
    run.assert_stderr("nope.toml");
}

#[test]
fn report_only_exits_0_but_reports_the_failure() {
    let run = Gate::evaluate(&platforms()).reports().report_only().run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_eq!(report["report_only"], true);
}

#[test]
fn report_only_does_not_hide_errors_or_incomplete_scans() {
    Gate::evaluate(&[fixture("findings/truncated.json")])
        .reports()
        .report_only()
        .run()
        .expect(2);
    Gate::evaluate(&[fixture("findings/unknown-status.json")])
        .reports()
        .report_only()
        .run()
        .expect(3);
}

#[test]
fn fail_on_flag_overrides_and_none_passes() {
    Gate::evaluate(&platforms())
        .reports()
        .fail_on("none")
        .run()
        .expect(0);
    Gate::evaluate(&platforms())
        .reports()
        .fail_on("critical")
        .args(&["--ignore", "CVE-2026-0001"])
        .run()
        .expect(0);
    Gate::evaluate(&platforms())
        .reports()
        .fail_on("critical")
        .run()
        .expect(1);
}

#[test]
fn bad_flag_values_list_the_valid_choices() {
    let run = Gate::evaluate(&platforms())
        .reports()
        .fail_on("severe")
        .run();
    run.expect(2);
    run.assert_stderr("critical, high, medium, low, informational, none");
    Gate::evaluate(&platforms())
        .reports()
        .args(&["--min-score", "11"])
        .run()
        .expect(2);
}

#[test]
fn json_report_can_go_to_stdout_and_nothing_else_does() {
    let [amd64, _] = platforms();
    let run = Gate::evaluate(std::slice::from_ref(&amd64))
        .args(&["--json", "-"])
        .run();
    run.expect(1);
    let report: Value = serde_json::from_str(&run.stdout).expect("stdout is the JSON report");
    validate(&report_schema(), &report, "stdout JSON");
    let two = Gate::evaluate(&[amd64])
        .args(&["--json", "-", "--sarif", "-"])
        .run();
    two.expect(2);
}

#[test]
fn reports_are_written_whatever_the_verdict() {
    for (files, code) in [
        (vec![fixture("findings/basic-zero-findings.json")], 0),
        (platforms().to_vec(), 1),
    ] {
        let run = Gate::evaluate(&files).reports().run();
        run.expect(code);
        assert!(
            run.exists("report.json") && run.exists("report.sarif") && run.exists("summary.md")
        );
    }
}

#[test]
fn unwritable_report_path_is_an_error_even_on_pass() {
    let run = Gate::evaluate(&[fixture("findings/basic-zero-findings.json")])
        .args(&["--json", "/dev/null/report.json"])
        .run();
    run.expect(2);
    run.assert_stderr("couldn't write the JSON report");
}

#[test]
fn help_and_version_work() {
    let run = Gate::command(&["--help"]).run();
    run.expect(0);
    assert!(run.stdout.contains("evaluate"));
    let run = Gate::command(&["--version"]).run();
    run.expect(0);
    assert!(run.stdout.starts_with("ecr-scan-gate "));
    Gate::command(&["frobnicate"]).run().expect(2);
}

// ---- The bundled example (the README's quick start) ----

#[test]
fn bundled_example_policy_parses_and_gates_the_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = root.join("examples/ecr-scan-gate.toml");
    let findings = root.join("examples/debian10-bff-version.json");
    let run = Gate::evaluate(&[findings]).policy(&policy).json().run();
    run.expect(1);
    let report = run.json();
    let verdict = &report["verdict"];
    assert_eq!(verdict["ignored"], 1);
    assert_eq!(verdict["expired_ignores"][0]["id"], "CVE-2021-3177");
    assert_eq!(verdict["violations"][0]["rule"], "max.high = 3 (5 found)");
}

/// Inputs that once crashed a parser (found by `scripts/fuzz`): each must give a clear answer.
#[test]
fn fuzz_regressions_never_crash() {
    let dir = fixture("fuzz-regressions");
    for entry in std::fs::read_dir(&dir).expect("fuzz-regressions dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let run = Gate::evaluate(std::slice::from_ref(&path)).reports().run();
            assert!(
                [0, 1, 2, 3].contains(&run.exit),
                "{}: {}",
                path.display(),
                run.stderr
            );
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        }
    }
}
