//! What a push source is read into: an [`Image`] of [`Manifest`]s (read whole, checked against their
//! digests) and [`Blob`]s (only located, as a byte range of a file: [`Location`]). Must not read a
//! blob's bytes: they are hashed later, only when the registry lacks them.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io;
use std::path::PathBuf;

use super::contained;
use super::error::Problem;
use crate::digest::Digest;

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker image manifest (schema 2).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A byte range of a file on disk that holds a blob: a layout's `blobs/sha256/<hex>` file, or a
/// member of a tar archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, for messages: the archive, or the file inside the directory.
    pub file: PathBuf,
    pub offset: u64,
    pub len: u64,
    /// For a file of a directory source: the directory and the file's path in it, opened again on
    /// every [`Location::open`] without following links.
    pub(super) within: Option<(PathBuf, String)>,
}

impl Location {
    /// Opens the file that holds the range (positioned at its start, not at `offset`). A file of a
    /// directory source is opened as `contained` does, so a link put there since it was located is
    /// refused.
    pub fn open(&self) -> io::Result<File> {
        let Some((root, relative)) = &self.within else {
            return File::open(&self.file);
        };
        contained::open(root, relative).map_err(|refusal| match refusal {
            contained::Refusal::Io(error) => error,
            contained::Refusal::NotFound => {
                io::Error::new(io::ErrorKind::NotFound, "the file is gone")
            }
            contained::Refusal::Link { entry } => io::Error::other(format!(
                "{entry} became a symbolic link, which is not followed"
            )),
            contained::Refusal::NotRegular { entry } => {
                io::Error::other(format!("{entry} is no longer a regular file"))
            }
        })
    }
}

/// A blob (config or layer) that a manifest references.
#[derive(Debug, Clone)]
pub struct Blob {
    pub digest: Digest,
    /// The size the manifest declares.
    pub size: u64,
    pub media_type: String,
    /// What it is, for messages: `layer 2 of sha256:… (linux/arm64)`.
    pub role: String,
    /// Where its bytes are; `None` when the source does not hold it (the registry may).
    pub location: Option<Location>,
}

/// A manifest to push, with its exact bytes (its digest is their sha256).
#[derive(Debug, Clone)]
pub struct Manifest {
    pub digest: Digest,
    pub media_type: String,
    pub bytes: Vec<u8>,
    /// `os/arch[/variant]` when an index names it.
    pub platform: Option<String>,
}

/// What kind of source was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// An OCI image layout directory.
    LayoutDir,
    /// A tar of an OCI image layout.
    LayoutArchive,
    /// A legacy `docker save` archive (or such an archive extracted into a directory).
    DockerArchive,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::LayoutDir => "OCI image layout",
            SourceKind::LayoutArchive => "OCI image layout archive",
            SourceKind::DockerArchive => "docker save archive",
        })
    }
}

/// An image read from a source.
#[derive(Debug, Clone)]
pub struct Image {
    pub kind: SourceKind,
    /// Every manifest, children before the index that lists them; the last one is the image itself.
    pub manifests: Vec<Manifest>,
    /// Every blob the manifests reference, once each, in the order first referenced.
    pub blobs: Vec<Blob>,
}

impl Image {
    /// The manifest the tag points at (the index, or the single image manifest).
    pub fn top(&self) -> &Manifest {
        // `open` never returns an image without manifests.
        &self.manifests[self.manifests.len() - 1]
    }
}

/// Checks a manifest's bytes against its descriptor; collects what is wrong.
pub(super) fn check_manifest(
    what: &str,
    digest: &Digest,
    declared_size: Option<u64>,
    bytes: &[u8],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(declared) = declared_size
        && declared != bytes.len() as u64
    {
        problems.push(Problem::Size {
            what: what.to_string(),
            digest: digest.clone(),
            declared,
            found: bytes.len() as u64,
        });
    }
    let found = Digest::of(bytes);
    if &found != digest {
        problems.push(Problem::Digest {
            what: what.to_string(),
            declared: digest.clone(),
            found,
        });
    }
    problems
}

/// Blobs in first-referenced order, once each.
#[derive(Default)]
pub(super) struct Blobs {
    seen: HashSet<Digest>,
    pub(super) list: Vec<Blob>,
}

impl Blobs {
    pub(super) fn add(&mut self, blob: Blob) {
        if self.seen.insert(blob.digest.clone()) {
            self.list.push(blob);
        }
    }
}
