//! Converting ECR's wire shapes ([`super::wire`]) into the core's types, for saved output and live
//! answers alike: [`scan_result`] refuses what is not a whole scan result and says why a result cannot
//! be gated on (still running, findings missing); [`image_scan`] maps the fields into an [`ImageScan`].
//! A new wire field is mapped here. Must not read files, call AWS, or decide pass or fail.

use std::collections::BTreeMap;

use super::wire::{
    Number, RawBasicFinding, RawEnhancedFinding, RawImageScanFindings,
    RawPackageVulnerabilityDetails, RawRemediation, RawResource, RawResponse, RawScoreDetails,
    RawVulnerablePackage, Text, Timestamp,
};
use crate::findings::{
    Finding, Image, ImageScan, Package, ScanInfo, ScanStatus, ScanType, Severity, StatusClass,
};

/// Why a file (or ECR's live answer) could not be read as a scan result (no verdict, exit 2): JSON that
/// does not parse (from `saved`), or a refusal from `scan_result`.
#[derive(Debug, thiserror::Error)]
pub enum SavedError {
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unexpected shape at `{path}` (line {line}, column {column}): {message}")]
    Shape {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not a describe-image-scan-findings result: {what}")]
    NotAScanResult { what: String },
    #[error(
        "only part of the findings: the file has a `{key}` ({listed} findings listed{declared}); save the \
         output of `aws ecr describe-image-scan-findings` without --max-items or --no-paginate so the CLI \
         joins every page"
    )]
    PartialPage {
        /// `nextToken` (the API's) or `NextToken` (the AWS CLI's, after `--max-items`).
        key: &'static str,
        listed: usize,
        declared: String,
    },
    #[error(
        "status {status} is enhanced scanning but the file has no `enhancedFindings`: it was probably saved \
         by an AWS CLI or SDK too old to know them (AWS CLI before 2.4.3); save it again with a current CLI"
    )]
    EnhancedFindingsMissing { status: String },
}

/// A scan result that was read completely: a saved file, or every page of a live answer.
#[derive(Debug)]
pub struct SavedScan {
    pub scan: ImageScan,
    /// `Err(reason)` when the scan did not reach a usable final state (no verdict, exit 3).
    pub usable: Result<(), String>,
}

/// The whole scan result in `raw`, and whether it can be gated on; what is not a whole scan result is
/// refused. `settled`: the caller watched the result settle (live scanning), so an empty result is
/// clean rather than "not filled in yet".
pub(super) fn scan_result(raw: RawResponse, settled: bool) -> Result<SavedScan, SavedError> {
    if raw.image_scan_status.is_none() && raw.image_scan_findings.is_none() {
        return Err(SavedError::NotAScanResult {
            what: describe_other(&raw),
        });
    }
    let status_text = raw
        .image_scan_status
        .as_ref()
        .and_then(|s| s.status.clone());
    let Some(status_text) = status_text else {
        return Err(SavedError::NotAScanResult {
            what: "it has no `imageScanStatus.status`, so it cannot tell whether the scan finished"
                .into(),
        });
    };
    let status = ScanStatus::parse(&status_text);
    let findings = raw.image_scan_findings.as_ref();
    let listed = findings.map_or(0, |f| {
        f.findings.as_ref().map_or(0, Vec::len) + f.enhanced_findings.as_ref().map_or(0, Vec::len)
    });
    refuse_partial(&raw, listed)?;
    let class = status.class();
    if class == StatusClass::Final
        && status == ScanStatus::Active
        && findings.is_some_and(|f| f.enhanced_findings.is_none())
    {
        return Err(SavedError::EnhancedFindingsMissing {
            status: status_text,
        });
    }
    let unreadable_counts = unreadable_counts(findings);
    let scan = image_scan(raw, &status_text);
    let usable = match class {
        StatusClass::Final => {
            finished_usable(&scan, &status_text, &unreadable_counts, listed, settled)
        }
        StatusClass::Running | StatusClass::Unusable => {
            let mut reason = format!("status {status_text}: {}", status.explain());
            if let Some(description) = &scan.image.scan.description {
                reason.push_str(&format!(" (ECR says: {description})"));
            }
            Err(reason)
        }
    };
    Ok(SavedScan { scan, usable })
}

/// Refuses a result with a resume token: it lists only part of the findings (`listed` of them).
fn refuse_partial(raw: &RawResponse, listed: usize) -> Result<(), SavedError> {
    // NOTE: `aws ecr describe-image-scan-findings --max-items N` prints its resume token as `NextToken`
    // (botocore's paginator), the API as `nextToken`; either one means the list is partial.
    let resume_token = [&raw.next_token, &raw.cli_next_token]
        .into_iter()
        .flatten()
        .find(|t| !t.trim().is_empty());
    let Some(token) = resume_token else {
        return Ok(());
    };
    let key = if raw.next_token.as_ref() == Some(token) {
        "nextToken"
    } else {
        "NextToken"
    };
    let declared = raw
        .image_scan_findings
        .as_ref()
        .and_then(|f| f.finding_severity_counts.as_ref())
        .map(|c| {
            let total: u64 = c.values().filter_map(|v| v.0).sum();
            format!(" of {total} counted")
        })
        .unwrap_or_default();
    Err(SavedError::PartialPage {
        key,
        listed,
        declared,
    })
}

/// The severities whose count is not a whole number: such a count cannot show whether findings are
/// missing.
fn unreadable_counts(findings: Option<&RawImageScanFindings>) -> Vec<String> {
    findings
        .and_then(|f| f.finding_severity_counts.as_ref())
        .map(|counts| {
            counts
                .iter()
                .filter(|(_, count)| count.0.is_none())
                .map(|(severity, _)| severity.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a finished scan can be gated on: every count readable, no finding missing, and not an
/// empty result that may not have been filled in yet.
fn finished_usable(
    scan: &ImageScan,
    status_text: &str,
    unreadable_counts: &[String],
    listed: usize,
    settled: bool,
) -> Result<(), String> {
    if !unreadable_counts.is_empty() {
        return Err(format!(
            "findingSeverityCounts for {} is not a whole number of findings, so the gate cannot tell \
             whether findings are missing",
            unreadable_counts.join(", ")
        ));
    }
    let missing = scan.count_check().missing;
    if !missing.is_empty() {
        let gaps: Vec<String> = missing.iter().map(ToString::to_string).collect();
        return Err(format!(
            "findingSeverityCounts declare more findings than the result lists ({}): findings are \
             missing (a page that never came, an AWS CLI or SDK too old to list enhancedFindings, or \
             a trimmed file), so no verdict can be reached; read the complete result again",
            gaps.join("; ")
        ));
    }
    if !settled
        && listed == 0
        && scan.declared_counts.as_ref().is_none_or(|c| c.is_empty())
        && scan.image.scan.completed_at.is_none()
    {
        // NOTE: under enhanced scan-on-push, COMPLETE can come before the findings are filled in
        // (https://github.com/aws/aws-sdk/issues/289). A finished basic scan always carries
        // imageScanCompletedAt, so an empty result without one is not a clean bill of health.
        return Err(format!(
            "status {status_text} but no findings, no severity counts and no completion time: the \
             findings were not filled in yet (enhanced scanning reports COMPLETE early); read them \
             again in a minute"
        ));
    }
    Ok(())
}

fn describe_other(raw: &RawResponse) -> String {
    if let Some(detail_type) = &raw.detail_type {
        return format!(
            "it is an EventBridge event (\"{detail_type}\"), which carries at most severity counts; save \
             `aws ecr describe-image-scan-findings` output for the image instead"
        );
    }
    if raw.package_vulnerability_details.is_some() || raw.finding_arn.is_some() {
        return "it is a single enhanced finding, not a whole describe-image-scan-findings result"
            .into();
    }
    if raw.image_details.is_some() {
        return "it is describe-images output; use describe-image-scan-findings".into();
    }
    "it has neither `imageScanStatus` nor `imageScanFindings`".into()
}

/// Inspector's spelling of "no fixed version".
const NOT_AVAILABLE: &str = "NotAvailable";

/// Maps a scan result into the core's [`ImageScan`], warning about what had to be left out.
pub(super) fn image_scan(raw: RawResponse, status: &str) -> ImageScan {
    let mut warnings = Vec::new();
    let findings_block = raw.image_scan_findings;
    let (basic, enhanced, counts, completed, updated) = match findings_block {
        Some(block) => (
            block.findings.unwrap_or_default(),
            block.enhanced_findings,
            block.finding_severity_counts,
            block.image_scan_completed_at,
            block.vulnerability_source_updated_at,
        ),
        None => (Vec::new(), None, None, None, None),
    };
    let scan_type = scan_type(&basic, enhanced.as_deref(), status);

    let repository = text(raw.repository_name).unwrap_or_else(|| {
        warnings.push("the result names no repository (`repositoryName`)".into());
        "(unknown repository)".into()
    });
    let (digest, tags) = match raw.image_id {
        Some(id) => (
            text(id.image_digest),
            text(id.image_tag).into_iter().collect(),
        ),
        None => (None, Vec::new()),
    };

    let listed = list_findings(basic, enhanced.unwrap_or_default(), tags);
    if listed.closed > 0 {
        warnings.push(format!(
            "{} enhanced finding(s) with status CLOSED (already remediated) were left out",
            listed.closed
        ));
    }

    let declared_counts = counts.map(|counts| {
        counts
            .into_iter()
            .filter_map(|(k, v)| v.0.map(|v| (k, v)))
            .collect()
    });
    let scan = ScanInfo {
        scan_type,
        status: status.to_string(),
        completed_at: completed.and_then(|t| timestamp(t, "imageScanCompletedAt", &mut warnings)),
        source_updated_at: updated
            .and_then(|t| timestamp(t, "vulnerabilitySourceUpdatedAt", &mut warnings)),
        description: raw
            .image_scan_status
            .and_then(|s| s.description)
            .filter(|d| !d.trim().is_empty()),
    };

    ImageScan {
        image: Image {
            repository,
            registry_id: text(raw.registry_id),
            region: listed.region,
            digest,
            index_digest: None,
            tags: listed.tags,
            tags_from_event: false,
            platform: listed.platform,
            scan,
        },
        findings: listed.findings,
        declared_counts,
        listed_counts: listed.counts,
        warnings,
    }
}

/// Basic or enhanced scanning, from the shape of the result.
fn scan_type(
    basic: &[RawBasicFinding],
    enhanced: Option<&[RawEnhancedFinding]>,
    status: &str,
) -> ScanType {
    // NOTE: an enhanced response carries `enhancedFindings` (possibly also an empty `findings`); the
    // status ACTIVE/PENDING only ever occurs under enhanced scanning.
    if enhanced.is_some_and(|e| !e.is_empty())
        || (basic.is_empty() && enhanced.is_some())
        || matches!(status, "ACTIVE" | "PENDING")
    {
        ScanType::Enhanced
    } else {
        ScanType::Basic
    }
}

/// The findings of a result, and what the enhanced findings' resources say about the image.
struct Listed {
    findings: Vec<Finding>,
    /// Scanner records per vendor severity (upper case).
    counts: BTreeMap<String, u64>,
    /// The image's own tag, then every other tag the resources name.
    tags: Vec<String>,
    region: Option<String>,
    platform: Option<String>,
    /// Enhanced findings left out because their status is CLOSED (already remediated).
    closed: usize,
}

/// Converts every finding record (a CLOSED enhanced finding is counted, then left out) after the
/// image's own `tags`.
fn list_findings(
    basic: Vec<RawBasicFinding>,
    enhanced: Vec<RawEnhancedFinding>,
    tags: Vec<String>,
) -> Listed {
    let mut listed = Listed {
        findings: Vec::new(),
        counts: BTreeMap::new(),
        tags,
        region: None,
        platform: None,
        closed: 0,
    };
    for record in basic {
        let vendor = listed.count(record.severity.as_deref());
        listed.findings.push(basic_finding(record, vendor));
    }
    for record in enhanced {
        let vendor = listed.count(record.severity.as_deref());
        listed.learn_image(record.resources.as_deref().unwrap_or_default());
        if record
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("CLOSED"))
        {
            listed.closed += 1;
            continue;
        }
        enhanced_findings(record, vendor, &mut listed.findings);
    }
    listed
}

impl Listed {
    /// Counts one scanner record under its vendor severity, which it returns.
    fn count(&mut self, severity: Option<&str>) -> String {
        let vendor = vendor_severity(severity);
        *self.counts.entry(vendor.to_ascii_uppercase()).or_insert(0) += 1;
        vendor
    }

    /// What an enhanced finding's resources name: the first region and platform found win, every tag
    /// is kept once.
    fn learn_image(&mut self, resources: &[RawResource]) {
        for resource in resources {
            if self.region.is_none() {
                self.region = resource.id.as_deref().and_then(region_of_arn);
            }
            let Some(image) = resource
                .details
                .as_ref()
                .and_then(|d| d.aws_ecr_container_image.as_ref())
            else {
                continue;
            };
            if self.platform.is_none() {
                self.platform = image
                    .architecture
                    .as_deref()
                    .filter(|a| !a.is_empty())
                    .map(|arch| format!("linux/{arch}"));
            }
            for tag in image.image_tags.iter().flatten().flatten() {
                if !self.tags.contains(&tag.0) {
                    self.tags.push(tag.0.clone());
                }
            }
        }
    }
}

fn text(value: Option<Text>) -> Option<String> {
    value
        .map(|t| t.0.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn vendor_severity(raw: Option<&str>) -> String {
    match raw.map(str::trim) {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "UNDEFINED".to_string(),
    }
}

/// The gating severity: the vendor's when it names a level, else the score's band, else unknown.
fn gating_severity(vendor: &str, score: Option<f64>) -> Severity {
    Severity::from_vendor(vendor)
        .or_else(|| score.map(Severity::from_score))
        .unwrap_or(Severity::Unknown)
}

fn basic_finding(record: RawBasicFinding, vendor: String) -> Finding {
    let mut attributes: BTreeMap<String, String> = BTreeMap::new();
    for attribute in record.attributes.into_iter().flatten() {
        if let (Some(key), Some(value)) = (attribute.key, attribute.value) {
            attributes.insert(key.trim().to_string(), value.0.trim().to_string());
        }
    }
    let parse_score = |key: &str| {
        attributes
            .get(key)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
    };
    let (score, vector) = match parse_score("CVSS3_SCORE") {
        Some(score) => (Some(score), attributes.get("CVSS3_VECTOR").cloned()),
        None => (
            parse_score("CVSS2_SCORE"),
            attributes.get("CVSS2_VECTOR").cloned(),
        ),
    };
    let id = text(record.name).unwrap_or_else(|| "(unnamed finding)".into());
    let urls = record
        .uri
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .into_iter()
        .collect();
    Finding {
        severity: gating_severity(&vendor, score),
        vendor_severity: vendor,
        score,
        vector: vector.filter(|v| !v.is_empty()),
        title: None,
        description: record.description.filter(|d| !d.trim().is_empty()),
        package: Package {
            name: attributes.remove("package_name").filter(|v| !v.is_empty()),
            version: attributes
                .remove("package_version")
                .filter(|v| !v.is_empty()),
            ..Package::default()
        },
        fix_available: None,
        exploit_available: None,
        urls,
        suppressed_by_scanner: false,
        images: Vec::new(),
        id,
    }
}

/// One finding per vulnerable package of an enhanced finding (one without packages when it names
/// none).
fn enhanced_findings(record: RawEnhancedFinding, vendor: String, out: &mut Vec<Finding>) {
    let details = record.package_vulnerability_details;
    let (score, vector) = enhanced_score(
        record.score,
        record.score_details.as_ref(),
        details.as_ref(),
    );
    let id = enhanced_id(
        details.as_ref(),
        record.title.as_deref(),
        record.finding_arn.as_deref(),
    );
    let urls = enhanced_urls(details.as_ref(), record.remediation.as_ref());
    let fix_flag = record
        .fix_available
        .as_deref()
        .map(|f| f.trim().to_ascii_uppercase());
    let exploit_available = match record.exploit_available.as_deref().map(str::trim) {
        Some(e) if e.eq_ignore_ascii_case("YES") => Some(true),
        Some(e) if e.eq_ignore_ascii_case("NO") => Some(false),
        _ => None,
    };
    let suppressed = record
        .status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("SUPPRESSED"));
    let template = Finding {
        severity: gating_severity(&vendor, score),
        vendor_severity: vendor,
        score,
        vector: vector.filter(|v| !v.is_empty()),
        title: record.title.filter(|t| !t.trim().is_empty()),
        description: record
            .description
            .filter(|d| !d.trim().is_empty() && d.trim() != "None Provided"),
        package: Package::default(),
        fix_available: None,
        exploit_available,
        urls,
        suppressed_by_scanner: suppressed,
        images: Vec::new(),
        id,
    };
    let packages = details
        .and_then(|d| d.vulnerable_packages)
        .unwrap_or_default();
    if packages.is_empty() {
        let mut finding = template;
        finding.fix_available = fix_from_flag(fix_flag.as_deref(), false);
        out.push(finding);
        return;
    }
    for package in packages {
        let mut finding = template.clone();
        let (package, has_fixed_version, said_not_available) = convert_package(package);
        finding.fix_available = if has_fixed_version {
            Some(true)
        } else {
            fix_from_flag(fix_flag.as_deref(), said_not_available)
        };
        finding.package = package;
        out.push(finding);
    }
}

/// An enhanced finding's score (0 to 10, else none) and vector: from `scoreDetails`, else the bare
/// `score`, else the CVSS entry of the highest version that gives one.
fn enhanced_score(
    score: Option<Number>,
    score_details: Option<&RawScoreDetails>,
    details: Option<&RawPackageVulnerabilityDetails>,
) -> (Option<f64>, Option<String>) {
    let cvss = details
        .and_then(|d| d.cvss.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let detail_score = score_details.and_then(|s| s.cvss.as_ref());
    // NOTE: absent scores read as 0.0 in the SDKs, and UNTRIAGED findings carry `score: 0.0` with no
    // `scoreDetails`; a bare 0.0 is "no score", not a score of zero. The same rule holds wherever a score
    // appears, so saved output and live answers (where the SDK has already turned absent into 0.0) agree.
    let best_cvss = cvss
        .iter()
        .filter(|c| given_score(c.base_score, c.scoring_vector.as_deref()).is_some())
        .max_by_key(|c| c.version.as_ref().map(|v| v.0.clone()).unwrap_or_default());
    let (score, vector) = if let Some(s) =
        detail_score.and_then(|d| given_score(d.score, d.scoring_vector.as_deref()))
    {
        (Some(s), detail_score.and_then(|d| d.scoring_vector.clone()))
    } else if let Some(s) = given_score(score, None) {
        (Some(s), None)
    } else if let Some(c) = best_cvss {
        (
            given_score(c.base_score, c.scoring_vector.as_deref()),
            c.scoring_vector.clone(),
        )
    } else {
        (None, None)
    };
    (score.filter(|s| (0.0..=10.0).contains(s)), vector)
}

/// An enhanced finding's id: the vulnerability id, else the title's first word, else the finding ARN.
fn enhanced_id(
    details: Option<&RawPackageVulnerabilityDetails>,
    title: Option<&str>,
    finding_arn: Option<&str>,
) -> String {
    details
        .and_then(|d| d.vulnerability_id.clone())
        .map(|t| t.0.trim().to_string())
        .filter(|t| !t.is_empty())
        .or_else(|| {
            title
                .and_then(|t| t.split_whitespace().next())
                .map(str::to_string)
        })
        .or_else(|| finding_arn.map(str::to_string))
        .unwrap_or_else(|| "(unnamed finding)".into())
}

/// An enhanced finding's links, each once: the source, the references, the remediation.
fn enhanced_urls(
    details: Option<&RawPackageVulnerabilityDetails>,
    remediation: Option<&RawRemediation>,
) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    let mut push_url = |url: Option<&str>| {
        if let Some(url) = url.map(str::trim).filter(|u| !u.is_empty())
            && !urls.iter().any(|u| u == url)
        {
            urls.push(url.to_string());
        }
    };
    if let Some(details) = details {
        push_url(details.source_url.as_deref());
        for url in details.reference_urls.iter().flatten() {
            push_url(url.as_deref());
        }
    }
    push_url(
        remediation
            .and_then(|r| r.recommendation.as_ref())
            .and_then(|r| r.url.as_deref()),
    );
    urls
}

/// A score as given: `None` when absent, and a bare 0.0 without a scoring vector is absent too (the SDKs
/// read an absent score as 0.0). A 0.0 that comes with its vector is a real score of zero.
fn given_score(score: Option<Number>, vector: Option<&str>) -> Option<f64> {
    score
        .and_then(|s| s.0)
        .filter(|s| *s != 0.0 || vector.is_some_and(|v| !v.trim().is_empty()))
}

/// The region of an ECR resource ARN: `arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME/sha256:…`.
fn region_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.trim().split(':');
    let (Some("arn"), Some(_partition), Some("ecr"), Some(region)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let plausible = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    plausible.then(|| region.to_string())
}

/// The package, whether it names a fixed version, and whether it said explicitly that none exists.
fn convert_package(raw: RawVulnerablePackage) -> (Package, bool, bool) {
    let fixed = text(raw.fixed_in_version);
    let said_not_available = fixed.as_deref() == Some(NOT_AVAILABLE);
    let fixed_in = fixed.filter(|f| f != NOT_AVAILABLE);
    let version = text(raw.version).map(|version| {
        let mut full = String::new();
        if let Some(epoch) = text(raw.epoch).filter(|e| e != "0") {
            full.push_str(&epoch);
            full.push(':');
        }
        full.push_str(&version);
        if let Some(release) = text(raw.release) {
            full.push('-');
            full.push_str(&release);
        }
        full
    });
    let has_fixed_version = fixed_in.is_some();
    (
        Package {
            name: text(raw.name),
            version,
            fixed_in,
            manager: text(raw.package_manager),
            path: text(raw.file_path),
        },
        has_fixed_version,
        said_not_available,
    )
}

/// `fixAvailable` for a package that names no fixed version.
fn fix_from_flag(flag: Option<&str>, said_not_available: bool) -> Option<bool> {
    match flag {
        // YES without a fixed version for this package: trust the finding-level flag.
        Some("YES") => Some(true),
        // PARTIAL: some packages have a fix; this one names none.
        Some("NO") | Some("PARTIAL") => Some(false),
        _ if said_not_available => Some(false),
        _ => None,
    }
}

fn timestamp(raw: Timestamp, field: &str, warnings: &mut Vec<String>) -> Option<jiff::Timestamp> {
    let parsed = match &raw {
        Timestamp::Epoch(seconds) => {
            let millis = (seconds * 1000.0).round();
            if millis.is_finite() && millis.abs() < 1.0e15 {
                jiff::Timestamp::from_millisecond(millis as i64).ok()
            } else {
                None
            }
        }
        Timestamp::Text(text) => parse_iso(text.trim()),
    };
    if parsed.is_none() {
        let shown = match raw {
            Timestamp::Epoch(s) => s.to_string(),
            Timestamp::Text(t) => t,
        };
        warnings.push(format!(
            "`{field}` value {shown:?} is not a timestamp; left out"
        ));
    }
    parsed
}

/// ISO-8601 / RFC 3339 with an offset, also in the `+HHMM` form the AWS CLI prints on some systems.
fn parse_iso(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    // `2020-01-24T15:11:45+1100` → `2020-01-24T15:11:45+11:00`.
    if text.len() > 5 && text.is_char_boundary(text.len() - 5) {
        let (head, offset) = text.split_at(text.len() - 5);
        let sign = offset.as_bytes()[0];
        if (sign == b'+' || sign == b'-') && offset[1..].bytes().all(|b| b.is_ascii_digit()) {
            let fixed = format!("{head}{}:{}", &offset[..3], &offset[3..]);
            return fixed.parse::<jiff::Timestamp>().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps_with_all_offset_spellings_parse() {
        let expected: jiff::Timestamp = "2020-01-24T04:11:45Z".parse().unwrap();
        for text in [
            "2020-01-24T15:11:45+11:00",
            "2020-01-24T15:11:45+1100",
            "2020-01-24T04:11:45Z",
            "2020-01-24T04:11:45.000000+00:00",
        ] {
            assert_eq!(parse_iso(text), Some(expected), "{text}");
        }
        assert_eq!(parse_iso("Dec 3, 2021, 6:02:30 PM"), None);
        // Found by fuzzing: a multi-byte character where the offset would start.
        assert_eq!(parse_iso("2026-01-01T00:00:00\u{e9}1234"), None);
    }

    #[test]
    fn epoch_seconds_with_fraction_parse() {
        let mut warnings = Vec::new();
        let t = timestamp(Timestamp::Epoch(1579839105.5), "x", &mut warnings).unwrap();
        assert_eq!(t.as_millisecond(), 1_579_839_105_500);
        assert!(warnings.is_empty());
        assert!(timestamp(Timestamp::Epoch(f64::MAX), "x", &mut warnings).is_none());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn basic_attributes_give_package_score_and_vector_cvss3_first() {
        let record: RawBasicFinding = serde_json::from_str(
            r#"{"name":" CVE-2024-1 ","severity":"UNDEFINED","uri":" https://x.example/1 ","attributes":[
                {"key":"package_name","value":"openssl"},{"key":"package_version","value":"3.0.1"},
                {"key":"CVSS2_SCORE","value":"5.0"},{"key":"CVSS2_VECTOR","value":"AV:N"},
                {"key":"CVSS3_SCORE","value":9.8},{"key":"CVSS3_VECTOR","value":"CVSS:3.1/AV:N"}]}"#,
        )
        .unwrap();
        let finding = basic_finding(record, "UNDEFINED".into());
        assert_eq!(finding.id, "CVE-2024-1");
        assert_eq!(finding.package.name.as_deref(), Some("openssl"));
        assert_eq!(finding.package.version.as_deref(), Some("3.0.1"));
        assert_eq!(finding.score, Some(9.8));
        assert_eq!(finding.vector.as_deref(), Some("CVSS:3.1/AV:N"));
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.urls, ["https://x.example/1"]);
        assert_eq!(finding.fix_available, None);
    }

    #[test]
    fn region_comes_from_the_resource_arn() {
        assert_eq!(
            region_of_arn("arn:aws:ecr:eu-west-1:123456789012:repository/app/sha256:abc")
                .as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of_arn("arn:aws-cn:ecr:cn-north-1:123456789012:repository/a/sha256:b")
                .as_deref(),
            Some("cn-north-1")
        );
        for bad in [
            "",
            "arn:aws:ecr::123456789012:repository/a",
            "arn:aws:s3:eu-west-1:1:bucket",
            "arn:aws:ecr:EU WEST:1:repository/a",
            "arn:aws:ecr:eu-west-1\u{202e}:1:repository/a",
            "not-an-arn",
        ] {
            assert_eq!(region_of_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn bare_zero_scores_are_no_score_but_zero_with_a_vector_is_a_score() {
        assert_eq!(given_score(Some(Number(Some(0.0))), None), None);
        assert_eq!(given_score(Some(Number(Some(0.0))), Some(" ")), None);
        assert_eq!(
            given_score(Some(Number(Some(0.0))), Some("CVSS:3.1/AV:N")),
            Some(0.0)
        );
        assert_eq!(given_score(Some(Number(Some(7.5))), None), Some(7.5));
        assert_eq!(given_score(Some(Number(None)), Some("CVSS:3.1/AV:N")), None);
        assert_eq!(given_score(None, None), None);
    }

    #[test]
    fn unknown_vendor_severity_takes_the_score_band_else_stays_unknown() {
        assert_eq!(gating_severity("UNTRIAGED", Some(7.5)), Severity::High);
        assert_eq!(gating_severity("UNTRIAGED", None), Severity::Unknown);
        assert_eq!(gating_severity("LOW", Some(9.8)), Severity::Low);
    }
}
