//! ECR scan statuses and what each means for the gate (the table in `ecr.md`).

use std::fmt;

/// A scan status as ECR reports it (`imageScanStatus.status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanStatus {
    /// Basic scan finished.
    Complete,
    /// Enhanced continuous scanning is on; never becomes `COMPLETE`.
    Active,
    /// Basic scan running.
    InProgress,
    /// Enhanced scan queued.
    Pending,
    Failed,
    UnsupportedImage,
    ScanEligibilityExpired,
    FindingsUnavailable,
    LimitExceeded,
    ImageArchived,
    ImageSizeExceeded,
    /// A value newer than this code: never a pass.
    Unknown(String),
}

/// What the gate does with a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// Findings can be read and judged.
    Final,
    /// The scan is still running or queued: poll again.
    Running,
    /// The scan cannot produce findings: no verdict (exit 3).
    Unusable,
}

impl ScanStatus {
    pub fn parse(text: &str) -> ScanStatus {
        match text.trim() {
            "COMPLETE" => ScanStatus::Complete,
            "ACTIVE" => ScanStatus::Active,
            "IN_PROGRESS" => ScanStatus::InProgress,
            "PENDING" => ScanStatus::Pending,
            "FAILED" => ScanStatus::Failed,
            "UNSUPPORTED_IMAGE" => ScanStatus::UnsupportedImage,
            "SCAN_ELIGIBILITY_EXPIRED" => ScanStatus::ScanEligibilityExpired,
            "FINDINGS_UNAVAILABLE" => ScanStatus::FindingsUnavailable,
            "LIMIT_EXCEEDED" => ScanStatus::LimitExceeded,
            "IMAGE_ARCHIVED" => ScanStatus::ImageArchived,
            "IMAGE_SIZE_EXCEEDED" => ScanStatus::ImageSizeExceeded,
            other => ScanStatus::Unknown(other.to_string()),
        }
    }

    pub fn class(&self) -> StatusClass {
        match self {
            ScanStatus::Complete | ScanStatus::Active => StatusClass::Final,
            ScanStatus::InProgress | ScanStatus::Pending => StatusClass::Running,
            _ => StatusClass::Unusable,
        }
    }

    /// Why a status gives no verdict, and what to do about it.
    pub fn explain(&self) -> &'static str {
        match self {
            ScanStatus::Complete | ScanStatus::Active => "the scan finished",
            ScanStatus::InProgress => "the basic scan is still running",
            ScanStatus::Pending => "the enhanced scan is queued and has not started",
            ScanStatus::Failed => "the scan failed",
            ScanStatus::UnsupportedImage => {
                "the image's operating system or media type cannot be scanned (e.g. a scratch image)"
            }
            ScanStatus::ScanEligibilityExpired => {
                "the image is older than Amazon Inspector's re-scan window; push it again or raise the \
                 re-scan duration in Inspector's ECR settings"
            }
            ScanStatus::FindingsUnavailable => "Amazon Inspector has no findings for this image",
            ScanStatus::LimitExceeded => "a scanning quota was exceeded",
            ScanStatus::ImageArchived => "the image is archived and is not scanned",
            ScanStatus::ImageSizeExceeded => "the image is too large to be scanned",
            ScanStatus::Unknown(_) => {
                "this status is unknown to this version of ecr-scan-gate, so it cannot count as a pass"
            }
        }
    }
}

impl fmt::Display for ScanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ScanStatus::Complete => "COMPLETE",
            ScanStatus::Active => "ACTIVE",
            ScanStatus::InProgress => "IN_PROGRESS",
            ScanStatus::Pending => "PENDING",
            ScanStatus::Failed => "FAILED",
            ScanStatus::UnsupportedImage => "UNSUPPORTED_IMAGE",
            ScanStatus::ScanEligibilityExpired => "SCAN_ELIGIBILITY_EXPIRED",
            ScanStatus::FindingsUnavailable => "FINDINGS_UNAVAILABLE",
            ScanStatus::LimitExceeded => "LIMIT_EXCEEDED",
            ScanStatus::ImageArchived => "IMAGE_ARCHIVED",
            ScanStatus::ImageSizeExceeded => "IMAGE_SIZE_EXCEEDED",
            ScanStatus::Unknown(text) => text,
        };
        f.write_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_round_trips_and_unknown_is_unusable() {
        for text in [
            "COMPLETE",
            "ACTIVE",
            "IN_PROGRESS",
            "PENDING",
            "FAILED",
            "UNSUPPORTED_IMAGE",
            "SCAN_ELIGIBILITY_EXPIRED",
            "FINDINGS_UNAVAILABLE",
            "LIMIT_EXCEEDED",
            "IMAGE_ARCHIVED",
            "IMAGE_SIZE_EXCEEDED",
        ] {
            assert_eq!(ScanStatus::parse(text).to_string(), text);
        }
        assert_eq!(
            ScanStatus::parse("QUANTUM_SCANNING").class(),
            StatusClass::Unusable
        );
        assert_eq!(ScanStatus::parse("").class(), StatusClass::Unusable);
    }
}
