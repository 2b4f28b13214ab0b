//! `scan IMAGE --baseline IMAGE` end to end: the baseline is another image in ECR (the tag deployed
//! from `main`), identified and waited for like the gated image, never pushed, never scanned unless
//! the gated image would be. Against the scripted stand-in ([`crate::ecr_stub`]) and moto.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::ecr_stub::*;
use crate::moto::{Moto, REGION, image_manifest as moto_manifest};
use crate::support::*;

const DESCRIBE: &str = "DescribeImageScanFindings";
const START: &str = "StartImageScan";
const BATCH_GET: &str = "BatchGetImage";
const CONFIG: &str = "GetRegistryScanningConfiguration";
const REPOSITORY: &str = "team/app";

fn high(cve: &str, package: &str) -> Value {
    basic_finding(cve, "HIGH", package, "1.0", Some(7.5))
}

/// Answers `BatchGetImage` for `tag` with `manifest`.
fn tagged(stub: &EcrStub, tag: &str, manifest: &Manifest) {
    let wanted = tag.to_string();
    stub.on_match(
        BATCH_GET,
        move |body| body["imageIds"][0]["imageTag"].as_str() == Some(wanted.as_str()),
        vec![Action::json(batch_get_image(
            REPOSITORY,
            Some(tag),
            manifest,
        ))],
    );
}

/// A finished basic scan of `digest` with `findings`.
fn scanned(stub: &EcrStub, digest: &str, findings: Vec<Value>) {
    stub.on_digest(
        DESCRIBE,
        digest,
        vec![
            ScanPage::new(REPOSITORY, digest, "COMPLETE")
                .basic(findings)
                .action(),
        ],
    );
}

/// A registry that scans on push (the gate only waits) with `team/app:pr-7` and `team/app:main`:
/// main had CVE-1 and CVE-2, the pull request keeps CVE-1, fixes CVE-2 and adds CVE-3.
fn pull_request_and_main(stub: &EcrStub) -> (Manifest, Manifest) {
    pull_request_and(stub, |stub, main| {
        scanned(
            stub,
            &main.digest,
            vec![high("CVE-1", "openssl"), high("CVE-2", "zlib")],
        );
    })
}

/// As [`pull_request_and_main`], with main's scan scripted by `main_scan`.
fn pull_request_and(
    stub: &EcrStub,
    main_scan: impl FnOnce(&EcrStub, &Manifest),
) -> (Manifest, Manifest) {
    stub.on(
        CONFIG,
        vec![Action::json(registry_scanning(
            "BASIC",
            vec![rule("SCAN_ON_PUSH", &["*"])],
        ))],
    );
    let pr = image_manifest(Flavour::Oci, "pr-7");
    let main = image_manifest(Flavour::Oci, "main");
    tagged(stub, "pr-7", &pr);
    tagged(stub, "main", &main);
    scanned(
        stub,
        &pr.digest,
        vec![high("CVE-1", "openssl"), high("CVE-3", "curl")],
    );
    main_scan(stub, &main);
    (pr, main)
}

fn digests(stub: &EcrStub) -> BTreeSet<String> {
    stub.calls(DESCRIBE)
        .iter()
        .filter_map(|r| r.digest().map(str::to_string))
        .collect()
}

#[test]
fn the_image_deployed_from_main_is_the_baseline_and_only_new_findings_fail() {
    let stub = EcrStub::start();
    let (pr, main) = pull_request_and_main(&stub);
    let run = Gate::scan("team/app:pr-7")
        .stub(&stub)
        .args(&["--baseline", "main", "--scope", "new"])
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    let violations = report["verdict"]["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert_eq!(violations[0]["id"], "CVE-3");
    let baseline = &report["baseline"];
    assert_eq!(baseline["source"], "image team/app:main");
    assert_eq!(baseline["counts"]["new"]["total"], 1);
    assert_eq!(baseline["counts"]["unchanged"]["total"], 1);
    assert_eq!(baseline["fixed"][0]["id"], "CVE-2");
    // Only the gated image is reported as scanned; the baseline was read, never started or pushed.
    assert_eq!(report["images"].as_array().unwrap().len(), 1);
    assert_eq!(report["images"][0]["digest"], pr.digest.as_str());
    assert_eq!(digests(&stub), BTreeSet::from([pr.digest, main.digest]));
    assert_eq!(stub.count(START), 0);
    let operations: BTreeSet<String> = stub.operations().into_iter().collect();
    assert_eq!(
        operations,
        BTreeSet::from([BATCH_GET.into(), CONFIG.into(), DESCRIBE.into()])
    );
    assert_eq!(
        run.sarif()["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["baselineState"].as_str().unwrap())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["new", "unchanged"])
    );
    assert!(
        run.markdown()
            .contains("**Since the baseline** (image team/app:main)")
    );
    run.assert_stderr("baseline team/app:main → 1 image(s)");
}

#[test]
fn a_baseline_image_that_does_not_exist_is_an_error_at_once_unless_all_new() {
    let stub = EcrStub::start();
    let (_pr, _main) = pull_request_and_main(&stub);
    stub.on_match(
        BATCH_GET,
        |body| body["imageIds"][0]["imageTag"] == "deployed",
        vec![Action::json(batch_get_image_not_found("deployed"))],
    );
    let run = Gate::scan("team/app:pr-7")
        .stub(&stub)
        .args(&["--baseline", ":deployed", "--scope", "new"])
        .json()
        .run();
    run.expect(2);
    run.assert_stderr("baseline image team/app:deployed");
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
    let run = Gate::scan("team/app:pr-7")
        .stub(&stub)
        .args(&["--baseline", ":deployed", "--scope", "new"])
        .args(&["--baseline-missing", "all-new"])
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["verdict"]["violations"].as_array().unwrap().len(), 2);
    assert!(
        report["baseline"]["missing"]
            .as_str()
            .is_some_and(|m| m.contains("team/app:deployed")),
        "{report:#}"
    );
}

#[test]
fn a_baseline_image_without_a_usable_scan_is_no_verdict() {
    let stub = EcrStub::start();
    pull_request_and(&stub, |stub, main| {
        stub.on_digest(
            DESCRIBE,
            &main.digest,
            vec![
                ScanPage::new(REPOSITORY, &main.digest, "FAILED")
                    .description("UnsupportedImageError: The operating system is not supported.")
                    .action(),
            ],
        );
    });
    let run = Gate::scan("team/app:pr-7")
        .stub(&stub)
        .args(&["--baseline", "main", "--scope", "new"])
        .args(&["--baseline-missing", "all-new"])
        .json()
        .run();
    run.expect(3);
    run.assert_stderr("baseline team/app@");
    run.assert_stderr("FAILED");
    assert_eq!(run.json()["result"], "incomplete");
}

#[test]
fn an_index_baseline_is_compared_platform_by_platform_and_only_gated_platforms_are_read() {
    let stub = EcrStub::start();
    stub.on(
        CONFIG,
        vec![Action::json(registry_scanning(
            "BASIC",
            vec![rule("SCAN_ON_PUSH", &["*"])],
        ))],
    );
    let platforms = [("amd64", None), ("arm64", Some("v8"))];
    let (pr_index, pr_images) = platform_index("pr", &platforms);
    let (main_index, main_images) = platform_index("main", &platforms);
    tagged(&stub, "pr-7", &pr_index);
    tagged(&stub, "main", &main_index);
    for image in pr_images.iter().chain(&main_images) {
        stub.on_match(
            BATCH_GET,
            {
                let digest = image.digest.clone();
                move |body| body["imageIds"][0]["imageDigest"].as_str() == Some(digest.as_str())
            },
            vec![Action::json(batch_get_image(REPOSITORY, None, image))],
        );
    }
    // amd64: CVE-1 on both sides; arm64: CVE-2 new in the pull request.
    scanned(&stub, &pr_images[0].digest, vec![high("CVE-1", "a")]);
    scanned(
        &stub,
        &pr_images[1].digest,
        vec![high("CVE-1", "a"), high("CVE-2", "b")],
    );
    scanned(&stub, &main_images[0].digest, vec![high("CVE-1", "a")]);
    scanned(&stub, &main_images[1].digest, vec![high("CVE-1", "a")]);
    let run = Gate::scan("team/app:pr-7")
        .stub(&stub)
        .args(&["--baseline", "main", "--scope", "new"])
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["verdict"]["violations"].as_array().unwrap().len(), 1);
    assert_eq!(report["verdict"]["violations"][0]["id"], "CVE-2");
    assert!(report["baseline"]["fixed"].as_array().unwrap().is_empty());

    // Gating arm64 only: main's amd64 image is never read.
    let stub_calls_before = stub.count(DESCRIBE);
    let run = Gate::scan("team/app:pr-7")
        .stub(&stub)
        .platform("arm64")
        .args(&["--baseline", "main", "--scope", "new"])
        .json()
        .run();
    run.expect(1);
    let read: BTreeSet<String> = stub.calls(DESCRIBE)[stub_calls_before..]
        .iter()
        .filter_map(|r| r.digest().map(str::to_string))
        .collect();
    assert_eq!(
        read,
        BTreeSet::from([pr_images[1].digest.clone(), main_images[1].digest.clone()])
    );
}

#[test]
fn a_baseline_in_another_registry_is_refused_before_any_call() {
    let stub = EcrStub::start();
    let run = Gate::scan("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:pr-7")
        .stub(&stub)
        .args(&[
            "--baseline",
            "210987654321.dkr.ecr.us-east-1.amazonaws.com/team/app:main",
        ])
        .run();
    run.expect(2);
    run.assert_stderr("registry and region");
    assert!(stub.requests().is_empty());
}

#[test]
fn the_gated_tag_as_its_own_baseline_is_refused_before_any_call() {
    let stub = EcrStub::start();
    // After a push to `main` (or in one workflow for pull requests and main) it is the gated image
    // itself: every finding would be unchanged and `scope = new` would pass anything.
    for baseline in ["main", ":main", "team/app:main"] {
        let run = Gate::scan("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:main")
            .stub(&stub)
            .args(&["--baseline", baseline, "--scope", "new"])
            .run();
        run.expect(2);
        run.assert_stderr("the gated tag itself");
    }
    assert!(stub.requests().is_empty());
}

#[test]
fn against_moto_the_baseline_image_is_scanned_like_the_gated_one() {
    let moto = Moto::start();
    let ecr = moto.ecr(REGION);
    ecr.create_repository(REPOSITORY);
    let pr = ecr.put_image(REPOSITORY, "pr-7", &moto_manifest("pr"));
    let main = ecr.put_image(REPOSITORY, "main", &moto_manifest("main"));
    let gate = |scope: &str| {
        Gate::scan("team/app:pr-7")
            .moto(&moto)
            .region(REGION)
            .args(&["--baseline", "main", "--scope", scope])
            .json()
    };
    // moto's one made-up HIGH finding is in both images: unchanged, so only scope = all fails.
    let run = gate("new").run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["findings"][0]["baseline_state"], "unchanged");
    assert_eq!(report["findings"][0]["state"], "in-baseline");
    assert_eq!(report["images"][0]["digest"], pr.as_str());
    // Manual basic scanning: the gate started the scan of each image, as it would for the target.
    let again = ecr.start_image_scan(REPOSITORY, &main).unwrap_err();
    assert_eq!(again.code, "LimitExceededException");
    let run = gate("all").run();
    run.expect(1);
    assert_eq!(run.json()["baseline"]["counts"]["unchanged"]["high"], 1);
}

#[test]
fn a_pull_request_that_rebuilds_main_s_image_exactly_has_nothing_new() {
    let stub = EcrStub::start();
    stub.on(
        CONFIG,
        vec![Action::json(registry_scanning(
            "BASIC",
            vec![rule("SCAN_ON_PUSH", &["*"])],
        ))],
    );
    let image = image_manifest(Flavour::Oci, "same");
    tagged(&stub, "pr-7", &image);
    tagged(&stub, "main", &image);
    scanned(&stub, &image.digest, vec![high("CVE-1", "openssl")]);
    let run = Gate::scan("team/app:pr-7")
        .stub(&stub)
        .args(&["--baseline", "main", "--scope", "new"])
        .json()
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["baseline"]["counts"]["unchanged"]["total"], 1);
    assert_eq!(report["baseline"]["counts"]["new"]["total"], 0);
    assert!(report["baseline"]["fixed"].as_array().unwrap().is_empty());
    assert_eq!(report["images"].as_array().unwrap().len(), 1);
}
