//! The `ecr-scan-gate` binary: reads the process environment once and hands over to [`app`] (or, as the
//! GitHub Action, first turns the `INPUT_*` variables into a command line).
#![forbid(unsafe_code)]

use std::env;
use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use ecr_scan_gate::app::{self, EXIT_ERROR};
use ecr_scan_gate::cli::Cli;
use ecr_scan_gate::error_chain;
use ecr_scan_gate::github::inputs::{self, ACTION_COMMAND, Inputs};
use ecr_scan_gate::github::workspace::Workspace;
use ecr_scan_gate::github::{self, Environment};
use ecr_scan_gate::report::escape::plain_line;

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().collect();
    let vars: Vec<(OsString, OsString)> = env::vars_os().collect();
    // The one place `GITHUB_ACTIONS` is read: `Some` inside a GitHub Actions job.
    let github = Environment::from_vars(vars.iter().cloned());
    if runs_as_action(&args, github.as_ref(), &vars) {
        return action(&args, github.as_ref(), vars);
    }
    app::run(Cli::parse(), github.as_ref())
}

/// The GitHub Action runs the binary as `ecr-scan-gate github-action` (`runs.args` in `action.yml`).
/// The image run with no arguments inside a GitHub Actions job that passes inputs (`uses: docker://…`
/// with `with:`) is the Action too.
fn runs_as_action(
    args: &[OsString],
    github: Option<&Environment>,
    vars: &[(OsString, OsString)],
) -> bool {
    match args.get(1) {
        Some(first) => first == ACTION_COMMAND,
        None => {
            github.is_some()
                && vars
                    .iter()
                    .any(|(key, _)| key.to_string_lossy().starts_with("INPUT_"))
        }
    }
}

/// Runs as the Action: the `INPUT_*` variables become the command line, which then runs like any other.
fn action(
    args: &[OsString],
    github: Option<&Environment>,
    vars: Vec<(OsString, OsString)>,
) -> ExitCode {
    if args.len() > 2 {
        return input_error(
            github,
            &format!(
                "`{ACTION_COMMAND}` takes no arguments: the action's inputs arrive as INPUT_* variables"
            ),
        );
    }
    // Relative paths start from the working directory: the workspace, in a Docker action.
    let cwd = env::current_dir().unwrap_or_default();
    let root = env::var_os("GITHUB_WORKSPACE")
        .filter(|root| !root.is_empty())
        .map_or_else(|| cwd.clone(), Into::into);
    let run = match inputs::command_line(&Inputs::from_vars(vars), &Workspace::new(root, &cwd)) {
        Ok(run) => run,
        Err(error) => return input_error(github, &error_chain(&error)),
    };
    let mut stderr = io::stderr().lock();
    if !run.ignored.is_empty() {
        // A plain note, not an annotation: the step's 10 warning annotations are kept for the run.
        let names: Vec<String> = run.ignored.iter().map(|n| format!("`{n}`")).collect();
        let verb = if names.len() == 1 { "applies" } else { "apply" };
        let note = format!(
            "ecr-scan-gate: note: {} only {verb} when scanning an `image`; ignored with `findings`",
            names.join(", ")
        );
        let _ = writeln!(stderr, "{}", plain_line(&note));
    }
    let _ = writeln!(
        stderr,
        "{}",
        plain_line(&format!("ecr-scan-gate: the action's inputs → {run}"))
    );
    drop(stderr);
    match Cli::try_parse_without_env(&run.args) {
        Ok(cli) => app::run(cli, github),
        Err(error) => {
            let text = error.to_string();
            let first = text.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            input_error(
                github,
                &format!("{first} (from the action's inputs: {run})"),
            )
        }
    }
}

fn input_error(github: Option<&Environment>, message: &str) -> ExitCode {
    let mut stderr = io::stderr().lock();
    match github {
        Some(github) => github::publish_input_error(github, message, &mut stderr),
        None => {
            let _ = writeln!(
                stderr,
                "{}",
                plain_line(&format!("ecr-scan-gate: error: {message}"))
            );
        }
    }
    ExitCode::from(EXIT_ERROR)
}
