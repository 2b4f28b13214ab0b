//! A scripted stand-in for Amazon ECR: a local HTTP/1.1 server speaking ECR's JSON 1.1 protocol
//! (`POST /`, `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`, JSON bodies).
//!
//! Each test starts its own [`EcrStub`], scripts per operation a queue of [`Action`]s (the last one
//! repeats), points the binary at it with [`EcrStub::env`], and afterwards asserts on the recorded
//! requests. Routes can be narrowed to requests whose JSON body matches a predicate (a digest, a
//! `nextToken`); such routes are tried before the operation's catch-all route. A route can also answer
//! from a function of the request ([`EcrStub::on_fn`]: scans that finish at a given time). An operation
//! without a script is answered with a 400 `UnknownOperationException` (and recorded), which the SDK
//! does not retry.
//!
//! [`EcrStub::rate_limit`] puts an operation behind a token bucket shared by every caller, as ECR's
//! per-operation TPS quotas are shared by every client of an account: a request beyond it is answered
//! `ThrottlingException` (and recorded as throttled) without consuming the script.
//!
//! The builders below produce realistic bodies (shapes copied from `tests/fixtures/ecr-public/`,
//! timestamps as epoch numbers as on the wire).

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";
pub const ACCOUNT: &str = "123456789012";
/// A fixed "now" for wire timestamps (2026-11-27T12:00:00Z).
pub const NOW: f64 = 1_795_780_800.0;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

// ---- Script ----

/// What the stub does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// 200 with this JSON body.
    Json(Value),
    /// A service error: `status` with `{"__type": kind, "message": message}` and `x-amzn-ErrorType`.
    Error {
        status: u16,
        kind: String,
        message: String,
    },
    /// `status` with this body as it is (HTML from a proxy, broken JSON).
    Raw { status: u16, body: String },
    /// A 200 that announces twice the length of this body, sends the body, and closes the connection.
    Cut(Value),
    /// Close the connection without answering.
    Drop,
    /// Wait, then do the inner action.
    Delay(Duration, Box<Action>),
}

impl Action {
    pub fn json(value: Value) -> Action {
        Action::Json(value)
    }

    pub fn error(status: u16, kind: &str, message: &str) -> Action {
        Action::Error {
            status,
            kind: kind.to_string(),
            message: message.to_string(),
        }
    }

    pub fn raw(status: u16, body: &str) -> Action {
        Action::Raw {
            status,
            body: body.to_string(),
        }
    }

    pub fn delay(duration: Duration, then: Action) -> Action {
        Action::Delay(duration, Box::new(then))
    }

    /// 400 `ScanNotFoundException`, as DescribeImageScanFindings answers for an image never scanned.
    pub fn scan_not_found(repository: &str, digest: &str) -> Action {
        Action::error(
            400,
            "ScanNotFoundException",
            &format!(
                "Image scan does not exist for the image with '{{imageDigest:'{digest}', imageTag:'null'}}' in the repository with name '{repository}' in the registry with id '{ACCOUNT}'"
            ),
        )
    }

    /// 400 `ThrottlingException`.
    pub fn throttling() -> Action {
        Action::error(400, "ThrottlingException", "Rate exceeded")
    }

    /// 500 `ServerException`.
    pub fn server_error() -> Action {
        Action::error(500, "ServerException", "Internal error (stub)")
    }

    /// 400 `AccessDeniedException`.
    pub fn access_denied(operation: &str) -> Action {
        Action::error(
            400,
            "AccessDeniedException",
            &format!(
                "User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: ecr:{operation} on resource: * because no identity-based policy allows the ecr:{operation} action"
            ),
        )
    }

    /// 400 `LimitExceededException`, as StartImageScan answers when a scan from the last 24 h exists.
    pub fn scan_limit_exceeded() -> Action {
        Action::error(
            400,
            "LimitExceededException",
            "The scan quota per image has been exceeded. Wait and try again.",
        )
    }
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The operation (`DescribeImageScanFindings`), or the raw target when it lacks the prefix.
    pub operation: String,
    /// The parsed JSON body (`Null` when empty or not JSON).
    pub body: Value,
    /// When it arrived, since the stub started.
    pub at: Duration,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The connection it arrived on (counted from 0), to see connection reuse.
    pub connection: usize,
    /// Answered `ThrottlingException` by the operation's rate limit ([`EcrStub::rate_limit`]).
    pub throttled: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `imageId.imageDigest` of the body.
    pub fn digest(&self) -> Option<&str> {
        self.body["imageId"]["imageDigest"].as_str()
    }

    /// `nextToken` of the body.
    pub fn next_token(&self) -> Option<&str> {
        self.body["nextToken"].as_str()
    }

    /// The access key id the request was signed with (`Credential=KEY/…` of SigV4), which tells
    /// apart the gates of a load test.
    pub fn access_key(&self) -> Option<&str> {
        let authorization = self.header("authorization")?;
        let credential = authorization.split("Credential=").nth(1)?;
        credential.split('/').next()
    }
}

type Predicate = Box<dyn Fn(&Value) -> bool + Send>;
type Responder = Box<dyn FnMut(&Request) -> Action + Send>;

struct Route {
    operation: String,
    matches: Option<Predicate>,
    answer: Answer,
}

enum Answer {
    /// Scripted actions; the last one repeats.
    Queue(VecDeque<Action>),
    /// A function of the request.
    Responder(Responder),
}

/// A token bucket: `rate` tokens a second up to `burst`; a request takes one or is throttled.
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Default)]
struct State {
    routes: Vec<Route>,
    requests: Vec<Request>,
    connections: usize,
    limits: BTreeMap<String, Bucket>,
}

impl State {
    /// The next action for a request: the first matching route with a predicate, else the
    /// operation's catch-all route. The last action of a queue repeats.
    fn next_action(&mut self, request: &Request) -> Action {
        let (operation, body) = (request.operation.as_str(), &request.body);
        let index = self
            .routes
            .iter()
            .position(|r| r.operation == operation && r.matches.as_ref().is_some_and(|m| m(body)))
            .or_else(|| {
                self.routes
                    .iter()
                    .position(|r| r.operation == operation && r.matches.is_none())
            });
        let Some(route) = index.map(|i| &mut self.routes[i]) else {
            return Action::error(
                400,
                "UnknownOperationException",
                &format!("the stub has no script for {operation}"),
            );
        };
        match &mut route.answer {
            Answer::Responder(respond) => respond(request),
            Answer::Queue(queue) if queue.len() > 1 => queue.pop_front().expect("non-empty"),
            Answer::Queue(queue) => queue
                .front()
                .cloned()
                .unwrap_or_else(|| Action::error(400, "UnknownOperationException", "empty script")),
        }
    }

    /// Whether the operation's rate limit lets a request through now.
    fn admit(&mut self, operation: &str, now: Instant) -> bool {
        self.limits
            .get_mut(operation)
            .is_none_or(|bucket| bucket.take(now))
    }
}

/// The running stub; it stops when dropped.
pub struct EcrStub {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    began: Instant,
}

impl EcrStub {
    /// Starts a stub on 127.0.0.1 with an ephemeral port and no script.
    pub fn start() -> EcrStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub");
        let addr = listener.local_addr().expect("stub address");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let began = Instant::now();
        let acceptor = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let state = Arc::clone(&state);
                    let stop = Arc::clone(&stop);
                    std::thread::spawn(move || serve(stream, &state, &stop, began));
                }
            })
        };
        EcrStub {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
            began,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment that points the binary at this stub.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL_ECR", self.url()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Scripts every request of `operation` not caught by a narrower route.
    pub fn on(&self, operation: &str, actions: Vec<Action>) -> &EcrStub {
        self.add(operation, None, actions)
    }

    /// Scripts the requests of `operation` whose JSON body satisfies `matches`.
    pub fn on_match(
        &self,
        operation: &str,
        matches: impl Fn(&Value) -> bool + Send + 'static,
        actions: Vec<Action>,
    ) -> &EcrStub {
        self.add(operation, Some(Box::new(matches)), actions)
    }

    /// Scripts DescribeImageScanFindings for one image digest (first pages and later pages alike).
    pub fn on_digest(&self, operation: &str, digest: &str, actions: Vec<Action>) -> &EcrStub {
        let digest = digest.to_string();
        self.on_match(
            operation,
            move |body| body["imageId"]["imageDigest"].as_str() == Some(digest.as_str()),
            actions,
        )
    }

    /// Scripts the requests that carry this `nextToken`.
    pub fn on_token(&self, operation: &str, token: &str, actions: Vec<Action>) -> &EcrStub {
        let token = token.to_string();
        self.on_match(
            operation,
            move |body| body["nextToken"].as_str() == Some(token.as_str()),
            actions,
        )
    }

    /// Answers the requests of `operation` whose JSON body satisfies `matches` with a function of
    /// the request (its body, its arrival time). It runs under the stub's lock: it must not call the
    /// stub.
    pub fn on_fn(
        &self,
        operation: &str,
        matches: impl Fn(&Value) -> bool + Send + 'static,
        respond: impl FnMut(&Request) -> Action + Send + 'static,
    ) -> &EcrStub {
        self.state.lock().unwrap().routes.push(Route {
            operation: operation.to_string(),
            matches: Some(Box::new(matches)),
            answer: Answer::Responder(Box::new(respond)),
        });
        self
    }

    /// Puts `operation` behind a token bucket shared by every caller: `per_second` requests a
    /// second, bursts of up to `burst`. Requests beyond it are answered `ThrottlingException`.
    pub fn rate_limit(&self, operation: &str, per_second: f64, burst: f64) -> &EcrStub {
        assert!(
            per_second > 0.0 && burst >= 1.0,
            "a rate limit lets something through"
        );
        self.state.lock().unwrap().limits.insert(
            operation.to_string(),
            Bucket {
                rate: per_second,
                burst,
                tokens: burst,
                at: Instant::now(),
            },
        );
        self
    }

    fn add(&self, operation: &str, matches: Option<Predicate>, actions: Vec<Action>) -> &EcrStub {
        assert!(!actions.is_empty(), "a script needs at least one action");
        self.state.lock().unwrap().routes.push(Route {
            operation: operation.to_string(),
            matches,
            answer: Answer::Queue(actions.into()),
        });
        self
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests of one operation.
    pub fn calls(&self, operation: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.operation == operation)
            .collect()
    }

    pub fn count(&self, operation: &str) -> usize {
        self.calls(operation).len()
    }

    /// The operation names in arrival order.
    pub fn operations(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.operation).collect()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// Time since the stub started.
    pub fn elapsed(&self) -> Duration {
        self.began.elapsed()
    }
}

impl Drop for EcrStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

// ---- HTTP/1.1 ----

struct Incoming {
    target: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Serves one connection: requests until EOF (keep-alive), a `Connection: close`, or a drop.
fn serve(stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool, began: Instant) {
    let connection = {
        let mut state = state.lock().unwrap();
        state.connections += 1;
        state.connections - 1
    };
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let incoming = match read_request(&mut reader) {
            Ok(Some(incoming)) => incoming,
            Ok(None) | Err(_) => break,
        };
        let at = began.elapsed();
        let raw_target = incoming.target.clone().unwrap_or_default();
        let operation = raw_target
            .strip_prefix(TARGET_PREFIX)
            .unwrap_or(&raw_target)
            .to_string();
        let body: Value = serde_json::from_slice(&incoming.body).unwrap_or(Value::Null);
        let close = incoming
            .headers
            .iter()
            .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"));
        let action = {
            let mut state = state.lock().unwrap();
            let mut request = Request {
                operation: operation.clone(),
                body: body.clone(),
                at,
                headers: incoming.headers.clone(),
                connection,
                throttled: false,
            };
            let action = if state.admit(&operation, Instant::now()) {
                state.next_action(&request)
            } else {
                request.throttled = true;
                Action::throttling()
            };
            state.requests.push(request);
            action
        };
        if !respond(&mut writer, action) || close {
            break;
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}

/// Performs an action; `false` when the connection must end.
fn respond(writer: &mut TcpStream, action: Action) -> bool {
    match action {
        Action::Delay(duration, then) => {
            std::thread::sleep(duration);
            respond(writer, *then)
        }
        Action::Drop => false,
        Action::Json(value) => write_response(writer, 200, None, &value.to_string()).is_ok(),
        Action::Raw { status, body } => write_response(writer, status, None, &body).is_ok(),
        Action::Cut(value) => {
            let body = value.to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n",
                body.len() * 2
            );
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(body.as_bytes());
            let _ = writer.flush();
            false
        }
        Action::Error {
            status,
            kind,
            message,
        } => {
            let body = json!({"__type": kind, "message": message}).to_string();
            write_response(writer, status, Some(&kind), &body).is_ok()
        }
    }
}

fn write_response(
    writer: &mut TcpStream,
    status: u16,
    error_type: Option<&str>,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nx-amzn-RequestId: {}\r\n",
        body.len(),
        request_id()
    );
    if let Some(kind) = error_type {
        head.push_str(&format!("x-amzn-ErrorType: {kind}\r\n"));
    }
    head.push_str("\r\n");
    writer.write_all(head.as_bytes())?;
    writer.write_all(body.as_bytes())?;
    writer.flush()
}

fn request_id() -> String {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "00000000-0000-4000-8000-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Reads one request; `Ok(None)` at a clean EOF between requests.
fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Incoming>> {
    let mut line = String::new();
    // Tolerate stray empty lines between requests.
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let header = header.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let chunked = find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        read_chunked(reader)?
    } else {
        let length: usize = find("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(Some(Incoming {
        target: find("x-amz-target"),
        headers,
        body,
    }))
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        if size == 0 {
            // Trailers until the empty line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

// ---- Manifests ----

/// `sha256:` + the hex SHA-256 of `bytes`, as registries compute manifest digests.
pub fn digest_of(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A manifest as `BatchGetImage` returns it: its text, media type and digest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub text: String,
    pub media_type: &'static str,
    pub digest: String,
}

impl Manifest {
    fn new(value: &Value, media_type: &'static str) -> Manifest {
        let text = serde_json::to_string_pretty(value).expect("manifest JSON");
        let digest = digest_of(text.as_bytes());
        Manifest {
            text,
            media_type,
            digest,
        }
    }
}

/// The flavour of a single-image manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Docker,
    Oci,
}

/// A single-platform image manifest (Docker v2 schema 2 or OCI); `seed` varies the layer digests.
pub fn image_manifest(flavour: Flavour, seed: &str) -> Manifest {
    let (media_type, config_type, layer_type) = match flavour {
        Flavour::Docker => (
            DOCKER_MANIFEST,
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        ),
        Flavour::Oci => (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
    };
    let value = json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": config_type,
            "size": 1472,
            "digest": digest_of(format!("{seed}/config").as_bytes())
        },
        "layers": [
            {"mediaType": layer_type, "size": 29_126_484, "digest": digest_of(format!("{seed}/layer0").as_bytes())},
            {"mediaType": layer_type, "size": 3_012_553, "digest": digest_of(format!("{seed}/layer1").as_bytes())}
        ]
    });
    Manifest::new(&value, media_type)
}

/// An OCI image index as buildx pushes it: linux/amd64, linux/arm64/v8 and a provenance attestation
/// manifest for the amd64 image.
#[derive(Debug, Clone)]
pub struct Index {
    pub index: Manifest,
    pub amd64: Manifest,
    pub arm64: Manifest,
    pub attestation: Manifest,
}

pub fn oci_index(seed: &str) -> Index {
    let amd64 = image_manifest(Flavour::Oci, &format!("{seed}/amd64"));
    let arm64 = image_manifest(Flavour::Oci, &format!("{seed}/arm64"));
    let attestation = Manifest::new(
        &json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest_of(format!("{seed}/att-config").as_bytes()),
                "size": 167
            },
            "layers": [{
                "mediaType": "application/vnd.in-toto+json",
                "digest": digest_of(format!("{seed}/provenance").as_bytes()),
                "size": 1422,
                "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}
            }]
        }),
        OCI_MANIFEST,
    );
    let descriptor = |m: &Manifest, platform: Value| {
        json!({
            "mediaType": m.media_type,
            "digest": m.digest,
            "size": m.text.len(),
            "platform": platform
        })
    };
    let mut attestation_entry = descriptor(
        &attestation,
        json!({"architecture": "unknown", "os": "unknown"}),
    );
    attestation_entry["annotations"] = json!({
        "vnd.docker.reference.digest": amd64.digest,
        "vnd.docker.reference.type": "attestation-manifest"
    });
    let index = Manifest::new(
        &json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                descriptor(&amd64, json!({"architecture": "amd64", "os": "linux"})),
                descriptor(&arm64, json!({"architecture": "arm64", "os": "linux", "variant": "v8"})),
                attestation_entry
            ]
        }),
        OCI_INDEX,
    );
    Index {
        index,
        amd64,
        arm64,
        attestation,
    }
}

/// An OCI image index of one image per platform (`("arm64", Some("v8"))`), in the order given: the
/// index and its images.
pub fn platform_index(seed: &str, platforms: &[(&str, Option<&str>)]) -> (Manifest, Vec<Manifest>) {
    let images: Vec<Manifest> = platforms
        .iter()
        .map(|(arch, _)| image_manifest(Flavour::Oci, &format!("{seed}/{arch}")))
        .collect();
    let manifests: Vec<Value> = images
        .iter()
        .zip(platforms)
        .map(|(image, (arch, variant))| {
            let mut platform = json!({"architecture": arch, "os": "linux"});
            if let Some(variant) = variant {
                platform["variant"] = json!(variant);
            }
            json!({
                "mediaType": image.media_type,
                "digest": image.digest,
                "size": image.text.len(),
                "platform": platform
            })
        })
        .collect();
    let index = Manifest::new(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
        OCI_INDEX,
    );
    (index, images)
}

// ---- Response bodies ----

/// `BatchGetImage` output with one image.
pub fn batch_get_image(repository: &str, tag: Option<&str>, manifest: &Manifest) -> Value {
    let mut image_id = json!({"imageDigest": manifest.digest});
    if let Some(tag) = tag {
        image_id["imageTag"] = json!(tag);
    }
    json!({
        "images": [{
            "registryId": ACCOUNT,
            "repositoryName": repository,
            "imageId": image_id,
            "imageManifest": manifest.text,
            "imageManifestMediaType": manifest.media_type
        }],
        "failures": []
    })
}

/// `BatchGetImage` output for a tag that does not exist (an answer, not an exception).
pub fn batch_get_image_not_found(tag: &str) -> Value {
    json!({
        "images": [],
        "failures": [{
            "imageId": {"imageTag": tag},
            "failureCode": "ImageNotFound",
            "failureReason": "Requested image not found"
        }]
    })
}

/// A registry scanning rule: frequency and wildcard filters.
pub fn rule(frequency: &str, filters: &[&str]) -> Value {
    json!({
        "scanFrequency": frequency,
        "repositoryFilters": filters
            .iter()
            .map(|f| json!({"filter": f, "filterType": "WILDCARD"}))
            .collect::<Vec<_>>()
    })
}

/// `GetRegistryScanningConfiguration` output.
pub fn registry_scanning(scan_type: &str, rules: Vec<Value>) -> Value {
    json!({
        "registryId": ACCOUNT,
        "scanningConfiguration": {"scanType": scan_type, "rules": rules}
    })
}

/// `GetAuthorizationToken` output: `AWS:password` as the token, valid for 12 hours, for the registry at
/// `proxy_endpoint`.
pub fn authorization_token(password: &str, proxy_endpoint: &str) -> Value {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
    json!({
        "authorizationData": [{
            "authorizationToken": token,
            "expiresAt": NOW + 43_200.0,
            "proxyEndpoint": proxy_endpoint,
        }]
    })
}

/// `StartImageScan` output.
pub fn start_image_scan(repository: &str, digest: &str) -> Value {
    json!({
        "registryId": ACCOUNT,
        "repositoryName": repository,
        "imageId": {"imageDigest": digest},
        "imageScanStatus": {"status": "IN_PROGRESS"}
    })
}

/// A basic-scanning finding (shape of the AWS CLI example), with a CVSS v3 score when given.
pub fn basic_finding(
    cve: &str,
    severity: &str,
    package: &str,
    version: &str,
    cvss3: Option<f64>,
) -> Value {
    let mut attributes = vec![
        json!({"key": "package_version", "value": version}),
        json!({"key": "package_name", "value": package}),
    ];
    if let Some(score) = cvss3 {
        attributes.push(
            json!({"key": "CVSS3_VECTOR", "value": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
        );
        attributes.push(json!({"key": "CVSS3_SCORE", "value": score.to_string()}));
    }
    json!({
        "name": cve,
        "description": format!("{package} {version}: a vulnerability ({cve})."),
        "uri": format!("https://security-tracker.debian.org/tracker/{cve}"),
        "severity": severity,
        "attributes": attributes
    })
}

/// An Amazon Inspector finding (shape of the ECR API reference example, epoch timestamps).
pub fn enhanced_finding(
    cve: &str,
    severity: &str,
    score: f64,
    package: &str,
    digest: &str,
    repository: &str,
) -> Value {
    json!({
        "awsAccountId": ACCOUNT,
        "description": format!("{package}: a use-after-free ({cve})."),
        "findingArn": format!("arn:aws:inspector2:us-east-1:{ACCOUNT}:finding/{}", &digest_of(cve.as_bytes())[7..39]),
        "firstObservedAt": NOW - 3600.0,
        "lastObservedAt": NOW,
        "packageVulnerabilityDetails": {
            "cvss": [{
                "baseScore": score,
                "scoringVector": "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H",
                "source": "NVD",
                "version": "3.1"
            }],
            "referenceUrls": [format!("https://security-tracker.debian.org/tracker/{cve}")],
            "relatedVulnerabilities": [],
            "source": "DEBIAN_CVE",
            "sourceUrl": format!("https://security-tracker.debian.org/tracker/{cve}"),
            "vendorSeverity": "not yet assigned",
            "vulnerabilityId": cve,
            "vulnerablePackages": [{
                "arch": "AMD64",
                "epoch": 0,
                "name": package,
                "packageManager": "OS",
                "release": "1.3~deb12u1",
                "sourceLayerHash": digest_of(format!("{package}/layer").as_bytes()),
                "version": "2.9.14+dfsg",
                "fixedInVersion": "2.9.14+dfsg-1.3~deb12u2"
            }]
        },
        "remediation": {"recommendation": {"text": "None Provided"}},
        "resources": [{
            "details": {"awsEcrContainerImage": {
                "architecture": "amd64",
                "imageHash": digest,
                "imageTags": ["latest"],
                "platform": "DEBIAN_12",
                "pushedAt": NOW - 7200.0,
                "registry": ACCOUNT,
                "repositoryName": repository
            }},
            "id": format!("arn:aws:ecr:us-east-1:{ACCOUNT}:repository/{repository}/{digest}"),
            "tags": {},
            "type": "AWS_ECR_CONTAINER_IMAGE"
        }],
        "score": score,
        "scoreDetails": {"cvss": {
            "adjustments": [],
            "score": score,
            "scoreSource": "NVD",
            "scoringVector": "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H",
            "version": "3.1"
        }},
        "severity": severity,
        "status": "ACTIVE",
        "title": format!("{cve} - {package}"),
        "type": "PACKAGE_VULNERABILITY",
        "updatedAt": NOW,
        "fixAvailable": "YES",
        "exploitAvailable": "NO"
    })
}

/// A `DescribeImageScanFindings` output, built up: `ScanPage::new(repo, digest, "COMPLETE")
/// .basic(findings).counts(&[("HIGH", 1)]).next_token("p2").json()`.
#[derive(Debug, Clone)]
pub struct ScanPage {
    repository: String,
    digest: String,
    tag: Option<String>,
    status: String,
    description: Option<String>,
    basic: Option<Vec<Value>>,
    enhanced: Option<Vec<Value>>,
    counts: Option<Vec<(String, u64)>>,
    completed_at: Option<f64>,
    next_token: Option<String>,
    with_findings: bool,
}

impl ScanPage {
    /// A page with this status; `COMPLETE`/`ACTIVE` carry `imageScanFindings` with completion times.
    pub fn new(repository: &str, digest: &str, status: &str) -> ScanPage {
        let final_status = matches!(status, "COMPLETE" | "ACTIVE");
        ScanPage {
            repository: repository.to_string(),
            digest: digest.to_string(),
            tag: None,
            status: status.to_string(),
            description: Some(
                match status {
                    "COMPLETE" => "The scan was completed successfully.",
                    "ACTIVE" => "Continuous scan is selected for image.",
                    "IN_PROGRESS" => "",
                    "PENDING" => "",
                    _ => "",
                }
                .to_string(),
            )
            .filter(|d| !d.is_empty()),
            basic: None,
            enhanced: None,
            counts: None,
            completed_at: final_status.then_some(NOW),
            next_token: None,
            with_findings: final_status,
        }
    }

    pub fn tag(mut self, tag: &str) -> ScanPage {
        self.tag = Some(tag.to_string());
        self
    }

    pub fn description(mut self, description: &str) -> ScanPage {
        self.description = Some(description.to_string());
        self
    }

    /// Basic `findings` (present, possibly empty).
    pub fn basic(mut self, findings: Vec<Value>) -> ScanPage {
        self.basic = Some(findings);
        self.with_findings = true;
        self
    }

    /// `enhancedFindings` (present, possibly empty).
    pub fn enhanced(mut self, findings: Vec<Value>) -> ScanPage {
        self.enhanced = Some(findings);
        self.with_findings = true;
        self
    }

    /// `findingSeverityCounts` (only the severities given).
    pub fn counts(mut self, counts: &[(&str, u64)]) -> ScanPage {
        self.counts = Some(counts.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        self.with_findings = true;
        self
    }

    pub fn completed_at(mut self, at: Option<f64>) -> ScanPage {
        self.completed_at = at;
        self
    }

    pub fn next_token(mut self, token: &str) -> ScanPage {
        self.next_token = Some(token.to_string());
        self
    }

    pub fn json(&self) -> Value {
        let mut image_id = json!({"imageDigest": self.digest});
        if let Some(tag) = &self.tag {
            image_id["imageTag"] = json!(tag);
        }
        let mut status = json!({"status": self.status});
        if let Some(description) = &self.description {
            status["description"] = json!(description);
        }
        let mut out = json!({
            "registryId": ACCOUNT,
            "repositoryName": self.repository,
            "imageId": image_id,
            "imageScanStatus": status
        });
        if self.with_findings {
            let mut findings = json!({});
            if let Some(at) = self.completed_at {
                findings["imageScanCompletedAt"] = json!(at);
                findings["vulnerabilitySourceUpdatedAt"] = json!(at - 600.0);
            }
            if let Some(counts) = &self.counts {
                findings["findingSeverityCounts"] = counts
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            if let Some(basic) = &self.basic {
                findings["findings"] = json!(basic);
            }
            if let Some(enhanced) = &self.enhanced {
                findings["enhancedFindings"] = json!(enhanced);
            }
            out["imageScanFindings"] = findings;
        }
        if let Some(token) = &self.next_token {
            out["nextToken"] = json!(token);
        }
        out
    }

    /// The page as a 200 answer.
    pub fn action(&self) -> Action {
        Action::Json(self.json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One answer on a kept-alive connection: the status line and the body (`Content-Length` framed).
    fn read_answer(reader: &mut BufReader<TcpStream>) -> (String, String) {
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        let mut length = 0;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (status, String::from_utf8(body).unwrap())
    }

    /// A raw HTTP exchange with the stub: scripts, keep-alive, errors, drops and recording.
    #[test]
    fn stub_speaks_json_1_1_over_keep_alive_connections() {
        let stub = EcrStub::start();
        stub.on(
            "DescribeImageScanFindings",
            vec![
                Action::throttling(),
                ScanPage::new("app", "sha256:x", "COMPLETE").action(),
            ],
        );
        stub.on("BatchGetImage", vec![Action::Drop]);
        let mut conn = TcpStream::connect(stub.addr).unwrap();
        let post = |conn: &mut TcpStream, op: &str, body: &str| {
            write!(
                conn,
                "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {TARGET_PREFIX}{op}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        };
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        post(
            &mut conn,
            "DescribeImageScanFindings",
            r#"{"maxResults":1000}"#,
        );
        let (status, body) = read_answer(&mut reader);
        assert!(status.starts_with("HTTP/1.1 400"), "{status}");
        assert!(body.contains("ThrottlingException"), "{body}");
        post(&mut conn, "DescribeImageScanFindings", "{}");
        let (status, body) = read_answer(&mut reader);
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        assert!(body.contains("COMPLETE"), "{body}");
        post(&mut conn, "BatchGetImage", "{}");
        let mut rest = Vec::new();
        assert_eq!(reader.read_to_end(&mut rest).unwrap(), 0, "dropped");
        let requests = stub.requests();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[0].body["maxResults"], 1000);
        assert!(requests.iter().all(|r| r.connection == 0));
    }

    #[test]
    fn a_rate_limit_throttles_beyond_the_burst_and_refills_over_time() {
        let stub = EcrStub::start();
        stub.on("BatchGetImage", vec![Action::json(json!({"images": []}))]);
        stub.rate_limit("BatchGetImage", 1.0, 2.0);
        let mut conn = TcpStream::connect(stub.addr).unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut call = || {
            let body = "{}";
            write!(
                conn,
                "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {TARGET_PREFIX}BatchGetImage\r\nAuthorization: AWS4-HMAC-SHA256 Credential=gate-07/20261127/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            read_answer(&mut reader).0
        };
        let burst: Vec<String> = (0..3).map(|_| call()).collect();
        assert!(
            burst[0].contains("200") && burst[1].contains("200"),
            "{burst:?}"
        );
        assert!(burst[2].contains("400"), "{burst:?}");
        std::thread::sleep(Duration::from_millis(1100));
        assert!(call().contains("200"), "one token back after a second");
        let requests = stub.requests();
        let throttled: Vec<bool> = requests.iter().map(|r| r.throttled).collect();
        assert_eq!(throttled, vec![false, false, true, false]);
        assert!(requests.iter().all(|r| r.access_key() == Some("gate-07")));
    }

    #[test]
    fn index_digests_are_the_sha256_of_the_manifest_text() {
        let index = oci_index("t");
        assert_eq!(index.index.digest, digest_of(index.index.text.as_bytes()));
        assert!(index.index.text.contains(&index.arm64.digest));
        assert!(index.index.text.contains("attestation-manifest"));
        assert_eq!(index.amd64.digest.len(), 71);
    }
}
