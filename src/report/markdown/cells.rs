//! Single values as Markdown text: vendor and policy text cut and escaped by
//! [`escape`](crate::report::escape), times and counted nouns, and how long each kind of value may be.
//!
//! Leaf of the folder; it must not escape text itself, only call `escape`.

use jiff::Timestamp;

use crate::report::escape::{markdown_inline, truncate};

/// Longest vulnerability id shown.
pub(super) const ID_CHARS: usize = 100;
/// Longest package name shown.
pub(super) const PACKAGE_CHARS: usize = 100;
/// Longest version shown.
pub(super) const VERSION_CHARS: usize = 100;
/// Longest package path shown.
pub(super) const PATH_CHARS: usize = 120;
/// Longest URL linked in the comment (the summary links up to
/// [`MAX_URL_CHARS`](crate::report::escape::MAX_URL_CHARS)).
pub(super) const COMMENT_URL_CHARS: usize = 300;
/// Where to look for rows left out of a findings table.
pub(super) const SEE_REPORTS: &str = "see the JSON or SARIF report";
/// Where to look for other rows left out.
pub(super) const SEE_JSON: &str = "see the JSON report";

/// `value` cut to `max_chars` and escaped; empty when absent.
pub(super) fn text(value: Option<&str>, max_chars: usize) -> String {
    value.map_or_else(String::new, |v| markdown_inline(&truncate(v, max_chars)))
}

/// `2025-12-31 09:15 UTC`; empty when absent.
pub(super) fn time(value: Option<Timestamp>) -> String {
    value.map_or_else(String::new, |t| {
        t.strftime("%Y-%m-%d %H:%M UTC").to_string()
    })
}

/// `1 finding`, `2 findings`.
pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
