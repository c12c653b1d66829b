//! Loading the aggregate states a command needs by folding their streams.

use crate::cache::StreamCache;
use crate::error::CommandError;
use cohub_domain::distribution::DistributionCommand;
use cohub_domain::idea::IdeaCommand;
use cohub_domain::{DomainCommand, DomainError, DomainEvent, HubId, World};
use cohub_store::{Envelope, EventStore};
use std::sync::Arc;

/// The states loaded for one command, and the target stream's version they were read at.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The folded states of the target, the aggregate it refers to, and the hub.
    pub world: World,
    /// The hub the command is for, if it could be found.
    pub hub_id: Option<HubId>,
    /// The target stream's version (0 if it does not exist yet).
    pub target_version: u64,
}

/// Decodes a stored envelope into its domain event (upcasting old schema versions).
pub fn decode(envelope: &Envelope) -> Result<DomainEvent, DomainError> {
    DomainEvent::from_payload_ref(
        &envelope.event_type,
        envelope.schema_version,
        &envelope.payload,
    )
}

/// Folds one stream (from the cache's state plus the stream's tail) into `world`; returns the
/// stream's version.
async fn fold_stream(
    store: &dyn EventStore,
    cache: &StreamCache,
    stream_id: &str,
    world: &mut World,
) -> Result<u64, CommandError> {
    let (version, folded) = cache.fold(store, stream_id).await?;
    merge(world, &folded);
    Ok(version)
}

/// Adds a copy of one stream's folded state to `world`.
fn merge(world: &mut World, folded: &World) {
    world
        .hubs
        .extend(folded.hubs.iter().map(|(k, v)| (*k, v.clone())));
    world
        .problems
        .extend(folded.problems.iter().map(|(k, v)| (*k, v.clone())));
    world
        .ideas
        .extend(folded.ideas.iter().map(|(k, v)| (*k, v.clone())));
    world
        .distributions
        .extend(folded.distributions.iter().map(|(k, v)| (*k, v.clone())));
}

/// Moves out of `world` the states a stream's folded state `like` holds: after deciding, the
/// stream's own state, on which its new events build the next one, without copying it again.
pub(crate) fn take_stream(world: &mut World, like: &World) -> World {
    let mut own = World::new();
    for k in like.hubs.keys() {
        own.hubs.extend(world.hubs.remove_entry(k));
    }
    for k in like.problems.keys() {
        own.problems.extend(world.problems.remove_entry(k));
    }
    for k in like.ideas.keys() {
        own.ideas.extend(world.ideas.remove_entry(k));
    }
    for k in like.distributions.keys() {
        own.distributions
            .extend(world.distributions.remove_entry(k));
    }
    own
}

/// Loads the target stream, the problem or idea it refers to, and the hub.
pub async fn load(
    store: &dyn EventStore,
    cache: &StreamCache,
    command: &DomainCommand,
) -> Result<Loaded, CommandError> {
    Ok(load_over(store, cache, command, None).await?.0)
}

/// As [`load`], with the target stream's state given (`(version, state)`: the state it will
/// have once the appends placed on it land) instead of read; also answers the target stream's
/// own state (shared, as folded or given).
pub(crate) async fn load_over(
    store: &dyn EventStore,
    cache: &StreamCache,
    command: &DomainCommand,
    target: Option<(u64, Arc<World>)>,
) -> Result<(Loaded, Arc<World>), CommandError> {
    let (target_version, target) = match target {
        Some(given) => given,
        None => cache.fold(store, &command.stream_id()).await?,
    };
    let mut world = World::new();
    merge(&mut world, &target);
    // The referenced aggregate: named by a creating command, otherwise found through the target.
    let referenced = match command {
        DomainCommand::Idea(IdeaCommand::ProposeIdea { problem_id, .. }) => {
            Some(problem_id.stream_id())
        }
        DomainCommand::Idea(c) => world
            .ideas
            .get(&c.idea_id())
            .map(|i| i.problem_id.stream_id()),
        DomainCommand::Distribution(DistributionCommand::ProposeDistribution {
            idea_id, ..
        }) => Some(idea_id.stream_id()),
        DomainCommand::Distribution(c) => world
            .distributions
            .get(&c.distribution_id())
            .map(|d| d.idea_id.stream_id()),
        _ => None,
    };
    if let Some(stream) = referenced {
        fold_stream(store, cache, &stream, &mut world).await?;
    }
    let hub_id = world.hub_of(command);
    if let Some(hub) = hub_id {
        if !matches!(command, DomainCommand::Hub(_)) {
            fold_stream(store, cache, &hub.stream_id(), &mut world).await?;
        }
    }
    Ok((
        Loaded {
            world,
            hub_id,
            target_version,
        },
        target,
    ))
}
