//! The Amazon ECR edge: converts what ECR says into the core's types.
//!
//! Today that is saved `aws ecr describe-image-scan-findings` output ([`saved`]). Nothing past this
//! module sees ECR's JSON shapes.

pub mod client;
mod convert;
pub mod saved;
