//! GitHub's limits: runs, results, rules, categories and how much text rules carry.

use super::limits::{
    Detail, MAX_RESULTS_PER_RUN, MAX_RULES_PER_RUN, MAX_RUNS, MIN_SHORT_DESCRIPTION_LEN,
    results_per_run,
};
use super::model::Rule;
use super::plan::Plan;
use super::rules::security_severity;
use super::tests::{
    assert_within_limits, checked, finding, github_band, image, one_image, render, results, rules,
    utf16_len,
};
use crate::findings::Severity;
use crate::findings::testing::FindingBuilder;
use crate::policy::Policy;

#[test]
fn security_severity_stays_in_the_band_of_the_gating_severity() {
    let cases: [(Severity, &[f64], &str); 16] = [
        (Severity::Critical, &[9.8], "9.8"),
        (Severity::Critical, &[9.0], "9.5"),
        (Severity::Critical, &[9.04], "9.5"),
        (Severity::Critical, &[], "9.5"),
        (Severity::Critical, &[10.0], "10.0"),
        (Severity::High, &[9.8], "8.0"),
        (Severity::High, &[7.5], "7.5"),
        (Severity::High, &[8.96], "8.0"),
        (Severity::High, &[7.2, 8.1, 9.9], "8.1"),
        (Severity::High, &[f64::NAN, f64::INFINITY], "8.0"),
        (Severity::Medium, &[5.3], "5.3"),
        (Severity::Low, &[0.0], "2.0"),
        (Severity::Low, &[0.04], "2.0"),
        (Severity::Low, &[3.1], "3.1"),
        (Severity::Informational, &[5.0], "0.0"),
        (Severity::Unknown, &[], "0.0"),
    ];
    for (severity, scores, expected) in cases {
        let value = security_severity(severity, scores.iter().copied());
        assert_eq!(value, expected, "{severity} {scores:?}");
        let band = match severity {
            Severity::Informational | Severity::Unknown => "none",
            other => other.as_str(),
        };
        assert_eq!(github_band(&value), band, "{severity} {scores:?}");
    }
}

#[test]
fn more_than_twenty_images_keep_the_first_twenty_and_say_so() {
    let mut set = one_image(Vec::new());
    set.images = (0..23)
        .map(|i| image(&format!("repo-{i}"), "sha256:aaaa").build())
        .collect();
    set.findings = vec![
        finding("CVE-2021-3711", Severity::High)
            .score(7.5)
            .package("openssl", "1")
            .images(0..23)
            .build(),
    ];
    let doc = checked(&set, &Policy::default());
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), MAX_RUNS);
    assert_eq!(
        runs[19]["automationDetails"]["id"],
        "ecr-scan-gate/repo-19/"
    );
    for run in &runs[..19] {
        assert!(
            run["invocations"][0]
                .get("toolExecutionNotifications")
                .is_none()
        );
    }
    let notice = &runs[19]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(notice["level"], "warning");
    let text = notice["message"]["text"].as_str().unwrap();
    assert!(text.starts_with("left out 3 of 23 images"), "{text}");
    assert!(text.contains("JSON report"));
}

#[test]
fn images_with_the_same_key_get_distinct_categories() {
    let mut set = one_image(Vec::new());
    set.images = vec![
        image("payments/api", "sha256:aaaa").build(),
        image("payments/api", "sha256:bbbb").build(),
    ];
    let doc = checked(&set, &Policy::default());
    assert_eq!(
        doc["runs"][0]["automationDetails"]["id"],
        "ecr-scan-gate/payments/api/"
    );
    assert_eq!(
        doc["runs"][1]["automationDetails"]["id"],
        "ecr-scan-gate/payments/api#2/"
    );
}

#[test]
fn more_than_25000_findings_keep_the_most_severe_and_say_so() {
    let severities = [
        Severity::Low,
        Severity::Critical,
        Severity::Medium,
        Severity::High,
    ];
    let findings = (0..30_000)
        .map(|i| {
            FindingBuilder::new(&format!("CVE-2024-{i}"), severities[i % 4])
                .vendor_severity("")
                .package(format!("pkg{i}"), "1")
        })
        .collect();
    let set = one_image(findings);
    let doc = render(&set, &Policy::default());
    assert_within_limits(&doc);
    assert_eq!(results(&doc, 0).len(), MAX_RESULTS_PER_RUN);
    assert_eq!(rules(&doc, 0).len(), MAX_RULES_PER_RUN);
    let kept_low = results(&doc, 0)
        .iter()
        .filter(|r| r["properties"]["severity"] == "low")
        .count();
    assert_eq!(kept_low, 7_500 - 5_000);
    let notice = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(notice["level"], "warning");
    let text = notice["message"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("left out 5000 of 30000 findings"),
        "{text}"
    );
    assert!(text.contains("JSON report has all of them"));
}

#[test]
fn large_files_keep_fewer_results_per_run_but_never_fewer_than_github_shows() {
    assert_eq!(results_per_run(0), 25_000);
    assert_eq!(results_per_run(1), 25_000);
    assert_eq!(results_per_run(4), 25_000);
    assert_eq!(results_per_run(5), 20_000);
    assert_eq!(results_per_run(20), 5_000);
}

#[test]
fn many_rules_carry_less_text() {
    let full = Detail::for_rules(100);
    assert_eq!(
        full,
        Detail {
            short_len: 1024,
            full_len: Some(1024),
            help_packages: Some(5)
        }
    );
    assert_eq!(Detail::for_rules(0), full);
    assert_eq!(
        Detail::for_rules(25_000),
        Detail {
            short_len: 240,
            full_len: Some(240),
            help_packages: Some(1)
        }
    );
    assert_eq!(
        Detail::for_rules(100_000),
        Detail {
            short_len: 120,
            full_len: None,
            help_packages: None
        }
    );
}

#[test]
fn compact_rules_drop_full_description_and_help_but_keep_the_link() {
    let f = finding("CVE-2021-3711", Severity::Critical)
        .score(9.8)
        .package("openssl", "1.1.1k")
        .title("a long title ".repeat(100));
    let set = one_image(vec![f]);
    let plan = Plan::new(&set, 0, MAX_RESULTS_PER_RUN);
    let rule =
        serde_json::to_value(Rule::new(&set, &plan.rules[0], Detail::for_rules(100_000))).unwrap();
    assert!(rule.get("fullDescription").is_none());
    assert!(rule.get("help").is_none());
    assert_eq!(
        rule["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2021-3711"
    );
    let short = rule["shortDescription"]["text"].as_str().unwrap();
    assert!(utf16_len(short) <= MIN_SHORT_DESCRIPTION_LEN && short.ends_with('…'));
    assert_eq!(rule["properties"]["security-severity"], "9.8");
}
