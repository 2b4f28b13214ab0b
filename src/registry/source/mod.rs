//! Push sources: an OCI image layout directory, a tar of one (buildx `--output type=oci`, `docker
//! save` of Docker ≥ 25) or a legacy `docker save` archive (`manifest.json` + layer tars), read into
//! one [`Image`]: the manifests to push (children before the index that lists them) and the blobs they
//! reference, each located as a byte range of a file on disk.
//!
//! Manifests are small and read whole; their digests and sizes are checked here. Blobs are never read
//! here: they are hashed later, only when the registry lacks them ([`super::push`]). Nothing is
//! extracted to disk and no network is touched.
//!
//! A source never reads outside itself. A tar archive is a closed world (its links resolve to its own
//! members). A directory's files are opened by [`contained`], which follows no symbolic link below the
//! directory — not even one that points back inside: such a file is refused with a message that names
//! the link and nothing about its target. Paths that manifests name (`manifest.json`'s config and
//! layers) must stay inside too: `..` that would leave the source is refused, and a leading `/` means
//! the source's root.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::digest::{Digest, DigestError};

mod archive;
mod contained;
mod layout;
mod legacy;

use archive::Archive;

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker image manifest (schema 2).
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The largest manifest (or `index.json`, `manifest.json`) read: the size registries must accept at
/// least, per the OCI distribution spec.
const MAX_MANIFEST: u64 = 4 << 20;

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
    within: Option<(PathBuf, String)>,
}

impl Location {
    /// Opens the file that holds the range (positioned at its start, not at `offset`). A file of a
    /// directory source is opened as [`contained`] does, so a link put there since it was located is
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

/// Opens a source and reads its manifests. `tag` (the destination tag) picks one image when the
/// source holds several named ones.
pub fn open(path: &Path, tag: Option<&str>) -> Result<Image, SourceError> {
    let name = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|source| SourceError::Open {
        path: name.clone(),
        source,
    })?;
    let store = if metadata.is_dir() {
        Store::Dir(path.to_path_buf())
    } else {
        refuse_compressed(path)?;
        Store::Archive(Archive::index(path)?)
    };
    let image = if store.exists("index.json")? {
        let kind = match store {
            Store::Dir(_) => SourceKind::LayoutDir,
            Store::Archive(_) => SourceKind::LayoutArchive,
        };
        let (manifests, blobs) = layout::read(&store, tag)?;
        Image {
            kind,
            manifests,
            blobs,
        }
    } else if store.exists("manifest.json")? {
        let (manifest, blobs) = legacy::read(&store, tag)?;
        Image {
            kind: SourceKind::DockerArchive,
            manifests: vec![manifest],
            blobs,
        }
    } else {
        return Err(SourceError::NotAnImage { path: name });
    };
    Ok(image)
}

fn refuse_compressed(path: &Path) -> Result<(), SourceError> {
    let mut magic = [0u8; 6];
    let mut file = File::open(path).map_err(|source| SourceError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let n = read_up_to(&mut file, &mut magic).map_err(|source| SourceError::Open {
        path: path.display().to_string(),
        source,
    })?;
    let magic = &magic[..n];
    let format = if magic.starts_with(&[0x1f, 0x8b]) {
        "gzip"
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd"
    } else if magic.starts_with(b"BZh") {
        "bzip2"
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        "xz"
    } else {
        return Ok(());
    };
    Err(SourceError::Compressed {
        path: path.display().to_string(),
        format,
    })
}

fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Where a source's files are: a directory, or members of a tar archive.
enum Store {
    Dir(PathBuf),
    Archive(Archive),
}

impl Store {
    /// The source's path, for messages.
    fn name(&self) -> String {
        match self {
            Store::Dir(dir) => dir.display().to_string(),
            Store::Archive(archive) => archive.path().display().to_string(),
        }
    }

    /// Whether the source holds a file by that path (a link there is an error, not a no).
    fn exists(&self, relative: &str) -> Result<bool, SourceError> {
        Ok(self.locate(relative, relative)?.is_some())
    }

    /// The byte range of a file of the source, `None` when it has none by that path. `relative`
    /// uses `/`; `..` may not leave the source.
    fn locate(&self, relative: &str, what: &str) -> Result<Option<Location>, SourceError> {
        let Some(normal) = normalize(relative) else {
            return Err(SourceError::Outside {
                path: self.name(),
                what: what.to_string(),
                name: relative.to_string(),
            });
        };
        match self {
            Store::Dir(dir) => {
                let read_error = |source| SourceError::Read {
                    path: self.name(),
                    what: what.to_string(),
                    source,
                };
                let file = match contained::open(dir, &normal) {
                    Ok(file) => file,
                    Err(contained::Refusal::NotFound) => return Ok(None),
                    Err(contained::Refusal::Link { entry }) => {
                        return Err(SourceError::Link {
                            path: self.name(),
                            what: what.to_string(),
                            entry,
                        });
                    }
                    Err(contained::Refusal::NotRegular { entry }) => {
                        return Err(SourceError::NotAFile {
                            path: self.name(),
                            what: what.to_string(),
                            entry,
                        });
                    }
                    Err(contained::Refusal::Io(error)) => return Err(read_error(error)),
                };
                let len = file.metadata().map_err(read_error)?.len();
                Ok(Some(Location {
                    file: dir.join(&normal),
                    offset: 0,
                    len,
                    within: Some((dir.clone(), normal)),
                }))
            }
            Store::Archive(archive) => archive.locate(&normal, what),
        }
    }

    /// A small file of the source, whole; `None` when absent.
    fn read(
        &self,
        relative: &str,
        what: &str,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, Location)>, SourceError> {
        let Some(location) = self.locate(relative, what)? else {
            return Ok(None);
        };
        if location.len > limit {
            return Err(SourceError::TooLarge {
                path: self.name(),
                what: what.to_string(),
                limit,
            });
        }
        let read_error = |source| SourceError::Read {
            path: self.name(),
            what: what.to_string(),
            source,
        };
        let mut file = location.open().map_err(read_error)?;
        file.seek(SeekFrom::Start(location.offset))
            .map_err(read_error)?;
        let mut bytes = Vec::with_capacity(usize::try_from(location.len).unwrap_or(0));
        file.take(location.len)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if (bytes.len() as u64) < location.len {
            return Err(read_error(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file ends early",
            )));
        }
        Ok(Some((bytes, location)))
    }
}

/// `a/./b//c/../d` → `a/b/d`; `None` when `..` would leave the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// The layout path of a blob.
fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// Checks a manifest's bytes against its descriptor; collects what is wrong.
fn check_manifest(
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
struct Blobs {
    seen: HashSet<Digest>,
    list: Vec<Blob>,
}

impl Blobs {
    fn add(&mut self, blob: Blob) {
        if self.seen.insert(blob.digest.clone()) {
            self.list.push(blob);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_paths_inside_the_root() {
        assert_eq!(normalize("./a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(normalize("a/../b").as_deref(), Some("b"));
        assert_eq!(normalize("/index.json").as_deref(), Some("index.json"));
        assert_eq!(normalize("../etc/passwd"), None);
    }

    #[test]
    fn compressed_archives_are_refused_with_the_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.tar.gz");
        std::fs::write(&path, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]).unwrap();
        let error = open(&path, None).unwrap_err();
        assert!(
            matches!(error, SourceError::Compressed { format: "gzip", .. }),
            "{error}"
        );
    }

    #[test]
    fn a_directory_without_index_or_manifest_is_not_an_image() {
        let dir = tempfile::tempdir().unwrap();
        let error = open(dir.path(), None).unwrap_err();
        assert!(matches!(error, SourceError::NotAnImage { .. }), "{error}");
    }

    /// Directory sources whose files reach outside through links (unix: the tests make links).
    #[cfg(unix)]
    mod outside {
        use std::os::unix::fs::symlink;

        use serde_json::{Value, json};

        use super::*;

        /// A one-layer OCI layout in a fresh directory; its layer's digest.
        fn layout() -> (tempfile::TempDir, Digest) {
            let dir = tempfile::tempdir().unwrap();
            let blob = |bytes: &[u8]| {
                let digest = Digest::of(bytes);
                std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
                std::fs::write(dir.path().join(blob_path(&digest)), bytes).unwrap();
                json!({ "digest": digest.as_str(), "size": bytes.len() })
            };
            let config = blob(br#"{"architecture":"amd64","os":"linux"}"#);
            let layer = blob(b"layer bytes");
            let manifest = json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config["digest"], "size": config["size"] },
                "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer["digest"], "size": layer["size"] }],
            });
            let mut top = blob(manifest.to_string().as_bytes());
            top["mediaType"] = json!(OCI_MANIFEST);
            let index = json!({ "schemaVersion": 2, "manifests": [top] });
            std::fs::write(dir.path().join("index.json"), index.to_string()).unwrap();
            std::fs::write(
                dir.path().join("oci-layout"),
                r#"{"imageLayoutVersion":"1.0.0"}"#,
            )
            .unwrap();
            let digest = Digest::parse(layer["digest"].as_str().unwrap()).unwrap();
            (dir, digest)
        }

        /// A file elsewhere, with content that is not the layer's.
        fn secret() -> (tempfile::TempDir, PathBuf, Digest) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("credentials");
            let bytes = b"[default]\naws_secret_access_key = not-for-the-registry\n";
            std::fs::write(&path, bytes).unwrap();
            (dir, path, Digest::of(bytes))
        }

        #[track_caller]
        fn refused_link(error: SourceError, entry: &str, secret: &Digest) {
            let message = error.to_string();
            assert!(
                matches!(&error, SourceError::Link { entry: found, .. } if found == entry),
                "{message}"
            );
            assert!(message.contains("symbolic link"), "{message}");
            assert!(!message.contains(secret.hex()), "{message}");
            assert!(!message.contains("credentials"), "{message}");
        }

        #[test]
        fn a_layout_blob_linked_outside_is_refused_without_its_hash() {
            let (dir, layer) = layout();
            let (_elsewhere, secret_path, secret) = secret();
            let blob = dir.path().join(blob_path(&layer));
            std::fs::remove_file(&blob).unwrap();
            symlink(&secret_path, &blob).unwrap();
            let error = open(dir.path(), None).unwrap_err();
            refused_link(error, &blob_path(&layer), &secret);
        }

        #[test]
        fn a_blobs_directory_linked_outside_is_refused() {
            let (dir, _) = layout();
            let elsewhere = tempfile::tempdir().unwrap();
            let moved = elsewhere.path().join("blobs");
            std::fs::rename(dir.path().join("blobs"), &moved).unwrap();
            symlink(&moved, dir.path().join("blobs")).unwrap();
            let error = open(dir.path(), None).unwrap_err();
            refused_link(error, "blobs", &Digest::of(b"-"));
        }

        #[test]
        fn a_link_that_stays_inside_is_refused_too() {
            let (dir, layer) = layout();
            let blob = dir.path().join(blob_path(&layer));
            std::fs::rename(&blob, dir.path().join("layer.tar")).unwrap();
            symlink("../../layer.tar", &blob).unwrap();
            let error = open(dir.path(), None).unwrap_err();
            refused_link(error, &blob_path(&layer), &Digest::of(b"-"));
        }

        #[test]
        fn an_index_json_link_is_refused_not_taken_for_a_missing_file() {
            let (dir, _) = layout();
            let (_elsewhere, secret_path, secret) = secret();
            std::fs::remove_file(dir.path().join("index.json")).unwrap();
            symlink(&secret_path, dir.path().join("index.json")).unwrap();
            let error = open(dir.path(), None).unwrap_err();
            refused_link(error, "index.json", &secret);
        }

        #[test]
        fn a_fifo_blob_is_refused_without_blocking() {
            let (dir, layer) = layout();
            let blob = dir.path().join(blob_path(&layer));
            std::fs::remove_file(&blob).unwrap();
            let made = std::process::Command::new("mkfifo")
                .arg(&blob)
                .status()
                .is_ok_and(|s| s.success());
            if !made {
                return;
            }
            let error = open(dir.path(), None).unwrap_err();
            assert!(matches!(error, SourceError::NotAFile { .. }), "{error}");
        }

        #[test]
        fn the_named_source_directory_may_itself_be_a_link() {
            let (dir, _) = layout();
            let elsewhere = tempfile::tempdir().unwrap();
            let named = elsewhere.path().join("image");
            symlink(dir.path(), &named).unwrap();
            let image = open(&named, None).unwrap();
            assert_eq!(image.blobs.len(), 2);
        }

        /// A `docker save` directory (Docker < 25) with one layer; `config` is written by the caller.
        fn docker_save_dir(layers: Value) -> tempfile::TempDir {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("l1")).unwrap();
            std::fs::write(dir.path().join("l1/layer.tar"), b"layer bytes").unwrap();
            let manifest =
                json!([{ "Config": "config.json", "RepoTags": ["team/app:v1"], "Layers": layers }]);
            std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
            dir
        }

        fn config_for(layers: &[&[u8]]) -> String {
            let diff_ids: Vec<String> = layers.iter().map(|l| Digest::of(l).to_string()).collect();
            json!({ "architecture": "amd64", "os": "linux", "rootfs": { "type": "layers", "diff_ids": diff_ids } })
                .to_string()
        }

        #[test]
        fn a_docker_save_config_linked_outside_is_refused() {
            let dir = docker_save_dir(json!(["l1/layer.tar"]));
            let elsewhere = tempfile::tempdir().unwrap();
            let config = config_for(&[b"layer bytes"]);
            std::fs::write(elsewhere.path().join("config.json"), &config).unwrap();
            symlink(
                elsewhere.path().join("config.json"),
                dir.path().join("config.json"),
            )
            .unwrap();
            let error = open(dir.path(), None).unwrap_err();
            refused_link(error, "config.json", &Digest::of(config.as_bytes()));
        }

        #[test]
        fn a_docker_save_layer_linked_outside_is_refused() {
            let dir = docker_save_dir(json!(["l1/layer.tar"]));
            std::fs::write(
                dir.path().join("config.json"),
                config_for(&[b"layer bytes"]),
            )
            .unwrap();
            let (_elsewhere, secret_path, secret) = secret();
            std::fs::remove_file(dir.path().join("l1/layer.tar")).unwrap();
            symlink(&secret_path, dir.path().join("l1/layer.tar")).unwrap();
            let error = open(dir.path(), None).unwrap_err();
            refused_link(error, "l1/layer.tar", &secret);
        }

        #[test]
        fn manifest_json_paths_that_leave_the_source_are_refused() {
            for name in ["../outside/layer.tar", "l1/../../layer.tar", "/../x"] {
                let dir = docker_save_dir(json!([name]));
                std::fs::write(
                    dir.path().join("config.json"),
                    config_for(&[b"layer bytes"]),
                )
                .unwrap();
                let error = open(dir.path(), None).unwrap_err();
                assert!(
                    matches!(&error, SourceError::Outside { name: found, .. } if found == name),
                    "{name}: {error}"
                );
            }
        }

        #[test]
        fn absolute_manifest_json_paths_mean_the_source_root() {
            let dir = docker_save_dir(json!(["/l1/layer.tar"]));
            std::fs::write(
                dir.path().join("config.json"),
                config_for(&[b"layer bytes"]),
            )
            .unwrap();
            let image = open(dir.path(), None).unwrap();
            let layer = &image.blobs[1];
            assert_eq!(
                layer.location.as_ref().unwrap().file,
                dir.path().join("l1/layer.tar")
            );
        }

        #[test]
        fn a_file_swapped_for_a_link_after_reading_is_not_followed() {
            let (dir, layer) = layout();
            let image = open(dir.path(), None).unwrap();
            let blob = image.blobs.iter().find(|b| b.digest == layer).unwrap();
            let location = blob.location.clone().unwrap();
            let (_elsewhere, secret_path, _) = secret();
            let path = dir.path().join(blob_path(&layer));
            std::fs::remove_file(&path).unwrap();
            symlink(&secret_path, &path).unwrap();
            let error = location.open().unwrap_err();
            assert!(error.to_string().contains("symbolic link"), "{error}");
        }
    }
}
