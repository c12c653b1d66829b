//! Hubs: their public face (id, name, purpose) and, for members, organisations, members,
//! charters, and the hub's problems, ideas, distributions, contributions and activity.

use super::activity::{activity_connection, ActivityEntry, ActivityFilterInput};
use super::common::{connection, page_args, read_page, Attribution, PlainText, Scope};
use super::context::{
    moment_of, projector, read_at, requested_point, require_hub_member, require_member, visible,
};
use super::distribution::Distribution;
use super::enums::{
    DistributionStatus, IdeaStatus, MemberStatus, ProblemStage, Role, StakeholderKind,
};
use super::heard::{contributions_connection, Contribution, ContributionsInfo};
use super::idea::Idea;
use super::problem::Problem;
use crate::error::ApiError;
use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use cohub_audit::PointRead;
use cohub_domain::{DistributionId, HubId, IdeaId, MemberId, OrganisationId, ProblemId};
use cohub_read::hub::{HubView, MemberChange, MemberView, OrganisationView};
use cohub_read::ReadModel;
use std::sync::Arc;
use uuid::Uuid;

/// A co-innovation hub. `id`, `name`, `purpose` and `founded` are public; everything else
/// needs a bearer token of a member of this hub (`UNAUTHENTICATED` without one, `FORBIDDEN`
/// for anyone else).
pub struct Hub {
    scope: Scope,
}

impl Hub {
    /// The hub `id` in `model`, if it exists there.
    pub fn load(model: Arc<ReadModel>, id: HubId) -> Option<Hub> {
        Self::load_at(model, id, None)
    }

    /// The hub `id` in a model standing at `moment` (`None`: live), if it exists there.
    pub fn load_at(model: Arc<ReadModel>, id: HubId, moment: Option<DateTime<Utc>>) -> Option<Hub> {
        model.hub(id)?;
        Some(Hub {
            scope: Scope::at(model, id, moment),
        })
    }

    fn view(&self) -> &HubView {
        self.scope
            .model
            .hub(self.scope.hub)
            .expect("a Hub is built only for a hub in its model")
    }

    fn members_only(&self, ctx: &Context<'_>) -> Result<&HubView, ApiError> {
        require_hub_member(ctx, self.scope.hub)?;
        Ok(self.view())
    }
}

/// A co-innovation hub. `id`, `name`, `purpose` and `foundedAt` are public; every other field
/// needs a bearer token of a member of this hub (`UNAUTHENTICATED` without a token,
/// `FORBIDDEN` for anyone who is not a member).
#[Object]
impl Hub {
    /// The hub's id.
    async fn id(&self) -> Uuid {
        self.scope.hub.uuid()
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.view().name
    }
    /// Its purpose, in plain language.
    async fn purpose(&self) -> PlainText {
        (&self.view().purpose).into()
    }
    /// When it was founded.
    async fn founded_at(&self) -> DateTime<Utc> {
        self.view().founded.at
    }
    /// The log position this view of the hub stands at (the latest event folded in, or the
    /// `asOf`/`atPosition` asked for). Members only.
    async fn as_of_position(&self, ctx: &Context<'_>) -> Result<u64, ApiError> {
        self.members_only(ctx)?;
        Ok(self.scope.model.position())
    }
    /// Who founded it, when. Members only.
    async fn founded(&self, ctx: &Context<'_>) -> Result<Attribution, ApiError> {
        let v = self.members_only(ctx)?;
        Ok(self.scope.attribution(&v.founded))
    }
    /// The hub's latest event. Members only.
    async fn updated(&self, ctx: &Context<'_>) -> Result<Attribution, ApiError> {
        let v = self.members_only(ctx)?;
        Ok(self.scope.attribution(&v.updated))
    }
    /// Organisations, in the order they were admitted (optionally of one kind). Members only.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        kind: Option<StakeholderKind>,
    ) -> Result<Vec<Organisation>, ApiError> {
        let v = self.members_only(ctx)?;
        let kind = kind.map(cohub_domain::StakeholderKind::from);
        Ok(v.organisations_in_order()
            .into_iter()
            .filter(|o| kind.is_none_or(|k| o.kind == k))
            .map(|o| Organisation::new(&self.scope, o))
            .collect())
    }
    /// An organisation by id. Members only.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> Result<Option<Organisation>, ApiError> {
        let v = self.members_only(ctx)?;
        Ok(v.organisation(OrganisationId::from_uuid(id))
            .map(|o| Organisation::new(&self.scope, o)))
    }
    /// Members, in the order they were admitted (optionally of one organisation or status;
    /// removed members stay, marked removed). Members only.
    async fn members(
        &self,
        ctx: &Context<'_>,
        organisation_id: Option<Uuid>,
        status: Option<MemberStatus>,
    ) -> Result<Vec<Member>, ApiError> {
        let v = self.members_only(ctx)?;
        let status = status.map(cohub_domain::hub::MemberStatus::from);
        Ok(
            v.members_in_order(organisation_id.map(OrganisationId::from_uuid))
                .into_iter()
                .filter(|m| status.is_none_or(|s| m.status == s))
                .map(|m| Member::new(&self.scope, m))
                .collect(),
        )
    }
    /// A member by id. Members only.
    async fn member(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Member>, ApiError> {
        let v = self.members_only(ctx)?;
        Ok(v.member(MemberId::from_uuid(id))
            .map(|m| Member::new(&self.scope, m)))
    }
    /// The charter in force, if one was adopted. Members only.
    async fn charter(&self, ctx: &Context<'_>) -> Result<Option<Charter>, ApiError> {
        let v = self.members_only(ctx)?;
        Ok(v.charter().map(|c| Charter::new(&self.scope, c)))
    }
    /// Every version of the charter, oldest first. Members only.
    async fn charters(&self, ctx: &Context<'_>) -> Result<Vec<Charter>, ApiError> {
        let v = self.members_only(ctx)?;
        Ok(v.charters
            .iter()
            .map(|c| Charter::new(&self.scope, c))
            .collect())
    }
    /// The minimum deliberation time in seconds before a decision or agreement (0 = none).
    /// Members only.
    async fn minimum_deliberation_seconds(&self, ctx: &Context<'_>) -> Result<u64, ApiError> {
        Ok(self.members_only(ctx)?.minimum_deliberation_seconds)
    }
    /// Every setting of the minimum deliberation time, in order. Members only.
    async fn deliberation_settings(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<DeliberationSetting>, ApiError> {
        let v = self.members_only(ctx)?;
        Ok(v.deliberation_settings
            .iter()
            .map(|s| DeliberationSetting {
                seconds: s.seconds,
                set: self.scope.attribution(&s.recorded),
            })
            .collect())
    }
    /// The hub's problems in the order they were framed, optionally in one stage. Members only.
    async fn problems(
        &self,
        ctx: &Context<'_>,
        stage: Option<ProblemStage>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Problem>, ApiError> {
        self.members_only(ctx)?;
        let (first, after) = page_args(first, after)?;
        let m = &self.scope.model;
        let items = m.problems(
            self.scope.hub,
            stage.map(Into::into),
            read_page(first, after),
        );
        Ok(connection(
            items,
            first,
            after,
            |p| p.cursor(),
            |p| Problem::of(&self.scope, p.id),
        ))
    }
    /// The hub's ideas in the order they were proposed, optionally for one problem and in one
    /// status. Members only.
    async fn ideas(
        &self,
        ctx: &Context<'_>,
        problem_id: Option<Uuid>,
        status: Option<IdeaStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Idea>, ApiError> {
        self.members_only(ctx)?;
        let (first, after) = page_args(first, after)?;
        let items = self.scope.model.ideas(
            self.scope.hub,
            problem_id.map(ProblemId::from_uuid),
            status.map(Into::into),
            read_page(first, after),
        );
        Ok(connection(
            items,
            first,
            after,
            |i| i.cursor(),
            |i| Idea::of(&self.scope, i.id),
        ))
    }
    /// The hub's cost/reward distributions in the order they were proposed, optionally for one
    /// idea and in one status. Members only.
    async fn distributions(
        &self,
        ctx: &Context<'_>,
        idea_id: Option<Uuid>,
        status: Option<DistributionStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Distribution>, ApiError> {
        self.members_only(ctx)?;
        let (first, after) = page_args(first, after)?;
        let items = self.scope.model.distributions(
            self.scope.hub,
            idea_id.map(IdeaId::from_uuid),
            status.map(Into::into),
            read_page(first, after),
        );
        Ok(connection(
            items,
            first,
            after,
            |d| d.cursor(),
            |d| Distribution::of(&self.scope, d.id),
        ))
    }
    /// "Feeling heard": every contribution (a framing, a perspective, an idea, feedback, an
    /// objection) in the order made, each with who acknowledged and answered it and when;
    /// `unansweredOnly` lists those nobody has answered yet, with the days each has waited.
    /// Members only.
    async fn contributions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unanswered_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Contribution, ContributionsInfo>, ApiError> {
        self.members_only(ctx)?;
        let (first, after) = page_args(first, after)?;
        Ok(contributions_connection(
            &self.scope,
            unanswered_only,
            first,
            after,
        ))
    }
    /// The hub's activity feed: every event with who, when, its type and a plain-language
    /// summary, oldest first (or newest first), filterable for audit. Members only.
    async fn activity(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActivityFilterInput>,
        #[graphql(default = false)] newest_first: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ActivityEntry>, ApiError> {
        self.members_only(ctx)?;
        let (first, after) = page_args(first, after)?;
        let store = super::context::store(ctx)?;
        activity_connection(&*store, &self.scope, filter, newest_first, first, after).await
    }
}

/// An organisation of a hub.
pub struct Organisation {
    scope: Scope,
    view: OrganisationView,
}

impl Organisation {
    /// An organisation of the hub in `scope`.
    pub fn new(scope: &Scope, view: &OrganisationView) -> Self {
        Organisation {
            scope: scope.clone(),
            view: view.clone(),
        }
    }
}

/// An organisation admitted to a hub, with its stakeholder kind.
#[Object]
impl Organisation {
    /// Its id.
    async fn id(&self) -> Uuid {
        self.view.id.uuid()
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.view.name
    }
    /// Its stakeholder kind.
    async fn kind(&self) -> StakeholderKind {
        self.view.kind.into()
    }
    /// Who admitted it, when.
    async fn admitted(&self) -> Attribution {
        self.scope.attribution(&self.view.admitted)
    }
    /// Its members, in the order they were admitted.
    async fn members(&self) -> Vec<Member> {
        self.scope
            .model
            .hub(self.scope.hub)
            .map(|h| {
                h.members_in_order(Some(self.view.id))
                    .into_iter()
                    .map(|m| Member::new(&self.scope, m))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A person who is a member of a hub.
pub struct Member {
    scope: Scope,
    view: MemberView,
}

impl Member {
    /// A member of the hub in `scope`.
    pub fn new(scope: &Scope, view: &MemberView) -> Self {
        Member {
            scope: scope.clone(),
            view: view.clone(),
        }
    }
}

/// A person who is a member of a hub, through an organisation.
#[Object]
impl Member {
    /// Their id (the subject of their bearer tokens).
    async fn id(&self) -> Uuid {
        self.view.id.uuid()
    }
    /// Their name.
    async fn name(&self) -> &str {
        &self.view.name
    }
    /// Their organisation's id.
    async fn organisation_id(&self) -> Uuid {
        self.view.organisation_id.uuid()
    }
    /// Their organisation's name.
    async fn organisation_name(&self) -> Option<String> {
        self.scope.organisation_name(self.view.organisation_id)
    }
    /// Their current role.
    async fn role(&self) -> Role {
        self.view.role.into()
    }
    /// Whether they may take part.
    async fn status(&self) -> MemberStatus {
        self.view.status.into()
    }
    /// Who admitted them, when.
    async fn admitted(&self) -> Attribution {
        self.scope.attribution(&self.view.admitted)
    }
    /// Role changes, suspensions, reinstatements and removal, in order.
    async fn history(&self) -> Vec<MemberHistoryEntry> {
        self.view
            .history
            .iter()
            .map(|h| {
                let (change, from, to, reason) = match &h.change {
                    MemberChange::RoleChanged { from, to } => (
                        "role_changed",
                        Some((*from).into()),
                        Some((*to).into()),
                        None,
                    ),
                    MemberChange::Suspended { reason } => {
                        ("suspended", None, None, Some(reason.into()))
                    }
                    MemberChange::Reinstated => ("reinstated", None, None, None),
                    MemberChange::Removed { reason } => {
                        ("removed", None, None, Some(reason.into()))
                    }
                };
                MemberHistoryEntry {
                    change: change.to_string(),
                    from_role: from,
                    to_role: to,
                    reason,
                    by: self.scope.attribution(&h.recorded),
                }
            })
            .collect()
    }
}

/// One change to a member's standing.
#[derive(async_graphql::SimpleObject)]
pub struct MemberHistoryEntry {
    /// `role_changed`, `suspended`, `reinstated` or `removed`.
    pub change: String,
    /// The role before (role changes).
    pub from_role: Option<Role>,
    /// The role after (role changes).
    pub to_role: Option<Role>,
    /// Why (suspensions and removals).
    pub reason: Option<PlainText>,
    /// Who changed it, when.
    pub by: Attribution,
}

/// A version of a hub's charter.
#[derive(async_graphql::SimpleObject)]
pub struct Charter {
    /// The version (1, 2, ...).
    pub version: u32,
    /// The text.
    pub text: PlainText,
    /// Who adopted it, when.
    pub adopted: Attribution,
}

impl Charter {
    fn new(scope: &Scope, c: &cohub_read::hub::CharterView) -> Self {
        Charter {
            version: c.version,
            text: (&c.text).into(),
            adopted: scope.attribution(&c.adopted),
        }
    }
}

/// A setting of the minimum deliberation time.
#[derive(async_graphql::SimpleObject)]
pub struct DeliberationSetting {
    /// Seconds (0 = none).
    pub seconds: u64,
    /// Who set it, when.
    pub set: Attribution,
}

/// Queries for hubs and the things in them.
#[derive(Debug, Default)]
pub struct HubQuery;

#[Object]
impl HubQuery {
    /// Every hub, in the order they were founded. Public: anyone may see which hubs exist and
    /// their `id`, `name`, `purpose` and `foundedAt`; the rest of each hub is for its members.
    async fn hubs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Hub>, ApiError> {
        let (first, after) = page_args(first, after)?;
        let model = super::context::projector(ctx)?.current();
        let ids: Vec<(u64, HubId)> = model
            .hubs(read_page(first, after))
            .into_iter()
            .map(|h| (h.cursor(), h.id))
            .collect();
        Ok(connection(
            ids,
            first,
            after,
            |(c, _)| *c,
            |(_, id)| Hub {
                scope: Scope::new(model.clone(), id),
            },
        ))
    }

    /// A hub by id, now or as it stood at a past time (`asOf`) or log position
    /// (`atPosition`); null if it did not exist then. Now, its public fields need no token; a
    /// past moment is for members of the hub only (checked before anything is replayed).
    async fn hub(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        as_of: Option<DateTime<Utc>>,
        at_position: Option<u64>,
    ) -> Result<Option<Hub>, ApiError> {
        let hub = HubId::from_uuid(id);
        if as_of.is_none() && at_position.is_none() {
            return Ok(Hub::load(projector(ctx)?.current(), hub));
        }
        require_hub_member(ctx, hub)?;
        let point = requested_point(ctx, as_of, at_position).await?;
        let read = read_at(ctx, point, hub).await?;
        let moment = moment_of(point, &read.model);
        Ok(Hub::load_at(read.model, hub, moment))
    }

    /// A problem by id (now, or as of a past time or position). Members of its hub only: for
    /// anyone else it is null, as if it did not exist.
    async fn problem(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        as_of: Option<DateTime<Utc>>,
        at_position: Option<u64>,
    ) -> Result<Option<Problem>, ApiError> {
        let id = ProblemId::from_uuid(id);
        let Some((read, moment, hub)) =
            visible_read(ctx, |m| m.problem(id).map(|p| p.hub_id), as_of, at_position).await?
        else {
            return Ok(None);
        };
        let Some(p) = read.model.problem(id) else {
            return Ok(None);
        };
        let scope = Scope::at(read.model.clone(), hub, moment);
        Ok(Some(Problem::of(&scope, p.id)))
    }

    /// An idea by id (now, or as of a past time or position). Members of its hub only: for
    /// anyone else it is null, as if it did not exist.
    async fn idea(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        as_of: Option<DateTime<Utc>>,
        at_position: Option<u64>,
    ) -> Result<Option<Idea>, ApiError> {
        let id = IdeaId::from_uuid(id);
        let Some((read, moment, hub)) =
            visible_read(ctx, |m| m.idea(id).map(|i| i.hub_id), as_of, at_position).await?
        else {
            return Ok(None);
        };
        let Some(i) = read.model.idea(id) else {
            return Ok(None);
        };
        let scope = Scope::at(read.model.clone(), hub, moment);
        Ok(Some(Idea::of(&scope, i.id)))
    }

    /// A cost/reward distribution by id (now, or as of a past time or position). Members of
    /// its hub only: for anyone else it is null, as if it did not exist.
    async fn distribution(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        as_of: Option<DateTime<Utc>>,
        at_position: Option<u64>,
    ) -> Result<Option<Distribution>, ApiError> {
        let id = DistributionId::from_uuid(id);
        let Some((read, moment, hub)) = visible_read(
            ctx,
            |m| m.distribution(id).map(|d| d.hub_id),
            as_of,
            at_position,
        )
        .await?
        else {
            return Ok(None);
        };
        let Some(d) = read.model.distribution(id) else {
            return Ok(None);
        };
        let scope = Scope::at(read.model.clone(), hub, moment);
        Ok(Some(Distribution::of(&scope, d.id)))
    }
}

/// For a read of one thing by id: signs the caller in, finds the thing's hub in the live model
/// (nothing is ever deleted, so a thing of the past is a thing of now) and checks the caller
/// may see it, all before anything is replayed; then reads the model at the moment asked for.
/// `None` when the thing does not exist or is in a hub the caller cannot see (the same
/// answer for both).
async fn visible_read(
    ctx: &Context<'_>,
    hub_of: impl Fn(&ReadModel) -> Option<HubId>,
    as_of: Option<DateTime<Utc>>,
    at_position: Option<u64>,
) -> Result<Option<(PointRead, Option<DateTime<Utc>>, HubId)>, ApiError> {
    let auth = require_member(ctx)?;
    let Some(hub) = hub_of(&projector(ctx)?.current()) else {
        return Ok(None);
    };
    if !visible(ctx, &auth, hub)? {
        return Ok(None);
    }
    let point = requested_point(ctx, as_of, at_position).await?;
    let read = read_at(ctx, point, hub).await?;
    let moment = moment_of(point, &read.model);
    Ok(Some((read, moment, hub)))
}
