//! DOMAIN.md's Black Country story folded into a read model in memory (no store), one minute
//! per step from [`cohub_domain::example::start_time`]: the fixture of the audit's unit tests,
//! and a quick way to see a trail or a history.

use std::collections::HashMap;

use chrono::Duration;
use cohub_domain::example::{self, ExampleStep};
use cohub_domain::{DomainError, MemberId, World};
use cohub_read::ReadModel;
use cohub_store::chain::{self, GENESIS_HASH};
use cohub_store::{ActorRef, Envelope};
use uuid::Uuid;

/// Why the example could not be played.
#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    /// A step was refused by the domain.
    #[error("step {step} ({note}) was refused: {error}")]
    Refused {
        /// Its index.
        step: usize,
        /// What it was.
        note: &'static str,
        /// Why.
        error: DomainError,
    },
    /// The read model could not fold an event.
    #[error(transparent)]
    Read(#[from] cohub_read::ReadError),
}

fn actor(member: MemberId) -> ActorRef {
    let person = example::people().into_iter().find(|p| p.id == member);
    let kind = person.as_ref().and_then(|p| {
        example::organisations()
            .into_iter()
            .find(|o| o.id == p.organisation)
            .map(|o| o.kind.as_str().to_string())
    });
    ActorRef {
        member_id: member.uuid(),
        organisation_id: person.as_ref().map(|p| p.organisation.uuid()),
        stakeholder_kind: kind,
        role: person.map_or_else(|| "member".to_string(), |p| p.role.as_str().to_string()),
    }
}

/// Plays the example's steps, then `extra`, and returns the envelopes (sealed in one hub
/// chain) and the model folded from them.
pub fn played(extra: &[ExampleStep]) -> Result<(Vec<Envelope>, ReadModel), ExampleError> {
    let start = example::start_time();
    let mut world = World::new();
    let mut model = ReadModel::new();
    let mut envelopes: Vec<Envelope> = Vec::new();
    let mut versions: HashMap<String, u64> = HashMap::new();
    let mut prev = GENESIS_HASH.to_string();
    for (i, step) in example::steps().iter().chain(extra).enumerate() {
        let now = start + Duration::minutes(i as i64);
        let events = world
            .execute(step.actor, &step.command, now)
            .map_err(|error| ExampleError::Refused {
                step: i,
                note: step.note,
                error,
            })?;
        let correlation_id = Uuid::now_v7();
        for event in events {
            let stream_id = event.stream_id();
            let version = versions.entry(stream_id.clone()).or_default();
            *version += 1;
            let position = envelopes.len() as u64 + 1;
            let mut e = Envelope {
                event_id: Uuid::now_v7(),
                hub_id: example::HUB.uuid(),
                stream_id,
                stream_version: *version,
                hub_seq: position,
                position,
                recorded_at: now,
                actor: actor(step.actor),
                correlation_id,
                causation_id: None,
                idempotency_key: None,
                client_fingerprint: None,
                event_type: event.event_type().to_string(),
                schema_version: event.schema_version(),
                payload: event.to_payload(),
                prev_hash: String::new(),
                hash: String::new(),
            };
            chain::seal(&mut e, &prev);
            prev = e.hash.clone();
            model.apply(&e)?;
            envelopes.push(e);
        }
    }
    Ok((envelopes, model))
}
