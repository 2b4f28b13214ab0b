//! The verdict: decided here, once, and only read by every report.

use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

use super::wildcard;
use super::{Ignore, Policy, Scope, Threshold};
use crate::baseline::Delta;
use crate::findings::{Counts, Finding, ScanSet, Severity};
use crate::vex::Applied;

/// Pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
        }
    }
}

/// The policy rule a finding broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// At or above `fail-on`, with no allowance for its severity.
    FailOn { threshold: Severity },
    /// More findings of this severity than `[gate.max]` allows.
    Max {
        severity: Severity,
        allowed: usize,
        found: usize,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::FailOn { threshold } => write!(f, "fail-on = {threshold}"),
            Rule::Max {
                severity,
                allowed,
                found,
            } => write!(f, "max.{severity} = {allowed} ({found} found)"),
        }
    }
}

/// What the policy made of one finding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FindingState {
    /// Breaks a rule.
    Violating(Rule),
    /// Would violate, but is within an allowance (`[gate.max]`).
    Allowed,
    /// Matched an ignore rule (index into [`Policy::ignores`]).
    Ignored(usize),
    /// Suppressed by a rule in Amazon Inspector.
    SuppressedByScanner,
    /// Suppressed by a VEX statement (`not_affected` or `fixed`; index into the policy's
    /// [`Vex::statements`](crate::vex::Vex::statements)).
    SuppressedByVex(usize),
    /// Below `fail-on`, below `min-score`, without a fix under `only-fixed`, or without a known exploit
    /// under `only-exploitable`.
    BelowThreshold,
    /// Would count, but is in the baseline (unchanged or updated) and `scope = "new"` judges only new
    /// findings.
    InBaseline,
}

impl FindingState {
    /// Whether the finding does not count: ignored by the policy, suppressed by the scanner or by a
    /// VEX statement.
    pub fn is_ignored(&self) -> bool {
        matches!(
            self,
            FindingState::Ignored(_)
                | FindingState::SuppressedByScanner
                | FindingState::SuppressedByVex(_)
        )
    }
}

/// A violation: a finding and the rule it broke.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Violation {
    /// Index into [`ScanSet::findings`].
    pub finding: usize,
    pub rule: Rule,
}

/// The gate's decision and everything reports need to explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// In finding order (most severe first); the first is "the rule that failed first".
    pub violations: Vec<Violation>,
    /// One state per finding, in [`ScanSet::findings`] order.
    pub states: Vec<FindingState>,
    /// Indices into [`Policy::ignores`] of ignores past their expiry (no longer applied).
    pub expired_ignores: Vec<usize>,
    /// Indices into [`Policy::ignores`] of ignores that are in force but matched no finding.
    pub unused_ignores: Vec<usize>,
    /// What the VEX documents say about each finding, in [`ScanSet::findings`] order (all `None`
    /// without VEX documents): the statement that suppresses it, or the one shown beside it.
    pub vex: Vec<Option<Applied>>,
    /// How the findings compare with the baseline, when the run has one.
    pub baseline: Option<Box<Delta>>,
}

impl Verdict {
    /// How many findings were ignored (by policy, by the scanner or by a VEX statement).
    pub fn ignored_count(&self) -> usize {
        self.states.iter().filter(|s| s.is_ignored()).count()
    }

    /// How many findings a VEX statement suppressed.
    pub fn vex_suppressed_count(&self) -> usize {
        self.states
            .iter()
            .filter(|s| matches!(s, FindingState::SuppressedByVex(_)))
            .count()
    }

    /// Per-severity counts of findings in the given state class.
    pub fn counts_where(&self, set: &ScanSet, pick: impl Fn(&FindingState) -> bool) -> Counts {
        Counts::of(
            set.findings
                .iter()
                .zip(&self.states)
                .filter(|(_, s)| pick(s))
                .map(|(f, _)| f),
        )
    }
}

/// Whether `severity` is at or above the threshold. Unknown severities violate only when the threshold
/// is `informational` (everything).
pub fn at_or_above(severity: Severity, threshold: Threshold) -> bool {
    match threshold {
        None => false,
        Some(Severity::Informational) => true,
        Some(threshold) => severity >= threshold,
    }
}

/// Decides the verdict for a set of findings under a policy, as of `today`, without a baseline.
pub fn evaluate(set: &ScanSet, policy: &Policy, today: Date) -> Verdict {
    evaluate_against(set, policy, today, None)
}

/// Decides the verdict for a set of findings under a policy, as of `today`, with how they compare to
/// a baseline (`baseline`): under `scope = "new"` only new findings can violate, and allowances count
/// new findings only. Without a baseline every finding counts as new.
pub fn evaluate_against(
    set: &ScanSet,
    policy: &Policy,
    today: Date,
    baseline: Option<Delta>,
) -> Verdict {
    let expired_ignores: Vec<usize> = policy
        .ignores
        .iter()
        .enumerate()
        .filter(|(_, ignore)| ignore.expires.is_some_and(|e| e < today))
        .map(|(i, _)| i)
        .collect();
    let mut used = vec![false; policy.ignores.len()];

    // First pass: VEX statements, ignores, then eligibility. A VEX statement comes first: it never
    // expires, and an ignore it makes redundant shows as unused.
    let vex: Vec<Option<Applied>> = set
        .findings
        .iter()
        .map(|finding| policy.vex.judge(finding, &set.images))
        .collect();
    let mut states = Vec::with_capacity(set.findings.len());
    let mut candidates = [0usize; 6];
    for (index, (finding, applied)) in set.findings.iter().zip(&vex).enumerate() {
        let inherited = policy.scope == Scope::New
            && baseline
                .as_ref()
                .is_some_and(|delta| !delta.change(index).is_new());
        let state =
            if let Some(applied) = applied.filter(|a| a.suppresses) {
                FindingState::SuppressedByVex(applied.statement)
            } else if let Some(i) = policy.ignores.iter().enumerate().position(|(i, ignore)| {
                !expired_ignores.contains(&i) && applies(ignore, finding, set)
            }) {
                used[i] = true;
                FindingState::Ignored(i)
            } else if finding.suppressed_by_scanner {
                FindingState::SuppressedByScanner
            } else if !eligible(finding, policy) {
                FindingState::BelowThreshold
            } else if inherited {
                FindingState::InBaseline
            } else {
                candidates[finding.severity as usize] += 1;
                // Provisional; settled below once counts are known.
                FindingState::Allowed
            };
        states.push(state);
    }

    // Second pass: allowances.
    let mut violations = Vec::new();
    for (index, (finding, state)) in set.findings.iter().zip(states.iter_mut()).enumerate() {
        if *state != FindingState::Allowed {
            continue;
        }
        let severity = finding.severity;
        let found = candidates[severity as usize];
        let rule = match policy.max.get(&severity) {
            Some(&allowed) if found > allowed => Some(Rule::Max {
                severity,
                allowed,
                found,
            }),
            Some(_) => None,
            None if at_or_above(severity, policy.fail_on) => Some(Rule::FailOn {
                threshold: policy.fail_on.unwrap_or(Severity::Informational),
            }),
            None => {
                *state = FindingState::BelowThreshold;
                None
            }
        };
        if let Some(rule) = rule {
            *state = FindingState::Violating(rule);
            violations.push(Violation {
                finding: index,
                rule,
            });
        }
    }

    let unused_ignores = used
        .iter()
        .enumerate()
        .filter(|(i, used)| !**used && !expired_ignores.contains(i))
        .map(|(i, _)| i)
        .collect();
    Verdict {
        outcome: if violations.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        violations,
        states,
        expired_ignores,
        unused_ignores,
        vex,
        baseline: baseline.map(Box::new),
    }
}

/// Whether a finding can violate at all: at or above `fail-on` or under an allowance of its severity,
/// scored at least `min-score` (or unscored), fixable when `only-fixed` is set, and exploitable when
/// `only-exploitable` is set (unknown fix or exploit status counts as yes).
fn eligible(finding: &Finding, policy: &Policy) -> bool {
    let by_severity =
        at_or_above(finding.severity, policy.fail_on) || policy.max.contains_key(&finding.severity);
    let by_score = match (policy.min_score, finding.score) {
        (Some(min), Some(score)) => score >= min,
        _ => true,
    };
    let by_fix = !policy.only_fixed || finding.maybe_fixable();
    let by_exploit = !policy.only_exploitable || finding.maybe_exploitable();
    by_severity && by_score && by_fix && by_exploit
}

fn applies(ignore: &Ignore, finding: &Finding, set: &ScanSet) -> bool {
    if !ignore.id.eq_ignore_ascii_case(&finding.id) {
        return false;
    }
    if let Some(package) = &ignore.package
        && finding.package.name.as_deref() != Some(package.as_str())
    {
        return false;
    }
    if let Some(filter) = &ignore.repository {
        let in_scope = finding.images.iter().any(|&i| {
            set.images
                .get(i)
                .is_some_and(|image| wildcard::matches(filter, &image.repository))
        });
        if !in_scope {
            return false;
        }
    }
    true
}
