//! Reports: render what was read and decided, for people and machines. Renderers only read the
//! [`Verdict`]; none of them can change it or the exit code. Pure: output goes to `impl Write` or a
//! `String`.

pub mod escape;
#[cfg(test)]
mod hostile;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;

use crate::findings::ScanSet;
use crate::policy::{Policy, Verdict};

/// What the gate concluded, for reports.
#[derive(Debug, Clone, Copy)]
pub enum Judgement<'a> {
    /// A verdict was reached (exit 0 or 1).
    Verdict(&'a Verdict),
    /// No verdict: some scan did not reach a usable final state (exit 3). One reason per such image.
    Incomplete(&'a [String]),
    /// No verdict: usage, configuration or input error (exit 2).
    Error(&'a str),
}

/// Everything a renderer may read.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub set: &'a ScanSet,
    pub policy: &'a Policy,
    pub judgement: Judgement<'a>,
    /// `--report-only`: the verdict is reported but does not fail the job.
    pub report_only: bool,
    /// This tool's version, for `tool` fields.
    pub tool_version: &'a str,
}

impl Context<'_> {
    /// The verdict, when one was reached.
    pub fn verdict(&self) -> Option<&Verdict> {
        match self.judgement {
            Judgement::Verdict(v) => Some(v),
            _ => None,
        }
    }
}
