//! cohub's projections: read models folded from the log, checkpointed, rebuildable, and
//! readable as of any past position or time.
//!
//! - [`ReadModel`] is a pure fold of envelopes ([`ReadModel::apply`]) into hub, problem, idea
//!   and distribution views and "feeling heard" contributions, with queries
//!   ([`ReadModel::problems`], [`ReadModel::ideas`], [`ReadModel::distributions`],
//!   [`ReadModel::unanswered`], ...). A hub's activity feed ([`activity()`]) is read from the
//!   log itself, as the model stands.
//! - [`Projector`] follows the store in the background and serves the latest model
//!   ([`Projector::current`]), lets a caller wait for its own write ([`Projector::wait_for`]),
//!   broadcasts applied events, keeps [`HubSnapshots`] (in memory, and every so often on disk
//!   as [`SnapshotFiles`]) and writes [`checkpoint`]s.
//! - [`rebuild`] folds the whole log; [`at_position`] and [`as_of`] read the past from the
//!   nearest snapshot plus the tail.

#![warn(missing_docs)]

pub mod activity;
pub mod as_of;
pub mod checkpoint;
pub mod distribution;
mod error;
pub mod heard;
pub mod hub;
pub mod hub_snapshots;
pub mod idea;
mod model;
mod page;
pub mod problem;
pub mod projector;
mod recorded;
pub mod replay;
pub mod snapshot_files;
pub mod snapshots;

pub use activity::{activity, ActivityEntry, ActivityFilter, EventSource};
pub use as_of::{as_of, at_position, hub_as_of, hub_at_position, position_at_time, AsOf};
pub use checkpoint::{Checkpoint, StartReport};
pub use error::ReadError;
pub use heard::{Contribution, ContributionRef, Heard, Unanswered};
pub use hub_snapshots::{HubSnapshot, HubSnapshots};
pub use model::{decode, ReadModel};
pub use page::Page;
pub use projector::{Applied, Progress, Projector, ProjectorConfig};
pub use recorded::{Recorded, Withdrawal};
pub use replay::{rebuild, rebuild_by_hub, replay, Until};
pub use snapshot_files::SnapshotFiles;
pub use snapshots::Snapshots;
