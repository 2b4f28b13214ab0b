//! Properties of the purl parser and the document reader on arbitrary input: purls built from any
//! parts, percent-encoded, parse back to those parts; no text or document makes either panic; a
//! finding is suppressed only by a statement whose status suppresses.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::Vex;
use super::purl::Purl;
use crate::findings::Severity;
use crate::findings::testing::{FindingBuilder, ImageBuilder};

/// Every byte outside the unreserved set percent-encoded.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A segment: any text but empty, `.` and `..` (which the specification drops).
fn segment() -> impl Strategy<Value = String> {
    "(?s).{1,12}".prop_filter("not . or ..", |s| s != "." && s != "..")
}

proptest! {
    #[test]
    fn encoded_parts_parse_back(
        kind in "[a-z][a-z0-9.+-]{0,8}",
        namespace in proptest::collection::vec(segment(), 0..3),
        name in segment().prop_filter("not blank", |s| !s.trim().is_empty()),
        version in proptest::option::of("(?s).{1,16}"),
        qualifiers in proptest::collection::btree_map("[a-z][a-z0-9._-]{0,8}", "(?s).{1,12}", 0..4),
        subpath in proptest::collection::vec(segment(), 0..3),
    ) {
        let mut text = format!("pkg:{kind}/");
        for part in &namespace {
            text.push_str(&encode(part));
            text.push('/');
        }
        text.push_str(&encode(&name));
        if let Some(version) = &version {
            text.push('@');
            text.push_str(&encode(version));
        }
        if !qualifiers.is_empty() {
            let pairs: Vec<String> =
                qualifiers.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
            text.push('?');
            text.push_str(&pairs.join("&"));
        }
        if !subpath.is_empty() {
            let parts: Vec<String> = subpath.iter().map(|s| encode(s)).collect();
            text.push('#');
            text.push_str(&parts.join("/"));
        }
        let purl = Purl::parse(&text).expect("a purl");
        prop_assert_eq!(&purl.kind, &kind);
        prop_assert_eq!(purl.namespace, (!namespace.is_empty()).then(|| namespace.join("/")));
        prop_assert_eq!(&purl.name, &name);
        prop_assert_eq!(purl.version, version);
        prop_assert_eq!(purl.qualifiers, qualifiers);
        prop_assert_eq!(purl.subpath, (!subpath.is_empty()).then(|| subpath.join("/")));
    }

    #[test]
    fn no_text_makes_the_purl_parser_panic(text in "(?s).{0,80}") {
        let _ = Purl::parse(&text);
        let _ = Purl::parse(&format!("pkg:{text}"));
    }

    #[test]
    fn no_bytes_make_the_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Vex::default().add("fuzz.json", &bytes);
    }

    #[test]
    fn only_suppressing_statuses_suppress(statements in proptest::collection::vec(statement(), 1..6)) {
        let mut vex = Vex::default();
        let text = json!({"statements": statements}).to_string();
        let Ok(()) = vex.add("p.json", text.as_bytes()) else {
            return Ok(());
        };
        let images = [ImageBuilder::new("team/app")
            .digest(format!("sha256:{}", "1".repeat(64)))
            .tag("v1")
            .build()];
        for id in ["CVE-1", "CVE-2"] {
            let finding = FindingBuilder::new(id, Severity::High)
                .package("openssl", "3.0.1")
                .build();
            if let Some(applied) = vex.judge(&finding, &images) {
                let status = vex.statements[applied.statement].status;
                prop_assert_eq!(applied.suppresses, status.suppresses() && !applied.partial);
            }
        }
    }
}

/// A statement from the pieces real documents use, with odd values mixed in.
fn statement() -> impl Strategy<Value = Value> {
    let vulnerability = prop_oneof![
        Just(json!("CVE-1")),
        Just(json!({"name": "cve-2"})),
        Just(json!({"@id": "https://nvd.nist.gov/vuln/detail/CVE-1", "aliases": ["CVE-2"]})),
        Just(json!(null)),
        Just(json!(7)),
    ];
    let product = prop_oneof![
        Just(json!("pkg:oci/app")),
        Just(json!({"@id": format!("pkg:oci/app@sha256%3A{}", "1".repeat(64))})),
        Just(json!({"@id": "team/app:v1", "subcomponents": ["pkg:deb/debian/openssl@3.0.1", {}]})),
        Just(json!("pkg:deb/debian/openssl")),
        Just(json!({"identifiers": {"purl": "pkg:npm/openssl"}})),
        "(?s).{0,20}".prop_map(Value::String),
    ];
    let status = prop_oneof![
        Just("not_affected"),
        Just("affected"),
        Just("fixed"),
        Just("under_investigation"),
    ];
    let timestamp = prop_oneof![
        Just(Value::Null),
        Just(json!("2026-01-01T00:00:00Z")),
        Just(json!("2026-01-02T00:00:00+05:00")),
        Just(json!("soon")),
    ];
    (
        vulnerability,
        proptest::collection::vec(product, 0..3),
        status,
        timestamp,
    )
        .prop_map(|(vulnerability, products, status, timestamp)| {
            json!({
                "vulnerability": vulnerability,
                "products": products,
                "status": status,
                "justification": "component_not_present",
                "timestamp": timestamp
            })
        })
}
