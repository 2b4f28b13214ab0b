//! The registry edge: pushes an image from a local source (OCI layout, a tar of one, a `docker save`
//! archive) to a registry with the OCI distribution API, so that `scan --push` needs no Docker daemon.
//!
//! [`push`] runs in this order, and nothing is written to the registry before step 4:
//!
//! 1. read the source (`open_source`, [`source`]): manifests whole (digests and sizes checked), blobs only located;
//! 2. check the API and the credentials (`GET /v2/`), then `HEAD` every blob: what exists is skipped
//!    (`missing_blobs`);
//! 3. hash every blob that must be uploaded (fixed-size buffers, in parallel) and refuse the whole
//!    push on any missing blob, size or digest mismatch (`verify`);
//! 4. upload the missing blobs, streamed from disk, a few at a time, large ones in chunks where the
//!    registry handles chunks (`upload_all`, `upload`);
//! 5. push the manifests, children before the index, the tag last; check the digest the registry
//!    stored each under (`push_manifests`).
//!
//! Owns the credentials it is handed (never printed: [`Password`] redacts itself). Must not call AWS,
//! read the environment or print: progress goes to the caller's observer.

use std::path::Path;
use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use reqwest::Url;

pub mod client;
pub mod endpoint;
pub mod source;
mod upload;

use crate::digest::Digest;
use client::{Client, ClientError};
/// What the [`client`] sends and how it retries, re-exported for callers of [`push`].
pub use client::{Credentials, Password, RetryPolicy};
use endpoint::EndpointError;
use source::{Blob, Image, Problem, SourceError, SourceKind};

/// Where to push.
#[derive(Debug, Clone)]
pub struct Target {
    /// The registry endpoint: `https://host[:port]` (plain `http://` only on loopback), checked by
    /// [`endpoint::parse`] before anything is sent.
    pub endpoint: String,
    pub repository: String,
    /// The tag to push the image under; `None` pushes by digest only.
    pub tag: Option<String>,
    /// The digest the image must have, when the user named one.
    pub digest: Option<Digest>,
}

/// Tuning of a push.
#[derive(Debug, Clone, Copy)]
pub struct PushOptions {
    /// Blobs uploaded at the same time.
    pub parallel_uploads: usize,
    /// Blobs up to this size go in one request; larger ones in `PATCH` chunks of this size (never
    /// on ECR, which mishandles chunks: every blob goes in one streamed request there).
    pub chunk_size: u64,
    pub retry: RetryPolicy,
}

impl Default for PushOptions {
    fn default() -> PushOptions {
        PushOptions {
            parallel_uploads: 4,
            chunk_size: DEFAULT_CHUNK_SIZE,
            retry: RetryPolicy::default(),
        }
    }
}

/// The default upload chunk: large enough that a chunk's round trip is noise, small enough that a
/// dropped connection costs little to resend.
pub const DEFAULT_CHUNK_SIZE: u64 = 64 << 20;

/// The smallest chunk accepted (for tests; registries may ask more of real chunks).
pub const MIN_CHUNK_SIZE: u64 = 1024;

/// What happened during a push, for the caller to report.
#[derive(Debug)]
pub enum PushEvent<'a> {
    /// The source was read.
    Opened {
        kind: SourceKind,
        manifests: usize,
        blobs: usize,
        digest: &'a Digest,
    },
    /// Every blob was checked against the registry (and the missing ones against their digests).
    Checked {
        present: usize,
        present_bytes: u64,
        missing: usize,
        missing_bytes: u64,
    },
    /// A blob was uploaded.
    Uploaded { blob: &'a Blob },
    /// A manifest was pushed under `reference` (a digest or the tag).
    ManifestPushed {
        reference: &'a str,
        digest: &'a Digest,
    },
    /// A request failed transiently and is tried again after `delay`.
    Retrying {
        error: &'a ClientError,
        delay: Duration,
    },
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The digest of the pushed image: the sha256 of its top manifest's bytes.
    pub digest: Digest,
    pub media_type: String,
    pub kind: SourceKind,
    pub manifests: usize,
    pub uploaded: usize,
    pub uploaded_bytes: u64,
    pub skipped: usize,
    pub skipped_bytes: u64,
}

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error(
        "the image names digest {wanted}, but the push source holds {found}; nothing was pushed"
    )]
    DigestDiffers { wanted: Digest, found: Digest },
    #[error("couldn't push to the registry at {endpoint}")]
    Registry {
        endpoint: String,
        #[source]
        source: ClientError,
    },
    #[error("a background task of the push failed")]
    Task(#[source] tokio::task::JoinError),
}

impl PushError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            PushError::Source(SourceError::Corrupt { .. }) => Some(
                "the source does not match its own digests: build or export the image again \
                 (buildx --output type=oci, docker save)",
            ),
            PushError::Source(SourceError::Ambiguous { .. }) => {
                Some("tag IMAGE with one of the names the source holds, or export one image only")
            }
            PushError::Registry { source, .. } => match source {
                ClientError::Unauthorized { .. } => Some(
                    "the password comes from ecr:GetAuthorizationToken for the image's registry: check \
                     the AWS account and region, and that --registry-endpoint (if given) is that \
                     registry",
                ),
                ClientError::Denied { .. } => Some(
                    "pushing needs ecr:GetAuthorizationToken, ecr:BatchCheckLayerAvailability, \
                     ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload and \
                     ecr:PutImage on the repository",
                ),
                error if error.detail().is_some_and(|d| d.contains("NAME_UNKNOWN")) => {
                    Some("create the repository first: ECR does not create repositories on push")
                }
                ClientError::Transport { .. } => Some(
                    "no answer from the registry: check the network, and --registry-endpoint if given",
                ),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Pushes the image at `source` to `target`. `observe` hears about progress and retries.
pub async fn push(
    source: &Path,
    target: &Target,
    credentials: &Credentials,
    options: &PushOptions,
    observe: &(dyn Fn(&PushEvent<'_>) + Sync),
) -> Result<Pushed, PushError> {
    let image = open_source(source, target, observe).await?;
    let top = image.top().clone();

    let endpoint = endpoint::parse(&target.endpoint)?;
    let registry_error = |source| PushError::Registry {
        endpoint: endpoint.as_str().trim_end_matches('/').to_string(),
        source,
    };
    let on_retry = |error: &ClientError, delay| observe(&PushEvent::Retrying { error, delay });
    let client = Client::new(
        &endpoint,
        &target.repository,
        credentials,
        options.retry,
        &on_retry,
    )
    .map_err(registry_error)?;
    client.ping().await.map_err(registry_error)?;

    let missing = missing_blobs(&client, &image)
        .await
        .map_err(registry_error)?;
    let present: Vec<&Blob> = image
        .blobs
        .iter()
        .filter(|b| !missing.iter().any(|m| m.digest == b.digest))
        .collect();
    verify(source, &missing).await?;
    observe(&PushEvent::Checked {
        present: present.len(),
        present_bytes: present.iter().map(|b| b.size).sum(),
        missing: missing.len(),
        missing_bytes: missing.iter().map(|b| b.size).sum(),
    });

    let chunk_size = chunk_size(&endpoint, options);
    upload_all(
        &client,
        &missing,
        chunk_size,
        options.parallel_uploads,
        observe,
    )
    .await
    .map_err(registry_error)?;
    push_manifests(&client, &image, target.tag.as_deref(), observe)
        .await
        .map_err(registry_error)?;

    Ok(Pushed {
        digest: top.digest,
        media_type: top.media_type,
        kind: image.kind,
        manifests: image.manifests.len(),
        uploaded: missing.len(),
        uploaded_bytes: missing.iter().map(|b| b.size).sum(),
        skipped: present.len(),
        skipped_bytes: present.iter().map(|b| b.size).sum(),
    })
}

/// Reads the source's manifests (on a blocking thread: it reads files), reports what it holds, and
/// refuses it when it is not the image with the digest `target` names.
async fn open_source(
    source: &Path,
    target: &Target,
    observe: &(dyn Fn(&PushEvent<'_>) + Sync),
) -> Result<Image, PushError> {
    let path = source.to_path_buf();
    let tag = target.tag.clone();
    let image = tokio::task::spawn_blocking(move || source::open(&path, tag.as_deref()))
        .await
        .map_err(PushError::Task)??;
    let top = image.top();
    observe(&PushEvent::Opened {
        kind: image.kind,
        manifests: image.manifests.len(),
        blobs: image.blobs.len(),
        digest: &top.digest,
    });
    if let Some(wanted) = &target.digest
        && *wanted != top.digest
    {
        return Err(PushError::DigestDiffers {
            wanted: wanted.clone(),
            found: top.digest.clone(),
        });
    }
    Ok(image)
}

/// The size of upload chunks at `endpoint`.
fn chunk_size(endpoint: &Url, options: &PushOptions) -> u64 {
    // NOTE: ECR drops the data of every PATCH after the first one of an upload (answering 201 and a
    // Range that no longer advances), so blobs go to ECR in one streamed request each:
    // https://github.com/aws/containers-roadmap/issues/2831
    if endpoint::is_ecr(endpoint) {
        u64::MAX
    } else {
        options.chunk_size.max(MIN_CHUNK_SIZE)
    }
}

/// Uploads the `missing` blobs, largest first, `parallel` at a time.
async fn upload_all(
    client: &Client<'_>,
    missing: &[&Blob],
    chunk_size: u64,
    parallel: usize,
    observe: &(dyn Fn(&PushEvent<'_>) + Sync),
) -> Result<(), ClientError> {
    let mut uploads: Vec<&Blob> = missing.to_vec();
    uploads.sort_by_key(|b| std::cmp::Reverse(b.size));
    stream::iter(uploads)
        .map(|blob| async move {
            // `verify` refused every blob without a location.
            let Some(location) = &blob.location else {
                return Ok(());
            };
            upload::upload(client, blob, location, chunk_size).await?;
            observe(&PushEvent::Uploaded { blob });
            Ok(())
        })
        .buffer_unordered(parallel.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Pushes every manifest, children before the index, each by digest but the last (the image itself),
/// which goes under `tag` when there is one.
async fn push_manifests(
    client: &Client<'_>,
    image: &Image,
    tag: Option<&str>,
    observe: &(dyn Fn(&PushEvent<'_>) + Sync),
) -> Result<(), ClientError> {
    let last = image.manifests.len() - 1;
    for (n, manifest) in image.manifests.iter().enumerate() {
        let reference = match (tag, n == last) {
            (Some(tag), true) => tag.to_string(),
            _ => manifest.digest.to_string(),
        };
        client
            .put_manifest(
                &reference,
                &manifest.media_type,
                &manifest.bytes,
                &manifest.digest,
            )
            .await?;
        observe(&PushEvent::ManifestPushed {
            reference: &reference,
            digest: &manifest.digest,
        });
    }
    Ok(())
}

/// The blobs the repository lacks (`HEAD`, a few at a time), in the image's order.
async fn missing_blobs<'i>(
    client: &Client<'_>,
    image: &'i Image,
) -> Result<Vec<&'i Blob>, ClientError> {
    let found: Vec<(&Blob, bool)> =
        stream::iter(&image.blobs)
            .map(|blob| async move {
                Ok::<_, ClientError>((blob, client.blob_exists(&blob.digest).await?))
            })
            .buffered(8)
            .try_collect()
            .await?;
    Ok(found
        .into_iter()
        .filter_map(|(blob, exists)| (!exists).then_some(blob))
        .collect())
}

/// Checks every blob to upload against its descriptor: present in the source, of the declared size,
/// hashing to its digest. All problems are reported together.
async fn verify(source: &Path, blobs: &[&Blob]) -> Result<(), PushError> {
    let mut problems = Vec::new();
    let mut to_hash = Vec::new();
    for blob in blobs {
        match &blob.location {
            None => problems.push(Problem::Missing {
                what: blob.role.clone(),
                digest: blob.digest.clone(),
            }),
            Some(location) if location.len != blob.size => problems.push(Problem::Size {
                what: blob.role.clone(),
                digest: blob.digest.clone(),
                declared: blob.size,
                found: location.len,
            }),
            Some(location) => to_hash.push((to_hash.len(), *blob, location.clone())),
        }
    }
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let mut hashed: Vec<(usize, &Blob, std::io::Result<crate::digest::Hashed>)> =
        stream::iter(to_hash)
            .map(|(n, blob, location)| async move {
                let result = tokio::task::spawn_blocking(move || {
                    location.open().and_then(|file| {
                        crate::digest::hash_range(file, location.offset, location.len)
                    })
                })
                .await;
                (n, blob, result)
            })
            .buffer_unordered(parallel)
            .map(|(n, blob, result)| result.map(|hashed| (n, blob, hashed)))
            .try_collect()
            .await
            .map_err(PushError::Task)?;
    hashed.sort_by_key(|(n, _, _)| *n);
    let path = source.display().to_string();
    for (_, blob, result) in hashed {
        let hashed = result.map_err(|error| SourceError::Read {
            path: path.clone(),
            what: blob.role.clone(),
            source: error,
        })?;
        if hashed.len != blob.size {
            problems.push(Problem::Size {
                what: blob.role.clone(),
                digest: blob.digest.clone(),
                declared: blob.size,
                found: hashed.len,
            });
        } else if hashed.digest != blob.digest {
            problems.push(Problem::Digest {
                what: blob.role.clone(),
                declared: blob.digest.clone(),
                found: hashed.digest,
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SourceError::Corrupt { path, problems }.into())
    }
}
