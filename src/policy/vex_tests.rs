//! The policy's `vex` key, and how VEX statements change the verdict.

use jiff::civil::{Date, date};

use super::*;
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{ScanSet, ScanType, Severity, merge};
use crate::vex::Vex;

const TODAY: Date = date(2026, 6, 1);

fn set(findings: Vec<FindingBuilder>) -> ScanSet {
    let findings = findings.into_iter().map(FindingBuilder::build).collect();
    merge(vec![
        ImageBuilder::new("payments/api")
            .digest("sha256:aa")
            .scan(ScanType::Enhanced, "ACTIVE")
            .into_scan(findings),
    ])
}

fn high(id: &str, package: &str) -> FindingBuilder {
    FindingBuilder::new(id, Severity::High).package(package, "1.0")
}

/// A policy whose VEX document holds these statements (JSON objects).
fn with_vex(policy: Policy, statements: &[&str]) -> Policy {
    let mut vex = Vex::default();
    vex.add(
        "vex.json",
        format!(r#"{{"statements": [{}]}}"#, statements.join(",")).as_bytes(),
    )
    .unwrap();
    Policy { vex, ..policy }
}

fn statement(id: &str, status: &str) -> String {
    format!(
        r#"{{"vulnerability": "{id}", "products": ["pkg:oci/api"], "status": "{status}",
            "justification": "component_not_present", "action_statement": "upgrade",
            "timestamp": "2026-01-01T00:00:00Z"}}"#
    )
}

#[test]
fn vex_paths_are_read_with_their_lines() {
    let policy = parse(
        "p.toml",
        "vex = [\"a.json\",\n  \"sub/b.json\"]\n[gate]\nfail-on = \"low\"\n",
    )
    .unwrap();
    assert_eq!(
        policy.vex_files,
        [
            VexFile {
                path: "a.json".into(),
                line: 1
            },
            VexFile {
                path: "sub/b.json".into(),
                line: 2
            }
        ]
    );
    assert!(policy.vex.is_empty(), "the caller reads the documents");
}

#[test]
fn bad_vex_values_are_problems_with_their_location() {
    let Err(PolicyError::Invalid { problems, .. }) = parse("p.toml", "vex = \"a.json\"\n") else {
        panic!("a string is not a list")
    };
    assert_eq!(problems[0].key, "vex");
    let Err(PolicyError::Invalid { problems, .. }) =
        parse("p.toml", "vex = [\"a.json\", 3, \"  \"]\n")
    else {
        panic!("a number and a blank are not paths")
    };
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["vex[1]", "vex[2]"]);
    // `vex` belongs at the top, before any table: under [gate] it is an unknown key.
    let Err(PolicyError::Invalid { problems, .. }) =
        parse("p.toml", "[gate]\nvex = [\"a.json\"]\n")
    else {
        panic!("gate.vex is unknown")
    };
    assert_eq!(problems[0].key, "gate.vex");
}

#[test]
fn suppressing_statements_take_findings_out_of_the_verdict() {
    for status in ["not_affected", "fixed"] {
        let set = set(vec![high("CVE-1", "openssl"), high("CVE-2", "zlib")]);
        let policy = with_vex(Policy::default(), &[&statement("CVE-1", status)]);
        let verdict = evaluate(&set, &policy, TODAY);
        let cve1 = set.findings.iter().position(|f| f.id == "CVE-1").unwrap();
        assert_eq!(
            verdict.states[cve1],
            FindingState::SuppressedByVex(0),
            "{status}"
        );
        assert!(verdict.vex[cve1].is_some_and(|a| a.suppresses));
        assert_eq!(verdict.violations.len(), 1);
        assert_eq!(verdict.ignored_count(), 1);
        assert_eq!(verdict.vex_suppressed_count(), 1);
        assert!(verdict.states[cve1].is_ignored());
    }
}

#[test]
fn affected_and_under_investigation_only_show() {
    for status in ["affected", "under_investigation"] {
        let set = set(vec![high("CVE-1", "openssl")]);
        let policy = with_vex(Policy::default(), &[&statement("CVE-1", status)]);
        let verdict = evaluate(&set, &policy, TODAY);
        assert_eq!(verdict.outcome, Outcome::Fail, "{status}");
        assert!(matches!(verdict.states[0], FindingState::Violating(_)));
        assert_eq!(verdict.vex[0].map(|a| a.suppresses), Some(false));
        assert_eq!(verdict.vex_suppressed_count(), 0);
    }
}

#[test]
fn a_statement_makes_an_ignore_of_the_same_finding_unused() {
    let set = set(vec![high("CVE-1", "openssl")]);
    let policy = Policy {
        ignores: vec![Ignore {
            id: "CVE-1".into(),
            reason: "reviewed".into(),
            expires: Some(date(2027, 1, 1)),
            package: None,
            repository: None,
            line: Some(3),
        }],
        ..Policy::default()
    };
    let policy = with_vex(policy, &[&statement("CVE-1", "not_affected")]);
    let verdict = evaluate(&set, &policy, TODAY);
    assert_eq!(verdict.states[0], FindingState::SuppressedByVex(0));
    assert_eq!(verdict.unused_ignores, [0]);
}

#[test]
fn suppressed_findings_do_not_count_against_allowances() {
    let set = set(vec![
        high("CVE-1", "a"),
        high("CVE-2", "b"),
        high("CVE-3", "c"),
    ]);
    let mut policy = Policy::default();
    policy.max.insert(Severity::High, 2);
    let without = evaluate(&set, &policy, TODAY);
    assert_eq!(without.outcome, Outcome::Fail);
    let policy = with_vex(policy, &[&statement("CVE-3", "not_affected")]);
    let with = evaluate(&set, &policy, TODAY);
    assert_eq!(with.outcome, Outcome::Pass);
    assert_eq!(
        with.states
            .iter()
            .filter(|s| **s == FindingState::Allowed)
            .count(),
        2
    );
}

#[test]
fn without_documents_nothing_changes() {
    let set = set(vec![high("CVE-1", "openssl")]);
    let verdict = evaluate(&set, &Policy::default(), TODAY);
    assert_eq!(verdict.vex, [None]);
    assert_eq!(verdict.outcome, Outcome::Fail);
}
