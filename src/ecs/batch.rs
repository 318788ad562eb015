//! Merges concurrent single-instance lookups into one DescribeInstances
//! (and, with a [`Batcher`] of another [`Keyed`] item, concurrent
//! single-disk lookups into one DescribeDisks, and subscriptions' renewal
//! settings into one DescribeInstanceAutoRenewAttribute).
//!
//! `terraform plan -parallelism=100` refreshes 100 instances at once, and
//! status polls during applies pile up the same way. But Terraform hands
//! reads over gradually (each of its workers reads, plans, then moves on;
//! on a busy machine one every 20 ms), so a fixed window of a few ms
//! catches only a few. The batch therefore stays open while lookups keep
//! arriving, and closes on the first of:
//!
//! - **everyone is waiting**: it holds as many reads as the most that
//!   earlier batches saw outstanding at once (the *peak*: Terraform's
//!   `-parallelism`, as seen from here; forgotten after an idle second).
//!   Every worker that could join has joined, so it closes once no new id
//!   has joined for the short `window` (not at once: if the pool is larger
//!   than the peak learned so far, the stragglers join and the peak grows);
//! - **quiet**: no new id has joined for three times the recent spacing
//!   between lookups of different ids, at least [`MIN_QUIET`] (Terraform
//!   hands reads over in clumps tens of ms apart) and at most
//!   [`MAX_QUIET`]. The spacing is measured from our last answer when that
//!   came later, so a slow DescribeInstances does not count as Terraform's
//!   pace;
//! - **age**: it is [`MAX_AGE`] old;
//! - **size**: it holds [`MAX_IDS`] distinct ids.
//!
//! Then one call answers everyone. A lone instance's polls (always the same
//! id) keep the short `window`, so they are not delayed; polls that join a
//! batch kept open by first looks of waits wait with them, at most until
//! the quiet time those set (one call for both). An id the answer
//! does not contain is answered `Ok(None)`; a failed call fails every
//! waiter of that batch with the same error.
//!
//! The fetch runs in its own task, so a waiter that gives up (its future is
//! dropped) never strands the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use super::codes;
use super::error::{Error, ErrorKind, Result};
use super::model::{AutoRenewAttribute, Disk, Instance};

/// What a batch answers with: each item names the id it answers.
pub trait Keyed: Clone + Send + 'static {
    fn key(&self) -> &str;
}

impl Keyed for Instance {
    fn key(&self) -> &str {
        &self.instance_id
    }
}

impl Keyed for Disk {
    fn key(&self) -> &str {
        &self.disk_id
    }
}

impl Keyed for AutoRenewAttribute {
    fn key(&self) -> &str {
        &self.instance_id
    }
}

/// DescribeInstances takes at most 100 ids per call.
pub const MAX_IDS: usize = 100;

/// The longest a lookup waits for others to join its batch.
pub const MAX_AGE: Duration = Duration::from_secs(2);

/// The shortest quiet time that closes a batch of several instances'
/// lookups: Terraform hands its reads over in clumps, tens of ms apart.
pub const MIN_QUIET: Duration = Duration::from_millis(30);

/// The longest quiet time that closes a batch.
pub const MAX_QUIET: Duration = Duration::from_millis(250);

/// Lookups further apart than this start a new pace.
const PACE_MEMORY: Duration = Duration::from_secs(1);

/// The recent spacing of lookups of different ids, and the most lookups
/// outstanding at once.
#[derive(Default)]
struct Pace {
    last_id: String,
    last_at: Option<Instant>,
    gap: Option<Duration>,
    /// The most reads outstanding at once since the last idle second.
    peak: usize,
    /// When the last batch was answered.
    answered_at: Option<Instant>,
}

/// The call that answers a batch: ids in, the items found out.
pub type Fetch<T = Instance> =
    Arc<dyn Fn(Vec<String>) -> BoxFuture<'static, Result<Vec<T>>> + Send + Sync>;

type Reply<T> = oneshot::Sender<Result<Option<T>>>;

struct Open<T> {
    generation: u64,
    opened: Instant,
    /// When the last new id joined.
    joined: Instant,
    /// No new id for this long closes the batch (from the pace).
    quiet: Duration,
    /// A prompt lookup waits here: close after the short window.
    prompt: bool,
    /// Reads waiting on this batch (an id read twice counts twice).
    reads: usize,
    /// The peak when this batch opened: what earlier batches taught.
    peak: usize,
    /// It has held the peak's worth of reads: close after the window.
    everyone: bool,
    /// Wakes the closer when `everyone` shortens the quiet time.
    rearm: Arc<Notify>,
    ids: Vec<String>,
    waiters: HashMap<String, Vec<Reply<T>>>,
}

pub struct Batcher<T = Instance> {
    window: Duration,
    pace: Arc<Mutex<Pace>>,
    open: Arc<Mutex<Option<Open<T>>>>,
    generations: std::sync::atomic::AtomicU64,
    /// Reads started and not yet answered (or given up).
    outstanding: AtomicUsize,
}

/// Who is looking, which decides how long a batch may wait for others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Terraform's read of a resource, by one of its `-parallelism`
    /// workers: patient, and counted towards the peak.
    Read,
    /// The first look of a wait: patient.
    Patient,
    /// A poll on the clock grid: the batch closes after the short window.
    Prompt,
}

/// Counts one outstanding lookup while it lives.
struct Outstanding<'a>(&'a AtomicUsize);

impl Drop for Outstanding<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T: Keyed> Batcher<T> {
    pub fn new(window: Duration) -> Batcher<T> {
        Batcher {
            window,
            pace: Arc::default(),
            open: Arc::new(Mutex::new(None)),
            generations: Default::default(),
            outstanding: AtomicUsize::new(0),
        }
    }

    /// Learns from a lookup of `id` starting while `outstanding` are: the
    /// pace (largest recent gap between lookups of different ids, decaying,
    /// so a pause long ago is forgotten) and the peak (forgotten after a
    /// second with nothing new). Returns the gap and the peak.
    fn learn(&self, id: &str, outstanding: usize) -> (Option<Duration>, usize) {
        let mut p = self.pace.lock().unwrap();
        let now = Instant::now();
        let recent = p.last_at.is_some_and(|at| now - at <= PACE_MEMORY);
        if !recent {
            p.peak = 0;
        }
        p.peak = p.peak.max(outstanding);
        if p.last_id != id {
            // Measured from our last answer when that came later: the time a
            // call took is our latency, not Terraform's pace.
            let since = p.last_at.max(p.answered_at);
            p.gap = match since.map(|at| now - at) {
                Some(gap) if gap <= PACE_MEMORY => {
                    Some(p.gap.map_or(gap, |g| (g * 15 / 16).max(gap.min(MAX_QUIET))))
                }
                _ => None,
            };
            p.last_id = id.to_string();
            p.last_at = Some(now);
        }
        (p.gap, p.peak)
    }

    /// The quiet time that closes a batch of lookups paced by `gap`: three
    /// gaps, at least [`MIN_QUIET`] (see the module comment); the short
    /// window while no pace is known (a lone instance).
    fn quiet(&self, gap: Option<Duration>) -> Duration {
        match gap {
            Some(g) => (g * 3).clamp(MIN_QUIET.max(self.window), MAX_QUIET.max(self.window)),
            None => self.window,
        }
    }

    /// Looks `id` up through the current batch. A [`Kind::Read`] or
    /// [`Kind::Patient`] lookup lets the batch wait for the pace's quiet
    /// time; a [`Kind::Prompt`] one (a poll on the clock grid, whose peers
    /// arrive at the same instant) closes it after the short window. Only
    /// reads teach and use the peak: they come from Terraform's bounded pool
    /// of workers, where waits come and go with the instances' transitions.
    pub async fn lookup(&self, id: &str, fetch: Fetch<T>, kind: Kind) -> Result<Option<T>> {
        let read = kind == Kind::Read;
        let _counted = read.then(|| {
            self.outstanding.fetch_add(1, Ordering::Relaxed);
            Outstanding(&self.outstanding)
        });
        let outstanding = self.outstanding.load(Ordering::Relaxed);
        let (gap, peak) = if kind == Kind::Prompt {
            (None, 0)
        } else {
            self.learn(id, if read { outstanding } else { 0 })
        };
        tracing::trace!(id, outstanding, peak, ?gap, ?kind, "ecs lookup");
        let (tx, rx) = oneshot::channel();
        let full = {
            let mut open = self.open.lock().unwrap();
            let batch = open.get_or_insert_with(|| {
                let generation = self
                    .generations
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let rearm = Arc::new(Notify::new());
                self.close_later(generation, fetch.clone(), Arc::clone(&rearm));
                let now = Instant::now();
                Open {
                    generation,
                    opened: now,
                    joined: now,
                    quiet: self.window,
                    prompt: false,
                    reads: 0,
                    peak,
                    everyone: false,
                    rearm,
                    ids: Vec::new(),
                    waiters: HashMap::new(),
                }
            });
            let waiters = batch.waiters.entry(id.to_string()).or_default();
            let new_id = waiters.is_empty();
            waiters.push(tx);
            batch.reads += usize::from(read);
            if new_id {
                batch.ids.push(id.to_string());
                batch.joined = Instant::now();
            }
            batch.prompt |= kind == Kind::Prompt;
            // Everyone who could join has (a lone lookup keeps its window):
            // close after the short window rather than at once, so that a
            // pool larger than the peak learned so far (the first batch
            // closed before all its workers arrived) still shows its size.
            let everyone = batch.peak >= 2 && batch.reads >= batch.peak;
            if everyone && !batch.everyone {
                batch.everyone = true;
                batch.rearm.notify_one();
            }
            batch.quiet = if batch.prompt || everyone {
                self.window
            } else {
                self.quiet(gap)
            };
            if batch.ids.len() >= MAX_IDS {
                tracing::trace!(ids = batch.ids.len(), "ecs batch full");
                open.take()
            } else {
                None
            }
        };
        if let Some(batch) = full {
            tokio::spawn(answer(batch, fetch, Arc::clone(&self.pace)));
        }
        rx.await.unwrap_or_else(|_| {
            Err(Error::local(
                ErrorKind::Other,
                "DescribeInstances",
                codes::INVALID_RESPONSE,
                "the batched lookup ended without an answer",
            ))
        })
    }

    /// Closes batch `generation` once no id has joined for its quiet time,
    /// or at [`MAX_AGE`] (unless it filled up and closed before).
    fn close_later(&self, generation: u64, fetch: Fetch<T>, rearm: Arc<Notify>) {
        let open = Arc::clone(&self.open);
        let pace = Arc::clone(&self.pace);
        let window = self.window;
        tokio::spawn(async move {
            let mut wake = Instant::now() + window;
            let batch = loop {
                tokio::select! {
                    () = tokio::time::sleep_until(wake) => {}
                    () = rearm.notified() => {}
                }
                let mut open = open.lock().unwrap();
                match open.as_ref() {
                    Some(b) if b.generation == generation => {
                        let due = (b.joined + b.quiet).min(b.opened + MAX_AGE.max(window));
                        if Instant::now() >= due {
                            tracing::trace!(ids = b.ids.len(), quiet = ?b.quiet, age = ?(Instant::now() - b.opened), "ecs batch quiet");
                            break open.take();
                        }
                        // Sleep until the due time seen now (a poll that
                        // joins a batch kept open by first looks waits with
                        // them: one call for both), unless everyone comes
                        // to wait before.
                        wake = due;
                    }
                    _ => break None,
                }
            };
            if let Some(batch) = batch {
                answer(batch, fetch, pace).await;
            }
        });
    }
}

async fn answer<T: Keyed>(batch: Open<T>, fetch: Fetch<T>, pace: Arc<Mutex<Pace>>) {
    tracing::debug!(ids = batch.ids.len(), "ecs batched lookup");
    let result = fetch(batch.ids).await;
    pace.lock().unwrap().answered_at = Some(Instant::now());
    match result {
        Ok(instances) => {
            let found: HashMap<&str, &T> = instances.iter().map(|i| (i.key(), i)).collect();
            for (id, replies) in batch.waiters {
                let hit = found.get(id.as_str()).map(|i| (*i).clone());
                for reply in replies {
                    let _ = reply.send(Ok(hit.clone()));
                }
            }
        }
        Err(e) => {
            for reply in batch.waiters.into_values().flatten() {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    fn fake(calls: Arc<Mutex<Vec<usize>>>, fail: bool) -> Fetch {
        Arc::new(move |ids: Vec<String>| {
            calls.lock().unwrap().push(ids.len());
            async move {
                if fail {
                    return Err(Error::api(
                        "DescribeInstances",
                        Some(503),
                        "ServiceUnavailable",
                        "",
                        None,
                    ));
                }
                Ok(ids
                    .into_iter()
                    .filter(|id| !id.ends_with("-gone"))
                    .map(|id| Instance {
                        instance_id: id,
                        ..Default::default()
                    })
                    .collect())
            }
            .boxed()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_lookups_share_calls_of_at_most_100_ids() {
        let b = Arc::new(Batcher::new(Duration::from_millis(5)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        let tasks: Vec<_> = (0..250)
            .map(|i| {
                let (b, f) = (b.clone(), fetch.clone());
                let id = if i % 50 == 7 {
                    format!("i-{i}-gone")
                } else {
                    format!("i-{i}")
                };
                tokio::spawn(async move { (id.clone(), b.lookup(&id, f, Kind::Read).await) })
            })
            .collect();
        for t in tasks {
            let (id, r) = t.await.unwrap();
            match r.unwrap() {
                Some(inst) => assert_eq!(inst.instance_id, id),
                None => assert!(id.ends_with("-gone"), "{id} should be found"),
            }
        }
        let calls = calls.lock().unwrap().clone();
        assert_eq!(calls, vec![100, 100, 50]);
    }

    #[tokio::test(start_paused = true)]
    async fn duplicate_ids_are_asked_once_and_errors_reach_everyone() {
        let b = Arc::new(Batcher::new(Duration::from_millis(5)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), true);
        let (r1, r2) = tokio::join!(
            b.lookup("i-1", fetch.clone(), Kind::Read),
            b.lookup("i-1", fetch.clone(), Kind::Read)
        );
        assert_eq!(r1.unwrap_err().code, "ServiceUnavailable");
        assert_eq!(r2.unwrap_err().code, "ServiceUnavailable");
        assert_eq!(*calls.lock().unwrap(), vec![1]);
    }

    #[tokio::test(start_paused = true)]
    async fn lookups_arriving_gradually_share_one_call_until_quiet() {
        // Terraform's workers hand reads over one every 3 ms: a fixed 5 ms
        // window would send a call per one or two of them.
        let b = Arc::new(Batcher::new(Duration::from_millis(5)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let (b, f) = (b.clone(), fetch.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(3 * i)).await;
                    b.lookup(&format!("i-{i}"), f, Kind::Read).await
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().unwrap().is_some());
        }
        assert_eq!(*calls.lock().unwrap(), vec![40]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_trickle_is_cut_at_the_maximum_age() {
        let b = Arc::new(Batcher::new(Duration::from_millis(5)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        let start = Instant::now();
        let tasks: Vec<_> = (0..90u64)
            .map(|i| {
                let (b, f) = (b.clone(), fetch.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(30 * i)).await;
                    let r = b.lookup(&format!("i-{i}"), f, Kind::Read).await;
                    (i, r, Instant::now())
                })
            })
            .collect();
        for t in tasks {
            let (i, r, at) = t.await.unwrap();
            assert!(r.unwrap().is_some());
            let asked = start + Duration::from_millis(30 * i);
            assert!(at - asked <= MAX_AGE, "lookup {i} waited {:?}", at - asked);
        }
        let calls = calls.lock().unwrap().clone();
        assert_eq!(calls.iter().sum::<usize>(), 90);
        assert!((2..=3).contains(&calls.len()), "cut by age: {calls:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn reads_handed_over_every_20_ms_still_share_calls() {
        let b = Arc::new(Batcher::new(Duration::from_millis(5)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        let tasks: Vec<_> = (0..100u64)
            .map(|i| {
                let (b, f) = (b.clone(), fetch.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(20 * i)).await;
                    b.lookup(&format!("i-{i}"), f, Kind::Read).await
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().unwrap().is_some());
        }
        let calls = calls.lock().unwrap().clone();
        assert!(calls.len() <= 4, "{calls:?}");
    }

    /// `workers` Terraform workers refresh `total` instances: each reads
    /// one (a patient lookup), then plans it on a CPU they share (`work`
    /// each, and a `pause` every tenth, as a busy machine does), then takes
    /// the next. Returns the calls' sizes and the time taken.
    async fn refresh(
        workers: usize,
        total: usize,
        work: Duration,
        pause: Duration,
    ) -> (Vec<usize>, Duration) {
        let b = Arc::new(Batcher::new(Duration::from_millis(5)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        let next = Arc::new(AtomicUsize::new(0));
        let cpu = Arc::new(tokio::sync::Mutex::new(()));
        let start = Instant::now();
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let (b, f, next, cpu) = (b.clone(), fetch.clone(), next.clone(), cpu.clone());
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break;
                        }
                        let found = b.lookup(&format!("i-{i}"), f.clone(), Kind::Read).await;
                        assert!(found.unwrap().is_some());
                        let _cpu = cpu.lock().await;
                        tokio::time::sleep(work).await;
                        if i % 10 == 9 {
                            tokio::time::sleep(pause).await;
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let calls = calls.lock().unwrap().clone();
        (calls, Instant::now() - start)
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_of_1000_in_clumps_costs_ten_calls() {
        // -parallelism=100 and reads handed over with 20 ms pauses, longer
        // than any spacing-based quiet time: batches close when all 100
        // workers wait, not at the pauses.
        let (calls, _) = refresh(
            100,
            1000,
            Duration::from_millis(1),
            Duration::from_millis(20),
        )
        .await;
        assert_eq!(calls.iter().sum::<usize>(), 1000);
        assert!(calls.len() <= 11, "{calls:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn when_every_worker_waits_the_batch_closes_after_the_window() {
        // -parallelism=10 (Terraform's default): once the first batch has
        // shown that 10 read at once, each later batch closes a short window
        // after its tenth read joins, instead of waiting out the quiet time.
        let (calls, took) = refresh(10, 100, Duration::from_millis(1), Duration::ZERO).await;
        assert_eq!(calls, vec![10; 10]);
        // 100 ms of planning, one quiet time for the first batch, a window
        // for each other: well under ten quiet times.
        let window = Duration::from_millis(5);
        assert!(
            took <= Duration::from_millis(100) + MIN_QUIET * 2 + window * 10,
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_peak_learned_too_small_grows_to_the_pool() {
        // The first batch closes before half of the 100 workers have
        // started; firing at that peak for good would split every later
        // round in two. The window after "everyone" lets the others join.
        let b = Arc::new(Batcher::new(Duration::from_millis(5)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        let next = Arc::new(AtomicUsize::new(0));
        let cpu = Arc::new(tokio::sync::Mutex::new(()));
        let tasks: Vec<_> = (0..100u64)
            .map(|w| {
                let (b, f, next, cpu) = (b.clone(), fetch.clone(), next.clone(), cpu.clone());
                tokio::spawn(async move {
                    if w >= 48 {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= 2000 {
                            break;
                        }
                        let found = b.lookup(&format!("i-{i}"), f.clone(), Kind::Read).await;
                        assert!(found.unwrap().is_some());
                        let _cpu = cpu.lock().await;
                        tokio::time::sleep(Duration::from_micros(1400)).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let calls = calls.lock().unwrap().clone();
        assert_eq!(calls.iter().sum::<usize>(), 2000);
        assert!(calls.len() <= 26, "{} calls: {calls:?}", calls.len());
        let n = calls.len();
        assert!(calls[n - 5..n - 1].iter().all(|&c| c == 100), "{calls:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_instance_polling_is_not_delayed() {
        let b = Batcher::new(Duration::from_millis(5));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        for _ in 0..5 {
            let start = Instant::now();
            assert!(b
                .lookup("i-1", fetch.clone(), Kind::Prompt)
                .await
                .unwrap()
                .is_some());
            assert!(Instant::now() - start <= Duration::from_millis(5));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(calls.lock().unwrap().len(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn lookups_after_the_window_start_a_new_batch() {
        let b = Batcher::new(Duration::from_millis(5));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let fetch = fake(calls.clone(), false);
        assert!(b
            .lookup("i-1", fetch.clone(), Kind::Prompt)
            .await
            .unwrap()
            .is_some());
        assert!(b
            .lookup("i-2-gone", fetch.clone(), Kind::Prompt)
            .await
            .unwrap()
            .is_none());
        assert_eq!(*calls.lock().unwrap(), vec![1, 1]);
    }
}
