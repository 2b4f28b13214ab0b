//! Tests of the rendered documents: snapshots of each kind of run, what each part shows, and hostile
//! text kept inert. Also the fixtures (a basic and an enhanced scan, a policy) the budget tests share.

use jiff::Timestamp;
use jiff::civil::date;

use super::variant::Variant;
use super::{comment_marker, render};
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{ScanSet, ScanType, Severity};
use crate::policy::{Ignore, Outcome, Policy, Verdict, evaluate};
use crate::report::{Context, escape};
use crate::run::{RunResult, testing};

const VERSION: &str = "0.1.0";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// An image in `repository` of the test account, tagged `1.4.2` and `latest`, scanned on the last
/// day of 2025.
fn image(repository: &str, scan_type: ScanType, status: &str) -> ImageBuilder {
    ImageBuilder::new(repository)
        .account("123456789012", "eu-west-1")
        .digest("sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904a1e2c3f7d0b5e6f7a8b9c0d1")
        .tag("1.4.2")
        .tag("latest")
        .scan(scan_type, status)
        .scanned_at(at("2025-12-31T09:15:00Z"), at("2025-12-31T06:00:00Z"))
}

/// `id` at `severity` in the OS package `name` `version`, with a description and its NVD page.
pub(super) fn finding(id: &str, severity: Severity, name: &str, version: &str) -> FindingBuilder {
    FindingBuilder::new(id, severity)
        .description(format!("A vulnerability in {name}."))
        .package(name, version)
        .manager("OS")
        .nvd_url()
}

pub(super) fn ignore(id: &str, reason: &str, expires: jiff::civil::Date, line: usize) -> Ignore {
    Ignore {
        id: id.to_string(),
        reason: reason.to_string(),
        expires: Some(expires),
        package: None,
        repository: None,
        line: Some(line),
    }
}

/// Basic scanning, one image, CVSS scores, nothing at or above `high`.
fn basic_set() -> ScanSet {
    let findings = [
        finding("CVE-2025-1000", Severity::Medium, "libxml2", "2.9.14-r0")
            .fix("2.9.14-r1")
            .score(5.3),
        finding("CVE-2025-2000", Severity::Low, "busybox", "1.36.1-r5").score(3.1),
        finding("CVE-2025-3000", Severity::Informational, "zlib", "1.3-r2"),
    ];
    ScanSet {
        images: vec![image("payments/api", ScanType::Basic, "COMPLETE").build()],
        findings: findings.into_iter().map(FindingBuilder::build).collect(),
        warnings: Vec::new(),
    }
}

/// Enhanced scanning, two platforms, fix/exploit flags, a finding without score, UNTRIAGED.
pub(super) fn enhanced_set() -> ScanSet {
    let findings = [
        finding(
            "CVE-2024-6387",
            Severity::Critical,
            "openssh-server",
            "1:9.2p1-2",
        )
        .fix("1:9.2p1-2+deb12u3")
        .score(9.8)
        .exploit_available(true)
        .images([0, 1]),
        finding("CVE-2025-0001", Severity::High, "openssl", "3.0.13-1")
            .fix("3.0.15-1")
            .exploit_available(false),
        finding("GHSA-29mw-wpgm-hmr9", Severity::High, "lodash", "4.17.20")
            .fix("4.17.21")
            .score(7.4)
            .urls(&[
                "https://github.com/advisories/GHSA-29mw-wpgm-hmr9",
                "https://nvd.nist.gov/vuln/detail/CVE-2020-28500",
            ])
            .manager("NPM")
            .path("/app/node_modules/lodash/package.json")
            .images([1]),
        finding("CVE-2025-0002", Severity::High, "glibc", "2.36-9")
            .score(7.5)
            .fix_available(false)
            .images([0, 1]),
        finding("CVE-2025-0003", Severity::High, "curl", "7.88.1-10")
            .fix("7.88.1-10+deb12u5")
            .score(7.2)
            .images([0, 1]),
        finding("CVE-2025-0004", Severity::Medium, "tar", "1.34")
            .score(5.5)
            .images([0, 1]),
        finding("CVE-2025-0006", Severity::Low, "ncurses", "6.4-4")
            .score(2.0)
            .suppressed_by_scanner(),
        finding("CVE-2025-0005", Severity::Unknown, "perl", "5.36.0-7")
            .vendor_severity("UNTRIAGED"),
    ];
    let platform =
        |platform: &str| image("payments/api", ScanType::Enhanced, "ACTIVE").platform(platform);
    ScanSet {
        images: vec![
            platform("linux/amd64").build(),
            platform("linux/arm64")
                .digest("sha256:9a3f1e0c7b5d2e4f6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e")
                .build(),
        ],
        findings: findings.into_iter().map(FindingBuilder::build).collect(),
        warnings: vec!["linux/arm64: ECR reported 9 findings but 8 were read".to_string()],
    }
}

pub(super) fn enhanced_policy() -> Policy {
    Policy {
        fail_on: Some(Severity::High),
        only_fixed: false,
        min_score: None,
        only_exploitable: false,
        scope: crate::policy::Scope::All,
        max: [(Severity::Medium, 10)].into_iter().collect(),
        ignores: vec![
            ignore(
                "CVE-2025-0003",
                "curl is only used at build time; not reachable at runtime",
                date(2026, 3, 31),
                12,
            ),
            ignore(
                "CVE-2025-0004",
                "tar is not used by the service",
                date(2025, 12, 1),
                17,
            ),
            ignore(
                "CVE-2023-9999",
                "fixed upstream long ago",
                date(2026, 6, 30),
                22,
            ),
        ],
        ..Policy::default()
    }
}

pub(super) fn today() -> jiff::civil::Date {
    date(2026, 1, 1)
}

pub(super) fn context<'a>(
    set: &'a ScanSet,
    policy: &'a Policy,
    result: &'a RunResult,
) -> Context<'a> {
    Context {
        set,
        policy,
        result,
        tool_version: VERSION,
    }
}

/// Renders a run that reached `verdict`.
pub(super) fn render_verdict(
    set: &ScanSet,
    policy: &Policy,
    verdict: &Verdict,
    report_only: bool,
    variant: Variant,
) -> String {
    let result = testing::verdict(verdict, report_only);
    render(&context(set, policy, &result), variant)
}

/// Checks every table: each row has as many cells as its header.
pub(super) fn assert_tables_well_formed(md: &str) {
    let cells = |line: &str| {
        let bytes = line.as_bytes();
        (0..bytes.len())
            .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count()
    };
    let mut expected = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            let want = *expected.get_or_insert(n);
            assert_eq!(n, want, "row with a different cell count: {line:?}");
            assert!(line.ends_with(" |"), "row not closed: {line:?}");
        } else {
            expected = None;
        }
    }
}

pub(super) fn assert_details_balanced(md: &str) {
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn summary_of_a_failing_enhanced_scan() {
    let set = enhanced_set();
    let policy = enhanced_policy();
    let verdict = evaluate(&set, &policy, today());
    assert_eq!(verdict.outcome, Outcome::Fail);
    let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
    assert_tables_well_formed(&md);
    assert_details_balanced(&md);
    insta::assert_snapshot!("summary_fail", md);
}

#[test]
fn comment_of_a_passing_basic_scan() {
    let set = basic_set();
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, today());
    assert_eq!(verdict.outcome, Outcome::Pass);
    let md = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
    assert_tables_well_formed(&md);
    insta::assert_snapshot!("comment_pass", md);
}

#[test]
fn comment_of_a_failing_scan_is_compact() {
    let set = enhanced_set();
    let policy = enhanced_policy();
    let verdict = evaluate(&set, &policy, today());
    let md = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
    assert!(md.starts_with("<!-- ecr-scan-gate: payments/api/linux/amd64 -->\n## ❌ "));
    assert_tables_well_formed(&md);
    assert_details_balanced(&md);
    let violating_header = "| severity | id | package | installed | fixed in | exploit | rule |";
    assert!(md.contains(violating_header), "{md}");
    assert!(!md.contains("| score |"));
    assert!(md.contains("CVE-2025-0004, expired after 2025-12-01"));
    assert!(md.contains("CVE-2023-9999"));
    insta::assert_snapshot!("comment_fail", md);
}

#[test]
fn summary_of_an_incomplete_scan_gives_the_reasons_and_no_verdict() {
    let mut set = enhanced_set();
    set.images[1].scan.status = "FAILED".to_string();
    set.images[1].scan.description =
        Some("UnsupportedImageError: the image OS is not supported".to_string());
    let reasons =
        vec!["payments/api:1.4.2 (linux/arm64): scan FAILED: UnsupportedImageError".to_string()];
    let policy = enhanced_policy();
    let result = testing::incomplete(&reasons);
    let ctx = context(&set, &policy, &result);
    let md = render(&ctx, Variant::Summary);
    assert!(md.contains("no verdict (incomplete)"));
    assert!(!md.contains("Violating findings"));
    assert_tables_well_formed(&md);
    insta::assert_snapshot!("summary_incomplete", md);
}

#[test]
fn summary_of_an_error_shows_the_message() {
    let set = ScanSet::default();
    let policy = Policy::default();
    let message = "policy file ecr-scan-gate.toml has 2 problem(s):\n  ecr-scan-gate.toml:line 3, column 11: \
                   gate.fail-on: `severe` is not a severity\n  ecr-scan-gate.toml:line 9, column 1: ignore[0].reason: is required";
    let result = testing::error(message);
    let ctx = context(&set, &policy, &result);
    let md = render(&ctx, Variant::Summary);
    assert!(md.starts_with("## 🛑 ecr-scan-gate: error\n"));
    assert_tables_well_formed(&md);
    insta::assert_snapshot!("summary_error", md);
    let comment = render(&ctx, Variant::Comment);
    assert!(comment.starts_with("<!-- ecr-scan-gate:  -->\n## 🛑 "));
}

#[test]
fn report_only_is_mentioned_only_when_the_policy_is_violated() {
    let set = enhanced_set();
    let policy = enhanced_policy();
    let verdict = evaluate(&set, &policy, today());
    let md = render_verdict(&set, &policy, &verdict, true, Variant::Summary);
    assert!(md.contains("**Report only:**"));
    let set = basic_set();
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, today());
    let md = render_verdict(&set, &policy, &verdict, true, Variant::Summary);
    assert!(!md.contains("Report only"));
}

#[test]
fn zero_findings_pass_with_an_all_zero_severity_table() {
    let mut set = basic_set();
    set.findings.clear();
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, today());
    for variant in [Variant::Summary, Variant::Comment] {
        let md = render_verdict(&set, &policy, &verdict, false, variant);
        assert!(md.contains("## ✅ ecr-scan-gate: pass — payments/api:1.4.2\n"));
        assert!(md.contains("No finding violates the policy (0 findings, 0 ignored)."));
        assert!(md.contains("| **total** | 0 | 0 | 0 | 0 |"));
        assert!(!md.contains("Violating findings"));
        assert!(!md.contains("<details>"));
        assert_tables_well_formed(&md);
    }
}

#[test]
fn severity_table_counts_total_fixable_ignored_and_violating() {
    let set = enhanced_set();
    let policy = enhanced_policy();
    let verdict = evaluate(&set, &policy, today());
    let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
    assert!(md.contains("| critical | 1 | 1 | 0 | 1 |"), "{md}");
    assert!(md.contains("| high | 4 | 3 | 1 | 3 |"), "{md}");
    assert!(md.contains("| medium | 1 | 0 | 0 | 0 |"), "{md}");
    assert!(md.contains("| low | 1 | 0 | 1 | 0 |"), "{md}");
    assert!(md.contains("| unknown | 1 | 0 | 0 | 0 |"), "{md}");
    assert!(md.contains("| **total** | 8 | 4 | 2 | 4 |"), "{md}");
}

#[test]
fn images_column_appears_only_with_several_images() {
    let set = enhanced_set();
    let policy = enhanced_policy();
    let verdict = evaluate(&set, &policy, today());
    let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
    assert!(md.contains("| rule | images |"));
    let set = basic_set();
    let policy = Policy {
        fail_on: Some(Severity::Low),
        ..Policy::default()
    };
    let verdict = evaluate(&set, &policy, today());
    let md = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
    assert!(md.contains("| fixed in | exploit | score | rule |\n"));
    assert!(!md.contains("images |"));
}

#[test]
fn comment_marker_cannot_be_broken_by_the_key() {
    let mut set = basic_set();
    set.images[0].repository = "a--b-->c\n<!-- x -->\u{202e}é".to_string();
    set.images[0].platform = Some("linux/arm64".to_string());
    let marker = comment_marker(&set);
    assert_eq!(
        marker,
        "<!-- ecr-scan-gate: a-%2Db-%2D%3Ec%0A%3C%21-%2D%20x%20-%2D%3E%E2%80%AE%C3%A9/linux/arm64 -->"
    );
    let inner = &marker["<!-- ".len()..marker.len() - " -->".len()];
    assert!(!inner.contains("--") && !inner.contains('>') && !inner.contains('\n'));
    let policy = Policy::default();
    let verdict = evaluate(&set, &policy, today());
    let md = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
    assert_eq!(md.lines().next(), Some(marker.as_str()));
    assert_eq!(md.matches("<!--").count(), 1);
}

#[test]
fn hostile_vendor_text_is_inert() {
    let hostile = "| <!-- --> <script> @octocat `x` **b** [l](javascript:alert(1)) \n::error::pwned \u{202e} rtl \u{0007}";
    let mut set = enhanced_set();
    for f in &mut set.findings {
        f.id = format!("{}{hostile}", f.id);
        f.package.name = Some(hostile.to_string());
        f.package.version = Some(hostile.to_string());
        f.package.fixed_in = Some(hostile.to_string());
        f.package.path = Some(hostile.to_string());
        f.description = Some(hostile.to_string());
        f.title = Some(hostile.to_string());
        f.urls = vec![
            format!("javascript:alert(1)//{hostile}"),
            "https://e.com/x)](javascript:alert(1)".to_string(),
        ];
    }
    set.images[0].repository = hostile.to_string();
    set.images[0].tags = vec![hostile.to_string()];
    set.images[0].platform = Some(hostile.to_string());
    set.images[0].scan.status = hostile.to_string();
    set.images[0].scan.description = Some(hostile.to_string());
    set.warnings.push(hostile.to_string());
    let mut policy = enhanced_policy();
    policy.ignores.push(Ignore {
        id: hostile.to_string(),
        reason: hostile.to_string(),
        expires: Some(date(2027, 1, 1)),
        package: Some(hostile.to_string()),
        repository: Some(hostile.to_string()),
        line: Some(30),
    });
    let verdict = evaluate(&set, &policy, today());
    assert_eq!(verdict.outcome, Outcome::Fail);
    let reasons = vec![hostile.to_string()];
    let results = [
        testing::verdict(&verdict, false),
        testing::incomplete(&reasons),
        testing::error(hostile),
    ];
    for result in &results {
        for variant in [Variant::Summary, Variant::Comment] {
            let ctx = Context {
                set: &set,
                policy: &policy,
                result,
                tool_version: hostile,
            };
            let md = render(&ctx, variant);
            assert_inert(&md, variant);
            assert_tables_well_formed(&md);
            assert_details_balanced(&md);
            assert!(md.contains("octocat"), "the text is kept, escaped");
        }
    }
}

fn assert_inert(md: &str, variant: Variant) {
    let marker_lines = usize::from(variant == Variant::Comment);
    assert_eq!(md.matches("<!--").count(), marker_lines, "{md}");
    if variant == Variant::Comment {
        assert!(md.starts_with("<!-- ecr-scan-gate: "));
    }
    for bad in ["<script", "@octocat", "##["] {
        assert!(!md.contains(bad), "{bad:?} survived:\n{md}");
    }
    for (at, _) in md.match_indices("](") {
        if !md[..at].ends_with('\\') {
            let rest = &md[at + 2..];
            assert!(
                rest.starts_with("https://"),
                "a link that is not https: {rest:?}"
            );
        }
    }
    for line in md.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "command line: {line:?}"
        );
    }
    // The renderer's own "⚠️" carries a variation selector; vendor text never keeps one.
    let vendor = md.replace("\u{26a0}\u{fe0f}", "\u{26a0}");
    assert!(
        !vendor.chars().any(|c| c != '\n' && escape::is_hidden(c)),
        "hidden character survived"
    );
}
