//! Folding the log from a starting model: a full rebuild from position 0, or the tail after a
//! snapshot up to a position or a time.

use chrono::{DateTime, Utc};
use cohub_store::EventStore;
use std::sync::Arc;

use crate::error::ReadError;
use crate::model::ReadModel;
use crate::snapshots::Snapshots;

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
