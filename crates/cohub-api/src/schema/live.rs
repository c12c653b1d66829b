//! Live feeds for members: a hub's events (catch-up from a position, then live) and a
//! distribution's status (now, then after each change, including its idea's withdrawal or
//! decline), computed by the domain's one rule (`DistributionState::standing`).

use super::context::{projector, store, READ_YOUR_WRITES_TIMEOUT};
use super::enums::DistributionStatus;
use super::membership_guard::{require_live_member, while_member};
use crate::error::ApiError;
use async_graphql::{Context, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use cohub_domain::distribution::{DistributionState, Lapse};
use cohub_domain::idea::IdeaState;
use cohub_domain::{DistributionId, DomainEvent, HubId, Names};
use cohub_store::Envelope;
use futures::{Stream, StreamExt};
use uuid::Uuid;

/// Who did something, as recorded on an event.
#[derive(Debug, Clone, SimpleObject)]
pub struct EventActor {
    /// The member who acted.
    pub member_id: Uuid,
    /// Their name ("someone" if unknown).
    pub member_name: String,
    /// Their organisation at the time, if any.
    pub organisation_id: Option<Uuid>,
    /// Its name.
    pub organisation_name: Option<String>,
    /// Their role at the time.
    pub role: String,
}

/// One event of a hub's log.
#[derive(Debug, Clone, SimpleObject)]
pub struct HubEvent {
    /// Global position in the log (resume with `afterPosition` set to the last one seen).
    pub position: u64,
    /// Sequence in the hub's hash chain.
    pub hub_seq: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The aggregate stream, e.g. `problem-<uuid>`.
    pub stream_id: String,
    /// The stream's version after this event.
    pub stream_version: u64,
    /// The event type, e.g. `PerspectiveAdded`.
    pub event_type: String,
    /// Who did it.
    pub actor: EventActor,
    /// What happened, in plain words.
    pub summary: String,
    /// Hex SHA-256 of this event in the hub's chain.
    pub hash: String,
}

/// A distribution's status at one moment.
#[derive(Debug, Clone, SimpleObject)]
pub struct DistributionStatusUpdate {
    /// The distribution.
    pub distribution_id: Uuid,
    /// Its status.
    pub status: DistributionStatus,
    /// The version the parties below are about: the one open for consent, else the one in
    /// force, else the latest.
    pub version: u32,
    /// The latest version.
    pub latest_version: u32,
    /// The version agreed most recently, if any.
    pub agreed_version: Option<u32>,
    /// The agreed version in force, if any (it stays in force while a variation is open).
    pub in_force_version: Option<u32>,
    /// The version open for consent, if a round is open.
    pub open_version: Option<u32>,
    /// Parties of `version` whose standing position on it is a consent.
    pub consented_parties: Vec<Uuid>,
    /// Parties of `version` that have not (or no longer) consented to it.
    pub missing_consents: Vec<Uuid>,
    /// Organisations whose standing position on `version` is an objection.
    pub objecting_parties: Vec<Uuid>,
    /// Why it lapsed (the idea's withdrawal reason or decline rationale), if its idea went.
    pub lapse_reason: Option<String>,
    /// The event that brought it here (a distribution event, or its idea's withdrawal or
    /// decline).
    pub event_type: String,
    /// That event's global position.
    pub position: u64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

fn status_of(
    state: &DistributionState,
    idea: &IdeaState,
    envelope: &Envelope,
) -> DistributionStatusUpdate {
    let lapse = Lapse::of_idea(idea);
    let standing = state.standing(lapse.as_ref());
    let ids =
        |orgs: Vec<cohub_domain::OrganisationId>| orgs.into_iter().map(|o| o.uuid()).collect();
    DistributionStatusUpdate {
        distribution_id: state.distribution_id.uuid(),
        status: standing.status.into(),
        version: standing.version,
        latest_version: state.version(),
        agreed_version: state.agreed().map(|a| a.version),
        in_force_version: standing.in_force,
        open_version: standing.open_version,
        consented_parties: ids(standing.consented),
        missing_consents: ids(standing.missing),
        objecting_parties: ids(standing.objecting),
        lapse_reason: standing.lapse.map(|l| l.reason.text),
        event_type: envelope.event_type.clone(),
        position: envelope.position,
        at: envelope.recorded_at,
    }
}

/// Live feeds (graphql-ws at `/graphql`). Members of the hub only.
#[derive(Debug, Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// A hub's events after `afterPosition` (a global log position; 0, the default, replays
    /// the hub's whole history), then each new one as it is recorded. Each comes once the
    /// read models include it, with a plain-language summary. Active members of the hub (and
    /// operators) only; it ends with a `FORBIDDEN` error the moment the member is suspended
    /// or removed.
    async fn hub_events(
        &self,
        ctx: &Context<'_>,
        hub_id: Uuid,
        #[graphql(default = 0)] after_position: u64,
    ) -> Result<impl Stream<Item = Result<HubEvent, async_graphql::Error>>, ApiError> {
        let hub = HubId::from_uuid(hub_id);
        let auth = require_live_member(ctx, hub)?;
        let projector = projector(ctx)?;
        let live = store(ctx)?.subscribe(after_position);
        let feed = live
            .filter(move |item| {
                futures::future::ready(match item {
                    Ok(e) => e.hub_id == hub_id,
                    Err(_) => true,
                })
            })
            .then(move |item| {
                let projector = projector.clone();
                async move {
                    let envelope = item.map_err(ApiError::from)?;
                    let event: DomainEvent =
                        cohub_command::decode(&envelope).map_err(ApiError::from)?;
                    let model = projector
                        .wait_for(envelope.position, READ_YOUR_WRITES_TIMEOUT)
                        .await
                        .map_err(ApiError::from)?;
                    let names = model.hub(hub);
                    let member = cohub_domain::MemberId::from_uuid(envelope.actor.member_id);
                    let organisation = envelope
                        .actor
                        .organisation_id
                        .map(cohub_domain::OrganisationId::from_uuid);
                    Ok(HubEvent {
                        position: envelope.position,
                        hub_seq: envelope.hub_seq,
                        event_id: envelope.event_id,
                        at: envelope.recorded_at,
                        stream_id: envelope.stream_id.clone(),
                        stream_version: envelope.stream_version,
                        event_type: envelope.event_type.clone(),
                        actor: EventActor {
                            member_id: envelope.actor.member_id,
                            member_name: names
                                .and_then(|h| h.member_name(member))
                                .unwrap_or_else(|| "someone".into()),
                            organisation_id: envelope.actor.organisation_id,
                            organisation_name: organisation
                                .and_then(|o| names.and_then(|h| h.organisation_name(o))),
                            role: envelope.actor.role.clone(),
                        },
                        summary: match names {
                            Some(h) => event.summary(h),
                            None => event.summary(&cohub_domain::names::NoNames),
                        },
                        hash: envelope.hash.clone(),
                    })
                }
            })
            .map(|r: Result<HubEvent, ApiError>| r.map_err(async_graphql::Error::from));
        while_member(ctx, hub, auth, feed)
    }

    /// A distribution's status now, then again after each event that changes it (an
    /// amendment, a consent, an objection, its answer or withdrawal, the agreement, a closing
    /// without agreement, a withdrawal, a variation round or its abandonment, and its idea's
    /// withdrawal or decline, which lapses an open round). Active members of its hub (and
    /// operators) only; it ends with a `FORBIDDEN` error the moment the member is suspended or
    /// removed.
    async fn distribution_status(
        &self,
        ctx: &Context<'_>,
        distribution_id: Uuid,
    ) -> Result<impl Stream<Item = Result<DistributionStatusUpdate, async_graphql::Error>>, ApiError>
    {
        let store = store(ctx)?;
        let stream_id = DistributionId::from_uuid(distribution_id).stream_id();
        let history = store.read_stream(&stream_id, 0).await?;
        let Some(last) = history.last().cloned() else {
            return Err(ApiError::NotFound(format!(
                "there is no distribution {distribution_id}"
            )));
        };
        let mut state = DistributionState::default();
        for envelope in &history {
            if let DomainEvent::Distribution(e) = cohub_command::decode(envelope)? {
                state.apply(&e);
            }
        }
        let hub = state.hub_id;
        let auth = require_live_member(ctx, hub)?;
        // The idea's stream, read after the distribution's: whatever lands after `last` on
        // either stream comes through the subscription below (an idea event already folded
        // here is skipped by its position).
        let idea_stream = state.idea_id.stream_id();
        let mut idea = IdeaState::default();
        let mut idea_position = 0;
        for envelope in &store.read_stream(&idea_stream, 0).await? {
            if let DomainEvent::Idea(e) = cohub_command::decode(envelope)? {
                idea.apply(&e);
            }
            idea_position = envelope.position;
        }
        let first = status_of(&state, &idea, &last);
        let changes = store
            .subscribe(last.position)
            .filter(move |item| {
                futures::future::ready(match item {
                    Ok(e) => {
                        e.stream_id == stream_id
                            || (e.stream_id == idea_stream && e.position > idea_position)
                    }
                    Err(_) => true,
                })
            })
            .filter_map(move |item| {
                let update = (|| {
                    let envelope = item.map_err(ApiError::from)?;
                    match cohub_command::decode(&envelope).map_err(ApiError::from)? {
                        DomainEvent::Distribution(e) => state.apply(&e),
                        DomainEvent::Idea(e) => {
                            let before = Lapse::of_idea(&idea);
                            idea.apply(&e);
                            if Lapse::of_idea(&idea) == before {
                                return Ok(None);
                            }
                        }
                        _ => return Ok(None),
                    }
                    Ok::<_, ApiError>(Some(status_of(&state, &idea, &envelope)))
                })();
                futures::future::ready(update.transpose())
            })
            .map(|r| r.map_err(async_graphql::Error::from));
        let feed = futures::stream::once(futures::future::ready(Ok(first))).chain(changes);
        while_member(ctx, hub, auth, feed)
    }
}
