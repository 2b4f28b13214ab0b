//! Step outputs (`$GITHUB_OUTPUT`): which ones, their values, and the file format.
//!
//! Every output of `action.yml` is set on every run, empty when it does not apply, so that a later step
//! can test it without guessing. Single-line values are written as `name=value`; a value with a line
//! break uses the heredoc form `name<<DELIMITER` … `DELIMITER` with a random delimiter that does not occur
//! in the value, so no value can end the block early and set other outputs.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use crate::findings::Severity;
use crate::report::Context;

/// The outputs of `action.yml`, in its order.
pub const OUTPUTS: &[&str] = &[
    "result",
    "critical",
    "high",
    "medium",
    "low",
    "informational",
    "unknown",
    "total",
    "violations",
    "new",
    "fixed",
    "digest",
    "sarif",
    "json",
    "markdown",
    "sarif-id",
];

/// What the run produced besides the context (which holds its result): the reports written and the
/// SARIF upload's id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Produced<'a> {
    pub sarif: Option<&'a str>,
    pub json: Option<&'a str>,
    pub markdown: Option<&'a str>,
    pub sarif_id: Option<&'a str>,
}

/// The value of every output, in [`OUTPUTS`] order.
pub fn values(ctx: &Context<'_>, produced: &Produced<'_>) -> Vec<(&'static str, String)> {
    let counts = ctx.set.counts();
    let count = |severity| counts.get(severity).to_string();
    let violations = ctx.verdict().map_or(0, |v| v.violations.len());
    let digests: Vec<&str> = ctx
        .set
        .images
        .iter()
        .filter_map(|image| image.digest.as_deref())
        .collect();
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    // Against a baseline: how many findings are new and how many of the baseline's are fixed.
    let delta = ctx
        .verdict()
        .and_then(|v| v.baseline.as_deref())
        .map(|delta| delta.counts(ctx.set));
    vec![
        ("result", ctx.result.as_str().to_string()),
        ("critical", count(Severity::Critical)),
        ("high", count(Severity::High)),
        ("medium", count(Severity::Medium)),
        ("low", count(Severity::Low)),
        ("informational", count(Severity::Informational)),
        ("unknown", count(Severity::Unknown)),
        ("total", counts.total.to_string()),
        ("violations", violations.to_string()),
        (
            "new",
            delta.map_or_else(String::new, |d| d.new.total.to_string()),
        ),
        (
            "fixed",
            delta.map_or_else(String::new, |d| d.fixed.total.to_string()),
        ),
        ("digest", digests.join("\n")),
        ("sarif", text(produced.sarif)),
        ("json", text(produced.json)),
        ("markdown", text(produced.markdown)),
        ("sarif-id", text(produced.sarif_id)),
    ]
}

/// The outputs of a run that stopped before it read anything (invalid inputs): `result=error`, zero
/// counts, everything else empty.
pub fn for_input_error() -> Vec<(&'static str, String)> {
    OUTPUTS
        .iter()
        .map(|name| {
            let value = match *name {
                "result" => "error",
                "critical" | "high" | "medium" | "low" | "informational" | "unknown" | "total"
                | "violations" => "0",
                _ => "",
            };
            (*name, value.to_string())
        })
        .collect()
}

/// The text to append to `$GITHUB_OUTPUT`.
pub fn format(outputs: &[(&str, String)]) -> String {
    format_with(outputs, random_delimiter)
}

/// [`format()`] with a given source of delimiters (tests).
pub fn format_with(outputs: &[(&str, String)], mut delimiter: impl FnMut() -> String) -> String {
    let mut text = String::new();
    for (name, value) in outputs {
        if !value.contains(['\n', '\r']) {
            text.push_str(&format!("{name}={value}\n"));
            continue;
        }
        let mut mark = delimiter();
        while value.contains(&mark) {
            mark = delimiter();
        }
        text.push_str(&format!("{name}<<{mark}\n{value}\n{mark}\n"));
    }
    text
}

/// `ghadelimiter_` and 32 random hex digits (the standard library's per-process random hash keys).
fn random_delimiter() -> String {
    let word = || {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    format!("ghadelimiter_{:016x}{:016x}", word(), word())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_values_use_the_short_form() {
        let text = format_with(
            &[("result", "pass".into()), ("sarif", "".into())],
            || unreachable!(),
        );
        assert_eq!(text, "result=pass\nsarif=\n");
    }

    #[test]
    fn multiline_values_use_a_delimiter_not_in_the_value() {
        let mut marks = vec!["B".to_string(), "A".to_string()];
        let text = format_with(&[("digest", "sha256:1\nA\nsha256:2".into())], || {
            marks.pop().unwrap()
        });
        assert_eq!(text, "digest<<B\nsha256:1\nA\nsha256:2\nB\n");
    }

    #[test]
    fn random_delimiters_differ() {
        let a = random_delimiter();
        assert!(a.starts_with("ghadelimiter_") && a.len() == 13 + 32, "{a}");
        assert_ne!(a, random_delimiter());
    }

    #[test]
    fn input_errors_set_every_output() {
        let outputs = for_input_error();
        let names: Vec<&str> = outputs.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, OUTPUTS);
        assert_eq!(outputs[0].1, "error");
    }
}
