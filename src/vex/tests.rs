//! Which statement governs a finding: every product form, versions, timestamps, several images.

use super::*;
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{Finding, Image, Severity};

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const OTHER: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn image() -> Image {
    ImageBuilder::new("payments/api")
        .account("123456789012", "eu-west-1")
        .digest(DIGEST)
        .tag("v1")
        .build()
}

fn openssl() -> Finding {
    FindingBuilder::new("CVE-2024-0001", Severity::High)
        .package("openssl", "3.0.11-1~deb12u2")
        .build()
}

/// A document of one statement about CVE-2024-0001 with these products (JSON) and status.
fn statement(products: &str, status: &str, timestamp: &str) -> String {
    format!(
        r#"{{"vulnerability": {{"name": "CVE-2024-0001"}}, "products": {products},
             "status": "{status}", "justification": "component_not_present",
             "timestamp": "{timestamp}"}}"#
    )
}

fn vex(statements: &[String]) -> Vex {
    let mut vex = Vex::default();
    vex.add(
        "test.json",
        format!(r#"{{"statements": [{}]}}"#, statements.join(",")).as_bytes(),
    )
    .unwrap();
    vex
}

/// Whether a `not_affected` statement with these products suppresses `finding` in `image`.
fn suppresses(products: &str, finding: &Finding, image: &Image) -> bool {
    let vex = vex(&[statement(products, "not_affected", "2024-01-01T00:00:00Z")]);
    vex.judge(finding, std::slice::from_ref(image))
        .is_some_and(|a| a.suppresses)
}

#[track_caller]
fn assert_covers(products: &str, expected: bool) {
    assert_eq!(
        suppresses(products, &openssl(), &image()),
        expected,
        "{products}"
    );
}

#[test]
fn the_image_by_digest_in_every_spelling() {
    let hex = &DIGEST["sha256:".len()..];
    for products in [
        format!(r#"[{{"@id": "pkg:oci/api@sha256%3A{hex}"}}]"#),
        format!(r#"[{{"@id": "pkg:oci/api@sha256:{hex}?arch=amd64"}}]"#),
        format!(
            r#"[{{"@id": "pkg:oci/other-name@sha256%3a{}"}}]"#,
            hex.to_uppercase()
        ),
        format!(r#"["pkg:oci/api@sha256%3A{hex}"]"#),
        format!(r#"[{{"identifiers": {{"purl": "pkg:oci/api@sha256%3A{hex}"}}}}]"#),
        format!(r#"[{{"hashes": {{"sha-256": "{hex}"}}}}]"#),
        format!(r#"["{DIGEST}"]"#),
        format!(r#"["payments/api@{DIGEST}"]"#),
        format!(r#"["123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api@{DIGEST}"]"#),
    ] {
        assert_covers(&products, true);
    }
    for products in [
        format!(r#"["pkg:oci/api@{OTHER}"]"#),
        format!(r#"["payments/api@{OTHER}"]"#),
        format!(r#"[{{"hashes": {{"sha-512": "{hex}"}}}}]"#),
    ] {
        assert_covers(&products, false);
    }
}

#[test]
fn the_image_index_s_digest_names_each_of_its_images() {
    let image = ImageBuilder::new("payments/api")
        .digest(DIGEST)
        .index_digest(OTHER)
        .platform("linux/amd64")
        .build();
    assert!(suppresses(
        &format!(r#"["pkg:oci/api@{OTHER}"]"#),
        &openssl(),
        &image
    ));
    let third = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    assert!(!suppresses(
        &format!(r#"["pkg:oci/api@{third}"]"#),
        &openssl(),
        &image
    ));
}

#[test]
fn the_repository_by_purl_or_name() {
    for products in [
        r#"["pkg:oci/api"]"#,
        r#"["pkg:oci/api?tag=v1"]"#,
        r#"["pkg:oci/api?repository_url=123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api"]"#,
        r#"["pkg:oci/api?repository_url=123456789012.dkr.ecr.eu-west-1.amazonaws.com%2Fpayments%2Fapi&tag=v1"]"#,
        r#"["pkg:docker/payments/api@v1"]"#,
        r#"["payments/api"]"#,
        r#"["payments/api:v1"]"#,
        r#"["123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api"]"#,
        r#"["123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api:v1"]"#,
    ] {
        assert_covers(products, true);
    }
    for products in [
        // Another repository, tag, account, region or registry.
        r#"["pkg:oci/web"]"#,
        r#"["pkg:oci/api?tag=v2"]"#,
        // A Docker purl names the whole repository, not its last segment.
        r#"["pkg:docker/other/api@v1"]"#,
        r#"["pkg:docker/api"]"#,
        r#"["pkg:oci/api?repository_url=123456789012.dkr.ecr.eu-west-1.amazonaws.com/other/api"]"#,
        r#"["pkg:oci/api?repository_url=999999999999.dkr.ecr.eu-west-1.amazonaws.com/payments/api"]"#,
        r#"["pkg:oci/api?repository_url=ghcr.io/payments/api"]"#,
        r#"["pkg:oci/kube-apiserver?repository_url=registry.k8s.io&tag=v1.26.0"]"#,
        r#"["api"]"#,
        r#"["payments/api:v2"]"#,
        r#"["123456789012.dkr.ecr.us-east-1.amazonaws.com/payments/api"]"#,
        r#"["docker.io/payments/api"]"#,
        r#"["https://example.com/payments/api"]"#,
        r#"[]"#,
    ] {
        assert_covers(products, false);
    }
}

#[test]
fn subcomponents_narrow_the_image_to_packages() {
    let image = r#""pkg:oci/api""#;
    for subcomponents in [
        r#"[{"@id": "pkg:deb/debian/openssl"}]"#,
        r#"[{"@id": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"}]"#,
        r#"[{"@id": "pkg:deb/debian/openssl@3.0.11-1%7Edeb12u2"}]"#,
        r#"[{"@id": "pkg:deb/debian/zlib"}, {"identifiers": {"purl": "pkg:deb/debian/openssl"}}]"#,
        r#"["openssl"]"#,
        r#"["OpenSSL"]"#,
    ] {
        assert_covers(
            &format!(r#"[{{"@id": {image}, "subcomponents": {subcomponents}}}]"#),
            true,
        );
    }
    for subcomponents in [
        r#"[{"@id": "pkg:deb/debian/zlib"}]"#,
        r#"[{"@id": "pkg:deb/debian/openssl@3.0.13-1"}]"#,
        r#"[{"@id": "pkg:npm/openssl"}]"#,
        r#"["libssl3"]"#,
        r#"[{"@id": "pkg:oci/api"}]"#,
        r#"[{}]"#,
    ] {
        assert_covers(
            &format!(r#"[{{"@id": {image}, "subcomponents": {subcomponents}}}]"#),
            false,
        );
    }
    // The subcomponent does not make another image match.
    assert_covers(
        r#"[{"@id": "pkg:oci/web", "subcomponents": ["openssl"]}]"#,
        false,
    );
}

#[test]
fn a_package_purl_as_the_product() {
    for products in [
        r#"["pkg:deb/debian/openssl"]"#,
        r#"["pkg:deb/debian/openssl@3.0.11-1~deb12u2"]"#,
        r#"["pkg:deb/ubuntu/openssl@3.0.11-1~deb12u2?arch=amd64"]"#,
        r#"["pkg:generic/openssl"]"#,
    ] {
        assert_covers(products, true);
    }
    for products in [
        r#"["pkg:deb/debian/openssl@3.0.11-1"]"#,
        r#"["pkg:deb/debian/libssl"]"#,
        r#"["pkg:npm/openssl"]"#,
        r#"["pkg:pypi/openssl"]"#,
        r#"["pkg:unknowntype/openssl"]"#,
        // A package narrowed by subcomponents: the findings cannot tell what brought openssl in.
        r#"[{"@id": "pkg:deb/debian/curl", "subcomponents": ["pkg:deb/debian/openssl"]}]"#,
        r#"[{"@id": "pkg:deb/debian/openssl", "subcomponents": ["pkg:deb/debian/zlib"]}]"#,
    ] {
        assert_covers(products, false);
    }
}

#[test]
fn package_purls_follow_each_ecosystem_s_names_and_managers() {
    let finding = |name: &str, version: &str, manager: &str| {
        FindingBuilder::new("CVE-2024-0001", Severity::High)
            .package(name, version)
            .manager(manager)
            .build()
    };
    let cases = [
        (
            "pkg:npm/%40babel/traverse@7.23.1",
            finding("@babel/traverse", "7.23.1", "NPM"),
            true,
        ),
        (
            "pkg:npm/@babel/traverse",
            finding("@babel/traverse", "7.0.0", "NODEPKG"),
            true,
        ),
        (
            "pkg:npm/traverse",
            finding("@babel/traverse", "7.0.0", "NPM"),
            false,
        ),
        (
            "pkg:pypi/Django_Rest.framework@3.14.0",
            finding("django-rest-framework", "3.14.0", "PYTHONPKG"),
            true,
        ),
        ("pkg:pypi/django", finding("django", "4.2", "NPM"), false),
        (
            "pkg:pypi/zope--interface",
            finding("zope.interface", "6.0", "PIP"),
            true,
        ),
        ("pkg:pypi/a-b", finding("ab", "1.0", "PIP"), false),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            finding("org.apache.logging.log4j:log4j-core", "2.14.1", "JAR"),
            true,
        ),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core",
            finding("log4j-core", "2.14.1", "JAR"),
            false,
        ),
        (
            "pkg:golang/golang.org/x/net@v0.17.0",
            finding("golang.org/x/net", "0.17.0", "GOBINARY"),
            true,
        ),
        (
            "pkg:golang/golang.org/x/net@v0.17.0",
            finding("golang.org/x/net", "v0.17.0", "GOMOD"),
            true,
        ),
        (
            "pkg:golang/golang.org/x/net@v0.18.0",
            finding("golang.org/x/net", "v0.17.0", "GOMOD"),
            false,
        ),
        (
            "pkg:rpm/amzn/openssl-libs@1.0.2k-24.amzn2.0.7?arch=x86_64&epoch=1",
            finding("openssl-libs", "1:1.0.2k-24.amzn2.0.7", "OS"),
            true,
        ),
        (
            "pkg:rpm/amzn/openssl-libs@1.0.2k-24.amzn2.0.7",
            finding("openssl-libs", "1:1.0.2k-24.amzn2.0.7", "OS"),
            false,
        ),
        (
            "pkg:rpm/amzn/glibc@2.26-63.amzn2?epoch=0",
            finding("glibc", "2.26-63.amzn2", "OS"),
            true,
        ),
        // An epoch written in the version is not added twice.
        (
            "pkg:rpm/amzn/openssl-libs@1:1.0.2k-24.amzn2.0.7?epoch=1",
            finding("openssl-libs", "1:1.0.2k-24.amzn2.0.7", "OS"),
            true,
        ),
        // Only a `v` before a digit is Go's prefix.
        ("pkg:generic/tool@vx1", finding("tool", "x1", "OS"), false),
        ("pkg:generic/tool@v1", finding("tool", "1", "OS"), true),
        (
            "pkg:apk/alpine/busybox@1.36.1-r5",
            finding("busybox", "1.36.1-r5", "OS"),
            true,
        ),
        (
            "pkg:apk/alpine/busybox@1.36.1-r5",
            finding("busybox", "1.36.1-r5", "NPM"),
            false,
        ),
        (
            "pkg:cargo/hyper@0.14.0",
            finding("hyper", "0.14.0", "CARGO"),
            true,
        ),
        (
            "pkg:gem/rack@2.2.3",
            finding("rack", "2.2.3", "GEMSPEC"),
            true,
        ),
        (
            "pkg:nuget/Newtonsoft.Json@13.0.1",
            finding("newtonsoft.json", "13.0.1", "DOTNET_CORE"),
            true,
        ),
        (
            "pkg:composer/laravel/framework",
            finding("laravel/framework", "10.0.0", "COMPOSER"),
            true,
        ),
    ];
    for (purl, finding, expected) in cases {
        assert_eq!(
            suppresses(&format!(r#"["{purl}"]"#), &finding, &image()),
            expected,
            "{purl} vs {:?}",
            finding.package
        );
    }
    // A finding without a package name is never a package's.
    let nameless = FindingBuilder::new("CVE-2024-0001", Severity::High).build();
    assert!(!suppresses(r#"["pkg:generic/x"]"#, &nameless, &image()));
    assert!(suppresses(r#"["pkg:oci/api"]"#, &nameless, &image()));
}

#[test]
fn the_vulnerability_matches_by_name_id_or_alias_whatever_the_case() {
    let finding = |id: &str| {
        FindingBuilder::new(id, Severity::High)
            .package("openssl", "3.0.11-1~deb12u2")
            .build()
    };
    let vex = vex(&[
        r#"{"vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
        "name": "GHSA-jfh8-c2jp-5v3q", "aliases": ["SNYK-1", "cve-2020-1"]},
        "products": ["pkg:oci/api"], "status": "fixed"}"#
            .to_string(),
    ]);
    for id in [
        "CVE-2021-44228",
        "ghsa-jfh8-c2jp-5v3q",
        "SNYK-1",
        "CVE-2020-1",
        " CVE-2020-1 ",
    ] {
        assert!(vex.judge(&finding(id), &[image()]).is_some(), "{id}");
    }
    for id in [
        "CVE-2021-4422",
        "https://nvd.nist.gov/vuln/detail",
        "detail",
        "",
    ] {
        assert_eq!(vex.judge(&finding(id), &[image()]), None, "{id}");
    }
}

#[test]
fn statuses_that_suppress_and_statuses_that_are_only_shown() {
    for (status, suppressed) in [
        ("not_affected", true),
        ("fixed", true),
        ("affected", false),
        ("under_investigation", false),
    ] {
        let vex = vex(&[statement(
            r#"["pkg:oci/api"]"#,
            status,
            "2024-01-01T00:00:00Z",
        )]);
        let applied = vex.judge(&openssl(), &[image()]).expect(status);
        assert_eq!(applied.suppresses, suppressed, "{status}");
        assert!(!applied.partial);
        assert_eq!(vex.statements[applied.statement].status.as_str(), status);
    }
}

#[test]
fn the_latest_statement_wins_whatever_the_order() {
    let early = statement(r#"["pkg:oci/api"]"#, "not_affected", "2024-01-01T00:00:00Z");
    let late = statement(
        r#"["pkg:deb/debian/openssl"]"#,
        "affected",
        "2024-01-02T00:00:00+05:00",
    );
    for order in [[&early, &late], [&late, &early]] {
        let vex = vex(&[order[0].clone(), order[1].clone()]);
        let applied = vex.judge(&openssl(), &[image()]).unwrap();
        assert!(!applied.suppresses);
        assert_eq!(vex.statements[applied.statement].status, Status::Affected);
    }
    // Across documents, and the other way round in time.
    let mut vex = Vex::default();
    let doc = |status: &str, at: &str| {
        format!(
            r#"{{"timestamp": "{at}", "statements": [{{"vulnerability": "CVE-2024-0001",
                "products": ["pkg:oci/api"], "status": "{status}",
                "impact_statement": "x"}}]}}"#
        )
    };
    vex.add(
        "b.json",
        doc("not_affected", "2024-06-01T00:00:00Z").as_bytes(),
    )
    .unwrap();
    vex.add(
        "a.json",
        doc("under_investigation", "2024-05-01T00:00:00Z").as_bytes(),
    )
    .unwrap();
    let applied = vex.judge(&openssl(), &[image()]).unwrap();
    assert!(applied.suppresses);
    // An undated statement loses to a dated one.
    let undated = r#"{"vulnerability": "CVE-2024-0001", "products": ["pkg:oci/api"],
        "status": "affected"}"#
        .to_string();
    let dated = statement(r#"["pkg:oci/api"]"#, "fixed", "2020-01-01T00:00:00Z");
    let vex2 = self::vex(&[undated, dated]);
    assert!(vex2.judge(&openssl(), &[image()]).unwrap().suppresses);
}

#[test]
fn on_equal_timestamps_the_statement_that_suppresses_nothing_wins() {
    let at = "2024-01-01T00:00:00Z";
    let a = statement(r#"["pkg:oci/api"]"#, "not_affected", at);
    let b = statement(r#"["pkg:oci/api"]"#, "under_investigation", at);
    for order in [[&a, &b], [&b, &a]] {
        let vex = vex(&[order[0].clone(), order[1].clone()]);
        let applied = vex.judge(&openssl(), &[image()]).unwrap();
        assert!(!applied.suppresses);
    }
}

#[test]
fn a_finding_in_several_images_is_suppressed_only_where_every_one_is_covered() {
    let arm = ImageBuilder::new("payments/api")
        .digest(OTHER)
        .platform("linux/arm64")
        .build();
    let images = [image(), arm];
    let finding = FindingBuilder::new("CVE-2024-0001", Severity::High)
        .package("openssl", "3.0.11-1~deb12u2")
        .images([0, 1])
        .build();
    let one = vex(&[statement(
        &format!(r#"["pkg:oci/api@{DIGEST}"]"#),
        "not_affected",
        "2024-01-01T00:00:00Z",
    )]);
    let applied = one.judge(&finding, &images).unwrap();
    assert!(!applied.suppresses && applied.partial);
    let both = vex(&[statement(
        &format!(r#"["pkg:oci/api@{DIGEST}", "pkg:oci/api@{OTHER}"]"#),
        "not_affected",
        "2024-01-01T00:00:00Z",
    )]);
    let applied = both.judge(&finding, &images).unwrap();
    assert!(applied.suppresses && !applied.partial);
    // Suppressed in one image, affected in the other: not suppressed, the affected one shown.
    let mixed = vex(&[
        statement(
            &format!(r#"["pkg:oci/api@{DIGEST}"]"#),
            "not_affected",
            "2024-02-01T00:00:00Z",
        ),
        statement(
            &format!(r#"["pkg:oci/api@{OTHER}"]"#),
            "affected",
            "2024-01-01T00:00:00Z",
        ),
    ]);
    let applied = mixed.judge(&finding, &images).unwrap();
    assert!(!applied.suppresses && !applied.partial);
    assert_eq!(mixed.statements[applied.statement].status, Status::Affected);
}

#[test]
fn descriptions_cut_free_text_and_pick_the_status_s_own() {
    let vex = vex(&[
        r#"{"vulnerability": "CVE-1", "products": ["a"], "status": "not_affected",
            "justification": "vulnerable_code_not_present", "impact_statement": "abcdefghij",
            "action_statement": "never shown"}"#
            .to_string(),
        r#"{"vulnerability": "CVE-2", "products": ["a"], "status": "affected",
            "action_statement": "upgrade"}"#
            .to_string(),
        r#"{"vulnerability": "CVE-3", "products": ["a"], "status": "under_investigation",
            "status_notes": "looking"}"#
            .to_string(),
    ]);
    assert_eq!(
        vex.statements[0].describe(5),
        "not_affected (vulne…): abcde…"
    );
    assert_eq!(vex.statements[1].describe(50), "affected: upgrade");
    assert_eq!(
        vex.statements[2].describe(50),
        "under_investigation: looking"
    );
}

#[test]
fn documents_and_warnings_are_kept_for_reports() {
    let mut vex = Vex::default();
    assert!(vex.is_empty());
    vex.add(
        "one.json",
        br#"{"@id": "doc-1", "statements": [
            {"vulnerability": "CVE-1", "products": [{"@id": "pkg:deb/debian/curl",
              "subcomponents": ["pkg:deb/debian/openssl"]}], "status": "fixed"}]}"#,
    )
    .unwrap();
    assert!(!vex.is_empty());
    assert_eq!(vex.documents[0].file, "one.json");
    assert_eq!(vex.documents[0].id.as_deref(), Some("doc-1"));
    assert_eq!(vex.documents[0].statements, 1);
    assert!(
        vex.warnings
            .iter()
            .any(|w| w.contains("narrowed by subcomponents")),
        "{:?}",
        vex.warnings
    );
    // Images narrowed by subcomponents, and packages alone, are nothing to warn about.
    let mut plain = Vex::default();
    plain
        .add(
            "two.json",
            br#"{"statements": [
            {"vulnerability": "CVE-1", "products": [{"@id": "pkg:oci/app",
              "subcomponents": ["pkg:deb/debian/openssl"]}, "pkg:deb/debian/curl"],
              "status": "fixed"}]}"#,
        )
        .unwrap();
    assert!(plain.warnings.is_empty(), "{:?}", plain.warnings);
    // A document that cannot be used adds nothing.
    assert!(vex.add("bad.json", b"{").is_err());
    assert_eq!(vex.documents.len(), 1);
}

#[test]
fn a_tag_an_event_named_never_decides_coverage() {
    let mut from_event = image();
    from_event.tags_from_event = true;
    // The same statements cover the image whose tag the registry gave.
    assert!(suppresses(
        r#"["pkg:oci/api?tag=v1"]"#,
        &openssl(),
        &image()
    ));
    assert!(!suppresses(
        r#"["pkg:oci/api?tag=v1"]"#,
        &openssl(),
        &from_event
    ));
    // Without a tag the repository still names it; by digest always.
    assert!(suppresses(r#"["pkg:oci/api"]"#, &openssl(), &from_event));
    assert!(suppresses(
        &format!(r#"["pkg:oci/api@{}"]"#, DIGEST.replace(':', "%3A")),
        &openssl(),
        &from_event
    ));
}
