//! Merging the scans of several images (the platforms of one tag) into one [`ScanSet`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use super::{Finding, Image, ScanSet, Severity};

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

/// Merges image scans: identical findings (same id, package, version and path, judged alike) become one
/// finding that lists every image it occurs in. Also warns where fewer findings were declared than
/// listed.
///
/// NOTE: what the policy reads (severity, score, fix availability, scanner suppression) is part of
/// the key: an Inspector suppression rule can cover one platform's image only, and one platform's
/// scanner can rate a package differently. Folding such findings into one would let whichever image
/// came first decide for all of them.
pub fn merge(scans: Vec<ImageScan>) -> ScanSet {
    let mut set = ScanSet::default();
    let mut index: HashMap<FindingKey, usize> = HashMap::new();
    for scan in scans {
        let image_index = set.images.len();
        let label = scan.image.label();
        let surplus = scan.count_check().surplus;
        set.warnings.extend(scan.warnings);
        // NOTE: more declared than listed makes the scan unusable where it is read (no verdict); here
        // only the harmless direction is left to mention.
        if let Some(warning) = surplus_warning(&label, &surplus) {
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
    // How the policy judges it.
    severity: Severity,
    score: Option<u64>,
    fix_available: Option<bool>,
    suppressed_by_scanner: bool,
}

impl FindingKey {
    fn of(finding: &Finding) -> FindingKey {
        FindingKey {
            id: finding.id.clone(),
            name: finding.package.name.clone(),
            version: finding.package.version.clone(),
            path: finding.package.path.clone(),
            severity: finding.severity,
            score: finding.score.map(f64::to_bits),
            fix_available: finding.fix_available,
            suppressed_by_scanner: finding.suppressed_by_scanner,
        }
    }
}

/// One severity at which the scanner's own tally and the records listed disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountGap {
    /// The vendor severity, upper-cased (`HIGH`, `UNTRIAGED`, …).
    pub severity: String,
    /// What `findingSeverityCounts` declares.
    pub declared: u64,
    /// How many records the result lists.
    pub listed: u64,
}

impl fmt::Display for CountGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} declared, {} listed",
            self.severity, self.declared, self.listed
        )
    }
}

/// How `findingSeverityCounts` compares with the records listed, severity by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountCheck {
    /// Severities with more findings declared than listed: findings are missing (a lost page, an AWS CLI
    /// too old to list `enhancedFindings`, a trimmed file). No verdict can come from such a result.
    pub missing: Vec<CountGap>,
    /// Severities with fewer declared than listed: the list is the evidence (public samples edited by
    /// hand do this), worth a warning only.
    pub surplus: Vec<CountGap>,
}

impl CountCheck {
    /// Compares declared counts with the records listed. Keys compare case-insensitively; `TOTAL` (an
    /// Inspector event key) is not a severity and is skipped; zero counts equal absent ones.
    pub fn of(declared: &BTreeMap<String, u64>, listed: &BTreeMap<String, u64>) -> CountCheck {
        let normalise = |counts: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
            let mut out = BTreeMap::new();
            for (key, &count) in counts {
                let key = key.trim().to_ascii_uppercase();
                if key != "TOTAL" && count > 0 {
                    let total: &mut u64 = out.entry(key).or_insert(0);
                    *total = total.saturating_add(count);
                }
            }
            out
        };
        let declared = normalise(declared);
        let listed = normalise(listed);
        let mut check = CountCheck::default();
        let severities: BTreeSet<&String> = declared.keys().chain(listed.keys()).collect();
        for severity in severities {
            let gap = CountGap {
                severity: severity.clone(),
                declared: declared.get(severity).copied().unwrap_or(0),
                listed: listed.get(severity).copied().unwrap_or(0),
            };
            match gap.declared.cmp(&gap.listed) {
                Ordering::Greater => check.missing.push(gap),
                Ordering::Less => check.surplus.push(gap),
                Ordering::Equal => {}
            }
        }
        check
    }
}

impl ImageScan {
    /// How the scanner's declared counts compare with the records read; nothing to compare without them.
    pub fn count_check(&self) -> CountCheck {
        match &self.declared_counts {
            Some(declared) => CountCheck::of(declared, &self.listed_counts),
            None => CountCheck::default(),
        }
    }
}

/// The warning for severities listed more often than declared.
fn surplus_warning(label: &str, surplus: &[CountGap]) -> Option<String> {
    if surplus.is_empty() {
        return None;
    }
    let gaps: Vec<String> = surplus.iter().map(CountGap::to_string).collect();
    Some(format!(
        "{label}: findingSeverityCounts disagree with the findings listed, declaring fewer than the result \
         lists ({}); the gate judges the findings listed",
        gaps.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Package, ScanInfo, ScanType};

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
    fn findings_judged_differently_per_platform_stay_separate_in_either_order() {
        let suppressed = || {
            let mut f = finding("CVE-1", Severity::Critical, "1.0");
            f.suppressed_by_scanner = true;
            f
        };
        let lower = || finding("CVE-1", Severity::Low, "1.0");
        let no_fix = || {
            let mut f = finding("CVE-1", Severity::Critical, "1.0");
            f.fix_available = Some(false);
            f
        };
        let scored = || {
            let mut f = finding("CVE-1", Severity::Critical, "1.0");
            f.score = Some(1.0);
            f
        };
        for other in [suppressed, lower, no_fix, scored] {
            for flip in [false, true] {
                let mut scans = vec![
                    scan("sha256:a", "linux/arm64", vec![other()]),
                    scan(
                        "sha256:b",
                        "linux/amd64",
                        vec![finding("CVE-1", Severity::Critical, "1.0")],
                    ),
                ];
                if flip {
                    scans.reverse();
                }
                let set = merge(scans);
                assert_eq!(set.findings.len(), 2, "{:?}", set.findings);
                let plain = set
                    .findings
                    .iter()
                    .find(|f| {
                        f.severity == Severity::Critical
                            && !f.suppressed_by_scanner
                            && f.fix_available.is_none()
                            && f.score.is_none()
                    })
                    .expect("the amd64 finding as its scanner gave it");
                assert_eq!(plain.images.len(), 1);
            }
        }
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

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn equal_counts_with_zero_or_total_keys_and_other_case_agree() {
        let listed = counts(&[("MEDIUM", 1)]);
        let declared = counts(&[("medium", 1), ("HIGH", 0), ("TOTAL", 7)]);
        assert_eq!(CountCheck::of(&declared, &listed), CountCheck::default());
    }

    #[test]
    fn more_declared_than_listed_is_missing_and_fewer_is_surplus() {
        let listed = counts(&[("LOW", 1), ("MEDIUM", 3)]);
        let declared = counts(&[("CRITICAL", 40), ("LOW", 1), ("MEDIUM", 2)]);
        let check = CountCheck::of(&declared, &listed);
        assert_eq!(
            check.missing,
            vec![CountGap {
                severity: "CRITICAL".into(),
                declared: 40,
                listed: 0
            }]
        );
        assert_eq!(
            check.surplus,
            vec![CountGap {
                severity: "MEDIUM".into(),
                declared: 2,
                listed: 3
            }]
        );
        assert_eq!(
            check.missing[0].to_string(),
            "CRITICAL 40 declared, 0 listed"
        );
    }

    #[test]
    fn huge_declared_counts_do_not_overflow() {
        let declared = counts(&[("HIGH", u64::MAX), ("high", u64::MAX)]);
        let check = CountCheck::of(&declared, &BTreeMap::new());
        assert_eq!(check.missing[0].declared, u64::MAX);
    }

    #[test]
    fn merge_warns_only_about_the_surplus_direction() {
        let mut fewer = scan("sha256:a", "linux/amd64", vec![]);
        fewer.listed_counts = counts(&[("HIGH", 2)]);
        fewer.declared_counts = Some(counts(&[("HIGH", 1)]));
        let set = merge(vec![fewer]);
        assert_eq!(set.warnings.len(), 1, "{:?}", set.warnings);
        assert!(set.warnings[0].contains("HIGH 1 declared, 2 listed"));

        let mut more = scan("sha256:a", "linux/amd64", vec![]);
        more.listed_counts = counts(&[("HIGH", 1)]);
        more.declared_counts = Some(counts(&[("HIGH", 2)]));
        assert!(merge(vec![more]).warnings.is_empty());
        let none = scan("sha256:a", "linux/amd64", vec![]);
        assert_eq!(none.count_check(), CountCheck::default());
    }
}
