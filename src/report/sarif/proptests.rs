//! Arbitrary findings, images and vendor text: the document stays valid SARIF within GitHub's limits,
//! and no finding of a kept image is lost below the limits.

use proptest::prelude::*;

use super::limits::MAX_RUNS;
use super::tests::{assert_within_limits, checked, image, render};
use crate::findings::{Finding, Image, Package, ScanSet, Severity};
use crate::policy::Policy;

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._-]{0,12}",
        "(?s).{0,40}",
        Just("::error::x\n@octocat <b>`x`</b>\u{202E}".to_string()),
        Just("..".to_string()),
    ]
}

fn arb_url() -> impl Strategy<Value = String> {
    prop_oneof![
        "https?://[a-zA-Z0-9.:-]{0,12}[/?#%@!$&'()*+,;=a-zA-Z0-9._~-]{0,30}",
        "(?s).{0,30}",
    ]
}

fn arb_image() -> impl Strategy<Value = Image> {
    (
        arb_text(),
        proptest::option::of(arb_text()),
        arb_text(),
        arb_text(),
    )
        .prop_map(|(repository, platform, digest, tag)| {
            let mut image = image(&repository, &digest).build();
            image.platform = platform;
            image.tags = vec![tag];
            image
        })
}

fn arb_score() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        Just(None),
        (0.0f64..=10.0).prop_map(Some),
        prop::sample::select(vec![0.0, 9.0, 8.95, -1.0, 11.0, f64::NAN, f64::INFINITY])
            .prop_map(Some),
    ]
}

fn arb_finding(images: usize) -> impl Strategy<Value = Finding> {
    let ids = prop_oneof!["CVE-20[0-9]{2}-[0-9]{1,3}", arb_text()];
    let package = (
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
    );
    let texts = (
        arb_text(),
        proptest::option::of(arb_text()),
        proptest::option::of(prop_oneof![arb_text(), "(?s).{900,1200}"]),
        prop::collection::vec(arb_url(), 0..3),
    );
    let flags = (
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        any::<bool>(),
        prop::collection::btree_set(0..images, 1..=images.min(4)),
    );
    (
        ids,
        prop::sample::select(Severity::ALL.to_vec()),
        arb_score(),
        package,
        texts,
        flags,
    )
        .prop_map(
            |(id, severity, score, (name, version, fixed_in, path), texts, flags)| {
                let (vendor_severity, title, description, urls) = texts;
                let (fix_available, exploit_available, suppressed_by_scanner, images) = flags;
                Finding {
                    id,
                    severity,
                    vendor_severity,
                    score,
                    vector: None,
                    title,
                    description,
                    package: Package {
                        name,
                        version,
                        fixed_in,
                        manager: None,
                        path,
                    },
                    fix_available,
                    exploit_available,
                    urls,
                    suppressed_by_scanner,
                    images: images.into_iter().collect(),
                }
            },
        )
}

fn arb_set() -> impl Strategy<Value = ScanSet> {
    prop::collection::vec(arb_image(), 1..=24).prop_flat_map(|images| {
        let count = images.len();
        prop::collection::vec(arb_finding(count), 0..300).prop_map(move |mut findings| {
            findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
            ScanSet {
                images: images.clone(),
                findings,
                warnings: Vec::new(),
            }
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn arbitrary_findings_give_valid_sarif(set in arb_set()) {
        checked(&set, &Policy::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn arbitrary_findings_stay_within_github_limits(set in arb_set()) {
        let doc = render(&set, &Policy::default());
        assert_within_limits(&doc);
        let results: usize = doc["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|run| run["results"].as_array().unwrap().len())
            .sum();
        let expected: usize = (0..set.images.len().min(MAX_RUNS))
            .map(|i| set.findings.iter().filter(|f| f.images.contains(&i)).count())
            .sum();
        prop_assert_eq!(results, expected);
    }
}
