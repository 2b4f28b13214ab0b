//! Identifying what to scan from a manifest: a single image, or an image index whose child images are
//! scanned one by one (attestation manifests skipped, nested indexes followed to a bounded depth,
//! `--platform` applied). Pure: the bytes come from `BatchGetImage`, fetched by the caller. No image
//! of an index is dropped without an error saying so.

use std::collections::BTreeSet;

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

/// How deep image indexes may nest (an index inside an index inside the top one is depth 2).
pub const MAX_INDEX_DEPTH: usize = 4;

/// How many nested indexes one image may make the gate fetch.
pub const MAX_NESTED_INDEXES: usize = 32;

/// Why a manifest could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifyError {
    #[error("the manifest {digest} is not valid JSON: {message}")]
    Malformed { digest: String, message: String },
    #[error("the image index lists no image manifests (only attestations or nothing)")]
    EmptyIndex,
    #[error("no image in the index matches --platform {wanted}; it has: {available}")]
    NoPlatform { wanted: String, available: String },
    #[error("--platform {wanted} was given but the image is not an index of platforms")]
    NotAnIndex { wanted: String },
    #[error(
        "entry {position} of the image index {index} has no digest, so the image it stands for cannot be \
         scanned"
    )]
    EntryWithoutDigest { index: String, position: usize },
    #[error(
        "the image index {index} nests index {entry} deeper than {MAX_INDEX_DEPTH} levels; refusing \
         rather than gating without the images inside it"
    )]
    NestedTooDeep { index: String, entry: String },
    #[error(
        "the image index {index} nests more than {MAX_NESTED_INDEXES} indexes (at {entry}); refusing \
         rather than gating without the images inside them"
    )]
    TooManyNested { index: String, entry: String },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    media_type: Option<String>,
    manifests: Option<Vec<RawDescriptor>>,
    layers: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    media_type: Option<String>,
    digest: Option<String>,
    platform: Option<RawPlatform>,
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

/// An index inside an index, still to be fetched (by digest) and read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedIndex {
    pub digest: String,
    /// The platform its parent's descriptor names, if any (for children that name none).
    platform: Option<String>,
    /// 1 for an index listed by the top manifest, 2 below that, …
    depth: usize,
}

/// Resolves the manifest an image reference names into the images ECR scans, following nested
/// indexes (bounded in depth and number). Pure: the caller fetches each [`NestedIndex`] it hands out
/// and gives the bytes back with [`Resolver::add`].
#[derive(Debug)]
pub struct Resolver {
    top: String,
    top_is_index: bool,
    images: Vec<Target>,
    pending: Vec<NestedIndex>,
    seen: BTreeSet<String>,
    fetched: usize,
}

impl Resolver {
    /// Starts from the manifest fetched by `digest` (`media_type` as `BatchGetImage` reported it).
    pub fn new(
        digest: &str,
        media_type: Option<&str>,
        manifest: &[u8],
    ) -> Result<Resolver, IdentifyError> {
        let mut resolver = Resolver {
            top: digest.to_string(),
            top_is_index: false,
            images: Vec::new(),
            pending: Vec::new(),
            seen: BTreeSet::from([digest.to_string()]),
            fetched: 0,
        };
        let at = NestedIndex {
            digest: digest.to_string(),
            platform: None,
            depth: 0,
        };
        resolver.top_is_index = resolver.read(&at, media_type, manifest)?;
        Ok(resolver)
    }

    /// Whether the top manifest is an image index (its digest then names every image of it).
    pub fn is_index(&self) -> bool {
        self.top_is_index
    }

    /// The next nested index to fetch, if any.
    pub fn next_nested(&mut self) -> Option<NestedIndex> {
        self.pending.pop()
    }

    /// Reads a nested index fetched for `nested`.
    pub fn add(
        &mut self,
        nested: &NestedIndex,
        media_type: Option<&str>,
        manifest: &[u8],
    ) -> Result<(), IdentifyError> {
        self.read(nested, media_type, manifest).map(drop)
    }

    /// The images to scan, with `--platform` applied (`os/arch[/variant]`, or just `arch`; empty means
    /// every platform).
    pub fn finish(self, platforms: &[String]) -> Result<Vec<Target>, IdentifyError> {
        if !self.top_is_index {
            if let Some(wanted) = platforms.first() {
                return Err(IdentifyError::NotAnIndex {
                    wanted: wanted.clone(),
                });
            }
            return Ok(self.images);
        }
        let children = self.images;
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

    /// Reads one manifest; `true` when it is an index.
    fn read(
        &mut self,
        at: &NestedIndex,
        media_type: Option<&str>,
        manifest: &[u8],
    ) -> Result<bool, IdentifyError> {
        let raw: RawManifest =
            serde_json::from_slice(manifest).map_err(|e| IdentifyError::Malformed {
                digest: at.digest.clone(),
                message: e.to_string(),
            })?;
        let declared = media_type.or(raw.media_type.as_deref()).unwrap_or_default();
        let is_index =
            is_index_media_type(declared) || (raw.manifests.is_some() && raw.layers.is_none());
        if !is_index {
            self.push_image(at.digest.clone(), at.platform.clone());
            return Ok(false);
        }
        for (position, entry) in raw.manifests.unwrap_or_default().into_iter().enumerate() {
            if is_attestation(&entry) {
                continue;
            }
            let Some(child_digest) = entry.digest.filter(|d| !d.trim().is_empty()) else {
                return Err(IdentifyError::EntryWithoutDigest {
                    index: at.digest.clone(),
                    position: position + 1,
                });
            };
            let platform = entry.platform.map(platform_name).or(at.platform.clone());
            if entry.media_type.as_deref().is_some_and(is_index_media_type) {
                self.push_nested(at, child_digest, platform)?;
            } else {
                self.push_image(child_digest, platform);
            }
        }
        Ok(true)
    }

    fn push_image(&mut self, digest: String, platform: Option<String>) {
        if !self.images.iter().any(|image| image.digest == digest) {
            self.images.push(Target { digest, platform });
        }
    }

    fn push_nested(
        &mut self,
        parent: &NestedIndex,
        digest: String,
        platform: Option<String>,
    ) -> Result<(), IdentifyError> {
        // NOTE: digests are content hashes, so an index cannot contain itself; the set only drops
        // repeats of one nested index.
        if !self.seen.insert(digest.clone()) {
            return Ok(());
        }
        if parent.depth + 1 > MAX_INDEX_DEPTH {
            return Err(IdentifyError::NestedTooDeep {
                index: self.top.clone(),
                entry: digest,
            });
        }
        self.fetched += 1;
        if self.fetched > MAX_NESTED_INDEXES {
            return Err(IdentifyError::TooManyNested {
                index: self.top.clone(),
                entry: digest,
            });
        }
        self.pending.push(NestedIndex {
            digest,
            platform,
            depth: parent.depth + 1,
        });
        Ok(())
    }
}

fn platform_name(p: RawPlatform) -> String {
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
}

/// buildx provenance/SBOM attestations: platform `unknown/unknown` (moby/buildkit#3499), usually also
/// annotated `vnd.docker.reference.type: attestation-manifest`.
///
/// NOTE: the platform decides, not the annotation. A runtime picks an index entry by its platform and
/// ignores annotations, so an entry annotated as an attestation but naming a real platform (or none,
/// which containerd takes as matching any) can be the image that runs; it is scanned like any other.
/// Only `unknown/unknown`, which no runtime selects, is left out.
fn is_attestation(entry: &RawDescriptor) -> bool {
    entry.platform.as_ref().is_some_and(|p| {
        p.os.as_deref() == Some("unknown") && p.architecture.as_deref() == Some("unknown")
    })
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

    /// Resolves a manifest that nests no index.
    fn targets(
        digest: &str,
        media_type: Option<&str>,
        manifest: &[u8],
        platforms: &[String],
    ) -> Result<Vec<Target>, IdentifyError> {
        let mut resolver = Resolver::new(digest, media_type, manifest)?;
        assert_eq!(resolver.next_nested(), None);
        resolver.finish(platforms)
    }

    /// An index entry: media type, digest, and `(os, architecture)`.
    type Entry<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);

    fn index_of(entries: &[Entry<'_>]) -> Vec<u8> {
        let manifests: Vec<serde_json::Value> = entries
            .iter()
            .map(|(media_type, digest, platform)| {
                let mut entry =
                    serde_json::json!({"mediaType": media_type, "digest": digest, "size": 1});
                if let Some((os, arch)) = platform {
                    entry["platform"] = serde_json::json!({"os": os, "architecture": arch});
                }
                entry
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": ACCEPTED_MEDIA_TYPES[0],
            "manifests": manifests
        }))
        .unwrap()
    }

    const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";

    #[test]
    fn nested_indexes_are_followed_and_their_images_kept_with_platforms() {
        let top = index_of(&[
            (IMAGE, "sha256:s390x", Some(("linux", "s390x"))),
            (ACCEPTED_MEDIA_TYPES[0], "sha256:nested", None),
            (
                ACCEPTED_MEDIA_TYPES[1],
                "sha256:windows",
                Some(("windows", "amd64")),
            ),
            (ACCEPTED_MEDIA_TYPES[0], "sha256:nested", None),
        ]);
        let mut resolver = Resolver::new("sha256:top", None, &top).unwrap();
        let mut fetched = Vec::new();
        while let Some(nested) = resolver.next_nested() {
            fetched.push(nested.digest.clone());
            let body = match nested.digest.as_str() {
                "sha256:nested" => index_of(&[
                    (IMAGE, "sha256:amd64", Some(("linux", "amd64"))),
                    (IMAGE, "sha256:s390x", Some(("linux", "s390x"))),
                ]),
                "sha256:windows" => index_of(&[(IMAGE, "sha256:win", None)]),
                other => panic!("unexpected fetch of {other}"),
            };
            resolver
                .add(&nested, Some(ACCEPTED_MEDIA_TYPES[0]), &body)
                .unwrap();
        }
        fetched.sort();
        assert_eq!(fetched, ["sha256:nested", "sha256:windows"]);
        let found = resolver.finish(&[]).unwrap();
        let found: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|t| (t.digest.as_str(), t.platform.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                ("sha256:s390x", Some("linux/s390x")),
                ("sha256:win", Some("windows/amd64")),
                ("sha256:amd64", Some("linux/amd64")),
            ]
        );
    }

    #[test]
    fn a_nested_index_that_turns_out_to_be_an_image_is_scanned_as_one() {
        let top = index_of(&[(
            ACCEPTED_MEDIA_TYPES[0],
            "sha256:odd",
            Some(("linux", "arm64")),
        )]);
        let mut resolver = Resolver::new("sha256:top", None, &top).unwrap();
        let nested = resolver.next_nested().unwrap();
        let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#;
        resolver.add(&nested, Some(IMAGE), image).unwrap();
        assert_eq!(
            resolver.finish(&["arm64".into()]).unwrap(),
            [Target {
                digest: "sha256:odd".into(),
                platform: Some("linux/arm64".into())
            }]
        );
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_naming_the_entry() {
        let mut resolver = Resolver::new(
            "sha256:top",
            None,
            &index_of(&[(ACCEPTED_MEDIA_TYPES[0], "sha256:level1", None)]),
        )
        .unwrap();
        let mut level = 1;
        let error = loop {
            let nested = resolver.next_nested().expect("a nested index to fetch");
            assert_eq!(nested.depth, level);
            level += 1;
            let child = format!("sha256:level{level}");
            let body = index_of(&[(ACCEPTED_MEDIA_TYPES[0], &child, None)]);
            if let Err(error) = resolver.add(&nested, None, &body) {
                break error;
            }
        };
        assert_eq!(level, MAX_INDEX_DEPTH + 1);
        assert_eq!(
            error,
            IdentifyError::NestedTooDeep {
                index: "sha256:top".into(),
                entry: format!("sha256:level{}", MAX_INDEX_DEPTH + 1)
            }
        );
        assert!(error.to_string().contains("sha256:level5"), "{error}");
    }

    #[test]
    fn more_nested_indexes_than_the_limit_are_refused() {
        let digests: Vec<String> = (0..=MAX_NESTED_INDEXES)
            .map(|i| format!("sha256:n{i}"))
            .collect();
        let entries: Vec<Entry<'_>> = digests
            .iter()
            .map(|d| (ACCEPTED_MEDIA_TYPES[0], d.as_str(), None))
            .collect();
        let error = Resolver::new("sha256:top", None, &index_of(&entries)).unwrap_err();
        assert_eq!(
            error,
            IdentifyError::TooManyNested {
                index: "sha256:top".into(),
                entry: format!("sha256:n{MAX_NESTED_INDEXES}")
            }
        );
        let within = &entries[..MAX_NESTED_INDEXES];
        assert!(Resolver::new("sha256:top", None, &index_of(within)).is_ok());
    }

    #[test]
    fn without_a_media_type_the_shape_tells_an_index_from_an_image() {
        let index = br#"{"manifests":[{"digest":"sha256:a","platform":{"os":"linux","architecture":"amd64"}}]}"#;
        assert_eq!(
            targets("sha256:top", None, index, &[]).unwrap()[0].digest,
            "sha256:a"
        );
        // Something with layers is an image, whatever else it carries.
        let image = br#"{"manifests":[{"digest":"sha256:a"}],"layers":[]}"#;
        assert_eq!(
            targets("sha256:top", None, image, &[]).unwrap()[0].digest,
            "sha256:top"
        );
        let plain = br#"{"layers":[]}"#;
        assert_eq!(
            targets("sha256:top", None, plain, &[]).unwrap()[0].digest,
            "sha256:top"
        );
    }

    #[test]
    fn only_an_unknown_platform_marks_an_attestation_whatever_the_annotations_say() {
        // An entry annotated as an attestation but naming linux/amd64 is what `docker pull` runs on
        // amd64 when it comes first; one with no platform matches any platform in containerd.
        let index = br#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"digest":"sha256:annotated","platform":{"os":"linux","architecture":"amd64"},
             "annotations":{"vnd.docker.reference.type":"attestation-manifest"}},
            {"digest":"sha256:unplatformed",
             "annotations":{"vnd.docker.reference.type":"attestation-manifest"}},
            {"digest":"sha256:unknown","platform":{"os":"unknown","architecture":"unknown"}},
            {"digest":"sha256:buildx","platform":{"os":"unknown","architecture":"unknown"},
             "annotations":{"vnd.docker.reference.type":"attestation-manifest"}},
            {"digest":"sha256:half","platform":{"os":"linux","architecture":"unknown"}},
            {"digest":"sha256:other","platform":{"os":"unknown","architecture":"arm64"}},
            {"digest":"sha256:clean","platform":{"os":"linux","architecture":"amd64"}},
            {"digest":"sha256:signed","annotations":{"vnd.docker.reference.type":"signature"}}]}"#;
        let kept: Vec<String> = targets("sha256:top", None, index, &[])
            .unwrap()
            .into_iter()
            .map(|t| t.digest)
            .collect();
        assert_eq!(
            kept,
            [
                "sha256:annotated",
                "sha256:unplatformed",
                "sha256:half",
                "sha256:other",
                "sha256:clean",
                "sha256:signed"
            ]
        );
        let amd64 = targets("sha256:top", None, index, &["linux/amd64".into()]).unwrap();
        let amd64: Vec<&str> = amd64.iter().map(|t| t.digest.as_str()).collect();
        assert_eq!(amd64, ["sha256:annotated", "sha256:clean"]);
    }

    #[test]
    fn an_entry_without_a_digest_is_refused_not_skipped() {
        let index = br#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a"},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":" "}]}"#;
        let error = targets("sha256:top", None, index, &[]).unwrap_err();
        assert_eq!(
            error,
            IdentifyError::EntryWithoutDigest {
                index: "sha256:top".into(),
                position: 2
            }
        );
    }

    #[test]
    fn a_malformed_nested_index_names_its_digest() {
        let top = index_of(&[(ACCEPTED_MEDIA_TYPES[0], "sha256:bad", None)]);
        let mut resolver = Resolver::new("sha256:top", None, &top).unwrap();
        let nested = resolver.next_nested().unwrap();
        let error = resolver.add(&nested, None, b"{").unwrap_err();
        assert!(error.to_string().contains("sha256:bad"), "{error}");
    }

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
            Err(IdentifyError::Malformed { .. })
        ));
    }
}
