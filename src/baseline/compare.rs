//! The comparison of a run's findings with a baseline: which baseline images each image of the run is
//! compared with (by platform), then each finding's [`Change`] and the fixed findings.

use std::collections::{BTreeMap, HashMap};

use super::{Baseline, Change, Delta, FindingDelta, Fixed};
use crate::findings::{Finding, Image, ScanSet};

/// Why a run could not be compared with its baseline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error(
        "the baseline has no image for {} (it has {available}); a multi-platform baseline must cover \
         every platform gated",
        wanted.join(", ")
    )]
    NoPlatform {
        /// Labels of the run's images without a baseline.
        wanted: Vec<String>,
        /// The baseline's platforms.
        available: String,
    },
}

/// The identity of a finding across runs: vulnerability id (upper-cased), package name and path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Identity {
    id: String,
    name: Option<String>,
    path: Option<String>,
}

impl Identity {
    fn of(finding: &Finding) -> Identity {
        let text = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        Identity {
            id: finding.id.trim().to_ascii_uppercase(),
            name: text(&finding.package.name),
            path: text(&finding.package.path),
        }
    }
}

/// What one baseline platform holds of one identity.
struct Entry {
    /// Versions the baseline had (known ones only).
    versions: Vec<String>,
    /// Some image of the run compared with this platform still has it.
    seen: bool,
}

/// A platform as compared: lower case, `x86_64`/`aarch64` as `amd64`/`arm64`, and arm64's default
/// variant `v8` left out. `None` for an image whose platform is unknown.
pub fn platform_key(platform: Option<&str>) -> Option<String> {
    let platform = platform?.trim().to_ascii_lowercase();
    if platform.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = platform.split('/').collect();
    for part in parts.iter_mut().skip(1).take(1) {
        *part = match *part {
            "x86_64" | "x86-64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
    }
    if parts.len() == 3 && parts[1] == "arm64" && parts[2] == "v8" {
        parts.truncate(2);
    }
    Some(parts.join("/"))
}

fn platform_label(image: &Image) -> String {
    image
        .platform
        .clone()
        .unwrap_or_else(|| "unknown platform".to_string())
}

/// Compares the findings of `set` with `baseline`. `all_new`: an image of the run without a baseline
/// platform has only new findings (`--baseline-missing=all-new`) instead of stopping the comparison.
pub fn compare(set: &ScanSet, baseline: &Baseline, all_new: bool) -> Result<Delta, CompareError> {
    // The baseline's platforms, each with its images.
    let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (index, image) in baseline.set.images.iter().enumerate() {
        groups
            .entry(platform_key(image.platform.as_deref()))
            .or_default()
            .push(index);
    }
    let keys: Vec<Option<String>> = groups.keys().cloned().collect();
    let group_of_baseline_image: HashMap<usize, usize> = groups
        .values()
        .enumerate()
        .flat_map(|(group, images)| images.iter().map(move |&image| (image, group)))
        .collect();
    // The baseline platform each image of the run is compared with.
    let mut without_baseline = Vec::new();
    let target_group: Vec<Option<usize>> = set
        .images
        .iter()
        .map(|image| {
            let key = platform_key(image.platform.as_deref());
            let group = keys
                .iter()
                .position(|k| *k == key)
                .or_else(|| (keys.len() == 1).then_some(0));
            if group.is_none() {
                without_baseline.push(image.label());
            }
            group
        })
        .collect();
    if !without_baseline.is_empty() && !all_new {
        let available: Vec<String> = groups
            .values()
            .filter_map(|images| baseline.set.images.get(images[0]))
            .map(platform_label)
            .collect();
        return Err(CompareError::NoPlatform {
            wanted: without_baseline,
            available: if available.is_empty() {
                "no image".to_string()
            } else {
                available.join(", ")
            },
        });
    }

    let mut entries: HashMap<(usize, Identity), Entry> = HashMap::new();
    for finding in &baseline.set.findings {
        let identity = Identity::of(finding);
        for image in &finding.images {
            let Some(&group) = group_of_baseline_image.get(image) else {
                continue;
            };
            let entry = entries
                .entry((group, identity.clone()))
                .or_insert_with(|| Entry {
                    versions: Vec::new(),
                    seen: false,
                });
            if let Some(version) = known(&finding.package.version)
                && !entry.versions.iter().any(|v| v == version)
            {
                entry.versions.push(version.to_string());
            }
        }
    }

    let findings = set
        .findings
        .iter()
        .map(|finding| {
            let identity = Identity::of(finding);
            let mut previous: Vec<String> = Vec::new();
            let per_image: Vec<Change> = finding
                .images
                .iter()
                .map(|&image| {
                    let Some(group) = target_group.get(image).copied().flatten() else {
                        return Change::New;
                    };
                    let Some(entry) = entries.get_mut(&(group, identity.clone())) else {
                        return Change::New;
                    };
                    entry.seen = true;
                    match known(&finding.package.version) {
                        Some(version)
                            if !entry.versions.is_empty()
                                && !entry.versions.iter().any(|v| v == version) =>
                        {
                            for v in &entry.versions {
                                if !previous.contains(v) {
                                    previous.push(v.clone());
                                }
                            }
                            Change::Updated
                        }
                        _ => Change::Unchanged,
                    }
                })
                .collect();
            let change = if per_image.is_empty() || per_image.contains(&Change::New) {
                Change::New
            } else if per_image.contains(&Change::Updated) {
                Change::Updated
            } else {
                Change::Unchanged
            };
            if change != Change::Updated {
                previous.clear();
            }
            FindingDelta {
                change,
                per_image,
                previous_versions: previous,
            }
        })
        .collect();

    // Fixed: the baseline's findings, on platforms some image of the run was compared with, that none
    // of those images still has. Listed once per identity, most severe first (the baseline's order).
    let compared: Vec<bool> = (0..keys.len())
        .map(|group| target_group.contains(&Some(group)))
        .collect();
    let mut fixed: Vec<Fixed> = Vec::new();
    let mut fixed_at: HashMap<Identity, usize> = HashMap::new();
    for finding in &baseline.set.findings {
        let identity = Identity::of(finding);
        for &image in &finding.images {
            let Some(&group) = group_of_baseline_image.get(&image) else {
                continue;
            };
            let gone = compared[group]
                && entries
                    .get(&(group, identity.clone()))
                    .is_some_and(|e| !e.seen);
            if !gone {
                continue;
            }
            let label = baseline
                .set
                .images
                .get(image)
                .map_or_else(|| "unknown platform".to_string(), platform_label);
            let at = *fixed_at.entry(identity.clone()).or_insert_with(|| {
                let mut finding = finding.clone();
                finding.images.clear();
                fixed.push(Fixed {
                    finding,
                    platforms: Vec::new(),
                });
                fixed.len() - 1
            });
            if !fixed[at].platforms.contains(&label) {
                fixed[at].platforms.push(label);
            }
        }
    }

    let mut warnings: Vec<String> = baseline
        .set
        .warnings
        .iter()
        .map(|w| format!("baseline: {w}"))
        .collect();
    for (group, images) in groups.values().enumerate() {
        if !compared[group]
            && let Some(image) = baseline.set.images.get(images[0])
        {
            warnings.push(format!(
                "the baseline's {} image has no counterpart in this run: its findings were not \
                 compared",
                platform_label(image)
            ));
        }
    }
    Ok(Delta {
        source: baseline.source.clone(),
        missing: None,
        findings,
        fixed,
        without_baseline,
        warnings,
    })
}

fn known(version: &Option<String>) -> Option<&str> {
    version.as_deref().map(str::trim).filter(|v| !v.is_empty())
}
