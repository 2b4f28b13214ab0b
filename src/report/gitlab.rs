//! GitLab's container-scanning security report (format 15.2.4, the schema vendored in
//! `tests/fixtures/schemas/`), which GitLab shows in merge requests and the vulnerability report when a
//! job declares it as `artifacts:reports:container_scanning`.
//!
//! One vulnerability per finding and image it occurs in; findings the policy ignores and those
//! Amazon Inspector suppresses are left out (as GitLab's own analyzers leave out their allowlist). The
//! scan's `status` is `success` only when a verdict was reached — whether it passed or failed, the
//! findings were read completely — and `failure` otherwise, with the reason as a `fatal` message: an
//! incomplete run is never shown as a clean scan. Findings beyond [`MAX_VULNERABILITIES`] (the least
//! severe) are left out and a `warn` message says how many.
//!
//! Text: names and identifiers are one line, clipped; the description and solution (GitLab renders
//! them as Markdown) are escaped with [`escape::markdown_inline`]; links only through
//! [`escape::http_url`]. Streams with serde; reads the verdict, never decides anything. The clock is
//! the caller's: start and end times come in as arguments.

use std::io::{self, BufWriter, Write};

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Context;
use super::escape::{self, clip};
use crate::findings::{Finding, Image, Severity};
use crate::policy::FindingState;

/// The version of GitLab's report format written.
pub const FORMAT_VERSION: &str = "15.2.4";
/// Vulnerabilities written at most, the most severe first.
pub const MAX_VULNERABILITIES: usize = 25_000;
/// `name`: GitLab's limit.
const MAX_NAME_LEN: usize = 255;
/// Bound on the description (GitLab accepts 1 MiB; a finding's text rarely needs more than this).
const MAX_DESCRIPTION_LEN: usize = 4_000;
/// Bound on the solution (GitLab's limit is 7,000; escaping may lengthen the text).
const MAX_SOLUTION_LEN: usize = 1_000;
/// Bound on an identifier or package field.
const MAX_FIELD_LEN: usize = 500;
/// Bound on a message.
const MAX_MESSAGE_LEN: usize = 4_000;
/// Links per vulnerability.
const MAX_LINKS: usize = 10;

/// Writes the report of the run that started at `started` and ends at `ended`.
pub fn write(
    ctx: &Context<'_>,
    started: Timestamp,
    ended: Timestamp,
    w: impl Write,
) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer(&mut w, &report(ctx, started, ended))?;
    w.write_all(b"\n")?;
    w.flush()
}

#[derive(Serialize)]
struct Report<'a> {
    version: &'static str,
    schema: &'static str,
    scan: Scan<'a>,
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Scan<'a> {
    analyzer: Tool<'a>,
    scanner: Tool<'a>,
    #[serde(rename = "type")]
    scan_type: &'static str,
    start_time: String,
    end_time: String,
    status: &'static str,
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Tool<'a> {
    id: &'static str,
    name: &'static str,
    version: &'a str,
    vendor: Vendor,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'static str>,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Message {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability {
    id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    solution: Option<String>,
    identifiers: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    location: Location,
}

#[derive(Serialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Link {
    url: String,
}

#[derive(Serialize)]
struct Location {
    dependency: Dependency,
    operating_system: String,
    image: String,
}

#[derive(Serialize)]
struct Dependency {
    package: Package,
    version: String,
}

#[derive(Serialize)]
struct Package {
    name: String,
}

fn report<'a>(ctx: &'a Context<'a>, started: Timestamp, ended: Timestamp) -> Report<'a> {
    let mut messages = Vec::new();
    let status = if ctx.verdict().is_some() {
        "success"
    } else {
        "failure"
    };
    for incomplete in ctx.result.incomplete() {
        messages.push(message("fatal", &incomplete.to_string()));
    }
    for error in ctx.result.errors() {
        messages.push(message("fatal", &crate::error_chain(error.as_ref())));
    }
    for warning in &ctx.set.warnings {
        messages.push(message("warn", warning));
    }
    if let Some(verdict) = ctx.verdict() {
        for ignore in verdict
            .expired_ignores
            .iter()
            .filter_map(|&i| ctx.policy.ignores.get(i))
        {
            let expires = ignore.expires.map(|d| d.to_string()).unwrap_or_default();
            messages.push(message(
                "warn",
                &format!(
                    "the ignore of {} expired on {expires}: it no longer applies",
                    ignore.id
                ),
            ));
        }
    }
    let mut vulnerabilities = Vec::new();
    let mut left_out = 0usize;
    for (index, finding) in ctx.set.findings.iter().enumerate() {
        let state = ctx.verdict().and_then(|v| v.states.get(index));
        if matches!(
            state,
            Some(
                FindingState::Ignored(_)
                    | FindingState::SuppressedByScanner
                    | FindingState::SuppressedByVex(_)
            )
        ) {
            continue;
        }
        for image in finding.images.iter().filter_map(|&i| ctx.set.images.get(i)) {
            if vulnerabilities.len() < MAX_VULNERABILITIES {
                vulnerabilities.push(vulnerability(finding, image));
            } else {
                left_out += 1;
            }
        }
    }
    if left_out > 0 {
        messages.push(message(
            "warn",
            &format!(
                "{left_out} less severe vulnerabilities are left out (at most \
                 {MAX_VULNERABILITIES} in a report); the JSON report lists every finding"
            ),
        ));
    }
    let tool = |id, name, version| Tool {
        id,
        name,
        version,
        vendor: Vendor {
            name: "ecr-scan-gate",
        },
        url: None,
    };
    Report {
        version: FORMAT_VERSION,
        schema: "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.4/dist/container-scanning-report-format.json",
        scan: Scan {
            analyzer: tool("ecr-scan-gate", "ecr-scan-gate", ctx.tool_version),
            scanner: Tool {
                vendor: Vendor {
                    name: "Amazon Web Services",
                },
                url: Some(
                    "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html",
                ),
                ..tool("amazon-ecr", scanner_name(ctx), "unknown")
            },
            scan_type: "container_scanning",
            start_time: gitlab_time(started),
            end_time: gitlab_time(ended),
            status,
            messages,
        },
        vulnerabilities,
    }
}

/// The scanner of the run's images: basic, enhanced (Amazon Inspector), or both.
fn scanner_name(ctx: &Context<'_>) -> &'static str {
    use crate::findings::ScanType;
    let has = |t| ctx.set.images.iter().any(|i| i.scan.scan_type == t);
    match (has(ScanType::Basic), has(ScanType::Enhanced)) {
        (false, true) => "Amazon ECR enhanced scanning (Amazon Inspector)",
        (true, true) => "Amazon ECR basic and enhanced scanning",
        _ => "Amazon ECR basic scanning",
    }
}

/// `yyyy-mm-ddThh:mm:ss` in UTC, as the format wants it.
fn gitlab_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

fn message(level: &'static str, text: &str) -> Message {
    let value = clip(text, MAX_MESSAGE_LEN);
    Message {
        level,
        value: if value.is_empty() {
            "(no text)".to_string()
        } else {
            value.into_owned()
        },
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Informational => "Info",
        Severity::Unknown => "Unknown",
    }
}

/// One line, clipped, never empty (GitLab requires text in these fields).
fn field(text: &str, max: usize, fallback: &str) -> String {
    let text = clip(text, max);
    if text.is_empty() {
        fallback.to_string()
    } else {
        text.into_owned()
    }
}

/// How the image is named in GitLab: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG` (or
/// `@DIGEST` untagged), the registry left out when unknown.
fn image_name(image: &Image) -> String {
    let mut name = String::new();
    if let (Some(account), Some(region)) = (&image.registry_id, &image.region) {
        name.push_str(&format!("{account}.dkr.ecr.{region}.amazonaws.com/"));
    }
    name.push_str(&image.repository);
    match (image.tags.first(), &image.digest) {
        (Some(tag), _) => name.push_str(&format!(":{tag}")),
        (None, Some(digest)) => name.push_str(&format!("@{digest}")),
        (None, None) => {}
    }
    name
}

/// A stable id: the same finding in the same image gets the same id in every run (no version of the
/// tool, tag or digest in it), shaped as a UUID as GitLab recommends.
fn stable_id(finding: &Finding, image: &Image) -> String {
    let mut hash = Sha256::new();
    for part in [
        finding.id.as_str(),
        finding.package.name.as_deref().unwrap_or_default(),
        finding.package.version.as_deref().unwrap_or_default(),
        finding.package.path.as_deref().unwrap_or_default(),
        &image.key(),
    ] {
        hash.update(part.len().to_le_bytes());
        hash.update(part.as_bytes());
    }
    let hex: String = hash
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `cve` for `CVE-…`, `ghsa` for `GHSA-…`, the lowercase prefix of other ids (`alas`, `rhsa`), else
/// `vulnerability`.
fn identifier_type(id: &str) -> String {
    match id.split_once('-') {
        Some((prefix, _))
            if !prefix.is_empty()
                && prefix.len() <= 16
                && prefix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            prefix.to_ascii_lowercase()
        }
        _ => "vulnerability".to_string(),
    }
}

fn vulnerability(finding: &Finding, image: &Image) -> Vulnerability {
    let id = field(&finding.id, MAX_FIELD_LEN, "unknown");
    let package = field(
        finding.package.name.as_deref().unwrap_or_default(),
        MAX_FIELD_LEN,
        "unknown",
    );
    let version = clip(
        finding.package.version.as_deref().unwrap_or_default(),
        MAX_FIELD_LEN,
    )
    .into_owned();
    let name = match &finding.title {
        Some(title) if !clip(title, MAX_NAME_LEN).is_empty() => {
            clip(title, MAX_NAME_LEN).into_owned()
        }
        _ => clip(&format!("{id} in {package}"), MAX_NAME_LEN).into_owned(),
    };
    let links: Vec<Link> = finding
        .urls
        .iter()
        .filter_map(|u| escape::http_url(u))
        // GitLab's pattern is case-sensitive: `^(https?|ftp)://`.
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .take(MAX_LINKS)
        .map(|url| Link {
            url: url.to_string(),
        })
        .collect();
    let description = finding
        .description
        .as_deref()
        .map(|d| escape::markdown_inline(&clip(d, MAX_DESCRIPTION_LEN)))
        .filter(|d| !d.is_empty());
    let solution = finding.package.fixed_in.as_deref().map(|fixed| {
        escape::markdown_inline(&clip(
            &format!("Upgrade {package} to {fixed}"),
            MAX_SOLUTION_LEN,
        ))
    });
    let operating_system = image
        .platform
        .as_deref()
        .and_then(|p| p.split('/').next())
        .map(|os| field(os, MAX_FIELD_LEN, "unknown"))
        .unwrap_or_else(|| "unknown".to_string());
    Vulnerability {
        id: stable_id(finding, image),
        name,
        description,
        severity: severity(finding.severity),
        solution,
        identifiers: vec![Identifier {
            kind: identifier_type(&id),
            name: id.clone(),
            value: id,
            url: links.first().map(|l| l.url.clone()),
        }],
        links,
        location: Location {
            dependency: Dependency {
                package: Package { name: package },
                version,
            },
            operating_system,
            image: field(&image_name(image), 2 * MAX_FIELD_LEN, "unknown"),
        },
    }
}

#[cfg(test)]
#[path = "gitlab_tests.rs"]
mod tests;
