//! GitHub's REST API, as far as the gate needs it: the sticky pull-request comment and the SARIF upload,
//! and the token's own identity (whose comments the gate may edit), for which it also asks GraphQL.
//!
//! Built on octocrab over the same reqwest client as the registry edge (rustls with aws-lc-rs and the
//! system's root certificates), which honours the standard proxy variables (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or lower case) exactly as the AWS SDK and the registry
//! client do: all three read them with hyper-util's one matcher. Redirects are not followed, so the
//! token never goes anywhere but the API's own host. Responses are read into minimal types holding only the fields used, so a field
//! GitHub adds or drops never breaks a run. Errors keep the operation, the repository and the HTTP status.

use std::io::Write;
use std::time::Duration;

use base64::Engine;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::header::{HeaderName, USER_AGENT};
use octocrab::models::code_scannings::UploadSarif;
use octocrab::{Octocrab, Page};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::event::PullRequest;
use super::inputs::Token;

/// GitHub rejects a SARIF upload larger than this, gzipped.
pub const SARIF_LIMIT_BYTES: usize = 10 * 1024 * 1024;
/// Pages of comments read at most while looking for the gate's comment (100 comments a page).
pub const MAX_COMMENT_PAGES: usize = 50;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("couldn't set up the HTTP client for the GitHub API")]
    Http(#[source] reqwest::Error),
    #[error("couldn't set up the GitHub API client for {api_url}")]
    Client {
        api_url: String,
        #[source]
        source: Box<octocrab::Error>,
    },
    #[error("couldn't {action} in {repository}: {}", describe(source))]
    Call {
        action: String,
        repository: String,
        #[source]
        source: Box<octocrab::Error>,
    },
    #[error("couldn't compress the SARIF report")]
    Compress(#[source] std::io::Error),
    #[error("the SARIF report is {size} bytes gzipped; GitHub accepts at most {SARIF_LIMIT_BYTES}")]
    SarifTooLarge { size: usize },
    #[error("GITHUB_REPOSITORY `{0}` is not OWNER/NAME")]
    Repository(String),
    #[error("the answer named no login{}", errors_text(.errors))]
    NoLogin { errors: Vec<String> },
    #[error(
        "couldn't learn whose token this is (GET /user: {}; GraphQL `viewer`: {})",
        short(.user),
        short(.viewer)
    )]
    Identity {
        user: Box<ApiError>,
        viewer: Box<ApiError>,
    },
}

fn errors_text(errors: &[String]) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        format!(": {}", errors.join("; "))
    }
}

/// A failed call without the operation and repository (already said by the caller).
fn short(error: &ApiError) -> String {
    match error {
        ApiError::Call { source, .. } => describe(source),
        other => other.to_string(),
    }
}

impl ApiError {
    /// The HTTP status GitHub answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Call { source, .. } => match source.as_ref() {
                octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
                _ => None,
            },
            _ => None,
        }
    }

    /// GitHub's own message for a call it refused, when it gave one.
    pub fn message(&self) -> Option<&str> {
        match self {
            ApiError::Call { source, .. } => match source.as_ref() {
                octocrab::Error::GitHub { source, .. } => Some(source.message.as_str()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// GitHub's message for an API error, or the transport error with its causes.
fn describe(error: &octocrab::Error) -> String {
    if let octocrab::Error::GitHub { source, .. } = error {
        return format!("HTTP {}: {}", source.status_code.as_u16(), source.message);
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[derive(Deserialize)]
struct RawComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    user: Option<RawUser>,
}

#[derive(Deserialize)]
struct RawUser {
    #[serde(default)]
    login: Option<String>,
}

#[derive(Deserialize)]
struct RawPull {
    number: u64,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    head: Option<RawHead>,
}

#[derive(Deserialize)]
struct RawHead {
    #[serde(default)]
    repo: Option<RawRepo>,
}

#[derive(Deserialize)]
struct RawRepo {
    #[serde(default)]
    full_name: Option<String>,
}

#[derive(Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

/// A comment the gate wrote or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub url: Option<String>,
}

/// A comment whose body starts with the gate's marker, and who wrote it. Anyone can write one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedComment {
    pub id: u64,
    pub url: Option<String>,
    /// The author's login; `None` for a deleted account.
    pub author: Option<String>,
}

/// Where a SARIF upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SarifStatus {
    Pending,
    Complete,
    Failed(Vec<String>),
}

/// A client for one repository.
pub struct Api {
    crab: Octocrab,
    graphql: Octocrab,
    graphql_url: String,
    owner: String,
    name: String,
    repository: String,
}

/// The GraphQL endpoint that goes with a REST API URL: `https://api.github.com/graphql`, or
/// `https://HOST/api/graphql` on GitHub Enterprise Server (whose REST API is `https://HOST/api/v3`).
pub fn graphql_url(api_url: &str) -> String {
    let api_url = api_url.trim_end_matches('/');
    match api_url.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api_url}/graphql"),
    }
}

/// Whether two URLs have the same scheme, host and port.
fn same_origin(a: &str, b: &str) -> bool {
    match (a.parse::<http::Uri>(), b.parse::<http::Uri>()) {
        (Ok(a), Ok(b)) => {
            a.scheme().is_some()
                && a.authority().is_some()
                && a.scheme() == b.scheme()
                && a.authority() == b.authority()
        }
        _ => false,
    }
}

fn client(base_uri: &str, token: &Token) -> Result<Octocrab, ApiError> {
    let client = |source| ApiError::Client {
        api_url: base_uri.to_string(),
        source: Box::new(source),
    };
    // reqwest reads HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY when the client is built (octocrab's own
    // hyper client reads none). No redirects: GitHub's answers the gate reads need none, and the token stays on the API's host.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build()
        .map_err(ApiError::Http)?;
    Octocrab::builder()
        .base_uri(base_uri)
        .map_err(client)?
        .personal_token(token.expose().to_string())
        .add_header(
            USER_AGENT,
            concat!("ecr-scan-gate/", env!("CARGO_PKG_VERSION")).to_string(),
        )
        .add_header(
            HeaderName::from_static("x-github-api-version"),
            "2022-11-28".to_string(),
        )
        .build_with_reqwest(http)
        .map_err(client)
}

impl Api {
    /// A client for `repository` (`OWNER/NAME`) at `api_url` (`https://api.github.com`, or
    /// `https://HOST/api/v3` on GitHub Enterprise Server) and `graphql_url` (`GITHUB_GRAPHQL_URL`;
    /// by default the one that goes with `api_url`).
    pub fn new(
        api_url: &str,
        graphql_url: Option<&str>,
        token: &Token,
        repository: &str,
    ) -> Result<Api, ApiError> {
        let (owner, name) = repository
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| ApiError::Repository(repository.to_string()))?;
        // The token goes to the API's own host only, whatever `GITHUB_GRAPHQL_URL` says.
        let graphql_url = graphql_url
            .filter(|url| same_origin(url, api_url))
            .map_or_else(|| self::graphql_url(api_url), str::to_string);
        // NOTE: octocrab puts its base URI's path in front of every path, so the GraphQL endpoint
        // (`/api/graphql` next to `/api/v3` on GitHub Enterprise Server) gets a client of its own.
        Ok(Api {
            crab: client(api_url, token)?,
            graphql: client(&graphql_url, token)?,
            graphql_url,
            owner: owner.to_string(),
            name: name.to_string(),
            repository: repository.to_string(),
        })
    }

    fn call(&self, action: String) -> impl FnOnce(octocrab::Error) -> ApiError + '_ {
        move |source| ApiError::Call {
            action,
            repository: self.repository.clone(),
            source: Box::new(source),
        }
    }

    /// Who the token belongs to: `GET /user` for a user's token; GraphQL's `viewer` for an
    /// installation token (`GITHUB_TOKEN` is `github-actions[bot]`'s, a GitHub App's is
    /// `<app-slug>[bot]`'s).
    // NOTE: `GET /user` takes user tokens only (an installation token gets 403 "Resource not accessible
    // by integration"): https://docs.github.com/en/rest/users/users#get-the-authenticated-user ;
    // GraphQL's `viewer` answers for both: https://docs.github.com/en/graphql/reference/queries#viewer
    pub async fn identity(&self) -> Result<String, ApiError> {
        #[derive(Deserialize)]
        struct Viewer {
            login: Option<String>,
        }
        let user = match self.crab.get::<RawUser, _, ()>("/user", None).await {
            Ok(RawUser { login: Some(login) }) if !login.is_empty() => return Ok(login),
            Ok(_) => ApiError::NoLogin { errors: Vec::new() },
            Err(error) => self.call("read the token's user".to_string())(error),
        };
        let viewer = match self
            .graphql
            .post::<_, Value>(
                &self.graphql_url,
                Some(&json!({"query": "query { viewer { login } }"})),
            )
            .await
        {
            Ok(answer) => {
                match serde_json::from_value::<Viewer>(answer["data"]["viewer"].clone()) {
                    Ok(Viewer { login: Some(login) }) if !login.is_empty() => return Ok(login),
                    _ => ApiError::NoLogin {
                        errors: answer["errors"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|e| e["message"].as_str())
                            .take(3)
                            .map(str::to_string)
                            .collect(),
                    },
                }
            }
            Err(error) => self.call("ask GraphQL whose token this is".to_string())(error),
        };
        Err(ApiError::Identity {
            user: Box::new(user),
            viewer: Box::new(viewer),
        })
    }

    /// Every comment on issue or pull request `number` whose body starts with `marker`, oldest first,
    /// reading every page (following the `Link` header) up to [`MAX_COMMENT_PAGES`].
    pub async fn marked_comments(
        &self,
        number: u64,
        marker: &str,
    ) -> Result<Vec<MarkedComment>, ApiError> {
        let action = || format!("list the comments of pull request #{number}");
        let route = format!(
            "/repos/{}/{}/issues/{number}/comments",
            self.owner, self.name
        );
        let mut page: Page<RawComment> = self
            .crab
            .get(route, Some(&[("per_page", "100")]))
            .await
            .map_err(self.call(action()))?;
        let mut marked = Vec::new();
        for _ in 0..MAX_COMMENT_PAGES {
            marked.extend(
                page.items
                    .drain(..)
                    .filter(|c| c.body.as_deref().is_some_and(|b| b.starts_with(marker)))
                    .map(|c| MarkedComment {
                        id: c.id,
                        url: c.html_url,
                        author: c.user.and_then(|u| u.login),
                    }),
            );
            match self
                .crab
                .get_page::<RawComment>(&page.next)
                .await
                .map_err(self.call(action()))?
            {
                Some(next) => page = next,
                None => break,
            }
        }
        Ok(marked)
    }

    /// The open pull requests whose head is `sha` (first 100).
    pub async fn pull_requests_of_commit(&self, sha: &str) -> Result<Vec<PullRequest>, ApiError> {
        let route = format!("/repos/{}/{}/commits/{sha}/pulls", self.owner, self.name);
        let pulls: Vec<RawPull> = self
            .crab
            .get(route, Some(&[("per_page", "100")]))
            .await
            .map_err(self.call(format!("list the pull requests of commit {sha}")))?;
        Ok(pulls
            .into_iter()
            .filter(|p| p.state.as_deref().is_none_or(|s| s == "open"))
            .map(|p| {
                let head = p.head.and_then(|h| h.repo).and_then(|r| r.full_name);
                PullRequest {
                    number: p.number,
                    from_fork: head.is_none_or(|h| !h.eq_ignore_ascii_case(&self.repository)),
                }
            })
            .collect())
    }

    /// Creates a comment on issue or pull request `number`.
    pub async fn create_comment(&self, number: u64, body: &str) -> Result<Comment, ApiError> {
        let route = format!(
            "/repos/{}/{}/issues/{number}/comments",
            self.owner, self.name
        );
        let created: RawComment = self
            .crab
            .post(route, Some(&CommentBody { body }))
            .await
            .map_err(self.call(format!("comment on pull request #{number}")))?;
        Ok(Comment {
            id: created.id,
            url: created.html_url,
        })
    }

    /// Replaces the body of comment `id`.
    pub async fn update_comment(&self, id: u64, body: &str) -> Result<Comment, ApiError> {
        let route = format!("/repos/{}/{}/issues/comments/{id}", self.owner, self.name);
        let updated: RawComment = self
            .crab
            .patch(route, Some(&CommentBody { body }))
            .await
            .map_err(self.call(format!("update comment {id}")))?;
        Ok(Comment {
            id: updated.id,
            url: updated.html_url,
        })
    }

    /// Uploads a SARIF report for `commit_sha` on `git_ref`; returns the upload's id.
    pub async fn upload_sarif(
        &self,
        commit_sha: &str,
        git_ref: &str,
        sarif: &[u8],
    ) -> Result<String, ApiError> {
        let encoded = encode_sarif(sarif)?;
        let upload = UploadSarif {
            commit_sha: commit_sha.to_string(),
            ref_field: git_ref.to_string(),
            sarif: encoded,
            checkout_uri: None,
            started_at: None,
            tool_name: None,
            validate: None,
        };
        let receipt = self
            .crab
            .code_scannings(&self.owner, &self.name)
            .upload_sarif(&upload)
            .await
            .map_err(self.call("upload the SARIF report".to_string()))?;
        Ok(receipt.id)
    }

    /// The processing status of SARIF upload `id`.
    pub async fn sarif_status(&self, id: &str) -> Result<SarifStatus, ApiError> {
        let analysis = self
            .crab
            .code_scannings(&self.owner, &self.name)
            .get_sarif(id)
            .await
            .map_err(self.call(format!("read the status of SARIF upload {id}")))?;
        Ok(match analysis.processing_status.as_str() {
            "complete" => SarifStatus::Complete,
            "failed" => SarifStatus::Failed(analysis.errors.unwrap_or_default()),
            _ => SarifStatus::Pending,
        })
    }
}

/// `base64(gzip(sarif))`, as the code scanning API wants it, within GitHub's size limit.
pub fn encode_sarif(sarif: &[u8]) -> Result<String, ApiError> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(sarif).map_err(ApiError::Compress)?;
    let gzipped = gz.finish().map_err(ApiError::Compress)?;
    if gzipped.len() > SARIF_LIMIT_BYTES {
        return Err(ApiError::SarifTooLarge {
            size: gzipped.len(),
        });
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(gzipped))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn sarif_is_gzipped_then_base64_encoded() {
        let encoded = encode_sarif(br#"{"version":"2.1.0"}"#).unwrap();
        let gzipped = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gzipped[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, r#"{"version":"2.1.0"}"#);
    }

    #[test]
    fn repository_must_be_owner_and_name() {
        let token = Token::new("t");
        for bad in ["", "owner", "/name", "owner/", "a/b/c"] {
            assert!(
                matches!(
                    Api::new("https://api.github.com", None, &token, bad),
                    Err(ApiError::Repository(_))
                ),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn graphql_is_asked_on_the_api_s_own_host_only() {
        // (octocrab's client starts its request buffer on the current runtime)
        let token = Token::new("t");
        let api = |graphql: Option<&str>| {
            Api::new("https://api.github.com", graphql, &token, "o/r")
                .unwrap()
                .graphql_url
        };
        assert_eq!(api(None), "https://api.github.com/graphql");
        assert_eq!(
            api(Some("https://api.github.com/graphql")),
            "https://api.github.com/graphql"
        );
        for elsewhere in [
            "https://attacker.example/graphql",
            "http://api.github.com/graphql",
            "https://api.github.com:8443/graphql",
            "https://api.github.com.attacker.example/graphql",
            "/graphql",
            "not a url",
        ] {
            assert_eq!(
                api(Some(elsewhere)),
                "https://api.github.com/graphql",
                "{elsewhere}"
            );
        }
    }

    #[test]
    fn graphql_lives_next_to_the_rest_api() {
        assert_eq!(
            graphql_url("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            graphql_url("https://github.example.com/api/v3/"),
            "https://github.example.com/api/graphql"
        );
        assert_eq!(
            graphql_url("https://api.octo.ghe.com"),
            "https://api.octo.ghe.com/graphql"
        );
    }
}
