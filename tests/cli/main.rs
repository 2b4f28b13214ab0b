//! The one end-to-end test binary: the real `ecr-scan-gate` against fixtures and local servers.

// The harness unwraps like the tests it serves: a failed setup is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action;
mod baseline;
mod baseline_live;
mod ci_reports;
mod doctor_stub;
mod ecr_stub;
mod evaluate;
mod event_pattern;
mod eventbridge_example;
mod forward_proxy;
mod from_event;
mod moto;
mod proxy;
mod push;
mod push_credentials;
mod readme_workflow;
mod recorder;
mod registry_server;
mod release;
mod scan_moto;
mod scan_stub;
mod support;
mod vex;

/// The one HTTP client (declared by `registry_server`, which the push benchmark includes on its own).
use registry_server::http;
