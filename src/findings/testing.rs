//! Builders for unit tests: a [`Finding`], an [`Image`] or an [`ImageScan`] in one expression, with
//! only what the test is about spelled out and every other field at a plain default.
//!
//! Shared by the unit tests of `findings`, `policy` and `report`, so that a new field of the model is
//! added here once. Test-only (`#[cfg(test)]`); it must not be used by the code under test.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{Finding, Image, ImageScan, Package, ScanInfo, ScanType, Severity};

/// Builds a [`Finding`].
///
/// ```ignore
/// let finding = FindingBuilder::new("CVE-2024-1", Severity::High)
///     .package("openssl", "3.0.1")
///     .fix("3.0.2")
///     .build();
/// ```
#[derive(Debug, Clone)]
pub(crate) struct FindingBuilder(Finding);

impl FindingBuilder {
    /// `id` at `severity`, the vendor severity its upper-case name, and nothing else known: no score,
    /// text, package, fix or exploit information and no URL; not suppressed; in the first image.
    pub(crate) fn new(id: &str, severity: Severity) -> FindingBuilder {
        FindingBuilder(Finding {
            id: id.to_string(),
            severity,
            vendor_severity: severity.as_str().to_ascii_uppercase(),
            score: None,
            vector: None,
            title: None,
            description: None,
            package: Package::default(),
            fix_available: None,
            exploit_available: None,
            urls: Vec::new(),
            suppressed_by_scanner: false,
            images: vec![0],
        })
    }

    /// The scanner's severity text, as given.
    pub(crate) fn vendor_severity(mut self, text: impl Into<String>) -> FindingBuilder {
        self.0.vendor_severity = text.into();
        self
    }

    /// A CVSS or Inspector score.
    pub(crate) fn score(mut self, score: f64) -> FindingBuilder {
        self.0.score = Some(score);
        self
    }

    /// The scoring vector.
    pub(crate) fn vector(mut self, vector: impl Into<String>) -> FindingBuilder {
        self.0.vector = Some(vector.into());
        self
    }

    /// The title.
    pub(crate) fn title(mut self, title: impl Into<String>) -> FindingBuilder {
        self.0.title = Some(title.into());
        self
    }

    /// The description.
    pub(crate) fn description(mut self, description: impl Into<String>) -> FindingBuilder {
        self.0.description = Some(description.into());
        self
    }

    /// The package's name and installed version.
    pub(crate) fn package(
        mut self,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> FindingBuilder {
        self.0.package.name = Some(name.into());
        self.0.package.version = Some(version.into());
        self
    }

    /// The version that fixes it, and nothing said of whether a fix is available (basic scanning).
    pub(crate) fn fixed_in(mut self, version: impl Into<String>) -> FindingBuilder {
        self.0.package.fixed_in = Some(version.into());
        self
    }

    /// A fix is available, in `version` (enhanced scanning).
    pub(crate) fn fix(self, version: impl Into<String>) -> FindingBuilder {
        self.fixed_in(version).fix_available(true)
    }

    /// Whether a fix is available, as the scanner says.
    pub(crate) fn fix_available(mut self, available: bool) -> FindingBuilder {
        self.0.fix_available = Some(available);
        self
    }

    /// The package manager (`OS`, `NPM`, …).
    pub(crate) fn manager(mut self, manager: impl Into<String>) -> FindingBuilder {
        self.0.package.manager = Some(manager.into());
        self
    }

    /// The path of the package's file inside the image.
    pub(crate) fn path(mut self, path: impl Into<String>) -> FindingBuilder {
        self.0.package.path = Some(path.into());
        self
    }

    /// Whether a public exploit is known, as the scanner says.
    pub(crate) fn exploit_available(mut self, available: bool) -> FindingBuilder {
        self.0.exploit_available = Some(available);
        self
    }

    /// The finding's links, replacing any given before.
    pub(crate) fn urls(mut self, urls: &[&str]) -> FindingBuilder {
        self.0.urls = urls.iter().map(|url| url.to_string()).collect();
        self
    }

    /// Adds the NVD page of the finding's id to its links.
    pub(crate) fn nvd_url(mut self) -> FindingBuilder {
        let url = format!("https://nvd.nist.gov/vuln/detail/{}", self.0.id);
        self.0.urls.push(url);
        self
    }

    /// Amazon Inspector suppressed it.
    pub(crate) fn suppressed_by_scanner(mut self) -> FindingBuilder {
        self.0.suppressed_by_scanner = true;
        self
    }

    /// The indices of the images it occurs in (ignored by `merge`, which fills them in).
    pub(crate) fn images(mut self, images: impl IntoIterator<Item = usize>) -> FindingBuilder {
        self.0.images = images.into_iter().collect();
        self
    }

    /// The finding.
    pub(crate) fn build(self) -> Finding {
        self.0
    }
}

/// Builds an [`Image`], or the [`ImageScan`] of one.
///
/// ```ignore
/// let scan = ImageBuilder::new("payments/api")
///     .digest("sha256:aa")
///     .platform("linux/arm64")
///     .into_scan(vec![finding]);
/// ```
#[derive(Debug, Clone)]
pub(crate) struct ImageBuilder(Image);

impl ImageBuilder {
    /// An image in `repository` with nothing else known: no account, region, digest, tag or platform;
    /// a `COMPLETE` basic scan without times or description.
    pub(crate) fn new(repository: impl Into<String>) -> ImageBuilder {
        ImageBuilder(Image {
            repository: repository.into(),
            registry_id: None,
            region: None,
            digest: None,
            index_digest: None,
            tags_from_event: false,
            tags: Vec::new(),
            platform: None,
            scan: ScanInfo {
                scan_type: ScanType::Basic,
                status: "COMPLETE".to_string(),
                description: None,
                completed_at: None,
                source_updated_at: None,
            },
        })
    }

    /// The registry's account id and region.
    pub(crate) fn account(
        mut self,
        registry_id: impl Into<String>,
        region: impl Into<String>,
    ) -> ImageBuilder {
        self.0.registry_id = Some(registry_id.into());
        self.0.region = Some(region.into());
        self
    }

    /// The manifest digest.
    pub(crate) fn digest(mut self, digest: impl Into<String>) -> ImageBuilder {
        self.0.digest = Some(digest.into());
        self
    }

    /// The digest of the image index the image was resolved from.
    pub(crate) fn index_digest(mut self, digest: impl Into<String>) -> ImageBuilder {
        self.0.index_digest = Some(digest.into());
        self
    }

    /// Adds a tag.
    pub(crate) fn tag(mut self, tag: impl Into<String>) -> ImageBuilder {
        self.0.tags.push(tag.into());
        self
    }

    /// The platform (`linux/amd64`).
    pub(crate) fn platform(mut self, platform: impl Into<String>) -> ImageBuilder {
        self.0.platform = Some(platform.into());
        self
    }

    /// The kind of scan and ECR's status string.
    pub(crate) fn scan(mut self, scan_type: ScanType, status: impl Into<String>) -> ImageBuilder {
        self.0.scan.scan_type = scan_type;
        self.0.scan.status = status.into();
        self
    }

    /// ECR's status description.
    pub(crate) fn scan_description(mut self, description: impl Into<String>) -> ImageBuilder {
        self.0.scan.description = Some(description.into());
        self
    }

    /// When the scan completed and how fresh its vulnerability database was.
    pub(crate) fn scanned_at(
        mut self,
        completed_at: Timestamp,
        source_updated_at: Timestamp,
    ) -> ImageBuilder {
        self.0.scan.completed_at = Some(completed_at);
        self.0.scan.source_updated_at = Some(source_updated_at);
        self
    }

    /// The image.
    pub(crate) fn build(self) -> Image {
        self.0
    }

    /// The image's scan with `findings`, no declared or listed counts and no warnings.
    pub(crate) fn into_scan(self, findings: Vec<Finding>) -> ImageScan {
        ImageScan {
            image: self.0,
            findings,
            declared_counts: None,
            listed_counts: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }
}
