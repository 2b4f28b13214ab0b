//! The deployable loop of `examples/eventbridge/`: the CloudFormation template passes cfn-lint (as do
//! the rules `event-pattern --format cloudformation` prints), its default pattern is the default
//! policy's, and what its API destination sends GitHub, once GitHub wraps it as a repository_dispatch
//! event, is what the example workflow hands `scan --from-event`. The workflow itself is linted by
//! `scripts/lint-action` (actionlint), like the others.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

use crate::ecr_stub::*;
use crate::support::*;

/// The version `scripts/test` installs.
const CFN_LINT: &str = "cfn-lint==1.58.0";

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/eventbridge")
        .join(name)
}

fn yaml(name: &str) -> Yaml {
    serde_yaml_ng::from_str(&std::fs::read_to_string(example(name)).unwrap()).unwrap()
}

/// Runs cfn-lint on a template; the test fails (never skips) without it.
fn cfn_lint(template: &Path) -> (bool, String) {
    // Through the interpreter pip installed it for: a console script may not be on PATH (pyenv shims
    // appear only after a rehash).
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
        ])
        .arg(template)
        .output()
        .unwrap_or_else(|e| {
            panic!("cfn-lint is required ({CFN_LINT}, installed by scripts/test): {e}")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn cfn_lint_accepts_the_template_and_the_rules_event_pattern_prints() {
    let (ok, text) = cfn_lint(&example("template.yaml"));
    assert!(ok, "examples/eventbridge/template.yaml:\n{text}");

    let dir = tempfile::tempdir().unwrap();
    for (n, args) in [
        &["--format", "cloudformation"][..],
        &[
            "--format",
            "cloudformation",
            "--fail-on",
            "low",
            "--repository",
            "team/*",
        ],
        &["--format", "cloudformation", "--scan-type", "enhanced"],
    ]
    .into_iter()
    .enumerate()
    {
        let mut command = vec!["event-pattern"];
        command.extend(args);
        let run = Gate::command(&command).run();
        run.expect(0);
        let path = dir.path().join(format!("rule-{n}.yaml"));
        std::fs::write(&path, &run.stdout).unwrap();
        let (ok, text) = cfn_lint(&path);
        assert!(ok, "{args:?}:\n{}\n{text}", run.stdout);
    }

    // cfn-lint does find faults: the same template with a wrong HTTP method.
    let broken = std::fs::read_to_string(example("template.yaml"))
        .unwrap()
        .replace("HttpMethod: POST", "HttpMethod: FETCH");
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, broken).unwrap();
    let (ok, text) = cfn_lint(&path);
    assert!(!ok && text.contains("FETCH"), "{text}");
}

#[test]
fn the_template_s_default_pattern_is_the_default_policy_s() {
    let template = yaml("template.yaml");
    let default = template["Parameters"]["EventPattern"]["Default"]
        .as_str()
        .unwrap();
    let run = Gate::command(&["event-pattern"]).run();
    run.expect(0);
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(default.trim()).unwrap(),
        printed
    );
}

/// The body the API destination posts: the rule target's input template around the event.
fn dispatch_body(event: &Value) -> Value {
    let template = yaml("template.yaml");
    let targets = template["Resources"]["ScanRule"]["Properties"]["Targets"]
        .as_sequence()
        .unwrap();
    // `!If [ToGitHub, TARGET, !Ref AWS::NoValue]`
    let github = targets
        .iter()
        .find_map(|target| {
            let Yaml::Tagged(tagged) = target else {
                return None;
            };
            let target = &tagged.value.as_sequence()?[1];
            (target["Id"].as_str()? == "github-repository-dispatch").then_some(target.clone())
        })
        .expect("the GitHub target");
    let transformer = &github["InputTransformer"];
    assert_eq!(transformer["InputPathsMap"]["event"].as_str(), Some("$"));
    let body = transformer["InputTemplate"]
        .as_str()
        .unwrap()
        .replace("<event>", &event.to_string());
    serde_json::from_str(&body).expect("the input template makes JSON")
}

#[test]
fn what_the_rule_sends_github_is_what_the_workflow_gates() {
    let scan_event: Value = serde_json::from_slice(
        &std::fs::read(public(
            "events/ecr-image-scan-basic-ecr-scan-collector-testdata-two-tags.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let body = dispatch_body(&scan_event);
    assert_eq!(body["event_type"], "ecr-scan");
    assert_eq!(body["client_payload"], scan_event);
    // GitHub's limit on client_payload.
    assert!(body["client_payload"].as_object().unwrap().len() <= 10);

    let template = yaml("template.yaml");
    let destination = &template["Resources"]["GitHubDispatches"]["Properties"];
    assert_eq!(destination["HttpMethod"].as_str(), Some("POST"));
    let Yaml::Tagged(endpoint) = &destination["InvocationEndpoint"] else {
        panic!("!Sub endpoint")
    };
    assert_eq!(
        endpoint.value.as_str(),
        Some("https://api.github.com/repos/${GitHubRepository}/dispatches")
    );

    // The workflow: started by that event type, it saves client_payload and gates it.
    let workflow = yaml("scan-event-workflow.yml");
    let types = &workflow["on"]["repository_dispatch"]["types"];
    assert_eq!(types.as_sequence().unwrap()[0].as_str(), Some("ecr-scan"));
    let steps = workflow["jobs"]["gate"]["steps"].as_sequence().unwrap();
    let save = steps
        .iter()
        .find(|s| s["env"]["CLIENT_PAYLOAD"].is_string())
        .expect("the step that saves the event");
    assert_eq!(
        save["env"]["CLIENT_PAYLOAD"].as_str(),
        Some("${{ toJSON(github.event.client_payload) }}")
    );
    let gate = steps
        .iter()
        .find(|s| s["id"].as_str() == Some("gate"))
        .unwrap();
    let file = gate["with"]["from-event"].as_str().unwrap();
    assert!(save["run"].as_str().unwrap().contains(file));

    // GitHub delivers `client_payload` as it was posted; the saved file is gated.
    let stub = EcrStub::start();
    let digest = "sha256:6a5a5368e0c2d3e5909184129962d126c0f20ce69b335531f30a6b760cdcf60b";
    stub.on(
        "DescribeImageScanFindings",
        vec![
            ScanPage::new("my-shiny-repo", digest, "COMPLETE")
                .basic(vec![basic_finding(
                    "CVE-2024-5535",
                    "CRITICAL",
                    "openssl",
                    "3.0.11",
                    Some(9.1),
                )])
                .counts(&[("CRITICAL", 1)])
                .action(),
        ],
    );
    let saved = body["client_payload"].to_string();
    let run = Gate::from_event(file)
        .file(file, saved)
        .stub(&stub)
        .json()
        .run();
    run.expect(1);
    assert_eq!(run.json()["images"][0]["digest"], digest);
}
