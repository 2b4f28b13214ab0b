use serde_json::json;

use super::*;

fn public(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/ecr-public/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn complete(bytes: &[u8]) -> ScanEvent {
    match parse(bytes) {
        Ok(Parsed::Complete(event)) => event,
        other => panic!("{other:?}"),
    }
}

fn refused(bytes: &[u8]) -> String {
    match parse(bytes) {
        Err(error) => error.to_string(),
        other => panic!("accepted: {other:?}"),
    }
}

#[test]
fn public_basic_events_name_their_image() {
    let event = complete(&public(
        "ecr-image-scan-basic-ecr-scan-collector-testdata-two-tags.json",
    ));
    assert_eq!(event.scan_type, ScanType::Basic);
    assert_eq!(event.kind(), "ECR Image Scan");
    assert_eq!(event.scan_status, "COMPLETE");
    assert_eq!(event.registry_id, "123456789012");
    assert_eq!(event.region, "eu-west-1");
    assert_eq!(event.repository, "my-shiny-repo");
    assert_eq!(
        event.digest.as_str(),
        "sha256:6a5a5368e0c2d3e5909184129962d126c0f20ce69b335531f30a6b760cdcf60b"
    );
    assert_eq!(event.tags, ["latest", "stable.20240930223648"]);
    assert_eq!(event.counts.as_ref().unwrap()["HIGH"], 16);
    assert_eq!(event.time.as_deref(), Some("2024-09-30T22:36:48Z"));
    assert!(event.via.is_empty());
    let image = event.image();
    assert_eq!(image.tag, None, "tags never find the image");
    assert_eq!(image.digest.as_ref(), Some(&event.digest));
    assert_eq!(image.region.as_deref(), Some("eu-west-1"));

    // The duplicated key keeps the last value, as EventBridge's JSON readers do.
    let duplicate = complete(&public(
        "ecr-image-scan-basic-ecr-scan-notifier-readme-duplicate-HIGH-key.json",
    ));
    assert_eq!(duplicate.counts.unwrap()["HIGH"], 2);
    let zero = complete(&public(
        "ecr-image-scan-basic-aws-lambda-go-testdata-zero-counts.json",
    ));
    assert_eq!(zero.repository, "tribble-image-scan-test");
    assert_eq!(zero.region, "eu-north-1");
}

#[test]
fn inspector2_events_take_registry_and_region_from_the_repository_arn() {
    let event = complete(&public(
        "inspector2-scan-ecr-ecr-scan-notifier-readme-total-exceeds-listed.json",
    ));
    assert_eq!(event.scan_type, ScanType::Enhanced);
    assert_eq!(event.kind(), "Inspector2 Scan");
    assert_eq!(event.repository, "azure-agent");
    assert_eq!(event.registry_id, "520666953574");
    assert_eq!(event.region, "eu-central-1");
    assert_eq!(event.tags, ["latest", "5715"]);
    assert_eq!(event.counts.unwrap()["TOTAL"], 10);

    // The ARN decides even when the envelope names another account (a delegated administrator).
    let mut value: Value = serde_json::from_slice(&public(
        "inspector2-scan-ecr-initial-scan-complete-awsdocs-inspector-guide-2023-total0.json",
    ))
    .unwrap();
    value["account"] = json!("999999999999");
    value["region"] = json!("eu-west-3");
    value["detail"]["repository-name"] =
        json!("arn:aws-cn:ecr:cn-north-1:111122223333:repository/team/app");
    let event = complete(value.to_string().as_bytes());
    assert_eq!(
        (
            event.registry_id.as_str(),
            event.region.as_str(),
            event.repository.as_str()
        ),
        ("111122223333", "cn-north-1", "team/app")
    );
}

#[test]
fn placeholders_and_example_digests_are_refused_before_any_call() {
    let error = refused(&public(
        "inspector2-scan-ecr-aws-workshop-vulhub-rsync-placeholder-account.json",
    ));
    assert!(
        error.contains("`<account id>` is not a 12-digit AWS account id"),
        "{error}"
    );
    let error = refused(&public(
        "inspector2-scan-ecr-initial-scan-complete-awsdocs-2021-total158.json",
    ));
    assert!(
        error.contains("`detail.image-digest` is not usable"),
        "{error}"
    );
    let error = refused(&public(
        "ecr-image-scan-basic-compose-x-sample-event-key-22-typo.json",
    ));
    assert!(
        error.contains("`detail.image-digest` is missing"),
        "{error}"
    );
    let error = refused(&public(
        "ecr-image-scan-basic-awsdocs-critical10-medium9.json",
    ));
    assert!(error.contains("64 lowercase hex"), "{error}");
}

#[test]
fn a_failed_scan_is_its_own_outcome_even_with_an_odd_digest() {
    let parsed = parse(&public(
        "ecr-image-scan-basic-compose-x-failed-no-counts.json",
    ))
    .unwrap();
    let Parsed::Failed(failed) = parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(failed.scan_status, "FAILED");
    assert_eq!(failed.kind(), "ECR Image Scan");
    assert_eq!(
        failed.image,
        "my-repository-name@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"
    );
    let mut value: Value = serde_json::from_slice(&public(
        "inspector2-scan-ecr-ecr-scan-notifier-readme-total-exceeds-listed.json",
    ))
    .unwrap();
    value["detail"]["scan-status"] = json!("SCAN_FAILED");
    value["detail"]
        .as_object_mut()
        .unwrap()
        .remove("image-digest");
    let Ok(Parsed::Failed(failed)) = parse(value.to_string().as_bytes()) else {
        panic!()
    };
    assert_eq!(failed.kind(), "Inspector2 Scan");
    assert!(failed.image.ends_with("repository/azure-agent"));
}

#[test]
fn wrapped_events_are_unwrapped_from_dispatch_payloads_and_sns() {
    let raw: Value = serde_json::from_slice(&public(
        "ecr-image-scan-basic-compose-x-checkmarx-20-findings.json",
    ))
    .unwrap();
    let expected = complete(raw.to_string().as_bytes());
    let mut with_bom = b"\xef\xbb\xbf".to_vec();
    with_bom.extend(raw.to_string().as_bytes());
    assert_eq!(complete(&with_bom), expected);
    let dispatch =
        json!({"action": "ecr-scan", "client_payload": raw, "repository": {}, "sender": {}});
    let nested = json!({"action": "ecr-scan", "client_payload": {"event": raw, "note": "x"}});
    let text = json!({"client_payload": {"event": raw.to_string()}});
    let sns = json!({"Type": "Notification", "MessageId": "1", "Message": raw.to_string()});
    for (wrapped, via) in [
        (dispatch, vec![Wrapper::ClientPayload]),
        (nested, vec![Wrapper::ClientPayload, Wrapper::Event]),
        (text, vec![Wrapper::ClientPayload, Wrapper::Event]),
        (sns, vec![Wrapper::SnsMessage]),
    ] {
        let event = complete(wrapped.to_string().as_bytes());
        assert_eq!(event.via, via);
        assert_eq!(
            ScanEvent {
                via: Vec::new(),
                ..event
            },
            expected
        );
    }
    // `event` is only looked for inside a client_payload.
    let error = refused(json!({"event": raw}).to_string().as_bytes());
    assert!(error.contains("is not an EventBridge event"), "{error}");
    let error = refused(
        json!({"client_payload": {"other": 1}})
            .to_string()
            .as_bytes(),
    );
    assert!(
        error.starts_with("client_payload: is not an EventBridge event"),
        "{error}"
    );
    // Wrappers nest a bounded number of times.
    let mut deep = json!({"client_payload": raw});
    for _ in 0..MAX_WRAPPERS {
        deep = json!({"client_payload": deep});
    }
    assert!(refused(deep.to_string().as_bytes()).contains("not an EventBridge event"));
}

#[test]
fn foreign_events_say_what_they_are_and_what_was_expected() {
    for (name, what) in [
        (
            "inspector2-finding-ecr-awsdocs-2021-libssh2.json",
            "a finding event",
        ),
        (
            "inspector2-finding-ecr-awsdocs-inspector-guide-2024-openssl-arm64.json",
            "a finding event",
        ),
        (
            "inspector-scan-ecr-awsdocs-2021-11-preview-schema.json",
            "2021 preview of Amazon Inspector",
        ),
        (
            "inspector-finding-ecr-awsdocs-2021-11-preview-flat-schema.json",
            "2021 preview",
        ),
        (
            "ecr-scan-resource-change-enhanced-awsdocs-3-repos.json",
            "an event `ECR Scan Resource Change` (source aws.ecr)",
        ),
    ] {
        let error = refused(&public(name));
        assert!(error.contains(what), "{name}: {error}");
        assert!(
            error.contains("expected an `ECR Image Scan` event"),
            "{error}"
        );
    }
    let ec2 = json!({"source": "aws.inspector2", "detail-type": "Inspector2 Scan",
        "resources": ["i-087d63509b8c97098"],
        "detail": {"scan-status": "INITIAL_SCAN_COMPLETE", "instance-id": "i-087d63509b8c97098",
                   "finding-severity-counts": {"CRITICAL": 1, "TOTAL": 1}}});
    assert!(
        refused(ec2.to_string().as_bytes()).contains("of an EC2 instance, not of an ECR image")
    );
    for resource in [
        "i-087d63509b8c97098",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    ] {
        let ec2 = json!({"source": "aws.inspector2", "detail-type": "Inspector2 Scan",
            "resources": [resource], "detail": {"scan-status": "INITIAL_SCAN_COMPLETE"}});
        let error = refused(ec2.to_string().as_bytes());
        assert!(error.contains("of an EC2 instance"), "{resource}: {error}");
    }
    let other = json!({"source": "aws.inspector2", "detail-type": "Inspector2 Scan",
        "detail": {"scan-status": "INITIAL_SCAN_COMPLETE"}});
    let error = refused(other.to_string().as_bytes());
    assert!(
        error.contains("a resource that is not an ECR image"),
        "{error}"
    );
    let lambda = json!({"source": "aws.inspector2", "detail-type": "Inspector2 Scan",
        "resources": ["arn:aws:lambda:us-east-1:111122223333:function:f"],
        "detail": {"scan-status": "INITIAL_SCAN_COMPLETE"}});
    assert!(refused(lambda.to_string().as_bytes()).contains("a Lambda function"));
    for bad in [&b"not json"[..], b"[]", b"{}", b"null", b"\xff\xfe"] {
        let error = refused(bad);
        assert!(
            error.contains("expected an `ECR Image Scan` event"),
            "{error}"
        );
    }
    let error = refused(b"{\"source\": ");
    assert!(error.starts_with("is not JSON (line 1, column"), "{error}");
}

#[test]
fn every_field_that_reaches_aws_is_checked() {
    let base: Value = serde_json::from_slice(&public(
        "ecr-image-scan-basic-compose-x-checkmarx-20-findings.json",
    ))
    .unwrap();
    let with = |pointer: &str, value: Value| {
        let mut event = base.clone();
        *event.pointer_mut(pointer).unwrap() = value;
        refused(event.to_string().as_bytes())
    };
    for (pointer, value, problem) in [
        (
            "/region",
            json!("evil.example/x"),
            "`region` `evil.example/x` is not an AWS region",
        ),
        ("/region", json!("us-east-1."), "is not an AWS region"),
        ("/region", json!(7), "`` is not an AWS region"),
        (
            "/account",
            json!("12345678901"),
            "is not a 12-digit AWS account id",
        ),
        (
            "/detail/repository-name",
            json!("Team/App"),
            "is not an ECR repository name",
        ),
        (
            "/detail/repository-name",
            json!("123456789012.dkr.ecr.us-east-1.amazonaws.com/app"),
            "is not an ECR repository name",
        ),
        (
            "/detail/repository-name",
            json!(""),
            "`detail.repository-name` is missing",
        ),
        (
            "/detail/repository-name",
            json!("arn:aws:ecr:us-east-1:123456789012:image/app"),
            "is not an ECR repository ARN",
        ),
        ("/detail/image-digest", json!("sha256:ABC"), "is not usable"),
        ("/detail/image-digest", json!("sha512:00"), "is not usable"),
        (
            "/detail/scan-status",
            json!("IN_PROGRESS"),
            "is `IN_PROGRESS`, not a finished scan",
        ),
        (
            "/detail/scan-status",
            json!(null),
            "`detail.scan-status` is missing",
        ),
        ("/detail", json!([]), "`detail` is missing or not an object"),
    ] {
        let error = with(pointer, value);
        assert!(error.contains(problem), "{pointer}: {error}");
    }
    assert!(is_region("us-gov-west-1") && is_region("ap-southeast-2") && is_region("il-central-1"));
    assert!(!is_region("us-east") && !is_region("-east-1") && !is_region("us--1"));
}

#[test]
fn tags_are_kept_as_sent_but_bounded() {
    let mut event: Value = serde_json::from_slice(&public(
        "ecr-image-scan-basic-compose-x-checkmarx-20-findings.json",
    ))
    .unwrap();
    let many: Vec<Value> = (0..150).map(|n| json!(format!("t{n}"))).collect();
    let mut tags = vec![
        json!(""),
        json!(3),
        json!("x".repeat(129)),
        json!("::warning::x"),
    ];
    tags.extend(many);
    event["detail"]["image-tags"] = Value::Array(tags);
    let event = complete(event.to_string().as_bytes());
    assert_eq!(event.tags.len(), MAX_TAGS);
    assert_eq!(
        event.tags[0], "::warning::x",
        "reports escape it; it is only reported"
    );
}
