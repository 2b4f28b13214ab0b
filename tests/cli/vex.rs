//! OpenVEX end to end: `--vex`, the policy's `vex` and the reports, offline (`evaluate`) and live
//! (`scan` against the scripted ECR stand-in and moto), with the specification's examples, vexctl's
//! and go-vex's samples, documents real projects publish, and malformed and hostile ones
//! (`tests/fixtures/vex/SOURCES.md`).

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::ecr_stub::*;
use crate::moto::{ACCOUNT, Moto, REGION, image_manifest as moto_manifest};
use crate::support::*;

/// `payments/api:v2.3.0` (linux/amd64), account 111122223333: CVE-2026-0001 (critical) in openssl
/// and libssl3 3.0.14-1~deb12u1, GHSA-xxxx-yyyy-zzzz (high) in the npm package deep-merge 1.4.0,
/// and findings below the threshold.
fn amd64() -> PathBuf {
    fixture("findings/enhanced-linux-amd64.json")
}

/// The same tag's linux/arm64 image (another digest, the same CVE-2026-0001 findings).
fn arm64() -> PathBuf {
    fixture("findings/enhanced-linux-arm64.json")
}

const AMD64_DIGEST: &str =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const ARM64_DIGEST: &str =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn vex_fixture(path: &str) -> PathBuf {
    fixture(&format!("vex/{path}"))
}

/// An OpenVEX document of these statements, issued at `timestamp`.
fn document(timestamp: &str, statements: Value) -> String {
    serde_json::to_string_pretty(&json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/payments-api",
        "author": "Payments team",
        "timestamp": timestamp,
        "version": 1,
        "statements": statements
    }))
    .unwrap()
}

/// The findings of a JSON report with `id`, `package.name` and `state`.
fn states(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn finding<'a>(report: &'a Value, id: &str, package: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id && f["package"]["name"] == package)
        .unwrap_or_else(|| panic!("{id} in {package}: {:#}", report["findings"]))
}

fn result_of<'a>(sarif: &'a Value, id: &str, package: &str) -> &'a Value {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == id && r["properties"]["packageName"] == package)
        .unwrap_or_else(|| panic!("no result for {id} in {package}"))
}

/// Statements that rule out every violation of [`amd64`], in each product form.
fn ruling_out_every_violation() -> String {
    document(
        "2026-11-01T00:00:00Z",
        json!([
            {
                "vulnerability": {"name": "CVE-2026-0001", "aliases": ["GHSA-aaaa-bbbb-cccc"]},
                "products": [{
                    "@id": format!("pkg:oci/api@{}", AMD64_DIGEST.replace(':', "%3A")),
                    "subcomponents": [
                        {"@id": "pkg:deb/debian/openssl@3.0.14-1~deb12u1?arch=amd64&distro=debian-12"},
                        "libssl3"
                    ]
                }],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
                "impact_statement": "TLS is terminated at the load balancer."
            },
            {
                "vulnerability": {"@id": "https://github.com/advisories/GHSA-xxxx-yyyy-zzzz"},
                "products": [{"@id": "pkg:npm/deep-merge@1.4.0"}],
                "status": "fixed"
            }
        ]),
    )
}

// ---- What statements do to the verdict and the reports ----

#[test]
fn not_affected_and_fixed_statements_suppress_every_violation_and_the_gate_passes() {
    let run = Gate::evaluate(&[amd64()])
        .file("payments.openvex.json", ruling_out_every_violation())
        .args(&["--vex", "payments.openvex.json"])
        .reports()
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["result"], "pass");
    for (id, package) in [
        ("CVE-2026-0001", "openssl"),
        ("CVE-2026-0001", "libssl3"),
        ("GHSA-xxxx-yyyy-zzzz", "deep-merge"),
    ] {
        assert_eq!(finding(&report, id, package)["state"], "vex-suppressed");
    }
    let openssl = &finding(&report, "CVE-2026-0001", "openssl")["vex"];
    assert_eq!(openssl["status"], "not_affected");
    assert_eq!(openssl["suppresses"], true);
    assert_eq!(
        openssl["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(
        openssl["impact_statement"],
        "TLS is terminated at the load balancer."
    );
    assert_eq!(openssl["document"], "payments.openvex.json");
    assert_eq!(openssl["statement"], 0);
    assert_eq!(openssl["timestamp"], "2026-11-01T00:00:00Z");
    assert_eq!(
        finding(&report, "GHSA-xxxx-yyyy-zzzz", "deep-merge")["vex"]["status"],
        "fixed"
    );
    // Findings no statement covers keep their state and have no `vex`.
    assert_eq!(
        finding(&report, "CVE-2026-0003", "zlib1g")["vex"],
        Value::Null
    );
    assert_eq!(report["verdict"]["vex_suppressed"], 3);
    assert_eq!(report["verdict"]["ignored"], 4, "3 by VEX, 1 by Inspector");
    assert_eq!(report["policy"]["vex"][0]["statements"], 2);

    let sarif = run.sarif();
    let result = result_of(&sarif, "CVE-2026-0001", "openssl");
    assert_eq!(result["properties"]["gateState"], "vex-suppressed");
    let suppression = &result["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(
        suppression["justification"],
        "VEX not_affected (vulnerable_code_not_in_execute_path): TLS is terminated at the load \
         balancer."
    );
    let fixed = result_of(&sarif, "GHSA-xxxx-yyyy-zzzz", "deep-merge");
    assert_eq!(fixed["suppressions"][0]["justification"], "VEX fixed");

    let summary = run.markdown();
    assert!(summary.contains("3 of them by VEX"), "{summary}");
    assert!(
        summary.contains("| suppressed · VEX not\\_affected"),
        "{summary}"
    );
    assert!(summary.contains("### VEX (1 document)"), "{summary}");
    assert!(
        summary.contains("1 VEX document (2 statements)"),
        "{summary}"
    );
    run.assert_stderr("3 of them suppressed by VEX statements");
}

#[test]
fn affected_and_under_investigation_are_shown_and_suppress_nothing() {
    let doc = document(
        "2026-11-01T00:00:00Z",
        json!([
            {"vulnerability": "CVE-2026-0001", "products": ["payments/api"], "status": "affected",
             "action_statement": "Upgrade openssl to 3.0.15."},
            {"vulnerability": "GHSA-xxxx-yyyy-zzzz", "products": ["pkg:npm/deep-merge"],
             "status": "under_investigation", "status_notes": "Triage by 2026-12-01."}
        ]),
    );
    let run = Gate::evaluate(&[amd64()])
        .file("vex.json", doc)
        .args(&["--vex", "vex.json"])
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["verdict"]["violations"].as_array().unwrap().len(), 3);
    let openssl = finding(&report, "CVE-2026-0001", "openssl");
    assert_eq!(openssl["state"], "violating");
    assert_eq!(openssl["vex"]["status"], "affected");
    assert_eq!(openssl["vex"]["suppresses"], false);
    assert_eq!(
        openssl["vex"]["action_statement"],
        "Upgrade openssl to 3.0.15."
    );
    let deep_merge = finding(&report, "GHSA-xxxx-yyyy-zzzz", "deep-merge");
    assert_eq!(deep_merge["vex"]["status"], "under_investigation");
    assert_eq!(report["verdict"]["vex_suppressed"], 0);
    let sarif = run.sarif();
    assert!(
        result_of(&sarif, "CVE-2026-0001", "openssl")
            .get("suppressions")
            .is_none()
    );
    let summary = run.markdown();
    assert!(
        summary.contains("VEX affected: Upgrade openssl to 3.0.15."),
        "{summary}"
    );
    assert!(
        summary.contains("VEX under\\_investigation: Triage by 2026-12-01."),
        "{summary}"
    );
}

#[test]
fn the_latest_statement_wins_whatever_the_order_of_files_and_statements() {
    let early = document(
        "2026-10-01T00:00:00Z",
        json!([{"vulnerability": "CVE-2026-0001", "products": ["pkg:oci/api"],
                "status": "not_affected", "justification": "component_not_present"}]),
    );
    // Issued later, but its statement about openssl was known to be true earlier than `early`'s.
    let stale = document(
        "2026-12-01T00:00:00Z",
        json!([{"vulnerability": "CVE-2026-0001", "products": ["pkg:deb/debian/openssl"],
                "status": "affected", "action_statement": "old advice",
                "timestamp": "2026-09-01T00:00:00Z"}]),
    );
    let late = document(
        "2026-11-01T00:00:00+01:00",
        json!([{"vulnerability": "CVE-2026-0001", "products": ["pkg:deb/debian/openssl@3.0.14-1~deb12u1"],
                "status": "affected", "action_statement": "Upgrade openssl."}]),
    );
    for order in [
        ["early.json", "stale.json", "late.json"],
        ["late.json", "stale.json", "early.json"],
        ["stale.json", "late.json", "early.json"],
    ] {
        let mut gate = Gate::evaluate(&[amd64()])
            .file("early.json", &early)
            .file("stale.json", &stale)
            .file("late.json", &late)
            .json();
        for file in order {
            gate = gate.arg(&format!("--vex={file}"));
        }
        let run = gate.run();
        run.expect(1);
        let report = run.json();
        let openssl = finding(&report, "CVE-2026-0001", "openssl");
        assert_eq!(openssl["state"], "violating", "{order:?}");
        assert_eq!(
            openssl["vex"]["action_statement"], "Upgrade openssl.",
            "{order:?}"
        );
        // Only `early` covers libssl3.
        assert_eq!(
            finding(&report, "CVE-2026-0001", "libssl3")["state"],
            "vex-suppressed",
            "{order:?}"
        );
    }
    // Without `late`, `early` is the latest about openssl: `stale`'s own timestamp is older.
    let run = Gate::evaluate(&[amd64()])
        .file("early.json", &early)
        .file("stale.json", &stale)
        .args(&["--vex=stale.json", "--vex=early.json"])
        .json()
        .run();
    let report = run.json();
    assert_eq!(
        finding(&report, "CVE-2026-0001", "openssl")["state"],
        "vex-suppressed"
    );
}

#[test]
fn a_suppression_of_one_platform_of_two_suppresses_nothing_until_both_are_covered() {
    let one = document(
        "2026-11-01T00:00:00Z",
        json!([{"vulnerability": "CVE-2026-0001", "products": [format!("pkg:oci/api@{AMD64_DIGEST}")],
                "status": "not_affected", "impact_statement": "not reachable"}]),
    );
    let run = Gate::evaluate(&[amd64(), arm64()])
        .file("one.json", &one)
        .args(&["--vex", "one.json"])
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    let openssl = finding(&report, "CVE-2026-0001", "openssl");
    assert_eq!(openssl["images"], json!([0, 1]));
    assert_eq!(openssl["state"], "violating");
    assert_eq!(openssl["vex"]["partial"], true);
    assert_eq!(openssl["vex"]["suppresses"], false);
    assert!(
        run.markdown()
            .contains("(only some of its images: not suppressed)"),
        "{}",
        run.markdown()
    );

    let both = document(
        "2026-11-01T00:00:00Z",
        json!([{"vulnerability": "CVE-2026-0001",
                "products": [format!("pkg:oci/api@{AMD64_DIGEST}"), {"hashes": {"sha-256": &ARM64_DIGEST[7..]}}],
                "status": "not_affected", "impact_statement": "not reachable"}]),
    );
    let run = Gate::evaluate(&[amd64(), arm64()])
        .file("both.json", &both)
        .args(&["--vex", "both.json"])
        .json()
        .run();
    let report = run.json();
    assert_eq!(
        finding(&report, "CVE-2026-0001", "openssl")["state"],
        "vex-suppressed"
    );
}

#[test]
fn statements_about_other_images_registries_or_versions_suppress_nothing() {
    for products in [
        json!([format!("pkg:oci/api@{ARM64_DIGEST}")]),
        json!(["pkg:oci/web"]),
        json!(["pkg:oci/api?repository_url=ghcr.io/payments/api"]),
        json!(["999999999999.dkr.ecr.us-east-1.amazonaws.com/payments/api"]),
        json!(["payments/api:v9"]),
        json!(["pkg:deb/debian/openssl@3.0.15-1~deb12u1"]),
        json!(["pkg:npm/openssl"]),
        json!([{"@id": "pkg:oci/api", "subcomponents": ["pkg:deb/debian/zlib1g"]}]),
    ] {
        let doc = document(
            "2026-11-01T00:00:00Z",
            json!([{"vulnerability": "CVE-2026-0001", "products": products,
                    "status": "not_affected", "justification": "component_not_present"}]),
        );
        let run = Gate::evaluate(&[amd64()])
            .file("vex.json", doc)
            .args(&["--vex", "vex.json"])
            .json()
            .run();
        run.expect(1);
        let report = run.json();
        assert_eq!(
            finding(&report, "CVE-2026-0001", "openssl")["vex"],
            Value::Null,
            "{products}"
        );
    }
}

// ---- Where documents come from ----

#[test]
fn the_policy_s_vex_is_relative_to_the_policy_file_and_adds_to_the_flag() {
    let gate = Gate::evaluate(&[amd64()]);
    std::fs::create_dir_all(gate.path("ci/vex")).unwrap();
    let policy = "vex = [\"vex/openssl.json\"]\n\n[gate]\nfail-on = \"high\"\n";
    let openssl = document(
        "2026-11-01T00:00:00Z",
        json!([{"vulnerability": "CVE-2026-0001", "products": ["pkg:oci/api"],
                "status": "not_affected", "justification": "component_not_present"}]),
    );
    let deep_merge = document(
        "2026-11-01T00:00:00Z",
        json!([{"vulnerability": "GHSA-xxxx-yyyy-zzzz", "products": ["pkg:npm/deep-merge"],
                "status": "fixed"}]),
    );
    let run = gate
        .file("ci/gate.toml", policy)
        .file("ci/vex/openssl.json", openssl)
        .file("deep-merge.json", deep_merge)
        .policy("ci/gate.toml")
        .args(&["--vex", "deep-merge.json"])
        .json()
        .run();
    run.expect(0);
    let report = run.json();
    let files: Vec<&str> = report["policy"]["vex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["ci/vex/openssl.json", "deep-merge.json"]);
}

#[test]
fn policy_vex_paths_that_leave_the_policy_s_directory_are_refused() {
    let outside = document(
        "2026-11-01T00:00:00Z",
        json!([{"vulnerability": "CVE-2026-0001", "products": ["pkg:oci/api"],
                "status": "fixed"}]),
    );
    for (path, says) in [
        ("../outside.json", "leaves the policy file's directory"),
        (
            "vex/../../outside.json",
            "leaves the policy file's directory",
        ),
        ("/etc/passwd", "is absolute"),
        ("link.json", "through a symbolic link"),
        ("missing.json", "cannot be read"),
    ] {
        let gate = Gate::evaluate(&[amd64()]);
        std::fs::create_dir_all(gate.path("ci/vex")).unwrap();
        std::os::unix::fs::symlink(gate.path("outside.json"), gate.path("ci/link.json")).unwrap();
        let run = gate
            .file("outside.json", &outside)
            .file("ci/gate.toml", format!("# VEX\nvex = [{path:?}]\n"))
            .policy("ci/gate.toml")
            .reports()
            .run();
        run.expect(2);
        run.assert_stderr("ci/gate.toml, line 2: vex");
        run.assert_stderr(says);
        let report = run.json();
        assert_eq!(report["result"], "error");
        assert!(run.markdown().contains("line 2"), "{}", run.markdown());
        assert!(!run.exists(SARIF_REPORT), "no SARIF without a verdict");
    }
}

#[test]
fn a_missing_vex_file_on_the_command_line_is_an_error_naming_it() {
    let run = Gate::evaluate(&[amd64()])
        .args(&["--vex", "nowhere.openvex.json"])
        .json()
        .run();
    run.expect(2);
    run.assert_stderr("couldn't read VEX document nowhere.openvex.json");
    run.assert_stderr("hint: --vex and the policy's `vex` take OpenVEX JSON documents");
    assert_eq!(run.json()["result"], "error");
}

// ---- Malformed documents ----

#[test]
fn malformed_documents_are_refused_naming_the_file_and_the_location() {
    for (file, location) in [
        ("truncated.json", "is not JSON: EOF while parsing"),
        ("no-statements.json", "the document: has no `statements`"),
        ("empty-statements.json", "statements: is empty"),
        (
            "unknown-status.json",
            "statements[1].status: `not-affected` is not a VEX status",
        ),
        (
            "not-affected-without-justification.json",
            "statements[0]: `not_affected` without a `justification` or an `impact_statement`",
        ),
        ("cyclonedx-vex.json", "CycloneDX and CSAF VEX are not read"),
    ] {
        let path = vex_fixture(&format!("malformed/{file}"));
        let run = Gate::evaluate(&[amd64()])
            .arg(&format!("--vex={}", path.display()))
            .reports()
            .run();
        run.expect(2);
        run.assert_stderr(&format!("VEX document {}", path.display()));
        run.assert_stderr(location);
        assert_eq!(run.json()["result"], "error");
        assert!(run.markdown().contains(file), "{file}: {}", run.markdown());
    }
}

#[test]
fn every_bad_document_is_reported_at_once() {
    let run = Gate::evaluate(&[amd64()])
        .arg(&format!(
            "--vex={}",
            vex_fixture("malformed/unknown-status.json").display()
        ))
        .arg(&format!(
            "--vex={}",
            vex_fixture("malformed/truncated.json").display()
        ))
        .arg("--vex=missing.json")
        .json()
        .run();
    run.expect(2);
    for needle in ["unknown-status.json", "truncated.json", "missing.json"] {
        run.assert_stderr(needle);
    }
    let error = run.json()["error"].as_str().unwrap().to_string();
    assert_eq!(error.lines().count(), 3, "{error}");
}

// ---- Documents from the specification, the OpenVEX tools and real projects ----

/// Every vendored document that is JSON.
fn readable_documents() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for dir in ["spec", "vexctl", "go-vex", "real", "hostile"] {
        for entry in std::fs::read_dir(vex_fixture(dir)).unwrap() {
            let path = entry.unwrap().path();
            if !path.to_string_lossy().contains("invalid-json") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
}

#[test]
fn every_published_document_is_read_even_where_the_schema_is_stricter() {
    let documents = readable_documents();
    assert!(documents.len() >= 20, "{documents:?}");
    let mut gate = Gate::evaluate(&[amd64()]).json();
    for path in &documents {
        gate = gate.arg(&format!("--vex={}", path.display()));
    }
    let run = gate.run();
    // The hostile document rules CVE-2026-0001 out; nothing else covers this image, so the
    // GHSA finding still violates.
    run.expect(1);
    let report = run.json();
    assert_eq!(
        report["policy"]["vex"].as_array().unwrap().len(),
        documents.len()
    );

    // The published schema refuses some of them (vexctl's own test data among them).
    let schema = schema("tests/fixtures/schemas/openvex-0.2.0.schema.json");
    let validator = jsonschema::options()
        .build(&schema)
        .expect("schema compiles");
    let doc = |path: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(vex_fixture(path)).unwrap()).unwrap()
    };
    assert!(validator.is_valid(&doc("spec/spec-minimal-document.json")));
    assert!(!validator.is_valid(&doc("vexctl/images.vex.json")));
}

#[test]
fn the_specification_s_examples_that_are_not_json_are_refused_with_their_line() {
    for (file, at) in [
        (
            "spec-inheritance-2-superseded-by-fixed.invalid-json.json",
            "(line 16, column 7)",
        ),
        (
            "spec-example-spring-boot-log4shell.invalid-json.json",
            "(line 23, column 11)",
        ),
    ] {
        let run = Gate::evaluate(&[amd64()])
            .arg(&format!(
                "--vex={}",
                vex_fixture(&format!("spec/{file}")).display()
            ))
            .run();
        run.expect(2);
        run.assert_stderr(file);
        run.assert_stderr(at);
    }
}

/// A saved enhanced scan of `repository` with one finding per `(id, severity, package, version,
/// manager)`.
fn scan_of(repository: &str, findings: &[(&str, &str, &str, &str, &str)]) -> String {
    let enhanced: Vec<Value> = findings
        .iter()
        .map(|(id, severity, name, version, manager)| {
            json!({
                "awsAccountId": "111122223333",
                "description": format!("{id} in {name}"),
                "findingArn": format!("arn:aws:inspector2:us-east-1:111122223333:finding/{id}{name}"),
                "severity": severity,
                "status": "ACTIVE",
                "type": "PACKAGE_VULNERABILITY",
                "packageVulnerabilityDetails": {
                    "vulnerabilityId": id,
                    "source": "NVD",
                    "vulnerablePackages": [{"name": name, "version": version, "packageManager": manager}]
                }
            })
        })
        .collect();
    serde_json::to_string(&json!({
        "registryId": "111122223333",
        "repositoryName": repository,
        "imageId": {"imageDigest": format!("sha256:{}", "a".repeat(64)), "imageTag": "v1"},
        "imageScanStatus": {"status": "ACTIVE", "description": "Continuous scan is selected for image."},
        "imageScanFindings": {"enhancedFindings": enhanced, "imageScanCompletedAt": 1795852800}
    }))
    .unwrap()
}

#[test]
fn the_specification_s_examples_mean_what_they_say() {
    // The superseded statement: `under_investigation` known earlier, `fixed` as of the document.
    let gate = Gate::evaluate(&[]);
    let findings = gate.path("wolfi.json");
    let run = gate
        .file(
            "wolfi.json",
            scan_of(
                "wolfi/git",
                &[("CVE-2023-12345", "HIGH", "git", "2.39.0-r1", "OS")],
            ),
        )
        .arg(&format!("--findings={}", findings.display()))
        .arg(&format!(
            "--vex={}",
            vex_fixture("spec/spec-inheritance-2-superseded-by-fixed.repaired.json").display()
        ))
        .json()
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["findings"][0]["vex"]["status"], "fixed");
    // The first version of the same document alone: under investigation, nothing suppressed.
    let gate = Gate::evaluate(&[]);
    let findings = gate.path("wolfi.json");
    let run = gate
        .file(
            "wolfi.json",
            scan_of(
                "wolfi/git",
                &[("CVE-2023-12345", "HIGH", "git", "2.39.0-r1", "OS")],
            ),
        )
        .arg(&format!("--findings={}", findings.display()))
        .arg(&format!(
            "--vex={}",
            vex_fixture("spec/spec-inheritance-1-under-investigation.json").display()
        ))
        .json()
        .run();
    run.expect(1);
    assert_eq!(
        run.json()["findings"][0]["vex"]["status"],
        "under_investigation"
    );

    // Log4Shell in Spring Boot: the product is the Maven package, matched by its alias too.
    let gate = Gate::evaluate(&[]);
    let findings = gate.path("spring.json");
    let run = gate
        .file(
            "spring.json",
            scan_of(
                "shop/web",
                &[
                    (
                        "GHSA-jfh8-c2jp-5v3q",
                        "CRITICAL",
                        "org.springframework.boot:spring-boot",
                        "2.6.0-M3",
                        "JAR",
                    ),
                    (
                        "CVE-2021-44228",
                        "CRITICAL",
                        "org.springframework.boot:spring-boot",
                        "2.6.1",
                        "JAR",
                    ),
                ],
            ),
        )
        .arg(&format!("--findings={}", findings.display()))
        .arg(&format!(
            "--vex={}",
            vex_fixture("spec/spec-example-spring-boot-log4shell.repaired.json").display()
        ))
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(
        finding(
            &report,
            "GHSA-jfh8-c2jp-5v3q",
            "org.springframework.boot:spring-boot"
        )["state"],
        "vex-suppressed"
    );
    // Another version of the package is not the product.
    assert_eq!(
        finding(
            &report,
            "CVE-2021-44228",
            "org.springframework.boot:spring-boot"
        )["state"],
        "violating"
    );
}

#[test]
fn real_projects_documents_suppress_what_they_cover_and_only_that() {
    // SUSE Observability's images, by repository name (`pkg:oci/NAME`) narrowed to a Go module and a
    // Maven package; the vulnerability named by its Go id with the CVE as an alias.
    let gate = Gate::evaluate(&[]);
    let findings = gate.path("toolbox.json");
    let run = gate
        .file(
            "toolbox.json",
            scan_of(
                "observability/container-tools",
                &[
                    (
                        "CVE-2025-15558",
                        "HIGH",
                        "github.com/docker/cli",
                        "v29.4.1+incompatible",
                        "GOBINARY",
                    ),
                    (
                        "CVE-2025-15558",
                        "HIGH",
                        "github.com/docker/cli",
                        "v29.5.0+incompatible",
                        "GOBINARY",
                    ),
                    (
                        "CVE-2026-54515",
                        "HIGH",
                        "com.fasterxml.jackson.core:jackson-databind",
                        "2.22.0",
                        "JAR",
                    ),
                ],
            ),
        )
        .arg(&format!("--findings={}", findings.display()))
        .arg(&format!(
            "--vex={}",
            vex_fixture("real/stackvista-vexhub-oci-sts-toolbox.openvex.json").display()
        ))
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    let states = states(&report);
    assert!(
        states.contains(&(
            "CVE-2025-15558".into(),
            "github.com/docker/cli".into(),
            "vex-suppressed".into()
        )),
        "{states:?}"
    );
    // Another version of the module, and jackson-databind (its statement names other images).
    assert_eq!(
        states.iter().filter(|s| s.2 == "violating").count(),
        2,
        "{states:?}"
    );

    // A versioned Maven package as the product itself.
    let gate = Gate::evaluate(&[]);
    let findings = gate.path("jetty.json");
    let run = gate
        .file(
            "jetty.json",
            scan_of(
                "observability/server",
                &[(
                    "CVE-2024-6763",
                    "MEDIUM",
                    "org.eclipse.jetty:jetty-http",
                    "9.4.60.sts1",
                    "JAR",
                )],
            ),
        )
        .arg(&format!("--findings={}", findings.display()))
        .arg(&format!(
            "--vex={}",
            vex_fixture("real/stackvista-vexhub-maven-jetty-http.openvex.json").display()
        ))
        .fail_on("medium")
        .json()
        .run();
    run.expect(0);
    assert_eq!(run.json()["findings"][0]["state"], "vex-suppressed");

    // Trivy's own document: a Go package narrowed to its dependencies. ECR's findings do not say
    // which package brought in another, so it suppresses nothing, and says so.
    let gate = Gate::evaluate(&[]);
    let findings = gate.path("trivy.json");
    let run = gate
        .file(
            "trivy.json",
            scan_of(
                "tools/trivy",
                &[(
                    "CVE-2023-39325",
                    "HIGH",
                    "golang.org/x/net",
                    "v0.17.0",
                    "GOBINARY",
                )],
            ),
        )
        .arg(&format!("--findings={}", findings.display()))
        .arg(&format!(
            "--vex={}",
            vex_fixture("real/aquasecurity-trivy.openvex.json").display()
        ))
        .json()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["findings"][0]["state"], "violating");
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("narrowed by subcomponents")),
        "{:#}",
        report["warnings"]
    );
}

// ---- Hostile text and GitHub's limits ----

#[test]
fn hostile_text_in_statements_is_neutralised_in_every_report() {
    let run = Gate::evaluate(&[amd64()])
        .arg(&format!(
            "--vex={}",
            vex_fixture("hostile/hostile-text.openvex.json").display()
        ))
        .reports()
        .run();
    run.expect(1);
    let summary = run.markdown();
    assert!(summary.contains("VEX not\\_affected"), "{summary}");
    for bad in [
        "<img",
        "<script",
        "<details><summary>x",
        "<!--",
        "@everyone",
        "@octocat",
        "@org/team",
        "@here",
        "#123",
        "[link](",
        "\u{202e}",
        "\u{7}",
        "##[set-output",
    ] {
        assert!(
            !summary.contains(bad),
            "summary contains {bad:?}:\n{summary}"
        );
    }
    assert!(
        !summary.lines().any(|l| l.trim_start().starts_with("::")),
        "{summary}"
    );
    assert!(!summary.contains("\n---\n<"), "{summary}");
    let stderr = &run.stderr;
    assert!(
        !stderr.lines().any(|l| l.trim_start().starts_with("::")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("##[") && !stderr.contains('\u{202e}'),
        "{stderr}"
    );
    assert!(run.stdout.is_empty());
    let sarif = run.sarif();
    let justification =
        result_of(&sarif, "CVE-2026-0001", "openssl")["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .to_string();
    assert!(
        !justification.contains('\n') && !justification.contains('\u{202e}'),
        "{justification:?}"
    );
    // The JSON report keeps the text as written (JSON escapes it), for machines.
    let report = run.json();
    assert!(
        finding(&report, "CVE-2026-0001", "openssl")["vex"]["impact_statement"]
            .as_str()
            .unwrap()
            .contains("::error file=x::pwned")
    );
}

#[test]
fn thousands_of_suppressed_findings_with_long_statements_stay_within_github_s_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut findings = Vec::new();
    let mut statements = Vec::new();
    for i in 0..5000 {
        let id = format!("CVE-2026-{i:05}");
        let severity = ["CRITICAL", "HIGH", "MEDIUM"][i % 3];
        findings.push(json!({
            "name": id,
            "severity": severity,
            "uri": format!("https://security-tracker.debian.org/tracker/{id}"),
            "attributes": [
                {"key": "package_name", "value": format!("pkg{}", i % 97)},
                {"key": "package_version", "value": "1.0"}
            ]
        }));
        let status = if i % 2 == 0 {
            "not_affected"
        } else {
            "affected"
        };
        statements.push(json!({
            "vulnerability": {"name": id},
            "products": ["pkg:oci/app"],
            "status": status,
            "justification": "vulnerable_code_not_present",
            "impact_statement": format!("{i} <b>@team</b> | ::x:: ").repeat(100),
            "action_statement": format!("{i} upgrade `now` ").repeat(100)
        }));
    }
    let scan = json!({
        "registryId": "111122223333",
        "repositoryName": "big/app",
        "imageId": {"imageDigest": format!("sha256:{}", "9".repeat(64)), "imageTag": "v1"},
        "imageScanStatus": {"status": "COMPLETE"},
        "imageScanFindings": {"findings": findings, "imageScanCompletedAt": 1795852800}
    });
    let scan_path = dir.path().join("big.json");
    std::fs::write(&scan_path, serde_json::to_vec(&scan).unwrap()).unwrap();
    let vex_path = dir.path().join("big.openvex.json");
    std::fs::write(
        &vex_path,
        document("2026-11-01T00:00:00Z", Value::Array(statements)),
    )
    .unwrap();
    let run = Gate::evaluate(&[scan_path])
        .arg(&format!("--vex={}", vex_path.display()))
        .reports()
        .run();
    run.expect(1);
    let report = run.json();
    assert_eq!(report["verdict"]["vex_suppressed"], 2500);
    let summary = run.markdown();
    assert!(summary.len() <= 1_048_576, "{}", summary.len());
    assert!(summary.contains("### VEX (1 document)"));
    let sarif = run.sarif();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5000);
    for result in results.iter().filter(|r| r.get("suppressions").is_some()) {
        let text = result["suppressions"][0]["justification"].as_str().unwrap();
        assert!(text.chars().count() <= 1024, "{}", text.len());
    }
    let size = std::fs::metadata(run.path(SARIF_REPORT)).unwrap().len();
    assert!(size < 10_000_000, "SARIF of {size} bytes");
}

// ---- Live: the scripted ECR stand-in and moto ----

/// A stand-in ECR in which `app:multi` is `index` (two platforms, scan on push), each platform with
/// one HIGH openssl finding.
fn index_with_openssl(index: &Index) -> EcrStub {
    let stub = EcrStub::start();
    stub.on(
        "BatchGetImage",
        vec![Action::json(batch_get_image(
            "app",
            Some("multi"),
            &index.index,
        ))],
    );
    stub.on(
        "GetRegistryScanningConfiguration",
        vec![Action::json(registry_scanning(
            "BASIC",
            vec![rule("SCAN_ON_PUSH", &["*"])],
        ))],
    );
    for image in [&index.amd64, &index.arm64] {
        stub.on_digest(
            "DescribeImageScanFindings",
            &image.digest,
            vec![
                ScanPage::new("app", &image.digest, "COMPLETE")
                    .basic(vec![basic_finding(
                        "CVE-2024-6119",
                        "HIGH",
                        "openssl",
                        "3.0.11-1~deb12u1",
                        Some(7.5),
                    )])
                    .counts(&[("HIGH", 1)])
                    .action(),
            ],
        );
    }
    stub
}

#[test]
fn scan_of_an_image_index_is_suppressed_by_a_statement_about_the_index_digest() {
    let index = oci_index("app:multi");
    let stub = index_with_openssl(&index);
    let doc = document(
        "2026-11-01T00:00:00Z",
        json!([{"vulnerability": "CVE-2024-6119",
                "products": [{"@id": format!("pkg:oci/app@{}", index.index.digest),
                              "subcomponents": ["pkg:deb/debian/openssl"]}],
                "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]),
    );
    let run = Gate::scan("app:multi")
        .stub(&stub)
        .file("app.openvex.json", &doc)
        .args(&["--vex", "app.openvex.json"])
        .reports()
        .run();
    run.expect(0);
    let report = run.json();
    for image in report["images"].as_array().unwrap() {
        assert_eq!(image["index_digest"], index.index.digest.as_str());
    }
    assert_eq!(report["findings"][0]["images"], json!([0, 1]));
    assert_eq!(report["findings"][0]["state"], "vex-suppressed");
    run.sarif();

    // The same statement about another index suppresses nothing.
    let other = doc.replace(&index.index.digest, &format!("sha256:{}", "e".repeat(64)));
    let stub = index_with_openssl(&index);
    let run = Gate::scan("app:multi")
        .stub(&stub)
        .file("app.openvex.json", other)
        .args(&["--vex", "app.openvex.json"])
        .json()
        .run();
    run.expect(1);
}

#[test]
fn scan_against_moto_honours_a_statement_about_the_repository_by_uri() {
    let moto = Moto::start();
    let ecr = moto.ecr(REGION);
    ecr.create_repository("team/app");
    let digest = ecr.put_image("team/app", "v1.2.3", &moto_manifest("app"));
    let statement = |uri: String| {
        document(
            "2026-11-01T00:00:00Z",
            json!([{"vulnerability": "CVE-9999-9999", "products": [uri],
                    "status": "not_affected", "impact_statement": "moto_fake is never loaded"}]),
        )
    };
    let ours = statement(format!(
        "{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team/app:v1.2.3"
    ));
    let run = Gate::scan("team/app:v1.2.3")
        .moto(&moto)
        .region(REGION)
        .file("vex.json", ours)
        .args(&["--vex", "vex.json"])
        .reports()
        .run();
    run.expect(0);
    let report = run.json();
    assert_eq!(report["images"][0]["digest"], digest.as_str());
    assert_eq!(report["findings"][0]["state"], "vex-suppressed");
    run.sarif();

    // The same repository in another account is another image.
    let theirs = statement(format!(
        "999999999999.dkr.ecr.{REGION}.amazonaws.com/team/app:v1.2.3"
    ));
    let run = Gate::scan("team/app:v1.2.3")
        .moto(&moto)
        .region(REGION)
        .file("vex.json", theirs)
        .args(&["--vex", "vex.json"])
        .json()
        .run();
    run.expect(1);
    assert_eq!(run.json()["findings"][0]["vex"], Value::Null);
}

// ---- The GitHub Action ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_s_vex_input_keeps_the_comment_summary_and_annotations_within_limits() {
    use crate::support::github::*;
    use crate::support::pr_thread::{COMMENTS, empty_thread};

    let server = empty_thread().await;
    let mut findings = Vec::new();
    let mut suppressing = Vec::new();
    let mut showing = Vec::new();
    for i in 0..4000 {
        let id = format!("CVE-2099-{i:05}");
        findings.push(json!({
            "name": id,
            "uri": format!("https://security-tracker.debian.org/tracker/{id}"),
            "severity": if i % 3 == 0 { "CRITICAL" } else { "HIGH" },
            "attributes": [
                {"key": "package_name", "value": format!("package-with-a-long-name-{i}")},
                {"key": "package_version", "value": "1.2.3-4+deb12u5"}
            ]
        }));
        let hostile = format!("{i}\n::error::injected\n@team <b>x</b> |cell| ").repeat(20);
        if i % 2 == 0 {
            suppressing.push(json!({"vulnerability": id, "products": ["pkg:oci/api"],
                "status": "not_affected", "impact_statement": hostile}));
        } else {
            showing.push(json!({"vulnerability": id, "products": ["payments/api"],
                "status": "affected", "action_statement": hostile}));
        }
    }
    let scan = json!({
        "registryId": "123456789012",
        "repositoryName": "payments/api",
        "imageId": {"imageDigest": format!("sha256:{}", "ab".repeat(32)), "imageTag": "1.0"},
        "imageScanStatus": {"status": "COMPLETE"},
        "imageScanFindings": {"imageScanCompletedAt": "2026-11-28T09:31:00Z", "findings": findings}
    });
    let done = Gate::action(
        &[
            ("findings", "scan.json"),
            ("vex", "vex/suppressing.json\nvex/showing.json\n"),
        ],
        Event::PullRequest("pull_request.json"),
        &server.uri(),
    );
    std::fs::create_dir_all(done.path("vex")).unwrap();
    let done = done
        .file("scan.json", scan.to_string())
        .file(
            "vex/suppressing.json",
            document("2026-11-01T00:00:00Z", Value::Array(suppressing)),
        )
        .file(
            "vex/showing.json",
            document("2026-11-01T00:00:00Z", Value::Array(showing)),
        )
        .run_async()
        .await;
    done.expect(1);
    let outputs = done.outputs();
    assert_eq!(outputs["total"], "4000");
    assert_eq!(outputs["violations"], "2000");
    let summary = done.summary();
    assert!(summary.len() <= 1_048_576, "{}", summary.len());
    assert!(summary.contains("### VEX (2 documents)"), "summary");
    assert!(summary.contains("2000 findings suppressed"), "summary");
    assert!(done.commands("error").len() <= 10);
    for line in done.stderr.lines() {
        let line = line.trim_start();
        assert!(
            !line.starts_with("::")
                || [
                    "::error ",
                    "::warning ",
                    "::notice ",
                    "::group::",
                    "::endgroup::"
                ]
                .iter()
                .any(|p| line.starts_with(p)),
            "unexpected workflow command: {line}"
        );
        assert!(!line.contains("::error::injected"), "{line}");
    }
    let received = server.received_requests().await.unwrap();
    let post = received
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == COMMENTS)
        .expect("the comment");
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    let body = body["body"].as_str().unwrap();
    assert!(body.encode_utf16().count() <= 65_536);
    assert!(body.contains("### VEX (2 documents)"), "{body}");
    assert!(
        !body.contains("::error::") && !body.contains("@team"),
        "{body}"
    );
}
