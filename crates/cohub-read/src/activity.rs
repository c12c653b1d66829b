//! A hub's activity feed: every event with its position, time, actor, type and a
//! plain-language summary, filterable for audit (by stream, actor, organisation, type, time).
//!
//! The feed is read from the log (the hub's own chain), never held in the read model: the log
//! already holds every event once, on disk, and a hub's chain is indexed by its sequence.

use chrono::{DateTime, Utc};
use cohub_domain::{DomainEvent, HubId, MemberId, Names, OrganisationId};
use cohub_store::{Envelope, EventStore};
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::hub::HubView;
use crate::model::{decode, ReadModel};
use crate::recorded::Recorded;

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
    /// Whether an event recorded as `r` in stream `stream_id` passes every narrowing but the
    /// event types (which need the event decoded).
    fn matches_recorded(&self, r: &Recorded, stream_id: &str) -> bool {
        self.stream_id.as_ref().is_none_or(|s| s == stream_id)
            && self.member_id.is_none_or(|m| m == r.member_id)
            && self
                .organisation_id
                .is_none_or(|o| Some(o) == r.organisation_id)
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

    fn matches_type(&self, event: &DomainEvent) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == event.event_type())
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

/// Where a feed reads a hub's events from: the log itself, or envelopes held in memory (an
/// example played without a store, tests).
#[derive(Clone, Copy)]
pub enum EventSource<'a> {
    /// The event store.
    Log(&'a dyn EventStore),
    /// Envelopes in memory, in log order.
    Envelopes(&'a [Envelope]),
}

impl EventSource<'_> {
    /// At most `limit` of a hub's events with hub sequence > `after_seq`, in order.
    async fn hub_events(
        &self,
        hub: HubId,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<Envelope>, ReadError> {
        match self {
            EventSource::Log(store) => Ok(store.read_hub(hub.uuid(), after_seq, limit).await?),
            EventSource::Envelopes(all) => Ok(all
                .iter()
                .filter(|e| e.hub_id == hub.uuid() && e.hub_seq > after_seq)
                .take(limit)
                .cloned()
                .collect()),
        }
    }

    /// Every event of a stream, in order.
    async fn stream(&self, stream_id: &str) -> Result<Vec<Envelope>, ReadError> {
        match self {
            EventSource::Log(store) => Ok(store.read_stream(stream_id, 0).await?),
            EventSource::Envelopes(all) => Ok(all
                .iter()
                .filter(|e| e.stream_id == stream_id)
                .cloned()
                .collect()),
        }
    }

    /// The global position of a hub's event `seq` (1-based, at most the hub's last).
    async fn position_of(&self, hub: HubId, seq: u64) -> Result<u64, ReadError> {
        self.hub_events(hub, seq - 1, 1)
            .await?
            .first()
            .map(|e| e.position)
            .ok_or_else(|| short_log(hub, seq))
    }

    /// The smallest hub sequence in `1..=last` whose event is at position `p` or later;
    /// `last + 1` if none is. A hub's positions rise with its sequence, so this is a binary
    /// search of single-event reads.
    async fn first_seq_at_or_after(&self, hub: HubId, last: u64, p: u64) -> Result<u64, ReadError> {
        let (mut lo, mut hi) = (1, last + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.position_of(hub, mid).await? >= p {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(lo)
    }
}

/// How many of a hub's events one read of the log fetches for a feed.
const FEED_CHUNK: usize = 256;

fn short_log(hub: HubId, seq: u64) -> ReadError {
    ReadError::Inconsistent {
        position: 0,
        message: format!(
            "the log has no event {seq} of hub {hub}, which the read model has folded"
        ),
    }
}

/// A hub's feed as `model` stands, filtered, with plain-language summaries in `model`'s words.
///
/// The feed is the hub's own chain in the log, read through `source` up to the hub's last event
/// folded into `model` (so a model of the past lists only what had happened by then): no copy
/// of the log is held in memory. A stream filter reads only that stream; a cursor is found by
/// binary search; reading stops once `filter.limit` entries are found.
pub async fn activity(
    source: EventSource<'_>,
    model: &ReadModel,
    hub_id: HubId,
    filter: &ActivityFilter,
) -> Result<Vec<ActivityEntry>, ReadError> {
    let Some(hub) = model.hub(hub_id) else {
        return Ok(Vec::new());
    };
    let last = hub.updated.hub_seq;
    let limit = filter.limit.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    // Decodes only what passes the filters read off the envelope.
    let take = |e: Envelope, out: &mut Vec<ActivityEntry>| -> Result<(), ReadError> {
        let rec = Recorded::from_envelope(&e);
        if !filter.matches_recorded(&rec, &e.stream_id) {
            return Ok(());
        }
        let event = decode(&e)?;
        if filter.matches_type(&event) {
            out.push(entry(hub, rec, e.stream_id, event));
        }
        Ok(())
    };
    // How many events the next read fetches: what the page still needs at first (one read for
    // an unfiltered page), four times more after each read, at most FEED_CHUNK.
    let mut want = 0usize;
    let mut next_read = |needed: usize| {
        want = if want == 0 {
            needed.clamp(1, FEED_CHUNK)
        } else {
            want.saturating_mul(4).min(FEED_CHUNK)
        };
        want as u64
    };
    if limit == 0 || last == 0 {
        return Ok(out);
    }
    if let Some(stream) = &filter.stream_id {
        let mut events: Vec<Envelope> = source
            .stream(stream)
            .await?
            .into_iter()
            .filter(|e| e.hub_id == hub_id.uuid() && e.hub_seq <= last)
            .collect();
        if filter.newest_first {
            events.reverse();
        }
        for e in events {
            if out.len() >= limit {
                break;
            }
            take(e, &mut out)?;
        }
        return Ok(out);
    }
    if filter.newest_first {
        // Backwards from the hub's last event (or from just before the cursor).
        let mut end = match filter.after_position {
            Some(p) => source.first_seq_at_or_after(hub_id, last, p).await? - 1,
            None => last,
        };
        while end > 0 && out.len() < limit {
            let after = end.saturating_sub(next_read(limit - out.len()));
            let chunk = source
                .hub_events(hub_id, after, (end - after) as usize)
                .await?;
            if chunk.last().map(|e| e.hub_seq) != Some(end) {
                return Err(short_log(hub_id, end));
            }
            for e in chunk.into_iter().rev() {
                if out.len() >= limit {
                    break;
                }
                take(e, &mut out)?;
            }
            end = after;
        }
    } else {
        // Forwards from the hub's first event (or from just after the cursor).
        let mut after = match filter.after_position {
            Some(p) => {
                source
                    .first_seq_at_or_after(hub_id, last, p.saturating_add(1))
                    .await?
                    - 1
            }
            None => 0,
        };
        while after < last && out.len() < limit {
            let n = next_read(limit - out.len()).min(last - after) as usize;
            let chunk = source.hub_events(hub_id, after, n).await?;
            let read = chunk.len() as u64;
            if chunk.first().map(|e| e.hub_seq) != Some(after + 1) {
                return Err(short_log(hub_id, after + 1));
            }
            for e in chunk {
                if out.len() >= limit {
                    break;
                }
                take(e, &mut out)?;
            }
            after += read;
        }
    }
    Ok(out)
}

fn entry(hub: &HubView, rec: Recorded, stream_id: String, event: DomainEvent) -> ActivityEntry {
    ActivityEntry {
        position: rec.position,
        hub_seq: rec.hub_seq,
        at: rec.at,
        member_id: rec.member_id,
        member_name: Names::member(hub, rec.member_id),
        organisation_id: rec.organisation_id,
        organisation_name: rec.organisation_id.and_then(|o| hub.organisation_name(o)),
        role: rec.role,
        stream_id,
        event_type: event.event_type().to_string(),
        summary: event.summary(hub),
        event,
    }
}
