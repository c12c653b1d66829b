//! What resolvers take from the GraphQL context: the caller, and the services below the edge.

use crate::auth::Authenticated;
use crate::error::ApiError;
use async_graphql::Context;
use cohub_audit::{AuditPoint, PointRead};
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

/// The plain answer for a hub the caller cannot see, whether it does not exist or they are
/// not a member: the two are told apart by nobody but its members.
fn not_visible() -> ApiError {
    ApiError::Forbidden(
        "only members of this hub can see this (or there is no such hub); ask a facilitator to admit you"
            .into(),
    )
}

/// Whether the caller may read `hub`'s member-only data: an operator, or (in the live model) a
/// member who was not removed.
pub fn visible(ctx: &Context<'_>, auth: &Authenticated, hub: HubId) -> Result<bool, ApiError> {
    Ok(auth.operator || may_read(&projector(ctx)?.current(), hub, auth.member_id))
}

/// The caller, if they may read `hub`'s member-only data (checked against the live read
/// model, whatever moment is being read, and before any other work): `UNAUTHENTICATED`
/// without a token; `FORBIDDEN`, with the same words, for a hub that does not exist and for a
/// hub the caller is not a member of (or was removed from). Operators may read every hub.
pub fn require_hub_member(ctx: &Context<'_>, hub: HubId) -> Result<Authenticated, ApiError> {
    let auth = caller(ctx).ok_or_else(|| {
        ApiError::Unauthenticated(
            "sign in first: only members of this hub can see this, and it needs a bearer token"
                .into(),
        )
    })?;
    if visible(ctx, &auth, hub)? {
        Ok(auth)
    } else {
        Err(not_visible())
    }
}

/// The moment a query asks for, checked before any work is done: at most one of `asOf` and
/// `atPosition`, no `asOf` in the future, no `atPosition` past the end of the log. A moment
/// refused for being in the future or past the log's end names its argument in
/// `extensions.field` (`asOf` or `atPosition`), so a page can show the message beside the
/// date and time it asked for.
pub async fn requested_point(
    ctx: &Context<'_>,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    at_position: Option<u64>,
) -> Result<AuditPoint, ApiError> {
    let point = AuditPoint::from_args(as_of, at_position)?;
    match point {
        AuditPoint::AsOf(time) => {
            let now = chrono::Utc::now();
            if time > now {
                return Err(ApiError::InvalidField {
                    field: "asOf".to_string(),
                    message: format!(
                        "`asOf` {} is in the future; give a moment up to now ({})",
                        time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                });
            }
        }
        AuditPoint::AtPosition(position) => {
            let head = store(ctx)?.head_position().await?;
            if position > head {
                return Err(ApiError::InvalidField {
                    field: "atPosition".to_string(),
                    message: format!(
                        "`atPosition` {position} is past the end of the log, which ends at position {head}"
                    ),
                });
            }
        }
        AuditPoint::Now => {}
    }
    Ok(point)
}

/// The read model at a checked moment (see [`requested_point`]), with what reading it cost.
pub async fn read_at(
    ctx: &Context<'_>,
    point: AuditPoint,
    hub: HubId,
) -> Result<PointRead, ApiError> {
    let projector = projector(ctx)?;
    Ok(cohub_audit::model_at(&projector, point, hub).await?)
}

/// The moment a read model stands at, for "days waited" and the like: `None` for now, the
/// time asked for, or the time the event at the position asked for was recorded.
pub fn moment_of(point: AuditPoint, model: &ReadModel) -> Option<chrono::DateTime<chrono::Utc>> {
    match point {
        AuditPoint::Now => None,
        AuditPoint::AsOf(time) => Some(time),
        AuditPoint::AtPosition(_) => model.recorded_until(),
    }
}
