//! SARIF 2.1.0 report for GitHub code scanning.
//!
//! Owns the mapping of a [`ScanSet`](crate::findings::ScanSet) and its [`Verdict`] onto SARIF: one run
//! per image (category `ecr-scan-gate/<image key>/`), one rule per vulnerability id, one result per
//! finding in the image, a stable repo-relative location and fingerprint per result, and GitHub's limits
//! (runs, results, rules, tags, name and description lengths). It must not decide anything: the gate
//! state of each finding is read from the verdict, never recomputed, and nothing here can change the exit
//! code.
//!
//! The document is streamed with serde from small structs that borrow from the findings; no
//! `serde_json::Value` of the whole document is ever built. Only indices are planned ahead; rules and
//! results are built one at a time as they are written.
//!
//! One file a concern, each using only the ones listed before it:
//!
//! - `limits`: GitHub's limits and how much of them this report uses (`Detail`);
//! - `fields`: vendor text in fields, cleaned, clipped and checked (links) by [`super::escape`] as in
//!   every report, to the lengths chosen in `limits`;
//! - `model`: the SARIF objects, as serde writes them;
//! - `plan`: which findings of an image become results, under which rules;
//! - `location`: a result's repo-relative location and its fingerprint;
//! - `rules` and `results`: a run's rules and results, built as they are written;
//! - `runs`: the log and its runs, with the notifications of every cut.
//!
//! Size: past 20 images the rest are left out; a run keeps at most 25,000 results, the most severe, and
//! fewer when the file would exceed 100,000 in all (never fewer than the 5,000 GitHub shows). Rules carry
//! less text as the file's rule count grows (`Detail`), which keeps even a full file under GitHub's
//! 10 MB gzipped. Every cut is announced in the run's `toolExecutionNotifications`.
//!
//! `security-severity` follows the gating severity
//! ([`Finding::severity`](crate::findings::Finding::severity)), not the vendor score, so the Security
//! tab and the gate agree. GitHub reads it in bands: above 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium,
//! 0.1–3.9 low, 0.0 none. A rule takes the highest severity among its findings in the run; it shows the
//! highest score of those findings that, rounded to one decimal, falls inside that severity's band, and
//! otherwise a representative value of the band: critical 9.5, high 8.0, medium 5.5, low 2.0,
//! informational and unknown 0.0. A critical finding scored exactly 9.0 therefore shows 9.5: GitHub
//! would read 9.0 as high.

mod fields;
mod limits;
mod location;
mod model;
mod plan;
mod results;
mod rules;
mod runs;

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod location_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::io::{self, BufWriter, Write};

use super::Context;
use crate::policy::Verdict;
use runs::Log;

/// Writes the SARIF report of `verdict` over `ctx.set` to `w`.
///
/// One run per image, at most 20; results beyond the limits are left out, most severe kept, and each
/// cut is announced in the run's `toolExecutionNotifications`. The JSON report always has everything.
pub fn write(ctx: &Context<'_>, verdict: &Verdict, w: impl Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer(&mut w, &Log::new(ctx, verdict))?;
    w.write_all(b"\n")?;
    w.flush()
}
