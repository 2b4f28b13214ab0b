//! The one end-to-end test binary: the real `ecr-scan-gate` against fixtures and local servers.

mod evaluate;
mod support;
