//! The EventBridge event pattern that matches the scan results a policy fails on, as far as an event's
//! severity counts can say it.
//!
//! The gate fails an image when, at some severity, more findings violate than allowed: more than
//! `[gate.max]`'s allowance for that severity, or more than none at or above `fail-on`. The pattern
//! matches a completed scan whose count at such a severity is above that number (`numeric` matching),
//! one `$or` branch per severity. Choices, each made so that no event the gate would fail on is missed:
//!
//! - Counts include what the policy would not count (ignored, unfixable or low-scored findings): the
//!   pattern is then a superset, and [`Generated::notes`] says so.
//! - `Inspector2 Scan` counts carry only `CRITICAL`, `HIGH`, `MEDIUM` and `TOTAL`: a limit on low,
//!   informational or unknown (untriaged) findings becomes `TOTAL` above the smallest such limit, which
//!   also counts every other finding (a superset); `LOW`, `INFORMATIONAL` and `UNTRIAGED` branches are
//!   added too, in case an event ever lists them.
//! - `ECR Image Scan` counts list only the severities that occur: an absent key is no finding, and
//!   `numeric` never matches it. `UNDEFINED` is the gate's unknown severity.
//! - Events without counts (basic scanning before 2021) do not match: EventBridge cannot tell "no
//!   counts" from "no findings" (`exists` only tests leaves), and matching every clean image is worse.
//! - Only completed scans match (`COMPLETE`, `INITIAL_SCAN_COMPLETE`).
//! - Repository filters follow ECR's wildcard rules (no `*`: contains; with `*`: anchored), as
//!   `wildcard` matching on the plain name (basic) or on the repository ARN (Inspector2).

use serde_json::{Map, Value, json};

use super::{
    BASIC_COMPLETE, BASIC_DETAIL_TYPE, BASIC_SOURCE, ENHANCED_COMPLETE, ENHANCED_DETAIL_TYPE,
    ENHANCED_SOURCE,
};
use crate::findings::Severity;
use crate::policy::{Policy, at_or_above};

/// The largest number EventBridge's `numeric` matching accepts (5.0e9).
const NUMERIC_LIMIT: u64 = 5_000_000_000;

/// The count key of a severity in `ECR Image Scan` events.
fn basic_key(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Informational => "INFORMATIONAL",
        Severity::Unknown => "UNDEFINED",
    }
}

/// The count key of a severity in `Inspector2 Scan` events; `None` for those counted only in `TOTAL`.
fn enhanced_key(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("CRITICAL"),
        Severity::High => Some("HIGH"),
        Severity::Medium => Some("MEDIUM"),
        Severity::Low | Severity::Informational | Severity::Unknown => None,
    }
}

/// The key Inspector uses for a severity its scan events do not count apart (as in its findings).
fn enhanced_unlisted_key(severity: Severity) -> &'static str {
    match severity {
        Severity::Unknown => "UNTRIAGED",
        other => basic_key(other),
    }
}

/// The `Inspector2 Scan` key that counts every finding.
const TOTAL: &str = "TOTAL";

/// Which scan events to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ScanTypes {
    /// `ECR Image Scan` events (basic scanning).
    Basic,
    /// `Inspector2 Scan` events (enhanced scanning).
    Enhanced,
    /// Both, in one pattern (a top-level `$or`).
    #[default]
    Both,
}

/// What to generate a pattern for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub policy: &'a Policy,
    /// ECR repository filters (wildcard rules); empty for every repository.
    pub repositories: &'a [String],
    pub scan_types: ScanTypes,
}

/// A pattern, and what it cannot express (for stderr).
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub pattern: Value,
    pub notes: Vec<String>,
}

/// Why no pattern could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "the policy fails on no severity (fail-on = none and no [gate.max] allowance), so no scan \
         event can be one it fails on; set fail-on or an allowance"
    )]
    NothingFails,
    #[error(
        "--repository `{filter}` is not an ECR repository filter: lowercase letters, digits, `*` and \
         `.`, `_`, `-`, `/` between them (like `prod`, `team/*` or `*-api`)"
    )]
    Repository { filter: String },
}

/// The counts above which the gate fails, per severity: `(severity, count that must be exceeded)`.
pub fn limits(policy: &Policy) -> Vec<(Severity, u64)> {
    Severity::ALL
        .into_iter()
        .filter_map(|severity| match policy.max.get(&severity) {
            Some(&allowed) => Some((severity, u64::try_from(allowed).unwrap_or(u64::MAX))),
            None => at_or_above(severity, policy.fail_on).then_some((severity, 0)),
        })
        .collect()
}

/// Generates the pattern for a request.
pub fn generate(request: &Request<'_>) -> Result<Generated, PatternError> {
    let limits = limits(request.policy);
    if limits.is_empty() {
        return Err(PatternError::NothingFails);
    }
    let filters = wildcards(request.repositories)?;
    let basic = || {
        let branches = limits
            .iter()
            .map(|&(severity, above)| branch(basic_key(severity), above))
            .collect();
        scan_pattern(
            (BASIC_SOURCE, BASIC_DETAIL_TYPE, BASIC_COMPLETE),
            filters.as_deref().map(|f| repository_values(f, "")),
            branches,
        )
    };
    let enhanced = || {
        let mut branches: Vec<Value> = limits
            .iter()
            .filter_map(|&(severity, above)| Some(branch(enhanced_key(severity)?, above)))
            .collect();
        let hidden = limits
            .iter()
            .filter(|(severity, _)| enhanced_key(*severity).is_none())
            .map(|&(_, above)| above)
            .min();
        if let Some(above) = hidden {
            branches.push(branch(TOTAL, above));
        }
        // Should an event ever list them, the unlisted severities match on their own counts too.
        branches.extend(
            limits
                .iter()
                .filter(|(severity, _)| enhanced_key(*severity).is_none())
                .map(|&(severity, above)| branch(enhanced_unlisted_key(severity), above)),
        );
        // NOTE: Inspector2 names the repository by its ARN,
        // arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME; names cannot hold a `:`.
        scan_pattern(
            (ENHANCED_SOURCE, ENHANCED_DETAIL_TYPE, ENHANCED_COMPLETE),
            filters
                .as_deref()
                .map(|f| repository_values(f, "*:repository/")),
            branches,
        )
    };
    let pattern = match request.scan_types {
        ScanTypes::Basic => basic(),
        ScanTypes::Enhanced => enhanced(),
        ScanTypes::Both => json!({ "$or": [basic(), enhanced()] }),
    };
    Ok(Generated {
        pattern,
        notes: notes(request, &limits),
    })
}

/// One `$or` branch: the count at `key` above `above`.
fn branch(key: &str, above: u64) -> Value {
    json!({ "finding-severity-counts": { key: [{ "numeric": [">", above.min(NUMERIC_LIMIT)] }] } })
}

fn scan_pattern(
    (source, detail_type, complete): (&str, &str, &str),
    repositories: Option<Value>,
    mut branches: Vec<Value>,
) -> Value {
    let mut detail = Map::new();
    detail.insert("scan-status".into(), json!([complete]));
    if let Some(repositories) = repositories {
        detail.insert("repository-name".into(), repositories);
    }
    if branches.len() == 1 {
        if let Some(Value::Object(only)) = branches.pop() {
            detail.extend(only);
        }
    } else {
        detail.insert("$or".into(), Value::Array(branches));
    }
    json!({
        "source": [source],
        "detail-type": [detail_type],
        "detail": detail,
    })
}

fn repository_values(wildcards: &[String], prefix: &str) -> Value {
    Value::Array(
        wildcards
            .iter()
            .map(|wildcard| json!({ "wildcard": format!("{prefix}{wildcard}") }))
            .collect(),
    )
}

/// The filters as EventBridge wildcards (ECR's "contains" made explicit, runs of `*` folded), in
/// order and without repeats; `None` when one of them matches every repository (or none was given).
fn wildcards(filters: &[String]) -> Result<Option<Vec<String>>, PatternError> {
    let mut wildcards: Vec<String> = Vec::new();
    for filter in filters {
        let filter = filter.trim();
        if !is_filter(filter) {
            return Err(PatternError::Repository {
                filter: filter.to_string(),
            });
        }
        let anchored = if filter.contains('*') {
            filter.to_string()
        } else {
            format!("*{filter}*")
        };
        let mut folded = String::with_capacity(anchored.len());
        for c in anchored.chars() {
            if !(c == '*' && folded.ends_with('*')) {
                folded.push(c);
            }
        }
        if folded == "*" {
            return Ok(None);
        }
        if !wildcards.contains(&folded) {
            wildcards.push(folded);
        }
    }
    Ok((!wildcards.is_empty()).then_some(wildcards))
}

/// ECR's repository filter syntax: `^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$`, at most 256 characters.
pub fn is_filter(filter: &str) -> bool {
    let word = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'*';
    let separator = |b: u8| matches!(b, b'.' | b'_' | b'-' | b'/');
    let bytes = filter.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes.len() <= 256
        && word(first)
        && word(last)
        && bytes.iter().all(|&b| word(b) || separator(b))
        && bytes
            .windows(2)
            .all(|pair| !(separator(pair[0]) && separator(pair[1])))
}

/// What the pattern cannot express, one line each.
fn notes(request: &Request<'_>, limits: &[(Severity, u64)]) -> Vec<String> {
    let policy = request.policy;
    let mut notes = Vec::new();
    let superset = "the pattern matches a superset; the gate run from the event decides";
    if !policy.ignores.is_empty() {
        notes.push(format!(
            "{} ignore rule(s) cannot be seen in severity counts (an ignored finding is still \
             counted): {superset}",
            policy.ignores.len()
        ));
    }
    if !policy.vex.statements.is_empty() {
        notes.push(format!(
            "{} VEX statement(s) cannot be seen in severity counts (a finding a statement suppresses \
             is still counted): {superset}",
            policy.vex.statements.len()
        ));
    }
    if policy.only_exploitable {
        notes.push(format!(
            "only-exploitable cannot be seen in severity counts (findings without a known exploit \
             are counted too): {superset}"
        ));
    }
    if policy.only_fixed {
        notes.push(format!(
            "only-fixed cannot be seen in severity counts (findings without a fix are counted too): \
             {superset}"
        ));
    }
    if let Some(min) = policy.min_score {
        notes.push(format!(
            "min-score = {min} cannot be seen in severity counts (findings scored below it are \
             counted too): {superset}"
        ));
    }
    let enhanced = request.scan_types != ScanTypes::Basic;
    let hidden: Vec<&str> = limits
        .iter()
        .filter(|(severity, _)| enhanced_key(*severity).is_none())
        .map(|(severity, _)| severity.as_str())
        .collect();
    if enhanced && !hidden.is_empty() {
        notes.push(format!(
            "Inspector2 Scan events do not count {} findings apart: they are matched through TOTAL, \
             which counts every finding: {superset}",
            hidden.join(", ")
        ));
    }
    let allowances: Vec<String> = policy
        .max
        .iter()
        .filter(|(severity, _)| enhanced_key(**severity).is_some())
        .map(|(severity, allowed)| format!("max.{severity} = {allowed}"))
        .collect();
    if enhanced && !allowances.is_empty() {
        notes.push(format!(
            "Inspector2 counts a vulnerability once however many packages it is found in, the gate \
             counts each package: {} compare(s) the event's count, which can be lower",
            allowances.join(", ")
        ));
    }
    notes
}

#[cfg(test)]
mod tests;
