//! Problem mutations: frame, add a perspective, revise, endorse, move stage, acknowledge.

use super::{execute, id_or_new, missing, Done};
use crate::error::ApiError;
use crate::schema::common::{PlainTextInput, Receipt};
use crate::schema::enums::{EvidenceKind, PerspectiveKind, ProblemStage};
use crate::schema::problem::{Perspective, Problem};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use cohub_domain::problem::{Evidence, Framing, ProblemCommand, ProblemContribution};
use cohub_domain::{HubId, PerspectiveId, ProblemId};
use uuid::Uuid;

/// A piece of evidence for a framing.
#[derive(InputObject)]
pub struct EvidenceInput {
    /// Its kind.
    pub kind: EvidenceKind,
    /// What it says (up to 2000 characters).
    pub text: PlainTextInput,
}

/// How a problem is framed.
#[derive(InputObject)]
pub struct FramingInput {
    /// A plain-language title (up to 200 characters).
    pub title: PlainTextInput,
    /// The problem statement (up to 4000 characters).
    pub statement: PlainTextInput,
    /// Who is affected (up to 2000 characters).
    pub affected: PlainTextInput,
    /// Where (up to 200 characters).
    pub place: PlainTextInput,
    /// Evidence (at most 20 pieces).
    #[graphql(default)]
    pub evidence: Vec<EvidenceInput>,
}

impl From<FramingInput> for Framing {
    fn from(f: FramingInput) -> Self {
        Framing {
            title: f.title.into(),
            statement: f.statement.into(),
            affected: f.affected.into(),
            place: f.place.into(),
            evidence: f
                .evidence
                .into_iter()
                .map(|e| Evidence {
                    kind: e.kind.into(),
                    text: e.text.into(),
                })
                .collect(),
        }
    }
}

/// Frame a new problem in a hub (any member).
#[derive(InputObject)]
pub struct FrameProblemInput {
    /// The hub.
    pub hub_id: Uuid,
    /// The new problem's id (a new one if not given).
    pub problem_id: Option<Uuid>,
    /// The framing.
    pub framing: FramingInput,
}

/// Add a perspective to a problem (any member).
#[derive(InputObject)]
pub struct AddPerspectiveInput {
    /// The problem.
    pub problem_id: Uuid,
    /// The new perspective's id (a new one if not given).
    pub perspective_id: Option<Uuid>,
    /// Its kind.
    pub kind: PerspectiveKind,
    /// What it says (up to 2000 characters).
    pub text: PlainTextInput,
}

/// Revise a problem's framing as a new version (its framer only).
#[derive(InputObject)]
pub struct ReviseProblemInput {
    /// The problem.
    pub problem_id: Uuid,
    /// The new framing.
    pub framing: FramingInput,
    /// Why it changed.
    pub rationale: PlainTextInput,
    /// The perspectives on this problem the revision answers (other people's, each once; an
    /// unknown one is `NOT_FOUND`). Perspectives it does not name stay unanswered.
    #[graphql(default)]
    pub answers: Vec<Uuid>,
}

/// Say "this matters to us" (once per member).
#[derive(InputObject)]
pub struct EndorseProblemInput {
    /// The problem.
    pub problem_id: Uuid,
}

/// Move a problem to another stage, with a reason (its framer or a facilitator).
#[derive(InputObject)]
pub struct MoveProblemStageInput {
    /// The problem.
    pub problem_id: Uuid,
    /// The new stage.
    pub to: ProblemStage,
    /// Why.
    pub reason: PlainTextInput,
}

/// Acknowledge someone else's contribution to a problem: its framing, or a perspective.
#[derive(InputObject)]
pub struct AcknowledgeProblemContributionInput {
    /// The problem.
    pub problem_id: Uuid,
    /// The perspective to acknowledge; without it, the framing itself.
    pub perspective_id: Option<Uuid>,
    /// An optional note (a note also answers the contribution).
    pub note: Option<PlainTextInput>,
}

/// What a problem mutation changed.
#[derive(SimpleObject)]
pub struct ProblemPayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The problem, after the change.
    pub problem: Problem,
}

/// What adding a perspective changed.
#[derive(SimpleObject)]
pub struct PerspectivePayload {
    /// Where the events landed.
    pub receipt: Receipt,
    /// The problem, after the change.
    pub problem: Problem,
    /// The new perspective.
    pub perspective: Perspective,
}

fn problem_payload(done: Done) -> Result<ProblemPayload, ApiError> {
    let id = ProblemId::from_stream_id(&done.raw.stream_id).ok_or_else(|| missing("problem"))?;
    done.model.problem(id).ok_or_else(|| missing("problem"))?;
    Ok(ProblemPayload {
        problem: Problem::of(&done.scope(), id),
        receipt: done.receipt,
    })
}

/// Problem mutations.
#[derive(Default)]
pub struct ProblemMutation;

#[Object]
impl ProblemMutation {
    /// Frame a new problem in a hub (any member).
    async fn frame_problem(
        &self,
        ctx: &Context<'_>,
        input: FrameProblemInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<ProblemPayload, ApiError> {
        let command = ProblemCommand::FrameProblem {
            problem_id: ProblemId::from_uuid(id_or_new(input.problem_id)),
            hub_id: HubId::from_uuid(input.hub_id),
            framing: input.framing.into(),
        };
        problem_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Add a perspective: lived experience, social causes, clinical, commissioning or data
    /// (any member).
    async fn add_perspective(
        &self,
        ctx: &Context<'_>,
        input: AddPerspectiveInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<PerspectivePayload, ApiError> {
        let command = ProblemCommand::AddPerspective {
            problem_id: ProblemId::from_uuid(input.problem_id),
            perspective_id: PerspectiveId::from_uuid(id_or_new(input.perspective_id)),
            kind: input.kind.into(),
            text: input.text.into(),
        };
        let done = execute(ctx, command, idempotency_key, expected_version).await?;
        let scope = done.scope();
        let view = done
            .model
            .problem(ProblemId::from_uuid(input.problem_id))
            .ok_or_else(|| missing("problem"))?;
        let p = view
            .perspectives
            .iter()
            .find(|p| done.wrote(p.recorded.position))
            .ok_or_else(|| missing("perspective"))?;
        Ok(PerspectivePayload {
            perspective: Perspective::new(&scope, p),
            problem: Problem::of(&scope, view.id),
            receipt: done.receipt,
        })
    }

    /// Revise the framing as a new version with a rationale (its framer only), naming the
    /// perspectives it answers; earlier versions stay readable.
    async fn revise_problem(
        &self,
        ctx: &Context<'_>,
        input: ReviseProblemInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<ProblemPayload, ApiError> {
        let command = ProblemCommand::ReviseProblem {
            problem_id: ProblemId::from_uuid(input.problem_id),
            framing: input.framing.into(),
            rationale: input.rationale.into(),
            answers: input
                .answers
                .into_iter()
                .map(PerspectiveId::from_uuid)
                .collect(),
        };
        problem_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Say "this matters to us" (once per member).
    async fn endorse_problem(
        &self,
        ctx: &Context<'_>,
        input: EndorseProblemInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<ProblemPayload, ApiError> {
        let command = ProblemCommand::EndorseProblem {
            problem_id: ProblemId::from_uuid(input.problem_id),
        };
        problem_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Move the problem to another stage, with a reason (its framer or a facilitator).
    async fn move_problem_stage(
        &self,
        ctx: &Context<'_>,
        input: MoveProblemStageInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<ProblemPayload, ApiError> {
        let command = ProblemCommand::MoveProblemStage {
            problem_id: ProblemId::from_uuid(input.problem_id),
            to: input.to.into(),
            reason: input.reason.into(),
        };
        problem_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }

    /// Acknowledge someone else's contribution (the framing, or a perspective).
    async fn acknowledge_problem_contribution(
        &self,
        ctx: &Context<'_>,
        input: AcknowledgeProblemContributionInput,
        idempotency_key: Option<String>,
        expected_version: Option<u64>,
    ) -> Result<ProblemPayload, ApiError> {
        let command = ProblemCommand::AcknowledgeProblemContribution {
            problem_id: ProblemId::from_uuid(input.problem_id),
            contribution: match input.perspective_id {
                Some(id) => ProblemContribution::Perspective(PerspectiveId::from_uuid(id)),
                None => ProblemContribution::Problem,
            },
            note: input.note.map(Into::into),
        };
        problem_payload(execute(ctx, command, idempotency_key, expected_version).await?)
    }
}
