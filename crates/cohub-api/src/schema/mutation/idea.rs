//! Idea mutations: propose, revise, support, feedback and responses, acknowledge, decide,
//! withdraw.

use super::{execute, id_or_new, missing, Done};
use crate::error::ApiError;
use crate::schema::common::{PlainTextInput, Receipt};
use crate::schema::enums::IdeaOutcome;
use crate::schema::idea::{Feedback, Idea};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use cohub_domain::idea::{Decision, IdeaCommand, IdeaContribution, OnBehalfOf, StatedPreference};
use cohub_domain::{FeedbackId, IdeaId, OrganisationId, ProblemId};
use uuid::Uuid;

/// Residents a champion proposes on behalf of.
#[derive(InputObject)]
pub struct OnBehalfOfInput {
    /// Which residents, in plain words (up to 2000 characters).
    pub residents: PlainTextInput,
    /// Whether they asked not to be named (the description then names no one).
    #[graphql(default = false)]
    pub anonymous: bool,
    /// How the residents agreed to be represented, in plain words (up to 2000 characters),
    /// e.g. "at the tenants' meeting on 20 February".
    pub how_residents_agreed: PlainTextInput,
}

/// Propose an idea for a problem (any member; only champions on behalf of residents).
#[derive(InputObject)]
pub struct ProposeIdeaInput {
    /// The problem it answers.
    pub problem_id: Uuid,
    /// The new idea's id (a new one if not given).
    pub idea_id: Option<Uuid>,
    /// A plain-language title (up to 200 characters).
    pub title: PlainTextInput,
    /// A summary (up to 4000 characters).
    pub summary: PlainTextInput,
    /// When a champion proposes on behalf of residents.
    pub on_behalf_of: Option<OnBehalfOfInput>,
}

/// Revise an idea as a new version (its proposer only).
#[derive(InputObject)]
pub struct ReviseIdeaInput {
    /// The idea.
    pub idea_id: Uuid,
    /// The new title.
    pub title: PlainTextInput,
    /// The new summary.
    pub summary: PlainTextInput,
    /// Why it changed.
    pub rationale: PlainTextInput,
    /// The feedback on this idea the revision answers (other people's, each once; an unknown
    /// one is `NOT_FOUND`). Feedback it does not name stays unanswered.
    #[graphql(default)]
    pub answers: Vec<Uuid>,
}

/// Support an idea (once per member).
#[derive(InputObject)]
pub struct SupportIdeaInput {
    /// The idea.
    pub idea_id: Uuid,
}

/// Give feedback on an idea (any member).
#[derive(InputObject)]
pub struct GiveFeedbackInput {
    /// The idea.
    pub idea_id: Uuid,
    /// The new feedback's id (a new one if not given).
    pub feedback_id: Option<Uuid>,
    /// What it says (up to 2000 characters).
    pub text: PlainTextInput,
}

/// Respond to feedback (the idea's proposer, once per feedback).
#[derive(InputObject)]
pub struct RespondToFeedbackInput {
    /// The idea.
    pub idea_id: Uuid,
    /// The feedback.
    pub feedback_id: Uuid,
    /// The response (up to 2000 characters).
    pub text: PlainTextInput,
}

/// Acknowledge someone else's contribution to an idea: the idea, or a piece of feedback.
#[derive(InputObject)]
pub struct AcknowledgeIdeaContributionInput {
    /// The idea.
    pub idea_id: Uuid,
    /// The feedback to acknowledge; without it, the idea itself.
    pub feedback_id: Option<Uuid>,
    /// An optional note (a note also answers the contribution).
    pub note: Option<PlainTextInput>,
}

/// A preference stated during a decision.
#[derive(InputObject)]
pub struct StatedPreferenceInput {
    /// The organisation that stated it.
    pub organisation_id: Uuid,
    /// What it prefers (up to 2000 characters).
    pub preference: PlainTextInput,
}

/// A shared decision: the options considered, the preferences stated, the rationale.
#[derive(InputObject)]
pub struct DecisionInput {
    /// The options considered (1 to 20).
    pub options_considered: Vec<PlainTextInput>,
    /// The preferences stated (1 to 50).
    pub preferences: Vec<StatedPreferenceInput>,
    /// Why this was decided (up to 2000 characters).
    pub rationale: PlainTextInput,
}

/// Shortlist or decline an idea with a recorded decision (facilitators, after the hub's
/// minimum deliberation time).
#[derive(InputObject)]
pub struct RecordIdeaDecisionInput {
    /// The idea.
    pub idea_id: Uuid,
    /// Shortlist or decline.
    pub outcome: IdeaOutcome,
    /// The decision record.
    pub decision: DecisionInput,
}

/// Withdraw an idea (its proposer, before any decision).
#[derive(InputObject)]
pub struct WithdrawIdeaInput {
    /// The idea.
    pub idea_id: Uuid,
    /// Why.
    pub reason: PlainTextInput,
}

/// What an idea mutation changed.
#[derive(SimpleObject)]
pub struct IdeaPayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The idea, after the change.
    pub idea: Idea,
}

/// What giving or answering feedback changed.
#[derive(SimpleObject)]
pub struct FeedbackPayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The idea, after the change.
    pub idea: Idea,
    /// The feedback thread.
    pub feedback: Feedback,
}

fn idea_payload(done: Done) -> Result<IdeaPayload, ApiError> {
    let id = IdeaId::from_stream_id(&done.raw.stream_id).ok_or_else(|| missing("idea"))?;
    done.model.idea(id).ok_or_else(|| missing("idea"))?;
    Ok(IdeaPayload {
        idea: Idea::of(&done.scope(), id),
        receipt: done.receipt,
    })
}

fn feedback_payload(done: Done, feedback: Option<FeedbackId>) -> Result<FeedbackPayload, ApiError> {
    let id = IdeaId::from_stream_id(&done.raw.stream_id).ok_or_else(|| missing("idea"))?;
    let view = done.model.idea(id).ok_or_else(|| missing("idea"))?;
    let scope = done.scope();
    let thread = match feedback {
        Some(f) => view.feedback(f),
        None => view
            .feedback
            .iter()
            .find(|f| done.wrote(f.given.position))
            .map(AsRef::as_ref),
    }
    .ok_or_else(|| missing("feedback"))?;
    Ok(FeedbackPayload {
        feedback: Feedback::new(&scope, thread),
        idea: Idea::of(&scope, id),
        receipt: done.receipt,
    })
}

/// Idea mutations.
#[derive(Default)]
pub struct IdeaMutation;

#[Object]
impl IdeaMutation {
    /// Propose an idea for a problem (any member; a champion may propose on behalf of residents).
    async fn propose_idea(
        &self,
        ctx: &Context<'_>,
        input: ProposeIdeaInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<IdeaPayload, ApiError> {
        let command = IdeaCommand::ProposeIdea {
            idea_id: IdeaId::from_uuid(id_or_new(input.idea_id)),
            problem_id: ProblemId::from_uuid(input.problem_id),
            title: input.title.into(),
            summary: input.summary.into(),
            on_behalf_of: input.on_behalf_of.map(|o| OnBehalfOf {
                residents: o.residents.into(),
                anonymous: o.anonymous,
                how_residents_agreed: Some(o.how_residents_agreed.into()),
            }),
        };
        idea_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Revise an idea as a new version with a rationale (its proposer only), naming the
    /// feedback it answers.
    async fn revise_idea(
        &self,
        ctx: &Context<'_>,
        input: ReviseIdeaInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<IdeaPayload, ApiError> {
        let command = IdeaCommand::ReviseIdea {
            idea_id: IdeaId::from_uuid(input.idea_id),
            title: input.title.into(),
            summary: input.summary.into(),
            rationale: input.rationale.into(),
            answers: input
                .answers
                .into_iter()
                .map(FeedbackId::from_uuid)
                .collect(),
        };
        idea_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Support an idea (once per member).
    async fn support_idea(
        &self,
        ctx: &Context<'_>,
        input: SupportIdeaInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<IdeaPayload, ApiError> {
        let command = IdeaCommand::SupportIdea {
            idea_id: IdeaId::from_uuid(input.idea_id),
        };
        idea_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Give feedback on an idea (any member).
    async fn give_feedback(
        &self,
        ctx: &Context<'_>,
        input: GiveFeedbackInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<FeedbackPayload, ApiError> {
        let command = IdeaCommand::GiveFeedback {
            idea_id: IdeaId::from_uuid(input.idea_id),
            feedback_id: FeedbackId::from_uuid(id_or_new(input.feedback_id)),
            text: input.text.into(),
        };
        feedback_payload(
            execute(ctx, command, idempotency_key, expected_version).await?,
            None,
        )
    }

    /// Respond to feedback (the idea's proposer, once per feedback).
    async fn respond_to_feedback(
        &self,
        ctx: &Context<'_>,
        input: RespondToFeedbackInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<FeedbackPayload, ApiError> {
        let feedback = FeedbackId::from_uuid(input.feedback_id);
        let command = IdeaCommand::RespondToFeedback {
            idea_id: IdeaId::from_uuid(input.idea_id),
            feedback_id: feedback,
            text: input.text.into(),
        };
        feedback_payload(
            execute(ctx, command, idempotency_key, expected_version).await?,
            Some(feedback),
        )
    }

    /// Acknowledge someone else's contribution (the idea, or a piece of feedback).
    async fn acknowledge_idea_contribution(
        &self,
        ctx: &Context<'_>,
        input: AcknowledgeIdeaContributionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<IdeaPayload, ApiError> {
        let command = IdeaCommand::AcknowledgeIdeaContribution {
            idea_id: IdeaId::from_uuid(input.idea_id),
            contribution: match input.feedback_id {
                Some(id) => IdeaContribution::Feedback(FeedbackId::from_uuid(id)),
                None => IdeaContribution::Idea,
            },
            note: input.note.map(Into::into),
        };
        idea_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Shortlist or decline an idea, recording the options, preferences and rationale
    /// (facilitators, after the hub's minimum deliberation time).
    async fn record_idea_decision(
        &self,
        ctx: &Context<'_>,
        input: RecordIdeaDecisionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<IdeaPayload, ApiError> {
        let d = input.decision;
        let command = IdeaCommand::RecordIdeaDecision {
            idea_id: IdeaId::from_uuid(input.idea_id),
            outcome: input.outcome.into(),
            decision: Decision {
                options_considered: d.options_considered.into_iter().map(Into::into).collect(),
                preferences: d
                    .preferences
                    .into_iter()
                    .map(|p| StatedPreference {
                        organisation_id: OrganisationId::from_uuid(p.organisation_id),
                        preference: p.preference.into(),
                    })
                    .collect(),
                rationale: d.rationale.into(),
            },
        };
        idea_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Withdraw an idea, with a reason (its proposer, before any decision).
    async fn withdraw_idea(
        &self,
        ctx: &Context<'_>,
        input: WithdrawIdeaInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<IdeaPayload, ApiError> {
        let command = IdeaCommand::WithdrawIdea {
            idea_id: IdeaId::from_uuid(input.idea_id),
            reason: input.reason.into(),
        };
        idea_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }
}
