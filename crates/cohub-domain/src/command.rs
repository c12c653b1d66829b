//! Any domain command, the states a decision needs, and one `decide` for all aggregates.
//!
//! An application layer: reads [`DomainCommand::stream_id`] (the target stream),
//! [`DomainCommand::referenced_stream_id`] (the problem or idea a new idea or distribution
//! refers to) and the hub (from the command for hub commands and framing, otherwise from the
//! target's state), loads those states from their streams, calls [`decide`], and appends the
//! events to the target stream (all events of one decision belong to that one stream).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::distribution::{self, DistributionCommand, DistributionState};
use crate::error::DomainError;
use crate::event::DomainEvent;
use crate::hub::{self, HubCommand, HubState};
use crate::idea::{self, IdeaCommand, IdeaState};
use crate::ids::{HubId, MemberId};
use crate::problem::{self, ProblemCommand, ProblemState};

/// A command to any aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "aggregate", content = "command", rename_all = "snake_case")]
pub enum DomainCommand {
    /// A hub command.
    Hub(HubCommand),
    /// A problem command.
    Problem(ProblemCommand),
    /// An idea command.
    Idea(IdeaCommand),
    /// A distribution command.
    Distribution(DistributionCommand),
}

/// The states a decision may need. Missing target states count as "not yet created".
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The hub.
    pub hub: &'a HubState,
    /// The problem: the target of a problem command, or the problem an idea is proposed for.
    pub problem: Option<&'a ProblemState>,
    /// The idea: the target of an idea command, or the idea a distribution is proposed for.
    pub idea: Option<&'a IdeaState>,
    /// The distribution: the target of a distribution command.
    pub distribution: Option<&'a DistributionState>,
}

impl<'a> Context<'a> {
    /// A context with only the hub.
    pub fn hub(hub: &'a HubState) -> Self {
        Self {
            hub,
            problem: None,
            idea: None,
            distribution: None,
        }
    }
}

impl DomainCommand {
    /// The stream the resulting events are appended to.
    pub fn stream_id(&self) -> String {
        match self {
            DomainCommand::Hub(c) => c.hub_id().stream_id(),
            DomainCommand::Problem(c) => c.problem_id().stream_id(),
            DomainCommand::Idea(c) => c.idea_id().stream_id(),
            DomainCommand::Distribution(c) => c.distribution_id().stream_id(),
        }
    }

    /// The hub named by the command itself (hub commands and framing a problem).
    /// For other commands the hub is the target's (or referenced aggregate's) `hub_id`.
    pub fn hub_id(&self) -> Option<HubId> {
        match self {
            DomainCommand::Hub(c) => Some(c.hub_id()),
            DomainCommand::Problem(ProblemCommand::FrameProblem { hub_id, .. }) => Some(*hub_id),
            _ => None,
        }
    }

    /// The other stream a command refers to: the problem of a new idea, the idea of a new distribution.
    pub fn referenced_stream_id(&self) -> Option<String> {
        match self {
            DomainCommand::Idea(IdeaCommand::ProposeIdea { problem_id, .. }) => {
                Some(problem_id.stream_id())
            }
            DomainCommand::Distribution(DistributionCommand::ProposeDistribution {
                idea_id,
                ..
            }) => Some(idea_id.stream_id()),
            _ => None,
        }
    }

    /// Whether the command creates its aggregate (the target stream must be empty).
    pub fn creates_aggregate(&self) -> bool {
        matches!(
            self,
            DomainCommand::Hub(HubCommand::FoundHub { .. })
                | DomainCommand::Problem(ProblemCommand::FrameProblem { .. })
                | DomainCommand::Idea(IdeaCommand::ProposeIdea { .. })
                | DomainCommand::Distribution(DistributionCommand::ProposeDistribution { .. })
        )
    }

    /// The command's name, e.g. `frame_problem`.
    pub fn name(&self) -> String {
        let value = match self {
            DomainCommand::Hub(c) => serde_json::to_value(c),
            DomainCommand::Problem(c) => serde_json::to_value(c),
            DomainCommand::Idea(c) => serde_json::to_value(c),
            DomainCommand::Distribution(c) => serde_json::to_value(c),
        };
        value
            .ok()
            .and_then(|v| {
                v.get("command")
                    .and_then(|c| c.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default()
    }
}

/// Decides any command: routes it to its aggregate's decider with the states from `ctx`.
pub fn decide(
    ctx: &Context<'_>,
    command: &DomainCommand,
    actor: MemberId,
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    fn wrap<E: Into<DomainEvent>>(events: Vec<E>) -> Vec<DomainEvent> {
        events.into_iter().map(Into::into).collect()
    }
    match command {
        DomainCommand::Hub(c) => hub::decide(ctx.hub, c, actor, now).map(wrap),
        DomainCommand::Problem(c) => {
            let empty = ProblemState::default();
            let state = ctx.problem.unwrap_or(&empty);
            problem::decide(
                state,
                &problem::ProblemContext { hub: ctx.hub },
                c,
                actor,
                now,
            )
            .map(wrap)
        }
        DomainCommand::Idea(c) => {
            let empty = IdeaState::default();
            let state = ctx.idea.unwrap_or(&empty);
            let idea_ctx = idea::IdeaContext {
                hub: ctx.hub,
                problem: ctx.problem,
            };
            idea::decide(state, &idea_ctx, c, actor, now).map(wrap)
        }
        DomainCommand::Distribution(c) => {
            let empty = DistributionState::default();
            let state = ctx.distribution.unwrap_or(&empty);
            distribution::decide(
                state,
                &distribution::DistributionContext {
                    hub: ctx.hub,
                    idea: ctx.idea,
                },
                c,
                actor,
                now,
            )
            .map(wrap)
        }
    }
}

impl From<HubCommand> for DomainCommand {
    fn from(c: HubCommand) -> Self {
        DomainCommand::Hub(c)
    }
}

impl From<ProblemCommand> for DomainCommand {
    fn from(c: ProblemCommand) -> Self {
        DomainCommand::Problem(c)
    }
}

impl From<IdeaCommand> for DomainCommand {
    fn from(c: IdeaCommand) -> Self {
        DomainCommand::Idea(c)
    }
}

impl From<DistributionCommand> for DomainCommand {
    fn from(c: DistributionCommand) -> Self {
        DomainCommand::Distribution(c)
    }
}
