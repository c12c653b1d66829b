//! cohub's write side.
//!
//! [`CommandService::execute`] takes one [`DomainCommand`] from a verified actor, loads the
//! states the decision needs from their streams ([`load`]), calls the pure domain `decide`, and
//! appends the events to the target stream at the version it decided against. A stale version
//! is re-decided against fresh state a few times (the domain re-checks every rule, and commands
//! that name a version, such as consenting to version 2, are refused there if it moved on);
//! an idempotency key returns the first receipt without deciding again.

#![warn(missing_docs)]

mod cache;
mod error;
mod load;
mod service;

pub use cache::StreamCache;
pub use error::CommandError;
pub use load::{decode, Loaded};
pub use service::{Clock, CommandService, Outcome, Submission};
