//! Benchmark: pushing a ~500 MB image of five layers with the gate's push code, next to Debian's
//! `skopeo copy oci:DIR docker://…`, into the same local `docker-registry` (CNCF distribution 2.8, as
//! in the end-to-end tests), in the same run.
//!
//! The image is written once into a temporary OCI layout: five gzip layers of incompressible bytes
//! (stored deflate blocks, so that neither tool spends time compressing, and skopeo sees gzip and
//! copies the layers as they are). Each round starts a fresh registry, pushes the image with the gate
//! and with skopeo into their own repositories (alternating which goes first), then pushes it again
//! with each into the same repository (every blob already there). The gate's push runs in a child process (this binary, with
//! `--child-push`, calling `ecr_scan_gate::registry::push` as `scan --push` does), so that its wall
//! time and peak RSS (`wait4`'s `ru_maxrss`) are its own.
//!
//! Targets: push time ≤ 1.0× skopeo's (median of the rounds), peak RSS ≤ 64 MB, re-push ≤ 0.5 s.
//!
//! Run: `cargo bench --bench push` (or `scripts/bench`). Needs `docker-registry`, `htpasswd` and
//! `skopeo` from Debian (`apt-get install -y docker-registry apache2-utils skopeo`).
//! Knobs: `PUSH_BENCH_ROUNDS` (default 3), `PUSH_BENCH_LAYER_MB` (default 100), and the gate's
//! `PUSH_BENCH_CHUNK_MB` and `PUSH_BENCH_PARALLEL` (default: `PushOptions::default()`).

// A benchmark prints its numbers, and a failed setup may panic.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
// libc::wait4 reads the child's resource usage.
#![allow(unsafe_code)]

#[path = "../tests/cli/registry_server.rs"]
mod registry_server;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use ecr_scan_gate::registry::{self, Credentials, Password, PushOptions, Target};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use registry_server::Registry;

const PASSWORD: &str = "123456789012-auth-token";
const LAYERS: usize = 5;
const TAG: &str = "v1";

const TARGET_RATIO: f64 = 1.0;
const TARGET_RSS_MB: f64 = 64.0;
const TARGET_REPUSH: Duration = Duration::from_millis(500);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child-push") {
        return child_push(&args[2..]);
    }
    let rounds = knob("PUSH_BENCH_ROUNDS", 3);
    let layer_mb = knob("PUSH_BENCH_LAYER_MB", 100);
    let defaults = PushOptions::default();
    let chunk_mb = knob(
        "PUSH_BENCH_CHUNK_MB",
        usize::try_from(defaults.chunk_size >> 20).unwrap_or(usize::MAX),
    );
    let parallel = knob("PUSH_BENCH_PARALLEL", defaults.parallel_uploads);
    for tool in ["/usr/bin/skopeo", registry_server::REGISTRY_BINARY] {
        if !Path::new(tool).exists() {
            eprintln!("{tool} is missing: apt-get install -y docker-registry apache2-utils skopeo");
            return ExitCode::FAILURE;
        }
    }

    let work = tempfile::tempdir().expect("tempdir");
    let layout = work.path().join("layout");
    let began = Instant::now();
    let (digest, total) = write_layout(&layout, layer_mb as u64 * 1024 * 1024);
    println!(
        "image: {LAYERS} layers, {:.1} MB in all, written in {:.1}s to {}",
        total as f64 / 1e6,
        began.elapsed().as_secs_f64(),
        layout.display()
    );
    println!("skopeo: {}", version("skopeo", &["--version"]));

    let me = std::env::current_exe().expect("this binary");
    let mut gate = Vec::new();
    let mut skopeo = Vec::new();
    let mut repush = Vec::new();
    let mut skopeo_repush = Vec::new();
    for round in 1..=rounds {
        // NOTE: a fresh registry (new port) each round: skopeo remembers where it pushed blobs before
        // (its blob-info cache) and would mount them from an earlier round's repository instead of
        // uploading them.
        let registry = Registry::start(PASSWORD);
        let gate_repository = format!("bench/gate-{round}");
        let skopeo_repository = format!("bench/skopeo-{round}");
        let run_gate = |repository: &str| {
            let mut command = Command::new(&me);
            command.args([
                "--child-push",
                &layout.display().to_string(),
                &registry.endpoint(),
                repository,
                &chunk_mb.to_string(),
                &parallel.to_string(),
            ]);
            let measured = measure(&mut command);
            assert!(
                measured.stdout.starts_with(&digest),
                "the gate pushed {} (want {digest})",
                measured.stdout
            );
            measured
        };
        let run_skopeo = |repository: &str| {
            let mut command = Command::new("skopeo");
            command.args([
                "copy",
                "--quiet",
                "--insecure-policy",
                "--dest-tls-verify=false",
                "--dest-creds",
                &format!("AWS:{PASSWORD}"),
                &format!("oci:{}", layout.display()),
                &format!("docker://127.0.0.1:{}/{repository}:{TAG}", registry.port()),
            ]);
            measure(&mut command)
        };
        let (g, s) = if round % 2 == 1 {
            let g = run_gate(&gate_repository);
            (g, run_skopeo(&skopeo_repository))
        } else {
            let s = run_skopeo(&skopeo_repository);
            (run_gate(&gate_repository), s)
        };
        let r = run_gate(&gate_repository);
        let sr = run_skopeo(&skopeo_repository);
        println!(
            "round {round}: gate {:.2}s ({:.1} MB RSS), skopeo {:.2}s ({:.1} MB RSS), gate re-push \
             {:.3}s ({:.1} MB RSS), skopeo re-push {:.3}s",
            g.wall.as_secs_f64(),
            g.rss_mb,
            s.wall.as_secs_f64(),
            s.rss_mb,
            r.wall.as_secs_f64(),
            r.rss_mb,
            sr.wall.as_secs_f64(),
        );
        gate.push(g);
        skopeo.push(s);
        repush.push(r);
        skopeo_repush.push(sr);
    }

    let median = |runs: &[Measured]| {
        let mut walls: Vec<Duration> = runs.iter().map(|m| m.wall).collect();
        walls.sort();
        walls[walls.len() / 2]
    };
    let gate_time = median(&gate);
    let skopeo_time = median(&skopeo);
    let repush_time = median(&repush);
    let peak_rss = gate
        .iter()
        .chain(&repush)
        .map(|m| m.rss_mb)
        .fold(0.0, f64::max);
    let skopeo_rss = skopeo.iter().map(|m| m.rss_mb).fold(0.0, f64::max);
    let ratio = gate_time.as_secs_f64() / skopeo_time.as_secs_f64();
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    println!();
    println!(
        "push of {:.0} MB ({LAYERS} layers), median of {rounds} round(s); gate: {parallel} parallel \
         uploads, {chunk_mb} MiB chunks:",
        total as f64 / 1e6
    );
    println!("| measure | gate | skopeo | target | result |");
    println!("|---|---|---|---|---|");
    println!(
        "| push, wall time | {:.2} s ({:.0} MB/s) | {:.2} s ({:.0} MB/s) | ≤ {TARGET_RATIO:.1}× skopeo (is {ratio:.2}×) | {} |",
        gate_time.as_secs_f64(),
        total as f64 / 1e6 / gate_time.as_secs_f64(),
        skopeo_time.as_secs_f64(),
        total as f64 / 1e6 / skopeo_time.as_secs_f64(),
        verdict(ratio <= TARGET_RATIO)
    );
    println!(
        "| peak RSS | {peak_rss:.1} MB | {skopeo_rss:.1} MB | ≤ {TARGET_RSS_MB:.0} MB | {} |",
        verdict(peak_rss <= TARGET_RSS_MB)
    );
    println!(
        "| re-push, unchanged image | {:.3} s | {:.3} s | ≤ {:.1} s | {} |",
        repush_time.as_secs_f64(),
        median(&skopeo_repush).as_secs_f64(),
        TARGET_REPUSH.as_secs_f64(),
        verdict(repush_time <= TARGET_REPUSH)
    );
    ExitCode::SUCCESS
}

/// The gate's push in this (child) process: `--child-push DIR ENDPOINT REPOSITORY CHUNK_MB PARALLEL`;
/// prints the pushed digest and the blobs uploaded and skipped.
fn child_push(args: &[String]) -> ExitCode {
    let [dir, endpoint, repository, chunk_mb, parallel] = args else {
        eprintln!("usage: --child-push DIR ENDPOINT REPOSITORY CHUNK_MB PARALLEL");
        return ExitCode::FAILURE;
    };
    let options = PushOptions {
        chunk_size: chunk_mb.parse::<u64>().unwrap_or(64) << 20,
        parallel_uploads: parallel.parse().unwrap_or(4),
        ..PushOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let target = Target {
        endpoint: endpoint.clone(),
        repository: repository.clone(),
        tag: Some(TAG.into()),
        digest: None,
    };
    let credentials = Credentials {
        username: "AWS".into(),
        password: Password::new(PASSWORD),
    };
    let pushed = runtime.block_on(registry::push(
        Path::new(dir),
        &target,
        &credentials,
        &options,
        &|_| {},
    ));
    match pushed {
        Ok(pushed) => {
            println!(
                "{} uploaded {} skipped {}",
                pushed.digest, pushed.uploaded, pushed.skipped
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("push failed: {text}");
            ExitCode::FAILURE
        }
    }
}

struct Measured {
    wall: Duration,
    rss_mb: f64,
    stdout: String,
}

/// Runs `command` to its end; its wall time and peak RSS from `wait4`.
#[allow(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, not Child::wait"
)]
fn measure(command: &mut Command) -> Measured {
    let began = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let pid = i32::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, with valid pointers; the child is reaped here and never by
    // `Child::wait`.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = began.elapsed();
    assert_eq!(waited, pid, "wait4: {}", io::Error::last_os_error());
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        let _ = pipe.read_to_string(&mut stdout);
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed ({status})"
    );
    Measured {
        wall,
        // ru_maxrss is in KiB on Linux.
        rss_mb: usage.ru_maxrss as f64 * 1024.0 / 1e6,
        stdout: stdout.trim().to_string(),
    }
}

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn version(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// A writer that hashes and counts what passes through.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            len: 0,
        }
    }
    fn digest(&self) -> String {
        let hash = self.hasher.clone().finalize();
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}

/// `len` incompressible bytes (xorshift64*).
struct Noise {
    state: u64,
    left: u64,
}

impl Read for Noise {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let word = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Writes a blob from `write` into the layout; returns its digest and size.
fn write_blob(layout: &Path, write: impl FnOnce(&mut Hashing<BufWriter<File>>)) -> (String, u64) {
    let temporary = layout.join("blobs/sha256/.partial");
    let mut out = Hashing::new(BufWriter::with_capacity(
        1 << 20,
        File::create(&temporary).expect("blob"),
    ));
    write(&mut out);
    out.flush().expect("flush blob");
    let digest = out.digest();
    let path: PathBuf = layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    std::fs::rename(&temporary, path).expect("name blob");
    (digest, out.len)
}

/// Writes the OCI layout; returns the manifest's digest and the image's size.
fn write_layout(layout: &Path, layer_bytes: u64) -> (String, u64) {
    std::fs::create_dir_all(layout.join("blobs/sha256")).expect("layout");
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("oci-layout");
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    for n in 0..LAYERS {
        let mut diff_id = String::new();
        let (digest, size) = write_blob(layout, |out| {
            let gzip = flate2::write::GzEncoder::new(out, flate2::Compression::none());
            let mut tar = tar::Builder::new(Hashing::new(gzip));
            let mut header = tar::Header::new_gnu();
            header.set_size(layer_bytes);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            let noise = Noise {
                state: 0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1),
                left: layer_bytes,
            };
            tar.append_data(&mut header, format!("layer{n}/data.bin"), noise)
                .expect("layer");
            let uncompressed = tar.into_inner().expect("tar");
            diff_id = uncompressed.digest();
            uncompressed.inner.finish().expect("gzip");
        });
        diff_ids.push(diff_id);
        layers.push(json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": digest,
            "size": size,
        }));
    }
    let config = json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    })
    .to_string();
    let (config_digest, config_size) = write_blob(layout, |out| {
        out.write_all(config.as_bytes()).expect("config")
    });
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": layers,
    })
    .to_string();
    let (digest, size) = write_blob(layout, |out| {
        out.write_all(manifest.as_bytes()).expect("manifest")
    });
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": size,
            "annotations": { "org.opencontainers.image.ref.name": TAG },
        }],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).expect("index.json");
    let total = layers
        .iter()
        .map(|l| l["size"].as_u64().unwrap_or(0))
        .sum::<u64>()
        + config_size;
    (digest, total)
}
