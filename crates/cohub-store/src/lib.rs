//! The cohub event log.
//!
//! [`EventStore`] is the contract; [`sled_store::SledStore`] is the embedded default backend.
//! Every backend stores [`Envelope`]s in a per-hub SHA-256 hash chain ([`chain`]).

pub mod chain;
pub mod envelope;
pub mod error;
pub mod store;

pub use envelope::*;
pub use error::{StoreError, StoreResult};
pub use store::{EnvelopeStream, EventStore};
