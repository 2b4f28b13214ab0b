//! Reports: render what was read and decided, for people and machines. Renderers only read the
//! [`Verdict`]; none of them can change it or the exit code. Pure: output goes to `impl Write` or a
//! `String`.

pub mod escape;
pub mod gitlab;
// The hostile-text tests also check the Action's annotations (an edge behind `network`).
#[cfg(test)]
#[cfg(feature = "network")]
mod hostile;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use crate::findings::ScanSet;
use crate::policy::{Policy, Verdict};
use crate::run::RunResult;

/// Everything a renderer may read.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub set: &'a ScanSet,
    pub policy: &'a Policy,
    /// How the run ended: the verdict, or why there is none; `report_only`.
    pub result: &'a RunResult,
    /// This tool's version, for `tool` fields.
    pub tool_version: &'a str,
}

impl Context<'_> {
    /// The verdict, when one was reached.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.result.verdict()
    }

    /// `--report-only`: the verdict is reported but does not fail the job.
    pub fn report_only(&self) -> bool {
        self.result.report_only
    }
}
