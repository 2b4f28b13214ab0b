//! Continuous monitoring with Amazon EventBridge: the scan events ECR and Amazon Inspector publish, read
//! into the image they name ([`scan_event`]), and the event patterns that match the scan results a
//! policy fails on ([`pattern`]), wrapped in a ready rule for CloudFormation, Terraform or the AWS CLI
//! ([`rule`]).
//!
//! Pure: the caller passes the event's bytes and the policy; nothing here reads files, the clock or the
//! network. Knows the two event shapes exactly:
//!
//! - `ECR Image Scan` (`source: aws.ecr`, basic scanning): `detail.scan-status` `COMPLETE` or `FAILED`,
//!   `repository-name` the plain name, `finding-severity-counts` listing only the severities that occur
//!   (`CRITICAL` `HIGH` `MEDIUM` `LOW` `INFORMATIONAL` `UNDEFINED`), and absent from events sent before
//!   2021.
//! - `Inspector2 Scan` (`source: aws.inspector2`, enhanced scanning): `scan-status`
//!   `INITIAL_SCAN_COMPLETE`, `repository-name` the repository's ARN, counts of `CRITICAL`, `HIGH`,
//!   `MEDIUM` and `TOTAL` only (low, informational and untriaged findings are in `TOTAL` alone).

pub mod pattern;
pub mod rule;
pub mod scan_event;

/// The basic scanning event: its `source` and `detail-type`.
pub const BASIC_SOURCE: &str = "aws.ecr";
pub const BASIC_DETAIL_TYPE: &str = "ECR Image Scan";
/// The enhanced scanning event: its `source` and `detail-type`.
pub const ENHANCED_SOURCE: &str = "aws.inspector2";
pub const ENHANCED_DETAIL_TYPE: &str = "Inspector2 Scan";
/// The `scan-status` of a completed scan in each event.
pub const BASIC_COMPLETE: &str = "COMPLETE";
pub const ENHANCED_COMPLETE: &str = "INITIAL_SCAN_COMPLETE";
