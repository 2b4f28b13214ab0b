//! A problem found in a policy file, and where it is: what reading (`raw`) and validating (`mod`) report.
//! Holds no logic beyond saying it.

use std::fmt;

/// Where a value sits in the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// A problem in a policy file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    /// The key the problem is about (`gate.fail-on`, `ignore[2].expires`); empty for syntax errors.
    pub key: String,
    pub message: String,
}

impl Problem {
    pub(super) fn new(at: Location, key: &str, message: &str) -> Problem {
        Problem {
            line: at.line,
            column: at.column,
            key: key.to_string(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: ", self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}
