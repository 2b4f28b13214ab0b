//! Benchmark: what a multi-platform image costs over one scan. The real release binary gates an image
//! index of 1, 3 and 6 platforms against the scripted ECR stand-in (`tests/cli/ecr_stub.rs`, in this
//! process), in two registries:
//!
//! - `manual`: basic scanning, no scan-on-push rule. The gate starts each platform's scan, which reports
//!   `IN_PROGRESS` until `PLATFORMS_BENCH_SCAN` seconds after its own `StartImageScan` and `COMPLETE`
//!   after (`ScanNotFoundException` before the start).
//! - `on-push`: basic scan-on-push. The "push" is the moment the gate is launched: each platform's scan
//!   is not found for its first second, runs, and is `COMPLETE` `PLATFORMS_BENCH_SCAN` seconds after the
//!   push.
//!
//! Printed per scenario and platform count: the gate overhead = wall time − the scan's duration (median,
//! min and max of the runs; wall time from launching the binary to its exit), and the
//! `DescribeImageScanFindings` and `StartImageScan` calls per platform (median). Every run must pass with
//! every platform's image in its report, else this exits 1. The target: at most 1.5 s of overhead for 3
//! platforms with 15 s manual scans (PASS/MISS). A benchmark, not a timed test: nothing here runs under
//! `cargo test`.
//!
//! Run: `cargo bench --bench platforms` (or `scripts/bench`), about 5 minutes. Knobs:
//! `PLATFORMS_BENCH_SCAN` (seconds, 15; e.g. 5 for a quick run), `PLATFORMS_BENCH_RUNS` (3),
//! `PLATFORMS_BENCH_COUNTS` (`1,3,6`), `PLATFORMS_BENCH_BIN` (another build of the binary, e.g. main's
//! `target/release/ecr-scan-gate` for a before/after).

// A benchmark prints its numbers, and a failed setup may panic.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

// The stand-in's own tests come along (compiled, never run here).
mod support;

#[path = "../tests/cli/ecr_stub.rs"]
#[allow(unused_imports)]
mod ecr_stub;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{knob, median};

use ecr_stub::{
    Action, EcrStub, Manifest, Request, ScanPage, basic_finding, batch_get_image, platform_index,
    registry_scanning, rule, start_image_scan,
};

const CONFIG: &str = "GetRegistryScanningConfiguration";
const BATCH_GET: &str = "BatchGetImage";
const START: &str = "StartImageScan";
const DESCRIBE: &str = "DescribeImageScanFindings";
const REPOSITORY: &str = "app";
const TAG: &str = "multi";
/// Under scan-on-push, how long after the push a platform's scan is not found yet.
const ON_PUSH_NOT_FOUND: Duration = Duration::from_secs(1);
/// The target overhead for 3 platforms with manual scans.
const TARGET: Duration = Duration::from_millis(1500);

const PLATFORMS: [(&str, Option<&str>); 6] = [
    ("amd64", None),
    ("arm64", Some("v8")),
    ("ppc64le", None),
    ("s390x", None),
    ("386", None),
    ("arm", Some("v7")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Manual,
    OnPush,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Manual => "manual",
            Scenario::OnPush => "on-push",
        }
    }
}

/// An index of `count` platform images.
fn index(count: usize) -> (Manifest, Vec<Manifest>) {
    platform_index("bench", &PLATFORMS[..count])
}

/// Scripts the stand-in for one run; under scan-on-push the push is now.
fn script(
    stub: &EcrStub,
    scenario: Scenario,
    images: &[Manifest],
    index: &Manifest,
    scan: Duration,
) {
    let rules = match scenario {
        Scenario::Manual => Vec::new(),
        Scenario::OnPush => vec![rule("SCAN_ON_PUSH", &["*"])],
    };
    stub.on(
        CONFIG,
        vec![Action::json(registry_scanning("BASIC", rules))],
    );
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image(REPOSITORY, Some(TAG), index))],
    );
    // When each platform's scan began, by digest: its StartImageScan, or the push.
    let began: Arc<Mutex<BTreeMap<String, Duration>>> = Arc::default();
    if scenario == Scenario::OnPush {
        let push = stub.elapsed();
        let mut began = began.lock().unwrap();
        for image in images {
            began.insert(image.digest.clone(), push);
        }
    }
    {
        let began = Arc::clone(&began);
        stub.on_fn(
            START,
            |_| true,
            move |request: &Request| {
                let digest = request.digest().unwrap_or_default().to_string();
                let mut began = began.lock().unwrap();
                if began.contains_key(&digest) {
                    return Action::scan_limit_exceeded();
                }
                began.insert(digest.clone(), request.at);
                Action::json(start_image_scan(REPOSITORY, &digest))
            },
        );
    }
    for image in images {
        let (digest, wanted) = (image.digest.clone(), image.digest.clone());
        let complete = ScanPage::new(REPOSITORY, &digest, "COMPLETE")
            .tag(TAG)
            .basic(vec![basic_finding(
                "CVE-2026-0001",
                "LOW",
                "tar",
                "1.34+dfsg-1.2",
                None,
            )])
            .counts(&[("LOW", 1)])
            .action();
        let began = Arc::clone(&began);
        stub.on_fn(
            DESCRIBE,
            move |body| body["imageId"]["imageDigest"].as_str() == Some(wanted.as_str()),
            move |request: &Request| {
                let not_yet = match scenario {
                    Scenario::Manual => Duration::ZERO,
                    Scenario::OnPush => ON_PUSH_NOT_FOUND,
                };
                match began.lock().unwrap().get(&digest) {
                    Some(at) if request.at >= *at + scan => complete.clone(),
                    Some(at) if request.at >= *at + not_yet => {
                        ScanPage::new(REPOSITORY, &digest, "IN_PROGRESS").action()
                    }
                    _ => Action::scan_not_found(REPOSITORY, &digest),
                }
            },
        );
    }
}

/// One gate run: its wall time and calls per platform.
struct Run {
    wall: Duration,
    describes: f64,
    starts: f64,
}

fn run_once(
    binary: &Path,
    scenario: Scenario,
    count: usize,
    scan: Duration,
) -> Result<Run, String> {
    let stub = EcrStub::start();
    let (index, images) = index(count);
    let work = tempfile::tempdir().expect("tempdir");
    let report = work.path().join("report.json");
    let stderr = work.path().join("stderr");
    let mut command = Command::new(binary);
    command
        .args([
            "scan",
            &format!("{REPOSITORY}:{TAG}"),
            "--timeout",
            &format!("{}s", scan.as_secs() * 4 + 30),
            "--today",
            "2026-11-28",
            "--json",
        ])
        .arg(&report)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(stub.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).expect("stderr file"));
    script(&stub, scenario, &images, &index, scan);
    let began = Instant::now();
    let status = command.status().expect("run the gate");
    let wall = began.elapsed();
    let log = || std::fs::read_to_string(&stderr).unwrap_or_default();
    if status.code() != Some(0) {
        return Err(format!("exit {:?}: {}", status.code(), log()));
    }
    let report: Value = serde_json::from_slice(&std::fs::read(&report).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let judged = report["images"].as_array().map_or(0, Vec::len);
    if judged != count {
        return Err(format!("{judged} image(s) in the report, expected {count}"));
    }
    Ok(Run {
        wall,
        describes: stub.count(DESCRIBE) as f64 / count as f64,
        starts: stub.count(START) as f64 / count as f64,
    })
}

fn main() -> ExitCode {
    let scan = Duration::from_secs(knob("PLATFORMS_BENCH_SCAN", 15) as u64);
    let runs = knob("PLATFORMS_BENCH_RUNS", 3).max(1);
    let counts: Vec<usize> = std::env::var("PLATFORMS_BENCH_COUNTS")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|c| c.trim().parse().ok())
                .filter(|c| (1..=PLATFORMS.len()).contains(c))
                .collect()
        })
        .unwrap_or_else(|| vec![1, 3, 6]);
    let binary = std::env::var_os("PLATFORMS_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ecr-scan-gate")));
    println!(
        "scans of {}s, {runs} run(s) each; binary: {}",
        scan.as_secs(),
        binary.display()
    );
    println!(
        "\n{:>8} {:>9} | {:>9} | {:>9} {:>7} {:>7} | {:>14} {:>11}",
        "scenario", "platforms", "wall", "overhead", "min", "max", "Describe/plat.", "Start/plat."
    );
    let mut failures = Vec::new();
    let mut verdict = None;
    for scenario in [Scenario::Manual, Scenario::OnPush] {
        for &count in &counts {
            let mut done = Vec::new();
            for _ in 0..runs {
                match run_once(&binary, scenario, count, scan) {
                    Ok(run) => done.push(run),
                    Err(why) => failures.push(format!("{} ×{count}: {why}", scenario.name())),
                }
            }
            if done.is_empty() {
                continue;
            }
            let overheads: Vec<f64> = done
                .iter()
                .map(|r| r.wall.as_secs_f64() - scan.as_secs_f64())
                .collect();
            let overhead = median(overheads.clone());
            println!(
                "{:>8} {:>9} | {:>8.2}s | {:>8.2}s {:>6.2}s {:>6.2}s | {:>14.1} {:>11.1}",
                scenario.name(),
                count,
                median(done.iter().map(|r| r.wall.as_secs_f64()).collect()),
                overhead,
                overheads.iter().copied().fold(f64::INFINITY, f64::min),
                overheads.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                median(done.iter().map(|r| r.describes).collect()),
                median(done.iter().map(|r| r.starts).collect()),
            );
            if scenario == Scenario::Manual && count == 3 {
                verdict = Some(overhead);
            }
        }
    }
    if let Some(overhead) = verdict {
        println!(
            "\ntarget: overhead ≤ {:.1}s for 3 platforms with manual scans of {}s: {:.2}s {}",
            TARGET.as_secs_f64(),
            scan.as_secs(),
            overhead,
            if overhead <= TARGET.as_secs_f64() {
                "PASS"
            } else {
                "MISS"
            }
        );
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("{} run(s) WRONG:", failures.len());
        for failure in &failures {
            println!("  {failure}");
        }
        ExitCode::FAILURE
    }
}
