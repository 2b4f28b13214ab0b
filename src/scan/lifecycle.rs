//! The scan lifecycle as a pure state machine: given what ECR just said about an image's scan, decide
//! the next step (poll again, start a scan, read the findings, or give up). The async loop in
//! [`super::wait`] feeds it observations and owns the clock; this module never sleeps or calls AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::findings::{ScanStatus, StatusClass};

/// How long enhanced severity counts must stay unchanged before they count as settled
/// (aws/aws-sdk#289: `COMPLETE`/`ACTIVE` can come before the findings are filled in).
pub const SETTLE_WINDOW: Duration = Duration::from_secs(10);

/// How long `ScanNotFoundException` is tolerated under basic scan-on-push (the scan may not have
/// started yet).
pub const BASIC_GRACE: Duration = Duration::from_secs(30);

/// How long `ScanNotFoundException` is tolerated under enhanced scanning (Inspector registers new
/// images with a delay).
pub const ENHANCED_GRACE: Duration = Duration::from_secs(180);

/// What one `DescribeImageScanFindings` call said.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// A scan exists.
    Scan {
        status: ScanStatus,
        /// `findingSeverityCounts` (vendor severity → count), if present.
        counts: Option<BTreeMap<String, u64>>,
        /// Findings listed on the first page.
        listed: usize,
        /// `imageScanCompletedAt` was present.
        has_completion_time: bool,
        /// The response carried enhanced findings (or the status is enhanced-only).
        enhanced: bool,
        /// ECR's status description (why a scan failed).
        description: Option<String>,
    },
    /// `ScanNotFoundException`.
    ScanNotFound,
    /// No usable answer: ECR throttled the call, failed with a server error, or did not answer. Says
    /// nothing about the scan: poll again later. The text says what ECR has been doing ("ECR kept
    /// throttling DescribeImageScanFindings (ThrottlingException, 3 times)").
    Unavailable(String),
}

/// What to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Ask again after the next delay of the schedule.
    Poll,
    /// Start a basic scan (`StartImageScan`), then poll.
    StartScan,
    /// The scan is final and settled: read every page.
    Read,
    /// No verdict can come from this scan (exit 3).
    GiveUp(String),
}

/// A final enhanced result seen unchanged since `since`.
#[derive(Debug, Clone, PartialEq)]
struct Settling {
    counts: Option<BTreeMap<String, u64>>,
    listed: usize,
    since: Duration,
}

/// The lifecycle's memory between observations.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    /// How long a missing scan is tolerated before acting.
    grace: Duration,
    /// Whether the gate may start a basic scan when none appears (basic scanning only).
    may_start: bool,
    /// The gate started a scan (or learnt that one exists).
    started: bool,
    /// When the current grace period began.
    grace_from: Duration,
    /// The counts of the last final observation and when they were first seen.
    settling: Option<Settling>,
    /// The last status seen, for timeout messages.
    last_status: Option<String>,
    /// Why the latest poll had no usable answer, until one has.
    unavailable: Option<String>,
}

impl Lifecycle {
    /// A lifecycle for waiting. `grace`: how long a missing scan is tolerated; `may_start`: whether a
    /// basic scan may be started when no scan appears.
    pub fn new(grace: Duration, may_start: bool) -> Lifecycle {
        Lifecycle {
            grace,
            may_start,
            started: false,
            grace_from: Duration::ZERO,
            settling: None,
            last_status: None,
            unavailable: None,
        }
    }

    /// Records that the gate started a scan (or ECR said one from the last 24 h exists) `at` this
    /// time since waiting began; a missing scan is tolerated for another grace period from then.
    pub fn scan_started(&mut self, at: Duration) {
        self.started = true;
        self.grace_from = at;
    }

    /// Records that ECR refused to start a scan `at` this time (enhanced scanning, or an image type it
    /// cannot scan): no more starts, and a missing scan is tolerated for `grace` from then.
    pub fn start_refused(&mut self, at: Duration, grace: Duration) {
        self.may_start = false;
        self.grace_from = at;
        self.grace = grace;
    }

    /// The last status seen, for progress and timeout messages.
    pub fn last_status(&self) -> Option<&str> {
        self.last_status.as_deref()
    }

    /// Why the latest poll had no usable answer (throttling, a server error, no answer), if it had
    /// none.
    pub fn unavailable(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    /// The scan has a final status and only settles (enhanced results) before it is read.
    pub fn settling(&self) -> bool {
        self.settling.is_some()
    }

    /// Decides the next step from an observation made `elapsed` after waiting began.
    pub fn next_step(&mut self, observation: &Observation, elapsed: Duration) -> Step {
        self.unavailable = None;
        match observation {
            Observation::Unavailable(why) => {
                // Nothing was learnt about the scan: grace periods and settling go on as they were.
                self.unavailable = Some(why.clone());
                Step::Poll
            }
            Observation::ScanNotFound => {
                self.last_status = Some("no scan yet".into());
                self.settling = None;
                let since = elapsed.saturating_sub(self.grace_from);
                if since < self.grace {
                    Step::Poll
                } else if self.may_start && !self.started {
                    Step::StartScan
                } else if self.started {
                    Step::GiveUp(format!(
                        "ECR still reports no scan for the image {}s after a scan was started",
                        since.as_secs()
                    ))
                } else {
                    Step::GiveUp(
                        "ECR has no scan for the image and none was started: no scanning rule covers \
                         it (run `ecr-scan-gate doctor`), or the registry changed scan type after the \
                         push"
                            .into(),
                    )
                }
            }
            Observation::Scan {
                status,
                counts,
                listed,
                has_completion_time,
                enhanced,
                description,
            } => {
                self.last_status = Some(status.to_string());
                match status.class() {
                    StatusClass::Running => {
                        self.settling = None;
                        Step::Poll
                    }
                    StatusClass::Unusable => {
                        let mut reason = format!("status {status}: {}", status.explain());
                        if let Some(description) = description {
                            reason.push_str(&format!(" (ECR says: {description})"));
                        }
                        Step::GiveUp(reason)
                    }
                    StatusClass::Final => {
                        let enhanced = *enhanced || *status == ScanStatus::Active;
                        // NOTE: a finished basic scan always carries imageScanCompletedAt. A final
                        // status with nothing in it, not even a completion time, is the early COMPLETE
                        // of enhanced scanning (aws/aws-sdk#289) whenever the gate could not tell the
                        // registry is enhanced (configuration unreadable): watch it settle.
                        let unfilled = *listed == 0
                            && counts.as_ref().is_none_or(|c| c.values().all(|n| *n == 0))
                            && !*has_completion_time;
                        if !enhanced && !unfilled {
                            return Step::Read;
                        }
                        self.settle(counts, *listed, *has_completion_time, elapsed)
                    }
                }
            }
        }
    }

    /// Enhanced results are read once the counts have stayed the same for [`SETTLE_WINDOW`].
    fn settle(
        &mut self,
        counts: &Option<BTreeMap<String, u64>>,
        listed: usize,
        has_completion_time: bool,
        elapsed: Duration,
    ) -> Step {
        let counts = counts.clone().filter(|c| c.values().any(|n| *n > 0));
        match &self.settling {
            Some(Settling {
                counts: seen,
                listed: seen_listed,
                since,
            }) if *seen == counts && *seen_listed == listed => {
                let empty = counts.is_none() && listed == 0 && !has_completion_time;
                if elapsed.saturating_sub(*since) >= SETTLE_WINDOW && !empty {
                    Step::Read
                } else if empty && elapsed.saturating_sub(*since) >= SETTLE_WINDOW * 3 {
                    // An empty enhanced result that stays empty is a clean image.
                    Step::Read
                } else {
                    Step::Poll
                }
            }
            _ => {
                self.settling = Some(Settling {
                    counts,
                    listed,
                    since: elapsed,
                });
                Step::Poll
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(status: &str, counts: &[(&str, u64)], enhanced: bool) -> Observation {
        Observation::Scan {
            status: ScanStatus::parse(status),
            counts: (!counts.is_empty())
                .then(|| counts.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
            listed: counts.iter().map(|(_, v)| *v as usize).sum(),
            has_completion_time: true,
            enhanced,
            description: None,
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn an_empty_final_result_without_completion_time_settles_even_if_not_known_enhanced() {
        let mut life = Lifecycle::new(Duration::ZERO, true);
        let empty = Observation::Scan {
            status: ScanStatus::parse("COMPLETE"),
            counts: None,
            listed: 0,
            has_completion_time: false,
            enhanced: false,
            description: None,
        };
        assert_eq!(life.next_step(&empty, S(0)), Step::Poll);
        assert_eq!(life.next_step(&empty, S(15)), Step::Poll);
        assert_eq!(life.next_step(&empty, S(31)), Step::Read);
        // With a completion time, a basic result is read at once.
        let mut life = Lifecycle::new(Duration::ZERO, true);
        let finished = Observation::Scan {
            status: ScanStatus::parse("COMPLETE"),
            counts: None,
            listed: 0,
            has_completion_time: true,
            enhanced: false,
            description: None,
        };
        assert_eq!(life.next_step(&finished, S(0)), Step::Read);
    }

    #[test]
    fn basic_in_progress_then_complete_reads_at_once() {
        let mut life = Lifecycle::new(BASIC_GRACE, true);
        assert_eq!(
            life.next_step(&scan("IN_PROGRESS", &[], false), S(0)),
            Step::Poll
        );
        assert_eq!(
            life.next_step(&scan("COMPLETE", &[("HIGH", 2)], false), S(5)),
            Step::Read
        );
    }

    #[test]
    fn enhanced_active_waits_until_counts_stop_growing() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        assert_eq!(
            life.next_step(&scan("PENDING", &[], true), S(0)),
            Step::Poll
        );
        assert_eq!(
            life.next_step(&scan("ACTIVE", &[("HIGH", 1)], true), S(5)),
            Step::Poll
        );
        assert_eq!(
            life.next_step(&scan("ACTIVE", &[("HIGH", 3)], true), S(10)),
            Step::Poll
        );
        assert_eq!(
            life.next_step(&scan("ACTIVE", &[("HIGH", 3)], true), S(15)),
            Step::Poll
        );
        assert_eq!(
            life.next_step(&scan("ACTIVE", &[("HIGH", 3)], true), S(20)),
            Step::Read
        );
    }

    #[test]
    fn every_unusable_status_gives_up_with_its_reason() {
        for status in [
            "FAILED",
            "UNSUPPORTED_IMAGE",
            "SCAN_ELIGIBILITY_EXPIRED",
            "FINDINGS_UNAVAILABLE",
            "LIMIT_EXCEEDED",
            "IMAGE_ARCHIVED",
            "IMAGE_SIZE_EXCEEDED",
            "SOMETHING_NEW",
        ] {
            let mut life = Lifecycle::new(BASIC_GRACE, true);
            match life.next_step(&scan(status, &[], false), S(1)) {
                Step::GiveUp(reason) => assert!(reason.contains(status), "{reason}"),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn missing_scan_is_tolerated_for_the_grace_then_started_once() {
        let mut life = Lifecycle::new(BASIC_GRACE, true);
        assert_eq!(
            life.next_step(&Observation::ScanNotFound, S(10)),
            Step::Poll
        );
        assert_eq!(
            life.next_step(&Observation::ScanNotFound, S(31)),
            Step::StartScan
        );
        life.scan_started(S(31));
        assert_eq!(
            life.next_step(&Observation::ScanNotFound, S(40)),
            Step::Poll
        );
        assert!(matches!(
            life.next_step(&Observation::ScanNotFound, S(62)),
            Step::GiveUp(_)
        ));
    }

    #[test]
    fn missing_enhanced_scan_is_never_started() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        assert_eq!(
            life.next_step(&Observation::ScanNotFound, S(100)),
            Step::Poll
        );
        assert!(matches!(
            life.next_step(&Observation::ScanNotFound, S(181)),
            Step::GiveUp(_)
        ));
    }

    fn unavailable() -> Observation {
        Observation::Unavailable("ECR throttled DescribeImageScanFindings".into())
    }

    #[test]
    fn an_unavailable_poll_is_poll_again_and_remembered_until_a_real_answer() {
        let mut life = Lifecycle::new(BASIC_GRACE, true);
        assert_eq!(
            life.next_step(&scan("IN_PROGRESS", &[], false), S(0)),
            Step::Poll
        );
        assert_eq!(life.unavailable(), None);
        assert_eq!(life.next_step(&unavailable(), S(5)), Step::Poll);
        assert_eq!(
            life.unavailable(),
            Some("ECR throttled DescribeImageScanFindings")
        );
        assert_eq!(
            life.last_status(),
            Some("IN_PROGRESS"),
            "the scan's state stays"
        );
        assert_eq!(
            life.next_step(&scan("COMPLETE", &[], false), S(10)),
            Step::Read
        );
        assert_eq!(life.unavailable(), None);
    }

    #[test]
    fn unavailable_polls_neither_restart_nor_end_a_settle_window() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        let active = scan("ACTIVE", &[("HIGH", 2)], true);
        assert_eq!(life.next_step(&active, S(0)), Step::Poll);
        assert_eq!(life.next_step(&unavailable(), S(5)), Step::Poll);
        assert_eq!(life.next_step(&unavailable(), S(11)), Step::Poll);
        // Settled since 0 s: read at the first real answer after the window.
        assert_eq!(life.next_step(&active, S(12)), Step::Read);
    }

    #[test]
    fn unavailable_polls_do_not_stretch_the_grace_for_a_missing_scan() {
        let mut life = Lifecycle::new(BASIC_GRACE, true);
        assert_eq!(life.next_step(&Observation::ScanNotFound, S(0)), Step::Poll);
        assert_eq!(life.next_step(&unavailable(), S(20)), Step::Poll);
        assert_eq!(life.next_step(&unavailable(), S(40)), Step::Poll);
        assert_eq!(
            life.next_step(&Observation::ScanNotFound, S(41)),
            Step::StartScan
        );
    }

    fn enhanced(counts: &[(&str, u64)], listed: usize, has_completion_time: bool) -> Observation {
        Observation::Scan {
            status: ScanStatus::Active,
            counts: Some(counts.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
            listed,
            has_completion_time,
            enhanced: true,
            description: None,
        }
    }

    #[test]
    fn all_zero_counts_are_no_counts_so_an_empty_result_waits_three_windows() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        let zeros = enhanced(&[("HIGH", 0), ("LOW", 0)], 0, false);
        assert_eq!(life.next_step(&zeros, S(0)), Step::Poll);
        assert_eq!(life.next_step(&zeros, S(15)), Step::Poll);
        assert_eq!(life.next_step(&zeros, S(31)), Step::Read);
    }

    #[test]
    fn counts_alone_are_a_result_that_settles_in_one_window() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        let counted = enhanced(&[("HIGH", 2)], 0, false);
        assert_eq!(life.next_step(&counted, S(0)), Step::Poll);
        assert_eq!(life.next_step(&counted, S(11)), Step::Read);
    }

    #[test]
    fn listed_findings_without_counts_are_a_result_that_settles_in_one_window() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        let listed = Observation::Scan {
            status: ScanStatus::Active,
            counts: None,
            listed: 2,
            has_completion_time: false,
            enhanced: true,
            description: None,
        };
        assert_eq!(life.next_step(&listed, S(0)), Step::Poll);
        assert_eq!(life.next_step(&listed, S(11)), Step::Read);
    }

    #[test]
    fn a_change_in_listed_findings_restarts_the_settle_window() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        let two = enhanced(&[("HIGH", 3)], 2, true);
        let three = enhanced(&[("HIGH", 3)], 3, true);
        assert_eq!(life.next_step(&two, S(0)), Step::Poll);
        assert_eq!(life.next_step(&three, S(11)), Step::Poll);
        assert_eq!(life.next_step(&three, S(22)), Step::Read);
    }

    #[test]
    fn a_refused_start_waits_its_own_grace_and_never_starts_again() {
        let mut life = Lifecycle::new(BASIC_GRACE, true);
        life.start_refused(S(5), ENHANCED_GRACE);
        assert_eq!(
            life.next_step(&Observation::ScanNotFound, S(100)),
            Step::Poll
        );
        assert!(matches!(
            life.next_step(&Observation::ScanNotFound, S(185)),
            Step::GiveUp(_)
        ));
    }

    #[test]
    fn the_grace_for_a_missing_scan_ends_exactly_at_its_length() {
        let mut life = Lifecycle::new(BASIC_GRACE, true);
        assert_eq!(life.next_step(&Observation::ScanNotFound, S(0)), Step::Poll);
        assert_eq!(
            life.next_step(&Observation::ScanNotFound, BASIC_GRACE),
            Step::StartScan
        );
    }

    #[test]
    fn enhanced_complete_but_empty_waits_longer_before_calling_it_clean() {
        let mut life = Lifecycle::new(ENHANCED_GRACE, false);
        let empty = Observation::Scan {
            status: ScanStatus::Complete,
            counts: None,
            listed: 0,
            has_completion_time: false,
            enhanced: true,
            description: None,
        };
        assert_eq!(life.next_step(&empty, S(0)), Step::Poll);
        assert_eq!(life.next_step(&empty, S(15)), Step::Poll);
        assert_eq!(life.next_step(&empty, S(31)), Step::Read);
    }
}
