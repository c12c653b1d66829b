//! Folding the log from a starting model: a full rebuild from position 0, or the tail after a
//! snapshot up to a position or a time.

use chrono::{DateTime, Utc};
use cohub_store::EventStore;
use std::sync::Arc;

use crate::error::ReadError;
use crate::hub_snapshots::HubSnapshots;
use crate::model::ReadModel;
use crate::snapshots::Snapshots;
use cohub_domain::HubId;

/// Envelopes read from the log per page.
const PAGE: usize = 512;

/// Where a replay stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// The end of the log as it is when the replay reaches it.
    Head,
    /// Exactly this position (an error if the log is shorter).
    Position(u64),
    /// Just before the first event recorded after this time.
    Time(DateTime<Utc>),
}

/// Folds the whole log from position 0: `cohub rebuild`. Equal (`==`) to the live model at the
/// same position.
pub async fn rebuild(store: &dyn EventStore) -> Result<ReadModel, ReadError> {
    replay(store, ReadModel::new(), Until::Head, None)
        .await
        .map(|(model, _)| model)
}

/// Folds the log after `model`'s position until `until`; returns the model and how many events
/// were folded. Leaves a copy in `snapshots` at each due position it passes that is not held.
pub async fn replay(
    store: &dyn EventStore,
    mut model: ReadModel,
    until: Until,
    snapshots: Option<&Snapshots>,
) -> Result<(ReadModel, u64), ReadError> {
    let mut replayed = 0u64;
    if let Until::Position(p) = until {
        if p < model.position() {
            return Err(ReadError::OutOfOrder {
                expected: model.position() + 1,
                got: p,
            });
        }
    }
    loop {
        let limit = match until {
            Until::Position(p) if p == model.position() => break,
            Until::Position(p) => PAGE.min((p - model.position()) as usize),
            _ => PAGE,
        };
        let page = store.read_all(model.position(), limit).await?;
        if page.is_empty() {
            if let Until::Position(p) = until {
                return Err(ReadError::BeyondHead {
                    requested: p,
                    head: model.position(),
                });
            }
            break;
        }
        for envelope in &page {
            if let Until::Time(t) = until {
                if envelope.recorded_at > t {
                    return Ok((model, replayed));
                }
            }
            model.apply(envelope)?;
            replayed += 1;
            if let Some(s) = snapshots {
                if s.is_due(model.position()) && !s.has(model.position()) {
                    s.offer(&Arc::new(model.clone()));
                }
            }
        }
    }
    Ok((model, replayed))
}

/// Hub events read from the log per page in [`rebuild_by_hub`].
const HUB_PAGE: usize = 1024;

/// Folds the whole log like [`rebuild`], but each hub from its own events on its own task,
/// `workers` hubs at a time, then joins the hubs' models ([`ReadModel::join_hubs`]): equal to
/// [`rebuild`] at the same head, and as many times faster as there are cores to fold on.
/// Events appended while it runs are folded in by a final pass in log order, so the result
/// stands at the head as it was when that pass ended. `folded` hears how many events each hub
/// added as it finishes (for a progress bar); `snapshots`, if given, keeps the hub snapshots
/// due on the way.
pub async fn rebuild_by_hub(
    store: Arc<dyn EventStore>,
    workers: usize,
    folded: Arc<dyn Fn(u64) + Send + Sync>,
    snapshots: Option<Arc<HubSnapshots>>,
) -> Result<ReadModel, ReadError> {
    use futures::{StreamExt, TryStreamExt};
    let head = store.head_position().await?;
    let hubs = store.hubs().await?;
    let parts: Vec<ReadModel> = futures::stream::iter(hubs)
        .map(|hub| {
            let store = store.clone();
            let folded = folded.clone();
            let snapshots = snapshots.clone();
            async move {
                tokio::spawn(async move {
                    let model = fold_hub(store.as_ref(), hub, head, snapshots.as_deref()).await?;
                    folded(model.hub_events());
                    Ok::<_, ReadError>(model)
                })
                .await
                .map_err(|e| ReadError::Stopped(format!("a rebuild task failed: {e}")))?
            }
        })
        .buffer_unordered(workers.max(1))
        .try_collect()
        .await?;
    let hash = if head == 0 {
        None
    } else {
        store
            .read_all(head - 1, 1)
            .await?
            .into_iter()
            .next()
            .map(|e| e.hash)
    };
    let joined = ReadModel::join_hubs(parts, head, hash);
    replay(store.as_ref(), joined, Until::Head, None)
        .await
        .map(|(model, _)| model)
}

/// One hub's events up to global position `head`, folded into a model of that hub alone.
async fn fold_hub(
    store: &dyn EventStore,
    hub: uuid::Uuid,
    head: u64,
    snapshots: Option<&HubSnapshots>,
) -> Result<ReadModel, ReadError> {
    let mut model = ReadModel::new();
    let mut after = 0u64;
    loop {
        let page = store.read_hub(hub, after, HUB_PAGE).await?;
        for envelope in &page {
            if envelope.position > head {
                return Ok(model);
            }
            model.apply_hub_event(envelope)?;
            after = envelope.hub_seq;
            if let Some(s) = snapshots.filter(|s| s.is_due(after)) {
                s.offer(HubId::from_uuid(hub), after, Arc::new(model.clone()));
            }
        }
        if page.len() < HUB_PAGE {
            return Ok(model);
        }
    }
}
