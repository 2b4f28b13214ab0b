//! Tests of the merge of platform scans and of the check of declared counts.

use std::collections::BTreeMap;

use super::testing::{FindingBuilder, ImageBuilder};
use super::{CountCheck, CountGap, ImageScan, Severity, merge};

/// `id` at `severity` in openssl `version`.
fn finding(id: &str, severity: Severity, version: &str) -> FindingBuilder {
    FindingBuilder::new(id, severity).package("openssl", version)
}

/// The scan of the `app:v1` image of `platform`.
fn scan(digest: &str, platform: &str, findings: Vec<FindingBuilder>) -> ImageScan {
    ImageBuilder::new("app")
        .digest(digest)
        .tag("v1")
        .platform(platform)
        .into_scan(findings.into_iter().map(FindingBuilder::build).collect())
}

#[test]
fn identical_findings_of_two_platforms_merge_and_list_both_images() {
    let set = merge(vec![
        scan(
            "sha256:a",
            "linux/amd64",
            vec![finding("CVE-1", Severity::High, "1.0")],
        ),
        scan(
            "sha256:b",
            "linux/arm64",
            vec![finding("CVE-1", Severity::High, "1.0")],
        ),
    ]);
    assert_eq!(set.findings.len(), 1);
    assert_eq!(set.findings[0].images, vec![0, 1]);
}

#[test]
fn findings_judged_differently_per_platform_stay_separate_in_either_order() {
    let suppressed = || finding("CVE-1", Severity::Critical, "1.0").suppressed_by_scanner();
    let lower = || finding("CVE-1", Severity::Low, "1.0");
    let no_fix = || finding("CVE-1", Severity::Critical, "1.0").fix_available(false);
    let scored = || finding("CVE-1", Severity::Critical, "1.0").score(1.0);
    // `only-exploitable` judges by it.
    let no_exploit = || finding("CVE-1", Severity::Critical, "1.0").exploit_available(false);
    for other in [suppressed, lower, no_fix, scored, no_exploit] {
        for flip in [false, true] {
            let mut scans = vec![
                scan("sha256:a", "linux/arm64", vec![other()]),
                scan(
                    "sha256:b",
                    "linux/amd64",
                    vec![finding("CVE-1", Severity::Critical, "1.0")],
                ),
            ];
            if flip {
                scans.reverse();
            }
            let set = merge(scans);
            assert_eq!(set.findings.len(), 2, "{:?}", set.findings);
            let plain = set
                .findings
                .iter()
                .find(|f| {
                    f.severity == Severity::Critical
                        && !f.suppressed_by_scanner
                        && f.fix_available.is_none()
                        && f.exploit_available.is_none()
                        && f.score.is_none()
                })
                .expect("the amd64 finding as its scanner gave it");
            assert_eq!(plain.images.len(), 1);
        }
    }
}

#[test]
fn different_versions_stay_separate_findings() {
    let set = merge(vec![
        scan(
            "sha256:a",
            "linux/amd64",
            vec![finding("CVE-1", Severity::High, "1.0")],
        ),
        scan(
            "sha256:b",
            "linux/arm64",
            vec![finding("CVE-1", Severity::High, "1.1")],
        ),
    ]);
    assert_eq!(set.findings.len(), 2);
}

#[test]
fn findings_sort_most_severe_first() {
    let set = merge(vec![scan(
        "sha256:a",
        "linux/amd64",
        vec![
            finding("CVE-2", Severity::Low, "1"),
            finding("CVE-1", Severity::Critical, "1"),
            finding("CVE-3", Severity::Unknown, "1"),
        ],
    )]);
    let order: Vec<_> = set.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(order, ["CVE-1", "CVE-2", "CVE-3"]);
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn equal_counts_with_zero_or_total_keys_and_other_case_agree() {
    let listed = counts(&[("MEDIUM", 1)]);
    let declared = counts(&[("medium", 1), ("HIGH", 0), ("TOTAL", 7)]);
    assert_eq!(CountCheck::of(&declared, &listed), CountCheck::default());
}

#[test]
fn more_declared_than_listed_is_missing_and_fewer_is_surplus() {
    let listed = counts(&[("LOW", 1), ("MEDIUM", 3)]);
    let declared = counts(&[("CRITICAL", 40), ("LOW", 1), ("MEDIUM", 2)]);
    let check = CountCheck::of(&declared, &listed);
    assert_eq!(
        check.missing,
        vec![CountGap {
            severity: "CRITICAL".into(),
            declared: 40,
            listed: 0
        }]
    );
    assert_eq!(
        check.surplus,
        vec![CountGap {
            severity: "MEDIUM".into(),
            declared: 2,
            listed: 3
        }]
    );
    assert_eq!(
        check.missing[0].to_string(),
        "CRITICAL 40 declared, 0 listed"
    );
}

#[test]
fn huge_declared_counts_do_not_overflow() {
    let declared = counts(&[("HIGH", u64::MAX), ("high", u64::MAX)]);
    let check = CountCheck::of(&declared, &BTreeMap::new());
    assert_eq!(check.missing[0].declared, u64::MAX);
}

#[test]
fn merge_warns_only_about_the_surplus_direction() {
    let mut fewer = scan("sha256:a", "linux/amd64", vec![]);
    fewer.listed_counts = counts(&[("HIGH", 2)]);
    fewer.declared_counts = Some(counts(&[("HIGH", 1)]));
    let set = merge(vec![fewer]);
    assert_eq!(set.warnings.len(), 1, "{:?}", set.warnings);
    assert!(set.warnings[0].contains("HIGH 1 declared, 2 listed"));

    let mut more = scan("sha256:a", "linux/amd64", vec![]);
    more.listed_counts = counts(&[("HIGH", 1)]);
    more.declared_counts = Some(counts(&[("HIGH", 2)]));
    assert!(merge(vec![more]).warnings.is_empty());
    let none = scan("sha256:a", "linux/amd64", vec![]);
    assert_eq!(none.count_check(), CountCheck::default());
}
