//! `viewer`: who the caller is, as their bearer token says, and the hubs they belong to.

use super::common::Scope;
use super::context::{caller, projector};
use super::hub::Member;
use crate::error::ApiError;
use async_graphql::{Context, Object, SimpleObject};
use cohub_domain::hub::MemberStatus;
use cohub_domain::MemberId;
use cohub_read::Page;
use uuid::Uuid;

/// The caller as their verified bearer token names them.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The member id the token names.
    pub member_id: Uuid,
    /// Whether the token is an operator's (who may verify and read every hub).
    pub operator: bool,
    /// The hubs the caller is a member of now (removed memberships left out), in the order
    /// the hubs were founded, each with the caller as that hub knows them.
    pub memberships: Vec<Membership>,
}

/// The caller's membership of one hub.
#[derive(SimpleObject)]
pub struct Membership {
    /// The hub's id.
    pub hub_id: Uuid,
    /// The hub's name.
    pub hub_name: String,
    /// The caller as a member of that hub (name, organisation, role, status).
    pub member: Member,
}

/// Queries about the caller.
#[derive(Debug, Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller, or null for a request without a bearer token.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Option<Viewer>, ApiError> {
        let Some(auth) = caller(ctx) else {
            return Ok(None);
        };
        let model = projector(ctx)?.current();
        let me = MemberId::from_uuid(auth.member_id);
        let memberships = model
            .hubs(Page::ALL)
            .into_iter()
            .filter_map(|hub| {
                let view = hub.member(me)?;
                (view.status != MemberStatus::Removed).then(|| Membership {
                    hub_id: hub.id.uuid(),
                    hub_name: hub.name.clone(),
                    member: Member::new(&Scope::new(model.clone(), hub.id), view),
                })
            })
            .collect();
        Ok(Some(Viewer {
            member_id: auth.member_id,
            operator: auth.operator,
            memberships,
        }))
    }
}
