//! The OCI image layout (`index.json`, `blobs/sha256/…`): which image `index.json` names, then a walk
//! down from it that reads and checks every manifest and lists every blob. Knows the layout format,
//! never the registry.
//!
//! See <https://github.com/opencontainers/image-spec/blob/main/image-layout.md>.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::error::{Problem, SourceError};
use super::image::{
    Blob, Blobs, DOCKER_LIST, DOCKER_MANIFEST, Manifest, OCI_INDEX, OCI_MANIFEST, check_manifest,
};
use super::store::{MAX_MANIFEST, Store};
use crate::digest::Digest;

/// How deep indexes may nest.
const MAX_DEPTH: usize = 4;

/// `org.opencontainers.image.ref.name`: the tag (or full reference) an image is stored under.
pub(super) const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// containerd's (and Docker's) full image name annotation.
const IMAGE_NAME: &str = "io.containerd.image.name";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawIndex {
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<RawDescriptor>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: String,
    size: u64,
    platform: Option<RawPlatform>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    urls: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawPlatform {
    architecture: Option<String>,
    os: Option<String>,
    variant: Option<String>,
}

impl RawPlatform {
    fn label(&self) -> String {
        let mut text = format!(
            "{}/{}",
            self.os.as_deref().unwrap_or("unknown"),
            self.architecture.as_deref().unwrap_or("unknown")
        );
        if let Some(variant) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            text.push('/');
            text.push_str(variant);
        }
        text
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    media_type: Option<String>,
    config: Option<RawDescriptor>,
    layers: Option<Vec<RawDescriptor>>,
    manifests: Option<Vec<RawDescriptor>>,
}

/// Reads the image `index.json` names (the one `tag` picks, when it names several).
pub(super) fn read(
    store: &Store,
    tag: Option<&str>,
) -> Result<(Vec<Manifest>, Vec<Blob>), SourceError> {
    let path = store.name();
    let Some((bytes, _)) = store.read("index.json", "index.json", MAX_MANIFEST)? else {
        return Err(SourceError::NotAnImage { path });
    };
    let index: RawIndex =
        serde_json::from_slice(&bytes).map_err(|source| SourceError::Malformed {
            path: path.clone(),
            what: "index.json".into(),
            source,
        })?;
    let mut walk = Walk {
        store,
        path: path.clone(),
        manifests: Vec::new(),
        seen: HashSet::new(),
        blobs: Blobs::default(),
        problems: Vec::new(),
    };
    match select(&index, tag, &path)? {
        Selected::One(descriptor) => {
            walk.visit(&descriptor, "the image index.json names", 0)?;
        }
        Selected::IndexItself => {
            // The layout's own index.json lists the platform images: it is the image index.
            for child in &index.manifests {
                walk.visit(child, "an image index.json lists", 1)?;
            }
            let media_type = index.media_type.clone().unwrap_or_else(|| OCI_INDEX.into());
            walk.manifests.push(Manifest {
                digest: Digest::of(&bytes),
                media_type,
                bytes,
                platform: None,
            });
        }
    }
    if !walk.problems.is_empty() {
        return Err(SourceError::Corrupt {
            path,
            problems: walk.problems,
        });
    }
    Ok((walk.manifests, walk.blobs.list))
}

enum Selected {
    One(RawDescriptor),
    IndexItself,
}

/// Which entry of `index.json` is the image to push.
fn select(index: &RawIndex, tag: Option<&str>, path: &str) -> Result<Selected, SourceError> {
    let images: Vec<&RawDescriptor> = index.manifests.iter().collect();
    let mut distinct: Vec<&RawDescriptor> = Vec::new();
    for descriptor in &images {
        if !distinct.iter().any(|d| d.digest == descriptor.digest) {
            distinct.push(descriptor);
        }
    }
    match distinct.as_slice() {
        [] => {
            return Err(SourceError::Invalid {
                path: path.to_string(),
                what: "index.json".into(),
                problem: "it lists no image".into(),
            });
        }
        [one] => return Ok(Selected::One((*one).clone())),
        _ => {}
    }
    let named = |d: &RawDescriptor| {
        d.annotations.contains_key(REF_NAME) || d.annotations.contains_key(IMAGE_NAME)
    };
    if let Some(tag) = tag {
        let matching: Vec<&&RawDescriptor> = distinct
            .iter()
            .filter(|d| {
                d.annotations
                    .get(REF_NAME)
                    .is_some_and(|r| r == tag || r.ends_with(&format!(":{tag}")))
                    || d.annotations
                        .get(IMAGE_NAME)
                        .is_some_and(|n| n.ends_with(&format!(":{tag}")))
            })
            .collect();
        if let [one] = matching.as_slice() {
            return Ok(Selected::One((**one).clone()));
        }
    }
    if !distinct.iter().any(|d| named(d)) && distinct.iter().all(|d| d.platform.is_some()) {
        return Ok(Selected::IndexItself);
    }
    let names = distinct
        .iter()
        .map(|d| {
            d.annotations
                .get(REF_NAME)
                .or_else(|| d.annotations.get(IMAGE_NAME))
                .cloned()
                .unwrap_or_else(|| d.digest.clone())
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(SourceError::Ambiguous {
        path: path.to_string(),
        count: distinct.len(),
        names,
    })
}

/// The walk from the top manifest down.
struct Walk<'a> {
    store: &'a Store,
    path: String,
    manifests: Vec<Manifest>,
    seen: HashSet<Digest>,
    blobs: Blobs,
    problems: Vec<Problem>,
}

impl Walk<'_> {
    /// Reads the manifest `descriptor` names, its children first; `whence` says who names it.
    fn visit(
        &mut self,
        descriptor: &RawDescriptor,
        whence: &str,
        depth: usize,
    ) -> Result<(), SourceError> {
        let what = format!("the manifest {whence}");
        let digest = self.digest(&descriptor.digest, &what)?;
        if !self.seen.insert(digest.clone()) {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(SourceError::Invalid {
                path: self.path.clone(),
                what,
                problem: format!("image indexes nest deeper than {MAX_DEPTH} levels"),
            });
        }
        let Some((bytes, _)) = self.store.read(&blob_path(&digest), &what, MAX_MANIFEST)? else {
            self.problems.push(Problem::Missing { what, digest });
            return Ok(());
        };
        let problems = check_manifest(&what, &digest, Some(descriptor.size), &bytes);
        if !problems.is_empty() {
            self.problems.extend(problems);
            return Ok(());
        }
        let raw: RawManifest =
            serde_json::from_slice(&bytes).map_err(|source| SourceError::Malformed {
                path: self.path.clone(),
                what: format!("manifest {digest}"),
                source,
            })?;
        let media_type = self.media_type(descriptor, &raw, &digest)?;
        let platform = descriptor.platform.as_ref().map(RawPlatform::label);
        let label = match &platform {
            Some(platform) => format!("{} ({platform})", digest.short()),
            None => digest.short().to_string(),
        };
        if media_type == OCI_INDEX || media_type == DOCKER_LIST {
            for child in raw.manifests.as_deref().unwrap_or_default() {
                self.visit(child, &format!("index {label} lists"), depth + 1)?;
            }
        } else if media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST {
            let Some(config) = &raw.config else {
                return Err(SourceError::Invalid {
                    path: self.path.clone(),
                    what: format!("manifest {digest}"),
                    problem: "it names no config".into(),
                });
            };
            self.blob(config, format!("config of {label}"))?;
            for (n, layer) in raw.layers.as_deref().unwrap_or_default().iter().enumerate() {
                self.blob(layer, format!("layer {} of {label}", n + 1))?;
            }
        } else {
            return Err(SourceError::Unsupported {
                path: self.path.clone(),
                what: format!("manifest {digest}"),
                media_type,
            });
        }
        self.manifests.push(Manifest {
            digest,
            media_type,
            bytes,
            platform,
        });
        Ok(())
    }

    fn digest(&self, text: &str, what: &str) -> Result<Digest, SourceError> {
        Digest::parse(text).map_err(|source| SourceError::BadDigest {
            path: self.path.clone(),
            what: what.to_string(),
            source,
        })
    }

    /// The media type the descriptor and the manifest agree on (either may leave it out).
    fn media_type(
        &self,
        descriptor: &RawDescriptor,
        raw: &RawManifest,
        digest: &Digest,
    ) -> Result<String, SourceError> {
        match (descriptor.media_type.as_deref(), raw.media_type.as_deref()) {
            (Some(outer), Some(inner)) if outer != inner => Err(SourceError::Invalid {
                path: self.path.clone(),
                what: format!("manifest {digest}"),
                problem: format!("its descriptor says {outer} but the manifest says {inner}"),
            }),
            (Some(known), _) | (None, Some(known)) => Ok(known.to_string()),
            (None, None) if raw.manifests.is_some() => Ok(OCI_INDEX.into()),
            (None, None) => Ok(OCI_MANIFEST.into()),
        }
    }

    fn blob(&mut self, descriptor: &RawDescriptor, role: String) -> Result<(), SourceError> {
        let digest = self.digest(&descriptor.digest, &role)?;
        let media_type = descriptor.media_type.clone().unwrap_or_default();
        let location = self.store.locate(&blob_path(&digest), &role)?;
        // NOTE: non-distributable ("foreign") layers are fetched from their `urls`, never pushed:
        // https://github.com/opencontainers/image-spec/blob/main/layer.md#non-distributable-layers
        let foreign = media_type.contains("foreign") || media_type.contains("nondistributable");
        if foreign && !descriptor.urls.is_empty() && location.is_none() {
            return Ok(());
        }
        self.blobs.add(Blob {
            digest,
            size: descriptor.size,
            media_type,
            role,
            location,
        });
        Ok(())
    }
}

/// The layout path of a blob.
pub(super) fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}
