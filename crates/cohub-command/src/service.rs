//! Executing one command: idempotency, load, decide, append, retry on a stale version.

use crate::cache::StreamCache;
use crate::error::CommandError;
use crate::load::load;
use chrono::{DateTime, Utc};
use cohub_domain::{actor, DomainCommand, DomainError, DomainEvent, MemberId};
use cohub_store::{
    ActorRef, AppendRequest, EventStore, ExpectedVersion, NewEvent, Receipt, StoreError,
};
use std::sync::Arc;
use uuid::Uuid;

/// How many times a command is re-decided when another writer moved its stream on first.
const ATTEMPTS: u32 = 8;

/// Waits a random time, growing with each attempt (up to 2^attempt ms, at most 128 ms), so
/// that writers racing on one stream spread out instead of colliding again in step.
async fn back_off(attempt: u32) {
    let ceiling_ms = 1u64 << attempt.min(7);
    let jitter = rand::random::<u64>() % (ceiling_ms * 1000);
    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
}

/// The server clock, injectable for tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// One command as submitted by a verified actor.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The actor, from the verified credential (never from the request body).
    pub actor: MemberId,
    /// The command.
    pub command: DomainCommand,
    /// A client's retry key: a repeat in the same hub returns the first receipt.
    pub idempotency_key: Option<String>,
    /// The target stream version the client decided at; a different one is a conflict
    /// without retry. `None` lets the service re-decide against fresh state.
    pub expected_version: Option<u64>,
    /// Correlation id of the request (a new one if `None`).
    pub correlation_id: Option<Uuid>,
}

impl Submission {
    /// A submission with no idempotency key, expected version or correlation id.
    pub fn new(actor: MemberId, command: impl Into<DomainCommand>) -> Self {
        Self {
            actor,
            command: command.into(),
            idempotency_key: None,
            expected_version: None,
            correlation_id: None,
        }
    }
}

/// What a carried-out command produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The events appended (empty when `replayed`: they were appended by the first attempt).
    pub events: Vec<DomainEvent>,
    /// True when the idempotency key had been used, and this is the first attempt's receipt.
    pub replayed: bool,
}

/// Executes domain commands against an event store.
#[derive(Clone)]
pub struct CommandService {
    store: Arc<dyn EventStore>,
    clock: Clock,
    cache: Arc<StreamCache>,
}

impl std::fmt::Debug for CommandService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandService").finish_non_exhaustive()
    }
}

impl CommandService {
    /// A service on `store` with the system clock.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self::with_clock(store, Arc::new(Utc::now))
    }

    /// A service on `store` with a given clock (tests and replays).
    pub fn with_clock(store: Arc<dyn EventStore>, clock: Clock) -> Self {
        Self {
            store,
            clock,
            cache: Arc::new(StreamCache::default()),
        }
    }

    /// The store this service appends to.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// Decides and appends one command. A rejection appends nothing.
    pub async fn execute(&self, submission: Submission) -> Result<Outcome, CommandError> {
        let correlation_id = submission.correlation_id.unwrap_or_else(Uuid::now_v7);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let loaded = load(self.store.as_ref(), &self.cache, &submission.command).await?;
            if let (Some(key), Some(hub)) = (&submission.idempotency_key, loaded.hub_id) {
                if let Some(receipt) = self.store.idempotent_receipt(hub.uuid(), key).await? {
                    return Ok(Outcome {
                        receipt,
                        events: Vec::new(),
                        replayed: true,
                    });
                }
            }
            if let Some(expected) = submission.expected_version {
                if expected != loaded.target_version {
                    return Err(StoreError::Conflict {
                        stream_id: submission.command.stream_id(),
                        expected: expected.to_string(),
                        actual: loaded.target_version,
                    }
                    .into());
                }
            }
            let now = (self.clock)();
            let events = loaded
                .world
                .decide(submission.actor, &submission.command, now)?;
            let Some(hub_id) = loaded.hub_id else {
                return Err(DomainError::not_found("This hub does not exist.").into());
            };
            // The actor as recorded: resolved against the hub as it stands after the events
            // (so the founder of a new hub is known).
            let mut after = loaded.world.clone();
            for event in &events {
                after.apply(event);
            }
            let actor_ref = after
                .hubs
                .get(&hub_id)
                .and_then(|hub| actor::resolve(hub, submission.actor).ok())
                .map(|a| ActorRef {
                    member_id: a.member_id.uuid(),
                    organisation_id: Some(a.organisation_id.uuid()),
                    stakeholder_kind: Some(a.kind.as_str().to_string()),
                    role: a.role.as_str().to_string(),
                })
                .ok_or_else(|| DomainError::forbidden("You are not a member of this hub."))?;
            let request = AppendRequest {
                hub_id: hub_id.uuid(),
                stream_id: submission.command.stream_id(),
                expected_version: match loaded.target_version {
                    0 => ExpectedVersion::NoStream,
                    v => ExpectedVersion::Exact(v),
                },
                actor: actor_ref,
                correlation_id,
                causation_id: None,
                idempotency_key: submission.idempotency_key.clone(),
                events: events
                    .iter()
                    .map(|e| NewEvent {
                        event_id: Uuid::now_v7(),
                        event_type: e.event_type().to_string(),
                        schema_version: e.schema_version(),
                        payload: e.to_payload(),
                    })
                    .collect(),
            };
            match self.store.append(request).await {
                Ok(receipt) => {
                    return Ok(Outcome {
                        receipt,
                        events,
                        replayed: false,
                    })
                }
                Err(StoreError::Conflict { .. })
                    if submission.expected_version.is_none() && attempt < ATTEMPTS =>
                {
                    tracing::debug!(attempt, "stream moved on while deciding; deciding again");
                    back_off(attempt).await;
                    continue;
                }
                Err(StoreError::IdempotencyMismatch { .. })
                    if submission.idempotency_key.is_some() =>
                {
                    // A concurrent retry with the same key won the race: answer with its receipt.
                    let key = submission.idempotency_key.as_deref().unwrap_or_default();
                    if let Some(receipt) = self.store.idempotent_receipt(hub_id.uuid(), key).await?
                    {
                        return Ok(Outcome {
                            receipt,
                            events: Vec::new(),
                            replayed: true,
                        });
                    }
                    return Err(StoreError::IdempotencyMismatch {
                        key: key.to_string(),
                    }
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}
