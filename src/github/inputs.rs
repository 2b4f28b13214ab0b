//! The Action's inputs: the one place that maps `action.yml`'s inputs onto the command line and onto the
//! publishing settings.
//!
//! The runner hands a Docker action its inputs as environment variables `INPUT_<NAME>`: the name
//! upper-cased, spaces turned into `_`, dashes kept (`fail-on` → `INPUT_FAIL-ON`); an input that has no
//! default and was not given arrives as `""`, which means "not set" here. [`INPUTS`] lists every input
//! and how it maps; [`command_line`] turns them into the argument vector that clap parses (so the Action
//! and the CLI share one configuration path), and [`publish_settings`] reads the few that only concern
//! GitHub (comment, token, SARIF upload).
//!
//! No input text can become an option: every value is passed attached to its flag (`--ignore=ITEM`),
//! and the image after `--`. Report paths must lie in the workspace ([`Workspace`]).
//!
//! This module does not read the environment: the caller passes the variables in.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;

use clap::ValueEnum;

use super::workspace::{Workspace, WorkspaceError};
use crate::policy::{parse_threshold, threshold_names};
use crate::scan::plan::ScanMode;

/// The hidden first argument that runs the binary as the GitHub Action (`runs.args` in `action.yml`).
pub const ACTION_COMMAND: &str = "github-action";

/// The SARIF file written when `upload-sarif` is on and the `sarif` input is empty. It is also the
/// `sarif` input's default in `action.yml`: the Action writes SARIF unless told not to.
pub const DEFAULT_SARIF_FILE: &str = "ecr-scan-gate.sarif";

/// The `sarif` input's value that turns the SARIF report off (any case).
pub const SARIF_OFF: &str = "none";

/// Which command an input applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `scan` and `evaluate`.
    Both,
    /// Only `scan` (live scanning); ignored, with a warning when set, for `findings`.
    Scan,
}

/// How one input reaches the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// The image to scan: `scan IMAGE`.
    Image,
    /// Saved `describe-image-scan-findings` files, one per line: `evaluate --findings FILE…`.
    Findings,
    /// `--flag VALUE`.
    Value { flag: &'static str, scope: Scope },
    /// A list (one per line or comma-separated): `--flag A --flag B`.
    List { flag: &'static str, scope: Scope },
    /// A list passed as one comma-separated value: `--flag A,B`.
    Joined { flag: &'static str, scope: Scope },
    /// A boolean (`true`/`false`) that adds `--flag` when true.
    Switch { flag: &'static str, scope: Scope },
    /// A report file, which must lie in the workspace: `--flag=ABSOLUTE-PATH`.
    Report { flag: &'static str },
    /// Read by the GitHub publishing step ([`publish_settings`]), not by the CLI.
    Publish,
}

/// One input of `action.yml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputSpec {
    /// The input's name in `action.yml`.
    pub name: &'static str,
    pub mapping: Mapping,
}

const fn spec(name: &'static str, mapping: Mapping) -> InputSpec {
    InputSpec { name, mapping }
}

/// Every input of `action.yml`, in its order. A test checks that the two agree and that each input
/// changes what the run does.
pub const INPUTS: &[InputSpec] = &[
    spec("image", Mapping::Image),
    spec("findings", Mapping::Findings),
    spec(
        "from-event",
        Mapping::Value {
            flag: "--from-event",
            scope: Scope::Scan,
        },
    ),
    spec(
        "push",
        Mapping::Value {
            flag: "--push",
            scope: Scope::Scan,
        },
    ),
    spec(
        "platform",
        Mapping::Joined {
            flag: "--platform",
            scope: Scope::Scan,
        },
    ),
    spec(
        "scan-mode",
        Mapping::Value {
            flag: "--scan-mode",
            scope: Scope::Scan,
        },
    ),
    spec(
        "timeout",
        Mapping::Value {
            flag: "--timeout",
            scope: Scope::Scan,
        },
    ),
    spec(
        "region",
        Mapping::Value {
            flag: "--region",
            scope: Scope::Scan,
        },
    ),
    spec(
        "registry-id",
        Mapping::Value {
            flag: "--registry-id",
            scope: Scope::Scan,
        },
    ),
    spec(
        "policy",
        Mapping::Value {
            flag: "--policy",
            scope: Scope::Both,
        },
    ),
    spec(
        "fail-on",
        Mapping::Value {
            flag: "--fail-on",
            scope: Scope::Both,
        },
    ),
    spec(
        "only-fixed",
        Mapping::Switch {
            flag: "--only-fixed",
            scope: Scope::Both,
        },
    ),
    spec(
        "only-exploitable",
        Mapping::Switch {
            flag: "--only-exploitable",
            scope: Scope::Both,
        },
    ),
    spec(
        "min-score",
        Mapping::Value {
            flag: "--min-score",
            scope: Scope::Both,
        },
    ),
    spec(
        "ignore",
        Mapping::List {
            flag: "--ignore",
            scope: Scope::Both,
        },
    ),
    spec(
        "vex",
        Mapping::List {
            flag: "--vex",
            scope: Scope::Both,
        },
    ),
    spec(
        "baseline",
        Mapping::List {
            flag: "--baseline",
            scope: Scope::Both,
        },
    ),
    spec(
        "baseline-missing",
        Mapping::Value {
            flag: "--baseline-missing",
            scope: Scope::Both,
        },
    ),
    spec(
        "scope",
        Mapping::Value {
            flag: "--scope",
            scope: Scope::Both,
        },
    ),
    spec(
        "report-only",
        Mapping::Switch {
            flag: "--report-only",
            scope: Scope::Both,
        },
    ),
    spec("sarif", Mapping::Report { flag: "--sarif" }),
    spec("json", Mapping::Report { flag: "--json" }),
    spec("markdown", Mapping::Report { flag: "--markdown" }),
    spec("comment", Mapping::Publish),
    spec("github-token", Mapping::Publish),
    spec("upload-sarif", Mapping::Publish),
];

/// The `INPUT_*` variables of a run, by input name as the runner spelled it (`FAIL-ON`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    values: BTreeMap<String, String>,
}

impl Inputs {
    /// Collects the `INPUT_*` variables from an environment, spelled exactly as the runner spells them
    /// (upper case). Other variables are ignored, `INPUT_report-only` too: the runner never sets it,
    /// so it can only come from a job's `env:` or `GITHUB_ENV`, and must not stand in for the input
    /// the runner did set. A value that is not UTF-8 is kept lossily (it then fails wherever it is
    /// used, with the input named).
    pub fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Inputs {
        let values = vars
            .into_iter()
            .filter_map(|(key, value)| {
                let key = key.to_str()?;
                let name = key.strip_prefix("INPUT_")?;
                (name == name.to_uppercase())
                    .then(|| (name.to_string(), value.to_string_lossy().into_owned()))
            })
            .collect();
        Inputs { values }
    }

    /// Inputs given as `(name, value)` pairs with `action.yml`'s spelling (`fail-on`).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Inputs {
        Inputs::from_vars(
            pairs
                .into_iter()
                .map(|(name, value)| (env_name(name).into(), value.into())),
        )
    }

    /// Whether any input is present at all (the runner sets every declared input).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The trimmed value of an input; `None` when missing or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        let key = env_name(name);
        let value = self
            .values
            .get(key.strip_prefix("INPUT_").unwrap_or(&key))?;
        let value = value.trim();
        (!value.is_empty()).then_some(value)
    }
}

/// The environment variable the runner sets for an input: `INPUT_` + the name upper-cased, spaces
/// turned into `_`, dashes kept.
pub fn env_name(input: &str) -> String {
    format!("INPUT_{}", input.replace(' ', "_").to_uppercase())
}

/// An input that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error(
        "input `push`: `{value}` is not a path: `push` takes the image to push to `image`, an OCI \
         layout directory or a tar of one in the workspace (buildx `--output type=oci,dest=image.tar`, \
         `docker save -o image.tar`); leave it empty to scan an image already in ECR"
    )]
    PushIsBoolean { value: String },
    #[error("input `{input}`: `{value}` is one value but has a line break")]
    LineBreak { input: &'static str, value: String },
    #[error("input `{input}`")]
    Report {
        input: &'static str,
        #[source]
        source: WorkspaceError,
    },
    #[error(
        "set the `image` input (an ECR image to scan), the `from-event` input (a scan event naming \
         one) or the `findings` input (saved scan results)"
    )]
    NothingToGate,
    #[error("set only one of the `image` and `findings` inputs")]
    ImageAndFindings,
    #[error(
        "set only one of the `from-event` and `findings` inputs: `from-event` gates the image a scan \
         event names, `findings` saved scan results"
    )]
    EventAndFindings,
    #[error(
        "input `upload-sarif` is true but input `sarif` is `none`: the upload sends the SARIF report; \
         give `sarif` a path in the workspace (or leave its default) or set `upload-sarif` to false"
    )]
    UploadWithoutSarif,
    #[error("input `{input}`: `{value}` is not {expected}")]
    Invalid {
        input: &'static str,
        value: String,
        expected: String,
    },
}

/// What running as the Action means on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRun {
    /// The argument vector for clap, starting with the program name.
    pub args: Vec<String>,
    /// Inputs that were set but do not apply (scan-only inputs with `findings`).
    pub ignored: Vec<&'static str>,
}

impl fmt::Display for ActionRun {
    /// The command line as a person would type it (for the log).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for arg in &self.args {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            let plain = !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:@=,+".contains(c));
            if plain {
                f.write_str(arg)?;
            } else {
                write!(f, "'{}'", arg.replace('\'', r"'\''"))?;
            }
        }
        Ok(())
    }
}

/// Builds the command line the inputs stand for. Empty inputs are not set: an option the user did not
/// give never overrides the policy file. Every value is attached to its flag (`--flag=VALUE`) and the
/// image comes after `--`, so no input text is ever read as an option; report paths are resolved in
/// `workspace` and refused outside it.
pub fn command_line(inputs: &Inputs, workspace: &Workspace) -> Result<ActionRun, InputError> {
    let image = inputs.get("image");
    let findings: Vec<&str> = inputs.get("findings").map(items).unwrap_or_default();
    let from_event = inputs.get("from-event").is_some();
    let scanning = match (image, findings.is_empty()) {
        (Some(_), false) => return Err(InputError::ImageAndFindings),
        (None, false) if from_event => return Err(InputError::EventAndFindings),
        (None, true) if !from_event => return Err(InputError::NothingToGate),
        (_, true) => true,
        (None, false) => false,
    };
    let subcommand = if scanning { "scan" } else { "evaluate" };
    let mut args = vec!["ecr-scan-gate".to_string(), subcommand.to_string()];
    let mut ignored = Vec::new();
    let option = |flag: &str, value: &str| format!("{flag}={value}");
    let report = |input: &'static str, flag: &str, value: &str| {
        if value.contains(['\n', '\r']) {
            return Err(InputError::LineBreak {
                input,
                value: value.to_string(),
            });
        }
        workspace
            .report_path(value)
            .map(|path| option(flag, &path.to_string_lossy()))
            .map_err(|source| InputError::Report { input, source })
    };
    for input in INPUTS {
        let Some(value) = inputs.get(input.name) else {
            continue;
        };
        let (flag, scope) = match input.mapping {
            Mapping::Image | Mapping::Findings | Mapping::Publish => continue,
            Mapping::Report { flag } => (flag, Scope::Both),
            Mapping::Value { flag, scope }
            | Mapping::List { flag, scope }
            | Mapping::Joined { flag, scope }
            | Mapping::Switch { flag, scope } => (flag, scope),
        };
        if scope == Scope::Scan && !scanning {
            if !is_default(input.name, value) {
                ignored.push(input.name);
            }
            continue;
        }
        match input.mapping {
            Mapping::Value { .. } => {
                check_value(input.name, value)?;
                args.push(option(flag, value));
            }
            Mapping::Report { .. } if input.name == "sarif" && sarif_off(value) => {}
            Mapping::Report { .. } => args.push(report(input.name, flag, value)?),
            Mapping::List { .. } => {
                for item in items(value) {
                    args.push(option(flag, item));
                }
            }
            Mapping::Joined { .. } => {
                let joined = items(value).join(",");
                if !joined.is_empty() {
                    args.push(option(flag, &joined));
                }
            }
            Mapping::Switch { .. } => {
                if boolean(input.name, value)? {
                    args.push(flag.to_string());
                }
            }
            Mapping::Image | Mapping::Findings | Mapping::Publish => {}
        }
    }
    if publish_settings(inputs)?.upload_sarif {
        match inputs.get("sarif") {
            None => args.push(report("upload-sarif", "--sarif", DEFAULT_SARIF_FILE)?),
            Some(value) if sarif_off(value) => return Err(InputError::UploadWithoutSarif),
            Some(_) => {}
        }
    }
    match image {
        Some(image) => args.extend(["--".to_string(), image.to_string()]),
        None => args.extend(findings.iter().map(|file| option("--findings", file))),
    }
    Ok(ActionRun { args, ignored })
}

/// When to comment on a pull request (the `comment` input).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum CommentMode {
    /// On runs for a pull request (`pull_request`, `pull_request_target`): update the gate's comment,
    /// or create it.
    #[default]
    Auto,
    /// As `Auto`, and on other runs (a push, a manual run) on the open pull requests whose head is the
    /// run's commit.
    Always,
    /// Never comment.
    Never,
}

/// A GitHub token. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token(value.into())
    }

    /// The secret itself, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// What the publishing step does besides the summary, outputs and annotations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishSettings {
    pub comment: CommentMode,
    /// `github-token`; without one there is no comment and no upload.
    pub token: Option<Token>,
    /// `upload-sarif`: upload the SARIF through the code scanning API.
    pub upload_sarif: bool,
}

/// Reads the inputs that only concern publishing to GitHub. Missing inputs (the binary run in a plain
/// `run:` step) mean: comment `auto` but no token, so no comment and no upload.
pub fn publish_settings(inputs: &Inputs) -> Result<PublishSettings, InputError> {
    let comment = match inputs.get("comment") {
        None => CommentMode::Auto,
        Some(value) => CommentMode::from_str(value, true).map_err(|_| InputError::Invalid {
            input: "comment",
            value: value.to_string(),
            expected: one_of::<CommentMode>(),
        })?,
    };
    let upload_sarif = match inputs.get("upload-sarif") {
        Some(value) => boolean("upload-sarif", value)?,
        None => false,
    };
    Ok(PublishSettings {
        comment,
        token: inputs.get("github-token").map(Token::new),
        upload_sarif,
    })
}

/// Whether the `sarif` input turns the report off.
fn sarif_off(value: &str) -> bool {
    value.eq_ignore_ascii_case(SARIF_OFF)
}

/// The items of a list input: one per line or comma-separated, blanks dropped.
fn items(value: &str) -> Vec<&str> {
    value
        .split(['\n', ','])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

/// A boolean input, as `@actions/core`'s `getBooleanInput` reads it (YAML 1.2 core schema).
fn boolean(input: &'static str, value: &str) -> Result<bool, InputError> {
    match value {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        _ => Err(InputError::Invalid {
            input,
            value: value.to_string(),
            expected: "a boolean (true or false)".into(),
        }),
    }
}

/// `one of a, b, c`: the values of a closed set, named as clap names them.
fn one_of<T: ValueEnum>() -> String {
    let names: Vec<String> = T::value_variants()
        .iter()
        .filter_map(|variant| variant.to_possible_value())
        .map(|value| value.get_name().to_string())
        .collect();
    format!("one of {}", names.join(", "))
}

/// A value `@actions/core`'s `getBooleanInput` would read as a boolean.
fn is_boolean(value: &str) -> bool {
    ["true", "false"]
        .iter()
        .any(|b| value.eq_ignore_ascii_case(b))
}

/// Checks the inputs whose values are a closed set, so the message names the input rather than the
/// flag. Other values (durations, scores, paths) are checked by the CLI's own parsers.
fn check_value(input: &'static str, value: &str) -> Result<(), InputError> {
    let invalid = |expected: String| InputError::Invalid {
        input,
        value: value.to_string(),
        expected,
    };
    if value.contains(['\n', '\r']) {
        return Err(InputError::LineBreak {
            input,
            value: value.to_string(),
        });
    }
    match input {
        "fail-on" => parse_threshold(value)
            .map(|_| ())
            .map_err(|_| invalid(format!("one of {}", threshold_names()))),
        // As clap reads `--scan-mode`: case-sensitive.
        "scan-mode" => ScanMode::from_str(value, false)
            .map(|_| ())
            .map_err(|_| invalid(one_of::<ScanMode>())),
        "scope" => crate::policy::Scope::from_str(value, false)
            .map(|_| ())
            .map_err(|_| invalid(one_of::<crate::policy::Scope>())),
        "baseline-missing" => crate::cli::BaselineMissing::from_str(value, false)
            .map(|_| ())
            .map_err(|_| invalid(one_of::<crate::cli::BaselineMissing>())),
        // NOTE: `docker/build-push-action` has a boolean `push` input; ours is the image to push.
        // https://github.com/docker/build-push-action#inputs
        "push" if is_boolean(value) => Err(InputError::PushIsBoolean {
            value: value.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Whether a scan-only input still has its `action.yml` default (so leaving it with `findings` is no
/// mistake of the user's).
fn is_default(input: &str, value: &str) -> bool {
    matches!((input, value), ("scan-mode", "auto") | ("timeout", "15m"))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A workspace that is also the working directory.
    struct Job {
        workspace: tempfile::TempDir,
    }

    impl Job {
        fn new() -> Job {
            Job {
                workspace: tempfile::tempdir().unwrap(),
            }
        }

        fn run(&self, pairs: &[(&str, &str)]) -> Result<ActionRun, InputError> {
            let workspace = Workspace::new(self.workspace.path(), self.workspace.path());
            command_line(&Inputs::from_pairs(pairs.iter().copied()), &workspace)
        }

        /// `name` in the workspace, as the command line names it.
        fn path(&self, name: &str) -> String {
            let root: PathBuf = std::fs::canonicalize(self.workspace.path()).unwrap();
            root.join(name).display().to_string()
        }
    }

    fn run(pairs: &[(&str, &str)]) -> Result<ActionRun, InputError> {
        Job::new().run(pairs)
    }

    #[test]
    fn runner_spelling_keeps_dashes_and_upper_cases() {
        assert_eq!(env_name("fail-on"), "INPUT_FAIL-ON");
        assert_eq!(env_name("github-token"), "INPUT_GITHUB-TOKEN");
        assert_eq!(env_name("a b"), "INPUT_A_B");
    }

    #[test]
    fn only_the_runner_s_spelling_of_an_input_counts() {
        let vars = [
            ("INPUT_REPORT-ONLY", "false"),
            ("INPUT_report-only", "true"),
            ("INPUT_Fail-On", "none"),
            ("INPUT_FINDINGS", "a.json"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let inputs = Inputs::from_vars(vars);
        assert_eq!(inputs.get("report-only"), Some("false"));
        assert_eq!(inputs.get("fail-on"), None);
        assert_eq!(inputs.get("findings"), Some("a.json"));
    }

    #[test]
    fn empty_inputs_are_not_set() {
        let run = run(&[("image", "app:1"), ("fail-on", ""), ("policy", "  ")]).unwrap();
        assert_eq!(run.args, ["ecr-scan-gate", "scan", "--", "app:1"]);
    }

    #[test]
    fn image_or_findings_is_required_but_not_both() {
        assert_eq!(run(&[("image", "")]), Err(InputError::NothingToGate));
        assert_eq!(
            run(&[("image", "app"), ("findings", "a.json")]),
            Err(InputError::ImageAndFindings)
        );
    }

    #[test]
    fn findings_become_evaluate_and_scan_only_inputs_are_left_out() {
        let run = run(&[
            ("findings", "a.json\nb.json\n"),
            ("scan-mode", "auto"),
            ("timeout", "15m"),
            ("platform", "linux/arm64"),
            ("fail-on", "critical"),
            ("ignore", "CVE-1, CVE-2\nCVE-3"),
            ("only-fixed", "true"),
            ("report-only", "false"),
        ])
        .unwrap();
        assert_eq!(
            run.args,
            [
                "ecr-scan-gate",
                "evaluate",
                "--fail-on=critical",
                "--only-fixed",
                "--ignore=CVE-1",
                "--ignore=CVE-2",
                "--ignore=CVE-3",
                "--findings=a.json",
                "--findings=b.json"
            ]
        );
        assert_eq!(run.ignored, ["platform"]);
    }

    #[test]
    fn every_value_is_attached_to_its_flag_and_the_image_follows_a_double_dash() {
        let job = Job::new();
        let run = job
            .run(&[
                ("image", "app:1"),
                ("push", "image.tar"),
                ("platform", "linux/arm64\nlinux/amd64"),
                ("scan-mode", "wait"),
                ("timeout", "90s"),
                ("region", "eu-west-1"),
                ("registry-id", "123456789012"),
                ("policy", "gate.toml"),
                ("min-score", "7.5"),
                ("report-only", "true"),
                ("json", "reports/gate.json"),
            ])
            .unwrap();
        assert_eq!(
            run.args,
            [
                "ecr-scan-gate".to_string(),
                "scan".into(),
                "--push=image.tar".into(),
                "--platform=linux/arm64,linux/amd64".into(),
                "--scan-mode=wait".into(),
                "--timeout=90s".into(),
                "--region=eu-west-1".into(),
                "--registry-id=123456789012".into(),
                "--policy=gate.toml".into(),
                "--min-score=7.5".into(),
                "--report-only".into(),
                format!("--json={}", job.path("reports/gate.json")),
                "--".into(),
                "app:1".into(),
            ]
        );
    }

    #[test]
    fn no_input_text_becomes_an_option_of_its_own() {
        // Whatever an input holds, every argument after the subcommand is `--flag=…`, a switch the
        // inputs asked for, `--`, or the image right after `--`.
        let flags: Vec<&str> = INPUTS
            .iter()
            .filter_map(|input| match input.mapping {
                Mapping::Value { flag, .. }
                | Mapping::List { flag, .. }
                | Mapping::Joined { flag, .. }
                | Mapping::Report { flag } => Some(flag),
                _ => None,
            })
            .chain(["--findings"])
            .collect();
        for hostile in [
            "--report-only",
            "--fail-on=none",
            "-h",
            "--",
            "-",
            "--help\n--report-only",
            "a,--report-only",
            " --version ",
        ] {
            for base in [("image", "app:1"), ("findings", "scan.json")] {
                for input in INPUTS {
                    if matches!(input.mapping, Mapping::Switch { .. } | Mapping::Publish) {
                        continue;
                    }
                    let mut pairs = vec![base, (input.name, hostile)];
                    if input.name == base.0 {
                        pairs.remove(0);
                    }
                    let Ok(run) = Job::new().run(&pairs) else {
                        continue;
                    };
                    let mut args = run.args[2..].iter();
                    while let Some(arg) = args.next() {
                        if arg == "--" {
                            let image = args.next().expect("an image after --");
                            assert_eq!(args.next(), None, "{hostile:?} in {}: {run}", input.name);
                            assert!(base.0 == "image" || input.name == "image", "{image}");
                            continue;
                        }
                        let attached = flags
                            .iter()
                            .any(|flag| arg.starts_with(&format!("{flag}=")));
                        assert!(attached, "{hostile:?} in {}: `{arg}` in {run}", input.name);
                    }
                }
            }
        }
    }

    #[test]
    fn upload_without_a_sarif_path_writes_the_default_file_in_the_workspace() {
        let job = Job::new();
        let run = job
            .run(&[("image", "app"), ("upload-sarif", "true")])
            .unwrap();
        assert_eq!(
            run.args,
            [
                "ecr-scan-gate".to_string(),
                "scan".into(),
                format!("--sarif={}", job.path(DEFAULT_SARIF_FILE)),
                "--".into(),
                "app".into(),
            ]
        );
    }

    #[test]
    fn sarif_none_writes_no_sarif_and_refuses_an_upload() {
        for off in ["none", "None", "NONE", " none "] {
            let evaluate = run(&[("findings", "a.json"), ("sarif", off)]).unwrap();
            assert!(
                !evaluate.args.iter().any(|a| a.starts_with("--sarif")),
                "{off}: {evaluate}"
            );
            assert_eq!(
                run(&[("image", "app"), ("sarif", off), ("upload-sarif", "true")]),
                Err(InputError::UploadWithoutSarif),
                "{off}"
            );
        }
        // Only the whole value turns it off: a file named so is a path.
        let job = Job::new();
        let run = job
            .run(&[("findings", "a.json"), ("sarif", "none.sarif")])
            .unwrap();
        assert!(
            run.args
                .contains(&format!("--sarif={}", job.path("none.sarif"))),
            "{run}"
        );
        let run = job
            .run(&[
                ("image", "app"),
                ("sarif", "gate.sarif"),
                ("upload-sarif", "true"),
            ])
            .unwrap();
        assert!(
            run.args
                .contains(&format!("--sarif={}", job.path("gate.sarif"))),
            "{run}"
        );
    }

    #[test]
    fn report_paths_outside_the_workspace_name_the_input() {
        let error = run(&[("findings", "a.json"), ("markdown", "../summary.md")]).unwrap_err();
        assert!(matches!(
            error,
            InputError::Report {
                input: "markdown",
                source: WorkspaceError::Outside { .. }
            }
        ));
        assert_eq!(error.to_string(), "input `markdown`");
        assert_eq!(
            run(&[("findings", "a.json"), ("sarif", "-")]),
            Err(InputError::Report {
                input: "sarif",
                source: WorkspaceError::Stdout
            })
        );
        assert!(matches!(
            run(&[("findings", "a.json"), ("json", "a.json\nb.json")]),
            Err(InputError::LineBreak { input: "json", .. })
        ));
    }

    #[test]
    fn push_true_or_false_is_refused_saying_what_push_takes() {
        for value in ["true", "false", "True", "FALSE"] {
            let error = run(&[("image", "app"), ("push", value)]).unwrap_err();
            assert_eq!(
                error,
                InputError::PushIsBoolean {
                    value: value.to_string()
                }
            );
            let text = error.to_string();
            assert!(
                text.contains("OCI layout") && text.contains("leave it empty"),
                "{text}"
            );
        }
        let job = Job::new();
        assert!(job.run(&[("image", "app"), ("push", "./true")]).is_ok());
        // With `findings`, a scan-only input is ignored, not checked.
        assert_eq!(
            job.run(&[("findings", "a.json"), ("push", "true")])
                .unwrap()
                .ignored,
            ["push"]
        );
    }

    #[test]
    fn single_values_with_a_line_break_are_refused() {
        let error = run(&[("image", "app"), ("region", "eu-west-1\n--report-only")]).unwrap_err();
        assert!(matches!(
            error,
            InputError::LineBreak {
                input: "region",
                ..
            }
        ));
        assert!(error.to_string().contains("line break"), "{error}");
    }

    #[test]
    fn bad_closed_set_values_name_the_input() {
        let error = run(&[("image", "app"), ("fail-on", "severe")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "input `fail-on`: `severe` is not one of critical, high, medium, low, informational, none"
        );
        assert!(run(&[("image", "app"), ("only-fixed", "yes")]).is_err());
        assert!(run(&[("image", "app"), ("comment", "sometimes")]).is_err());
        assert!(run(&[("image", "app"), ("scan-mode", "later")]).is_err());
    }

    #[test]
    fn closed_set_messages_list_every_value() {
        let message = |pairs: &[(&str, &str)]| run(pairs).unwrap_err().to_string();
        assert_eq!(
            message(&[("image", "app"), ("comment", "sometimes")]),
            "input `comment`: `sometimes` is not one of auto, always, never"
        );
        assert_eq!(
            message(&[("image", "app"), ("scan-mode", "later")]),
            "input `scan-mode`: `later` is not one of auto, start, wait"
        );
        assert_eq!(
            message(&[("image", "app"), ("scan-mode", "Auto")]),
            "input `scan-mode`: `Auto` is not one of auto, start, wait",
            "case-sensitive, as `--scan-mode` is"
        );
        let comment = |value| publish_settings(&Inputs::from_pairs([("comment", value)]));
        assert_eq!(comment("NEVER").unwrap().comment, CommentMode::Never);
        assert_eq!(comment("Always").unwrap().comment, CommentMode::Always);
    }

    #[test]
    fn token_debug_is_redacted() {
        let settings = publish_settings(&Inputs::from_pairs([("github-token", "ghs_secret")]));
        let text = format!("{settings:?}");
        assert!(!text.contains("ghs_secret"), "{text}");
        assert!(text.contains("Token(***)"), "{text}");
        let token = settings.unwrap().token.unwrap();
        assert_eq!(token.expose(), "ghs_secret");
    }

    #[test]
    fn inputs_know_whether_the_runner_set_any() {
        assert!(Inputs::from_vars(Vec::new()).is_empty());
        assert!(!Inputs::from_pairs([("comment", "never")]).is_empty());
    }

    #[test]
    fn command_line_display_quotes_what_a_shell_would_split() {
        let run = run(&[("image", "app:1"), ("ignore", "CVE 1")]).unwrap();
        assert_eq!(
            run.to_string(),
            "ecr-scan-gate scan '--ignore=CVE 1' -- app:1"
        );
    }
}
