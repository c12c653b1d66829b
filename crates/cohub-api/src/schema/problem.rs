//! Problems: every version of the framing, perspectives, endorsements, stage history, heard.

use super::common::{Attribution, HeardStatus, PlainText, Scope};
use super::enums::{EvidenceKind, PerspectiveKind, ProblemStage};
use super::idea::Idea;
use async_graphql::{Object, SimpleObject};
use cohub_domain::problem::Framing;
use cohub_domain::{PerspectiveId, ProblemId};
use cohub_read::problem::{PerspectiveView, ProblemView};
use uuid::Uuid;

/// A framed health problem.
pub struct Problem {
    scope: Scope,
    id: ProblemId,
}

impl Problem {
    /// The problem `id` in `scope` (which must hold it).
    pub fn of(scope: &Scope, id: ProblemId) -> Self {
        Problem {
            scope: scope.clone(),
            id,
        }
    }

    fn view(&self) -> &ProblemView {
        self.scope
            .model
            .problem(self.id)
            .expect("a Problem is built only for a problem in its model")
    }
}

/// One version of a problem's framing.
#[derive(SimpleObject)]
pub struct ProblemVersion {
    /// The version (1, 2, ...).
    pub version: u32,
    /// A plain-language title.
    pub title: PlainText,
    /// The problem statement.
    pub statement: PlainText,
    /// Who is affected.
    pub affected: PlainText,
    /// Where.
    pub place: PlainText,
    /// Evidence: lived experience, data, clinical.
    pub evidence: Vec<Evidence>,
    /// Why it changed (none for version 1).
    pub rationale: Option<PlainText>,
    /// The perspectives this version's revision named as answered (ids).
    pub answers: Vec<Uuid>,
    /// Who wrote it (always the problem's framer), when.
    pub written: Attribution,
}

/// A piece of evidence for a framing.
#[derive(SimpleObject)]
pub struct Evidence {
    /// Its kind.
    pub kind: EvidenceKind,
    /// What it says.
    pub text: PlainText,
}

fn version(scope: &Scope, v: &cohub_read::problem::ProblemVersionView) -> ProblemVersion {
    let f: &Framing = &v.framing;
    ProblemVersion {
        version: v.version,
        title: (&f.title).into(),
        statement: (&f.statement).into(),
        affected: (&f.affected).into(),
        place: (&f.place).into(),
        evidence: f
            .evidence
            .iter()
            .map(|e| Evidence {
                kind: e.kind.into(),
                text: (&e.text).into(),
            })
            .collect(),
        rationale: v.rationale.as_ref().map(Into::into),
        answers: v.answers.iter().map(|p| p.uuid()).collect(),
        written: scope.attribution(&v.recorded),
    }
}

/// A perspective on a problem.
#[derive(SimpleObject)]
pub struct Perspective {
    /// Its id.
    pub id: Uuid,
    /// Its kind.
    pub kind: PerspectiveKind,
    /// What it says.
    pub text: PlainText,
    /// Who added it, for which organisation, when.
    pub added: Attribution,
    /// Whether it was acknowledged and answered, by whom and when.
    pub heard: HeardStatus,
}

impl Perspective {
    /// A perspective as the API shows it.
    pub fn new(scope: &Scope, p: &PerspectiveView) -> Self {
        Perspective {
            id: p.id.uuid(),
            kind: p.kind.into(),
            text: (&p.text).into(),
            added: scope.attribution(&p.recorded),
            heard: scope.heard(&p.heard),
        }
    }
}

/// A move of a problem between stages.
#[derive(SimpleObject)]
pub struct StageMove {
    /// From.
    pub from: ProblemStage,
    /// To.
    pub to: ProblemStage,
    /// Why.
    pub reason: PlainText,
    /// Who moved it, when.
    pub moved: Attribution,
}

/// A framed health problem: every version of its framing (nobody overwrites anyone's words),
/// perspectives, endorsements, its stage and stage history, and whether it was heard.
#[Object]
impl Problem {
    /// Its id.
    async fn id(&self) -> Uuid {
        self.id.uuid()
    }
    /// Its hub's id.
    async fn hub_id(&self) -> Uuid {
        self.view().hub_id.uuid()
    }
    /// The current stage.
    async fn stage(&self) -> ProblemStage {
        self.view().stage.into()
    }
    /// The latest version of the framing.
    async fn current(&self) -> ProblemVersion {
        version(&self.scope, self.view().latest())
    }
    /// Every version of the framing, oldest first: nobody overwrites anyone's words.
    async fn versions(&self) -> Vec<ProblemVersion> {
        self.view()
            .versions
            .iter()
            .map(|v| version(&self.scope, v))
            .collect()
    }
    /// Who framed it, for which organisation, when.
    async fn framed(&self) -> Attribution {
        self.scope.attribution(&self.view().framed)
    }
    /// Perspectives, in the order added.
    async fn perspectives(&self) -> Vec<Perspective> {
        self.view()
            .perspectives
            .iter()
            .map(|p| Perspective::new(&self.scope, p))
            .collect()
    }
    /// A perspective by id.
    async fn perspective(&self, id: Uuid) -> Option<Perspective> {
        self.view()
            .perspective(PerspectiveId::from_uuid(id))
            .map(|p| Perspective::new(&self.scope, p))
    }
    /// Endorsements ("this matters to us"), in order.
    async fn endorsements(&self) -> Vec<Attribution> {
        self.view()
            .endorsements
            .iter()
            .map(|r| self.scope.attribution(r))
            .collect()
    }
    /// Every stage move, with its reason, in order.
    async fn stage_history(&self) -> Vec<StageMove> {
        self.view()
            .stage_history
            .iter()
            .map(|m| StageMove {
                from: m.from.into(),
                to: m.to.into(),
                reason: (&m.reason).into(),
                moved: self.scope.attribution(&m.recorded),
            })
            .collect()
    }
    /// Whether the framing was acknowledged and answered, by whom and when.
    async fn heard(&self) -> HeardStatus {
        self.scope.heard(&self.view().heard)
    }
    /// Ideas proposed for it, in order.
    async fn ideas(&self) -> Vec<Idea> {
        self.view()
            .idea_ids
            .iter()
            .filter(|id| self.scope.model.idea(**id).is_some())
            .map(|id| Idea::of(&self.scope, *id))
            .collect()
    }
    /// Its latest event.
    async fn updated(&self) -> Attribution {
        self.scope.attribution(&self.view().updated)
    }
}
