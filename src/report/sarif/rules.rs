//! A run's rules, one per vulnerability id, built as they are written: descriptions, help, tags and
//! GitHub's `security-severity` (see the folder's documentation for its bands).
//!
//! Reads the findings of each planned rule and the text budget of [`Detail`]; it must not read the
//! verdict (a rule is the same whatever the gate decided).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use super::fields::{fixed_in, piece};
use super::limits::{Detail, MAX_TAGS};
use super::model::{Help, Rule, RuleProperties, Text};
use super::plan::{Plan, RulePlan};
use crate::findings::{Finding, ScanSet, Severity};
use crate::report::escape::{self, clip, markdown_code as code};

/// A run's rules, built as they are written.
pub(super) struct Rules<'a> {
    pub(super) set: &'a ScanSet,
    pub(super) plan: &'a Plan<'a>,
    pub(super) detail: Detail,
}

impl Serialize for Rules<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.plan.rules.len()))?;
        for rule in &self.plan.rules {
            seq.serialize_element(&Rule::new(self.set, rule, self.detail))?;
        }
        seq.end()
    }
}

impl<'a> Rule<'a> {
    /// The rule of `plan`, read from its findings in `set`, carrying the text `detail` allows.
    pub(super) fn new(set: &'a ScanSet, plan: &'a RulePlan<'a>, detail: Detail) -> Rule<'a> {
        let findings: Vec<&Finding> = plan.findings.iter().map(|&i| &set.findings[i]).collect();
        let severity = findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Unknown);
        let id = plan.id.as_ref();
        let short = findings
            .iter()
            .filter_map(|f| f.title.as_deref())
            .map(|t| clip(t, detail.short_len))
            .find(|t| !t.is_empty())
            .unwrap_or_else(|| Cow::Owned(format!("{id} ({severity})")));
        let full = detail.full_len.map(|len| {
            findings
                .iter()
                .filter_map(|f| f.description.as_deref())
                .map(|d| clip(d, len))
                .find(|d| !d.is_empty())
                .unwrap_or_else(|| short.clone())
        });
        let help_uri = findings
            .iter()
            .flat_map(|f| &f.urls)
            .find_map(|u| escape::http_url(u));
        let mut tags = vec!["security", "vulnerability", "container", severity.as_str()];
        if findings.iter().any(|f| fixed_in(f).is_some()) {
            tags.push("fix-available");
        }
        tags.truncate(MAX_TAGS);
        Rule {
            id,
            name: id,
            short_description: Text { text: short },
            full_description: full.map(|text| Text { text }),
            help_uri,
            help: detail
                .help_packages
                .map(|packages| help(id, severity, &findings, help_uri, packages)),
            properties: RuleProperties {
                tags,
                security_severity: security_severity(
                    severity,
                    findings
                        .iter()
                        .filter(|f| f.severity == severity)
                        .filter_map(|f| f.score),
                ),
            },
        }
    }
}

/// Short help: the severity, the packages of this rule in the run (a few) and a link.
fn help(
    id: &str,
    severity: Severity,
    findings: &[&Finding],
    url: Option<&str>,
    packages: usize,
) -> Help {
    let mut text = format!("{id}, severity {severity}. Affected packages:");
    let mut markdown = format!(
        "{}, severity **{severity}**.\n\nAffected packages:\n",
        code(id)
    );
    for (n, finding) in findings.iter().take(packages).enumerate() {
        let package = &finding.package;
        let name = piece(package.name.as_deref()).unwrap_or(Cow::Borrowed("unnamed package"));
        text.push_str(if n == 0 { " " } else { "; " });
        text.push_str(&name);
        markdown.push_str("\n- ");
        markdown.push_str(&code(&name));
        if let Some(version) = piece(package.version.as_deref()) {
            let _ = write!(text, " {version}");
            let _ = write!(markdown, " {}", code(&version));
        }
        if let Some(path) = piece(package.path.as_deref()) {
            let _ = write!(text, " at {path}");
            let _ = write!(markdown, " at {}", code(&path));
        }
        match (piece(fixed_in(finding)), finding.fix_available) {
            (Some(fixed), _) => {
                let _ = write!(text, " (fixed in {fixed})");
                let _ = write!(markdown, ", fixed in {}", code(&fixed));
            }
            (None, Some(false)) => {
                text.push_str(" (no fix available)");
                markdown.push_str(", no fix available");
            }
            (None, _) => {}
        }
    }
    if findings.len() > packages {
        let more = findings.len() - packages;
        let _ = write!(text, "; and {more} more");
        let _ = write!(markdown, "\n- and {more} more");
    }
    text.push('.');
    markdown.push('\n');
    if let Some(url) = url {
        let _ = write!(text, " More information: {url}");
        let _ = write!(markdown, "\n[More information](<{url}>)\n");
    }
    Help { text, markdown }
}

/// See the module documentation.
pub(super) fn security_severity(severity: Severity, scores: impl Iterator<Item = f64>) -> String {
    let (band, representative) = match severity {
        Severity::Critical => (91..=100, 95),
        Severity::High => (70..=89, 80),
        Severity::Medium => (40..=69, 55),
        Severity::Low => (1..=39, 20),
        Severity::Informational | Severity::Unknown => (0..=0, 0),
    };
    let tenths = scores
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
        .map(|s| (s * 10.0).round() as i64)
        .filter(|t| band.contains(t))
        .max()
        .unwrap_or(representative);
    format!("{}.{}", tenths / 10, tenths % 10)
}
