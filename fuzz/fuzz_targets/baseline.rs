//! Fuzzes the reader of baseline files (a JSON report of this tool, or saved
//! `describe-image-scan-findings` output), then compares a fixed pull-request scan with whatever it
//! accepts, under `scope = "new"`, and renders every report of the verdict.

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::LazyLock;

use ecr_scan_gate::baseline::{self, Baseline, Change, Read};
use ecr_scan_gate::ecr::saved;
use ecr_scan_gate::findings::{ScanSet, merge};
use ecr_scan_gate::policy::{self, Policy};
use ecr_scan_gate::run::Conclusion;
use libfuzzer_sys::fuzz_target;

/// The scan compared with the baseline: the bundled example (257 findings, one image).
static PULL_REQUEST: LazyLock<ScanSet> = LazyLock::new(|| {
    let bytes = include_bytes!("../../examples/debian10-bff-version.json");
    let saved = saved::parse(bytes).expect("the example parses");
    merge(vec![saved.scan])
});

static NEW_ONLY: LazyLock<Policy> = LazyLock::new(|| {
    policy::parse(
        "new.toml",
        "[gate]\nscope = \"new\"\nonly-exploitable = true\n[gate.max]\nhigh = 1\n",
    )
    .expect("the fixed policy parses")
});

fuzz_target!(|data: &[u8]| {
    let scans = match baseline::read(data) {
        Ok(Read::Report(scans)) => scans,
        Ok(Read::Saved(saved)) => vec![saved.scan],
        Err(error) => {
            let _ = ecr_scan_gate::error_chain(&error);
            return;
        }
    };
    let base = Baseline::new("fuzz.json".into(), scans);
    common::check_set(&base.set);
    let set = &*PULL_REQUEST;
    for all_new in [false, true] {
        let Ok(delta) = baseline::compare(set, &base, all_new) else {
            assert!(!all_new, "all-new always compares");
            continue;
        };
        assert_eq!(
            delta.findings.len(),
            set.findings.len(),
            "one change per finding"
        );
        for (finding, change) in set.findings.iter().zip(&delta.findings) {
            assert_eq!(change.per_image.len(), finding.images.len());
            assert_eq!(
                change.change == Change::New,
                change.per_image.contains(&Change::New),
                "new overall exactly when new in some image"
            );
        }
        let counts = delta.counts(set);
        assert_eq!(
            counts.new.total + counts.unchanged.total,
            set.findings.len()
        );
        assert_eq!(counts.fixed.total, delta.fixed.len());
        let verdict = policy::evaluate_against(set, &NEW_ONLY, common::today(), Some(delta));
        for (state, change) in verdict.states.iter().zip(
            verdict
                .baseline
                .as_ref()
                .expect("the delta is kept")
                .findings
                .iter(),
        ) {
            if matches!(state, policy::FindingState::Violating(_)) {
                assert_eq!(change.change, Change::New, "only new findings violate");
            }
        }
        common::render_all(set, &NEW_ONLY, || Conclusion::Verdict(verdict.clone()));
    }
});
