//! The GitHub Action: `action.yml` against GitHub's metadata schema and the input mapping, and the real
//! binary run the way the runner runs a Docker action — the `INPUT_*` variables from `action.yml`'s
//! defaults plus a `with:` block, the runner's `GITHUB_*` variables, a `pull_request` event payload,
//! step summary and output files — against a local GitHub API (wiremock) that checks every request.
//! Saved scan results (`findings`) keep it fast and offline.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use ecr_scan_gate::cli::Cli;
use ecr_scan_gate::github::inputs::{self, ACTION_COMMAND, INPUTS, Inputs, Mapping};
use ecr_scan_gate::github::outputs::OUTPUTS;
use ecr_scan_gate::github::workspace::Workspace;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::ecr_stub::authorization_token;
use crate::recorder::Recorder;
use crate::support::github::*;
use crate::support::*;

const SARIF_ID: &str = "47177e22-5596-11eb-80a1-c1e54ef945c6";
const COMMENTS: &str = "/repos/octo-org/payments-api/issues/42/comments";
const SARIFS: &str = "/repos/octo-org/payments-api/code-scanning/sarifs";

fn input_names(action: &Value) -> BTreeSet<String> {
    action["inputs"]
        .as_object()
        .expect("inputs")
        .keys()
        .cloned()
        .collect()
}

// ---- action.yml ----

#[test]
fn action_yml_is_valid_action_metadata() {
    let action = action_yml();
    validate(
        &schema("tests/fixtures/schemas/github-action.json"),
        &action,
        "action.yml",
    );
    assert_eq!(action["runs"]["using"], "docker");
    assert_eq!(action["runs"]["image"], "Dockerfile");
    assert_eq!(action["runs"]["args"], json!([ACTION_COMMAND]));
    for (name, input) in action["inputs"].as_object().unwrap() {
        assert!(
            input["description"].as_str().is_some_and(|d| !d.is_empty()),
            "input {name} has no description"
        );
        assert!(
            input["default"].is_string(),
            "input {name}: give every input a string default so the runner always sets INPUT_*"
        );
    }
}

#[test]
fn action_yml_inputs_and_outputs_match_the_code() {
    let action = action_yml();
    let mapped: BTreeSet<String> = INPUTS.iter().map(|i| i.name.to_string()).collect();
    assert_eq!(input_names(&action), mapped, "action.yml inputs vs INPUTS");
    let outputs: BTreeSet<String> = action["outputs"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let set: BTreeSet<String> = OUTPUTS.iter().map(|o| o.to_string()).collect();
    assert_eq!(outputs, set, "action.yml outputs vs OUTPUTS");
}

/// A value for each input that differs from its default and is valid.
fn probe(name: &str) -> &'static str {
    match name {
        "image" => "probe/repository:1",
        "findings" => "probe-findings.json",
        "from-event" => "scan-event.json",
        "push" => "image.tar",
        "platform" => "linux/arm64",
        "scan-mode" => "wait",
        "timeout" => "90s",
        "region" => "eu-west-1",
        "registry-id" => "123456789012",
        "policy" => "probe.toml",
        "fail-on" => "critical",
        "only-fixed" | "only-exploitable" | "report-only" | "upload-sarif" => "true",
        "baseline" => "main.json",
        "baseline-missing" => "all-new",
        "scope" => "new",
        "min-score" => "7.5",
        "ignore" => "CVE-2099-0001",
        "vex" => "probe.openvex.json",
        "sarif" => "probe.sarif",
        "json" => "probe.json",
        "markdown" => "probe.md",
        "comment" => "never",
        "github-token" => "probe-token",
        other => panic!("no probe value for input {other}; add one"),
    }
}

type Mapped = (
    Result<inputs::ActionRun, inputs::InputError>,
    Result<inputs::PublishSettings, inputs::InputError>,
);

/// The inputs mapped in a workspace that is the working directory.
fn mapped_in(workspace: &Path, values: &BTreeMap<String, String>) -> Mapped {
    let inputs = Inputs::from_pairs(values.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    (
        inputs::command_line(&inputs, &Workspace::new(workspace, workspace)),
        inputs::publish_settings(&inputs),
    )
}

#[test]
fn every_input_is_consumed_by_the_mapping() {
    let action = action_yml();
    let defaults = runner_inputs(&action, &[]);
    let bases = [("image", "app:1"), ("findings", "scan.json")];
    let workspace = tempfile::tempdir().unwrap();
    let mapped = |values: &BTreeMap<String, String>| mapped_in(workspace.path(), values);
    for spec in INPUTS {
        let value = probe(spec.name);
        let changed = bases.iter().any(|(base, base_value)| {
            if *base == spec.name {
                // The input on its own, against running with nothing to gate.
                let mut with = defaults.clone();
                let before = mapped(&with);
                with.insert(spec.name.to_string(), value.to_string());
                return mapped(&with) != before;
            }
            let mut with = defaults.clone();
            with.insert(base.to_string(), base_value.to_string());
            let before = mapped(&with);
            with.insert(spec.name.to_string(), value.to_string());
            let after = mapped(&with);
            if let (
                Mapping::Value { flag, .. } | Mapping::List { flag, .. } | Mapping::Report { flag },
                true,
            ) = (spec.mapping, *base == "image")
            {
                let args = &after.0.as_ref().expect("valid inputs").args;
                let attached = |arg: &String| match spec.mapping {
                    // Report paths are resolved in the workspace.
                    Mapping::Report { .. } => {
                        arg.starts_with(&format!("{flag}=/")) && arg.ends_with(&format!("/{value}"))
                    }
                    _ => *arg == format!("{flag}={value}"),
                };
                assert!(
                    args.iter().any(attached),
                    "input {} should become `{flag}={value}`: {args:?}",
                    spec.name
                );
            }
            after != before
        });
        assert!(changed, "input `{}` changes nothing", spec.name);
    }
}

#[test]
fn mapped_command_lines_parse_with_the_cli() {
    let action = action_yml();
    for base in [
        ("image", "app:1"),
        ("findings", "scan.json"),
        ("from-event", "event.json"),
    ] {
        let mut with = runner_inputs(&action, &[base]);
        for spec in INPUTS {
            // `from-event` names the image: no `image`, `push` or `platform` with it.
            let excluded: &[&str] = match base.0 {
                "from-event" => &["image", "findings", "from-event", "push", "platform"],
                _ => &["image", "findings", "from-event"],
            };
            if !excluded.contains(&spec.name) {
                with.insert(spec.name.to_string(), probe(spec.name).to_string());
            }
        }
        let inputs = Inputs::from_pairs(with.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let workspace = tempfile::tempdir().unwrap();
        let run =
            inputs::command_line(&inputs, &Workspace::new(workspace.path(), workspace.path()))
                .expect("valid inputs");
        if let Err(error) = Cli::try_parse_without_env(&run.args) {
            panic!("{run} does not parse: {error}");
        }
    }
}

#[test]
fn readme_example_workflow_is_the_linted_fixture() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let example = std::fs::read_to_string(fixture("github/example-workflow.yml")).expect("fixture");
    assert!(
        readme.contains(&format!("```yaml\n{example}```")),
        "README's example workflow differs from tests/fixtures/github/example-workflow.yml"
    );
}

#[track_caller]
fn assert_every_output_set(outputs: &BTreeMap<String, String>) {
    let declared: BTreeSet<String> = action_yml()["outputs"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let set: BTreeSet<String> = outputs.keys().cloned().collect();
    assert_eq!(set, declared, "outputs set vs action.yml");
}

/// Comment bodies GitHub would count: UTF-16 units, a line break as two.
fn github_length(body: &str) -> usize {
    body.chars()
        .map(|c| if c == '\n' { 2 } else { c.len_utf16() })
        .sum()
}

fn comment(id: u64, body: &str, login: &str) -> Value {
    json!({
        "id": id,
        "node_id": format!("IC_kwDOABCD{id}"),
        "url": format!("https://api.github.com/repos/{REPOSITORY}/issues/comments/{id}"),
        "html_url": format!("https://github.com/{REPOSITORY}/pull/42#issuecomment-{id}"),
        "body": body,
        "user": {"login": login, "id": 41898282, "type": "Bot", "site_admin": false},
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        "issue_url": format!("https://api.github.com/repos/{REPOSITORY}/issues/42"),
        "author_association": "NONE"
    })
}

/// An error answer of GitHub's REST API.
fn github_error(status: u16, message: &str, documentation_url: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "documentation_url": documentation_url,
        "status": status.to_string()
    }))
}

/// Pull request 42 has no comments yet.
async fn mock_no_comments(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
}

fn requests<'a>(all: &'a [Request], verb: &str, route: &str) -> Vec<&'a Request> {
    all.iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == route)
        .collect()
}

fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("JSON request body")
}

async fn mock_sarif_upload(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(SARIFS))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "id": SARIF_ID,
            "url": format!("https://api.github.com/repos/{REPOSITORY}/code-scanning/sarifs/{SARIF_ID}")
        })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{SARIFS}/{SARIF_ID}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"processing_status": "pending", "analyses_url": null})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{SARIFS}/{SARIF_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "processing_status": "complete",
            "analyses_url": format!("https://api.github.com/repos/{REPOSITORY}/code-scanning/analyses?sarif_id={SARIF_ID}")
        })))
        .with_priority(2)
        .mount(server)
        .await;
}

/// Who the token belongs to, as GitHub's API tells it.
#[derive(Clone, Copy)]
enum Who<'a> {
    /// An installation token (`GITHUB_TOKEN`, a GitHub App's): `GET /user` is refused, GraphQL's
    /// `viewer` is the app's bot.
    Installation(&'a str),
    /// A personal access token: `GET /user` answers.
    User(&'a str),
    /// Neither answers.
    Unknown,
}

async fn mock_identity(server: &MockServer, who: Who<'_>) {
    let user = match who {
        Who::User(login) => ResponseTemplate::new(200).set_body_json(json!({
            "login": login, "id": 583231, "type": "User", "site_admin": false
        })),
        Who::Installation(_) | Who::Unknown => github_error(
            403,
            "Resource not accessible by integration",
            "https://docs.github.com/rest/users/users#get-the-authenticated-user",
        ),
    };
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(user)
        .mount(server)
        .await;
    let viewer = match who {
        Who::Installation(login) | Who::User(login) => {
            ResponseTemplate::new(200).set_body_json(json!({"data": {"viewer": {"login": login}}}))
        }
        Who::Unknown => ResponseTemplate::new(502).set_body_string("bad gateway"),
    };
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(viewer)
        .mount(server)
        .await;
}

fn debian() -> PathBuf {
    public("findings/basic/cultureamp-debian10-bff-version-257-findings.json")
}

fn one_medium() -> PathBuf {
    public("findings/basic/awscli-example-sample-repo-1-finding-epoch-timestamps.json")
}

// ---- end to end ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_pull_request_updates_its_comment_found_on_page_two_and_uploads_sarif() {
    let server = MockServer::start().await;
    let marker = "<!-- ecr-scan-gate: development/bff-version -->";
    let next = format!("{}{COMMENTS}?per_page=100&page=2", server.uri());
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .and(query_param("per_page", "100"))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!(r#"<{next}>; rel="next", <{next}>; rel="last""#).as_str(),
                )
                .set_body_json(json!([
                    comment(11, "Looks good to me", "octo-dev"),
                    comment(12, "<!-- other-bot: x -->\nnot ours", "other-bot[bot]"),
                ])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([comment(
            9001,
            &format!("{marker}\n## ❌ ecr-scan-gate: fail (an earlier run)"),
            "github-actions[bot]"
        )])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/repos/{REPOSITORY}/issues/comments/9001")))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(
            9001,
            "updated",
            "github-actions[bot]",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    mock_identity(&server, Who::Installation("github-actions[bot]")).await;
    mock_sarif_upload(&server).await;

    let done = Gate::action(
        &[
            ("findings", "scan.json"),
            ("sarif", "reports/gate.sarif"),
            ("json", "reports/gate.json"),
            ("upload-sarif", "true"),
        ],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done.expect(1);

    let outputs = done.outputs();
    assert_every_output_set(&outputs);
    assert_eq!(outputs["result"], "fail");
    assert_eq!(outputs["critical"], "1");
    assert_eq!(outputs["high"], "5");
    assert_eq!(outputs["medium"], "32");
    assert_eq!(outputs["low"], "25");
    assert_eq!(outputs["informational"], "183");
    assert_eq!(outputs["unknown"], "11");
    assert_eq!(outputs["total"], "257");
    assert_eq!(outputs["violations"], "6");
    assert_eq!(outputs["sarif"], "reports/gate.sarif");
    assert_eq!(outputs["json"], "reports/gate.json");
    assert_eq!(outputs["markdown"], "");
    assert_eq!(outputs["sarif-id"], SARIF_ID);
    assert!(done.exists("reports/gate.sarif") && done.exists("reports/gate.json"));

    let summary = done.summary();
    assert!(summary.contains("fail-on = high"), "{summary}");
    assert!(summary.len() <= 1_048_576);

    let errors = done.commands("error");
    assert_eq!(errors.len(), 6, "{errors:#?}");
    assert!(errors[0].starts_with("::error title=CVE-"), "{}", errors[0]);
    assert!(done.commands("warning").is_empty(), "{}", done.stderr);

    let received = server.received_requests().await.unwrap();
    for request in &received {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer {TOKEN}"),
        );
        assert_eq!(
            request.headers.get("x-github-api-version").unwrap(),
            "2022-11-28"
        );
    }
    let patch = requests(
        &received,
        "PATCH",
        &format!("/repos/{REPOSITORY}/issues/comments/9001"),
    );
    let body = body_json(patch[0])["body"].as_str().unwrap().to_string();
    assert!(body.starts_with(&format!("{marker}\n")), "{body}");
    assert!(body.contains("fail"), "{body}");
    assert!(github_length(&body) <= 65_536);

    let upload = body_json(requests(&received, "POST", SARIFS)[0]);
    assert_eq!(upload["commit_sha"], SHA);
    assert_eq!(upload["ref"], "refs/pull/42/merge");
    let gzipped = base64::engine::general_purpose::STANDARD
        .decode(upload["sarif"].as_str().unwrap())
        .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_string(&mut text)
        .unwrap();
    let sarif: Value = serde_json::from_str(&text).unwrap();
    validate(&sarif_schema(), &sarif, "uploaded SARIF");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 257);
    assert_eq!(
        requests(&received, "GET", &format!("{SARIFS}/{SARIF_ID}")).len(),
        2,
        "polled until complete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passing_pull_request_without_a_comment_gets_one() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            77,
            "created",
            "github-actions[bot]",
        )))
        .expect(1)
        .mount(&server)
        .await;

    let done = Gate::action(
        &[("findings", "scan.json")],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .copy(&one_medium(), "scan.json")
    .run_async()
    .await;
    done.expect(0);
    let outputs = done.outputs();
    assert_every_output_set(&outputs);
    assert_eq!(outputs["result"], "pass");
    assert_eq!(outputs["medium"], "1");
    assert_eq!(outputs["violations"], "0");
    assert_eq!(
        outputs["sarif"], "ecr-scan-gate.sarif",
        "SARIF by default, for upload-sarif"
    );
    let sarif: Value = serde_json::from_str(&done.file("ecr-scan-gate.sarif")).unwrap();
    validate(&sarif_schema(), &sarif, "default SARIF");
    assert_eq!(outputs["sarif-id"], "");
    assert_eq!(
        outputs["digest"],
        "sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6"
    );
    assert!(done.summary().contains("pass"));
    assert!(done.commands("error").is_empty(), "{}", done.stderr);

    let received = server.received_requests().await.unwrap();
    let created = requests(&received, "POST", COMMENTS);
    let body = body_json(created[0])["body"].as_str().unwrap().to_string();
    assert!(
        body.starts_with("<!-- ecr-scan-gate: sample-repo -->\n"),
        "{body}"
    );
    assert!(github_length(&body) <= 65_536);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_on_a_push_comments_on_the_open_pull_requests_of_the_commit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPOSITORY}/commits/{SHA}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"number": 42, "state": "open", "head": {"sha": SHA, "repo": {"full_name": REPOSITORY}}},
            {"number": 40, "state": "closed", "head": {"sha": SHA, "repo": {"full_name": REPOSITORY}}}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([comment(
            5,
            "unrelated",
            "octo-dev"
        )])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            6,
            "created",
            "github-actions[bot]",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let done = Gate::action(
        &[("findings", "scan.json"), ("comment", "always")],
        Event::Push,
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done.expect(1);
    assert_eq!(done.outputs()["result"], "fail");
    assert!(done.commands("warning").is_empty(), "{}", done.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fork_pull_request_403s_are_warnings_and_keep_the_exit_code() {
    let server = MockServer::start().await;
    let forbidden = github_error(
        403,
        "Resource not accessible by integration",
        "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    );
    mock_no_comments(&server).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(forbidden.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(SARIFS))
        .respond_with(forbidden)
        .expect(1)
        .mount(&server)
        .await;

    let done = Gate::action(
        &[("findings", "scan.json"), ("upload-sarif", "true")],
        Event::PullRequest("pull_request_fork.json"),
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done.expect(1);
    let warnings = done.commands("warning");
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].contains("pull-request comment failed")
            && warnings[0].contains("HTTP 403")
            && warnings[0].contains("forks"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].contains("SARIF upload failed") && warnings[1].contains("security-events"),
        "{}",
        warnings[1]
    );
    let outputs = done.outputs();
    assert_every_output_set(&outputs);
    assert_eq!(outputs["result"], "fail");
    assert_eq!(
        outputs["sarif"], "ecr-scan-gate.sarif",
        "upload-sarif writes a default file"
    );
    assert_eq!(outputs["sarif-id"], "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_only_keeps_exit_zero_even_when_the_api_fails() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream unavailable"))
        .mount(&server)
        .await;
    let done = Gate::action(
        &[("findings", "scan.json"), ("report-only", "true")],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done.expect(0);
    assert_eq!(done.outputs()["result"], "fail");
    // Violations are warnings under report-only, within GitHub's limit of 10 with the API's warning.
    let warnings = done.commands("warning");
    assert!(warnings.len() <= 10, "{warnings:#?}");
    assert!(
        warnings.iter().any(|w| w.contains("HTTP 500")),
        "{warnings:#?}"
    );
    assert!(done.commands("error").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_event_and_comment_never_call_no_api() {
    let server = MockServer::start().await;
    let done = Gate::action(&[("findings", "scan.json")], Event::Push, &server.uri())
        .copy(&debian(), "scan.json")
        .run_async()
        .await;
    done.expect(1);
    let done_never = Gate::action(
        &[("findings", "scan.json"), ("comment", "never")],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done_never.expect(1);
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(done_never.outputs()["result"], "fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_scan_keeps_the_comment_summary_and_annotations_within_limits() {
    let server = MockServer::start().await;
    mock_no_comments(&server).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            1,
            "x",
            "github-actions[bot]",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let findings: Vec<Value> = (0..4000)
        .map(|i| {
            json!({
                "name": format!("CVE-2099-{i:05}"),
                "description": format!("{} ::error::injected 𝕏 |table| <b>html</b> @team", "long text ".repeat(40)),
                "uri": format!("https://security-tracker.debian.org/tracker/CVE-2099-{i:05}"),
                "severity": if i % 3 == 0 { "CRITICAL" } else { "HIGH" },
                "attributes": [
                    {"key": "package_name", "value": format!("package-with-a-long-name-{i}")},
                    {"key": "package_version", "value": "1.2.3-4+deb12u5"}
                ]
            })
        })
        .collect();
    let scan = json!({
        "registryId": "123456789012",
        "repositoryName": "payments/api",
        "imageId": {"imageDigest": format!("sha256:{}", "ab".repeat(32)), "imageTag": "1.0"},
        "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
        "imageScanFindings": {
            "imageScanCompletedAt": "2026-11-28T09:31:00Z",
            "vulnerabilitySourceUpdatedAt": "2026-11-28T00:00:00Z",
            "findingSeverityCounts": {"CRITICAL": 1334, "HIGH": 2666},
            "findings": findings
        }
    });
    let done = Gate::action(
        &[("findings", "scan.json")],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .file("scan.json", scan.to_string())
    .run_async()
    .await;
    done.expect(1);
    let outputs = done.outputs();
    assert_eq!(outputs["violations"], "4000");
    assert_eq!(outputs["total"], "4000");
    assert!(done.summary().len() <= 1_048_576);
    let errors = done.commands("error");
    assert_eq!(errors.len(), 10, "at most 10 error annotations");
    assert!(errors[9].contains("3991 more"), "{}", errors[9]);
    for line in done.stderr.lines() {
        let line = line.trim_start();
        assert!(
            !line.starts_with("::")
                || ["::error ", "::warning ", "::notice "]
                    .iter()
                    .any(|p| line.starts_with(p)),
            "unexpected workflow command: {line}"
        );
    }
    let received = server.received_requests().await.unwrap();
    let body = body_json(requests(&received, "POST", COMMENTS)[0])["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(body.starts_with("<!-- ecr-scan-gate: payments/api -->\n"));
    let length = github_length(&body);
    assert!(length <= 65_536, "{length}");
    assert!(length > 30_000, "the comment uses its room: {length}");
    assert!(!body.contains("::error::"), "workflow commands neutralised");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incomplete_scan_is_incomplete_comments_and_uploads_nothing() {
    let server = MockServer::start().await;
    mock_no_comments(&server).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            3,
            "x",
            "github-actions[bot]",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(SARIFS))
        .respond_with(ResponseTemplate::new(202))
        .expect(0)
        .mount(&server)
        .await;
    let done = Gate::action(
        &[
            ("findings", "scan.json"),
            ("upload-sarif", "true"),
            ("sarif", "gate.sarif"),
        ],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .copy(
        &public("findings/status/awscli-start-image-scan-example-in-progress.json"),
        "scan.json",
    )
    .run_async()
    .await;
    done.expect(3);
    let outputs = done.outputs();
    assert_every_output_set(&outputs);
    assert_eq!(outputs["result"], "incomplete");
    assert_eq!(outputs["sarif"], "", "no SARIF without a verdict");
    assert!(!done.exists("gate.sarif"));
    assert_eq!(done.commands("error").len(), 1, "{}", done.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_an_error_with_every_output_set() {
    let server = MockServer::start().await;
    for (with, message) in [
        (
            vec![("findings", "scan.json"), ("fail-on", "severe")],
            "input `fail-on`: `severe`",
        ),
        (vec![], "set the `image` input"),
        (
            vec![("findings", "scan.json"), ("min-score", "eleven")],
            "--min-score",
        ),
    ] {
        let done = Gate::action(
            &with,
            Event::PullRequest("pull_request.json"),
            &server.uri(),
        )
        .copy(&one_medium(), "scan.json")
        .run_async()
        .await;
        done.expect(2);
        let outputs = done.outputs();
        assert_every_output_set(&outputs);
        assert_eq!(outputs["result"], "error");
        let errors = done.commands("error");
        assert_eq!(errors.len(), 1, "{}", done.stderr);
        assert!(errors[0].contains(message), "{}", errors[0]);
        assert!(done.summary().contains("ecr-scan-gate: error"));
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_run_with_no_arguments_in_a_job_is_the_action() {
    // `uses: docker://…` with `with:` runs the image's entrypoint with no arguments.
    let server = MockServer::start().await;
    let done = Gate::action(
        &[("findings", "scan.json"), ("comment", "never")],
        Event::Push,
        &server.uri(),
    )
    .copy(&one_medium(), "scan.json")
    .without_arguments()
    .run_async()
    .await;
    done.expect(0);
    assert_eq!(done.outputs()["result"], "pass");
}

// ---- the sticky comment belongs to the token's identity ----

const MARKER: &str = "<!-- ecr-scan-gate: development/bff-version -->";

fn comment_route(id: u64) -> String {
    format!("/repos/{REPOSITORY}/issues/comments/{id}")
}

/// The comments of pull request 42 (one page), any `PATCH` answered 200, a `POST` answered 201.
async fn mock_comments(server: &MockServer, comments: Vec<Value>) {
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(comments)))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(wiremock::matchers::path_regex(
            r"^/repos/octo-org/payments-api/issues/comments/\d+$",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(
            1,
            "updated",
            "github-actions[bot]",
        )))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            2,
            "created",
            "github-actions[bot]",
        )))
        .mount(server)
        .await;
}

/// A failing pull-request run of the gate on `development/bff-version`.
async fn failing_pull_request_run(server: &MockServer) -> Run {
    let done = Gate::action(
        &[("findings", "scan.json")],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done.expect(1);
    assert_eq!(done.outputs()["result"], "fail");
    done
}

/// The warnings of a failing pull-request run on a pull request without comments, whose new comment
/// GitHub answers with `answer` (once).
async fn warnings_when_the_new_comment_gets(answer: ResponseTemplate) -> Vec<String> {
    let server = MockServer::start().await;
    mock_no_comments(&server).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    failing_pull_request_run(&server).await.commands("warning")
}

/// The comment ids the run edited and how many comments it created.
async fn edits_and_creations(server: &MockServer) -> (Vec<String>, usize) {
    let received = server.received_requests().await.unwrap();
    let edited = received
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| r.url.path().rsplit('/').next().unwrap().to_string())
        .collect();
    (edited, requests(&received, "POST", COMMENTS).len())
}

fn planted(id: u64, login: &str) -> Value {
    comment(
        id,
        &format!("{MARKER}\n## ✅ ecr-scan-gate: pass\n\n[details](https://evil.example/phish)"),
        login,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_comment_planted_by_another_user_is_never_edited() {
    let server = MockServer::start().await;
    mock_comments(&server, vec![planted(501, "mallory")]).await;
    mock_identity(&server, Who::Installation("github-actions[bot]")).await;
    let done = failing_pull_request_run(&server).await;

    let (edited, created) = edits_and_creations(&server).await;
    assert!(edited.is_empty(), "edited {edited:?}\n{}", done.stderr);
    assert_eq!(created, 1, "{}", done.stderr);
    let received = server.received_requests().await.unwrap();
    let body = body_json(requests(&received, "POST", COMMENTS)[0])["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(body.starts_with(&format!("{MARKER}\n")), "{body}");
    assert!(
        done.stderr.contains("comment 501 by mallory"),
        "the log says which comment was left alone: {}",
        done.stderr
    );
    assert!(done.commands("warning").is_empty(), "{}", done.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_s_own_comment_is_updated_past_a_planted_one() {
    let server = MockServer::start().await;
    mock_comments(
        &server,
        vec![
            planted(501, "mallory"),
            planted(502, "github-actions"),
            planted(503, "github‐actions[bot]"),
            {
                let mut ghost = planted(504, "ghost");
                ghost["user"] = Value::Null;
                ghost
            },
            comment(
                9001,
                &format!("{MARKER}\nearlier run"),
                "github-actions[bot]",
            ),
        ],
    )
    .await;
    mock_identity(&server, Who::Installation("github-actions[bot]")).await;
    let done = failing_pull_request_run(&server).await;
    let (edited, created) = edits_and_creations(&server).await;
    assert_eq!(edited, ["9001"], "{}", done.stderr);
    assert_eq!(created, 0);
    assert!(
        done.stderr.contains("comment 504 by a deleted account"),
        "{}",
        done.stderr
    );
    assert!(done.commands("warning").is_empty(), "{}", done.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_token_updates_only_its_own_login_s_comment() {
    let server = MockServer::start().await;
    mock_comments(
        &server,
        vec![
            comment(
                9001,
                &format!("{MARKER}\nby the workflow token"),
                "github-actions[bot]",
            ),
            comment(700, &format!("{MARKER}\nby the PAT"), "Octo-Dev"),
        ],
    )
    .await;
    mock_identity(&server, Who::User("octo-dev")).await;
    let _done = failing_pull_request_run(&server).await;
    let (edited, created) = edits_and_creations(&server).await;
    assert_eq!(edited, ["700"], "logins compare case-insensitively");
    assert_eq!(created, 0);
    let received = server.received_requests().await.unwrap();
    assert!(
        requests(&received, "POST", "/graphql").is_empty(),
        "GET /user answered: no GraphQL call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_is_learnt_once_for_every_pull_request_of_the_run() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPOSITORY}/commits/{SHA}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"number": 42, "state": "open", "head": {"repo": {"full_name": REPOSITORY}}},
            {"number": 43, "state": "open", "head": {"repo": {"full_name": REPOSITORY}}}
        ])))
        .mount(&server)
        .await;
    for (number, id) in [(42, 9001), (43, 9002)] {
        Mock::given(method("GET"))
            .and(path(format!(
                "/repos/{REPOSITORY}/issues/{number}/comments"
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                planted(id - 1000, "mallory"),
                comment(id, &format!("{MARKER}\nearlier"), "github-actions[bot]"),
            ])))
            .mount(&server)
            .await;
    }
    mock_comments(&server, Vec::new()).await;
    mock_identity(&server, Who::Installation("github-actions[bot]")).await;
    let done = Gate::action(
        &[("findings", "scan.json"), ("comment", "always")],
        Event::Push,
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done.expect(1);
    let (edited, created) = edits_and_creations(&server).await;
    assert_eq!(edited, ["9001", "9002"], "{}", done.stderr);
    assert_eq!(created, 0);
    let received = server.received_requests().await.unwrap();
    assert_eq!(requests(&received, "GET", "/user").len(), 1);
    assert_eq!(requests(&received, "POST", "/graphql").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_token_s_identity_cannot_be_learnt_a_new_comment_is_created() {
    let server = MockServer::start().await;
    mock_comments(
        &server,
        vec![comment(
            9001,
            &format!("{MARKER}\nearlier"),
            "github-actions[bot]",
        )],
    )
    .await;
    mock_identity(&server, Who::Unknown).await;
    let done = failing_pull_request_run(&server).await;
    let (edited, created) = edits_and_creations(&server).await;
    assert!(edited.is_empty(), "{edited:?}");
    assert_eq!(created, 1);
    let warnings = done.commands("warning");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("whose token") && warnings[0].contains("new comment"),
        "{}",
        warnings[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_marker_comment_means_no_identity_lookup() {
    let server = MockServer::start().await;
    mock_comments(&server, vec![comment(11, "Looks good to me", "octo-dev")]).await;
    let done = failing_pull_request_run(&server).await;
    let (edited, created) = edits_and_creations(&server).await;
    assert!(edited.is_empty());
    assert_eq!(created, 1);
    let received = server.received_requests().await.unwrap();
    let routes: Vec<String> = received
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        routes,
        [format!("GET {COMMENTS}"), format!("POST {COMMENTS}")],
        "{}",
        done.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_comment_that_vanished_before_the_update_is_replaced_by_a_new_one() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(comment_route(9001)))
        .respond_with(github_error(
            404,
            "Not Found",
            "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    mock_comments(
        &server,
        vec![comment(
            9001,
            &format!("{MARKER}\nearlier"),
            "github-actions[bot]",
        )],
    )
    .await;
    mock_identity(&server, Who::Installation("github-actions[bot]")).await;
    let done = failing_pull_request_run(&server).await;
    let (edited, created) = edits_and_creations(&server).await;
    assert_eq!(edited, ["9001"]);
    assert_eq!(created, 1, "{}", done.stderr);
    assert!(
        done.stderr.contains("couldn't update comment 9001") && done.stderr.contains("HTTP 404"),
        "{}",
        done.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_that_is_not_a_missing_permission_is_not_blamed_on_permissions() {
    let warnings = warnings_when_the_new_comment_gets(github_error(
        403,
        "Unable to create comment because issue is locked.",
        "https://docs.github.com/articles/locking-conversations/",
    ))
    .await;
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("issue is locked") && !warnings[0].contains("pull-requests: write"),
        "{}",
        warnings[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_named() {
    let warnings = warnings_when_the_new_comment_gets(github_error(
        403,
        "Resource not accessible by integration",
        "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
    ))
    .await;
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("pull-requests: write"),
        "{}",
        warnings[0]
    );
}

// ---- the inputs are the configuration ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_variables_never_weaken_the_action_s_inputs() {
    let server = MockServer::start().await;
    for (name, value) in [
        ("ECR_SCAN_GATE_REPORT_ONLY", "true"),
        ("ECR_SCAN_GATE_FAIL_ON", "none"),
        ("ECR_SCAN_GATE_POLICY", "lenient.toml"),
        ("ECR_SCAN_GATE_PLATFORM", "linux/arm64"),
        // Not the runner's spelling of an input: it can only come from `env:` or `GITHUB_ENV`.
        ("INPUT_report-only", "true"),
        ("INPUT_Fail-On", "none"),
        ("INPUT_policy", "lenient.toml"),
    ] {
        let done = Gate::action(
            &[
                ("findings", "scan.json"),
                ("report-only", "false"),
                ("comment", "never"),
            ],
            Event::PullRequest("pull_request.json"),
            &server.uri(),
        )
        .copy(&debian(), "scan.json")
        .env(name, value)
        .file("lenient.toml", "[gate]\nfail-on = \"none\"\n")
        .run_async()
        .await;
        assert_eq!(done.exit, 1, "{name}={value}\n{}", done.stderr);
        assert_eq!(done.outputs()["result"], "fail", "{name}");
    }
}

#[test]
fn the_cli_still_reads_its_environment_fallbacks() {
    let run = Gate::evaluate(&[debian()])
        .env("ECR_SCAN_GATE_REPORT_ONLY", "true")
        .run();
    run.expect(0);
}

/// A one-layer OCI image layout in `dir`.
fn tiny_layout(dir: &Path) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let blob = |bytes: &[u8], media_type: &str| {
        let digest = crate::ecr_stub::digest_of(bytes);
        std::fs::write(blobs.join(digest.trim_start_matches("sha256:")), bytes).unwrap();
        json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
    };
    let layer = blob(
        b"not really a layer",
        "application/vnd.oci.image.layer.v1.tar",
    );
    let config = blob(
        json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}})
            .to_string()
            .as_bytes(),
        "application/vnd.oci.image.config.v1+json",
    );
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": [layer],
    });
    let manifest = blob(
        manifest.to_string().as_bytes(),
        "application/vnd.oci.image.manifest.v1+json",
    );
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        json!({"schemaVersion": 2, "manifests": [manifest]}).to_string(),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_endpoint_variable_cannot_redirect_the_action_s_push_credentials() {
    use crate::ecr_stub::{Action, EcrStub};
    let server = MockServer::start().await;
    let stub = EcrStub::start();
    let ecr = Recorder::start();
    let attacker = Recorder::start();
    stub.on(
        "GetAuthorizationToken",
        vec![Action::json(authorization_token(
            "registry-password-0451",
            &ecr.url(),
        ))],
    );
    let gate = Gate::action(
        &[
            ("image", "team/app:v1"),
            ("push", "image"),
            ("comment", "never"),
        ],
        Event::Push,
        &server.uri(),
    )
    .env("ECR_SCAN_GATE_REGISTRY_ENDPOINT", &attacker.url())
    .stub(&stub);
    tiny_layout(&gate.path("image"));
    let done = gate.run_async().await;
    done.expect(2);
    assert!(
        attacker.seen().is_empty(),
        "credentials went to the variable's endpoint: {:?}",
        attacker.seen()
    );
    assert!(
        ecr.seen().iter().any(|r| r.starts_with("GET /v2/")),
        "the push went to ECR's endpoint: {:?}\n{}",
        ecr.seen(),
        done.stderr
    );
}

// ---- push ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_true_is_refused_saying_what_the_input_expects() {
    use crate::ecr_stub::EcrStub;
    let server = MockServer::start().await;
    let stub = EcrStub::start();
    for value in ["true", "false", "TRUE"] {
        let done = Gate::action(
            &[
                ("image", "team/app:v1"),
                ("push", value),
                ("comment", "never"),
            ],
            Event::Push,
            &server.uri(),
        )
        .stub(&stub)
        .run_async()
        .await;
        done.expect(2);
        let errors = done.commands("error");
        assert_eq!(errors.len(), 1, "{}", done.stderr);
        assert!(
            errors[0].contains("input `push`")
                && errors[0].contains("OCI layout")
                && errors[0].contains("empty"),
            "{}",
            errors[0]
        );
        assert_eq!(done.outputs()["result"], "error");
    }
    assert!(stub.requests().is_empty(), "{:?}", stub.operations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_source_missing_from_the_workspace_is_exit_2_before_any_aws_call() {
    use crate::ecr_stub::EcrStub;
    let server = MockServer::start().await;
    let stub = EcrStub::start();
    let done = Gate::action(
        &[
            ("image", "team/app:v1"),
            ("push", "image.tar"),
            ("comment", "never"),
        ],
        Event::Push,
        &server.uri(),
    )
    .stub(&stub)
    .run_async()
    .await;
    done.expect(2);
    assert!(
        done.stderr.contains("image.tar") && done.stderr.contains("doesn't exist"),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("workspace"), "{}", done.stderr);
    assert_eq!(done.outputs()["result"], "error");
    assert!(stub.requests().is_empty(), "{:?}", stub.operations());
}

// ---- no input text is ever an option ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_input_items_are_never_read_as_options() {
    let server = MockServer::start().await;
    for hostile in ["--report-only", "--fail-on=none", "-h"] {
        let done = Gate::action(
            &[
                ("findings", &format!("scan.json\n{hostile}")),
                ("comment", "never"),
            ],
            Event::Push,
            &server.uri(),
        )
        .copy(&debian(), "scan.json")
        .run_async()
        .await;
        done.expect(2);
        assert_eq!(done.outputs()["result"], "error", "{hostile}");
        assert!(
            done.stderr
                .contains(&format!("couldn't read findings file {hostile}")),
            "{hostile} is a file name: {}",
            done.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignore_item_that_looks_like_an_option_is_only_an_id() {
    let server = MockServer::start().await;
    for hostile in ["--report-only", "CVE-1,--fail-on=none", "--"] {
        let done = Gate::action(
            &[
                ("findings", "scan.json"),
                ("ignore", hostile),
                ("comment", "never"),
            ],
            Event::Push,
            &server.uri(),
        )
        .copy(&debian(), "scan.json")
        .run_async()
        .await;
        done.expect(1);
        assert_eq!(done.outputs()["result"], "fail", "{hostile}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_value_inputs_that_look_like_options_stay_values() {
    let server = MockServer::start().await;
    for (input, hostile) in [
        ("policy", "--report-only"),
        ("min-score", "--report-only"),
        ("json", "--report-only"),
    ] {
        let done = Gate::action(
            &[
                ("findings", "scan.json"),
                (input, hostile),
                ("comment", "never"),
            ],
            Event::Push,
            &server.uri(),
        )
        .copy(&debian(), "scan.json")
        .run_async()
        .await;
        assert_ne!(done.exit, 0, "{input}: {hostile}\n{}", done.stderr);
        assert!(
            !done.stderr.contains("a value is required"),
            "{input}: the value reached clap as an option: {}",
            done.stderr
        );
    }
}

// ---- SARIF by default ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sarif_none_writes_no_sarif() {
    let server = MockServer::start().await;
    for off in ["none", "NONE"] {
        let done = Gate::action(
            &[
                ("findings", "scan.json"),
                ("sarif", off),
                ("comment", "never"),
            ],
            Event::Push,
            &server.uri(),
        )
        .copy(&debian(), "scan.json")
        .run_async()
        .await;
        done.expect(1);
        let outputs = done.outputs();
        assert_every_output_set(&outputs);
        assert_eq!(outputs["result"], "fail");
        assert_eq!(outputs["sarif"], "", "{off}");
        assert!(!done.exists("ecr-scan-gate.sarif") && !done.exists(off));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_verdict_no_default_sarif() {
    // An empty upload would close every open alert: without a verdict there is no SARIF to upload.
    let server = MockServer::start().await;
    let done = Gate::action(
        &[("findings", "scan.json"), ("comment", "never")],
        Event::Push,
        &server.uri(),
    )
    .copy(&fixture("findings/unknown-status.json"), "scan.json")
    .run_async()
    .await;
    done.expect(3);
    let outputs = done.outputs();
    assert_every_output_set(&outputs);
    assert_eq!(outputs["result"], "incomplete");
    assert_eq!(outputs["sarif"], "");
    assert!(!done.exists("ecr-scan-gate.sarif"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_with_sarif_none_is_refused_before_anything_runs() {
    let server = MockServer::start().await;
    let done = Gate::action(
        &[
            ("findings", "scan.json"),
            ("sarif", "none"),
            ("upload-sarif", "true"),
        ],
        Event::Push,
        &server.uri(),
    )
    .copy(&debian(), "scan.json")
    .run_async()
    .await;
    done.expect(2);
    let errors = done.commands("error");
    assert_eq!(errors.len(), 1, "{}", done.stderr);
    assert!(
        errors[0].contains("upload-sarif") && errors[0].contains("none"),
        "{}",
        errors[0]
    );
    assert_eq!(done.outputs()["result"], "error");
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---- reports go to the workspace ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_paths_outside_the_workspace_are_refused_before_anything_runs() {
    use crate::ecr_stub::EcrStub;
    let server = MockServer::start().await;
    let stub = EcrStub::start();
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join("gate.json").display().to_string();
    let cases: Vec<(&str, String)> = vec![
        ("json", outside.clone()),
        ("sarif", "../gate.sarif".to_string()),
        ("markdown", "reports/../../gate.md".to_string()),
        ("json", "out/gate.json".to_string()),
        ("json", "dangling".to_string()),
        ("sarif", "-".to_string()),
    ];
    for (input, value) in &cases {
        let step = Gate::action(
            &[
                ("image", "team/app:v1"),
                (input, value),
                ("comment", "never"),
            ],
            Event::Push,
            &server.uri(),
        )
        .stub(&stub);
        std::os::unix::fs::symlink(elsewhere.path(), step.path("out")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path().join("nowhere.json"), step.path("dangling"))
            .unwrap();
        let runner = step.runner_dir().to_path_buf();
        let done = step.run_async().await;
        done.expect(2);
        let errors = done.commands("error");
        assert_eq!(errors.len(), 1, "{input}: {value}\n{}", done.stderr);
        assert!(
            errors[0].contains(&format!("input `{input}`")) && errors[0].contains("workspace"),
            "{}",
            errors[0]
        );
        let outputs = done.outputs();
        assert_every_output_set(&outputs);
        assert_eq!(outputs["result"], "error");
        assert_eq!(outputs[input.to_owned()], "");
        assert!(
            std::fs::read_dir(elsewhere.path())
                .unwrap()
                .next()
                .is_none(),
            "{input}: {value} wrote outside the workspace"
        );
        assert!(!runner.parent().unwrap().join("gate.sarif").exists());
        assert!(done.stdout.is_empty(), "{}", done.stdout);
    }
    assert!(stub.requests().is_empty(), "{:?}", stub.operations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_outputs_are_workspace_relative_paths() {
    let server = MockServer::start().await;
    let step = Gate::action(
        &[
            ("findings", "scan.json"),
            ("sarif", "./a/../gate.sarif"),
            ("markdown", "linked/summary.md"),
            ("comment", "never"),
        ],
        Event::Push,
        &server.uri(),
    );
    let absolute = step.path("reports/gate.json").display().to_string();
    std::fs::create_dir(step.path("real")).unwrap();
    std::os::unix::fs::symlink("real", step.path("linked")).unwrap();
    let done = step
        .env(&inputs::env_name("json"), &absolute)
        .copy(&debian(), "scan.json")
        .run_async()
        .await;
    done.expect(1);
    let outputs = done.outputs();
    assert_eq!(outputs["json"], "reports/gate.json");
    assert_eq!(outputs["sarif"], "gate.sarif");
    assert_eq!(outputs["markdown"], "real/summary.md");
    assert!(done.exists("reports/gate.json"));
    assert!(done.exists("gate.sarif"));
    assert!(done.exists("real/summary.md"));
}
