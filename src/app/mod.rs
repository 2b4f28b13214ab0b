//! Orchestration: resolves the command line into a configuration, runs the flow, writes every report and
//! turns the run's result into the exit code. The only module that reads the environment (files, clock,
//! stdout/stderr); the GitHub Actions environment is read once, by the entry point, and handed in.
//!
//! One file per command ([`evaluate`], [`scan`] (with [`from_event`] for `--from-event`), [`doctor`],
//! [`event_pattern`]); the gating commands end in [`gate`], which
//! decides the [`RunResult`](crate::run::RunResult) once and writes every report from it. [`error`]
//! holds [`AppError`], the typed cause of an exit 2.

use std::process::ExitCode;

mod baseline;
mod doctor;
mod error;
mod evaluate;
mod event_pattern;
mod from_event;
mod gate;
mod scan;
mod vex;

pub use crate::run::{EXIT_ERROR, EXIT_FAIL, EXIT_INCOMPLETE, EXIT_PASS};
pub use error::AppError;
pub use gate::DEFAULT_POLICY_FILE;

use crate::cli::{Cli, Command};
use crate::github::Environment;

/// Runs a parsed command line and returns the process exit code. `github` is the GitHub Actions
/// environment when the process runs in a GitHub Actions job.
pub fn run(cli: Cli, github: Option<&Environment>) -> ExitCode {
    let code = match cli.command {
        Command::Evaluate(args) => evaluate::evaluate(&args, github),
        Command::Scan(args) => scan::scan(&args, github),
        Command::Doctor(args) => doctor::doctor(&args),
        Command::EventPattern(args) => event_pattern::event_pattern(&args),
    };
    ExitCode::from(code)
}
