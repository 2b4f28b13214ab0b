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
    exploit_available: Option<bool>,
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
            exploit_available: finding.exploit_available,
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
