//! The policy file as written: TOML read into [`RawPolicy`], every value with its location, and every
//! shape problem (unknown key, wrong type) collected rather than stopping at the first.

use toml::de::{DeTable, DeValue};

use super::problem::{Location, Problem};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub at: Location,
}

/// A date as written: a TOML date (`2027-03-31`) or a string (`"2027-03-31"`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawDate {
    Toml(toml::value::Datetime),
    Text(String),
}

#[derive(Debug, Default)]
pub struct RawPolicy {
    pub fail_on: Option<Located<String>>,
    pub only_fixed: Option<Located<bool>>,
    pub only_exploitable: Option<Located<bool>>,
    pub scope: Option<Located<String>>,
    pub min_score: Option<Located<f64>>,
    pub max: Vec<(Located<String>, Located<i64>)>,
    pub ignores: Vec<RawIgnore>,
    /// `vex = ["…"]`: VEX documents, relative to the policy file, with their place in the list.
    pub vex: Vec<(usize, Located<String>)>,
}

#[derive(Debug)]
pub struct RawIgnore {
    /// Where the `[[ignore]]` entry starts.
    pub at: Location,
    pub id: Option<Located<String>>,
    pub reason: Option<Located<String>>,
    pub expires: Option<Located<RawDate>>,
    pub package: Option<Located<String>>,
    pub repository: Option<Located<String>>,
}

const TOP_KEYS: &[&str] = &["gate", "ignore", "vex"];
const GATE_KEYS: &[&str] = &[
    "fail-on",
    "only-fixed",
    "only-exploitable",
    "scope",
    "min-score",
    "max",
];
const IGNORE_KEYS: &[&str] = &["id", "reason", "expires", "package", "repository"];

/// Reads the policy text. Shape problems go to `problems`; what could be read is returned.
pub fn read(text: &str, problems: &mut Vec<Problem>) -> RawPolicy {
    let locate = |offset: usize| location(text, offset);
    let mut raw = RawPolicy::default();
    let document = match DeTable::parse(text) {
        Ok(document) => document,
        Err(error) => {
            let at = locate(error.span().map_or(0, |s| s.start));
            problems.push(Problem::new(at, "", first_line(error.message())));
            return raw;
        }
    };
    let mut reader = Reader {
        problems,
        locate: &locate,
    };
    for (key, value) in document.get_ref().iter() {
        let at = locate(key.span().start);
        match key.get_ref().as_ref() {
            "gate" => match value.get_ref() {
                DeValue::Table(table) => reader.gate(table, &mut raw),
                other => reader.wrong_type("gate", at, "a table ([gate])", other),
            },
            "ignore" => match value.get_ref() {
                DeValue::Array(entries) => {
                    for (n, entry) in entries.iter().enumerate() {
                        let entry_at = locate(entry.span().start);
                        match entry.get_ref() {
                            DeValue::Table(table) => {
                                raw.ignores.push(reader.ignore(table, entry_at, n));
                            }
                            other => reader.wrong_type(
                                &format!("ignore[{n}]"),
                                entry_at,
                                "a table ([[ignore]])",
                                other,
                            ),
                        }
                    }
                }
                other => reader.wrong_type("ignore", at, "an array of tables ([[ignore]])", other),
            },
            "vex" => match value.get_ref() {
                DeValue::Array(paths) => {
                    for (n, path) in paths.iter().enumerate() {
                        let path_at = locate(path.span().start);
                        if let Some(path) =
                            reader.string(&format!("vex[{n}]"), path_at, path.get_ref())
                        {
                            raw.vex.push((n, path));
                        }
                    }
                }
                other => reader.wrong_type("vex", at, "a list of file paths", other),
            },
            unknown => reader.unknown_key(unknown, at, TOP_KEYS),
        }
    }
    raw
}

struct Reader<'p, 'l> {
    problems: &'p mut Vec<Problem>,
    locate: &'l dyn Fn(usize) -> Location,
}

impl Reader<'_, '_> {
    fn gate(&mut self, table: &DeTable<'_>, raw: &mut RawPolicy) {
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let full = format!("gate.{name}");
            let at = (self.locate)(value.span().start);
            match name {
                "fail-on" => raw.fail_on = self.string(&full, at, value.get_ref()),
                "only-fixed" => match value.get_ref() {
                    DeValue::Boolean(b) => raw.only_fixed = Some(Located { value: *b, at }),
                    other => self.wrong_type(&full, at, "true or false", other),
                },
                "only-exploitable" => match value.get_ref() {
                    DeValue::Boolean(b) => raw.only_exploitable = Some(Located { value: *b, at }),
                    other => self.wrong_type(&full, at, "true or false", other),
                },
                "scope" => raw.scope = self.string(&full, at, value.get_ref()),
                "min-score" => match number(value.get_ref()) {
                    Some(n) => raw.min_score = Some(Located { value: n, at }),
                    None => self.wrong_type(&full, at, "a number", value.get_ref()),
                },
                "max" => match value.get_ref() {
                    DeValue::Table(max) => {
                        for (severity, count) in max.iter() {
                            let sev_at = (self.locate)(severity.span().start);
                            let count_at = (self.locate)(count.span().start);
                            let key = format!("gate.max.{}", severity.get_ref());
                            match count.get_ref() {
                                DeValue::Integer(i) => match i64::from_str_radix(
                                    &i.as_str().replace('_', ""),
                                    i.radix(),
                                ) {
                                    Ok(n) => raw.max.push((
                                        Located {
                                            value: severity.get_ref().to_string(),
                                            at: sev_at,
                                        },
                                        Located {
                                            value: n,
                                            at: count_at,
                                        },
                                    )),
                                    Err(_) => self.problems.push(Problem::new(
                                        count_at,
                                        &key,
                                        "is not a whole number that fits",
                                    )),
                                },
                                other => self.wrong_type(&key, count_at, "a whole number", other),
                            }
                        }
                    }
                    other => self.wrong_type(&full, at, "a table ([gate.max])", other),
                },
                unknown => self.unknown_key(
                    &format!("gate.{unknown}"),
                    (self.locate)(key.span().start),
                    GATE_KEYS,
                ),
            }
        }
    }

    fn ignore(&mut self, table: &DeTable<'_>, at: Location, n: usize) -> RawIgnore {
        let mut entry = RawIgnore {
            at,
            id: None,
            reason: None,
            expires: None,
            package: None,
            repository: None,
        };
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let full = format!("ignore[{n}].{name}");
            let value_at = (self.locate)(value.span().start);
            match name {
                "id" => entry.id = self.string(&full, value_at, value.get_ref()),
                "reason" => entry.reason = self.string(&full, value_at, value.get_ref()),
                "package" => entry.package = self.string(&full, value_at, value.get_ref()),
                "repository" => entry.repository = self.string(&full, value_at, value.get_ref()),
                "expires" => match value.get_ref() {
                    DeValue::String(s) => {
                        entry.expires = Some(Located {
                            value: RawDate::Text(s.to_string()),
                            at: value_at,
                        })
                    }
                    DeValue::Datetime(d) => {
                        entry.expires = Some(Located {
                            value: RawDate::Toml(*d),
                            at: value_at,
                        })
                    }
                    other => self.wrong_type(&full, value_at, "a date like 2027-03-31", other),
                },
                unknown => self.unknown_key(
                    &format!("ignore[{n}].{unknown}"),
                    (self.locate)(key.span().start),
                    IGNORE_KEYS,
                ),
            }
        }
        entry
    }

    fn string(&mut self, key: &str, at: Location, value: &DeValue<'_>) -> Option<Located<String>> {
        match value {
            DeValue::String(s) => Some(Located {
                value: s.to_string(),
                at,
            }),
            other => {
                self.wrong_type(key, at, "a string", other);
                None
            }
        }
    }

    fn wrong_type(&mut self, key: &str, at: Location, expected: &str, found: &DeValue<'_>) {
        self.problems.push(Problem::new(
            at,
            key,
            &format!("expected {expected}, found {}", found.type_str()),
        ));
    }

    fn unknown_key(&mut self, key: &str, at: Location, valid: &[&str]) {
        self.problems.push(Problem::new(
            at,
            key,
            &format!("unknown key; expected one of: {}", valid.join(", ")),
        ));
    }
}

fn number(value: &DeValue<'_>) -> Option<f64> {
    match value {
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', "").parse().ok(),
        _ => None,
    }
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim()
}

/// 1-based line and column (in characters) of a byte offset.
fn location(text: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Location { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys that "unknown key" messages list are keys the reader takes.
    #[test]
    fn every_listed_key_is_read() {
        let documents = TOP_KEYS
            .iter()
            .map(|key| format!("{key} = 0\n"))
            .chain(GATE_KEYS.iter().map(|key| format!("[gate]\n{key} = 0\n")))
            .chain(
                IGNORE_KEYS
                    .iter()
                    .map(|key| format!("[[ignore]]\n{key} = 0\n")),
            );
        for text in documents {
            let mut problems = Vec::new();
            read(&text, &mut problems);
            assert!(
                problems
                    .iter()
                    .all(|p| !p.message.starts_with("unknown key")),
                "{text}: {problems:?}"
            );
        }
    }
}
