//! `viewer`: who the caller is, as their bearer token says.

use super::context::caller;
use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

/// The caller as their verified bearer token names them.
#[derive(Debug, Clone, SimpleObject)]
pub struct Viewer {
    /// The member id the token names.
    pub member_id: Uuid,
}

/// Queries about the caller.
#[derive(Debug, Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller, or null for a request without a bearer token.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<Viewer> {
        caller(ctx).map(|a| Viewer {
            member_id: a.member_id,
        })
    }
}
