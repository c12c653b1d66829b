//! Live subscriptions last only while their subscriber takes part in the hub: a member who is
//! suspended or removed loses every live feed of that hub at the moment the read models fold
//! that in, not only at their next connection.

use super::context::{projector, require_hub_member};
use crate::auth::Authenticated;
use crate::error::ApiError;
use async_graphql::Context;
use cohub_domain::hub::MemberStatus;
use cohub_domain::{HubId, MemberId};
use cohub_read::ReadModel;
use futures::{FutureExt, Stream, StreamExt};

/// Why `member` may not follow `hub` live any more, if that is so.
fn lost(model: &ReadModel, hub: HubId, member: MemberId) -> Option<&'static str> {
    let status = model.hub(hub)?.member(member).map(|m| m.status);
    match status {
        Some(MemberStatus::Active) => None,
        Some(MemberStatus::Suspended) => {
            Some("your membership of this hub was suspended, so its live updates have stopped")
        }
        Some(MemberStatus::Removed) | None => {
            Some("you are no longer a member of this hub, so its live updates have stopped")
        }
    }
}

/// The caller, if they may follow `hub` live: an operator, or an active member (a suspended
/// member may still read the record, but live feeds are for those taking part).
pub fn require_live_member(ctx: &Context<'_>, hub: HubId) -> Result<Authenticated, ApiError> {
    let auth = require_hub_member(ctx, hub)?;
    if !auth.operator {
        let live = projector(ctx)?.current();
        if let Some(why) = lost(&live, hub, MemberId::from_uuid(auth.member_id)) {
            return Err(ApiError::Forbidden(why.into()));
        }
    }
    Ok(auth)
}

/// `feed`, ended with one `FORBIDDEN` error the moment `auth`'s member is suspended or removed
/// from `hub` (an operator's feed is not ended).
pub fn while_member<T: Send + 'static>(
    ctx: &Context<'_>,
    hub: HubId,
    auth: Authenticated,
    feed: impl Stream<Item = Result<T, async_graphql::Error>> + Send + 'static,
) -> Result<impl Stream<Item = Result<T, async_graphql::Error>> + Send + 'static, ApiError> {
    let projector = projector(ctx)?;
    let member = MemberId::from_uuid(auth.member_id);
    let operator = auth.operator;
    let revoked = async move {
        if operator {
            return std::future::pending::<&'static str>().await;
        }
        let mut progress = projector.progress();
        loop {
            if let Some(why) = lost(&projector.current(), hub, member) {
                return why;
            }
            if progress.changed().await.is_err() {
                return std::future::pending::<&'static str>().await;
            }
        }
    }
    .boxed();
    Ok(futures::stream::unfold(
        (feed.boxed(), Some(revoked)),
        |(mut feed, revoked)| async move {
            let mut revoked = revoked?;
            tokio::select! {
                biased;
                why = &mut revoked => Some((
                    Err(async_graphql::Error::from(ApiError::Forbidden(why.to_string()))),
                    (feed, None),
                )),
                item = feed.next() => item.map(|item| (item, (feed, Some(revoked)))),
            }
        },
    ))
}
