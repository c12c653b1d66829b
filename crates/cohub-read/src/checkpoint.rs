//! Checkpoints: the serialised read model with its position and the hash of the event at that
//! position, written atomically (temporary file, fsync, rename, fsync of the directory), and
//! loaded on start only if the log still has that event with that hash.
//!
//! The file ([`CHECKPOINT_FILE`]) holds one zstd frame of MessagePack per hub, each the model
//! of that hub alone ([`ReadModel::hub_alone`]), after a header frame; every frame is preceded
//! by its length. Hubs are written and read as many at once as there are cores, each parsed
//! from memory, and joined back into the whole model ([`ReadModel::join_hubs`]); no more than
//! one hub's bytes are held at a time per core. MessagePack rather than JSON: it is parsed
//! faster, and it says each list's length before the list, so every list is read into exactly
//! the memory it needs (from JSON, a list grows by doubling and keeps the slack). A
//! checkpoint an older build left, the whole model as one compressed JSON document
//! ([`COMPRESSED_JSON_FILE`]) or as plain JSON ([`PLAIN_CHECKPOINT_FILE`]), is still read, and
//! removed once a checkpoint of this build is written.
//!
//! A process that writes checkpoints again and again keeps [`Frames`], where each hub's frame
//! lies in the file it last wrote and the last event that frame holds. The next write copies
//! the frames of hubs with no event since straight from that file instead of encoding them
//! again, so a checkpoint costs what changed, not the whole model. A frame is copied only from
//! the very file it was written to (same inode and length); otherwise everything is encoded.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use cohub_domain::HubId;
use cohub_store::EventStore;
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::model::ReadModel;

/// The checkpoint's file name inside its directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.hubs";

/// The whole model as one zstd-compressed JSON document, as builds before per-hub frames
/// wrote it; read when no [`CHECKPOINT_FILE`] exists.
pub const COMPRESSED_JSON_FILE: &str = "checkpoint.json.zst";

/// The uncompressed checkpoint still older builds wrote; read when neither of the others
/// exists.
pub const PLAIN_CHECKPOINT_FILE: &str = "checkpoint.json";

/// The first bytes of a [`CHECKPOINT_FILE`].
const MAGIC: &[u8; 8] = b"cohubck\x02";

/// The zstd level of the checkpoint's frames and hub snapshot files: the fastest, which still
/// shrinks the model's MessagePack (mostly repeated field names, ids and text) several times
/// over. Level 3 packed a 1,000,000-event store's `read/` 6 % smaller, but a rebuild, which
/// writes a hub snapshot file every 2,048 events of each hub, spent a fifth of its time in it.
const COMPRESSION_LEVEL: i32 = 1;

/// The most a frame of a checkpoint may say it holds: more is damage.
const MAX_FRAME: u64 = 1 << 36;

/// The format version this build writes and reads. Raised whenever the fold itself changes
/// (2: a revision answers only what it names; deliberation runs from an idea's latest version;
/// distribution views keep the domain's state, the idea's lapse and ended rounds), so a model
/// folded by an older rule is rebuilt from the log instead of being loaded.
pub const CHECKPOINT_FORMAT: u32 = 2;

/// A persisted read model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The file format version.
    pub format: u32,
    /// The last position folded into the model.
    pub position: u64,
    /// The hash of the event at `position` (none for position 0).
    pub hash: Option<String>,
    /// When it was written.
    pub written_at: DateTime<Utc>,
    /// The model.
    pub model: ReadModel,
}

/// The first frame of a [`CHECKPOINT_FILE`]: a [`Checkpoint`] without its model, and how many
/// hub frames follow.
#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    position: u64,
    hash: Option<String>,
    written_at: DateTime<Utc>,
    hubs: usize,
}

/// How a projection started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartReport {
    /// The checkpoint's position, when one was loaded.
    pub loaded_checkpoint: Option<u64>,
    /// Why a checkpoint found on disk was not used (the model is then rebuilt from position 0).
    pub discarded_checkpoint: Option<String>,
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> ReadError {
    ReadError::Checkpoint(format!("{what} {}: {e}", path.display()))
}

/// How many threads write or read a checkpoint's hubs.
fn workers(hubs: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(hubs)
        .max(1)
}

/// Runs `job(i)` for every `i` in `0..n` on [`workers`] threads, each taking the next index
/// left, and returns the results in index order (the first error, if any).
fn each_hub<T: Send, E: Send>(
    n: usize,
    job: impl Fn(usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = std::thread::scope(|s| {
        let tasks: Vec<_> = (0..workers(n))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return Ok(mine);
                        }
                        mine.push((i, job(i)?));
                    }
                })
            })
            .collect();
        tasks
            .into_iter()
            .map(|t| t.join().expect("a checkpoint worker panicked"))
            .collect::<Result<Vec<Vec<(usize, T)>>, E>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, t)| t).collect())
}

/// `value` as MessagePack (structs as maps, so that fields keep their names) in one zstd frame,
/// with a checksum of its content, so that damage is found rather than read as another model.
pub(crate) fn frame<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), COMPRESSION_LEVEL)?;
    encoder.include_checksum(true)?;
    let mut out = BufWriter::with_capacity(1 << 16, encoder);
    rmp_serde::encode::write_named(&mut out, value).map_err(std::io::Error::other)?;
    out.into_inner().map_err(|e| e.into_error())?.finish()
}

/// Where each hub's frame lies in the checkpoint file last written through it, and the last
/// event it holds, so that the next write can copy unchanged hubs' frames (module docs).
#[derive(Debug, Default)]
pub struct Frames {
    /// The file they lie in: its path, inode and length when written.
    file: Option<(PathBuf, u64, u64)>,
    /// By hub: the position of the hub's last event in the frame, the frame's offset and length.
    hubs: HashMap<HubId, (u64, u64, usize)>,
}

impl Frames {
    /// The file they were written to, if it is still exactly that file.
    fn open(&self) -> Option<File> {
        let (path, ino, len) = self.file.as_ref()?;
        let file = File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        (meta.ino() == *ino && meta.len() == *len).then_some(file)
    }
}

/// What a checkpoint write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The checkpoint file.
    pub path: PathBuf,
    /// Hubs whose frame was encoded afresh.
    pub encoded: usize,
    /// Hubs whose frame was copied from the previous file, having no event since.
    pub copied: usize,
}

/// Writes `model` as the checkpoint in `dir` (created if missing), atomically and durably.
/// Blocking: call it from a blocking thread in async code.
pub fn write(dir: &Path, model: &ReadModel) -> Result<PathBuf, ReadError> {
    write_reusing(dir, model, &mut Frames::default()).map(|w| w.path)
}

/// [`write`], copying from the file `frames` describes the frames of hubs with no event since
/// it was written, and then describing the new file in `frames`.
pub fn write_reusing(
    dir: &Path,
    model: &ReadModel,
    frames: &mut Frames,
) -> Result<Written, ReadError> {
    let previous = std::mem::take(frames);
    fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
    let target = dir.join(CHECKPOINT_FILE);
    let tmp = dir.join(format!(".{CHECKPOINT_FILE}.{}.tmp", uuid::Uuid::now_v7()));
    let old_file = previous.open();
    // Each hub with the position of its last event, which says whether its frame changed.
    let hubs: Vec<(HubId, u64)> = model
        .hubs
        .iter()
        .map(|(id, hub)| (*id, hub.updated.position))
        .collect();
    let header = Header {
        format: CHECKPOINT_FORMAT,
        position: model.position(),
        hash: model.last_hash().map(str::to_string),
        written_at: Utc::now(),
        hubs: hubs.len(),
    };
    let result = (|| {
        let hub_frames = each_hub(hubs.len(), |i| {
            let (hub, last_event) = hubs[i];
            if let (Some(old), Some(&(last, offset, len))) = (&old_file, previous.hubs.get(&hub)) {
                if last == last_event {
                    let mut bytes = vec![0; len];
                    old.read_exact_at(&mut bytes, offset)
                        .map_err(|e| io("cannot read", &target, e))?;
                    return Ok((bytes, true));
                }
            }
            let alone = model
                .hub_alone(hub)
                .expect("every listed hub is in the model");
            frame(&alone)
                .map(|bytes| (bytes, false))
                .map_err(|e| io("cannot compress", &tmp, e))
        })?;
        let file = File::create(&tmp).map_err(|e| io("cannot create", &tmp, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let header = frame(&header).map_err(|e| io("cannot compress", &tmp, e))?;
        out.write_all(MAGIC)
            .map_err(|e| io("cannot write", &tmp, e))?;
        let mut offset = MAGIC.len() as u64;
        let mut placed = HashMap::with_capacity(hubs.len());
        let all = std::iter::once(&header).chain(hub_frames.iter().map(|(bytes, _)| bytes));
        for (i, f) in all.enumerate() {
            out.write_all(&(f.len() as u64).to_le_bytes())
                .and_then(|()| out.write_all(f))
                .map_err(|e| io("cannot write", &tmp, e))?;
            offset += 8;
            if let Some((hub, last_event)) = i.checked_sub(1).map(|h| hubs[h]) {
                placed.insert(hub, (last_event, offset, f.len()));
            }
            offset += f.len() as u64;
        }
        let file = out.into_inner().map_err(|e| io("cannot write", &tmp, e))?;
        file.sync_all().map_err(|e| io("cannot sync", &tmp, e))?;
        let ino = file
            .metadata()
            .map_err(|e| io("cannot stat", &tmp, e))?
            .ino();
        fs::rename(&tmp, &target).map_err(|e| io("cannot rename", &tmp, e))?;
        let copied = hub_frames.iter().filter(|(_, copied)| *copied).count();
        let written = Written {
            path: target.clone(),
            encoded: hubs.len() - copied,
            copied,
        };
        let described = Frames {
            file: Some((target.clone(), ino, offset)),
            hubs: placed,
        };
        for older in [COMPRESSED_JSON_FILE, PLAIN_CHECKPOINT_FILE] {
            let older = dir.join(older);
            match fs::remove_file(&older) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io("cannot remove", &older, e))
                }
                _ => {}
            }
        }
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("cannot sync", dir, e))?;
        Ok((written, described))
    })();
    match result {
        Ok((written, described)) => {
            *frames = described;
            Ok(written)
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The whole of `path`, or `None` if it does not exist.
fn read_whole(path: &Path) -> Result<Option<Vec<u8>>, ReadError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("cannot open", path, e)),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| io("cannot read", path, e))?;
    Ok(Some(bytes))
}

/// The length-prefixed frames of a [`CHECKPOINT_FILE`], after its magic.
fn frames(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    frames_after(bytes, MAGIC, "a checkpoint")
}

/// The length-prefixed frames of a file that starts with `magic` (the file being `what`).
pub(crate) fn frames_after<'a>(
    bytes: &'a [u8],
    magic: &[u8],
    what: &str,
) -> Result<Vec<&'a [u8]>, String> {
    let mut rest = bytes
        .strip_prefix(magic)
        .ok_or_else(|| format!("it does not start as {what} does"))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (len, after) = rest
            .split_first_chunk::<8>()
            .ok_or("it ends inside a frame's length")?;
        let len = u64::from_le_bytes(*len);
        if len > MAX_FRAME || len > after.len() as u64 {
            return Err(format!("it is cut short (a frame of {len} bytes)"));
        }
        let (f, after) = after.split_at(len as usize);
        out.push(f);
        rest = after;
    }
    Ok(out)
}

/// A frame's MessagePack, parsed from memory.
pub(crate) fn unframe<T: serde::de::DeserializeOwned>(f: &[u8]) -> Result<T, String> {
    rmp_serde::from_slice(&decompress(f)?).map_err(|e| e.to_string())
}

/// The bytes a zstd frame (or stream) expands to.
fn decompress(f: &[u8]) -> Result<Vec<u8>, String> {
    zstd::stream::decode_all(f).map_err(|e| format!("it does not decompress: {e}"))
}

/// Reads a [`CHECKPOINT_FILE`]'s bytes into the whole model.
fn from_hub_frames(bytes: &[u8]) -> Result<Checkpoint, String> {
    let frames = frames(bytes)?;
    let (first, hubs) = frames.split_first().ok_or("it has no header")?;
    let header: Header = unframe(first)?;
    if header.hubs != hubs.len() {
        return Err(format!(
            "its header names {} hubs but it holds {}",
            header.hubs,
            hubs.len()
        ));
    }
    if header.format != CHECKPOINT_FORMAT {
        return Ok(Checkpoint {
            format: header.format,
            position: header.position,
            hash: header.hash,
            written_at: header.written_at,
            model: ReadModel::new(),
        });
    }
    let parts = each_hub(hubs.len(), |i| unframe::<ReadModel>(hubs[i]))?;
    let model = ReadModel::join_hubs(parts, header.position, header.hash.clone());
    Ok(Checkpoint {
        format: header.format,
        position: header.position,
        hash: header.hash,
        written_at: header.written_at,
        model,
    })
}

/// Reads the checkpoint in `dir` (this build's, else one an older build left), if there is
/// one. Blocking.
pub fn read(dir: &Path) -> Result<Option<Checkpoint>, ReadError> {
    let hubs = dir.join(CHECKPOINT_FILE);
    let compressed = dir.join(COMPRESSED_JSON_FILE);
    let plain = dir.join(PLAIN_CHECKPOINT_FILE);
    let (path, checkpoint): (&Path, Result<Checkpoint, String>) =
        if let Some(bytes) = read_whole(&hubs)? {
            (&hubs, from_hub_frames(&bytes))
        } else if let Some(bytes) = read_whole(&compressed)? {
            (
                &compressed,
                decompress(&bytes)
                    .and_then(|json| serde_json::from_slice(&json).map_err(|e| e.to_string())),
            )
        } else if let Some(bytes) = read_whole(&plain)? {
            (
                &plain,
                serde_json::from_slice(&bytes).map_err(|e| e.to_string()),
            )
        } else {
            return Ok(None);
        };
    let checkpoint = checkpoint.map_err(|e| io("cannot read", path, e))?;
    if checkpoint.format != CHECKPOINT_FORMAT {
        return Err(ReadError::Checkpoint(format!(
            "{} has format {}, this build reads format {CHECKPOINT_FORMAT}",
            path.display(),
            checkpoint.format
        )));
    }
    Ok(Some(checkpoint))
}

/// Whether the log still holds the checkpoint's event at its position with its hash:
/// `Ok(Err(reason))` when it does not.
pub async fn validate(
    store: &dyn EventStore,
    checkpoint: &Checkpoint,
) -> Result<Result<(), String>, ReadError> {
    if checkpoint.model.position() != checkpoint.position
        || checkpoint.model.last_hash() != checkpoint.hash.as_deref()
    {
        return Ok(Err("its header does not match its model".to_string()));
    }
    if checkpoint.position == 0 {
        return Ok(Ok(()));
    }
    let found = store.read_all(checkpoint.position - 1, 1).await?;
    Ok(match found.first() {
        None => Err(format!(
            "the log has no event at position {}",
            checkpoint.position
        )),
        Some(e) if e.position != checkpoint.position => Err(format!(
            "the log returned position {} for position {}",
            e.position, checkpoint.position
        )),
        Some(e) if Some(e.hash.as_str()) != checkpoint.hash.as_deref() => Err(format!(
            "the event at position {} has a different hash",
            checkpoint.position
        )),
        Some(_) => Ok(()),
    })
}

/// The model to start from: the checkpoint in `dir` if it is readable and still matches the
/// log, otherwise the empty model (logging why). The caller then catches up from the log.
pub async fn load(
    store: &dyn EventStore,
    dir: &Path,
) -> Result<(ReadModel, StartReport), ReadError> {
    let owned = dir.to_path_buf();
    let read = tokio::task::spawn_blocking(move || read(&owned))
        .await
        .map_err(|e| ReadError::Checkpoint(format!("checkpoint reader panicked: {e}")))?;
    let reason = match read {
        Ok(None) => return Ok((ReadModel::new(), StartReport::default())),
        Ok(Some(checkpoint)) => match validate(store, &checkpoint).await? {
            Ok(()) => {
                tracing::info!(
                    position = checkpoint.position,
                    "loaded the read-model checkpoint"
                );
                let report = StartReport {
                    loaded_checkpoint: Some(checkpoint.position),
                    discarded_checkpoint: None,
                };
                return Ok((checkpoint.model, report));
            }
            Err(reason) => reason,
        },
        Err(e) => e.to_string(),
    };
    tracing::warn!(%reason, "not using the read-model checkpoint; rebuilding from position 0");
    Ok((
        ReadModel::new(),
        StartReport {
            loaded_checkpoint: None,
            discarded_checkpoint: Some(reason),
        },
    ))
}
