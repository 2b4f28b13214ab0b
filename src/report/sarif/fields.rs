//! Vendor text as SARIF fields carry it: one line, clipped to the lengths of [`super::limits`], never
//! empty where SARIF needs a value.
//!
//! The cleaning itself (hidden characters, line breaks, clipping inside a character) is
//! [`escape`](crate::report::escape)'s; this file only says which bound applies where. It must not
//! clean text itself.

use std::borrow::Cow;

use super::limits::{MAX_DESCRIPTION_LEN, MAX_NAME_LEN, MAX_PIECE_LEN};
use crate::findings::Finding;
use crate::report::escape::clip;

/// Vendor text for properties: [`one_line`](crate::report::escape::one_line) and at most 1,024 long.
pub(super) fn bounded(text: &str) -> Cow<'_, str> {
    clip(text, MAX_DESCRIPTION_LEN)
}

/// A piece of vendor text for messages and help: clipped, `None` when absent or blank.
pub(super) fn piece(text: Option<&str>) -> Option<Cow<'_, str>> {
    text.map(|t| clip(t, MAX_PIECE_LEN))
        .filter(|t| !t.is_empty())
}

/// The rule id of a vulnerability id: cleaned, at most 255 long, never empty.
pub(super) fn rule_id(id: &str) -> Cow<'_, str> {
    let id = clip(id, MAX_NAME_LEN);
    if id.is_empty() {
        Cow::Borrowed("unknown-vulnerability")
    } else {
        id
    }
}

/// The version that fixes `finding`, when the scanner gave one that is not blank.
pub(super) fn fixed_in(finding: &Finding) -> Option<&str> {
    finding
        .package
        .fixed_in
        .as_deref()
        .filter(|v| !v.trim().is_empty())
}
