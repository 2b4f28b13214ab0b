//! Benchmark: `ecr-scan-gate evaluate` on the largest result GitHub keeps, against a bare serde_json
//! parse + serialise of the same input.
//!
//! ```sh
//! cargo bench --bench evaluate        # or ./scripts/bench
//! ```
//!
//! 1. Generates a realistic, deterministic `aws ecr describe-image-scan-findings` enhanced result
//!    (status ACTIVE, pretty-printed like the AWS CLI) into a temporary directory: 20,000 Inspector
//!    records, every fourth with two vulnerable packages, so the gate normalises them into exactly
//!    25,000 findings (one per vulnerability × package × path), the most GitHub keeps per SARIF run.
//! 2. Baseline: this binary re-executed as a child (`ECR_SCAN_GATE_BENCH_CHILD=baseline`): process
//!    start + read the file + `serde_json::from_slice::<Value>` + `serde_json::to_writer` into a
//!    `BufWriter<File>`.
//! 3. The gate: `ecr-scan-gate evaluate --findings IN --json .. --sarif .. --markdown ..` as a child;
//!    the policy fails (exit 1), any other exit code is a bench failure.
//! 4. Wall time and peak RSS (`ru_maxrss` from `wait4`) of each child, one warm-up and then
//!    `RUNS` interleaved runs each; prints min/median wall time, median CPU time, max peak RSS, output
//!    sizes and both ratios against the targets (gate ≤ 2× the baseline's median wall time, gate peak
//!    RSS ≤ 4× the input size). Nothing is asserted: speed and memory are reported, not tested.
//!
//! Knobs (environment):
//! - `ECR_SCAN_GATE_BENCH_RECORDS`: Inspector records to generate (default 20000).
//! - `ECR_SCAN_GATE_BENCH_RUNS`: measured runs of each child (default 5).
//! - `ECR_SCAN_GATE_BENCH_BIN`: the gate binary to run (default: the one cargo built for this bench,
//!   same profile and same serde_json features as the baseline).
//! - `ECR_SCAN_GATE_BENCH_KEEP=1`: keep the temporary directory (input and reports) and print its path.
//!
//! NOTE: the input is generated in a child process, not here. Rust spawns children with
//! `posix_spawn`, which shares this process's address space until `exec` (a vfork), and Linux counts
//! the high-water RSS of that address space in the child's `ru_maxrss`, even memory freed long
//! before the spawn. A bench process that had ever held the generated document would inflate every
//! child's peak RSS, so this process stays small (its own peak RSS is printed: a floor for them all).

// A benchmark prints its numbers, and a failed setup may panic.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
// libc::wait4 reads the child's resource usage.
#![allow(unsafe_code)]

use std::collections::{BTreeMap, HashSet};
use std::env;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Selects what a re-executed copy of this binary does: `generate` or `baseline`.
const CHILD_ENV: &str = "ECR_SCAN_GATE_BENCH_CHILD";
const RECORDS_ENV: &str = "ECR_SCAN_GATE_BENCH_RECORDS";
const RUNS_ENV: &str = "ECR_SCAN_GATE_BENCH_RUNS";
const BIN_ENV: &str = "ECR_SCAN_GATE_BENCH_BIN";
const KEEP_ENV: &str = "ECR_SCAN_GATE_BENCH_KEEP";

const DEFAULT_RECORDS: usize = 20_000;
const DEFAULT_RUNS: usize = 5;
/// Every n-th record has two vulnerable packages: 20,000 records → 25,000 gate findings.
const TWO_PACKAGES_EVERY: usize = 4;

/// Target: gate median wall time ≤ this × baseline median wall time.
const TIME_TARGET: f64 = 2.0;
/// Target: gate peak RSS ≤ this × input size.
const RSS_TARGET: f64 = 4.0;
/// The gate's exit code for a violated policy; the generated input violates the default policy.
const EXPECTED_GATE_EXIT: i32 = 1;

fn main() -> ExitCode {
    let result = match env::var(CHILD_ENV).as_deref() {
        Ok("generate") => child_generate(),
        Ok("baseline") => child_baseline(),
        Ok(other) => Err(format!("unknown {CHILD_ENV}={other}")),
        Err(_) => bench(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench error: {message}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The bench driver.

fn bench() -> Result<(), String> {
    let records = env_number(RECORDS_ENV, DEFAULT_RECORDS)?;
    let runs = env_number(RUNS_ENV, DEFAULT_RUNS)?.max(1);
    let gate_bin = env::var_os(BIN_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ecr-scan-gate")));
    let self_exe = env::current_exe().map_err(|e| format!("current_exe: {e}"))?;

    let tmp = tempfile::Builder::new()
        .prefix("ecr-scan-gate-bench-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;
    let dir = tmp.path().to_path_buf();
    let input = dir.join("enhanced-findings.json");

    println!("ecr-scan-gate evaluate benchmark");
    println!("gate binary: {}", gate_bin.display());
    let mut generate = Command::new(&self_exe);
    generate
        .env(CHILD_ENV, "generate")
        .arg(&input)
        .arg(records.to_string())
        .stdin(Stdio::null());
    let sample = measure(&mut generate)?;
    if sample.code != Some(0) {
        return Err(format!(
            "generating the input failed ({})",
            sample.describe_exit()
        ));
    }
    let input_size = file_size(&input)?;
    println!(
        "input: {} ({} bytes), generated in {:.2} s",
        mib(input_size),
        input_size,
        sample.wall.as_secs_f64()
    );

    println!(
        "bench process peak RSS: {} (a floor for every child's peak RSS)",
        self_max_rss().map_or_else(|| "unknown".into(), mib)
    );

    let baseline_out = dir.join("baseline-out.json");
    let reports = Reports {
        json: dir.join("report.json"),
        sarif: dir.join("report.sarif"),
        markdown: dir.join("report.md"),
    };
    let gate_stderr = dir.join("gate-stderr.txt");
    let baseline_stderr = dir.join("baseline-stderr.txt");

    let baseline_cmd = || -> Result<Command, String> {
        let mut cmd = Command::new(&self_exe);
        cmd.env(CHILD_ENV, "baseline")
            .arg(&input)
            .arg(&baseline_out)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(create(&baseline_stderr)?);
        Ok(cmd)
    };
    let gate_cmd = || -> Result<Command, String> {
        let mut cmd = Command::new(&gate_bin);
        cmd.arg("evaluate")
            .arg("--findings")
            .arg(&input)
            .arg("--json")
            .arg(&reports.json)
            .arg("--sarif")
            .arg(&reports.sarif)
            .arg("--markdown")
            .arg(&reports.markdown)
            // No policy file in the temporary directory and no ECR_SCAN_GATE_* variables: the
            // default policy (fail on high) applies.
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(create(&gate_stderr)?);
        for (name, _) in env::vars_os() {
            if name.to_string_lossy().starts_with("ECR_SCAN_GATE_") {
                cmd.env_remove(&name);
            }
        }
        Ok(cmd)
    };
    let run_baseline = || -> Result<Sample, String> {
        let sample = measure(&mut baseline_cmd()?)?;
        if sample.code != Some(0) {
            return Err(format!(
                "baseline failed ({}): {}",
                sample.describe_exit(),
                fs::read_to_string(&baseline_stderr).unwrap_or_default()
            ));
        }
        Ok(sample)
    };
    let run_gate = || -> Result<Sample, String> {
        let sample = measure(&mut gate_cmd()?)?;
        if sample.code != Some(EXPECTED_GATE_EXIT) {
            return Err(format!(
                "the gate should exit {EXPECTED_GATE_EXIT} (policy violated), got {}; its stderr:\n{}",
                sample.describe_exit(),
                fs::read_to_string(&gate_stderr).unwrap_or_default()
            ));
        }
        Ok(sample)
    };

    // Warm-up: page cache, binaries, allocator behaviour of a first run.
    run_baseline()?;
    run_gate()?;
    let mut baseline = Vec::with_capacity(runs);
    let mut gate = Vec::with_capacity(runs);
    for _ in 0..runs {
        baseline.push(run_baseline()?);
        gate.push(run_gate()?);
    }

    let baseline_stats = Stats::of(&baseline);
    let gate_stats = Stats::of(&gate);
    let baseline_out_size = file_size(&baseline_out)?;
    let (json_size, sarif_size, md_size) = (
        file_size(&reports.json)?,
        file_size(&reports.sarif)?,
        file_size(&reports.markdown)?,
    );

    println!();
    println!(
        "{runs} runs each after 1 warm-up, interleaved; wall = spawn to wait4, cpu = user + sys, \
         RSS = ru_maxrss"
    );
    println!(
        "{:<24} {:>10} {:>12} {:>12} {:>11}  output",
        "", "wall min", "wall median", "cpu median", "peak RSS"
    );
    let row = |name: &str, stats: &Stats, output: String| {
        println!(
            "{:<24} {:>8.3} s {:>10.3} s {:>10.3} s {:>11}  {}",
            name,
            stats.wall_min.as_secs_f64(),
            stats.wall_median.as_secs_f64(),
            stats.cpu_median.as_secs_f64(),
            mib(stats.max_rss),
            output
        );
    };
    row(
        "baseline (serde_json)",
        &baseline_stats,
        mib(baseline_out_size),
    );
    row(
        "gate evaluate (3 reports)",
        &gate_stats,
        format!(
            "json {} + sarif {} + md {} = {}",
            mib(json_size),
            mib(sarif_size),
            mib(md_size),
            mib(json_size + sarif_size + md_size)
        ),
    );

    let time_ratio =
        gate_stats.wall_median.as_secs_f64() / baseline_stats.wall_median.as_secs_f64();
    let rss_ratio = gate_stats.max_rss as f64 / input_size as f64;
    let baseline_rss_ratio = baseline_stats.max_rss as f64 / input_size as f64;
    println!();
    println!("{:<44} {:>8} {:>8}  verdict", "target", "measured", "limit");
    let verdict = |measured: f64, limit: f64| if measured <= limit { "PASS" } else { "MISS" };
    println!(
        "{:<44} {:>7.2}× {:>7}  {}",
        "time: gate median / baseline median",
        time_ratio,
        format!("≤ {TIME_TARGET}×"),
        verdict(time_ratio, TIME_TARGET)
    );
    println!(
        "{:<44} {:>7.2}× {:>7}  {}",
        "memory: gate peak RSS / input size",
        rss_ratio,
        format!("≤ {RSS_TARGET}×"),
        verdict(rss_ratio, RSS_TARGET)
    );
    println!(
        "{:<44} {:>7.2}×",
        "(for reference) baseline peak RSS / input size", baseline_rss_ratio
    );

    report_contents(&reports)?;

    if env::var_os(KEEP_ENV).is_some_and(|v| v != "0" && !v.is_empty()) {
        println!("kept: {}", tmp.keep().display());
    }
    Ok(())
}

struct Reports {
    json: PathBuf,
    sarif: PathBuf,
    markdown: PathBuf,
}

/// What the last gate run wrote, as a sanity check (read after every measurement).
fn report_contents(reports: &Reports) -> Result<(), String> {
    let sarif: Value = read_json(&reports.sarif)?;
    let runs = sarif["runs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let results: usize = runs
        .iter()
        .map(|run| run["results"].as_array().map_or(0, Vec::len))
        .sum();
    let rules: usize = runs
        .iter()
        .map(|run| {
            run["tool"]["driver"]["rules"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    let run_count = runs.len();
    drop(sarif);
    let json: Value = read_json(&reports.json)?;
    let findings = json["findings"].as_array().map_or(0, Vec::len);
    let outcome = json["result"].as_str().unwrap_or("?").to_string();
    drop(json);
    println!();
    println!(
        "reports: SARIF {} run(s), {results} results, {rules} rules; JSON {findings} findings, \
         result {outcome}",
        run_count
    );
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn env_number(name: &str, default: usize) -> Result<usize, String> {
    match env::var(name) {
        Ok(text) => text
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|_| format!("{name}={text} is not a number")),
        Err(_) => Ok(default),
    }
}

fn create(path: &Path) -> Result<File, String> {
    File::create(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn file_size(path: &Path) -> Result<u64, String> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

// ---------------------------------------------------------------------------------------------------
// Measuring one child process.

struct Sample {
    wall: Duration,
    cpu: Duration,
    /// Peak resident set size in bytes.
    max_rss: u64,
    /// Exit code, `None` when killed by a signal.
    code: Option<i32>,
    signal: Option<i32>,
}

impl Sample {
    fn describe_exit(&self) -> String {
        match (self.code, self.signal) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            (None, None) => "unknown exit status".into(),
        }
    }
}

/// Spawns the command and reaps it with `wait4`, which returns that child's own resource usage.
fn measure(cmd: &mut Command) -> Result<Sample, String> {
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("spawning {:?}: {e}", cmd.get_program()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| format!("pid: {e}"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: status and usage are valid, exclusive pointers for the duration of the call; the
        // pid is our own unreaped child (std's `Child` is never waited on, and dropping it does not
        // wait either).
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(format!("wait4({pid}): {error}"));
        }
    }
    let wall = start.elapsed();
    drop(child);
    let timeval = |t: libc::timeval| {
        Duration::new(t.tv_sec as u64, 0) + Duration::from_micros(t.tv_usec as u64)
    };
    let exited = libc::WIFEXITED(status);
    let signaled = libc::WIFSIGNALED(status);
    Ok(Sample {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        code: exited.then(|| libc::WEXITSTATUS(status)),
        signal: signaled.then(|| libc::WTERMSIG(status)),
    })
}

/// The high-water RSS of this process's own address space (`VmHWM`), in bytes. Not
/// `getrusage(RUSAGE_SELF)`: that also holds what this process inherited from cargo on `exec`, which
/// the children do not inherit from us.
fn self_max_rss() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

struct Stats {
    wall_min: Duration,
    wall_median: Duration,
    cpu_median: Duration,
    max_rss: u64,
}

impl Stats {
    fn of(samples: &[Sample]) -> Stats {
        let median = |mut values: Vec<Duration>| {
            values.sort();
            let n = values.len();
            if n % 2 == 1 {
                values[n / 2]
            } else {
                (values[n / 2 - 1] + values[n / 2]) / 2
            }
        };
        Stats {
            wall_min: samples.iter().map(|s| s.wall).min().unwrap_or_default(),
            wall_median: median(samples.iter().map(|s| s.wall).collect()),
            cpu_median: median(samples.iter().map(|s| s.cpu).collect()),
            max_rss: samples.iter().map(|s| s.max_rss).max().unwrap_or(0),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Child: the baseline.

fn child_baseline() -> Result<(), String> {
    let [input, output] = child_args::<2>()?;
    let value: Value = {
        let bytes = fs::read(&input).map_err(|e| format!("{input:?}: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{input:?}: {e}"))?
    };
    let file = File::create(&output).map_err(|e| format!("{output:?}: {e}"))?;
    let mut w = BufWriter::new(file);
    serde_json::to_writer(&mut w, &value).map_err(|e| format!("{output:?}: {e}"))?;
    w.flush().map_err(|e| format!("{output:?}: {e}"))
}

fn child_args<const N: usize>() -> Result<[OsString; N], String> {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    <[OsString; N]>::try_from(args).map_err(|args| format!("expected {N} arguments, got {args:?}"))
}

// ---------------------------------------------------------------------------------------------------
// Child: generating the input.

fn child_generate() -> Result<(), String> {
    let [output, records] = child_args::<2>()?;
    let records: usize = records
        .to_string_lossy()
        .parse()
        .map_err(|_| format!("record count {records:?}"))?;
    let (document, stats) = generate(records);
    let file = File::create(&output).map_err(|e| format!("{output:?}: {e}"))?;
    let mut w = BufWriter::new(file);
    // Pretty-printed with a 4-space indent, as `aws ecr describe-image-scan-findings --output json`.
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut w, formatter);
    serde::Serialize::serialize(&document, &mut serializer)
        .map_err(|e| format!("{output:?}: {e}"))?;
    w.write_all(b"\n")
        .and_then(|()| w.flush())
        .map_err(|e| format!("{output:?}: {e}"))?;
    println!(
        "generated: {} Inspector records ({} with 2 packages) → {} gate findings (vulnerability × \
         package × path); {} distinct vulnerability ids ({} CVE, {} GHSA); severities {}",
        stats.records,
        stats.two_package_records,
        stats.gate_findings,
        stats.distinct_ids,
        stats.cve_ids,
        stats.ghsa_ids,
        stats
            .severities
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants); the high bits are used.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, low: usize, high_inclusive: usize) -> usize {
        low + self.below(high_inclusive - low + 1)
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One decimal, in `[low, high]`.
    fn score(&mut self, low: f64, high: f64) -> f64 {
        let steps = ((high - low) * 10.0).round() as usize;
        low + self.below(steps + 1) as f64 / 10.0
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }

    fn timestamp(&mut self, year: usize) -> String {
        format!(
            "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000+00:00",
            self.range(1, 12),
            self.range(1, 28),
            self.below(24),
            self.below(60),
            self.below(60),
            self.below(1000)
        )
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Ecosystem {
    Os,
    Npm,
    Python,
}

/// Debian 12 source packages: (source, binary packages, epoch, version, release).
const OS_PACKAGES: &[(&str, &[&str], u32, &str, &str)] = &[
    ("linux", &["linux-libc-dev"], 0, "6.1.123", "1"),
    ("openssl", &["openssl", "libssl3"], 0, "3.0.15", "1~deb12u1"),
    ("curl", &["curl", "libcurl4"], 0, "7.88.1", "10+deb12u8"),
    (
        "systemd",
        &["systemd", "libsystemd0", "libudev1", "systemd-sysv"],
        0,
        "252.33",
        "1~deb12u1",
    ),
    ("glibc", &["libc6", "libc-bin"], 0, "2.36", "9+deb12u9"),
    (
        "krb5",
        &[
            "libkrb5-3",
            "libgssapi-krb5-2",
            "libk5crypto3",
            "libkrb5support0",
        ],
        0,
        "1.20.1",
        "2+deb12u2",
    ),
    ("libxml2", &["libxml2"], 0, "2.9.14+dfsg", "1.3~deb12u1"),
    ("zlib", &["zlib1g"], 1, "1.2.13.dfsg", "1"),
    (
        "perl",
        &["perl-base", "perl", "libperl5.36", "perl-modules-5.36"],
        0,
        "5.36.0",
        "7+deb12u1",
    ),
    ("gnutls28", &["libgnutls30"], 0, "3.7.9", "2+deb12u3"),
    (
        "ncurses",
        &["libncursesw6", "libtinfo6", "ncurses-base", "ncurses-bin"],
        0,
        "6.4",
        "4",
    ),
    (
        "util-linux",
        &[
            "util-linux",
            "libblkid1",
            "libmount1",
            "libuuid1",
            "libsmartcols1",
        ],
        0,
        "2.38.1",
        "5+deb12u3",
    ),
    ("tar", &["tar"], 0, "1.34+dfsg", "1.2+deb12u1"),
    ("coreutils", &["coreutils"], 0, "9.1", "1"),
    ("shadow", &["login", "passwd"], 1, "4.13+dfsg1", "1"),
    ("sqlite3", &["libsqlite3-0"], 0, "3.40.1", "2+deb12u1"),
    ("expat", &["libexpat1"], 0, "2.5.0", "1+deb12u1"),
    ("libgcrypt20", &["libgcrypt20"], 0, "1.10.1", "3"),
    ("gnupg2", &["gpgv", "gnupg", "dirmngr"], 0, "2.2.40", "1.1"),
    (
        "pam",
        &["libpam0g", "libpam-modules", "libpam-runtime"],
        0,
        "1.5.2",
        "6+deb12u1",
    ),
    ("apt", &["apt", "libapt-pkg6.0"], 0, "2.6.1", ""),
    ("bash", &["bash"], 0, "5.2.15", "2+b7"),
    ("libtasn1-6", &["libtasn1-6"], 0, "4.19.0", "2"),
    (
        "e2fsprogs",
        &[
            "e2fsprogs",
            "libcom-err2",
            "libext2fs2",
            "libss2",
            "logsave",
        ],
        0,
        "1.47.0",
        "2",
    ),
    ("openldap", &["libldap-2.5-0"], 0, "2.5.13+dfsg", "5"),
    ("libssh2", &["libssh2-1"], 0, "1.10.0", "3+b1"),
    ("nghttp2", &["libnghttp2-14"], 0, "1.52.0", "1+deb12u2"),
    (
        "cyrus-sasl2",
        &["libsasl2-2", "libsasl2-modules-db"],
        0,
        "2.1.28+dfsg",
        "10",
    ),
    ("pcre2", &["libpcre2-8-0"], 0, "10.42", "1"),
    ("xz-utils", &["liblzma5"], 0, "5.4.1", "0.2"),
    ("git", &["git", "git-man"], 1, "2.39.5", "0+deb12u1"),
    (
        "python3.11",
        &[
            "python3.11",
            "python3.11-minimal",
            "libpython3.11-minimal",
            "libpython3.11-stdlib",
        ],
        0,
        "3.11.2",
        "6+deb12u4",
    ),
    (
        "imagemagick",
        &["libmagickcore-6.q16-6"],
        8,
        "6.9.11.60+dfsg",
        "1.6+deb12u2",
    ),
    ("tiff", &["libtiff6"], 0, "4.5.0", "6+deb12u1"),
    ("binutils", &["binutils", "libbinutils"], 0, "2.40", "2"),
    (
        "gcc-12",
        &["libgcc-s1", "libstdc++6", "gcc-12-base"],
        0,
        "12.2.0",
        "14",
    ),
];

const NPM_PACKAGES: &[(&str, &[&str])] = &[
    ("lodash", &["4.17.15", "4.17.19", "4.17.20"]),
    ("minimist", &["0.0.8", "1.2.0", "1.2.5"]),
    ("express", &["4.17.1", "4.17.3", "4.18.1"]),
    ("axios", &["0.21.1", "0.27.2", "1.6.0"]),
    ("jsonwebtoken", &["8.5.1", "8.3.0"]),
    ("semver", &["5.7.1", "6.3.0", "7.3.8"]),
    ("qs", &["6.5.2", "6.7.0", "6.9.6"]),
    ("tough-cookie", &["2.5.0", "4.0.0"]),
    ("ws", &["6.2.1", "7.4.6", "8.11.0"]),
    ("path-to-regexp", &["0.1.7", "1.8.0"]),
    ("follow-redirects", &["1.14.0", "1.15.2"]),
    ("word-wrap", &["1.2.3"]),
    ("json5", &["1.0.1", "2.2.1"]),
    ("braces", &["2.3.2", "3.0.2"]),
    ("micromatch", &["3.1.10", "4.0.5"]),
    ("cross-spawn", &["6.0.5", "7.0.3"]),
    ("body-parser", &["1.19.0", "1.20.1"]),
    ("@babel/traverse", &["7.20.1", "7.22.5"]),
    ("ip", &["1.1.8", "2.0.0"]),
    ("node-fetch", &["2.6.1", "2.6.7"]),
];

const NPM_PARENTS: &[&str] = &[
    "webpack",
    "jest-config",
    "eslint",
    "@aws-sdk/client-s3",
    "request",
    "react-scripts",
    "mongoose",
    "socket.io",
];

const PYTHON_PACKAGES: &[(&str, &[&str])] = &[
    ("requests", &["2.25.1", "2.28.2", "2.31.0"]),
    ("urllib3", &["1.26.5", "1.26.15", "2.0.6"]),
    ("setuptools", &["58.1.0", "65.5.0"]),
    ("pip", &["22.0.4", "23.0.1"]),
    ("cryptography", &["3.4.8", "39.0.1", "41.0.3"]),
    ("jinja2", &["2.11.3", "3.1.2"]),
    ("werkzeug", &["2.2.2", "2.3.7"]),
    ("pyyaml", &["5.3.1", "5.4"]),
    ("certifi", &["2022.12.7", "2023.5.7"]),
    ("idna", &["3.4", "3.6"]),
    ("django", &["3.2.18", "4.1.7"]),
    ("flask", &["2.2.2", "2.3.2"]),
    ("pillow", &["9.4.0", "10.0.0"]),
    ("aiohttp", &["3.8.4", "3.9.1"]),
    ("sqlparse", &["0.4.3"]),
    ("gunicorn", &["20.1.0", "21.2.0"]),
];

const PYTHON_SITES: &[&str] = &[
    "usr/local/lib/python3.11/site-packages",
    "opt/venv/lib/python3.11/site-packages",
];

const BUGS: &[&str] = &[
    "a heap-based buffer overflow",
    "a use-after-free",
    "an integer overflow",
    "a NULL pointer dereference",
    "an out-of-bounds read",
    "an out-of-bounds write",
    "a double free",
    "uncontrolled recursion",
    "a race condition",
    "improper input validation",
    "a regular expression denial of service (ReDoS)",
    "prototype pollution",
    "a path traversal",
    "an infinite loop",
    "a memory leak",
    "an off-by-one error",
    "improper certificate validation",
    "HTTP request smuggling",
];

const FUNCTIONS: &[(&str, &str)] = &[
    ("parse_header", "lib/http.c"),
    ("xmlParseCharRef", "parser.c"),
    ("ssl3_read_bytes", "ssl/record/rec_layer_s3.c"),
    ("inflate_fast", "inffast.c"),
    ("tls_process_server_hello", "ssl/statem/statem_clnt.c"),
    ("url_parse", "lib/urlapi.c"),
    ("merge", "index.js"),
    ("decode_frame", "src/decoder.c"),
    ("readline", "lib/readline.js"),
    ("unpack_entry", "packfile.c"),
    ("load_config", "src/config.py"),
    ("ber_get_next", "libraries/liblber/io.c"),
    ("ext4_xattr_set_entry", "fs/ext4/xattr.c"),
    ("nft_set_elem_init", "net/netfilter/nf_tables_api.c"),
    ("io_uring_cancel", "io_uring/cancel.c"),
];

const ATTACKERS: &[&str] = &[
    "a remote attacker",
    "an unauthenticated remote attacker",
    "a local user",
    "a malicious server",
    "an attacker who can supply crafted input",
    "a context-dependent attacker",
];

const IMPACTS: &[&str] = &[
    "cause a denial of service (application crash)",
    "execute arbitrary code",
    "read sensitive information from process memory",
    "bypass authentication",
    "escalate privileges",
    "cause excessive CPU consumption",
    "write files outside the intended directory",
    "inject arbitrary HTTP headers",
];

const VECTORS: &[&str] = &[
    "a crafted file",
    "a crafted HTTP response",
    "a specially crafted X.509 certificate",
    "a long `Content-Type` header",
    "a malformed archive",
    "crafted JSON input",
    "a crafted <svg> element",
    "untrusted YAML",
    "a crafted netlink message",
];

const SENTENCES: &[&str] = &[
    "NOTE: this issue exists because of an incomplete fix for an earlier vulnerability.",
    "The vulnerability is only exploitable when a non-default option is enabled.",
    "This affects all versions of the package prior to the fixed release.",
    "Users are advised to upgrade; there are no known workarounds for this vulnerability.",
    "The issue was reported by @security-researcher and fixed upstream.",
    "In the default configuration the impact is limited to the calling process.",
    "Applications that pass | separated values to the parser are affected.",
    "Exploitation requires the attacker to control the contents of the input stream, for example by \
     hosting a malicious file that the application downloads and processes.",
    "A patch is available in the upstream repository and distributions have backported it.",
    "** DISPUTED ** The vendor's position is that the behaviour is expected and that callers must \
     validate input before passing it to the library.",
    "In the Linux kernel, the following vulnerability has been resolved: the reference count was \
     not dropped on the error path, which leaks the object and can eventually exhaust memory.",
    "When the length field is larger than the remaining buffer, the function reads past the end of \
     the allocation; the read data may be returned to the peer.",
    "Versions before the fix also mishandle *nested* structures deeper than 1000 levels.",
];

const ORGS: &[&str] = &[
    "openssl/openssl",
    "curl/curl",
    "torvalds/linux",
    "lodash/lodash",
    "psf/requests",
    "GNOME/libxml2",
    "python/cpython",
    "expressjs/express",
];

const GHSA_CHARS: &[u8] = b"23456789cfghjmpqrvwx";

#[derive(Default)]
struct GenStats {
    records: usize,
    two_package_records: usize,
    gate_findings: usize,
    distinct_ids: usize,
    cve_ids: usize,
    ghsa_ids: usize,
    severities: BTreeMap<String, u64>,
}

/// The image every record points at.
struct ImageInfo {
    registry: &'static str,
    repository: &'static str,
    region: &'static str,
    digest: String,
    tags: [&'static str; 2],
    pushed_at: String,
}

struct Generator {
    rng: Lcg,
    ids: Vec<(String, Ecosystem)>,
    used_ids: HashSet<String>,
    /// (vulnerability id, package, version, path): the gate's identity of a finding; kept unique so
    /// the gate normalises exactly one finding per generated package.
    keys: HashSet<(String, String, String, String)>,
}

/// A vulnerable package as generated, before it is turned into JSON.
struct Pkg {
    name: String,
    epoch: u32,
    version: String,
    release: String,
    arch: &'static str,
    manager: &'static str,
    path: Option<String>,
    fixed: Option<String>,
    source_layer: String,
}

fn generate(records: usize) -> (Value, GenStats) {
    let mut g = Generator {
        rng: Lcg(0x5eed_ec5c_a9a7_e000),
        ids: Vec::new(),
        used_ids: HashSet::new(),
        keys: HashSet::new(),
    };
    let image = ImageInfo {
        registry: "123456789012",
        repository: "payments/api",
        region: "us-east-1",
        digest: format!("sha256:{}", g.rng.hex(64)),
        tags: ["v1.42.0", "latest"],
        pushed_at: g.rng.timestamp(2025),
    };
    let mut stats = GenStats {
        records,
        ..GenStats::default()
    };
    let mut findings = Vec::with_capacity(records);
    for i in 0..records {
        let two = i % TWO_PACKAGES_EVERY == TWO_PACKAGES_EVERY - 1;
        let (finding, severity, packages) = g.record(&image, two);
        stats.two_package_records += usize::from(packages == 2);
        stats.gate_findings += packages;
        *stats.severities.entry(severity).or_insert(0) += 1;
        findings.push(finding);
    }
    stats.distinct_ids = g.used_ids.len();
    stats.ghsa_ids = g
        .used_ids
        .iter()
        .filter(|id| id.starts_with("GHSA-"))
        .count();
    stats.cve_ids = stats.distinct_ids - stats.ghsa_ids;
    let completed = g.rng.timestamp(2025);
    let document = json!({
        "imageScanFindings": {
            "enhancedFindings": findings,
            "imageScanCompletedAt": completed,
            "vulnerabilitySourceUpdatedAt": completed,
            "findingSeverityCounts": stats.severities,
        },
        "registryId": image.registry,
        "repositoryName": image.repository,
        "imageId": {
            "imageDigest": image.digest,
            "imageTag": image.tags[0],
        },
        "imageScanStatus": {
            "status": "ACTIVE",
            "description": "Continuous scan is selected for image.",
        },
    });
    (document, stats)
}

impl Generator {
    fn fresh_id(&mut self, ecosystem: Ecosystem) -> String {
        loop {
            let ghsa = ecosystem != Ecosystem::Os && self.rng.percent(40);
            let id = if ghsa {
                let mut part = || -> String {
                    (0..4)
                        .map(|_| char::from(*self.rng.pick(GHSA_CHARS)))
                        .collect()
                };
                format!("GHSA-{}-{}-{}", part(), part(), part())
            } else {
                let year = self.rng.range(2005, 2025);
                let number = if year >= 2021 {
                    self.rng.range(1000, 52999)
                } else {
                    self.rng.range(1000, 20999)
                };
                format!("CVE-{year}-{number}")
            };
            if self.used_ids.insert(id.clone()) {
                self.ids.push((id.clone(), ecosystem));
                return id;
            }
        }
    }

    /// One Inspector record: the JSON, its severity, and how many packages it lists.
    fn record(&mut self, image: &ImageInfo, two_packages: bool) -> (Value, String, usize) {
        let rng = &mut self.rng;
        let ecosystem = match rng.below(100) {
            0..70 => Ecosystem::Os,
            70..88 => Ecosystem::Npm,
            _ => Ecosystem::Python,
        };
        // About one record in eight repeats a vulnerability already listed for other packages (the
        // same CVE in an OS package and a language package, or in two source packages).
        let reuse = !self.ids.is_empty() && self.rng.percent(12);
        let mut id = if reuse {
            let n = self.rng.below(self.ids.len());
            self.ids[n].0.clone()
        } else {
            self.fresh_id(ecosystem)
        };
        let count = if two_packages { 2 } else { 1 };
        let packages = loop {
            let packages = self.packages(ecosystem, count);
            let keys: Vec<_> = packages
                .iter()
                .map(|p| {
                    (
                        id.clone(),
                        p.name.clone(),
                        format!("{}-{}", p.version, p.release),
                        p.path.clone().unwrap_or_default(),
                    )
                })
                .collect();
            if keys.iter().all(|k| !self.keys.contains(k)) {
                self.keys.extend(keys);
                break packages;
            }
            // Collides with an earlier record: take a new vulnerability instead.
            id = self.fresh_id(ecosystem);
        };

        let rng = &mut self.rng;
        let severity = *rng.pick(&[
            "CRITICAL",
            "HIGH",
            "HIGH",
            "HIGH",
            "MEDIUM",
            "MEDIUM",
            "MEDIUM",
            "MEDIUM",
            "MEDIUM",
            "MEDIUM",
            "LOW",
            "LOW",
            "LOW",
            "LOW",
            "LOW",
            "INFORMATIONAL",
            "INFORMATIONAL",
            "UNTRIAGED",
        ]);
        let score = match severity {
            "CRITICAL" => rng.score(9.0, 10.0),
            "HIGH" => rng.score(7.0, 8.9),
            "MEDIUM" => rng.score(4.0, 6.9),
            "LOW" => rng.score(0.1, 3.9),
            "INFORMATIONAL" => rng.score(1.0, 5.5),
            _ => 0.0,
        };
        let ghsa = id.starts_with("GHSA-");
        let (source, source_url, vendor_severity) = match (ecosystem, ghsa) {
            (_, true) => (
                "GITHUB",
                format!("https://github.com/advisories/{id}"),
                (*rng.pick(&["LOW", "MODERATE", "HIGH", "CRITICAL"])).to_string(),
            ),
            (Ecosystem::Os, false) => (
                "DEBIAN_CVE",
                format!("https://security-tracker.debian.org/tracker/{id}"),
                (*rng.pick(&["not yet assigned", "unimportant", "low", "medium", "high"]))
                    .to_string(),
            ),
            (_, false) => (
                "NVD",
                format!("https://nvd.nist.gov/vuln/detail/{id}"),
                severity.to_string(),
            ),
        };
        let v3_vector = format!(
            "CVSS:3.1/AV:{}/AC:{}/PR:{}/UI:{}/S:{}/C:{}/I:{}/A:{}",
            rng.pick(&["N", "A", "L", "P"]),
            rng.pick(&["L", "H"]),
            rng.pick(&["N", "L", "H"]),
            rng.pick(&["N", "R"]),
            rng.pick(&["U", "C"]),
            rng.pick(&["N", "L", "H"]),
            rng.pick(&["N", "L", "H"]),
            rng.pick(&["N", "L", "H"]),
        );
        let untriaged = severity == "UNTRIAGED";
        let mut cvss = Vec::new();
        if !untriaged {
            if rng.percent(35) {
                cvss.push(json!({
                    "baseScore": rng.score(2.1, 10.0),
                    "scoringVector": format!(
                        "AV:{}/AC:{}/Au:N/C:{}/I:{}/A:{}",
                        rng.pick(&["N", "A", "L"]),
                        rng.pick(&["L", "M", "H"]),
                        rng.pick(&["N", "P", "C"]),
                        rng.pick(&["N", "P", "C"]),
                        rng.pick(&["N", "P", "C"]),
                    ),
                    "source": "NVD",
                    "version": "2.0",
                }));
            }
            cvss.push(json!({
                "baseScore": score,
                "scoringVector": v3_vector,
                "source": if ghsa { "GITHUB" } else { "NVD" },
                "version": "3.1",
            }));
        }
        let mut reference_urls = Vec::new();
        for _ in 0..rng.range(1, 4) {
            let url = match rng.below(5) {
                0 => format!(
                    "https://bugs.debian.org/cgi-bin/bugreport.cgi?bug={}",
                    rng.range(1_000_000, 1_099_999)
                ),
                1 => format!(
                    "https://github.com/{}/commit/{}",
                    rng.pick(ORGS),
                    rng.hex(40)
                ),
                2 => format!(
                    "https://lists.debian.org/debian-lts-announce/{}/{:02}/msg{:05}.html",
                    rng.range(2019, 2025),
                    rng.range(1, 12),
                    rng.below(40)
                ),
                3 => format!(
                    "https://www.openwall.com/lists/oss-security/{}/{:02}/{:02}/{}",
                    rng.range(2019, 2025),
                    rng.range(1, 12),
                    rng.range(1, 28),
                    rng.range(1, 9)
                ),
                _ => format!("https://nvd.nist.gov/vuln/detail/{id}"),
            };
            reference_urls.push(url);
        }
        let related: Vec<String> = if rng.percent(10) {
            vec![format!(
                "CVE-{}-{}",
                rng.range(2015, 2025),
                rng.range(1000, 40000)
            )]
        } else {
            Vec::new()
        };

        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        let title = format!("{id} - {}", names.join(", "));
        let description = if untriaged && rng.percent(50) {
            "None Provided".to_string()
        } else {
            description(rng, names[0], &packages[0].version)
        };

        let fixed_count = packages.iter().filter(|p| p.fixed.is_some()).count();
        let fix_available = match fixed_count {
            0 => "NO",
            n if n == packages.len() => "YES",
            _ => "PARTIAL",
        };
        let exploit = rng.percent(6);
        let created_year = rng.range(2015, 2025);
        let first_observed = rng.timestamp(2025);
        let last_observed = rng.timestamp(2026);
        let vulnerable_packages: Vec<Value> = packages
            .iter()
            .map(|p| {
                let mut package = json!({
                    "arch": p.arch,
                    "epoch": p.epoch,
                    "fixedInVersion": p.fixed.as_deref().unwrap_or("NotAvailable"),
                    "name": p.name,
                    "packageManager": p.manager,
                    "release": p.release,
                    "sourceLayerHash": p.source_layer,
                    "version": p.version,
                });
                if let Some(path) = &p.path {
                    package["filePath"] = json!(path);
                }
                package
            })
            .collect();
        let remediation = if fix_available == "NO" {
            "None Provided".to_string()
        } else if ecosystem == Ecosystem::Os {
            "Upgrade your installed software packages to the proposed fixed in version and release."
                .to_string()
        } else {
            format!(
                "Upgrade {} to version {} or later.",
                names[0],
                packages
                    .iter()
                    .find_map(|p| p.fixed.as_deref())
                    .unwrap_or("?")
            )
        };

        let mut finding = json!({
            "awsAccountId": image.registry,
            "description": description,
            "epss": { "score": rng.below(90_000) as f64 / 100_000.0 },
            "exploitAvailable": if exploit { "YES" } else { "NO" },
            "findingArn": format!(
                "arn:aws:inspector2:{}:{}:finding/{}",
                image.region,
                image.registry,
                rng.hex(32)
            ),
            "firstObservedAt": first_observed,
            "fixAvailable": fix_available,
            "lastObservedAt": last_observed,
            "packageVulnerabilityDetails": {
                "cvss": cvss,
                "referenceUrls": reference_urls,
                "relatedVulnerabilities": related,
                "source": source,
                "sourceUrl": source_url,
                "vendorCreatedAt": rng.timestamp(created_year),
                "vendorSeverity": vendor_severity,
                "vendorUpdatedAt": rng.timestamp(2025),
                "vulnerabilityId": id,
                "vulnerablePackages": vulnerable_packages,
            },
            "remediation": { "recommendation": { "text": remediation } },
            "resources": [{
                "details": {
                    "awsEcrContainerImage": {
                        "architecture": "amd64",
                        "imageHash": image.digest,
                        "imageTags": image.tags,
                        "inUseCount": 3,
                        "lastInUseAt": last_observed,
                        "platform": "DEBIAN_12",
                        "pushedAt": image.pushed_at,
                        "registry": image.registry,
                        "repositoryName": image.repository,
                    }
                },
                "id": format!(
                    "arn:aws:ecr:{}:{}:repository/{}/{}",
                    image.region, image.registry, image.repository, image.digest
                ),
                "partition": "aws",
                "region": image.region,
                "tags": {},
                "type": "AWS_ECR_CONTAINER_IMAGE",
            }],
            "score": score,
            "severity": severity,
            "status": "ACTIVE",
            "title": title,
            "type": "PACKAGE_VULNERABILITY",
            "updatedAt": last_observed,
        });
        if !untriaged {
            finding["scoreDetails"] = json!({
                "cvss": {
                    "adjustments": [],
                    "score": score,
                    "scoreSource": if ghsa { "GITHUB" } else { "NVD" },
                    "scoringVector": v3_vector,
                    "version": "3.1",
                }
            });
        }
        if exploit {
            finding["exploitabilityDetails"] = json!({ "lastKnownExploitAt": rng.timestamp(2025) });
        }
        (finding, severity.to_string(), packages.len())
    }

    fn packages(&mut self, ecosystem: Ecosystem, count: usize) -> Vec<Pkg> {
        let rng = &mut self.rng;
        let fixed = rng.percent(55);
        let layer = format!("sha256:{}", rng.hex(64));
        match ecosystem {
            Ecosystem::Os => {
                // Two packages: two binary packages of one source package (e.g. curl, libcurl4).
                let (mut source, mut binaries, mut epoch, mut version, mut release) =
                    *rng.pick(OS_PACKAGES);
                while binaries.len() < count {
                    (source, binaries, epoch, version, release) = *rng.pick(OS_PACKAGES);
                }
                let _ = source;
                let first = rng.below(binaries.len());
                let fixed_release = format!("{release}.{}", rng.range(1, 3));
                (0..count)
                    .map(|n| Pkg {
                        name: binaries[(first + n) % binaries.len()].to_string(),
                        epoch,
                        version: version.to_string(),
                        release: release.to_string(),
                        arch: "AMD64",
                        manager: "OS",
                        path: None,
                        // PARTIAL now and then: the second package names no fixed version.
                        fixed: (fixed && !(n == 1 && rng.percent(20)))
                            .then(|| format!("{epoch}:{version}-{fixed_release}")),
                        source_layer: layer.clone(),
                    })
                    .collect()
            }
            Ecosystem::Npm => {
                // Two packages: the same module installed at two places in node_modules.
                let (name, versions) = *rng.pick(NPM_PACKAGES);
                let parents = [*rng.pick(NPM_PARENTS), *rng.pick(NPM_PARENTS)];
                (0..count)
                    .map(|n| {
                        let version = *rng.pick(versions);
                        let path = if n == 0 {
                            format!("app/node_modules/{name}/package.json")
                        } else {
                            format!(
                                "app/node_modules/{}/node_modules/{name}/package.json",
                                parents[n % 2]
                            )
                        };
                        Pkg {
                            name: name.to_string(),
                            epoch: 0,
                            version: version.to_string(),
                            release: String::new(),
                            arch: "",
                            manager: "NPM",
                            path: Some(path),
                            fixed: fixed.then(|| bump(version)),
                            source_layer: layer.clone(),
                        }
                    })
                    .collect()
            }
            Ecosystem::Python => {
                // Two packages: the same distribution in the system site-packages and a venv.
                let (name, versions) = *rng.pick(PYTHON_PACKAGES);
                let version = *rng.pick(versions);
                (0..count)
                    .map(|n| Pkg {
                        name: name.to_string(),
                        epoch: 0,
                        version: version.to_string(),
                        release: String::new(),
                        arch: "",
                        manager: "PYTHONPKG",
                        path: Some(format!(
                            "{}/{name}-{version}.dist-info/METADATA",
                            PYTHON_SITES[n % PYTHON_SITES.len()]
                        )),
                        fixed: fixed.then(|| bump(version)),
                        source_layer: layer.clone(),
                    })
                    .collect()
            }
        }
    }
}

/// The next patch version: `4.17.20` → `4.17.21`.
fn bump(version: &str) -> String {
    match version.rsplit_once('.') {
        Some((head, last)) => match last.parse::<u64>() {
            Ok(n) => format!("{head}.{}", n + 1),
            Err(_) => format!("{version}.1"),
        },
        None => format!("{version}.1"),
    }
}

/// 200 to 1,000 characters of vulnerability prose, like NVD's and the distributions' descriptions.
fn description(rng: &mut Lcg, package: &str, version: &str) -> String {
    let target = rng.range(200, 1000);
    let (function, file) = *rng.pick(FUNCTIONS);
    let mut text = format!(
        "{package} before {} has {} in {function}() in {file}, which allows {} to {} via {}.",
        bump(version),
        rng.pick(BUGS),
        rng.pick(ATTACKERS),
        rng.pick(IMPACTS),
        rng.pick(VECTORS),
    );
    while text.len() < target {
        text.push(' ');
        let sentence: &str = SENTENCES[rng.below(SENTENCES.len())];
        text.push_str(sentence);
    }
    // Inspector cuts long descriptions, mid-word; every piece here is ASCII.
    text.truncate(target);
    text.truncate(text.trim_end().len());
    text
}
