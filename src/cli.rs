//! What the user typed: the command line, parsed by clap. Resolving it into a configuration (policy
//! file + overrides, report targets) is [`crate::app`]'s job.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use std::time::Duration;

use crate::events::pattern::ScanTypes;
use crate::events::rule::Format;
use crate::image_ref::is_registry_id;
use crate::policy::{Scope, Threshold, parse_threshold};
use crate::scan::plan::ScanMode;

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

impl Cli {
    /// Parses a command line without the `ECR_SCAN_GATE_*` fallbacks: how the GitHub Action runs, whose
    /// inputs are its whole configuration. A variable from a job's `env:` or a line an earlier step
    /// wrote to `GITHUB_ENV` must not weaken the gate (`ECR_SCAN_GATE_REPORT_ONLY`, `…_FAIL_ON`,
    /// `…_POLICY`, `…_PLATFORM`) or send the registry credentials elsewhere
    /// (`…_REGISTRY_ENDPOINT`); and a `false` input has no flag that could override a variable.
    pub fn try_parse_without_env<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Cli::command_without_env();
        let matches = command.try_get_matches_from_mut(args)?;
        Cli::from_arg_matches(&matches).map_err(|error| error.format(&mut command))
    }

    /// The clap command with no argument reading an environment variable.
    pub fn command_without_env() -> clap::Command {
        Cli::command().mut_subcommands(|command| command.mut_args(|arg| arg.env(None)))
    }
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Identify an image in ECR, make sure it is scanned, wait for the result, report and gate.
    Scan(ScanArgs),
    /// Gate saved `aws ecr describe-image-scan-findings` output (offline: no AWS access needed).
    Evaluate(EvaluateArgs),
    /// Explain the registry's scanning setup for a repository and what `scan` would do; check the IAM
    /// actions the gate needs.
    Doctor(DoctorArgs),
    /// Print the EventBridge event pattern that matches the completed scans the policy fails on (as far
    /// as severity counts can say it), or a rule around it.
    EventPattern(EventPatternArgs),
}

#[derive(Debug, Args)]
pub struct EventPatternArgs {
    /// Policy file (TOML); default `ecr-scan-gate.toml` in the current directory if present.
    #[arg(long, value_name = "FILE", env = "ECR_SCAN_GATE_POLICY")]
    pub policy: Option<PathBuf>,

    /// Lowest severity that violates: critical, high, medium, low, informational or none
    /// [policy default: high].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_fail_on, env = "ECR_SCAN_GATE_FAIL_ON")]
    pub fail_on: Option<FailOn>,

    /// Only repositories matching this ECR repository filter (no `*`: names containing it; with `*`:
    /// the whole name, `*` standing for any characters); repeatable. Default: every repository.
    #[arg(long = "repository", value_name = "PATTERN")]
    pub repositories: Vec<String>,

    /// Which scan events: basic (`ECR Image Scan`), enhanced (`Inspector2 Scan`) or both.
    #[arg(long, value_enum, default_value_t = ScanTypes::Both)]
    pub scan_type: ScanTypes,

    /// json: the pattern; cloudformation: a template with the rule; terraform: an
    /// aws_cloudwatch_event_rule; cli: an `aws events put-rule` command.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
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

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The image: `REPOSITORY[:TAG]`, `REPOSITORY@sha256:DIGEST`, or a full ECR URI
    /// (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG|@DIGEST]`).
    #[arg(value_name = "IMAGE", required_unless_present = "from_event")]
    pub image: Option<String>,

    /// Gate the image named by an `ECR Image Scan` or `Inspector2 Scan` event (raw, or a
    /// repository_dispatch payload) in FILE, or `-` for stdin: wait for and read that scan, never start
    /// one.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["image", "push", "platform"]
    )]
    pub from_event: Option<PathBuf>,

    /// Only these platforms of a multi-platform image (`linux/arm64`, or just `arm64`); repeatable or
    /// comma-separated. Default: every platform.
    #[arg(
        long,
        value_name = "PLATFORM",
        value_delimiter = ',',
        env = "ECR_SCAN_GATE_PLATFORM"
    )]
    pub platform: Vec<String>,

    /// auto: decide from the registry's scanning configuration; start: start a basic scan; wait: only
    /// wait for the scan ECR runs by itself.
    #[arg(long, value_enum, default_value_t = ScanMode::Auto, env = "ECR_SCAN_GATE_SCAN_MODE")]
    pub scan_mode: ScanMode,

    /// Overall bound on waiting for the scan (`90s`, `15m`, `1h`).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration, env = "ECR_SCAN_GATE_TIMEOUT")]
    pub timeout: Duration,

    /// Push the image to ECR first, then gate it. SOURCE is an OCI image layout directory, a tar of
    /// one (buildx `--output type=oci`, `docker save` of Docker 25 or later) or a legacy `docker save`
    /// archive. IMAGE is the destination: its tag (a digest in IMAGE must be the source's).
    #[arg(long, value_name = "SOURCE")]
    pub push: Option<PathBuf>,

    /// The registry endpoint --push uploads to, instead of the one ECR's GetAuthorizationToken names
    /// (a VPC endpoint, a proxy); `https://`, or plain `http://` for 127.0.0.1 or localhost only.
    #[arg(long, value_name = "URL", env = "ECR_SCAN_GATE_REGISTRY_ENDPOINT")]
    pub registry_endpoint: Option<String>,

    /// Upload chunk size in bytes for --push (blobs up to it go in one request; for tests).
    #[arg(long, value_name = "BYTES", hide = true)]
    pub push_chunk_size: Option<u64>,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub reports: ReportArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// An image (`REPOSITORY[:TAG]`, `REPOSITORY@DIGEST`, full ECR URI) or just a repository name.
    #[arg(value_name = "IMAGE|REPOSITORY")]
    pub target: String,

    /// The --scan-mode `scan` would run with.
    #[arg(long, value_enum, default_value_t = ScanMode::Auto)]
    pub scan_mode: ScanMode,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Standard AWS selection. The credential chain and `AWS_ENDPOINT_URL_ECR` are honoured as usual.
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// AWS region (default: from the image URI, then the standard chain: AWS_REGION, profile).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Registry (account id) that holds the repository (default: from the image URI, else the caller's).
    /// Exactly 12 digits: it becomes part of the push endpoint's host, so nothing else is accepted.
    #[arg(long, value_name = "ACCOUNT", value_parser = parse_registry_id)]
    pub registry_id: Option<String>,

    /// Named AWS profile.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
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

    /// Only findings with a known exploit (Amazon Inspector's exploitAvailable) can violate; findings
    /// whose exploit status is unknown (basic scanning never says) still can.
    #[arg(long)]
    pub only_exploitable: bool,

    /// Which findings can violate: all, or only those new since --baseline [policy default: all].
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub scope: Option<Scope>,

    /// Compare with a baseline: a JSON report of ecr-scan-gate (--json), saved
    /// describe-image-scan-findings output, or (scan only) another image in ECR (`main`, `:TAG`,
    /// `@sha256:…`, `REPOSITORY:TAG`); repeatable for files of several platforms.
    #[arg(long = "baseline", value_name = "SOURCE")]
    pub baseline: Vec<String>,

    /// What a baseline that does not exist (no such file, image or platform) means: error, or all-new
    /// (every finding new, for a first run).
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = BaselineMissing::Error)]
    pub baseline_missing: BaselineMissing,

    /// Findings scored below this (0.0–10.0) cannot violate; findings without a score still can.
    #[arg(long, value_name = "SCORE", value_parser = parse_min_score)]
    pub min_score: Option<f64>,

    /// Ignore a vulnerability id (repeatable; no expiry — prefer `[[ignore]]` in the policy file).
    #[arg(long = "ignore", value_name = "ID")]
    pub ignore: Vec<String>,

    /// An OpenVEX document (repeatable): its `not_affected` and `fixed` statements suppress the
    /// findings they cover; `affected` and `under_investigation` ones are shown. Added to the policy
    /// file's `vex`.
    #[arg(long = "vex", value_name = "FILE")]
    pub vex: Vec<PathBuf>,

    /// Report everything but exit 0 whenever a verdict was reached.
    #[arg(long, env = "ECR_SCAN_GATE_REPORT_ONLY")]
    pub report_only: bool,

    /// Judge ignore expiry as of this date instead of today (YYYY-MM-DD; for replays and tests).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<jiff::civil::Date>,
}

/// What a baseline that does not exist means (`--baseline-missing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BaselineMissing {
    /// An error (exit 2): a gate must not judge everything as new by accident.
    #[default]
    Error,
    /// Every finding without a baseline is new (a first run, before any baseline exists).
    AllNew,
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

    /// Write a JUnit XML report (one test suite per image, one failing test per violating finding),
    /// for the test views of Jenkins, GitLab, CircleCI, Buildkite and others.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write a GitLab container-scanning report (`artifacts:reports:container_scanning`).
    #[arg(long, value_name = "FILE")]
    pub gitlab: Option<PathBuf>,
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

/// A registry id: the 12-digit AWS account id, nothing else (no spaces, no host, no other digits).
pub fn parse_registry_id(text: &str) -> Result<String, String> {
    if is_registry_id(text) {
        Ok(text.to_string())
    } else {
        Err(
            "a registry id is the 12-digit AWS account id that owns the registry (like \
             123456789012)"
                .to_string(),
        )
    }
}

/// `90s`, `15m`, `1h`, `1h30m`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("`{text}` is not a duration; write it like 90s, 15m or 1h");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(invalid()),
        };
        let value: u64 = number.parse().map_err(|_| invalid())?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(invalid());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_s_command_reads_no_environment_variable() {
        let with_env: Vec<String> = Cli::command()
            .get_subcommands()
            .flat_map(|command| command.get_arguments())
            .filter(|arg| arg.get_env().is_some())
            .map(|arg| arg.get_id().to_string())
            .collect();
        assert!(
            with_env.iter().any(|id| id == "report_only"),
            "the CLI keeps its fallbacks: {with_env:?}"
        );
        let command = Cli::command_without_env();
        for sub in command.get_subcommands() {
            for arg in sub.get_arguments() {
                assert_eq!(arg.get_env(), None, "{} --{}", sub.get_name(), arg.get_id());
            }
        }
    }

    #[test]
    fn parsing_without_env_still_reports_usage_errors() {
        let error = Cli::try_parse_without_env(["ecr-scan-gate", "evaluate", "--fail-on=severe"])
            .unwrap_err();
        assert!(error.to_string().contains("--fail-on"), "{error}");
        let cli =
            Cli::try_parse_without_env(["ecr-scan-gate", "evaluate", "--findings=a.json"]).unwrap();
        assert!(matches!(cli.command, Command::Evaluate(_)));
    }

    #[test]
    fn durations_parse_in_every_documented_spelling() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "m", "15x", "1.5m", "0s", "-3s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_id_is_twelve_ascii_digits_and_nothing_else() {
        assert_eq!(
            parse_registry_id("123456789012").as_deref(),
            Ok("123456789012")
        );
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            " 123456789012",
            "123456789012 ",
            "123456789012\n",
            "123456789012.evil.example",
            "127.0.0.1:18403/x?",
            "evil.example/",
            "user@123456789012",
            "１２３４５６７８９０１２",
            "١٢٣٤٥٦٧٨٩٠١٢",
            "+12345678901",
            "-12345678901",
            "12345678901\u{0}",
        ] {
            let error = parse_registry_id(bad).expect_err(bad);
            assert!(error.contains("12-digit"), "{error}");
        }
    }

    #[test]
    fn registry_id_is_checked_by_every_command_that_takes_it() {
        for command in [
            &["ecr-scan-gate", "scan", "team/app"][..],
            &["ecr-scan-gate", "doctor", "team/app"][..],
        ] {
            let mut args = command.to_vec();
            args.extend(["--registry-id", "127.0.0.1:18403/x?"]);
            let error = Cli::try_parse_from(&args).expect_err("refused");
            assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
            assert!(error.to_string().contains("--registry-id"), "{error}");
            let mut args = command.to_vec();
            args.extend(["--registry-id", "123456789012"]);
            assert!(Cli::try_parse_from(&args).is_ok());
        }
    }
}
