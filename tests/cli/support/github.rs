//! The GitHub Actions runner around a [`Gate`]: the action run the way the runner runs a Docker
//! action — `runs.args` of `action.yml` as the arguments, the `INPUT_*` variables from `action.yml`'s
//! defaults plus a `with:` block, the runner's `GITHUB_*` and `RUNNER_*` variables, an event payload,
//! step summary and output files — and what the runner reads back from a [`Run`] (outputs, the step
//! summary, workflow commands).
//!
//! It must not mock GitHub's API: the tests serve it (wiremock) and pass its URL.

use std::collections::BTreeMap;
use std::path::Path;

use ecr_scan_gate::github::inputs;
use serde_json::{Value, json};

use super::{Gate, Run, fixture};

/// The repository the workflow runs in.
pub const REPOSITORY: &str = "octo-org/payments-api";
/// The commit it runs on.
pub const SHA: &str = "0f7e1d2c3b4a59687766554433221100ffeeddcc";
/// `github.token`, the default of the `github-token` input.
pub const TOKEN: &str = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";

/// The file the runner reads outputs from, in its own directory.
const OUTPUT_FILE: &str = "set_output_0f7e1d2c";
/// The file the runner reads the step summary from, in its own directory.
const SUMMARY_FILE: &str = "step_summary_0f7e1d2c";

/// `action.yml`, parsed.
pub fn action_yml() -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml");
    serde_yaml_ng::from_str(&text).expect("action.yml is YAML")
}

/// The `INPUT_*` values the runner sets: `action.yml`'s defaults (expressions evaluated), then `with:`.
pub fn runner_inputs(action: &Value, with: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for (name, input) in action["inputs"].as_object().unwrap() {
        let default = input["default"].as_str().unwrap_or_default();
        let value = match default {
            "${{ github.token }}" => TOKEN,
            other => {
                assert!(
                    !other.contains("${{"),
                    "the test evaluates no expression but github.token: {other}"
                );
                other
            }
        };
        values.insert(name.clone(), value.to_string());
    }
    for (name, value) in with {
        assert!(values.contains_key(*name), "`with:` names no input {name}");
        values.insert(name.to_string(), value.to_string());
    }
    values
}

/// The event that started the workflow.
#[derive(Clone, Copy)]
pub enum Event<'a> {
    /// A `pull_request` event with the payload `tests/fixtures/github/FILE`, on pull request 42.
    PullRequest(&'a str),
    /// A push of [`SHA`] to `main`.
    Push,
}

impl Gate {
    /// The action as a job step runs it: `with` as its inputs, started by `event`, GitHub's API at
    /// `api_url`. The run's directory is the workspace (the checked-out repository).
    pub fn action(with: &[(&str, &str)], event: Event<'_>, api_url: &str) -> Gate {
        let action = action_yml();
        let args: Vec<&str> = action["runs"]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let mut gate = Gate::command(&args);
        let runner = tempfile::tempdir().expect("runner dir");
        let (event_name, payload, git_ref) = match event {
            Event::PullRequest(file) => (
                "pull_request",
                std::fs::read_to_string(fixture(&format!("github/{file}"))).expect("event"),
                "refs/pull/42/merge",
            ),
            Event::Push => (
                "push",
                json!({"ref": "refs/heads/main", "after": SHA, "repository": {"full_name": REPOSITORY}})
                    .to_string(),
                "refs/heads/main",
            ),
        };
        let event_path = runner.path().join("event.json");
        std::fs::write(&event_path, payload).unwrap();
        let output = runner.path().join(OUTPUT_FILE);
        let summary = runner.path().join(SUMMARY_FILE);
        std::fs::write(&output, "").unwrap();
        std::fs::write(&summary, "").unwrap();
        let text = |p: &Path| p.display().to_string();
        for (name, value) in [
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("HOME", "/github/home"),
            ("GITHUB_JOB", "gate"),
            ("GITHUB_REF", git_ref),
            ("GITHUB_SHA", SHA),
            ("GITHUB_REPOSITORY", REPOSITORY),
            ("GITHUB_REPOSITORY_OWNER", "octo-org"),
            ("GITHUB_RUN_ID", "1658821493"),
            ("GITHUB_RUN_NUMBER", "7"),
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_ACTOR", "octo-dev"),
            ("GITHUB_TRIGGERING_ACTOR", "octo-dev"),
            ("GITHUB_WORKFLOW", "Image scan gate"),
            ("GITHUB_EVENT_NAME", event_name),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_API_URL", api_url),
            ("GITHUB_ACTION", "gate"),
            ("GITHUB_ACTION_REPOSITORY", "octo-org/ecr-scan-gate"),
            ("GITHUB_ACTION_REF", "v1"),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("RUNNER_NAME", "GitHub Actions 2"),
            ("RUNNER_ENVIRONMENT", "github-hosted"),
        ] {
            gate = gate.env(name, value);
        }
        if let Event::PullRequest(_) = event {
            gate = gate
                .env("GITHUB_HEAD_REF", "bump-base")
                .env("GITHUB_BASE_REF", "main");
        }
        let workspace = text(gate.dir.path());
        gate = gate
            .env("GITHUB_GRAPHQL_URL", &format!("{api_url}/graphql"))
            .env("GITHUB_WORKSPACE", &workspace)
            .env("GITHUB_EVENT_PATH", &text(&event_path))
            .env("GITHUB_OUTPUT", &text(&output))
            .env("GITHUB_STEP_SUMMARY", &text(&summary))
            .env("RUNNER_TEMP", &text(runner.path()));
        for (name, value) in runner_inputs(&action, with) {
            gate = gate.env(&inputs::env_name(&name), &value);
        }
        gate.runner = Some(runner);
        gate
    }

    /// No arguments at all: `uses: docker://…` runs the image's entrypoint so.
    pub fn without_arguments(mut self) -> Gate {
        self.args.clear();
        self
    }

    /// The runner's own directory (of [`Gate::action`]).
    pub fn runner_dir(&self) -> &Path {
        self.runner.as_ref().expect("an action run").path()
    }
}

impl Run {
    fn runner_file(&self, name: &str) -> String {
        let runner = self.runner.as_ref().expect("an action run");
        std::fs::read_to_string(runner.path().join(name)).unwrap()
    }

    /// The outputs, read the way the runner reads `$GITHUB_OUTPUT` (`name=value` and
    /// `name<<DELIMITER` … `DELIMITER`).
    pub fn outputs(&self) -> BTreeMap<String, String> {
        let text = self.runner_file(OUTPUT_FILE);
        let mut outputs = BTreeMap::new();
        let mut lines = text.split('\n');
        while let Some(line) = lines.next() {
            if line.is_empty() {
                continue;
            }
            let equals = line.find('=');
            let heredoc = line.find("<<");
            match (equals, heredoc) {
                (Some(e), h) if h.is_none_or(|h| e < h) => {
                    let (name, value) = line.split_at(e);
                    outputs.insert(name.to_string(), value[1..].to_string());
                }
                (_, Some(h)) => {
                    let (name, delimiter) = (&line[..h], &line[h + 2..]);
                    let mut value = Vec::new();
                    loop {
                        let next = lines.next().expect("delimiter closes the value");
                        if next == delimiter {
                            break;
                        }
                        value.push(next);
                    }
                    outputs.insert(name.to_string(), value.join("\n"));
                }
                _ => panic!("not an output line: {line:?}"),
            }
        }
        outputs
    }

    /// The step summary (`$GITHUB_STEP_SUMMARY`).
    pub fn summary(&self) -> String {
        self.runner_file(SUMMARY_FILE)
    }

    /// Workflow commands of `kind` the runner would read from the step's output.
    pub fn commands(&self, kind: &str) -> Vec<String> {
        let prefix = format!("::{kind} ");
        let bare = format!("::{kind}::");
        self.stderr
            .lines()
            .chain(self.stdout.lines())
            .map(|l| l.trim_start().to_string())
            .filter(|l| l.starts_with(&prefix) || l.starts_with(&bare))
            .collect()
    }
}
