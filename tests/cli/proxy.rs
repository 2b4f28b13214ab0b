//! Behind a proxy: every client of the gate — the AWS SDK (ECR), the registry client (`--push`) and
//! the GitHub client (pull-request comment) — honours the standard proxy variables the same way, run
//! end to end through a logging forward proxy ([`ForwardProxy`]).
//!
//! The gate is given addresses where nothing listens; only the proxy knows where they lead. So a
//! request that succeeded went through the proxy, and the proxy's log names each one. `NO_PROXY` sends
//! the client it names straight to its server, and the proxy then sees nothing of it.

use std::net::SocketAddr;

use base64::Engine;
use wiremock::MockServer;

use crate::forward_proxy::{ForwardProxy, Seen, unreachable_address};
use crate::moto::REGION;
use crate::push::{REPOSITORY, Stack, TAG, three_layer_image};
use crate::support::github::*;
use crate::support::pr_thread::empty_thread;
use crate::support::*;

const PROXY_USER: &str = "ci-bot";
const PROXY_PASSWORD: &str = "pr0xy-s3cret";

fn proxy_authorization() -> String {
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{PROXY_USER}:{PROXY_PASSWORD}"));
    format!("Basic {token}")
}

/// Which client `NO_PROXY` names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Client {
    Ecr,
    Registry,
    GitHub,
}

/// The three servers, each behind an address only the proxy can reach (or, for the client `NO_PROXY`
/// names, at `localhost` and its real port).
struct Scene {
    stack: Stack,
    github: MockServer,
    proxy: ForwardProxy,
    /// Where the gate is told each server is.
    ecr: String,
    registry: String,
    api: String,
    _held: Vec<tokio::net::TcpSocket>,
}

impl Scene {
    async fn start(direct: Option<Client>) -> Scene {
        let stack = Stack::start();
        let github = empty_thread().await;
        let proxy = ForwardProxy::start();
        let mut held = Vec::new();
        let mut address = |client: Client, real: SocketAddr| {
            if direct == Some(client) {
                return format!("http://localhost:{}", real.port());
            }
            let (socket, hidden) = unreachable_address();
            held.push(socket);
            proxy.route(&hidden.to_string(), real);
            format!("http://{hidden}")
        };
        let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let ecr = address(Client::Ecr, loopback(stack.moto.port()));
        let registry = address(Client::Registry, loopback(stack.registry.port()));
        let api = address(Client::GitHub, *github.address());
        Scene {
            stack,
            github,
            proxy,
            ecr,
            registry,
            api,
            _held: held,
        }
    }

    /// `scan team/app:v1 --push …` in a GitHub Actions job on pull request 42, with the given
    /// proxy variables.
    fn gate(&self, source: &std::path::Path, proxy_vars: &[(&str, &str)]) -> Gate {
        let mut gate = Gate::action(
            &[("comment", "auto")],
            Event::PullRequest("pull_request.json"),
            &self.api,
        )
        .without_arguments()
        .args(&["scan", "--today", TODAY, &format!("{REPOSITORY}:{TAG}")])
        .moto(&self.stack.moto)
        .env("AWS_ENDPOINT_URL_ECR", &self.ecr)
        .region(REGION)
        .push(source)
        .registry_endpoint(&self.registry)
        .timeout("60s")
        .json();
        for (name, value) in proxy_vars {
            gate = gate.env(name, value);
        }
        gate
    }

    /// The `host:port` the gate was told for `client`.
    fn target(&self, client: Client) -> String {
        let url = match client {
            Client::Ecr => &self.ecr,
            Client::Registry => &self.registry,
            Client::GitHub => &self.api,
        };
        url.trim_start_matches("http://").to_string()
    }
}

fn targets(seen: &[Seen], target: &str) -> usize {
    seen.iter().filter(|s| s.target == target).count()
}

#[track_caller]
fn assert_secret_never_shown(run: &Run, where_: &[String]) {
    let encoded = proxy_authorization();
    let token = encoded.trim_start_matches("Basic ");
    for (name, text) in [("stderr", &run.stderr), ("stdout", &run.stdout)]
        .into_iter()
        .chain(where_.iter().map(|t| ("a report", t)))
    {
        assert!(
            !text.contains(PROXY_PASSWORD) && !text.contains(token),
            "the proxy password shows in {name}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecr_registry_and_github_all_go_through_the_proxy_with_its_credentials() {
    let scene = Scene::start(None).await;
    let (layout, digest) = three_layer_image();
    let proxy = scene.proxy.url_with_credentials(PROXY_USER, PROXY_PASSWORD);
    let run = scene
        .gate(
            layout.path(),
            &[("HTTPS_PROXY", &proxy), ("HTTP_PROXY", &proxy)],
        )
        .run_async()
        .await;
    // moto's scan finds one HIGH: a verdict, reached through the proxy only.
    run.expect(1);
    assert_eq!(
        scene
            .stack
            .api()
            .manifest(REPOSITORY, TAG)
            .map(|m| m.digest),
        Some(digest),
        "pushed through the proxy"
    );
    let seen = scene.proxy.seen();
    for client in [Client::Ecr, Client::Registry, Client::GitHub] {
        assert!(
            targets(&seen, &scene.target(client)) > 0,
            "no {client:?} request went through the proxy: {seen:#?}"
        );
    }
    // Every request the GitHub API received came through the proxy.
    let received = scene.github.received_requests().await.unwrap();
    assert_eq!(
        received.len(),
        targets(&seen, &scene.target(Client::GitHub)),
        "{seen:#?}"
    );
    for request in &received {
        assert!(
            !request.headers.contains_key("proxy-authorization"),
            "the proxy's credentials reached GitHub"
        );
    }
    // Plain-HTTP servers: forwarded in absolute form, never tunnelled; the proxy's credentials on
    // every request, and nothing the proxy did not route.
    for s in &seen {
        assert_ne!(s.method, "CONNECT", "{s:?}");
        assert_eq!(
            s.proxy_authorization.as_deref(),
            Some(proxy_authorization().as_str()),
            "{s:?}"
        );
        assert!(
            [Client::Ecr, Client::Registry, Client::GitHub]
                .iter()
                .any(|c| scene.target(*c) == s.target),
            "unexpected request {s:?}"
        );
    }
    let outputs = run.outputs();
    assert_eq!(outputs["result"], "fail");
    assert_secret_never_shown(
        &run,
        &[run.file(JSON_REPORT), run.summary(), format!("{outputs:?}")],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_sends_the_client_it_names_straight_to_its_server() {
    for direct in [Client::Ecr, Client::Registry, Client::GitHub] {
        let scene = Scene::start(Some(direct)).await;
        let (layout, _) = three_layer_image();
        // The lower-case spellings, and ALL_PROXY for both schemes.
        let proxy = scene.proxy.url_with_credentials(PROXY_USER, PROXY_PASSWORD);
        let run = scene
            .gate(
                layout.path(),
                &[("all_proxy", &proxy), ("no_proxy", "localhost")],
            )
            .run_async()
            .await;
        run.expect(1);
        let seen = scene.proxy.seen();
        for client in [Client::Ecr, Client::Registry, Client::GitHub] {
            let through = targets(&seen, &scene.target(client));
            if client == direct {
                assert_eq!(through, 0, "{client:?} went through the proxy: {seen:#?}");
                assert!(scene.target(client).starts_with("localhost:"));
            } else {
                assert!(
                    through > 0,
                    "{client:?} did not go through the proxy: {seen:#?}"
                );
            }
        }
        let received = scene.github.received_requests().await.unwrap();
        assert!(!received.is_empty(), "{direct:?}: GitHub got no request");
        if direct == Client::GitHub {
            for request in &received {
                assert!(
                    !request.headers.contains_key("proxy-authorization"),
                    "a direct request carried the proxy's credentials"
                );
            }
        }
        assert_secret_never_shown(&run, &[run.file(JSON_REPORT)]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_apis_are_reached_through_a_connect_tunnel_and_a_refusing_proxy_is_only_a_warning() {
    let proxy = ForwardProxy::start();
    let url = proxy.url_with_credentials(PROXY_USER, PROXY_PASSWORD);
    // The real GitHub API, which this proxy (like one without internet access) refuses to reach.
    let run = Gate::action(
        &[("findings", "scan.json")],
        Event::PullRequest("pull_request.json"),
        "https://api.github.com",
    )
    .copy(
        &public("findings/basic/awscli-example-sample-repo-1-finding-epoch-timestamps.json"),
        "scan.json",
    )
    .env("HTTPS_PROXY", &url)
    .run_async()
    .await;
    // The verdict stands; the comment could not be made.
    run.expect(0);
    assert!(
        run.commands("warning")
            .iter()
            .any(|w| w.contains("comment")),
        "{}",
        run.stderr
    );
    let seen = proxy.seen();
    assert!(!seen.is_empty(), "the GitHub client ignored HTTPS_PROXY");
    for s in &seen {
        assert_eq!(s.method, "CONNECT", "{s:?}");
        assert_eq!(s.target, "api.github.com:443", "{s:?}");
        assert_eq!(
            s.proxy_authorization.as_deref(),
            Some(proxy_authorization().as_str())
        );
    }
    assert_secret_never_shown(&run, &[run.summary()]);
}

#[test]
fn ecr_over_https_is_tunnelled_too_and_a_proxy_failure_never_shows_its_password() {
    let proxy = ForwardProxy::start();
    let url = proxy.url_with_credentials(PROXY_USER, PROXY_PASSWORD);
    let run = Gate::scan("team/app:v1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .region(REGION)
        .env("https_proxy", &url)
        .timeout("5s")
        .json()
        .run();
    // No verdict: ECR was out of reach.
    assert!(run.exit == 2 || run.exit == 3, "{}", run.stderr);
    let seen = proxy.seen();
    assert!(!seen.is_empty(), "the AWS SDK ignored https_proxy");
    for s in &seen {
        assert_eq!(s.method, "CONNECT", "{s:?}");
        assert_eq!(
            s.target,
            format!("api.ecr.{REGION}.amazonaws.com:443"),
            "{s:?}"
        );
    }
    assert_secret_never_shown(&run, &[run.file(JSON_REPORT)]);
}
