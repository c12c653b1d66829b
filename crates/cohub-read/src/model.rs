//! The read model: every hub, problem, idea and distribution view and each hub's feed, folded
//! from the log one envelope at a time.
//!
//! Entities sit behind `Arc`s and feeds in shared chunks, so cloning a model (for a snapshot or
//! to publish it to readers) copies pointers, and an update copies only what it changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_domain::{DistributionId, DomainEvent, HubId, IdeaId, ProblemId};
use cohub_store::Envelope;
use serde::{Deserialize, Serialize};

use crate::activity::{ActivityItem, ActivityLog};
use crate::distribution::DistributionView;
use crate::error::ReadError;
use crate::hub::HubView;
use crate::idea::IdeaView;
use crate::problem::ProblemView;
use crate::recorded::Recorded;

/// Every read model, as of one position of the log. `Default` is the model of the empty log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadModel {
    pub(crate) position: u64,
    pub(crate) last_hash: Option<String>,
    pub(crate) max_recorded_at: Option<DateTime<Utc>>,
    pub(crate) hubs: BTreeMap<HubId, Arc<HubView>>,
    pub(crate) problems: BTreeMap<ProblemId, Arc<ProblemView>>,
    pub(crate) ideas: BTreeMap<IdeaId, Arc<IdeaView>>,
    pub(crate) distributions: BTreeMap<DistributionId, Arc<DistributionView>>,
    pub(crate) activity: BTreeMap<HubId, ActivityLog>,
}

/// Decodes an envelope's event (upcasting old schema versions).
pub fn decode(envelope: &Envelope) -> Result<DomainEvent, ReadError> {
    DomainEvent::from_payload(
        &envelope.event_type,
        envelope.schema_version,
        envelope.payload.clone(),
    )
    .map_err(|e| ReadError::Decode {
        position: envelope.position,
        event_type: envelope.event_type.clone(),
        message: e.to_string(),
    })
}

impl ReadModel {
    /// The model of the empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The last position folded in (0 for the empty log).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The hash of the event at [`position`](Self::position), if any.
    pub fn last_hash(&self) -> Option<&str> {
        self.last_hash.as_deref()
    }

    /// The latest recording time of any event folded in (the model is "as of" this time).
    pub fn recorded_until(&self) -> Option<DateTime<Utc>> {
        self.max_recorded_at
    }

    /// Folds the next envelope of the log in. Pure: the same envelopes give an equal model.
    ///
    /// The envelope must be the next position; an undecodable or unknown event, or one that
    /// does not fit the model, is an error and leaves the model as it was.
    pub fn apply(&mut self, envelope: &Envelope) -> Result<(), ReadError> {
        let expected = self.position + 1;
        if envelope.position != expected {
            return Err(ReadError::OutOfOrder {
                expected,
                got: envelope.position,
            });
        }
        let event = decode(envelope)?;
        let rec = Recorded::from_envelope(envelope);
        let hub_id = HubId::from_uuid(envelope.hub_id);
        let founding = matches!(
            &event,
            DomainEvent::Hub(cohub_domain::hub::HubEvent::HubFounded(_))
        );
        if !founding {
            self.hub_mut(hub_id, rec.position)?;
        }
        match &event {
            DomainEvent::Hub(e) => crate::hub::apply(self, &rec, e)?,
            DomainEvent::Problem(e) => crate::problem::apply(self, &rec, e)?,
            DomainEvent::Idea(e) => {
                crate::idea::apply(self, &rec, e)?;
                crate::distribution::apply_idea_event(self, &rec, e)?;
            }
            DomainEvent::Distribution(e) => crate::distribution::apply(self, &rec, e)?,
        }
        self.hub_mut(hub_id, rec.position)?.updated = rec.clone();
        self.activity.entry(hub_id).or_default().push(ActivityItem {
            recorded: rec.clone(),
            stream_id: envelope.stream_id.clone(),
            event,
        });
        self.position = envelope.position;
        self.last_hash = Some(envelope.hash.clone());
        self.max_recorded_at = Some(
            self.max_recorded_at
                .map_or(envelope.recorded_at, |m| m.max(envelope.recorded_at)),
        );
        Ok(())
    }

    /// Folds envelopes in, in order.
    pub fn apply_all<'a>(
        &mut self,
        envelopes: impl IntoIterator<Item = &'a Envelope>,
    ) -> Result<(), ReadError> {
        for e in envelopes {
            self.apply(e)?;
        }
        Ok(())
    }

    pub(crate) fn hub_mut(&mut self, id: HubId, position: u64) -> Result<&mut HubView, ReadError> {
        self.hubs
            .get_mut(&id)
            .map(Arc::make_mut)
            .ok_or_else(|| inconsistent(position, format!("hub {id} was never founded")))
    }

    pub(crate) fn problem_mut(
        &mut self,
        id: ProblemId,
        position: u64,
    ) -> Result<&mut ProblemView, ReadError> {
        self.problems
            .get_mut(&id)
            .map(Arc::make_mut)
            .ok_or_else(|| inconsistent(position, format!("problem {id} was never framed")))
    }

    pub(crate) fn idea_mut(
        &mut self,
        id: IdeaId,
        position: u64,
    ) -> Result<&mut IdeaView, ReadError> {
        self.ideas
            .get_mut(&id)
            .map(Arc::make_mut)
            .ok_or_else(|| inconsistent(position, format!("idea {id} was never proposed")))
    }

    pub(crate) fn distribution_mut(
        &mut self,
        id: DistributionId,
        position: u64,
    ) -> Result<&mut DistributionView, ReadError> {
        self.distributions
            .get_mut(&id)
            .map(Arc::make_mut)
            .ok_or_else(|| inconsistent(position, format!("distribution {id} was never proposed")))
    }
}

fn inconsistent(position: u64, message: String) -> ReadError {
    ReadError::Inconsistent { position, message }
}
