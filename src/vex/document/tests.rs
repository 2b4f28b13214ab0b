use super::*;

fn read(json: &str) -> Result<Document, VexError> {
    parse("doc.json", 0, json.as_bytes())
}

fn problems(json: &str) -> Vec<(String, String)> {
    match read(json) {
        Err(VexError::Invalid { problems, .. }) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_v0_2_0_document_is_read_with_every_field() {
    let doc = read(
        r#"{
          "@context": "https://openvex.dev/ns/v0.2.0",
          "@id": "https://openvex.dev/docs/example/vex-1",
          "author": "Team",
          "timestamp": "2023-01-08T18:02:03.647787998-06:00",
          "version": 1,
          "statements": [{
            "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
                              "name": "CVE-2021-44228", "aliases": ["GHSA-jfh8-c2jp-5v3q"]},
            "products": [{"@id": "pkg:oci/app@sha256%3Aabc",
                          "identifiers": {"purl": "pkg:oci/app?repository_url=x"},
                          "hashes": {"sha-256": "abc"},
                          "subcomponents": [{"@id": "pkg:deb/debian/openssl"}, "zlib", {}]}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "  not reachable  ",
            "status_notes": "checked"
          }]
        }"#,
    )
    .unwrap();
    assert_eq!(
        doc.id.as_deref(),
        Some("https://openvex.dev/docs/example/vex-1")
    );
    assert_eq!(
        doc.timestamp,
        Some("2023-01-09T00:02:03.647787998Z".parse().unwrap())
    );
    let s = &doc.statements[0];
    assert_eq!(s.status, Status::NotAffected);
    assert_eq!(s.vulnerability.name.as_deref(), Some("CVE-2021-44228"));
    assert_eq!(s.vulnerability.aliases, ["GHSA-jfh8-c2jp-5v3q"]);
    assert_eq!(
        s.products[0].ids,
        [
            "pkg:oci/app@sha256%3Aabc",
            "pkg:oci/app?repository_url=x",
            "sha256:abc"
        ]
    );
    assert_eq!(
        s.products[0].subcomponents,
        [
            vec!["pkg:deb/debian/openssl".to_string()],
            vec!["zlib".to_string()],
            Vec::new()
        ]
    );
    assert_eq!(s.impact_statement.as_deref(), Some("not reachable"));
    assert_eq!(s.status_notes.as_deref(), Some("checked"));
    assert_eq!(s.timestamp, doc.timestamp, "inherited from the document");
    assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
}

#[test]
fn the_v0_0_1_shape_is_read_too() {
    let doc = read(
        r#"{"@context": "https://openvex.dev/ns", "timestamp": "2022-12-22T16:36:43-05:00",
            "version": "1",
            "statements": [{"vulnerability": "CVE-1234-5678",
                            "products": ["pkg:oci/alpine@sha256%3Af271", "nginx"],
                            "subcomponents": ["pkg:apk/alpine/busybox"],
                            "status": "FIXED",
                            "timestamp": "2023-01-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    let s = &doc.statements[0];
    assert_eq!(s.status, Status::Fixed);
    assert_eq!(s.vulnerability.name.as_deref(), Some("CVE-1234-5678"));
    assert_eq!(s.products.len(), 2);
    for product in &s.products {
        assert_eq!(
            product.subcomponents,
            [vec!["pkg:apk/alpine/busybox".to_string()]]
        );
    }
    assert_eq!(s.timestamp, Some("2023-01-01T00:00:00Z".parse().unwrap()));
}

#[test]
fn an_in_toto_statement_s_subjects_stand_for_missing_products() {
    let doc = read(
        r#"{"_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://openvex.dev/ns/v0.2.0",
            "subject": [{"name": "ecr/app", "digest": {"sha256": "00ff"}}],
            "predicate": {"timestamp": "2024-05-01T00:00:00Z",
              "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "fixed"},
                             {"vulnerability": {"name": "CVE-2"}, "status": "fixed",
                              "products": [{"@id": "pkg:deb/debian/zlib"}]}]}}"#,
    )
    .unwrap();
    assert_eq!(doc.statements[0].products[0].ids, ["sha256:00ff"]);
    assert_eq!(doc.statements[1].products[0].ids, ["pkg:deb/debian/zlib"]);
}

#[test]
fn text_that_is_not_json_is_refused_with_its_line_and_column() {
    let error = read("{\n  \"statements\": [,]\n}").unwrap_err();
    match &error {
        VexError::NotJson { line, column, .. } => assert_eq!((*line, *column), (2, 18)),
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("doc.json") && text.contains("line 2"),
        "{text}"
    );
    assert!(matches!(read(""), Err(VexError::NotJson { .. })));
    assert!(matches!(
        read("{\"a\": 1} x"),
        Err(VexError::NotJson { .. })
    ));
}

#[test]
fn a_document_without_statements_is_refused() {
    for (json, location) in [
        ("[]", "the document"),
        ("\"x\"", "the document"),
        ("{}", "the document"),
        (
            r#"{"bomFormat": "CycloneDX", "vulnerabilities": []}"#,
            "the document",
        ),
        (r#"{"statements": []}"#, "statements"),
        (r#"{"statements": {}}"#, "statements"),
        (r#"{"statements": null}"#, "statements"),
        (
            r#"{"predicate": {"statements": []}}"#,
            "predicate.statements",
        ),
    ] {
        let found = problems(json);
        assert_eq!(found.len(), 1, "{json}: {found:?}");
        assert_eq!(found[0].0, location, "{json}");
    }
}

#[test]
fn unknown_statuses_are_refused_at_their_location() {
    let found = problems(
        r#"{"statements": [
            {"vulnerability": "CVE-1", "products": ["a"], "status": "fixed"},
            {"vulnerability": "CVE-2", "products": ["a"], "status": "not affected"},
            {"vulnerability": "CVE-3", "products": ["a"]},
            {"vulnerability": "CVE-4", "products": ["a"], "status": 3},
            "not a statement"
        ]}"#,
    );
    let at: Vec<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
    assert_eq!(
        at,
        [
            "statements[1].status",
            "statements[2].status",
            "statements[3].status",
            "statements[4]"
        ]
    );
    assert!(found[0].1.contains("`not affected`"), "{found:?}");
    assert!(found[0].1.contains("under_investigation"), "{found:?}");
}

#[test]
fn not_affected_needs_a_justification_or_an_impact_statement() {
    let statement = |extra: &str| {
        format!(
            r#"{{"statements": [{{"vulnerability": "CVE-1", "products": ["a"],
                "status": "not_affected"{extra}}}]}}"#
        )
    };
    let found = problems(&statement(""));
    assert_eq!(found[0].0, "statements[0]");
    assert!(found[0].1.contains("justification"), "{found:?}");
    assert_eq!(problems(&statement(r#", "justification": "  ""#)).len(), 1);
    assert!(read(&statement(r#", "justification": "component_not_present""#)).is_ok());
    assert!(read(&statement(r#", "impact_statement": "unused""#)).is_ok());
    // An unknown justification label is kept as it is: the specification's list may grow.
    assert!(read(&statement(r#", "justification": "our_own_label""#)).is_ok());
}

#[test]
fn every_problem_is_listed_and_long_lists_are_counted() {
    let statements: Vec<String> = (0..25)
        .map(|n| format!(r#"{{"vulnerability": "CVE-{n}", "status": "bogus"}}"#))
        .collect();
    let error = read(&format!(r#"{{"statements": [{}]}}"#, statements.join(","))).unwrap_err();
    let VexError::Invalid { problems, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(problems.len(), 25);
    let text = error.to_string();
    assert!(text.contains("statements[19].status"), "{text}");
    assert!(!text.contains("statements[20].status"), "{text}");
    assert!(text.contains("and 5 more problem(s)"), "{text}");
}

#[test]
fn echoed_document_text_is_one_short_line() {
    let long = format!("a\nb{}", "x".repeat(500));
    let found = problems(&format!(
        r#"{{"statements": [{{"vulnerability": "CVE-1", "status": {}}}]}}"#,
        serde_json::to_string(&long).unwrap()
    ));
    assert!(!found[0].1.contains('\n'), "{found:?}");
    assert!(found[0].1.len() < 200, "{found:?}");
}

#[test]
fn odd_optional_fields_are_taken_leniently_with_warnings() {
    let doc = read(
        r#"{"timestamp": "yesterday", "version": "one", "author": 7,
            "statements": [
              {"vulnerability": {"name": 5}, "products": ["a"], "status": "affected"},
              {"vulnerability": "CVE-2", "status": "under_investigation", "timestamp": 17},
              {"vulnerability": "CVE-3", "products": [{"hashes": {"md5": "x"}}], "status": "fixed",
               "timestamp": "2024-03-01"},
              {"vulnerability": {"aliases": "GHSA-x"}, "products": "a", "status": "fixed",
               "timestamp": "2024-03-01T10:00:00"}
            ]}"#,
    )
    .unwrap();
    assert_eq!(doc.timestamp, None);
    assert_eq!(doc.statements.len(), 4);
    assert_eq!(doc.statements[1].timestamp, None);
    assert_eq!(
        doc.statements[2].timestamp,
        Some("2024-03-01T00:00:00Z".parse().unwrap())
    );
    assert_eq!(
        doc.statements[3].timestamp,
        Some("2024-03-01T10:00:00Z".parse().unwrap())
    );
    assert_eq!(doc.statements[3].vulnerability.aliases, ["GHSA-x"]);
    let warnings = doc.warnings.join("\n");
    assert!(warnings.contains("timestamp `yesterday`"), "{warnings}");
    assert!(
        warnings.contains("statements[0] names no vulnerability"),
        "{warnings}"
    );
    assert!(
        warnings.contains("statements[1] names no product"),
        "{warnings}"
    );
    assert!(
        warnings.contains("statements[2] names no product"),
        "{warnings}"
    );
    assert!(
        warnings.contains("statements[3] names no product"),
        "{warnings}"
    );
}
