//! What a VEX statement says: its status, vulnerability, products and free text, as read from a
//! document. Plain data and how it is described in reports; no matching, no parsing.

use jiff::Timestamp;

/// A statement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl Status {
    /// The four statuses, as documents spell them.
    pub const NAMES: [&'static str; 4] =
        ["not_affected", "affected", "fixed", "under_investigation"];

    /// Reads a status (case and surrounding space do not matter).
    pub fn parse(text: &str) -> Option<Status> {
        match text.trim().to_ascii_lowercase().as_str() {
            "not_affected" => Some(Status::NotAffected),
            "affected" => Some(Status::Affected),
            "fixed" => Some(Status::Fixed),
            "under_investigation" => Some(Status::UnderInvestigation),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    /// Whether a finding the statement governs is suppressed: `not_affected` and `fixed` suppress,
    /// `affected` and `under_investigation` do not.
    pub fn suppresses(self) -> bool {
        matches!(self, Status::NotAffected | Status::Fixed)
    }
}

/// The vulnerability a statement is about: its name, `@id` and aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vulnerability {
    pub name: Option<String>,
    pub id: Option<String>,
    pub aliases: Vec<String>,
}

impl Vulnerability {
    /// Whether it names nothing at all.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.id.is_none() && self.aliases.is_empty()
    }

    /// The ids it is known by, lower-cased: the name, the `@id` and its last path segment (an IRI such
    /// as `https://nvd.nist.gov/vuln/detail/CVE-2021-44228`), the aliases.
    pub(super) fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .name
            .iter()
            .chain(&self.id)
            .chain(&self.aliases)
            .map(|k| k.trim().to_lowercase())
            .collect();
        if let Some(id) = &self.id
            && let Some(last) = id.trim_end_matches('/').rsplit('/').next()
            && id.contains('/')
        {
            keys.push(last.trim().to_lowercase());
        }
        keys.retain(|k| !k.is_empty());
        keys.sort();
        keys.dedup();
        keys
    }

    /// The name to show: the name, else the `@id`, else the first alias.
    pub fn label(&self) -> &str {
        self.name
            .as_deref()
            .or(self.id.as_deref())
            .or(self.aliases.first().map(String::as_str))
            .unwrap_or("")
    }
}

/// A product of a statement: its identifiers (`@id`, `identifiers.purl`, `sha256:` of `hashes`) and
/// its subcomponents' identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Product {
    pub ids: Vec<String>,
    pub subcomponents: Vec<Vec<String>>,
}

/// One statement of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Index into [`Vex::documents`](super::Vex::documents).
    pub document: usize,
    /// Its place in the document's `statements`.
    pub position: usize,
    pub vulnerability: Vulnerability,
    pub products: Vec<Product>,
    pub status: Status,
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    pub status_notes: Option<String>,
    /// When it was known to be true: its own timestamp, else its document's; `None` when neither is
    /// given (an undated statement loses to every dated one).
    pub timestamp: Option<Timestamp>,
}

impl Statement {
    /// What it says, as one line of plain (unescaped) text for reports: `not_affected
    /// (vulnerable_code_not_in_execute_path): IMPACT STATEMENT`, `affected: ACTION STATEMENT`. Each
    /// free-text part is cut to `max_chars`; renderers escape the result.
    pub fn describe(&self, max_chars: usize) -> String {
        let cut = |text: &str| -> String {
            let mut out: String = text.chars().take(max_chars).collect();
            if text.chars().nth(max_chars).is_some() {
                out.push('…');
            }
            out
        };
        let mut text = self.status.as_str().to_string();
        if let Some(justification) = &self.justification {
            text.push_str(&format!(" ({})", cut(justification)));
        }
        let detail = match self.status {
            Status::NotAffected => self.impact_statement.as_ref(),
            Status::Affected => self.action_statement.as_ref(),
            Status::Fixed | Status::UnderInvestigation => None,
        }
        .or(self.status_notes.as_ref());
        if let Some(detail) = detail {
            text.push_str(": ");
            text.push_str(&cut(detail));
        }
        text
    }
}
