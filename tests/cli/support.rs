//! Shared helpers for the end-to-end tests: running the binary with a scrubbed environment, fixture
//! paths, schema validation.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_ecr-scan-gate");
pub const TODAY: &str = "2026-11-28";

pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

pub fn public(path: &str) -> PathBuf {
    fixture(&format!("ecr-public/{path}"))
}

/// A run of the binary in a fresh directory with a scrubbed environment.
pub struct Run {
    pub output: Output,
    pub dir: tempfile::TempDir,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().expect("exited normally")
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr: {}", self.stderr()))
    }
    pub fn json(&self) -> Value {
        let report: Value = serde_json::from_str(&self.file("report.json")).expect("JSON report");
        validate(&report_schema(), &report, "JSON report");
        report
    }
    pub fn sarif(&self) -> Value {
        let sarif: Value = serde_json::from_str(&self.file("report.sarif")).expect("SARIF");
        validate(&sarif_schema(), &sarif, "SARIF");
        sarif
    }
    pub fn exists(&self, name: &str) -> bool {
        self.dir.path().join(name).exists()
    }
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "exit code\nstderr:\n{}\nstdout:\n{}",
            self.stderr(),
            self.stdout()
        );
        self
    }
}

pub fn run_in(dir: tempfile::TempDir, args: &[&str]) -> Run {
    run_with_env(dir, args, &[])
}

/// Runs the binary with a scrubbed environment plus `env` (e.g. AWS settings for a local endpoint).
pub fn run_with_env(dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("run the binary");
    Run { output, dir }
}

/// `evaluate` with all three reports written into the run's directory.
pub fn evaluate(files: &[PathBuf], extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args: Vec<String> = vec!["evaluate".into(), "--today".into(), TODAY.into()];
    args.extend(
        [
            "--json",
            "report.json",
            "--sarif",
            "report.sarif",
            "--markdown",
            "summary.md",
        ]
        .map(String::from),
    );
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push("--findings".into());
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_in(dir, &args)
}

pub fn schema(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("schema file");
    serde_json::from_str(&text).expect("schema JSON")
}

pub fn report_schema() -> Value {
    schema("schemas/report-v1.schema.json")
}

pub fn sarif_schema() -> Value {
    schema("tests/fixtures/schemas/sarif-schema-2.1.0.json")
}

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
