//! A hub's activity feed: every event with its position, time, actor, type and a
//! plain-language summary, filterable for audit (by stream, actor, organisation, type, time).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_domain::{DomainEvent, HubId, MemberId, Names, OrganisationId};
use serde::{Deserialize, Serialize};

use crate::model::ReadModel;
use crate::recorded::Recorded;

/// How many items one shared chunk of a feed holds (snapshots share full chunks).
const CHUNK: usize = 256;

/// One event of a hub's feed, as stored in the read model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityItem {
    /// Position, hub sequence, time and actor.
    pub recorded: Recorded,
    /// The stream (aggregate) it belongs to, e.g. `problem-<uuid>`.
    pub stream_id: String,
    /// The event.
    pub event: DomainEvent,
}

/// A hub's feed, oldest first, in chunks shared between snapshots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityLog {
    chunks: Vec<Arc<Vec<ActivityItem>>>,
}

impl ActivityLog {
    /// Appends an item.
    pub(crate) fn push(&mut self, item: ActivityItem) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push(item),
            _ => self.chunks.push(Arc::new(vec![item])),
        }
    }

    /// Every item, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &ActivityItem> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// Which events of a feed to list. Every field narrows; the default lists everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityFilter {
    /// Only this stream (a problem's, an idea's or a distribution's history).
    pub stream_id: Option<String>,
    /// Only events by this member.
    pub member_id: Option<MemberId>,
    /// Only events by members of this organisation.
    pub organisation_id: Option<OrganisationId>,
    /// Only these event types (all if empty).
    pub event_types: Vec<String>,
    /// Only events recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded at or before this time.
    pub to: Option<DateTime<Utc>>,
    /// Cursor: only events after this position (before it, when `newest_first`).
    pub after_position: Option<u64>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
}

impl ActivityFilter {
    fn matches(&self, item: &ActivityItem) -> bool {
        let r = &item.recorded;
        self.stream_id.as_ref().is_none_or(|s| *s == item.stream_id)
            && self.member_id.is_none_or(|m| m == r.member_id)
            && self
                .organisation_id
                .is_none_or(|o| Some(o) == r.organisation_id)
            && (self.event_types.is_empty()
                || self
                    .event_types
                    .iter()
                    .any(|t| t == item.event.event_type()))
            && self.from.is_none_or(|f| r.at >= f)
            && self.to.is_none_or(|t| r.at <= t)
            && self.after_position.is_none_or(|p| {
                if self.newest_first {
                    r.position < p
                } else {
                    r.position > p
                }
            })
    }
}

/// One entry of a feed as shown: the item, the names of who did it, and what happened in
/// plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// Global position (the cursor).
    pub position: u64,
    /// Sequence in the hub's chain.
    pub hub_seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The acting member.
    pub member_id: MemberId,
    /// Their name ("someone" if unknown).
    pub member_name: String,
    /// Their organisation, if any.
    pub organisation_id: Option<OrganisationId>,
    /// Its name, if known.
    pub organisation_name: Option<String>,
    /// Their role at the time (`facilitator`, `lead`, ...).
    pub role: String,
    /// The stream it belongs to.
    pub stream_id: String,
    /// The event type, e.g. `DistributionObjected`.
    pub event_type: String,
    /// What happened, in plain words.
    pub summary: String,
    /// The event itself.
    pub event: DomainEvent,
}

impl ReadModel {
    /// A hub's feed, filtered, with plain-language summaries.
    pub fn activity(&self, hub_id: HubId, filter: &ActivityFilter) -> Vec<ActivityEntry> {
        let (Some(log), Some(hub)) = (self.activity.get(&hub_id), self.hub(hub_id)) else {
            return Vec::new();
        };
        let limit = filter.limit.unwrap_or(usize::MAX);
        let entry = |item: &ActivityItem| ActivityEntry {
            position: item.recorded.position,
            hub_seq: item.recorded.hub_seq,
            at: item.recorded.at,
            member_id: item.recorded.member_id,
            member_name: Names::member(hub, item.recorded.member_id),
            organisation_id: item.recorded.organisation_id,
            organisation_name: item
                .recorded
                .organisation_id
                .and_then(|o| hub.organisation_name(o)),
            role: item.recorded.role.clone(),
            stream_id: item.stream_id.clone(),
            event_type: item.event.event_type().to_string(),
            summary: item.event.summary(hub),
            event: item.event.clone(),
        };
        if filter.newest_first {
            log.iter()
                .rev()
                .filter(|i| filter.matches(i))
                .take(limit)
                .map(entry)
                .collect()
        } else {
            log.iter()
                .filter(|i| filter.matches(i))
                .take(limit)
                .map(entry)
                .collect()
        }
    }

    /// The number of events in a hub's feed.
    pub fn activity_len(&self, hub_id: HubId) -> usize {
        self.activity.get(&hub_id).map_or(0, ActivityLog::len)
    }
}
