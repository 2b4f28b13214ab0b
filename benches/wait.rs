//! Benchmark: how fast the gate notices a finished scan, and at what cost in API calls, next to the AWS
//! CLI waiter `aws ecr wait image-scan-complete` (a fixed 5 s poll).
//!
//! Time is compressed with tokio's paused clock: the real wait loop (`scan::wait::wait_for_scan`, the
//! real schedule and lifecycle) runs against a simulated scan that reports `IN_PROGRESS` until its
//! completion time and `COMPLETE` after. For each nominal duration D the completion time is drawn
//! uniformly from [D - 2.5 s, D + 2.5 s]: one whole period of the waiter, so neither side gains from a
//! lucky phase (a scan finishing exactly on a multiple of 5 s would give the waiter zero lag).
//!
//! Run: `cargo bench --bench wait` (or `scripts/bench`).

// A benchmark prints its numbers, and a failed setup may panic.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::time::Duration;

use ecr_scan_gate::findings::ScanStatus;
use ecr_scan_gate::scan::lifecycle::{BASIC_GRACE, Lifecycle, Observation};
use ecr_scan_gate::scan::wait::{ScanApi, StartOutcome, Waited, wait_for_scan};
use tokio::time::Instant;

const DURATIONS: [u64; 4] = [5, 20, 60, 180];
const TRIALS: usize = 400;
const WAITER_DELAY: f64 = 5.0;

struct SimulatedScan {
    began: Instant,
    completes_after: Duration,
    polls: Cell<usize>,
    seen_complete_at: Cell<Option<Duration>>,
}

impl ScanApi for SimulatedScan {
    type Page = ();
    type Error = String;

    async fn poll(&self) -> Result<(Observation, Option<()>), String> {
        self.polls.set(self.polls.get() + 1);
        let now = self.began.elapsed();
        let done = now >= self.completes_after;
        if done && self.seen_complete_at.get().is_none() {
            self.seen_complete_at.set(Some(now));
        }
        let status = if done { "COMPLETE" } else { "IN_PROGRESS" };
        Ok((
            Observation::Scan {
                status: ScanStatus::parse(status),
                counts: None,
                listed: 0,
                has_completion_time: done,
                enhanced: false,
                description: None,
            },
            Some(()),
        ))
    }

    async fn start(&self) -> Result<StartOutcome, String> {
        Ok(StartOutcome::Started)
    }
}

/// A small deterministic generator for completion times.
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The AWS CLI waiter: a call at 0 s, then every 5 s until `COMPLETE`.
fn waiter(completes_after: f64) -> (f64, f64) {
    let polls_after_first = (completes_after / WAITER_DELAY).ceil();
    let seen_at = polls_after_first * WAITER_DELAY;
    (seen_at - completes_after, polls_after_first + 1.0)
}

async fn ours(completes_after: Duration) -> (f64, f64) {
    let scan = SimulatedScan {
        began: Instant::now(),
        completes_after,
        polls: Cell::new(0),
        seen_complete_at: Cell::new(None),
    };
    let waited = wait_for_scan(
        &scan,
        Lifecycle::new(BASIC_GRACE, true),
        Duration::from_secs(900),
        true,
        |_| {},
    )
    .await
    .expect("simulated calls never fail");
    assert!(
        matches!(waited, Waited::Ready(())),
        "the simulated scan completes"
    );
    let seen = scan.seen_complete_at.get().expect("completion observed");
    (
        (seen - completes_after).as_secs_f64(),
        scan.polls.get() as f64,
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let mut rng = Lcg(0x5eed);
    println!(
        "scan completion → verdict lag and DescribeImageScanFindings calls, {TRIALS} trials per duration \
         (completion uniform in [D - 2.5 s, D + 2.5 s])"
    );
    println!(
        "{:>6} | {:>14} {:>14} | {:>12} {:>12} {:>11} | targets",
        "D (s)", "lag ours p50", "lag waiter p50", "calls ours", "calls waiter", "calls ratio",
    );
    let mut all_met = true;
    for duration in DURATIONS {
        let mut our_lags = Vec::new();
        let mut our_calls = Vec::new();
        let mut waiter_lags = Vec::new();
        let mut waiter_calls = Vec::new();
        for _ in 0..TRIALS {
            let completes_after = duration as f64 - 2.5 + 5.0 * rng.unit();
            let (lag, calls) = runtime.block_on(ours(Duration::from_secs_f64(completes_after)));
            our_lags.push(lag);
            our_calls.push(calls);
            let (lag, calls) = waiter(completes_after);
            waiter_lags.push(lag);
            waiter_calls.push(calls);
        }
        let (ours_lag, waiter_lag) = (median(&mut our_lags), median(&mut waiter_lags));
        let (ours_calls, waiter_calls) = (mean(&our_calls), mean(&waiter_calls));
        let ratio = ours_calls / waiter_calls;
        let met = ours_lag < waiter_lag && ratio <= 1.5;
        all_met &= met;
        println!(
            "{duration:>6} | {ours_lag:>12.2} s {waiter_lag:>12.2} s | {ours_calls:>12.1} {waiter_calls:>12.1} {ratio:>10.2}× | {}",
            if met {
                "MET (lower lag, ≤ 1.5× calls)"
            } else {
                "MISSED"
            }
        );
    }
    println!("all targets {}", if all_met { "met" } else { "NOT met" });
}
