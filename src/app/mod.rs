//! Orchestration: resolves the command line into a configuration, runs the flow, writes every report and
//! turns the outcome into the exit code. The only module that reads the environment (files, clock,
//! stdout/stderr).

use crate::error_chain;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod doctor;
mod scan;

use crate::cli::{Cli, Command, EvaluateArgs, GateArgs, ReportArgs};
use crate::ecr::client::{AwsOptions, EcrError};
use crate::ecr::saved::{self, SavedError};
use crate::findings::{ImageScan, ScanSet, merge};
use crate::image_ref::ReferenceError;
use crate::policy::{self, Outcome, Overrides, Policy, PolicyError};
use crate::report::{self, Context, Judgement};
use crate::scan::identify::IdentifyError;

/// The policy file read when `--policy` is not given, if it exists.
pub const DEFAULT_POLICY_FILE: &str = "ecr-scan-gate.toml";

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
    #[error("couldn't start the async runtime")]
    Runtime(#[source] io::Error),
    #[error("couldn't write the {what} report to {file}")]
    WriteReport {
        what: &'static str,
        file: String,
        #[source]
        source: io::Error,
    },
}

impl AppError {
    /// The exit code for this error.
    pub fn exit_code(&self) -> u8 {
        EXIT_ERROR
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            AppError::ReadFindings { .. } => Some(
                "pass the JSON saved from `aws ecr describe-image-scan-findings --output json`",
            ),
            AppError::Findings {
                source: SavedError::Syntax { .. },
                ..
            } => Some("the file is not whole JSON; was the command's output cut short?"),
            AppError::Policy(PolicyError::Invalid { .. }) => {
                Some("see the policy file format in the README (section \"Policy file\")")
            }
            AppError::Ecr(error) => error.hint(),
            AppError::Push(error) => error.hint(),
            AppError::PushSourceMissing { .. }
            | AppError::PushSourceNotImage { .. }
            | AppError::PushSourceUnreadable { .. } => Some(
                "--push takes an OCI image layout directory, a tar of one (buildx --output \
                 type=oci,dest=image.tar) or a `docker save` archive; the GitHub Action sees only \
                 the workspace, so write it there",
            ),
            _ => None,
        }
    }
}

/// Exit code: verdict reached, pass (or `--report-only`).
pub const EXIT_PASS: u8 = 0;
/// Exit code: verdict reached, policy violated.
pub const EXIT_FAIL: u8 = 1;
/// Exit code: no verdict because of usage, configuration, AWS, registry or input error.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: no verdict because a scan did not reach a usable final state.
pub const EXIT_INCOMPLETE: u8 = 3;

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Evaluate(args) => evaluate(&args),
        Command::Scan(args) => scan::scan(&args),
        Command::Doctor(args) => doctor::doctor(&args),
    };
    ExitCode::from(code)
}

/// `evaluate`: gate saved scan results.
fn evaluate(args: &EvaluateArgs) -> u8 {
    let targets = match ReportTargets::new(&args.reports) {
        Ok(targets) => targets,
        Err(error) => return fail_early(&[error], &Policy::default(), &ReportTargets::none()),
    };
    let policy = match load_policy(&args.gate) {
        Ok(policy) => policy,
        Err(error) => return fail_early(&[error], &Policy::default(), &targets),
    };

    let mut scans: Vec<ImageScan> = Vec::new();
    let mut errors: Vec<AppError> = Vec::new();
    let mut incomplete: Vec<String> = Vec::new();
    for path in &args.findings {
        match read_saved(path) {
            Ok(saved) => {
                if let Err(reason) = saved.usable {
                    incomplete.push(format!("{}: {reason}", saved.scan.image.label()));
                }
                scans.push(saved.scan);
            }
            Err(error) => errors.push(error),
        }
    }
    judge(scans, incomplete, errors, &policy, &targets, &args.gate)
}

/// The common end of every gating command: merge what was read, decide the verdict (unless errors or
/// incomplete scans prevent one), write every report and return the exit code.
fn judge(
    scans: Vec<ImageScan>,
    incomplete: Vec<String>,
    errors: Vec<AppError>,
    policy: &Policy,
    targets: &ReportTargets,
    gate: &GateArgs,
) -> u8 {
    let set = merge(scans);
    if !errors.is_empty() {
        return finish_error(&errors, &set, policy, targets, gate.report_only);
    }
    let context = |judgement| Context {
        set: &set,
        policy,
        judgement,
        report_only: gate.report_only,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    if !incomplete.is_empty() {
        return finish(
            &context(Judgement::Incomplete(&incomplete)),
            targets,
            EXIT_INCOMPLETE,
        );
    }
    let today = gate.today.unwrap_or_else(today_utc);
    let verdict = policy::evaluate(&set, policy, today);
    let code = match verdict.outcome {
        Outcome::Pass => EXIT_PASS,
        Outcome::Fail if gate.report_only => EXIT_PASS,
        Outcome::Fail => EXIT_FAIL,
    };
    finish(&context(Judgement::Verdict(&verdict)), targets, code)
}

fn today_utc() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

fn read_saved(path: &Path) -> Result<saved::SavedScan, AppError> {
    let file = path.display().to_string();
    let bytes = fs::read(path).map_err(|source| AppError::ReadFindings {
        file: file.clone(),
        source,
    })?;
    saved::parse(&bytes).map_err(|source| AppError::Findings { file, source })
}

/// Reads the policy file (explicit, or the default one if present) and applies the CLI overrides.
fn load_policy(gate: &GateArgs) -> Result<Policy, AppError> {
    let (path, explicit) = match &gate.policy {
        Some(path) => (path.clone(), true),
        None => (PathBuf::from(DEFAULT_POLICY_FILE), false),
    };
    let file = path.display().to_string();
    let base = match fs::read(&path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| AppError::Usage(format!("policy file {file} is not UTF-8 text")))?;
            policy::parse(&file, &text)?
        }
        Err(error) if !explicit && error.kind() == io::ErrorKind::NotFound => Policy::default(),
        Err(source) => return Err(PolicyError::Read { file, source }.into()),
    };
    let overrides = Overrides {
        fail_on: gate.fail_on.map(|f| f.0),
        only_fixed: gate.only_fixed.then_some(true),
        min_score: gate.min_score,
        ignore_ids: gate.ignore.clone(),
    };
    Ok(base.with_overrides(&overrides))
}

/// Where each report goes.
struct ReportTargets {
    sarif: Option<Target>,
    markdown: Option<Target>,
    json: Option<Target>,
}

#[derive(Clone)]
enum Target {
    Stdout,
    File(PathBuf),
}

impl Target {
    fn name(&self) -> String {
        match self {
            Target::Stdout => "stdout".into(),
            Target::File(path) => path.display().to_string(),
        }
    }
}

impl ReportTargets {
    fn none() -> ReportTargets {
        ReportTargets {
            sarif: None,
            markdown: None,
            json: None,
        }
    }

    fn new(args: &ReportArgs) -> Result<ReportTargets, AppError> {
        let target = |path: &Option<PathBuf>| {
            path.as_ref().map(|p| {
                if p.as_os_str() == "-" {
                    Target::Stdout
                } else {
                    Target::File(p.clone())
                }
            })
        };
        let targets = ReportTargets {
            sarif: target(&args.sarif),
            markdown: target(&args.markdown),
            json: target(&args.json),
        };
        let to_stdout = [&targets.sarif, &targets.markdown, &targets.json]
            .iter()
            .filter(|t| matches!(t, Some(Target::Stdout)))
            .count();
        if to_stdout > 1 {
            return Err(AppError::Usage(
                "only one report can go to stdout (`-`); write the others to files".into(),
            ));
        }
        Ok(targets)
    }
}

fn fail_early(errors: &[AppError], policy: &Policy, targets: &ReportTargets) -> u8 {
    finish_error(errors, &ScanSet::default(), policy, targets, false)
}

fn finish_error(
    errors: &[AppError],
    set: &ScanSet,
    policy: &Policy,
    targets: &ReportTargets,
    report_only: bool,
) -> u8 {
    let message = errors
        .iter()
        .map(|e| error_chain(e))
        .collect::<Vec<_>>()
        .join("\n");
    let ctx = Context {
        set,
        policy,
        judgement: Judgement::Error(&message),
        report_only,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let code = finish(&ctx, targets, EXIT_ERROR);
    for error in errors {
        if let Some(hint) = error.hint() {
            eprintln!("hint: {hint}");
        }
    }
    code
}

/// Writes every requested report, then the stderr summary, and returns the exit code. A report that
/// cannot be written turns the run into an error (exit 2): a gate that promised a report must not pass
/// without it.
fn finish(ctx: &Context<'_>, targets: &ReportTargets, code: u8) -> u8 {
    let mut failures = Vec::new();
    let mut emit = |what: &'static str,
                    target: &Option<Target>,
                    render: &dyn Fn(&mut dyn Write) -> io::Result<()>| {
        let Some(target) = target else { return };
        if let Err(source) = write_target(target, render) {
            failures.push(AppError::WriteReport {
                what,
                file: target.name(),
                source,
            });
        }
    };
    emit("markdown", &targets.markdown, &|w| {
        w.write_all(report::markdown::render(ctx, report::markdown::Variant::Summary).as_bytes())
    });
    emit("JSON", &targets.json, &|w| report::json::write(ctx, w));
    if let Some(verdict) = ctx.verdict() {
        emit("SARIF", &targets.sarif, &|w| {
            report::sarif::write(ctx, verdict, w)
        });
    } else if let Some(target) = &targets.sarif {
        // NOTE: an empty SARIF upload would close every open alert of the category, so no SARIF is
        // written without a verdict.
        eprintln!(
            "note: no SARIF written to {}: there is no verdict to report",
            target.name()
        );
    }
    let stderr = io::stderr();
    let _ = report::text::write(ctx, stderr.lock());
    for failure in &failures {
        eprintln!("error: {}", error_chain(failure));
    }
    // In a GitHub Actions job: summary, outputs, annotations, pull-request comment, SARIF upload. It
    // comes after the verdict and the exit code are fixed, and its failures are only warnings.
    if let Some(github) = crate::github::Environment::from_vars(std::env::vars_os()) {
        let written = |what: &str, target: &Option<Target>| match target {
            Some(Target::File(path))
                if !failures.iter().any(
                    |f| matches!(f, AppError::WriteReport { what: failed, .. } if *failed == what),
                ) =>
            {
                Some(path.display().to_string())
            }
            _ => None,
        };
        let reports = crate::github::Reports {
            sarif: ctx.verdict().and(written("SARIF", &targets.sarif)),
            json: written("JSON", &targets.json),
            markdown: written("markdown", &targets.markdown),
            write_failed: !failures.is_empty(),
        };
        crate::github::publish(&github, ctx, &reports, &mut io::stderr().lock());
    }
    if failures.is_empty() {
        code
    } else {
        EXIT_ERROR
    }
}

fn write_target(
    target: &Target,
    render: &dyn Fn(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match target {
        Target::Stdout => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            render(&mut w)?;
            w.flush()
        }
        Target::File(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)?;
            }
            let mut w = BufWriter::new(fs::File::create(path)?);
            render(&mut w)?;
            w.flush()
        }
    }
}

/// AWS selection: flags first, then what the image URI says, then the standard chain.
fn aws_options(aws: &crate::cli::AwsArgs, reference: &crate::image_ref::ImageRef) -> AwsOptions {
    AwsOptions {
        region: aws.region.clone().or_else(|| reference.region.clone()),
        profile: aws.profile.clone(),
        registry_id: aws
            .registry_id
            .clone()
            .or_else(|| reference.registry_id.clone()),
    }
}
