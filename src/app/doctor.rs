//! `doctor IMAGE|REPOSITORY`: explains the registry's scanning setup for a repository, what `scan` would
//! do, and the IAM actions the gate needs, checking the ones it can call without side effects.

use std::fmt::Write as _;

use super::error::AppError;
use super::scan::aws_options;
use crate::cli::DoctorArgs;
use crate::digest::Digest;
use crate::ecr::client::{Check, Ecr, EcrError, INSPECTOR_LIST_FINDINGS};
use crate::findings::ScanType;
use crate::image_ref::ImageRef;
use crate::report::escape::plain_line;
use crate::run::{EXIT_ERROR, EXIT_PASS};
use crate::scan::plan::{self, Coverage, Plan, RegistryConfig};

/// Every IAM action the gate may call, and why.
pub const IAM_ACTIONS: &[(&str, &str)] = &[
    (
        "ecr:BatchGetImage",
        "resolve the tag to a digest and an image index to its platforms",
    ),
    (
        "ecr:DescribeImageScanFindings",
        "wait for the scan and read its findings",
    ),
    (
        "ecr:StartImageScan",
        "start a basic scan when no scan-on-push rule covers the repository",
    ),
    (
        "ecr:GetRegistryScanningConfiguration",
        "optional: plan from the registry configuration instead of inferring",
    ),
    (
        INSPECTOR_LIST_FINDINGS,
        "enhanced scanning only: ECR reads the findings from Amazon Inspector as the caller",
    ),
    (
        "ecr:GetAuthorizationToken",
        "--push only: log in to the registry",
    ),
    (
        "ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, \
         ecr:CompleteLayerUpload, ecr:PutImage",
        "--push only: upload the image",
    ),
];

pub(super) fn doctor(args: &DoctorArgs) -> u8 {
    let reference = match ImageRef::parse(&args.target) {
        Ok(reference) => reference,
        Err(error) => return report_error(&error.into()),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return report_error(&AppError::Runtime(error)),
    };
    match runtime.block_on(run(args, &reference)) {
        Ok((text, healthy)) => {
            #[expect(clippy::print_stdout, reason = "doctor's explanation is its output")]
            {
                print!("{text}");
            }
            if healthy { EXIT_PASS } else { EXIT_ERROR }
        }
        Err(error) => report_error(&error),
    }
}

fn report_error(error: &AppError) -> u8 {
    super::error::print_error(error);
    EXIT_ERROR
}

async fn run(args: &DoctorArgs, reference: &ImageRef) -> Result<(String, bool), AppError> {
    let ecr = Ecr::connect(&aws_options(&args.aws, reference)).await?;
    let mut out = String::new();
    let _ = writeln!(out, "repository:   {}", reference.repository);
    let _ = writeln!(out, "region:       {}", ecr.region());
    let _ = writeln!(
        out,
        "registry:     {}",
        ecr.registry_id().unwrap_or("the caller's account")
    );
    let config = ecr.registry_config().await;
    let coverage = write_scanning_setup(&mut out, &config, &reference.repository);
    let plan = plan::plan(coverage.as_ref(), args.scan_mode);
    let _ = writeln!(out, "scan would:   {}", describe_plan(&plan));

    let _ = writeln!(out, "\nIAM actions the gate needs:");
    for (action, why) in IAM_ACTIONS {
        let _ = writeln!(out, "  {action}: {why}");
    }
    let _ = writeln!(out, "\nchecked now (calls without side effects):");
    let checks = ecr
        .check_permissions(
            &reference.repository,
            reference.tag.as_deref(),
            reference.digest.as_ref().map(Digest::as_str),
        )
        .await;
    let healthy = write_checks(&mut out, &checks);
    let enhanced = matches!(&config, Ok(Some(c)) if c.scan_type == ScanType::Enhanced);
    if enhanced
        && !checks
            .iter()
            .any(|(action, _)| *action == INSPECTOR_LIST_FINDINGS)
    {
        let _ = writeln!(
            out,
            "  (inspector2:ListFindings is not checked: there is no enhanced scan of this image to \
             read; enhanced scanning needs it)"
        );
    }
    let _ = writeln!(
        out,
        "  (ecr:StartImageScan is not checked: calling it would start a scan)"
    );
    Ok((out, healthy))
}

/// Writes the registry's scanning configuration and what it means for `repository`; its coverage,
/// when the configuration could be read.
fn write_scanning_setup(
    out: &mut String,
    config: &Result<Option<RegistryConfig>, EcrError>,
    repository: &str,
) -> Option<Coverage> {
    match config {
        Ok(Some(config)) => {
            let _ = writeln!(
                out,
                "scan type:    {}",
                config.scan_type.as_str().to_uppercase()
            );
            write_rules(out, config);
            let coverage = plan::coverage(config, repository);
            let _ = writeln!(out, "{}", plain_line(&format!("coverage:     {coverage}")));
            let _ = writeln!(out, "meaning:      {}", coverage_meaning(&coverage));
            Some(coverage)
        }
        Ok(None) => {
            let _ = writeln!(
                out,
                "scan type:    unknown: the caller may not call ecr:GetRegistryScanningConfiguration; \
                 `scan` infers the setup from ECR's answers"
            );
            None
        }
        Err(error) => {
            let _ = writeln!(
                out,
                "scan type:    unknown: {}",
                plain_line(&error.to_string())
            );
            None
        }
    }
}

/// Writes the registry's scanning rules, one a line.
fn write_rules(out: &mut String, config: &RegistryConfig) {
    if config.rules.is_empty() {
        let _ = writeln!(out, "rules:        none");
    }
    // The filters are ECR's text, printed to stdout where the runner reads workflow commands.
    for rule in &config.rules {
        let filters = rule
            .filters
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let line = format!(
            "rule:         {} for filters {filters}",
            rule.frequency.as_str()
        );
        let _ = writeln!(out, "{}", plain_line(&line));
    }
}

/// What a repository's coverage means for its images.
fn coverage_meaning(coverage: &Coverage) -> &'static str {
    match (coverage.not_scanned, coverage.frequency) {
        (true, _) => "Amazon Inspector never scans images of this repository",
        (false, plan::Frequency::ScanOnPush) => "ECR scans each image when it is pushed",
        (false, plan::Frequency::Continuous) => {
            "Amazon Inspector scans each image on push and again when new vulnerabilities appear"
        }
        (false, plan::Frequency::Manual) => {
            "nothing scans images automatically; `scan` starts a basic scan (once per image per 24 h)"
        }
    }
}

/// What `scan` would do under `plan`.
fn describe_plan(plan: &Plan) -> String {
    match plan {
        Plan::StartBasicScan => "start a basic scan (StartImageScan), then wait for it".to_string(),
        Plan::Wait {
            grace_for_missing_scan: true,
        } => "wait for the scan ECR runs by itself (tolerating a short delay before it appears)"
            .to_string(),
        Plan::Wait {
            grace_for_missing_scan: false,
        } => "read an existing scan only".to_string(),
        Plan::Probe => {
            "read the scan; if there is none, start a basic scan (and wait if ECR refuses)"
                .to_string()
        }
        Plan::NotScanned { why } => format!("report no verdict (exit 3): {why}"),
    }
}

/// Writes one line per permission check; whether every action the gate cannot do without was
/// allowed (a denied optional one, or one only `--push` needs, leaves the setup healthy).
fn write_checks(out: &mut String, checks: &[(&str, Check)]) -> bool {
    let mut healthy = true;
    for (action, result) in checks {
        let line = match result {
            Check::Allowed(detail) => format!("  ok      {action}: {detail}"),
            Check::Denied(detail) => {
                if *action != "ecr:GetRegistryScanningConfiguration"
                    && *action != "ecr:GetAuthorizationToken"
                {
                    healthy = false;
                }
                format!("  DENIED  {action}: {detail}")
            }
            Check::Failed(detail) => {
                healthy = false;
                format!("  FAILED  {action}: {detail}")
            }
        };
        let _ = writeln!(out, "{}", plain_line(&line));
    }
    healthy
}
