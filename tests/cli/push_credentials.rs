//! Where `scan --push` sends ECR's credentials, end to end: the real binary against the scripted ECR
//! stand-in ([`crate::ecr_stub`]) and an "attacker" socket ([`Recorder`]) that records every
//! connection. A registry id, an endpoint or a `proxyEndpoint` that would move the credentials anywhere
//! else is refused with exit 2, and the attacker sees nothing.

use std::path::Path;

use crate::ecr_stub::{Action, EcrStub, authorization_token};
use crate::push::three_layer_image;
use crate::recorder::Recorder;
use crate::support::{Gate, Run};

const IMAGE: &str = "team/app:v1";
const PASSWORD: &str = "stub-ecr-password-7f3a";
const OWN_ENDPOINT: &str = "https://123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// A stub whose `GetAuthorizationToken` names `proxy_endpoint`.
fn ecr_naming(proxy_endpoint: &str) -> EcrStub {
    let stub = EcrStub::start();
    stub.on(
        "GetAuthorizationToken",
        vec![Action::json(authorization_token(PASSWORD, proxy_endpoint))],
    );
    stub
}

/// `scan team/app:v1 --push SOURCE` against the stub.
fn push(stub: &EcrStub, source: &Path) -> Gate {
    Gate::scan(IMAGE).stub(stub).push(source).timeout("20s")
}

#[track_caller]
fn assert_nothing_reached(run: &Run, stub: &EcrStub, attacker: &Recorder, what: &str) {
    run.expect(2);
    assert_eq!(
        stub.operations(),
        Vec::<String>::new(),
        "{what}: ECR was called\nstderr:\n{}",
        run.stderr
    );
    assert_eq!(
        attacker.seen(),
        Vec::<String>::new(),
        "{what}: the attacker got a connection\nstderr:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains(PASSWORD), "{what}: password printed");
}

#[test]
fn the_attacker_socket_sees_credentials_sent_to_it() {
    // The control for the tests below: pointed at the attacker on purpose, the push does reach it.
    let attacker = Recorder::start();
    let stub = ecr_naming(OWN_ENDPOINT);
    let (layout, _) = three_layer_image();
    let endpoint = attacker.url();
    let run = push(&stub, layout.path())
        .registry_endpoint(&endpoint)
        .run();
    run.expect(2);
    let seen = attacker.seen();
    assert!(
        seen.iter().any(|head| head.starts_with("GET /v2/ HTTP/1.1")
            && head.to_ascii_lowercase().contains("authorization: basic ")),
        "{seen:#?}\nstderr:\n{}",
        run.stderr
    );
}

#[test]
fn hostile_registry_id_is_refused_before_any_request() {
    let attacker = Recorder::start();
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
            let run = push(&stub, layout.path()).registry_id(id).run();
            assert_nothing_reached(&run, &stub, &attacker, id);
            let stderr = &run.stderr;
            assert!(
                stderr.contains("--registry-id") && stderr.contains("12-digit"),
                "{id}: {stderr}"
            );
        }
    }
}

#[test]
fn hostile_registry_id_input_is_refused_by_the_action() {
    let attacker = Recorder::start();
    let stub = ecr_naming("http://123456789012.dkr.ecr.us-east-1.amazonaws.com");
    let (layout, _) = three_layer_image();
    let id = format!("127.0.0.1:{}/x?", attacker.port());
    let source = layout.path().display().to_string();
    let run = Gate::command(&["github-action"])
        .stub(&stub)
        .env("GITHUB_ACTIONS", "true")
        .env("INPUT_IMAGE", IMAGE)
        .env("INPUT_PUSH", &source)
        .env("INPUT_REGISTRY-ID", &id)
        .run();
    assert_nothing_reached(&run, &stub, &attacker, "action input");
    run.assert_stderr("--registry-id").assert_stderr("12-digit");
}

#[test]
fn hostile_registry_id_is_refused_by_doctor() {
    let attacker = Recorder::start();
    let stub = ecr_naming(OWN_ENDPOINT);
    let id = format!("127.0.0.1:{}/x?", attacker.port());
    let run = Gate::doctor("team/app").stub(&stub).registry_id(&id).run();
    assert_nothing_reached(&run, &stub, &attacker, "doctor");
}

#[test]
fn registry_endpoint_with_user_info_query_or_fragment_is_refused_before_any_aws_call() {
    let attacker = Recorder::start();
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
        let run = push(&stub, layout.path())
            .registry_endpoint(&endpoint)
            .run();
        assert_nothing_reached(&run, &stub, &attacker, &endpoint);
        let stderr = &run.stderr;
        run.assert_stderr("the registry endpoint");
        assert!(!stderr.contains("hunter2"), "user info printed: {stderr}");
    }
}

#[test]
fn proxy_endpoint_that_is_not_plain_https_gets_no_credentials() {
    let attacker = Recorder::start();
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
        let run = push(&stub, layout.path()).run();
        run.expect(2);
        assert_eq!(
            stub.operations(),
            vec!["GetAuthorizationToken".to_string()],
            "{proxy}"
        );
        assert_eq!(attacker.seen(), Vec::<String>::new(), "{proxy}");
        let stderr = &run.stderr;
        assert!(stderr.contains("proxyEndpoint"), "{proxy}: {stderr}");
        assert!(!stderr.contains(PASSWORD), "{proxy}: password printed");
    }
}
