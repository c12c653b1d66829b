//! Loading the aggregate states a command needs by folding their streams.

use crate::cache::StreamCache;
use crate::error::CommandError;
use cohub_domain::distribution::DistributionCommand;
use cohub_domain::idea::IdeaCommand;
use cohub_domain::{DomainCommand, DomainError, DomainEvent, HubId, World};
use cohub_store::{Envelope, EventStore};
use std::collections::HashMap;
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

/// A stream's state and version: as read ahead in `fresh`, else from the cache's state plus
/// the stream's tail.
async fn folded(
    store: &dyn EventStore,
    cache: &StreamCache,
    fresh: &HashMap<String, (u64, Arc<World>)>,
    stream_id: &str,
) -> Result<(u64, Arc<World>), CommandError> {
    match fresh.get(stream_id) {
        Some(f) => Ok(f.clone()),
        None => cache.fold(store, stream_id).await,
    }
}

/// The stream of the aggregate a command refers to: named by a creating command, otherwise
/// found through the target's state in `world`.
fn referenced_stream(command: &DomainCommand, world: &World) -> Option<String> {
    match command {
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
    }
}

/// The streams a command will read, as far as the kept states tell (the target unless it is
/// given, the aggregate it refers to, the hub), so their tails can be read in one call. A
/// guess the fresh tails prove wrong costs only a read of the stream it missed.
fn likely_streams(
    cache: &StreamCache,
    command: &DomainCommand,
    target: Option<&World>,
) -> Vec<String> {
    let mut ids = Vec::new();
    let peeked;
    let target = match target {
        Some(given) => given,
        None => {
            let id = command.stream_id();
            peeked = cache.peek(&id).1;
            ids.push(id);
            &*peeked
        }
    };
    let referenced = referenced_stream(command, target).map(|id| {
        let state = cache.peek(&id).1;
        if !ids.contains(&id) {
            ids.push(id);
        }
        state
    });
    if !matches!(command, DomainCommand::Hub(_)) {
        let hub = target
            .hub_of(command)
            .or_else(|| referenced.as_ref().and_then(|r| r.hub_of(command)));
        if let Some(hub) = hub {
            let hub = hub.stream_id();
            if !ids.contains(&hub) {
                ids.push(hub);
            }
        }
    }
    ids
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
    let ahead = likely_streams(cache, command, target.as_ref().map(|t| &*t.1));
    let fresh: HashMap<String, (u64, Arc<World>)> = if ahead.len() > 1 {
        let folded = cache.fold_many(store, &ahead).await?;
        ahead.into_iter().zip(folded).collect()
    } else {
        HashMap::new()
    };
    let (target_version, target) = match target {
        Some(given) => given,
        None => folded(store, cache, &fresh, &command.stream_id()).await?,
    };
    let mut world = World::new();
    merge(&mut world, &target);
    if let Some(stream) = referenced_stream(command, &world) {
        merge(&mut world, &folded(store, cache, &fresh, &stream).await?.1);
    }
    let hub_id = world.hub_of(command);
    if let Some(hub) = hub_id {
        if !matches!(command, DomainCommand::Hub(_)) {
            merge(
                &mut world,
                &folded(store, cache, &fresh, &hub.stream_id()).await?.1,
            );
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
