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
//! members). A directory's files are opened by `contained`, which follows no symbolic link below the
//! directory — not even one that points back inside: such a file is refused with a message that names
//! the link and nothing about its target. Paths that manifests name (`manifest.json`'s config and
//! layers) must stay inside too: `..` that would leave the source is refused, and a leading `/` means
//! the source's root.
//!
//! Where things are: what a source is read into, `image`; what can go wrong, `error`; the two formats,
//! `layout` and `legacy`, which read files through a `store` (a directory, or a tar `archive`);
//! staying inside the source, `contained`. Only [`open`] is here.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

mod archive;
mod contained;
mod error;
mod image;
mod layout;
mod legacy;
mod store;

use archive::Archive;
pub use error::{Problem, SourceError};
pub use image::{
    Blob, DOCKER_LIST, DOCKER_MANIFEST, Image, Location, Manifest, OCI_INDEX, OCI_MANIFEST,
    SourceKind,
};
use store::Store;

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

#[cfg(test)]
mod tests {
    use super::*;

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
        use std::path::PathBuf;

        use serde_json::{Value, json};

        use super::*;
        use crate::digest::Digest;
        use crate::registry::source::layout::blob_path;

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

    /// OCI image layouts: which image a tag picks, and what is checked on the way.
    mod layouts {
        use std::path::Path;

        use serde_json::{Value, json};

        use super::*;
        use crate::digest::Digest;
        use crate::registry::source::layout::REF_NAME;

        fn write_blob(dir: &Path, bytes: &[u8]) -> Value {
            let digest = Digest::of(bytes);
            std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
            std::fs::write(dir.join("blobs/sha256").join(digest.hex()), bytes).unwrap();
            json!({ "digest": digest.as_str(), "size": bytes.len() })
        }

        /// An image manifest with one layer; its descriptor.
        fn image(dir: &Path, seed: &str) -> Value {
            let config = write_blob(dir, format!("{{\"seed\":\"{seed}\"}}").as_bytes());
            let layer = write_blob(dir, format!("layer {seed}").as_bytes());
            let manifest = json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config["digest"], "size": config["size"] },
                "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer["digest"], "size": layer["size"] }],
            });
            let mut descriptor = write_blob(dir, manifest.to_string().as_bytes());
            descriptor["mediaType"] = json!(OCI_MANIFEST);
            descriptor
        }

        fn index_json(dir: &Path, manifests: Vec<Value>) {
            let index = json!({ "schemaVersion": 2, "manifests": manifests });
            std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
        }

        fn named(mut descriptor: Value, name: &str) -> Value {
            descriptor["annotations"] = json!({ REF_NAME: name });
            descriptor
        }

        #[test]
        fn the_tag_picks_one_of_several_named_images() {
            let dir = tempfile::tempdir().unwrap();
            let one = image(dir.path(), "one");
            let two = image(dir.path(), "two");
            index_json(dir.path(), vec![named(one, "v1"), named(two.clone(), "v2")]);
            let image = open(dir.path(), Some("v2")).unwrap();
            assert_eq!(image.top().digest.as_str(), two["digest"]);
            assert_eq!(image.blobs.len(), 2);
            let error = open(dir.path(), Some("v3")).unwrap_err();
            assert!(
                matches!(&error, SourceError::Ambiguous { count: 2, names, .. } if names == "v1, v2"),
                "{error}"
            );
        }

        #[test]
        fn an_index_json_of_platform_images_is_the_index_itself() {
            let dir = tempfile::tempdir().unwrap();
            let mut amd64 = image(dir.path(), "amd64");
            amd64["platform"] = json!({ "os": "linux", "architecture": "amd64" });
            let mut arm64 = image(dir.path(), "arm64");
            arm64["platform"] = json!({ "os": "linux", "architecture": "arm64", "variant": "v8" });
            index_json(dir.path(), vec![amd64, arm64]);
            let image = open(dir.path(), Some("latest")).unwrap();
            assert_eq!(image.manifests.len(), 3);
            assert_eq!(image.top().media_type, OCI_INDEX);
            let bytes = std::fs::read(dir.path().join("index.json")).unwrap();
            assert_eq!(image.top().digest, Digest::of(&bytes));
            assert_eq!(
                image.manifests[1].platform.as_deref(),
                Some("linux/arm64/v8")
            );
        }

        #[test]
        fn a_manifest_that_does_not_match_its_digest_is_corrupt() {
            let dir = tempfile::tempdir().unwrap();
            let descriptor = image(dir.path(), "x");
            let digest = Digest::parse(descriptor["digest"].as_str().unwrap()).unwrap();
            let path = dir.path().join("blobs/sha256").join(digest.hex());
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[0] = b' ';
            std::fs::write(&path, bytes).unwrap();
            index_json(dir.path(), vec![descriptor]);
            let error = open(dir.path(), None).unwrap_err();
            let SourceError::Corrupt { problems, .. } = error else {
                panic!("{error}");
            };
            assert!(
                matches!(&problems[..], [Problem::Digest { declared, .. }] if *declared == digest)
            );
        }

        #[test]
        fn media_types_that_disagree_are_refused() {
            let dir = tempfile::tempdir().unwrap();
            let mut descriptor = image(dir.path(), "x");
            descriptor["mediaType"] = json!(DOCKER_MANIFEST);
            index_json(dir.path(), vec![descriptor]);
            let error = open(dir.path(), None).unwrap_err();
            assert!(matches!(error, SourceError::Invalid { .. }), "{error}");
        }

        #[test]
        fn blobs_are_located_not_read_and_listed_once() {
            let dir = tempfile::tempdir().unwrap();
            let descriptor = image(dir.path(), "x");
            index_json(dir.path(), vec![descriptor.clone(), descriptor]);
            let image = open(dir.path(), None).unwrap();
            assert_eq!(image.manifests.len(), 1);
            let roles: Vec<&str> = image.blobs.iter().map(|b| b.role.as_str()).collect();
            assert!(roles[0].starts_with("config of "), "{roles:?}");
            assert!(roles[1].starts_with("layer 1 of "), "{roles:?}");
            assert!(image.blobs.iter().all(|b| b.location.is_some()));
        }
    }
}
