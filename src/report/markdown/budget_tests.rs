//! Size: whatever the input, each document fits GitHub's limit, tables stay well formed and
//! `<details>` stay balanced; the final guard cuts on a line.

use jiff::civil::date;
use proptest::prelude::*;

use super::budget::fit;
use super::tests::{
    assert_details_balanced, assert_tables_well_formed, context, enhanced_policy, enhanced_set,
    finding, ignore, render_verdict, today,
};
use super::variant::{COMMENT_LIMIT_CHARS, SUMMARY_LIMIT_BYTES, Variant, measure};
use super::{comment_marker, render};
use crate::findings::{Finding, Package, ScanSet, Severity};
use crate::policy::{Policy, evaluate};
use crate::run::testing;

fn many_findings(n: usize) -> ScanSet {
    let mut set = enhanced_set();
    set.findings = (0..n)
        .map(|i| {
            let severity = Severity::ALL[i % Severity::ALL.len()];
            finding(
                &format!("CVE-2025-{i:05}"),
                severity,
                &format!("package-{i}"),
                "1.0.0",
            )
            .fix("1.0.1")
            .score(5.0)
            .images([i % 2])
            .build()
        })
        .collect();
    set
}

#[test]
fn fifty_thousand_findings_stay_within_the_limits() {
    let set = many_findings(50_000);
    let policy = Policy {
        fail_on: Some(Severity::Medium),
        ..enhanced_policy()
    };
    let verdict = evaluate(&set, &policy, today());
    let summary = render_verdict(&set, &policy, &verdict, false, Variant::Summary);
    assert!(summary.len() <= SUMMARY_LIMIT_BYTES, "{}", summary.len());
    assert!(
        summary.len() > SUMMARY_LIMIT_BYTES / 2,
        "the budget is used: {}",
        summary.len()
    );
    assert!(summary.contains("more findings not shown (see the JSON or SARIF report)"));
    assert!(summary.contains("| **total** | 50000 |"));
    assert_tables_well_formed(&summary);
    assert_details_balanced(&summary);
    let comment = render_verdict(&set, &policy, &verdict, false, Variant::Comment);
    assert!(comment.chars().count() <= COMMENT_LIMIT_CHARS);
    assert!(comment.starts_with("<!-- ecr-scan-gate: payments/api/linux/amd64 -->\n"));
    assert!(comment.contains("more findings not shown (see the JSON or SARIF report)"));
    assert!(comment.contains("other findings (not violating) not shown here"));
    assert!(!comment.contains("<details>"));
    assert_tables_well_formed(&comment);
}

#[test]
fn the_last_guard_cuts_on_a_line_and_closes_details() {
    let text = format!(
        "# t\n\n<details>\n<summary>s</summary>\n\n| a |\n| --- |\n{}",
        "| é |\n".repeat(1000)
    );
    for variant in [Variant::Summary, Variant::Comment] {
        let out = fit(text.clone(), variant, 600);
        assert!(measure(variant, &out) <= 600);
        assert!(out.ends_with("(see the JSON or SARIF report)\n"));
        assert!(out.contains("| é |\n\n\n</details>\n"));
        assert_details_balanced(&out);
        assert_tables_well_formed(&out);
    }
    assert_eq!(fit("short".to_string(), Variant::Summary, 10), "short");
}

#[test]
fn comment_measure_is_never_below_the_character_count() {
    let text = "a\n😀é\n";
    assert_eq!(measure(Variant::Comment, text), 1 + 2 + 2 + 1 + 2);
    assert!(measure(Variant::Comment, text) >= text.chars().count());
    assert_eq!(measure(Variant::Summary, text), text.len());
}

const PIECES: &[&str] = &[
    "|",
    "<!--",
    "-->",
    "<details>",
    "</details>",
    "@x",
    "#1",
    "::",
    "##[",
    "\n",
    "\r",
    "`",
    "\\",
    "&",
    "*",
    "_",
    "[",
    "](",
    ")",
    "\u{202e}",
    "\u{7}",
    "é",
    "👩‍👩‍👧",
    "-",
    " ",
    "a",
    "https://e.com/",
];

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "(?s).{0,24}",
        4 => prop::collection::vec(prop::sample::select(PIECES), 0..16).prop_map(|v| v.concat()),
        1 => ("(?s).{1,6}", 200..4000usize).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn any_finding() -> impl Strategy<Value = Finding> {
    (
        (
            any_text(),
            prop::sample::select(Severity::ALL.to_vec()),
            prop::option::of(0.0..10.0f64),
        ),
        (
            any_text(),
            prop::option::of(any_text()),
            prop::option::of(any_text()),
            prop::option::of(any_text()),
        ),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            any::<bool>(),
        ),
        (
            prop::collection::vec(any_text(), 0..3),
            prop::sample::select(vec![vec![0], vec![1], vec![0, 1]]),
        ),
    )
        .prop_map(
            |(
                (id, severity, score),
                (name, version, fixed_in, path),
                (fix, exploit, suppressed),
                (urls, images),
            )| Finding {
                id,
                severity,
                vendor_severity: String::new(),
                score,
                vector: None,
                title: None,
                description: None,
                package: Package {
                    name: Some(name),
                    version,
                    fixed_in,
                    manager: None,
                    path,
                },
                fix_available: fix,
                exploit_available: exploit,
                urls,
                suppressed_by_scanner: suppressed,
                images,
            },
        )
}

fn any_set() -> impl Strategy<Value = ScanSet> {
    (
        prop::collection::vec(any_finding(), 0..2000),
        (any_text(), any_text(), any_text()),
        prop::collection::vec(any_text(), 0..4),
    )
        .prop_map(|(findings, (repository, tag, platform), warnings)| {
            let mut set = enhanced_set();
            set.images[0].repository = repository;
            set.images[0].tags = vec![tag];
            set.images[1].platform = Some(platform);
            set.findings = findings;
            set.warnings = warnings;
            set
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_input_fits_the_limits(
        set in any_set(),
        fail_on in prop::sample::select(Severity::ALL.to_vec()),
        ignore_ids in prop::collection::vec(any_text(), 0..3),
        report_only in any::<bool>(),
    ) {
        let mut policy = enhanced_policy();
        policy.fail_on = Some(fail_on);
        for id in ignore_ids {
            policy.ignores.push(ignore(&id, &id, date(2026, 6, 1), 40));
        }
        if let Some(first) = set.findings.first() {
            policy.ignores.push(ignore(&first.id, "first", date(2026, 6, 1), 50));
        }
        let verdict = evaluate(&set, &policy, today());
        let result = testing::verdict(&verdict, report_only);
        let ctx = context(&set, &policy, &result);
        let summary = render(&ctx, Variant::Summary);
        prop_assert!(summary.len() <= SUMMARY_LIMIT_BYTES);
        assert_tables_well_formed(&summary);
        assert_details_balanced(&summary);
        let comment = render(&ctx, Variant::Comment);
        prop_assert!(comment.chars().count() <= COMMENT_LIMIT_CHARS);
        let marker = comment_marker(&set);
        prop_assert_eq!(comment.lines().next(), Some(marker.as_str()));
        prop_assert_eq!(comment.matches("<!--").count(), 1);
        assert_tables_well_formed(&comment);
        assert_details_balanced(&comment);
    }
}
