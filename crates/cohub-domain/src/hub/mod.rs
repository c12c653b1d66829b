//! The hub aggregate: organisations, members and their roles, the charter, the deliberation time.

mod command;
mod decide;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{FoundingOrganisation, HubCommand};
pub use decide::decide;
pub use event::*;
pub use state::{evolve, Charter, HubState, Member, MemberStatus, Organisation};
