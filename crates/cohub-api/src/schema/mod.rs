//! The GraphQL schema: root objects merged from one object per area, each in its own file.
//!
//! Access: without a token, only `hubs`/`hub` with a hub's public fields (`id`, `name`,
//! `purpose`, `foundedAt`), `chainHead`, `chainHeadChanged` and `viewer` answer. Everything
//! else about a hub needs a bearer token of one of its members (not removed; suspended members
//! may still read). Every mutation needs a token; the actor is always the token's member.

pub mod activity;
pub mod audit;
pub mod common;
pub mod context;
pub mod distribution;
pub mod enums;
pub mod heard;
pub mod hub;
pub mod idea;
pub mod live;
pub mod membership_guard;
pub mod mutation;
pub mod problem;
pub mod viewer;

use crate::config::Limits;
use crate::error_codes::ErrorCodes;
use crate::limits::DocumentLimits;
use crate::metrics::{GraphqlMetrics, Metrics};
use crate::parse_cache::ParseCache;
use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};
use cohub_command::CommandService;
use cohub_read::Projector;
use cohub_store::EventStore;
use std::sync::Arc;

pub use mutation::MutationRoot;

/// Every query, merged from the per-area objects.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(viewer::ViewerQuery, hub::HubQuery, audit::AuditQuery);

/// Every subscription, merged from the per-area objects.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(live::LiveSubscription, audit::AuditSubscription);

/// The cohub GraphQL schema.
pub type CohubSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The services resolvers read from and write to.
#[derive(Clone)]
pub struct SchemaDeps {
    /// The event log.
    pub store: Arc<dyn EventStore>,
    /// The projector serving the read models (queries, read-your-writes, subscriptions).
    pub projector: Arc<Projector>,
    /// The write side: decides and appends domain commands.
    pub commands: CommandService,
    /// The data directory's checkpoint signing key, opened on first use (`signCheckpoint`).
    pub checkpoint_key: Arc<cohub_audit::CheckpointKey>,
}

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
}

/// The executable schema, with its services, limits and metrics attached.
pub fn build_schema(deps: SchemaDeps, limits: &Limits, metrics: &Metrics) -> CohubSchema {
    builder()
        .data(deps.store)
        .data(deps.projector)
        .data(deps.commands)
        .data(deps.checkpoint_key)
        .limit_recursive_depth(limits.max_depth.saturating_mul(2).max(32))
        .limit_directives(limits.max_directives)
        .extension(GraphqlMetrics::new(metrics.clone()))
        .extension(ErrorCodes)
        .extension(ParseCache::new(metrics.clone()))
        .extension(DocumentLimits::new(limits.clone()))
        .finish()
}

/// The schema's SDL, as checked in at `schema/cohub.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
