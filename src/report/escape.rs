//! Neutralising untrusted text for the places reports put it: the one owner of text cleaning.
//!
//! Vendor text (ids, package names, versions, titles, descriptions, URLs from scanners) is hostile, and
//! policy text is user text: both reach every report — SARIF, markdown summaries and comments, GitHub
//! annotations, the stderr summary — only through this module. It owns:
//!
//! - what is removed ([`is_hidden`]: controls, and invisible, bidirectional, tag and other
//!   default-ignorable characters) and what becomes a space (line breaks, tabs);
//! - one-line text for fields ([`one_line`]) and clipping, by characters ([`truncate`]) or by UTF-16
//!   units as GitHub counts SARIF lengths ([`clip`]), never inside a character;
//! - which URLs may be links ([`http_url`]), and percent-encoding for a URI path segment
//!   ([`uri_segment`]) and inside an HTML comment ([`html_comment_text`]);
//! - escaping for GitHub-flavoured Markdown, for plain text lines on stdout/stderr and for GitHub Actions
//!   workflow commands.
//!
//! Pure functions on `&str`; it must not decide what a report shows or how long it may be.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Links longer than this are shown as text, not linked (and not put into SARIF's `helpUri`).
pub const MAX_URL_CHARS: usize = 2048;

/// Cuts `text` to at most `max_chars` characters (never inside a character), ending with "…" when cut.
pub fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
    if text.char_indices().nth(max_chars).is_none() {
        return Cow::Borrowed(text);
    }
    let Some(keep) = max_chars.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}…", &text[..end]))
}

/// One line of text for a field: hidden characters removed (see [`is_hidden`]), every run of whitespace
/// and line breaks turned into one space, trimmed. Borrows when already clean.
pub fn one_line(text: &str) -> Cow<'_, str> {
    let is_clean = !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
        && !text.contains("  ")
        && !text
            .chars()
            .any(|c| is_hidden(c) || (c != ' ' && c.is_whitespace()));
    if is_clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || is_break(c) {
            space = !out.is_empty();
            continue;
        }
        if is_hidden(c) {
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// [`one_line`] text cut to at most `max` UTF-16 code units (how GitHub counts SARIF lengths; it bounds
/// characters too), ending in "…" when cut, never inside a character.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    let text = one_line(text);
    if text.len() <= max || text.encode_utf16().count() <= max {
        return text;
    }
    let mut units = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units >= max {
            break;
        }
        end = i + c.len_utf8();
    }
    let mut out = String::with_capacity(end + '…'.len_utf8());
    out.push_str(text[..end].trim_end());
    out.push('…');
    Cow::Owned(out)
}

/// `url`, trimmed, when it may be a link (a markdown link, SARIF's `helpUri`): `http://` or `https://`,
/// a host of ASCII letters, digits, `.` and `-` (no user info, no IP literal), an optional numeric port,
/// then only plain ASCII URI characters, valid percent escapes and at most one `#`; at most
/// [`MAX_URL_CHARS`] long. Anything else (other schemes, whitespace, controls, invisible characters,
/// `<`, `>`, `"`, `` ` ``, `|`, `\`, non-ASCII) is not linked.
pub fn http_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    if url.len() > MAX_URL_CHARS {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if !host_ok || !port_ok || tail.matches('#').count() > 1 {
        return None;
    }
    let bytes = tail.as_bytes();
    let tail_ok = bytes.iter().enumerate().all(|(i, &b)| match b {
        b'%' => bytes
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
        _ => b"-._~/?#:@!$&'()*+,;=".contains(&b),
    });
    tail_ok.then_some(url)
}

/// A Markdown code span holding `text` literally (no markdown, HTML or mention inside renders): a
/// fence one backtick longer than the longest run in `text`, padded when `text` starts or ends with a
/// backtick. `text` should be [`one_line`] already: a code span cannot hold a line break.
pub fn markdown_code(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text for GitHub-flavoured Markdown inline content, such as a table cell, a list item or a heading.
///
/// - Line breaks and tabs become spaces; the result is trimmed, so it never starts a block.
/// - Controls (C0, DEL, C1) and invisible or bidirectional formatting characters are removed (see
///   [`is_hidden`]).
/// - `&` `<` `>` `"` become HTML entities, so no HTML (`<!--`, `<details>`, `<img>`, `<script>`) and no
///   entity survives.
/// - `@` becomes `&#64;&#8203;` and `#` becomes `&#35;&#8203;`: the zero-width space after them stops
///   GitHub from turning `@user`, `@org/team` and `#123` into mentions, team pings and issue
///   back-references (GitHub finds those in the rendered text, where an entity alone is already `@`).
/// - `\` `` ` `` `*` `_` `~` `[` `]` `|` `$` are backslash-escaped: no code spans, emphasis,
///   strikethrough, links, images, footnotes, math, and no table cell breaks. `(` `)` `!` `{` `}` need
///   nothing once `[` and `]` are escaped.
/// - At the start, `-` `+` `=` and the `.`/`)` after leading digits are escaped unless a letter or digit
///   follows, so the text cannot start a list, a setext underline or a thematic break wherever it is put.
/// - A `:` right after a `:` is escaped, so no `::` (workflow-command prefix) is left.
pub fn markdown_inline(text: &str) -> String {
    let cleaned: String = clean(text).collect();
    let cleaned = cleaned.trim();
    let mut out = String::with_capacity(cleaned.len() + cleaned.len() / 4);
    let chars: Vec<char> = cleaned.chars().collect();
    let leading_digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let ends_marker = |n: usize| !chars.get(n + 1).is_some_and(char::is_ascii_alphanumeric);
    let mut prev = None;
    for (n, &c) in chars.iter().enumerate() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '@' => out.push_str("&#64;&#8203;"),
            '#' => out.push_str("&#35;&#8203;"),
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '|' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if n == 0 && ends_marker(n) => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if n > 0 && n == leading_digits && ends_marker(n) => {
                out.push('\\');
                out.push(c);
            }
            ':' if prev == Some(':') => out.push_str("\\:"),
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// A Markdown link to `url` labelled with `label`, when [`http_url`] accepts `url`. `(` and `)` are
/// percent-encoded and `&` is written as an entity, so the destination can neither end early nor break
/// a table cell.
///
/// Otherwise the label alone, escaped and not linked; the URL escaped when the label is empty.
pub fn markdown_link(label: &str, url: &str) -> String {
    let text = markdown_inline(label);
    match link_destination(url) {
        Some(destination) if text.is_empty() => {
            format!("[{}]({destination})", markdown_inline(url))
        }
        Some(destination) => format!("[{text}]({destination})"),
        None if text.is_empty() => markdown_inline(url),
        None => text,
    }
}

/// Whether [`markdown_link`] would link `url`.
pub fn is_linkable(url: &str) -> bool {
    link_destination(url).is_some()
}

fn link_destination(url: &str) -> Option<String> {
    let url = http_url(url)?;
    let mut out = String::with_capacity(url.len() + 8);
    for c in url.chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    Some(out)
}

/// A URI path segment: every byte outside the unreserved `[A-Za-z0-9._~-]` percent-encoded, so no `/`,
/// `:`, `%`, space or non-ASCII character is left. Segments `.` and `..` are the caller's to drop.
pub fn uri_segment(segment: &str) -> String {
    percent_encode(segment, |c, _| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-')
    })
}

/// Text for inside an HTML comment (`<!-- … -->`): ASCII letters, digits and `._/:-` kept, every other
/// character percent-encoded, as is a `-` after a `-`, so the text never holds `--`, `>` or a line
/// break and cannot end the comment.
pub fn html_comment_text(text: &str) -> String {
    percent_encode(text, |c, prev| {
        let plain = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | ':' | '-');
        plain && !(c == '-' && prev == Some('-'))
    })
}

/// `text` with every character that `keep` (given it and the character before it) refuses written as
/// the percent-encoded bytes of its UTF-8.
fn percent_encode(text: &str, keep: impl Fn(char, Option<char>) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev = None;
    for c in text.chars() {
        if keep(c, prev) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        }
        prev = Some(c);
    }
    out
}

/// A line of plain text for stdout or stderr, where the Actions runner reads workflow commands.
///
/// Line breaks and tabs become spaces and hidden characters are removed (see [`is_hidden`]). A line
/// whose first non-space characters are `::` gets a space between the colons (`: :`), since the runner
/// reads a command after trimming leading whitespace; and every `##[` becomes `## [`, since the runner
/// also reads the legacy `##[command]` form anywhere in a line.
pub fn plain_line(text: &str) -> String {
    let cleaned: String = clean(text).collect();
    let mut out = cleaned.replace("##[", "## [");
    let start = out.len() - out.trim_start().len();
    if out[start..].starts_with("::") {
        out.insert(start + 1, ' ');
    }
    out
}

/// The message of a workflow command (`::error::MESSAGE`): `%`, `\r` and `\n` percent-encoded as the
/// runner expects, other line breaks and tabs turned into spaces, other controls and hidden characters
/// removed (see [`is_hidden`]), and `##[` written `## [` as in [`plain_line`] (the runner would read a
/// legacy command in a line it could not read as a `::` command).
pub fn workflow_command_data(text: &str) -> String {
    command_escape(text, false)
}

/// A property value of a workflow command (`::error file=VALUE,title=VALUE::`): as
/// [`workflow_command_data`], and `:` and `,` percent-encoded too.
pub fn workflow_command_property(text: &str) -> String {
    command_escape(text, true)
}

fn command_escape(text: &str, property: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c if is_break(c) => out.push(' '),
            c if is_hidden(c) => {}
            c => out.push(c),
        }
    }
    if out.contains("##[") {
        out = out.replace("##[", "## [");
    }
    out
}

/// Text for an XML 1.0 document (JUnit), as element content or an attribute value: `&` `<` `>` `"`
/// `'` written as entities (so no markup, comment, CDATA end `]]>` or entity survives), line breaks
/// other than `\n` and tabs turned into spaces, and hidden characters (see [`is_hidden`]) and the
/// noncharacters U+FFFE and U+FFFF, which XML 1.0 forbids, removed. `\n` stays: pass [`one_line`] text
/// for an attribute.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push('\n'),
            c if is_break(c) => out.push(' '),
            c if is_hidden(c) || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether `c` is removed from untrusted text: controls (C0, DEL, C1) and the characters that draw
/// nothing yet can hide, smuggle or reorder text — Unicode's default-ignorable code points (soft hyphen,
/// combining grapheme joiner, Arabic letter mark, Hangul fillers, Khmer inherent vowels, Mongolian
/// variation selectors and vowel separator, zero-width characters, bidi marks, embeddings, overrides
/// and isolates, word joiner and invisible operators, variation selectors, byte-order mark, shorthand
/// and musical format controls, tag characters and the variation selectors supplement) and the
/// interlinear annotation marks.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

fn is_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn clean(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars().filter_map(|c| {
        if is_break(c) {
            Some(' ')
        } else if is_hidden(c) {
            None
        } else {
            Some(c)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "| <!-- --> <script>alert(1)</script> @octocat @org/team #123 `x` **b** \
        [l](javascript:alert(1)) ![i](http://x/i.png) ~~s~~ $x$ \\| &lt; \n::error::pwned \r\n##[error]old \
        \u{202e} rtl \u{2066}iso\u{2069} \u{200b}zw \u{feff} \u{7} \u{1b}[31m red \u{85} \u{9b} \u{e0041}";

    fn assert_clean(out: &str) {
        for bad in [
            "<!--", "-->", "<script", "<img", "<details", "\n", "\r", "\t", "##[", "::",
        ] {
            assert!(!out.contains(bad), "{bad:?} survived in {out:?}");
        }
        assert!(
            !out.chars().any(is_hidden),
            "hidden char survived in {out:?}"
        );
    }

    fn unescaped_pipes(line: &str) -> usize {
        let bytes = line.as_bytes();
        (0..bytes.len())
            .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count()
    }

    #[test]
    fn xml_leaves_no_markup_and_no_character_xml_forbids() {
        let out = xml(&format!(
            "{HOSTILE} ]]> <![CDATA[x]]> &amp; 'q' \u{fffe}\u{ffff}\u{0}"
        ));
        for bad in ["<", "]]>", "'", "\"", "\r", "\t", "\u{fffe}", "\u{ffff}"] {
            assert!(!out.contains(bad), "{bad:?} survived in {out:?}");
        }
        assert!(!out.chars().any(|c| is_hidden(c) && c != '\n'), "{out:?}");
        assert!(
            out.contains("]]&gt;") && out.contains("&amp;amp;") && out.contains("&apos;q&apos;")
        );
        assert_eq!(xml("a\nb\r\nc"), "a\nb \nc");
        assert_eq!(xml("plain text"), "plain text");
    }

    #[test]
    fn truncate_keeps_short_text_borrowed() {
        assert!(matches!(truncate("abc", 3), Cow::Borrowed("abc")));
        assert!(matches!(truncate("", 0), Cow::Borrowed("")));
    }

    #[test]
    fn truncate_cuts_on_char_boundaries_and_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(truncate("👩‍👩‍👧‍👦👩‍👩‍👧‍👦", 2), "👩…");
        assert_eq!(truncate("abc", 1), "…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("日本語テキスト", 5).chars().count(), 5);
    }

    #[test]
    fn markdown_inline_leaves_plain_text_alone() {
        assert_eq!(markdown_inline("CVE-2024-12345"), "CVE-2024-12345");
        assert_eq!(markdown_inline("1.2.3-r0"), "1.2.3-r0");
        assert_eq!(markdown_inline("openssl (libssl3)"), "openssl (libssl3)");
        assert_eq!(markdown_inline("naïve 日本 ✓"), "naïve 日本 ✓");
    }

    #[test]
    fn markdown_inline_makes_html_inert() {
        assert_eq!(
            markdown_inline("<!-- x --> <details><img src=x onerror=alert(1)>"),
            "&lt;!-- x --&gt; &lt;details&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(markdown_inline("a & b \"q\""), "a &amp; b &quot;q&quot;");
        assert_eq!(
            markdown_inline("&#60;script&#62;"),
            "&amp;&#35;&#8203;60;script&amp;&#35;&#8203;62;"
        );
    }

    #[test]
    fn markdown_inline_escapes_table_pipes_and_backslashes() {
        assert_eq!(markdown_inline("a|b"), "a\\|b");
        assert_eq!(markdown_inline("a\\|b"), "a\\\\\\|b");
        assert_eq!(markdown_inline("trailing\\"), "trailing\\\\");
        let cell = format!("| {} | x |", markdown_inline(HOSTILE));
        assert_eq!(unescaped_pipes(&cell), 3);
    }

    #[test]
    fn markdown_inline_escapes_formatting_and_links() {
        assert_eq!(
            markdown_inline("**b** _i_ ~~s~~"),
            "\\*\\*b\\*\\* \\_i\\_ \\~\\~s\\~\\~"
        );
        assert_eq!(markdown_inline("`code`"), "\\`code\\`");
        assert_eq!(
            markdown_inline("[l](javascript:alert(1))"),
            "\\[l\\](javascript:alert(1))"
        );
        assert_eq!(markdown_inline("![i](x)"), "!\\[i\\](x)");
        assert_eq!(markdown_inline("$x^2$"), "\\$x^2\\$");
    }

    #[test]
    fn markdown_inline_stops_mentions_and_issue_references() {
        assert_eq!(markdown_inline("@octocat"), "&#64;&#8203;octocat");
        assert_eq!(markdown_inline("@babel/core"), "&#64;&#8203;babel/core");
        assert_eq!(markdown_inline("fixes #123"), "fixes &#35;&#8203;123");
        assert_eq!(markdown_inline("o/r#1"), "o/r&#35;&#8203;1");
        assert!(!markdown_inline(HOSTILE).contains("@octocat"));
    }

    #[test]
    fn markdown_inline_cannot_start_a_block() {
        assert_eq!(markdown_inline("# heading"), "&#35;&#8203; heading");
        assert_eq!(markdown_inline("- item"), "\\- item");
        assert_eq!(markdown_inline("+ item"), "\\+ item");
        assert_eq!(markdown_inline("==="), "\\===");
        assert_eq!(markdown_inline("---"), "\\---");
        assert_eq!(markdown_inline("> quote"), "&gt; quote");
        assert_eq!(markdown_inline("12. item"), "12\\. item");
        assert_eq!(markdown_inline("3) item"), "3\\) item");
        assert_eq!(markdown_inline("1.2.3"), "1.2.3");
        assert_eq!(markdown_inline("-1"), "-1");
        assert_eq!(markdown_inline("1."), "1\\.");
        assert_eq!(markdown_inline("    indented code"), "indented code");
        assert_eq!(markdown_inline("a-b+c=d"), "a-b+c=d");
    }

    #[test]
    fn markdown_inline_flattens_lines_and_neutralises_workflow_commands() {
        assert_eq!(markdown_inline("a\nb\r\nc\td"), "a b  c d");
        assert_eq!(markdown_inline("x\n::error::pwned"), "x :\\:error:\\:pwned");
        assert_eq!(markdown_inline("::::"), ":\\:\\:\\:");
        assert_eq!(markdown_inline("https://x"), "https://x");
        assert_eq!(
            markdown_inline("##[error]x"),
            "&#35;&#8203;&#35;&#8203;\\[error\\]x"
        );
    }

    #[test]
    fn markdown_inline_removes_controls_and_invisible_characters() {
        assert_eq!(
            markdown_inline("a\u{7}b\u{1b}[31mc\u{7f}d\u{9b}e"),
            "ab\\[31mcde"
        );
        assert_eq!(markdown_inline("safe\u{202e}txt.exe"), "safetxt.exe");
        assert_eq!(
            markdown_inline("\u{61c}\u{200b}\u{200e}\u{2066}x\u{2069}\u{feff}\u{e0041}\u{ad}"),
            "x"
        );
        assert_eq!(markdown_inline("a\u{2028}b\u{2029}c\u{85}d"), "a b c d");
    }

    #[test]
    fn markdown_inline_survives_the_hostile_sample() {
        let out = markdown_inline(HOSTILE);
        assert_clean(&out);
        assert!(!out.contains("<"));
        assert!(!out.contains('@'));
    }

    #[test]
    fn markdown_link_links_plain_https_urls() {
        assert_eq!(
            markdown_link("CVE-2024-1", "https://nvd.nist.gov/vuln/detail/CVE-2024-1"),
            "[CVE-2024-1](https://nvd.nist.gov/vuln/detail/CVE-2024-1)"
        );
        assert_eq!(
            markdown_link("x", "HTTP://example.com/a?b=1&c=2#f"),
            "[x](HTTP://example.com/a?b=1&amp;c=2#f)"
        );
        assert_eq!(
            markdown_link("x", "  https://e.com  "),
            "[x](https://e.com)"
        );
    }

    #[test]
    fn markdown_link_encodes_characters_that_end_the_destination() {
        assert_eq!(
            markdown_link("x", "https://e.com/a_(b)c"),
            "[x](https://e.com/a_%28b%29c)"
        );
    }

    #[test]
    fn markdown_link_refuses_other_schemes_and_odd_urls() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt://alert(1)",
            "data:text/html,<script>",
            "file:///etc/passwd",
            "//evil.example",
            "https://",
            "https:///path",
            "https://e.com/a b",
            "https://e.com/<script>",
            "https://e.com/\"onmouseover=\"x",
            "https://e.com/`x`",
            "https://e.com/\u{202e}fdp.exe",
            "https://e.com/\nx",
            "https://e.com/\u{7}",
            "ftp://e.com",
            "https://e.com/a|b",
            "https://e.com/a\\b",
            "https://github.com@evil.example/",
            "https://e.com/\u{e0041}",
            "https://exämple.com/",
        ] {
            assert!(!is_linkable(url), "{url:?} should not be linked");
            let out = markdown_link("CVE-1", url);
            assert_eq!(out, "CVE-1", "{url:?}");
        }
        let long = format!("https://e.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(markdown_link("CVE-1", &long), "CVE-1");
    }

    #[test]
    fn markdown_link_escapes_the_label() {
        assert_eq!(
            markdown_link("a](https://evil)[b", "https://e.com"),
            "[a\\](https://evil)\\[b](https://e.com)"
        );
        assert_eq!(
            markdown_link("@x <b>", "https://e.com"),
            "[&#64;&#8203;x &lt;b&gt;](https://e.com)"
        );
    }

    #[test]
    fn markdown_link_without_label_shows_the_url() {
        assert_eq!(
            markdown_link("", "https://e.com"),
            "[https://e.com](https://e.com)"
        );
        assert_eq!(markdown_link(" \u{202e}", "javascript:x"), "javascript:x");
        assert_eq!(
            markdown_link("", "<b>@x</b>"),
            "&lt;b&gt;&#64;&#8203;x&lt;/b&gt;"
        );
    }

    #[test]
    fn plain_line_neutralises_workflow_commands() {
        assert_eq!(plain_line("::error::pwned"), ": :error::pwned");
        assert_eq!(plain_line("  \t::add-mask::x"), "   : :add-mask::x");
        assert_eq!(plain_line("\u{3000}::x"), "\u{3000}: :x");
        assert_eq!(plain_line("a\n::error::x"), "a ::error::x");
        assert_eq!(
            plain_line("see ##[error]x and ###[warning]y"),
            "see ## [error]x and ### [warning]y"
        );
        assert_eq!(plain_line("##[stop-commands]tok"), "## [stop-commands]tok");
        assert_eq!(plain_line(":\u{200b}:x"), ": :x");
        assert_eq!(plain_line("a::b"), "a::b");
    }

    #[test]
    fn plain_line_removes_controls_and_line_breaks() {
        assert_eq!(plain_line("a\r\nb\u{1b}[2Jc\u{7}d\u{202e}e"), "a  b[2Jcde");
        let out = plain_line(HOSTILE);
        assert!(!out.contains('\n') && !out.contains('\r'));
        assert!(!out.contains("##["));
        assert!(!out.trim_start().starts_with("::"));
        assert!(!out.chars().any(is_hidden));
    }

    #[test]
    fn workflow_command_data_encodes_what_the_runner_decodes() {
        assert_eq!(
            workflow_command_data("100% done\r\nnext"),
            "100%25 done%0D%0Anext"
        );
        assert_eq!(workflow_command_data("a::b, c:d"), "a::b, c:d");
        assert_eq!(workflow_command_data("%0A"), "%250A");
        assert_eq!(workflow_command_data("x\u{1b}[31m\u{202e}y\tz"), "x[31my z");
        assert_eq!(
            workflow_command_data("a\u{2028}b\u{2029}c\u{85}d\u{b}e"),
            "a b c d e"
        );
        assert_eq!(
            workflow_command_data("x ##[group]y ###[z"),
            "x ## [group]y ### [z"
        );
    }

    #[test]
    fn workflow_command_property_also_encodes_colons_and_commas() {
        assert_eq!(
            workflow_command_property("a::b, c:d%\n"),
            "a%3A%3Ab%2C c%3Ad%25%0A"
        );
        let out = workflow_command_property(HOSTILE);
        assert!(!out.contains([':', ',', '\n', '\r']));
        assert!(!out.chars().any(is_hidden));
    }

    #[test]
    fn one_line_collapses_whitespace_and_drops_hidden_characters() {
        assert!(matches!(one_line("plain text"), Cow::Borrowed(_)));
        assert_eq!(one_line("  a \n\t b\u{200B}c  "), "a bc");
        assert_eq!(one_line("a\u{7}b\r\n::c"), "ab ::c");
        assert_eq!(one_line("a\u{3000}\u{a0}b"), "a b");
        assert_eq!(
            one_line("x\u{e0041}\u{e007f}y\u{115f}\u{1160}\u{3164}\u{ffa0}z"),
            "xyz"
        );
        assert_eq!(one_line("\u{202e}\u{2066}"), "");
        assert!(!one_line(HOSTILE).chars().any(is_hidden));
    }

    #[test]
    fn clip_cuts_on_char_boundaries_in_utf16_units() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "ab…");
        assert_eq!(clip("ab 😀cd", 4), "ab…");
        assert_eq!(clip("😀😀😀", 5), "😀😀…");
        assert_eq!(clip("  a \n\t b\u{200B}c  ", 10), "a bc");
        assert!(matches!(clip("plain text", 100), Cow::Borrowed(_)));
        // Hidden characters do not count against the limit: they are gone first.
        assert_eq!(clip("\u{e0041}\u{e0041}\u{e0041}abc", 3), "abc");
    }

    #[test]
    fn only_plain_http_urls_are_links() {
        for url in [
            "https://nvd.nist.gov/vuln/detail/CVE-2024-1",
            "http://example.com",
            "HTTPS://example.com:8443/a?b=c&d=%20#x",
            "https://alas.aws.amazon.com/AL2/ALAS-2024-1.html",
        ] {
            assert_eq!(http_url(url), Some(url), "{url}");
        }
        assert_eq!(http_url("  https://e.com \n"), Some("https://e.com"));
        for url in [
            "",
            "https://",
            "https:///path",
            "ftp://example.com",
            "javascript:alert(1)",
            "https://exa mple.com",
            "https://example.com/a b",
            "https://example.com/%zz",
            "https://example.com/%2",
            "https://example.com/<script>",
            "https://example.com/a#b#c",
            "https://user@example.com",
            "https://user:pw@example.com/",
            "https://example.com:port/",
            "https://example.com:123456/",
            "https://exämple.com",
            "https://example.com/\"",
            "https://[::1]/",
            "https://.example.com/",
            "https://example.com/\u{202e}",
            "https://example.com/\u{e0041}",
            "https://example.com/\u{200b}",
        ] {
            assert_eq!(http_url(url), None, "{url:?}");
        }
        let long = format!("https://e.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(http_url(&long), None);
        let longest = format!("https://e.com/{}", "a".repeat(MAX_URL_CHARS - 14));
        assert_eq!(http_url(&longest), Some(longest.as_str()));
    }

    #[test]
    fn uri_segment_keeps_only_unreserved_bytes() {
        assert_eq!(uri_segment("lib-1.2_x~"), "lib-1.2_x~");
        assert_eq!(uri_segment("a b/c:d%"), "a%20b%2Fc%3Ad%25");
        assert_eq!(uri_segment("é\u{202e}"), "%C3%A9%E2%80%AE");
    }

    #[test]
    fn html_comment_text_cannot_end_the_comment() {
        assert_eq!(
            html_comment_text("payments/api/linux:arm64"),
            "payments/api/linux:arm64"
        );
        assert_eq!(html_comment_text("a-b--c-->"), "a-b-%2Dc-%2D%3E");
        assert_eq!(html_comment_text("x\n<!"), "x%0A%3C%21");
    }

    #[test]
    fn markdown_code_holds_any_backticks() {
        assert_eq!(markdown_code("x"), "`x`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`a``"), "``` `a`` ```");
        assert_eq!(markdown_code("`a"), "`` `a ``");
        assert_eq!(markdown_code("a`"), "`` a` ``");
        assert_eq!(markdown_code("@x <b>"), "`@x <b>`");
    }

    #[test]
    fn every_default_ignorable_and_control_character_is_hidden() {
        for c in [
            '\u{0}',
            '\u{7}',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{9b}',
            '\u{ad}',
            '\u{34f}',
            '\u{61c}',
            '\u{115f}',
            '\u{1160}',
            '\u{17b4}',
            '\u{17b5}',
            '\u{180b}',
            '\u{180e}',
            '\u{180f}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2066}',
            '\u{2069}',
            '\u{206f}',
            '\u{3164}',
            '\u{fe00}',
            '\u{fe0f}',
            '\u{feff}',
            '\u{ffa0}',
            '\u{fff0}',
            '\u{fff9}',
            '\u{fffb}',
            '\u{1bca0}',
            '\u{1bca3}',
            '\u{1d173}',
            '\u{1d17a}',
            '\u{e0000}',
            '\u{e0001}',
            '\u{e0041}',
            '\u{e007f}',
            '\u{e0100}',
            '\u{e01ef}',
            '\u{e0fff}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
        for c in [
            'a',
            ' ',
            'é',
            '日',
            '😀',
            '\u{2764}',
            '\u{fffc}',
            '\u{fffd}',
            '\u{e1000}',
        ] {
            assert!(!is_hidden(c), "U+{:04X}", c as u32);
        }
    }
}
