//! The reports for CI systems other than GitHub, end to end: `--junit` (checked against
//! `junit-10.xsd`) and `--gitlab` (checked against GitLab's container-scanning schema) on every public
//! ECR output, on hostile text, and on runs without a verdict; both written whatever the run ends in.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::*;

fn public_results() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["basic", "enhanced"] {
        let dir = public(&format!("findings/{kind}"));
        for entry in std::fs::read_dir(&dir).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files
}

/// `name="N"` of the `<testsuites>` element.
fn total(xml: &str, name: &str) -> usize {
    let head = xml.lines().find(|l| l.starts_with("<testsuites ")).unwrap();
    let start = head.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    head[start..].split('"').next().unwrap().parse().unwrap()
}

#[test]
fn every_public_result_gives_valid_junit_and_gitlab_reports_that_agree_with_the_verdict() {
    let mut seen = Vec::new();
    for file in public_results() {
        let run = Gate::evaluate(std::slice::from_ref(&file))
            .json()
            .junit()
            .gitlab()
            .run();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let xml = run.junit();
        let gitlab = run.gitlab();
        let json = run.json();
        let result = json["result"].as_str().unwrap().to_string();
        let (failures, errors) = (total(&xml, "failures"), total(&xml, "errors"));
        match run.exit {
            0 | 1 => {
                let violations = json["verdict"]["violations"].as_array().unwrap().len();
                // One image per file: one failing case per violation.
                assert_eq!(failures, violations, "{name}\n{xml}");
                assert_eq!(errors, 0, "{name}");
                assert_eq!(gitlab["scan"]["status"], "success", "{name}");
                let listed = json["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| !matches!(f["state"].as_str(), Some("ignored" | "suppressed")))
                    .count();
                assert_eq!(
                    gitlab["vulnerabilities"].as_array().unwrap().len(),
                    listed,
                    "{name}"
                );
                assert_eq!(run.exit == 1, failures > 0, "{name}");
            }
            _ => {
                assert!(errors > 0, "{name}: no verdict must not be green\n{xml}");
                assert_eq!(gitlab["scan"]["status"], "failure", "{name}");
            }
        }
        seen.push((name, result));
    }
    // The public set covers passing, failing and refused results.
    for result in ["pass", "fail", "error"] {
        assert!(
            seen.iter().any(|(_, r)| r == result),
            "no public result ends in {result}: {seen:?}"
        );
    }
}

#[test]
fn two_platforms_are_two_suites() {
    let run = Gate::evaluate(&[
        fixture("findings/enhanced-linux-amd64.json"),
        fixture("findings/enhanced-linux-arm64.json"),
    ])
    .junit()
    .gitlab()
    .run();
    run.expect(1);
    let xml = run.junit();
    assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
    assert!(xml.contains(r#"<testsuite name="payments/api:v2.3.0 (linux/amd64)""#));
    assert!(xml.contains(r#"<testsuite name="payments/api:v2.3.0 (linux/arm64)""#));
    let gitlab = run.gitlab();
    let images: Vec<&str> = gitlab["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["location"]["operating_system"].as_str().unwrap())
        .collect();
    assert!(images.iter().all(|os| *os == "linux"), "{images:?}");
}

#[test]
fn scans_without_a_usable_result_are_errors_in_junit_and_failures_in_gitlab() {
    for file in [
        "findings/status/awscli-start-image-scan-example-in-progress.json",
        "findings/status/strongjz-workshop-failed-unsupportedimageerror-scratch-null-findings.json",
    ] {
        let run = Gate::evaluate(&[public(file)]).junit().gitlab().run();
        run.expect(3);
        let xml = run.junit();
        assert!(total(&xml, "errors") >= 1, "{file}\n{xml}");
        assert!(xml.contains(r#"type="incomplete""#), "{file}\n{xml}");
        let gitlab = run.gitlab();
        assert_eq!(gitlab["scan"]["status"], "failure", "{file}");
        assert_eq!(gitlab["scan"]["messages"][0]["level"], "fatal", "{file}");
    }
}

#[test]
fn an_error_still_writes_both_reports() {
    let run = Gate::evaluate(&[PathBuf::from("missing.json")])
        .junit()
        .gitlab()
        .run();
    run.expect(2);
    let xml = run.junit();
    assert!(xml.contains(r#"<testsuite name="ecr-scan-gate""#), "{xml}");
    assert!(xml.contains("missing.json"), "{xml}");
    let gitlab = run.gitlab();
    assert_eq!(gitlab["scan"]["status"], "failure");
    assert!(
        gitlab["scan"]["messages"][0]["value"]
            .as_str()
            .unwrap()
            .contains("missing.json")
    );
    assert_eq!(gitlab["vulnerabilities"], Value::Array(Vec::new()));
}

#[test]
fn hostile_vendor_text_stays_valid_and_inert() {
    let run = Gate::evaluate(&[fixture("findings/hostile.json")])
        .junit()
        .gitlab()
        .run();
    assert!(run.exit == 0 || run.exit == 1, "{}", run.stderr);
    let xml = run.junit();
    assert!(!xml.contains("<script") && !xml.contains("]]>"), "{xml}");
    for c in xml.chars() {
        assert!(c == '\n' || !c.is_control(), "U+{:04X} in JUnit", c as u32);
    }
    let text = run.file(GITLAB_REPORT);
    assert!(
        !text.contains("\\u0000") && !text.contains("\\u001b"),
        "{text}"
    );
    // GitLab renders the description and the solution as Markdown: no HTML, no link, no mention
    // there. Names and package names are plain text fields, kept as text (one line).
    for vulnerability in run.gitlab()["vulnerabilities"].as_array().unwrap() {
        for field in ["description", "solution"] {
            let Some(text) = vulnerability[field].as_str() else {
                continue;
            };
            assert!(
                !text.contains('<') && !text.contains("@octocat"),
                "{field}: {text}"
            );
        }
        let name = vulnerability["name"].as_str().unwrap();
        assert!(
            !name.contains('\n') && name.chars().count() <= 255,
            "{name}"
        );
    }
}

#[test]
fn junit_can_go_to_stdout_but_not_with_another_report() {
    let file = public("findings/basic/cultureamp-sample-repo-3-findings-edited-cli-example.json");
    let run = Gate::evaluate(std::slice::from_ref(&file))
        .args(&["--junit", "-"])
        .run();
    assert!(run.exit == 0 || run.exit == 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
    Gate::evaluate(&[file])
        .args(&["--junit", "-", "--gitlab", "-"])
        .run()
        .expect(2)
        .assert_stderr("only one report can go to stdout");
}

#[test]
fn an_unwritable_junit_or_gitlab_path_is_an_error_even_on_pass() {
    for (flag, kind) in [("--junit", "JUnit"), ("--gitlab", "GitLab")] {
        Gate::evaluate(&[fixture("findings/basic-zero-findings.json")])
            .args(&[flag, "/dev/null/report"])
            .run()
            .expect(2)
            .assert_stderr(&format!("couldn't write the {kind} report"));
    }
}
