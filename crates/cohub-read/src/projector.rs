//! The projector: a background task that follows the log, folds each envelope into the shared
//! read model, publishes the applied position, keeps hub snapshots and writes checkpoints.
//!
//! Readers take an `Arc<ReadModel>` ([`Projector::current`]) and never hold a lock; the task
//! folds a batch into its own copy (copying only what changes) and swaps the pointer.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cohub_domain::{DomainEvent, HubId};
use cohub_store::{Envelope, EventStore};
use futures::{FutureExt, StreamExt};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::as_of::{self, AsOf};
use crate::checkpoint::{self, StartReport};
use crate::error::ReadError;
use crate::hub_snapshots::HubSnapshots;
use crate::model::{decode, ReadModel};
use crate::snapshot_files::SnapshotFiles;

/// How the projector runs.
#[derive(Clone, Debug)]
pub struct ProjectorConfig {
    /// Where checkpoints live (e.g. `<data>/read/`); none: no checkpoints, rebuild on start.
    pub checkpoint_dir: Option<PathBuf>,
    /// Write a checkpoint after this many applied events...
    pub checkpoint_every_events: u64,
    /// ...or this long after the last one, if anything was applied since.
    pub checkpoint_interval: Duration,
    /// Keep a snapshot of a hub every K events of that hub, for as-of reads (0: none).
    pub snapshot_every: u64,
    /// Hold at most this many snapshots (beyond it, every other one is dropped).
    pub max_snapshots: usize,
    /// Also write a hub's snapshot to `<checkpoint_dir>/hub-snapshots/` every this many events
    /// of the hub (rounded up to a multiple of `snapshot_every`), so that as-of reads after a
    /// restart start near their point (0, or no `checkpoint_dir`: none).
    pub snapshot_file_every: u64,
    /// Capacity of the applied-events broadcast (slow subscribers lag past it).
    pub broadcast_capacity: usize,
    /// Fold at most this many ready envelopes before publishing the model.
    pub batch_limit: usize,
}

impl Default for ProjectorConfig {
    fn default() -> Self {
        Self {
            checkpoint_dir: None,
            checkpoint_every_events: 10_000,
            checkpoint_interval: Duration::from_secs(60),
            snapshot_every: 256,
            max_snapshots: 4096,
            snapshot_file_every: 2048,
            broadcast_capacity: 1024,
            batch_limit: 512,
        }
    }
}

/// The projector's progress, as published on its watch channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The last position folded in and visible to readers.
    pub applied: u64,
    /// Why folding stopped, if an event could not be folded.
    pub error: Option<String>,
    /// Whether the task has ended.
    pub stopped: bool,
}

/// An envelope that was just folded in, for live subscriptions.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The envelope.
    pub envelope: Envelope,
    /// Its decoded event.
    pub event: DomainEvent,
}

struct Shared {
    store: Arc<dyn EventStore>,
    config: ProjectorConfig,
    current: RwLock<Arc<ReadModel>>,
    progress: watch::Sender<Progress>,
    applied: broadcast::Sender<Arc<Applied>>,
    snapshots: Arc<HubSnapshots>,
    /// One checkpoint writer at a time, with where the last one put each hub's frame.
    checkpoint_lock: std::sync::Mutex<checkpoint::Frames>,
    /// Test hook: the next checkpoint write waits until this hold is released.
    hold: std::sync::Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl Shared {
    fn current(&self) -> Arc<ReadModel> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn publish(&self, model: Arc<ReadModel>) {
        let position = model.position();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = model;
        self.progress.send_modify(|p| p.applied = position);
    }

    async fn checkpoint(
        self: &Arc<Self>,
        model: Arc<ReadModel>,
    ) -> Result<Option<PathBuf>, ReadError> {
        let Some(dir) = self.config.checkpoint_dir.clone() else {
            return Ok(None);
        };
        let shared = self.clone();
        tokio::task::spawn_blocking(move || {
            let held = shared.hold.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(released) = held {
                let _ = released.recv();
            }
            let mut frames = shared
                .checkpoint_lock
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let started = std::time::Instant::now();
            let written = checkpoint::write_reusing(&dir, &model, &mut frames)?;
            tracing::debug!(
                position = model.position(),
                encoded = written.encoded,
                copied = written.copied,
                ms = started.elapsed().as_millis() as u64,
                "wrote a read-model checkpoint"
            );
            Ok(Some(written.path))
        })
        .await
        .map_err(|e| ReadError::Checkpoint(format!("checkpoint writer panicked: {e}")))?
    }
}

/// Follows the log and serves the read model.
pub struct Projector {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
    start: StartReport,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projector")
            .field("applied", &self.position())
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl Projector {
    /// Loads the checkpoint (if configured, present and still matching the log; otherwise
    /// starts from position 0) and starts following the log from its position.
    pub async fn start(
        store: Arc<dyn EventStore>,
        config: ProjectorConfig,
    ) -> Result<Projector, ReadError> {
        let (model, start) = match &config.checkpoint_dir {
            Some(dir) => checkpoint::load(store.as_ref(), dir).await?,
            None => (ReadModel::new(), StartReport::default()),
        };
        let mut snapshots = HubSnapshots::new(config.snapshot_every, config.max_snapshots);
        if let (Some(dir), true) = (
            &config.checkpoint_dir,
            config.snapshot_every > 0 && config.snapshot_file_every > 0,
        ) {
            let every = config
                .snapshot_file_every
                .div_ceil(config.snapshot_every)
                .saturating_mul(config.snapshot_every);
            let dir = dir.clone();
            let opened = tokio::task::spawn_blocking(move || SnapshotFiles::open(&dir, every))
                .await
                .map_err(|e| ReadError::Checkpoint(format!("a snapshot lister panicked: {e}")))?;
            // The files only make reads of the past faster: without them, serve anyway.
            match opened {
                Ok(files) => snapshots = snapshots.with_files(Arc::new(files)),
                Err(e) => tracing::warn!(
                    error = %e,
                    "keeping no hub snapshot files: reads of the past after a restart fold each hub from its founding"
                ),
            }
        }
        let snapshots = Arc::new(snapshots);
        // Nothing to start from: fold each hub on its own, as many at once as there are cores,
        // keeping hub snapshots on the way; the task then follows the log from there.
        let model = if model.position() == 0 && store.head_position().await? > 0 {
            let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
            crate::replay::rebuild_by_hub(
                store.clone(),
                workers,
                Arc::new(|_| {}),
                Some(snapshots.clone()),
            )
            .await?
        } else {
            model
        };
        let model = Arc::new(model);
        let (progress, _) = watch::channel(Progress {
            applied: model.position(),
            error: None,
            stopped: false,
        });
        let (applied, _) = broadcast::channel(config.broadcast_capacity.max(1));
        let shared = Arc::new(Shared {
            store,
            config,
            current: RwLock::new(model.clone()),
            progress,
            applied,
            snapshots,
            checkpoint_lock: std::sync::Mutex::new(checkpoint::Frames::default()),
            hold: std::sync::Mutex::new(None),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        // What was folded on start and is not in the checkpoint yet is saved like any other;
        // past the threshold, before the projector is handed out, so that a restart right after
        // does not fold it all again.
        let mut unsaved = model.position() - start.loaded_checkpoint.unwrap_or(0);
        if unsaved >= shared.config.checkpoint_every_events.max(1) {
            save(&shared, &model).await;
            unsaved = 0;
        }
        let task = tokio::spawn(run(shared.clone(), shutdown_rx, model, unsaved));
        Ok(Projector {
            shared,
            shutdown,
            task: std::sync::Mutex::new(Some(task)),
            start,
        })
    }

    /// How it started: from which checkpoint, or why a checkpoint was discarded.
    pub fn start_report(&self) -> &StartReport {
        &self.start
    }

    /// The store it follows.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.shared.store
    }

    /// The latest published model (cheap: a pointer; hold it as long as needed).
    pub fn current(&self) -> Arc<ReadModel> {
        self.shared.current()
    }

    /// The last position folded in and visible through [`current`](Self::current).
    pub fn position(&self) -> u64 {
        self.shared.progress.borrow().applied
    }

    /// The progress channel: changes whenever a batch is published or the task stops.
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.shared.progress.subscribe()
    }

    /// Live feed of every envelope folded in from now on (GraphQL subscriptions).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Applied>> {
        self.shared.applied.subscribe()
    }

    /// Waits until the model has folded in `position` (e.g. a mutation's receipt
    /// `last_position`, to read one's own writes), then returns it.
    pub async fn wait_for(
        &self,
        position: u64,
        timeout: Duration,
    ) -> Result<Arc<ReadModel>, ReadError> {
        let mut rx = self.shared.progress.subscribe();
        let waited = tokio::time::timeout(
            timeout,
            rx.wait_for(|p| p.applied >= position || p.error.is_some() || p.stopped),
        )
        .await;
        let progress = match waited {
            Err(_) => {
                return Err(ReadError::Timeout {
                    position,
                    applied: self.position(),
                })
            }
            Ok(Err(_)) => return Err(ReadError::Stopped("the projector is gone".into())),
            Ok(Ok(p)) => p.clone(),
        };
        if progress.applied >= position {
            Ok(self.current())
        } else if let Some(error) = progress.error {
            Err(ReadError::Stopped(error))
        } else {
            Err(ReadError::Stopped("the projector was shut down".into()))
        }
    }

    /// How many events of the log are not folded in yet.
    pub async fn lag(&self) -> Result<u64, ReadError> {
        let head = self.shared.store.head_position().await?;
        Ok(head.saturating_sub(self.position()))
    }

    /// Ready for `/readyz`: running, not failed, and folded up to the log's head.
    pub async fn caught_up(&self) -> Result<bool, ReadError> {
        let progress = self.shared.progress.borrow().clone();
        if let Some(error) = progress.error {
            return Err(ReadError::Stopped(error));
        }
        Ok(!progress.stopped && self.lag().await? == 0)
    }

    /// The hub snapshots kept for as-of reads.
    pub fn snapshots(&self) -> &HubSnapshots {
        &self.shared.snapshots
    }

    /// Hub `hub` exactly at global `position` (its nearest snapshot plus its own events after
    /// it; see [`as_of::hub_at_position`]).
    pub async fn at_position(&self, hub: HubId, position: u64) -> Result<AsOf, ReadError> {
        as_of::hub_at_position(
            self.shared.store.as_ref(),
            &self.shared.snapshots,
            Some(self.current()),
            hub,
            position,
        )
        .await
    }

    /// Hub `hub` as it stood at `time` (see [`as_of::hub_as_of`]).
    pub async fn as_of(&self, hub: HubId, time: DateTime<Utc>) -> Result<AsOf, ReadError> {
        as_of::hub_as_of(
            self.shared.store.as_ref(),
            &self.shared.snapshots,
            Some(self.current()),
            hub,
            time,
        )
        .await
    }

    /// Writes a checkpoint of the current model now (none without a checkpoint directory).
    pub async fn checkpoint(&self) -> Result<Option<PathBuf>, ReadError> {
        self.shared.checkpoint(self.current()).await
    }

    /// Test hook: the next checkpoint write (periodic or asked for) waits, before it encodes
    /// anything, until the returned hold is dropped.
    #[doc(hidden)]
    pub fn hold_next_checkpoint(&self) -> CheckpointHold {
        let (tx, rx) = std::sync::mpsc::channel();
        *self.shared.hold.lock().unwrap_or_else(|p| p.into_inner()) = Some(rx);
        CheckpointHold(tx)
    }

    /// Stops following the log, writes a final checkpoint, waits for the task to end and for
    /// the hub snapshot files queued to be written (callable through an `Arc`; later calls
    /// return at once).
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "the projector task panicked");
            }
        }
        if let Some(files) = self.shared.snapshots.files() {
            let files = files.clone();
            let _ = tokio::task::spawn_blocking(move || files.flush()).await;
        }
    }
}

impl Drop for Projector {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Resolves once a stop is requested (or the projector is dropped).
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    let _stopped = shutdown.wait_for(|stop| *stop).await.map(|_| ());
}

/// The background task.
async fn run(
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    mut working: Arc<ReadModel>,
    mut unsaved: u64,
) {
    let config = shared.config.clone();
    let mut ticker =
        tokio::time::interval(config.checkpoint_interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    let mut backoff = Duration::from_millis(20);
    let mut saver = Saver::default();
    'follow: loop {
        let mut stream = shared.store.subscribe(working.position());
        loop {
            let next = tokio::select! {
                _ = stop_requested(&mut shutdown) => break 'follow,
                _ = ticker.tick() => {
                    if unsaved > 0 && saver.start(&shared, &working) {
                        unsaved = 0;
                    }
                    continue;
                }
                next = stream.next() => next,
            };
            let first = match next {
                Some(Ok(envelope)) => envelope,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the log subscription failed; following it again");
                    break;
                }
                None => break,
            };
            let mut batch = vec![first];
            let mut resubscribe = false;
            while batch.len() < config.batch_limit.max(1) {
                match stream.next().now_or_never() {
                    Some(Some(Ok(envelope))) => batch.push(envelope),
                    Some(Some(Err(e))) => {
                        tracing::warn!(error = %e, "the log subscription failed; following it again");
                        resubscribe = true;
                        break;
                    }
                    Some(None) => {
                        resubscribe = true;
                        break;
                    }
                    None => break,
                }
            }
            match fold_batch(&shared, &mut working, &batch) {
                Ok(n) => unsaved += n,
                Err(e) => {
                    tracing::error!(error = %e, "the projection stopped: an event could not be folded");
                    shared
                        .progress
                        .send_modify(|p| p.error = Some(e.to_string()));
                    stop_requested(&mut shutdown).await;
                    break 'follow;
                }
            }
            backoff = Duration::from_millis(20);
            if unsaved >= config.checkpoint_every_events.max(1) && saver.start(&shared, &working) {
                unsaved = 0;
            }
            if resubscribe {
                break;
            }
        }
        // The subscription ended or failed: follow again from the applied position.
        tokio::select! {
            _ = stop_requested(&mut shutdown) => break 'follow,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
    saver.finish().await;
    if unsaved > 0 {
        save(&shared, &working).await;
    }
    shared.progress.send_modify(|p| p.stopped = true);
}

/// Folds a batch into the working model, publishes it, then broadcasts what was applied.
/// On an error, what was folded before it is still published.
fn fold_batch(
    shared: &Shared,
    working: &mut Arc<ReadModel>,
    batch: &[Envelope],
) -> Result<u64, ReadError> {
    let broadcast = shared.applied.receiver_count() > 0;
    let mut applied = Vec::new();
    let mut count = 0u64;
    let mut failure = None;
    {
        let model = Arc::make_mut(working);
        for envelope in batch {
            if envelope.position <= model.position() {
                continue;
            }
            if let Err(e) = model.apply(envelope) {
                failure = Some(e);
                break;
            }
            count += 1;
            if shared.snapshots.is_due(envelope.hub_seq) {
                let hub = HubId::from_uuid(envelope.hub_id);
                if let Some(alone) = model.hub_alone(hub) {
                    shared
                        .snapshots
                        .offer(hub, envelope.hub_seq, Arc::new(alone));
                }
            }
            if broadcast {
                if let Ok(event) = decode(envelope) {
                    applied.push(Arc::new(Applied {
                        envelope: envelope.clone(),
                        event,
                    }));
                }
            }
        }
    }
    if count > 0 {
        shared.publish(working.clone());
    }
    for a in applied {
        let _ = shared.applied.send(a);
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(count),
    }
}

/// Keeps the next checkpoint write waiting until dropped (see
/// [`Projector::hold_next_checkpoint`]).
#[doc(hidden)]
pub struct CheckpointHold(#[allow(dead_code)] std::sync::mpsc::Sender<()>);

/// Writes checkpoints beside the projection rather than in its way: the model is a snapshot
/// (persistent maps), so the projector goes on folding, and mutations waiting for their
/// events to show are not held up, while a checkpoint is encoded and written. One at a time:
/// while one is being written, the next waits for the projector's next chance.
#[derive(Default)]
struct Saver {
    writing: Option<JoinHandle<()>>,
}

impl Saver {
    /// Starts writing `working` as the checkpoint, unless one is still being written; says
    /// whether it started.
    fn start(&mut self, shared: &Arc<Shared>, working: &Arc<ReadModel>) -> bool {
        if self.writing.as_ref().is_some_and(|w| !w.is_finished()) {
            return false;
        }
        let (shared, working) = (shared.clone(), working.clone());
        self.writing = Some(tokio::spawn(async move { save(&shared, &working).await }));
        true
    }

    /// Waits for the checkpoint being written, if any.
    async fn finish(&mut self) {
        if let Some(w) = self.writing.take() {
            let _ = w.await;
        }
    }
}

async fn save(shared: &Arc<Shared>, working: &Arc<ReadModel>) {
    if let Err(e) = shared.checkpoint(working.clone()).await {
        tracing::warn!(error = %e, "could not write the read-model checkpoint");
    }
}
