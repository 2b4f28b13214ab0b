//! The SARIF log and its runs: one run per image, at most 20, each with its own category, its rules
//! and results, the image's properties and a notification for every cut.
//!
//! Plans every run up front (indices only, see `plan`), shares the text budget out over the file's
//! rules, then writes one image at a time. It must not decide anything: states come from the verdict.

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use super::fields::bounded;
use super::limits::{
    Detail, MAX_RESULTS_PER_RUN, MAX_RUNS, SHOWN_RESULTS_PER_RUN, results_per_run,
};
use super::model::{AutomationDetails, Invocation, Notification, RunProperties};
use super::plan::Plan;
use super::results::Results;
use super::rules::Rules;
use crate::findings::{Image, ScanSet};
use crate::policy::{Policy, Verdict};
use crate::report::Context;

pub(super) const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
const TOOL_NAME: &str = "ecr-scan-gate";
const INFORMATION_URI: &str = "https://github.com/ecr-scan-gate/ecr-scan-gate";

/// The whole SARIF document.
#[derive(Serialize)]
pub(super) struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Runs<'a>,
}

impl<'a> Log<'a> {
    /// The document of `verdict` over `ctx.set`.
    pub(super) fn new(ctx: &'a Context<'a>, verdict: &'a Verdict) -> Log<'a> {
        Log {
            schema: SCHEMA_URI,
            version: SARIF_VERSION,
            runs: Runs {
                set: ctx.set,
                policy: ctx.policy,
                verdict,
                tool_version: ctx.tool_version,
            },
        }
    }
}

/// The runs: planned up front (indices only), then written one image at a time.
struct Runs<'a> {
    set: &'a ScanSet,
    policy: &'a Policy,
    verdict: &'a Verdict,
    tool_version: &'a str,
}

impl Serialize for Runs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let images = &self.set.images;
        let kept = images.len().min(MAX_RUNS);
        let cap = results_per_run(kept);
        let plans: Vec<Plan<'_>> = (0..kept).map(|i| Plan::new(self.set, i, cap)).collect();
        let detail = Detail::for_rules(plans.iter().map(|p| p.rules.len()).sum());
        let mut seq = serializer.serialize_seq(Some(kept))?;
        let mut categories: HashMap<String, usize> = HashMap::new();
        for (index, (image, plan)) in images.iter().zip(&plans).enumerate() {
            let mut notifications = Vec::new();
            if plan.omitted > 0 {
                notifications.push(omitted_findings(plan));
            }
            if index + 1 == kept && images.len() > kept {
                notifications.push(omitted_images(images.len(), kept));
            }
            let run = Run {
                tool: Tool {
                    driver: Driver {
                        name: TOOL_NAME,
                        version: self.tool_version,
                        information_uri: INFORMATION_URI,
                        rules: Rules {
                            set: self.set,
                            plan,
                            detail,
                        },
                    },
                },
                automation_details: AutomationDetails {
                    id: category(image, &mut categories),
                },
                invocations: [Invocation {
                    execution_successful: true,
                    tool_execution_notifications: notifications,
                }],
                results: Results {
                    set: self.set,
                    policy: self.policy,
                    verdict: self.verdict,
                    image,
                    image_index: index,
                    plan,
                },
                properties: RunProperties {
                    repository: bounded(&image.repository),
                    digest: image.digest.as_deref().map(bounded),
                    platform: image.platform.as_deref().map(bounded),
                    tags: image.tags.iter().map(|t| bounded(t)).collect(),
                    scan_type: image.scan.scan_type.as_str(),
                },
            };
            seq.serialize_element(&run)?;
        }
        seq.end()
    }
}

/// The notice of a run that left findings out.
fn omitted_findings(plan: &Plan<'_>) -> Notification {
    Notification::warning(format!(
        "left out {} of {} findings in this image, keeping the {} most severe, to stay within \
         GitHub's limits ({} results per run, 10 MB per file; GitHub shows the {} most severe of a \
         run); the JSON report has all of them",
        plan.omitted,
        plan.total,
        plan.results.len(),
        MAX_RESULTS_PER_RUN,
        SHOWN_RESULTS_PER_RUN
    ))
}

/// The notice, on the last run, that images past the run limit were left out.
fn omitted_images(images: usize, kept: usize) -> Notification {
    Notification::warning(format!(
        "left out {} of {} images: GitHub accepts at most {} runs per file, so only the first \
         {} images are here; the JSON report has all of them",
        images - kept,
        images,
        MAX_RUNS,
        kept
    ))
}

/// A `run`: one image, its tool, rules and results.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    invocations: [Invocation; 1],
    results: Results<'a>,
    properties: RunProperties<'a>,
}

/// The run's `tool`.
#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

/// The tool's `driver`: this gate and the run's rules.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    information_uri: &'static str,
    rules: Rules<'a>,
}

/// `ecr-scan-gate/<image key>/`; a key seen before in this file gets `#2`, `#3`, … so that no two runs
/// share a category.
fn category(image: &Image, seen: &mut HashMap<String, usize>) -> String {
    let key = bounded(&image.key()).into_owned();
    let count = seen.entry(key.clone()).or_insert(0);
    *count += 1;
    if *count == 1 {
        format!("{TOOL_NAME}/{key}/")
    } else {
        format!("{TOOL_NAME}/{key}#{count}/")
    }
}
