//! Merging the scans of several images (the platforms of one tag) into one [`ScanSet`].

use std::collections::{BTreeMap, HashMap};

use super::{Finding, Image, ScanSet};

/// What an edge read for one image, before merging.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageScan {
    pub image: Image,
    /// Findings of this image; their `images` field is ignored and filled in by [`merge`].
    pub findings: Vec<Finding>,
    /// `findingSeverityCounts` as the scanner declared them (vendor severity → count), if present.
    pub declared_counts: Option<BTreeMap<String, u64>>,
    /// How many scanner records were listed per vendor severity (one enhanced record can hold several
    /// packages, so this can be less than `findings.len()`).
    pub listed_counts: BTreeMap<String, u64>,
    /// Warnings from reading this image.
    pub warnings: Vec<String>,
}

/// Merges image scans: identical findings (same id, package, version and path) become one finding that
/// lists every image it occurs in. Also cross-checks listed against declared counts.
pub fn merge(scans: Vec<ImageScan>) -> ScanSet {
    let mut set = ScanSet::default();
    let mut index: HashMap<FindingKey, usize> = HashMap::new();
    for scan in scans {
        let image_index = set.images.len();
        let label = scan.image.label();
        set.warnings.extend(scan.warnings);
        if let Some(declared) = &scan.declared_counts
            && let Some(warning) = cross_check(&label, declared, &scan.listed_counts)
        {
            set.warnings.push(warning);
        }
        set.images.push(scan.image);
        for mut finding in scan.findings {
            let key = FindingKey::of(&finding);
            match index.get(&key) {
                Some(&existing) => {
                    let images = &mut set.findings[existing].images;
                    if !images.contains(&image_index) {
                        images.push(image_index);
                    }
                }
                None => {
                    finding.images = vec![image_index];
                    index.insert(key, set.findings.len());
                    set.findings.push(finding);
                }
            }
        }
    }
    set.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.path.cmp(&b.package.path))
            .then_with(|| a.package.version.cmp(&b.package.version))
    });
    set
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FindingKey {
    id: String,
    name: Option<String>,
    version: Option<String>,
    path: Option<String>,
}

impl FindingKey {
    fn of(finding: &Finding) -> FindingKey {
        FindingKey {
            id: finding.id.clone(),
            name: finding.package.name.clone(),
            version: finding.package.version.clone(),
            path: finding.package.path.clone(),
        }
    }
}

/// Compares declared severity counts with the records listed. Keys compare case-insensitively; `TOTAL`
/// (an Inspector event key) is not a severity and is skipped; zero counts equal absent ones.
fn cross_check(
    label: &str,
    declared: &BTreeMap<String, u64>,
    listed: &BTreeMap<String, u64>,
) -> Option<String> {
    let normalise = |counts: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (key, &count) in counts {
            let key = key.trim().to_ascii_uppercase();
            if key != "TOTAL" && count > 0 {
                *out.entry(key).or_insert(0) += count;
            }
        }
        out
    };
    let declared = normalise(declared);
    let listed = normalise(listed);
    if declared == listed {
        return None;
    }
    let show = |counts: &BTreeMap<String, u64>| {
        if counts.is_empty() {
            return "none".to_string();
        }
        counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(format!(
        "{label}: findingSeverityCounts ({}) disagree with the findings listed ({}); the gate judges the findings listed",
        show(&declared),
        show(&listed)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Package, ScanInfo, ScanType, Severity};

    fn image(digest: &str, platform: &str) -> Image {
        Image {
            repository: "app".into(),
            registry_id: None,
            region: None,
            digest: Some(digest.into()),
            tags: vec!["v1".into()],
            platform: Some(platform.into()),
            scan: ScanInfo {
                scan_type: ScanType::Basic,
                status: "COMPLETE".into(),
                description: None,
                completed_at: None,
                source_updated_at: None,
            },
        }
    }

    fn finding(id: &str, severity: Severity, version: &str) -> Finding {
        Finding {
            id: id.into(),
            severity,
            vendor_severity: severity.as_str().to_ascii_uppercase(),
            score: None,
            vector: None,
            title: None,
            description: None,
            package: Package {
                name: Some("openssl".into()),
                version: Some(version.into()),
                ..Package::default()
            },
            fix_available: None,
            exploit_available: None,
            urls: vec![],
            suppressed_by_scanner: false,
            images: vec![],
        }
    }

    fn scan(digest: &str, platform: &str, findings: Vec<Finding>) -> ImageScan {
        ImageScan {
            image: image(digest, platform),
            findings,
            declared_counts: None,
            listed_counts: BTreeMap::new(),
            warnings: vec![],
        }
    }

    #[test]
    fn identical_findings_of_two_platforms_merge_and_list_both_images() {
        let set = merge(vec![
            scan(
                "sha256:a",
                "linux/amd64",
                vec![finding("CVE-1", Severity::High, "1.0")],
            ),
            scan(
                "sha256:b",
                "linux/arm64",
                vec![finding("CVE-1", Severity::High, "1.0")],
            ),
        ]);
        assert_eq!(set.findings.len(), 1);
        assert_eq!(set.findings[0].images, vec![0, 1]);
    }

    #[test]
    fn different_versions_stay_separate_findings() {
        let set = merge(vec![
            scan(
                "sha256:a",
                "linux/amd64",
                vec![finding("CVE-1", Severity::High, "1.0")],
            ),
            scan(
                "sha256:b",
                "linux/arm64",
                vec![finding("CVE-1", Severity::High, "1.1")],
            ),
        ]);
        assert_eq!(set.findings.len(), 2);
    }

    #[test]
    fn findings_sort_most_severe_first() {
        let set = merge(vec![scan(
            "sha256:a",
            "linux/amd64",
            vec![
                finding("CVE-2", Severity::Low, "1"),
                finding("CVE-1", Severity::Critical, "1"),
                finding("CVE-3", Severity::Unknown, "1"),
            ],
        )]);
        let order: Vec<_> = set.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(order, ["CVE-1", "CVE-2", "CVE-3"]);
    }

    #[test]
    fn count_mismatch_warns_and_zero_or_total_keys_do_not() {
        let mut listed = BTreeMap::new();
        listed.insert("MEDIUM".to_string(), 1);
        let mut declared = BTreeMap::new();
        declared.insert("MEDIUM".to_string(), 1);
        declared.insert("HIGH".to_string(), 0);
        declared.insert("TOTAL".to_string(), 1);
        assert_eq!(cross_check("x", &declared, &listed), None);
        declared.insert("LOW".to_string(), 2);
        let warning = cross_check("x", &declared, &listed).expect("mismatch");
        assert!(warning.contains("LOW 2"), "{warning}");
    }
}
