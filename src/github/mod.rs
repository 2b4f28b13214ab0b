//! Edge: GitHub Actions. Converts what the gate read and decided into GitHub's shapes — the job summary
//! (`$GITHUB_STEP_SUMMARY`), step outputs (`$GITHUB_OUTPUT`), annotations, the sticky pull-request
//! comment and the SARIF upload to code scanning — and maps the Action's inputs onto the command line
//! ([`inputs`]).
//!
//! It decides nothing: the verdict and the exit code are fixed before [`publish`] runs, and a failure
//! here (a fork's read-only token, a missing permission, an API error, an unwritable file) is a warning
//! that changes neither. It does not read the environment either: [`crate::app`] reads the `GITHUB_*` and
//! `INPUT_*` variables and hands them over as an [`Environment`]; this module then follows the runner's
//! file protocol at the paths it was given (reads the event payload, appends to the summary and output
//! files) and talks to the API.

pub mod annotations;
pub mod api;
pub mod event;
pub mod inputs;
pub mod outputs;
pub mod workspace;

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use annotations::{Annotation, Annotator};
use api::{Api, ApiError, MarkedComment, SarifStatus};
use event::PullRequest;
use inputs::{CommentMode, Inputs, PublishSettings};
use outputs::Produced;

use crate::report::markdown::{self, Variant};
use crate::report::{self, Context};

/// The API used when `GITHUB_API_URL` is not set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// How long the comment (find, then update or create) may take in all.
const COMMENT_BUDGET: Duration = Duration::from_secs(90);
/// How long the SARIF upload may take, before polling.
const UPLOAD_BUDGET: Duration = Duration::from_secs(90);
/// How long to wait for GitHub to process an uploaded SARIF.
const PROCESSING_BUDGET: Duration = Duration::from_secs(120);

/// What the runner told the process, read by [`crate::app`] from the environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    /// `GITHUB_STEP_SUMMARY`.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`.
    pub output: Option<PathBuf>,
    /// `GITHUB_EVENT_NAME` (`pull_request`, `push`, …).
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`: the event payload.
    pub event_path: Option<PathBuf>,
    /// `GITHUB_API_URL`, or [`DEFAULT_API_URL`].
    pub api_url: String,
    /// `GITHUB_GRAPHQL_URL` (by default, the one that goes with `api_url`).
    pub graphql_url: Option<String>,
    /// `GITHUB_WORKSPACE`: report paths in the outputs are relative to it.
    pub workspace: Option<PathBuf>,
    /// `GITHUB_REPOSITORY`: `OWNER/NAME`.
    pub repository: Option<String>,
    /// `GITHUB_SHA`: the commit the run is for (the merge commit on pull requests).
    pub sha: Option<String>,
    /// `GITHUB_REF`: `refs/heads/…`, `refs/pull/N/merge`, ….
    pub git_ref: Option<String>,
    /// The publishing inputs (`comment`, `github-token`, `upload-sarif`).
    pub settings: PublishSettings,
    /// Why the publishing inputs could not be read, if they could not (defaults are used then).
    pub settings_problem: Option<String>,
}

impl Environment {
    /// The GitHub Actions environment from the process's variables; `None` outside GitHub Actions
    /// (`GITHUB_ACTIONS` is not `true`).
    pub fn from_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Option<Environment> {
        let vars: Vec<(OsString, OsString)> = vars.into_iter().collect();
        let get = |name: &str| {
            vars.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .filter(|value| !value.is_empty())
        };
        let text = |name: &str| get(name).map(|v| v.to_string_lossy().into_owned());
        if text("GITHUB_ACTIONS").as_deref() != Some("true") {
            return None;
        }
        let (settings, settings_problem) =
            match inputs::publish_settings(&Inputs::from_vars(vars.iter().cloned())) {
                Ok(settings) => (settings, None),
                Err(error) => (PublishSettings::default(), Some(error.to_string())),
            };
        Some(Environment {
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: get("GITHUB_OUTPUT").map(PathBuf::from),
            event_name: text("GITHUB_EVENT_NAME"),
            event_path: get("GITHUB_EVENT_PATH").map(PathBuf::from),
            api_url: text("GITHUB_API_URL").unwrap_or_else(|| DEFAULT_API_URL.to_string()),
            graphql_url: text("GITHUB_GRAPHQL_URL"),
            workspace: get("GITHUB_WORKSPACE").map(PathBuf::from),
            repository: text("GITHUB_REPOSITORY"),
            sha: text("GITHUB_SHA"),
            git_ref: text("GITHUB_REF"),
            settings,
            settings_problem,
        })
    }
}

/// The report files the run wrote (paths as given). A report that could not be written is not here:
/// the run's result records it ([`crate::run::RunResult::unwritten`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reports {
    pub sarif: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
}

/// Publishes a finished run to GitHub: annotations, job summary, pull-request comment, SARIF upload,
/// outputs. `log` is where workflow commands and notes go (stderr: the runner reads commands there
/// too, and stdout stays for a report written to `-`). Never fails: every problem becomes a warning.
pub fn publish(env: &Environment, ctx: &Context<'_>, reports: &Reports, log: &mut dyn Write) {
    let mut annotator = Annotator::new(log);
    for annotation in annotations::for_run(ctx) {
        annotator.emit(&annotation);
    }
    if let Some(problem) = &env.settings_problem {
        annotator.warning("ecr-scan-gate: inputs", problem);
    }

    if let Some(path) = &env.step_summary {
        let summary = markdown::render(ctx, Variant::Summary);
        if let Err(error) = append(path, &summary) {
            annotator.warning(
                "ecr-scan-gate: job summary not written",
                &format!("couldn't append to {}: {error}", path.display()),
            );
        }
    }

    let sarif_id = network(env, ctx, &mut annotator);

    if let Some(path) = &env.output {
        // Workspace-relative, so that a later step finds the file whatever its working directory, and
        // whether the gate ran in a container (`/github/workspace`) or not.
        let output_path = |written: &Option<PathBuf>| {
            let written = written.as_deref()?;
            let relative = env
                .workspace
                .as_ref()
                .and_then(|root| workspace::relative_to(root, written));
            Some(relative.as_deref().unwrap_or(written).display().to_string())
        };
        let (sarif, json, markdown) = (
            output_path(&reports.sarif),
            output_path(&reports.json),
            output_path(&reports.markdown),
        );
        let produced = Produced {
            sarif: sarif.as_deref(),
            json: json.as_deref(),
            markdown: markdown.as_deref(),
            sarif_id: sarif_id.as_deref(),
        };
        let text = outputs::format(&outputs::values(ctx, &produced));
        if let Err(error) = append(path, &text) {
            annotator.warning(
                "ecr-scan-gate: outputs not set",
                &format!("couldn't append to {}: {error}", path.display()),
            );
        }
    }
}

/// Sets the outputs and annotates an error for a run whose inputs could not be used (nothing was read).
pub fn publish_input_error(env: &Environment, message: &str, log: &mut dyn Write) {
    let mut annotator = Annotator::new(log);
    annotator.emit(&Annotation {
        level: annotations::Level::Error,
        title: "ecr-scan-gate: invalid input".to_string(),
        message: message.to_string(),
    });
    if let Some(path) = &env.step_summary {
        let text = format!(
            "## ❌ ecr-scan-gate: error\n\nNo verdict: the action's inputs could not be used.\n\n{}\n",
            report::escape::markdown_inline(message)
        );
        if let Err(error) = append(path, &text) {
            annotator.warning(
                "ecr-scan-gate: job summary not written",
                &format!("couldn't append to {}: {error}", path.display()),
            );
        }
    }
    if let Some(path) = &env.output
        && let Err(error) = append(path, &outputs::format(&outputs::for_input_error()))
    {
        annotator.warning(
            "ecr-scan-gate: outputs not set",
            &format!("couldn't append to {}: {error}", path.display()),
        );
    }
}

fn append(path: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new().append(true).create(true).open(path)?;
    file.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        file.write_all(b"\n")?;
    }
    file.flush()
}

/// The API part: the comment and the SARIF upload. Returns the SARIF upload's id.
fn network(env: &Environment, ctx: &Context<'_>, annotator: &mut Annotator<'_>) -> Option<String> {
    let settings = &env.settings;
    let pull_request = pull_request(env);
    let wants_comment = match settings.comment {
        CommentMode::Never => false,
        CommentMode::Auto => pull_request.is_some(),
        CommentMode::Always => true,
    };
    let sarif = if settings.upload_sarif {
        sarif_bytes(ctx, annotator)
    } else {
        None
    };
    if !wants_comment && sarif.is_none() {
        return None;
    }
    let Some(token) = &settings.token else {
        if settings.upload_sarif || wants_comment {
            annotator.warning(
                "ecr-scan-gate: no GitHub token",
                "no comment and no SARIF upload: the `github-token` input is empty",
            );
        }
        return None;
    };
    let Some(repository) = env.repository.as_deref() else {
        annotator.warning(
            "ecr-scan-gate: no repository",
            "no comment and no SARIF upload: GITHUB_REPOSITORY is not set",
        );
        return None;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            annotator.warning(
                "ecr-scan-gate: GitHub API",
                &format!("couldn't start the async runtime: {error}"),
            );
            return None;
        }
    };
    // NOTE: octocrab's client spawns its request buffer on the current Tokio runtime, so it is built
    // inside one.
    let _entered = runtime.enter();
    let api = match Api::new(&env.api_url, env.graphql_url.as_deref(), token, repository) {
        Ok(api) => api,
        Err(error) => {
            annotator.warning("ecr-scan-gate: GitHub API", &error_chain(&error));
            return None;
        }
    };
    runtime.block_on(async {
        if wants_comment {
            let pull_requests = match pull_request {
                Some(pr) => vec![pr],
                None => commit_pull_requests(&api, env, annotator).await,
            };
            let mut identity = None;
            for pr in &pull_requests {
                comment(&api, ctx, pr, &mut identity, annotator).await;
            }
        }
        match sarif {
            Some(sarif) => upload(&api, env, &sarif, annotator).await,
            None => None,
        }
    })
}

/// The pull request to comment on, when the run is for one.
fn pull_request(env: &Environment) -> Option<PullRequest> {
    let name = env.event_name.as_deref()?;
    if !event::is_pull_request_event(name) {
        return None;
    }
    let payload = fs::read(env.event_path.as_ref()?).ok()?;
    event::pull_request(&payload)
}

/// `comment: always` on a run that is not for a pull request (a push, a manual run): the open pull
/// requests whose head is the run's commit.
async fn commit_pull_requests(
    api: &Api,
    env: &Environment,
    annotator: &mut Annotator<'_>,
) -> Vec<PullRequest> {
    let Some(sha) = env.sha.as_deref() else {
        annotator.note("ecr-scan-gate: no pull-request comment: GITHUB_SHA is not set");
        return Vec::new();
    };
    match tokio::time::timeout(COMMENT_BUDGET, api.pull_requests_of_commit(sha)).await {
        Ok(Ok(found)) if found.is_empty() => {
            annotator.note(&format!(
                "ecr-scan-gate: no pull-request comment: no open pull request has commit {sha}"
            ));
            found
        }
        Ok(Ok(found)) => found,
        Ok(Err(error)) => {
            annotator.warning(
                "ecr-scan-gate: pull-request comment failed",
                &format!(
                    "{}. The verdict and the exit code are unaffected.",
                    error_chain(&error)
                ),
            );
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

fn sarif_bytes(ctx: &Context<'_>, annotator: &mut Annotator<'_>) -> Option<Vec<u8>> {
    let Some(verdict) = ctx.verdict() else {
        // NOTE: an empty upload would close every open alert of the category, so there is none
        // without a verdict.
        annotator.note("ecr-scan-gate: no SARIF uploaded: there is no verdict to report");
        return None;
    };
    let mut sarif = Vec::new();
    match report::sarif::write(ctx, verdict, &mut sarif) {
        Ok(()) => Some(sarif),
        Err(error) => {
            annotator.warning(
                "ecr-scan-gate: SARIF not uploaded",
                &format!("couldn't render the SARIF report: {error}"),
            );
            None
        }
    }
}

/// Finds the gate's comment for this image and updates it, or creates one. Only a comment written by
/// the token's own identity is the gate's: anyone can write one that starts with the marker. The
/// identity is learnt once per run (`identity`), and only when some comment carries the marker.
async fn comment(
    api: &Api,
    ctx: &Context<'_>,
    pr: &PullRequest,
    identity: &mut Option<Result<String, ApiError>>,
    annotator: &mut Annotator<'_>,
) {
    if ctx.set.images.is_empty() {
        annotator.note(
            "ecr-scan-gate: no pull-request comment: no image was read, so there is no image to key it by; see the job summary",
        );
        return;
    }
    let marker = markdown::comment_marker(ctx.set);
    let body = markdown::render(ctx, Variant::Comment);
    let work = async {
        let marked = api.marked_comments(pr.number, &marker).await?;
        let mut ours = None;
        if !marked.is_empty() {
            if identity.is_none() {
                *identity = Some(api.identity().await);
            }
            match identity.as_ref() {
                Some(Ok(login)) => {
                    let (mine, others): (Vec<&MarkedComment>, Vec<&MarkedComment>) =
                        marked.iter().partition(|c| {
                            c.author
                                .as_deref()
                                .is_some_and(|a| a.eq_ignore_ascii_case(login))
                        });
                    if !others.is_empty() {
                        annotator.note(&left_alone(&others, pr.number, login));
                    }
                    ours = mine.first().map(|c| c.id);
                }
                Some(Err(error)) => annotator.warning(
                    "ecr-scan-gate: pull-request comment not updated",
                    &format!(
                        "{}, so the gate's earlier comment on pull request #{} can't be told from \
                         one that someone else started with its marker; posting a new comment \
                         instead",
                        error_chain(error),
                        pr.number
                    ),
                ),
                None => {}
            }
        }
        if let Some(id) = ours {
            match api.update_comment(id, &body).await {
                Ok(updated) => {
                    return Ok(format!(
                        "updated the comment on pull request #{}{}",
                        pr.number,
                        at(&updated.url)
                    ));
                }
                Err(error) => annotator.note(&format!(
                    "ecr-scan-gate: couldn't update comment {id} ({}); posting a new one",
                    error_chain(&error)
                )),
            }
        }
        api.create_comment(pr.number, &body)
            .await
            .map(|c| format!("commented on pull request #{}{}", pr.number, at(&c.url)))
    };
    match tokio::time::timeout(COMMENT_BUDGET, work).await {
        Ok(Ok(done)) => annotator.note(&format!("ecr-scan-gate: {done}")),
        Ok(Err(error)) => {
            let missing_permission = error
                .message()
                .is_some_and(|m| m.starts_with("Resource not accessible by"));
            let hint = match (error.status(), pr.from_fork) {
                (Some(403 | 404), true) => {
                    " — pull requests from forks get a read-only token, so the gate cannot comment; the job summary has the report"
                }
                (Some(403), false) if missing_permission => {
                    " — the token needs `pull-requests: write` (or `issues: write`); add it to the job's `permissions`"
                }
                _ => "",
            };
            annotator.warning(
                "ecr-scan-gate: pull-request comment failed",
                &format!(
                    "{}{hint}. The verdict and the exit code are unaffected.",
                    error_chain(&error)
                ),
            );
        }
        Err(_) => annotator.warning(
            "ecr-scan-gate: pull-request comment failed",
            &format!(
                "GitHub did not answer within {}s. The verdict and the exit code are unaffected.",
                COMMENT_BUDGET.as_secs()
            ),
        ),
    }
}

/// How many comments carrying the marker were left alone, and whose they are (the first few).
fn left_alone(others: &[&MarkedComment], number: u64, login: &str) -> String {
    const SHOWN: usize = 5;
    let mut named: Vec<String> = others
        .iter()
        .take(SHOWN)
        .map(|c| {
            format!(
                "comment {} by {}",
                c.id,
                c.author.as_deref().unwrap_or("a deleted account")
            )
        })
        .collect();
    if others.len() > SHOWN {
        named.push(format!("{} more", others.len() - SHOWN));
    }
    format!(
        "ecr-scan-gate: left alone {} on pull request #{number}: it starts with the gate's marker but \
         {login}, whose token this is, did not write it",
        named.join(", ")
    )
}

fn at(url: &Option<String>) -> String {
    url.as_deref().map(|u| format!(": {u}")).unwrap_or_default()
}

/// Uploads the SARIF and waits (bounded) for GitHub to process it. Returns the upload's id.
async fn upload(
    api: &Api,
    env: &Environment,
    sarif: &[u8],
    annotator: &mut Annotator<'_>,
) -> Option<String> {
    const TITLE: &str = "ecr-scan-gate: SARIF upload failed";
    let (Some(sha), Some(git_ref)) = (env.sha.as_deref(), env.git_ref.as_deref()) else {
        annotator.warning(
            TITLE,
            "GITHUB_SHA or GITHUB_REF is not set, so the upload has no commit to attach to",
        );
        return None;
    };
    let id = match tokio::time::timeout(UPLOAD_BUDGET, api.upload_sarif(sha, git_ref, sarif)).await
    {
        Ok(Ok(id)) => id,
        Ok(Err(error)) => {
            let hint = match error.status() {
                Some(403) => {
                    " — the token needs `security-events: write`, and private repositories need code scanning (GitHub Advanced Security) enabled; pull requests from forks get a read-only token"
                }
                Some(404) => " — is code scanning available for this repository?",
                _ => "",
            };
            annotator.warning(
                TITLE,
                &format!(
                    "{}{hint}. The verdict and the exit code are unaffected.",
                    error_chain(&error)
                ),
            );
            return None;
        }
        Err(_) => {
            annotator.warning(
                TITLE,
                &format!(
                    "GitHub did not answer within {}s. The verdict and the exit code are unaffected.",
                    UPLOAD_BUDGET.as_secs()
                ),
            );
            return None;
        }
    };
    annotator.note(&format!(
        "ecr-scan-gate: uploaded the SARIF report (id {id}); waiting for GitHub to process it"
    ));
    match wait_for_processing(api, &id).await {
        Ok(SarifStatus::Complete) => {
            annotator.note("ecr-scan-gate: code scanning processed the SARIF report")
        }
        Ok(SarifStatus::Failed(errors)) => annotator.warning(
            "ecr-scan-gate: code scanning rejected the SARIF report",
            &format!(
                "processing of upload {id} failed: {}. The verdict and the exit code are unaffected.",
                if errors.is_empty() {
                    "no reason given".to_string()
                } else {
                    errors.join("; ")
                }
            ),
        ),
        Ok(SarifStatus::Pending) => annotator.note(&format!(
            "ecr-scan-gate: code scanning is still processing upload {id} after {}s; not waiting longer",
            PROCESSING_BUDGET.as_secs()
        )),
        Err(error) => annotator.warning(
            "ecr-scan-gate: SARIF processing status unknown",
            &format!(
                "{}. The verdict and the exit code are unaffected.",
                error_chain(&error)
            ),
        ),
    }
    Some(id)
}

/// Polls the upload's status with growing pauses (1 s, 2 s, 4 s, then every 5 s) until it is final or
/// [`PROCESSING_BUDGET`] has passed.
async fn wait_for_processing(api: &Api, id: &str) -> Result<SarifStatus, ApiError> {
    let began = tokio::time::Instant::now();
    let mut pause = Duration::from_secs(1);
    loop {
        if began.elapsed() + pause > PROCESSING_BUDGET {
            return Ok(SarifStatus::Pending);
        }
        tokio::time::sleep(pause).await;
        match api.sarif_status(id).await? {
            SarifStatus::Pending => pause = (pause * 2).min(Duration::from_secs(5)),
            done => return Ok(done),
        }
    }
}

/// `error: cause: cause of the cause`; for a failed call, GitHub's message (already in the error's own
/// text) is not repeated.
fn error_chain(error: &ApiError) -> String {
    let mut text = error.to_string();
    if matches!(error, ApiError::Call { .. }) {
        return text;
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn outside_github_actions_there_is_no_environment() {
        assert_eq!(
            Environment::from_vars(vars(&[("GITHUB_OUTPUT", "/x")])),
            None
        );
        assert_eq!(
            Environment::from_vars(vars(&[("GITHUB_ACTIONS", "false")])),
            None
        );
    }

    #[test]
    fn environment_reads_paths_and_publishing_inputs() {
        let env = Environment::from_vars(vars(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", "/o"),
            ("GITHUB_STEP_SUMMARY", ""),
            ("GITHUB_REPOSITORY", "o/r"),
            ("INPUT_COMMENT", "never"),
            ("INPUT_UPLOAD-SARIF", "true"),
            ("INPUT_GITHUB-TOKEN", "t"),
        ]))
        .unwrap();
        assert_eq!(env.output.as_deref(), Some(Path::new("/o")));
        assert_eq!(env.step_summary, None);
        assert_eq!(env.api_url, DEFAULT_API_URL);
        assert_eq!(env.settings.comment, CommentMode::Never);
        assert!(env.settings.upload_sarif);
        assert!(env.settings.token.is_some());
        assert_eq!(env.settings_problem, None);
    }

    #[test]
    fn bad_publishing_inputs_fall_back_to_defaults_with_a_problem() {
        let env = Environment::from_vars(vars(&[
            ("GITHUB_ACTIONS", "true"),
            ("INPUT_COMMENT", "loud"),
        ]))
        .unwrap();
        assert_eq!(env.settings, PublishSettings::default());
        assert!(env.settings_problem.unwrap().contains("`comment`"));
    }
}
