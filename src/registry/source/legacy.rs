//! The legacy `docker save` archive: `manifest.json` names the config (`<id>.json`) and the layer tars
//! of each image. It holds no registry manifest, so one is written here: an OCI image manifest with
//! the config as is and the layers as uncompressed tars, as Docker ≥ 25 itself writes them. A layer's
//! digest is the config's `rootfs.diff_ids` entry (an uncompressed layer's digest is its diff id); it is
//! checked against the content later, when the layer must be uploaded.
//!
//! Knows the archive format, never the registry.

use serde::{Deserialize, Serialize};

use super::error::SourceError;
use super::image::{Blob, Blobs, Location, Manifest, OCI_MANIFEST, check_manifest};
use super::store::{MAX_MANIFEST, Store};
use crate::digest::Digest;

/// The largest image config read (long build histories make them big, but not this big).
const MAX_CONFIG: u64 = 16 << 20;

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

#[derive(Debug, Deserialize)]
struct RawEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawConfig {
    #[serde(default)]
    rootfs: Option<RawRootfs>,
}

#[derive(Debug, Deserialize)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutManifest<'a> {
    schema_version: u32,
    media_type: &'a str,
    config: OutDescriptor<'a>,
    layers: Vec<OutDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutDescriptor<'a> {
    media_type: &'a str,
    digest: &'a str,
    size: u64,
}

/// Reads the image `manifest.json` names (the one `tag` picks, when it names several) and writes its
/// manifest.
pub(super) fn read(store: &Store, tag: Option<&str>) -> Result<(Manifest, Vec<Blob>), SourceError> {
    let path = store.name();
    let entry = read_entry(store, tag, &path)?;
    let config = read_config(store, &entry, &path)?;
    let mut blobs = Blobs::default();
    blobs.add(Blob {
        digest: config.digest.clone(),
        size: config.location.len,
        media_type: OCI_CONFIG.into(),
        role: "config".into(),
        location: Some(config.location.clone()),
    });
    let layers = locate_layers(store, &entry.layers, &config.diff_ids, &path, &mut blobs)?;
    let manifest = write_manifest(&config, &layers, &path)?;
    Ok((manifest, blobs.list))
}

/// The entry of `manifest.json` to push ([`select`]).
fn read_entry(store: &Store, tag: Option<&str>, path: &str) -> Result<RawEntry, SourceError> {
    let Some((bytes, _)) = store.read("manifest.json", "manifest.json", MAX_MANIFEST)? else {
        return Err(SourceError::NotAnImage {
            path: path.to_string(),
        });
    };
    let entries: Vec<RawEntry> =
        serde_json::from_slice(&bytes).map_err(|source| SourceError::Malformed {
            path: path.to_string(),
            what: "manifest.json".into(),
            source,
        })?;
    select(entries, tag, path)
}

/// An image's config: where it is, its digest, and the diff ids of its layers.
struct Config {
    digest: Digest,
    location: Location,
    diff_ids: Vec<String>,
}

/// Reads the entry's config, checked against the image id its name carries, with one diff id per
/// layer.
fn read_config(store: &Store, entry: &RawEntry, path: &str) -> Result<Config, SourceError> {
    let what = format!("config {}", entry.config);
    let Some((config, location)) = store.read(&entry.config, &what, MAX_CONFIG)? else {
        return missing_file(path, &entry.config);
    };
    let digest = Digest::of(&config);
    // The config's file name is the image id, the sha256 of its bytes.
    if let Some(named) = id_in_name(&entry.config) {
        let problems = check_manifest(&what, &named, None, &config);
        if !problems.is_empty() {
            return Err(SourceError::Corrupt {
                path: path.to_string(),
                problems,
            });
        }
    }
    let raw: RawConfig =
        serde_json::from_slice(&config).map_err(|source| SourceError::Malformed {
            path: path.to_string(),
            what: what.clone(),
            source,
        })?;
    let diff_ids = raw.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    if diff_ids.len() != entry.layers.len() {
        return Err(SourceError::Invalid {
            path: path.to_string(),
            what,
            problem: format!(
                "it lists {} diff ids for the {} layers manifest.json names",
                diff_ids.len(),
                entry.layers.len()
            ),
        });
    }
    Ok(Config {
        digest,
        location,
        diff_ids,
    })
}

/// Locates every layer tar, adding it to `blobs` under its diff id.
fn locate_layers(
    store: &Store,
    layers: &[String],
    diff_ids: &[String],
    path: &str,
    blobs: &mut Blobs,
) -> Result<Vec<(Digest, Location)>, SourceError> {
    let mut located: Vec<(Digest, Location)> = Vec::new();
    for (n, (layer, diff_id)) in layers.iter().zip(diff_ids).enumerate() {
        let role = format!("layer {} ({layer})", n + 1);
        let digest = Digest::parse(diff_id).map_err(|source| SourceError::BadDigest {
            path: path.to_string(),
            what: format!("diff id {} of the config", n + 1),
            source,
        })?;
        let Some(location) = store.locate(layer, &role)? else {
            return missing_file(path, layer);
        };
        blobs.add(Blob {
            digest: digest.clone(),
            size: location.len,
            media_type: OCI_LAYER_TAR.into(),
            role,
            location: Some(location.clone()),
        });
        located.push((digest, location));
    }
    Ok(located)
}

/// The OCI image manifest for the config and the layer tars.
fn write_manifest(
    config: &Config,
    layers: &[(Digest, Location)],
    path: &str,
) -> Result<Manifest, SourceError> {
    let manifest = OutManifest {
        schema_version: 2,
        media_type: OCI_MANIFEST,
        config: OutDescriptor {
            media_type: OCI_CONFIG,
            digest: config.digest.as_str(),
            size: config.location.len,
        },
        layers: layers
            .iter()
            .map(|(digest, location)| OutDescriptor {
                media_type: OCI_LAYER_TAR,
                digest: digest.as_str(),
                size: location.len,
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&manifest).map_err(|source| SourceError::Malformed {
        path: path.to_string(),
        what: "the manifest written for it".into(),
        source,
    })?;
    Ok(Manifest {
        digest: Digest::of(&bytes),
        media_type: OCI_MANIFEST.into(),
        bytes,
        platform: None,
    })
}

fn missing_file<T>(path: &str, file: &str) -> Result<T, SourceError> {
    Err(SourceError::Invalid {
        path: path.to_string(),
        what: "manifest.json".into(),
        problem: format!("it names {file}, which the archive does not hold"),
    })
}

/// The image id in a config's name: `<hex>.json` (Docker < 25) or `blobs/sha256/<hex>` (≥ 25).
fn id_in_name(name: &str) -> Option<Digest> {
    let file = name.rsplit('/').next().unwrap_or(name);
    let hex = file.strip_suffix(".json").unwrap_or(file);
    Digest::parse(&format!("sha256:{hex}")).ok()
}

/// The entry to push: the only one, or the one whose `RepoTags` carry `tag`.
fn select(entries: Vec<RawEntry>, tag: Option<&str>, path: &str) -> Result<RawEntry, SourceError> {
    if entries.len() <= 1 {
        return entries
            .into_iter()
            .next()
            .ok_or_else(|| SourceError::Invalid {
                path: path.to_string(),
                what: "manifest.json".into(),
                problem: "it lists no image".into(),
            });
    }
    let count = entries.len();
    let names = entries
        .iter()
        .map(|e| {
            e.repo_tags
                .as_deref()
                .and_then(|t| t.first().cloned())
                .unwrap_or_else(|| e.config.clone())
        })
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(tag) = tag {
        let suffix = format!(":{tag}");
        let mut matching: Vec<RawEntry> = entries
            .into_iter()
            .filter(|e| {
                e.repo_tags
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|t| t.ends_with(&suffix))
            })
            .collect();
        if matching.len() == 1 {
            return Ok(matching.remove(0));
        }
    }
    Err(SourceError::Ambiguous {
        path: path.to_string(),
        count,
        names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_are_read_from_both_config_namings() {
        let hex = "a".repeat(64);
        assert_eq!(
            id_in_name(&format!("{hex}.json")).unwrap().hex(),
            hex.as_str()
        );
        assert_eq!(
            id_in_name(&format!("blobs/sha256/{hex}")).unwrap().hex(),
            hex.as_str()
        );
        assert!(id_in_name("config.json").is_none());
    }
}
