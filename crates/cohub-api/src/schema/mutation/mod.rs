//! Mutations: one per domain command. The actor is always the bearer token's member (never a
//! field of the input). Each takes an optional `idempotencyKey`, scoped to the hub and the
//! caller: the same mutation with the same arguments and key again returns the first receipt
//! (`replayed: true`) and appends nothing, and the same key with another mutation or other
//! arguments is `IDEMPOTENCY_KEY_REUSED` (nothing appended). It also takes `expectedVersion` (the
//! stream version the client decided at: if the stream moved on, the answer is `CONFLICT`;
//! without it the server decides against the latest state). Each answers with the changed
//! object read back from the read models after they folded the command's events in (read your
//! writes) and the `receipt` of the append.

pub mod distribution;
pub mod hub;
pub mod idea;
pub mod problem;

use super::common::Receipt;
use super::context::{commands, projector, require_member, READ_YOUR_WRITES_TIMEOUT};
use crate::error::ApiError;
use async_graphql::{Context, MergedObject};
use cohub_command::Submission;
use cohub_domain::{DomainCommand, HubId, MemberId};
use cohub_read::ReadModel;
use std::sync::Arc;

/// Every mutation, merged from the per-aggregate objects.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    hub::HubMutation,
    problem::ProblemMutation,
    idea::IdeaMutation,
    distribution::DistributionMutation,
    super::audit::AuditMutation,
);

/// The longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// A carried-out command: its receipt, and the read model that includes its events.
pub struct Done {
    /// The receipt as the API shows it.
    pub receipt: Receipt,
    /// The raw receipt.
    pub raw: cohub_store::Receipt,
    /// A read model that has folded the command's events in.
    pub model: Arc<ReadModel>,
}

impl Done {
    /// The hub the events joined.
    pub fn hub(&self) -> HubId {
        HubId::from_uuid(self.raw.hub_id)
    }

    /// Whether `position` is one of the positions this command's events landed at.
    pub fn wrote(&self, position: u64) -> bool {
        (self.raw.first_position..=self.raw.last_position).contains(&position)
    }

    /// A scope over the resulting model and hub.
    pub fn scope(&self) -> super::common::Scope {
        super::common::Scope::new(self.model.clone(), self.hub())
    }
}

/// Executes `command` as the caller, then waits until the read models include it.
pub async fn execute(
    ctx: &Context<'_>,
    command: impl Into<DomainCommand>,
    idempotency_key: Option<String>,
    expected_version: Option<u64>,
) -> Result<Done, ApiError> {
    let auth = require_member(ctx)?;
    if let Some(key) = &idempotency_key {
        if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY {
            return Err(ApiError::Validation(format!(
                "an idempotency key must be between 1 and {MAX_IDEMPOTENCY_KEY} characters"
            )));
        }
        if key.chars().any(char::is_control) {
            return Err(ApiError::Validation(
                "an idempotency key must not contain control characters".into(),
            ));
        }
    }
    let fingerprint = match &idempotency_key {
        Some(_) => Some(request_fingerprint(ctx, auth.member_id)?),
        None => None,
    };
    let outcome = commands(ctx)?
        .execute(Submission {
            actor: MemberId::from_uuid(auth.member_id),
            command: command.into(),
            idempotency_key,
            fingerprint,
            expected_version,
            correlation_id: None,
        })
        .await?;
    let model = projector(ctx)?
        .wait_for(outcome.receipt.last_position, READ_YOUR_WRITES_TIMEOUT)
        .await?;
    Ok(Done {
        receipt: Receipt::of(&outcome),
        raw: outcome.receipt,
        model,
    })
}

/// The fingerprint of the mutation as the client sent it: the field's name and its arguments
/// (variables filled in), by the caller. A retry sends the same; new ids the server makes for
/// absent ones do not enter into it.
fn request_fingerprint(ctx: &Context<'_>, actor: uuid::Uuid) -> Result<String, ApiError> {
    let field = ctx.field();
    let arguments = field
        .arguments()
        .map_err(|e| ApiError::Validation(e.message))?;
    let input: serde_json::Map<String, serde_json::Value> = arguments
        .into_iter()
        .map(|(name, value)| {
            let value = value
                .into_json()
                .map_err(|e| ApiError::Validation(format!("an argument is not JSON: {e}")))?;
            Ok((name.to_string(), value))
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(cohub_store::idempotency::client_fingerprint(
        field.name(),
        &serde_json::Value::Object(input),
        actor,
    ))
}

/// The id given, or a fresh time-ordered (v7) one.
pub fn id_or_new(id: Option<uuid::Uuid>) -> uuid::Uuid {
    id.unwrap_or_else(uuid::Uuid::now_v7)
}

/// The answer when the read model does not hold what a command just wrote.
pub fn missing(what: &str) -> ApiError {
    ApiError::internal(format!(
        "the read model does not show the {what} the command just recorded"
    ))
}
