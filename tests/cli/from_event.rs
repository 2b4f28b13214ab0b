//! `scan --from-event` end to end: the public EventBridge events (raw, in a repository_dispatch payload,
//! on stdin) against the scripted ECR stand-in and moto. The gate reads the live scan the event names
//! (its registry, region, repository and digest), never starts one and never resolves a tag; a failed
//! scan's event is exit 3 and anything else exit 2, both before any AWS call.

use serde_json::{Value, json};

use crate::ecr_stub::*;
use crate::moto::Moto;
use crate::support::*;

const DESCRIBE: &str = "DescribeImageScanFindings";

/// A public event, parsed.
fn event(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(public(&format!("events/{name}"))).unwrap()).unwrap()
}

/// The bytes of a public event file, unchanged.
fn event_file(name: &str) -> Vec<u8> {
    std::fs::read(public(&format!("events/{name}"))).unwrap()
}

/// What GitHub delivers for `repository_dispatch` (`$GITHUB_EVENT_PATH`), the scan event as its
/// `client_payload`.
fn dispatch(client_payload: Value) -> Value {
    json!({
        "action": "ecr-scan",
        "branch": "main",
        "client_payload": client_payload,
        "repository": {"full_name": "octo/app"},
        "sender": {"login": "octo"},
    })
}

const COLLECTOR: &str = "ecr-image-scan-basic-ecr-scan-collector-testdata-two-tags.json";
const COLLECTOR_DIGEST: &str =
    "sha256:6a5a5368e0c2d3e5909184129962d126c0f20ce69b335531f30a6b760cdcf60b";
const NOTIFIER: &str = "inspector2-scan-ecr-ecr-scan-notifier-readme-total-exceeds-listed.json";
const NOTIFIER_DIGEST: &str =
    "sha256:734a4d019b381f591a63c819ae88b00eed5dba8b76626530c26497128a6c46d1";

/// The region of the request's SigV4 credential scope (`Credential=KEY/DATE/REGION/ecr/…`).
fn signed_region(request: &Request) -> String {
    let authorization = request.header("authorization").unwrap_or_default();
    let scope = authorization
        .split("Credential=")
        .nth(1)
        .unwrap_or_default();
    scope.split('/').nth(2).unwrap_or_default().to_string()
}

/// Only `DescribeImageScanFindings`, for the event's image, in the event's registry and region: no tag
/// lookup, no registry configuration, no scan started.
#[track_caller]
fn assert_only_reads(stub: &EcrStub, repository: &str, digest: &str, registry: &str, region: &str) {
    let mut operations = stub.operations();
    operations.dedup();
    assert_eq!(operations, [DESCRIBE]);
    for call in stub.calls(DESCRIBE) {
        assert_eq!(call.body["repositoryName"], repository, "{:?}", call.body);
        assert_eq!(call.digest(), Some(digest), "{:?}", call.body);
        assert_eq!(call.body["imageId"].get("imageTag"), None, "never by tag");
        assert_eq!(call.body["registryId"], registry, "{:?}", call.body);
        assert_eq!(signed_region(&call), region);
    }
}

#[test]
fn a_raw_basic_event_gates_the_live_result_of_the_scan_it_names() {
    let stub = EcrStub::start();
    // The live result differs from the event's counts (HIGH 16 …): the verdict is the live one.
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("my-shiny-repo", COLLECTOR_DIGEST, "COMPLETE")
                .basic(vec![basic_finding(
                    "CVE-2024-5535",
                    "CRITICAL",
                    "openssl",
                    "3.0.11",
                    Some(9.1),
                )])
                .counts(&[("CRITICAL", 1)])
                .action(),
        ],
    );
    let run = Gate::from_event("event.json")
        .file("event.json", event_file(COLLECTOR))
        .stub(&stub)
        .reports()
        .run();
    run.expect(1)
        .assert_stderr("from the ECR Image Scan event of 2024-09-30T22:36:48Z")
        .assert_stderr("the event counted CRITICAL 3, HIGH 16");
    assert_only_reads(
        &stub,
        "my-shiny-repo",
        COLLECTOR_DIGEST,
        "123456789012",
        "eu-west-1",
    );
    let report = run.json();
    assert_eq!(report["counts"]["critical"], 1);
    assert_eq!(report["counts"]["total"], 1);
    let image = &report["images"][0];
    assert_eq!(image["repository"], "my-shiny-repo");
    assert_eq!(image["digest"], COLLECTOR_DIGEST);
    assert_eq!(image["region"], "eu-west-1");
    let tags = image["tags"].as_array().unwrap();
    assert!(tags.contains(&json!("latest")) && tags.contains(&json!("stable.20240930223648")));
    validate(&report_schema(), &report, "the JSON report");
}

#[test]
fn an_inspector2_event_in_a_dispatch_payload_reads_the_enhanced_result_in_the_arn_s_registry() {
    let stub = EcrStub::start();
    let page = ScanPage::new("azure-agent", NOTIFIER_DIGEST, "ACTIVE")
        .description("Continuous scan is selected for image.")
        .enhanced(vec![enhanced_finding(
            "CVE-2024-6119",
            "MEDIUM",
            5.9,
            "openssl",
            NOTIFIER_DIGEST,
            "azure-agent",
        )])
        .counts(&[("MEDIUM", 1)]);
    stub.on(DESCRIBE, vec![page.action()]);
    let payload = dispatch(event(NOTIFIER));
    let run = Gate::from_event("event.json")
        .file("event.json", payload.to_string())
        .stub(&stub)
        .json()
        .run();
    // fail-on high (the default): one medium finding passes.
    run.expect(0)
        .assert_stderr("from the Inspector2 Scan event");
    assert_only_reads(
        &stub,
        "azure-agent",
        NOTIFIER_DIGEST,
        "520666953574",
        "eu-central-1",
    );
    let report = run.json();
    assert_eq!(report["images"][0]["scan"]["type"], "enhanced");
    assert_eq!(report["counts"]["medium"], 1);
    assert_eq!(report["verdict"]["result"], "pass");
}

#[test]
fn an_event_under_client_payload_event_is_read_from_stdin() {
    let stub = EcrStub::start();
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("my-shiny-repo", COLLECTOR_DIGEST, "COMPLETE")
                .basic(vec![basic_finding(
                    "CVE-2024-1",
                    "LOW",
                    "tar",
                    "1.34",
                    None,
                )])
                .counts(&[("LOW", 1)])
                .action(),
        ],
    );
    let payload =
        dispatch(json!({ "event": event(COLLECTOR), "note": "from the API destination" }));
    Gate::from_event("-")
        .stdin(payload.to_string())
        .stub(&stub)
        .run()
        .expect(0);
    assert_only_reads(
        &stub,
        "my-shiny-repo",
        COLLECTOR_DIGEST,
        "123456789012",
        "eu-west-1",
    );
}

#[test]
fn a_scan_the_event_names_but_ecr_does_not_show_is_waited_for_never_started() {
    let stub = EcrStub::start();
    stub.on(
        DESCRIBE,
        vec![Action::scan_not_found("my-shiny-repo", COLLECTOR_DIGEST)],
    );
    let run = Gate::from_event("event.json")
        .file("event.json", event_file(COLLECTOR))
        .stub(&stub)
        .timeout("4s")
        .run();
    run.expect(3);
    assert_eq!(stub.count("StartImageScan"), 0, "{:?}", stub.operations());
    assert!(stub.count(DESCRIBE) >= 1);
}

#[test]
fn a_failed_scan_event_is_exit_3_before_any_call_with_every_report_written() {
    let stub = EcrStub::start();
    for bytes in [
        event_file("ecr-image-scan-basic-compose-x-failed-no-counts.json"),
        dispatch(event(
            "ecr-image-scan-basic-compose-x-failed-no-counts.json",
        ))
        .to_string()
        .into_bytes(),
    ] {
        let run = Gate::from_event("event.json")
            .file("event.json", bytes)
            .stub(&stub)
            .reports()
            .run();
        run.expect(3).assert_stderr(
            "the ECR Image Scan event reports that the scan failed (scan-status FAILED)",
        );
        assert!(run.markdown().contains("scan failed"), "{}", run.markdown());
        validate(&report_schema(), &run.json(), "the JSON report");
    }
    assert_eq!(
        stub.requests().len(),
        0,
        "no AWS call: {:?}",
        stub.operations()
    );
}

#[test]
fn anything_but_a_scan_event_of_an_image_is_exit_2_naming_what_was_expected() {
    let stub = EcrStub::start();
    let ec2 = json!({"version": "0", "source": "aws.inspector2", "detail-type": "Inspector2 Scan",
        "account": "123456789012", "region": "us-east-1", "resources": ["i-087d63509b8c97098"],
        "detail": {"scan-status": "INITIAL_SCAN_COMPLETE", "instance-id": "i-087d63509b8c97098",
                   "finding-severity-counts": {"CRITICAL": 1, "HIGH": 0, "MEDIUM": 0, "TOTAL": 1}}});
    let lambda = json!({"version": "0", "source": "aws.inspector2", "detail-type": "Inspector2 Scan",
        "resources": ["arn:aws:lambda:us-east-1:123456789012:function:f"],
        "detail": {"scan-status": "INITIAL_SCAN_COMPLETE", "finding-severity-counts": {"TOTAL": 0}}});
    let mut no_digest = event(COLLECTOR);
    no_digest["detail"]
        .as_object_mut()
        .unwrap()
        .remove("image-digest");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            event_file("inspector2-finding-ecr-awsdocs-2021-libssh2.json"),
            "is a finding event `Inspector2 Finding` (source aws.inspector2), which names one \
             vulnerability, not a finished scan",
        ),
        (
            event_file("ecr-scan-resource-change-enhanced-awsdocs-3-repos.json"),
            "is an event `ECR Scan Resource Change` (source aws.ecr), not a scan of an ECR image",
        ),
        (
            event_file("inspector-scan-ecr-awsdocs-2021-11-preview-schema.json"),
            "2021 preview of Amazon Inspector",
        ),
        (
            ec2.to_string().into_bytes(),
            "of an EC2 instance, not of an ECR image",
        ),
        (
            dispatch(lambda).to_string().into_bytes(),
            "client_payload: is an `Inspector2 Scan` event of a Lambda function",
        ),
        (
            event_file("ecr-image-scan-basic-compose-x-sample-event-key-22-typo.json"),
            "`detail.image-digest` is missing",
        ),
        (
            dispatch(json!({ "event": no_digest }))
                .to_string()
                .into_bytes(),
            "client_payload.event: `detail.image-digest` is missing",
        ),
        (
            event_file("inspector2-scan-ecr-aws-workshop-vulhub-rsync-placeholder-account.json"),
            "`<account id>` is not a 12-digit AWS account id",
        ),
        (b"{\"source\": \"aws.ecr\"".to_vec(), "is not JSON"),
        (Vec::new(), "is not JSON"),
        (
            b"{\"action\": \"opened\", \"pull_request\": {}}".to_vec(),
            "is not an EventBridge event",
        ),
    ];
    for (bytes, problem) in cases {
        let run = Gate::from_event("event.json")
            .file("event.json", &bytes)
            .stub(&stub)
            .json()
            .run();
        run.expect(2)
            .assert_stderr("event file event.json: ")
            .assert_stderr(problem);
        if !problem.contains("image-digest") && !problem.contains("account id") {
            run.assert_stderr(
                "expected an `ECR Image Scan` event (source aws.ecr) or an `Inspector2 Scan` event",
            );
        }
        assert_eq!(run.json()["result"], "error", "the report says why");
    }
    Gate::from_event("missing.json")
        .stub(&stub)
        .run()
        .expect(2)
        .assert_stderr("couldn't read event file missing.json");
    assert_eq!(
        stub.requests().len(),
        0,
        "no AWS call: {:?}",
        stub.operations()
    );
}

#[test]
fn from_event_refuses_an_image_a_push_and_a_disagreeing_region_or_registry() {
    let stub = EcrStub::start();
    for extra in [
        &["team/app:v1"][..],
        &["--push", "image.tar"],
        &["--platform", "linux/amd64"],
    ] {
        Gate::from_event("event.json")
            .file("event.json", event_file(COLLECTOR))
            .args(extra)
            .stub(&stub)
            .run()
            .expect(2)
            .assert_stderr("cannot be used with");
    }
    Gate::from_event("event.json")
        .file("event.json", event_file(COLLECTOR))
        .args(&["--region", "us-east-1"])
        .stub(&stub)
        .run()
        .expect(2)
        .assert_stderr(
            "--region us-east-1 disagrees with the event in event.json, which names eu-west-1",
        );
    Gate::from_event("event.json")
        .file("event.json", event_file(COLLECTOR))
        .registry_id("210987654321")
        .stub(&stub)
        .run()
        .expect(2)
        .assert_stderr("--registry-id 210987654321 disagrees");
    Gate::from_event("event.json")
        .file("event.json", event_file(COLLECTOR))
        .scan_mode("start")
        .stub(&stub)
        .run()
        .expect(2)
        .assert_stderr("--scan-mode start cannot be used with --from-event");
    assert_eq!(stub.requests().len(), 0);
    Gate::command(&["scan"])
        .run()
        .expect(2)
        .assert_stderr("<IMAGE>");
}

// ---- moto: an independent ECR ----

/// `PutImage` under the digest a public event names (moto keeps a given digest), in a repository
/// made for it.
fn put_image_as(moto: &Moto, region: &str, repository: &str, digest: &str) {
    let ecr = moto.ecr(region);
    ecr.create_repository(repository);
    let manifest = crate::moto::image_manifest(repository);
    let answer = ecr
        .call(
            "PutImage",
            &json!({
                "repositoryName": repository,
                "imageManifest": manifest,
                "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
                "imageTag": "latest",
                "imageDigest": digest,
            }),
        )
        .unwrap();
    assert_eq!(answer["image"]["imageId"]["imageDigest"], digest);
}

#[test]
fn moto_the_public_basic_event_raw_and_wrapped_reads_moto_s_scan() {
    let moto = Moto::start();
    put_image_as(&moto, "eu-west-1", "my-shiny-repo", COLLECTOR_DIGEST);
    moto.ecr("eu-west-1")
        .start_image_scan("my-shiny-repo", COLLECTOR_DIGEST)
        .unwrap();
    for (bytes, fail_on, code) in [
        (event_file(COLLECTOR), "high", 1),
        (
            dispatch(event(COLLECTOR)).to_string().into_bytes(),
            "critical",
            0,
        ),
    ] {
        let run = Gate::from_event("event.json")
            .file("event.json", bytes)
            .moto(&moto)
            .region("us-east-1")
            .fail_on(fail_on)
            .json()
            .run();
        run.expect(code);
        let report = run.json();
        let image = &report["images"][0];
        assert_eq!(image["digest"], COLLECTOR_DIGEST);
        assert_eq!(
            image["region"], "eu-west-1",
            "the event's region, not AWS_REGION"
        );
        assert_eq!(image["scan"]["status"], "COMPLETE");
        assert_eq!(report["findings"][0]["id"], "CVE-9999-9999");
        assert!(image["tags"].as_array().unwrap().contains(&json!("latest")));
    }
}

#[test]
fn moto_an_inspector2_event_under_client_payload_event_reads_the_enhanced_result() {
    let moto = Moto::start();
    // The public event, its repository ARN in moto's account.
    let mut scan_event =
        event("inspector2-scan-ecr-initial-scan-complete-awsdocs-inspector-guide-2023-total0.json");
    scan_event["detail"]["repository-name"] =
        json!("arn:aws:ecr:us-east-1:123456789012:repository/inspector2");
    let digest = scan_event["detail"]["image-digest"]
        .as_str()
        .unwrap()
        .to_string();
    put_image_as(&moto, "us-east-1", "inspector2", &digest);
    moto.ecr("us-east-1")
        .start_image_scan("inspector2", &digest)
        .unwrap();
    let mut result: Value = serde_json::from_slice(
        &std::fs::read(public(
            "findings/enhanced/ecr-api-reference-example-enhanced-1-finding-active.json",
        ))
        .unwrap(),
    )
    .unwrap();
    result["repositoryName"] = json!("inspector2");
    result["registryId"] = json!("123456789012");
    result["imageId"] = json!({ "imageDigest": digest, "imageTag": "ubuntu22" });
    moto.set_scan_findings("us-east-1", &[result]);
    let run = Gate::from_event("event.json")
        .file(
            "event.json",
            dispatch(json!({ "event": scan_event })).to_string(),
        )
        .moto(&moto)
        .region("eu-west-3")
        .json()
        .run();
    // moto keeps the image in us-east-1 only: the answer proves the event's region was asked, not
    // AWS_REGION's.
    run.expect(1);
    let report = run.json();
    assert_eq!(report["images"][0]["scan"]["type"], "enhanced");
    assert_eq!(report["counts"]["high"], 1);
    assert!(
        report["images"][0]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("ubuntu22"))
    );
}

// ---- the GitHub Action ----

#[test]
fn the_action_s_from_event_input_gates_the_event_s_image() {
    use crate::support::github::Event;
    let stub = EcrStub::start();
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("my-shiny-repo", COLLECTOR_DIGEST, "COMPLETE")
                .basic(vec![basic_finding(
                    "CVE-2024-5535",
                    "HIGH",
                    "openssl",
                    "3.0.11",
                    Some(7.5),
                )])
                .counts(&[("HIGH", 1)])
                .action(),
        ],
    );
    // No token: nothing goes to GitHub's API.
    let done = Gate::action(
        &[("from-event", "scan-event.json")],
        Event::Push,
        "http://127.0.0.1:9",
    )
    .file("scan-event.json", dispatch(event(COLLECTOR)).to_string())
    .stub(&stub)
    .run();
    done.expect(1);
    let outputs = done.outputs();
    assert_eq!(outputs["result"], "fail");
    assert_eq!(outputs["high"], "1");
    assert_eq!(outputs["digest"], COLLECTOR_DIGEST);
    assert!(done.summary().contains("my-shiny-repo"));
    assert_only_reads(
        &stub,
        "my-shiny-repo",
        COLLECTOR_DIGEST,
        "123456789012",
        "eu-west-1",
    );

    let both = Gate::action(
        &[("from-event", "scan-event.json"), ("findings", "scan.json")],
        Event::Push,
        "http://127.0.0.1:9",
    )
    .run();
    both.expect(2)
        .assert_stderr("set only one of the `from-event` and `findings` inputs");
}

#[test]
fn a_failed_scan_event_with_a_baseline_is_still_exit_3_with_no_call() {
    let stub = EcrStub::start();
    for baseline in ["main", "app:main", "main.json"] {
        let run = Gate::from_event("event.json")
            .file(
                "event.json",
                event_file("ecr-image-scan-basic-compose-x-failed-no-counts.json"),
            )
            .args(&["--baseline", baseline, "--scope", "new"])
            .stub(&stub)
            .json()
            .run();
        run.expect(3);
        assert_eq!(run.json()["result"], "incomplete", "{baseline}");
    }
    assert_eq!(stub.requests().len(), 0, "{:?}", stub.operations());
}

#[test]
fn an_event_takes_a_baseline_file_not_a_baseline_image() {
    let stub = EcrStub::start();
    let run = Gate::from_event("event.json")
        .file("event.json", event_file(COLLECTOR))
        .args(&["--baseline", "main"])
        .stub(&stub)
        .run();
    run.expect(2)
        .assert_stderr("--from-event takes a baseline file");
    assert_eq!(stub.requests().len(), 0, "{:?}", stub.operations());
}
