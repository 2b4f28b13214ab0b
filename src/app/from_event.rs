//! `scan --from-event FILE|-`: reads the scan event (checked before any AWS call) and says what the
//! live part waits for: the one image the event names, by digest, with the scan type the event names.
//! The gate never starts a scan here, and the event's tags are only reported (a tag may have moved).

use std::io::Read;
use std::path::Path;

use super::error::AppError;
use crate::cli::AwsArgs;
use crate::events::scan_event::{self, FailedScan, Parsed, ScanEvent};
use crate::findings::ScanType;
use crate::report::escape::plain_line;
use crate::run::{Incomplete, Reason};
use crate::scan::identify::Target;
use crate::scan::plan::{Plan, ScanMode};

/// The largest event read. EventBridge events are at most 256 KB; a repository_dispatch payload
/// around one is a little larger.
const MAX_EVENT_BYTES: u64 = 1 << 20;

/// Reads and checks the event in `path` (`-`: stdin). `--region` and `--registry-id`, when given, must
/// name what the event names. `Ok(Err(incomplete))` for the event of a failed scan: no verdict (exit
/// 3), and nothing to read.
pub(super) fn read(
    path: &Path,
    aws: &AwsArgs,
    mode: ScanMode,
) -> Result<Result<ScanEvent, Incomplete>, AppError> {
    if mode == ScanMode::Start {
        return Err(AppError::Usage(
            "--scan-mode start cannot be used with --from-event: the event names a finished scan, \
             which the gate reads and never starts again"
                .into(),
        ));
    }
    let file = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_EVENT_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_EVENT_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|source| AppError::ReadEvent {
        file: file.clone(),
        source,
    })?;
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        return Err(AppError::Usage(format!(
            "event file {file} is over {MAX_EVENT_BYTES} bytes: not a scan event"
        )));
    }
    let parsed = scan_event::parse(&bytes).map_err(|source| AppError::Event {
        file: file.clone(),
        source,
    })?;
    let event = match parsed {
        Parsed::Complete(event) => event,
        Parsed::Failed(failed) => return Ok(Err(incomplete(&failed))),
    };
    for (flag, given, named) in [
        ("--region", &aws.region, &event.region),
        ("--registry-id", &aws.registry_id, &event.registry_id),
    ] {
        if let Some(given) = given
            && given != named
        {
            return Err(AppError::Usage(format!(
                "{flag} {given} disagrees with the event in {file}, which names {named}; leave \
                 {flag} out (the event decides)"
            )));
        }
    }
    Ok(Ok(event))
}

/// The image as people read it: `repository@digest`.
pub(super) fn label(event: &ScanEvent) -> String {
    format!("{}@{}", event.repository, event.digest)
}

/// Why a failed scan's event has no verdict (exit 3).
fn incomplete(failed: &FailedScan) -> Incomplete {
    Incomplete {
        image: Some(failed.image.clone()),
        reason: Reason::Unusable(format!(
            "the {} event reports that the scan failed (scan-status {}): there are no findings to \
             judge; see the image's scan status in ECR for why, and scan it again",
            failed.kind(),
            failed.scan_status
        )),
    }
}

/// What the live part does for an event: wait for the one image's existing scan (a short grace for
/// ECR to show it), never start one.
pub(super) fn plan(event: &ScanEvent) -> (Vec<Target>, Plan, ScanMode, bool) {
    let target = Target {
        digest: event.digest.to_string(),
        platform: None,
    };
    let plan = Plan::Wait {
        grace_for_missing_scan: true,
    };
    let enhanced = event.scan_type == ScanType::Enhanced;
    (vec![target], plan, ScanMode::Wait, enhanced)
}

/// One log line about the event: what it names and what it counted (the verdict is the live one).
pub(super) fn describe(event: &ScanEvent) -> String {
    let tags = if event.tags.is_empty() {
        "no tags".to_string()
    } else {
        format!("tags {}", event.tags.join(", "))
    };
    let counts = match &event.counts {
        Some(counts) if !counts.is_empty() => counts
            .iter()
            .map(|(key, count)| format!("{key} {count}"))
            .collect::<Vec<_>>()
            .join(", "),
        Some(_) => "no findings".to_string(),
        None => "no counts".to_string(),
    };
    plain_line(&format!(
        "from the {} event{}: {} in {} (registry {}), {tags} (reported, not used to find the image); \
         the event counted {counts}; reading the live result of that scan",
        event.kind(),
        event
            .time
            .as_deref()
            .map(|time| format!(" of {time}"))
            .unwrap_or_default(),
        label(event),
        event.region,
        event.registry_id,
    ))
}
