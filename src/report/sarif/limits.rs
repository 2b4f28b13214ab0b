//! GitHub's limits on a SARIF file, and how much of them this report uses.
//!
//! Owns the numbers (runs, results and rules per run, tags, name and description lengths, the text
//! budget of a file), how many results a run keeps ([`results_per_run`]) and how much text a rule
//! carries ([`Detail`]). It chooses numbers only: the cuts are made where the document is built, and
//! text is clipped by [`escape`](crate::report::escape).

// NOTE: GitHub's limits, https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#file-limits
pub(super) const MAX_RUNS: usize = 20;
pub(super) const MAX_RESULTS_PER_RUN: usize = 25_000;
pub(super) const MAX_RULES_PER_RUN: usize = 25_000;
pub(super) const MAX_TAGS: usize = 10;
/// Lengths are counted in UTF-16 code units, which bounds characters too.
pub(super) const MAX_NAME_LEN: usize = 255;
pub(super) const MAX_DESCRIPTION_LEN: usize = 1024;
/// GitHub shows only this many results of a run, the most severe.
pub(super) const SHOWN_RESULTS_PER_RUN: usize = 5_000;
/// Results in the whole file. With this many, a run may hold fewer than 25,000 but never fewer than
/// GitHub shows; together with [`Detail`] it keeps large files under GitHub's 10 MB (gzipped).
const MAX_RESULTS_PER_FILE: usize = 100_000;
/// Budget of `fullDescription` text in the whole file, shared out over its rules.
const DESCRIPTION_BUDGET: usize = 6_000_000;
/// Below this share per rule, rules have no `fullDescription` (GitHub then shows `shortDescription`).
const MIN_FULL_DESCRIPTION_LEN: usize = 80;
/// Bound on `shortDescription` when the description budget is tight.
pub(super) const MIN_SHORT_DESCRIPTION_LEN: usize = 120;
/// Bound on one piece of vendor text (package name, version, …) inside a message or help text.
pub(super) const MAX_PIECE_LEN: usize = 100;
/// Packages listed in a rule's help; the rest are counted.
const MAX_HELP_PACKAGES: usize = 5;
/// Rules in the file above which a rule's help lists one package.
const MAX_RULES_WITH_FULL_HELP: usize = 10_000;
/// Rules in the file above which rules have no help (`helpUri` stays).
const MAX_RULES_WITH_HELP: usize = 50_000;

/// Results kept per run when the file has `runs` runs: 25,000 while the file stays within 100,000 in
/// all, never fewer than the 5,000 GitHub shows.
pub(super) fn results_per_run(runs: usize) -> usize {
    (MAX_RESULTS_PER_FILE / runs.max(1)).clamp(SHOWN_RESULTS_PER_RUN, MAX_RESULTS_PER_RUN)
}

/// How much text each rule carries, so that files with many rules stay under GitHub's size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Detail {
    /// Bound on `shortDescription`.
    pub(super) short_len: usize,
    /// `None`: no `fullDescription`.
    pub(super) full_len: Option<usize>,
    /// Packages listed in `help`; `None`: no `help`.
    pub(super) help_packages: Option<usize>,
}

impl Detail {
    /// The text a rule carries in a file of `rules` rules.
    pub(super) fn for_rules(rules: usize) -> Detail {
        let share = (DESCRIPTION_BUDGET / rules.max(1)).min(MAX_DESCRIPTION_LEN);
        Detail {
            short_len: share.max(MIN_SHORT_DESCRIPTION_LEN),
            full_len: (share >= MIN_FULL_DESCRIPTION_LEN).then_some(share),
            help_packages: if rules > MAX_RULES_WITH_HELP {
                None
            } else if rules > MAX_RULES_WITH_FULL_HELP {
                Some(1)
            } else {
                Some(MAX_HELP_PACKAGES)
            },
        }
    }
}
