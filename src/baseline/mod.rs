//! Baselines: what an earlier scan found, and how the findings of this run compare with it.
//!
//! Owns the [`Baseline`] (read from a JSON report of this tool, saved `describe-image-scan-findings`
//! output, or another image's scan, all as [`ImageScan`]s), the comparison ([`compare`]) that makes
//! every finding of the run **new**, **unchanged** or **updated** (the same vulnerability in the same
//! package and path, at another version) and lists the baseline's findings that are gone (**fixed**),
//! and the [`Delta`] every report reads. Pure: bytes in, values out; no files, no AWS. It must not
//! decide the verdict: `policy::evaluate` reads the delta under `scope = "new"`.
//!
//! Identity: vulnerability id (case-insensitive) + package name + package path. The version is not
//! part of it, so a version bump that keeps the vulnerability is unchanged (and shown as updated).
//!
//! Platforms: an image of the run is compared with the baseline's images of the same platform
//! (`linux/arm64` and `linux/arm64/v8` are one platform); a baseline of one platform (or of images
//! whose platform is unknown) is the baseline of every image of the run. A platform of the run that a
//! multi-platform baseline lacks has no baseline: an error, unless the run asked for
//! `--baseline-missing=all-new`, which makes that image's findings new. A finding found in several
//! images is new when it is new in any of them. Fixed findings are the baseline's findings, on the
//! platforms the run has, that no image of the run still has.

mod compare;
mod read;
mod report;
#[cfg(test)]
mod tests;

pub use compare::{CompareError, compare, platform_key};
pub use read::{BaselineError, Read, read};

use crate::findings::{Counts, Finding, ImageScan, ScanSet, merge};

/// The findings of a baseline, merged over its images.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// What the baseline is, as reports name it (`report main.json`, `image app:main`).
    pub source: String,
    pub set: ScanSet,
}

impl Baseline {
    /// The baseline of these scans (several files, several platforms, or both).
    pub fn new(source: String, scans: Vec<ImageScan>) -> Baseline {
        Baseline {
            source,
            set: merge(scans),
        }
    }
}

/// How a finding of the run compares with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Not in the baseline.
    New,
    /// In the baseline, at the same version (or a version either side does not know).
    Unchanged,
    /// In the baseline at another version: the package was updated but keeps the vulnerability. Not
    /// new.
    Updated,
}

impl Change {
    /// `new`, `unchanged` or `updated`: SARIF's `baselineState` values and the JSON report's.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::Updated => "updated",
        }
    }

    /// Whether the finding is new since the baseline.
    pub fn is_new(self) -> bool {
        self == Change::New
    }
}

/// How one finding of the run compares with the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingDelta {
    /// Over every image the finding occurs in: new if new in any, else updated if updated in any.
    pub change: Change,
    /// Per image of the finding, in the order of [`Finding::images`].
    pub per_image: Vec<Change>,
    /// The versions the baseline had of it, when [`Change::Updated`].
    pub previous_versions: Vec<String>,
}

/// A finding of the baseline that no image of the run has any more.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixed {
    /// The finding as the baseline had it.
    pub finding: Finding,
    /// The platforms of the baseline it was found on (`linux/amd64`, or `unknown platform`).
    pub platforms: Vec<String>,
}

/// How the run compares with its baseline: one [`FindingDelta`] per finding of the run (in
/// [`ScanSet::findings`] order) and the fixed findings, most severe first.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// What the baseline is (see [`Baseline::source`]).
    pub source: String,
    /// `Some(why)` when there was no baseline and `--baseline-missing=all-new` made every finding
    /// new; the images without a baseline platform are in [`Delta::without_baseline`].
    pub missing: Option<String>,
    pub findings: Vec<FindingDelta>,
    pub fixed: Vec<Fixed>,
    /// Labels of the run's images that had no baseline (their findings are all new).
    pub without_baseline: Vec<String>,
    /// Things worth telling the user (baseline platforms without a counterpart, baseline warnings).
    pub warnings: Vec<String>,
}

/// Per-severity counts of the delta.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeltaCounts {
    pub new: Counts,
    /// Unchanged and updated findings.
    pub unchanged: Counts,
    pub fixed: Counts,
}

impl Delta {
    /// Every finding of `set` new, because there is no baseline (`why`).
    pub fn all_new(set: &ScanSet, source: String, why: String) -> Delta {
        Delta {
            source,
            missing: Some(why),
            findings: set
                .findings
                .iter()
                .map(|f| FindingDelta {
                    change: Change::New,
                    per_image: vec![Change::New; f.images.len()],
                    previous_versions: Vec::new(),
                })
                .collect(),
            fixed: Vec::new(),
            without_baseline: set.images.iter().map(|i| i.label()).collect(),
            warnings: Vec::new(),
        }
    }

    /// The change of finding `index` of the run; new when the delta does not cover it.
    pub fn change(&self, index: usize) -> Change {
        self.findings.get(index).map_or(Change::New, |f| f.change)
    }

    /// The change of finding `index` of the run in image `image` (an index into
    /// [`ScanSet::images`]), given the finding's images.
    pub fn change_in(&self, index: usize, images: &[usize], image: usize) -> Change {
        let Some(delta) = self.findings.get(index) else {
            return Change::New;
        };
        images
            .iter()
            .position(|&i| i == image)
            .and_then(|at| delta.per_image.get(at).copied())
            .unwrap_or(delta.change)
    }

    /// New, unchanged (with updated) and fixed findings per severity.
    pub fn counts(&self, set: &ScanSet) -> DeltaCounts {
        let mut counts = DeltaCounts::default();
        for (index, finding) in set.findings.iter().enumerate() {
            if self.change(index).is_new() {
                counts.new.add(finding.severity);
            } else {
                counts.unchanged.add(finding.severity);
            }
        }
        counts.fixed = Counts::of(self.fixed.iter().map(|f| &f.finding));
        counts
    }
}
