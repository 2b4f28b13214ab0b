//! Hostile vendor text through SARIF: cleaned in every field, never a link, markup only inside code
//! spans of the help.

use super::limits::MAX_DESCRIPTION_LEN;
use super::tests::{checked, finding, one_image, results, rules, uri, utf16_len};
use crate::findings::Severity;
use crate::policy::Policy;

/// The parts of a markdown text outside code spans.
fn outside_code_spans(markdown: &str) -> String {
    let bytes = markdown.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            let next = markdown[i..].find('`').map_or(markdown.len(), |n| i + n);
            out.push_str(&markdown[i..next]);
            i = next;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let fence = "`".repeat(run);
        let mut search = i + run;
        let close = loop {
            let Some(at) = markdown[search..].find(&fence).map(|n| search + n) else {
                panic!("unclosed code span in {markdown:?}");
            };
            let len = bytes[at..].iter().take_while(|&&b| b == b'`').count();
            if len == run {
                break at;
            }
            search = at + len;
        };
        i = close + run;
    }
    out
}

#[test]
fn hostile_vendor_text_is_neutralised() {
    let f = finding("CVE-2024-0001\u{202E}\n", Severity::Critical)
        .score(9.9)
        .package(
            "`evil` @octocat <img src=x onerror=alert(1)>",
            "1.0\u{0007}\r\n::error::pwned",
        )
        .title("::warning file=x::title\u{2066}with bidi\u{2069} <b>bold</b>")
        .description(format!(
            "first line\n::error::pwned\r\n<script>alert(1)</script> @octocat **bold** | a | b |\t\u{0}{}",
            "long text ".repeat(500)
        ))
        .path("/app/../../etc/passwd: x")
        .fixed_in("[link](javascript:alert(1))")
        .urls(&[
            "javascript:alert(1)",
            "https://example.com/a b",
            "https://user:pw@example.com/",
            "https://example.com:abc/",
            "https://nvd.nist.gov/vuln/detail/CVE-2024-0001?x=1#top",
        ]);
    let g = finding("", Severity::High).urls(&[]);
    let mut set = one_image(vec![f, g]);
    set.images[0].repository = "team/../app name:1".into();
    set.images[0].platform = Some("linux/amd64\n::error::x".into());
    let doc = checked(&set, &Policy::default());

    let rule = &rules(&doc, 0)[0];
    assert_eq!(rule["id"], "CVE-2024-0001");
    assert_eq!(
        rule["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2024-0001?x=1#top"
    );
    assert_eq!(
        rule["shortDescription"]["text"],
        "::warning file=x::titlewith bidi <b>bold</b>"
    );
    let full = rule["fullDescription"]["text"].as_str().unwrap();
    assert!(full.starts_with("first line ::error::pwned <script>alert(1)</script> @octocat"));
    assert!(full.ends_with('…'));
    assert_eq!(utf16_len(full), MAX_DESCRIPTION_LEN);
    let markdown = rule["help"]["markdown"].as_str().unwrap();
    assert!(markdown.contains("`` `evil` @octocat <img src=x onerror=alert(1)> ``"));
    let outside = outside_code_spans(markdown);
    for bad in ["@", "<img", "javascript:", "::error"] {
        assert!(
            !outside.contains(bad),
            "{bad} outside code spans: {outside}"
        );
    }
    assert!(outside.contains("[More information](<https://nvd.nist.gov/"));

    let evil = &results(&doc, 0)[0];
    assert_eq!(
        evil["message"]["text"],
        "CVE-2024-0001 in `evil` @octocat <img src=x onerror=alert(1)> 1.0 ::error::pwned \
         (critical, fixed in [link](javascript:alert(1)))"
    );
    assert_eq!(uri(evil), "ecr/app%20name%3A1/etc/passwd%3A%20x");
    assert_eq!(
        evil["properties"]["imagePlatform"],
        "linux/amd64 ::error::x"
    );
    assert_eq!(
        doc["runs"][0]["automationDetails"]["id"],
        "ecr-scan-gate/team/../app name:1/linux/amd64 ::error::x/"
    );

    let anonymous = &results(&doc, 0)[1];
    assert_eq!(anonymous["ruleId"], "unknown-vulnerability");
    assert_eq!(anonymous["message"]["text"], "unknown-vulnerability (high)");
    assert_eq!(
        uri(anonymous),
        "ecr/app%20name%3A1/os-packages/unnamed-package"
    );
    assert!(rules(&doc, 0)[1].get("helpUri").is_none());
}
