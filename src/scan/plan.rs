//! The scan plan: from the registry's scanning configuration and a repository name, what ECR will do
//! with an image and therefore what the gate must do (wait, start a basic scan, or give up). Pure; the
//! rules are those of `ecr.md` (ECR user guide, "Filters for image scanning").

use std::fmt;
use std::time::Duration;

use super::lifecycle::{BASIC_GRACE, ENHANCED_GRACE, Lifecycle};
use crate::findings::ScanType;
use crate::policy::wildcard;

/// How often a scanning rule scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    ScanOnPush,
    Continuous,
    Manual,
}

impl Frequency {
    pub fn parse(text: &str) -> Option<Frequency> {
        match text {
            "SCAN_ON_PUSH" => Some(Frequency::ScanOnPush),
            "CONTINUOUS_SCAN" => Some(Frequency::Continuous),
            "MANUAL" => Some(Frequency::Manual),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::ScanOnPush => "SCAN_ON_PUSH",
            Frequency::Continuous => "CONTINUOUS_SCAN",
            Frequency::Manual => "MANUAL",
        }
    }
}

/// One rule of the registry scanning configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRule {
    pub frequency: Frequency,
    /// Wildcard filters (`filterType: WILDCARD`).
    pub filters: Vec<String>,
}

/// The registry scanning configuration (`GetRegistryScanningConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    pub scan_type: ScanType,
    pub rules: Vec<ScanRule>,
}

impl Default for RegistryConfig {
    /// No configuration means basic scanning, manual only.
    fn default() -> Self {
        RegistryConfig {
            scan_type: ScanType::Basic,
            rules: Vec::new(),
        }
    }
}

/// Which rule covers a repository, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub scan_type: ScanType,
    /// The frequency that applies: `Manual` when no rule covers a basic-scanning repository.
    pub frequency: Frequency,
    /// The filter that matched, if any.
    pub filter: Option<String>,
    /// Under enhanced scanning, no filter matched: ECR does not scan the repository at all.
    pub not_scanned: bool,
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.scan_type.as_str();
        match (&self.filter, self.not_scanned) {
            (_, true) => write!(f, "{kind} scanning, but no filter matches: not scanned"),
            (Some(filter), _) => write!(
                f,
                "{kind} scanning, {} (filter `{filter}`)",
                self.frequency.as_str()
            ),
            (None, _) => write!(
                f,
                "{kind} scanning, {} (no filter matches)",
                self.frequency.as_str()
            ),
        }
    }
}

/// What the registry does with images of `repository`.
///
/// Under ENHANCED a continuous filter beats a scan-on-push one; under BASIC only scan-on-push filters
/// exist and no match means manual; under ENHANCED no match means the repository is not scanned.
pub fn coverage(config: &RegistryConfig, repository: &str) -> Coverage {
    let matching = |frequency: Frequency| {
        config
            .rules
            .iter()
            .filter(|rule| rule.frequency == frequency)
            .flat_map(|rule| rule.filters.iter())
            .find(|filter| wildcard::matches(filter, repository))
            .cloned()
    };
    match config.scan_type {
        ScanType::Basic => match matching(Frequency::ScanOnPush) {
            Some(filter) => Coverage {
                scan_type: ScanType::Basic,
                frequency: Frequency::ScanOnPush,
                filter: Some(filter),
                not_scanned: false,
            },
            None => Coverage {
                scan_type: ScanType::Basic,
                frequency: Frequency::Manual,
                filter: None,
                not_scanned: false,
            },
        },
        ScanType::Enhanced => {
            for frequency in [Frequency::Continuous, Frequency::ScanOnPush] {
                if let Some(filter) = matching(frequency) {
                    return Coverage {
                        scan_type: ScanType::Enhanced,
                        frequency,
                        filter: Some(filter),
                        not_scanned: false,
                    };
                }
            }
            Coverage {
                scan_type: ScanType::Enhanced,
                frequency: Frequency::Manual,
                filter: None,
                not_scanned: true,
            }
        }
    }
}

/// `--scan-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ScanMode {
    /// Decide from the registry configuration (or ECR's answers when it cannot be read).
    #[default]
    Auto,
    /// Start a basic scan (reading the existing one when ECR says a scan from the last 24 h exists).
    Start,
    /// Only wait for a scan that ECR runs by itself.
    Wait,
}

/// What the gate does first for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Start a basic scan, then wait for it.
    StartBasicScan,
    /// Wait for a scan ECR starts by itself; `grace_for_missing_scan` when the scan may not exist yet
    /// (scan-on-push right after a push).
    Wait { grace_for_missing_scan: bool },
    /// Read the result; if there is none, try starting a basic scan (configuration unknown).
    Probe,
    /// ECR will never scan this image: no verdict.
    NotScanned { why: String },
}

/// Decides the plan from the coverage (`None` when the configuration could not be read) and the mode.
pub fn plan(coverage: Option<&Coverage>, mode: ScanMode) -> Plan {
    match (mode, coverage) {
        (_, Some(c)) if c.scan_type == ScanType::Enhanced && c.not_scanned => Plan::NotScanned {
            why: "the registry uses enhanced scanning and no scanning filter matches this repository, \
                  so Amazon Inspector never scans it; add a filter (see `ecr-scan-gate doctor`)"
                .into(),
        },
        // NOTE: manual scans are not supported under enhanced scanning
        // (https://github.com/aws/containers-roadmap/issues/1605): never start one there.
        (_, Some(c)) if c.scan_type == ScanType::Enhanced => Plan::Wait {
            grace_for_missing_scan: true,
        },
        (ScanMode::Wait, Some(c)) => Plan::Wait {
            grace_for_missing_scan: c.frequency == Frequency::ScanOnPush,
        },
        (ScanMode::Wait, None) => Plan::Wait {
            grace_for_missing_scan: true,
        },
        (ScanMode::Start, _) => Plan::StartBasicScan,
        (ScanMode::Auto, Some(c)) if c.frequency == Frequency::ScanOnPush => Plan::Wait {
            grace_for_missing_scan: true,
        },
        (ScanMode::Auto, Some(_)) => Plan::StartBasicScan,
        (ScanMode::Auto, None) => Plan::Probe,
    }
}

/// How the wait for one image begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitStart {
    /// How long a scan that does not exist yet is waited for.
    pub grace: Duration,
    /// Whether the gate may start a basic scan when none comes.
    pub may_start: bool,
    /// Start a basic scan before the first poll.
    pub start_first: bool,
}

impl WaitStart {
    /// The lifecycle the wait runs.
    pub fn lifecycle(&self) -> Lifecycle {
        Lifecycle::new(self.grace, self.may_start)
    }
}

impl Plan {
    /// How the wait for each image begins under this plan; `Err(why)` when ECR will never scan it.
    /// `enhanced` when the registry is known to use enhanced scanning: Inspector scans by itself (up to
    /// [`ENHANCED_GRACE`] after a push) and refuses manual scans, so the gate never starts one there.
    pub fn wait_start(&self, enhanced: bool, mode: ScanMode) -> Result<WaitStart, &str> {
        let (grace, may_start, start_first) = match self {
            Plan::NotScanned { why } => return Err(why),
            Plan::StartBasicScan => (BASIC_GRACE, true, true),
            Plan::Wait {
                grace_for_missing_scan,
            } => {
                let grace = match (grace_for_missing_scan, enhanced) {
                    (false, _) => Duration::ZERO,
                    (true, true) => ENHANCED_GRACE,
                    (true, false) => BASIC_GRACE,
                };
                (grace, !enhanced && mode == ScanMode::Auto, false)
            }
            Plan::Probe => (Duration::ZERO, true, false),
        };
        Ok(WaitStart {
            grace,
            may_start,
            start_first,
        })
    }

    /// What the gate will do, for the log: `starting a basic scan`, ….
    pub fn describe(&self) -> &'static str {
        match self {
            Plan::StartBasicScan => "starting a basic scan",
            Plan::Wait {
                grace_for_missing_scan: true,
            } => "waiting for the scan ECR starts by itself",
            Plan::Wait {
                grace_for_missing_scan: false,
            } => "waiting for an existing scan",
            Plan::Probe => "reading the scan, starting a basic one if none exists",
            Plan::NotScanned { .. } => "ECR does not scan this repository",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(scan_type: ScanType, rules: &[(Frequency, &[&str])]) -> RegistryConfig {
        RegistryConfig {
            scan_type,
            rules: rules
                .iter()
                .map(|(frequency, filters)| ScanRule {
                    frequency: *frequency,
                    filters: filters.iter().map(|f| f.to_string()).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn no_configuration_is_basic_manual() {
        let c = coverage(&RegistryConfig::default(), "app");
        assert_eq!(
            (c.scan_type, c.frequency, c.not_scanned),
            (ScanType::Basic, Frequency::Manual, false)
        );
        assert_eq!(plan(Some(&c), ScanMode::Auto), Plan::StartBasicScan);
    }

    #[test]
    fn basic_scan_on_push_filter_means_wait_with_grace() {
        let cfg = config(ScanType::Basic, &[(Frequency::ScanOnPush, &["prod*"])]);
        let c = coverage(&cfg, "prod-api");
        assert_eq!(c.filter.as_deref(), Some("prod*"));
        assert_eq!(
            plan(Some(&c), ScanMode::Auto),
            Plan::Wait {
                grace_for_missing_scan: true
            }
        );
        let other = coverage(&cfg, "dev-api");
        assert_eq!(other.frequency, Frequency::Manual);
        assert_eq!(plan(Some(&other), ScanMode::Auto), Plan::StartBasicScan);
    }

    #[test]
    fn enhanced_continuous_beats_scan_on_push() {
        let cfg = config(
            ScanType::Enhanced,
            &[
                (Frequency::ScanOnPush, &["*"]),
                (Frequency::Continuous, &["prod"]),
            ],
        );
        assert_eq!(coverage(&cfg, "repo-prod").frequency, Frequency::Continuous);
        assert_eq!(coverage(&cfg, "dev").frequency, Frequency::ScanOnPush);
    }

    #[test]
    fn enhanced_without_a_matching_filter_is_not_scanned() {
        let cfg = config(ScanType::Enhanced, &[(Frequency::Continuous, &["prod*"])]);
        let c = coverage(&cfg, "dev");
        assert!(c.not_scanned);
        assert!(matches!(
            plan(Some(&c), ScanMode::Auto),
            Plan::NotScanned { .. }
        ));
        assert!(matches!(
            plan(Some(&c), ScanMode::Start),
            Plan::NotScanned { .. }
        ));
    }

    #[test]
    fn enhanced_never_starts_a_scan_even_when_asked() {
        let cfg = config(ScanType::Enhanced, &[(Frequency::ScanOnPush, &["*"])]);
        let c = coverage(&cfg, "app");
        assert_eq!(
            plan(Some(&c), ScanMode::Start),
            Plan::Wait {
                grace_for_missing_scan: true
            }
        );
    }

    #[test]
    fn unknown_configuration_probes_in_auto_and_obeys_explicit_modes() {
        assert_eq!(plan(None, ScanMode::Auto), Plan::Probe);
        assert_eq!(plan(None, ScanMode::Start), Plan::StartBasicScan);
        assert_eq!(
            plan(None, ScanMode::Wait),
            Plan::Wait {
                grace_for_missing_scan: true
            }
        );
    }

    /// The wildcard table of `ecr.md`, through the coverage function.
    #[test]
    fn wildcard_table_applies_to_coverage() {
        let repositories = [
            "prod",
            "repo-prod",
            "prod-repo",
            "repo-prod-repo",
            "prodrepo",
        ];
        let table: [(&str, [bool; 5]); 5] = [
            ("prod", [true, true, true, true, true]),
            ("*prod", [true, true, false, false, false]),
            ("prod*", [true, false, true, false, true]),
            ("*prod*", [true, true, true, true, true]),
            ("prod*repo", [false, false, true, false, true]),
        ];
        for (filter, expected) in table {
            let cfg = config(ScanType::Basic, &[(Frequency::ScanOnPush, &[filter])]);
            for (repository, want) in repositories.iter().zip(expected) {
                let c = coverage(&cfg, repository);
                assert_eq!(
                    c.frequency == Frequency::ScanOnPush,
                    want,
                    "{filter} vs {repository}"
                );
            }
        }
    }

    fn start(
        grace: Duration,
        may_start: bool,
        start_first: bool,
    ) -> Result<WaitStart, &'static str> {
        Ok(WaitStart {
            grace,
            may_start,
            start_first,
        })
    }

    #[test]
    fn a_basic_scan_is_started_first_and_may_be_started_again() {
        for enhanced in [false, true] {
            for mode in [ScanMode::Auto, ScanMode::Start, ScanMode::Wait] {
                assert_eq!(
                    Plan::StartBasicScan.wait_start(enhanced, mode),
                    start(BASIC_GRACE, true, true)
                );
            }
        }
    }

    #[test]
    fn waiting_gives_grace_only_for_a_scan_that_may_not_exist_yet() {
        let wait = |grace_for_missing_scan| Plan::Wait {
            grace_for_missing_scan,
        };
        assert_eq!(
            wait(true).wait_start(true, ScanMode::Auto),
            start(ENHANCED_GRACE, false, false)
        );
        assert_eq!(
            wait(true).wait_start(false, ScanMode::Auto),
            start(BASIC_GRACE, true, false)
        );
        assert_eq!(
            wait(false).wait_start(false, ScanMode::Auto),
            start(Duration::ZERO, true, false)
        );
        assert_eq!(
            wait(false).wait_start(true, ScanMode::Auto),
            start(Duration::ZERO, false, false)
        );
    }

    #[test]
    fn only_auto_mode_on_basic_scanning_may_start_a_scan_while_waiting() {
        let wait = Plan::Wait {
            grace_for_missing_scan: true,
        };
        assert_eq!(
            wait.wait_start(false, ScanMode::Wait),
            start(BASIC_GRACE, false, false)
        );
        assert_eq!(
            wait.wait_start(false, ScanMode::Start),
            start(BASIC_GRACE, false, false)
        );
    }

    #[test]
    fn a_probe_reads_first_and_may_start_at_once() {
        assert_eq!(
            Plan::Probe.wait_start(true, ScanMode::Auto),
            start(Duration::ZERO, true, false)
        );
    }

    #[test]
    fn an_image_ecr_never_scans_has_no_wait_and_says_why() {
        let plan = Plan::NotScanned {
            why: "no filter".into(),
        };
        assert_eq!(plan.wait_start(false, ScanMode::Auto), Err("no filter"));
        assert_eq!(plan.describe(), "ECR does not scan this repository");
    }
}
