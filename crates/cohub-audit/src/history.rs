//! The history of a hub, a problem, an idea or a distribution: every event with who did it
//! (member, organisation, stakeholder kind), when, its type and what happened in plain words.
//!
//! Filters narrow by actor, organisation, stakeholder kind, event type and time range; pages
//! are "the first N after cursor C", the cursor being the event's global log position.

use chrono::{DateTime, Utc};
use cohub_domain::{
    DistributionId, DomainEvent, HubId, IdeaId, MemberId, OrganisationId, ProblemId,
    StakeholderKind,
};
use cohub_read::{activity, ActivityFilter, EventSource, ReadModel};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::error::AuditError;

/// Whose history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// Everything that happened in the hub.
    Hub,
    /// One problem's events (framing, versions, perspectives, endorsements, stage moves).
    Problem(ProblemId),
    /// One idea's events (versions, supports, feedback, decisions).
    Idea(IdeaId),
    /// One distribution's events (versions, consents, objections with their answers and
    /// withdrawals, agreements, rounds closed or abandoned).
    Distribution(DistributionId),
}

impl Subject {
    /// Builds the subject from at most one of the optional ids (none: the whole hub).
    pub fn from_ids(
        problem: Option<ProblemId>,
        idea: Option<IdeaId>,
        distribution: Option<DistributionId>,
    ) -> Result<Subject, AuditError> {
        match (problem, idea, distribution) {
            (None, None, None) => Ok(Subject::Hub),
            (Some(p), None, None) => Ok(Subject::Problem(p)),
            (None, Some(i), None) => Ok(Subject::Idea(i)),
            (None, None, Some(d)) => Ok(Subject::Distribution(d)),
            _ => Err(AuditError::Invalid(
                "ask for the history of one thing at a time: a problem, an idea or a distribution (or none, for the whole hub)".into(),
            )),
        }
    }

    /// The stream to list, after checking the subject belongs to `hub` in `model`.
    fn stream(&self, model: &ReadModel, hub: HubId) -> Result<Option<String>, AuditError> {
        let belongs = |found: Option<HubId>, what: &str, id: String| match found {
            Some(h) if h == hub => Ok(()),
            _ => Err(AuditError::NotFound(format!(
                "there is no {what} {id} in this hub (at the moment read)"
            ))),
        };
        match self {
            Subject::Hub => Ok(None),
            Subject::Problem(p) => {
                belongs(
                    model.problem(*p).map(|v| v.hub_id),
                    "problem",
                    p.to_string(),
                )?;
                Ok(Some(p.stream_id()))
            }
            Subject::Idea(i) => {
                belongs(model.idea(*i).map(|v| v.hub_id), "idea", i.to_string())?;
                Ok(Some(i.stream_id()))
            }
            Subject::Distribution(d) => {
                belongs(
                    model.distribution(*d).map(|v| v.hub_id),
                    "distribution",
                    d.to_string(),
                )?;
                Ok(Some(d.stream_id()))
            }
        }
    }
}

/// Which events to list. Every field narrows; the default lists everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Only events by this member.
    pub member_id: Option<MemberId>,
    /// Only events by members acting for this organisation.
    pub organisation_id: Option<OrganisationId>,
    /// Only events by members of organisations of this stakeholder kind.
    pub stakeholder_kind: Option<StakeholderKind>,
    /// Only these event types, e.g. `DistributionObjected` (all if empty).
    pub event_types: Vec<String>,
    /// Only events recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded at or before this time.
    pub to: Option<DateTime<Utc>>,
}

/// One event of a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Global log position (the cursor).
    pub position: u64,
    /// Sequence in the hub's chain.
    pub hub_seq: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Who did it, for which organisation, of which stakeholder kind.
    pub actor: Actor,
    /// Their role at the time (`facilitator`, `lead`, ...).
    pub role: String,
    /// The stream (aggregate) it belongs to, e.g. `distribution-<uuid>`.
    pub stream_id: String,
    /// The event type, e.g. `DistributionObjected`.
    pub event_type: String,
    /// What happened, in plain words.
    pub summary: String,
    /// The event itself.
    pub event: DomainEvent,
}

/// A page of a history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// The entries, oldest first.
    pub entries: Vec<HistoryEntry>,
    /// Whether more matching entries follow the last one.
    pub has_next_page: bool,
    /// Whether matching entries come before the first one.
    pub has_previous_page: bool,
    /// How many entries match the filter in all.
    pub total: usize,
}

/// The history of `subject` in `hub`, as `model` stands, filtered, oldest first: the first
/// `first` (all if `None`) matching entries after position `after`. The events are read from
/// `source` (the log), up to the hub's last event folded into `model`.
pub async fn history(
    source: EventSource<'_>,
    model: &ReadModel,
    hub: HubId,
    subject: Subject,
    filter: &HistoryFilter,
    after: Option<u64>,
    first: Option<usize>,
) -> Result<HistoryPage, AuditError> {
    let Some(hub_view) = model.hub(hub) else {
        return Err(AuditError::NotFound(format!(
            "there is no hub {hub} (at the moment read)"
        )));
    };
    let to_entry = |e: cohub_read::ActivityEntry| HistoryEntry {
        position: e.position,
        hub_seq: e.hub_seq,
        at: e.at,
        actor: Actor::of(hub_view, e.member_id, e.organisation_id),
        role: e.role,
        stream_id: e.stream_id,
        event_type: e.event_type,
        summary: e.summary,
        event: e.event,
    };
    if subject == Subject::Hub && *filter == HistoryFilter::default() {
        // The whole hub, unfiltered: every one of its events folded into `model` matches, so
        // the count is its last hub sequence, and only the page itself is read from the log.
        let total = hub_view.updated.hub_seq as usize;
        let limit = first.unwrap_or(usize::MAX);
        let mut entries: Vec<HistoryEntry> = activity(
            source,
            model,
            hub,
            &ActivityFilter {
                after_position: after,
                limit: Some(limit.saturating_add(1)),
                ..ActivityFilter::default()
            },
        )
        .await?
        .into_iter()
        .map(to_entry)
        .collect();
        // Events at or before the cursor: those before the first one after it, or, when
        // none is after it, every one.
        let has_previous_page = match entries.first() {
            Some(e) => e.hub_seq > 1,
            None => after.is_some() && total > 0,
        };
        let has_next_page = entries.len() > limit;
        entries.truncate(limit);
        return Ok(HistoryPage {
            entries,
            has_next_page,
            has_previous_page,
            total,
        });
    }
    let feed = activity(
        source,
        model,
        hub,
        &ActivityFilter {
            stream_id: subject.stream(model, hub)?,
            member_id: filter.member_id,
            organisation_id: filter.organisation_id,
            event_types: filter.event_types.clone(),
            from: filter.from,
            to: filter.to,
            ..ActivityFilter::default()
        },
    )
    .await?;
    let matching: Vec<HistoryEntry> = feed
        .into_iter()
        .map(to_entry)
        .filter(|e| {
            filter
                .stakeholder_kind
                .is_none_or(|k| e.actor.stakeholder_kind() == Some(k))
        })
        .collect();
    let total = matching.len();
    let mut rest = matching
        .into_iter()
        .skip_while(|e| after.is_some_and(|a| e.position <= a))
        .peekable();
    let mut entries = Vec::new();
    let limit = first.unwrap_or(usize::MAX);
    while entries.len() < limit {
        match rest.next() {
            Some(e) => entries.push(e),
            None => break,
        }
    }
    let has_next_page = rest.peek().is_some();
    // Matching entries at or before the cursor.
    let skipped = total - entries.len() - rest.count();
    Ok(HistoryPage {
        entries,
        has_next_page,
        has_previous_page: skipped > 0,
        total,
    })
}
