//! `doctor` end to end against the scripted ECR stand-in ([`crate::ecr_stub`]): what ECR answers is
//! printed to stdout, where the Actions runner reads workflow commands, so it is printed neutralised.

use crate::ecr_stub::{Action, EcrStub, registry_scanning, rule};
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
