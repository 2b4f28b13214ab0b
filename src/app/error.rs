//! [`AppError`]: why a command reached no verdict because of usage, configuration, AWS, registry or
//! input (exit 2), with the edge's error as its cause and a hint for the user.

use std::io::{self, Write};

use crate::ecr::client::EcrError;
use crate::ecr::saved::SavedError;
use crate::events::pattern::PatternError;
use crate::events::scan_event::EventError as ScanEventError;
use crate::image_ref::ReferenceError;
use crate::policy::PolicyError;
use crate::report::escape::plain_line;
use crate::run::{Fatal, ReportKind};
use crate::scan::identify::IdentifyError;
use crate::vex::VexError;

/// Why a run reached no verdict because of usage, configuration or input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("couldn't read findings file {file}")]
    ReadFindings {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("findings file {file}")]
    Findings {
        file: String,
        #[source]
        source: SavedError,
    },
    #[error("couldn't read baseline file {file}")]
    ReadBaseline {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("baseline file {file} is larger than {limit} bytes")]
    BaselineTooLarge { file: String, limit: u64 },
    #[error("baseline file {file}")]
    Baseline {
        file: String,
        #[source]
        source: crate::baseline::BaselineError,
    },
    #[error("no baseline: {why}")]
    BaselineMissing { why: String },
    #[error("couldn't compare with the baseline")]
    BaselinePlatform {
        #[source]
        source: crate::baseline::CompareError,
    },
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Ecr(#[from] EcrError),
    #[error("couldn't identify the images of {image}")]
    Identify {
        image: String,
        #[source]
        source: IdentifyError,
    },
    #[error("couldn't push the image")]
    Push(#[from] crate::registry::PushError),
    #[error("push source {path} doesn't exist")]
    PushSourceMissing { path: String },
    #[error("push source {path} is neither a directory nor a file")]
    PushSourceNotImage { path: String },
    #[error("couldn't read push source {path}")]
    PushSourceUnreadable {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("couldn't read event file {file}")]
    ReadEvent {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Vex(#[from] VexError),
    #[error("couldn't read VEX document {file}")]
    ReadVex {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("event file {file}")]
    Event {
        file: String,
        #[source]
        source: ScanEventError,
    },
    #[error("couldn't make the event pattern")]
    Pattern(#[source] PatternError),
    #[error("couldn't write {what}")]
    WriteOutput {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("policy file {policy}, line {line}: vex `{path}` {problem}")]
    VexPath {
        policy: String,
        line: usize,
        path: String,
        problem: String,
    },
    #[error("couldn't start the async runtime")]
    Runtime(#[source] io::Error),
    #[error("couldn't write the {kind} report to {file}")]
    WriteReport {
        kind: ReportKind,
        /// The file, or `stdout`.
        file: String,
        #[source]
        source: io::Error,
    },
}

impl Fatal for AppError {
    fn hint(&self) -> Option<&'static str> {
        match self {
            AppError::ReadFindings { .. } => Some(
                "pass the JSON saved from `aws ecr describe-image-scan-findings --output json`",
            ),
            AppError::Findings {
                source: SavedError::Syntax { .. },
                ..
            } => Some("the file is not whole JSON; was the command's output cut short?"),
            AppError::ReadBaseline { .. } | AppError::Baseline { .. } => Some(
                "--baseline takes a JSON report of ecr-scan-gate (`--json`), saved `aws ecr \
                 describe-image-scan-findings` output, or (with `scan`) another image in ECR",
            ),
            AppError::BaselineMissing { .. } => Some(
                "on a first run, before any baseline exists, pass --baseline-missing=all-new to \
                 judge every finding as new",
            ),
            AppError::BaselinePlatform { .. } => Some(
                "compare images of the same platforms, or pass --baseline-missing=all-new to judge \
                 the findings of a platform without a baseline as new",
            ),
            AppError::Policy(PolicyError::Invalid { .. }) => {
                Some("see the policy file format in the README (section \"Policy file\")")
            }
            AppError::Vex(_) | AppError::ReadVex { .. } | AppError::VexPath { .. } => Some(
                "--vex and the policy's `vex` take OpenVEX JSON documents; see the README (section \
                 \"VEX\")",
            ),
            AppError::Ecr(error) => error.hint(),
            AppError::Push(error) => error.hint(),
            AppError::PushSourceMissing { .. }
            | AppError::PushSourceNotImage { .. }
            | AppError::PushSourceUnreadable { .. } => Some(
                "--push takes an OCI image layout directory, a tar of one (buildx --output \
                 type=oci,dest=image.tar) or a `docker save` archive; the GitHub Action sees only \
                 the workspace, so write it there",
            ),
            AppError::Event { .. } => Some(
                "--from-event takes the event EventBridge delivers for a scan (`ECR Image Scan` or \
                 `Inspector2 Scan`), raw or as a repository_dispatch payload; see the README \
                 (section \"Continuous monitoring\")",
            ),
            _ => None,
        }
    }
}

/// Prints an error that stopped a command, or a report, with its hint: `error: …` then `hint: …`.
pub(super) fn print_error(error: &dyn Fatal) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "error: {}", plain_line(&crate::error_chain(error)));
    if let Some(hint) = error.hint() {
        let _ = writeln!(stderr, "hint: {hint}");
    }
}
