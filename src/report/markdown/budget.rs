//! Building a document against a size budget: a [`Section`] counts what it holds, tables and lists
//! stop when the next row would not fit and say how many were left out, and [`fit`] is the last guard
//! on the assembled text.
//!
//! Takes text already escaped; it must not escape, and must not choose what a section shows.

use super::variant::{Variant, measure, unit};

/// Room kept in a section for the line saying what was left out.
pub(super) const NOTE_RESERVE: usize = 200;

/// Part of the document, built against its own budget.
pub(super) struct Section {
    /// The document this section is part of.
    pub(super) variant: Variant,
    /// Its budget, in the variant's units.
    pub(super) limit: usize,
    /// How much of the budget `text` uses.
    pub(super) used: usize,
    /// The section's text so far.
    pub(super) text: String,
}

impl Section {
    /// An empty section with a budget of `limit`.
    pub(super) fn new(variant: Variant, limit: usize) -> Section {
        Section {
            variant,
            limit,
            used: 0,
            text: String::new(),
        }
    }

    /// Adds `text`, whether it fits or not (notes and closing tags that were reserved for).
    pub(super) fn push(&mut self, text: &str) {
        self.used += measure(self.variant, text);
        self.text.push_str(text);
    }

    /// Whether `text` fits with `reserve` to spare.
    pub(super) fn fits(&self, text: &str, reserve: usize) -> bool {
        self.used + measure(self.variant, text) + reserve <= self.limit
    }

    /// Adds `text` when it fits with `reserve` to spare; says whether it did.
    pub(super) fn try_push(&mut self, text: &str, reserve: usize) -> bool {
        let fits = self.fits(text, reserve);
        if fits {
            self.push(text);
        }
        fits
    }
}

/// One table row of already escaped `cells`; an empty cell shows `—`.
pub(super) fn row(cells: &[String]) -> String {
    let mut line = String::from("|");
    for cell in cells {
        line.push(' ');
        line.push_str(if cell.is_empty() { "—" } else { cell });
        line.push_str(" |");
    }
    line.push('\n');
    line
}

/// The line saying that `left_out` `what` were not shown, after `shown`, and where to `see` them.
pub(super) fn note(left_out: usize, shown: usize, what: &str, see: &str) -> String {
    if shown == 0 {
        format!("\n{left_out} {what} not shown ({see})\n")
    } else {
        format!("\n…and {left_out} more {what} not shown ({see})\n")
    }
}

/// Writes a table of `rows` (built lazily) while they fit with `reserve` to spare, then a line saying how
/// many were left out. Returns how many rows were written.
pub(super) fn table(
    sec: &mut Section,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
    total: usize,
    (what, see): (&str, &str),
    reserve: usize,
) -> usize {
    let reserve = reserve + NOTE_RESERVE;
    let names: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut top = String::from("\n");
    top.push_str(&row(&names));
    top.push_str(&row(&vec!["---".to_string(); header.len()]));
    let mut shown = 0;
    if total > 0 && sec.try_push(&top, reserve) {
        for mut cells in rows {
            cells.resize(header.len(), String::new());
            if !sec.try_push(&row(&cells), reserve) {
                break;
            }
            shown += 1;
        }
    }
    if shown < total {
        sec.push(&note(total - shown, shown, what, see));
    }
    shown
}

/// Writes a bullet list of already escaped `items` while they fit, like [`table`].
pub(super) fn list(
    sec: &mut Section,
    items: impl IntoIterator<Item = String>,
    total: usize,
    (what, see): (&str, &str),
    reserve: usize,
) {
    let reserve = reserve + NOTE_RESERVE;
    let mut shown = 0;
    let mut opened = false;
    for item in items {
        let line = format!("{}- {item}\n", if opened { "" } else { "\n" });
        if !sec.try_push(&line, reserve) {
            break;
        }
        opened = true;
        shown += 1;
    }
    if shown < total {
        sec.push(&note(total - shown, shown, what, see));
    }
}

/// The last guard on size: cuts `text` on a line boundary so that it fits `limit`, closes any open
/// `<details>` and says so. Vendor text cannot contain `<details>` (it is escaped), so counting tags is
/// reliable.
pub(super) fn fit(text: String, variant: Variant, limit: usize) -> String {
    if measure(variant, &text) <= limit {
        return text;
    }
    const NOTE: &str =
        "\n\n…the report was cut here to fit GitHub's size limit (see the JSON or SARIF report)\n";
    const CLOSE: &str = "\n\n</details>\n";
    const MAX_OPEN: usize = 4;
    let keep = limit.saturating_sub(measure(variant, NOTE) + MAX_OPEN * measure(variant, CLOSE));
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        used += unit(variant, c);
        if used > keep {
            break;
        }
        end = i + c.len_utf8();
    }
    let mut cut = &text[..end];
    if let Some(newline) = cut.rfind('\n') {
        cut = &cut[..=newline];
    }
    let open = cut
        .matches("<details>")
        .count()
        .saturating_sub(cut.matches("</details>").count());
    let mut out = cut.to_string();
    for _ in 0..open.min(MAX_OPEN) {
        out.push_str(CLOSE);
    }
    out.push_str(NOTE);
    out
}
