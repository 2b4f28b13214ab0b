//! `scan IMAGE --push SOURCE` end to end: the real binary pushes to Debian's `docker-registry` (CNCF
//! distribution 2.8, htpasswd auth with the password moto's `GetAuthorizationToken` hands out), then
//! identifies, scans and gates the image through moto's ECR API.
//!
//! moto and the registry do not share storage, so a [`Mirror`] thread stands in for ECR's own
//! plumbing: as soon as the tag shows up in the registry it copies the manifests (children first,
//! true digests) into moto with `PutImage`; the binary's `BatchGetImage` waits for a freshly pushed tag
//! to become visible. moto's scan then always finds one `HIGH` finding, so a gated run exits 1.
//!
//! Sources are written at test time into temporary directories: OCI layouts, tars of them, and legacy
//! `docker save` archives, with incompressible layer bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

use crate::moto::{Moto, MotoEcr, REGION, digest_of};
use crate::registry_server::{Faults, Proxy, Registry, RegistryApi};
use crate::support::{Gate, Run};

pub(crate) const REPOSITORY: &str = "team/app";
pub(crate) const TAG: &str = "v1";
/// What moto's `GetAuthorizationToken` hands out: base64 of `AWS:<account>-auth-token`.
const PASSWORD: &str = "123456789012-auth-token";
/// A small chunk size, so that layers of a few hundred KB go up in several `PATCH` requests.
const SMALL_CHUNKS: &str = "65536";

const OCI_LAYOUT_FILE: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

// ---- sources, written at test time ----

/// `len` incompressible bytes, distinct per `seed` (xorshift64*).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        bytes.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// An OCI image layout being written.
pub(crate) struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).expect("blobs dir");
        std::fs::write(dir.path().join("oci-layout"), OCI_LAYOUT_FILE).expect("oci-layout");
        Layout { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    fn blob_path(&self, digest: &str) -> PathBuf {
        self.path()
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    }

    /// Writes a blob and returns its descriptor.
    fn blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let digest = digest_of(bytes);
        std::fs::write(self.blob_path(&digest), bytes).expect("write blob");
        json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() })
    }

    /// An image manifest with a config and one layer per size in `layers`.
    fn image(&self, seed: u64, layers: &[usize], platform: Option<(&str, &str)>) -> Value {
        let layers: Vec<Value> = layers
            .iter()
            .enumerate()
            .map(|(n, len)| self.blob(OCI_LAYER, &noise(seed * 100 + n as u64, *len)))
            .collect();
        let (os, architecture) = platform.unwrap_or(("linux", "amd64"));
        let config = json!({
            "architecture": architecture,
            "os": os,
            "config": { "Env": [format!("SEED={seed}")] },
            "rootfs": { "type": "layers", "diff_ids": layers.iter().map(|l| l["digest"].clone()).collect::<Vec<_>>() },
        });
        let config = self.blob(OCI_CONFIG, config.to_string().as_bytes());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": layers,
        });
        let mut descriptor = self.blob(OCI_MANIFEST, manifest.to_string().as_bytes());
        if let Some((os, architecture)) = platform {
            descriptor["platform"] = json!({ "os": os, "architecture": architecture });
        }
        descriptor
    }

    /// A buildx-style provenance attestation for `subject`.
    fn attestation(&self, subject: &Value) -> Value {
        let statement = json!({ "_type": "https://in-toto.io/Statement/v0.1", "subject": [{ "digest": subject["digest"] }] });
        let layer = self.blob(
            "application/vnd.in-toto+json",
            statement.to_string().as_bytes(),
        );
        let config = self.blob(OCI_CONFIG, br#"{"architecture":"unknown","os":"unknown","rootfs":{"type":"layers","diff_ids":[]}}"#);
        let manifest = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer],
        });
        let mut descriptor = self.blob(OCI_MANIFEST, manifest.to_string().as_bytes());
        descriptor["platform"] = json!({ "os": "unknown", "architecture": "unknown" });
        descriptor["annotations"] = json!({
            "vnd.docker.reference.digest": subject["digest"],
            "vnd.docker.reference.type": "attestation-manifest",
        });
        descriptor
    }

    fn index(&self, manifests: &[Value]) -> Value {
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
        self.blob(OCI_INDEX, index.to_string().as_bytes())
    }

    /// Writes `index.json` naming `top` as `TAG`; returns `top`'s digest.
    fn finish(&self, top: &Value) -> String {
        let mut named = top.clone();
        named["annotations"] = json!({ "org.opencontainers.image.ref.name": TAG });
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [named] });
        std::fs::write(self.path().join("index.json"), index.to_string()).expect("index.json");
        top["digest"].as_str().expect("digest").to_string()
    }

    /// Every blob digest in the layout.
    fn blobs(&self) -> Vec<String> {
        let mut digests: Vec<String> = std::fs::read_dir(self.path().join("blobs/sha256"))
            .expect("blobs")
            .map(|e| format!("sha256:{}", e.expect("entry").file_name().to_string_lossy()))
            .collect();
        digests.sort();
        digests
    }
}

/// A single-platform image of three layers (the middle one spans several small chunks).
pub(crate) fn three_layer_image() -> (Layout, String) {
    let layout = Layout::new();
    let top = layout.image(1, &[20_000, 300_000, 5_000], None);
    let digest = layout.finish(&top);
    (layout, digest)
}

/// A tar of `dir`'s content (paths `./…`, as `tar -C dir -cf out .` writes them).
fn tar_of(dir: &Path, out: &Path) {
    let file = std::fs::File::create(out).expect("create tar");
    let mut builder = tar::Builder::new(file);
    builder.append_dir_all(".", dir).expect("tar the layout");
    builder.finish().expect("finish tar");
}

/// An uncompressed tar holding one file.
fn layer_tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    builder
        .append_data(&mut header, name, content)
        .expect("layer entry");
    builder.into_inner().expect("layer tar")
}

/// A legacy `docker save` archive (Docker < 25) of a two-layer image tagged `team/app:v1`; returns
/// the layer tars' digests (their diff ids).
fn docker_save_archive(out: &Path) -> Vec<String> {
    let layers = [
        layer_tar("etc/os-release", &noise(7, 40_000)),
        layer_tar("app/bin", &noise(8, 150_000)),
    ];
    let diff_ids: Vec<String> = layers.iter().map(|l| digest_of(l)).collect();
    let config = json!({
        "architecture": "amd64", "os": "linux", "config": { "Cmd": ["/app/bin"] },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    })
    .to_string();
    let config_name = format!(
        "{}.json",
        digest_of(config.as_bytes()).trim_start_matches("sha256:")
    );
    let ids: Vec<String> = (0..layers.len())
        .map(|n| {
            digest_of(format!("layer id {n}").as_bytes())
                .trim_start_matches("sha256:")
                .to_string()
        })
        .collect();
    let manifest = json!([{
        "Config": config_name,
        "RepoTags": [format!("{REPOSITORY}:{TAG}")],
        "Layers": ids.iter().map(|id| format!("{id}/layer.tar")).collect::<Vec<_>>(),
    }])
    .to_string();
    let file = std::fs::File::create(out).expect("create archive");
    let mut builder = tar::Builder::new(file);
    let mut add = |path: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, path, bytes)
            .expect("archive entry");
    };
    for (id, layer) in ids.iter().zip(&layers) {
        add(&format!("{id}/VERSION"), b"1.0");
        add(
            &format!("{id}/json"),
            format!(r#"{{"id":"{id}"}}"#).as_bytes(),
        );
        add(&format!("{id}/layer.tar"), layer);
    }
    add(&config_name, config.as_bytes());
    add("manifest.json", manifest.as_bytes());
    add(
        "repositories",
        json!({ REPOSITORY: { TAG: ids[ids.len() - 1] } })
            .to_string()
            .as_bytes(),
    );
    builder.finish().expect("finish archive");
    diff_ids
}

// ---- the ECR side: moto, fed from the registry ----

/// Copies `REPOSITORY:TAG` from the registry into moto whenever the tag points somewhere new:
/// children by digest first, then the tag.
struct Mirror {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Mirror {
    fn start(api: RegistryApi, ecr: MotoEcr) -> Mirror {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut copied: Option<String> = None;
            while !flag.load(Ordering::SeqCst) {
                if let Some(top) = api.manifest(REPOSITORY, TAG)
                    && copied.as_deref() != Some(top.digest.as_str())
                {
                    let parsed: Value = serde_json::from_slice(&top.bytes).expect("manifest JSON");
                    for child in parsed["manifests"].as_array().into_iter().flatten() {
                        let digest = child["digest"].as_str().expect("child digest");
                        let served = api.manifest(REPOSITORY, digest).expect("child manifest");
                        put_image(
                            &ecr,
                            &served.bytes,
                            &served.media_type,
                            &served.digest,
                            None,
                        );
                    }
                    put_image(&ecr, &top.bytes, &top.media_type, &top.digest, Some(TAG));
                    copied = Some(top.digest);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Mirror {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn put_image(ecr: &MotoEcr, manifest: &[u8], media_type: &str, digest: &str, tag: Option<&str>) {
    let mut input = json!({
        "repositoryName": REPOSITORY,
        "imageManifest": String::from_utf8_lossy(manifest),
        "imageManifestMediaType": media_type,
        "imageDigest": digest,
    });
    if let Some(tag) = tag {
        input["imageTag"] = json!(tag);
    }
    // `ImageAlreadyExistsException` on a re-push is fine.
    let _ = ecr.call("PutImage", &input);
}

/// moto (with the repository), a registry that takes `registry_password`, and the mirror between
/// them.
pub(crate) struct Stack {
    // Stopped before the servers it reads and writes.
    _mirror: Mirror,
    pub(crate) moto: Moto,
    pub(crate) registry: Registry,
}

impl Stack {
    pub(crate) fn start() -> Stack {
        Stack::with_registry_password(PASSWORD)
    }

    fn with_registry_password(password: &str) -> Stack {
        let moto = Moto::start();
        moto.ecr(REGION).create_repository(REPOSITORY);
        let registry = Registry::start(password);
        Stack {
            _mirror: Mirror::start(registry.api(), moto.ecr(REGION)),
            moto,
            registry,
        }
    }

    /// `scan team/app:v1 --push SOURCE` straight to the registry.
    fn push(&self, source: &Path) -> Gate {
        self.push_via(&self.registry.endpoint(), source)
    }

    /// `scan team/app:v1 --push SOURCE --registry-endpoint ENDPOINT` (a proxy in front of the registry).
    fn push_via(&self, endpoint: &str, source: &Path) -> Gate {
        self.push_image(&format!("{REPOSITORY}:{TAG}"), endpoint, source)
    }

    /// `scan IMAGE --push SOURCE --registry-endpoint ENDPOINT` with the JSON report written and moto
    /// as the ECR API.
    pub(crate) fn push_image(&self, image: &str, endpoint: &str, source: &Path) -> Gate {
        Gate::scan(image)
            .moto(&self.moto)
            .region(REGION)
            .push(source)
            .registry_endpoint(endpoint)
            .timeout("60s")
            .json()
    }

    pub(crate) fn api(&self) -> RegistryApi {
        self.registry.api()
    }

    /// The registry holds no repository at all.
    #[track_caller]
    fn assert_nothing_pushed(&self) {
        assert_eq!(self.api().catalog(), Vec::<String>::new(), "nothing pushed");
    }
}

/// The digest the run says it pushed (`pushed team/app:v1 sha256:…`).
fn pushed_digest(run: &Run) -> String {
    let stderr = &run.stderr;
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("pushed {REPOSITORY}:{TAG} ")))
        .unwrap_or_else(|| panic!("no `pushed` line in:\n{stderr}"));
    line.rsplit(' ').next().expect("digest").to_string()
}

/// The gated images' digests in the JSON report.
fn reported_digests(run: &Run) -> Vec<String> {
    let report = run.json();
    let mut digests: Vec<String> = report["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["digest"].as_str().expect("digest").to_string())
        .collect();
    digests.sort();
    digests
}

/// Every config and layer of the layout is served by the registry with its content (manifests live
/// apart from blobs there).
#[track_caller]
fn assert_blobs_served(api: &RegistryApi, layout: &Layout) {
    for digest in layout.blobs() {
        let bytes = std::fs::read(layout.blob_path(&digest)).unwrap();
        let is_manifest =
            serde_json::from_slice::<Value>(&bytes).is_ok_and(|v| v.get("schemaVersion").is_some());
        if is_manifest {
            continue;
        }
        let served = api.blob(REPOSITORY, &digest);
        assert_eq!(digest_of(&served), digest, "blob {digest} as served");
    }
}

// ---- the scenarios ----

#[test]
fn multi_layer_image_is_pushed_then_scanned_and_gated() {
    let stack = Stack::start();
    let (layout, digest) = three_layer_image();
    let run = stack
        .push(layout.path())
        .args(&["--push-chunk-size", SMALL_CHUNKS])
        .run();
    run.expect(1);
    assert_eq!(pushed_digest(&run), digest);
    let served = stack
        .api()
        .manifest(REPOSITORY, TAG)
        .expect("tag in the registry");
    assert_eq!(served.digest, digest);
    assert_eq!(
        digest_of(&served.bytes),
        digest,
        "manifest bytes kept as they are"
    );
    assert_blobs_served(&stack.api(), &layout);
    assert_eq!(reported_digests(&run), vec![digest]);
    let report = run.json();
    assert_eq!(report["verdict"]["result"], "fail");
    assert_eq!(report["findings"][0]["id"], "CVE-9999-9999");
    let stderr = &run.stderr;
    run.assert_stderr("uploading 4 (325.3 kB)");
    assert!(!stderr.contains(PASSWORD), "password printed:\n{stderr}");
}

#[test]
fn index_is_pushed_children_first_and_each_platform_is_gated() {
    let stack = Stack::start();
    let layout = Layout::new();
    let amd64 = layout.image(1, &[30_000, 10_000], Some(("linux", "amd64")));
    let arm64 = layout.image(2, &[25_000], Some(("linux", "arm64")));
    let attestation = layout.attestation(&amd64);
    let index = layout.index(&[amd64.clone(), arm64.clone(), attestation.clone()]);
    let digest = layout.finish(&index);
    let proxy = Proxy::start(stack.registry.port(), Faults::default());

    let run = stack.push_via(&proxy.endpoint(), layout.path()).run();
    run.expect(1);
    assert_eq!(pushed_digest(&run), digest);
    let mut platforms: Vec<String> = vec![
        amd64["digest"].as_str().unwrap().into(),
        arm64["digest"].as_str().unwrap().into(),
    ];
    platforms.sort();
    assert_eq!(
        reported_digests(&run),
        platforms,
        "the attestation is not gated"
    );

    let requests = proxy.requests();
    let manifest_puts: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("PUT /v2/team/app/manifests/"))
        .collect();
    let children = [&amd64, &arm64, &attestation];
    assert_eq!(manifest_puts.len(), 4, "{requests:#?}");
    assert_eq!(
        manifest_puts[3],
        &format!("PUT /v2/team/app/manifests/{TAG}"),
        "the index goes last"
    );
    for child in children {
        let put = format!(
            "PUT /v2/team/app/manifests/{}",
            child["digest"].as_str().unwrap()
        );
        assert!(manifest_puts[..3].contains(&&put), "{put} in {requests:#?}");
    }
    let first_manifest = requests
        .iter()
        .position(|r| r.contains("/manifests/"))
        .unwrap();
    let last_blob = requests
        .iter()
        .rposition(|r| r.contains("/blobs/uploads/"))
        .unwrap();
    assert!(
        last_blob < first_manifest,
        "blobs before manifests: {requests:#?}"
    );
    assert_blobs_served(&stack.api(), &layout);
    let served = stack.api().manifest(REPOSITORY, TAG).expect("tag");
    assert_eq!(served.media_type, OCI_INDEX);
}

#[test]
fn re_push_of_an_unchanged_image_skips_every_blob() {
    let stack = Stack::start();
    let (layout, digest) = three_layer_image();
    stack.push(layout.path()).run().expect(1);

    let proxy = Proxy::start(stack.registry.port(), Faults::default());
    let run = stack.push_via(&proxy.endpoint(), layout.path()).run();
    let took = run.elapsed;
    run.expect(1);
    assert_eq!(pushed_digest(&run), digest);
    let requests = proxy.requests();
    let blob_heads = requests
        .iter()
        .filter(|r| r.starts_with("HEAD /v2/team/app/blobs/"))
        .count();
    assert_eq!(
        blob_heads,
        layout.blobs().len() - 1,
        "one HEAD per blob: {requests:#?}"
    );
    assert!(
        !requests.iter().any(|r| r.contains("/blobs/uploads")),
        "nothing uploaded: {requests:#?}"
    );
    assert_eq!(
        requests.iter().filter(|r| r.starts_with("PUT ")).count(),
        1,
        "only the tag is put again: {requests:#?}"
    );
    run.assert_stderr("4 blob(s) (325.3 kB) already in the registry; uploading 0");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn corrupt_layout_is_refused_before_anything_is_pushed() {
    let stack = Stack::start();
    let (layout, _) = three_layer_image();
    // Flip one byte of the largest layer: same size, another digest.
    let victim = layout
        .blobs()
        .into_iter()
        .max_by_key(|d| std::fs::metadata(layout.blob_path(d)).unwrap().len())
        .unwrap();
    let path = layout.blob_path(&victim);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();

    let run = stack.push(layout.path()).run();
    run.expect(2);
    run.assert_stderr("is corrupt, nothing was pushed");
    run.assert_stderr("layer 2 of");
    run.assert_stderr(&format!("declared {victim}"));
    run.assert_stderr("hint:");
    stack.assert_nothing_pushed();
}

#[test]
fn missing_blob_is_refused_before_anything_is_pushed() {
    let stack = Stack::start();
    let (layout, _) = three_layer_image();
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(layout.blob_path(&digest_in_index(&layout))).unwrap(),
    )
    .unwrap();
    let gone = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(layout.blob_path(&gone)).unwrap();

    let run = stack.push(layout.path()).run();
    run.expect(2);
    let stderr = &run.stderr;
    run.assert_stderr("layer 1 of");
    assert!(stderr.contains(&format!("({gone}) is missing")), "{stderr}");
    stack.assert_nothing_pushed();
}

fn digest_in_index(layout: &Layout) -> String {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.path().join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn wrong_password_is_a_clear_error() {
    let stack = Stack::with_registry_password("not-what-ecr-hands-out");
    let (layout, _) = three_layer_image();
    let run = stack.push(layout.path()).run();
    run.expect(2);
    let stderr = &run.stderr;
    assert!(
        stderr.contains(&format!(
            "the registry at {} refused the credentials (HTTP 401)",
            stack.registry.endpoint()
        )),
        "{stderr}"
    );
    run.assert_stderr("hint: the password comes from ecr:GetAuthorizationToken");
    assert!(!stderr.contains(PASSWORD), "password printed:\n{stderr}");
    stack.assert_nothing_pushed();
}

#[test]
fn flaky_registry_is_retried_until_the_push_succeeds() {
    let stack = Stack::start();
    let layout = Layout::new();
    let top = layout.image(3, &[400_000, 250_000, 3_000, 70_000], None);
    let digest = layout.finish(&top);
    let proxy = Proxy::start(
        stack.registry.port(),
        Faults {
            unavailable_every: 4,
            drop_every: 7,
        },
    );
    let run = stack
        .push_via(&proxy.endpoint(), layout.path())
        .args(&["--push-chunk-size", SMALL_CHUNKS])
        .run();
    run.expect(1);
    assert_eq!(pushed_digest(&run), digest);
    assert!(
        proxy.injected() >= 3,
        "{} failures injected",
        proxy.injected()
    );
    run.assert_stderr("retrying in");
    run.assert_stderr("HTTP 503");
    assert_eq!(
        stack.api().manifest(REPOSITORY, TAG).expect("tag").digest,
        digest
    );
    assert_blobs_served(&stack.api(), &layout);
}

#[test]
fn legacy_docker_save_archive_is_pushed_as_an_oci_image() {
    let stack = Stack::start();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("app.tar");
    let diff_ids = docker_save_archive(&archive);

    let run = stack.push(&archive).run();
    run.expect(1);
    let digest = pushed_digest(&run);
    let served = stack.api().manifest(REPOSITORY, TAG).expect("tag");
    assert_eq!(served.digest, digest);
    assert_eq!(served.media_type, OCI_MANIFEST);
    let manifest: Value = serde_json::from_slice(&served.bytes).unwrap();
    let layers: Vec<&str> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["mediaType"], OCI_LAYER);
            l["digest"].as_str().unwrap()
        })
        .collect();
    assert_eq!(layers, diff_ids);
    for layer in &diff_ids {
        assert_eq!(&digest_of(&stack.api().blob(REPOSITORY, layer)), layer);
    }
    run.assert_stderr("docker save archive");
    assert_eq!(reported_digests(&run), vec![digest]);
}

#[test]
fn tar_of_an_oci_layout_is_pushed_from_the_archive() {
    let stack = Stack::start();
    let (layout, digest) = three_layer_image();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("image.tar");
    tar_of(layout.path(), &archive);

    let run = stack
        .push(&archive)
        .args(&["--push-chunk-size", SMALL_CHUNKS])
        .run();
    run.expect(1);
    assert_eq!(pushed_digest(&run), digest);
    run.assert_stderr("OCI image layout archive");
    assert_blobs_served(&stack.api(), &layout);
    assert_eq!(reported_digests(&run), vec![digest]);
}

#[test]
fn image_digest_other_than_the_source_is_refused() {
    let stack = Stack::start();
    let (layout, digest) = three_layer_image();
    let other = format!("{REPOSITORY}@{}", digest_of(b"another image"));
    let endpoint = stack.registry.endpoint();
    let run = stack.push_image(&other, &endpoint, layout.path()).run();
    run.expect(2);
    run.assert_stderr(&format!(
        "but the push source holds {digest}; nothing was pushed"
    ));
    stack.assert_nothing_pushed();
}

#[test]
fn password_is_masked_in_github_actions_before_anything_is_printed() {
    let stack = Stack::start();
    let (layout, _) = three_layer_image();
    let run = stack
        .push(layout.path())
        .env("GITHUB_ACTIONS", "true")
        .run();
    run.expect(1);
    let stderr = &run.stderr;
    let lines: Vec<&str> = stderr.lines().collect();
    let mask = lines
        .iter()
        .position(|l| *l == format!("::add-mask::{PASSWORD}"))
        .unwrap_or_else(|| panic!("no mask in:\n{stderr}"));
    let pushing = lines.iter().position(|l| l.starts_with("pushing")).unwrap();
    assert!(mask < pushing, "{stderr}");
    assert_eq!(
        stderr.matches(PASSWORD).count(),
        1,
        "only the mask command names it:\n{stderr}"
    );
}

// ---- sources that reach outside themselves ----

/// A file outside every source: what a hostile build would link to.
fn outside_file(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("credentials");
    let bytes = noise(99, 300_000);
    std::fs::write(&path, &bytes).expect("outside file");
    (path, digest_of(&bytes))
}

#[test]
fn layout_blob_linked_outside_is_refused_and_its_hash_never_printed() {
    let stack = Stack::start();
    let (layout, _) = three_layer_image();
    let elsewhere = tempfile::tempdir().unwrap();
    let (secret, secret_digest) = outside_file(elsewhere.path());
    // The largest layer (300,000 bytes, like the outside file) becomes a link to it.
    let victim = layout
        .blobs()
        .into_iter()
        .max_by_key(|d| std::fs::metadata(layout.blob_path(d)).unwrap().len())
        .unwrap();
    std::fs::remove_file(layout.blob_path(&victim)).unwrap();
    std::os::unix::fs::symlink(&secret, layout.blob_path(&victim)).unwrap();

    let run = stack.push(layout.path()).run();
    run.expect(2);
    let stderr = &run.stderr;
    assert!(
        !stderr.contains(secret_digest.trim_start_matches("sha256:")),
        "the outside file's hash was printed:\n{stderr}"
    );
    run.assert_stderr("symbolic link");
    assert!(
        stderr.contains(&format!(
            "blobs/sha256/{}",
            victim.trim_start_matches("sha256:")
        )),
        "{stderr}"
    );
    stack.assert_nothing_pushed();
}

#[test]
fn docker_save_directory_with_config_linked_outside_pushes_nothing() {
    let stack = Stack::start();
    let dir = tempfile::tempdir().unwrap();
    let layer = layer_tar("app/bin", &noise(11, 20_000));
    std::fs::create_dir_all(dir.path().join("l1")).unwrap();
    std::fs::write(dir.path().join("l1/layer.tar"), &layer).unwrap();
    let manifest = json!([{
        "Config": "config.json",
        "RepoTags": [format!("{REPOSITORY}:{TAG}")],
        "Layers": ["l1/layer.tar"],
    }]);
    std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
    // Elsewhere: a file that is also valid image config JSON, carrying something private.
    let elsewhere = tempfile::tempdir().unwrap();
    let private = json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Env": ["AWS_SECRET_ACCESS_KEY=not-for-the-registry"] },
        "rootfs": { "type": "layers", "diff_ids": [digest_of(&layer)] },
    })
    .to_string();
    std::fs::write(elsewhere.path().join("config.json"), &private).unwrap();
    std::os::unix::fs::symlink(
        elsewhere.path().join("config.json"),
        dir.path().join("config.json"),
    )
    .unwrap();

    let run = stack.push(dir.path()).run();
    run.expect(2);
    let stderr = &run.stderr;
    run.assert_stderr("symbolic link config.json");
    assert!(!stderr.contains("not-for-the-registry"), "{stderr}");
    assert!(
        !stack
            .api()
            .has_blob(REPOSITORY, &digest_of(private.as_bytes())),
        "the outside file was uploaded"
    );
    stack.assert_nothing_pushed();
}

#[test]
fn blobs_directory_linked_outside_is_refused() {
    let stack = Stack::start();
    let (layout, _) = three_layer_image();
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("blobs");
    std::fs::rename(layout.path().join("blobs"), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, layout.path().join("blobs")).unwrap();

    let run = stack.push(layout.path()).run();
    run.expect(2);
    run.assert_stderr("symbolic link blobs;");
    stack.assert_nothing_pushed();
}
