//! How a run ended, as one typed value: [`RunResult`]. [`crate::app`] decides it once; the exit code,
//! the JSON `result`, the Action's `result` output, annotations and every report read it and nothing
//! else. Pure: it holds what was decided and never reads or writes anything.
//!
//! Where a change goes: a new reason for "no verdict" on an image is a [`Reason`] variant (its text is its
//! `Display`); a new kind of fatal error is a variant of the edge's or the app's error enum, which
//! implements [`Fatal`] for its hint.

use std::fmt;
use std::time::Duration;

use crate::policy::{Outcome, Verdict};

/// Exit code: verdict reached, pass (or `--report-only`).
pub const EXIT_PASS: u8 = 0;
/// Exit code: verdict reached, policy violated.
pub const EXIT_FAIL: u8 = 1;
/// Exit code: no verdict because of usage, configuration, AWS, registry or input error.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: no verdict because a scan did not reach a usable final state.
pub const EXIT_INCOMPLETE: u8 = 3;

/// An error that stopped a run, with what the user can do about it.
pub trait Fatal: std::error::Error {
    /// What the user can do about it, when there is something to say.
    fn hint(&self) -> Option<&'static str> {
        None
    }
}

/// What the run concluded.
#[derive(Debug)]
pub enum Conclusion {
    /// The policy was applied to every image's complete findings.
    Verdict(Verdict),
    /// No verdict: some image's scan did not reach a usable final state (exit 3). One entry per image.
    Incomplete(Vec<Incomplete>),
    /// No verdict: usage, configuration, AWS or input errors (exit 2), each with its cause.
    Error(Vec<Box<dyn Fatal>>),
}

/// A report the run promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Sarif,
    Json,
    Markdown,
    Junit,
    Gitlab,
}

impl ReportKind {
    /// The name used in messages: `SARIF`, `JSON`, `markdown`, `JUnit`, `GitLab`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Sarif => "SARIF",
            ReportKind::Json => "JSON",
            ReportKind::Markdown => "markdown",
            ReportKind::Junit => "JUnit",
            ReportKind::Gitlab => "GitLab",
        }
    }
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run ended: the conclusion, whether a violated policy fails the job, and which promised reports
/// could not be written (any makes the run an error: a gate must not pass without a report it promised).
#[derive(Debug)]
pub struct RunResult {
    pub conclusion: Conclusion,
    /// `--report-only`: a violated policy is reported but does not fail the job.
    pub report_only: bool,
    /// Reports that could not be written, recorded after the reports were written.
    pub unwritten: Vec<ReportKind>,
}

impl RunResult {
    /// A run that concluded, before its reports are written.
    pub fn new(conclusion: Conclusion, report_only: bool) -> RunResult {
        RunResult {
            conclusion,
            report_only,
            unwritten: Vec::new(),
        }
    }

    /// A run stopped by errors before any verdict.
    pub fn error(errors: Vec<Box<dyn Fatal>>, report_only: bool) -> RunResult {
        RunResult::new(Conclusion::Error(errors), report_only)
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        if !self.unwritten.is_empty() {
            return EXIT_ERROR;
        }
        match &self.conclusion {
            Conclusion::Verdict(verdict) => match verdict.outcome {
                Outcome::Pass => EXIT_PASS,
                Outcome::Fail if self.report_only => EXIT_PASS,
                Outcome::Fail => EXIT_FAIL,
            },
            Conclusion::Incomplete(_) => EXIT_INCOMPLETE,
            Conclusion::Error(_) => EXIT_ERROR,
        }
    }

    /// `pass`, `fail` (also under `--report-only`), `incomplete` or `error`: the Action's `result`
    /// output. Reports written before the end name [`Conclusion`]'s result ([`RunResult::concluded`]).
    pub fn as_str(&self) -> &'static str {
        if self.unwritten.is_empty() {
            self.concluded()
        } else {
            "error"
        }
    }

    /// The result as concluded, before any report was written: what the reports themselves say.
    pub fn concluded(&self) -> &'static str {
        match &self.conclusion {
            Conclusion::Verdict(verdict) => verdict.outcome.as_str(),
            Conclusion::Incomplete(_) => "incomplete",
            Conclusion::Error(_) => "error",
        }
    }

    /// The verdict, when one was reached.
    pub fn verdict(&self) -> Option<&Verdict> {
        match &self.conclusion {
            Conclusion::Verdict(verdict) => Some(verdict),
            _ => None,
        }
    }

    /// The images without a usable scan, when that is why there is no verdict.
    pub fn incomplete(&self) -> &[Incomplete] {
        match &self.conclusion {
            Conclusion::Incomplete(images) => images,
            _ => &[],
        }
    }

    /// The errors that stopped the run, when that is why there is no verdict.
    pub fn errors(&self) -> &[Box<dyn Fatal>] {
        match &self.conclusion {
            Conclusion::Error(errors) => errors,
            _ => &[],
        }
    }

    /// Each error that stopped the run on one line with its causes, joined by line breaks; `None` when
    /// no error stopped it.
    pub fn error_text(&self) -> Option<String> {
        match &self.conclusion {
            Conclusion::Error(errors) => Some(
                errors
                    .iter()
                    .map(|e| crate::error_chain(e.as_ref()))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => None,
        }
    }
}

/// An image whose scan gave no usable result, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// The image as people read it: `repository@digest (platform)`; `None` when the run stopped before
    /// its images were known (ECR kept failing until the deadline).
    pub image: Option<String>,
    pub reason: Reason,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.image {
            Some(image) => write!(f, "{image}: {}", self.reason),
            None => write!(f, "{}", self.reason),
        }
    }
}

/// Why an image's scan gave no usable result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// ECR does not scan the repository, so there is nothing to wait for.
    NotScanned(String),
    /// The scan reached a final state without usable findings (failed, unsupported, findings missing…),
    /// or the result read says so.
    Unusable(String),
    /// The scan did not finish within `--timeout`.
    TimedOut {
        after: Duration,
        last_status: String,
        /// Why ECR gave no usable answer at the end, if it did not (throttling, server errors).
        unavailable: Option<String>,
    },
    /// ECR kept refusing or failing a call until the deadline.
    OutOfTime {
        after: Duration,
        /// The last failure, with its causes.
        cause: String,
        /// What to do about it.
        advice: &'static str,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotScanned(why) | Reason::Unusable(why) => f.write_str(why),
            Reason::TimedOut {
                after,
                last_status,
                unavailable: Some(why),
            } => write!(
                f,
                "timed out after {}: {why} (last status: {last_status}); raise --timeout",
                human_duration(*after)
            ),
            Reason::TimedOut {
                after,
                last_status,
                unavailable: None,
            } => write!(
                f,
                "timed out after {} waiting for the scan (last status: {last_status}); raise --timeout",
                human_duration(*after)
            ),
            Reason::OutOfTime {
                after,
                cause,
                advice,
            } => write!(
                f,
                "timed out after {}: {cause}; {advice}",
                human_duration(*after)
            ),
        }
    }
}

/// `90s`, `15m`, `1h30m`.
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// Run results for the unit tests of renderers.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Conclusion, Fatal, Incomplete, Reason, RunResult};
    use crate::policy::Verdict;

    /// An error whose text is given.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct Message(pub String);

    impl Fatal for Message {}

    /// A run that reached `verdict`.
    pub fn verdict(verdict: &Verdict, report_only: bool) -> RunResult {
        RunResult::new(Conclusion::Verdict(verdict.clone()), report_only)
    }

    /// A run without a verdict, one image per line of text given (the whole line is the reason).
    pub fn incomplete(reasons: &[String]) -> RunResult {
        let images = reasons
            .iter()
            .map(|reason| Incomplete {
                image: None,
                reason: Reason::Unusable(reason.clone()),
            })
            .collect();
        RunResult::new(Conclusion::Incomplete(images), false)
    }

    /// A run stopped by an error whose text is `message`.
    pub fn error(message: &str) -> RunResult {
        RunResult::error(vec![Box::new(Message(message.to_string()))], false)
    }
}

#[cfg(test)]
mod tests;
