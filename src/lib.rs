//! ecr-scan-gate: turns Amazon ECR image scanning into a CI gate.
//!
//! The flow, and the modules in its order: [`cli`] (what the user typed) → [`app`] (orchestration, the
//! only place that reads the environment) → the edge [`ecr`] (ECR's shapes into the core's) → the core:
//! [`findings`] (one model for basic and enhanced findings) → [`policy`] (decides the verdict, once) →
//! [`report`] (renders the verdict; never changes it).

pub mod app;
pub mod cli;
pub mod ecr;
pub mod findings;
pub mod github;
pub mod image_ref;
pub mod policy;
pub mod registry;
pub mod report;
pub mod scan;
