use jiff::civil::{Date, date};

use super::*;
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{ScanSet, ScanType, Severity, merge};

const TODAY: Date = date(2026, 6, 1);

/// `id` at `severity` in version 1.0 of `package`.
fn finding(id: &str, severity: Severity, package: &str) -> FindingBuilder {
    FindingBuilder::new(id, severity).package(package, "1.0")
}

/// The merged findings of one image in `repository`.
fn set_in(repository: &str, findings: Vec<FindingBuilder>) -> ScanSet {
    let findings = findings.into_iter().map(FindingBuilder::build).collect();
    merge(vec![
        ImageBuilder::new(repository)
            .digest("sha256:aa")
            .scan(ScanType::Enhanced, "ACTIVE")
            .into_scan(findings),
    ])
}

fn set(findings: Vec<FindingBuilder>) -> ScanSet {
    set_in("payments/api", findings)
}

fn parse_ok(text: &str) -> Policy {
    match parse("p.toml", text) {
        Ok(policy) => policy,
        Err(e) => panic!("{e}"),
    }
}

fn problems(text: &str) -> Vec<Problem> {
    match parse("p.toml", text) {
        Ok(policy) => panic!("expected problems, got {policy:?}"),
        Err(PolicyError::Invalid { problems, .. }) => problems,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn empty_policy_is_the_default_fail_on_high() {
    assert_eq!(parse_ok(""), Policy::default());
    assert_eq!(Policy::default().fail_on, Some(Severity::High));
}

#[test]
fn documented_example_policy_parses() {
    let policy = parse_ok(
        r#"
[gate]
fail-on = "high"        # lowest violating severity
only-fixed = false
min-score = 0.0
[gate.max]
high = 5

[[ignore]]
id = "CVE-2024-12345"
reason = "not reachable: the service never parses untrusted XML"
expires = "2027-03-31"
package = "libxml2"
repository = "payments/*"
"#,
    );
    assert_eq!(policy.max.get(&Severity::High), Some(&5));
    assert_eq!(policy.min_score, None);
    let ignore = &policy.ignores[0];
    assert_eq!(ignore.expires, Some(date(2027, 3, 31)));
    assert_eq!(ignore.package.as_deref(), Some("libxml2"));
    assert_eq!(ignore.line, Some(9));
}

#[test]
fn toml_dates_are_accepted_as_well_as_strings() {
    let policy = parse_ok("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = 2027-01-02\n");
    assert_eq!(policy.ignores[0].expires, Some(date(2027, 1, 2)));
}

#[test]
fn every_problem_is_reported_with_line_and_key() {
    let found = problems(
        r#"[gate]
fail-on = "severe"
only-fixed = "yes"
colour = "blue"
[gate.max]
hgh = 2
low = -1

[[ignore]]
id = "CVE-1"
expires = "2027-02-30"

[[ignore]]
reason = ""
expires = 2027-01-01T10:00:00
"#,
    );
    let summary: Vec<(usize, &str)> = found.iter().map(|p| (p.line, p.key.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (2, "gate.fail-on"),
            (3, "gate.only-fixed"),
            (4, "gate.colour"),
            (6, "gate.max.hgh"),
            (7, "gate.max.low"),
            (9, "ignore[0].reason"),
            (11, "ignore[0].expires"),
            (13, "ignore[1].id"),
            (14, "ignore[1].reason"),
            (15, "ignore[1].expires"),
        ],
        "{found:#?}"
    );
    assert!(found[0].message.contains("critical, high, medium"));
    assert!(found[2].message.contains("expected one of"));
}

#[test]
fn severity_messages_list_every_severity_a_policy_can_name() {
    let found = problems("[gate]\nfail-on = \"severe\"\n[gate.max]\nunknown = 1\n");
    let messages: Vec<&str> = found.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`severe` is not a severity; expected one of: critical, high, medium, low, informational, none",
            "not a severity; expected one of: critical, high, medium, low, informational",
        ]
    );
    assert_eq!(
        parse_threshold("unknown").unwrap_err(),
        "`unknown` is not a severity; expected one of: critical, high, medium, low, informational, none"
    );
    assert_eq!(parse_threshold(" NONE "), Ok(None));
    assert_eq!(
        parse_threshold("Informational"),
        Ok(Some(Severity::Informational))
    );
}

#[test]
fn syntax_error_names_the_line() {
    let found = problems("[gate]\nfail-on = \"high\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2);
}

#[test]
fn error_message_lists_file_line_and_key() {
    let error = parse("team/policy.toml", "[gate]\nfail-on = 3\n").unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("team/policy.toml:line 2, column 11: gate.fail-on: expected a string"),
        "{text}"
    );
}

#[test]
fn cli_overrides_win_and_unset_flags_do_not_override() {
    let file = parse_ok(
        "[gate]\nfail-on = \"critical\"\nonly-fixed = true\nscope = \"new\"\nonly-exploitable = true\n",
    );
    assert_eq!(file.scope, Scope::New);
    assert!(file.only_exploitable);
    let kept = file.clone().with_overrides(&Overrides::default());
    assert_eq!(kept, file);
    let overridden = file.with_overrides(&Overrides {
        fail_on: Some(None),
        only_fixed: Some(false),
        min_score: Some(7.0),
        only_exploitable: Some(false),
        scope: Some(Scope::All),
        ignore_ids: vec!["CVE-9".into()],
    });
    assert_eq!(overridden.fail_on, None);
    assert!(!overridden.only_fixed);
    assert!(!overridden.only_exploitable);
    assert_eq!(overridden.scope, Scope::All);
    assert_eq!(overridden.min_score, Some(7.0));
    assert_eq!(overridden.ignores[0].expires, None);
}

#[test]
fn high_finding_violates_default_policy_and_names_fail_on() {
    let set = set(vec![
        finding("CVE-1", Severity::High, "openssl"),
        finding("CVE-2", Severity::Medium, "zlib"),
    ]);
    let verdict = evaluate(&set, &Policy::default(), TODAY);
    assert_eq!(verdict.outcome, Outcome::Fail);
    assert_eq!(verdict.violations.len(), 1);
    assert_eq!(verdict.violations[0].rule.to_string(), "fail-on = high");
    assert_eq!(verdict.states[1], FindingState::BelowThreshold);
}

#[test]
fn fail_on_none_passes_everything() {
    let set = set(vec![finding("CVE-1", Severity::Critical, "openssl")]);
    let policy = Policy {
        fail_on: None,
        ..Policy::default()
    };
    assert_eq!(evaluate(&set, &policy, TODAY).outcome, Outcome::Pass);
}

#[test]
fn unknown_severity_violates_only_when_failing_on_everything() {
    let set = set(vec![finding("CVE-1", Severity::Unknown, "openssl")]);
    assert_eq!(
        evaluate(&set, &Policy::default(), TODAY).outcome,
        Outcome::Pass
    );
    let strict = Policy {
        fail_on: Some(Severity::Informational),
        ..Policy::default()
    };
    assert_eq!(evaluate(&set, &strict, TODAY).outcome, Outcome::Fail);
}

#[test]
fn allowance_tolerates_up_to_max_then_every_one_violates() {
    let findings = |n: usize| {
        (0..n)
            .map(|i| finding(&format!("CVE-{i}"), Severity::High, "p"))
            .collect::<Vec<_>>()
    };
    let policy = parse_ok("[gate.max]\nhigh = 2\n");
    let within = evaluate(&set(findings(2)), &policy, TODAY);
    assert_eq!(within.outcome, Outcome::Pass);
    assert!(within.states.iter().all(|s| *s == FindingState::Allowed));
    let over = evaluate(&set(findings(3)), &policy, TODAY);
    assert_eq!(over.violations.len(), 3);
    assert_eq!(
        over.violations[0].rule.to_string(),
        "max.high = 2 (3 found)"
    );
}

#[test]
fn allowance_below_fail_on_still_caps_that_severity() {
    let policy = parse_ok("[gate]\nfail-on = \"critical\"\n[gate.max]\nmedium = 1\n");
    let set = set(vec![
        finding("CVE-1", Severity::Medium, "a"),
        finding("CVE-2", Severity::Medium, "b"),
        finding("CVE-3", Severity::High, "c"),
    ]);
    let verdict = evaluate(&set, &policy, TODAY);
    assert_eq!(verdict.violations.len(), 2);
    assert!(
        verdict
            .violations
            .iter()
            .all(|v| v.rule.to_string() == "max.medium = 1 (2 found)")
    );
}

#[test]
fn only_fixed_spares_findings_known_to_have_no_fix_but_not_unknown_ones() {
    let no_fix = finding("CVE-1", Severity::Critical, "a").fix_available(false);
    let unknown = finding("CVE-2", Severity::Critical, "b");
    let set = set(vec![no_fix, unknown]);
    let policy = Policy {
        only_fixed: true,
        ..Policy::default()
    };
    let verdict = evaluate(&set, &policy, TODAY);
    assert_eq!(verdict.violations.len(), 1);
    assert_eq!(set.findings[verdict.violations[0].finding].id, "CVE-2");
}

#[test]
fn min_score_spares_low_scores_but_never_unscored_findings() {
    let low = finding("CVE-1", Severity::High, "a").score(7.1);
    let unscored = finding("CVE-2", Severity::High, "b");
    let set = set(vec![low, unscored]);
    let policy = Policy {
        min_score: Some(8.0),
        ..Policy::default()
    };
    let verdict = evaluate(&set, &policy, TODAY);
    assert_eq!(verdict.violations.len(), 1);
    assert_eq!(set.findings[verdict.violations[0].finding].id, "CVE-2");
}

#[test]
fn ignore_applies_within_scope_only() {
    let policy = parse_ok(
        r#"
[[ignore]]
id = "cve-1"
reason = "not reachable"
expires = "2027-01-01"
package = "openssl"
repository = "payments/*"
"#,
    );
    let in_scope = set(vec![finding("CVE-1", Severity::High, "openssl")]);
    assert_eq!(evaluate(&in_scope, &policy, TODAY).outcome, Outcome::Pass);
    let other_package = set(vec![finding("CVE-1", Severity::High, "libssl")]);
    assert_eq!(
        evaluate(&other_package, &policy, TODAY).outcome,
        Outcome::Fail
    );
    let other_repository = set_in(
        "team/payments/api",
        vec![finding("CVE-1", Severity::High, "openssl")],
    );
    let verdict = evaluate(&other_repository, &policy, TODAY);
    assert_eq!(verdict.outcome, Outcome::Fail);
    assert_eq!(verdict.unused_ignores, vec![0]);
}

#[test]
fn expired_ignore_no_longer_applies_and_is_reported() {
    let policy = parse_ok("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2026-05-31\"\n");
    let set = set(vec![finding("CVE-1", Severity::High, "openssl")]);
    let verdict = evaluate(&set, &policy, TODAY);
    assert_eq!(verdict.outcome, Outcome::Fail);
    assert_eq!(verdict.expired_ignores, vec![0]);
    assert!(verdict.unused_ignores.is_empty());
}

#[test]
fn ignore_applies_through_its_expiry_day() {
    let policy = parse_ok("[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2026-06-01\"\n");
    let set = set(vec![finding("CVE-1", Severity::High, "openssl")]);
    let verdict = evaluate(&set, &policy, TODAY);
    assert_eq!(verdict.outcome, Outcome::Pass);
    assert_eq!(verdict.states[0], FindingState::Ignored(0));
}

#[test]
fn unused_ignore_is_reported() {
    let policy =
        parse_ok("[[ignore]]\nid = \"CVE-404\"\nreason = \"r\"\nexpires = \"2027-01-01\"\n");
    let set = set(vec![finding("CVE-1", Severity::Low, "openssl")]);
    assert_eq!(evaluate(&set, &policy, TODAY).unused_ignores, vec![0]);
}

#[test]
fn scanner_suppressed_findings_do_not_violate() {
    let suppressed = finding("CVE-1", Severity::Critical, "openssl").suppressed_by_scanner();
    let verdict = evaluate(&set(vec![suppressed]), &Policy::default(), TODAY);
    assert_eq!(verdict.outcome, Outcome::Pass);
    assert_eq!(verdict.states[0], FindingState::SuppressedByScanner);
    assert_eq!(verdict.ignored_count(), 1);
}

// ---- exploitability ----

#[test]
fn only_exploitable_lets_known_exploits_and_unknown_status_violate() {
    let policy = parse_ok("[gate]\nonly-exploitable = true\n");
    let set = set(vec![
        finding("CVE-1", Severity::Critical, "a").exploit_available(true),
        finding("CVE-2", Severity::Critical, "b").exploit_available(false),
        finding("CVE-3", Severity::Critical, "c"),
    ]);
    let verdict = evaluate(&set, &policy, TODAY);
    let state = |id: &str| verdict.states[set.findings.iter().position(|f| f.id == id).unwrap()];
    assert!(matches!(state("CVE-1"), FindingState::Violating(_)));
    assert_eq!(state("CVE-2"), FindingState::BelowThreshold);
    assert!(
        matches!(state("CVE-3"), FindingState::Violating(_)),
        "unknown exploit status still violates, as only-fixed treats an unknown fix status"
    );
    let off = evaluate(&set, &Policy::default(), TODAY);
    assert_eq!(off.violations.len(), 3);
}

#[test]
fn scope_and_only_exploitable_are_read_and_checked() {
    assert_eq!(parse_ok("[gate]\nscope = \"new\"\n").scope, Scope::New);
    assert_eq!(parse_ok("[gate]\nscope = \"all\"\n").scope, Scope::All);
    assert_eq!(Policy::default().scope, Scope::All);
    assert!(!Policy::default().only_exploitable);
    let found = problems("[gate]\nscope = \"changed\"\nonly-exploitable = \"yes\"\n");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].key, "gate.scope");
    assert!(found[0].message.contains("all, new"), "{found:?}");
    assert_eq!(found[1].key, "gate.only-exploitable");
    let unknown = problems("[gate]\nscopes = \"new\"\n");
    assert!(
        unknown[0].message.contains("only-exploitable, scope"),
        "{unknown:?}"
    );
}

// ---- baselines ----

/// The delta of `set` where the findings at `new` are new and the others unchanged.
fn delta(set: &ScanSet, new: &[usize]) -> crate::baseline::Delta {
    let mut delta = crate::baseline::Delta::all_new(set, "base".into(), String::new());
    delta.missing = None;
    for (index, finding) in delta.findings.iter_mut().enumerate() {
        if !new.contains(&index) {
            finding.change = crate::baseline::Change::Unchanged;
        }
    }
    delta
}

#[test]
fn scope_new_judges_only_new_findings_and_allowances_count_new_ones() {
    let set = set(vec![
        finding("CVE-1", Severity::Critical, "a"),
        finding("CVE-2", Severity::High, "b"),
        finding("CVE-3", Severity::High, "c"),
        finding("CVE-4", Severity::High, "d"),
        finding("CVE-5", Severity::Low, "e"),
    ]);
    let new = parse_ok("[gate]\nscope = \"new\"\n[gate.max]\nhigh = 1\n");
    // CVE-1 (critical) and CVE-3 are unchanged; CVE-2 and CVE-4 are new highs, one over the allowance.
    let verdict = evaluate_against(&set, &new, TODAY, Some(delta(&set, &[1, 3, 4])));
    assert_eq!(verdict.states[0], FindingState::InBaseline);
    assert_eq!(verdict.states[2], FindingState::InBaseline);
    assert_eq!(verdict.states[4], FindingState::BelowThreshold);
    assert_eq!(verdict.violations.len(), 2);
    assert_eq!(
        verdict.violations[0].rule,
        Rule::Max {
            severity: Severity::High,
            allowed: 1,
            found: 2
        }
    );
    assert!(verdict.baseline.is_some());
    // Only unchanged findings: a pass, though a critical is in the image.
    let verdict = evaluate_against(&set, &new, TODAY, Some(delta(&set, &[4])));
    assert_eq!(verdict.outcome, Outcome::Pass);
    // scope = all: the same delta changes nothing.
    let all = parse_ok("[gate.max]\nhigh = 1\n");
    let verdict = evaluate_against(&set, &all, TODAY, Some(delta(&set, &[4])));
    assert_eq!(verdict.violations.len(), 4);
    // Without a delta every finding counts as new.
    assert_eq!(evaluate(&set, &new, TODAY).violations.len(), 4);
}

#[test]
fn ignores_apply_before_the_baseline_so_they_stay_used() {
    let policy = parse_ok(
        "[gate]\nscope = \"new\"\n[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2027-01-01\"\n",
    );
    let set = set(vec![finding("CVE-1", Severity::High, "a")]);
    let verdict = evaluate_against(&set, &policy, TODAY, Some(delta(&set, &[])));
    assert_eq!(verdict.states[0], FindingState::Ignored(0));
    assert!(verdict.unused_ignores.is_empty());
}
