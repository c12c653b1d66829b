//! The cohub event log.
//!
//! [`EventStore`] is the contract; [`sled_store::SledStore`] is the embedded default backend.
//! Every backend stores [`Envelope`]s in a per-hub SHA-256 hash chain ([`chain`]).

mod canonical;
pub mod chain;
pub mod envelope;
pub mod error;
pub mod idempotency;
pub mod import;
mod sealed;
pub mod sled_store;
pub mod store;

#[cfg(feature = "contract")]
pub mod contract;

pub use envelope::*;
pub use error::{ImportRefusal, ImportRefusalKind, StoreError, StoreResult};
pub use sled_store::SledStore;
pub use store::{EnvelopeStream, EventStore, PlacedAppend};
