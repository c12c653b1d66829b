//! Deciding which events a problem command produces.

use chrono::{DateTime, Utc};

use super::command::{ProblemCommand, ProblemContribution};
use super::event::*;
use super::state::ProblemState;
use crate::actor::resolve;
use crate::error::{DomainError, Rule};
use crate::hub::HubState;
use crate::ids::MemberId;
use crate::text::TextLimit;

/// What a problem decision needs besides the problem's own state.
#[derive(Clone, Copy, Debug)]
pub struct ProblemContext<'a> {
    /// The hub the problem belongs to (or is being framed in).
    pub hub: &'a HubState,
}

/// Decides the events for a problem command by `actor` at `now`.
pub fn decide(
    state: &ProblemState,
    ctx: &ProblemContext<'_>,
    command: &ProblemCommand,
    actor: MemberId,
    now: DateTime<Utc>,
) -> Result<Vec<ProblemEvent>, DomainError> {
    if let ProblemCommand::FrameProblem {
        problem_id,
        hub_id,
        framing,
    } = command
    {
        if !ctx.hub.exists() || ctx.hub.hub_id != *hub_id {
            return Err(DomainError::not_found("This hub does not exist."));
        }
        resolve(ctx.hub, actor)?;
        if state.exists() {
            return Err(DomainError::conflict(
                "A problem with this id has already been framed.",
            ));
        }
        framing.validate()?;
        return Ok(vec![ProblemEvent::ProblemFramed(ProblemFramed {
            problem_id: *problem_id,
            hub_id: *hub_id,
            version: 1,
            framing: framing.clone(),
            by: actor,
            at: now,
        })]);
    }

    if !state.exists()
        || !ctx.hub.exists()
        || state.hub_id != ctx.hub.hub_id
        || state.problem_id != command.problem_id()
    {
        return Err(DomainError::not_found(
            "There is no such problem in this hub.",
        ));
    }
    let who = resolve(ctx.hub, actor)?;
    let problem_id = state.problem_id;
    let closed = || {
        DomainError::rule_broken(
            Rule::ProblemClosed,
            "This problem is closed. It must be reopened before it can take new contributions.",
        )
    };

    match command {
        ProblemCommand::FrameProblem { .. } => unreachable!("handled above"),
        ProblemCommand::AddPerspective {
            perspective_id,
            kind,
            text,
            ..
        } => {
            if state.stage == super::ProblemStage::Closed {
                return Err(closed());
            }
            text.validate("perspective", TextLimit::Reason)?;
            if state.perspective(*perspective_id).is_some() {
                return Err(DomainError::conflict(
                    "A perspective with this id has already been added.",
                ));
            }
            Ok(vec![ProblemEvent::PerspectiveAdded(PerspectiveAdded {
                problem_id,
                perspective_id: *perspective_id,
                kind: *kind,
                text: text.clone(),
                by: actor,
                at: now,
            })])
        }
        ProblemCommand::ReviseProblem {
            framing,
            rationale,
            answers,
            ..
        } => {
            if state.framed_by != Some(actor) {
                return Err(DomainError::rule_broken(
                    Rule::NobodyRevisesAnothersWords,
                    "Only the person who framed this problem can revise it. You can add a perspective instead.",
                ));
            }
            if state.stage == super::ProblemStage::Closed {
                return Err(closed());
            }
            framing.validate()?;
            rationale.validate("rationale", TextLimit::Reason)?;
            crate::answer::check_named(
                answers,
                |id| state.perspective(id).map(|p| p.by),
                actor,
                "perspective",
                "problem",
            )?;
            Ok(vec![ProblemEvent::ProblemRevised(ProblemRevised {
                problem_id,
                version: state.version() + 1,
                framing: framing.clone(),
                rationale: rationale.clone(),
                answers: answers.clone(),
                by: actor,
                at: now,
            })])
        }
        ProblemCommand::EndorseProblem { .. } => {
            if state.stage == super::ProblemStage::Closed {
                return Err(closed());
            }
            if state.endorsements.iter().any(|e| e.by == actor) {
                return Err(DomainError::conflict(
                    "You have already said this problem matters to you.",
                ));
            }
            Ok(vec![ProblemEvent::ProblemEndorsed(ProblemEndorsed {
                problem_id,
                by: actor,
                at: now,
            })])
        }
        ProblemCommand::MoveProblemStage { to, reason, .. } => {
            if state.framed_by != Some(actor) && !who.is_facilitator() {
                return Err(DomainError::forbidden(
                    "Only the person who framed this problem or a facilitator can move it to another stage.",
                ));
            }
            reason.validate("reason", TextLimit::Reason)?;
            if !state.stage.can_move_to(*to) {
                return Err(DomainError::rule_broken(
                    Rule::StageTransitionNotAllowed,
                    format!(
                        "A problem cannot move from {} to {}.",
                        state.stage.words(),
                        to.words()
                    ),
                ));
            }
            Ok(vec![ProblemEvent::ProblemStageMoved(ProblemStageMoved {
                problem_id,
                from: state.stage,
                to: *to,
                reason: reason.clone(),
                by: actor,
                at: now,
            })])
        }
        ProblemCommand::AcknowledgeProblemContribution {
            contribution, note, ..
        } => {
            if let Some(note) = note {
                note.validate("note", TextLimit::Reason)?;
            }
            let author = match contribution {
                ProblemContribution::Problem => state.framed_by.unwrap_or_default(),
                ProblemContribution::Perspective(id) => {
                    state
                        .perspective(*id)
                        .ok_or_else(|| {
                            DomainError::not_found("There is no such perspective on this problem.")
                        })?
                        .by
                }
            };
            crate::acknowledgement::check(
                author,
                actor,
                state
                    .acknowledgements
                    .iter()
                    .any(|a| a.contribution == *contribution && a.by == actor),
            )?;
            Ok(vec![ProblemEvent::ProblemContributionAcknowledged(
                ProblemContributionAcknowledged {
                    problem_id,
                    contribution: *contribution,
                    author,
                    note: note.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
    }
}
