//! Identifying what to scan from a manifest: a single image, or an image index whose child images are
//! scanned one by one (attestation manifests skipped, `--platform` applied). Pure: the bytes come from
//! `BatchGetImage`.

use serde::Deserialize;

/// The four manifest media types `BatchGetImage` is asked to accept.
pub const ACCEPTED_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// One image that ECR scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub digest: String,
    /// `os/arch[/variant]` when known (from the index).
    pub platform: Option<String>,
}

/// Why a manifest could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifyError {
    #[error("the manifest is not valid JSON: {0}")]
    Malformed(String),
    #[error("the image index lists no image manifests (only attestations or nothing)")]
    EmptyIndex,
    #[error("no image in the index matches --platform {wanted}; it has: {available}")]
    NoPlatform { wanted: String, available: String },
    #[error("--platform {wanted} was given but the image is not an index of platforms")]
    NotAnIndex { wanted: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    media_type: Option<String>,
    manifests: Option<Vec<RawDescriptor>>,
    layers: Option<serde::de::IgnoredAny>,
    config: Option<RawConfigDescriptor>,
}

#[derive(Deserialize)]
struct RawConfigDescriptor {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: Option<String>,
    platform: Option<RawPlatform>,
    annotations: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawPlatform {
    architecture: Option<String>,
    os: Option<String>,
    variant: Option<String>,
}

/// Whether a media type (from `BatchGetImage` or the manifest itself) is an index.
pub fn is_index_media_type(media_type: &str) -> bool {
    media_type.contains("image.index") || media_type.contains("manifest.list")
}

/// The images to scan for a manifest fetched by `digest`. `platforms` are `--platform` values
/// (`os/arch[/variant]`, or just `arch`); empty means every platform.
pub fn targets(
    digest: &str,
    media_type: Option<&str>,
    manifest: &[u8],
    platforms: &[String],
) -> Result<Vec<Target>, IdentifyError> {
    let raw: RawManifest =
        serde_json::from_slice(manifest).map_err(|e| IdentifyError::Malformed(e.to_string()))?;
    let declared = media_type.or(raw.media_type.as_deref()).unwrap_or_default();
    let is_index =
        is_index_media_type(declared) || (raw.manifests.is_some() && raw.layers.is_none());
    if !is_index {
        if let Some(wanted) = platforms.first() {
            return Err(IdentifyError::NotAnIndex {
                wanted: wanted.clone(),
            });
        }
        let _ = raw.config.and_then(|c| c.media_type);
        return Ok(vec![Target {
            digest: digest.to_string(),
            platform: None,
        }]);
    }
    let mut children = Vec::new();
    for entry in raw.manifests.unwrap_or_default() {
        if is_attestation(&entry) {
            continue;
        }
        let Some(child_digest) = entry.digest else {
            continue;
        };
        if entry.media_type.as_deref().is_some_and(is_index_media_type) {
            // Nested indexes are rare; their children are not followed.
            continue;
        }
        let platform = entry.platform.map(|p| {
            let mut text = format!(
                "{}/{}",
                p.os.unwrap_or_else(|| "unknown".into()),
                p.architecture.unwrap_or_else(|| "unknown".into())
            );
            if let Some(variant) = p.variant.filter(|v| !v.is_empty()) {
                text.push('/');
                text.push_str(&variant);
            }
            text
        });
        children.push(Target {
            digest: child_digest,
            platform,
        });
    }
    if children.is_empty() {
        return Err(IdentifyError::EmptyIndex);
    }
    if platforms.is_empty() {
        return Ok(children);
    }
    let selected: Vec<Target> = children
        .iter()
        .filter(|child| {
            platforms
                .iter()
                .any(|wanted| platform_matches(wanted, child.platform.as_deref()))
        })
        .cloned()
        .collect();
    if selected.is_empty() {
        return Err(IdentifyError::NoPlatform {
            wanted: platforms.join(","),
            available: children
                .iter()
                .map(|c| c.platform.clone().unwrap_or_else(|| "unknown".into()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(selected)
}

/// buildx provenance/SBOM attestations: `vnd.docker.reference.type: attestation-manifest`, platform
/// `unknown/unknown` (moby/buildkit#3499).
fn is_attestation(entry: &RawDescriptor) -> bool {
    let annotated = entry.annotations.as_ref().is_some_and(|a| {
        a.get("vnd.docker.reference.type")
            .is_some_and(|t| t == "attestation-manifest")
    });
    let unknown_platform = entry.platform.as_ref().is_some_and(|p| {
        p.os.as_deref() == Some("unknown") && p.architecture.as_deref() == Some("unknown")
    });
    annotated || unknown_platform
}

/// `linux/arm64` matches `linux/arm64` and `linux/arm64/v8`; `arm64` matches any OS.
fn platform_matches(wanted: &str, platform: Option<&str>) -> bool {
    let Some(platform) = platform else {
        return false;
    };
    let wanted = wanted.trim();
    if !wanted.contains('/') {
        return platform.split('/').nth(1) == Some(wanted);
    }
    platform == wanted || platform.starts_with(&format!("{wanted}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = r#"{
      "schemaVersion": 2,
      "mediaType": "application/vnd.oci.image.index.v1+json",
      "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:aaa", "size": 1,
         "platform": {"architecture": "amd64", "os": "linux"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:bbb", "size": 1,
         "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:ccc", "size": 1,
         "annotations": {"vnd.docker.reference.digest": "sha256:aaa",
                         "vnd.docker.reference.type": "attestation-manifest"},
         "platform": {"architecture": "unknown", "os": "unknown"}}
      ]
    }"#;

    #[test]
    fn index_resolves_to_children_without_attestations() {
        let found = targets("sha256:idx", None, INDEX.as_bytes(), &[]).unwrap();
        assert_eq!(
            found,
            vec![
                Target {
                    digest: "sha256:aaa".into(),
                    platform: Some("linux/amd64".into())
                },
                Target {
                    digest: "sha256:bbb".into(),
                    platform: Some("linux/arm64/v8".into())
                },
            ]
        );
    }

    #[test]
    fn platform_selects_children() {
        let found = targets(
            "sha256:idx",
            None,
            INDEX.as_bytes(),
            &["linux/arm64".into()],
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].digest, "sha256:bbb");
        let by_arch = targets("sha256:idx", None, INDEX.as_bytes(), &["amd64".into()]).unwrap();
        assert_eq!(by_arch[0].digest, "sha256:aaa");
        let none = targets(
            "sha256:idx",
            None,
            INDEX.as_bytes(),
            &["linux/s390x".into()],
        )
        .unwrap_err();
        assert!(
            none.to_string().contains("linux/amd64, linux/arm64/v8"),
            "{none}"
        );
    }

    #[test]
    fn single_image_manifest_is_its_own_target() {
        let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
            "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:c","size":1},
            "layers":[]}"#;
        let found = targets("sha256:img", None, manifest, &[]).unwrap();
        assert_eq!(
            found,
            vec![Target {
                digest: "sha256:img".into(),
                platform: None
            }]
        );
        assert!(targets("sha256:img", None, manifest, &["linux/amd64".into()]).is_err());
    }

    #[test]
    fn index_of_only_attestations_is_an_error_and_garbage_is_malformed() {
        let only = br#"{"manifests":[{"digest":"sha256:x","platform":{"os":"unknown","architecture":"unknown"}}]}"#;
        assert_eq!(
            targets("d", Some(ACCEPTED_MEDIA_TYPES[0]), only, &[]),
            Err(IdentifyError::EmptyIndex)
        );
        assert!(matches!(
            targets("d", None, b"nope", &[]),
            Err(IdentifyError::Malformed(_))
        ));
    }
}
