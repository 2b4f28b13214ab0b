//! The gate's policy: what violates, what is allowed, what is ignored and until when.
//!
//! Owns reading the policy file ([`raw`] → [`Policy`], collecting every problem with its line), the CLI
//! overrides, and the one function that decides the verdict ([`evaluate()`]). Pure: the caller passes the
//! file's text and today's date.

mod evaluate;
mod problem;
pub mod raw;
pub mod wildcard;

pub use evaluate::{FindingState, Outcome, Rule, Verdict, at_or_above, evaluate, evaluate_against};
pub use problem::{Location, Problem};

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::findings::Severity;
use crate::vex::Vex;
use raw::{Located, RawDate, RawIgnore, RawPolicy};

/// The lowest severity that violates; `None` means nothing violates by severity alone.
pub type Threshold = Option<Severity>;

/// A validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Lowest violating severity (`fail-on`); default `high`.
    pub fail_on: Threshold,
    /// Only findings with a fix available (or not known to lack one) can violate; default `false`.
    pub only_fixed: bool,
    /// Findings scored below this cannot violate; findings without a score always can. Default none.
    pub min_score: Option<f64>,
    /// Only findings with a known exploit (or whose exploit status is unknown) can violate
    /// (`only-exploitable`); default `false`.
    pub only_exploitable: bool,
    /// Which findings can violate: all of them, or only those new since the baseline (`scope`);
    /// default [`Scope::All`].
    pub scope: Scope,
    /// Allowances: findings of a severity violate only when more than this many would (`[gate.max]`).
    pub max: BTreeMap<Severity, usize>,
    /// Vulnerabilities to ignore, with their reasons and expiry.
    pub ignores: Vec<Ignore>,
    /// The policy file's `vex` documents, as written (relative to the policy file); the caller reads
    /// them into [`Policy::vex`].
    pub vex_files: Vec<VexFile>,
    /// The statements of every VEX document of the run (the policy's and `--vex`).
    pub vex: Vex,
}

/// A VEX document the policy file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexFile {
    /// The path as written.
    pub path: String,
    /// The line it is written on.
    pub line: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on: Some(Severity::High),
            only_fixed: false,
            min_score: None,
            only_exploitable: false,
            scope: Scope::All,
            max: BTreeMap::new(),
            ignores: Vec::new(),
            vex_files: Vec::new(),
            vex: Vex::default(),
        }
    }
}

/// Which findings the policy judges (`[gate] scope`, `--scope`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// Every finding can violate.
    #[default]
    All,
    /// Only findings that are new since the baseline (`--baseline`) can violate; allowances count new
    /// findings only.
    New,
}

impl Scope {
    /// The name used in files, flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::New => "new",
        }
    }
}

/// One ignore rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignore {
    /// The vulnerability id, compared case-insensitively.
    pub id: String,
    pub reason: String,
    /// The last day the ignore applies; `None` for `--ignore` on the command line.
    pub expires: Option<Date>,
    /// Only findings in this package (exact name).
    pub package: Option<String>,
    /// Only images in repositories matching this ECR wildcard filter.
    pub repository: Option<String>,
    /// Where the ignore was written: a policy file line, or `None` for the command line.
    pub line: Option<usize>,
}

/// What the command line says; `None` never overrides the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub fail_on: Option<Threshold>,
    pub only_fixed: Option<bool>,
    pub min_score: Option<f64>,
    pub only_exploitable: Option<bool>,
    pub scope: Option<Scope>,
    /// `--ignore ID`: no expiry, no scope.
    pub ignore_ids: Vec<String>,
}

impl Policy {
    /// Applies command-line overrides on top of this policy.
    pub fn with_overrides(mut self, overrides: &Overrides) -> Policy {
        if let Some(fail_on) = overrides.fail_on {
            self.fail_on = fail_on;
        }
        if let Some(only_fixed) = overrides.only_fixed {
            self.only_fixed = only_fixed;
        }
        if let Some(min_score) = overrides.min_score {
            self.min_score = Some(min_score);
        }
        if let Some(only_exploitable) = overrides.only_exploitable {
            self.only_exploitable = only_exploitable;
        }
        if let Some(scope) = overrides.scope {
            self.scope = scope;
        }
        for id in &overrides.ignore_ids {
            self.ignores.push(Ignore {
                id: id.trim().to_string(),
                reason: "--ignore on the command line".into(),
                expires: None,
                package: None,
                repository: None,
                line: None,
            });
        }
        self
    }
}

/// The `fail-on` value that means no severity violates.
const NO_THRESHOLD: &str = "none";

/// Parses a `fail-on` value: a severity name or `none`.
pub fn parse_threshold(text: &str) -> Result<Threshold, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case(NO_THRESHOLD) {
        return Ok(None);
    }
    parse_severity(text).map(Some).ok_or_else(|| {
        format!(
            "`{text}` is not a severity; expected one of: {}",
            threshold_names()
        )
    })
}

/// The `fail-on` values, for messages: `critical, high, medium, low, informational, none`.
pub fn threshold_names() -> String {
    format!("{}, {NO_THRESHOLD}", severity_names())
}

/// The severities a policy names (`fail-on`, `[gate.max]`), for messages: `critical, high, medium, low,
/// informational`.
fn severity_names() -> String {
    let names: Vec<&str> = policy_severities().map(Severity::as_str).collect();
    names.join(", ")
}

/// Every severity but `unknown` (where findings without a level go: not a level a policy can set), most
/// severe first.
fn policy_severities() -> impl Iterator<Item = Severity> {
    Severity::ALL
        .into_iter()
        .filter(|severity| *severity != Severity::Unknown)
}

/// A severity a policy can name.
fn parse_severity(text: &str) -> Option<Severity> {
    Severity::parse_name(text).filter(|severity| policy_severities().any(|s| s == *severity))
}

/// Why a policy file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("couldn't read policy file {file}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("policy file {file} has {} problem(s):\n{}", problems.len(), list(file, problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

fn list(file: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {file}:{p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses and validates a policy file's text. Reports every problem found, not just the first.
pub fn parse(file: &str, text: &str) -> Result<Policy, PolicyError> {
    let mut problems = Vec::new();
    let raw = raw::read(text, &mut problems);
    let policy = validate(raw, &mut problems);
    if problems.is_empty() {
        Ok(policy)
    } else {
        problems.sort_by_key(|p| (p.line, p.column));
        Err(PolicyError::Invalid {
            file: file.to_string(),
            problems,
        })
    }
}

fn validate(raw: RawPolicy, problems: &mut Vec<Problem>) -> Policy {
    let mut policy = Policy::default();
    if let Some(Located { value, at }) = raw.fail_on {
        match parse_threshold(&value) {
            Ok(threshold) => policy.fail_on = threshold,
            Err(message) => problems.push(Problem::new(at, "gate.fail-on", &message)),
        }
    }
    if let Some(only_fixed) = raw.only_fixed {
        policy.only_fixed = only_fixed.value;
    }
    if let Some(only_exploitable) = raw.only_exploitable {
        policy.only_exploitable = only_exploitable.value;
    }
    if let Some(Located { value, at }) = raw.scope {
        match <Scope as clap::ValueEnum>::from_str(value.trim(), false) {
            Ok(scope) => policy.scope = scope,
            Err(_) => problems.push(Problem::new(
                at,
                "gate.scope",
                &format!("`{value}` is not a scope; expected one of: all, new"),
            )),
        }
    }
    if let Some(Located { value, at }) = raw.min_score {
        if (0.0..=10.0).contains(&value) {
            policy.min_score = (value > 0.0).then_some(value);
        } else {
            problems.push(Problem::new(
                at,
                "gate.min-score",
                &format!("{value} is outside 0.0 to 10.0"),
            ));
        }
    }
    for (severity, count) in raw.max {
        if let Some((severity, n)) = validate_max(severity, count, problems) {
            policy.max.insert(severity, n);
        }
    }
    for (n, path) in raw.vex {
        if path.value.trim().is_empty() {
            problems.push(Problem::new(
                path.at,
                &format!("vex[{n}]"),
                "must not be empty",
            ));
        } else {
            policy.vex_files.push(VexFile {
                path: path.value,
                line: path.at.line,
            });
        }
    }
    for (n, entry) in raw.ignores.into_iter().enumerate() {
        if let Some(ignore) = validate_ignore(n, entry, problems) {
            policy.ignores.push(ignore);
        }
    }
    policy
}

/// One `gate.max` entry: a severity (not `unknown`) and a count of 0 or more.
fn validate_max(
    severity: Located<String>,
    count: Located<i64>,
    problems: &mut Vec<Problem>,
) -> Option<(Severity, usize)> {
    let key = format!("gate.max.{}", severity.value);
    let Some(parsed) = parse_severity(&severity.value) else {
        problems.push(Problem::new(
            severity.at,
            &key,
            &format!("not a severity; expected one of: {}", severity_names()),
        ));
        return None;
    };
    match usize::try_from(count.value) {
        Ok(n) => Some((parsed, n)),
        Err(_) => {
            problems.push(Problem::new(count.at, &key, "must be 0 or more"));
            None
        }
    }
}

/// The `n`th `[[ignore]]` entry: an id, a reason and the last day it applies are required, a package
/// or a repository narrows it. `None` when it is not valid (its problems are reported).
fn validate_ignore(n: usize, entry: RawIgnore, problems: &mut Vec<Problem>) -> Option<Ignore> {
    let key = |name: &str| format!("ignore[{n}].{name}");
    let id = required_text(
        entry.id,
        entry.at,
        &key("id"),
        ("must not be empty", "is required"),
        problems,
    );
    let reason = required_text(
        entry.reason,
        entry.at,
        &key("reason"),
        (
            "must say why the finding is ignored",
            "is required: say why the finding is ignored",
        ),
        problems,
    );
    let expires = match entry.expires {
        Some(Located { value, at }) => match parse_date(&value) {
            Ok(date) => Some(date),
            Err(message) => {
                problems.push(Problem::new(at, &key("expires"), &message));
                None
            }
        },
        None => {
            problems.push(Problem::new(
                entry.at,
                &key("expires"),
                "is required: the last day the ignore applies, like 2027-03-31",
            ));
            None
        }
    };
    let package = optional_text(entry.package, &key("package"), problems);
    let repository = optional_text(entry.repository, &key("repository"), problems);
    let (Some(id), Some(reason), Some(expires)) = (id, reason, expires) else {
        return None;
    };
    Some(Ignore {
        id,
        reason,
        expires: Some(expires),
        package,
        repository,
        line: Some(entry.at.line),
    })
}

/// A required text, trimmed. `(if_blank, if_absent)`: the problems reported when it is blank (at
/// the value) or absent (at the entry `entry`).
fn required_text(
    value: Option<Located<String>>,
    entry: Location,
    key: &str,
    (if_blank, if_absent): (&str, &str),
    problems: &mut Vec<Problem>,
) -> Option<String> {
    match value {
        Some(value) if !value.value.trim().is_empty() => Some(value.value.trim().to_string()),
        Some(value) => {
            problems.push(Problem::new(value.at, key, if_blank));
            None
        }
        None => {
            problems.push(Problem::new(entry, key, if_absent));
            None
        }
    }
}

/// An optional text, trimmed; blank is a problem.
fn optional_text(
    value: Option<Located<String>>,
    key: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    value.and_then(|v| {
        if v.value.trim().is_empty() {
            problems.push(Problem::new(v.at, key, "must not be empty"));
            None
        } else {
            Some(v.value.trim().to_string())
        }
    })
}

fn parse_date(raw: &RawDate) -> Result<Date, String> {
    let text = match raw {
        RawDate::Toml(datetime) => match (datetime.date, datetime.time) {
            (Some(date), None) => {
                return Date::new(date.year as i16, date.month as i8, date.day as i8)
                    .map_err(|e| format!("{datetime} is not a valid date: {e}"));
            }
            _ => {
                return Err(format!(
                    "{datetime} is not a plain date; write the last day the ignore applies, like 2027-03-31"
                ));
            }
        },
        RawDate::Text(text) => text.trim(),
    };
    text.parse::<Date>().map_err(|_| {
        format!("`{text}` is not a date; write the last day the ignore applies, like 2027-03-31")
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vex_tests;
