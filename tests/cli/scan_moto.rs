//! `scan IMAGE` end to end: the real binary against a moto server (an independent implementation of
//! ECR's JSON protocol, see [`crate::moto`] for what it can and cannot express), through the AWS SDK's
//! real wiring (`AWS_ENDPOINT_URL_ECR`, SigV4, retries, error codes).
//!
//! moto scans nothing by itself and every manual scan is `COMPLETE` at once with one `HIGH` finding
//! (`CVE-9999-9999` in `moto_fake`), so the default policy (`fail-on = high`) fails. Other answers
//! (statuses, enhanced findings, a `nextToken`) are injected as moto's one fixed answer per image.

use std::time::Duration;

use serde_json::{Value, json};

use crate::moto::{ACCOUNT, Moto, REGION, image_manifest};
use crate::support::Gate;

const REPOSITORY: &str = "team/app";
const TAG: &str = "v1.2.3";

/// A moto with `team/app:v1.2.3` pushed (true digest) in `region`.
struct Pushed {
    moto: Moto,
    region: String,
    digest: String,
}

fn pushed_in(region: &str) -> Pushed {
    let moto = Moto::start();
    let ecr = moto.ecr(region);
    ecr.create_repository(REPOSITORY);
    let digest = ecr.put_image(REPOSITORY, TAG, &image_manifest("app"));
    Pushed {
        moto,
        region: region.to_string(),
        digest,
    }
}

fn pushed() -> Pushed {
    pushed_in(REGION)
}

impl Pushed {
    /// `scan IMAGE` against this moto in the image's region (`AWS_REGION`), every report written.
    fn scan(&self, image: &str) -> Gate {
        Gate::scan(image)
            .moto(&self.moto)
            .region(&self.region)
            .reports()
    }

    /// `doctor IMAGE` against this moto in the image's region.
    fn doctor(&self, image: &str) -> Gate {
        Gate::doctor(image).moto(&self.moto).region(&self.region)
    }

    /// Puts the registry's scanning configuration (moto stores it, and never scans by itself).
    fn configure_scanning(&self, scan_type: &str, rules: &[(&str, &[&str])]) {
        self.moto
            .ecr(&self.region)
            .put_registry_scanning_configuration(scan_type, rules);
    }

    fn by_tag(&self) -> String {
        format!("{REPOSITORY}:{TAG}")
    }

    fn by_digest(&self) -> String {
        format!("{REPOSITORY}@{}", self.digest)
    }
}

fn image(report: &Value) -> &Value {
    let images = report["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "{report:#}");
    &images[0]
}

/// The report of moto's one made-up finding, as the gate must read it.
#[track_caller]
fn assert_motos_finding(report: &Value, digest: &str) {
    let image = image(report);
    assert_eq!(image["digest"], digest);
    assert_eq!(image["repository"], REPOSITORY);
    assert_eq!(image["registry_id"], ACCOUNT);
    assert_eq!(image["scan"]["type"], "basic");
    assert_eq!(image["scan"]["status"], "COMPLETE");
    assert!(image["scan"]["completed_at"].is_string(), "{image:#}");
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(report["counts"]["total"], 1);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["id"], "CVE-9999-9999");
    assert_eq!(findings[0]["severity"], "high");
    assert_eq!(findings[0]["score"], 7.5);
    assert_eq!(findings[0]["package"]["name"], "moto_fake");
    assert_eq!(findings[0]["package"]["version"], "9.9.9");
}

#[test]
fn tag_gets_a_manual_basic_scan_and_motos_high_finding_fails_the_gate() {
    let image = pushed();
    let run = image.scan(&image.by_tag()).run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_eq!(report["error"], Value::Null);
    assert_eq!(report["incomplete"], json!([]));
    assert_motos_finding(&report, &image.digest);
    let scanned = self::image(&report);
    assert_eq!(scanned["tags"], json!([TAG]));
    assert_eq!(scanned["region"], REGION);
    assert_eq!(report["verdict"]["violations"][0]["id"], "CVE-9999-9999");
    run.assert_stderr("MANUAL");
    run.assert_stderr("starting a basic scan");
    run.assert_stderr("FAIL");

    let sarif = run.sarif();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{sarif:#}");
    assert_eq!(results[0]["ruleId"], "CVE-9999-9999");
    let summary = run.markdown();
    assert!(summary.contains("CVE-9999-9999"), "{summary}");

    // The gate's scan is moto's scan: a manual one was started.
    let again = image
        .moto
        .ecr(REGION)
        .start_image_scan(REPOSITORY, &image.digest)
        .unwrap_err();
    assert_eq!(again.code, "LimitExceededException");
}

#[test]
fn fail_on_critical_passes_and_report_only_exits_zero_with_the_failing_result() {
    let image = pushed();
    let reference = image.by_tag();
    let run = image.scan(&reference).fail_on("critical").run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "pass");
    assert_eq!(report["policy"]["fail_on"], "critical");
    assert_motos_finding(&report, &image.digest);
    run.sarif();

    let run = image.scan(&reference).report_only().run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_eq!(report["report_only"], true);
    assert_motos_finding(&report, &image.digest);
    run.sarif();
}

#[test]
fn by_digest_the_verdict_is_the_same() {
    let image = pushed();
    let run = image.scan(&image.by_digest()).run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_motos_finding(&report, &image.digest);
    run.sarif();
}

#[test]
fn by_full_uri_the_region_and_registry_come_from_the_uri() {
    // Another region than the default: moto keeps regions apart, so a call to the wrong region would
    // find no repository.
    let image = pushed_in("eu-west-1");
    let uri = format!("{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{REPOSITORY}:{TAG}");
    let run = Gate::scan(&uri).moto(&image.moto).reports().run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_motos_finding(&report, &image.digest);
    assert_eq!(self::image(&report)["region"], "eu-west-1");
    run.sarif();

    let uri_digest = format!(
        "{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{}",
        image.by_digest()
    );
    let run = Gate::scan(&uri_digest).moto(&image.moto).reports().run();
    run.expect(1);
    assert_motos_finding(&run.json(), &image.digest);

    // Without the URI and without AWS_REGION there is no region at all.
    let run = Gate::scan(&image.by_tag())
        .moto(&image.moto)
        .reports()
        .run();
    run.expect(2);
    run.assert_stderr("no AWS region");
}

/// The registry id (from the URI, or `--registry-id`) reaches ECR. moto serves only the caller's own
/// registry and its `BatchGetImage` ignores `registryId`, so the other account's repository is
/// reported missing by the next call that checks it (`StartImageScan`): exit 2, naming the registry.
#[test]
fn another_registry_id_is_sent_and_the_repository_is_not_found_there() {
    let image = pushed();
    let uri = format!("999999999999.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:{TAG}");
    let run = image.scan(&uri).run();
    run.expect(2);
    run.assert_stderr("'team/app' does not exist in the registry with id '999999999999'");
    assert!(run.elapsed < Duration::from_secs(15), "{:?}", run.elapsed);
    assert!(!run.exists("report.sarif"), "no SARIF without a verdict");

    let run = image
        .scan(&image.by_tag())
        .registry_id("999999999999")
        .run();
    run.expect(2);
    run.assert_stderr("registry with id '999999999999'");

    let run = image.scan(&image.by_tag()).registry_id(ACCOUNT).run();
    run.expect(1);
    assert_motos_finding(&run.json(), &image.digest);
}

/// moto answers a second `StartImageScan` on the same day with `LimitExceededException`, as ECR does
/// within 24 h; the gate must read the existing scan (not retry, not fail).
#[test]
fn second_run_hits_limit_exceeded_and_reads_the_existing_scan() {
    let image = pushed();
    let reference = image.by_tag();
    let first = image.scan(&reference).run();
    first.expect(1);
    let first = first.json();
    // A new scan would carry a later completion time (moto records seconds).
    std::thread::sleep(Duration::from_millis(1100));
    for mode in ["auto", "start"] {
        let second = image.scan(&reference).scan_mode(mode).run();
        second.expect(1);
        let elapsed = second.elapsed;
        let second = second.json();
        assert_motos_finding(&second, &image.digest);
        assert_eq!(
            self::image(&second)["scan"]["completed_at"],
            self::image(&first)["scan"]["completed_at"],
            "--scan-mode {mode} read the scan of the first run"
        );
        assert_eq!(second["verdict"], first["verdict"]);
        // No retry storm on LimitExceededException (the SDK calls it throttling).
        assert!(elapsed < Duration::from_secs(10), "{mode}: {elapsed:?}");
    }
}

#[test]
fn wait_mode_under_manual_scanning_gives_up_at_once_with_exit_3() {
    let image = pushed();
    let run = image.scan(&image.by_tag()).scan_mode("wait").run();
    run.expect(3);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    let report = run.json();
    assert_eq!(report["result"], "incomplete");
    let incomplete = report["incomplete"].to_string();
    assert!(incomplete.contains(&image.digest), "{incomplete}");
    assert!(incomplete.contains("no scan"), "{incomplete}");
    assert!(!run.exists("report.sarif"), "no SARIF without a verdict");
    // The gate started nothing.
    let none = image
        .moto
        .ecr(REGION)
        .describe_image_scan_findings(REPOSITORY, json!({ "imageDigest": image.digest }))
        .unwrap_err();
    assert_eq!(none.code, "ScanNotFoundException");
}

/// ECR's `BatchGetImage` reports an unknown tag as a failure, which right after a push may only mean
/// "not visible yet": the gate looks for ~30 s (`IMAGE_VISIBILITY_WINDOW`), then exits 2.
#[test]
fn unknown_tag_is_looked_for_about_30_seconds_then_exit_2_naming_the_image() {
    let image = pushed();
    let run = image.scan(&format!("{REPOSITORY}:nope")).run();
    run.expect(2);
    run.assert_stderr(&format!("image {REPOSITORY}:nope not found"));
    run.assert_stderr("ImageNotFound");
    assert!(
        (Duration::from_secs(20)..Duration::from_secs(45)).contains(&run.elapsed),
        "{:?}",
        run.elapsed
    );
    let report = run.json();
    assert!(report["error"].is_string(), "{report:#}");
    assert!(!run.exists("report.sarif"));
}

#[test]
fn unknown_digest_is_exit_2_naming_the_image() {
    let image = pushed();
    let digest = crate::moto::digest_of(b"never pushed");
    let run = image.scan(&format!("{REPOSITORY}@{digest}")).run();
    run.expect(2);
    run.assert_stderr(&format!("image {REPOSITORY}@{digest} not found"));
}

#[test]
fn unknown_repository_is_exit_2_at_once() {
    let image = pushed();
    let run = image.scan("team/nope:v1").run();
    run.expect(2);
    run.assert_stderr("repository team/nope not found");
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    assert!(!run.exists("report.sarif"));
}

/// A scan-on-push rule covers the repository, but moto never scans on push: in auto mode the gate
/// waits out the 30 s grace (`BASIC_GRACE`), then starts a scan itself and reaches the verdict.
#[test]
fn scan_on_push_that_never_comes_is_started_by_the_gate_after_the_grace() {
    let image = pushed();
    image.configure_scanning("BASIC", &[("SCAN_ON_PUSH", &["team/*"])]);
    let run = image.scan(&image.by_tag()).run();
    run.expect(1);
    assert_motos_finding(&run.json(), &image.digest);
    run.assert_stderr("SCAN_ON_PUSH (filter `team/*`)");
    run.assert_stderr("waiting for the scan ECR starts by itself");
    assert!(
        (Duration::from_secs(28)..Duration::from_secs(60)).contains(&run.elapsed),
        "{:?}",
        run.elapsed
    );
}

/// In wait mode nothing is started: a scan-on-push scan that never comes is a timeout (exit 3).
#[test]
fn scan_on_push_that_never_comes_times_out_in_wait_mode() {
    let image = pushed();
    image.configure_scanning("BASIC", &[("SCAN_ON_PUSH", &["app"])]);
    let run = image
        .scan(&image.by_tag())
        .scan_mode("wait")
        .timeout("5s")
        .run();
    run.expect(3);
    let report = run.json();
    let incomplete = report["incomplete"].to_string();
    assert!(incomplete.contains("timed out after"), "{incomplete}");
    assert!(
        incomplete.contains("last status: no scan yet"),
        "{incomplete}"
    );
    assert!(
        (Duration::from_secs(5)..Duration::from_secs(20)).contains(&run.elapsed),
        "{:?}",
        run.elapsed
    );
    assert!(!run.exists("report.sarif"));
}

/// The timeout message should name the `--timeout` the user gave.
#[test]
fn wait_timeout_message_names_the_timeout_given() {
    let image = pushed();
    image.configure_scanning("BASIC", &[("SCAN_ON_PUSH", &["app"])]);
    let run = image
        .scan(&image.by_tag())
        .scan_mode("wait")
        .timeout("5s")
        .run();
    run.expect(3);
    let incomplete = run.json()["incomplete"].to_string();
    assert!(incomplete.contains("timed out after 5s"), "{incomplete}");
}

/// The image disappears while the gate waits: `DescribeImageScanFindings` answers
/// `ImageNotFoundException`, which is an error (exit 2), not a missing scan.
#[test]
fn image_deleted_while_waiting_is_image_not_found_exit_2() {
    let image = pushed();
    let ecr = image.moto.ecr(REGION);
    ecr.put_registry_scanning_configuration("BASIC", &[("SCAN_ON_PUSH", &["team/*"])]);
    let digest = image.digest.clone();
    let deleter = std::thread::spawn(move || {
        // The gate fetches the manifest within its first second, then polls for the scan.
        std::thread::sleep(Duration::from_secs(4));
        ecr.delete_image(REPOSITORY, &digest);
    });
    let run = image.scan(&image.by_tag()).scan_mode("wait").run();
    deleter.join().expect("deleter");
    run.expect(2);
    // Named by digest: the manifest was found, the scan's image was not.
    run.assert_stderr(&format!("image {REPOSITORY}@{} not found", image.digest));
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
}

/// An injected answer for the pushed image, after a scan was started (moto answers
/// `ScanNotFoundException` until then, injected answer or not).
fn inject(image: &Pushed, status: &str, description: &str, findings: Value, extra: Value) {
    image
        .moto
        .ecr(&image.region)
        .start_image_scan(REPOSITORY, &image.digest)
        .expect("StartImageScan");
    let mut result = json!({
        "registryId": ACCOUNT,
        "repositoryName": REPOSITORY,
        "imageId": { "imageDigest": image.digest, "imageTag": TAG },
        "imageScanStatus": { "status": status, "description": description },
        "imageScanFindings": findings,
    });
    if let (Some(result), Some(extra)) = (result.as_object_mut(), extra.as_object()) {
        result.extend(extra.clone());
    }
    image.moto.set_scan_findings(&image.region, &[result]);
}

#[test]
fn failed_scan_is_exit_3_quickly() {
    let image = pushed();
    inject(
        &image,
        "FAILED",
        "UnsupportedImageError: x",
        json!({}),
        json!({}),
    );
    let run = image.scan(&image.by_tag()).run();
    run.expect(3);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    let report = run.json();
    let incomplete = report["incomplete"].to_string();
    assert!(incomplete.contains("FAILED"), "{incomplete}");
    assert!(!run.exists("report.sarif"));
}

/// `ecr.md`: FAILED → "exit 3 with the description" (ECR's `imageScanStatus.description` says why).
#[test]
fn failed_scan_reports_ecrs_description() {
    let image = pushed();
    let why =
        "UnsupportedImageError: The operating system and/or package manager are not supported.";
    inject(&image, "FAILED", why, json!({}), json!({}));
    let run = image.scan(&image.by_tag()).run();
    run.expect(3);
    let report = run.json();
    let incomplete = report["incomplete"].to_string();
    assert!(incomplete.contains("operating system"), "{incomplete}");
    run.assert_stderr("operating system");
}

#[test]
fn unsupported_image_and_unknown_statuses_are_exit_3() {
    for status in ["UNSUPPORTED_IMAGE", "SOMETHING_NEWER"] {
        let image = pushed();
        inject(&image, status, "", json!({}), json!({}));
        let run = image.scan(&image.by_tag()).fail_on("none").run();
        run.expect(3);
        let incomplete = run.json()["incomplete"].to_string();
        assert!(incomplete.contains(status), "{status}: {incomplete}");
    }
}

/// moto returns an injected answer for every request of the image, `nextToken` included: a token
/// that repeats must be caught, not followed forever.
#[test]
fn a_next_token_that_repeats_is_a_paging_error_exit_2() {
    let image = pushed();
    let findings = json!({
        "findingSeverityCounts": { "LOW": 1 },
        "findings": [{ "name": "CVE-2020-0001", "severity": "LOW", "attributes": [] }],
    });
    inject(
        &image,
        "COMPLETE",
        "The scan was completed successfully.",
        findings,
        json!({ "nextToken": "page-2" }),
    );
    let run = image.scan(&image.by_tag()).run();
    run.expect(2);
    run.assert_stderr("does not follow the previous one");
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    assert!(!run.exists("report.sarif"));
}

/// Enhanced scanning as far as moto goes: the registry says ENHANCED (the gate never starts a scan
/// there) and an injected `ACTIVE` result with Inspector findings is judged once its counts have
/// stayed the same for the settle window (10 s).
#[test]
fn enhanced_active_result_settles_and_is_judged() {
    let image = pushed();
    image.configure_scanning("ENHANCED", &[("CONTINUOUS_SCAN", &["*"])]);
    let findings = json!({
        "findingSeverityCounts": { "CRITICAL": 1 },
        "enhancedFindings": [{
            "awsAccountId": ACCOUNT,
            "description": "A use-after-free in openssl.",
            "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/0123456789abcdef",
            "score": 9.8,
            "severity": "CRITICAL",
            "status": "ACTIVE",
            "title": "CVE-2024-0001 - openssl",
            "type": "PACKAGE_VULNERABILITY",
            "fixAvailable": "YES",
            "exploitAvailable": "NO",
            "packageVulnerabilityDetails": {
                "vulnerabilityId": "CVE-2024-0001",
                "source": "NVD",
                "vulnerablePackages": [{
                    "name": "openssl",
                    "version": "3.0.0",
                    "fixedInVersion": "3.0.1",
                    "packageManager": "OS",
                }],
            },
        }],
    });
    inject(
        &image,
        "ACTIVE",
        "Continuous scan is selected for image.",
        findings,
        json!({}),
    );
    let run = image.scan(&image.by_tag()).run();
    run.expect(1);
    let report = run.json();
    let scanned = self::image(&report);
    assert_eq!(scanned["scan"]["type"], "enhanced");
    assert_eq!(scanned["scan"]["status"], "ACTIVE");
    assert_eq!(scanned["digest"], image.digest);
    assert_eq!(report["counts"]["critical"], 1);
    let finding = &report["findings"][0];
    assert_eq!(finding["id"], "CVE-2024-0001");
    assert_eq!(finding["severity"], "critical");
    assert_eq!(finding["score"], 9.8);
    assert_eq!(finding["package"]["fixed_in"], "3.0.1");
    assert_eq!(finding["fix_available"], true);
    run.assert_stderr("CONTINUOUS_SCAN");
    assert!(run.elapsed >= Duration::from_secs(10), "{:?}", run.elapsed);
    assert!(run.elapsed < Duration::from_secs(40), "{:?}", run.elapsed);
    run.sarif();
}

#[test]
fn doctor_explains_the_setup_and_checks_permissions() {
    let pushed = pushed();
    pushed.configure_scanning("BASIC", &[("SCAN_ON_PUSH", &["team/*"])]);
    let image = pushed.by_tag();
    let run = pushed.doctor(&image).run();
    run.expect(0);
    let out = run.stdout;
    assert!(out.contains("scan type:    BASIC"), "{out}");
    assert!(out.contains("SCAN_ON_PUSH (filter `team/*`)"), "{out}");
    assert!(
        out.contains("wait for the scan ECR runs by itself"),
        "{out}"
    );
    assert!(
        out.contains("ok      ecr:BatchGetImage: allowed (image found)"),
        "{out}"
    );
    assert!(out.contains("ecr:StartImageScan is not checked"), "{out}");
    let other = pushed.doctor("other/app").run();
    other.expect(0);
    assert!(
        other.stdout.contains("MANUAL (no filter matches)"),
        "{}",
        other.stdout
    );
    pushed.doctor("Not/A/Valid:ref:").run().expect(2);
}
