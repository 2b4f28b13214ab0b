//! The live ECR edge: every AWS SDK call the gate makes, its SDK errors as [`EcrError`]s, and the pages
//! of findings joined into one scan result (`sdk` copies them into the wire shapes that saved
//! output is read into). SDK types never leave `client` and `sdk` (the findings pages travel as an
//! opaque [`Page`]).
//!
//! Throttling, server errors and transport failures are "not yet" on every call the gate makes: the
//! calls go through the run's [`Deadline`] ([`super::retry`]), with the SDK's own retries off. Only
//! `doctor`'s permission checks keep the SDK's standard retries. `StartImageScan`'s
//! `LimitExceededException` means "a scan from the last 24 h exists", not throttling.

use crate::error_chain;
use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::{ProvideErrorKind, RetryConfig};
use aws_config::timeout::{TimeoutConfig, TimeoutConfigBuilder};
use aws_sdk_ecr::Client;
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecr::operation::describe_image_scan_findings::{
    DescribeImageScanFindingsError, DescribeImageScanFindingsOutput,
};
use aws_sdk_ecr::operation::start_image_scan::StartImageScanError;
use aws_sdk_ecr::types::ImageIdentifier;
use base64::Engine as _;
use tokio::time::Instant;

use super::convert::{self, SavedScan};
/// Re-exported: every call here fails with it.
pub use super::error::EcrError;
use super::retry::Deadline;
use super::sdk::raw_response;
use super::wire::{RawImageScanFindings, RawResponse};
use crate::findings::{ScanStatus, ScanType};
use crate::scan::identify::ACCEPTED_MEDIA_TYPES;
use crate::scan::lifecycle::Observation;
use crate::scan::plan::{Frequency, RegistryConfig, ScanRule};
use crate::scan::wait::{ScanApi, StartOutcome};

/// The most findings ECR returns per page.
const PAGE_SIZE: i32 = 1000;
/// A guard against a `nextToken` that never ends.
const MAX_PAGES: usize = 10_000;
/// How long one attempt of a call may take before it counts as "no answer" and is tried again.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long calls are retried when no deadline was set ([`Ecr::with_deadline`]).
const DEFAULT_PATIENCE: Duration = Duration::from_secs(60);

const BATCH_GET_IMAGE: &str = "BatchGetImage";
const DESCRIBE_FINDINGS: &str = "DescribeImageScanFindings";
const REGISTRY_SCANNING: &str = "GetRegistryScanningConfiguration";
const START_SCAN: &str = "StartImageScan";

/// Where and as whom to call ECR.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// The registry (account id) to address; `None` for the caller's own.
    pub registry_id: Option<String>,
}

/// An SDK error as an [`EcrError`]: [`EcrError::Unavailable`] when it is "not yet"
/// ([`super::retry::classify`]), else [`EcrError::Call`].
fn call_error<E>(action: &'static str, target: &str, error: SdkError<E>) -> EcrError
where
    E: ProvideErrorMetadata + ProvideErrorKind + std::error::Error + 'static,
{
    let transient = super::retry::classify(&error);
    let (code, message) = match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = ProvideErrorMetadata::code(e).map(str::to_string);
            let message = match (e.message(), &code) {
                (Some(message), _) => message.to_string(),
                (None, Some(_)) => e.to_string(),
                // No error code: not an answer ECR's SDK could read (a proxy's page, broken JSON).
                (None, None) => format!(
                    "an answer that is not ECR's (HTTP {}): {}",
                    service.raw().status().as_u16(),
                    error_chain(e)
                ),
            };
            (code, message)
        }
        other => (None, error_chain(other)),
    };
    match transient {
        Some((kind, label)) => EcrError::Unavailable {
            action,
            target: target.to_string(),
            kind,
            label,
            message,
        },
        None => EcrError::Call {
            action,
            target: target.to_string(),
            code,
            message,
        },
    }
}

/// A manifest fetched with `BatchGetImage`.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub digest: String,
    pub media_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Registry credentials from `GetAuthorizationToken`.
#[derive(Clone)]
pub struct Authorization {
    /// Always `AWS` for ECR.
    pub username: String,
    /// A secret: never print it.
    pub password: String,
    /// `https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`.
    pub proxy_endpoint: String,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("username", &self.username)
            .field("password", &"***")
            .field("proxy_endpoint", &self.proxy_endpoint)
            .finish()
    }
}

/// What `StartImageScan` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// A scan was started.
    Started,
    /// `LimitExceededException`: a scan from the last 24 h exists (the initial scan-on-push counts).
    AlreadyScanned,
    /// The registry does not take manual scans (enhanced scanning: `ValidationException`).
    Refused(String),
    /// ECR cannot scan this image (`UnsupportedImageTypeException`).
    Unscannable(String),
}

/// ECR, for one registry.
#[derive(Debug, Clone)]
pub struct Ecr {
    /// The gate's calls: no SDK retries (the [`Deadline`] retries).
    client: Client,
    /// `doctor`'s permission checks: the SDK's standard retries.
    checks: Client,
    registry_id: Option<String>,
    region: String,
    deadline: Deadline,
}

impl Ecr {
    /// Loads the standard AWS configuration (environment, profile, web identity, `AWS_ENDPOINT_URL_ECR`).
    pub async fn connect(options: &AwsOptions) -> Result<Ecr, EcrError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
            RetryConfig::standard()
                .with_max_attempts(6)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(10)),
        );
        if let Some(region) = &options.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        let config = loader.load().await;
        let region = config.region().ok_or(EcrError::NoRegion)?.to_string();
        // NOTE: the SDK's standard retries give up after a few attempts, and sooner once its retry
        // quota is spent (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html);
        // under ECR's per-operation TPS quotas shared by a whole account
        // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html) throttling can
        // last. The gate's calls are retried by the run's deadline instead, one attempt at a time.
        let configured = config.timeout_config();
        let mut timeouts = configured
            .map(TimeoutConfig::to_builder)
            .unwrap_or_else(TimeoutConfigBuilder::new);
        if configured
            .and_then(TimeoutConfig::operation_attempt_timeout)
            .is_none()
        {
            timeouts = timeouts.operation_attempt_timeout(ATTEMPT_TIMEOUT);
        }
        let gate = aws_sdk_ecr::config::Builder::from(&config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts.build())
            .build();
        Ok(Ecr {
            client: Client::from_conf(gate),
            checks: Client::new(&config),
            registry_id: options.registry_id.clone(),
            region,
            deadline: Deadline::new(Instant::now() + DEFAULT_PATIENCE),
        })
    }

    /// Retries the gate's calls until `deadline` (by default for a minute from connecting).
    pub fn with_deadline(mut self, deadline: Deadline) -> Ecr {
        self.deadline = deadline;
        self
    }

    /// The run's deadline, to retry a call made outside this type.
    pub fn deadline(&self) -> &Deadline {
        &self.deadline
    }

    /// The region calls go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The registry id the gate addresses, if one was named.
    pub fn registry_id(&self) -> Option<&str> {
        self.registry_id.as_deref()
    }

    /// `GetAuthorizationToken`: basic-auth credentials (valid 12 h) for every registry the caller may
    /// reach, and the caller's own registry endpoint, for pushing. The password is a secret: never
    /// print it ([`Authorization`]'s `Debug` redacts it).
    pub async fn authorization(&self) -> Result<Authorization, EcrError> {
        let action = "get a registry authorization token";
        let target = self
            .registry_id
            .clone()
            .unwrap_or_else(|| "the caller's registry".into());
        let output = self
            .client
            .get_authorization_token()
            .send()
            .await
            .map_err(|error| call_error(action, &target, error))?;
        let malformed = |message: &str| EcrError::Call {
            action,
            target: target.clone(),
            code: None,
            message: message.to_string(),
        };
        let data = output
            .authorization_data
            .unwrap_or_default()
            .into_iter()
            .next()
            .ok_or_else(|| malformed("ECR returned no authorization data"))?;
        let token = data
            .authorization_token
            .ok_or_else(|| malformed("ECR returned no token"))?;
        let proxy_endpoint = data
            .proxy_endpoint
            .ok_or_else(|| malformed("ECR returned no registry endpoint (proxyEndpoint)"))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| malformed("the token is not base64 text"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| malformed("the token is not USER:PASSWORD"))?;
        // NOTE: `::add-mask::` masks one line; a password with a line break (or any control character)
        // could be printed half-masked, and belongs in no Authorization header either.
        if password.is_empty() || decoded.chars().any(char::is_control) {
            return Err(malformed(
                "the token holds control characters or no password; refusing to use it",
            ));
        }
        Ok(Authorization {
            username: username.to_string(),
            password: password.to_string(),
            proxy_endpoint,
        })
    }

    /// The registry scanning configuration; `Ok(None)` when the caller may not read it.
    pub async fn registry_config(&self) -> Result<Option<RegistryConfig>, EcrError> {
        let read = || async {
            match self
                .client
                .get_registry_scanning_configuration()
                .send()
                .await
            {
                Ok(output) => Ok(Some(output)),
                Err(SdkError::ServiceError(e))
                    if ProvideErrorMetadata::code(e.err())
                        .is_some_and(|c| c.contains("AccessDenied")) =>
                {
                    Ok(None)
                }
                Err(error) => Err(call_error(
                    "read the registry scanning configuration",
                    "the registry",
                    error,
                )),
            }
        };
        let Some(output) = self.deadline.retry(REGISTRY_SCANNING, read).await? else {
            return Ok(None);
        };
        // NOTE: the configuration is always the caller's own registry's; for another account's
        // registry it says nothing (the plan then infers from ECR's answers).
        if let (Some(wanted), Some(own)) = (&self.registry_id, &output.registry_id)
            && wanted != own
        {
            return Ok(None);
        }
        let Some(configuration) = output.scanning_configuration else {
            return Ok(Some(RegistryConfig::default()));
        };
        let scan_type = match configuration.scan_type.as_ref().map(|t| t.as_str()) {
            Some("ENHANCED") => ScanType::Enhanced,
            _ => ScanType::Basic,
        };
        let rules = configuration
            .rules
            .unwrap_or_default()
            .into_iter()
            .filter_map(|rule| {
                Some(ScanRule {
                    frequency: Frequency::parse(rule.scan_frequency.as_str())?,
                    filters: rule
                        .repository_filters
                        .into_iter()
                        .map(|f| f.filter)
                        .collect(),
                })
            })
            .collect();
        Ok(Some(RegistryConfig { scan_type, rules }))
    }

    /// Fetches the manifest a tag or digest names (`BatchGetImage`, all four manifest media types).
    pub async fn manifest(
        &self,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<Manifest, EcrError> {
        let id = image_identifier(tag, digest);
        let target = target_name(repository, tag, digest);
        let mut request = self
            .client
            .batch_get_image()
            .repository_name(repository)
            .set_registry_id(self.registry_id.clone())
            .image_ids(id);
        for media_type in ACCEPTED_MEDIA_TYPES {
            request = request.accepted_media_types(media_type);
        }
        let fetch = || async {
            request.clone().send().await.map_err(|error| match &error {
                SdkError::ServiceError(e) if e.err().is_repository_not_found_exception() => {
                    EcrError::RepositoryNotFound {
                        repository: repository.to_string(),
                        registry: self
                            .registry_id
                            .clone()
                            .unwrap_or_else(|| "of the caller's account".into()),
                    }
                }
                _ => call_error("fetch the image manifest", &target, error),
            })
        };
        let output = self.deadline.retry(BATCH_GET_IMAGE, fetch).await?;
        let image = output.images.unwrap_or_default().into_iter().next();
        let Some(image) = image else {
            let failure = output.failures.unwrap_or_default().into_iter().next();
            return Err(EcrError::ImageNotFound {
                target,
                detail: failure.and_then(|f| {
                    let code = f.failure_code.map(|c| c.as_str().to_string());
                    match (code, f.failure_reason) {
                        (Some(c), Some(r)) => Some(format!("{c}: {r}")),
                        (c, r) => c.or(r),
                    }
                }),
            });
        };
        let digest = image
            .image_id
            .and_then(|id| id.image_digest)
            .or_else(|| digest.map(str::to_string))
            .ok_or_else(|| EcrError::ImageNotFound {
                target: target.clone(),
                detail: Some("ECR returned the image without a digest".into()),
            })?;
        Ok(Manifest {
            digest,
            media_type: image.image_manifest_media_type,
            bytes: image.image_manifest.unwrap_or_default().into_bytes(),
        })
    }

    /// `StartImageScan`, retried while "not yet". `LimitExceededException` means "a scan from the last
    /// 24 h exists" here, not throttling: it is an answer, never retried.
    pub async fn start_scan(&self, repository: &str, digest: &str) -> Result<Started, EcrError> {
        let target = target_name(repository, None, Some(digest));
        let start = || async {
            let result = self
                .client
                .start_image_scan()
                .repository_name(repository)
                .set_registry_id(self.registry_id.clone())
                .image_id(ImageIdentifier::builder().image_digest(digest).build())
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Started::Started),
                Err(SdkError::ServiceError(e)) => match e.err() {
                    StartImageScanError::LimitExceededException(_) => {
                        return Ok(Started::AlreadyScanned);
                    }
                    StartImageScanError::UnsupportedImageTypeException(u) => {
                        return Ok(Started::Unscannable(
                            u.message().unwrap_or("unsupported image type").to_string(),
                        ));
                    }
                    StartImageScanError::ValidationException(v) => {
                        return Ok(Started::Refused(
                            v.message()
                                .unwrap_or("manual scans are not supported here")
                                .to_string(),
                        ));
                    }
                    _ => SdkError::ServiceError(e),
                },
                Err(other) => other,
            };
            Err(call_error("start an image scan", &target, error))
        };
        self.deadline.retry(START_SCAN, start).await
    }

    /// One page of `DescribeImageScanFindings`, retried while "not yet"; `Ok(None)` for
    /// `ScanNotFoundException`.
    async fn describe(
        &self,
        repository: &str,
        digest: &str,
        token: Option<String>,
    ) -> Result<Option<DescribeImageScanFindingsOutput>, EcrError> {
        let describe = || self.describe_once(repository, digest, token.clone());
        self.deadline.retry(DESCRIBE_FINDINGS, describe).await
    }

    /// One attempt at one page of `DescribeImageScanFindings`; `Ok(None)` for
    /// `ScanNotFoundException`.
    async fn describe_once(
        &self,
        repository: &str,
        digest: &str,
        token: Option<String>,
    ) -> Result<Option<DescribeImageScanFindingsOutput>, EcrError> {
        let result = self
            .client
            .describe_image_scan_findings()
            .repository_name(repository)
            .set_registry_id(self.registry_id.clone())
            .image_id(ImageIdentifier::builder().image_digest(digest).build())
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(output)),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    DescribeImageScanFindingsError::ScanNotFoundException(_)
                ) =>
            {
                Ok(None)
            }
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    DescribeImageScanFindingsError::ImageNotFoundException(_)
                ) =>
            {
                Err(EcrError::ImageNotFound {
                    target: target_name(repository, None, Some(digest)),
                    detail: e.err().message().map(str::to_string),
                })
            }
            Err(error) => Err(call_error(
                "read scan findings",
                &target_name(repository, None, Some(digest)),
                error,
            )),
        }
    }

    /// Reads every page after `first` and converts the whole result. Counts come from the first page
    /// only: `findingSeverityCounts` describes the whole image and repeats on every page.
    pub async fn read_all(
        &self,
        repository: &str,
        digest: &str,
        first: Page,
    ) -> Result<SavedScan, EcrError> {
        let target = target_name(repository, None, Some(digest));
        let mut raw = raw_response(first.0);
        answers_for(&raw, repository, digest, &target)?;
        let mut token = raw.next_token.take();
        let mut pages = 1;
        // Every token seen: one that comes back means the pages go round in a circle.
        let mut seen = std::collections::HashSet::new();
        while let Some(next) = token.filter(|t| !t.is_empty()) {
            pages += 1;
            if pages > MAX_PAGES || !seen.insert(next.clone()) {
                return Err(EcrError::Paging { target });
            }
            let Some(output) = self
                .describe(repository, digest, Some(next.clone()))
                .await?
            else {
                return Err(EcrError::Paging { target });
            };
            let mut page = raw_response(output);
            answers_for(&page, repository, digest, &target)?;
            token = page.next_token.take();
            if token.as_deref() == Some(next.as_str()) {
                return Err(EcrError::Paging { target });
            }
            append(&mut raw, page.image_scan_findings.take());
        }
        convert::scan_result(raw, true).map_err(|error| EcrError::Call {
            action: "read scan findings",
            target,
            code: None,
            message: error.to_string(),
        })
    }

    /// The scan of one image, as the wait loop sees it.
    pub fn scan_of<'a>(
        &'a self,
        repository: &'a str,
        digest: &'a str,
        enhanced_hint: bool,
    ) -> ImageScanApi<'a> {
        ImageScanApi {
            ecr: self,
            repository,
            digest,
            enhanced_hint,
        }
    }
}

/// Refuses a page of findings that names another image or repository than the one asked about: its
/// findings are not this image's, and gating on them would judge the wrong image.
fn answers_for(
    raw: &RawResponse,
    repository: &str,
    digest: &str,
    target: &str,
) -> Result<(), EcrError> {
    let named_digest = raw
        .image_id
        .as_ref()
        .and_then(|id| id.image_digest.as_ref())
        .map(|d| d.0.trim())
        .filter(|d| !d.is_empty());
    let named_repository = raw
        .repository_name
        .as_ref()
        .map(|r| r.0.trim())
        .filter(|r| !r.is_empty());
    let other = match (named_digest, named_repository) {
        (Some(named), _) if named != digest => format!("image {named}"),
        (_, Some(named)) if named != repository => format!("repository {named}"),
        _ => return Ok(()),
    };
    Err(EcrError::Call {
        action: "read scan findings",
        target: target.to_string(),
        code: None,
        message: format!("ECR answered with the findings of {other}, not of the image asked about"),
    })
}

/// What a permission check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The call was allowed (it may still have answered "not found").
    Allowed(String),
    /// The call was denied.
    Denied(String),
    /// The call failed for another reason.
    Failed(String),
}

fn check<T, E>(result: Result<T, SdkError<E>>, ok: impl FnOnce(T) -> String) -> Check
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(value) => Check::Allowed(ok(value)),
        Err(SdkError::ServiceError(e)) => {
            let code = e.err().code().unwrap_or_default().to_string();
            let message = e.err().message().unwrap_or_default().to_string();
            if code.contains("AccessDenied") || code.contains("Unauthorized") {
                Check::Denied(format!("{code}: {message}"))
            } else if code.ends_with("NotFoundException") {
                Check::Allowed(format!("allowed ({code})"))
            } else {
                Check::Failed(format!("{code}: {message}"))
            }
        }
        Err(other) => Check::Failed(error_chain(&other)),
    }
}

/// The permission enhanced scanning needs besides ECR's: `DescribeImageScanFindings` reads the findings
/// from Amazon Inspector as the caller.
pub const INSPECTOR_LIST_FINDINGS: &str = "inspector2:ListFindings";

/// What a `DescribeImageScanFindings` answer says about `inspector2:ListFindings`: denied when ECR passed
/// on Inspector's refusal ("… is not authorized to perform: inspector2:ListFindings …"), allowed when
/// enhanced findings came back (only enhanced scanning answers with an `enhancedFindings` list), unknown
/// otherwise (basic scanning, no scan, another error).
fn inspector_check(
    result: &Result<DescribeImageScanFindingsOutput, SdkError<DescribeImageScanFindingsError>>,
) -> Option<Check> {
    match result {
        Ok(output) => output
            .image_scan_findings
            .as_ref()
            .is_some_and(|f| f.enhanced_findings.is_some())
            .then(|| Check::Allowed("allowed (enhanced findings read)".into())),
        Err(SdkError::ServiceError(e)) => {
            let code = ProvideErrorMetadata::code(e.err()).unwrap_or_default();
            let message = e.err().message().unwrap_or_default();
            (code.contains("AccessDenied") && message.contains(INSPECTOR_LIST_FINDINGS))
                .then(|| Check::Denied(format!("{code}: {message}")))
        }
        Err(_) => None,
    }
}

impl Ecr {
    /// Checks, without side effects, the calls the gate makes for `repository` (and `tag`).
    pub async fn check_permissions(
        &self,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Vec<(&'static str, Check)> {
        let id = image_identifier(tag, digest);
        let mut checks = Vec::new();
        checks.push((
            "ecr:GetRegistryScanningConfiguration",
            check(
                self.checks
                    .get_registry_scanning_configuration()
                    .send()
                    .await,
                |_| "allowed".into(),
            ),
        ));
        checks.push((
            "ecr:BatchGetImage",
            check(
                self.checks
                    .batch_get_image()
                    .repository_name(repository)
                    .set_registry_id(self.registry_id.clone())
                    .image_ids(id.clone())
                    .send()
                    .await,
                |out| match out.images.as_deref().unwrap_or_default().first() {
                    Some(_) => "allowed (image found)".into(),
                    None => "allowed (image not found)".into(),
                },
            ),
        ));
        let findings = self
            .checks
            .describe_image_scan_findings()
            .repository_name(repository)
            .set_registry_id(self.registry_id.clone())
            .image_id(id)
            .max_results(1)
            .send()
            .await;
        let inspector = inspector_check(&findings);
        let ecr_check = match &inspector {
            // ECR allowed the call and asked Inspector, which refused the caller.
            Some(Check::Denied(_)) => Check::Allowed(
                "allowed (ECR asked Amazon Inspector for the findings: see inspector2:ListFindings)"
                    .into(),
            ),
            _ => check(findings, |out| {
                let status = out
                    .image_scan_status
                    .and_then(|s| s.status)
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_else(|| "unknown".into());
                format!("allowed (scan status {status})")
            }),
        };
        checks.push(("ecr:DescribeImageScanFindings", ecr_check));
        if let Some(inspector) = inspector {
            checks.push((INSPECTOR_LIST_FINDINGS, inspector));
        }
        checks.push((
            "ecr:GetAuthorizationToken",
            check(self.checks.get_authorization_token().send().await, |_| {
                "allowed (needed only for --push)".into()
            }),
        ));
        checks
    }
}

/// The image a tag or digest names; the digest wins when both are given.
fn image_identifier(tag: Option<&str>, digest: Option<&str>) -> ImageIdentifier {
    ImageIdentifier::builder()
        .set_image_tag(if digest.is_some() {
            None
        } else {
            tag.map(str::to_string)
        })
        .set_image_digest(digest.map(str::to_string))
        .build()
}

fn target_name(repository: &str, tag: Option<&str>, digest: Option<&str>) -> String {
    match (tag, digest) {
        (_, Some(digest)) => format!("{repository}@{digest}"),
        (Some(tag), None) => format!("{repository}:{tag}"),
        (None, None) => repository.to_string(),
    }
}

/// The first page of findings, kept by the wait loop.
#[derive(Debug)]
pub struct Page(DescribeImageScanFindingsOutput);

/// The wait loop's view of one image's scan.
pub struct ImageScanApi<'a> {
    ecr: &'a Ecr,
    repository: &'a str,
    digest: &'a str,
    enhanced_hint: bool,
}

impl ScanApi for ImageScanApi<'_> {
    type Page = Page;
    type Error = EcrError;

    /// One attempt: a throttled, failed or unanswered poll is [`Observation::Unavailable`], "poll
    /// again later", counted in the run's [`Deadline`].
    async fn poll(&self) -> Result<(Observation, Option<Page>), EcrError> {
        let deadline = &self.ecr.deadline;
        let once = self.ecr.describe_once(self.repository, self.digest, None);
        let output = match deadline.attempt(DESCRIBE_FINDINGS, once).await {
            Ok(Some(output)) => output,
            Ok(None) => return Ok((Observation::ScanNotFound, None)),
            Err(error) => {
                return match deadline.unavailable(DESCRIBE_FINDINGS, &error) {
                    Some(summary) => Ok((Observation::Unavailable(summary), None)),
                    None => Err(error),
                };
            }
        };
        let observation = observe(&output, self.enhanced_hint);
        Ok((observation, Some(Page(output))))
    }

    async fn start(&self) -> Result<StartOutcome, EcrError> {
        Ok(
            match self.ecr.start_scan(self.repository, self.digest).await? {
                Started::Started => StartOutcome::Started,
                Started::AlreadyScanned => StartOutcome::Exists,
                Started::Refused(_) => StartOutcome::Refused,
                Started::Unscannable(reason) => {
                    StartOutcome::Unscannable(format!("ECR cannot scan this image: {reason}"))
                }
            },
        )
    }
}

fn observe(output: &DescribeImageScanFindingsOutput, enhanced_hint: bool) -> Observation {
    let status_text = output
        .image_scan_status
        .as_ref()
        .and_then(|s| s.status.as_ref())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let status = ScanStatus::parse(&status_text);
    let findings = output.image_scan_findings.as_ref();
    let counts = findings
        .and_then(|f| f.finding_severity_counts.as_ref())
        .map(|c| {
            c.iter()
                .map(|(k, v)| (k.as_str().to_string(), (*v).max(0) as u64))
                .collect::<BTreeMap<_, _>>()
        });
    let listed = findings.map_or(0, |f| {
        f.findings.as_ref().map_or(0, Vec::len) + f.enhanced_findings.as_ref().map_or(0, Vec::len)
    });
    let enhanced = enhanced_hint
        || matches!(status, ScanStatus::Active | ScanStatus::Pending)
        // NOTE: only enhanced scanning answers with an `enhancedFindings` list, even an empty one.
        || findings.is_some_and(|f| f.enhanced_findings.is_some());
    Observation::Scan {
        status,
        counts,
        listed,
        has_completion_time: findings.is_some_and(|f| f.image_scan_completed_at.is_some()),
        enhanced,
        description: output
            .image_scan_status
            .as_ref()
            .and_then(|s| s.description.clone())
            .filter(|d| !d.trim().is_empty()),
    }
}

fn append(raw: &mut RawResponse, more: Option<RawImageScanFindings>) {
    let Some(more) = more else { return };
    let Some(all) = raw.image_scan_findings.as_mut() else {
        raw.image_scan_findings = Some(more);
        return;
    };
    if let Some(findings) = more.findings {
        all.findings.get_or_insert_with(Vec::new).extend(findings);
    }
    if let Some(enhanced) = more.enhanced_findings {
        all.enhanced_findings
            .get_or_insert_with(Vec::new)
            .extend(enhanced);
    }
}
