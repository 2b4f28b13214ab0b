//! A moto server (PyPI `moto[server]` 5.2.x) per test, and a small client for moto's ECR API to set
//! up repositories, images, scanning configurations and scans, without boto3 or an HTTP client crate.
//!
//! [`Moto::start`] picks a free port on 127.0.0.1, runs `moto_server -H 127.0.0.1 -p PORT` (or
//! `python3 -m moto.server …` when there is no `moto_server` on `PATH`) in its own process group,
//! waits until that process says it is running on that port and `GET /moto-api/` answers, and kills
//! the process group on drop. A port taken between the pick and the bind makes moto exit ("Address
//! already in use"): another port is tried. Every test gets its own server, so tests run in parallel
//! and never see each other's state.
//!
//! Requests are JSON 1.1 over the tests' HTTP client ([`crate::http`]; `POST /`, `X-Amz-Target:
//! AmazonEC2ContainerRegistry_V20150921.<Action>`, `Content-Type: application/x-amz-json-1.1`). moto
//! does not verify signatures, but it does need an `Authorization` header in SigV4 shape: the server
//! picks the service from the credential scope (`…/REGION/ecr/aws4_request`) and the region from it
//! too; without the header the request is routed to S3 (`ListAllMyBucketsResult`). Every request is
//! made in the account moto uses for unknown access keys, `123456789012`.
//!
//! What moto 5.2's ECR (`moto/ecr/models.py`, `responses.py`) can express:
//!
//! - repositories, `PutImage` of a manifest with a tag; the digest is right only when `PutImage` is
//!   given `imageDigest` (else moto hashes the layer digests, or a random number) — [`MotoEcr::put_image`]
//!   always sends the sha256 of the manifest bytes. `BatchGetImage` ignores `acceptedMediaTypes` and
//!   answers an unknown tag or digest with a `failures[]` entry (`ImageNotFound`), an unknown
//!   repository (or a `registryId` other than 123456789012) with `RepositoryNotFoundException`;
//! - `StartImageScan`: answers `IN_PROGRESS` and records the scan time; a second call on the same
//!   calendar day is `LimitExceededException` ("The scan quota per image has been exceeded"), as ECR's
//!   once-per-24-h quota; an unknown image is `ImageNotFoundException`;
//! - `DescribeImageScanFindings`: `ScanNotFoundException` until a scan was started, then at once and
//!   forever `COMPLETE` (it never reports `IN_PROGRESS`) with one made-up finding: `CVE-9999-9999`,
//!   `HIGH`, package `moto_fake` 9.9.9, CVSS2 7.5, counts `{"HIGH": 1}`, epoch-second timestamps;
//!   `ImageNotFoundException` for an unknown (e.g. deleted) image;
//! - `Get`/`PutRegistryScanningConfiguration` store and return whatever is put (`BASIC` or
//!   `ENHANCED`, any rules); `PutImageScanningConfiguration` stores the repository's `scanOnPush`;
//! - an injected answer ([`Moto::set_scan_findings`], `POST /moto-api/static/ecr/scan-finding-results`):
//!   any `DescribeImageScanFindings` response body (any status, `enhancedFindings`, `nextToken`), given
//!   out once a scan exists. It is bound to the first request identity (the JSON of `imageId`) that
//!   asks and then returned for every request with that identity, whatever its `nextToken`.
//!
//! What it cannot express: scan-on-push or continuous scanning (nothing ever scans by itself, whatever
//! the configuration says), a scan that is running (`IN_PROGRESS` → `COMPLETE` sequences), enhanced
//! scanning proper (Inspector; manual scans are never refused, `UnsupportedImageTypeException` and
//! `ValidationException` never come), real findings, paging (no `maxResults`/`nextToken`; an injected
//! `nextToken` repeats), throttling, access denial, multi-platform indexes resolved to scannable
//! children (an index can be put, but its children scan like anything else).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::http::{self, free_port};

/// The account moto answers as.
pub const ACCOUNT: &str = "123456789012";

/// The region used unless a test says otherwise.
pub const REGION: &str = "us-east-1";

const NOT_INSTALLED: &str =
    "moto[server] is not installed: run `pip install 'moto[server]'` (scripts/test does)";

/// How long a moto server may take to start.
const STARTUP: Duration = Duration::from_secs(60);

/// A running moto server, killed on drop.
pub struct Moto {
    child: Child,
    /// The child was reaped: its id may name another process now.
    reaped: bool,
    port: u16,
    /// moto's stderr (the request log), for diagnostics.
    log: Arc<Mutex<String>>,
}

impl Moto {
    /// Starts a moto server on a free port of 127.0.0.1 and waits until it answers.
    pub fn start() -> Moto {
        let mut last_failure = String::new();
        for _ in 0..5 {
            let port = free_port();
            match Self::spawn(port) {
                Ok(moto) => return moto,
                Err(Failure::PortTaken(log)) => last_failure = log,
                Err(Failure::Other(log)) => panic!("moto server did not start:\n{log}"),
            }
        }
        panic!("moto server did not start: no free port after 5 tries:\n{last_failure}");
    }

    fn spawn(port: u16) -> Result<Moto, Failure> {
        let port_text = port.to_string();
        let launchers: [(&str, &[&str]); 2] =
            [("moto_server", &[]), ("python3", &["-m", "moto.server"])];
        let mut missing = Vec::new();
        for (program, prefix) in launchers {
            let mut command = Command::new(program);
            command
                .args(prefix)
                .args(["-H", "127.0.0.1", "-p", &port_text])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .process_group(0);
            let mut child = match command.spawn() {
                Ok(child) => child,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    missing.push(format!("{program}: not found"));
                    continue;
                }
                Err(error) => panic!("couldn't run {program}: {error}"),
            };
            let log = Arc::new(Mutex::new(String::new()));
            let running = drain(&mut child, port, Arc::clone(&log));
            let mut moto = Moto {
                child,
                reaped: false,
                port,
                log,
            };
            match moto.wait_ready(&running) {
                Ok(()) => return Ok(moto),
                Err(Failure::Other(text)) if is_not_installed(&text) => {
                    missing.push(format!("{program}: {}", text.trim()));
                    continue;
                }
                Err(failure) => return Err(failure),
            }
        }
        panic!("{NOT_INSTALLED}\n{}", missing.join("\n"));
    }

    /// Waits until the child says it runs on our port and `/moto-api/` answers, or the child exits.
    fn wait_ready(&mut self, running: &mpsc::Receiver<()>) -> Result<(), Failure> {
        let began = Instant::now();
        let mut bound = false;
        while began.elapsed() < STARTUP {
            if let Some(status) = self.child.try_wait().expect("moto's status") {
                self.reaped = true;
                // Let the reader thread take the last words.
                std::thread::sleep(Duration::from_millis(100));
                let log = self.log();
                let text = format!("exited with {status}:\n{log}");
                return Err(if log.contains("Address already in use") {
                    Failure::PortTaken(text)
                } else {
                    Failure::Other(text)
                });
            }
            bound = bound || running.try_recv().is_ok();
            if bound
                && let Ok(response) = http::request(self.port, "GET", "/moto-api/", &[], b"")
                && response.status == 200
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(Failure::Other(format!(
            "not answering on port {} after {}s:\n{}",
            self.port,
            STARTUP.as_secs(),
            self.log()
        )))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_ECR`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What moto printed so far (its request log).
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The ECR API of one region.
    pub fn ecr(&self, region: &str) -> MotoEcr {
        MotoEcr {
            port: self.port,
            region: region.to_string(),
        }
    }

    /// Injects `results` (whole `DescribeImageScanFindings` response bodies, each with
    /// `repositoryName` and `imageId`) for `region`: the next `DescribeImageScanFindings` of a
    /// matching image that has a scan gets the first of them, and keeps getting it.
    pub fn set_scan_findings(&self, region: &str, results: &[Value]) {
        let body = json!({ "results": results, "region": region, "account_id": ACCOUNT });
        let response = http::request(
            self.port,
            "POST",
            "/moto-api/static/ecr/scan-finding-results",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
        .expect("moto's scan-finding-results endpoint");
        assert_eq!(response.status, 201, "{}", response.text());
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // The child leads its own process group (a launcher may have forked): end the whole group.
        if self.reaped {
            return;
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on the process group of a child we spawned.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Failure {
    PortTaken(String),
    Other(String),
}

fn is_not_installed(text: &str) -> bool {
    text.contains("No module named") || text.contains("command not found")
}

/// Reads the child's stderr into `log` for its whole life (an undrained pipe would block moto);
/// signals once it says it is running on `port`.
fn drain(child: &mut Child, port: u16, log: Arc<Mutex<String>>) -> mpsc::Receiver<()> {
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    let running = format!("Running on http://127.0.0.1:{port}");
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if line.contains(&running) {
                        let _ = tx.send(());
                    }
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&line);
                    }
                }
            }
        }
    });
    rx
}

/// An error answer of the ECR API (`__type` and `message` of the JSON 1.1 error body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// moto's ECR API in one region, spoken as the AWS SDKs do (JSON 1.1).
pub struct MotoEcr {
    port: u16,
    region: String,
}

impl MotoEcr {
    /// One call; `Err` for an error answer.
    pub fn call(&self, action: &str, input: &Value) -> Result<Value, AwsError> {
        let target = format!("AmazonEC2ContainerRegistry_V20150921.{action}");
        // SigV4 shape only: moto reads the service and region from the credential scope.
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/{}/ecr/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
            self.region,
            "0".repeat(64)
        );
        let response = http::request(
            self.port,
            "POST",
            "/",
            &[
                ("X-Amz-Target", &target),
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Date", "20260101T000000Z"),
                ("Authorization", &authorization),
            ],
            input.to_string().as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{action}: no answer from moto: {e}"));
        let body: Value = if response.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&response.body).unwrap_or_else(|e| {
                panic!("{action}: answer is not JSON ({e}): {}", response.text())
            })
        };
        if response.status == 200 {
            return Ok(body);
        }
        let code = body["__type"].as_str().unwrap_or_default();
        Err(AwsError {
            status: response.status,
            code: code.rsplit('#').next().unwrap_or_default().to_string(),
            message: body["message"]
                .as_str()
                .or(body["Message"].as_str())
                .unwrap_or_default()
                .to_string(),
        })
    }

    #[track_caller]
    fn must(&self, action: &str, input: Value) -> Value {
        self.call(action, &input)
            .unwrap_or_else(|e| panic!("{action} {input}: {e:?}"))
    }

    pub fn create_repository(&self, name: &str) -> Value {
        self.must("CreateRepository", json!({ "repositoryName": name }))
    }

    /// `PutImage` of `manifest` under `tag` with its true digest (sha256 of the bytes), which is
    /// returned. The media type is taken from the manifest's `mediaType`.
    pub fn put_image(&self, repository: &str, tag: &str, manifest: &str) -> String {
        let media_type = serde_json::from_str::<Value>(manifest)
            .ok()
            .and_then(|m| m["mediaType"].as_str().map(str::to_string))
            .expect("manifest with a mediaType");
        let digest = digest_of(manifest.as_bytes());
        let answer = self.must(
            "PutImage",
            json!({
                "repositoryName": repository,
                "imageManifest": manifest,
                "imageManifestMediaType": media_type,
                "imageTag": tag,
                "imageDigest": digest,
            }),
        );
        assert_eq!(
            answer["image"]["imageId"]["imageDigest"], digest,
            "moto kept the digest"
        );
        digest
    }

    /// `PutRegistryScanningConfiguration`: `scan_type` `BASIC`|`ENHANCED`, rules of
    /// (`SCAN_ON_PUSH`|`CONTINUOUS_SCAN`|`MANUAL`, wildcard filters).
    pub fn put_registry_scanning_configuration(&self, scan_type: &str, rules: &[(&str, &[&str])]) {
        let rules: Vec<Value> = rules
            .iter()
            .map(|(frequency, filters)| {
                json!({
                    "scanFrequency": frequency,
                    "repositoryFilters": filters
                        .iter()
                        .map(|f| json!({ "filter": f, "filterType": "WILDCARD" }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        self.must(
            "PutRegistryScanningConfiguration",
            json!({ "scanType": scan_type, "rules": rules }),
        );
    }

    /// `PutImageScanningConfiguration` (the repository's own, deprecated `scanOnPush`).
    pub fn put_image_scanning_configuration(&self, repository: &str, scan_on_push: bool) -> Value {
        self.must(
            "PutImageScanningConfiguration",
            json!({
                "repositoryName": repository,
                "imageScanningConfiguration": { "scanOnPush": scan_on_push },
            }),
        )
    }

    pub fn start_image_scan(&self, repository: &str, digest: &str) -> Result<Value, AwsError> {
        self.call(
            "StartImageScan",
            &json!({ "repositoryName": repository, "imageId": { "imageDigest": digest } }),
        )
    }

    pub fn describe_image_scan_findings(
        &self,
        repository: &str,
        image_id: Value,
    ) -> Result<Value, AwsError> {
        self.call(
            "DescribeImageScanFindings",
            &json!({ "repositoryName": repository, "imageId": image_id }),
        )
    }

    /// `BatchDeleteImage` of one digest.
    pub fn delete_image(&self, repository: &str, digest: &str) {
        let answer = self.must(
            "BatchDeleteImage",
            json!({ "repositoryName": repository, "imageIds": [{ "imageDigest": digest }] }),
        );
        assert_eq!(answer["failures"], json!([]), "{answer}");
    }
}

/// `sha256:` + hex of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A small OCI image manifest, distinct per `seed` (the config and layer digests are made up; moto
/// never fetches blobs).
pub fn image_manifest(seed: &str) -> String {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": digest_of(format!("config {seed}").as_bytes()),
            "size": 1469,
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": digest_of(format!("layer {seed}").as_bytes()),
            "size": 3_623_807,
        }],
    })
    .to_string()
}

// ---- the helper against moto itself: what the doc above claims ----

#[test]
fn moto_speaks_ecr_json_as_documented() {
    let moto = Moto::start();
    let ecr = moto.ecr(REGION);
    let repository = ecr.create_repository("team/app");
    assert_eq!(repository["repository"]["registryId"], ACCOUNT);
    let manifest = image_manifest("doc");
    let digest = ecr.put_image("team/app", "v1", &manifest);
    assert_eq!(digest, digest_of(manifest.as_bytes()));

    let id = json!({ "imageDigest": digest });
    let missing = ecr
        .describe_image_scan_findings("team/app", id.clone())
        .unwrap_err();
    assert_eq!(missing.code, "ScanNotFoundException", "{missing:?}");

    let started = ecr.start_image_scan("team/app", &digest).unwrap();
    assert_eq!(started["imageScanStatus"]["status"], "IN_PROGRESS");
    let again = ecr.start_image_scan("team/app", &digest).unwrap_err();
    assert_eq!(again.code, "LimitExceededException", "{again:?}");

    let found = ecr.describe_image_scan_findings("team/app", id).unwrap();
    assert_eq!(found["imageScanStatus"]["status"], "COMPLETE");
    assert_eq!(
        found["imageScanFindings"]["findings"][0]["name"],
        "CVE-9999-9999"
    );
    assert_eq!(
        found["imageScanFindings"]["findingSeverityCounts"],
        json!({"HIGH": 1})
    );
    assert!(found["imageScanFindings"]["imageScanCompletedAt"].is_number());

    let unknown = ecr
        .start_image_scan("team/app", &digest_of(b"nothing"))
        .unwrap_err();
    assert_eq!(unknown.code, "ImageNotFoundException", "{unknown:?}");
    let no_repository = ecr.call(
        "BatchGetImage",
        &json!({ "repositoryName": "nope", "imageIds": [{ "imageTag": "v1" }] }),
    );
    assert_eq!(
        no_repository.unwrap_err().code,
        "RepositoryNotFoundException"
    );

    ecr.put_registry_scanning_configuration("BASIC", &[("SCAN_ON_PUSH", &["team/*"])]);
    let config = ecr
        .call("GetRegistryScanningConfiguration", &json!({}))
        .unwrap();
    assert_eq!(config["scanningConfiguration"]["scanType"], "BASIC");
    assert_eq!(
        config["scanningConfiguration"]["rules"][0]["repositoryFilters"][0]["filter"],
        "team/*"
    );
    let repo_config = ecr.put_image_scanning_configuration("team/app", true);
    assert_eq!(
        repo_config["imageScanningConfiguration"]["scanOnPush"],
        true
    );
    // Scan-on-push is stored, never acted on.
    let pushed = ecr.put_image("team/app", "v2", &image_manifest("pushed"));
    let none = ecr
        .describe_image_scan_findings("team/app", json!({ "imageDigest": pushed }))
        .unwrap_err();
    assert_eq!(none.code, "ScanNotFoundException");
}

#[test]
fn moto_needs_a_sigv4_shaped_authorization_header() {
    let moto = Moto::start();
    let unsigned = http::request(
        moto.port(),
        "POST",
        "/",
        &[
            (
                "X-Amz-Target",
                "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
            ),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        b"{}",
    )
    .unwrap();
    assert!(
        !unsigned.text().contains("repositories"),
        "routed to ECR without Authorization: {}",
        unsigned.text()
    );
    let signed = moto
        .ecr(REGION)
        .call("DescribeRepositories", &json!({}))
        .unwrap();
    assert_eq!(signed["repositories"], json!([]));
}

#[test]
fn each_moto_has_its_own_state_and_regions_are_apart() {
    let one = Moto::start();
    let two = Moto::start();
    assert_ne!(one.port(), two.port());
    one.ecr(REGION).create_repository("app");
    let listed = |moto: &Moto, region: &str| {
        moto.ecr(region)
            .call("DescribeRepositories", &json!({}))
            .unwrap()["repositories"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(listed(&one, REGION), 1);
    assert_eq!(listed(&one, "eu-west-1"), 0);
    assert_eq!(listed(&two, REGION), 0);
}
