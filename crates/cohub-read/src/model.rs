//! The read model: every hub, problem, idea and distribution view, folded from the log one
//! envelope at a time. A hub's feed is not held here: it is read from the log
//! ([`crate::activity::activity`]).
//!
//! The model's maps are persistent (`imbl`: B-trees whose nodes are shared between copies),
//! and entities sit behind `Arc`s, so cloning a model (for a
//! snapshot or to publish it to readers) is O(1), and an update copies only the nodes on its
//! path and the entity it changes. Entities keep their short lists in plain `Vec`s: a
//! persistent vector allocates 64 slots at once, which costs more than copying a short list.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cohub_domain::{DistributionId, DomainEvent, HubId, IdeaId, ProblemId};
use cohub_store::Envelope;
use imbl::OrdMap;
use serde::{Deserialize, Serialize};

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
    pub(crate) hubs: OrdMap<HubId, Arc<HubView>>,
    pub(crate) problems: OrdMap<ProblemId, Arc<ProblemView>>,
    pub(crate) ideas: OrdMap<IdeaId, Arc<IdeaView>>,
    pub(crate) distributions: OrdMap<DistributionId, Arc<DistributionView>>,
}

/// Decodes an envelope's event (upcasting old schema versions).
pub fn decode(envelope: &Envelope) -> Result<DomainEvent, ReadError> {
    DomainEvent::from_payload_ref(
        &envelope.event_type,
        envelope.schema_version,
        &envelope.payload,
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
        self.fold(envelope)
    }

    /// Folds the next envelope of one hub in: a model of a single hub skips the positions of
    /// every other hub, so the envelope need only come after [`position`](Self::position).
    pub fn apply_hub_event(&mut self, envelope: &Envelope) -> Result<(), ReadError> {
        if envelope.position <= self.position {
            return Err(ReadError::OutOfOrder {
                expected: self.position + 1,
                got: envelope.position,
            });
        }
        self.fold(envelope)
    }

    /// Stands the model at the position of `at` (its hash and recording time), folding nothing:
    /// for a model of one hub read at a global position, whose own last event may be earlier.
    pub(crate) fn stand_at(&mut self, at: &Envelope) {
        debug_assert!(at.position >= self.position);
        self.position = at.position;
        self.last_hash = Some(at.hash.clone());
        self.max_recorded_at = Some(
            self.max_recorded_at
                .map_or(at.recorded_at, |m| m.max(at.recorded_at)),
        );
    }

    /// Joins models of distinct hubs, each folded from its own hub's events only, into the
    /// model of the whole log at `position`, whose event has `hash`. Equal to folding the whole
    /// log in order, because no event touches another hub's views.
    pub fn join_hubs(parts: Vec<ReadModel>, position: u64, hash: Option<String>) -> ReadModel {
        let mut joined = ReadModel::new();
        for part in parts {
            joined.hubs = joined.hubs.union(part.hubs);
            joined.problems = joined.problems.union(part.problems);
            joined.ideas = joined.ideas.union(part.ideas);
            joined.distributions = joined.distributions.union(part.distributions);
            joined.max_recorded_at = joined.max_recorded_at.max(part.max_recorded_at);
        }
        joined.position = position;
        joined.last_hash = hash;
        joined
    }

    /// How many events the model's hubs have folded in: for a model of the whole log, its
    /// position; for a model of one hub, that hub's events.
    pub fn hub_events(&self) -> u64 {
        self.hubs.values().map(|hub| hub.updated.hub_seq).sum()
    }

    /// The model of hub `id` alone, cut out of this one (sharing every entity with it): what
    /// folding only that hub's events up to [`position`](Self::position) gives, standing at
    /// this position. `None` if the hub was not founded by then.
    pub fn hub_alone(&self, id: HubId) -> Option<ReadModel> {
        let hub = self.hubs.get(&id)?;
        let mut alone = ReadModel {
            position: self.position,
            last_hash: self.last_hash.clone(),
            max_recorded_at: self.max_recorded_at,
            ..ReadModel::default()
        };
        alone.hubs.insert(id, hub.clone());
        for p in hub.problem_ids.iter() {
            if let Some(v) = self.problems.get(p) {
                alone.problems.insert(*p, v.clone());
            }
        }
        for i in hub.idea_ids.iter() {
            if let Some(v) = self.ideas.get(i) {
                alone.ideas.insert(*i, v.clone());
            }
        }
        for d in hub.distribution_ids.iter() {
            if let Some(v) = self.distributions.get(d) {
                alone.distributions.insert(*d, v.clone());
            }
        }
        Some(alone)
    }

    fn fold(&mut self, envelope: &Envelope) -> Result<(), ReadError> {
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
        let position = rec.position;
        self.hub_mut(hub_id, position)?.updated = rec;
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
