//! `scan IMAGE` end to end: the real binary against the scripted ECR stand-in ([`crate::ecr_stub`]).
//!
//! Every test starts its own stub, so tests run in parallel. The binary polls on a jittered
//! 1.25–5 s schedule, so each poll costs seconds; scripts are kept as short as the behaviour allows.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::ecr_stub::*;
use crate::support::*;

const DESCRIBE: &str = "DescribeImageScanFindings";
const START: &str = "StartImageScan";
const BATCH_GET: &str = "BatchGetImage";
const CONFIG: &str = "GetRegistryScanningConfiguration";

/// Scripts `BatchGetImage` to return a single-image manifest for `repository:tag`.
fn single_image(stub: &EcrStub, repository: &str, tag: &str, flavour: Flavour) -> Manifest {
    let manifest = image_manifest(flavour, &format!("{repository}:{tag}"));
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image(
            repository,
            Some(tag),
            &manifest,
        ))],
    );
    manifest
}

fn registry(stub: &EcrStub, scan_type: &str, rules: Vec<Value>) {
    stub.on(
        CONFIG,
        vec![Action::json(registry_scanning(scan_type, rules))],
    );
}

fn scan_on_push(stub: &EcrStub) {
    registry(stub, "BASIC", vec![rule("SCAN_ON_PUSH", &["*"])]);
}

fn high(cve: &str) -> Value {
    basic_finding(cve, "HIGH", "openssl", "3.0.11-1~deb12u1", Some(7.5))
}

fn medium(cve: &str) -> Value {
    basic_finding(cve, "MEDIUM", "libxml2", "2.9.14+dfsg-1.3", Some(5.3))
}

fn low(cve: &str) -> Value {
    basic_finding(cve, "LOW", "tar", "1.34+dfsg-1.2", None)
}

fn digests(requests: &[Request]) -> BTreeSet<String> {
    requests
        .iter()
        .filter_map(|r| r.digest().map(str::to_string))
        .collect()
}

#[track_caller]
fn assert_describe_calls_are_well_formed(stub: &EcrStub, repository: &str) {
    for call in stub.calls(DESCRIBE) {
        assert_eq!(call.body["maxResults"], 1000, "{:?}", call.body);
        assert_eq!(call.body["repositoryName"], repository, "{:?}", call.body);
        assert!(
            call.digest().is_some_and(|d| d.starts_with("sha256:")),
            "{:?}",
            call.body
        );
    }
}

// ---- Basic scanning ----

#[test]
fn basic_manual_scan_is_started_once_and_a_high_finding_fails() {
    let stub = EcrStub::start();
    let repository = "team/app";
    let manifest = single_image(&stub, repository, "v1.2.3", Flavour::Docker);
    // A scan-on-push rule that does not cover the repository: manual scanning.
    registry(&stub, "BASIC", vec![rule("SCAN_ON_PUSH", &["prod-*"])]);
    stub.on(
        START,
        vec![Action::json(start_image_scan(repository, &manifest.digest))],
    );
    let page = |status| ScanPage::new(repository, &manifest.digest, status);
    stub.on(
        DESCRIBE,
        vec![
            page("IN_PROGRESS").action(),
            page("IN_PROGRESS").action(),
            page("COMPLETE")
                .tag("v1.2.3")
                .basic(vec![high("CVE-2024-5535")])
                .counts(&[("HIGH", 1)])
                .action(),
        ],
    );

    let run = Gate::scan("team/app:v1.2.3").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(report["counts"]["total"], 1);
    assert_eq!(report["findings"][0]["id"], "CVE-2024-5535");
    assert_eq!(report["findings"][0]["severity"], "high");
    assert_eq!(report["findings"][0]["package"]["name"], "openssl");
    let image = &report["images"][0];
    assert_eq!(image["repository"], repository);
    assert_eq!(image["digest"], manifest.digest.as_str());
    assert!(
        image["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("v1.2.3")),
        "{image}"
    );
    assert_eq!(image["scan"]["type"], "basic");
    assert_eq!(image["scan"]["status"], "COMPLETE");
    assert_eq!(image["region"], "us-east-1");

    // The calls: identify, read the configuration, start once, poll three times.
    assert_eq!(stub.count(START), 1);
    let start = &stub.calls(START)[0];
    assert_eq!(start.body["repositoryName"], repository);
    assert_eq!(start.digest(), Some(manifest.digest.as_str()));
    assert_eq!(stub.count(DESCRIBE), 3);
    assert_describe_calls_are_well_formed(&stub, repository);
    assert_eq!(
        digests(&stub.calls(DESCRIBE)),
        BTreeSet::from([manifest.digest.clone()])
    );
    let get = &stub.calls(BATCH_GET)[0];
    assert_eq!(get.body["repositoryName"], repository);
    assert_eq!(get.body["imageIds"][0]["imageTag"], "v1.2.3");
    let accepted: BTreeSet<&str> = get.body["acceptedMediaTypes"]
        .as_array()
        .expect("acceptedMediaTypes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        accepted,
        BTreeSet::from([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST])
    );
    let operations = stub.operations();
    let first_describe = operations.iter().position(|o| o == DESCRIBE).unwrap();
    let start_at = operations.iter().position(|o| o == START).unwrap();
    assert!(start_at < first_describe, "{operations:?}");
    assert_eq!(operations[0], BATCH_GET, "{operations:?}");
    // Polls follow the schedule: at least 1.25 s apart.
    let describes = stub.calls(DESCRIBE);
    for pair in describes.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(1200),
            "{:?}",
            describes.iter().map(|r| r.at).collect::<Vec<_>>()
        );
    }
    // The SDK reuses connections (the stub keeps them alive).
    assert!(
        stub.connections() < stub.requests().len(),
        "{} connections for {} requests",
        stub.connections(),
        stub.requests().len()
    );
}

#[test]
fn basic_scan_on_push_waits_through_scan_not_found_without_starting_a_scan() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "latest", Flavour::Oci);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            Action::scan_not_found("app", &manifest.digest),
            Action::scan_not_found("app", &manifest.digest),
            ScanPage::new("app", &manifest.digest, "IN_PROGRESS").action(),
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![])
                .action(),
        ],
    );

    let run = Gate::scan("app").stub(&stub).json().run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "pass");
    assert_eq!(report["counts"]["total"], 0);
    assert_eq!(report["images"][0]["tags"][0], "latest");
    assert_eq!(stub.count(START), 0, "{:?}", stub.operations());
    assert_eq!(stub.count(DESCRIBE), 4);
    assert_describe_calls_are_well_formed(&stub, "app");
}

#[test]
fn start_limit_exceeded_reads_the_existing_scan_without_retrying_the_start() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v2", Flavour::Docker);
    registry(&stub, "BASIC", vec![]);
    stub.on(START, vec![Action::scan_limit_exceeded()]);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![medium("CVE-2024-25062")])
                .counts(&[("MEDIUM", 1)])
                .action(),
        ],
    );

    let run = Gate::scan("app:v2").stub(&stub).json().run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "pass");
    assert_eq!(report["counts"]["medium"], 1);
    assert_eq!(
        stub.count(START),
        1,
        "StartImageScan must not be retried: {:?}",
        stub.operations()
    );
    assert_eq!(stub.count(DESCRIBE), 1);
}

// ---- Enhanced scanning ----

#[test]
fn enhanced_continuous_waits_for_growing_counts_to_settle_and_reads_the_final_set() {
    let stub = EcrStub::start();
    let repository = "team/api";
    let manifest = single_image(&stub, repository, "v7", Flavour::Oci);
    registry(&stub, "ENHANCED", vec![rule("CONTINUOUS_SCAN", &["*"])]);
    let finding = |cve| enhanced_finding(cve, "HIGH", 8.1, "libxml2", &manifest.digest, repository);
    let page = |status| ScanPage::new(repository, &manifest.digest, status);
    stub.on(
        DESCRIBE,
        vec![
            page("PENDING").action(),
            page("ACTIVE")
                .enhanced(vec![finding("CVE-2022-49043")])
                .counts(&[("HIGH", 1)])
                .action(),
            page("ACTIVE")
                .enhanced(vec![
                    finding("CVE-2022-49043"),
                    finding("CVE-2024-25062"),
                    finding("CVE-2024-56171"),
                ])
                .counts(&[("HIGH", 3)])
                .action(),
        ],
    );

    let run = Gate::scan("team/api:v7").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_eq!(report["counts"]["high"], 3);
    assert_eq!(report["findings"].as_array().unwrap().len(), 3);
    assert_eq!(report["images"][0]["scan"]["type"], "enhanced");
    assert_eq!(report["images"][0]["scan"]["status"], "ACTIVE");
    assert_eq!(stub.count(START), 0, "{:?}", stub.operations());
    // Read only after the counts stayed at HIGH 3 for the settle window (10 s).
    let describes = stub.calls(DESCRIBE);
    assert!(describes.len() >= 4, "{}", describes.len());
    let stable_since = describes[2].at;
    let read_at = describes.last().unwrap().at;
    assert!(
        read_at - stable_since >= Duration::from_secs(10),
        "read {:?} after the counts settled",
        read_at - stable_since
    );
    assert_describe_calls_are_well_formed(&stub, repository);
}

#[test]
fn enhanced_never_starts_a_scan_even_with_scan_mode_start() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "web", "v1", Flavour::Docker);
    registry(&stub, "ENHANCED", vec![rule("SCAN_ON_PUSH", &["web"])]);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("web", &manifest.digest, "COMPLETE")
                .enhanced(vec![enhanced_finding(
                    "CVE-2023-4911",
                    "MEDIUM",
                    5.5,
                    "glibc",
                    &manifest.digest,
                    "web",
                )])
                .counts(&[("MEDIUM", 1)])
                .action(),
        ],
    );
    let run = Gate::scan("web:v1")
        .stub(&stub)
        .scan_mode("start")
        .json()
        .run();
    run.expect(0);
    assert_eq!(run.json()["counts"]["medium"], 1);
    assert_eq!(stub.count(START), 0, "{:?}", stub.operations());
}

#[test]
fn enhanced_registry_without_a_matching_filter_is_exit_3_without_polling() {
    let stub = EcrStub::start();
    single_image(&stub, "dev/app", "v1", Flavour::Oci);
    registry(
        &stub,
        "ENHANCED",
        vec![
            rule("CONTINUOUS_SCAN", &["prod-*"]),
            rule("SCAN_ON_PUSH", &["*-release"]),
        ],
    );
    let run = Gate::scan("dev/app:v1").stub(&stub).json().run();
    run.expect(3);
    run.assert_stderr("no scanning filter matches");
    run.assert_stderr("add a filter");
    assert_eq!(run.json()["result"], "incomplete");
    assert_eq!(stub.count(DESCRIBE), 0, "{:?}", stub.operations());
    assert_eq!(stub.count(START), 0);
}

// ---- Statuses ----

const UNUSABLE: [&str; 8] = [
    "FAILED",
    "UNSUPPORTED_IMAGE",
    "SCAN_ELIGIBILITY_EXPIRED",
    "FINDINGS_UNAVAILABLE",
    "LIMIT_EXCEEDED",
    "IMAGE_ARCHIVED",
    "IMAGE_SIZE_EXCEEDED",
    "QUANTUM_SCANNING",
];

#[test]
fn every_unusable_or_unknown_status_is_exit_3_naming_the_status() {
    let threads: Vec<_> = UNUSABLE
        .into_iter()
        .map(|status| {
            std::thread::spawn(move || {
                let stub = EcrStub::start();
                let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
                scan_on_push(&stub);
                stub.on(
                    DESCRIBE,
                    vec![ScanPage::new("app", &manifest.digest, status).action()],
                );
                let run = Gate::scan("app:v1").stub(&stub).json().run();
                (status, run, stub.count(DESCRIBE), stub.count(START))
            })
        })
        .collect();
    for thread in threads {
        let (status, run, describes, starts) = thread.join().expect("status thread");
        assert_eq!(run.exit, 3, "{status}:\n{}", run.stderr);
        run.assert_stderr(status);
        let report = run.json();
        assert_eq!(report["result"], "incomplete", "{status}");
        assert!(
            report["incomplete"][0]
                .as_str()
                .is_some_and(|r| r.contains(status)),
            "{status}: {}",
            report["incomplete"]
        );
        assert_eq!(describes, 1, "{status}: gives up at once");
        assert_eq!(starts, 0, "{status}");
    }
}

/// `ecr.md`: "FAILED — scan failed; `description` says why — exit 3 with the description".
#[test]
fn failed_scan_reports_ecr_s_description() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    let description =
        "UnsupportedImageError: The operating system and/or package manager are not supported.";
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "FAILED")
                .description(description)
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(3);
    run.assert_stderr("FAILED");
    run.assert_stderr("UnsupportedImageError");
}

#[test]
fn timeout_while_in_progress_is_exit_3_timed_out() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![ScanPage::new("app", &manifest.digest, "IN_PROGRESS").action()],
    );
    let run = Gate::scan("app:v1")
        .stub(&stub)
        .timeout("4s")
        .json()
        .sarif()
        .run();
    let took = run.elapsed;
    run.expect(3);
    run.assert_stderr("timed out");
    run.assert_stderr("IN_PROGRESS");
    assert_eq!(run.json()["result"], "incomplete");
    assert!(!run.exists("report.sarif"), "no SARIF without a verdict");
    assert!(took < Duration::from_secs(12), "took {took:?}");
    assert!(stub.count(DESCRIBE) >= 2, "{}", stub.count(DESCRIBE));
}

/// The timeout message should name the bound the user set, not what was left of it after identifying
/// the image (`--timeout 4s` currently prints "timed out after 3s").
#[test]
fn timeout_message_names_the_configured_timeout() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![ScanPage::new("app", &manifest.digest, "IN_PROGRESS").action()],
    );
    let run = Gate::scan("app:v1").stub(&stub).timeout("4s").run();
    run.expect(3);
    run.assert_stderr("timed out after 4s");
}

// ---- Paging ----

/// Six findings over three pages; every page repeats the whole image's counts.
fn three_pages(stub: &EcrStub, repository: &str, digest: &str, second_page_first: Vec<Action>) {
    let counts = [("CRITICAL", 1), ("HIGH", 2), ("MEDIUM", 2), ("LOW", 1)];
    let page = || {
        ScanPage::new(repository, digest, "COMPLETE")
            .tag("v3")
            .counts(&counts)
    };
    let mut second = second_page_first;
    second.push(
        page()
            .basic(vec![high("CVE-2024-0002"), medium("CVE-2024-0003")])
            .next_token("token/page-3==")
            .action(),
    );
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new(repository, digest, "IN_PROGRESS").action(),
            page()
                .basic(vec![
                    basic_finding("CVE-2024-0001", "CRITICAL", "zlib", "1.2.13", Some(9.8)),
                    high("CVE-2024-0004"),
                ])
                .next_token("token/page-2==")
                .action(),
        ],
    );
    stub.on_token(DESCRIBE, "token/page-2==", second);
    stub.on_token(
        DESCRIBE,
        "token/page-3==",
        vec![
            page()
                .basic(vec![medium("CVE-2024-0005"), low("CVE-2024-0006")])
                .action(),
        ],
    );
}

#[test]
fn three_pages_are_all_read_and_counts_are_not_summed() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v3", Flavour::Docker);
    scan_on_push(&stub);
    three_pages(&stub, "app", &manifest.digest, vec![]);

    let run = Gate::scan("app:v3").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 6);
    let ids: BTreeSet<&str> = findings.iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    let counts = &report["counts"];
    assert_eq!(counts["total"], 6, "{counts}");
    assert_eq!(counts["critical"], 1);
    assert_eq!(counts["high"], 2);
    assert_eq!(counts["medium"], 2);
    assert_eq!(counts["low"], 1);
    // The declared counts agree with the list, so nothing warns about a mismatch.
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| !w.as_str().unwrap_or_default().contains("count")),
        "{}",
        report["warnings"]
    );
    let tokens: Vec<Option<String>> = stub
        .calls(DESCRIBE)
        .iter()
        .map(|r| r.next_token().map(str::to_string))
        .collect();
    assert_eq!(
        tokens,
        vec![
            None,
            None,
            Some("token/page-2==".into()),
            Some("token/page-3==".into())
        ]
    );
    assert_describe_calls_are_well_formed(&stub, "app");
}

// ---- Throttling, server errors and dropped connections are "not yet" until the deadline ----

/// Answers `throttling` for `window` after the first request of the route, then `then`.
fn throttled_for(window: Duration, then: Action) -> impl FnMut(&Request) -> Action + Send {
    let mut first: Option<Duration> = None;
    move |request| {
        let since = request.at - *first.get_or_insert(request.at);
        if since < window {
            Action::throttling()
        } else {
            then.clone()
        }
    }
}

/// The `N times` of the last "(CODE, N times)" in stderr.
#[track_caller]
fn times_named(run: &Run, code: &str) -> usize {
    let stderr = &run.stderr;
    let after = stderr
        .rsplit(&format!("({code}, "))
        .next()
        .filter(|_| stderr.contains(&format!("({code}, ")))
        .unwrap_or_else(|| panic!("no ({code}, N times) in:\n{stderr}"));
    after
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count after ({code}, in:\n{stderr}"))
}

#[test]
fn a_throttling_burst_is_absorbed() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            Action::throttling(),
            Action::throttling(),
            Action::throttling(),
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![low("CVE-2024-0100")])
                .counts(&[("LOW", 1)])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(0);
    assert_eq!(run.json()["counts"]["low"], 1);
    assert_eq!(stub.count(DESCRIBE), 4);
}

/// Issue 8, item 9: six `ThrottlingException`s, a 500 and a dropped connection in a row on
/// DescribeImageScanFindings used to end the gate with exit 2 although the scan completed right after.
#[test]
fn throttling_a_500_and_a_dropped_connection_while_polling_are_not_yet_and_the_verdict_comes() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    let mut script = vec![Action::throttling(); 6];
    script.push(Action::server_error());
    script.push(Action::Drop);
    script.push(
        ScanPage::new("app", &manifest.digest, "COMPLETE")
            .basic(vec![high("CVE-2024-0101")])
            .counts(&[("HIGH", 1)])
            .action(),
    );
    stub.on(DESCRIBE, script);
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(stub.count(DESCRIBE), 9, "{:?}", stub.operations());
    run.assert_stderr("ThrottlingException");
    // Throttled polls back off: never faster than the poll schedule's first delay.
    let describes = stub.calls(DESCRIBE);
    for pair in describes.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(1200),
            "{:?}",
            describes.iter().map(|r| r.at).collect::<Vec<_>>()
        );
    }
}

/// Issue 8, item 9: under a shared rate limit, BatchGetImage throttling used to end the gate before
/// it started.
#[test]
fn batch_get_image_throttled_for_seconds_still_reaches_the_verdict() {
    let stub = EcrStub::start();
    let manifest = image_manifest(Flavour::Oci, "throttled");
    stub.on_fn(
        BATCH_GET,
        |_| true,
        throttled_for(
            Duration::from_secs(15),
            Action::json(batch_get_image("app", Some("v1"), &manifest)),
        ),
    );
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![low("CVE-2024-0102")])
                .counts(&[("LOW", 1)])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(0);
    assert_eq!(run.json()["counts"]["low"], 1);
    let gets = stub.calls(BATCH_GET);
    assert!(gets.len() >= 4, "{} BatchGetImage calls", gets.len());
    let waited = gets.last().unwrap().at - gets[0].at;
    assert!(
        waited >= Duration::from_secs(15),
        "gave up after {waited:?}"
    );
    run.assert_stderr("BatchGetImage");
}

#[test]
fn throttled_until_the_deadline_is_exit_3_naming_the_throttling() {
    let stub = EcrStub::start();
    single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    stub.on(DESCRIBE, vec![Action::throttling()]);
    let run = Gate::scan("app:v1").stub(&stub).timeout("8s").json().run();
    let took = run.elapsed;
    run.expect(3);
    run.assert_stderr(
        "timed out after 8s: ECR kept throttling DescribeImageScanFindings (ThrottlingException, ",
    );
    assert_eq!(
        times_named(&run, "ThrottlingException"),
        stub.count(DESCRIBE)
    );
    assert!(stub.count(DESCRIBE) >= 3, "{}", stub.count(DESCRIBE));
    let report = run.json();
    assert_eq!(report["result"], "incomplete");
    assert!(
        report["incomplete"][0]
            .as_str()
            .is_some_and(|r| r.contains("ECR kept throttling DescribeImageScanFindings")),
        "{}",
        report["incomplete"]
    );
    assert!(
        took >= Duration::from_secs(8) && took < Duration::from_secs(14),
        "took {took:?}"
    );
}

#[test]
fn a_server_error_until_the_deadline_is_exit_3_naming_the_call() {
    let stub = EcrStub::start();
    for operation in [BATCH_GET, CONFIG, DESCRIBE, START] {
        stub.on(operation, vec![Action::server_error()]);
    }
    let run = Gate::scan("app:v1").stub(&stub).timeout("5s").json().run();
    let took = run.elapsed;
    run.expect(3);
    run.assert_stderr("timed out after 5s: ECR kept answering BatchGetImage with server errors (ServerException, ",
    );
    run.assert_stderr("fetch the image manifest for app:v1");
    run.assert_stderr("Internal error (stub)");
    assert_eq!(times_named(&run, "ServerException"), stub.count(BATCH_GET));
    assert_eq!(run.json()["result"], "incomplete");
    assert!(stub.count(BATCH_GET) >= 4, "{}", stub.count(BATCH_GET));
    assert_eq!(
        stub.requests().len(),
        stub.count(BATCH_GET),
        "{:?}",
        stub.operations()
    );
    assert!(took < Duration::from_secs(11), "took {took:?}");
}

#[test]
fn access_denied_is_exit_2_at_once_without_retries() {
    for operation in [BATCH_GET, DESCRIBE] {
        let stub = EcrStub::start();
        let manifest = image_manifest(Flavour::Docker, "denied");
        if operation == BATCH_GET {
            stub.on(BATCH_GET, vec![Action::access_denied(BATCH_GET)]);
        } else {
            stub.on(
                BATCH_GET,
                vec![Action::json(batch_get_image("app", Some("v1"), &manifest))],
            );
        }
        scan_on_push(&stub);
        stub.on(DESCRIBE, vec![Action::access_denied(DESCRIBE)]);
        let run = Gate::scan("app:v1").stub(&stub).json().run();
        let took = run.elapsed;
        run.expect(2);
        run.assert_stderr(&format!("not authorized to perform: ecr:{operation}"));
        run.assert_stderr("hint: the gate needs ecr:BatchGetImage");
        assert_eq!(run.json()["result"], "error");
        assert_eq!(
            stub.count(operation),
            1,
            "{operation}: {:?}",
            stub.operations()
        );
        assert!(took < Duration::from_secs(5), "{operation}: took {took:?}");
    }
}

#[test]
fn a_throttled_second_page_is_retried_never_dropped() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v3", Flavour::Docker);
    scan_on_push(&stub);
    three_pages(
        &stub,
        "app",
        &manifest.digest,
        vec![Action::throttling(); 7],
    );

    let run = Gate::scan("app:v3").stub(&stub).json().run();
    run.expect(1);
    assert_eq!(run.json()["counts"]["total"], 6);
    assert_eq!(run.json()["findings"].as_array().unwrap().len(), 6);
    let second = stub
        .calls(DESCRIBE)
        .into_iter()
        .filter(|r| r.next_token() == Some("token/page-2=="))
        .count();
    assert_eq!(second, 8, "seven throttled, then the page");
}

#[test]
fn a_500_on_the_second_page_is_retried() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v3", Flavour::Docker);
    scan_on_push(&stub);
    three_pages(&stub, "app", &manifest.digest, vec![Action::server_error()]);

    let run = Gate::scan("app:v3").stub(&stub).json().run();
    run.expect(1);
    assert_eq!(run.json()["counts"]["total"], 6);
    let second: Vec<_> = stub
        .calls(DESCRIBE)
        .into_iter()
        .filter(|r| r.next_token() == Some("token/page-2=="))
        .collect();
    assert_eq!(second.len(), 2, "one 500, one retry");
}

#[test]
fn a_throttled_start_is_retried_and_limit_exceeded_still_means_already_scanned() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v2", Flavour::Docker);
    registry(&stub, "BASIC", vec![]);
    let mut starts = vec![Action::throttling(); 5];
    starts.push(Action::scan_limit_exceeded());
    stub.on(START, starts);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![medium("CVE-2024-25062")])
                .counts(&[("MEDIUM", 1)])
                .action(),
        ],
    );
    let run = Gate::scan("app:v2").stub(&stub).json().run();
    run.expect(0);
    assert_eq!(run.json()["counts"]["medium"], 1);
    assert_eq!(stub.count(START), 6, "{:?}", stub.operations());
    assert_eq!(stub.count(DESCRIBE), 1);
}

#[test]
fn a_throttled_registry_configuration_is_retried_rather_than_guessed() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    let mut config = vec![Action::throttling(); 7];
    config.push(Action::json(registry_scanning(
        "BASIC",
        vec![rule("SCAN_ON_PUSH", &["*"])],
    )));
    stub.on(CONFIG, config);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(0);
    assert_eq!(stub.count(CONFIG), 8, "{:?}", stub.operations());
    assert!(!run.stderr.contains("inferring"), "{}", run.stderr);
    run.assert_stderr("(filter `*`)");
}

#[test]
fn a_throttled_authorization_token_is_retried_before_pushing() {
    let stub = EcrStub::start();
    let password = "eyJwYXlsb2FkIjoic2VjcmV0LXRocm90dGxlIn0";
    let mut answers = vec![Action::throttling(); 7];
    answers.push(Action::json(authorization_token(
        password,
        &format!("https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"),
    )));
    stub.on("GetAuthorizationToken", answers);
    // An empty directory: it exists (checked before any AWS call) but holds no image (found after the
    // token came).
    let empty = tempfile::tempdir().expect("tempdir");
    let source = empty.path().display().to_string();
    let run = Gate::scan("app:v1")
        .stub(&stub)
        .push(&source)
        .timeout("60s")
        .run();
    // The token came; the push then fails on the empty source (exit 2), not on throttling.
    run.expect(2);
    assert_eq!(
        stub.count("GetAuthorizationToken"),
        8,
        "{:?}",
        stub.operations()
    );
    run.assert_stderr("couldn't push the image");
    assert!(!run.stderr.contains(password), "{}", run.stderr);
    assert!(
        !run.stderr
            .contains("couldn't get a registry authorization token"),
        "{}",
        run.stderr
    );
}

#[test]
fn dropped_connections_are_retried() {
    let stub = EcrStub::start();
    let manifest = image_manifest(Flavour::Oci, "dropped");
    stub.on(
        BATCH_GET,
        vec![
            Action::Drop,
            Action::json(batch_get_image("app", Some("v1"), &manifest)),
        ],
    );
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            Action::delay(Duration::from_millis(50), Action::Drop),
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).run();
    run.expect(0);
    assert_eq!(stub.count(BATCH_GET), 2, "{:?}", stub.operations());
    assert_eq!(stub.count(DESCRIBE), 2, "{:?}", stub.operations());
}

/// A bare 503 from a load balancer and an answer cut short are "not yet": tried again.
#[test]
fn a_bare_503_or_an_answer_cut_short_is_not_yet() {
    let stub = EcrStub::start();
    let manifest = image_manifest(Flavour::Oci, "proxied");
    stub.on(
        BATCH_GET,
        vec![
            Action::raw(
                503,
                "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
            ),
            Action::json(batch_get_image("app", Some("v1"), &manifest)),
        ],
    );
    scan_on_push(&stub);
    let complete = ScanPage::new("app", &manifest.digest, "COMPLETE")
        .basic(vec![high("CVE-2024-0103")])
        .counts(&[("HIGH", 1)]);
    stub.on(
        DESCRIBE,
        vec![Action::Cut(complete.json()), complete.action()],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(1);
    assert_eq!(run.json()["counts"]["high"], 1);
    assert_eq!(stub.count(BATCH_GET), 2, "{:?}", stub.operations());
    assert_eq!(stub.count(DESCRIBE), 2, "{:?}", stub.operations());
    run.assert_stderr("ECR answered BatchGetImage with a server error (HTTP 503)");
}

/// A whole answer that is not ECR's JSON (a captive portal, a wrong endpoint) is an answer: the SDK
/// does not retry it either. Exit 2 at once, saying what was wrong.
#[test]
fn a_whole_answer_that_is_not_ecr_json_is_exit_2_at_once() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Oci);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![Action::raw(200, "<html>captive portal</html>")],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(2);
    assert_eq!(stub.count(DESCRIBE), 1, "{:?}", stub.operations());
    run.assert_stderr(&manifest.digest);
    run.assert_stderr("HTTP 200");
    run.assert_stderr("AWS_ENDPOINT_URL_ECR");
}

/// The visibility retry for a freshly pushed tag stops at the deadline too.
#[test]
fn a_missing_tag_is_not_looked_for_past_the_deadline() {
    let stub = EcrStub::start();
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image_not_found("missing"))],
    );
    scan_on_push(&stub);
    let run = Gate::scan("app:missing").stub(&stub).timeout("4s").run();
    let took = run.elapsed;
    run.expect(2);
    run.assert_stderr("app:missing");
    run.assert_stderr("not found");
    assert!(stub.count(BATCH_GET) >= 2, "{}", stub.count(BATCH_GET));
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// A call that hangs must not hold the gate past its timeout.
#[test]
fn a_call_that_never_answers_ends_at_the_deadline_with_exit_3() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![Action::delay(
            Duration::from_secs(60),
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![])
                .action(),
        )],
    );
    let run = Gate::scan("app:v1").stub(&stub).timeout("5s").json().run();
    let took = run.elapsed;
    run.expect(3);
    run.assert_stderr("timed out after 5s");
    run.assert_stderr("DescribeImageScanFindings");
    assert_eq!(run.json()["result"], "incomplete");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

// ---- Image indexes ----

/// An index pushed by buildx under `app:multi`, scanned on push.
fn multi_platform(stub: &EcrStub) -> Index {
    let index = oci_index("app:multi");
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image(
            "app",
            Some("multi"),
            &index.index,
        ))],
    );
    scan_on_push(stub);
    stub.on_digest(
        DESCRIBE,
        &index.amd64.digest,
        vec![
            ScanPage::new("app", &index.amd64.digest, "COMPLETE")
                .basic(vec![high("CVE-2024-6119")])
                .counts(&[("HIGH", 1)])
                .action(),
        ],
    );
    stub.on_digest(
        DESCRIBE,
        &index.arm64.digest,
        vec![
            ScanPage::new("app", &index.arm64.digest, "IN_PROGRESS").action(),
            ScanPage::new("app", &index.arm64.digest, "COMPLETE")
                .basic(vec![low("CVE-2024-0200")])
                .counts(&[("LOW", 1)])
                .action(),
        ],
    );
    index
}

#[test]
fn an_index_scans_both_platform_images_and_never_the_attestation() {
    let stub = EcrStub::start();
    let index = multi_platform(&stub);
    let run = Gate::scan("app:multi").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{images:?}");
    let by_platform: BTreeSet<(String, String)> = images
        .iter()
        .map(|i| {
            (
                i["platform"].as_str().unwrap_or_default().to_string(),
                i["digest"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_platform,
        BTreeSet::from([
            ("linux/amd64".to_string(), index.amd64.digest.clone()),
            ("linux/arm64/v8".to_string(), index.arm64.digest.clone()),
        ])
    );
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(report["counts"]["low"], 1);
    let polled = digests(&stub.calls(DESCRIBE));
    assert_eq!(
        polled,
        BTreeSet::from([index.amd64.digest.clone(), index.arm64.digest.clone()])
    );
    for request in stub.requests() {
        assert_ne!(request.digest(), Some(index.attestation.digest.as_str()));
    }
    assert_eq!(stub.count(START), 0);
    assert_eq!(stub.count(BATCH_GET), 1);
    assert_describe_calls_are_well_formed(&stub, "app");
}

#[test]
fn platform_selects_only_the_arm64_child() {
    let stub = EcrStub::start();
    let index = multi_platform(&stub);
    let run = Gate::scan("app:multi")
        .stub(&stub)
        .platform("linux/arm64")
        .json()
        .run();
    run.expect(0);
    let report = run.json();
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["platform"], "linux/arm64/v8");
    assert_eq!(images[0]["digest"], index.arm64.digest.as_str());
    assert_eq!(
        digests(&stub.calls(DESCRIBE)),
        BTreeSet::from([index.arm64.digest.clone()])
    );
}

#[test]
fn a_platform_the_index_lacks_is_exit_2_listing_the_available_ones() {
    let stub = EcrStub::start();
    multi_platform(&stub);
    let run = Gate::scan("app:multi")
        .stub(&stub)
        .platform("linux/s390x")
        .run();
    run.expect(2);
    run.assert_stderr("linux/s390x");
    run.assert_stderr("linux/amd64, linux/arm64/v8");
    assert_eq!(stub.count(DESCRIBE), 0);
    assert_eq!(stub.count(START), 0);
}

// ---- Identification ----

#[test]
fn a_tag_that_never_appears_is_retried_for_a_while_then_exit_2_naming_the_image() {
    let stub = EcrStub::start();
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image_not_found("missing"))],
    );
    scan_on_push(&stub);
    let run = Gate::scan("app:missing").stub(&stub).json().run();
    let took = run.elapsed;
    run.expect(2);
    run.assert_stderr("app:missing");
    run.assert_stderr("not found");
    run.assert_stderr("ImageNotFound");
    assert_eq!(run.json()["result"], "error");
    let attempts = stub.count(BATCH_GET);
    assert!(attempts >= 5, "{attempts} attempts in {took:?}");
    // The visibility window is 30 s; the run ends within it (plus process start-up).
    assert!(
        took >= Duration::from_secs(15) && took < Duration::from_secs(45),
        "took {took:?}"
    );
    assert_eq!(stub.count(DESCRIBE), 0);
}

#[test]
fn a_freshly_pushed_tag_is_found_on_retry() {
    let stub = EcrStub::start();
    let manifest = image_manifest(Flavour::Oci, "fresh");
    stub.on(
        BATCH_GET,
        vec![
            Action::json(batch_get_image_not_found("fresh")),
            Action::json(batch_get_image("app", Some("fresh"), &manifest)),
        ],
    );
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![])
                .action(),
        ],
    );
    let run = Gate::scan("app:fresh").stub(&stub).json().run();
    run.expect(0);
    assert_eq!(run.json()["images"][0]["digest"], manifest.digest.as_str());
    assert_eq!(stub.count(BATCH_GET), 2);
}

#[test]
fn an_image_named_by_digest_is_fetched_by_digest() {
    let stub = EcrStub::start();
    let manifest = image_manifest(Flavour::Docker, "by-digest");
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", None, &manifest))],
    );
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![])
                .action(),
        ],
    );
    let reference = format!("app@{}", manifest.digest);
    let run = Gate::scan(&reference).stub(&stub).json().run();
    run.expect(0);
    let get = &stub.calls(BATCH_GET)[0];
    assert_eq!(
        get.body["imageIds"][0]["imageDigest"],
        manifest.digest.as_str()
    );
    assert!(get.body["imageIds"][0].get("imageTag").is_none());
}

#[test]
fn unreadable_registry_configuration_is_inferred_by_probing_then_starting() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    stub.on(CONFIG, vec![Action::access_denied(CONFIG)]);
    stub.on(
        START,
        vec![Action::json(start_image_scan("app", &manifest.digest))],
    );
    stub.on(
        DESCRIBE,
        vec![
            Action::scan_not_found("app", &manifest.digest),
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![high("CVE-2024-0300")])
                .counts(&[("HIGH", 1)])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(1);
    run.assert_stderr("registry scanning configuration not readable");
    assert_eq!(run.json()["counts"]["high"], 1);
    let operations: Vec<String> = stub
        .operations()
        .into_iter()
        .filter(|o| o == DESCRIBE || o == START)
        .collect();
    assert_eq!(operations, vec![DESCRIBE, START, DESCRIBE]);
    assert_eq!(stub.count(CONFIG), 1, "AccessDenied is not retried");
}

#[test]
fn an_invalid_image_reference_is_exit_2_before_any_request() {
    let stub = EcrStub::start();
    scan_on_push(&stub);
    let run = Gate::scan("Bad/Name").stub(&stub).json().run();
    run.expect(2);
    run.assert_stderr("Bad/Name");
    run.assert_stderr("REPOSITORY[:TAG]");
    run.assert_stderr("REPOSITORY@sha256:DIGEST");
    run.assert_stderr("dkr.ecr.REGION.amazonaws.com");
    assert_eq!(run.json()["result"], "error");
    assert!(stub.requests().is_empty(), "{:?}", stub.operations());
}

// ---- Reports ----

fn report_case(finding: Value, severity: &str) -> (EcrStub, Run) {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "team/app", "v9", Flavour::Oci);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("team/app", &manifest.digest, "COMPLETE")
                .tag("v9")
                .basic(vec![finding])
                .counts(&[(severity, 1)])
                .action(),
        ],
    );
    let run = Gate::scan("team/app:v9").stub(&stub).reports().run();
    (stub, run)
}

#[test]
fn reports_are_all_written_and_valid_on_pass() {
    let (_stub, run) = report_case(low("CVE-2024-0400"), "LOW");
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "pass");
    let sarif = run.sarif();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
    let markdown = run.markdown();
    assert!(markdown.contains("team/app"), "{markdown}");
    assert!(markdown.to_lowercase().contains("pass"), "{markdown}");
}

#[test]
fn reports_are_all_written_and_valid_on_fail() {
    let (_stub, run) = report_case(high("CVE-2024-0500"), "HIGH");
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    let sarif = run.sarif();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "CVE-2024-0500");
    let markdown = run.markdown();
    assert!(markdown.contains("CVE-2024-0500"), "{markdown}");
    assert!(markdown.contains("fail-on = high"), "{markdown}");
}

// ---- More lifecycle paths ----

#[test]
fn scan_on_push_scan_still_missing_after_the_grace_is_started_once() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    stub.on(
        START,
        vec![Action::json(start_image_scan("app", &manifest.digest))],
    );
    // ScanNotFound until the scan is started, then COMPLETE.
    let done = ScanPage::new("app", &manifest.digest, "COMPLETE")
        .basic(vec![])
        .action();
    let started = AtomicBool::new(false);
    stub.on(
        DESCRIBE,
        vec![Action::scan_not_found("app", &manifest.digest)],
    );
    // The run is long (the 30 s grace); the script flips once StartImageScan was seen.
    let finished = AtomicBool::new(false);
    let run = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !finished.load(Ordering::SeqCst) {
                if stub.count(START) > 0 {
                    stub.on_match(DESCRIBE, |_| true, vec![done]);
                    started.store(true, Ordering::SeqCst);
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let run = Gate::scan("app:v1").stub(&stub).json().run();
        finished.store(true, Ordering::SeqCst);
        run
    });
    run.expect(0);
    assert!(started.load(Ordering::SeqCst));
    assert_eq!(stub.count(START), 1);
    let start_at = stub.calls(START)[0].at;
    let first_poll = stub.calls(DESCRIBE)[0].at;
    assert!(
        start_at - first_poll >= Duration::from_secs(29),
        "started {:?} after the first poll",
        start_at - first_poll
    );
}

#[test]
fn a_clean_enhanced_image_passes_after_settling() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Oci);
    registry(&stub, "ENHANCED", vec![rule("SCAN_ON_PUSH", &["*"])]);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "ACTIVE")
                .enhanced(vec![])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "pass");
    assert_eq!(report["counts"]["total"], 0);
    let describes = stub.calls(DESCRIBE);
    assert!(
        describes.last().unwrap().at - describes[0].at >= Duration::from_secs(10),
        "an empty enhanced result is read only once settled"
    );
}

#[test]
fn unreadable_configuration_on_an_enhanced_registry_waits_after_the_start_is_refused() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Oci);
    stub.on(CONFIG, vec![Action::access_denied(CONFIG)]);
    stub.on(
        START,
        vec![Action::error(
            400,
            "ValidationException",
            "This feature is disabled",
        )],
    );
    let finding = enhanced_finding(
        "CVE-2024-2961",
        "HIGH",
        7.3,
        "glibc",
        &manifest.digest,
        "app",
    );
    stub.on(
        DESCRIBE,
        vec![
            Action::scan_not_found("app", &manifest.digest),
            Action::scan_not_found("app", &manifest.digest),
            ScanPage::new("app", &manifest.digest, "ACTIVE")
                .enhanced(vec![finding])
                .counts(&[("HIGH", 1)])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["images"][0]["scan"]["type"], "enhanced");
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(stub.count(START), 1, "{:?}", stub.operations());
}

/// `ecr.md`: UNSUPPORTED_IMAGE — "exit 3, say why". Basic scanning answers StartImageScan with
/// `UnsupportedImageTypeException` for images it cannot scan.
#[test]
fn unsupported_image_type_on_start_is_reported_promptly() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    registry(&stub, "BASIC", vec![]);
    stub.on(
        START,
        vec![Action::error(
            400,
            "UnsupportedImageTypeException",
            "The operating system and/or package manager are not supported.",
        )],
    );
    stub.on(
        DESCRIBE,
        vec![Action::scan_not_found("app", &manifest.digest)],
    );
    let run = Gate::scan("app:v1").stub(&stub).timeout("20s").run();
    let took = run.elapsed;
    run.expect(3);
    run.assert_stderr("not supported");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_missing_repository_is_exit_2_naming_it() {
    let stub = EcrStub::start();
    stub.on(
        BATCH_GET,
        vec![Action::error(
            400,
            "RepositoryNotFoundException",
            &format!(
                "The repository with name 'nope/app' does not exist in the registry with id '{ACCOUNT}'"
            ),
        )],
    );
    scan_on_push(&stub);
    let run = Gate::scan("nope/app:v1").stub(&stub).run();
    run.expect(2);
    run.assert_stderr("repository nope/app not found");
    assert_eq!(stub.count(BATCH_GET), 1, "not retried");
}

#[test]
fn a_full_uri_addresses_the_registry_and_region_it_names() {
    let stub = EcrStub::start();
    let other = "210987654321";
    let manifest = single_image(&stub, "team/app", "v1", Flavour::Docker);
    registry(&stub, "BASIC", vec![]);
    stub.on(
        START,
        vec![Action::json(start_image_scan("team/app", &manifest.digest))],
    );
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("team/app", &manifest.digest, "COMPLETE")
                .basic(vec![])
                .action(),
        ],
    );
    let reference = format!("{other}.dkr.ecr.us-west-2.amazonaws.com/team/app:v1");
    let run = Gate::scan(&reference).stub(&stub).json().run();
    run.expect(0);
    assert_eq!(run.json()["images"][0]["region"], "us-west-2");
    for operation in [BATCH_GET, START, DESCRIBE] {
        for call in stub.calls(operation) {
            assert_eq!(
                call.body["registryId"], other,
                "{operation}: {:?}",
                call.body
            );
        }
    }
    for call in stub.requests() {
        let authorization = call.header("authorization").unwrap_or_default();
        assert!(
            authorization.contains("/us-west-2/ecr/aws4_request"),
            "{}: {authorization}",
            call.operation
        );
    }
}

// ---- One conversion for saved and live answers ----

#[test]
fn the_same_answer_read_live_and_from_a_file_gives_the_same_findings() {
    // Regression (issue 8.13): a bare 0.0 `scoreDetails.cvss.score` came out informational from a file
    // and unknown live; the region came from a field ECR's `Resource` does not have.
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Oci);
    registry(&stub, "ENHANCED", vec![rule("CONTINUOUS_SCAN", &["*"])]);
    let mut untriaged = enhanced_finding(
        "CVE-2026-1000",
        "UNTRIAGED",
        0.0,
        "libxml2",
        &manifest.digest,
        "app",
    );
    untriaged["scoreDetails"] = json!({"cvss": {"score": 0.0, "adjustments": []}});
    untriaged["packageVulnerabilityDetails"]
        .as_object_mut()
        .unwrap()
        .remove("cvss");
    let mut bare = enhanced_finding(
        "CVE-2026-1001",
        "UNTRIAGED",
        0.0,
        "zlib",
        &manifest.digest,
        "app",
    );
    bare.as_object_mut().unwrap().remove("scoreDetails");
    bare["packageVulnerabilityDetails"]["cvss"] = json!([]);
    let high = enhanced_finding(
        "CVE-2026-1002",
        "HIGH",
        7.5,
        "openssl",
        &manifest.digest,
        "app",
    );
    let page = ScanPage::new("app", &manifest.digest, "ACTIVE")
        .enhanced(vec![high, untriaged, bare])
        .counts(&[("HIGH", 1), ("UNTRIAGED", 2)])
        .json();
    stub.on(DESCRIBE, vec![Action::json(page.clone())]);
    let live = Gate::scan("app:v1")
        .stub(&stub)
        .fail_on("critical")
        .json()
        .run();
    live.expect(0);

    let saved = tempfile::tempdir().unwrap();
    let file = saved.path().join("findings.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&page).unwrap()).unwrap();
    let offline = Gate::evaluate(&[file]).reports().fail_on("critical").run();
    offline.expect(0);

    let (live, offline) = (live.json(), offline.json());
    assert_eq!(live["findings"], offline["findings"]);
    assert_eq!(live["counts"], offline["counts"]);
    assert_eq!(live["counts"]["unknown"], 2, "{}", live["counts"]);
    assert_eq!(live["counts"]["high"], 1);
    for report in [&live, &offline] {
        assert!(
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["severity"] == "unknown")
                .all(|f| f["score"].is_null()),
            "{}",
            report["findings"]
        );
    }
    // The region of a saved enhanced result comes from the resource ARN.
    assert_eq!(offline["images"][0]["region"], "us-east-1");
    assert_eq!(live["images"][0]["region"], "us-east-1");
}

// ---- Nested image indexes ----

#[test]
fn a_nested_index_is_resolved_and_every_image_inside_is_gated() {
    // Regression (issue 8.3): an index entry that is itself an index was skipped silently, so the gate
    // judged only some of the image's platforms.
    let stub = EcrStub::start();
    let inner = oci_index("app:nested");
    let s390x = image_manifest(Flavour::Oci, "app:nested/s390x");
    let outer_value = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_INDEX, "digest": inner.index.digest, "size": inner.index.text.len()},
            {"mediaType": OCI_MANIFEST, "digest": s390x.digest, "size": s390x.text.len(),
             "platform": {"os": "linux", "architecture": "s390x"}}
        ]
    });
    let text = serde_json::to_string_pretty(&outer_value).unwrap();
    let outer = Manifest {
        digest: digest_of(text.as_bytes()),
        text,
        media_type: OCI_INDEX,
    };
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", Some("v1"), &outer))],
    );
    let nested_digest = inner.index.digest.clone();
    stub.on_match(
        BATCH_GET,
        move |body| body["imageIds"][0]["imageDigest"].as_str() == Some(nested_digest.as_str()),
        vec![Action::json(batch_get_image("app", None, &inner.index))],
    );
    scan_on_push(&stub);
    for (digest, finding, counts) in [
        (&inner.amd64.digest, low("CVE-2024-0001"), ("LOW", 1)),
        (&inner.arm64.digest, low("CVE-2024-0002"), ("LOW", 1)),
        (&s390x.digest, high("CVE-2024-0003"), ("HIGH", 1)),
    ] {
        stub.on_digest(
            DESCRIBE,
            digest,
            vec![
                ScanPage::new("app", digest, "COMPLETE")
                    .basic(vec![finding])
                    .counts(&[counts])
                    .action(),
            ],
        );
    }
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    let platforms: BTreeSet<String> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["platform"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        platforms,
        BTreeSet::from([
            "linux/amd64".to_string(),
            "linux/arm64/v8".to_string(),
            "linux/s390x".to_string()
        ])
    );
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(stub.count(BATCH_GET), 2);
    assert_eq!(
        digests(&stub.calls(DESCRIBE)),
        BTreeSet::from([
            inner.amd64.digest.clone(),
            inner.arm64.digest.clone(),
            s390x.digest.clone()
        ])
    );
    // --platform selects inside the nested index too.
    let only = Gate::scan("app:v1")
        .stub(&stub)
        .platform("linux/s390x")
        .run();
    only.expect(1);
}

#[test]
fn an_index_entry_without_a_digest_is_exit_2_naming_it() {
    let stub = EcrStub::start();
    let text = serde_json::to_string(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "size": 10, "platform": {"os": "linux", "architecture": "amd64"}}]
    }))
    .unwrap();
    let index = Manifest {
        digest: digest_of(text.as_bytes()),
        text,
        media_type: OCI_INDEX,
    };
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", Some("v1"), &index))],
    );
    scan_on_push(&stub);
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(2);
    run.assert_stderr("entry 1 of the image index");
    assert_eq!(stub.count(DESCRIBE), 0);
}

#[test]
fn a_live_result_whose_counts_declare_more_than_its_pages_hold_is_exit_3() {
    // Issue 8.2 for live scans: counts that declare more than was read mean a page never came.
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    stub.on(
        DESCRIBE,
        vec![
            ScanPage::new("app", &manifest.digest, "COMPLETE")
                .basic(vec![low("CVE-2024-0001")])
                .counts(&[("LOW", 1), ("CRITICAL", 3)])
                .action(),
        ],
    );
    let run = Gate::scan("app:v1").stub(&stub).report_only().json().run();
    run.expect(3);
    run.assert_stderr("CRITICAL 3 declared, 0 listed");
    assert_eq!(run.json()["result"], "incomplete");
}

#[test]
fn a_push_source_that_does_not_exist_is_exit_2_before_any_aws_call() {
    let stub = EcrStub::start();
    scan_on_push(&stub);
    let run = Gate::scan("team/app:v1")
        .stub(&stub)
        .push("missing.tar")
        .json()
        .run();
    run.expect(2);
    run.assert_stderr("push source missing.tar doesn't exist");
    assert_eq!(run.json()["result"], "error");
    assert!(stub.requests().is_empty(), "{:?}", stub.operations());
}

/// aws/aws-sdk#289: under enhanced scan-on-push, ECR can answer COMPLETE before Inspector has filled in
/// the findings. With the registry configuration unreadable (ecr:GetRegistryScanningConfiguration is
/// optional) the gate cannot know the registry is enhanced; an empty final result without a completion
/// time must still be watched until it settles, not read as a clean image on the first poll.
#[test]
fn an_early_empty_complete_is_not_a_clean_image_when_the_configuration_is_unreadable() {
    for shape in ["enhancedFindings: []", "no lists"] {
        let stub = EcrStub::start();
        let manifest = single_image(&stub, "app", "v1", Flavour::Oci);
        stub.on(CONFIG, vec![Action::access_denied(CONFIG)]);
        let early = ScanPage::new("app", &manifest.digest, "COMPLETE").completed_at(None);
        let early = match shape {
            "no lists" => early,
            _ => early.enhanced(vec![]),
        };
        let finding = enhanced_finding(
            "CVE-2024-2961",
            "HIGH",
            7.3,
            "glibc",
            &manifest.digest,
            "app",
        );
        stub.on(
            DESCRIBE,
            vec![
                early.action(),
                ScanPage::new("app", &manifest.digest, "ACTIVE")
                    .enhanced(vec![finding])
                    .counts(&[("HIGH", 1)])
                    .action(),
            ],
        );
        let run = Gate::scan("app:v1").stub(&stub).json().run();
        run.expect(1);
        assert_eq!(run.json()["counts"]["high"], 1, "{shape}");
    }
}

/// A findings answer that names another image (or repository) than the one asked about is not this
/// image's result: no verdict from it.
#[test]
fn findings_of_another_image_or_repository_are_refused() {
    for other in ["digest", "repository"] {
        let stub = EcrStub::start();
        let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
        scan_on_push(&stub);
        let page = match other {
            "digest" => ScanPage::new("app", &digest_of(b"a clean image"), "COMPLETE"),
            _ => ScanPage::new("clean/app", &manifest.digest, "COMPLETE"),
        };
        stub.on(DESCRIBE, vec![page.basic(vec![]).action()]);
        let run = Gate::scan("app:v1").stub(&stub).json().run();
        run.expect(2);
        run.assert_stderr("not of the image asked about");
    }
}

#[test]
fn pages_whose_tokens_go_round_in_a_circle_are_refused_at_once() {
    let stub = EcrStub::start();
    let manifest = single_image(&stub, "app", "v1", Flavour::Docker);
    scan_on_push(&stub);
    let page = |token: &str| {
        ScanPage::new("app", &manifest.digest, "COMPLETE")
            .basic(vec![])
            .next_token(token)
            .action()
    };
    stub.on(DESCRIBE, vec![page("token-B")]);
    stub.on_token(DESCRIBE, "token-B", vec![page("token-A")]);
    stub.on_token(DESCRIBE, "token-A", vec![page("token-B")]);
    let run = Gate::scan("app:v1").stub(&stub).json().run();
    run.expect(2);
    run.assert_stderr("does not follow the previous one");
    // The first page, then B and A; B again is refused before it is asked for, not after thousands of
    // pages.
    assert_eq!(stub.count(DESCRIBE), 3, "{:?}", stub.operations());
}

#[test]
fn a_registry_password_with_a_line_break_is_refused_before_anything_prints_it() {
    let stub = EcrStub::start();
    stub.on(
        "GetAuthorizationToken",
        vec![Action::json(authorization_token(
            "first-line\nsecond-line",
            &format!("https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"),
        ))],
    );
    let empty = tempfile::tempdir().expect("tempdir");
    let source = empty.path().display().to_string();
    let run = Gate::scan("app:v1")
        .stub(&stub)
        .push(&source)
        .env("GITHUB_ACTIONS", "true")
        .run();
    run.expect(2);
    run.assert_stderr("control characters");
    assert!(!run.stderr.contains("second-line"), "{}", run.stderr);
    assert!(!run.stderr.contains("add-mask"), "{}", run.stderr);
}

// ---- Several platforms at once ----

const THREE_PLATFORMS: [(&str, Option<&str>); 3] =
    [("amd64", None), ("arm64", Some("v8")), ("s390x", None)];

/// A three-platform index under `app:multi` in a registry that scans nothing by itself: the gate
/// starts every scan. Platform `i`'s scan is `COMPLETE` `scans[i]` after its own `StartImageScan`
/// (with `findings[i]`, one of the severity given), `IN_PROGRESS` before.
fn three_manual_scans(
    stub: &EcrStub,
    scans: [Duration; 3],
    findings: [(Value, &str); 3],
) -> Vec<Manifest> {
    let (index, images) = platform_index("app:multi", &THREE_PLATFORMS);
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", Some("multi"), &index))],
    );
    registry(stub, "BASIC", vec![]);
    let started = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::<
        String,
        Duration,
    >::new()));
    {
        let started = std::sync::Arc::clone(&started);
        stub.on_fn(
            START,
            |_| true,
            move |request: &Request| {
                let digest = request.digest().unwrap_or_default().to_string();
                started
                    .lock()
                    .unwrap()
                    .entry(digest.clone())
                    .or_insert(request.at);
                Action::json(start_image_scan("app", &digest))
            },
        );
    }
    for ((image, scan), (finding, severity)) in images.iter().zip(scans).zip(findings) {
        let (digest, wanted) = (image.digest.clone(), image.digest.clone());
        let started = std::sync::Arc::clone(&started);
        let complete = ScanPage::new("app", &digest, "COMPLETE")
            .basic(vec![finding])
            .counts(&[(severity, 1)])
            .action();
        stub.on_fn(
            DESCRIBE,
            move |body| body["imageId"]["imageDigest"].as_str() == Some(wanted.as_str()),
            move |request: &Request| match started.lock().unwrap().get(&digest) {
                None => Action::scan_not_found("app", &digest),
                Some(at) if request.at < *at + scan => {
                    ScanPage::new("app", &digest, "IN_PROGRESS").action()
                }
                Some(_) => complete.clone(),
            },
        );
    }
    images
}

#[test]
fn every_platform_s_scan_is_started_first_then_all_are_waited_for_at_once() {
    let stub = EcrStub::start();
    // The last platform's scan finishes first, the first one's last.
    let images = three_manual_scans(
        &stub,
        [6, 4, 2].map(Duration::from_secs),
        [
            (high("CVE-2026-0001"), "HIGH"),
            (low("CVE-2026-0002"), "LOW"),
            (low("CVE-2026-0003"), "LOW"),
        ],
    );
    let run = Gate::scan("app:multi").stub(&stub).json().run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["result"], "fail");
    // The report lists the images in the index's order, whatever order their scans finished in.
    let listed: Vec<&str> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["digest"].as_str().unwrap_or_default())
        .collect();
    let expected: Vec<&str> = images.iter().map(|i| i.digest.as_str()).collect();
    assert_eq!(listed, expected);
    assert_eq!(report["counts"]["high"], 1);
    assert_eq!(report["counts"]["low"], 2);
    // Every scan is started once, all before the first poll; a scan started just now is not polled
    // at once.
    let starts = stub.calls(START);
    assert_eq!(starts.len(), 3);
    assert_eq!(digests(&starts).len(), 3);
    let describes = stub.calls(DESCRIBE);
    let last_start = starts.iter().map(|r| r.at).max().unwrap();
    let first_poll = describes.iter().map(|r| r.at).min().unwrap();
    assert!(first_poll > last_start, "{:?}", stub.operations());
    for start in &starts {
        let first = describes
            .iter()
            .filter(|r| r.digest() == start.digest())
            .map(|r| r.at)
            .min()
            .unwrap();
        assert!(
            first - start.at >= Duration::from_millis(1200),
            "polled {:?} after its start",
            first - start.at
        );
    }
    // Waited for at once: the first platform's scan is still being polled after the others ended, and
    // the whole wait is about the longest scan, not the sum (12 s) of them.
    let last_poll = |digest: &str| {
        describes
            .iter()
            .filter(|r| r.digest() == Some(digest))
            .map(|r| r.at)
            .max()
            .unwrap()
    };
    assert!(last_poll(&images[2].digest) <= last_poll(&images[0].digest));
    assert!(
        last_poll(&images[0].digest) - last_start < Duration::from_secs(12),
        "{:?}",
        describes
            .iter()
            .map(|r| (r.at, r.digest().map(str::to_string)))
            .collect::<Vec<_>>()
    );
    assert_describe_calls_are_well_formed(&stub, "app");
}

#[test]
fn scans_ecr_started_on_push_are_polled_one_platform_at_a_time() {
    let stub = EcrStub::start();
    let (index, images) = platform_index("app:multi", &THREE_PLATFORMS);
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", Some("multi"), &index))],
    );
    scan_on_push(&stub);
    // Every platform's scan completes 4 s after the gate's first poll of any of them.
    let first_poll = std::sync::Arc::new(std::sync::Mutex::new(None::<Duration>));
    for image in &images {
        let (digest, wanted) = (image.digest.clone(), image.digest.clone());
        let first_poll = std::sync::Arc::clone(&first_poll);
        stub.on_fn(
            DESCRIBE,
            move |body| body["imageId"]["imageDigest"].as_str() == Some(wanted.as_str()),
            move |request: &Request| {
                let first = *first_poll.lock().unwrap().get_or_insert(request.at);
                let status = if request.at < first + Duration::from_secs(4) {
                    "IN_PROGRESS"
                } else {
                    "COMPLETE"
                };
                ScanPage::new("app", &digest, status).action()
            },
        );
    }
    let run = Gate::scan("app:multi").stub(&stub).json().run();
    run.expect(0);
    assert_eq!(run.json()["images"].as_array().map(Vec::len), Some(3));
    let describes = stub.calls(DESCRIBE);
    let polls = |digest: &str| {
        describes
            .iter()
            .filter(|r| r.digest() == Some(digest))
            .map(|r| r.at)
            .collect::<Vec<_>>()
    };
    // The first platform polls through the scan; the others once each, when its scan is ready.
    let lead = polls(&images[0].digest);
    assert!(lead.len() >= 2, "{:?}", stub.operations());
    let lead_ready = *lead.iter().max().unwrap();
    for image in &images[1..] {
        let polled = polls(&image.digest);
        assert_eq!(polled.len(), 1, "{:?}", stub.operations());
        let after = polled[0].checked_sub(lead_ready);
        assert!(
            after.is_some_and(|after| after < Duration::from_millis(500)),
            "{polled:?} vs the lead's ready scan at {lead_ready:?}"
        );
    }
    assert_eq!(stub.count(START), 0);
}

#[test]
fn at_most_four_calls_are_in_flight_for_six_platforms() {
    let stub = EcrStub::start();
    const SIX: [(&str, Option<&str>); 6] = [
        ("amd64", None),
        ("arm64", Some("v8")),
        ("ppc64le", None),
        ("s390x", None),
        ("386", None),
        ("arm", Some("v7")),
    ];
    let (index, images) = platform_index("app:six", &SIX);
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", Some("six"), &index))],
    );
    registry(&stub, "BASIC", vec![]);
    // Each StartImageScan takes a second to answer: the fifth and sixth wait for a free slot.
    let slow = Duration::from_secs(1);
    stub.on_fn(
        START,
        |_| true,
        move |request: &Request| {
            let digest = request.digest().unwrap_or_default().to_string();
            Action::delay(slow, Action::json(start_image_scan("app", &digest)))
        },
    );
    for image in &images {
        stub.on_digest(
            DESCRIBE,
            &image.digest,
            vec![ScanPage::new("app", &image.digest, "COMPLETE").action()],
        );
    }
    let run = Gate::scan("app:six").stub(&stub).json().run();
    run.expect(0);
    assert_eq!(run.json()["images"].as_array().map(Vec::len), Some(6));
    let starts: Vec<Duration> = stub.calls(START).iter().map(|r| r.at).collect();
    assert_eq!(starts.len(), 6);
    let first = starts.iter().min().copied().unwrap();
    let early = starts.iter().filter(|at| **at < first + slow / 2).count();
    // Four at once, the other two only once one of them was answered.
    assert_eq!(early, 4, "{starts:?}");
    assert!(
        starts.iter().filter(|at| **at >= first + slow).count() == 2,
        "{starts:?}"
    );
}

#[test]
fn several_platforms_share_one_log_group_in_github_actions() {
    let stub = EcrStub::start();
    three_manual_scans(
        &stub,
        [2, 2, 2].map(Duration::from_secs),
        [
            (low("CVE-2026-0001"), "LOW"),
            (low("CVE-2026-0002"), "LOW"),
            (low("CVE-2026-0003"), "LOW"),
        ],
    );
    let run = Gate::scan("app:multi")
        .stub(&stub)
        .env("GITHUB_ACTIONS", "true")
        .run();
    run.expect(0);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let opened: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].starts_with("::group::"))
        .collect();
    let closed: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i] == "::endgroup::")
        .collect();
    // One group for the three waits, not one per platform, and no group inside it.
    assert_eq!(opened.len(), 1, "{}", run.stderr);
    assert_eq!(closed.len(), 1, "{}", run.stderr);
    assert!(
        lines[opened[0]].contains("waiting for the scans of 3 images"),
        "{}",
        run.stderr
    );
    // Every platform's progress is inside it.
    for platform in ["linux/amd64", "linux/arm64", "linux/s390x"] {
        let at = lines
            .iter()
            .position(|l| l.contains(platform) && l.contains("scan started"))
            .unwrap_or_else(|| panic!("no progress for {platform}: {}", run.stderr));
        assert!(opened[0] < at && at < closed[0], "{}", run.stderr);
    }
}

#[test]
fn one_platform_s_failed_scan_is_exit_3_naming_it_while_the_others_are_judged() {
    let stub = EcrStub::start();
    let (index, images) = platform_index("app:multi", &THREE_PLATFORMS);
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", Some("multi"), &index))],
    );
    scan_on_push(&stub);
    for (i, image) in images.iter().enumerate() {
        let page = |status| ScanPage::new("app", &image.digest, status);
        let last = if i == 1 {
            page("FAILED")
                .description("UnsupportedImageError: The operating system is not supported.")
                .action()
        } else {
            page("COMPLETE")
                .basic(vec![low(&format!("CVE-2026-000{i}"))])
                .counts(&[("LOW", 1)])
                .action()
        };
        stub.on_digest(
            DESCRIBE,
            &image.digest,
            vec![page("IN_PROGRESS").action(), last],
        );
    }
    let run = Gate::scan("app:multi").stub(&stub).json().run();
    run.expect(3);
    run.assert_stderr(&images[1].digest);
    run.assert_stderr("linux/arm64/v8");
    run.assert_stderr("UnsupportedImageError");
    let report = run.json();
    assert_eq!(report["result"], "incomplete");
    let judged: BTreeSet<&str> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["digest"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        judged,
        BTreeSet::from([images[0].digest.as_str(), images[2].digest.as_str()])
    );
    assert_eq!(stub.count(START), 0);
}

#[test]
fn one_timeout_covers_every_platform_waited_for_at_once() {
    let stub = EcrStub::start();
    let (index, images) = platform_index("app:multi", &THREE_PLATFORMS);
    stub.on(
        BATCH_GET,
        vec![Action::json(batch_get_image("app", Some("multi"), &index))],
    );
    scan_on_push(&stub);
    for image in &images {
        stub.on_digest(
            DESCRIBE,
            &image.digest,
            vec![ScanPage::new("app", &image.digest, "IN_PROGRESS").action()],
        );
    }
    let run = Gate::scan("app:multi")
        .stub(&stub)
        .timeout("4s")
        .json()
        .run();
    let took = run.elapsed;
    run.expect(3);
    for image in &images {
        run.assert_stderr(&image.digest);
    }
    run.assert_stderr("timed out after 4s");
    assert_eq!(run.json()["result"], "incomplete");
    // One timeout for all three, not one after another (12 s).
    assert!(took < Duration::from_secs(9), "took {took:?}");
}
