//! `doctor` end to end against the scripted ECR stand-in ([`crate::ecr_stub`]): what ECR answers is
//! printed to stdout, where the Actions runner reads workflow commands, so it is printed neutralised;
//! under enhanced scanning it checks `inspector2:ListFindings` too (through `DescribeImageScanFindings`,
//! which reads Inspector's findings as the caller).

use crate::ecr_stub::{
    Action, EcrStub, Flavour, Manifest, ScanPage, authorization_token, batch_get_image,
    enhanced_finding, image_manifest, registry_scanning, rule,
};
use crate::support::Gate;

#[test]
fn registry_filters_from_ecr_cannot_print_workflow_commands() {
    let stub = EcrStub::start();
    stub.on(
        "GetRegistryScanningConfiguration",
        vec![Action::json(registry_scanning(
            "BASIC",
            vec![rule(
                "SCAN_ON_PUSH",
                &["team*\n::add-mask::x\n##[error]y\r::error::z", "a\u{202e}b"],
            )],
        ))],
    );
    let run = Gate::doctor("team/app").stub(&stub).run();
    // The permission checks meet unscripted operations: unhealthy.
    run.expect(2);
    let stdout = &run.stdout;
    assert!(
        stdout.contains("rule:         SCAN_ON_PUSH for filters"),
        "{stdout}"
    );
    assert!(stdout.contains("coverage:"), "{stdout}");
    for line in stdout.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "command line {line:?}"
        );
        assert!(!line.contains("##["), "legacy command in {line:?}");
        assert!(!line.contains(['\r', '\u{202e}']), "{line:?}");
    }
}

// ---- enhanced scanning: inspector2:ListFindings ----

/// What ECR answers `DescribeImageScanFindings` when Amazon Inspector refuses the caller.
fn inspector_denied() -> Action {
    Action::error(
        400,
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/ecr-scan-gate/GitHubActions is not authorized to \
         perform: inspector2:ListFindings on resource: arn:aws:inspector2:us-east-1:123456789012:/findings/list \
         because no identity-based policy allows the inspector2:ListFindings action",
    )
}

/// An enhanced registry holding `team/app:v1`, the calls doctor makes that are not under test allowed.
fn enhanced_registry(describe: Action) -> (EcrStub, Manifest) {
    let stub = EcrStub::start();
    let manifest = image_manifest(Flavour::Oci, "doctor");
    stub.on(
        "GetRegistryScanningConfiguration",
        vec![Action::json(registry_scanning(
            "ENHANCED",
            vec![rule("CONTINUOUS_SCAN", &["*"])],
        ))],
    );
    stub.on(
        "BatchGetImage",
        vec![Action::json(batch_get_image(
            "team/app",
            Some("v1"),
            &manifest,
        ))],
    );
    stub.on(
        "GetAuthorizationToken",
        vec![Action::json(authorization_token(
            "password",
            "https://127.0.0.1:9",
        ))],
    );
    stub.on("DescribeImageScanFindings", vec![describe]);
    (stub, manifest)
}

#[test]
fn doctor_names_a_missing_inspector_permission_under_enhanced_scanning() {
    let (stub, _) = enhanced_registry(inspector_denied());
    let run = Gate::doctor("team/app:v1").stub(&stub).run();
    run.expect(2);
    let stdout = &run.stdout;
    assert!(
        stdout.contains("  DENIED  inspector2:ListFindings: AccessDeniedException: User:"),
        "{stdout}"
    );
    // ECR's own permission was granted: the refusal is Inspector's.
    assert!(
        stdout.contains(
            "  ok      ecr:DescribeImageScanFindings: allowed (ECR asked Amazon Inspector"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("scan type:    ENHANCED"), "{stdout}");
    assert!(
        stdout.contains("  inspector2:ListFindings: enhanced scanning only"),
        "listed among the actions the gate needs: {stdout}"
    );
}

#[test]
fn doctor_confirms_the_inspector_permission_when_enhanced_findings_come_back() {
    let digest = image_manifest(Flavour::Oci, "doctor").digest;
    let page = ScanPage::new("team/app", &digest, "ACTIVE")
        .enhanced(vec![enhanced_finding(
            "CVE-2023-4911",
            "MEDIUM",
            5.5,
            "glibc",
            &digest,
            "team/app",
        )])
        .counts(&[("MEDIUM", 1)]);
    let (stub, _) = enhanced_registry(page.action());
    let run = Gate::doctor("team/app:v1").stub(&stub).run();
    run.expect(0);
    assert!(
        run.stdout
            .contains("  ok      inspector2:ListFindings: allowed (enhanced findings read)"),
        "{}",
        run.stdout
    );
}

#[test]
fn doctor_says_when_the_inspector_permission_could_not_be_checked() {
    let (stub, _) = enhanced_registry(Action::scan_not_found("team/app", "sha256:00"));
    let run = Gate::doctor("team/app:v1").stub(&stub).run();
    run.expect(0);
    assert!(
        run.stdout
            .contains("(inspector2:ListFindings is not checked: there is no enhanced scan"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("ok      inspector2"), "{}", run.stdout);
}

#[test]
fn a_scan_refused_by_inspector_is_exit_2_with_a_hint_naming_the_permission() {
    let (stub, _) = enhanced_registry(inspector_denied());
    let run = Gate::scan("team/app:v1").stub(&stub).run();
    run.expect(2);
    run.assert_stderr("not authorized to perform: inspector2:ListFindings");
    run.assert_stderr("hint: under enhanced scanning ECR reads the findings from Amazon Inspector");
    assert_eq!(
        stub.count("DescribeImageScanFindings"),
        1,
        "{:?}",
        stub.operations()
    );
}
