//! A hub's activity feed, for audit: who did what, when, in plain words.

use super::common::{connection, Scope};
use crate::error::ApiError;
use async_graphql::connection::Connection;
use async_graphql::{InputObject, Json, SimpleObject};
use chrono::{DateTime, Utc};
use cohub_domain::{MemberId, OrganisationId};
use cohub_read::{activity, ActivityFilter, EventSource};
use cohub_store::EventStore;
use uuid::Uuid;

/// One event of a hub's feed.
#[derive(Debug, Clone, SimpleObject)]
pub struct ActivityEntry {
    /// Global position in the log (also the cursor).
    pub position: u64,
    /// Sequence in the hub's hash chain.
    pub hub_seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The acting member.
    pub member_id: Uuid,
    /// Their name.
    pub member_name: String,
    /// Their organisation, if any.
    pub organisation_id: Option<Uuid>,
    /// Its name.
    pub organisation_name: Option<String>,
    /// The aggregate stream it belongs to, e.g. `distribution-<uuid>`.
    pub stream_id: String,
    /// The event type, e.g. `DistributionObjected`.
    pub event_type: String,
    /// What happened, in plain words.
    pub summary: String,
    /// The event itself, as recorded (JSON).
    pub event: Json<serde_json::Value>,
}

impl From<cohub_read::ActivityEntry> for ActivityEntry {
    fn from(e: cohub_read::ActivityEntry) -> Self {
        ActivityEntry {
            position: e.position,
            hub_seq: e.hub_seq,
            at: e.at,
            member_id: e.member_id.uuid(),
            member_name: e.member_name,
            organisation_id: e.organisation_id.map(|o| o.uuid()),
            organisation_name: e.organisation_name,
            stream_id: e.stream_id,
            event_type: e.event_type,
            summary: e.summary,
            event: Json(serde_json::to_value(&e.event).unwrap_or_default()),
        }
    }
}

/// Which events of a feed to list; every field narrows.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ActivityFilterInput {
    /// Only this aggregate's history: a problem's, an idea's or a distribution's id.
    pub subject_id: Option<Uuid>,
    /// Only events by this member.
    pub member_id: Option<Uuid>,
    /// Only events by members of this organisation.
    pub organisation_id: Option<Uuid>,
    /// Only these event types (e.g. `DistributionObjected`).
    pub event_types: Option<Vec<String>>,
    /// Only events recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded at or before this time.
    pub to: Option<DateTime<Utc>>,
}

/// A page of a hub's feed, read from the log as `scope`'s model stands.
pub async fn activity_connection(
    store: &dyn EventStore,
    scope: &Scope,
    filter: Option<ActivityFilterInput>,
    newest_first: bool,
    first: usize,
    after: Option<u64>,
) -> Result<Connection<String, ActivityEntry>, ApiError> {
    let f = filter.unwrap_or_default();
    let stream_id = match f.subject_id {
        None => None,
        Some(id) => Some(stream_of(scope, id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "there is no problem, idea or distribution {id} in this hub"
            ))
        })?),
    };
    let filter = ActivityFilter {
        stream_id,
        member_id: f.member_id.map(MemberId::from_uuid),
        organisation_id: f.organisation_id.map(OrganisationId::from_uuid),
        event_types: f.event_types.unwrap_or_default(),
        from: f.from,
        to: f.to,
        after_position: after,
        limit: Some(first + 1),
        newest_first,
    };
    let items = activity(EventSource::Log(store), &scope.model, scope.hub, &filter).await?;
    let mut conn = connection(items, first, after, |e| e.position, ActivityEntry::from);
    if newest_first {
        // Paging backwards through the log: "previous" means newer here.
        conn.has_previous_page = after.is_some();
    }
    Ok(conn)
}

fn stream_of(scope: &Scope, id: Uuid) -> Option<String> {
    let m = &scope.model;
    let hub = scope.hub;
    if id == hub.uuid() {
        return Some(hub.stream_id());
    }
    if let Some(p) = m.problem(id.into()).filter(|p| p.hub_id == hub) {
        return Some(p.id.stream_id());
    }
    if let Some(i) = m.idea(id.into()).filter(|i| i.hub_id == hub) {
        return Some(i.id.stream_id());
    }
    m.distribution(id.into())
        .filter(|d| d.hub_id == hub)
        .map(|d| d.id.stream_id())
}
