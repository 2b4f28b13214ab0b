//! OpenVEX: machine-readable statements that a vulnerability does or does not affect a product, used to
//! suppress the findings a vendor (or the team) has ruled out.
//!
//! Owns reading documents ([`document`], lenient as the ecosystem's tools are), package URLs
//! ([`purl`]) and deciding which statement governs a finding ([`Vex::judge`], in [`matching`]): the
//! latest statement, by its timestamp (else its document's), among those whose vulnerability is the
//! finding's and whose product is the finding's image (by digest, or the repository by purl or name,
//! optionally narrowed by `subcomponents`) or the finding's package (a package purl; with a version,
//! only that version). Pure: the caller reads the files and passes their bytes; [`crate::policy`]
//! turns what is decided here into the finding's state.

mod document;
mod matching;
pub mod purl;
mod statement;

pub use document::{Document, VexError, parse_time};
pub use matching::Applied;
pub use statement::{Product, Statement, Status, Vulnerability};

use std::collections::HashMap;

use crate::findings::{Finding, Image};
use matching::CompiledProduct;

/// A document the run read, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The file as the user named it.
    pub file: String,
    /// The document's `@id`, when given.
    pub id: Option<String>,
    /// How many statements it holds.
    pub statements: usize,
}

/// Every statement of the run's VEX documents, indexed by vulnerability.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vex {
    pub documents: Vec<Source>,
    pub statements: Vec<Statement>,
    /// What was read leniently and may surprise, for the run's warnings.
    pub warnings: Vec<String>,
    /// Each statement's products, compiled for matching (same order as `statements`).
    compiled: Vec<Vec<CompiledProduct>>,
    /// Statement indices by lower-cased vulnerability key.
    by_vulnerability: HashMap<String, Vec<usize>>,
}

impl Vex {
    /// Reads one document and adds its statements. `file` names it in errors and reports.
    pub fn add(&mut self, file: &str, bytes: &[u8]) -> Result<(), VexError> {
        let document = document::parse(file, self.documents.len(), bytes)?;
        self.documents.push(Source {
            file: document.file,
            id: document.id,
            statements: document.statements.len(),
        });
        self.warnings.extend(document.warnings);
        let mut package_products_with_subcomponents = 0;
        for statement in document.statements {
            let index = self.statements.len();
            for key in statement.vulnerability.keys() {
                self.by_vulnerability.entry(key).or_default().push(index);
            }
            let compiled: Vec<CompiledProduct> = statement
                .products
                .iter()
                .map(CompiledProduct::new)
                .collect();
            package_products_with_subcomponents += compiled
                .iter()
                .filter(|p| p.is_package_with_subcomponents())
                .count();
            self.compiled.push(compiled);
            self.statements.push(statement);
        }
        if package_products_with_subcomponents > 0 {
            self.warnings.push(format!(
                "VEX document {file}: {package_products_with_subcomponents} product(s) are packages \
                 narrowed by subcomponents; ECR's findings do not say which package brought in \
                 another, so these cover nothing (name the image as the product instead)"
            ));
        }
        Ok(())
    }

    /// Whether no document was read.
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    /// The statement that governs `finding` (which occurs in `images`, by index), if any covers it.
    pub fn judge(&self, finding: &Finding, images: &[Image]) -> Option<Applied> {
        let candidates = self
            .by_vulnerability
            .get(&finding.id.trim().to_lowercase())?;
        matching::judge(
            &self.statements,
            &self.compiled,
            candidates,
            finding,
            images,
        )
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
