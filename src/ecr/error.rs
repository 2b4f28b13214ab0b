//! What went wrong with an ECR call ([`EcrError`]), and the kinds of "not yet" ([`Transient`]): the
//! failures the run's deadline retries. `client` builds these errors from the SDK's, `retry` decides
//! which SDK errors are "not yet" and what to do when ECR keeps answering so. Must not call AWS, retry
//! or print.

/// An ECR call that failed.
#[derive(Debug, thiserror::Error)]
pub enum EcrError {
    #[error(
        "no AWS region configured: set AWS_REGION, pass --region, or name the image by its full ECR URI"
    )]
    NoRegion,
    #[error("couldn't {action} for {target}: {message}")]
    Call {
        action: &'static str,
        target: String,
        /// The AWS error code, when the service sent one (`AccessDeniedException`, …).
        code: Option<String>,
        message: String,
    },
    #[error("image {target} not found in ECR{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    ImageNotFound {
        target: String,
        detail: Option<String>,
    },
    #[error("repository {repository} not found in registry {registry}")]
    RepositoryNotFound {
        repository: String,
        registry: String,
    },
    #[error("ECR returned a page of findings for {target} that does not follow the previous one")]
    Paging { target: String },
    /// Throttling, a server error or a transport failure: "not yet" (retried by the run's deadline).
    #[error("couldn't {action} for {target}: {message}")]
    Unavailable {
        action: &'static str,
        target: String,
        kind: Transient,
        /// What ECR said: its error code, `HTTP 503`, `connection failed`.
        label: String,
        message: String,
    },
    /// An attempt that got no answer before the deadline.
    #[error("no answer from ECR to {operation} before the deadline")]
    NoAnswer { operation: &'static str },
    /// Still "not yet" at the run's deadline: no verdict (exit 3).
    #[error("{summary}")]
    OutOfTime {
        operation: &'static str,
        /// What ECR did most.
        kind: Transient,
        /// "ECR kept throttling DescribeImageScanFindings (ThrottlingException, 14 times)".
        summary: String,
        #[source]
        last: Box<EcrError>,
    },
}

impl EcrError {
    /// `Some((kind, label))` when the failure is "not yet": throttling, a server error, a transport
    /// failure.
    pub fn transient(&self) -> Option<(Transient, String)> {
        match self {
            EcrError::Unavailable { kind, label, .. } => Some((*kind, label.clone())),
            EcrError::NoAnswer { .. } => Some((Transient::Transport, "no answer".into())),
            _ => None,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            EcrError::OutOfTime { kind, .. } | EcrError::Unavailable { kind, .. } => {
                Some(kind.advice())
            }
            EcrError::NoAnswer { .. } => Some(Transient::Transport.advice()),
            EcrError::Call {
                code: Some(code),
                message,
                ..
            } if code.contains("AccessDenied") && message.contains("inspector2:ListFindings") => {
                Some(
                    "under enhanced scanning ECR reads the findings from Amazon Inspector as the caller: \
                 allow inspector2:ListFindings too (README, \"AWS: the role the job assumes\")",
                )
            }
            EcrError::Call {
                code: Some(code), ..
            } if code.contains("AccessDenied") => Some(
                "the gate needs ecr:BatchGetImage, ecr:DescribeImageScanFindings, ecr:StartImageScan and \
                 (optionally) ecr:GetRegistryScanningConfiguration; `ecr-scan-gate doctor` checks them",
            ),
            EcrError::Call {
                code: Some(code), ..
            } if code.contains("Token")
                || code.contains("Signature")
                || code.contains("Credentials") =>
            {
                Some(
                    "check the AWS credentials (environment, profile, or OIDC role) the gate runs with",
                )
            }
            EcrError::Call { code: None, .. } => Some(
                "no usable answer from ECR: check the network, the region, and AWS_ENDPOINT_URL_ECR if set",
            ),
            _ => None,
        }
    }
}

/// What kind of "not yet" a failed call was (the SDK's `ErrorKind`, without client errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// ECR throttled the call (`ThrottlingException`, …): the account's quota for the operation is
    /// spent for now.
    Throttling,
    /// A server error (HTTP 500, 502, 503, 504).
    Server,
    /// No usable answer: the connection failed or dropped, the call timed out, the response was cut.
    Transport,
}

impl Transient {
    /// "ECR throttled DescribeImageScanFindings" (once) or "ECR kept throttling …" (again and again).
    pub(super) fn describe(self, operation: &str, kept: bool) -> String {
        match (self, kept) {
            (Transient::Throttling, false) => format!("ECR throttled {operation}"),
            (Transient::Throttling, true) => format!("ECR kept throttling {operation}"),
            (Transient::Server, false) => format!("ECR answered {operation} with a server error"),
            (Transient::Server, true) => {
                format!("ECR kept answering {operation} with server errors")
            }
            (Transient::Transport, false) => format!("ECR did not answer {operation}"),
            (Transient::Transport, true) => format!("ECR kept failing to answer {operation}"),
        }
    }

    /// What the user can do when it lasts until the deadline.
    pub fn advice(self) -> &'static str {
        match self {
            Transient::Throttling => {
                "raise --timeout, or run fewer gates at once in this account and region (ECR's API \
                 quotas are per account, region and operation)"
            }
            Transient::Server => "raise --timeout, or try again later",
            Transient::Transport => {
                "check the network, the region, and AWS_ENDPOINT_URL_ECR if set, or raise --timeout"
            }
        }
    }
}
