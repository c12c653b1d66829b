//! cohub's audit: how every decision came about, and proof that the record was not rewritten.
//!
//! - [`history`]: the attributed, plain-language history of a hub, a problem, an idea or a
//!   distribution, filterable by actor, organisation, stakeholder kind, event type and time,
//!   paged by log position.
//! - [`trail`]: the decision trail of a distribution or an idea: every version with its author
//!   and rationale, who consented or objected to which version and why, which consents an
//!   amendment voided, the options and preferences considered, and the deliberation time.
//! - [`point`]: which moment to read ("now", `asOf` a time, `atPosition`), served by the
//!   projector's snapshots plus the tail, with what the read cost.
//! - [`checkpoint`]: Ed25519-signed checkpoints of a hub's chain head, and their proof against
//!   the log as it is now.
//!
//! Everything but [`point`] and [`checkpoint::prove`] is a pure function of a
//! [`cohub_read::ReadModel`].

#![warn(missing_docs)]

pub mod actor;
pub mod checkpoint;
mod error;
pub mod example;
pub mod history;
pub mod point;
pub mod trail;

pub use actor::{Actor, Attributed, Party};
pub use checkpoint::{
    prove, sign_head, CheckpointKey, CheckpointSigner, KeyError, Proof, ProofCheck,
    SignedCheckpoint, CHECKPOINT_KEY_FILE,
};
pub use error::AuditError;
pub use history::{history, HistoryEntry, HistoryFilter, HistoryPage, Subject};
pub use point::{model_at, AuditPoint, PointRead};
pub use trail::{decision_trail, DecisionTrail, TrailSubject};
