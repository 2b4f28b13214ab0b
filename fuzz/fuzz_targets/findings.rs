//! Fuzzes the reader of saved `aws ecr describe-image-scan-findings` JSON, then drives whatever it
//! accepts through merge, evaluate and every report renderer.

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::LazyLock;

use ecr_scan_gate::ecr::saved;
use ecr_scan_gate::findings::merge;
use ecr_scan_gate::policy::{self, Policy};
use ecr_scan_gate::run::{Conclusion, Incomplete, Reason};
use libfuzzer_sys::fuzz_target;

/// A policy that reaches the branches the default does not: allowances, min-score, only-fixed,
/// informational threshold and ignores (scoped and expired).
static STRICT: LazyLock<Policy> = LazyLock::new(|| {
    policy::parse(
        "strict.toml",
        r#"
[gate]
fail-on = "informational"
only-fixed = true
min-score = 4.0
[gate.max]
high = 1
low = 0

[[ignore]]
id = "CVE-2026-0001"
reason = "fuzz"
expires = "2099-12-31"
repository = "*/*"

[[ignore]]
id = "cve-2021-3177"
reason = "fuzz, expired"
expires = 2021-06-30
package = "python2.7"
"#,
    )
    .expect("the fixed strict policy parses")
});

fuzz_target!(|data: &[u8]| {
    let Ok(saved) = saved::parse(data) else {
        return;
    };
    let scan = saved.scan;

    // As the brief and the app do: one image, the default policy.
    let set = merge(vec![scan.clone()]);
    common::evaluate_and_render(&set, &Policy::default());
    match &saved.usable {
        Ok(()) => {}
        Err(reason) => {
            let image = Incomplete {
                image: Some(scan.image.label()),
                reason: Reason::Unusable(reason.clone()),
            };
            common::render_all(&set, &Policy::default(), || {
                Conclusion::Incomplete(vec![image.clone()])
            });
        }
    }
    common::render_all(&set, &Policy::default(), || {
        Conclusion::Error(vec![Box::new(common::FuzzError)])
    });

    // The same scan twice (two platforms of one tag): every finding merges with its twin.
    let mut twin = scan.clone();
    twin.image.platform = Some("linux/arm64".into());
    let merged = merge(vec![scan, twin]);
    assert_eq!(
        merged.findings.len(),
        set.findings.len(),
        "a twin adds no findings"
    );
    common::evaluate_and_render(&merged, &STRICT);
});
