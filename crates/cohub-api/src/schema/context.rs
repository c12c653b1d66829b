//! What resolvers take from the GraphQL context: the caller, and the services below the edge.

use crate::auth::Authenticated;
use crate::error::ApiError;
use async_graphql::Context;
use cohub_command::CommandService;
use cohub_domain::hub::MemberStatus;
use cohub_domain::HubId;
use cohub_read::{Projector, ReadModel};
use cohub_store::EventStore;
use std::sync::Arc;
use std::time::Duration;

/// How long a mutation waits for the read models to fold its own events in.
pub const READ_YOUR_WRITES_TIMEOUT: Duration = Duration::from_secs(10);

/// The caller, if their request carried a verified token.
pub fn caller(ctx: &Context<'_>) -> Option<Authenticated> {
    ctx.data_opt::<Authenticated>().copied()
}

/// The caller, or `UNAUTHENTICATED` if the request carried no token.
pub fn require_member(ctx: &Context<'_>) -> Result<Authenticated, ApiError> {
    caller(ctx)
        .ok_or_else(|| ApiError::Unauthenticated("sign in first: this needs a bearer token".into()))
}

/// The event store.
pub fn store(ctx: &Context<'_>) -> Result<Arc<dyn EventStore>, ApiError> {
    ctx.data_opt::<Arc<dyn EventStore>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("the schema was built without an event store"))
}

/// The projector serving the read models.
pub fn projector(ctx: &Context<'_>) -> Result<Arc<Projector>, ApiError> {
    ctx.data_opt::<Arc<Projector>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("the schema was built without a projector"))
}

/// The command service (the write side).
pub fn commands(ctx: &Context<'_>) -> Result<CommandService, ApiError> {
    ctx.data_opt::<CommandService>()
        .cloned()
        .ok_or_else(|| ApiError::internal("the schema was built without a command service"))
}

/// Whether `member` may read `hub`'s member-only data in `model`: admitted and not removed
/// (a suspended member may still read the record, but cannot act).
pub fn may_read(model: &ReadModel, hub: HubId, member: uuid::Uuid) -> bool {
    model
        .hub(hub)
        .and_then(|h| h.member(cohub_domain::MemberId::from_uuid(member)))
        .is_some_and(|m| m.status != MemberStatus::Removed)
}

/// The caller, if they may read `hub`'s member-only data (checked against the live read
/// model, whatever moment is being read): `UNAUTHENTICATED` without a token, `NOT_FOUND` for
/// an unknown hub, `FORBIDDEN` for anyone who is not a member of it.
pub fn require_hub_member(ctx: &Context<'_>, hub: HubId) -> Result<Authenticated, ApiError> {
    let auth = caller(ctx).ok_or_else(|| {
        ApiError::Unauthenticated(
            "sign in first: only members of this hub can see this, and it needs a bearer token"
                .into(),
        )
    })?;
    let live = projector(ctx)?.current();
    if live.hub(hub).is_none() {
        return Err(ApiError::NotFound(format!("there is no hub {hub}")));
    }
    if !may_read(&live, hub, auth.member_id) {
        return Err(ApiError::Forbidden(
            "only members of this hub can see this; ask a facilitator to admit you".into(),
        ));
    }
    Ok(auth)
}

/// The read model to answer from — the live one, or as of a past time or log position — and
/// the moment it stands at (`None` for the live model): the time asked for, or the time the
/// event at the position asked for was recorded.
pub async fn model_at(
    ctx: &Context<'_>,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    at_position: Option<u64>,
) -> Result<(Arc<ReadModel>, Option<chrono::DateTime<chrono::Utc>>), ApiError> {
    let projector = projector(ctx)?;
    match (as_of, at_position) {
        (Some(_), Some(_)) => Err(ApiError::Validation(
            "give either `asOf` or `atPosition`, not both".into(),
        )),
        (Some(time), None) => Ok((projector.as_of(time).await?.model, Some(time))),
        (None, Some(position)) => {
            let model = projector.at_position(position).await?.model;
            let moment = model.recorded_until();
            Ok((model, moment))
        }
        (None, None) => Ok((projector.current(), None)),
    }
}
