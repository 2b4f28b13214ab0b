//! The Amazon ECR edge: converts what ECR says into the core's types.
//!
//! Two ways in, one way through. Saved `aws ecr describe-image-scan-findings` output is read from bytes
//! ([`saved`]); the live API is called by [`client`] (failing with an [`error::EcrError`]), whose calls
//! treat throttling, server errors and transport failures as "not yet" ([`retry`]), and whose answers
//! `sdk` copies out of the SDK's types. Both ways end in the same wire shapes (`wire`), which one
//! converter (`convert`) turns into an [`ImageScan`](crate::findings::ImageScan) or a refusal. Nothing
//! past this module sees ECR's JSON shapes or SDK types.
//!
//! Where a change goes:
//! - a field ECR sends that the gate should read: `wire` (the serde mirror), `sdk` (the same field
//!   from the SDK), then `convert`;
//! - how a field becomes a finding, a severity, a score, or when a result is unusable: `convert`;
//! - reading a saved file (encodings, JSON errors): [`saved`];
//! - a new ECR call, or what an SDK error means: [`client`]; its error and hint: [`error`];
//! - which failures are "not yet", and how long the gate keeps trying: [`retry`].

#[cfg(feature = "network")]
pub mod client;
mod convert;
#[cfg(feature = "network")]
pub mod error;
#[cfg(feature = "network")]
pub mod retry;
pub mod saved;
#[cfg(feature = "network")]
mod sdk;
mod wire;
