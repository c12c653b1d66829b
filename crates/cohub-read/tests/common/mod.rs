//! Shared test helpers: the Black Country example played onto a sled store, and a generator of
//! many extra events.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use cohub_command::{CommandService, Submission};
use cohub_domain::example::{self, *};
use cohub_domain::hub::{FoundingOrganisation, HubCommand};
use cohub_domain::idea::{FeedbackGiven, IdeaEvent};
use cohub_domain::text::PlainText;
use cohub_domain::{DomainEvent, FeedbackId, HubId, MemberId, OrganisationId, StakeholderKind};
use cohub_store::sled_store::SledStore;
use cohub_store::{ActorRef, AppendRequest, Envelope, EventStore, ExpectedVersion, NewEvent};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// A clock that ticks one minute per reading from the example's start.
pub fn ticking_clock() -> cohub_command::Clock {
    let tick = Arc::new(AtomicI64::new(0));
    let start = example::start_time();
    Arc::new(move || start + Duration::minutes(tick.fetch_add(1, Ordering::SeqCst)))
}

/// A fresh store in `dir` with the whole example played through the command service.
pub async fn played(dir: &Path) -> (SledStore, CommandService) {
    let store = SledStore::open(&dir.join("log")).unwrap();
    let service = CommandService::with_clock(Arc::new(store.clone()), ticking_clock());
    for step in example::steps() {
        service
            .execute(Submission::new(step.actor, step.command.clone()))
            .await
            .unwrap_or_else(|e| panic!("step {:?} failed: {e}", step.note));
    }
    (store, service)
}

/// Founds a second hub, `hub` (Sandwell carers' hub), with `founder` as its facilitator for
/// `organisation` (Sandwell Carers); returns the founding's position.
pub async fn found_sandwell(
    service: &CommandService,
    hub: HubId,
    founder: MemberId,
    organisation: OrganisationId,
) -> u64 {
    service
        .execute(Submission::new(
            founder,
            HubCommand::FoundHub {
                hub_id: hub,
                name: "Sandwell carers' hub".to_string(),
                purpose: PlainText::en("Carers and clinicians in Sandwell."),
                founder_name: "Sam Okafor".to_string(),
                organisation: FoundingOrganisation {
                    organisation_id: organisation,
                    name: "Sandwell Carers".to_string(),
                    kind: StakeholderKind::CommunityOrganisation,
                },
            },
        ))
        .await
        .unwrap()
        .receipt
        .first_position
}

/// Every envelope of the log.
pub async fn log(store: &dyn EventStore) -> Vec<Envelope> {
    store.read_all(0, usize::MAX).await.unwrap()
}

/// The position of the first event of a type.
pub async fn position_of(store: &dyn EventStore, event_type: &str) -> u64 {
    log(store)
        .await
        .iter()
        .find(|e| e.event_type == event_type)
        .unwrap_or_else(|| panic!("no {event_type}"))
        .position
}

/// Appends `batches` × `per_batch` feedback events on the example idea straight to the store
/// (valid events, without loading state for each), nurse as the author.
pub async fn append_feedback(
    store: &dyn EventStore,
    batches: usize,
    per_batch: usize,
    at: DateTime<Utc>,
) {
    for b in 0..batches {
        let events = (0..per_batch)
            .map(|i| {
                let event: DomainEvent = IdeaEvent::FeedbackGiven(FeedbackGiven {
                    idea_id: IDEA,
                    feedback_id: FeedbackId::new(),
                    text: PlainText::en(format!("Generated feedback {b}-{i}.")),
                    by: NURSE,
                    at,
                })
                .into();
                NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: event.event_type().to_string(),
                    schema_version: event.schema_version(),
                    payload: event.to_payload(),
                }
            })
            .collect();
        store
            .append(AppendRequest {
                hub_id: HUB.uuid(),
                stream_id: IDEA.stream_id(),
                expected_version: ExpectedVersion::Any,
                actor: ActorRef {
                    member_id: NURSE.uuid(),
                    organisation_id: Some(ORG_DIABETES_NURSING.uuid()),
                    stakeholder_kind: Some("clinician".into()),
                    role: "member".into(),
                },
                correlation_id: Uuid::now_v7(),
                causation_id: None,
                idempotency_key: None,
                client_fingerprint: None,
                events,
            })
            .await
            .unwrap();
    }
}
