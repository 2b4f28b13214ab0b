use std::time::Duration;

use super::*;
use crate::policy::Outcome;

#[derive(Debug, thiserror::Error)]
#[error("no such file")]
struct Missing;

impl Fatal for Missing {
    fn hint(&self) -> Option<&'static str> {
        Some("pass a file that exists")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("couldn't read the policy")]
struct Wrapped(#[source] Missing);

impl Fatal for Wrapped {}

fn verdict(outcome: Outcome) -> Verdict {
    Verdict {
        outcome,
        violations: Vec::new(),
        states: Vec::new(),
        expired_ignores: Vec::new(),
        unused_ignores: Vec::new(),
        vex: Vec::new(),
        baseline: None,
    }
}

fn incomplete() -> Incomplete {
    Incomplete {
        image: Some("app@sha256:ab".into()),
        reason: Reason::Unusable("scan FAILED".into()),
    }
}

#[test]
fn every_conclusion_has_its_exit_code_and_name() {
    let cases = [
        (
            Conclusion::Verdict(verdict(Outcome::Pass)),
            false,
            EXIT_PASS,
            "pass",
        ),
        (
            Conclusion::Verdict(verdict(Outcome::Pass)),
            true,
            EXIT_PASS,
            "pass",
        ),
        (
            Conclusion::Verdict(verdict(Outcome::Fail)),
            false,
            EXIT_FAIL,
            "fail",
        ),
        (
            Conclusion::Verdict(verdict(Outcome::Fail)),
            true,
            EXIT_PASS,
            "fail",
        ),
        (
            Conclusion::Incomplete(vec![incomplete()]),
            true,
            EXIT_INCOMPLETE,
            "incomplete",
        ),
        (
            Conclusion::Error(vec![Box::new(Missing)]),
            true,
            EXIT_ERROR,
            "error",
        ),
    ];
    for (conclusion, report_only, code, name) in cases {
        let result = RunResult::new(conclusion, report_only);
        assert_eq!(result.exit_code(), code, "{result:?}");
        assert_eq!(result.as_str(), name, "{result:?}");
        assert_eq!(result.concluded(), name, "{result:?}");
    }
}

#[test]
fn a_report_not_written_makes_any_run_an_error_but_reports_keep_what_was_concluded() {
    let mut result = RunResult::new(Conclusion::Verdict(verdict(Outcome::Pass)), false);
    result.unwritten.push(ReportKind::Sarif);
    assert_eq!(result.exit_code(), EXIT_ERROR);
    assert_eq!(result.as_str(), "error");
    assert_eq!(result.concluded(), "pass");
    assert!(result.verdict().is_some());
}

#[test]
fn each_conclusion_gives_only_its_own_details() {
    let pass = RunResult::new(Conclusion::Verdict(verdict(Outcome::Pass)), false);
    assert!(pass.incomplete().is_empty() && pass.errors().is_empty());
    assert_eq!(pass.error_text(), None);
    let incomplete = RunResult::new(Conclusion::Incomplete(vec![incomplete()]), false);
    assert_eq!(incomplete.incomplete().len(), 1);
    assert!(incomplete.verdict().is_none() && incomplete.errors().is_empty());
    assert_eq!(incomplete.error_text(), None);
}

#[test]
fn errors_read_as_one_line_each_with_their_causes_and_keep_their_hints() {
    let result = RunResult::error(vec![Box::new(Wrapped(Missing)), Box::new(Missing)], false);
    assert_eq!(
        result.error_text().as_deref(),
        Some("couldn't read the policy: no such file\nno such file")
    );
    let hints: Vec<_> = result.errors().iter().map(|e| e.hint()).collect();
    assert_eq!(hints, [None, Some("pass a file that exists")]);
    assert!(result.verdict().is_none() && result.incomplete().is_empty());
}

#[test]
fn reasons_read_as_before_the_type_existed() {
    let minutes = Duration::from_secs(90);
    let cases = [
        (
            Reason::TimedOut {
                after: minutes,
                last_status: "IN_PROGRESS".into(),
                unavailable: None,
            },
            "timed out after 1m30s waiting for the scan (last status: IN_PROGRESS); raise --timeout",
        ),
        (
            Reason::TimedOut {
                after: minutes,
                last_status: "PENDING".into(),
                unavailable: Some("ECR is throttling".into()),
            },
            "timed out after 1m30s: ECR is throttling (last status: PENDING); raise --timeout",
        ),
        (
            Reason::OutOfTime {
                after: Duration::from_secs(900),
                cause: "Rate exceeded".into(),
                advice: "raise --timeout",
            },
            "timed out after 15m: Rate exceeded; raise --timeout",
        ),
        (Reason::NotScanned("no filter".into()), "no filter"),
        (Reason::Unusable("scan FAILED".into()), "scan FAILED"),
    ];
    for (reason, text) in cases {
        assert_eq!(reason.to_string(), text);
    }
    assert_eq!(incomplete().to_string(), "app@sha256:ab: scan FAILED");
    let unknown = Incomplete {
        image: None,
        reason: Reason::Unusable("x".into()),
    };
    assert_eq!(unknown.to_string(), "x");
}

#[test]
fn durations_read_in_the_largest_units() {
    let cases = [
        (0, "0s"),
        (45, "45s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (5430, "1h30m"),
    ];
    for (seconds, text) in cases {
        assert_eq!(human_duration(Duration::from_secs(seconds)), text);
    }
}

#[test]
fn report_kinds_are_named_as_in_messages() {
    assert_eq!(ReportKind::Sarif.to_string(), "SARIF");
    assert_eq!(ReportKind::Json.as_str(), "JSON");
    assert_eq!(ReportKind::Markdown.as_str(), "markdown");
}
