//! `scan IMAGE`: identify the image in ECR, plan and wait for its scan(s), read every page, then the
//! common judge → reports → exit path.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use futures_util::future::try_join_all;
use reqwest::Url;
use tokio::time::Instant;

use super::baseline::{self, Source};
use super::error::AppError;
use super::from_event;
use super::gate::{Read, baseline_wanted, fail_early, judge, prepare};
use crate::cli::ScanArgs;
use crate::digest::Digest;
use crate::ecr::client::{AwsOptions, Ecr, EcrError, Manifest};
use crate::ecr::retry::Deadline;
use crate::events::scan_event::ScanEvent;
use crate::findings::{ImageScan, ScanType};
use crate::github::Environment;
use crate::image_ref::ImageRef;
use crate::registry::endpoint::{self, EndpointError};
use crate::registry::{self, PushError, PushEvent};
use crate::report::escape::{plain_line, workflow_command_data};
use crate::run::{Incomplete, Reason};
use crate::scan::identify;
use crate::scan::plan::{self, Coverage, Plan, WaitStart};
use crate::scan::wait::{Progress, Shared, Waited, wait_among};

/// How long a tag that is not visible yet (right after a push) is looked for.
const IMAGE_VISIBILITY_WINDOW: Duration = Duration::from_secs(30);

/// The most ECR calls the waits for an index's images make at once.
const MAX_CALLS_IN_FLIGHT: usize = 4;

/// What the command line names: an image (with the `--from-event` event that named it), or a failed
/// scan's event.
enum Named {
    Image(ImageRef, Option<Box<ScanEvent>>),
    FailedScan(Incomplete),
}

/// What the live part read of one image reference.
#[derive(Default)]
struct Scanned {
    scans: Vec<ImageScan>,
    incomplete: Vec<Incomplete>,
}

/// What the live part produced for the judge: the gated image's scans, and the baseline images'.
#[derive(Default)]
struct Live {
    target: Scanned,
    baseline: Scanned,
    /// Baseline images that do not exist, and why.
    baseline_missing: Vec<String>,
}

pub(super) fn scan(args: &ScanArgs, github: Option<&Environment>) -> u8 {
    let check = || {
        // `--from-event`: the event names the image, checked before any AWS call.
        let named = match &args.from_event {
            Some(path) => match from_event::read(path, &args.aws, args.scan_mode)? {
                Ok(event) => Named::Image(event.image(), Some(Box::new(event))),
                Err(failed) => Named::FailedScan(failed),
            },
            None => {
                let reference = ImageRef::parse(args.image.as_deref().unwrap_or_default())?;
                if let Some(source) = &args.push {
                    check_push_source(source)?;
                }
                Named::Image(reference, None)
            }
        };
        let sources = match &named {
            Named::Image(reference, event) => {
                let sources = args
                    .gate
                    .baseline
                    .iter()
                    .map(|source| baseline::classify(source, Some(reference)))
                    .collect::<Result<Vec<Source>, AppError>>()?;
                // The event does not say the image's platform, so the baseline image's platform to
                // compare with cannot be chosen.
                if event.is_some() && sources.iter().any(|s| matches!(s, Source::Image(_))) {
                    return Err(AppError::Usage(
                        "--from-event takes a baseline file (such as the JSON report of the main \
                         branch's run), not a baseline image: the event does not say the image's \
                         platform"
                            .into(),
                    ));
                }
                sources
            }
            // A failed scan's event: no verdict whatever the baseline (exit 3); nothing else is read.
            Named::FailedScan(_) => Vec::new(),
        };
        Ok((named, sources))
    };
    let (targets, (named, sources), policy) =
        match prepare(&args.reports, &args.gate, github, check) {
            Ok(prepared) => prepared,
            Err(code) => return code,
        };
    let baseline_images: Vec<ImageRef> = sources
        .iter()
        .filter_map(|source| match source {
            Source::Image(image) => Some(image.clone()),
            Source::File(_) => None,
        })
        .collect();
    let mut read = Read {
        baseline: baseline_wanted(&args.gate),
        ..Read::default()
    };
    if let Some(baseline) = &mut read.baseline {
        baseline::read_files(&sources, baseline, &mut read.incomplete, &mut read.errors);
        baseline
            .names
            .extend(baseline_images.iter().map(|image| format!("image {image}")));
    }
    let judge = |mut read: Read, live: Live| {
        read.scans.extend(live.target.scans);
        read.incomplete.extend(live.target.incomplete);
        read.incomplete.extend(live.baseline.incomplete);
        if let Some(baseline) = &mut read.baseline {
            baseline.scans.extend(live.baseline.scans);
            baseline.missing.extend(live.baseline_missing);
        }
        judge(read, &policy, &targets, &args.gate, github)
    };
    let (reference, event) = match named {
        Named::Image(reference, event) => (reference, event),
        // `--from-event` with a failed scan's event: nothing to read, no verdict.
        Named::FailedScan(failed) => {
            read.baseline = None;
            read.incomplete.push(failed);
            return judge(read, Live::default());
        }
    };
    // A baseline file that cannot be used leaves the run without a verdict whatever the scan says:
    // no AWS call.
    if !read.errors.is_empty() || !read.incomplete.is_empty() {
        return judge(read, Live::default());
    }
    if let Some(event) = &event {
        note(&from_event::describe(event));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail_early(vec![AppError::Runtime(error)], &policy, &targets, github),
    };
    let names = Names {
        baselines: &baseline_images,
        event: event.as_deref(),
    };
    match runtime.block_on(run(args, &reference, names, github.is_some())) {
        Ok(live) => judge(read, live),
        // ECR kept throttling (or failing) until the deadline: no verdict, exit 3.
        Err(AppError::Ecr(error @ EcrError::OutOfTime { .. })) => {
            read.incomplete.push(Incomplete {
                image: None,
                reason: out_of_time(args.timeout, &error),
            });
            judge(read, Live::default())
        }
        Err(error) => {
            read.errors.push(error);
            judge(read, Live::default())
        }
    }
}

/// Which side of the comparison an image is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Target,
    Baseline,
}

/// What else names the images to read besides the reference: the baseline images, and the scan event
/// `--from-event` read (which names the one image and its scan type).
#[derive(Clone, Copy)]
struct Names<'a> {
    baselines: &'a [ImageRef],
    event: Option<&'a ScanEvent>,
}

/// The live part: connect, push (`--push`), identify the images (and the baseline's), plan, then wait
/// for and read each image's scan, the baseline's alongside. `in_actions`: the log is a GitHub Actions
/// job's (groups, masking).
async fn run(
    args: &ScanArgs,
    reference: &ImageRef,
    names: Names<'_>,
    in_actions: bool,
) -> Result<Live, AppError> {
    let began = Instant::now();
    // Checked before any AWS call: a bad endpoint must not cost a token, let alone receive one.
    let given_endpoint = match &args.push {
        Some(_) => given_push_endpoint(args, reference).map_err(PushError::from)?,
        None => None,
    };
    let deadline =
        Deadline::new(began + args.timeout).observe(|retrying| note(&format!("  {retrying}")));
    let ecr = Ecr::connect(&aws_options(&args.aws, reference))
        .await?
        .with_deadline(deadline);
    let pinned;
    let reference = match &args.push {
        Some(source) => {
            pinned = push(&ecr, args, reference, source, given_endpoint, in_actions).await?;
            &pinned
        }
        None => reference,
    };
    // The event names the image and its scan: no tag to resolve, no configuration to read for it.
    let (index_digest, targets, given) = match names.event {
        Some(event) => {
            let (targets, plan, mode, enhanced) = from_event::plan(event);
            note(&format!("{reference}: {}", plan.describe()));
            (None, targets, Some((plan, mode, enhanced)))
        }
        None => {
            let (index, targets) = identify_images(&ecr, reference, &args.platform, true).await?;
            (index, targets, None)
        }
    };
    let mut live = Live::default();
    // The baseline's images, of the platforms gated when it has several.
    let mut baselines: Vec<(&ImageRef, Option<String>, Vec<identify::Target>)> = Vec::new();
    for image in names.baselines {
        match identify_images(&ecr, image, &[], false).await {
            Ok((index, found)) => baselines.push((image, index, same_platforms(found, &targets))),
            Err(AppError::Ecr(
                error @ (EcrError::ImageNotFound { .. } | EcrError::RepositoryNotFound { .. }),
            )) => live
                .baseline_missing
                .push(format!("baseline image {image}: {error}")),
            Err(error) => return Err(error),
        }
    }
    let config = if given.is_none() || !baselines.is_empty() {
        registry_config(&ecr).await?
    } else {
        None
    };
    let mut jobs: Vec<Job<'_>> = Vec::new();
    let target = (Side::Target, reference, index_digest, targets);
    for (side, image, index_digest, images) in std::iter::once(target).chain(
        baselines
            .into_iter()
            .map(|(r, d, t)| (Side::Baseline, r, d, t)),
    ) {
        if side == Side::Target
            && let Some((plan, mode, enhanced)) = &given
        {
            for target in images {
                let start = plan
                    .wait_start(*enhanced, *mode)
                    .map_err(|why| Reason::NotScanned(why.to_string()));
                jobs.push(Job {
                    side,
                    reference: image,
                    index_digest: index_digest.clone(),
                    target,
                    start,
                    enhanced: *enhanced,
                });
            }
            continue;
        }
        let coverage = config
            .as_ref()
            .map(|c| plan::coverage(c, &image.repository));
        let plan: Plan = plan::plan(coverage.as_ref(), args.scan_mode);
        note(&format!(
            "{}{image} → {} image(s) in {}; {}; {}",
            if side == Side::Baseline {
                "baseline "
            } else {
                ""
            },
            images.len(),
            ecr.region(),
            coverage.as_ref().map_or_else(
                || "registry scanning configuration not readable".to_string(),
                Coverage::to_string
            ),
            plan.describe()
        ));
        let enhanced = coverage
            .as_ref()
            .is_some_and(|c| c.scan_type == ScanType::Enhanced);
        for target in images {
            let start = plan
                .wait_start(enhanced, args.scan_mode)
                .map_err(|why| Reason::NotScanned(why.to_string()));
            jobs.push(Job {
                side,
                reference: image,
                index_digest: index_digest.clone(),
                target,
                start,
                enhanced,
            });
        }
    }

    let waiting = Waiting {
        ecr: &ecr,
        args,
        tags: names.event.map_or(&[][..], |event| &event.tags[..]),
        began,
        in_actions,
    };
    // Every image's wait begins at once (each starts or confirms its scan first), under the one
    // timeout, one image polling at a time when ECR started the scans (`Shared`); the results come
    // back in the order of the jobs.
    let shared = Shared::new(MAX_CALLS_IN_FLIGHT);
    let concurrent = jobs.len() > 1;
    if in_actions && concurrent {
        eprintln!(
            "::group::{}",
            workflow_command_data(&format!(
                "ecr-scan-gate: waiting for the scans of {} images",
                jobs.len()
            ))
        );
    }
    let waits = jobs.iter().map(|job| {
        let mut label = match &job.target.platform {
            Some(platform) => format!(
                "{}@{} ({platform})",
                job.reference.repository, job.target.digest
            ),
            None => format!("{}@{}", job.reference.repository, job.target.digest),
        };
        if job.side == Side::Baseline {
            label.insert_str(0, "baseline ");
        }
        let waiting = &waiting;
        let shared = &shared;
        async move {
            let result = match &job.start {
                Ok(start) => {
                    let image = Image {
                        side: job.side,
                        reference: job.reference,
                        index_digest: job.index_digest.as_deref(),
                        target: &job.target,
                        label: &label,
                        start: *start,
                        enhanced: job.enhanced,
                        concurrent,
                    };
                    waiting.scan_image(&image, shared).await?
                }
                Err(reason) => ImageResult::NoResult(reason.clone()),
            };
            Ok::<_, AppError>((job.side, label, result))
        }
    });
    let results = try_join_all(waits).await;
    if in_actions && concurrent {
        eprintln!("::endgroup::");
    }
    for (side, label, result) in results? {
        let scanned = match side {
            Side::Target => &mut live.target,
            Side::Baseline => &mut live.baseline,
        };
        let incomplete = |reason| Incomplete {
            image: Some(label.clone()),
            reason,
        };
        match result {
            ImageResult::Read { scan, unusable } => {
                if let Some(reason) = unusable {
                    scanned
                        .incomplete
                        .push(incomplete(Reason::Unusable(reason)));
                }
                scanned.scans.push(*scan);
            }
            ImageResult::NoResult(reason) => scanned.incomplete.push(incomplete(reason)),
        }
    }
    Ok(live)
}

/// One image to wait for: its side, reference, digest and platform, and how its wait starts.
struct Job<'a> {
    side: Side,
    reference: &'a ImageRef,
    /// The digest of the image index the reference named, if it named one.
    index_digest: Option<String>,
    target: identify::Target,
    start: Result<WaitStart, Reason>,
    enhanced: bool,
}

/// A baseline's images: when it has several, those of the platforms gated (all of them when none
/// matches, so the comparison can say what is missing).
fn same_platforms(
    baseline: Vec<identify::Target>,
    gated: &[identify::Target],
) -> Vec<identify::Target> {
    if baseline.len() < 2 {
        return baseline;
    }
    let wanted: Vec<Option<String>> = gated
        .iter()
        .map(|t| crate::baseline::platform_key(t.platform.as_deref()))
        .collect();
    let kept: Vec<identify::Target> = baseline
        .iter()
        .filter(|t| wanted.contains(&crate::baseline::platform_key(t.platform.as_deref())))
        .cloned()
        .collect();
    if kept.is_empty() { baseline } else { kept }
}

/// One image to wait for.
struct Image<'a> {
    side: Side,
    /// The reference it belongs to (the gated image, pinned to the pushed digest after `--push`, or a
    /// baseline image).
    reference: &'a ImageRef,
    /// The digest of the image index the reference named, if it named one.
    index_digest: Option<&'a str>,
    target: &'a identify::Target,
    label: &'a str,
    start: WaitStart,
    enhanced: bool,
    /// Other images are waited for at the same time: progress only when something changes.
    concurrent: bool,
}

/// What the live part works with for each image.
struct Waiting<'a> {
    ecr: &'a Ecr,
    args: &'a ScanArgs,
    /// Tags to report with the gated images (a `--from-event` event's), never used to find them.
    tags: &'a [String],
    began: Instant,
    in_actions: bool,
}

/// What waiting for one image's scan gave.
enum ImageResult {
    /// The result was read completely; `unusable` says why it gives no verdict, if it does not.
    Read {
        scan: Box<ImageScan>,
        unusable: Option<String>,
    },
    /// No result to read.
    NoResult(Reason),
}

impl Waiting<'_> {
    /// Waits for one image's scan (in a log group of its own in GitHub Actions when it is the only
    /// image) and reads every page of its result, its calls within `shared`'s bound.
    async fn scan_image(
        &self,
        image: &Image<'_>,
        shared: &Shared,
    ) -> Result<ImageResult, AppError> {
        let (ecr, args, repository) = (self.ecr, self.args, &image.reference.repository);
        let Image {
            side,
            reference,
            index_digest,
            target,
            label,
            ref start,
            enhanced,
            concurrent,
        } = *image;
        let remaining = args.timeout.saturating_sub(self.began.elapsed());
        let api = ecr.scan_of(repository, &target.digest, enhanced);
        let grouped = self.in_actions && !concurrent;
        if grouped {
            eprintln!(
                "::group::{}",
                workflow_command_data(&format!("ecr-scan-gate: waiting for the scan of {label}"))
            );
        }
        let mut last = None;
        let report = |p: &Progress| {
            let seen = (p.status.clone(), p.unavailable.clone());
            if !concurrent || last.as_ref() != Some(&seen) {
                progress(label, p);
                last = Some(seen);
            }
        };
        let lifecycle = start.lifecycle();
        let waited = wait_among(
            &api,
            lifecycle,
            remaining,
            start.start_first,
            shared,
            report,
        )
        .await;
        if grouped {
            eprintln!("::endgroup::");
        }
        // ECR kept throttling (or failing) until the deadline: this image has no verdict.
        let page = match waited {
            Err(error @ EcrError::OutOfTime { .. }) => {
                return Ok(ImageResult::NoResult(out_of_time(args.timeout, &error)));
            }
            Err(error) => return Err(error.into()),
            Ok(Waited::Ready(page)) => page,
            Ok(Waited::Incomplete(reason)) => {
                return Ok(ImageResult::NoResult(Reason::Unusable(reason)));
            }
            Ok(Waited::TimedOut {
                last_status,
                unavailable,
            }) => {
                return Ok(ImageResult::NoResult(Reason::TimedOut {
                    after: args.timeout,
                    last_status,
                    unavailable,
                }));
            }
        };
        let read = ecr.read_all(repository, &target.digest, page);
        let saved = match shared.call(read).await {
            Err(error @ EcrError::OutOfTime { .. }) => {
                return Ok(ImageResult::NoResult(out_of_time(args.timeout, &error)));
            }
            other => other?,
        };
        let mut scan = saved.scan;
        self.name_image(&mut scan, reference, target);
        if scan.image.index_digest.is_none() {
            scan.image.index_digest = index_digest.map(str::to_string);
        }
        if side == Side::Target {
            for tag in self.tags {
                if !scan.image.tags.contains(tag) {
                    scan.image.tags.push(tag.clone());
                    scan.image.tags_from_event = true;
                }
            }
        }
        Ok(ImageResult::Read {
            scan: Box::new(scan),
            unusable: saved.usable.err(),
        })
    }

    /// Fills in what ECR's answer leaves out of the image: its platform and digest, the tag asked for,
    /// the region.
    fn name_image(&self, scan: &mut ImageScan, reference: &ImageRef, target: &identify::Target) {
        let image = &mut scan.image;
        if image.platform.is_none() {
            image.platform = target.platform.clone();
        }
        if image.digest.is_none() {
            image.digest = Some(target.digest.clone());
        }
        if let Some(tag) = &reference.tag
            && !image.tags.contains(tag)
        {
            image.tags.insert(0, tag.clone());
        }
        if image.region.is_none() {
            image.region = Some(self.ecr.region().to_string());
        }
    }
}

/// AWS selection: flags first, then what the image URI says, then the standard chain.
pub(super) fn aws_options(aws: &crate::cli::AwsArgs, reference: &ImageRef) -> AwsOptions {
    AwsOptions {
        region: aws.region.clone().or_else(|| reference.region.clone()),
        profile: aws.profile.clone(),
        registry_id: aws
            .registry_id
            .clone()
            .or_else(|| reference.registry_id.clone()),
    }
}

/// The digest of the image index the reference names (`None` for a single image), and the images it
/// stands for: the tag's manifest, and for an index the images it lists, following nested indexes (each
/// fetched by digest, bounded by [`identify`]'s limits).
/// `look_again`: a tag not found is looked for a while (it may have just been pushed).
async fn identify_images(
    ecr: &Ecr,
    reference: &ImageRef,
    platforms: &[String],
    look_again: bool,
) -> Result<(Option<String>, Vec<identify::Target>), AppError> {
    let refused = |source| AppError::Identify {
        image: reference.to_string(),
        source,
    };
    let manifest = fetch_manifest(ecr, reference, look_again).await?;
    let mut resolver = identify::Resolver::new(
        &manifest.digest,
        manifest.media_type.as_deref(),
        &manifest.bytes,
    )
    .map_err(refused)?;
    while let Some(nested) = resolver.next_nested() {
        let inner = ecr
            .manifest(&reference.repository, None, Some(&nested.digest))
            .await?;
        resolver
            .add(&nested, inner.media_type.as_deref(), &inner.bytes)
            .map_err(refused)?;
    }
    let index_digest = resolver.is_index().then(|| manifest.digest.clone());
    let targets = resolver.finish(platforms).map_err(refused)?;
    Ok((index_digest, targets))
}

/// The registry's scanning configuration, or `None` (with a note) when it cannot be read: the plan is
/// then inferred from ECR's answers. Running out of time is an error.
async fn registry_config(ecr: &Ecr) -> Result<Option<plan::RegistryConfig>, AppError> {
    match ecr.registry_config().await {
        Ok(config) => Ok(config),
        Err(error @ EcrError::OutOfTime { .. }) => Err(error.into()),
        Err(error) => {
            note(&format!(
                "couldn't read the registry scanning configuration ({error}); inferring from ECR's answers"
            ));
            Ok(None)
        }
    }
}

/// A `--push` source that cannot be an image fails at once, before any AWS call (not after
/// `GetAuthorizationToken`).
fn check_push_source(source: &Path) -> Result<(), AppError> {
    let path = source.display().to_string();
    match std::fs::metadata(source) {
        Ok(metadata) if metadata.is_dir() || metadata.is_file() => Ok(()),
        Ok(_) => Err(AppError::PushSourceNotImage { path }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(AppError::PushSourceMissing { path })
        }
        Err(source) => Err(AppError::PushSourceUnreadable { path, source }),
    }
}

/// `--push SOURCE`: registry credentials from `GetAuthorizationToken` (masked in GitHub Actions before
/// anything else is printed), the push, the pushed digest on stderr. Returns IMAGE pinned to the
/// pushed digest: the image gated is the one pushed, even if the tag moves meanwhile.
async fn push(
    ecr: &Ecr,
    args: &ScanArgs,
    reference: &ImageRef,
    source: &Path,
    given_endpoint: Option<Url>,
    in_actions: bool,
) -> Result<ImageRef, AppError> {
    let authorization = ecr
        .deadline()
        .retry("GetAuthorizationToken", || ecr.authorization())
        .await?;
    if in_actions {
        // NOTE: a masked value is replaced by *** in the job log from then on:
        // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#masking-a-value-in-a-log
        eprintln!("::add-mask::{}", authorization.password);
    }
    let endpoint = match given_endpoint {
        Some(endpoint) => endpoint,
        None => endpoint::proxy(&authorization.proxy_endpoint)
            .and_then(|own| endpoint::for_registry(&own, ecr.registry_id()))
            .map_err(PushError::from)?,
    };
    let target = registry::Target {
        endpoint: endpoint.to_string(),
        repository: reference.repository.clone(),
        tag: reference.tag.clone(),
        digest: reference.digest.clone(),
    };
    let credentials = registry::Credentials {
        username: authorization.username,
        password: registry::Password::new(authorization.password),
    };
    let options = registry::PushOptions {
        chunk_size: args.push_chunk_size.unwrap_or(registry::DEFAULT_CHUNK_SIZE),
        ..registry::PushOptions::default()
    };
    let destination = match &reference.tag {
        Some(tag) => format!("{}:{tag}", reference.repository),
        None => reference.repository.clone(),
    };
    let observe = |event: &PushEvent<'_>| match event {
        PushEvent::Opened {
            kind,
            manifests,
            blobs,
            ..
        } => note(&format!(
            "pushing the {kind} {} ({manifests} manifest(s), {blobs} blob(s)) to {destination} at {}",
            source.display(),
            endpoint.as_str().trim_end_matches('/')
        )),
        PushEvent::Checked {
            present,
            present_bytes,
            missing,
            missing_bytes,
        } => note(&format!(
            "  {present} blob(s) ({}) already in the registry; uploading {missing} ({})",
            size(*present_bytes),
            size(*missing_bytes)
        )),
        PushEvent::Uploaded { blob } => note(&format!(
            "  uploaded {} ({}, {})",
            blob.role,
            blob.digest.short(),
            size(blob.size)
        )),
        PushEvent::ManifestPushed { reference, digest } => note(&format!(
            "  pushed manifest {reference} ({})",
            digest.short()
        )),
        PushEvent::Retrying { error, delay } => note(&format!(
            "  retrying in {:.1}s: {}",
            delay.as_secs_f64(),
            crate::error_chain(*error)
        )),
    };
    let pushed = registry::push(source, &target, &credentials, &options, &observe).await?;
    note(&format!("pushed {destination} {}", pushed.digest));
    let mut pinned = reference.clone();
    pinned.digest = Some(pushed.digest);
    Ok(pinned)
}

/// The endpoint `--push` goes to when the user named it: `--registry-endpoint`, else the image URI's
/// registry host; `None` when it is ECR's answer (`proxyEndpoint`) to ask for.
fn given_push_endpoint(
    args: &ScanArgs,
    reference: &ImageRef,
) -> Result<Option<Url>, EndpointError> {
    match (&args.registry_endpoint, &reference.host) {
        (Some(given), _) if !given.trim().is_empty() => endpoint::parse(given).map(Some),
        (_, Some(host)) => endpoint::on_host(host).map(Some),
        _ => Ok(None),
    }
}

fn size(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1e9 {
        format!("{:.2} GB", bytes / 1e9)
    } else if bytes >= 1e6 {
        format!("{:.1} MB", bytes / 1e6)
    } else {
        format!("{:.1} kB", bytes / 1e3)
    }
}

/// `BatchGetImage`, retrying `ImageNotFound` briefly (and never past the run's deadline): a freshly
/// pushed tag may not be visible yet. Throttling and the like are retried by `manifest` itself.
async fn fetch_manifest(
    ecr: &Ecr,
    reference: &ImageRef,
    look_again: bool,
) -> Result<Manifest, EcrError> {
    let began = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match ecr
            .manifest(
                &reference.repository,
                reference.tag.as_deref(),
                reference.digest.as_ref().map(Digest::as_str),
            )
            .await
        {
            Err(EcrError::ImageNotFound { .. })
                if look_again
                    && began.elapsed() + delay < IMAGE_VISIBILITY_WINDOW
                    && Instant::now() + delay < ecr.deadline().at() =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

fn progress(label: &str, p: &Progress) {
    let next = p
        .next_poll
        .map(|d| format!("; next poll in {:.1}s", d.as_secs_f64()))
        .unwrap_or_default();
    match &p.unavailable {
        Some(why) => note(&format!(
            "  {label}: {why} after {}s (last status: {}){next}",
            p.elapsed.as_secs(),
            p.status
        )),
        None => note(&format!(
            "  {label}: {} after {}s{next}",
            p.status,
            p.elapsed.as_secs()
        )),
    }
}

/// `timed out after 90s: ECR kept throttling DescribeImageScanFindings (ThrottlingException, 14
/// times): couldn't …: Rate exceeded; raise --timeout, or …`.
fn out_of_time(timeout: Duration, error: &EcrError) -> Reason {
    Reason::OutOfTime {
        after: timeout,
        cause: crate::error_chain(error),
        advice: error.hint().unwrap_or("raise --timeout"),
    }
}

fn note(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", plain_line(text));
}

#[cfg(test)]
mod tests {
    use super::{AppError, check_push_source};
    use crate::run::Fatal;
    use std::path::Path;

    #[test]
    fn push_sources_must_be_a_directory_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("image.tar");
        std::fs::write(&file, b"").unwrap();
        assert!(check_push_source(dir.path()).is_ok());
        assert!(check_push_source(&file).is_ok());
        let missing = check_push_source(&dir.path().join("missing.tar")).unwrap_err();
        assert!(matches!(missing, AppError::PushSourceMissing { .. }));
        assert!(
            missing.to_string().ends_with("missing.tar doesn't exist"),
            "{missing}"
        );
        assert!(missing.hint().is_some_and(|h| h.contains("workspace")));
        assert!(matches!(
            check_push_source(Path::new("/dev/null")),
            Err(AppError::PushSourceNotImage { .. })
        ));
        assert!(matches!(
            check_push_source(&file.join("below-a-file")),
            Err(AppError::PushSourceUnreadable { .. })
        ));
    }
}
