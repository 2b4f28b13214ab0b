//! `event-pattern`: prints the EventBridge event pattern (or a rule around it) that matches the
//! completed scans the policy fails on; what severity counts cannot express goes to stderr as notes.

use std::io::Write;

use super::error::{AppError, print_error};
use super::gate::load_policy;
use crate::cli::{BaselineMissing, EventPatternArgs, GateArgs};
use crate::events::pattern::{self, Request};
use crate::events::rule;
use crate::report::escape::plain_line;
use crate::run::{EXIT_ERROR, EXIT_PASS};

pub(super) fn event_pattern(args: &EventPatternArgs) -> u8 {
    match run(args) {
        Ok(()) => EXIT_PASS,
        Err(errors) => {
            for error in &errors {
                print_error(error);
            }
            EXIT_ERROR
        }
    }
}

fn run(args: &EventPatternArgs) -> Result<(), Vec<AppError>> {
    let gate = GateArgs {
        policy: args.policy.clone(),
        fail_on: args.fail_on,
        only_fixed: false,
        only_exploitable: false,
        scope: None,
        baseline: Vec::new(),
        baseline_missing: BaselineMissing::default(),
        min_score: None,
        ignore: Vec::new(),
        report_only: false,
        today: None,
        vex: Vec::new(),
    };
    let policy = load_policy(&gate)?;
    let generated = pattern::generate(&Request {
        policy: &policy,
        repositories: &args.repositories,
        scan_types: args.scan_type,
    })
    .map_err(|error| vec![AppError::Pattern(error)])?;
    let text = rule::render(&generated.pattern, args.format);
    let mut stderr = std::io::stderr().lock();
    for note in &generated.notes {
        let _ = writeln!(stderr, "note: {}", plain_line(note));
    }
    drop(stderr);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|source| {
            vec![AppError::WriteOutput {
                what: "the event pattern",
                source,
            }]
        })
}
