//! Hub snapshots kept on disk, so that an as-of read after a restart starts near its point
//! instead of folding the hub from its founding.
//!
//! Every `every` events of a hub (a multiple of the in-memory spacing), the hub's model alone
//! is written to its own file in `<read>/hub-snapshots/`, named by hub, global position and
//! hub sequence. Files are written by one background thread from a bounded queue, so neither
//! the projector nor a read waits for them; when the queue is full a snapshot is skipped (a
//! later replay passing that point queues it again), except in a rebuild
//! ([`SnapshotFiles::wait_when_full`]), which writes every one. A file is a cache of what the log says:
//! it is written without fsync, and used only if it decodes (zstd checksums its content), was
//! folded by this build's rule ([`CHECKPOINT_FORMAT`]) and names the hash the log holds at its
//! position. Anything else is removed and the read folds from an earlier point instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};

use cohub_domain::HubId;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{frame, frames_after, unframe, CHECKPOINT_FORMAT};
use crate::error::ReadError;
use crate::model::ReadModel;

/// The folder, inside the read-model folder, that holds the files.
pub const SNAPSHOT_DIR: &str = "hub-snapshots";

/// The first bytes of a snapshot file.
const MAGIC: &[u8; 8] = b"cohubhs\x01";

/// The ending of a snapshot file's name.
const EXTENSION: &str = "snap";

/// Snapshots waiting to be written, at most.
const QUEUE: usize = 64;

/// What a snapshot file says before its model.
#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    hub: HubId,
    position: u64,
    hub_seq: u64,
    hash: Option<String>,
}

/// A snapshot read back from its file.
#[derive(Debug)]
pub struct Loaded {
    /// The hub sequence of the last event folded in.
    pub hub_seq: u64,
    /// The hub's model.
    pub model: ReadModel,
}

enum Job {
    Write {
        hub: HubId,
        hub_seq: u64,
        model: Arc<ReadModel>,
    },
    Flush(SyncSender<()>),
}

#[derive(Default)]
struct Index {
    /// Written: hub sequence by hub and global position.
    files: BTreeMap<(HubId, u64), u64>,
    /// Queued and not yet written.
    queued: BTreeSet<(HubId, u64)>,
}

/// How many snapshot files were written, skipped or found unusable since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Files written.
    pub written: u64,
    /// Snapshots not written because the queue was full.
    pub skipped: u64,
    /// Files removed because they did not decode or did not match the log.
    pub discarded: u64,
}

#[derive(Default)]
struct Counters {
    written: AtomicU64,
    skipped: AtomicU64,
    discarded: AtomicU64,
}

/// The on-disk tier of the hub snapshots (module docs).
pub struct SnapshotFiles {
    dir: PathBuf,
    every: u64,
    index: Arc<Mutex<Index>>,
    counters: Arc<Counters>,
    queue: SyncSender<Job>,
    wait: bool,
}

impl std::fmt::Debug for SnapshotFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotFiles")
            .field("dir", &self.dir)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> ReadError {
    ReadError::Checkpoint(format!("{what} {}: {e}", path.display()))
}

fn file_name(hub: HubId, position: u64, hub_seq: u64) -> String {
    format!("{}-{position:020}-{hub_seq}.{EXTENSION}", hub.uuid())
}

/// The hub, position and hub sequence a file's name gives, if it is a snapshot's name.
fn parse_name(name: &str) -> Option<(HubId, u64, u64)> {
    let stem = name.strip_suffix(&format!(".{EXTENSION}"))?;
    let (rest, hub_seq) = stem.rsplit_once('-')?;
    let (hub, position) = rest.rsplit_once('-')?;
    Some((
        HubId::from_uuid(uuid::Uuid::parse_str(hub).ok()?),
        position.parse().ok()?,
        hub_seq.parse().ok()?,
    ))
}

fn lock(index: &Mutex<Index>) -> MutexGuard<'_, Index> {
    index.lock().unwrap_or_else(|p| p.into_inner())
}

impl SnapshotFiles {
    /// Opens (creating it if needed) `<read_dir>/hub-snapshots`, lists the files in it, and
    /// starts the writer thread. A file is kept every `every` events of a hub (at least 1).
    /// Blocking.
    pub fn open(read_dir: &Path, every: u64) -> Result<Self, ReadError> {
        let dir = read_dir.join(SNAPSHOT_DIR);
        fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        let mut index = Index::default();
        for entry in fs::read_dir(&dir).map_err(|e| io("cannot list", &dir, e))? {
            let entry = entry.map_err(|e| io("cannot list", &dir, e))?;
            let name = entry.file_name();
            match name.to_str().and_then(parse_name) {
                Some((hub, position, hub_seq)) => {
                    index.files.insert((hub, position), hub_seq);
                }
                // A write cut short by a crash leaves its temporary file: remove it.
                None => {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        let index = Arc::new(Mutex::new(index));
        let counters = Arc::new(Counters::default());
        let (queue, jobs) = sync_channel(QUEUE);
        let writer = Writer {
            dir: dir.clone(),
            index: index.clone(),
            counters: counters.clone(),
        };
        std::thread::Builder::new()
            .name("cohub-hub-snapshots".into())
            .spawn(move || writer.run(jobs))
            .map_err(|e| io("cannot start the writer of", &dir, e))?;
        Ok(Self {
            dir,
            every: every.max(1),
            index,
            counters,
            queue,
            wait: false,
        })
    }

    /// Makes [`keep`](Self::keep) wait for room in the queue instead of skipping: for a
    /// rebuild, which should leave every file behind and has no reader waiting on it.
    pub fn wait_when_full(mut self) -> Self {
        self.wait = true;
        self
    }

    /// The spacing, in events of one hub.
    pub fn every(&self) -> u64 {
        self.every
    }

    /// The folder the files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues `model` (of `hub` alone, after its event `hub_seq`) to be written, if that event
    /// is due and no file of it is written or queued. Unless made to
    /// [`wait_when_full`](Self::wait_when_full), never waits: with the queue full, the snapshot
    /// is skipped.
    pub fn keep(&self, hub: HubId, hub_seq: u64, model: &Arc<ReadModel>) {
        if hub_seq == 0 || hub_seq % self.every != 0 {
            return;
        }
        let key = (hub, model.position());
        {
            let mut index = lock(&self.index);
            if index.files.contains_key(&key) || !index.queued.insert(key) {
                return;
            }
        }
        let job = Job::Write {
            hub,
            hub_seq,
            model: model.clone(),
        };
        let sent = if self.wait {
            self.queue.send(job).is_ok()
        } else {
            self.queue.try_send(job).is_ok()
        };
        if !sent {
            lock(&self.index).queued.remove(&key);
            self.counters.skipped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The global position and hub sequence of the latest file of `hub` at or before
    /// `position`.
    pub fn at_or_before(&self, hub: HubId, position: u64) -> Option<(u64, u64)> {
        lock(&self.index)
            .files
            .range((hub, 0)..=(hub, position))
            .next_back()
            .map(|((_, p), s)| (*p, *s))
    }

    /// The global positions of the files of `hub`, ascending.
    pub fn positions(&self, hub: HubId) -> Vec<u64> {
        lock(&self.index)
            .files
            .range((hub, 0)..=(hub, u64::MAX))
            .map(|((_, p), _)| *p)
            .collect()
    }

    /// Reads the file of `hub` at `position`. `Ok(None)` (after removing it) if it does not
    /// decode, was folded by another rule, or says another hub, position or sequence than its
    /// name. Blocking.
    pub fn load(&self, hub: HubId, position: u64) -> Result<Option<Loaded>, ReadError> {
        let Some(hub_seq) = lock(&self.index).files.get(&(hub, position)).copied() else {
            return Ok(None);
        };
        let path = self.dir.join(file_name(hub, position, hub_seq));
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                lock(&self.index).files.remove(&(hub, position));
                return Ok(None);
            }
            Err(e) => return Err(io("cannot read", &path, e)),
        };
        match decode(&bytes, hub, position, hub_seq) {
            Ok(loaded) => Ok(Some(loaded)),
            Err(reason) => {
                self.discard(hub, position, &reason);
                Ok(None)
            }
        }
    }

    /// Removes the file of `hub` at `position`, saying why.
    pub fn discard(&self, hub: HubId, position: u64, reason: &str) {
        let Some(hub_seq) = lock(&self.index).files.remove(&(hub, position)) else {
            return;
        };
        let path = self.dir.join(file_name(hub, position, hub_seq));
        tracing::warn!(path = %path.display(), %reason, "removed an unusable hub snapshot file");
        let _ = fs::remove_file(&path);
        self.counters.discarded.fetch_add(1, Ordering::Relaxed);
    }

    /// Waits until every snapshot queued before this call is written.
    pub fn flush(&self) {
        let (done, wait) = sync_channel(1);
        if self.queue.send(Job::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// How many files were written, skipped and discarded since start.
    pub fn counts(&self) -> FileCounts {
        FileCounts {
            written: self.counters.written.load(Ordering::Relaxed),
            skipped: self.counters.skipped.load(Ordering::Relaxed),
            discarded: self.counters.discarded.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot file's model, checked against what its name says.
fn decode(bytes: &[u8], hub: HubId, position: u64, hub_seq: u64) -> Result<Loaded, String> {
    let frames = frames_after(bytes, MAGIC, "a hub snapshot")?;
    let [head, body] = frames[..] else {
        return Err(format!("it holds {} frames, not 2", frames.len()));
    };
    let header: Header = unframe(head)?;
    if header.format != CHECKPOINT_FORMAT {
        return Err(format!(
            "it was folded by rule {}, this build folds by rule {CHECKPOINT_FORMAT}",
            header.format
        ));
    }
    if (header.hub, header.position, header.hub_seq) != (hub, position, hub_seq) {
        return Err("its header does not match its name".into());
    }
    let model: ReadModel = unframe(body)?;
    if model.position() != position || model.last_hash() != header.hash.as_deref() {
        return Err("its model does not stand where its header says".into());
    }
    Ok(Loaded { hub_seq, model })
}

/// The writer thread's side.
struct Writer {
    dir: PathBuf,
    index: Arc<Mutex<Index>>,
    counters: Arc<Counters>,
}

impl Writer {
    fn run(self, jobs: Receiver<Job>) {
        for job in jobs {
            match job {
                Job::Flush(done) => {
                    let _ = done.send(());
                }
                Job::Write {
                    hub,
                    hub_seq,
                    model,
                } => {
                    let key = (hub, model.position());
                    match self.write(hub, hub_seq, &model) {
                        Ok(()) => {
                            let mut index = lock(&self.index);
                            index.queued.remove(&key);
                            index.files.insert(key, hub_seq);
                            self.counters.written.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            lock(&self.index).queued.remove(&key);
                            tracing::warn!(error = %e, "could not write a hub snapshot file");
                        }
                    }
                }
            }
        }
    }

    fn write(&self, hub: HubId, hub_seq: u64, model: &ReadModel) -> std::io::Result<()> {
        let header = Header {
            format: CHECKPOINT_FORMAT,
            hub,
            position: model.position(),
            hub_seq,
            hash: model.last_hash().map(str::to_owned),
        };
        let head = frame(&header)?;
        let body = frame(model)?;
        let mut bytes = Vec::with_capacity(MAGIC.len() + 16 + head.len() + body.len());
        bytes.extend_from_slice(MAGIC);
        for f in [&head, &body] {
            bytes.extend_from_slice(&(f.len() as u64).to_le_bytes());
            bytes.extend_from_slice(f);
        }
        let name = file_name(hub, model.position(), hub_seq);
        let tmp = self.dir.join(format!("{name}.tmp"));
        fs::write(&tmp, &bytes)?;
        fs::rename(&tmp, self.dir.join(name))
    }
}
