//! Types shared by every area: plain-language text, attribution, "heard", receipts, paging.

use crate::error::ApiError;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{InputObject, Object, OutputType, SimpleObject};
use chrono::{DateTime, Utc};
use cohub_domain::{HubId, MemberId, Names, OrganisationId};
use cohub_read::heard::{Answer, Heard};
use cohub_read::{ReadModel, Recorded};
use std::sync::Arc;
use uuid::Uuid;

/// Items on a page when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The most items one page may hold.
pub const MAX_PAGE_SIZE: usize = 100;

/// A piece of plain-language text and the language it was written in.
#[derive(Debug, Clone, SimpleObject)]
pub struct PlainText {
    /// The words, as written.
    pub text: String,
    /// The BCP-47 language tag, e.g. `en`, `ur`, `pa-Guru-IN`.
    pub lang: String,
}

impl From<&cohub_domain::PlainText> for PlainText {
    fn from(t: &cohub_domain::PlainText) -> Self {
        PlainText {
            text: t.text.clone(),
            lang: t.lang.clone(),
        }
    }
}

/// Plain-language text as written, with its language (`en` if not given). Titles may hold
/// 200 characters, reasons and feedback 2000, statements and terms 4000.
#[derive(Debug, Clone, InputObject)]
pub struct PlainTextInput {
    /// The words: not empty, no leading or trailing spaces, no control characters but newline
    /// and tab.
    pub text: String,
    /// The BCP-47 language tag, e.g. `en`, `ur`, `pa-Guru-IN`.
    #[graphql(default_with = "String::from(\"en\")")]
    pub lang: String,
}

impl From<PlainTextInput> for cohub_domain::PlainText {
    fn from(t: PlainTextInput) -> Self {
        cohub_domain::PlainText::new(t.text, t.lang)
    }
}

/// The read model an object was read from, and its hub (for names).
#[derive(Clone)]
pub struct Scope {
    /// The model (live, or as of a past moment).
    pub model: Arc<ReadModel>,
    /// The hub.
    pub hub: HubId,
    /// The moment a past model stands at (`None`: the live model, now).
    pub moment: Option<chrono::DateTime<chrono::Utc>>,
}

impl Scope {
    /// A scope on the live model.
    pub fn new(model: Arc<ReadModel>, hub: HubId) -> Self {
        Scope {
            model,
            hub,
            moment: None,
        }
    }

    /// A scope on a model as it stood at `moment` (`None`: live).
    pub fn at(
        model: Arc<ReadModel>,
        hub: HubId,
        moment: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        Scope { model, hub, moment }
    }

    /// "Now" for this scope: the moment a past read stands at, else the server clock, so that
    /// how long a contribution had waited is counted as it stood then.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.moment.unwrap_or_else(chrono::Utc::now)
    }

    /// A member's name, if the hub knows them.
    pub fn member_name(&self, id: MemberId) -> Option<String> {
        self.model.hub(self.hub).and_then(|h| h.member_name(id))
    }

    /// An organisation's name, if the hub knows it.
    pub fn organisation_name(&self, id: OrganisationId) -> Option<String> {
        self.model
            .hub(self.hub)
            .and_then(|h| h.organisation_name(id))
    }

    /// Attribution of a recorded event.
    pub fn attribution(&self, rec: &Recorded) -> Attribution {
        Attribution {
            scope: self.clone(),
            rec: rec.clone(),
        }
    }

    /// A party (organisation) by id.
    pub fn party(&self, id: OrganisationId) -> Party {
        Party {
            scope: self.clone(),
            id,
        }
    }

    /// "Heard" of a contribution.
    pub fn heard(&self, heard: &Heard) -> HeardStatus {
        HeardStatus {
            scope: self.clone(),
            heard: heard.clone(),
        }
    }
}

/// Who did something, for which organisation, when, and where it stands in the log.
pub struct Attribution {
    scope: Scope,
    rec: Recorded,
}

/// Who did something, for which organisation, when, and where it stands in the log.
#[Object]
impl Attribution {
    /// The member who acted.
    async fn member_id(&self) -> Uuid {
        self.rec.member_id.uuid()
    }
    /// Their name ("someone" if the hub does not know them).
    async fn member_name(&self) -> String {
        self.scope
            .member_name(self.rec.member_id)
            .unwrap_or_else(|| "someone".into())
    }
    /// Their organisation at the time, if any.
    async fn organisation_id(&self) -> Option<Uuid> {
        self.rec.organisation_id.map(|o| o.uuid())
    }
    /// Its name.
    async fn organisation_name(&self) -> Option<String> {
        self.rec
            .organisation_id
            .and_then(|o| self.scope.organisation_name(o))
    }
    /// Their role at the time (`facilitator`, `lead`, `champion`, `member`).
    async fn role(&self) -> &str {
        &self.rec.role
    }
    /// When the server recorded it.
    async fn at(&self) -> DateTime<Utc> {
        self.rec.at
    }
    /// The event's global position in the log.
    async fn position(&self) -> u64 {
        self.rec.position
    }
    /// The event's sequence in its hub's hash chain.
    async fn hub_seq(&self) -> u64 {
        self.rec.hub_seq
    }
    /// The event's id.
    async fn event_id(&self) -> Uuid {
        self.rec.event_id
    }
}

/// An organisation named in something (a party, an objector, a preference).
pub struct Party {
    scope: Scope,
    id: OrganisationId,
}

/// An organisation named in something (a party, an objector, a preference).
#[Object]
impl Party {
    /// The organisation.
    async fn organisation_id(&self) -> Uuid {
        self.id.uuid()
    }
    /// Its name.
    async fn name(&self) -> Option<String> {
        self.scope.organisation_name(self.id)
    }
    /// Its stakeholder kind.
    async fn kind(&self) -> Option<super::enums::StakeholderKind> {
        self.scope
            .model
            .hub(self.scope.hub)
            .and_then(|h| h.organisation(self.id))
            .map(|o| o.kind.into())
    }
}

/// Whether a contribution was acknowledged and answered, by whom and when.
pub struct HeardStatus {
    scope: Scope,
    heard: Heard,
}

/// An acknowledgement of a contribution.
pub struct AcknowledgementView {
    scope: Scope,
    note: Option<cohub_domain::PlainText>,
    rec: Recorded,
}

/// An acknowledgement of a contribution.
#[Object(name = "Acknowledgement")]
impl AcknowledgementView {
    /// The note that came with it, if any (a note also answers the contribution).
    async fn note(&self) -> Option<PlainText> {
        self.note.as_ref().map(Into::into)
    }
    /// Who acknowledged it, when.
    async fn by(&self) -> Attribution {
        self.scope.attribution(&self.rec)
    }
}

/// The first answer to a contribution.
pub struct AnswerView {
    scope: Scope,
    answer: Answer,
}

/// The first answer to a contribution: a reply in words from someone other than its author.
#[Object(name = "Answer")]
impl AnswerView {
    /// How it was answered.
    async fn kind(&self) -> super::enums::AnswerKind {
        self.answer.kind.into()
    }
    /// Who answered, when.
    async fn by(&self) -> Attribution {
        self.scope.attribution(&self.answer.recorded)
    }
}

/// Whether a contribution was acknowledged and answered, by whom and when.
#[Object(name = "Heard")]
impl HeardStatus {
    /// Whether anyone acknowledged it.
    async fn acknowledged(&self) -> bool {
        !self.heard.acknowledgements.is_empty()
    }
    /// Whether it has been answered.
    async fn answered(&self) -> bool {
        self.heard.is_answered()
    }
    /// Every acknowledgement, in order.
    async fn acknowledgements(&self) -> Vec<AcknowledgementView> {
        self.heard
            .acknowledgements
            .iter()
            .map(|a| AcknowledgementView {
                scope: self.scope.clone(),
                note: a.note.clone(),
                rec: a.recorded.clone(),
            })
            .collect()
    }
    /// The first answer, once there is one.
    async fn answer(&self) -> Option<AnswerView> {
        self.heard.answer.as_ref().map(|a| AnswerView {
            scope: self.scope.clone(),
            answer: a.clone(),
        })
    }
}

/// Where a command's events landed in the log.
#[derive(Debug, Clone, SimpleObject)]
pub struct Receipt {
    /// The hub whose chain the events joined.
    pub hub_id: Uuid,
    /// The aggregate stream, e.g. `problem-<uuid>`.
    pub stream_id: String,
    /// The ids of the appended events, in order.
    pub event_ids: Vec<Uuid>,
    /// Global position of the first appended event.
    pub first_position: u64,
    /// Global position of the last appended event.
    pub last_position: u64,
    /// The hub chain's sequence of the last appended event.
    pub hub_seq: u64,
    /// The stream's version after the append (pass it as `expectedVersion` next time).
    pub stream_version: u64,
    /// Hex SHA-256 of the last appended event: the hub's chain head after this append.
    pub hash: String,
    /// When the events were recorded.
    pub recorded_at: DateTime<Utc>,
    /// True when the idempotency key had been used before: this is the first attempt's
    /// receipt, and nothing new was appended.
    pub replayed: bool,
}

impl Receipt {
    /// The receipt of an outcome.
    pub fn of(outcome: &cohub_command::Outcome) -> Self {
        let r = &outcome.receipt;
        Receipt {
            hub_id: r.hub_id,
            stream_id: r.stream_id.clone(),
            event_ids: r.event_ids.clone(),
            first_position: r.first_position,
            last_position: r.last_position,
            hub_seq: r.last_hub_seq,
            stream_version: r.stream_version,
            hash: r.hash.clone(),
            recorded_at: r.recorded_at,
            replayed: outcome.replayed,
        }
    }
}

/// A page request: `first` (1 to 100, 20 if not given) items after the cursor `after`.
pub fn page_args(
    first: Option<i32>,
    after: Option<String>,
) -> Result<(usize, Option<u64>), ApiError> {
    let first = match first {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if n < 1 => {
            return Err(ApiError::Validation(
                "`first` must be at least 1".to_string(),
            ))
        }
        Some(n) if n as usize > MAX_PAGE_SIZE => {
            return Err(ApiError::Limit(format!(
                "a page holds at most {MAX_PAGE_SIZE} items; ask for `first: {MAX_PAGE_SIZE}` or fewer and follow `pageInfo.endCursor`"
            )))
        }
        Some(n) => n as usize,
    };
    let after = after
        .map(|c| {
            c.parse::<u64>().map_err(|_| {
                ApiError::Validation(format!(
                    "\"{c}\" is not a cursor from this list; pass a `cursor` or `pageInfo.endCursor` you were given"
                ))
            })
        })
        .transpose()?;
    Ok((first, after))
}

/// The page shape handed to the read models: one more than asked, to know if there is more.
pub fn read_page(first: usize, after: Option<u64>) -> cohub_read::Page {
    cohub_read::Page::new(after, first + 1)
}

/// Builds a connection from items fetched with [`read_page`] (`first + 1` at most).
pub fn connection<T, N: OutputType>(
    items: Vec<T>,
    first: usize,
    after: Option<u64>,
    cursor: impl Fn(&T) -> u64,
    node: impl Fn(T) -> N,
) -> Connection<String, N> {
    let has_next = items.len() > first;
    let mut conn = Connection::new(after.is_some(), has_next);
    conn.edges.extend(
        items
            .into_iter()
            .take(first)
            .map(|i| Edge::new(cursor(&i).to_string(), node(i))),
    );
    conn
}
