//! As-of reads ("as it stood on 1 March"): the nearest snapshot at or before the point, plus the
//! tail of the log replayed from the store, so the cost is bounded by the snapshot spacing K,
//! not by the length of the log.
//!
//! `as_of(time)` is the model after the longest prefix of the log whose events were all
//! recorded at or before `time` (with the server's monotonic clock: the last position recorded
//! at or before it).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_store::EventStore;

use crate::error::ReadError;
use crate::model::ReadModel;
use crate::replay::{replay, Until};
use crate::snapshots::Snapshots;

/// A model as of a past point, and what it cost.
#[derive(Clone, Debug)]
pub struct AsOf {
    /// The model (its `position()` says which position it stands at).
    pub model: Arc<ReadModel>,
    /// The position of the snapshot (or live model) it started from.
    pub base_position: u64,
    /// How many events were replayed from the store on top of it.
    pub replayed: u64,
}

fn best(base: Option<Arc<ReadModel>>, other: Option<Arc<ReadModel>>) -> Arc<ReadModel> {
    match (base, other) {
        (Some(a), Some(b)) => {
            if b.position() > a.position() {
                b
            } else {
                a
            }
        }
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => Arc::new(ReadModel::new()),
    }
}

async fn from_base(
    store: &dyn EventStore,
    snapshots: &Snapshots,
    base: Arc<ReadModel>,
    until: Until,
) -> Result<AsOf, ReadError> {
    let base_position = base.position();
    let (model, replayed) = replay(store, (*base).clone(), until, Some(snapshots)).await?;
    let model = if replayed == 0 { base } else { Arc::new(model) };
    Ok(AsOf {
        model,
        base_position,
        replayed,
    })
}

/// The model at exactly `position`, from the nearest snapshot (or `live`, if it is not past
/// `position`) plus the tail.
pub async fn at_position(
    store: &dyn EventStore,
    snapshots: &Snapshots,
    live: Option<Arc<ReadModel>>,
    position: u64,
) -> Result<AsOf, ReadError> {
    let live = live.filter(|m| m.position() <= position);
    let base = best(snapshots.at_or_before(position), live);
    from_base(store, snapshots, base, Until::Position(position)).await
}

/// The model as it stood at `time`, from the nearest snapshot (or `live`, if it is not past
/// `time`) plus the tail.
pub async fn as_of(
    store: &dyn EventStore,
    snapshots: &Snapshots,
    live: Option<Arc<ReadModel>>,
    time: DateTime<Utc>,
) -> Result<AsOf, ReadError> {
    let live = live.filter(|m| m.recorded_until().is_none_or(|t| t <= time));
    let base = best(snapshots.at_or_before_time(time), live);
    from_base(store, snapshots, base, Until::Time(time)).await
}
