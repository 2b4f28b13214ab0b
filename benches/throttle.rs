//! Load test: a matrix of gates sharing one account's ECR API quota. `THROTTLE_BENCH_GATES` (30) real
//! `ecr-scan-gate scan` processes start at once against the scripted ECR stand-in
//! (`tests/cli/ecr_stub.rs`, in this process), whose every operation sits behind a token bucket
//! shared by all of them, as ECR's per-operation TPS quotas are shared by every client of an account
//! and region; a request beyond it is answered `ThrottlingException`. The limits are set below the
//! gates' demand, so they are throttled from the first call: 30 `BatchGetImage` and 30
//! `GetRegistryScanningConfiguration` at once against 4 a second, `StartImageScan` at 2 a second, and
//! ~8 polls a second against 5 `DescribeImageScanFindings` a second.
//!
//! Each gate has its own repository and image, a scan of 10–40 s, and a known verdict: every third
//! fails (a HIGH finding), the others pass (a LOW one). Half the repositories are scanned on push (the
//! scan runs from the gate's first poll), the other half manually (the scan runs from the gate's
//! `StartImageScan`, `ScanNotFoundException` before); every fourth image has a second page of findings.
//! The stub tells the gates apart by their access key ids.
//!
//! Printed: per gate its verdict and exit code against the expected ones, its wall time, the lag from
//! scan completion to exit, and its calls (all, throttled, per operation); then the total wall time and
//! the calls in all. Every gate must reach its correct verdict inside its timeout, else this exits 1.
//! A benchmark, not a timed test: nothing here runs under `cargo test`.
//!
//! Run: `cargo bench --bench throttle` (or `scripts/bench`). Knobs: `THROTTLE_BENCH_GATES` (30),
//! `THROTTLE_BENCH_TIMEOUT` (seconds, 150), `THROTTLE_BENCH_DESCRIBE_TPS` (5),
//! `THROTTLE_BENCH_BIN` (another build of the binary, e.g. `target/debug/ecr-scan-gate`).

// A benchmark prints its numbers, and a failed setup may panic.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

// The stand-in's own tests come along (compiled, never run here).
mod support;

#[path = "../tests/cli/ecr_stub.rs"]
#[allow(unused_imports)]
mod ecr_stub;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{knob, median};

use ecr_stub::{
    Action, EcrStub, Flavour, Request, ScanPage, basic_finding, batch_get_image, image_manifest,
    registry_scanning, rule, start_image_scan,
};

const BATCH_GET: &str = "BatchGetImage";
const CONFIG: &str = "GetRegistryScanningConfiguration";
const START: &str = "StartImageScan";
const DESCRIBE: &str = "DescribeImageScanFindings";
const OPERATIONS: [&str; 4] = [BATCH_GET, CONFIG, START, DESCRIBE];

/// One gate of the matrix and what it must conclude.
struct Gate {
    index: usize,
    repository: String,
    digest: String,
    /// How long its scan runs once started.
    scan: Duration,
    on_push: bool,
    pages: usize,
    fails: bool,
}

impl Gate {
    fn new(index: usize) -> Gate {
        let on_push = index.is_multiple_of(2);
        let repository = format!(
            "{}/svc-{index:02}",
            if on_push { "onpush" } else { "manual" }
        );
        let manifest = image_manifest(Flavour::Oci, &repository);
        Gate {
            index,
            digest: manifest.digest,
            repository,
            scan: Duration::from_secs(10 + (index as u64 * 7) % 31),
            on_push,
            pages: if index % 4 == 3 { 2 } else { 1 },
            fails: index.is_multiple_of(3),
        }
    }

    fn access_key(&self) -> String {
        format!("GATE{:02}", self.index)
    }

    fn expected_exit(&self) -> i32 {
        i32::from(self.fails)
    }

    fn finding(&self, page: usize) -> Value {
        let cve = format!("CVE-2026-1{:02}{page}", self.index);
        if self.fails {
            basic_finding(&cve, "HIGH", "openssl", "3.0.11-1~deb12u1", Some(7.5))
        } else {
            basic_finding(&cve, "LOW", "tar", "1.34+dfsg-1.2", None)
        }
    }

    /// The COMPLETE result: `pages` pages of one finding each.
    fn page(&self, page: usize) -> Action {
        let severity = if self.fails { "HIGH" } else { "LOW" };
        let mut answer = ScanPage::new(&self.repository, &self.digest, "COMPLETE")
            .tag("v1")
            .basic(vec![self.finding(page)])
            .counts(&[(severity, self.pages as u64)]);
        if page < self.pages {
            answer = answer.next_token(&format!("{}/page-{}", self.index, page + 1));
        }
        answer.action()
    }
}

/// When each image's scan started, in stub time (by digest).
type Started = Arc<Mutex<BTreeMap<String, Duration>>>;

fn script(stub: &EcrStub, gates: &[Gate], started: &Started) {
    stub.on(
        CONFIG,
        vec![Action::json(registry_scanning(
            "BASIC",
            vec![rule("SCAN_ON_PUSH", &["onpush/*"])],
        ))],
    );
    {
        let started = Arc::clone(started);
        stub.on_fn(
            START,
            |_| true,
            move |request: &Request| {
                let digest = request.digest().unwrap_or_default().to_string();
                let repository = request.body["repositoryName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let mut started = started.lock().unwrap();
                if started.contains_key(&digest) {
                    return Action::scan_limit_exceeded();
                }
                started.insert(digest.clone(), request.at);
                Action::json(start_image_scan(&repository, &digest))
            },
        );
    }
    for gate in gates {
        let manifest = image_manifest(Flavour::Oci, &gate.repository);
        let repository = gate.repository.clone();
        stub.on_match(
            BATCH_GET,
            move |body| body["repositoryName"].as_str() == Some(repository.as_str()),
            vec![Action::json(batch_get_image(
                &gate.repository,
                Some("v1"),
                &manifest,
            ))],
        );
        for page in 2..=gate.pages {
            let token = format!("{}/page-{page}", gate.index);
            let answer = gate.page(page);
            stub.on_fn(
                DESCRIBE,
                move |body| body["nextToken"].as_str() == Some(token.as_str()),
                move |_| answer.clone(),
            );
        }
        let (digest, wanted) = (gate.digest.clone(), gate.digest.clone());
        let (scan, on_push) = (gate.scan, gate.on_push);
        let (repository, first) = (gate.repository.clone(), gate.page(1));
        let started = Arc::clone(started);
        stub.on_fn(
            DESCRIBE,
            move |body| body["imageId"]["imageDigest"].as_str() == Some(wanted.as_str()),
            move |request: &Request| {
                let mut started = started.lock().unwrap();
                if on_push {
                    started.entry(digest.clone()).or_insert(request.at);
                }
                match started.get(&digest) {
                    None => Action::scan_not_found(&repository, &digest),
                    Some(at) if request.at < *at + scan => {
                        ScanPage::new(&repository, &digest, "IN_PROGRESS").action()
                    }
                    Some(_) => first.clone(),
                }
            },
        );
    }
}

/// How one gate ended.
struct Outcome {
    exit: Option<i32>,
    /// Since the gates were started.
    ended: Duration,
    report: Option<Value>,
    stderr: PathBuf,
}

fn main() -> ExitCode {
    let count = knob("THROTTLE_BENCH_GATES", 30);
    let timeout = knob("THROTTLE_BENCH_TIMEOUT", 150);
    let describe_tps = knob("THROTTLE_BENCH_DESCRIBE_TPS", 5) as f64;
    let binary = std::env::var_os("THROTTLE_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ecr-scan-gate")));

    let stub = EcrStub::start();
    let gates: Vec<Gate> = (0..count).map(Gate::new).collect();
    let started: Started = Arc::default();
    script(&stub, &gates, &started);
    stub.rate_limit(BATCH_GET, 4.0, 4.0)
        .rate_limit(CONFIG, 4.0, 4.0)
        .rate_limit(START, 2.0, 2.0)
        .rate_limit(DESCRIBE, describe_tps, describe_tps);
    println!(
        "{count} gates at once, --timeout {timeout}s, scans of 10–40 s; shared limits (requests/s, \
         burst): BatchGetImage 4/4, GetRegistryScanningConfiguration 4/4, StartImageScan 2/2, \
         DescribeImageScanFindings {describe_tps}/{describe_tps}"
    );
    println!("binary: {}", binary.display());

    let work = tempfile::tempdir().expect("tempdir");
    let began = Instant::now();
    let stub_began = stub.elapsed();
    let children: Vec<_> = gates
        .iter()
        .map(|gate| {
            let report = work.path().join(format!("gate-{:02}.json", gate.index));
            let stderr = work.path().join(format!("gate-{:02}.stderr", gate.index));
            let child = Command::new(&binary)
                .args([
                    "scan",
                    &format!("{}:v1", gate.repository),
                    "--timeout",
                    &format!("{timeout}s"),
                    "--today",
                    "2026-11-28",
                    "--json",
                ])
                .arg(&report)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .envs(stub.env())
                .env("AWS_ACCESS_KEY_ID", gate.access_key())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&stderr).expect("stderr file"))
                .spawn()
                .expect("start a gate");
            (child, report, stderr)
        })
        .collect();
    let waiters: Vec<_> = children
        .into_iter()
        .map(|(mut child, report, stderr)| {
            std::thread::spawn(move || {
                let status = child.wait().expect("wait for a gate");
                let ended = began.elapsed();
                let report = std::fs::read(&report)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok());
                Outcome {
                    exit: status.code(),
                    ended,
                    report,
                    stderr,
                }
            })
        })
        .collect();
    let outcomes: Vec<Outcome> = waiters
        .into_iter()
        .map(|w| w.join().expect("gate thread"))
        .collect();
    let wall = began.elapsed();

    let requests = stub.requests();
    let started = started.lock().unwrap().clone();
    println!(
        "\n{:>4} {:>6} {:>5} {:>6} {:>8} | {:>6} {:>7} {:>6} | {:>5} {:>9} | {:>5} {:>6} {:>5} {:>8} | verdict",
        "gate",
        "kind",
        "scan",
        "pages",
        "expected",
        "exit",
        "wall",
        "lag",
        "calls",
        "throttled",
        "Batch",
        "Config",
        "Start",
        "Describe"
    );
    let mut failures = Vec::new();
    let mut lags = Vec::new();
    let mut per_gate_calls = Vec::new();
    for (gate, outcome) in gates.iter().zip(&outcomes) {
        let key = gate.access_key();
        let mine: Vec<&Request> = requests
            .iter()
            .filter(|r| r.access_key() == Some(key.as_str()))
            .collect();
        let throttled = mine.iter().filter(|r| r.throttled).count();
        let per_op: Vec<usize> = OPERATIONS
            .iter()
            .map(|op| mine.iter().filter(|r| r.operation == *op).count())
            .collect();
        per_gate_calls.push(mine.len());
        // The scan's completion in bench time: its start in stub time, moved to the bench's clock.
        let lag = started.get(&gate.digest).map(|at| {
            let completes = at.saturating_sub(stub_began) + gate.scan;
            outcome.ended.saturating_sub(completes)
        });
        if let Some(lag) = lag {
            lags.push(lag.as_secs_f64());
        }
        let verdict = check(gate, outcome, timeout);
        println!(
            "{:>4} {:>6} {:>4}s {:>6} {:>8} | {:>6} {:>6.1}s {:>5} | {:>5} {:>9} | {:>5} {:>6} {:>5} {:>8} | {}",
            gate.index,
            if gate.on_push { "push" } else { "manual" },
            gate.scan.as_secs(),
            gate.pages,
            if gate.fails { "fail(1)" } else { "pass(0)" },
            outcome
                .exit
                .map_or_else(|| "signal".to_string(), |c| c.to_string()),
            outcome.ended.as_secs_f64(),
            lag.map_or_else(|| "-".to_string(), |l| format!("{:.1}s", l.as_secs_f64())),
            mine.len(),
            throttled,
            per_op[0],
            per_op[1],
            per_op[2],
            per_op[3],
            match &verdict {
                Ok(()) => "correct".to_string(),
                Err(why) => format!("WRONG: {why} (stderr: {})", outcome.stderr.display()),
            }
        );
        if let Err(why) = verdict {
            failures.push(format!("gate {}: {why}", gate.index));
        }
    }

    let throttled = requests.iter().filter(|r| r.throttled).count();
    println!(
        "\ntotal wall time: {:.1}s for {count} gates (longest gate {:.1}s, timeout {timeout}s)",
        wall.as_secs_f64(),
        outcomes
            .iter()
            .map(|o| o.ended.as_secs_f64())
            .fold(0.0, f64::max)
    );
    println!(
        "calls: {} in all, {throttled} throttled ({:.0}%); per gate median {}, max {}",
        requests.len(),
        100.0 * throttled as f64 / requests.len().max(1) as f64,
        median(per_gate_calls.iter().map(|&c| c as f64).collect()),
        per_gate_calls.iter().max().copied().unwrap_or(0)
    );
    for op in OPERATIONS {
        let calls: Vec<&Request> = requests.iter().filter(|r| r.operation == op).collect();
        let throttled = calls.iter().filter(|r| r.throttled).count();
        println!("  {op}: {} calls, {throttled} throttled", calls.len());
    }
    if !lags.is_empty() {
        println!(
            "lag from scan completion to exit: median {:.1}s, max {:.1}s",
            median(lags.clone()),
            lags.iter().copied().fold(0.0, f64::max)
        );
    }
    if failures.is_empty() {
        println!("every gate reached its correct verdict inside its timeout");
        ExitCode::SUCCESS
    } else {
        println!("{} gate(s) WRONG:", failures.len());
        for failure in &failures {
            println!("  {failure}");
        }
        ExitCode::FAILURE
    }
}

/// Whether a gate reached its expected verdict, with the findings of every page, inside its timeout.
fn check(gate: &Gate, outcome: &Outcome, timeout: usize) -> Result<(), String> {
    if outcome.exit != Some(gate.expected_exit()) {
        return Err(format!(
            "exit {:?}, expected {}",
            outcome.exit,
            gate.expected_exit()
        ));
    }
    if outcome.ended >= Duration::from_secs(timeout as u64) {
        return Err(format!("took {:?}", outcome.ended));
    }
    let report = outcome.report.as_ref().ok_or("no JSON report")?;
    let expected = if gate.fails { "fail" } else { "pass" };
    if report["result"] != expected {
        return Err(format!("result {}, expected {expected}", report["result"]));
    }
    if report["counts"]["total"] != gate.pages {
        return Err(format!(
            "{} findings, expected {} (one per page)",
            report["counts"]["total"], gate.pages
        ));
    }
    Ok(())
}
