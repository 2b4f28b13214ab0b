use serde_json::json;

use super::*;
use crate::policy;

fn policy(text: &str) -> Policy {
    policy::parse("policy.toml", text).unwrap()
}

fn make(text: &str, repositories: &[&str], scan_types: ScanTypes) -> Generated {
    let repositories: Vec<String> = repositories.iter().map(|r| r.to_string()).collect();
    generate(&Request {
        policy: &policy(text),
        repositories: &repositories,
        scan_types,
    })
    .unwrap()
}

fn above(n: u64) -> Value {
    json!([{ "numeric": [">", n] }])
}

#[test]
fn limits_follow_fail_on_and_allowances_like_the_verdict() {
    use Severity::*;
    assert_eq!(limits(&Policy::default()), [(Critical, 0), (High, 0)]);
    assert_eq!(
        limits(&policy("[gate]\nfail-on = \"informational\"\n")),
        [
            (Critical, 0),
            (High, 0),
            (Medium, 0),
            (Low, 0),
            (Informational, 0),
            (Unknown, 0)
        ],
        "unknown violates only at informational"
    );
    assert_eq!(
        limits(&policy("[gate]\nfail-on = \"low\"\n")),
        [(Critical, 0), (High, 0), (Medium, 0), (Low, 0)]
    );
    assert_eq!(
        limits(&policy(
            "[gate]\nfail-on = \"critical\"\n[gate.max]\nhigh = 5\ncritical = 1\nlow = 0\n"
        )),
        [(Critical, 1), (High, 5), (Low, 0)],
        "an allowance below fail-on still violates above it"
    );
    assert_eq!(limits(&policy("[gate]\nfail-on = \"none\"\n")), []);
}

#[test]
fn basic_patterns_match_completed_scans_above_each_limit() {
    let generated = make(
        "[gate]\nfail-on = \"high\"\n[gate.max]\nhigh = 5\nlow = 2\n",
        &[],
        ScanTypes::Basic,
    );
    assert_eq!(
        generated.pattern,
        json!({
            "source": ["aws.ecr"],
            "detail-type": ["ECR Image Scan"],
            "detail": {
                "scan-status": ["COMPLETE"],
                "$or": [
                    {"finding-severity-counts": {"CRITICAL": above(0)}},
                    {"finding-severity-counts": {"HIGH": above(5)}},
                    {"finding-severity-counts": {"LOW": above(2)}},
                ]
            }
        })
    );
    assert!(generated.notes.is_empty(), "{:?}", generated.notes);
    let unknown = make(
        "[gate]\nfail-on = \"informational\"\n",
        &[],
        ScanTypes::Basic,
    );
    let branches = unknown.pattern["detail"]["$or"].as_array().unwrap();
    assert_eq!(branches.len(), 6);
    assert_eq!(
        branches[5],
        json!({"finding-severity-counts": {"UNDEFINED": above(0)}})
    );
}

#[test]
fn one_limit_needs_no_or() {
    let generated = make("[gate]\nfail-on = \"critical\"\n", &[], ScanTypes::Enhanced);
    assert_eq!(
        generated.pattern,
        json!({
            "source": ["aws.inspector2"],
            "detail-type": ["Inspector2 Scan"],
            "detail": {
                "scan-status": ["INITIAL_SCAN_COMPLETE"],
                "finding-severity-counts": {"CRITICAL": above(0)},
            }
        })
    );
}

#[test]
fn inspector2_patterns_match_unlisted_severities_through_total() {
    let generated = make(
        "[gate]\nfail-on = \"medium\"\n[gate.max]\ninformational = 7\nlow = 4\n",
        &[],
        ScanTypes::Enhanced,
    );
    assert_eq!(
        generated.pattern["detail"]["$or"],
        json!([
            {"finding-severity-counts": {"CRITICAL": above(0)}},
            {"finding-severity-counts": {"HIGH": above(0)}},
            {"finding-severity-counts": {"MEDIUM": above(0)}},
            {"finding-severity-counts": {"TOTAL": above(4)}},
            {"finding-severity-counts": {"LOW": above(4)}},
            {"finding-severity-counts": {"INFORMATIONAL": above(7)}},
        ])
    );
    assert_eq!(generated.notes.len(), 1, "{:?}", generated.notes);
    assert!(generated.notes[0].contains("low, informational findings apart"));
}

#[test]
fn both_scan_types_are_one_pattern() {
    let both = make("", &["prod"], ScanTypes::Both).pattern;
    let basic = make("", &["prod"], ScanTypes::Basic).pattern;
    let enhanced = make("", &["prod"], ScanTypes::Enhanced).pattern;
    assert_eq!(both, json!({"$or": [basic, enhanced]}));
    assert_eq!(
        basic["detail"]["repository-name"],
        json!([{"wildcard": "*prod*"}])
    );
    assert_eq!(
        enhanced["detail"]["repository-name"],
        json!([{"wildcard": "*:repository/*prod*"}])
    );
}

#[test]
fn repository_filters_become_wildcards() {
    let owned = |filters: &[&str]| filters.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    assert_eq!(
        wildcards(&owned(&["prod", "team/*", "a**b", "prod", "*x"])).unwrap(),
        Some(vec![
            "*prod*".to_string(),
            "team/*".into(),
            "a*b".into(),
            "*x".into()
        ])
    );
    assert_eq!(wildcards(&owned(&["team/*", "**"])).unwrap(), None);
    assert_eq!(wildcards(&[]).unwrap(), None);
    assert_eq!(
        wildcards(&owned(&["ok", "No"])),
        Err(PatternError::Repository {
            filter: "No".into()
        })
    );
    for good in ["a", "prod", "*", "team/app-1", "a.b_c-d/e", "*prod*", "9"] {
        assert!(is_filter(good), "{good}");
    }
    for bad in [
        "", "-a", "a-", "a--b", "a/.b", "A", "a b", "a:b", "a\\b", "a\"b", "a$b",
    ] {
        assert!(!is_filter(bad), "{bad}");
    }
    assert!(is_filter(&"a".repeat(256)) && !is_filter(&"a".repeat(257)));
}

#[test]
fn notes_say_what_counts_cannot_express() {
    let generated = make(
        "[gate]\nfail-on = \"high\"\nonly-fixed = true\nmin-score = 4.0\n[gate.max]\nhigh = 3\n\
         [[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n",
        &[],
        ScanTypes::Both,
    );
    let notes = generated.notes.join("\n");
    for needle in [
        "1 ignore rule(s)",
        "only-fixed",
        "min-score = 4",
        "max.high = 3 compare(s)",
    ] {
        assert!(notes.contains(needle), "{needle}: {notes}");
    }
    let basic = generate(&Request {
        policy: &policy("[gate.max]\nhigh = 3\n"),
        repositories: &[],
        scan_types: ScanTypes::Basic,
    })
    .unwrap();
    assert!(
        basic.notes.is_empty(),
        "basic counts are exact: {:?}",
        basic.notes
    );
}

#[test]
fn a_policy_that_fails_on_nothing_has_no_pattern() {
    let request = Request {
        policy: &policy("[gate]\nfail-on = \"none\"\n"),
        repositories: &[],
        scan_types: ScanTypes::Both,
    };
    assert_eq!(generate(&request), Err(PatternError::NothingFails));
}
