//! Deciding which events an idea command produces.

use chrono::{DateTime, Utc};

use super::command::{IdeaCommand, IdeaContribution, IdeaOutcome};
use super::event::*;
use super::state::{IdeaState, IdeaStatus};
use crate::actor::{check_role_fits, resolve, Role};
use crate::error::{DomainError, Rule};
use crate::hub::HubState;
use crate::ids::MemberId;
use crate::problem::ProblemState;
use crate::text::TextLimit;
use crate::time::describe_seconds;

/// What an idea decision needs besides the idea's own state.
#[derive(Clone, Copy, Debug)]
pub struct IdeaContext<'a> {
    /// The hub the idea belongs to.
    pub hub: &'a HubState,
    /// The problem the idea answers (required to propose; optional otherwise).
    pub problem: Option<&'a ProblemState>,
}

/// Decides the events for an idea command by `actor` at `now`.
pub fn decide(
    state: &IdeaState,
    ctx: &IdeaContext<'_>,
    command: &IdeaCommand,
    actor: MemberId,
    now: DateTime<Utc>,
) -> Result<Vec<IdeaEvent>, DomainError> {
    if let IdeaCommand::ProposeIdea {
        idea_id,
        problem_id,
        title,
        summary,
        on_behalf_of,
    } = command
    {
        let who = resolve(ctx.hub, actor)?;
        let problem = ctx
            .problem
            .filter(|p| p.exists() && p.problem_id == *problem_id && p.hub_id == ctx.hub.hub_id)
            .ok_or_else(|| DomainError::not_found("There is no such problem in this hub."))?;
        if state.exists() {
            return Err(DomainError::conflict(
                "An idea with this id has already been proposed.",
            ));
        }
        if !problem.stage.accepts_ideas() {
            return Err(DomainError::rule_broken(
                Rule::ProblemNotOpenForIdeas,
                format!(
                    "This problem is {}, so it is not taking new ideas.",
                    problem.stage.words()
                ),
            ));
        }
        title.validate("title", TextLimit::Title)?;
        summary.validate("summary", TextLimit::Summary)?;
        if let Some(o) = on_behalf_of {
            if who.role != Role::Champion {
                return Err(DomainError::rule_broken(
                    Rule::OnlyChampionsSpeakForResidents,
                    "Only a community champion can propose an idea on behalf of residents.",
                ));
            }
            // A champion admitted before champions had to belong to a community organisation
            // still cannot act as one.
            check_role_fits(
                who.role,
                who.kind,
                &ctx.hub.organisation_name_or(who.organisation_id),
            )?;
            o.validate()?;
        }
        return Ok(vec![IdeaEvent::IdeaProposed(IdeaProposed {
            idea_id: *idea_id,
            problem_id: *problem_id,
            hub_id: ctx.hub.hub_id,
            version: 1,
            title: title.clone(),
            summary: summary.clone(),
            on_behalf_of: on_behalf_of.clone(),
            by: actor,
            at: now,
        })]);
    }

    if !state.exists()
        || !ctx.hub.exists()
        || state.hub_id != ctx.hub.hub_id
        || state.idea_id != command.idea_id()
    {
        return Err(DomainError::not_found("There is no such idea in this hub."));
    }
    let who = resolve(ctx.hub, actor)?;
    let idea_id = state.idea_id;
    let author = state.proposed_by.unwrap_or_default();
    let not_open = || {
        DomainError::rule_broken(
            Rule::IdeaNotOpen,
            format!(
                "This idea has been {}, so it takes no more changes.",
                match state.status {
                    IdeaStatus::Withdrawn => "withdrawn",
                    _ => "declined",
                }
            ),
        )
    };

    match command {
        IdeaCommand::ProposeIdea { .. } => unreachable!("handled above"),
        IdeaCommand::ReviseIdea {
            title,
            summary,
            rationale,
            answers,
            ..
        } => {
            if actor != author {
                return Err(DomainError::rule_broken(
                    Rule::NobodyRevisesAnothersWords,
                    "Only the person who proposed this idea can revise it. You can give feedback instead.",
                ));
            }
            if !state.status.is_open() {
                return Err(not_open());
            }
            title.validate("title", TextLimit::Title)?;
            summary.validate("summary", TextLimit::Summary)?;
            rationale.validate("rationale", TextLimit::Reason)?;
            crate::answer::check_named(
                answers,
                |id| state.feedback(id).map(|f| f.by),
                actor,
                "piece of feedback",
                "idea",
            )?;
            Ok(vec![IdeaEvent::IdeaRevised(IdeaRevised {
                idea_id,
                version: state.version() + 1,
                title: title.clone(),
                summary: summary.clone(),
                rationale: rationale.clone(),
                answers: answers.clone(),
                by: actor,
                at: now,
            })])
        }
        IdeaCommand::SupportIdea { .. } => {
            if !state.status.is_open() {
                return Err(not_open());
            }
            if state.supporters.iter().any(|s| s.by == actor) {
                return Err(DomainError::conflict("You already support this idea."));
            }
            Ok(vec![IdeaEvent::IdeaSupported(IdeaSupported {
                idea_id,
                by: actor,
                at: now,
            })])
        }
        IdeaCommand::GiveFeedback {
            feedback_id, text, ..
        } => {
            if !state.status.is_open() {
                return Err(not_open());
            }
            text.validate("feedback", TextLimit::Reason)?;
            if state.feedback(*feedback_id).is_some() {
                return Err(DomainError::conflict(
                    "Feedback with this id has already been given.",
                ));
            }
            Ok(vec![IdeaEvent::FeedbackGiven(FeedbackGiven {
                idea_id,
                feedback_id: *feedback_id,
                text: text.clone(),
                by: actor,
                at: now,
            })])
        }
        IdeaCommand::RespondToFeedback {
            feedback_id, text, ..
        } => {
            let feedback = state
                .feedback(*feedback_id)
                .ok_or_else(|| DomainError::not_found("There is no such feedback on this idea."))?;
            if actor != author {
                return Err(DomainError::forbidden(
                    "Only the person who proposed this idea can respond to its feedback.",
                ));
            }
            if feedback.response.is_some() {
                return Err(DomainError::conflict(
                    "You have already responded to this feedback.",
                ));
            }
            text.validate("response", TextLimit::Reason)?;
            Ok(vec![IdeaEvent::FeedbackResponded(FeedbackResponded {
                idea_id,
                feedback_id: *feedback_id,
                feedback_by: feedback.by,
                text: text.clone(),
                by: actor,
                at: now,
            })])
        }
        IdeaCommand::AcknowledgeIdeaContribution {
            contribution, note, ..
        } => {
            if let Some(note) = note {
                note.validate("note", TextLimit::Reason)?;
            }
            let contributor = match contribution {
                IdeaContribution::Idea => author,
                IdeaContribution::Feedback(id) => {
                    state
                        .feedback(*id)
                        .ok_or_else(|| {
                            DomainError::not_found("There is no such feedback on this idea.")
                        })?
                        .by
                }
            };
            crate::acknowledgement::check(
                contributor,
                actor,
                state
                    .acknowledgements
                    .iter()
                    .any(|a| a.contribution == *contribution && a.by == actor),
            )?;
            Ok(vec![IdeaEvent::IdeaContributionAcknowledged(
                IdeaContributionAcknowledged {
                    idea_id,
                    contribution: *contribution,
                    author: contributor,
                    note: note.clone(),
                    by: actor,
                    at: now,
                },
            )])
        }
        IdeaCommand::RecordIdeaDecision {
            outcome, decision, ..
        } => {
            if !who.is_facilitator() {
                return Err(DomainError::forbidden(
                    "Only a facilitator can record a decision on an idea.",
                ));
            }
            match (state.status, outcome) {
                (IdeaStatus::Withdrawn, _) => return Err(not_open()),
                (IdeaStatus::Declined, _) | (IdeaStatus::Shortlisted, IdeaOutcome::Shortlist) => {
                    return Err(DomainError::rule_broken(
                        Rule::IdeaAlreadyDecided,
                        "A decision has already been recorded for this idea.",
                    ))
                }
                _ => {}
            }
            decision.validate()?;
            for p in &decision.preferences {
                if !ctx.hub.organisations.contains_key(&p.organisation_id) {
                    return Err(DomainError::not_found(
                        "A preference names an organisation that is not part of this hub.",
                    ));
                }
            }
            let started = state.deliberation_started_at().unwrap_or(now);
            let earliest = started + ctx.hub.minimum_deliberation();
            if now < earliest {
                return Err(DomainError::rule_broken(
                    Rule::MinimumDeliberationTime,
                    format!(
                        "The hub gives every version of an idea at least {} of deliberation before a decision, counted from its latest revision. This one can be decided from {}.",
                        describe_seconds(ctx.hub.minimum_deliberation_seconds),
                        earliest.format("%-d %B %Y at %H:%M UTC")
                    ),
                ));
            }
            let version = state.version();
            Ok(vec![match outcome {
                IdeaOutcome::Shortlist => IdeaEvent::IdeaShortlisted(IdeaShortlisted {
                    idea_id,
                    version,
                    decision: decision.clone(),
                    by: actor,
                    at: now,
                }),
                IdeaOutcome::Decline => IdeaEvent::IdeaDeclined(IdeaDeclined {
                    idea_id,
                    version,
                    decision: decision.clone(),
                    by: actor,
                    at: now,
                }),
            }])
        }
        IdeaCommand::WithdrawIdea { reason, .. } => {
            if actor != author {
                return Err(DomainError::forbidden(
                    "Only the person who proposed this idea can withdraw it.",
                ));
            }
            match state.status {
                IdeaStatus::Withdrawn => {
                    return Err(DomainError::conflict("This idea has already been withdrawn."))
                }
                IdeaStatus::Shortlisted | IdeaStatus::Declined => {
                    return Err(DomainError::rule_broken(
                        Rule::IdeaAlreadyDecided,
                        "A decision has been recorded on this idea, so it can no longer be withdrawn.",
                    ))
                }
                IdeaStatus::Proposed => {}
            }
            reason.validate("reason", TextLimit::Reason)?;
            Ok(vec![IdeaEvent::IdeaWithdrawn(IdeaWithdrawn {
                idea_id,
                reason: reason.clone(),
                by: actor,
                at: now,
            })])
        }
    }
}
