//! Which Markdown document is rendered, its size limit on GitHub, and how its size is counted.
//!
//! Leaf of the folder: every other part measures text with [`measure`]. It must not build text.

/// Which Markdown document to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The job summary: every section, at most [`SUMMARY_LIMIT_BYTES`] bytes.
    Summary,
    /// The pull-request comment: a hidden marker line first (see `comment_marker`), fewer columns, and
    /// at most [`COMMENT_LIMIT_CHARS`] characters.
    Comment,
}

/// GitHub drops a step summary larger than this (1 MiB per step).
pub const SUMMARY_LIMIT_BYTES: usize = 1_048_576;

/// GitHub refuses a pull-request comment body longer than this. The comment is measured in UTF-16 units
/// with a line break counted twice, so it stays under the limit however GitHub counts.
pub const COMMENT_LIMIT_CHARS: usize = 65_536;

/// The variant's size limit, in its own units (see [`measure`]).
pub(super) fn limit(variant: Variant) -> usize {
    match variant {
        Variant::Summary => SUMMARY_LIMIT_BYTES,
        Variant::Comment => COMMENT_LIMIT_CHARS,
    }
}

/// What one character counts in the variant: UTF-8 bytes for the summary; UTF-16 units for the
/// comment, a line break counted twice.
pub(super) fn unit(variant: Variant, c: char) -> usize {
    match variant {
        Variant::Summary => c.len_utf8(),
        Variant::Comment if c == '\n' => 2,
        Variant::Comment => c.len_utf16(),
    }
}

/// The size of `text` in the variant's units.
pub(super) fn measure(variant: Variant, text: &str) -> usize {
    match variant {
        Variant::Summary => text.len(),
        Variant::Comment => text.chars().map(|c| unit(variant, c)).sum(),
    }
}
