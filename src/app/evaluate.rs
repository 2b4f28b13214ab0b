//! `evaluate FINDINGS…`: gate scan results saved from the AWS CLI, then the common conclude → reports →
//! exit path of [`super::gate`].

use std::fs;
use std::path::Path;

use super::error::AppError;
use super::gate::{judge, prepare};
use crate::cli::EvaluateArgs;
use crate::ecr::saved::{self, SavedScan};
use crate::github::Environment;
use crate::run::{Incomplete, Reason};

pub(super) fn evaluate(args: &EvaluateArgs, github: Option<&Environment>) -> u8 {
    let (targets, (), policy) = match prepare(&args.reports, &args.gate, github, || Ok(())) {
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
    judge(
        scans, incomplete, errors, &policy, &targets, &args.gate, github,
    )
}

fn read_saved(path: &Path) -> Result<SavedScan, AppError> {
    let file = path.display().to_string();
    let bytes = fs::read(path).map_err(|source| AppError::ReadFindings {
        file: file.clone(),
        source,
    })?;
    saved::parse(&bytes).map_err(|source| AppError::Findings { file, source })
}
