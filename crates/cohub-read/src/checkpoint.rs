//! Checkpoints: the serialised read model with its position and the hash of the event at that
//! position, written atomically (temporary file, fsync, rename, fsync of the directory), and
//! loaded on start only if the log still has that event with that hash.
//!
//! The file is JSON compressed with zstd ([`CHECKPOINT_FILE`]); a plain JSON checkpoint left
//! by an older build ([`PLAIN_CHECKPOINT_FILE`]) is still read, and removed once a compressed
//! one is written.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use cohub_store::EventStore;
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::model::ReadModel;

/// The checkpoint's file name inside its directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.json.zst";

/// The uncompressed checkpoint older builds wrote; read when no compressed one exists.
pub const PLAIN_CHECKPOINT_FILE: &str = "checkpoint.json";

/// The zstd level of the checkpoint: JSON shrinks about tenfold at it, faster than it is
/// serialised.
const COMPRESSION_LEVEL: i32 = 3;

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

/// Writes `model` as the checkpoint in `dir` (created if missing), atomically and durably.
/// Blocking: call it from a blocking thread in async code.
pub fn write(dir: &Path, model: &ReadModel) -> Result<PathBuf, ReadError> {
    fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
    let target = dir.join(CHECKPOINT_FILE);
    let tmp = dir.join(format!(".{CHECKPOINT_FILE}.{}.tmp", uuid::Uuid::now_v7()));
    let checkpoint = CheckpointRef {
        format: CHECKPOINT_FORMAT,
        position: model.position(),
        hash: model.last_hash(),
        written_at: Utc::now(),
        model,
    };
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| io("cannot create", &tmp, e))?;
        let encoder = zstd::stream::write::Encoder::new(BufWriter::new(file), COMPRESSION_LEVEL)
            .map_err(|e| io("cannot compress", &tmp, e))?;
        let mut out = BufWriter::new(encoder);
        serde_json::to_writer(&mut out, &checkpoint).map_err(|e| io("cannot write", &tmp, e))?;
        let encoder = out.into_inner().map_err(|e| io("cannot write", &tmp, e))?;
        let mut file = encoder.finish().map_err(|e| io("cannot write", &tmp, e))?;
        file.flush().map_err(|e| io("cannot write", &tmp, e))?;
        let file = file.into_inner().map_err(|e| io("cannot write", &tmp, e))?;
        file.sync_all().map_err(|e| io("cannot sync", &tmp, e))?;
        fs::rename(&tmp, &target).map_err(|e| io("cannot rename", &tmp, e))?;
        let plain = dir.join(PLAIN_CHECKPOINT_FILE);
        match fs::remove_file(&plain) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io("cannot remove", &plain, e))
            }
            _ => {}
        }
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("cannot sync", dir, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| target)
}

/// Serialises like [`Checkpoint`] without cloning the model.
#[derive(Serialize)]
struct CheckpointRef<'a> {
    format: u32,
    position: u64,
    hash: Option<&'a str>,
    written_at: DateTime<Utc>,
    model: &'a ReadModel,
}

/// Opens `path`, or `None` if it does not exist.
fn open(path: &Path) -> Result<Option<File>, ReadError> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("cannot open", path, e)),
    }
}

/// Reads the checkpoint in `dir` (the compressed one, else a plain one an older build left),
/// if there is one. Blocking.
pub fn read(dir: &Path) -> Result<Option<Checkpoint>, ReadError> {
    let compressed = dir.join(CHECKPOINT_FILE);
    let plain = dir.join(PLAIN_CHECKPOINT_FILE);
    let (path, checkpoint): (&Path, Result<Checkpoint, _>) = if let Some(file) = open(&compressed)?
    {
        let decoder = zstd::stream::read::Decoder::new(file)
            .map_err(|e| io("cannot decompress", &compressed, e))?;
        (
            &compressed,
            serde_json::from_reader(BufReader::new(decoder)),
        )
    } else if let Some(file) = open(&plain)? {
        (&plain, serde_json::from_reader(BufReader::new(file)))
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
