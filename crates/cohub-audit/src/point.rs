//! Which moment an audit reads: now, as of a past time, or at a log position. An audit reads
//! one hub, and a past moment of it is served by that hub's nearest snapshot plus the hub's own
//! events after it, so the cost is bounded by the hub snapshot spacing, not by how long the log
//! is or how many other hubs wrote meanwhile.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_domain::HubId;
use cohub_read::{Projector, ReadModel};
use serde::{Deserialize, Serialize};

use crate::error::AuditError;

/// A moment of the log to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditPoint {
    /// The live read model.
    #[default]
    Now,
    /// As it stood at this time: every event recorded at or before it.
    AsOf(DateTime<Utc>),
    /// Exactly after this global log position.
    AtPosition(u64),
}

impl AuditPoint {
    /// From a query's optional `asOf` and `atPosition` (at most one of them).
    pub fn from_args(
        as_of: Option<DateTime<Utc>>,
        at_position: Option<u64>,
    ) -> Result<AuditPoint, AuditError> {
        match (as_of, at_position) {
            (None, None) => Ok(AuditPoint::Now),
            (Some(t), None) => Ok(AuditPoint::AsOf(t)),
            (None, Some(p)) => Ok(AuditPoint::AtPosition(p)),
            (Some(_), Some(_)) => Err(AuditError::Invalid(
                "give either `asOf` or `atPosition`, not both".into(),
            )),
        }
    }
}

/// A read model at a moment, and what reading it cost. A past moment holds the hub read only.
#[derive(Clone, Debug)]
pub struct PointRead {
    /// The model (its `position()` says which log position it stands at).
    pub model: Arc<ReadModel>,
    /// The position of the snapshot (or live model) it started from.
    pub base_position: u64,
    /// How many events were replayed from the log on top of that (0 for now).
    pub replayed: u64,
}

/// Hub `hub`'s read model at `point`: the live model for now, otherwise the hub alone from
/// its nearest snapshot plus its own events.
pub async fn model_at(
    projector: &Projector,
    point: AuditPoint,
    hub: HubId,
) -> Result<PointRead, AuditError> {
    let read = match point {
        AuditPoint::Now => {
            let model = projector.current();
            return Ok(PointRead {
                base_position: model.position(),
                model,
                replayed: 0,
            });
        }
        AuditPoint::AsOf(t) => projector.as_of(hub, t).await?,
        AuditPoint::AtPosition(p) => projector.at_position(hub, p).await?,
    };
    Ok(PointRead {
        model: read.model,
        base_position: read.base_position,
        replayed: read.replayed,
    })
}
