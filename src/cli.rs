//! What the user typed: the command line, parsed by clap. Resolving it into a configuration (policy
//! file + overrides, report targets) is [`crate::app`]'s job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::policy::{Threshold, parse_threshold};

/// Turns Amazon ECR image scanning into a CI gate.
///
/// Exit codes: 0 pass (or --report-only), 1 policy violated, 2 usage/configuration/input error,
/// 3 the scan did not reach a usable final state.
#[derive(Debug, Parser)]
#[command(name = "ecr-scan-gate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Gate saved `aws ecr describe-image-scan-findings` output (offline: no AWS access needed).
    Evaluate(EvaluateArgs),
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Saved `aws ecr describe-image-scan-findings` JSON; several files are several platform images of
    /// one tag.
    #[arg(long, value_name = "FILE", required = true, num_args = 1..)]
    pub findings: Vec<PathBuf>,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub reports: ReportArgs,
}

/// Options that shape the policy. An option not given never overrides the policy file.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// Policy file (TOML); default `ecr-scan-gate.toml` in the current directory if present.
    #[arg(long, value_name = "FILE", env = "ECR_SCAN_GATE_POLICY")]
    pub policy: Option<PathBuf>,

    /// Lowest severity that violates: critical, high, medium, low, informational or none
    /// [policy default: high].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_fail_on, env = "ECR_SCAN_GATE_FAIL_ON")]
    pub fail_on: Option<FailOn>,

    /// Only findings with a fix available can violate (findings whose fix status is unknown still can).
    #[arg(long, env = "ECR_SCAN_GATE_ONLY_FIXED")]
    pub only_fixed: bool,

    /// Findings scored below this (0.0–10.0) cannot violate; findings without a score still can.
    #[arg(long, value_name = "SCORE", value_parser = parse_min_score)]
    pub min_score: Option<f64>,

    /// Ignore a vulnerability id (repeatable; no expiry — prefer `[[ignore]]` in the policy file).
    #[arg(long = "ignore", value_name = "ID")]
    pub ignore: Vec<String>,

    /// Report everything but exit 0 whenever a verdict was reached.
    #[arg(long, env = "ECR_SCAN_GATE_REPORT_ONLY")]
    pub report_only: bool,

    /// Judge ignore expiry as of this date instead of today (YYYY-MM-DD; for replays and tests).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<jiff::civil::Date>,
}

/// Where to write reports; `-` means stdout (at most one report).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write a SARIF 2.1.0 report (for GitHub code scanning).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// Write the markdown summary (the job-summary layout).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Write the JSON report (version 1, see schemas/report-v1.schema.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// A parsed `--fail-on` value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailOn(pub Threshold);

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    parse_threshold(text).map(FailOn)
}

fn parse_min_score(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(score) if (0.0..=10.0).contains(&score) => Ok(score),
        _ => Err(format!("`{text}` is not a score from 0.0 to 10.0")),
    }
}
