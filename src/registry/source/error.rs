//! Why a push source could not be read ([`SourceError`]), and what is wrong with its content
//! ([`Problem`]). Must not read anything.

use std::fmt;
use std::io;

use crate::digest::{Digest, DigestError};

/// One thing wrong with a source's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Referenced, but neither in the source nor in the registry.
    Missing { what: String, digest: Digest },
    /// Its size is not the one its descriptor declares.
    Size {
        what: String,
        digest: Digest,
        declared: u64,
        found: u64,
    },
    /// Its content does not hash to its digest.
    Digest {
        what: String,
        declared: Digest,
        found: Digest,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing { what, digest } => write!(f, "{what} ({digest}) is missing"),
            Problem::Size {
                what,
                digest,
                declared,
                found,
            } => write!(
                f,
                "{what} ({digest}) is {found} bytes, not the {declared} its descriptor declares"
            ),
            Problem::Digest {
                what,
                declared,
                found,
            } => write!(
                f,
                "{what} does not match its digest: declared {declared}, content hashes to {found}"
            ),
        }
    }
}

/// Why a source could not be read, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("couldn't open the push source {path}")]
    Open {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "the push source {path} is a {format}-compressed file; decompress it first (the gate reads \
         blobs in place from an uncompressed tar)"
    )]
    Compressed { path: String, format: &'static str },
    #[error(
        "the push source {path} is neither an OCI image layout (no index.json) nor a docker save \
         archive (no manifest.json)"
    )]
    NotAnImage { path: String },
    #[error("couldn't read the tar archive {path}")]
    Tar {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("the tar archive {path} holds {what} as a sparse file, which cannot be read in place")]
    Sparse { path: String, what: String },
    #[error(
        "{what} in the push source {path} is reached through the symbolic link {entry}; links in a \
         source directory are not followed, so that nothing outside it is read: put the file itself \
         there"
    )]
    Link {
        path: String,
        what: String,
        /// The link's path inside the source.
        entry: String,
    },
    #[error("{what} in the push source {path} is not a regular file ({entry})")]
    NotAFile {
        path: String,
        what: String,
        entry: String,
    },
    #[error("{what} in {path} is named `{name}`, a path that leaves the push source")]
    Outside {
        path: String,
        what: String,
        name: String,
    },
    #[error("couldn't read {what} in {path}")]
    Read {
        path: String,
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("{what} in {path} is larger than {limit} bytes")]
    TooLarge {
        path: String,
        what: String,
        limit: u64,
    },
    #[error("{what} in {path} is not JSON of the expected shape")]
    Malformed {
        path: String,
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{what} in {path} is invalid: {problem}")]
    Invalid {
        path: String,
        what: String,
        problem: String,
    },
    #[error("{what} in {path} has a bad digest")]
    BadDigest {
        path: String,
        what: String,
        #[source]
        source: DigestError,
    },
    #[error("{what} in {path} has media type {media_type}, which the gate cannot push")]
    Unsupported {
        path: String,
        what: String,
        media_type: String,
    },
    #[error(
        "the push source {path} holds {count} images ({names}); make IMAGE's tag name one of them"
    )]
    Ambiguous {
        path: String,
        count: usize,
        names: String,
    },
    #[error(
        "the push source {path} is corrupt, nothing was pushed: {}",
        list(problems)
    )]
    Corrupt {
        path: String,
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
