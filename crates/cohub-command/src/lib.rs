//! cohub's write side.
//!
//! [`CommandService::execute`] takes one [`DomainCommand`] from a verified actor, loads the
//! states the decision needs from their streams ([`load`]), calls the pure domain `decide`, and
//! appends the events to the target stream at the version it decided against. Commands on one
//! stream take turns inside the server ([`turns`]), each deciding on the state the appends
//! placed before it will make, so they never conflict with each other. A stale version (from
//! another server, or behind a failed append) is re-decided against fresh state a few times
//! (the domain re-checks every rule, and commands that name a version, such as consenting to
//! version 2, are refused there if it moved on); an idempotency key returns the first receipt
//! without deciding again.

#![warn(missing_docs)]

mod cache;
mod error;
mod load;
mod service;
mod turns;

pub use cache::StreamCache;
pub use error::CommandError;
pub use load::{decode, Loaded};
pub use service::{Clock, CommandService, Outcome, Submission};
