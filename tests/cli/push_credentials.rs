//! Where `scan --push` sends ECR's credentials, end to end: the real binary against the scripted ECR
//! stand-in ([`crate::ecr_stub`]) and an "attacker" socket that records every connection. A registry id,
//! an endpoint or a `proxyEndpoint` that would move the credentials anywhere else is refused with exit
//! 2, and the attacker sees nothing.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use serde_json::json;

use crate::ecr_stub::{Action, EcrStub, NOW};
use crate::push::three_layer_image;
use crate::support::{Run, run_with_env};

const IMAGE: &str = "team/app:v1";
const PASSWORD: &str = "stub-ecr-password-7f3a";
const OWN_ENDPOINT: &str = "https://123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// A socket that accepts connections, records what they send, and answers 401.
struct Attacker {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Attacker {
    fn start() -> Attacker {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the attacker");
        let addr = listener.local_addr().expect("attacker address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let seen = Arc::clone(&seen);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    seen.lock().unwrap().push(read_head(stream));
                }
            })
        };
        Attacker {
            addr,
            seen,
            stop,
            acceptor: Some(acceptor),
        }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// What each connection sent before its headers ended (lossy text; TLS shows as noise).
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_head(mut stream: TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let end = line == b"\r\n";
                head.extend_from_slice(&line);
                if end {
                    break;
                }
            }
        }
    }
    let _ = stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    String::from_utf8_lossy(&head).into_owned()
}

impl Drop for Attacker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// A stub whose `GetAuthorizationToken` names `proxy_endpoint`.
fn ecr_naming(proxy_endpoint: &str) -> EcrStub {
    let stub = EcrStub::start();
    let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{PASSWORD}"));
    stub.on(
        "GetAuthorizationToken",
        vec![Action::json(json!({
            "authorizationData": [{
                "authorizationToken": token,
                "expiresAt": NOW + 43_200.0,
                "proxyEndpoint": proxy_endpoint,
            }]
        }))],
    );
    stub
}

/// `ecr-scan-gate ARGS` against the stub, with `extra_env` too.
fn run(stub: &EcrStub, args: &[&str], extra_env: &[(&str, &str)]) -> Run {
    let env = stub.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.extend_from_slice(extra_env);
    run_with_env(tempfile::tempdir().expect("tempdir"), args, &env)
}

fn push_args<'a>(source: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let source = source.to_str().expect("UTF-8 temp path");
    let mut args = vec!["scan", IMAGE, "--push", source, "--timeout", "20s"];
    args.extend_from_slice(extra);
    args
}

#[track_caller]
fn assert_nothing_reached(run: &Run, stub: &EcrStub, attacker: &Attacker, what: &str) {
    run.expect(2);
    assert_eq!(
        stub.operations(),
        Vec::<String>::new(),
        "{what}: ECR was called\nstderr:\n{}",
        run.stderr()
    );
    assert_eq!(
        attacker.seen(),
        Vec::<String>::new(),
        "{what}: the attacker got a connection\nstderr:\n{}",
        run.stderr()
    );
    assert!(!run.stderr().contains(PASSWORD), "{what}: password printed");
}

#[test]
fn the_attacker_socket_sees_credentials_sent_to_it() {
    // The control for the tests below: pointed at the attacker on purpose, the push does reach it.
    let attacker = Attacker::start();
    let stub = ecr_naming(OWN_ENDPOINT);
    let (layout, _) = three_layer_image();
    let endpoint = format!("http://127.0.0.1:{}", attacker.port());
    let run = run(
        &stub,
        &push_args(layout.path(), &["--registry-endpoint", &endpoint]),
        &[],
    );
    run.expect(2);
    let seen = attacker.seen();
    assert!(
        seen.iter().any(|head| head.starts_with("GET /v2/ HTTP/1.1")
            && head.to_ascii_lowercase().contains("authorization: basic ")),
        "{seen:#?}\nstderr:\n{}",
        run.stderr()
    );
}

#[test]
fn hostile_registry_id_is_refused_before_any_request() {
    let attacker = Attacker::start();
    let (layout, _) = three_layer_image();
    let port = attacker.port();
    let ids = [
        format!("127.0.0.1:{port}/x?"),
        format!("127.0.0.1:{port}#"),
        "evil.example/".to_string(),
        "evil.example#".to_string(),
        "12345678901".to_string(),
        "1234567890123".to_string(),
        " 123456789012".to_string(),
        "１２３４５６７８９０１２".to_string(),
    ];
    // Both schemes ECR could name: with plain http the credentials would go out in the clear.
    for proxy in [
        OWN_ENDPOINT,
        "http://123456789012.dkr.ecr.us-east-1.amazonaws.com",
    ] {
        for id in &ids {
            let stub = ecr_naming(proxy);
            let run = run(
                &stub,
                &push_args(layout.path(), &["--registry-id", id]),
                &[],
            );
            assert_nothing_reached(&run, &stub, &attacker, id);
            let stderr = run.stderr();
            assert!(
                stderr.contains("--registry-id") && stderr.contains("12-digit"),
                "{id}: {stderr}"
            );
        }
    }
}

#[test]
fn hostile_registry_id_input_is_refused_by_the_action() {
    let attacker = Attacker::start();
    let stub = ecr_naming("http://123456789012.dkr.ecr.us-east-1.amazonaws.com");
    let (layout, _) = three_layer_image();
    let id = format!("127.0.0.1:{}/x?", attacker.port());
    let source = layout.path().display().to_string();
    let run = run(
        &stub,
        &["github-action"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("INPUT_IMAGE", IMAGE),
            ("INPUT_PUSH", &source),
            ("INPUT_REGISTRY-ID", &id),
        ],
    );
    assert_nothing_reached(&run, &stub, &attacker, "action input");
    let stderr = run.stderr();
    assert!(
        stderr.contains("--registry-id") && stderr.contains("12-digit"),
        "{stderr}"
    );
}

#[test]
fn hostile_registry_id_is_refused_by_doctor() {
    let attacker = Attacker::start();
    let stub = ecr_naming(OWN_ENDPOINT);
    let id = format!("127.0.0.1:{}/x?", attacker.port());
    let run = run(&stub, &["doctor", "team/app", "--registry-id", &id], &[]);
    assert_nothing_reached(&run, &stub, &attacker, "doctor");
}

#[test]
fn registry_endpoint_with_user_info_query_or_fragment_is_refused_before_any_aws_call() {
    let attacker = Attacker::start();
    let (layout, _) = three_layer_image();
    let port = attacker.port();
    for endpoint in [
        format!("http://user:hunter2@127.0.0.1:{port}"),
        format!("user:hunter2@127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}/?x=1"),
        format!("http://127.0.0.1:{port}/#x"),
        format!("http://127.0.0.2.nip.io:{port}"),
        format!("ftp://127.0.0.1:{port}"),
    ] {
        let stub = ecr_naming(OWN_ENDPOINT);
        let run = run(
            &stub,
            &push_args(layout.path(), &["--registry-endpoint", &endpoint]),
            &[],
        );
        assert_nothing_reached(&run, &stub, &attacker, &endpoint);
        let stderr = run.stderr();
        assert!(stderr.contains("the registry endpoint"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "user info printed: {stderr}");
    }
}

#[test]
fn proxy_endpoint_that_is_not_plain_https_gets_no_credentials() {
    let attacker = Attacker::start();
    let (layout, _) = three_layer_image();
    let port = attacker.port();
    for proxy in [
        // Plain http only for loopback; this one is refused before any lookup.
        format!("http://registry.invalid:{port}"),
        format!("https://AWS:{PASSWORD}@127.0.0.1:{port}"),
        format!("http://AWS:{PASSWORD}@127.0.0.1:{port}"),
        format!("https://127.0.0.1:{port}/x"),
        format!("https://127.0.0.1:{port}/?x"),
        format!("ftp://127.0.0.1:{port}"),
        "not a url".to_string(),
    ] {
        let stub = ecr_naming(&proxy);
        let run = run(&stub, &push_args(layout.path(), &[]), &[]);
        run.expect(2);
        assert_eq!(
            stub.operations(),
            vec!["GetAuthorizationToken".to_string()],
            "{proxy}"
        );
        assert_eq!(attacker.seen(), Vec::<String>::new(), "{proxy}");
        let stderr = run.stderr();
        assert!(stderr.contains("proxyEndpoint"), "{proxy}: {stderr}");
        assert!(!stderr.contains(PASSWORD), "{proxy}: password printed");
    }
}
