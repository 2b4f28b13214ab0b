//! Patience with ECR: throttling, server errors and transport failures are "not yet".
//!
//! Every call the gate makes goes through a [`Deadline`]: [`Deadline::retry`] backs off on a jittered,
//! capped exponential schedule ([`crate::scan::wait::backoff`]) and tries again until the run's
//! deadline (`--timeout` from the start of the run), then ends in [`EcrError::OutOfTime`], which names
//! the operation and what ECR kept answering (the app turns it into exit 3). Errors that are not
//! transient (AccessDenied, RepositoryNotFound, …) return at once. The wait loop polls without this
//! loop: a transient poll is an [`Observation::Unavailable`](crate::scan::lifecycle::Observation),
//! "poll again later", recorded here through [`Deadline::unavailable`] so that the counts cover the
//! whole run. Every attempt is bounded by the deadline too, so a call that never answers cannot hold
//! the gate past it.
//!
//! `classify` decides what is transient the way the SDK's standard retry classifiers do. The SDK's
//! own retries are off for the gate's calls: its few attempts and its retry quota end a call under
//! sustained throttling, and retrying at two layers multiplies the calls against a quota that is
//! already spent. This module never prints: each retry is reported to an observer.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::{ErrorKind, ProvideErrorKind};
use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use backon::BackoffBuilder;
use tokio::time::Instant;

use super::error::{EcrError, Transient};
use crate::scan::wait::backoff;

/// How long an attempt made at (or after) the deadline may take: the last try gets a fair chance.
const LAST_ATTEMPT: Duration = Duration::from_secs(5);

/// The longest label kept from an error code (codes come from the server: hostile input).
const MAX_LABEL: usize = 64;

/// The longest detail of a transport failure shown with a retry.
const MAX_DETAIL: usize = 200;

/// The HTTP statuses the SDK's standard retry mode retries (`HttpStatusCodeClassifier`).
// NOTE: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html lists what the
// SDKs retry: throttling codes, transient codes, and HTTP 500, 502, 503 and 504.
const TRANSIENT_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// How the SDK's standard retry mode classifies a failed call: `Some((kind, label))` when it is
/// "not yet", with a label for what ECR said (its error code, `HTTP 503`, `connection failed`);
/// `None` for an answer that stands.
pub(crate) fn classify<E>(error: &SdkError<E>) -> Option<(Transient, String)>
where
    E: ProvideErrorMetadata + ProvideErrorKind,
{
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let status = service.raw().status().as_u16();
            let code = ProvideErrorMetadata::code(err);
            let kind = err
                .retryable_error_kind()
                .and_then(transient_of)
                .or_else(|| {
                    code.and_then(|code| {
                        if THROTTLING_ERRORS.contains(&code) {
                            Some(Transient::Throttling)
                        } else if TRANSIENT_ERRORS.contains(&code) {
                            Some(Transient::Transport)
                        } else {
                            None
                        }
                    })
                })
                .or_else(|| {
                    TRANSIENT_STATUSES
                        .contains(&status)
                        .then_some(Transient::Server)
                })?;
            let label = code
                .map(label)
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| format!("HTTP {status}"));
            Some((kind, label))
        }
        SdkError::DispatchFailure(failure) => {
            if failure.is_timeout() {
                Some((Transient::Transport, "timed out".into()))
            } else if failure.is_io() {
                Some((Transient::Transport, "connection failed".into()))
            } else {
                let kind = failure.as_other().and_then(transient_of)?;
                Some((kind, "connection failed".into()))
            }
        }
        SdkError::TimeoutError(_) => Some((Transient::Transport, "timed out".into())),
        SdkError::ResponseError(_) => Some((Transient::Transport, "unreadable response".into())),
        _ => None,
    }
}

/// The kind of "not yet" of an SDK [`ErrorKind`]; `None` for client errors.
fn transient_of(kind: ErrorKind) -> Option<Transient> {
    match kind {
        ErrorKind::ThrottlingError => Some(Transient::Throttling),
        ErrorKind::ServerError => Some(Transient::Server),
        ErrorKind::TransientError => Some(Transient::Transport),
        _ => None,
    }
}

/// An error code as a label: the characters AWS error codes use, and not too many of them.
fn label(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '#'))
        .take(MAX_LABEL)
        .collect()
}

/// A retry about to happen, for the user to see.
#[derive(Debug)]
pub struct Retrying<'a> {
    pub operation: &'static str,
    pub kind: Transient,
    /// What ECR said: its error code, `HTTP 503`, `connection failed`.
    pub label: &'a str,
    /// For a transport failure, what failed (`… tcp connect error: Connection refused`).
    pub detail: Option<&'a str>,
    /// How long until the next attempt.
    pub delay: Duration,
}

impl fmt::Display for Retrying<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}",
            self.kind.describe(self.operation, false),
            self.label
        )?;
        if let Some(detail) = self.detail {
            let detail: String = detail.chars().take(MAX_DETAIL).collect();
            write!(f, ": {detail}")?;
        }
        write!(f, "); trying again in {:.1}s", self.delay.as_secs_f64())
    }
}

type Observer = Arc<dyn Fn(&Retrying<'_>) + Send + Sync>;

/// One label of one operation's failures, and how often it was seen.
#[derive(Debug)]
struct Seen {
    label: String,
    kind: Transient,
    times: u32,
}

/// The run's deadline, and the transient failures seen on the way to it.
#[derive(Clone)]
pub struct Deadline {
    at: Instant,
    /// Per operation: each label, its kind and how often it was seen, in the order first seen.
    failures: Arc<Mutex<BTreeMap<&'static str, Vec<Seen>>>>,
    observer: Option<Observer>,
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl Deadline {
    /// Calls are retried until `at`.
    pub fn new(at: Instant) -> Deadline {
        Deadline {
            at,
            failures: Arc::default(),
            observer: None,
        }
    }

    /// Reports every retry to `observer` before it waits.
    pub fn observe(mut self, observer: impl Fn(&Retrying<'_>) + Send + Sync + 'static) -> Deadline {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// When calls stop being retried.
    pub fn at(&self) -> Instant {
        self.at
    }

    /// Makes `call` until it succeeds, fails for good, or the deadline passes while ECR keeps
    /// throttling, failing or not answering ([`EcrError::OutOfTime`]). The last attempt is made at
    /// the deadline rather than skipped.
    pub async fn retry<T, F, Fut>(
        &self,
        operation: &'static str,
        mut call: F,
    ) -> Result<T, EcrError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, EcrError>>,
    {
        let mut delays = backoff().build();
        loop {
            let error = match self.attempt(operation, call()).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let Some((kind, label)) = error.transient() else {
                return Err(error);
            };
            self.record(operation, kind, &label);
            let now = Instant::now();
            if now >= self.at {
                let (kind, summary) = self.summary(operation);
                return Err(EcrError::OutOfTime {
                    operation,
                    kind,
                    summary,
                    last: Box::new(error),
                });
            }
            let delay = delays.next().unwrap_or(Duration::from_secs(5));
            let wake = (now + delay).min(self.at);
            if let Some(observer) = &self.observer {
                let detail = match &error {
                    EcrError::Unavailable {
                        kind: Transient::Transport,
                        message,
                        ..
                    } => Some(message.as_str()),
                    _ => None,
                };
                observer(&Retrying {
                    operation,
                    kind,
                    label: &label,
                    detail,
                    delay: wake - now,
                });
            }
            tokio::time::sleep_until(wake).await;
        }
    }

    /// One attempt, cut off at the deadline ([`EcrError::NoAnswer`]); one started at or after it
    /// gets `LAST_ATTEMPT`.
    pub async fn attempt<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, EcrError>>,
    ) -> Result<T, EcrError> {
        let cutoff = self.at.max(Instant::now() + LAST_ATTEMPT);
        match tokio::time::timeout_at(cutoff, call).await {
            Ok(result) => result,
            Err(_) => Err(EcrError::NoAnswer { operation }),
        }
    }

    /// For the wait loop: when `error` is "not yet", records it and says what ECR has been doing
    /// ("ECR kept throttling DescribeImageScanFindings (ThrottlingException, 3 times)").
    pub fn unavailable(&self, operation: &'static str, error: &EcrError) -> Option<String> {
        let (kind, label) = error.transient()?;
        self.record(operation, kind, &label);
        Some(self.summary(operation).1)
    }

    fn record(&self, operation: &'static str, kind: Transient, label: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let seen = failures.entry(operation).or_default();
        match seen.iter_mut().find(|s| s.label == label) {
            Some(s) => {
                s.times = s.times.saturating_add(1);
                s.kind = kind;
            }
            None => seen.push(Seen {
                label: label.to_string(),
                kind,
                times: 1,
            }),
        }
    }

    /// "ECR kept throttling X (ThrottlingException, 14 times; HTTP 503, once)": the first few labels
    /// seen for the operation in this run, under the kind seen most often (also returned).
    fn summary(&self, operation: &'static str) -> (Transient, String) {
        const SHOWN: usize = 4;
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let seen = failures
            .get(operation)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let total: u32 = seen.iter().map(|s| s.times).sum();
        let times = |kind| -> u32 {
            seen.iter()
                .filter(|s| s.kind == kind)
                .map(|s| s.times)
                .sum()
        };
        // Ties go to the last: throttling.
        let kind = [
            Transient::Transport,
            Transient::Server,
            Transient::Throttling,
        ]
        .into_iter()
        .max_by_key(|kind| times(*kind))
        .unwrap_or(Transient::Transport);
        let mut parts: Vec<String> = seen
            .iter()
            .take(SHOWN)
            .map(|s| match s.times {
                1 => format!("{}, once", s.label),
                n => format!("{}, {n} times", s.label),
            })
            .collect();
        if seen.len() > SHOWN {
            parts.push(format!("{} other errors", seen.len() - SHOWN));
        }
        let text = format!(
            "{} ({})",
            kind.describe(operation, total > 1),
            parts.join("; ")
        );
        (kind, text)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use aws_sdk_ecr::config::http::HttpResponse;
    use aws_sdk_ecr::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_ecr::operation::describe_image_scan_findings::DescribeImageScanFindingsError;

    use super::*;

    fn throttled() -> EcrError {
        EcrError::Unavailable {
            action: "read scan findings",
            target: "app@sha256:0".into(),
            kind: Transient::Throttling,
            label: "ThrottlingException".into(),
            message: "Rate exceeded".into(),
        }
    }

    fn denied() -> EcrError {
        EcrError::Call {
            action: "read scan findings",
            target: "app@sha256:0".into(),
            code: Some("AccessDeniedException".into()),
            message: "not authorized".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_the_call_succeeds() {
        let deadline = Deadline::new(Instant::now() + Duration::from_secs(60));
        let calls = Cell::new(0);
        let began = Instant::now();
        let answer = deadline
            .retry("BatchGetImage", || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n <= 8 { Err(throttled()) } else { Ok(n) } }
            })
            .await
            .unwrap();
        assert_eq!(answer, 9);
        // Eight delays from the jittered schedule: 0.25 s doubling, capped at 4 s, each in [d, 2d).
        let waited = began.elapsed();
        assert!(
            waited >= Duration::from_millis(250 + 500 + 1000 + 2000 + 4000 * 4),
            "{waited:?}"
        );
        assert!(
            waited < Duration::from_millis(2 * (250 + 500 + 1000 + 2000 + 4000 * 4)),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_that_is_not_transient_returns_at_once() {
        let deadline = Deadline::new(Instant::now() + Duration::from_secs(60));
        let calls = Cell::new(0);
        let began = Instant::now();
        let error = deadline
            .retry("BatchGetImage", || {
                calls.set(calls.get() + 1);
                async { Err::<(), _>(denied()) }
            })
            .await
            .unwrap_err();
        assert!(matches!(error, EcrError::Call { .. }), "{error:?}");
        assert_eq!(calls.get(), 1);
        assert_eq!(began.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_deadline_the_call_is_out_of_time_naming_what_ecr_kept_answering() {
        let deadline = Deadline::new(Instant::now() + Duration::from_secs(30));
        let calls = Cell::new(0);
        let attempts_at = std::cell::RefCell::new(Vec::new());
        let began = Instant::now();
        let error = deadline
            .retry("DescribeImageScanFindings", || {
                calls.set(calls.get() + 1);
                attempts_at.borrow_mut().push(began.elapsed());
                async { Err::<(), _>(throttled()) }
            })
            .await
            .unwrap_err();
        let EcrError::OutOfTime {
            operation,
            kind,
            summary,
            last,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(*operation, "DescribeImageScanFindings");
        assert_eq!(*kind, Transient::Throttling);
        assert_eq!(
            summary,
            &format!(
                "ECR kept throttling DescribeImageScanFindings (ThrottlingException, {} times)",
                calls.get()
            )
        );
        assert!(matches!(**last, EcrError::Unavailable { .. }));
        // The last attempt is made at the deadline, not skipped.
        assert_eq!(
            *attempts_at.borrow().last().unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(began.elapsed(), Duration::from_secs(30));
        assert!(calls.get() >= 7, "{}", calls.get());
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_that_never_answers_is_cut_at_the_deadline() {
        let deadline = Deadline::new(Instant::now() + Duration::from_secs(10));
        let began = Instant::now();
        let error = deadline
            .retry("DescribeImageScanFindings", || async {
                std::future::pending::<Result<(), EcrError>>().await
            })
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "ECR did not answer DescribeImageScanFindings (no answer, once)"
        );
        assert_eq!(began.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_at_the_deadline_still_gets_a_few_seconds() {
        let deadline = Deadline::new(Instant::now());
        let answer = deadline
            .attempt("BatchGetImage", async {
                tokio::time::sleep(LAST_ATTEMPT - Duration::from_millis(1)).await;
                Ok(1)
            })
            .await
            .unwrap();
        assert_eq!(answer, 1);
        let error = deadline
            .attempt("BatchGetImage", async {
                tokio::time::sleep(LAST_ATTEMPT + Duration::from_millis(1)).await;
                Ok(1)
            })
            .await
            .unwrap_err();
        assert!(matches!(error, EcrError::NoAnswer { .. }), "{error:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn counts_cover_the_whole_run_and_every_label() {
        let deadline = Deadline::new(Instant::now() + Duration::from_secs(60));
        let op = "DescribeImageScanFindings";
        assert_eq!(deadline.unavailable(op, &denied()), None);
        assert_eq!(
            deadline.unavailable(op, &throttled()).unwrap(),
            "ECR throttled DescribeImageScanFindings (ThrottlingException, once)"
        );
        deadline.unavailable(op, &throttled());
        let server = EcrError::Unavailable {
            action: "read scan findings",
            target: "app@sha256:0".into(),
            kind: Transient::Server,
            label: "HTTP 503".into(),
            message: "unavailable".into(),
        };
        assert_eq!(
            deadline.unavailable(op, &server).unwrap(),
            "ECR kept throttling DescribeImageScanFindings (ThrottlingException, 2 times; HTTP 503, \
             once)",
            "named after what ECR did most"
        );
        deadline.unavailable(op, &server);
        deadline.unavailable(op, &server);
        assert_eq!(
            deadline.unavailable(op, &server).unwrap(),
            "ECR kept answering DescribeImageScanFindings with server errors (ThrottlingException, \
             2 times; HTTP 503, 4 times)"
        );
        // Other operations keep their own counts.
        assert_eq!(
            deadline
                .unavailable("BatchGetImage", &EcrError::NoAnswer { operation: "x" })
                .unwrap(),
            "ECR did not answer BatchGetImage (no answer, once)"
        );
    }

    #[test]
    fn many_labels_are_summarised() {
        let deadline = Deadline::new(Instant::now());
        for i in 0..10 {
            deadline.record("BatchGetImage", Transient::Server, &format!("Code{i}"));
        }
        let (kind, summary) = deadline.summary("BatchGetImage");
        assert_eq!(kind, Transient::Server);
        assert!(
            summary.ends_with("Code3, once; 6 other errors)"),
            "{summary}"
        );
    }

    fn service(status: u16, code: Option<&str>) -> SdkError<DescribeImageScanFindingsError> {
        let mut meta = ErrorMetadata::builder().message("stub");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        let raw = http::Response::builder()
            .status(status)
            .body("{}".into())
            .unwrap();
        SdkError::service_error(
            DescribeImageScanFindingsError::generic(meta.build()),
            HttpResponse::try_from(raw).unwrap(),
        )
    }

    fn kind(error: &SdkError<DescribeImageScanFindingsError>) -> Option<(Transient, String)> {
        classify(error)
    }

    #[test]
    fn throttling_server_and_transport_failures_are_transient_as_the_sdk_classifies_them() {
        for code in [
            "ThrottlingException",
            "TooManyRequestsException",
            "RequestLimitExceeded",
        ] {
            assert_eq!(
                kind(&service(400, Some(code))),
                Some((Transient::Throttling, code.to_string()))
            );
        }
        assert_eq!(
            kind(&service(500, Some("ServerException"))),
            Some((Transient::Server, "ServerException".into()))
        );
        for status in [500, 502, 503, 504] {
            assert_eq!(
                kind(&service(status, None)),
                Some((Transient::Server, format!("HTTP {status}")))
            );
        }
        assert_eq!(
            kind(&service(408, Some("RequestTimeoutException"))),
            Some((Transient::Transport, "RequestTimeoutException".into()))
        );
        let io = ConnectorError::io(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert_eq!(
            kind(&SdkError::dispatch_failure(io)),
            Some((Transient::Transport, "connection failed".into()))
        );
        let timeout = ConnectorError::timeout("connect timed out".into());
        assert_eq!(
            kind(&SdkError::dispatch_failure(timeout)),
            Some((Transient::Transport, "timed out".into()))
        );
        assert_eq!(
            kind(&SdkError::timeout_error("attempt timed out")),
            Some((Transient::Transport, "timed out".into()))
        );
        let raw = http::Response::builder()
            .status(200)
            .body("{\"imageScanStatus\":".into())
            .unwrap();
        assert_eq!(
            kind(&SdkError::response_error(
                "cut short",
                HttpResponse::try_from(raw).unwrap()
            )),
            Some((Transient::Transport, "unreadable response".into()))
        );
    }

    #[test]
    fn answers_that_stand_are_not_transient() {
        for (status, code) in [
            (400, Some("AccessDeniedException")),
            (400, Some("RepositoryNotFoundException")),
            (400, Some("ImageNotFoundException")),
            (400, Some("InvalidParameterException")),
            (400, Some("ExpiredTokenException")),
            (400, Some("throttlingexception")),
            (403, None),
            (404, None),
            (429, None),
            (501, None),
            (505, None),
        ] {
            assert_eq!(kind(&service(status, code)), None, "{status} {code:?}");
        }
        let user = ConnectorError::user("invalid endpoint".into());
        assert_eq!(kind(&SdkError::dispatch_failure(user)), None);
        assert_eq!(kind(&SdkError::construction_failure("missing field")), None);
    }

    #[test]
    fn a_connector_error_keeps_the_kind_it_was_given() {
        let other = |kind| {
            let error = ConnectorError::other("pool closed".into(), kind);
            kind_of_dispatch(error)
        };
        assert_eq!(
            other(Some(ErrorKind::ThrottlingError)),
            Some(Transient::Throttling)
        );
        assert_eq!(other(Some(ErrorKind::ServerError)), Some(Transient::Server));
        assert_eq!(
            other(Some(ErrorKind::TransientError)),
            Some(Transient::Transport)
        );
        assert_eq!(other(Some(ErrorKind::ClientError)), None);
        assert_eq!(other(None), None);
    }

    fn kind_of_dispatch(error: ConnectorError) -> Option<Transient> {
        kind(&SdkError::dispatch_failure(error)).map(|(kind, label)| {
            assert_eq!(label, "connection failed");
            kind
        })
    }

    #[test]
    fn advice_fits_what_ecr_kept_doing() {
        assert!(Transient::Throttling.advice().contains("raise --timeout"));
        assert!(Transient::Throttling.advice().contains("fewer gates"));
        assert!(Transient::Server.advice().contains("raise --timeout"));
        assert!(
            Transient::Transport
                .advice()
                .contains("AWS_ENDPOINT_URL_ECR")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_retry_is_reported_with_what_failed() {
        let notes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&notes);
        let deadline = Deadline::new(Instant::now() + Duration::from_secs(60))
            .observe(move |retrying| seen.lock().unwrap().push(retrying.to_string()));
        let calls = Cell::new(0);
        deadline
            .retry("BatchGetImage", || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    match n {
                        1 => Err(EcrError::Unavailable {
                            action: "fetch the image manifest",
                            target: "app:v1".into(),
                            kind: Transient::Transport,
                            label: "connection failed".into(),
                            message: "tcp connect error: Connection refused".into(),
                        }),
                        2 => Err(throttled()),
                        _ => Ok(()),
                    }
                }
            })
            .await
            .unwrap();
        let notes = notes.lock().unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].starts_with(
                "ECR did not answer BatchGetImage (connection failed: tcp connect error: \
                 Connection refused); trying again in 0."
            ),
            "{notes:?}"
        );
        assert!(
            notes[1]
                .starts_with("ECR throttled BatchGetImage (ThrottlingException); trying again in "),
            "{notes:?}"
        );
    }

    #[test]
    fn four_labels_are_all_shown() {
        let deadline = Deadline::new(Instant::now());
        for i in 0..4 {
            deadline.record("BatchGetImage", Transient::Server, &format!("Code{i}"));
        }
        let (_, summary) = deadline.summary("BatchGetImage");
        assert!(summary.ends_with("Code3, once)"), "{summary}");
    }

    #[test]
    fn a_deadline_shows_when_it_is() {
        let deadline = Deadline::new(Instant::now());
        assert!(
            format!("{deadline:?}").starts_with("Deadline { at: Instant"),
            "{deadline:?}"
        );
    }

    #[test]
    fn a_hostile_error_code_becomes_a_short_plain_label() {
        let code = format!("Throttl\u{1b}]8;;https://evil\u{7}{}", "x".repeat(500));
        let (kind, label) = kind(&service(503, Some(&code))).unwrap();
        assert_eq!(kind, Transient::Server);
        assert!(label.len() <= MAX_LABEL, "{label}");
        assert!(label.chars().all(|c| c.is_ascii_graphic()), "{label}");
    }

    #[test]
    fn labels_keep_only_what_error_codes_are_made_of() {
        assert_eq!(label("ThrottlingException"), "ThrottlingException");
        assert_eq!(label("\u{1b}[31mEvil\nCode\u{202e}"), "31mEvilCode");
        assert_eq!(label(&"A".repeat(1000)).len(), MAX_LABEL);
    }

    #[test]
    fn retries_are_described_for_the_user() {
        let retrying = Retrying {
            operation: "BatchGetImage",
            kind: Transient::Transport,
            label: "connection failed",
            detail: Some("dispatch failure: io error: Connection refused (os error 111)"),
            delay: Duration::from_millis(1300),
        };
        assert_eq!(
            retrying.to_string(),
            "ECR did not answer BatchGetImage (connection failed: dispatch failure: io error: \
             Connection refused (os error 111)); trying again in 1.3s"
        );
        let throttled = Retrying {
            operation: "StartImageScan",
            kind: Transient::Throttling,
            label: "ThrottlingException",
            detail: None,
            delay: Duration::from_millis(400),
        };
        assert_eq!(
            throttled.to_string(),
            "ECR throttled StartImageScan (ThrottlingException); trying again in 0.4s"
        );
    }
}
