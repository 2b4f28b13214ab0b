//! The harness of the end-to-end tests: [`Gate`] sets up one run of the real binary (its command,
//! options, environment and working directory) and [`Run`] is what the run left (exit code, output,
//! reports, run time); fixture paths and schema validation.
//!
//! Every run starts from an empty environment (only `PATH` is kept) in a fresh temporary directory, so
//! nothing from the developer's shell or AWS configuration leaks in: whatever a run needs (a local ECR,
//! a region, the GitHub runner's variables) is added by name. `evaluate` and `scan` judge ignore expiry
//! as of [`TODAY`], so no run depends on the calendar.
//!
//! It must not script servers or decide what a run must show: servers live in their own modules, and
//! the assertions are the tests' own ([`Run::expect`] and [`Run::assert_stderr`] only spell the two
//! checks every test repeats: the exit code, a phrase on stderr).

pub mod github;
pub mod pr_thread;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::ecr_stub::EcrStub;
use crate::moto::Moto;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ecr-scan-gate");
/// The date every `evaluate` and `scan` run judges ignore expiry by.
pub const TODAY: &str = "2026-11-28";

/// Where [`Gate::json`] writes, in the run's directory.
pub const JSON_REPORT: &str = "report.json";
/// Where [`Gate::sarif`] writes, in the run's directory.
pub const SARIF_REPORT: &str = "report.sarif";
/// Where [`Gate::markdown`] writes, in the run's directory.
pub const MARKDOWN_SUMMARY: &str = "summary.md";
/// Where [`Gate::junit`] writes, in the run's directory.
pub const JUNIT_REPORT: &str = "junit.xml";
/// Where [`Gate::gitlab`] writes, in the run's directory.
pub const GITLAB_REPORT: &str = "gl-container-scanning-report.json";

/// A file under `tests/fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// A file under `tests/fixtures/ecr-public/` (real outputs from public sources).
pub fn public(path: &str) -> PathBuf {
    fixture(&format!("ecr-public/{path}"))
}

/// One run of the binary being set up: `Gate::scan(image).stub(&stub).json().run()`.
pub struct Gate {
    args: Vec<String>,
    /// `evaluate`'s `--findings` files, given last (the flag takes every value after it).
    findings: Vec<String>,
    env: Vec<(String, String)>,
    /// The working directory (the workspace, for the action).
    dir: tempfile::TempDir,
    /// The GitHub runner's own directory (event payload, file-command files), for the action.
    runner: Option<tempfile::TempDir>,
    /// What the binary reads on stdin (nothing when `None`).
    stdin: Option<Vec<u8>>,
}

impl Gate {
    fn with_args(args: &[&str]) -> Gate {
        Gate {
            args: args.iter().map(|a| a.to_string()).collect(),
            findings: Vec::new(),
            env: Vec::new(),
            dir: tempfile::tempdir().expect("tempdir"),
            runner: None,
            stdin: None,
        }
    }

    /// Feeds `bytes` to the binary's stdin.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Gate {
        self.stdin = Some(bytes.into());
        self
    }

    /// `ecr-scan-gate evaluate --findings FILES…` on the pinned date.
    pub fn evaluate(files: &[PathBuf]) -> Gate {
        let mut gate = Gate::with_args(&["evaluate", "--today", TODAY]);
        gate.findings = files.iter().map(|f| f.display().to_string()).collect();
        gate
    }

    /// `ecr-scan-gate scan IMAGE` on the pinned date.
    pub fn scan(image: &str) -> Gate {
        Gate::with_args(&["scan", "--today", TODAY, image])
    }

    /// `ecr-scan-gate scan --from-event EVENT` on the pinned date (`-`: stdin, see [`Gate::stdin`]).
    pub fn from_event(event: &str) -> Gate {
        Gate::with_args(&["scan", "--today", TODAY, "--from-event", event])
    }

    /// `ecr-scan-gate doctor IMAGE`.
    pub fn doctor(image: &str) -> Gate {
        Gate::with_args(&["doctor", image])
    }

    /// `ecr-scan-gate ARGS…`, exactly these.
    pub fn command(args: &[&str]) -> Gate {
        Gate::with_args(args)
    }

    // ---- options ----

    /// One more argument, as it is.
    pub fn arg(mut self, arg: &str) -> Gate {
        self.args.push(arg.to_string());
        self
    }

    /// More arguments, as they are.
    pub fn args(mut self, args: &[&str]) -> Gate {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// `--json report.json` (read it with [`Run::json`]).
    pub fn json(self) -> Gate {
        self.args(&["--json", JSON_REPORT])
    }

    /// `--sarif report.sarif` (read it with [`Run::sarif`]).
    pub fn sarif(self) -> Gate {
        self.args(&["--sarif", SARIF_REPORT])
    }

    /// `--markdown summary.md` (read it with [`Run::markdown`]).
    pub fn markdown(self) -> Gate {
        self.args(&["--markdown", MARKDOWN_SUMMARY])
    }

    /// `--junit junit.xml` (read it with [`Run::junit`]).
    pub fn junit(self) -> Gate {
        self.args(&["--junit", JUNIT_REPORT])
    }

    /// `--gitlab gl-container-scanning-report.json` (read it with [`Run::gitlab`]).
    pub fn gitlab(self) -> Gate {
        self.args(&["--gitlab", GITLAB_REPORT])
    }

    /// All three reports: [`Gate::json`], [`Gate::sarif`], [`Gate::markdown`].
    pub fn reports(self) -> Gate {
        self.json().sarif().markdown()
    }

    /// `--policy PATH` (relative paths are in the run's directory).
    pub fn policy(self, path: impl AsRef<Path>) -> Gate {
        let path = path.as_ref().display().to_string();
        self.args(&["--policy", &path])
    }

    /// `--fail-on LEVEL`.
    pub fn fail_on(self, level: &str) -> Gate {
        self.args(&["--fail-on", level])
    }

    /// `--report-only`.
    pub fn report_only(self) -> Gate {
        self.arg("--report-only")
    }

    /// `--timeout DURATION`.
    pub fn timeout(self, timeout: &str) -> Gate {
        self.args(&["--timeout", timeout])
    }

    /// `--platform OS/ARCH`.
    pub fn platform(self, platform: &str) -> Gate {
        self.args(&["--platform", platform])
    }

    /// `--scan-mode MODE`.
    pub fn scan_mode(self, mode: &str) -> Gate {
        self.args(&["--scan-mode", mode])
    }

    /// `--push SOURCE`.
    pub fn push(self, source: impl AsRef<Path>) -> Gate {
        let source = source.as_ref().display().to_string();
        self.args(&["--push", &source])
    }

    /// `--registry-endpoint URL`.
    pub fn registry_endpoint(self, endpoint: &str) -> Gate {
        self.args(&["--registry-endpoint", endpoint])
    }

    /// `--registry-id ID`.
    pub fn registry_id(self, id: &str) -> Gate {
        self.args(&["--registry-id", id])
    }

    // ---- environment ----

    /// Sets (or replaces) one variable of the run's environment.
    pub fn env(mut self, name: &str, value: &str) -> Gate {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Against the scripted ECR stand-in: its endpoint, `us-east-1`, static test credentials.
    pub fn stub(mut self, stub: &EcrStub) -> Gate {
        for (name, value) in stub.env() {
            self = self.env(&name, &value);
        }
        self
    }

    /// Against a moto server: its endpoint and static test credentials, no region (see
    /// [`Gate::region`]).
    pub fn moto(self, moto: &Moto) -> Gate {
        self.env("AWS_ENDPOINT_URL_ECR", &moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
    }

    /// `AWS_REGION`.
    pub fn region(self, region: &str) -> Gate {
        self.env("AWS_REGION", region)
    }

    // ---- the working directory ----

    /// A path in the run's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file into the run's directory.
    pub fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Gate {
        std::fs::write(self.path(name), contents).unwrap_or_else(|e| panic!("write {name}: {e}"));
        self
    }

    /// Copies `from` (a fixture) into the run's directory as `name`.
    pub fn copy(self, from: &Path, name: &str) -> Gate {
        let bytes = std::fs::read(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        self.file(name, bytes)
    }

    // ---- running ----

    /// Runs the binary to its end.
    pub fn run(self) -> Run {
        let Gate {
            mut args,
            findings,
            env,
            dir,
            runner,
            stdin,
        } = self;
        if !findings.is_empty() {
            args.push("--findings".to_string());
            args.extend(findings);
        }
        let began = Instant::now();
        let mut command = Command::new(BIN);
        command
            .args(&args)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env);
        let output = match stdin {
            None => command.output().expect("run the binary"),
            Some(bytes) => {
                use std::io::Write;
                use std::process::Stdio;
                let mut child = command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run the binary");
                let mut pipe = child.stdin.take().expect("piped stdin");
                let writer = std::thread::spawn(move || pipe.write_all(&bytes));
                let output = child.wait_with_output().expect("run the binary");
                let _ = writer.join();
                output
            }
        };
        let elapsed = began.elapsed();
        Run {
            exit: output.status.code().unwrap_or_else(|| {
                panic!(
                    "{args:?} did not exit normally ({})\nstderr:\n{}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                )
            }),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed,
            dir,
            runner,
        }
    }

    /// [`Gate::run`] on tokio's blocking pool, for tests that serve a mock API on their runtime.
    pub async fn run_async(self) -> Run {
        tokio::task::spawn_blocking(move || self.run())
            .await
            .expect("binary ran")
    }
}

/// What a run left: exit code, output, the files in its directory.
pub struct Run {
    /// The exit code.
    pub exit: i32,
    pub stdout: String,
    pub stderr: String,
    /// From starting the binary to its exit.
    pub elapsed: Duration,
    dir: tempfile::TempDir,
    runner: Option<tempfile::TempDir>,
}

impl Run {
    /// Asserts the exit code, showing stderr and stdout when it differs.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(
            self.exit, code,
            "exit code\nstderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn assert_stderr(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    /// A path in the run's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A file of the run's directory.
    #[track_caller]
    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr: {}", self.stderr))
    }

    /// Whether the run's directory has `name`.
    pub fn exists(&self, name: &str) -> bool {
        self.path(name).exists()
    }

    /// The JSON report of [`Gate::json`], checked against its schema.
    #[track_caller]
    pub fn json(&self) -> Value {
        let report: Value = serde_json::from_str(&self.file(JSON_REPORT)).expect("JSON report");
        validate(&report_schema(), &report, "JSON report");
        report
    }

    /// The SARIF log of [`Gate::sarif`], checked against the SARIF 2.1.0 schema.
    #[track_caller]
    pub fn sarif(&self) -> Value {
        let sarif: Value = serde_json::from_str(&self.file(SARIF_REPORT)).expect("SARIF");
        validate(&sarif_schema(), &sarif, "SARIF");
        sarif
    }

    /// The Markdown summary of [`Gate::markdown`].
    #[track_caller]
    pub fn markdown(&self) -> String {
        self.file(MARKDOWN_SUMMARY)
    }

    /// The JUnit report of [`Gate::junit`], checked against `junit-10.xsd`.
    #[track_caller]
    pub fn junit(&self) -> String {
        let xml = self.file(JUNIT_REPORT);
        validate_junit(&self.path(JUNIT_REPORT));
        xml
    }

    /// The GitLab report of [`Gate::gitlab`], checked against GitLab's container-scanning schema.
    #[track_caller]
    pub fn gitlab(&self) -> Value {
        let report: Value = serde_json::from_str(&self.file(GITLAB_REPORT)).expect("GitLab JSON");
        validate(&gitlab_schema(), &report, "GitLab report");
        report
    }
}

/// A JSON schema of the repository.
pub fn schema(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("schema file");
    serde_json::from_str(&text).expect("schema JSON")
}

/// The JSON report's schema.
pub fn report_schema() -> Value {
    schema("schemas/report-v1.schema.json")
}

/// SARIF 2.1.0's schema.
pub fn sarif_schema() -> Value {
    schema("tests/fixtures/schemas/sarif-schema-2.1.0.json")
}

/// GitLab's container-scanning report schema, format 15.2.4.
pub fn gitlab_schema() -> Value {
    schema("tests/fixtures/schemas/gitlab-container-scanning-report-format-15.2.4.json")
}

/// Asserts that the XML file at `path` is valid under `junit-10.xsd`, with Python's `xmlschema`
/// (`scripts/test` installs it; a missing validator fails the test, it never skips it).
#[track_caller]
pub fn validate_junit(path: &Path) {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas");
    let output = Command::new("python3")
        .arg(schemas.join("validate_xsd.py"))
        .arg(schemas.join("junit-10.xsd"))
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{} is not valid under junit-10.xsd:\n{}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Asserts that `instance` is valid under `schema` (formats checked too), naming it `what`.
#[track_caller]
pub fn validate(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(errors.is_empty(), "{what} is not schema-valid: {errors:#?}");
}
