//! The common end of every gating command (`evaluate`, `scan`): the policy, where each report goes,
//! the run's result decided once ([`conclude`]), then every report written and the run published to
//! GitHub ([`finish`]), whatever the result.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::baseline::{self, BaselineRead};
use super::error::AppError;
use crate::baseline::Delta;
use crate::cli::{BaselineMissing, GateArgs, ReportArgs};
use crate::findings::{ImageScan, ScanSet, merge};
use crate::github::{self, Environment};
use crate::policy::{self, Overrides, Policy, PolicyError, Scope};
use crate::report::{self, Context};
use crate::run::{Conclusion, Fatal, Incomplete, ReportKind, RunResult};

/// The policy file read when `--policy` is not given, if it exists.
pub const DEFAULT_POLICY_FILE: &str = "ecr-scan-gate.toml";

/// Decides how the run ended, once: errors stop it (exit 2); else an image without a usable scan
/// leaves it without a verdict (exit 3); else the policy decides, with how the findings compare with
/// the baseline (`delta`) when the run has one.
pub(super) fn conclude(
    set: &ScanSet,
    incomplete: Vec<Incomplete>,
    errors: Vec<AppError>,
    policy: &Policy,
    gate: &GateArgs,
    delta: Option<Delta>,
) -> RunResult {
    let conclusion = if !errors.is_empty() {
        Conclusion::Error(boxed(errors))
    } else if !incomplete.is_empty() {
        Conclusion::Incomplete(incomplete)
    } else {
        let today = gate.today.unwrap_or_else(today_utc);
        Conclusion::Verdict(policy::evaluate_against(set, policy, today, delta))
    };
    RunResult::new(conclusion, gate.report_only)
}

/// What a gating run read: the scans of the gated images, those without a usable result, the errors
/// that stop the run, and the baseline (`None` when the run has none).
#[derive(Default)]
pub(super) struct Read {
    pub(super) scans: Vec<ImageScan>,
    pub(super) incomplete: Vec<Incomplete>,
    pub(super) errors: Vec<AppError>,
    pub(super) baseline: Option<BaselineRead>,
}

/// Merges what was read, compares it with the baseline, concludes, writes every report and publishes
/// the run; returns the exit code.
pub(super) fn judge(
    read: Read,
    policy: &Policy,
    targets: &ReportTargets,
    gate: &GateArgs,
    github: Option<&Environment>,
) -> u8 {
    let Read {
        scans,
        incomplete,
        mut errors,
        baseline,
    } = read;
    let mut set = merge(scans);
    set.warnings.extend(policy.vex.warnings.iter().cloned());
    let delta = match baseline::delta(baseline, &set, gate.baseline_missing) {
        Ok(delta) => delta,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let result = conclude(&set, incomplete, errors, policy, gate, delta);
    finish(&set, policy, result, targets, github)
}

/// The baseline a run starts from before reading its sources: `None` without `--baseline` (unless
/// `--baseline-missing=all-new` asks for every finding to be judged new).
pub(super) fn baseline_wanted(gate: &GateArgs) -> Option<BaselineRead> {
    (!gate.baseline.is_empty() || gate.baseline_missing == BaselineMissing::AllNew)
        .then(BaselineRead::default)
}

/// What a gating command needs before it reads anything: where the reports go, what `check` returns
/// (the command's own checks of its arguments) and the policy. `Err(exit code)` when one of them
/// failed: the run has then ended, and its reports say why.
pub(super) fn prepare<T>(
    reports: &ReportArgs,
    gate: &GateArgs,
    github: Option<&Environment>,
    check: impl FnOnce() -> Result<T, AppError>,
) -> Result<(ReportTargets, T, Policy), u8> {
    let targets = ReportTargets::new(reports).map_err(|error| {
        fail_early(
            vec![error],
            &Policy::default(),
            &ReportTargets::none(),
            github,
        )
    })?;
    let early = |errors| fail_early(errors, &Policy::default(), &targets, github);
    let checked = check().map_err(|error| early(vec![error]))?;
    let policy = load_policy(gate).map_err(early)?;
    if policy.scope == Scope::New && baseline_wanted(gate).is_none() {
        return Err(early(vec![AppError::Usage(
            "scope = new judges only the findings that are new since a baseline, and no baseline was \
             given: pass --baseline SOURCE (or --baseline-missing=all-new on a first run, or \
             --scope all)"
                .into(),
        )]));
    }
    Ok((targets, checked, policy))
}

/// A run stopped before anything was read (bad arguments, policy, runtime): reports say why.
pub(super) fn fail_early(
    errors: Vec<AppError>,
    policy: &Policy,
    targets: &ReportTargets,
    github: Option<&Environment>,
) -> u8 {
    let result = RunResult::error(boxed(errors), false);
    finish(&ScanSet::default(), policy, result, targets, github)
}

fn boxed(errors: Vec<AppError>) -> Vec<Box<dyn Fatal>> {
    errors
        .into_iter()
        .map(|e| Box::new(e) as Box<dyn Fatal>)
        .collect()
}

fn today_utc() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// Reads the policy file (explicit, or the default one if present), applies the CLI overrides and reads
/// the VEX documents (the policy's and `--vex`); every VEX problem is reported.
pub(super) fn load_policy(gate: &GateArgs) -> Result<Policy, Vec<AppError>> {
    let (mut policy, file) = read_policy(gate).map_err(|error| vec![error])?;
    super::vex::load(&mut policy, &file, &gate.vex)?;
    Ok(policy)
}

/// Reads the policy file and applies the CLI overrides; returns the policy and its file's path.
fn read_policy(gate: &GateArgs) -> Result<(Policy, PathBuf), AppError> {
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
        only_exploitable: gate.only_exploitable.then_some(true),
        scope: gate.scope,
        ignore_ids: gate.ignore.clone(),
    };
    Ok((base.with_overrides(&overrides), path))
}

/// Where each report goes.
pub(super) struct ReportTargets {
    sarif: Option<Target>,
    markdown: Option<Target>,
    json: Option<Target>,
    junit: Option<Target>,
    gitlab: Option<Target>,
    /// When the run started (the GitLab report's `start_time`).
    started: jiff::Timestamp,
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
    pub(super) fn none() -> ReportTargets {
        ReportTargets {
            sarif: None,
            markdown: None,
            json: None,
            junit: None,
            gitlab: None,
            started: jiff::Timestamp::now(),
        }
    }

    pub(super) fn new(args: &ReportArgs) -> Result<ReportTargets, AppError> {
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
            junit: target(&args.junit),
            gitlab: target(&args.gitlab),
            started: jiff::Timestamp::now(),
        };
        let to_stdout = [
            &targets.sarif,
            &targets.markdown,
            &targets.json,
            &targets.junit,
            &targets.gitlab,
        ]
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

    fn target(&self, kind: ReportKind) -> Option<&Target> {
        match kind {
            ReportKind::Sarif => self.sarif.as_ref(),
            ReportKind::Json => self.json.as_ref(),
            ReportKind::Markdown => self.markdown.as_ref(),
            ReportKind::Junit => self.junit.as_ref(),
            ReportKind::Gitlab => self.gitlab.as_ref(),
        }
    }
}

/// Writes every requested report, then the stderr summary, then (in a GitHub Actions job) publishes
/// the run; returns the exit code. A report that cannot be written turns the run into an error (exit
/// 2): a gate that promised a report must not pass without it.
fn finish(
    set: &ScanSet,
    policy: &Policy,
    mut result: RunResult,
    targets: &ReportTargets,
    github: Option<&Environment>,
) -> u8 {
    let failures = write_reports(set, policy, &result, targets);
    let stderr = io::stderr();
    let ctx = context(set, policy, &result);
    let _ = report::text::write(&ctx, stderr.lock());
    for failure in &failures {
        super::error::print_error(failure);
    }
    result.unwritten = failures
        .iter()
        .filter_map(|f| match f {
            AppError::WriteReport { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    // In a GitHub Actions job: summary, outputs, annotations, pull-request comment, SARIF upload. It
    // comes after the result and the exit code are fixed, and its failures are only warnings.
    if let Some(github) = github {
        let written = |kind: ReportKind| match targets.target(kind) {
            Some(Target::File(path)) if !result.unwritten.contains(&kind) => Some(path.clone()),
            _ => None,
        };
        let reports = github::Reports {
            sarif: result.verdict().and(written(ReportKind::Sarif)),
            json: written(ReportKind::Json),
            markdown: written(ReportKind::Markdown),
        };
        let ctx = context(set, policy, &result);
        github::publish(github, &ctx, &reports, &mut io::stderr().lock());
    }
    result.exit_code()
}

fn context<'a>(set: &'a ScanSet, policy: &'a Policy, result: &'a RunResult) -> Context<'a> {
    Context {
        set,
        policy,
        result,
        tool_version: env!("CARGO_PKG_VERSION"),
    }
}

/// Writes the requested reports; returns those that could not be written.
fn write_reports(
    set: &ScanSet,
    policy: &Policy,
    result: &RunResult,
    targets: &ReportTargets,
) -> Vec<AppError> {
    let ctx = context(set, policy, result);
    let mut failures = Vec::new();
    let mut emit = |kind: ReportKind, render: &dyn Fn(&mut dyn Write) -> io::Result<()>| {
        let Some(target) = targets.target(kind) else {
            return;
        };
        if let Err(source) = write_target(target, render) {
            failures.push(AppError::WriteReport {
                kind,
                file: target.name(),
                source,
            });
        }
    };
    emit(ReportKind::Markdown, &|w| {
        w.write_all(report::markdown::render(&ctx, report::markdown::Variant::Summary).as_bytes())
    });
    emit(ReportKind::Json, &|w| report::json::write(&ctx, w));
    emit(ReportKind::Junit, &|w| report::junit::write(&ctx, w));
    emit(ReportKind::Gitlab, &|w| {
        report::gitlab::write(&ctx, targets.started, jiff::Timestamp::now(), w)
    });
    if let Some(verdict) = ctx.verdict() {
        emit(ReportKind::Sarif, &|w| {
            report::sarif::write(&ctx, verdict, w)
        });
    } else if let Some(target) = &targets.sarif {
        // NOTE: an empty SARIF upload would close every open alert of the category, so no SARIF is
        // written without a verdict.
        eprintln!(
            "note: no SARIF written to {}: there is no verdict to report",
            target.name()
        );
    }
    failures
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
            create_parent(path)?;
            let mut w = BufWriter::new(fs::File::create(path)?);
            render(&mut w)?;
            w.flush()
        }
    }
}

fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => fs::create_dir_all(parent),
        None => Ok(()),
    }
}
