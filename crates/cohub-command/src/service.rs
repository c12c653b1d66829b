//! Executing one command: idempotency, load, decide, append, retry on a stale version.
//!
//! Commands on one stream take turns inside this server ([`crate::turns`]): each decides
//! against the state the appends placed before it will make and places its own append before
//! the previous ones are durable, so that clients on one hot stream never see a conflict from
//! each other, and the group commit still gathers them. Only another server's append, or a
//! placed append that failed, makes the stream move on under a command; it is then decided
//! again, a few times.
//!
//! Idempotency keys are scoped to (hub, actor). A keyed submission carries a fingerprint of
//! what the client asked for ([`Submission::fingerprint`]); a key already used by the actor is
//! a replay of the first receipt only if the first request had the same fingerprint, and
//! `IdempotencyMismatch` (nothing appended) otherwise.

use crate::cache::StreamCache;
use crate::error::CommandError;
use crate::load::{load, load_over, take_stream};
use crate::turns::Turns;
use chrono::{DateTime, Utc};
use cohub_domain::{actor, DomainCommand, DomainError, DomainEvent, MemberId};
use cohub_store::idempotency::client_fingerprint;
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
    /// A client's retry key, scoped to the hub and the actor: a repeat of the same request
    /// returns the first receipt; the same key for a different request is refused
    /// (`IdempotencyMismatch`).
    pub idempotency_key: Option<String>,
    /// What the client sent, fingerprinted ([`client_fingerprint`] of the operation, its input
    /// as sent and the actor), by which a repeat of a keyed request is recognised. The API sets
    /// it; without it, the fingerprint of the domain command is used (right for callers whose
    /// commands carry every id, like the demo; a client's retry would be decided again with
    /// fresh generated ids, so the API must fingerprint what the client sent instead).
    pub fingerprint: Option<String>,
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
            fingerprint: None,
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
    /// True when the actor had sent this same request with this key before, and this is the
    /// first attempt's receipt (nothing was appended now).
    pub replayed: bool,
}

/// Executes domain commands against an event store.
#[derive(Clone)]
pub struct CommandService {
    store: Arc<dyn EventStore>,
    clock: Clock,
    cache: Arc<StreamCache>,
    turns: Arc<Turns>,
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
            turns: Arc::new(Turns::default()),
        }
    }

    /// The store this service appends to.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// Whether `actor` may run `command` now: the domain's own decision on the current state,
    /// with nothing recorded. Pages and clients use it to offer only the actions a member may
    /// take, without a second copy of any rule.
    pub async fn permits(
        &self,
        actor: MemberId,
        command: &DomainCommand,
    ) -> Result<(), CommandError> {
        let loaded = load(self.store.as_ref(), &self.cache, command).await?;
        loaded.world.decide(actor, command, (self.clock)())?;
        Ok(())
    }

    /// Decides and appends one command. A rejection appends nothing.
    pub async fn execute(&self, submission: Submission) -> Result<Outcome, CommandError> {
        let correlation_id = submission.correlation_id.unwrap_or_else(Uuid::now_v7);
        let fingerprint = submission.idempotency_key.as_ref().map(|_| {
            submission
                .fingerprint
                .clone()
                .unwrap_or_else(|| command_fingerprint(submission.actor, &submission.command))
        });
        let stream_id = submission.command.stream_id();
        let in_flight_key = submission
            .idempotency_key
            .clone()
            .map(|key| (submission.actor, key));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let slot = Turns::slot(&self.turns, &stream_id);
            // A copy of a keyed request whose first is placed but unanswered waits for that
            // answer, so that it is answered from the first's receipt, not decided on top of it.
            let turn = loop {
                if let Some(key) = &in_flight_key {
                    slot.key_settled(key).await;
                }
                let turn = slot.take().await;
                match &in_flight_key {
                    Some(key) if slot.key_in_flight(key) => continue,
                    _ => break turn,
                }
            };
            let pending = slot.overlay().await;
            let basis = pending.as_ref().map(|p| p.ticket);
            let pending = pending.map(|p| (p.version, p.world));
            let (loaded, target) = load_over(
                self.store.as_ref(),
                &self.cache,
                &submission.command,
                pending,
            )
            .await?;
            if let (Some(key), Some(hub)) = (&submission.idempotency_key, loaded.hub_id) {
                let actor = submission.actor.uuid();
                if let Some(receipt) = self
                    .store
                    .idempotent_receipt(hub.uuid(), actor, key)
                    .await?
                {
                    self.check_repeat(&receipt, actor, key, fingerprint.as_deref())
                        .await?;
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
                        stream_id: stream_id.clone(),
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
            let target_version = loaded.target_version;
            // The stream as it will stand once this append lands (for the next turn-holder):
            // its own state, moved out of the decision's world, plus the events. Only the
            // target stream changes, so the rest of the world is as it was.
            let mut rest = loaded.world;
            let mut next = take_stream(&mut rest, &target);
            for event in &events {
                next.apply(event);
            }
            // The actor as recorded: resolved against the hub as it stands after the events
            // (so the founder of a new hub is known).
            let actor_ref = next
                .hubs
                .get(&hub_id)
                .or_else(|| rest.hubs.get(&hub_id))
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
                stream_id: stream_id.clone(),
                expected_version: match target_version {
                    0 => ExpectedVersion::NoStream,
                    v => ExpectedVersion::Exact(v),
                },
                actor: actor_ref,
                correlation_id,
                causation_id: None,
                idempotency_key: submission.idempotency_key.clone(),
                client_fingerprint: fingerprint.clone(),
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
            let event_ids: Vec<Uuid> = request.events.iter().map(|e| e.event_id).collect();
            let next_version = target_version + events.len() as u64;
            let next = Arc::new(next);
            let answer = self.store.place(request).await;
            let placement = slot.placed(basis, next_version, next.clone(), in_flight_key.clone());
            drop(turn);
            // The answer is settled by a task of its own, so that a caller who gives up (drops
            // this future) never leaves its overlay behind for the next commands.
            let (settle, settled) = tokio::sync::oneshot::channel();
            let cache = self.cache.clone();
            let mine = event_ids.clone();
            tokio::spawn(async move {
                let result = answer.await;
                let landed = result.as_ref().is_ok_and(|r| r.event_ids == mine);
                if landed {
                    cache.remember(slot.stream_id(), next_version, next);
                }
                slot.answered(placement, landed);
                let _ = settle.send(result);
            });
            let result = settled.await.unwrap_or_else(|_| {
                Err(StoreError::OutcomeUnknown(
                    "the task waiting for the append's answer stopped".into(),
                ))
            });
            match result {
                // An equal request with the same key got there first (it passed the check above
                // at the same time): the store answered with its receipt.
                Ok(receipt) if receipt.event_ids != event_ids => {
                    return Ok(Outcome {
                        receipt,
                        events: Vec::new(),
                        replayed: true,
                    })
                }
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
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Checks that a request whose key the actor used before repeats the first request: the
    /// first append's events must be the actor's and carry the same client fingerprint. An
    /// append recorded before fingerprints were kept has none; the same actor's same key is
    /// then taken as a repeat, as it was when that append was made.
    async fn check_repeat(
        &self,
        receipt: &Receipt,
        actor: Uuid,
        key: &str,
        fingerprint: Option<&str>,
    ) -> Result<(), CommandError> {
        let first = self
            .store
            .read_all(receipt.first_position.saturating_sub(1), 1)
            .await?
            .into_iter()
            .next()
            .filter(|e| receipt.event_ids.first() == Some(&e.event_id))
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the receipt of idempotency key {key:?} names position {}, which does not \
                     hold its first event",
                    receipt.first_position
                ))
            })?;
        let same_actor = first.actor.member_id == actor;
        let same_request = match (&first.client_fingerprint, fingerprint) {
            (Some(stored), Some(sent)) => stored == sent,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if same_actor && same_request {
            Ok(())
        } else {
            Err(StoreError::IdempotencyMismatch {
                key: key.to_string(),
            }
            .into())
        }
    }
}

/// The fingerprint of a domain command sent by `actor`, for submissions without one.
fn command_fingerprint(actor: MemberId, command: &DomainCommand) -> String {
    let input = serde_json::to_value(command).expect("a domain command serialises");
    client_fingerprint("domain-command", &input, actor.uuid())
}
