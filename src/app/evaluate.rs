//! `evaluate FINDINGS…`: gate scan results saved from the AWS CLI, then the common conclude → reports →
//! exit path of [`super::gate`].

use std::fs;
use std::path::Path;

use super::baseline::{self, Source};
use super::error::AppError;
use super::gate::{Read, baseline_wanted, judge, prepare};
use crate::cli::EvaluateArgs;
use crate::ecr::saved::{self, SavedScan};
use crate::github::Environment;
use crate::run::{Incomplete, Reason};

pub(super) fn evaluate(args: &EvaluateArgs, github: Option<&Environment>) -> u8 {
    // Offline: every baseline source is a file.
    let check = || {
        args.gate
            .baseline
            .iter()
            .map(|source| baseline::classify(source, None))
            .collect::<Result<Vec<Source>, AppError>>()
    };
    let (targets, sources, policy) = match prepare(&args.reports, &args.gate, github, check) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };

    let mut scans = Vec::new();
    let mut errors = Vec::new();
    let mut incomplete = Vec::new();
    for path in &args.findings {
        match read_saved(path) {
            Ok(saved) => {
                if let Err(reason) = saved.usable {
                    incomplete.push(Incomplete {
                        image: Some(saved.scan.image.label()),
                        reason: Reason::Unusable(reason),
                    });
                }
                scans.push(saved.scan);
            }
            Err(error) => errors.push(error),
        }
    }
    let mut baseline = baseline_wanted(&args.gate);
    if let Some(read) = &mut baseline {
        baseline::read_files(&sources, read, &mut incomplete, &mut errors);
    }
    let read = Read {
        scans,
        incomplete,
        errors,
        baseline,
    };
    judge(read, &policy, &targets, &args.gate, github)
}

fn read_saved(path: &Path) -> Result<SavedScan, AppError> {
    let file = path.display().to_string();
    let bytes = fs::read(path).map_err(|source| AppError::ReadFindings {
        file: file.clone(),
        source,
    })?;
    saved::parse(&bytes).map_err(|source| AppError::Findings { file, source })
}
