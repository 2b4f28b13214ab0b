//! Debian's `docker-registry` (CNCF distribution 2.8) per test, as ECR's OCI registry side, and a small
//! HTTP proxy to put in front of it that counts requests and injects failures.
//!
//! [`Registry::start`] writes a `config.yml` into a fresh temporary directory (filesystem storage
//! there, htpasswd auth for user `AWS` with the given password, as ECR's basic auth), picks a free
//! port on 127.0.0.1, runs `docker-registry serve` in its own process group and waits until `GET /v2/`
//! asks for credentials; the process group is killed on drop. The password is hashed with
//! `htpasswd -Bbn` (apache2-utils): distribution only reads bcrypt entries. `scripts/test` installs both
//! packages.
//!
//! [`Proxy`] forwards one request per connection (it sets `Connection: close`), records each request
//! line, and can answer every Nth request with 503 or drop its connection without an answer.
//!
//! Self-contained (std only, plus `base64`, and the tests' HTTP client [`http`], declared here):
//! `benches/push.rs` includes it too.

#![allow(dead_code)]

#[path = "http.rs"]
pub mod http;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;

use http::{Response, free_port};

/// Where Debian installs the registry.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

const NOT_INSTALLED: &str = "Debian's docker-registry and apache2-utils (htpasswd) are needed: \
run `apt-get install -y docker-registry apache2-utils` (scripts/test does)";

/// How long the registry may take to start.
const STARTUP: Duration = Duration::from_secs(30);

/// The user name ECR's basic auth uses.
pub const USER: &str = "AWS";

/// A running registry, killed on drop.
pub struct Registry {
    child: Child,
    port: u16,
    api: RegistryApi,
    log: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry whose only user is `AWS` with `password`.
    pub fn start(password: &str) -> Registry {
        if !Path::new(REGISTRY_BINARY).exists() {
            panic!("{REGISTRY_BINARY} is missing. {NOT_INSTALLED}");
        }
        let dir = tempfile::tempdir().expect("tempdir for the registry");
        let htpasswd = match Command::new("htpasswd")
            .args(["-Bbn", USER, password])
            .output()
        {
            Ok(output) if output.status.success() => output.stdout,
            Ok(output) => panic!(
                "htpasswd failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!("couldn't run htpasswd ({error}). {NOT_INSTALLED}"),
        };
        std::fs::write(dir.path().join("htpasswd"), htpasswd).expect("write htpasswd");
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            match Self::spawn(&dir, port, password) {
                Ok((child, log)) => {
                    return Registry {
                        child,
                        port,
                        api: RegistryApi::new(port, password),
                        log,
                        dir,
                    };
                }
                Err(log) if log.contains("address already in use") => last = log,
                Err(log) => panic!("docker-registry did not start:\n{log}"),
            }
        }
        panic!("docker-registry did not start: no free port after 5 tries:\n{last}");
    }

    fn spawn(
        dir: &tempfile::TempDir,
        port: u16,
        password: &str,
    ) -> Result<(Child, Arc<Mutex<String>>), String> {
        let root = dir.path();
        let config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n  \
             maintenance:\n    uploadpurging:\n      enabled: false\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: ecr-scan-gate-tests\n\
             auth:\n  htpasswd:\n    realm: ecr-scan-gate-tests\n    path: {htpasswd}\n",
            data = root.join("data").display(),
            htpasswd = root.join("htpasswd").display(),
        );
        let config_path = root.join(format!("config-{port}.yml"));
        std::fs::write(&config_path, config).expect("write config.yml");
        let mut child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("couldn't run {REGISTRY_BINARY}: {e}. {NOT_INSTALLED}"));
        let log = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take(), Arc::clone(&log));
        drain(child.stderr.take(), Arc::clone(&log));
        let api = RegistryApi::new(port, password);
        let began = Instant::now();
        while began.elapsed() < STARTUP {
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                let text = log.lock().map(|l| l.clone()).unwrap_or_default();
                return Err(format!("exited with {status}:\n{text}"));
            }
            if let Ok(response) = http::request(port, "GET", "/v2/", &[], b"")
                && response.status == 401
                && api.get("/v2/", &[]).is_ok_and(|r| r.status == 200)
            {
                return Ok((child, log));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        kill_group(&mut child);
        Err(format!(
            "not answering on port {port} after {}s:\n{}",
            STARTUP.as_secs(),
            log.lock().map(|l| l.clone()).unwrap_or_default()
        ))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, for `--registry-endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The API as the registry's user.
    pub fn api(&self) -> RegistryApi {
        self.api.clone()
    }

    /// What the registry printed so far (its request log).
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The registry's storage directory.
    pub fn storage(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) on the process group of a child we spawned.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn drain(pipe: Option<impl Read + Send + 'static>, log: Arc<Mutex<String>>) {
    let Some(pipe) = pipe else { return };
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        while let Ok(n) = reader.read_line(&mut line) {
            if n == 0 {
                break;
            }
            if let Ok(mut log) = log.lock() {
                log.push_str(&line);
            }
            line.clear();
        }
    });
}

/// The accept header for every manifest media type.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A manifest as the registry serves it.
#[derive(Debug, Clone)]
pub struct Served {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: String,
}

/// The registry's API with its credentials; cheap to clone into other threads.
#[derive(Debug, Clone)]
pub struct RegistryApi {
    port: u16,
    authorization: String,
}

impl RegistryApi {
    fn new(port: u16, password: &str) -> RegistryApi {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
        RegistryApi {
            port,
            authorization: format!("Basic {token}"),
        }
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> std::io::Result<Response> {
        self.request("GET", path, headers)
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> std::io::Result<Response> {
        let mut all = vec![("Authorization", self.authorization.as_str())];
        all.extend_from_slice(headers);
        http::request(self.port, method, path, &all, b"")
    }

    /// The repositories (`/v2/_catalog`).
    pub fn catalog(&self) -> Vec<String> {
        let response = self.get("/v2/_catalog", &[]).expect("catalog");
        assert_eq!(response.status, 200, "catalog: {}", response.text());
        let value: serde_json::Value =
            serde_json::from_slice(&response.body).expect("catalog JSON");
        value["repositories"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The manifest `reference` (tag or digest) of `repository`, if any.
    pub fn manifest(&self, repository: &str, reference: &str) -> Option<Served> {
        let response = self
            .get(
                &format!("/v2/{repository}/manifests/{reference}"),
                &[("Accept", ACCEPT_MANIFESTS)],
            )
            .ok()?;
        if response.status != 200 {
            return None;
        }
        Some(Served {
            media_type: response
                .header("content-type")
                .unwrap_or_default()
                .to_string(),
            digest: response
                .header("docker-content-digest")
                .unwrap_or_default()
                .to_string(),
            bytes: response.body,
        })
    }

    /// Whether `repository` has the blob.
    pub fn has_blob(&self, repository: &str, digest: &str) -> bool {
        self.request("HEAD", &format!("/v2/{repository}/blobs/{digest}"), &[])
            .is_ok_and(|r| r.status == 200)
    }

    /// The blob's bytes.
    pub fn blob(&self, repository: &str, digest: &str) -> Vec<u8> {
        let response = self
            .get(&format!("/v2/{repository}/blobs/{digest}"), &[])
            .expect("blob");
        assert_eq!(response.status, 200, "blob {digest}");
        response.body
    }
}

/// Failures a [`Proxy`] injects.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Answer every Nth request with 503 (0: never).
    pub unavailable_every: usize,
    /// Close every Nth request's connection without an answer (0: never).
    pub drop_every: usize,
}

/// A proxy in front of a registry: one request per connection, each recorded as `METHOD /path`
/// (query left out), some failed on purpose.
pub struct Proxy {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    injected: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: u16, faults: Faults) -> Proxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let injected = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicUsize::new(0));
        {
            let (requests, injected, stop) = (
                Arc::clone(&requests),
                Arc::clone(&injected),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (requests, injected, counter) = (
                        Arc::clone(&requests),
                        Arc::clone(&injected),
                        Arc::clone(&counter),
                    );
                    std::thread::spawn(move || {
                        let _ = relay(stream, upstream, faults, &requests, &injected, &counter);
                    });
                }
            });
        }
        Proxy {
            port,
            requests,
            injected,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request line seen, in order of arrival.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many requests were failed on purpose.
    pub fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
    }
}

fn relay(
    client: TcpStream,
    upstream: u16,
    faults: Faults,
    requests: &Mutex<Vec<String>>,
    injected: &AtomicUsize,
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let end = line == b"\r\n" || line == b"\n";
        head.push(String::from_utf8_lossy(&line).trim_end().to_string());
        if end {
            break;
        }
    }
    let request_line = head.first().cloned().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default().to_string();
    let length: u64 = head
        .iter()
        .filter_map(|h| h.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
    if let Ok(mut requests) = requests.lock() {
        requests.push(format!("{method} {path}"));
    }
    let mut client = client;
    if faults.drop_every > 0 && n.is_multiple_of(faults.drop_every) {
        injected.fetch_add(1, Ordering::SeqCst);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    if faults.unavailable_every > 0 && n.is_multiple_of(faults.unavailable_every) {
        injected.fetch_add(1, Ordering::SeqCst);
        std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink())?;
        client.write_all(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    let mut server = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream))?;
    let mut forwarded = String::new();
    for line in head.iter().filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    server.write_all(forwarded.as_bytes())?;
    std::io::copy(&mut (&mut reader).take(length), &mut server)?;
    std::io::copy(&mut server, &mut client)?;
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}
