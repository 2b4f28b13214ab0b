//! GitHub's REST API, as far as the gate needs it: the sticky pull-request comment and the SARIF upload.
//!
//! Built on octocrab with the same TLS stack as the AWS SDK (rustls with aws-lc-rs and the system's
//! root certificates). Responses are read into minimal types holding only the fields used, so a field
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
    owner: String,
    name: String,
    repository: String,
}

impl Api {
    /// A client for `repository` (`OWNER/NAME`) at `api_url` (`https://api.github.com`, or
    /// `https://HOST/api/v3` on GitHub Enterprise Server).
    pub fn new(api_url: &str, token: &Token, repository: &str) -> Result<Api, ApiError> {
        let (owner, name) = repository
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| ApiError::Repository(repository.to_string()))?;
        let client = |source| ApiError::Client {
            api_url: api_url.to_string(),
            source: Box::new(source),
        };
        let crab = Octocrab::builder()
            .base_uri(api_url)
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
            .set_connect_timeout(Some(CONNECT_TIMEOUT))
            .set_read_timeout(Some(READ_TIMEOUT))
            .build()
            .map_err(client)?;
        Ok(Api {
            crab,
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

    /// The first comment on issue or pull request `number` whose body starts with `marker`, reading
    /// every page (following the `Link` header) up to [`MAX_COMMENT_PAGES`].
    pub async fn find_comment(
        &self,
        number: u64,
        marker: &str,
    ) -> Result<Option<Comment>, ApiError> {
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
        for _ in 0..MAX_COMMENT_PAGES {
            if let Some(found) = page
                .items
                .iter()
                .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(marker)))
            {
                return Ok(Some(Comment {
                    id: found.id,
                    url: found.html_url.clone(),
                }));
            }
            match self
                .crab
                .get_page::<RawComment>(&page.next)
                .await
                .map_err(self.call(action()))?
            {
                Some(next) => page = next,
                None => return Ok(None),
            }
        }
        Ok(None)
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
                    Api::new("https://api.github.com", &token, bad),
                    Err(ApiError::Repository(_))
                ),
                "{bad}"
            );
        }
    }
}
