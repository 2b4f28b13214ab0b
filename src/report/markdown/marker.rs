//! The hidden marker line that identifies the gate's pull-request comment, so it can be found and
//! updated. The key is encoded by [`escape`](crate::report::escape); it must not be escaped here.

use crate::findings::{Image, ScanSet};
use crate::report::escape::html_comment_text;

/// The hidden first line of the comment, `<!-- ecr-scan-gate: KEY -->`, where KEY is the first image's
/// [`Image::key`]. Used to find the comment again and update it. Characters other than ASCII letters,
/// digits and `._/:-` are percent-encoded, as is a `-` after a `-`, so the key never contains `--`, `>`
/// or a line break.
pub fn comment_marker(set: &ScanSet) -> String {
    let key = set.images.first().map(Image::key).unwrap_or_default();
    let key: String = key.chars().take(100).collect();
    format!("<!-- ecr-scan-gate: {} -->", html_comment_text(&key))
}
