//! As-of reads ("as it stood on 1 March"): the nearest snapshot at or before the point, plus the
//! tail of the log replayed from the store, so the cost is bounded by the snapshot spacing K,
//! not by the length of the log.
//!
//! `as_of(time)` is the model after the longest prefix of the log whose events were all
//! recorded at or before `time` (with the server's monotonic clock: the last position recorded
//! at or before it).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_domain::HubId;
use cohub_store::EventStore;

use crate::error::ReadError;
use crate::hub_snapshots::HubSnapshots;
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

/// Hub events read from the log per page when replaying one hub.
const HUB_PAGE: usize = 256;

/// The event at global `position` (≥ 1), or `BeyondHead`.
pub(crate) async fn event_at(
    store: &dyn EventStore,
    position: u64,
) -> Result<cohub_store::Envelope, ReadError> {
    let found = store.read_all(position - 1, 1).await?;
    match found.into_iter().next() {
        Some(e) if e.position == position => Ok(e),
        _ => Err(ReadError::BeyondHead {
            requested: position,
            head: store.head_position().await?,
        }),
    }
}

/// Hub `hub` alone, exactly at global `position`: from the hub's nearest snapshot (or `live`,
/// cut down to the hub, if it stands exactly there), plus that hub's events after it, so the
/// cost is bounded by the hub snapshot spacing, whatever other hubs wrote in between. The
/// model stands at `position` (its hash and recording time); without the hub (not founded by
/// then) it is the empty model standing there.
pub async fn hub_at_position(
    store: &dyn EventStore,
    snapshots: &HubSnapshots,
    live: Option<Arc<ReadModel>>,
    hub: HubId,
    position: u64,
) -> Result<AsOf, ReadError> {
    if let Some(live) = live.filter(|m| m.position() == position) {
        return Ok(AsOf {
            base_position: position,
            model: live,
            replayed: 0,
        });
    }
    let at = if position == 0 {
        None
    } else {
        Some(event_at(store, position).await?)
    };
    let (mut model, mut hub_seq) = match snapshots.nearest(store, hub, position).await? {
        Some(s) => ((*s.model).clone(), s.hub_seq),
        None => (ReadModel::new(), 0),
    };
    let base_position = model.position();
    let mut replayed = 0u64;
    'pages: loop {
        let page = store.read_hub(hub.uuid(), hub_seq, HUB_PAGE).await?;
        for envelope in &page {
            if envelope.position > position {
                break 'pages;
            }
            model.apply_hub_event(envelope)?;
            replayed += 1;
            hub_seq = envelope.hub_seq;
            if snapshots.is_due(hub_seq) && !snapshots.has(hub, envelope.position) {
                snapshots.offer(hub, hub_seq, Arc::new(model.clone()));
            }
        }
        if page.len() < HUB_PAGE {
            break;
        }
    }
    if let Some(at) = &at {
        model.stand_at(at);
    }
    Ok(AsOf {
        model: Arc::new(model),
        base_position,
        replayed,
    })
}

/// The last global position recorded at or before `time` (0 if none is): a binary search,
/// since recording times never decrease along the log.
pub async fn position_at_time(
    store: &dyn EventStore,
    time: DateTime<Utc>,
) -> Result<u64, ReadError> {
    let (mut low, mut high) = (0u64, store.head_position().await?);
    // Invariant: the event at `low` (if any) was recorded at or before `time`; every event
    // after `high` was recorded after it.
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if event_at(store, mid).await?.recorded_at <= time {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    Ok(low)
}

/// Hub `hub` alone as it stood at `time`: [`hub_at_position`] at the last position recorded
/// at or before it.
pub async fn hub_as_of(
    store: &dyn EventStore,
    snapshots: &HubSnapshots,
    live: Option<Arc<ReadModel>>,
    hub: HubId,
    time: DateTime<Utc>,
) -> Result<AsOf, ReadError> {
    let position = position_at_time(store, time).await?;
    hub_at_position(store, snapshots, live, hub, position).await
}
