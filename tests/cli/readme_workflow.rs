//! The README's example workflow (`tests/fixtures/github/example-workflow.yml`, kept equal to the README
//! by `action::readme_example_workflow_is_the_linted_fixture`) run the way the runner runs it, step by
//! step, as far as it concerns the gate: the build step's OCI archive is written where its `outputs:`
//! says, the gate step runs with its own `with:` block (expressions evaluated) as a Docker action on a
//! pull request, pushes the archive to a real registry (Debian's `docker-registry`, the endpoint ECR's
//! `GetAuthorizationToken` names), scans through the scripted ECR stand-in, comments on the pull
//! request (wiremock), and leaves the outputs the upload step's `if:` and `sarif_file` read. One
//! liberty: the image's registry host cannot be reached from a test, so the run names the image by
//! repository and tag, with the URI's account and region as the `registry-id` and `region` inputs.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::ecr_stub::{
    Action, EcrStub, Manifest, OCI_MANIFEST, ScanPage, authorization_token, basic_finding,
    batch_get_image, digest_of, registry_scanning, rule,
};
use crate::registry_server::Registry;
use crate::support::github::{Event, REPOSITORY, SHA};
use crate::support::{Gate, fixture, sarif_schema, validate};

const PASSWORD: &str = "ecr-registry-password-7781";

fn example() -> Value {
    let text = std::fs::read_to_string(fixture("github/example-workflow.yml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn steps(workflow: &Value) -> &Vec<Value> {
    workflow["jobs"]["gate"]["steps"].as_array().unwrap()
}

fn step_using<'a>(workflow: &'a Value, action: &str) -> &'a Value {
    steps(workflow)
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .unwrap_or_else(|| panic!("the example has no {action} step"))
}

/// A value of the workflow with the expressions the runner would evaluate for this run.
fn evaluate(value: &str, outputs: &BTreeMap<String, String>) -> String {
    let mut text = value.replace("${{ github.sha }}", SHA);
    for (name, output) in outputs {
        text = text.replace(&format!("${{{{ steps.gate.outputs.{name} }}}}"), output);
    }
    assert!(
        !text.contains("${{"),
        "an expression this emulation does not know: {text}"
    );
    text
}

/// The `dest` of buildx's `type=oci,dest=PATH` output.
fn oci_destination(outputs: &str) -> String {
    let mut kind = None;
    let mut dest = None;
    for part in outputs.split(',') {
        match part.trim().split_once('=') {
            Some(("type", value)) => kind = Some(value.to_string()),
            Some(("dest", value)) => dest = Some(value.to_string()),
            _ => {}
        }
    }
    assert_eq!(kind.as_deref(), Some("oci"), "{outputs}");
    dest.unwrap_or_else(|| panic!("no dest in {outputs}"))
}

/// What buildx writes for `type=oci,dest=FILE`: a tar of an OCI image layout of one image. Returns the
/// image manifest as ECR will hand it back.
fn write_oci_archive(file: &Path) -> Manifest {
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut blob = |bytes: Vec<u8>, media_type: &str| {
        let digest = digest_of(&bytes);
        let descriptor = json!({"mediaType": media_type, "digest": digest, "size": bytes.len()});
        blobs.push((digest, bytes));
        descriptor
    };
    let layer = blob(
        b"the application layer of the example".to_vec(),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let config = blob(
        json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}})
            .to_string()
            .into_bytes(),
        "application/vnd.oci.image.config.v1+json",
    );
    let text = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": [layer],
    })
    .to_string();
    let descriptor = blob(text.clone().into_bytes(), OCI_MANIFEST);
    let digest = descriptor["digest"].as_str().unwrap().to_string();
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [descriptor]});

    let mut tar = tar::Builder::new(std::fs::File::create(file).unwrap());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, bytes).unwrap();
    };
    add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    add("index.json", index.to_string().as_bytes());
    for (digest, bytes) in &blobs {
        add(&format!("blobs/sha256/{}", &digest[7..]), bytes);
    }
    tar.finish().unwrap();
    Manifest {
        text,
        media_type: OCI_MANIFEST,
        digest,
    }
}

/// The README's workflow on a pull request, with `severity` the one finding of the scan; returns the
/// exit code, the gate's outputs and the upload step's resolved `sarif_file`, after checking what every
/// run must show.
async fn run_the_example(severity: &str) -> (i32, BTreeMap<String, String>) {
    let workflow = example();
    assert_eq!(workflow["jobs"]["gate"]["runs-on"], "ubuntu-latest");
    let build = &step_using(&workflow, "docker/build-push-action")["with"];
    let archive = oci_destination(build["outputs"].as_str().unwrap());
    let gate_step = steps(&workflow)
        .iter()
        .find(|s| s["id"] == "gate")
        .expect("the gate step has id `gate`");
    let with: Vec<(String, String)> = gate_step["with"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), evaluate(v.as_str().unwrap(), &BTreeMap::new())))
        .collect();
    let inputs: BTreeMap<&str, &str> = with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        inputs["push"], archive,
        "the gate pushes what the build step wrote"
    );
    assert!(
        !inputs.contains_key("policy"),
        "the example runs without a policy file"
    );
    let image = inputs["image"].to_string();
    let (host, rest) = image.split_once('/').unwrap();
    let (repository, tag) = rest.rsplit_once(':').unwrap();
    assert_eq!(tag, SHA);
    // ACCOUNT.dkr.ecr.REGION.amazonaws.com: a host no test can reach, so the run names the image by
    // repository and tag in that account and region, and ECR's `GetAuthorizationToken` leads the push to
    // the local registry.
    let host: Vec<&str> = host.split('.').collect();
    assert_eq!(host[1..3], ["dkr", "ecr"], "{image}");
    let (account, region) = (host[0], host[3]);
    let with: Vec<(String, String)> = with
        .into_iter()
        .filter(|(name, _)| name != "image")
        .chain([
            ("image".to_string(), format!("{repository}:{tag}")),
            ("region".to_string(), region.to_string()),
            ("registry-id".to_string(), account.to_string()),
        ])
        .collect();

    // ECR: the registry behind GetAuthorizationToken's endpoint, scan on push, one finding.
    let registry = Registry::start(PASSWORD);
    let stub = EcrStub::start();
    stub.on(
        "GetAuthorizationToken",
        vec![Action::json(authorization_token(
            PASSWORD,
            &registry.endpoint(),
        ))],
    );
    stub.on(
        "GetRegistryScanningConfiguration",
        vec![Action::json(registry_scanning(
            "BASIC",
            vec![rule("SCAN_ON_PUSH", &["*"])],
        ))],
    );
    // GitHub: the pull request has no comment yet.
    let server = MockServer::start().await;
    let comments = format!("/repos/{REPOSITORY}/issues/42/comments");
    Mock::given(method("GET"))
        .and(path(comments.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(comments.as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .expect(1)
        .mount(&server)
        .await;

    let pairs: Vec<(&str, &str)> = with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let step = Gate::action(
        &pairs,
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    )
    .stub(&stub);
    let manifest = write_oci_archive(&step.path(&archive));
    stub.on(
        "BatchGetImage",
        vec![Action::json(batch_get_image(
            repository,
            Some(tag),
            &manifest,
        ))],
    );
    stub.on(
        "DescribeImageScanFindings",
        vec![
            ScanPage::new(repository, &manifest.digest, "COMPLETE")
                .tag(tag)
                .basic(vec![basic_finding(
                    "CVE-2026-0001",
                    severity,
                    "zlib",
                    "1.3",
                    None,
                )])
                .counts(&[(severity, 1)])
                .action(),
        ],
    );
    let done = step.run_async().await;

    // Pushed to the registry ECR named, under the image's tag, and that digest scanned.
    let served = registry
        .api()
        .manifest(repository, tag)
        .unwrap_or_else(|| panic!("nothing pushed as {repository}:{tag}\n{}", done.stderr));
    assert_eq!(served.digest, manifest.digest);
    let outputs = done.outputs();
    assert_eq!(outputs["digest"], manifest.digest, "{}", done.stderr);

    // The upload step: its condition holds whenever a verdict was reached, and its file exists.
    let upload = step_using(&workflow, "github/codeql-action/upload-sarif");
    assert_eq!(
        upload["if"],
        "${{ always() && steps.gate.outputs.sarif != '' }}"
    );
    assert_ne!(outputs["sarif"], "", "{}", done.stderr);
    let sarif_file = evaluate(upload["with"]["sarif_file"].as_str().unwrap(), &outputs);
    let sarif: Value = serde_json::from_str(&done.file(&sarif_file)).unwrap();
    validate(&sarif_schema(), &sarif, "the example's SARIF");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
    (done.exit, outputs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_pushes_gates_and_leaves_sarif_for_the_upload_step() {
    let (exit, outputs) = run_the_example("MEDIUM").await;
    assert_eq!(exit, 0);
    assert_eq!(outputs["result"], "pass");
    assert_eq!(outputs["medium"], "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_fails_the_job_on_a_high_finding_and_still_leaves_sarif() {
    let (exit, outputs) = run_the_example("HIGH").await;
    assert_eq!(exit, 1);
    assert_eq!(outputs["result"], "fail");
    assert_eq!(outputs["violations"], "1");
}
