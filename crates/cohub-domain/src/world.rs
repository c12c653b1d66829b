//! An in-memory world of folded states: a reference for how an application loads states,
//! decides and applies events. Used by the example, tests and demos; no IO.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::command::{decide, Context, DomainCommand};
use crate::distribution::{DistributionCommand, DistributionState};
use crate::error::DomainError;
use crate::event::DomainEvent;
use crate::hub::HubState;
use crate::idea::{IdeaCommand, IdeaState};
use crate::ids::{DistributionId, HubId, IdeaId, MemberId, ProblemId};
use crate::problem::ProblemState;

/// Every aggregate's state, folded from the events applied so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct World {
    /// Hubs by id.
    pub hubs: BTreeMap<HubId, HubState>,
    /// Problems by id.
    pub problems: BTreeMap<ProblemId, ProblemState>,
    /// Ideas by id.
    pub ideas: BTreeMap<IdeaId, IdeaState>,
    /// Distributions by id.
    pub distributions: BTreeMap<DistributionId, DistributionState>,
}

impl World {
    /// An empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hub a command is for: named by the command, or found through its target or referenced aggregate.
    pub fn hub_of(&self, command: &DomainCommand) -> Option<HubId> {
        if let Some(h) = command.hub_id() {
            return Some(h);
        }
        match command {
            DomainCommand::Hub(_) => None,
            DomainCommand::Problem(c) => self.problems.get(&c.problem_id()).map(|p| p.hub_id),
            DomainCommand::Idea(IdeaCommand::ProposeIdea { problem_id, .. }) => {
                self.problems.get(problem_id).map(|p| p.hub_id)
            }
            DomainCommand::Idea(c) => self.ideas.get(&c.idea_id()).map(|i| i.hub_id),
            DomainCommand::Distribution(DistributionCommand::ProposeDistribution {
                idea_id,
                ..
            }) => self.ideas.get(idea_id).map(|i| i.hub_id),
            DomainCommand::Distribution(c) => self
                .distributions
                .get(&c.distribution_id())
                .map(|d| d.hub_id),
        }
    }

    /// Decides a command against the current states (without applying the events).
    pub fn decide(
        &self,
        actor: MemberId,
        command: &DomainCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        let empty_hub = HubState::default();
        let hub = self
            .hub_of(command)
            .and_then(|h| self.hubs.get(&h))
            .unwrap_or(&empty_hub);
        let mut ctx = Context::hub(hub);
        match command {
            DomainCommand::Hub(_) => {}
            DomainCommand::Problem(c) => ctx.problem = self.problems.get(&c.problem_id()),
            DomainCommand::Idea(c) => {
                ctx.idea = self.ideas.get(&c.idea_id());
                let problem_id = match c {
                    IdeaCommand::ProposeIdea { problem_id, .. } => Some(*problem_id),
                    _ => ctx.idea.map(|i| i.problem_id),
                };
                ctx.problem = problem_id.and_then(|p| self.problems.get(&p));
            }
            DomainCommand::Distribution(c) => {
                ctx.distribution = self.distributions.get(&c.distribution_id());
                let idea_id = match c {
                    DistributionCommand::ProposeDistribution { idea_id, .. } => Some(*idea_id),
                    _ => ctx.distribution.map(|d| d.idea_id),
                };
                ctx.idea = idea_id.and_then(|i| self.ideas.get(&i));
            }
        }
        decide(&ctx, command, actor, now)
    }

    /// Applies one event to the state it belongs to.
    pub fn apply(&mut self, event: &DomainEvent) {
        match event {
            DomainEvent::Hub(e) => self.hubs.entry(e.hub_id()).or_default().apply(e),
            DomainEvent::Problem(e) => self.problems.entry(e.problem_id()).or_default().apply(e),
            DomainEvent::Idea(e) => self.ideas.entry(e.idea_id()).or_default().apply(e),
            DomainEvent::Distribution(e) => self
                .distributions
                .entry(e.distribution_id())
                .or_default()
                .apply(e),
        }
    }

    /// Decides a command and applies its events; returns the events.
    pub fn execute(
        &mut self,
        actor: MemberId,
        command: &DomainCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        let events = self.decide(actor, command, now)?;
        for e in &events {
            self.apply(e);
        }
        Ok(events)
    }
}
