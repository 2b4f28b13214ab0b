//! Live scanning, independent of the AWS SDK: which images a reference names ([`identify`]), what ECR
//! will do with them ([`plan`]), and the wait for a usable result ([`lifecycle`] decides, [`wait`]
//! loops). The SDK calls live in [`crate::ecr`].

pub mod identify;
pub mod lifecycle;
pub mod plan;
#[cfg(feature = "network")]
pub mod wait;
