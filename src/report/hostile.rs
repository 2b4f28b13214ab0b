//! One hostile finding through every renderer: SARIF, the markdown summary and pull-request comment,
//! the stderr summary, the GitHub annotations, JUnit and the GitLab report. Whatever the vendor sends, no output may carry a
//! control, invisible, bidirectional, tag or other default-ignorable character, nor link a URL that
//! [`escape::http_url`] refuses. The characters are listed here independently of
//! [`escape::is_hidden`], so a gap in that list fails here.

use jiff::civil::date;
use proptest::prelude::*;
use serde_json::Value;

use super::escape;
use super::{Context, gitlab, junit, markdown, sarif, text};
use crate::findings::testing::{FindingBuilder, ImageBuilder};
use crate::findings::{Finding, Image, ScanSet, ScanType, Severity};
use crate::github::annotations;
use crate::policy::{Ignore, Policy, evaluate};
use crate::run::testing;

/// Every character no output may hold, with why. `\n` is the only control allowed, and only where the
/// format has lines.
const DANGEROUS: &[(char, &str)] = &[
    ('\u{0}', "NUL"),
    ('\u{7}', "BEL"),
    ('\u{8}', "backspace"),
    ('\u{b}', "vertical tab"),
    ('\u{c}', "form feed"),
    ('\r', "carriage return"),
    ('\u{1b}', "escape (terminal sequences)"),
    ('\u{7f}', "DEL"),
    ('\u{85}', "next line (C1)"),
    ('\u{9b}', "CSI (C1)"),
    ('\u{ad}', "soft hyphen"),
    ('\u{34f}', "combining grapheme joiner"),
    ('\u{61c}', "Arabic letter mark"),
    ('\u{115f}', "Hangul choseong filler"),
    ('\u{1160}', "Hangul jungseong filler"),
    ('\u{17b4}', "Khmer inherent vowel"),
    ('\u{180e}', "Mongolian vowel separator"),
    ('\u{200b}', "zero-width space"),
    ('\u{200c}', "zero-width non-joiner"),
    ('\u{200d}', "zero-width joiner"),
    ('\u{200e}', "left-to-right mark"),
    ('\u{200f}', "right-to-left mark"),
    ('\u{2028}', "line separator"),
    ('\u{2029}', "paragraph separator"),
    ('\u{202a}', "left-to-right embedding"),
    ('\u{202b}', "right-to-left embedding"),
    ('\u{202c}', "pop directional formatting"),
    ('\u{202d}', "left-to-right override"),
    ('\u{202e}', "right-to-left override"),
    ('\u{2060}', "word joiner"),
    ('\u{2062}', "invisible times"),
    ('\u{2066}', "left-to-right isolate"),
    ('\u{2067}', "right-to-left isolate"),
    ('\u{2068}', "first strong isolate"),
    ('\u{2069}', "pop directional isolate"),
    ('\u{3164}', "Hangul filler"),
    ('\u{fe0f}', "variation selector 16"),
    ('\u{feff}', "byte-order mark"),
    ('\u{ffa0}', "halfwidth Hangul filler"),
    ('\u{fff9}', "interlinear annotation anchor"),
    ('\u{1bca0}', "shorthand format letter overlap"),
    ('\u{1d173}', "musical symbol begin beam"),
    ('\u{e0001}', "language tag"),
    ('\u{e0041}', "tag latin capital A"),
    ('\u{e007f}', "cancel tag"),
    ('\u{e0100}', "variation selector 17"),
];

/// Visible text around every dangerous character, with markup and workflow commands for good measure.
fn hostile() -> String {
    let mut text = String::from("CVE-2024-0001 ::error::pwned <b>@octocat</b> ");
    for (c, _) in DANGEROUS {
        text.push('x');
        text.push(*c);
    }
    text.push_str(" end");
    text
}

const HOSTILE_URLS: &[&str] = &[
    "javascript:alert(1)",
    "https://user:pw@evil.example/",
    "https://github.com@evil.example/",
    "https://e.com/\u{202e}gpj.exe",
    "https://e.com/\u{e0041}",
    "https://e.com/a b",
    "https://e.com/a|b",
    "https://exämple.com/",
    "data:text/html,<script>",
];

/// An image with `text` in every field that holds text.
fn image(text: &str) -> Image {
    ImageBuilder::new(text)
        .account("123456789012", "eu-west-1")
        .digest(format!("sha256:{}", "a".repeat(64)))
        .tag(text)
        .platform(text)
        .scan(ScanType::Enhanced, text)
        .scan_description(text)
        .build()
}

/// A finding with `text` in every field that holds text, and every hostile URL.
fn finding(text: &str, severity: Severity) -> Finding {
    FindingBuilder::new(text, severity)
        .vendor_severity(text)
        .score(9.8)
        .vector(text)
        .title(text)
        .description(text)
        .package(text, text)
        .fix(text)
        .manager(text)
        .path(text)
        .exploit_available(true)
        .urls(HOSTILE_URLS)
        .build()
}

fn scene(text: &str) -> (ScanSet, Policy) {
    let set = ScanSet {
        images: vec![image(text)],
        findings: vec![
            finding(text, Severity::Critical),
            finding(&format!("{text}-2"), Severity::Medium),
        ],
        warnings: vec![text.to_string()],
    };
    let mut policy = Policy::default();
    for (expires, id) in [
        (date(2020, 1, 1), text.to_string()),
        (date(2099, 1, 1), format!("{text}-unused")),
    ] {
        policy.ignores.push(Ignore {
            id,
            reason: text.to_string(),
            expires: Some(expires),
            package: Some(text.to_string()),
            repository: None,
            line: Some(7),
        });
    }
    (set, policy)
}

/// Every output of every renderer for `text`, by name.
fn outputs(text: &str) -> Vec<(String, String)> {
    let (set, policy) = scene(text);
    let verdict = evaluate(&set, &policy, date(2026, 11, 28));
    let reasons = vec![text.to_string()];
    let mut out = Vec::new();
    for (name, result) in [
        ("verdict", testing::verdict(&verdict, false)),
        ("incomplete", testing::incomplete(&reasons)),
        ("error", testing::error(text)),
    ] {
        let ctx = Context {
            set: &set,
            policy: &policy,
            result: &result,
            tool_version: "0.1.0",
        };
        for (variant, label) in [
            (markdown::Variant::Summary, "markdown summary"),
            (markdown::Variant::Comment, "markdown comment"),
        ] {
            // The renderer's own "⚠️" carries a variation selector; vendor text never keeps one.
            let md = markdown::render(&ctx, variant).replace("\u{26a0}\u{fe0f}", "\u{26a0}");
            out.push((format!("{label} ({name})"), md));
        }
        let mut stderr = Vec::new();
        text::write(&ctx, &mut stderr).unwrap();
        out.push((
            format!("stderr summary ({name})"),
            String::from_utf8(stderr).unwrap(),
        ));
        for annotation in annotations::for_run(&ctx) {
            out.push((format!("annotation ({name})"), annotation.command()));
        }
        let mut xml = Vec::new();
        junit::write(&ctx, &mut xml).unwrap();
        out.push((format!("JUnit ({name})"), String::from_utf8(xml).unwrap()));
        let mut doc = Vec::new();
        let at = jiff::Timestamp::UNIX_EPOCH;
        gitlab::write(&ctx, at, at, &mut doc).unwrap();
        let doc: Value = serde_json::from_slice(&doc).unwrap();
        let mut strings = Vec::new();
        collect_strings(&doc, "", &mut strings);
        for (path, value) in strings {
            out.push((format!("GitLab {path} ({name})"), value));
        }
        if let Some(verdict) = ctx.verdict() {
            let mut doc = Vec::new();
            sarif::write(&ctx, verdict, &mut doc).unwrap();
            let doc: Value = serde_json::from_slice(&doc).unwrap();
            let mut strings = Vec::new();
            collect_strings(&doc, "", &mut strings);
            for (path, value) in strings {
                out.push((format!("SARIF {path}"), value));
            }
        }
    }
    out
}

/// Every string (and object key) in a JSON document, decoded, with its path.
fn collect_strings(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((path.to_string(), s.clone())),
        Value::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                collect_strings(item, &format!("{path}/{n}"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                out.push((format!("{path} (key)"), key.clone()));
                collect_strings(item, &format!("{path}/{key}"), out);
            }
        }
        _ => {}
    }
}

#[track_caller]
fn assert_clean(name: &str, output: &str) {
    let multi_line = !name.starts_with("annotation");
    for c in output.chars() {
        if c == '\n' && multi_line {
            continue;
        }
        if let Some((_, why)) = DANGEROUS.iter().find(|(d, _)| *d == c) {
            panic!("{name}: {why} (U+{:04X}) survived in {output:?}", c as u32);
        }
        assert!(
            !c.is_control(),
            "{name}: control U+{:04X} survived in {output:?}",
            c as u32
        );
    }
    // What goes to the job log: the runner reads workflow commands there, and only there.
    let logged = name.starts_with("stderr") || name.starts_with("annotation");
    for line in output.lines().filter(|_| logged) {
        if name.starts_with("stderr") {
            assert!(
                !line.trim_start().starts_with("::"),
                "{name}: command line {line:?}"
            );
        }
        assert!(!line.contains("##["), "{name}: legacy command in {line:?}");
    }
    for url in HOSTILE_URLS {
        for linked in [
            format!("]({url}"),
            format!("](<{url}"),
            format!("\"{url}\""),
        ] {
            assert!(!output.contains(&linked), "{name}: {url:?} linked");
        }
    }
}

#[test]
fn no_renderer_lets_a_dangerous_character_through() {
    let outputs = outputs(&hostile());
    let names: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    for kind in [
        "markdown summary (verdict)",
        "markdown comment (verdict)",
        "stderr summary (verdict)",
        "annotation (verdict)",
        "SARIF /runs/0/results/0/message/text",
        "SARIF /runs/0/tool/driver/rules/0/help/markdown",
        "markdown summary (error)",
        "annotation (incomplete)",
        "JUnit (verdict)",
        "JUnit (incomplete)",
        "JUnit (error)",
        "GitLab /vulnerabilities/0/description (verdict)",
        "GitLab /scan/messages/0/value (error)",
    ] {
        assert!(names.contains(&kind), "no output {kind:?} in {names:#?}");
    }
    for (name, output) in &outputs {
        assert_clean(name, output);
    }
    // The visible text is kept, the dangerous characters only removed.
    let message = outputs
        .iter()
        .find(|(n, _)| n == "SARIF /runs/0/results/0/message/text")
        .map(|(_, o)| o.as_str())
        .unwrap();
    assert!(message.matches('x').count() >= DANGEROUS.len(), "{message}");
}

#[test]
fn hostile_urls_are_never_links() {
    for url in HOSTILE_URLS {
        assert_eq!(escape::http_url(url), None, "{url}");
    }
    let outputs = outputs("CVE-2024-0001");
    let help = outputs
        .iter()
        .filter(|(n, _)| n.ends_with("/helpUri"))
        .count();
    assert_eq!(help, 0, "a hostile URL became helpUri");
    for (name, output) in &outputs {
        assert_clean(name, output);
    }
}

/// Pieces of hostile text: the dangerous characters and what they like to sit next to.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(DANGEROUS.iter().map(|(c, _)| c.to_string()).collect::<Vec<_>>()),
        2 => "[a-zA-Z0-9 .:/@#<>`|\\[\\]()*_~-]{0,6}",
        1 => Just("::error::x".to_string()),
        1 => Just("\n::warning::".to_string()),
        1 => Just("##[group]".to_string()),
        1 => Just("👩\u{200d}👩\u{200d}👧".to_string()),
        1 => "(?s).{0,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_hostile_text_comes_out_clean(pieces in prop::collection::vec(piece(), 0..24)) {
        let text = format!("CVE{}", pieces.concat());
        for (name, output) in outputs(&text) {
            assert_clean(&name, &output);
        }
    }
}
