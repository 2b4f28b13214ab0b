//! An OpenVEX document read as the ecosystem's tools read it: leniently. The published JSON schema is
//! stricter than what people ship (vexctl's own samples fail it), so only what leaves a statement
//! unusable is refused — text that is not JSON, a document without statements, a status that is not
//! one of the four, a `not_affected` statement with neither a justification nor an impact statement —
//! and every such problem is collected with its location (`statements[3].status`). Everything else is
//! taken as it comes: the v0.0.1 shape (`"vulnerability": "CVE-…"`, products and subcomponents as
//! strings), products as objects or strings, missing or odd optional fields, and an in-toto statement
//! whose predicate is the document (its subjects stand for the products statements leave out).
//!
//! Pure: the caller passes the bytes and the name to report.

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::statement::{Product, Statement, Status, Vulnerability};

/// The most problems listed in one error; the rest are counted.
const SHOWN_PROBLEMS: usize = 20;
/// The longest piece of document text echoed in a problem.
const ECHO_CHARS: usize = 60;

/// One document, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file as the user named it.
    pub file: String,
    /// The document's `@id`, when given.
    pub id: Option<String>,
    /// The document's `timestamp`, when given and readable.
    pub timestamp: Option<Timestamp>,
    pub statements: Vec<Statement>,
    /// What was taken leniently and may surprise (unreadable timestamps, statements that can match
    /// nothing), for the run's warnings.
    pub warnings: Vec<String>,
}

/// A VEX document that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VexError {
    #[error("VEX document {file} is not JSON: {message} (line {line}, column {column})")]
    NotJson {
        file: String,
        message: String,
        line: usize,
        column: usize,
    },
    #[error("VEX document {file} cannot be used: {}", list(.problems))]
    Invalid {
        file: String,
        /// `(location, problem)`, in document order.
        problems: Vec<(String, String)>,
    },
}

fn list(problems: &[(String, String)]) -> String {
    let mut parts: Vec<String> = problems
        .iter()
        .take(SHOWN_PROBLEMS)
        .map(|(at, problem)| format!("{at}: {problem}"))
        .collect();
    if problems.len() > SHOWN_PROBLEMS {
        parts.push(format!(
            "and {} more problem(s)",
            problems.len() - SHOWN_PROBLEMS
        ));
    }
    parts.join("; ")
}

/// Reads one document. `file` names it in errors and warnings; `index` is its place among the run's
/// documents (statements refer to it).
pub fn parse(file: &str, index: usize, bytes: &[u8]) -> Result<Document, VexError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| VexError::NotJson {
        file: file.to_string(),
        message: first_sentence(&error.to_string()),
        line: error.line(),
        column: error.column(),
    })?;
    let mut reader = Reader {
        file,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let document = reader.document(&value, index);
    if reader.problems.is_empty() {
        Ok(Document {
            file: file.to_string(),
            id: document.id,
            timestamp: document.timestamp,
            statements: document.statements,
            warnings: reader.warnings,
        })
    } else {
        Err(VexError::Invalid {
            file: file.to_string(),
            problems: reader.problems,
        })
    }
}

/// serde_json's message without its own " at line … column …".
fn first_sentence(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

struct Read {
    id: Option<String>,
    timestamp: Option<Timestamp>,
    statements: Vec<Statement>,
}

struct Reader<'a> {
    file: &'a str,
    problems: Vec<(String, String)>,
    warnings: Vec<String>,
}

impl Reader<'_> {
    fn problem(&mut self, at: &str, problem: impl Into<String>) {
        self.problems.push((at.to_string(), problem.into()));
    }

    fn document(&mut self, value: &Value, index: usize) -> Read {
        let mut read = Read {
            id: None,
            timestamp: None,
            statements: Vec::new(),
        };
        let Some(top) = value.as_object() else {
            self.problem(
                "the document",
                format!(
                    "is {} instead of an OpenVEX document (an object with `statements`)",
                    kind(value)
                ),
            );
            return read;
        };
        // An in-toto statement (vexctl attest, Docker Scout): the predicate is the document, and the
        // subjects are the products of statements that name none.
        let (doc, prefix, subjects) = match top.get("predicate").and_then(Value::as_object) {
            Some(predicate) if !top.contains_key("statements") => {
                (predicate, "predicate.", subject_digests(top))
            }
            _ => (top, "", Vec::new()),
        };
        read.id = text(doc.get("@id"));
        read.timestamp = self.timestamp(doc.get("timestamp"), &format!("{prefix}timestamp"));
        let at = format!("{prefix}statements");
        let statements = match doc.get("statements") {
            Some(Value::Array(statements)) if !statements.is_empty() => statements,
            Some(Value::Array(_)) => {
                self.problem(&at, "is empty: the document states nothing");
                return read;
            }
            Some(other) => {
                self.problem(&at, format!("is {} instead of a list", kind(other)));
                return read;
            }
            None => {
                self.problem(
                    "the document",
                    "has no `statements`: it is not an OpenVEX document (CycloneDX and CSAF VEX \
                     are not read)",
                );
                return read;
            }
        };
        for (n, value) in statements.iter().enumerate() {
            let at = format!("{prefix}statements[{n}]");
            if let Some(statement) = self.statement(value, &at, n, index, &subjects) {
                let statement = Statement {
                    timestamp: statement.timestamp.or(read.timestamp),
                    ..statement
                };
                read.statements.push(statement);
            }
        }
        read
    }

    fn statement(
        &mut self,
        value: &Value,
        at: &str,
        position: usize,
        document: usize,
        subjects: &[String],
    ) -> Option<Statement> {
        let Some(object) = value.as_object() else {
            self.problem(
                at,
                format!("is {} instead of a statement (an object)", kind(value)),
            );
            return None;
        };
        let status = match object.get("status") {
            Some(Value::String(text)) => match Status::parse(text) {
                Some(status) => Some(status),
                None => {
                    self.problem(
                        &format!("{at}.status"),
                        format!(
                            "`{}` is not a VEX status; expected one of: {}",
                            echo(text),
                            Status::NAMES.join(", ")
                        ),
                    );
                    None
                }
            },
            Some(other) => {
                self.problem(
                    &format!("{at}.status"),
                    format!("is {} instead of a status", kind(other)),
                );
                None
            }
            None => {
                self.problem(
                    &format!("{at}.status"),
                    format!("is missing; expected one of: {}", Status::NAMES.join(", ")),
                );
                None
            }
        };
        let justification = text(object.get("justification"));
        let impact_statement = text(object.get("impact_statement"));
        if status == Some(Status::NotAffected)
            && justification.is_none()
            && impact_statement.is_none()
        {
            self.problem(
                at,
                "`not_affected` without a `justification` or an `impact_statement`: the \
                 specification requires one of them to say why",
            );
        }
        let vulnerability = vulnerability(object.get("vulnerability"));
        let mut products = products(object.get("products"));
        // v0.0.1: subcomponents beside the products, for all of them.
        let shared = components(object.get("subcomponents"));
        if !shared.is_empty() {
            for product in &mut products {
                product.subcomponents.extend(shared.iter().cloned());
            }
        }
        if products.is_empty() && !subjects.is_empty() {
            products = subjects
                .iter()
                .map(|digest| Product {
                    ids: vec![digest.clone()],
                    subcomponents: shared.clone(),
                })
                .collect();
        }
        if vulnerability.is_empty() {
            self.warnings.push(format!(
                "VEX document {}: {at} names no vulnerability, so it covers nothing",
                self.file
            ));
        }
        if products.iter().all(|p| p.ids.is_empty()) {
            self.warnings.push(format!(
                "VEX document {}: {at} names no product, so it covers nothing",
                self.file
            ));
        }
        let timestamp = self.timestamp(object.get("timestamp"), &format!("{at}.timestamp"));
        Some(Statement {
            document,
            position,
            vulnerability,
            products,
            status: status?,
            justification,
            impact_statement,
            action_statement: text(object.get("action_statement")),
            status_notes: text(object.get("status_notes")),
            timestamp,
        })
    }

    /// A timestamp; unreadable ones are warned about and taken as absent.
    fn timestamp(&mut self, value: Option<&Value>, at: &str) -> Option<Timestamp> {
        let raw = text(value)?;
        let parsed = parse_time(&raw);
        if parsed.is_none() {
            self.warnings.push(format!(
                "VEX document {}: {at} `{}` is not a date and time; the statement counts as undated",
                self.file,
                echo(&raw)
            ));
        }
        parsed
    }
}

/// RFC 3339 (any offset, any fraction); without an offset, or a date alone, as UTC.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    if let Ok(datetime) = text.parse::<jiff::civil::DateTime>() {
        return jiff::tz::TimeZone::UTC.to_timestamp(datetime).ok();
    }
    None
}

/// A non-blank string value, trimmed.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Document text quoted in a message: one line, at most [`ECHO_CHARS`] characters (the message is
/// escaped where it is shown).
fn echo(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(ECHO_CHARS)
        .collect();
    if text.chars().count() > ECHO_CHARS {
        out.push('…');
    }
    out
}

/// `{"name", "@id", "aliases"}`, or v0.0.1's plain string.
fn vulnerability(value: Option<&Value>) -> Vulnerability {
    match value {
        Some(Value::String(_)) => Vulnerability {
            name: text(value),
            id: None,
            aliases: Vec::new(),
        },
        Some(Value::Object(object)) => Vulnerability {
            name: text(object.get("name")),
            id: text(object.get("@id")),
            aliases: match object.get("aliases") {
                Some(Value::Array(aliases)) => {
                    aliases.iter().filter_map(|a| text(Some(a))).collect()
                }
                Some(alias @ Value::String(_)) => text(Some(alias)).into_iter().collect(),
                _ => Vec::new(),
            },
        },
        _ => Vulnerability::default(),
    }
}

fn products(value: Option<&Value>) -> Vec<Product> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| Product {
            ids: identifiers(item, true),
            subcomponents: match item {
                Value::Object(object) => components(object.get("subcomponents")),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// Subcomponents: each a list of its identifiers. Blank strings are dropped (v0.0.1 writers leave
/// them); an object without identifiers is kept, empty: it still narrows its product (to nothing).
fn components(value: Option<&Value>) -> Vec<Vec<String>> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| (item.is_object(), identifiers(item, false)))
        .filter(|(object, ids)| *object || !ids.is_empty())
        .map(|(_, ids)| ids)
        .collect()
}

/// A component's identifiers: a plain string, or `@id`, `identifiers.purl` and (for products, which
/// may be the image itself) `hashes.sha-256` as `sha256:HEX`.
fn identifiers(value: &Value, with_hashes: bool) -> Vec<String> {
    let mut ids = Vec::new();
    match value {
        Value::String(_) => ids.extend(text(Some(value))),
        Value::Object(object) => {
            ids.extend(text(object.get("@id")));
            if let Some(Value::Object(identifiers)) = object.get("identifiers") {
                ids.extend(text(identifiers.get("purl")));
            }
            if with_hashes && let Some(Value::Object(hashes)) = object.get("hashes") {
                for key in ["sha-256", "sha256"] {
                    if let Some(hex) = text(hashes.get(key)) {
                        ids.push(format!("sha256:{hex}"));
                    }
                }
            }
        }
        _ => {}
    }
    ids.dedup();
    ids
}

/// The `sha256:` digests of an in-toto statement's subjects.
fn subject_digests(top: &Map<String, Value>) -> Vec<String> {
    let Some(Value::Array(subjects)) = top.get("subject") else {
        return Vec::new();
    };
    subjects
        .iter()
        .filter_map(|subject| text(subject.get("digest")?.get("sha256")))
        .map(|hex| format!("sha256:{hex}"))
        .collect()
}

#[cfg(test)]
mod tests;
