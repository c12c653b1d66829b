//! cohub's pure domain: ids, plain-language text, commands, events and the decide/evolve of
//! the hub, problem, idea and distribution aggregates, with the co-production rules.
//!
//! Each aggregate is a decider: a `Default` initial state, `evolve(state, &event) -> state`
//! (or `state.apply(&event)`), and `decide(&state, &ctx, &command, actor, now)` returning the
//! events or a [`DomainError`]. The actor is a [`ids::MemberId`] from a verified credential,
//! resolved against the hub's state. No IO, no clock reads, no async.

#![warn(missing_docs)]

pub mod acknowledgement;
pub mod actor;
pub mod answer;
pub mod codec;
pub mod command;
pub mod distribution;
pub mod error;
pub mod event;
pub mod example;
pub mod hub;
pub mod idea;
pub mod ids;
pub mod names;
pub mod problem;
pub mod text;
pub mod time;
pub mod world;

#[cfg(test)]
mod testkit;

pub use actor::{Actor, Role, StakeholderKind};
pub use codec::EncodedEvent;
pub use command::{decide, Context, DomainCommand};
pub use error::{DomainError, Rule};
pub use event::DomainEvent;
pub use ids::*;
pub use names::Names;
pub use text::{PlainText, TextLimit};
pub use world::World;
