//! The wait for a usable scan result: a thin async loop around [`Lifecycle::next_step`] on a
//! jittered, capped exponential schedule (`backon`), bounded by the overall timeout. A poll that got no
//! usable answer (throttling, a server error, no answer: [`Observation::Unavailable`]) is "poll again
//! later", on the longer of the two schedules: [`schedule`] and [`backoff`].

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::sync::{Notify, Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::lifecycle::{ENHANCED_GRACE, Lifecycle, Observation, Step};

/// The polling schedule: first delay, growth factor and cap. With backon's jitter each delay is drawn
/// from `[d, 2d)`, so the cap of 2.5 s gives polls every 2.5–5 s once running: a lower median lag than
/// the AWS CLI waiter's fixed 5 s at no more than 1.5× its calls. A scan the gate has just started is
/// first polled one step of it later (a scan started this instant is never complete).
pub fn schedule() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(1250))
        .with_factor(1.5)
        .with_max_delay(Duration::from_millis(2500))
        .with_jitter()
        .without_max_times()
}

/// The backoff after a call that was throttled, failed with a server error or got no answer: from
/// 0.25 s, doubling, capped at 4 s, each delay drawn from `[d, 2d)` (backon's jitter), so that gates
/// sharing an account's quota spread out. Once it reaches the cap, a throttled call is tried no more
/// often than a healthy scan is polled. Also used by [`crate::ecr::retry`] for every other call.
pub fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_factor(2.0)
        .with_max_delay(Duration::from_secs(4))
        .with_jitter()
        .without_max_times()
}

/// The calls the loop makes; implemented over the SDK in [`crate::ecr`] and by scripts in tests.
pub trait ScanApi {
    /// A page of findings kept from the last poll, handed back when the scan is ready.
    type Page;
    type Error;

    /// `DescribeImageScanFindings` (first page); a throttled, failed or unanswered call is
    /// [`Observation::Unavailable`], not an error.
    fn poll(&self) -> impl Future<Output = Result<(Observation, Option<Self::Page>), Self::Error>>;

    /// `StartImageScan`.
    fn start(&self) -> impl Future<Output = Result<StartOutcome, Self::Error>>;
}

/// What starting a scan achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// A scan was started just now: it is first polled one step of the schedule later.
    Started,
    /// A scan from the last 24 h exists (`LimitExceededException`): it is polled at once.
    Exists,
    /// ECR does not take manual scans here (enhanced scanning): Inspector scans by itself, later.
    Refused,
    /// ECR cannot scan this image at all (unsupported image type): no verdict.
    Unscannable(String),
}

/// Starts a scan and records the outcome; `Err(reason)` when the image can never be scanned, else
/// whether a scan was started just now.
async fn start<A: ScanApi>(
    api: &A,
    lifecycle: &mut Lifecycle,
    at: Duration,
) -> Result<Result<bool, String>, A::Error> {
    let fresh = match api.start().await? {
        StartOutcome::Started => true,
        StartOutcome::Exists => false,
        // NOTE: ECR refuses manual scans under enhanced scanning
        // (https://github.com/aws/containers-roadmap/issues/1605); Inspector scans by itself, later.
        StartOutcome::Refused => {
            lifecycle.start_refused(at, ENHANCED_GRACE);
            return Ok(Ok(false));
        }
        StartOutcome::Unscannable(reason) => return Ok(Err(reason)),
    };
    lifecycle.scan_started(at);
    Ok(Ok(fresh))
}

/// What the concurrent waits for the images of one run share: a bound on the ECR calls in flight, the
/// turn to poll, and a nudge when one image's scan is ready (scans started together finish together:
/// the others poll at once rather than at their next step, unless they are backing off).
///
/// Waits for scans that ECR started by itself take turns: one image at a time polls on the schedule
/// while the others wait, unpolled. When the holder's scan is ready (or has a final status and only
/// settles) it hands the turn on, and its readiness nudges every waiting image to poll once at once:
/// those whose scans finished too are read without waiting for a turn. At the deadline each image
/// polls once, turn or not, so a timeout never leaves a finished scan unread. Waits for scans the gate
/// started itself do not take turns (see [`wait_among`]).
#[derive(Debug)]
pub struct Shared {
    calls: Semaphore,
    turn: Semaphore,
    ready: Notify,
}

impl Shared {
    /// At most `in_flight` calls at once (at least one).
    pub fn new(in_flight: usize) -> Shared {
        Shared {
            calls: Semaphore::new(in_flight.max(1)),
            turn: Semaphore::new(1),
            ready: Notify::new(),
        }
    }

    /// Runs one ECR call (or a sequence of them: the pages of one result) within the bound.
    pub async fn call<T>(&self, call: impl Future<Output = T>) -> T {
        // The semaphore is never closed: a permit always comes.
        let _permit = self.calls.acquire().await.ok();
        call.await
    }
}

/// One image's place in the polling order.
enum Turn<'a> {
    /// Waiting to poll on the schedule; polls only when nudged or at the deadline.
    Queued,
    /// Polling on the schedule; the others wait.
    Held { _permit: SemaphorePermit<'a> },
    /// Its scan has a final status and only settles: polls on the schedule without holding the turn.
    Passed,
}

/// Why a queued image stopped waiting.
enum Woken<'a> {
    Turn(SemaphorePermit<'a>),
    /// Another image's scan is ready, or the deadline came.
    PollOnce,
}

/// Waits for the turn, a nudge or the deadline.
async fn queue<'a>(shared: &'a Shared, deadline: Instant) -> Woken<'a> {
    tokio::select! {
        // The semaphore is never closed: a permit always comes.
        Ok(permit) = shared.turn.acquire() => Woken::Turn(permit),
        () = shared.ready.notified() => Woken::PollOnce,
        () = tokio::time::sleep_until(deadline) => Woken::PollOnce,
    }
}

/// How the wait ended.
#[derive(Debug)]
pub enum Waited<P> {
    /// The scan is final and settled; the first page of its findings.
    Ready(P),
    /// No verdict can come from this scan (exit 3).
    Incomplete(String),
    /// The timeout passed first (exit 3); the last status seen, and why the last polls had no usable
    /// answer if they had none (throttling).
    TimedOut {
        last_status: String,
        unavailable: Option<String>,
    },
}

/// One progress report, for the user to see while waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub elapsed: Duration,
    pub status: String,
    /// Why the latest poll had no usable answer, if it had none.
    pub unavailable: Option<String>,
    pub next_poll: Option<Duration>,
}

/// Waits until the scan is usable, gives up, or `timeout` passes.
pub async fn wait_for_scan<A: ScanApi>(
    api: &A,
    lifecycle: Lifecycle,
    timeout: Duration,
    start_first: bool,
    progress: impl FnMut(&Progress),
) -> Result<Waited<A::Page>, A::Error> {
    let shared = Shared::new(1);
    wait_among(api, lifecycle, timeout, start_first, &shared, progress).await
}

/// [`wait_for_scan`] for one of several images waited for at once: its calls within `shared`'s bound,
/// polling on the schedule only while it holds the turn (see [`Shared`]). The lifecycle's clock (its
/// grace for a missing scan) runs only while the image is watched, not while it waits for the turn.
pub async fn wait_among<A: ScanApi>(
    api: &A,
    mut lifecycle: Lifecycle,
    timeout: Duration,
    start_first: bool,
    shared: &Shared,
    mut progress: impl FnMut(&Progress),
) -> Result<Waited<A::Page>, A::Error> {
    let began = Instant::now();
    let deadline = began + timeout;
    let mut delays = schedule().build();
    let mut backoffs = backoff().build();
    // The earliest time of the next poll on the schedule.
    let mut wake = began;
    if start_first {
        match shared
            .call(start(api, &mut lifecycle, Duration::ZERO))
            .await?
        {
            Err(reason) => return Ok(Waited::Incomplete(reason)),
            // No poll now: a scan started this instant is never complete.
            Ok(true) => {
                let first = delays.next().unwrap_or(Duration::from_secs(2));
                let now = Instant::now();
                wake = (now + first).min(deadline);
                progress(&Progress {
                    elapsed: now - began,
                    status: "scan started".to_string(),
                    unavailable: None,
                    next_poll: Some(wake - now),
                });
            }
            Ok(false) => {}
        }
    }
    // Scans the gate started itself are polled on each image's own jittered schedule: the images
    // interleave, so the first to see a result sees it soon and nudges the rest (the lag of several
    // pollers, for no more calls per image than one image alone). Scans ECR starts by itself (scan on
    // push, enhanced scanning, a scan found) are polled one image at a time: they are waited for after
    // the push that started them all, and the calls per image stay those of the first image alone.
    let mut turn = if start_first {
        Turn::Passed
    } else {
        Turn::Queued
    };
    // Time spent waiting for the turn: not counted by the lifecycle.
    let mut queued = Duration::ZERO;
    loop {
        if matches!(turn, Turn::Queued) {
            let from = Instant::now();
            if let Woken::Turn(permit) = queue(shared, deadline).await {
                turn = Turn::Held { _permit: permit };
            }
            queued += from.elapsed();
        }
        let backing_off = lifecycle.unavailable().is_some();
        if !matches!(turn, Turn::Queued) || backing_off {
            if backing_off {
                tokio::time::sleep_until(wake).await;
            } else {
                sleep_or_nudge(wake, shared).await;
            }
        }
        let (observation, page) = shared.call(api.poll()).await?;
        let watched = began.elapsed().saturating_sub(queued);
        let step = lifecycle.next_step(&observation, watched);
        match step {
            Step::Read => {
                shared.ready.notify_waiters();
                return match page {
                    Some(page) => Ok(Waited::Ready(page)),
                    None => Ok(Waited::Incomplete(
                        "ECR reported a final status without a findings page".into(),
                    )),
                };
            }
            Step::GiveUp(reason) => return Ok(Waited::Incomplete(reason)),
            Step::StartScan => {
                let started = shared.call(start(api, &mut lifecycle, watched));
                if let Err(reason) = started.await? {
                    return Ok(Waited::Incomplete(reason));
                }
            }
            Step::Poll => {}
        }
        if lifecycle.settling() && matches!(turn, Turn::Held { .. }) {
            // Only settling is left: the next image may poll.
            turn = Turn::Passed;
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Waited::TimedOut {
                last_status: lifecycle.last_status().unwrap_or("none").to_string(),
                unavailable: lifecycle.unavailable().map(str::to_string),
            });
        }
        let mut delay = delays.next().unwrap_or(Duration::from_secs(5));
        if lifecycle.unavailable().is_some() {
            delay = delay.max(backoffs.next().unwrap_or(Duration::from_secs(5)));
        } else {
            backoffs = backoff().build();
        }
        // The last poll happens at the deadline rather than being skipped.
        wake = (now + delay).min(deadline);
        progress(&Progress {
            elapsed: now - began,
            status: lifecycle.last_status().unwrap_or("none").to_string(),
            unavailable: lifecycle.unavailable().map(str::to_string),
            // A queued image polls when its turn comes, not on the schedule.
            next_poll: (!matches!(turn, Turn::Queued)).then(|| wake - now),
        });
    }
}

/// Sleeps until `wake`, or until another image's scan is ready.
async fn sleep_or_nudge(wake: Instant, shared: &Shared) {
    tokio::select! {
        () = tokio::time::sleep_until(wake) => {}
        () = shared.ready.notified() => {}
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;
    use crate::findings::ScanStatus;
    use crate::scan::lifecycle::{BASIC_GRACE, SETTLE_WINDOW};

    /// The longest gap between two polls on the capped schedule: just under 5 s, plus the millisecond
    /// the paused clock rounds each wake-up to.
    const LONGEST_GAP: Duration = Duration::from_millis(5001);

    /// Scripted answers: each poll pops the next observation (the last one repeats).
    struct Script {
        answers: RefCell<VecDeque<Observation>>,
        polls: RefCell<Vec<Duration>>,
        starts: RefCell<usize>,
        /// Answered once a scan was started.
        after_start: Option<Observation>,
        began: Instant,
    }

    impl Script {
        fn new(answers: Vec<Observation>) -> Script {
            Script {
                answers: RefCell::new(answers.into()),
                polls: RefCell::new(Vec::new()),
                starts: RefCell::new(0),
                after_start: None,
                began: Instant::now(),
            }
        }
    }

    impl ScanApi for Script {
        type Page = usize;
        type Error = String;

        async fn poll(&self) -> Result<(Observation, Option<usize>), String> {
            self.polls.borrow_mut().push(self.began.elapsed());
            let mut answers = self.answers.borrow_mut();
            let answer = if let Some(after) = self
                .after_start
                .clone()
                .filter(|_| *self.starts.borrow() > 0)
            {
                after
            } else if answers.len() > 1 {
                answers.pop_front().unwrap()
            } else {
                answers.front().cloned().unwrap()
            };
            Ok((answer, Some(self.polls.borrow().len())))
        }

        async fn start(&self) -> Result<StartOutcome, String> {
            *self.starts.borrow_mut() += 1;
            Ok(StartOutcome::Started)
        }
    }

    fn status(text: &str) -> Observation {
        Observation::Scan {
            status: ScanStatus::parse(text),
            counts: None,
            listed: 0,
            has_completion_time: true,
            enhanced: false,
            description: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn in_progress_then_complete_is_ready() {
        let script = Script::new(vec![
            status("IN_PROGRESS"),
            status("IN_PROGRESS"),
            status("COMPLETE"),
        ]);
        let waited = wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(60),
            true,
            |_| {},
        )
        .await
        .unwrap();
        assert!(matches!(waited, Waited::Ready(3)));
        assert_eq!(*script.starts.borrow(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_scan_started_just_now_is_first_polled_one_step_later() {
        let script = Script::new(vec![status("IN_PROGRESS"), status("COMPLETE")]);
        let mut seen = Vec::new();
        wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(60),
            true,
            |p| seen.push(p.clone()),
        )
        .await
        .unwrap();
        let first = script.polls.borrow()[0];
        assert!(
            first >= Duration::from_millis(1250) && first < Duration::from_millis(2500),
            "{first:?}"
        );
        assert_eq!(seen[0].status, "scan started");
    }

    /// A script whose start answers "a scan from the last 24 h exists".
    struct Existing(Script);

    impl ScanApi for Existing {
        type Page = usize;
        type Error = String;

        async fn poll(&self) -> Result<(Observation, Option<usize>), String> {
            self.0.poll().await
        }

        async fn start(&self) -> Result<StartOutcome, String> {
            Ok(StartOutcome::Exists)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_scan_that_exists_already_is_polled_at_once() {
        let script = Existing(Script::new(vec![status("COMPLETE")]));
        let waited = wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(60),
            true,
            |_| {},
        )
        .await
        .unwrap();
        assert!(matches!(waited, Waited::Ready(1)));
        assert_eq!(script.0.polls.borrow()[0], Duration::ZERO);
    }

    /// Waits for each script at once, sharing one [`Shared`], with `lifecycle` and `timeout`.
    async fn wait_all(
        scripts: &[&Script],
        lifecycle: Lifecycle,
        timeout: Duration,
    ) -> Vec<Waited<usize>> {
        let shared = Shared::new(4);
        let waits = scripts
            .iter()
            .map(|script| wait_among(*script, lifecycle.clone(), timeout, false, &shared, |_| {}));
        futures_util::future::join_all(waits)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect()
    }

    fn is_ready(waited: &Waited<usize>) -> bool {
        matches!(waited, Waited::Ready(_))
    }

    #[tokio::test(start_paused = true)]
    async fn one_image_polls_at_a_time_and_the_others_once_its_scan_is_ready() {
        let lead = Script::new(vec![
            status("IN_PROGRESS"),
            status("IN_PROGRESS"),
            status("IN_PROGRESS"),
            status("COMPLETE"),
        ]);
        let second = Script::new(vec![status("COMPLETE")]);
        let third = Script::new(vec![status("COMPLETE")]);
        let waited = wait_all(
            &[&lead, &second, &third],
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(60),
        )
        .await;
        assert!(waited.iter().all(is_ready), "{waited:?}");
        let ready_at = lead.polls.borrow()[3];
        assert!(ready_at > Duration::from_secs(3), "{ready_at:?}");
        // Unpolled while the lead polled; then one poll each, the moment the lead's scan was ready.
        assert_eq!(*second.polls.borrow(), vec![ready_at]);
        assert_eq!(*third.polls.borrow(), vec![ready_at]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_image_not_ready_at_the_nudge_polls_on_the_schedule_after() {
        let lead = Script::new(vec![status("IN_PROGRESS"), status("COMPLETE")]);
        let second = Script::new(vec![status("IN_PROGRESS"), status("COMPLETE")]);
        let waited = wait_all(
            &[&lead, &second],
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(60),
        )
        .await;
        assert!(waited.iter().all(is_ready), "{waited:?}");
        let ready_at = lead.polls.borrow()[1];
        let polls = second.polls.borrow();
        assert_eq!(polls.len(), 2, "{polls:?}");
        assert_eq!(polls[0], ready_at);
        // Its next poll is one step of its own schedule later, not at once.
        let gap = polls[1] - polls[0];
        assert!(gap >= Duration::from_millis(1250), "{polls:?}");
    }

    fn settling_enhanced() -> Observation {
        Observation::Scan {
            status: ScanStatus::parse("ACTIVE"),
            counts: Some([("HIGH".to_string(), 2)].into()),
            listed: 2,
            has_completion_time: true,
            enhanced: true,
            description: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_scan_that_only_settles_hands_the_turn_on() {
        let lead = Script::new(vec![settling_enhanced()]);
        let second = Script::new(vec![status("COMPLETE")]);
        let waited = wait_all(
            &[&lead, &second],
            Lifecycle::new(ENHANCED_GRACE, false),
            Duration::from_secs(300),
        )
        .await;
        assert!(waited.iter().all(is_ready), "{waited:?}");
        // The second image polled right after the lead's first final answer, long before it settled.
        assert_eq!(*second.polls.borrow(), vec![Duration::ZERO]);
        assert!(*lead.polls.borrow().last().unwrap() >= SETTLE_WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_deadline_every_queued_image_polls_once() {
        let lead = Script::new(vec![status("IN_PROGRESS")]);
        let second = Script::new(vec![status("COMPLETE")]);
        let waited = wait_all(
            &[&lead, &second],
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(10),
        )
        .await;
        assert!(matches!(waited[0], Waited::TimedOut { .. }), "{waited:?}");
        // A finished scan is never left unread because another image held the turn.
        assert!(is_ready(&waited[1]), "{waited:?}");
        assert_eq!(*second.polls.borrow(), vec![Duration::from_secs(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_grace_for_a_missing_scan_counts_from_the_images_own_turn() {
        let mut answers = vec![status("IN_PROGRESS"); 20];
        answers.push(status("COMPLETE"));
        let lead = Script::new(answers);
        let second = Script::new(vec![Observation::ScanNotFound, status("COMPLETE")]);
        let waited = wait_all(
            &[&lead, &second],
            Lifecycle::new(BASIC_GRACE, false),
            Duration::from_secs(300),
        )
        .await;
        assert!(
            lead.polls.borrow()[20] > BASIC_GRACE,
            "the test needs a long lead"
        );
        // Not found at its first poll, after the grace had passed since the gate began: still waited for.
        assert!(waited.iter().all(is_ready), "{waited:?}");
        assert_eq!(second.polls.borrow().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn scans_the_gate_started_poll_on_their_own_schedules_and_a_ready_one_nudges() {
        let shared = Shared::new(4);
        let fast = Script::new(vec![status("COMPLETE")]);
        let mut answers = vec![status("IN_PROGRESS"); 10];
        answers.push(status("COMPLETE"));
        let slow = Script::new(answers);
        let wait = |api| {
            wait_among(
                api,
                Lifecycle::new(BASIC_GRACE, true),
                Duration::from_secs(120),
                true,
                &shared,
                |_| {},
            )
        };
        let (fast_waited, slow_waited) = tokio::join!(wait(&fast), wait(&slow));
        assert!(matches!(fast_waited.unwrap(), Waited::Ready(1)));
        assert!(matches!(slow_waited.unwrap(), Waited::Ready(_)));
        // Both were started, neither waited for a turn: the slow one polled before the fast one's
        // scan was ready, and again the moment it was.
        assert_eq!(*fast.starts.borrow(), 1);
        assert_eq!(*slow.starts.borrow(), 1);
        let ready_at = fast.polls.borrow()[0];
        let slow_polls = slow.polls.borrow();
        assert!(
            slow_polls.contains(&ready_at),
            "{slow_polls:?} vs {ready_at:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_bound_holds_calls_beyond_it_until_one_ends() {
        let shared = Shared::new(1);
        let order = RefCell::new(Vec::new());
        let call = |name: &'static str| {
            let order = &order;
            shared.call(async move {
                order.borrow_mut().push((name, Instant::now()));
                tokio::time::sleep(Duration::from_secs(1)).await;
            })
        };
        let began = Instant::now();
        tokio::join!(call("a"), call("b"));
        let order = order.borrow();
        assert_eq!(order[0].1 - began, Duration::ZERO);
        assert_eq!(order[1].1 - began, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_is_incomplete_and_polls_once_at_the_deadline() {
        let script = Script::new(vec![status("IN_PROGRESS")]);
        let waited = wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(30),
            false,
            |_| {},
        )
        .await
        .unwrap();
        match waited {
            Waited::TimedOut {
                last_status,
                unavailable,
            } => {
                assert_eq!(last_status, "IN_PROGRESS");
                assert_eq!(unavailable, None);
            }
            other => panic!("{other:?}"),
        }
        let polls = script.polls.borrow();
        assert_eq!(*polls.last().unwrap(), Duration::from_secs(30));
        // Every gap stays within the jittered cap.
        for pair in polls.windows(2) {
            assert!(pair[1] - pair[0] < LONGEST_GAP, "{polls:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn missing_scan_under_scan_on_push_starts_one_after_the_grace() {
        let mut script = Script::new(vec![Observation::ScanNotFound]);
        script.after_start = Some(status("COMPLETE"));
        let waited = wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(120),
            false,
            |_| {},
        )
        .await
        .unwrap();
        assert!(matches!(waited, Waited::Ready(_)));
        assert_eq!(*script.starts.borrow(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_status_gives_up_at_once() {
        let script = Script::new(vec![status("IN_PROGRESS"), status("BRAND_NEW")]);
        let waited = wait_for_scan(
            &script,
            Lifecycle::new(ENHANCED_GRACE, false),
            Duration::from_secs(60),
            false,
            |_| {},
        )
        .await
        .unwrap();
        assert!(matches!(waited, Waited::Incomplete(r) if r.contains("BRAND_NEW")));
        assert_eq!(script.polls.borrow().len(), 2);
    }

    fn unavailable(n: usize) -> Observation {
        Observation::Unavailable(format!(
            "ECR kept throttling (ThrottlingException, {n} times)"
        ))
    }

    #[test]
    fn the_backoff_starts_at_a_quarter_second_doubles_and_caps_with_jitter() {
        for _ in 0..50 {
            let delays: Vec<Duration> = backoff().build().take(12).collect();
            assert_eq!(delays.len(), 12, "never runs out");
            let floors = [250, 500, 1000, 2000, 4000, 4000, 4000];
            for (i, delay) in delays.iter().enumerate() {
                let floor = Duration::from_millis(floors[i.min(floors.len() - 1)]);
                assert!(
                    *delay >= floor && *delay < floor * 2,
                    "delay {i}: {delay:?} not in [{floor:?}, {:?})",
                    floor * 2
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn unavailable_polls_are_polled_again_later_then_the_verdict_comes() {
        let mut answers: Vec<Observation> = (1..=8).map(unavailable).collect();
        answers.push(status("COMPLETE"));
        let script = Script::new(answers);
        let waited = wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(300),
            false,
            |_| {},
        )
        .await
        .unwrap();
        assert!(matches!(waited, Waited::Ready(9)), "{waited:?}");
        let polls = script.polls.borrow();
        let gaps: Vec<Duration> = polls.windows(2).map(|p| p[1] - p[0]).collect();
        // Never faster than the poll schedule; backing off to [4 s, 8 s) after a few.
        assert!(
            gaps.iter().all(|g| *g >= Duration::from_millis(1250)),
            "{gaps:?}"
        );
        assert!(
            gaps[5..].iter().all(|g| *g >= Duration::from_secs(4)),
            "{gaps:?}"
        );
        assert!(gaps.iter().all(|g| *g < Duration::from_secs(8)), "{gaps:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn unavailable_until_the_deadline_times_out_saying_why() {
        let script = Script::new(vec![status("IN_PROGRESS"), unavailable(1)]);
        let waited = wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(30),
            false,
            |_| {},
        )
        .await
        .unwrap();
        match waited {
            Waited::TimedOut {
                last_status,
                unavailable,
            } => {
                assert_eq!(last_status, "IN_PROGRESS");
                assert_eq!(
                    unavailable.as_deref(),
                    Some("ECR kept throttling (ThrottlingException, 1 times)")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            *script.polls.borrow().last().unwrap(),
            Duration::from_secs(30)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_real_answer_resets_the_backoff() {
        let mut answers: Vec<Observation> = (1..=6).map(unavailable).collect();
        answers.extend([status("IN_PROGRESS"), unavailable(7), status("COMPLETE")]);
        let script = Script::new(answers);
        wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(300),
            false,
            |_| {},
        )
        .await
        .unwrap();
        let polls = script.polls.borrow();
        let gaps: Vec<Duration> = polls.windows(2).map(|p| p[1] - p[0]).collect();
        // After IN_PROGRESS (poll 7) the schedule's 2.5–5 s applies again, then the backoff restarts
        // from its first step, below the schedule.
        assert!(gaps[6] < LONGEST_GAP, "{gaps:?}");
        assert!(gaps[7] < LONGEST_GAP, "{gaps:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn progress_is_reported_for_every_wait() {
        let script = Script::new(vec![
            status("IN_PROGRESS"),
            status("IN_PROGRESS"),
            status("COMPLETE"),
        ]);
        let mut seen = Vec::new();
        wait_for_scan(
            &script,
            Lifecycle::new(BASIC_GRACE, true),
            Duration::from_secs(60),
            false,
            |p| seen.push(p.clone()),
        )
        .await
        .unwrap();
        assert_eq!(seen.len(), 2);
        assert!(
            seen.iter()
                .all(|p| p.status == "IN_PROGRESS" && p.next_poll.is_some())
        );
    }
}
