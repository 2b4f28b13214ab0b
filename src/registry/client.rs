//! The OCI distribution API over HTTP, for one repository: one method per request the push makes, the
//! answers checked and turned into [`ClientError`]s that name the request. Requests that may be
//! repeated safely are retried here (429, 5xx, dropped connections, with backoff); the ones that carry
//! upload data are not — resuming an upload is `super::upload`'s job.
//!
//! Owns the credentials on the wire: HTTP basic auth (`AWS` + the `GetAuthorizationToken` password),
//! sent only to the endpoint's own origin (checked by [`super::endpoint`]; upload locations on another
//! origin or with user info are refused), marked sensitive, never in an error. Must not decide what to
//! push.
//!
//! See <https://github.com/opencontainers/distribution-spec/blob/main/spec.md>.

use std::fmt;
use std::future::Future;
use std::io::SeekFrom;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode, Url};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::source::Location;
use crate::digest::Digest;

/// The buffer an upload body is read through.
const BODY_BUFFER: usize = 256 << 10;
/// The most of an error answer read (for its error code and message).
const MAX_ERROR_BODY: usize = 64 << 10;
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// `Docker-Content-Digest`: the digest the registry stored.
const CONTENT_DIGEST: &str = "docker-content-digest";

/// A registry password. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    /// The password itself, for the `Authorization` header (and masking in CI logs).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// HTTP basic auth credentials (for ECR: `AWS` and the `GetAuthorizationToken` password).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: Password,
}

/// How requests are retried (429, 5xx, dropped connections).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Retries after the first attempt of a request.
    pub max_retries: usize,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retries: 6,
        }
    }
}

/// A registry request that failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the registry credentials cannot be sent in an HTTP header")]
    BadCredentials,
    #[error("couldn't set up the HTTP client")]
    Build(#[source] reqwest::Error),
    #[error("the registry at {endpoint} refused the credentials (HTTP 401) to {action}")]
    Unauthorized { endpoint: String, action: String },
    #[error("the registry at {endpoint} denied the request to {action} (HTTP 403){}", detail_text(.detail))]
    Denied {
        endpoint: String,
        action: String,
        detail: Option<String>,
    },
    #[error("couldn't {action}: the registry answered HTTP {status}{}", detail_text(.detail))]
    Status {
        action: String,
        status: u16,
        /// The registry's error codes and messages, when it sent any.
        detail: Option<String>,
        retry_after: Option<Duration>,
    },
    #[error("couldn't {action}: no answer from the registry")]
    Transport {
        action: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("couldn't {action}: the registry's answer {problem}")]
    BadAnswer {
        action: String,
        problem: &'static str,
    },
    #[error(
        "couldn't {action}: the registry sent an upload location on another origin ({location}); \
         the credentials are only sent to the endpoint's"
    )]
    ForeignLocation { action: String, location: String },
    #[error("couldn't read {file} to {action}")]
    ReadSource {
        action: String,
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the registry stored {what} as {returned}, not as {computed}")]
    StoredDigest {
        what: String,
        computed: String,
        returned: String,
    },
}

fn detail_text(detail: &Option<String>) -> String {
    detail
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

impl ClientError {
    /// Worth another try: throttling, a server error, a dropped or timed-out connection.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Status { status, .. } => {
                matches!(*status, 408 | 429) || (*status >= 500 && !matches!(*status, 501 | 505))
            }
            ClientError::Transport { source, .. } => !source.is_builder(),
            _ => false,
        }
    }

    /// The upload session is gone or out of step (404, 416, an unexpected range): start a new one.
    pub fn restarts_upload(&self) -> bool {
        matches!(
            self,
            ClientError::Status {
                status: 404 | 416,
                ..
            } | ClientError::BadAnswer { .. }
        )
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The registry's error detail (codes and messages), if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ClientError::Status { detail, .. } | ClientError::Denied { detail, .. } => {
                detail.as_deref()
            }
            _ => None,
        }
    }
}

/// Where an upload stands after a request.
#[derive(Debug, Clone)]
pub struct UploadState {
    /// Where the next request of the upload goes.
    pub location: Url,
    /// Bytes the registry holds, when it said.
    pub received: Option<u64>,
}

/// The distribution API of one repository.
pub struct Client<'a> {
    http: reqwest::Client,
    base: Url,
    repository: String,
    authorization: HeaderValue,
    retry: RetryPolicy,
    /// Hears about every retry: the failure, and the pause before the next attempt.
    on_retry: &'a (dyn Fn(&ClientError, Duration) + Sync),
}

impl<'a> Client<'a> {
    /// A client for `repository` at `endpoint` (see [`super::endpoint::parse`]).
    pub fn new(
        endpoint: &Url,
        repository: &str,
        credentials: &Credentials,
        retry: RetryPolicy,
        on_retry: &'a (dyn Fn(&ClientError, Duration) + Sync),
    ) -> Result<Client<'a>, ClientError> {
        let token = STANDARD.encode(format!(
            "{}:{}",
            credentials.username,
            credentials.password.expose()
        ));
        let mut authorization = HeaderValue::from_str(&format!("Basic {token}"))
            .map_err(|_| ClientError::BadCredentials)?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .user_agent(concat!("ecr-scan-gate/", env!("CARGO_PKG_VERSION")))
            // NOTE: a blob HEAD may be answered with a redirect to storage (ECR: S3); the blob
            // exists then, and following it would send a HEAD to a presigned GET URL.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(120))
            .tcp_nodelay(true)
            .build()
            .map_err(ClientError::Build)?;
        Ok(Client {
            http,
            base: endpoint.clone(),
            repository: repository.to_string(),
            authorization,
            retry,
            on_retry,
        })
    }

    /// The endpoint, for messages.
    pub fn endpoint(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let full = format!("{}{path}", self.base.path());
        url.set_path(&full);
        url
    }

    fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header(header::AUTHORIZATION, self.authorization.clone())
    }

    /// Repeats `call` while it fails transiently, on the retry policy's schedule.
    async fn retried<T, F, Fut>(&self, call: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        call.retry(self.retry.backoff())
            .when(ClientError::is_transient)
            .adjust(|error, delay| {
                delay.map(|d| error.retry_after().map_or(d, |r| r.min(MAX_RETRY_AFTER)))
            })
            .notify(|error, delay| (self.on_retry)(error, delay))
            .await
    }

    /// Waits out one step of the retry schedule between upload sessions, saying why.
    pub async fn pause(&self, error: &ClientError, attempt: usize) {
        let delay = self.retry.delay(attempt);
        (self.on_retry)(error, delay);
        tokio::time::sleep(delay).await;
    }

    /// `GET /v2/`: the API answers and takes the credentials.
    pub async fn ping(&self) -> Result<(), ClientError> {
        let action = "check the registry API (GET /v2/)".to_string();
        self.retried(|| async {
            let response = self
                .send(&action, self.request(Method::GET, self.url("v2/")))
                .await?;
            self.expect(&action, response, &[StatusCode::OK]).await?;
            Ok(())
        })
        .await
    }

    /// `HEAD /v2/<name>/blobs/<digest>`: whether the repository has the blob.
    pub async fn blob_exists(&self, digest: &Digest) -> Result<bool, ClientError> {
        let action = format!("check blob {digest} in {}", self.repository);
        let url = self.url(&format!("v2/{}/blobs/{digest}", self.repository));
        self.retried(|| async {
            let response = self
                .send(&action, self.request(Method::HEAD, url.clone()))
                .await?;
            match response.status() {
                StatusCode::NOT_FOUND => Ok(false),
                status if status.is_success() || status.is_redirection() => Ok(true),
                _ => Err(self.refusal(&action, response).await),
            }
        })
        .await
    }

    /// `POST /v2/<name>/blobs/uploads/`: a new upload session.
    pub async fn start_upload(&self, digest: &Digest) -> Result<Url, ClientError> {
        let action = format!("start the upload of {digest}");
        let url = self.url(&format!("v2/{}/blobs/uploads/", self.repository));
        self.retried(|| async {
            let request = self
                .request(Method::POST, url.clone())
                .header(header::CONTENT_LENGTH, 0);
            let response = self.send(&action, request).await?;
            let response = self
                .expect(&action, response, &[StatusCode::ACCEPTED])
                .await?;
            self.location(&action, &response)
        })
        .await
    }

    /// `GET <location>`: how much of an upload the registry holds.
    pub async fn upload_status(
        &self,
        location: &Url,
        digest: &Digest,
    ) -> Result<UploadState, ClientError> {
        let action = format!("check the upload of {digest}");
        self.retried(|| async {
            let response = self
                .send(&action, self.request(Method::GET, location.clone()))
                .await?;
            let response = self
                .expect(&action, response, &[StatusCode::NO_CONTENT, StatusCode::OK])
                .await?;
            let next = self
                .location(&action, &response)
                .unwrap_or_else(|_| location.clone());
            // NOTE: distribution answers `Range: 0-0` for an empty upload (and for one byte):
            // https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/blobupload.go
            let received = match received(response.headers()) {
                Some(1) | None => 0,
                Some(n) => n,
            };
            Ok(UploadState {
                location: next,
                received: Some(received),
            })
        })
        .await
    }

    /// `PATCH <location>` with `len` bytes of the blob from `start` (not retried: the caller checks
    /// the upload's state and resumes).
    pub async fn send_chunk(
        &self,
        location: &Url,
        digest: &Digest,
        source: &Location,
        start: u64,
        len: u64,
    ) -> Result<UploadState, ClientError> {
        let end = start + len - 1;
        let action = format!("upload bytes {start}-{end} of {digest}");
        let body = self.body(&action, source, start, len).await?;
        let request = self
            .request(Method::PATCH, location.clone())
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::CONTENT_LENGTH, len)
            .header(header::CONTENT_RANGE, format!("{start}-{end}"))
            .body(body);
        let response = self.send(&action, request).await?;
        let response = self
            .expect(
                &action,
                response,
                &[StatusCode::ACCEPTED, StatusCode::NO_CONTENT],
            )
            .await?;
        Ok(UploadState {
            location: self.location(&action, &response)?,
            received: received(response.headers()),
        })
    }

    /// `PUT <location>?digest=…`, with the whole blob (`source`) or none (after chunks): the end of
    /// an upload. Not retried (a repeat meets a closed session).
    pub async fn finish_upload(
        &self,
        location: &Url,
        digest: &Digest,
        source: Option<(&Location, u64)>,
    ) -> Result<(), ClientError> {
        let action = match source {
            Some(_) => format!("upload {digest}"),
            None => format!("finish the upload of {digest}"),
        };
        let mut url = location.clone();
        url.query_pairs_mut().append_pair("digest", digest.as_str());
        let mut request = self
            .request(Method::PUT, url)
            .header(header::CONTENT_TYPE, "application/octet-stream");
        request = match source {
            Some((source, len)) => request
                .header(header::CONTENT_LENGTH, len)
                .body(self.body(&action, source, 0, len).await?),
            None => request.header(header::CONTENT_LENGTH, 0),
        };
        let response = self.send(&action, request).await?;
        let response = self
            .expect(
                &action,
                response,
                &[StatusCode::CREATED, StatusCode::NO_CONTENT],
            )
            .await?;
        check_stored(&format!("blob {digest}"), digest, response.headers())
    }

    /// `PUT /v2/<name>/manifests/<reference>`; checks the digest the registry stored it under.
    pub async fn put_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
        digest: &Digest,
    ) -> Result<(), ClientError> {
        let what = format!("manifest {}:{reference}", self.repository);
        let action = format!("push {what}");
        let url = self.url(&format!("v2/{}/manifests/{reference}", self.repository));
        self.retried(|| async {
            let request = self
                .request(Method::PUT, url.clone())
                .header(header::CONTENT_TYPE, media_type)
                .body(bytes.to_vec());
            let response = self.send(&action, request).await?;
            let response = self
                .expect(&action, response, &[StatusCode::CREATED, StatusCode::OK])
                .await?;
            check_stored(&what, digest, response.headers())
        })
        .await
    }

    async fn body(
        &self,
        action: &str,
        source: &Location,
        start: u64,
        len: u64,
    ) -> Result<reqwest::Body, ClientError> {
        let read_error = |error| ClientError::ReadSource {
            action: action.to_string(),
            file: source.file.display().to_string(),
            source: error,
        };
        let mut file = tokio::fs::File::from_std(source.open().map_err(read_error)?);
        file.seek(SeekFrom::Start(source.offset + start))
            .await
            .map_err(read_error)?;
        Ok(reqwest::Body::wrap_stream(ReaderStream::with_capacity(
            file.take(len),
            BODY_BUFFER,
        )))
    }

    async fn send(
        &self,
        action: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Response, ClientError> {
        request
            .send()
            .await
            .map_err(|source| ClientError::Transport {
                action: action.to_string(),
                source: source.without_url(),
            })
    }

    /// The response when its status is one of `ok`; else the error it means.
    async fn expect(
        &self,
        action: &str,
        response: Response,
        ok: &[StatusCode],
    ) -> Result<Response, ClientError> {
        if ok.contains(&response.status()) {
            Ok(response)
        } else {
            Err(self.refusal(action, response).await)
        }
    }

    async fn refusal(&self, action: &str, mut response: Response) -> ClientError {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut body = Vec::new();
        while body.len() < MAX_ERROR_BODY {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        let detail = error_detail(&body);
        let endpoint = self.endpoint().to_string();
        let action = action.to_string();
        match status {
            StatusCode::UNAUTHORIZED => ClientError::Unauthorized { endpoint, action },
            StatusCode::FORBIDDEN => ClientError::Denied {
                endpoint,
                action,
                detail,
            },
            _ => ClientError::Status {
                action,
                status: status.as_u16(),
                detail,
                retry_after,
            },
        }
    }

    /// The `Location` header, resolved against the endpoint; only on the endpoint's origin.
    fn location(&self, action: &str, response: &Response) -> Result<Url, ClientError> {
        let bad = |problem| ClientError::BadAnswer {
            action: action.to_string(),
            problem,
        };
        let text = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| bad("has no Location header"))?;
        let url = self
            .base
            .join(text)
            .map_err(|_| bad("has a Location header that is not a URL"))?;
        if url.origin() != self.base.origin() {
            return Err(ClientError::ForeignLocation {
                action: action.to_string(),
                location: url.origin().ascii_serialization(),
            });
        }
        // reqwest turns a URL's user info into an `Authorization` header of its own, which would go out
        // next to ECR's credentials.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("has a Location header with user info"));
        }
        Ok(url)
    }
}

/// `Range: 0-<last>` → bytes held (`last + 1`).
fn received(headers: &HeaderMap) -> Option<u64> {
    let text = headers.get(header::RANGE)?.to_str().ok()?;
    let text = text.trim().trim_start_matches("bytes=");
    let (_, last) = text.split_once('-')?;
    last.trim().parse::<u64>().ok().map(|last| last + 1)
}

/// Checks `Docker-Content-Digest`, when the registry sent one.
fn check_stored(what: &str, digest: &Digest, headers: &HeaderMap) -> Result<(), ClientError> {
    let Some(returned) = headers.get(CONTENT_DIGEST).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    if returned.trim() == digest.as_str() {
        return Ok(());
    }
    Err(ClientError::StoredDigest {
        what: what.to_string(),
        computed: digest.to_string(),
        returned: returned.trim().to_string(),
    })
}

/// `CODE: message` of each entry of a distribution error body (`{"errors": [...]}`).
fn error_detail(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct RawErrors {
        #[serde(default)]
        errors: Vec<RawError>,
    }
    #[derive(serde::Deserialize)]
    struct RawError {
        code: Option<String>,
        message: Option<String>,
    }
    let parsed: RawErrors = serde_json::from_slice(body).ok()?;
    let parts: Vec<String> = parsed
        .errors
        .into_iter()
        .map(|e| match (e.code, e.message) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (code, message) => code.or(message).unwrap_or_default(),
        })
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }

    /// The pause before attempt `attempt` (1-based) of something retried by hand.
    fn delay(&self, attempt: usize) -> Duration {
        let factor =
            2u32.saturating_pow(u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX));
        self.min_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_count_bytes_held() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_static("0-1023"));
        assert_eq!(received(&headers), Some(1024));
        headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-9"));
        assert_eq!(received(&headers), Some(10));
        assert_eq!(received(&HeaderMap::new()), None);
    }

    #[test]
    fn registry_error_bodies_become_one_line() {
        let body = br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content","detail":{}},{"code":"X"}]}"#;
        assert_eq!(
            error_detail(body).unwrap(),
            "DIGEST_INVALID: provided digest did not match uploaded content; X"
        );
        assert_eq!(error_detail(b"<html>"), None);
    }

    #[test]
    fn transient_errors_are_throttling_and_server_errors() {
        let status = |status| ClientError::Status {
            action: "x".into(),
            status,
            detail: None,
            retry_after: None,
        };
        assert!(status(429).is_transient());
        assert!(status(503).is_transient());
        assert!(!status(501).is_transient());
        assert!(!status(400).is_transient());
        assert!(status(404).restarts_upload());
    }
}
