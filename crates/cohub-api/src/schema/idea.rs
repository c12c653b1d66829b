//! Ideas: versions, on-behalf-of, supports, feedback threads with responses, decisions.

use super::common::{Attribution, HeardStatus, Party, PlainText, Scope};
use super::context::{caller, commands};
use super::distribution::Distribution;
use super::enums::{IdeaOutcome, IdeaStatus};
use super::problem::Problem;
use crate::error::ApiError;
use async_graphql::{Context, Object, SimpleObject};
use cohub_command::CommandError;
use cohub_domain::idea::IdeaCommand;
use cohub_domain::MemberId;
use cohub_domain::{FeedbackId, IdeaId};
use cohub_read::idea::{FeedbackThread, IdeaView};
use uuid::Uuid;

/// An idea proposed for a problem.
pub struct Idea {
    scope: Scope,
    id: IdeaId,
}

impl Idea {
    /// The idea `id` in `scope` (which must hold it).
    pub fn of(scope: &Scope, id: IdeaId) -> Self {
        Idea {
            scope: scope.clone(),
            id,
        }
    }

    fn view(&self) -> &IdeaView {
        self.scope
            .model
            .idea(self.id)
            .expect("an Idea is built only for an idea in its model")
    }
}

/// One version of an idea.
#[derive(SimpleObject)]
pub struct IdeaVersion {
    /// The version (1, 2, ...).
    pub version: u32,
    /// Its title.
    pub title: PlainText,
    /// Its summary.
    pub summary: PlainText,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// The feedback this version's revision named as answered (ids).
    pub answers: Vec<Uuid>,
    /// Who wrote it (always the idea's proposer), when.
    pub written: Attribution,
}

/// Residents a champion proposed an idea on behalf of.
#[derive(SimpleObject)]
pub struct OnBehalfOf {
    /// Which residents, in plain words.
    pub residents: PlainText,
    /// Whether they asked not to be named.
    pub anonymous: bool,
    /// How the residents agreed to be represented; null when it was not recorded (proposals
    /// made before cohub asked for it).
    pub how_residents_agreed: Option<PlainText>,
}

/// A response in a feedback thread.
#[derive(SimpleObject)]
pub struct FeedbackResponse {
    /// The response.
    pub text: PlainText,
    /// Who responded, when.
    pub responded: Attribution,
}

/// A piece of feedback on an idea and the responses to it.
#[derive(SimpleObject)]
pub struct Feedback {
    /// Its id.
    pub id: Uuid,
    /// What it says.
    pub text: PlainText,
    /// Who gave it, for which organisation, when.
    pub given: Attribution,
    /// Responses, in order.
    pub responses: Vec<FeedbackResponse>,
    /// Whether it was acknowledged and answered, by whom and when.
    pub heard: HeardStatus,
}

impl Feedback {
    /// A feedback thread as the API shows it.
    pub fn new(scope: &Scope, f: &FeedbackThread) -> Self {
        Feedback {
            id: f.id.uuid(),
            text: (&f.text).into(),
            given: scope.attribution(&f.given),
            responses: f
                .responses
                .iter()
                .map(|r| FeedbackResponse {
                    text: (&r.text).into(),
                    responded: scope.attribution(&r.recorded),
                })
                .collect(),
            heard: scope.heard(&f.heard),
        }
    }
}

/// A preference stated during a decision, and whose it was.
#[derive(SimpleObject)]
pub struct StatedPreference {
    /// The organisation that stated it.
    pub organisation: Party,
    /// What it prefers.
    pub preference: PlainText,
}

/// A recorded decision on an idea: options, preferences, rationale.
#[derive(SimpleObject)]
pub struct IdeaDecision {
    /// Shortlist or decline.
    pub outcome: IdeaOutcome,
    /// The idea's version decided on.
    pub version: u32,
    /// The options considered.
    pub options_considered: Vec<PlainText>,
    /// The preferences stated.
    pub preferences: Vec<StatedPreference>,
    /// Why this was decided.
    pub rationale: PlainText,
    /// Seconds of deliberation, from the idea's latest version (its proposal or latest
    /// revision) to the decision: the time the hub's minimum applies to.
    pub deliberation_seconds: i64,
    /// The hub's minimum deliberation time when it was decided.
    pub minimum_deliberation_seconds: u64,
    /// Who recorded it, when.
    pub recorded: Attribution,
}

/// Why and by whom something was withdrawn.
#[derive(SimpleObject)]
pub struct Withdrawal {
    /// Why.
    pub reason: PlainText,
    /// Who withdrew it, when.
    pub withdrawn: Attribution,
}

impl Withdrawal {
    /// A withdrawal as the API shows it.
    pub fn new(scope: &Scope, w: &cohub_read::Withdrawal) -> Self {
        Withdrawal {
            reason: (&w.reason).into(),
            withdrawn: scope.attribution(&w.recorded),
        }
    }
}

/// What the caller may do to an idea's feedback now, as the domain decides it.
#[derive(Debug, Default, SimpleObject)]
pub struct IdeaActions {
    /// Give feedback on it.
    pub give_feedback: bool,
    /// The feedback threads they may respond to (as the idea's proposer).
    pub respond_to: Vec<Uuid>,
}

/// An idea proposed for a problem: versions, supports, feedback threads with responses,
/// recorded decisions, status, and whether it was heard.
#[Object]
impl Idea {
    /// What the caller may do to its feedback now, each as the domain itself decides it on
    /// the current state (nothing is recorded): give feedback, respond to which threads.
    /// Nothing for a past moment or without a token.
    async fn viewer_may(&self, ctx: &Context<'_>) -> Result<IdeaActions, ApiError> {
        let mut may = IdeaActions::default();
        let (Some(auth), None) = (caller(ctx), self.scope.moment) else {
            return Ok(may);
        };
        let commands = commands(ctx)?;
        let actor = MemberId::from_uuid(auth.member_id);
        let permits = |command: IdeaCommand| {
            let commands = commands.clone();
            async move {
                match commands.permits(actor, &command.into()).await {
                    Ok(()) => Ok(true),
                    Err(CommandError::Domain(_)) => Ok(false),
                    Err(e) => Err(ApiError::from(e)),
                }
            }
        };
        // A stand-in text: only the permission is asked, and any text is allowed.
        let words = || cohub_domain::PlainText::en("-");
        may.give_feedback = permits(IdeaCommand::GiveFeedback {
            idea_id: self.id,
            feedback_id: FeedbackId::new(),
            text: words(),
        })
        .await?;
        for thread in &self.view().feedback {
            if permits(IdeaCommand::RespondToFeedback {
                idea_id: self.id,
                feedback_id: thread.id,
                text: words(),
            })
            .await?
            {
                may.respond_to.push(thread.id.uuid());
            }
        }
        Ok(may)
    }
    /// Its id.
    async fn id(&self) -> Uuid {
        self.id.uuid()
    }
    /// Its hub's id.
    async fn hub_id(&self) -> Uuid {
        self.view().hub_id.uuid()
    }
    /// The problem it answers.
    async fn problem_id(&self) -> Uuid {
        self.view().problem_id.uuid()
    }
    /// The problem it answers.
    async fn problem(&self) -> Option<Problem> {
        let id = self.view().problem_id;
        self.scope
            .model
            .problem(id)
            .map(|_| Problem::of(&self.scope, id))
    }
    /// Its status.
    async fn status(&self) -> IdeaStatus {
        self.view().status.into()
    }
    /// The latest version.
    async fn current(&self) -> IdeaVersion {
        version(&self.scope, self.view().latest())
    }
    /// Every version, oldest first.
    async fn versions(&self) -> Vec<IdeaVersion> {
        self.view()
            .versions
            .iter()
            .map(|v| version(&self.scope, v))
            .collect()
    }
    /// Who proposed it, for which organisation, when.
    async fn proposed(&self) -> Attribution {
        self.scope.attribution(&self.view().proposed)
    }
    /// When a champion proposed it on behalf of residents.
    async fn on_behalf_of(&self) -> Option<OnBehalfOf> {
        self.view().on_behalf_of.as_ref().map(|o| OnBehalfOf {
            residents: (&o.residents).into(),
            anonymous: o.anonymous,
            how_residents_agreed: o.how_residents_agreed.as_ref().map(Into::into),
        })
    }
    /// Supports, in order.
    async fn supports(&self) -> Vec<Attribution> {
        self.view()
            .supports
            .iter()
            .map(|r| self.scope.attribution(r))
            .collect()
    }
    /// Feedback threads with their responses, in order.
    async fn feedback(&self) -> Vec<Feedback> {
        self.view()
            .feedback
            .iter()
            .map(|f| Feedback::new(&self.scope, f))
            .collect()
    }
    /// A feedback thread by id.
    async fn feedback_thread(&self, id: Uuid) -> Option<Feedback> {
        self.view()
            .feedback(FeedbackId::from_uuid(id))
            .map(|f| Feedback::new(&self.scope, f))
    }
    /// Recorded decisions (shortlist or decline), in order.
    async fn decisions(&self) -> Vec<IdeaDecision> {
        self.view()
            .decisions
            .iter()
            .map(|d| IdeaDecision {
                outcome: d.outcome.into(),
                version: d.version,
                options_considered: d
                    .decision
                    .options_considered
                    .iter()
                    .map(Into::into)
                    .collect(),
                preferences: d
                    .decision
                    .preferences
                    .iter()
                    .map(|p| StatedPreference {
                        organisation: self.scope.party(p.organisation_id),
                        preference: (&p.preference).into(),
                    })
                    .collect(),
                rationale: (&d.decision.rationale).into(),
                deliberation_seconds: d.deliberation_seconds,
                minimum_deliberation_seconds: d.minimum_deliberation_seconds,
                recorded: self.scope.attribution(&d.recorded),
            })
            .collect()
    }
    /// Why and by whom it was withdrawn, if it was.
    async fn withdrawal(&self) -> Option<Withdrawal> {
        self.view()
            .withdrawal
            .as_ref()
            .map(|w| Withdrawal::new(&self.scope, w))
    }
    /// Whether the idea was acknowledged and answered, by whom and when.
    async fn heard(&self) -> HeardStatus {
        self.scope.heard(&self.view().heard)
    }
    /// Cost/reward distributions proposed for it, in order.
    async fn distributions(&self) -> Vec<Distribution> {
        self.view()
            .distribution_ids
            .iter()
            .filter(|id| self.scope.model.distribution(**id).is_some())
            .map(|id| Distribution::of(&self.scope, *id))
            .collect()
    }
    /// Its latest event.
    async fn updated(&self) -> Attribution {
        self.scope.attribution(&self.view().updated)
    }
}

fn version(scope: &Scope, v: &cohub_read::idea::IdeaVersionView) -> IdeaVersion {
    IdeaVersion {
        version: v.version,
        title: (&v.title).into(),
        summary: (&v.summary).into(),
        rationale: v.rationale.as_ref().map(Into::into),
        answers: v.answers.iter().map(|f| f.uuid()).collect(),
        written: scope.attribution(&v.recorded),
    }
}
