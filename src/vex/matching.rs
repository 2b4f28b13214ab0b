//! Which statement governs a finding. A statement covers a finding in an image when one of its
//! products is
//!
//! - the **image**: an OCI purl or an image reference with a digest (`pkg:oci/app@sha256:…`,
//!   `repo@sha256:…`, a product `hashes.sha-256`) equal to the image's; or the repository (`pkg:oci/NAME`
//!   with the repository's last segment as NAME, or `repository_url`'s path as the whole repository;
//!   `repo`, `ACCOUNT.dkr.ecr.REGION.amazonaws.com/repo`), and its tag when one is given — then, when
//!   the product lists `subcomponents`, one of them must be the finding's package (a package purl, or
//!   its name);
//! - the finding's **package** itself (a package purl: `pkg:deb/debian/openssl@3.0.11-1`), with that
//!   version when the purl has one.
//!
//! Among the statements that cover the finding in an image, the one with the latest timestamp governs;
//! on equal timestamps one that suppresses nothing wins (fail closed). A finding that occurs in several
//! images (platforms) is suppressed only when in every one of them a suppressing statement governs.
//!
//! Registries other than ECR never match: a statement about `registry.k8s.io/…` is not about an image
//! in ECR, even with the same repository name.

use std::cmp::Ordering;

use super::purl::Purl;
use super::statement::{Product, Statement};
use crate::findings::{Finding, Image};
use crate::image_ref::ImageRef;

/// What the VEX documents say about one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Index into [`Vex::statements`](super::Vex::statements) of the statement shown: the one that suppresses, or the one that
    /// keeps the finding in (affected, under investigation, or a suppressing one that covers only some
    /// of its images).
    pub statement: usize,
    /// The finding is suppressed.
    pub suppresses: bool,
    /// A suppressing statement covers the finding in some of its images but not all, so it does not
    /// suppress it.
    pub partial: bool,
}

/// A product's identifiers, sorted into what they can match.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CompiledProduct {
    images: Vec<ImageTarget>,
    packages: Vec<Purl>,
    /// The product lists subcomponents (even ones that can match no package: it then covers nothing).
    narrowed: bool,
    subcomponents: Vec<PackageTarget>,
}

impl CompiledProduct {
    pub(super) fn new(product: &Product) -> CompiledProduct {
        let mut compiled = CompiledProduct {
            images: Vec::new(),
            packages: Vec::new(),
            narrowed: !product.subcomponents.is_empty(),
            subcomponents: Vec::new(),
        };
        for id in &product.ids {
            match Purl::parse(id) {
                Some(purl) if is_image_kind(&purl.kind) => {
                    compiled.images.extend(ImageTarget::from_purl(&purl));
                }
                Some(purl) => compiled.packages.push(purl),
                None => compiled.images.extend(ImageTarget::from_reference(id)),
            }
        }
        for ids in &product.subcomponents {
            for id in ids {
                match Purl::parse(id) {
                    Some(purl) if is_image_kind(&purl.kind) => {}
                    Some(purl) => compiled.subcomponents.push(PackageTarget::Purl(purl)),
                    None if !id.contains("://") && !id.contains(char::is_whitespace) => {
                        compiled
                            .subcomponents
                            .push(PackageTarget::Name(id.trim().to_lowercase()));
                    }
                    None => {}
                }
            }
        }
        compiled
    }

    /// A package product narrowed by subcomponents: the findings cannot tell that one package came in
    /// through another, so it covers nothing.
    pub(super) fn is_package_with_subcomponents(&self) -> bool {
        self.images.is_empty() && !self.packages.is_empty() && self.narrowed
    }

    fn covers(&self, image: &Image, finding: &Finding) -> bool {
        if self.images.iter().any(|target| target.matches(image)) {
            return !self.narrowed || self.subcomponents.iter().any(|sub| sub.matches(finding));
        }
        !self.narrowed && self.packages.iter().any(|p| package_matches(p, finding))
    }
}

fn is_image_kind(kind: &str) -> bool {
    kind == "oci" || kind == "docker"
}

/// An image a product names.
#[derive(Debug, Clone, PartialEq)]
enum ImageTarget {
    /// `sha256:…`, lower-cased.
    Digest(String),
    Repository {
        /// `(account, region)` when an ECR host was given.
        registry: Option<(Option<String>, Option<String>)>,
        repository: RepositoryName,
        tag: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum RepositoryName {
    /// The whole repository name.
    Full(String),
    /// Only its last segment (an OCI purl's name).
    Last(String),
}

impl ImageTarget {
    fn from_purl(purl: &Purl) -> Option<ImageTarget> {
        let digest = purl
            .version
            .as_deref()
            .filter(|v| v.to_ascii_lowercase().starts_with("sha256:"));
        if let Some(digest) = digest {
            return Some(ImageTarget::Digest(digest.trim().to_ascii_lowercase()));
        }
        let tag = purl
            .qualifier("tag")
            .map(str::to_string)
            .or_else(|| purl.version.clone());
        let (registry, repository) = match purl.qualifier("repository_url") {
            Some(url) => {
                // A registry host alone: the repository is the purl's name, at its root.
                let url = url.trim_end_matches('/');
                let url = if url.contains('/') {
                    url.to_string()
                } else {
                    format!("{url}/{}", purl.name)
                };
                let reference = ImageRef::parse(&url).ok()?;
                (
                    reference
                        .host
                        .as_ref()
                        .map(|_| (reference.registry_id.clone(), reference.region.clone())),
                    RepositoryName::Full(reference.repository),
                )
            }
            None if purl.kind == "docker" => {
                let full = match &purl.namespace {
                    Some(namespace) => format!("{namespace}/{}", purl.name),
                    None => purl.name.clone(),
                };
                (None, RepositoryName::Full(full.to_lowercase()))
            }
            None => (None, RepositoryName::Last(purl.name.to_lowercase())),
        };
        Some(ImageTarget::Repository {
            registry,
            repository,
            tag,
        })
    }

    /// An image reference as text: `sha256:…`, `repo[:tag][@digest]`, an ECR URI.
    fn from_reference(text: &str) -> Option<ImageTarget> {
        let text = text.trim();
        if text.to_ascii_lowercase().starts_with("sha256:") {
            return Some(ImageTarget::Digest(text.to_ascii_lowercase()));
        }
        let reference = ImageRef::parse(text).ok()?;
        if let Some(digest) = reference.digest {
            return Some(ImageTarget::Digest(digest.as_str().to_ascii_lowercase()));
        }
        // `ImageRef` reads a reference without tag as `latest`; here it means every tag.
        let last = text.rsplit('/').next().unwrap_or(text);
        let tag = reference.tag.filter(|_| last.contains(':'));
        Some(ImageTarget::Repository {
            registry: reference
                .host
                .as_ref()
                .map(|_| (reference.registry_id.clone(), reference.region.clone())),
            repository: RepositoryName::Full(reference.repository),
            tag,
        })
    }

    fn matches(&self, image: &Image) -> bool {
        match self {
            ImageTarget::Digest(digest) => [&image.digest, &image.index_digest]
                .into_iter()
                .flatten()
                .any(|d| d.trim().eq_ignore_ascii_case(digest)),
            ImageTarget::Repository {
                registry,
                repository,
                tag,
            } => {
                let same_registry = match registry {
                    None => true,
                    Some((account, region)) => {
                        agrees(account.as_deref(), image.registry_id.as_deref())
                            && agrees(region.as_deref(), image.region.as_deref())
                    }
                };
                let same_repository = match repository {
                    RepositoryName::Full(name) => image.repository.eq_ignore_ascii_case(name),
                    RepositoryName::Last(name) => image
                        .repository
                        .rsplit('/')
                        .next()
                        .is_some_and(|last| last.eq_ignore_ascii_case(name)),
                };
                // A tag an event named is not the registry's word: it never decides coverage.
                let same_tag = tag
                    .as_ref()
                    .is_none_or(|tag| !image.tags_from_event && image.tags.contains(tag));
                same_registry && same_repository && same_tag
            }
        }
    }
}

/// Two values agree unless both are known and differ.
fn agrees(named: Option<&str>, known: Option<&str>) -> bool {
    match (named, known) {
        (Some(named), Some(known)) => named.eq_ignore_ascii_case(known),
        _ => true,
    }
}

/// A subcomponent: a package purl, or a package name.
#[derive(Debug, Clone, PartialEq)]
enum PackageTarget {
    Purl(Purl),
    Name(String),
}

impl PackageTarget {
    fn matches(&self, finding: &Finding) -> bool {
        match self {
            PackageTarget::Purl(purl) => package_matches(purl, finding),
            PackageTarget::Name(name) => finding
                .package
                .name
                .as_deref()
                .is_some_and(|n| n.trim().to_lowercase() == *name),
        }
    }
}

/// The package managers Amazon Inspector reports for the packages of a purl type; `None` for any
/// (`generic`). Basic scanning names no manager and reports OS packages only.
fn managers(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "deb" | "rpm" | "apk" | "alpm" => &["OS"],
        "npm" => &["NPM", "NODEPKG", "YARN"],
        "pypi" => &["PYTHONPKG", "PIP", "PIPENV", "POETRY"],
        "maven" => &["JAR", "POM"],
        "golang" => &["GOBINARY", "GOMOD"],
        "nuget" => &["NUGET", "DOTNET_CORE"],
        "gem" => &["GEMSPEC", "BUNDLER"],
        "cargo" => &["CARGO"],
        "composer" => &["COMPOSER"],
        "generic" => return None,
        _ => &[],
    })
}

/// Whether a package purl is the finding's package (and version, when the purl has one).
fn package_matches(purl: &Purl, finding: &Finding) -> bool {
    let package = &finding.package;
    let Some(name) = package.name.as_deref() else {
        return false;
    };
    let manager = package
        .manager
        .as_deref()
        .map_or_else(|| "OS".to_string(), |m| m.trim().to_ascii_uppercase());
    if let Some(allowed) = managers(&purl.kind)
        && !allowed.contains(&manager.as_str())
    {
        return false;
    }
    let wanted = normalize_name(&purl.kind, name);
    if !names(purl)
        .iter()
        .any(|candidate| normalize_name(&purl.kind, candidate) == wanted)
    {
        return false;
    }
    match &purl.version {
        None => true,
        Some(version) => package
            .version
            .as_deref()
            .is_some_and(|installed| same_version(&purl_version(purl, version), installed)),
    }
}

/// The names a package of this purl may carry in a finding.
fn names(purl: &Purl) -> Vec<String> {
    let name = purl.name.clone();
    let Some(namespace) = &purl.namespace else {
        return vec![name];
    };
    match purl.kind.as_str() {
        // The namespace is the distribution, not part of the package's name.
        "deb" | "rpm" | "apk" | "alpm" => vec![name],
        "maven" => vec![format!("{namespace}:{name}"), format!("{namespace}/{name}")],
        _ => vec![format!("{namespace}/{name}")],
    }
}

fn normalize_name(kind: &str, name: &str) -> String {
    let lower = name.trim().to_lowercase();
    if kind == "pypi" {
        // PEP 503: runs of `-`, `_` and `.` are one `-`.
        let mut out = String::with_capacity(lower.len());
        for c in lower.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !out.ends_with('-') {
                    out.push('-');
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        lower
    }
}

/// The purl's version with its `epoch` qualifier (rpm) in front, as findings spell it.
fn purl_version(purl: &Purl, version: &str) -> String {
    match purl.qualifier("epoch") {
        Some(epoch) if !version.contains(':') && epoch.trim() != "0" => {
            format!("{}:{version}", epoch.trim())
        }
        _ => version.to_string(),
    }
}

/// Versions compare as text, but for an epoch of `0` and a `v` before a digit (Go).
fn same_version(a: &str, b: &str) -> bool {
    fn plain(version: &str) -> &str {
        let version = version.trim();
        let version = version.strip_prefix("0:").unwrap_or(version);
        match version.strip_prefix('v') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
            _ => version,
        }
    }
    plain(a) == plain(b)
}

/// The statement among `candidates` that governs `finding`, image by image.
pub(super) fn judge(
    statements: &[Statement],
    compiled: &[Vec<CompiledProduct>],
    candidates: &[usize],
    finding: &Finding,
    images: &[Image],
) -> Option<Applied> {
    let mut winners = Vec::with_capacity(finding.images.len());
    for &index in &finding.images {
        let winner = images.get(index).and_then(|image| {
            candidates
                .iter()
                .copied()
                .filter(|&s| {
                    compiled
                        .get(s)
                        .is_some_and(|products| products.iter().any(|p| p.covers(image, finding)))
                })
                .max_by(|&a, &b| precedence(statements, a, b))
        });
        winners.push(winner);
    }
    let suppresses = |s: usize| statements[s].status.suppresses();
    let latest = |pick: &dyn Fn(usize) -> bool| {
        winners
            .iter()
            .flatten()
            .copied()
            .filter(|&s| pick(s))
            .max_by(|&a, &b| precedence(statements, a, b))
    };
    if let Some(keeping) = latest(&|s| !suppresses(s)) {
        return Some(Applied {
            statement: keeping,
            suppresses: false,
            partial: false,
        });
    }
    let suppressing = latest(&suppresses)?;
    let everywhere = !winners.is_empty() && winners.iter().all(Option::is_some);
    Some(Applied {
        statement: suppressing,
        suppresses: everywhere,
        partial: !everywhere,
    })
}

/// Which of two statements is more recent: the later timestamp (undated is oldest); on a tie the one
/// that suppresses nothing (fail closed); then the later document and position, so that the choice
/// never depends on anything else.
fn precedence(statements: &[Statement], a: usize, b: usize) -> Ordering {
    let (sa, sb) = (&statements[a], &statements[b]);
    sa.timestamp
        .cmp(&sb.timestamp)
        .then_with(|| sb.status.suppresses().cmp(&sa.status.suppresses()))
        .then_with(|| (sa.document, sa.position).cmp(&(sb.document, sb.position)))
}
