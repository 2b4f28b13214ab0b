//! The Amazon ECR edge: converts what ECR says into the core's types.
//!
//! Saved `aws ecr describe-image-scan-findings` output ([`saved`]) and the live API ([`client`], whose
//! calls treat throttling, server errors and transport failures as "not yet": [`retry`]). Nothing past
//! this module sees ECR's JSON shapes.

#[cfg(feature = "network")]
pub mod client;
mod convert;
#[cfg(feature = "network")]
pub mod retry;
pub mod saved;
