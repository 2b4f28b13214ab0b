//! `--baseline`, `--scope` and `--only-exploitable` end to end, offline (`evaluate`): a pull request
//! compared with what `main` had, from a JSON report of this tool or from saved
//! `describe-image-scan-findings` output; what happens when the baseline is missing, broken or odd; and
//! that every report stays inside GitHub's limits. The live baselines (another image in ECR) are in
//! `baseline_live`.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::ecr_stub::{ScanPage, basic_finding, enhanced_finding};
use crate::support::*;

const REPOSITORY: &str = "team/app";
const MAIN_DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const PR_DIGEST: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn high(cve: &str, package: &str, version: &str) -> Value {
    basic_finding(cve, "HIGH", package, version, Some(7.5))
}

fn critical(cve: &str, package: &str, version: &str) -> Value {
    basic_finding(cve, "CRITICAL", package, version, Some(9.8))
}

/// Saved `describe-image-scan-findings` output of a basic scan with `findings`.
fn saved(digest: &str, findings: Vec<Value>) -> String {
    ScanPage::new(REPOSITORY, digest, "COMPLETE")
        .basic(findings)
        .json()
        .to_string()
}

/// What `main` had: a critical and a high (both inherited by the pull request), and a high the pull
/// request fixes.
fn main_findings() -> Vec<Value> {
    vec![
        critical("CVE-2024-0001", "openssl", "3.0.11"),
        high("CVE-2024-0002", "zlib", "1.2.13"),
        high("CVE-2024-0003", "curl", "7.88.1"),
    ]
}

/// The pull request: keeps CVE-2024-0001 (openssl bumped, still vulnerable), keeps CVE-2024-0002,
/// fixes CVE-2024-0003 and adds CVE-2024-0004.
fn pr_findings() -> Vec<Value> {
    vec![
        critical("CVE-2024-0001", "openssl", "3.0.13"),
        high("CVE-2024-0002", "zlib", "1.2.13"),
        high("CVE-2024-0004", "libxml2", "2.9.14"),
    ]
}

/// `evaluate --findings pr.json` with `pr` as the file, in a fresh directory.
fn pr(pr: Vec<Value>) -> Gate {
    Gate::evaluate(&[PathBuf::from("pr.json")]).file("pr.json", saved(PR_DIGEST, pr))
}

/// The JSON report of `main`'s run (what a workflow on `main` keeps as an artifact).
fn main_report(findings: Vec<Value>) -> String {
    let run = Gate::evaluate(&[PathBuf::from("main.json")])
        .file("main.json", saved(MAIN_DIGEST, findings))
        .json()
        .run();
    run.expect(1);
    run.file(JSON_REPORT)
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report:#}"))
}

fn result<'a>(sarif: &'a Value, id: &str) -> &'a Value {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == id)
        .unwrap_or_else(|| panic!("{id} in SARIF"))
}

#[test]
fn scope_new_against_main_s_report_fails_only_on_what_the_pull_request_adds() {
    let run = pr(pr_findings())
        .file("main-report.json", main_report(main_findings()))
        .args(&["--baseline", "main-report.json", "--scope", "new"])
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    let violations = report["verdict"]["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert_eq!(violations[0]["id"], "CVE-2024-0004");
    assert_eq!(finding(&report, "CVE-2024-0004")["baseline_state"], "new");
    assert_eq!(
        finding(&report, "CVE-2024-0002")["baseline_state"],
        "unchanged"
    );
    assert_eq!(finding(&report, "CVE-2024-0002")["state"], "in-baseline");
    let bumped = finding(&report, "CVE-2024-0001");
    assert_eq!(bumped["baseline_state"], "updated");
    assert_eq!(bumped["baseline_versions"], json!(["3.0.11"]));
    assert_eq!(bumped["state"], "in-baseline");
    let baseline = &report["baseline"];
    assert_eq!(baseline["source"], "main-report.json");
    assert_eq!(baseline["counts"]["new"]["total"], 1);
    assert_eq!(baseline["counts"]["new"]["high"], 1);
    assert_eq!(baseline["counts"]["unchanged"]["total"], 2);
    assert_eq!(baseline["counts"]["fixed"]["total"], 1);
    assert_eq!(baseline["fixed"][0]["id"], "CVE-2024-0003");
    assert_eq!(baseline["fixed"][0]["package"]["name"], "curl");
    assert_eq!(report["policy"]["scope"], "new");

    let sarif = run.sarif();
    assert_eq!(result(&sarif, "CVE-2024-0004")["baselineState"], "new");
    assert_eq!(
        result(&sarif, "CVE-2024-0002")["baselineState"],
        "unchanged"
    );
    assert_eq!(result(&sarif, "CVE-2024-0001")["baselineState"], "updated");
    assert!(
        !sarif.to_string().contains("CVE-2024-0003"),
        "fixed findings are in the markdown only"
    );

    let summary = run.markdown();
    let delta = summary
        .find("**Since the baseline** (main-report.json): **1 new**, 1 fixed, 2 unchanged.")
        .unwrap_or_else(|| panic!("{summary}"));
    let verdict = summary.find("**1 violation**").expect("verdict");
    assert!(
        delta < verdict,
        "the summary leads with the delta:\n{summary}"
    );
    assert!(
        summary.contains("| severity | new | fixed | unchanged |"),
        "{summary}"
    );
    assert!(summary.contains("| high | 1 | 1 | 1 |"), "{summary}");
    assert!(
        summary.contains("Fixed since the baseline (1)"),
        "{summary}"
    );
    assert!(summary.contains("updated from 3.0.11"), "{summary}");
    assert!(
        summary.contains("in the baseline (scope = new)"),
        "{summary}"
    );
    run.assert_stderr("baseline main-report.json: 1 new, 1 fixed, 2 unchanged");
}

#[test]
fn scope_new_passes_a_pull_request_that_keeps_and_fixes_findings_scope_all_does_not() {
    let keep_and_fix = vec![critical("CVE-2024-0001", "openssl", "3.0.11")];
    let base = main_report(main_findings());
    let run = pr(keep_and_fix.clone())
        .file("main-report.json", &base)
        .args(&["--baseline", "main-report.json", "--scope", "new"])
        .json()
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["baseline"]["counts"]["fixed"]["total"], 2);
    assert_eq!(report["baseline"]["counts"]["new"]["total"], 0);
    // The same comparison under scope = all: the inherited critical still fails, and the report still
    // shows the delta.
    let run = pr(keep_and_fix)
        .file("main-report.json", &base)
        .args(&["--baseline", "main-report.json"])
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["findings"][0]["baseline_state"], "unchanged");
    assert_eq!(report["findings"][0]["state"], "violating");
    assert_eq!(report["baseline"]["counts"]["unchanged"]["critical"], 1);
}

#[test]
fn scope_new_is_read_from_the_policy_file_and_allowances_count_new_findings() {
    let policy = "[gate]\nscope = \"new\"\n[gate.max]\nhigh = 1\n";
    let added = vec![
        high("CVE-2024-0002", "zlib", "1.2.13"),
        high("CVE-2024-0004", "libxml2", "2.9.14"),
        high("CVE-2024-0005", "tar", "1.34"),
    ];
    let run = pr(added)
        .file("main.json", saved(MAIN_DIGEST, main_findings()))
        .file("policy.toml", policy)
        .policy("policy.toml")
        .args(&["--baseline", "main.json"])
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    let rules: Vec<&str> = report["verdict"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["max.high = 1 (2 found)", "max.high = 1 (2 found)"]);
    assert_eq!(finding(&report, "CVE-2024-0002")["state"], "in-baseline");
}

#[test]
fn saved_describe_output_is_a_baseline_too() {
    let run = pr(pr_findings())
        .file("main.json", saved(MAIN_DIGEST, main_findings()))
        .args(&["--baseline", "main.json", "--scope=new"])
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["baseline"]["counts"]["new"]["total"], 1);
    assert_eq!(report["baseline"]["counts"]["fixed"]["total"], 1);
    assert_eq!(report["verdict"]["violations"][0]["id"], "CVE-2024-0004");
}

#[test]
fn scope_new_without_a_baseline_is_a_usage_error() {
    let run = pr(pr_findings()).args(&["--scope", "new"]).json().run();
    run.expect(2);
    run.assert_stderr("no baseline was given");
    assert_eq!(run.json()["result"], "error");
}

#[test]
fn a_missing_baseline_is_an_error_unless_all_new_is_asked_for() {
    let run = pr(pr_findings())
        .args(&["--baseline", "main-report.json", "--scope", "new"])
        .json()
        .run();
    run.expect(2);
    run.assert_stderr("baseline file main-report.json does not exist");
    run.assert_stderr("--baseline-missing=all-new");
    assert_eq!(run.json()["baseline"], Value::Null);

    let run = pr(pr_findings())
        .args(&["--baseline", "main-report.json", "--scope", "new"])
        .args(&["--baseline-missing", "all-new"])
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["verdict"]["violations"].as_array().unwrap().len(), 3);
    assert_eq!(report["baseline"]["counts"]["new"]["total"], 3);
    assert!(
        report["baseline"]["missing"]
            .as_str()
            .is_some_and(|m| m.contains("does not exist")),
        "{report:#}"
    );
    assert!(run.markdown().contains("**No baseline**"));
    assert_eq!(
        result(&run.sarif(), "CVE-2024-0004")["baselineState"],
        "new"
    );
}

#[test]
fn a_first_run_without_any_baseline_source_can_judge_everything_as_new() {
    let run = pr(pr_findings())
        .args(&["--scope", "new", "--baseline-missing=all-new"])
        .json()
        .run();
    run.expect(1);
    assert_eq!(run.json()["baseline"]["counts"]["new"]["total"], 3);
}

#[test]
fn broken_or_incomplete_baselines_never_become_everything_is_new() {
    let incomplete_report =
        main_report(main_findings()).replace("\"result\": \"fail\"", "\"result\": \"incomplete\"");
    let cases: Vec<(&str, String, i32, &str)> = vec![
        (
            "truncated",
            "{\"schema_version\": 1, \"tool\"".into(),
            2,
            "not valid JSON at line 1",
        ),
        (
            "not JSON",
            "<html>502 Bad Gateway</html>".into(),
            2,
            "not valid JSON",
        ),
        ("empty", String::new(), 2, "empty"),
        (
            "another tool",
            r#"{"SchemaVersion":2,"Results":[]}"#.into(),
            2,
            "neither",
        ),
        (
            "a report without a verdict",
            incomplete_report,
            2,
            "reached no verdict",
        ),
        (
            "a page of a longer result",
            ScanPage::new(REPOSITORY, MAIN_DIGEST, "COMPLETE")
                .basic(main_findings())
                .next_token("page-2")
                .json()
                .to_string(),
            2,
            "`nextToken`",
        ),
        (
            "a scan still running",
            ScanPage::new(REPOSITORY, MAIN_DIGEST, "IN_PROGRESS")
                .json()
                .to_string(),
            3,
            "status IN_PROGRESS",
        ),
        (
            "counts above the list",
            ScanPage::new(REPOSITORY, MAIN_DIGEST, "COMPLETE")
                .basic(main_findings())
                .counts(&[("HIGH", 9), ("CRITICAL", 1)])
                .json()
                .to_string(),
            3,
            "HIGH 9 declared, 2 listed",
        ),
    ];
    for (what, contents, code, says) in cases {
        let run = pr(pr_findings())
            .file("main.json", contents)
            .args(&["--baseline", "main.json", "--scope", "new"])
            .args(&["--baseline-missing", "all-new"])
            .reports()
            .run();
        assert_eq!(run.exit, code, "{what}: {}", run.stderr);
        run.assert_stderr(says);
        run.assert_stderr("main.json");
        let report = run.json();
        assert_ne!(report["result"], "pass", "{what}");
        assert!(
            !run.exists(SARIF_REPORT),
            "{what}: no SARIF without a verdict"
        );
    }
}

#[test]
fn odd_baselines_compare_without_surprises() {
    // Duplicates, a finding without a package, a package without a version, an unknown severity,
    // fields this version does not know, and a finding listed twice for one image.
    let odd = json!({
        "schema_version": 1,
        "tool": {"name": "ecr-scan-gate", "version": "9.9.9", "future": [1, 2]},
        "result": "pass",
        "images": [{"repository": REPOSITORY, "platform": null}],
        "findings": [
            {"id": "CVE-2024-0002", "severity": "high", "package": {"name": "zlib"}, "images": [0, 0]},
            {"id": "cve-2024-0002", "severity": "high", "package": {"name": "zlib", "version": "0.1"}, "images": [0]},
            {"id": "CVE-2024-0009", "images": [0]},
            {"id": "CVE-2024-0010", "severity": "catastrophic", "package": null, "images": [0], "vex": {"status": "fixed"}}
        ],
        "verdict": {"anything": true}
    });
    let run = pr(vec![
        high("CVE-2024-0002", "zlib", "1.2.13"),
        basic_finding("CVE-2024-0009", "LOW", "", "", None),
    ])
    .file("odd.json", odd.to_string())
    .args(&["--baseline", "odd.json", "--scope", "new"])
    .reports()
    .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(
        finding(&report, "CVE-2024-0002")["baseline_state"],
        "updated"
    );
    assert_eq!(
        finding(&report, "CVE-2024-0009")["baseline_state"],
        "unchanged"
    );
    let fixed = &report["baseline"]["fixed"];
    assert_eq!(fixed.as_array().unwrap().len(), 1, "{fixed:#}");
    assert_eq!(fixed[0]["id"], "CVE-2024-0010");
    assert_eq!(fixed[0]["severity"], "unknown");
    run.sarif();

    // Indexes that point nowhere are refused, naming the finding.
    let mut bad = odd.clone();
    bad["findings"][2]["images"] = json!([7]);
    let run = pr(pr_findings())
        .file("odd.json", bad.to_string())
        .args(&["--baseline", "odd.json"])
        .run();
    run.expect(2);
    run.assert_stderr("findings[2] is in image 7, but the report lists 1 image(s)");
}

#[test]
fn hostile_text_in_a_baseline_is_escaped_in_every_report() {
    let hostile =
        "@everyone <img src=x onerror=alert(1)> | `::error::owned` [x](javascript:alert(1))";
    let base = json!({
        "schema_version": 1,
        "tool": {"name": "ecr-scan-gate", "version": "1"},
        "result": "fail",
        "images": [{"repository": REPOSITORY, "platform": null}],
        "findings": [{"id": format!("CVE-1 {hostile}"), "severity": "critical",
                      "package": {"name": hostile, "version": hostile}, "images": [0]}]
    });
    let run = pr(pr_findings())
        .file("base.json", base.to_string())
        .args(&["--baseline", "base.json"])
        .reports()
        .run();
    run.expect(1);
    let summary = run.markdown();
    assert!(
        summary.contains("Fixed since the baseline (1)"),
        "{summary}"
    );
    assert!(!summary.contains("<img"), "{summary}");
    assert!(!summary.contains("@everyone"), "{summary}");
    assert!(!summary.contains("[x](javascript"), "{summary}");
    assert!(!run.stderr.lines().any(|l| l.starts_with("::error")));
}

#[test]
fn a_huge_baseline_is_compared_quickly_and_every_report_stays_within_github_s_limits() {
    // 40,000 findings in main, all fixed but one, against a pull request with 30,000 new ones.
    let many = |prefix: &str, n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| high(&format!("CVE-{prefix}-{i:05}"), &format!("pkg-{i}"), "1.0"))
            .collect()
    };
    let mut main = many("2023", 40_000);
    main.push(high("CVE-2024-0002", "zlib", "1.2.13"));
    let mut pull = many("2025", 30_000);
    pull.push(high("CVE-2024-0002", "zlib", "1.2.13"));
    let run = pr(pull)
        .file("main.json", saved(MAIN_DIGEST, main))
        .args(&["--baseline", "main.json", "--scope", "new"])
        .reports()
        .run();
    run.expect(1);
    assert!(run.elapsed.as_secs() < 60, "took {:?}", run.elapsed);
    let report = run.json();
    assert_eq!(report["baseline"]["counts"]["fixed"]["total"], 40_000);
    assert_eq!(report["baseline"]["counts"]["new"]["total"], 30_000);
    assert_eq!(report["baseline"]["counts"]["unchanged"]["total"], 1);
    let summary = run.markdown();
    assert!(summary.len() <= 1_048_576, "{} bytes", summary.len());
    assert!(summary.contains("**Since the baseline**"));
    assert_eq!(
        summary.matches("<details>").count(),
        summary.matches("</details>").count()
    );
    let sarif = run.sarif();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() <= 25_000);
    assert!(
        results
            .iter()
            .all(|r| r["baselineState"] == "new" || r["baselineState"] == "unchanged")
    );
}

#[test]
fn a_baseline_file_over_the_size_limit_is_refused_without_reading_it_all() {
    let gate = pr(pr_findings()).args(&["--baseline", "big.json"]);
    // A sparse file: 600 MB long, nothing written.
    std::fs::File::create(gate.path("big.json"))
        .and_then(|f| f.set_len(600 * 1024 * 1024))
        .unwrap();
    let run = gate.run();
    run.expect(2);
    run.assert_stderr("larger than");
}

// ---- platforms ----

/// Saved enhanced output of one platform image (Inspector names the architecture).
fn enhanced(digest: &str, arch: &str, cves: &[&str]) -> String {
    let findings: Vec<Value> = cves
        .iter()
        .map(|cve| {
            let mut f = enhanced_finding(cve, "HIGH", 7.5, "libxml2", digest, REPOSITORY);
            f["resources"][0]["details"]["awsEcrContainerImage"]["architecture"] = json!(arch);
            f
        })
        .collect();
    ScanPage::new(REPOSITORY, digest, "ACTIVE")
        .enhanced(findings)
        .json()
        .to_string()
}

#[test]
fn each_platform_is_compared_with_the_same_platform_of_the_baseline() {
    let main = Gate::evaluate(&[PathBuf::from("amd64.json"), PathBuf::from("arm64.json")])
        .file(
            "amd64.json",
            enhanced(MAIN_DIGEST, "amd64", &["CVE-1", "CVE-2"]),
        )
        .file("arm64.json", enhanced(PR_DIGEST, "arm64", &["CVE-1"]))
        .json()
        .run();
    main.expect(1);
    let base = main.file(JSON_REPORT);
    // The pull request: CVE-2 now on arm64 too (new there), CVE-1 gone from amd64 (fixed there).
    let run = Gate::evaluate(&[PathBuf::from("amd64.json"), PathBuf::from("arm64.json")])
        .file("amd64.json", enhanced(MAIN_DIGEST, "amd64", &["CVE-2"]))
        .file(
            "arm64.json",
            enhanced(PR_DIGEST, "arm64", &["CVE-1", "CVE-2"]),
        )
        .file("base.json", &base)
        .args(&["--baseline", "base.json", "--scope", "new"])
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["verdict"]["violations"].as_array().unwrap().len(), 1);
    assert_eq!(report["verdict"]["violations"][0]["id"], "CVE-2");
    assert_eq!(finding(&report, "CVE-2")["baseline_state"], "new");
    let fixed = &report["baseline"]["fixed"];
    assert_eq!(fixed[0]["id"], "CVE-1");
    assert_eq!(fixed[0]["platforms"], json!(["linux/amd64"]));
    // Per platform in SARIF: CVE-2 is unchanged on amd64 and new on arm64.
    let sarif = run.sarif();
    let states: Vec<(String, String)> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let platform = r["properties"]["platform"]
                .as_str()
                .unwrap_or("")
                .to_string();
            r["results"].as_array().unwrap().iter().map(move |x| {
                (
                    format!("{platform} {}", x["ruleId"].as_str().unwrap()),
                    x["baselineState"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    assert!(
        states.contains(&("linux/amd64 CVE-2".into(), "unchanged".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("linux/arm64 CVE-2".into(), "new".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("linux/arm64 CVE-1".into(), "unchanged".into())),
        "{states:?}"
    );
}

#[test]
fn a_platform_the_baseline_lacks_is_an_error_unless_all_new() {
    let main = Gate::evaluate(&[PathBuf::from("amd64.json"), PathBuf::from("arm64.json")])
        .file("amd64.json", enhanced(MAIN_DIGEST, "amd64", &["CVE-1"]))
        .file("arm64.json", enhanced(PR_DIGEST, "arm64", &["CVE-1"]))
        .json()
        .run();
    let base = main.file(JSON_REPORT);
    let ppc = || {
        Gate::evaluate(&[PathBuf::from("ppc.json")])
            .file("ppc.json", enhanced(PR_DIGEST, "ppc64le", &["CVE-1"]))
            .file("base.json", &base)
            .args(&["--baseline", "base.json", "--scope", "new"])
            .json()
    };
    let run = ppc().run();
    run.expect(2);
    run.assert_stderr("the baseline has no image for");
    run.assert_stderr("linux/amd64, linux/arm64");
    let run = ppc().args(&["--baseline-missing", "all-new"]).run();
    run.expect(1);
    assert_eq!(
        run.json()["baseline"]["without_baseline"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

// ---- exploitability ----

/// Saved enhanced output with one critical per exploit status (`None`: the key left out).
fn by_exploit() -> String {
    let findings: Vec<Value> = [
        ("CVE-1", Some("YES")),
        ("CVE-2", Some("NO")),
        ("CVE-3", None),
    ]
    .into_iter()
    .map(|(cve, exploit)| {
        let mut f = enhanced_finding(cve, "CRITICAL", 9.8, cve, PR_DIGEST, REPOSITORY);
        match exploit {
            Some(e) => f["exploitAvailable"] = json!(e),
            None => {
                f.as_object_mut().unwrap().remove("exploitAvailable");
            }
        }
        f
    })
    .collect();
    ScanPage::new(REPOSITORY, PR_DIGEST, "ACTIVE")
        .enhanced(findings)
        .json()
        .to_string()
}

#[test]
fn only_exploitable_spares_findings_inspector_says_have_no_exploit() {
    let run = Gate::evaluate(&[PathBuf::from("scan.json")])
        .file("scan.json", by_exploit())
        .arg("--only-exploitable")
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    let violating: Vec<&str> = report["verdict"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        violating,
        ["CVE-1", "CVE-3"],
        "unknown status still violates"
    );
    assert_eq!(finding(&report, "CVE-1")["exploit_available"], true);
    assert_eq!(finding(&report, "CVE-2")["exploit_available"], false);
    assert_eq!(finding(&report, "CVE-2")["state"], "below-threshold");
    assert_eq!(finding(&report, "CVE-3")["exploit_available"], Value::Null);
    assert_eq!(report["policy"]["only_exploitable"], true);
    let summary = run.markdown();
    assert!(summary.contains("| fixed in | exploit |"), "{summary}");
    assert!(summary.contains("only-exploitable `yes`"), "{summary}");
    let message = result(&run.sarif(), "CVE-1")["message"]["text"].clone();
    assert!(
        message.as_str().unwrap().contains("exploit available"),
        "{message}"
    );

    // From the policy file, and basic scanning (which never says) is judged as before.
    let run = pr(pr_findings())
        .file("p.toml", "[gate]\nonly-exploitable = true\n")
        .policy("p.toml")
        .json()
        .run();
    run.expect(1);
    assert_eq!(
        run.json()["verdict"]["violations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

// ---- the Action ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pull_request_comment_leads_with_the_delta_and_stays_within_github_s_limit() {
    use crate::support::github::Event;
    use crate::support::pr_thread::empty_thread;

    let server = empty_thread().await;
    // 3,000 new findings and 5,000 fixed ones: far more than a comment can hold.
    let many = |prefix: &str, n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| high(&format!("CVE-{prefix}-{i:05}"), &format!("pkg-{i}"), "1.0"))
            .collect()
    };
    let done = crate::support::Gate::action(
        &[
            ("findings", "pr.json"),
            ("baseline", "main.json"),
            ("scope", "new"),
        ],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .file("pr.json", saved(PR_DIGEST, many("2025", 3_000)))
    .file("main.json", saved(MAIN_DIGEST, many("2023", 5_000)))
    .run_async()
    .await;
    done.expect(1);
    let outputs = done.outputs();
    assert_eq!(outputs["new"], "3000");
    assert_eq!(outputs["fixed"], "5000");
    let summary = done.summary();
    assert!(summary.len() <= 1_048_576);
    assert!(summary.contains("**Since the baseline** (main.json): **3000 new**, 5000 fixed"));
    let received = server.received_requests().await.unwrap();
    let posted: Vec<_> = received
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    let body: Value = serde_json::from_slice(&posted[0].body).unwrap();
    let body = body["body"].as_str().unwrap();
    let length: usize = body
        .chars()
        .map(|c| if c == '\n' { 2 } else { c.len_utf16() })
        .sum();
    assert!(length <= 65_536, "{length}");
    let delta = body
        .find("**Since the baseline**")
        .expect("delta in the comment");
    let verdict = body.find("violations**").expect("verdict in the comment");
    assert!(delta < verdict, "{body}");
    assert!(
        body.contains("| severity | new | fixed | unchanged |"),
        "{body}"
    );
}
