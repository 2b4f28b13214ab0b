//! The findings model: what a scan found, in one shape for basic and enhanced scanning.
//!
//! Owns [`Severity`], [`Finding`], [`Image`] and [`ScanSet`], and the merge of several platform images of
//! one tag into one set of findings. It must not know where findings came from (AWS SDK, saved CLI JSON):
//! edges convert into these types. No I/O, no async.

mod merge;
#[cfg(test)]
mod merge_tests;
mod status;
#[cfg(test)]
// Some builders serve only the tests of the `network` edges.
#[cfg_attr(not(feature = "network"), allow(dead_code))]
pub(crate) mod testing;

pub use merge::{CountCheck, CountGap, ImageScan, merge};
pub use status::{ScanStatus, StatusClass};

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;

/// How bad a finding is, as used for gating. Ordered from least to most severe.
///
/// `Unknown` covers ECR's `UNDEFINED`, Inspector's `UNTRIAGED` and any value newer than this code; it is
/// kept and counted, never dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, most severe first (the order reports list them in).
    pub const ALL: [Severity; 6] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
        Severity::Unknown,
    ];

    /// Reads a vendor severity (`CRITICAL`, `High`, `informational`, …). `None` for values that name no
    /// known level (`UNDEFINED`, `UNTRIAGED`, anything newer).
    pub fn from_vendor(text: &str) -> Option<Severity> {
        match text.trim().to_ascii_uppercase().as_str() {
            "CRITICAL" => Some(Severity::Critical),
            "HIGH" => Some(Severity::High),
            "MEDIUM" | "MODERATE" => Some(Severity::Medium),
            "LOW" => Some(Severity::Low),
            "INFORMATIONAL" | "INFO" | "NEGLIGIBLE" => Some(Severity::Informational),
            _ => None,
        }
    }

    /// The CVSS v3 qualitative band of a score (also the bands GitHub uses for `security-severity`).
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Informational
        }
    }

    /// The lowercase name used in files, flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Informational => "informational",
            Severity::Unknown => "unknown",
        }
    }

    /// Parses the lowercase name used in policy files and flags.
    pub fn parse_name(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which ECR scanning produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanType {
    /// ECR basic scanning (`findings[]`).
    Basic,
    /// Enhanced scanning by Amazon Inspector (`enhancedFindings[]`).
    Enhanced,
}

impl ScanType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanType::Basic => "basic",
            ScanType::Enhanced => "enhanced",
        }
    }
}

/// The scan of one image, as far as it matters for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanInfo {
    pub scan_type: ScanType,
    /// ECR's status string as given (`COMPLETE`, `ACTIVE`, …).
    pub status: String,
    /// ECR's status description, if any.
    pub description: Option<String>,
    /// When the scan completed (`imageScanCompletedAt`).
    pub completed_at: Option<Timestamp>,
    /// How fresh the vulnerability database was (`vulnerabilitySourceUpdatedAt`).
    pub source_updated_at: Option<Timestamp>,
}

/// One scanned image: a single-platform manifest in a repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub repository: String,
    pub registry_id: Option<String>,
    pub region: Option<String>,
    /// `sha256:…` digest of the manifest, when known.
    pub digest: Option<String>,
    /// `sha256:…` digest of the image index (multi-platform manifest) `scan` resolved this image from,
    /// when the tag named an index.
    pub index_digest: Option<String>,
    pub tags: Vec<String>,
    /// Some of `tags` come from a scan event (`--from-event`), which anyone who can send the event
    /// writes: reported, never trusted (a VEX statement about a tag does not cover the image).
    pub tags_from_event: bool,
    /// `os/arch[/variant]`, when known.
    pub platform: Option<String>,
    pub scan: ScanInfo,
}

impl Image {
    /// A short human label: [`reference`](Image::reference), plus the platform.
    pub fn label(&self) -> String {
        let mut label = self.reference();
        if let Some(platform) = &self.platform {
            label.push_str(" (");
            label.push_str(platform);
            label.push(')');
        }
        label
    }

    /// How a person would name the image: `repository:tag` (the first tag) or, untagged,
    /// `repository@sha256:0123456789ab` (see [`short_digest`]); the repository alone without either.
    pub fn reference(&self) -> String {
        let mut reference = self.repository.clone();
        if let Some(tag) = self.tags.first() {
            reference.push(':');
            reference.push_str(tag);
        } else if let Some(digest) = &self.digest {
            reference.push('@');
            reference.push_str(short_digest(digest));
        }
        reference
    }

    /// A stable key for this image across runs: repository and platform, never tag or digest.
    pub fn key(&self) -> String {
        match &self.platform {
            Some(platform) => format!("{}/{}", self.repository, platform),
            None => self.repository.clone(),
        }
    }
}

/// `sha256:0123456789ab` from a full digest.
pub fn short_digest(digest: &str) -> &str {
    let end = digest
        .char_indices()
        .nth("sha256:".len() + 12)
        .map_or(digest.len(), |(i, _)| i);
    &digest[..end]
}

/// The package a finding is in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Package {
    pub name: Option<String>,
    pub version: Option<String>,
    /// The version that fixes the vulnerability, when the scanner knows one.
    pub fixed_in: Option<String>,
    /// `OS`, `PYTHONPKG`, `NPM`, … (enhanced scanning only).
    pub manager: Option<String>,
    /// Path of the file inside the image (language packages), `None` for OS packages.
    pub path: Option<String>,
}

/// One vulnerability in one package at one path, possibly in several images.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Vulnerability id (`CVE-2024-12345`, `GHSA-…`, `ALAS-…`).
    pub id: String,
    /// Severity used for gating and by every report.
    pub severity: Severity,
    /// The scanner's severity text as given (`HIGH`, `UNTRIAGED`, `UNDEFINED`).
    pub vendor_severity: String,
    /// CVSS or Inspector score; `None` when the scanner gave none (distinct from 0.0).
    pub score: Option<f64>,
    /// The scoring vector, when given.
    pub vector: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub package: Package,
    /// `Some(true)` when a fix exists for this package, `None` when the scanner does not say.
    pub fix_available: Option<bool>,
    /// `Some(true)` when a public exploit is known, `None` when the scanner does not say.
    pub exploit_available: Option<bool>,
    pub urls: Vec<String>,
    /// Amazon Inspector marked this finding suppressed (a suppression rule of the account).
    pub suppressed_by_scanner: bool,
    /// Indices into [`ScanSet::images`] of the images this finding occurs in (at least one).
    pub images: Vec<usize>,
}

impl Finding {
    /// Whether the finding may be fixed by an upgrade; unknown counts as fixable, so that `only-fixed`
    /// never hides a finding the scanner said nothing about.
    pub fn maybe_fixable(&self) -> bool {
        self.fix_available != Some(false)
    }

    /// Whether a public exploit may be known; unknown counts as exploitable (basic scanning never
    /// says), so that `only-exploitable` never hides a finding the scanner said nothing about.
    pub fn maybe_exploitable(&self) -> bool {
        self.exploit_available != Some(false)
    }
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub informational: usize,
    pub unknown: usize,
    pub total: usize,
}

impl Counts {
    pub fn add(&mut self, severity: Severity) {
        *self.get_mut(severity) += 1;
        self.total += 1;
    }

    pub fn get(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Informational => self.informational,
            Severity::Unknown => self.unknown,
        }
    }

    fn get_mut(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Informational => &mut self.informational,
            Severity::Unknown => &mut self.unknown,
        }
    }

    /// Counts of the given findings.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Counts {
        let mut counts = Counts::default();
        for finding in findings {
            counts.add(finding.severity);
        }
        counts
    }
}

/// Everything read from the scans of one image reference: its images and their merged findings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanSet {
    pub images: Vec<Image>,
    /// Sorted most severe first, then by id and package.
    pub findings: Vec<Finding>,
    /// Things worth telling the user that do not stop the gate (count mismatches, odd values).
    pub warnings: Vec<String>,
}

impl ScanSet {
    /// Counts over all findings.
    pub fn counts(&self) -> Counts {
        Counts::of(&self.findings)
    }
}
