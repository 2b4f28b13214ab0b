//! Tests of the whole document: what findings, images and ignores become in SARIF. Also the helpers
//! the other test files of this folder share: rendering, and the schema and GitHub's limits checked on
//! every document.

use std::sync::OnceLock;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use super::limits::{
    MAX_DESCRIPTION_LEN, MAX_NAME_LEN, MAX_RESULTS_PER_RUN, MAX_RULES_PER_RUN, MAX_RUNS, MAX_TAGS,
};
use super::runs::{Log, SCHEMA_URI};
use super::write;
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{ScanSet, Severity, merge};
use crate::policy::{Ignore, Policy, evaluate};
use crate::report::{Context, escape};

const TOOL_VERSION: &str = "0.0.0-test";

/// An image of `repository` in the test account, tagged `v1.2.3`.
pub(super) fn image(repository: &str, digest: &str) -> ImageBuilder {
    ImageBuilder::new(repository)
        .account("123456789012", "eu-west-1")
        .digest(digest)
        .tag("v1.2.3")
}

/// `id` at `severity`, with a description and its NVD page.
pub(super) fn finding(id: &str, severity: Severity) -> FindingBuilder {
    FindingBuilder::new(id, severity)
        .description(format!("{id} description"))
        .nvd_url()
}

/// The findings, most severe first, in one image of `payments/api`.
pub(super) fn one_image(findings: Vec<FindingBuilder>) -> ScanSet {
    let mut set = ScanSet {
        images: vec![
            image(
                "payments/api",
                "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
            )
            .platform("linux/amd64")
            .build(),
        ],
        findings: findings.into_iter().map(FindingBuilder::build).collect(),
        warnings: Vec::new(),
    };
    set.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    set
}

pub(super) fn render(set: &ScanSet, policy: &Policy) -> Value {
    let verdict = evaluate(set, policy, jiff::civil::date(2026, 1, 1));
    let result = crate::run::testing::verdict(&verdict, false);
    let ctx = Context {
        set,
        policy,
        result: &result,
        tool_version: TOOL_VERSION,
    };
    let mut out = Vec::new();
    write(&ctx, &verdict, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// Renders, validates against the SARIF schema and checks GitHub's limits.
pub(super) fn checked(set: &ScanSet, policy: &Policy) -> Value {
    let doc = render(set, policy);
    assert_schema_valid(&doc);
    assert_within_limits(&doc);
    doc
}

fn assert_schema_valid(doc: &Value) {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/schemas/sarif-schema-2.1.0.json"
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    });
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
}

pub(super) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

fn is_one_clean_line(text: &str) -> bool {
    !text
        .chars()
        .any(|c| escape::is_hidden(c) || (c.is_whitespace() && c != ' '))
}

/// GitHub's reading of a `security-severity` value.
pub(super) fn github_band(value: &str) -> &'static str {
    let score: f64 = value.parse().unwrap();
    if score > 9.0 {
        "critical"
    } else if (7.0..=8.9).contains(&score) {
        "high"
    } else if (4.0..=6.9).contains(&score) {
        "medium"
    } else if (0.1..=3.9).contains(&score) {
        "low"
    } else if score == 0.0 {
        "none"
    } else {
        "outside every band"
    }
}

pub(super) fn assert_within_limits(doc: &Value) {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    serde_json::to_writer(&mut gz, doc).unwrap();
    assert!(gz.finish().unwrap().len() <= 10 * 1024 * 1024);
    let runs = doc["runs"].as_array().unwrap();
    assert!(runs.len() <= MAX_RUNS);
    let mut categories = Vec::new();
    for run in runs {
        categories.push(run["automationDetails"]["id"].as_str().unwrap().to_string());
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        assert!(rules.len() <= MAX_RULES_PER_RUN);
        assert!(results.len() <= MAX_RESULTS_PER_RUN);
        let mut highest: Vec<Option<Severity>> = vec![None; rules.len()];
        for rule in rules {
            assert_rule_within_limits(rule);
        }
        for result in results {
            let (index, severity) = assert_result_within_limits(result, rules);
            let highest = &mut highest[index];
            *highest = (*highest).max(severity);
        }
        for (rule, severity) in rules.iter().zip(highest) {
            assert_rule_severity(rule, severity.expect("every rule has a result"));
        }
    }
    let total = categories.len();
    categories.sort();
    categories.dedup();
    assert_eq!(categories.len(), total, "categories must be distinct");
}

fn assert_rule_within_limits(rule: &Value) {
    let tags = rule["properties"]["tags"].as_array().unwrap();
    assert!(tags.len() <= MAX_TAGS);
    assert!(tags.iter().any(|t| t == "security"));
    let name = rule["name"].as_str().unwrap();
    assert!(utf16_len(name) <= MAX_NAME_LEN);
    assert!(!rule["id"].as_str().unwrap().is_empty());
    assert!(rule["shortDescription"]["text"].is_string());
    for key in ["shortDescription", "fullDescription"] {
        let Some(text) = rule[key]["text"].as_str() else {
            continue;
        };
        assert!(utf16_len(text) <= MAX_DESCRIPTION_LEN, "{key}: {text}");
        assert!(is_one_clean_line(text), "{key}: {text:?}");
    }
    if let Some(help) = rule["help"]["text"].as_str() {
        assert!(is_one_clean_line(help), "{help:?}");
    }
}

/// Checks one result against its run's `rules`; returns its rule index and severity.
fn assert_result_within_limits(result: &Value, rules: &[Value]) -> (usize, Option<Severity>) {
    let locations = result["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 1);
    let uri = locations[0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("ecr/"), "{uri}");
    assert!(
        uri.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~/-%".contains(&b)),
        "{uri}"
    );
    assert!(
        !uri.split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    );
    let text = result["message"]["text"].as_str().unwrap();
    assert!(is_one_clean_line(text), "{text:?}");
    let hash = result["partialFingerprints"]["primaryLocationLineHash"]
        .as_str()
        .unwrap();
    assert!(hash.len() == 18 && hash.ends_with(":1"), "{hash}");
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    let rule = &rules[index];
    assert_eq!(rule["id"], result["ruleId"]);
    let expected_level = match result["properties"]["severity"].as_str().unwrap() {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    };
    assert_eq!(result["level"], expected_level);
    let severity = Severity::parse_name(result["properties"]["severity"].as_str().unwrap());
    (index, severity)
}

/// Checks that GitHub reads a rule's `security-severity` as `severity`, the highest of its results.
fn assert_rule_severity(rule: &Value, severity: Severity) {
    let id = &rule["id"];
    let band = github_band(rule["properties"]["security-severity"].as_str().unwrap());
    let expected = match severity {
        Severity::Informational | Severity::Unknown => "none",
        other => other.as_str(),
    };
    assert_eq!(band, expected, "rule {id}");
    assert!(
        rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == severity.as_str())
    );
}

pub(super) fn results(doc: &Value, run: usize) -> &Vec<Value> {
    doc["runs"][run]["results"].as_array().unwrap()
}

pub(super) fn rules(doc: &Value, run: usize) -> &Vec<Value> {
    doc["runs"][run]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
}

fn rule_of<'a>(doc: &'a Value, id: &str) -> &'a Value {
    rules(doc, 0).iter().find(|r| r["id"] == id).unwrap()
}

pub(super) fn result_of<'a>(doc: &'a Value, id: &str) -> &'a Value {
    results(doc, 0).iter().find(|r| r["ruleId"] == id).unwrap()
}

pub(super) fn uri(result: &Value) -> &str {
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
}

pub(super) fn hash(result: &Value) -> &str {
    result["partialFingerprints"]["primaryLocationLineHash"]
        .as_str()
        .unwrap()
}

#[test]
fn basic_scan_maps_severity_score_and_level() {
    let set = one_image(vec![
        finding("CVE-2021-3711", Severity::Critical)
            .score(9.8)
            .package("openssl", "1.1.1k"),
        finding("CVE-2022-0001", Severity::Medium)
            .score(5.3)
            .package("zlib", "1.2.11"),
        finding("CVE-2022-0002", Severity::Low)
            .score(9.1)
            .package("bash", "5.1"),
        finding("CVE-2022-0003", Severity::Informational)
            .score(2.0)
            .package("tar", "1.34"),
        finding("CVE-2022-0004", Severity::Unknown).package("gzip", "1.10"),
    ]);
    let doc = checked(&set, &Policy::default());
    assert_eq!(doc["$schema"], SCHEMA_URI);
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "ecr-scan-gate");
    assert_eq!(run["tool"]["driver"]["version"], TOOL_VERSION);
    assert_eq!(
        run["automationDetails"]["id"],
        "ecr-scan-gate/payments/api/linux/amd64/"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(
        run["invocations"][0]
            .get("toolExecutionNotifications")
            .is_none()
    );

    let critical = result_of(&doc, "CVE-2021-3711");
    assert_eq!(critical["level"], "error");
    assert_eq!(
        critical["message"]["text"],
        "CVE-2021-3711 in openssl 1.1.1k (critical)"
    );
    assert_eq!(critical["properties"]["score"], 9.8);
    assert_eq!(critical["properties"]["gateState"], "violating");
    assert_eq!(critical["properties"]["gateRule"], "fail-on = high");
    assert_eq!(critical["properties"]["vendorSeverity"], "CRITICAL");
    assert!(critical.get("suppressions").is_none());
    let rule = rule_of(&doc, "CVE-2021-3711");
    assert_eq!(rule["properties"]["security-severity"], "9.8");
    assert_eq!(
        rule["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2021-3711"
    );
    assert_eq!(
        critical["ruleIndex"].as_u64().unwrap() as usize,
        rules(&doc, 0)
            .iter()
            .position(|r| r["id"] == "CVE-2021-3711")
            .unwrap()
    );

    assert_eq!(result_of(&doc, "CVE-2022-0001")["level"], "warning");
    assert_eq!(
        result_of(&doc, "CVE-2022-0001")["properties"]["gateState"],
        "below-threshold"
    );
    assert_eq!(
        rule_of(&doc, "CVE-2022-0001")["properties"]["security-severity"],
        "5.3"
    );
    assert_eq!(result_of(&doc, "CVE-2022-0002")["level"], "note");
    assert_eq!(
        rule_of(&doc, "CVE-2022-0002")["properties"]["security-severity"],
        "2.0"
    );
    assert_eq!(result_of(&doc, "CVE-2022-0003")["level"], "note");
    assert_eq!(
        rule_of(&doc, "CVE-2022-0003")["properties"]["security-severity"],
        "0.0"
    );
    assert!(
        result_of(&doc, "CVE-2022-0004")["properties"]
            .get("score")
            .is_none()
    );
}

#[test]
fn enhanced_finding_reports_fix_and_exploit_without_score() {
    let f = finding("GHSA-j8r2-6x86-q33q", Severity::High)
        .package("requests", "2.19.0")
        .title("GHSA-j8r2-6x86-q33q - requests")
        .fix("2.20.0")
        .manager("PYTHONPKG")
        .path("/usr/local/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA")
        .exploit_available(true);
    let unfixable = finding("CVE-2023-9999", Severity::Medium)
        .package("glibc", "2.36")
        .fix_available(false);
    let doc = checked(&one_image(vec![f, unfixable]), &Policy::default());

    let result = result_of(&doc, "GHSA-j8r2-6x86-q33q");
    assert_eq!(
        result["message"]["text"],
        "GHSA-j8r2-6x86-q33q in requests 2.19.0 (high, fixed in 2.20.0, exploit available)"
    );
    let properties = &result["properties"];
    assert!(properties.get("score").is_none());
    assert_eq!(properties["fixedIn"], "2.20.0");
    assert_eq!(properties["fixAvailable"], true);
    assert_eq!(properties["exploitAvailable"], true);
    assert_eq!(properties["packageManager"], "PYTHONPKG");
    assert_eq!(
        uri(result),
        "ecr/payments/api/usr/local/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA"
    );
    let rule = rule_of(&doc, "GHSA-j8r2-6x86-q33q");
    assert_eq!(rule["properties"]["security-severity"], "8.0");
    assert_eq!(
        rule["shortDescription"]["text"],
        "GHSA-j8r2-6x86-q33q - requests"
    );
    let tags = rule["properties"]["tags"].as_array().unwrap();
    assert!(tags.iter().any(|t| t == "fix-available"));
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("fixed in `2.20.0`")
    );

    let unfixable = result_of(&doc, "CVE-2023-9999");
    assert_eq!(
        unfixable["message"]["text"],
        "CVE-2023-9999 in glibc 2.36 (medium, no fix available)"
    );
    assert_eq!(uri(unfixable), "ecr/payments/api/os-packages/glibc");
}

#[test]
fn merged_platform_images_get_one_run_each() {
    let scan = |platform: &str, digest: &str, findings: Vec<FindingBuilder>| {
        image("payments/api", digest)
            .platform(platform)
            .into_scan(findings.into_iter().map(FindingBuilder::build).collect())
    };
    let shared = finding("CVE-2021-3711", Severity::Critical)
        .score(9.8)
        .package("openssl", "1.1.1k");
    let arm_only = finding("CVE-2024-1111", Severity::High)
        .score(7.5)
        .package("libarm", "1.0");
    let set = merge(vec![
        scan("linux/amd64", "sha256:aaaa", vec![shared.clone()]),
        scan("linux/arm64", "sha256:bbbb", vec![shared, arm_only]),
    ]);
    assert_eq!(set.findings.len(), 2);
    let doc = checked(&set, &Policy::default());
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[0]["automationDetails"]["id"],
        "ecr-scan-gate/payments/api/linux/amd64/"
    );
    assert_eq!(
        runs[1]["automationDetails"]["id"],
        "ecr-scan-gate/payments/api/linux/arm64/"
    );
    assert_eq!(results(&doc, 0).len(), 1);
    assert_eq!(rules(&doc, 0).len(), 1);
    assert_eq!(results(&doc, 1).len(), 2);
    assert_eq!(rules(&doc, 1).len(), 2);
    assert_eq!(
        results(&doc, 0)[0]["properties"]["imageDigest"],
        "sha256:aaaa"
    );
    assert_eq!(
        results(&doc, 1)[0]["properties"]["imageDigest"],
        "sha256:bbbb"
    );
    assert_eq!(
        results(&doc, 1)[0]["properties"]["imagePlatform"],
        "linux/arm64"
    );
    assert_eq!(hash(&results(&doc, 0)[0]), hash(&results(&doc, 1)[0]));
    assert_eq!(runs[1]["properties"]["platform"], "linux/arm64");
}

#[test]
fn ignored_and_scanner_suppressed_findings_carry_suppressions() {
    let suppressed = finding("CVE-2024-2222", Severity::High)
        .score(7.0)
        .package("curl", "8.0")
        .suppressed_by_scanner();
    let set = one_image(vec![
        finding("CVE-2021-3711", Severity::Critical)
            .score(9.8)
            .package("openssl", "1.1.1k"),
        suppressed,
    ]);
    let policy = Policy {
        ignores: vec![Ignore {
            id: "cve-2021-3711".into(),
            reason: "not reachable: TLS is terminated at the load balancer".into(),
            expires: Some(jiff::civil::date(2027, 3, 31)),
            package: None,
            repository: None,
            line: Some(3),
        }],
        ..Policy::default()
    };
    let doc = checked(&set, &policy);
    let ignored = result_of(&doc, "CVE-2021-3711");
    assert_eq!(ignored["properties"]["gateState"], "ignored");
    assert_eq!(
        ignored["suppressions"],
        serde_json::json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "not reachable: TLS is terminated at the load balancer"
        }])
    );
    let suppressed = result_of(&doc, "CVE-2024-2222");
    assert_eq!(suppressed["properties"]["gateState"], "suppressed");
    assert_eq!(suppressed["suppressions"][0]["kind"], "external");
    assert_eq!(
        suppressed["suppressions"][0]["justification"],
        "suppressed in Amazon Inspector"
    );
}

#[test]
fn zero_findings_give_empty_runs() {
    let mut set = one_image(Vec::new());
    set.images.push(
        image("payments/api", "sha256:bbbb")
            .platform("linux/arm64")
            .build(),
    );
    let doc = checked(&set, &Policy::default());
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in 0..2 {
        assert_eq!(results(&doc, run).len(), 0);
        assert_eq!(rules(&doc, run).len(), 0);
    }
}

#[test]
fn no_images_give_no_runs() {
    let doc = checked(&ScanSet::default(), &Policy::default());
    assert_eq!(doc["runs"], serde_json::json!([]));
}

#[test]
fn rule_takes_the_highest_severity_of_its_findings() {
    let in_path = finding("CVE-2024-3333", Severity::Critical)
        .score(9.3)
        .package("lib", "1")
        .path("/opt/lib");
    let set = one_image(vec![
        finding("CVE-2024-3333", Severity::Medium)
            .score(9.9)
            .package("lib", "1"),
        in_path,
    ]);
    let doc = checked(&set, &Policy::default());
    assert_eq!(rules(&doc, 0).len(), 1);
    assert_eq!(results(&doc, 0).len(), 2);
    let rule = &rules(&doc, 0)[0];
    assert_eq!(rule["properties"]["security-severity"], "9.3");
    assert!(
        rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "critical")
    );
    assert_ne!(hash(&results(&doc, 0)[0]), hash(&results(&doc, 0)[1]));
}

#[test]
fn snapshot_of_a_small_realistic_report() {
    let openssl = finding("CVE-2021-3711", Severity::Critical)
        .score(9.8)
        .package("openssl", "1.1.1k-r0")
        .title("CVE-2021-3711 - openssl")
        .description(
            "In order to decrypt SM2 encrypted data an application is expected to call the API \
             function EVP_PKEY_decrypt().",
        )
        .fix("1.1.1l-r0")
        .manager("OS")
        .exploit_available(false);
    let requests = finding("CVE-2018-18074", Severity::High)
        .score(7.5)
        .package("requests", "2.19.0")
        .path("/app/.venv/lib/python3.12/site-packages/requests-2.19.0.dist-info/METADATA")
        .fix("2.20.0")
        .manager("PYTHONPKG");
    let zlib = finding("CVE-2022-37434", Severity::Medium)
        .package("zlib", "1.2.12-r1")
        .fix_available(false);
    let set = one_image(vec![openssl, requests, zlib]);
    let policy = Policy {
        ignores: vec![Ignore {
            id: "CVE-2018-18074".into(),
            reason: "requests is only used by the build tooling".into(),
            expires: Some(jiff::civil::date(2026, 6, 30)),
            package: Some("requests".into()),
            repository: None,
            line: Some(7),
        }],
        ..Policy::default()
    };
    let verdict = evaluate(&set, &policy, jiff::civil::date(2026, 1, 1));
    let result = crate::run::testing::verdict(&verdict, false);
    let ctx = Context {
        set: &set,
        policy: &policy,
        result: &result,
        tool_version: TOOL_VERSION,
    };
    let pretty = serde_json::to_string_pretty(&Log::new(&ctx, &verdict)).unwrap();
    let mut streamed = Vec::new();
    write(&ctx, &verdict, &mut streamed).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&streamed).unwrap(),
        serde_json::from_str::<Value>(&pretty).unwrap()
    );
    assert_schema_valid(&serde_json::from_str(&pretty).unwrap());
    insta::assert_snapshot!(pretty);
}
