//! Fuzzes the policy file reader, then evaluates whatever it accepts against fixed scans and renders
//! every report (ignore ids, reasons, packages and repository filters are policy text that reaches
//! the reports).

#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::LazyLock;

use ecr_scan_gate::ecr::saved;
use ecr_scan_gate::findings::{ScanSet, merge};
use ecr_scan_gate::policy::{self, Overrides};
use libfuzzer_sys::fuzz_target;

/// Two platforms of one tag, a basic scan and the hostile-text fixture, merged once.
static SET: LazyLock<ScanSet> = LazyLock::new(|| {
    let files: [&[u8]; 4] = [
        include_bytes!("../seeds/findings/enhanced-linux-amd64.json"),
        include_bytes!("../seeds/findings/enhanced-linux-arm64.json"),
        include_bytes!("../seeds/findings/basic-cvss3-epoch.json"),
        include_bytes!("../seeds/findings/hostile.json"),
    ];
    merge(
        files
            .iter()
            .map(|bytes| saved::parse(bytes).expect("seed scan parses").scan)
            .collect(),
    )
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = match policy::parse("fuzz.toml", text) {
        Ok(policy) => policy,
        Err(error) => {
            // The message lists every problem with its line: building it must not panic either.
            let _ = error.to_string();
            return;
        }
    };
    let verdict = common::evaluate_and_render(&SET, &policy);

    // Command-line overrides on top: an --ignore of every id the file ignores (no expiry, no scope).
    let overrides = Overrides {
        fail_on: Some(None),
        only_fixed: Some(!policy.only_fixed),
        min_score: None,
        only_exploitable: None,
        scope: None,
        ignore_ids: policy.ignores.iter().map(|i| i.id.clone()).collect(),
    };
    let overridden = policy.clone().with_overrides(&overrides);
    let again = common::evaluate_and_render(&SET, &overridden);
    // Everything an unscoped, unexpiring ignore of the same id covers stays covered.
    assert!(
        again.ignored_count() >= verdict.ignored_count(),
        "adding --ignore for the file's ids can only ignore more"
    );
});
