//! The Markdown report: the job summary (`$GITHUB_STEP_SUMMARY`) and the pull-request comment.
//!
//! Owns the layout of both variants and keeping each inside GitHub's size limit, whatever the input. Every
//! piece of vendor or policy text goes through [`escape`](super::escape). It must not decide anything
//! (the verdict is read from [`Context`]) and does no I/O: [`render`] returns a `String`.
//!
//! Size: each part is built against a budget. The header (verdict, images, severity counts, policy) and
//! the tail (ignores, warnings) get at most an eighth of the limit each; findings get what is left,
//! violating ones first, and every cut table ends with a line saying how many rows were left out. A
//! final guard cuts the assembled text on a line boundary, closing any open `<details>`, should it still
//! be too long.
//!
//! One file a concern, each using only the ones listed before it: `variant` (which document, its limit
//! and unit of size), `budget` (sections, tables and lists within a budget, the final guard), `cells`
//! (single values as escaped text), `marker` (the comment's marker line), `delta` (the baseline: the
//! delta the document leads with, the fixed findings), then the three parts of the document in order:
//! `head`, `finding_tables` and `tail`.

mod budget;
mod cells;
mod delta;
mod finding_tables;
mod head;
mod marker;
mod tail;
mod variant;

#[cfg(test)]
mod budget_tests;
#[cfg(test)]
mod tests;

pub use marker::comment_marker;
pub use variant::{COMMENT_LIMIT_CHARS, SUMMARY_LIMIT_BYTES, Variant};

use super::Context;
use budget::{Section, fit};
use finding_tables::{others, violating};
use head::head;
use tail::tail;
use variant::limit;

/// Room kept for what the final guard may add (closing tags and its note).
const FINAL_RESERVE: usize = 1024;

/// Renders the report. The result always fits the variant's limit.
pub fn render(ctx: &Context<'_>, variant: Variant) -> String {
    let limit = limit(variant);
    let body = limit.saturating_sub(FINAL_RESERVE);
    let head = head(ctx, variant, body / 8);
    let tail = tail(ctx, variant, body / 8);
    let mut findings = Section::new(variant, body.saturating_sub(head.used + tail.used));
    if let Some(verdict) = ctx.verdict() {
        violating(ctx, verdict, &mut findings);
        delta::fixed(verdict, ctx.set, &mut findings);
        others(ctx, verdict, &mut findings);
    }
    let text = head.text + &findings.text + &tail.text;
    fit(text, variant, limit)
}
