//! ecr-scan-gate: turns Amazon ECR image scanning into a CI gate.
//!
//! The flow, and the modules in its order: [`cli`] (what the user typed) → [`app`] (orchestration, the
//! only place that reads the environment) → the edge [`ecr`] (ECR's shapes into the core's) → the core:
//! [`findings`] (one model for basic and enhanced findings) → [`policy`] (decides the verdict, once) →
//! [`run`] (how the run ended, as one typed value: the exit code and every report read it) → [`report`]
//! (renders it; never changes it). [`vex`] reads OpenVEX documents and says which statement governs a
//! finding, for the policy. [`scan`] holds the pure scan planning and waiting logic, [`registry`]
//! the push, [`github`] the Action's edge, [`events`] the EventBridge scan events and the event patterns
//! of a policy (continuous monitoring).
//!
//! The `network` feature (on by default) brings the edges that talk to AWS, registries and GitHub:
//! `app`, `ecr::client`, `ecr::retry`, `registry`, `github`, `scan::wait` and the binary. Without it
//! the library is the offline core, which is what the fuzz targets build.

#![forbid(unsafe_code)]

#[cfg(feature = "network")]
pub mod app;
pub mod baseline;
pub mod cli;
pub mod digest;
pub mod ecr;
pub mod events;
pub mod findings;
#[cfg(feature = "network")]
pub mod github;
pub mod image_ref;
pub mod policy;
#[cfg(feature = "network")]
pub mod registry;
pub mod report;
pub mod run;
pub mod scan;
pub mod vex;

/// An error and its causes on one line: `error: cause: cause of the cause`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
