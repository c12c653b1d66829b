//! Looking up people's and organisations' names for plain-language event summaries.

use crate::ids::{MemberId, OrganisationId};

/// Something that knows names of members and organisations (a hub's state, a read model).
pub trait Names {
    /// The member's name, if known.
    fn member_name(&self, id: MemberId) -> Option<String>;
    /// The organisation's name, if known.
    fn organisation_name(&self, id: OrganisationId) -> Option<String>;

    /// The member's name, or "someone" when unknown.
    fn member(&self, id: MemberId) -> String {
        self.member_name(id)
            .unwrap_or_else(|| "someone".to_string())
    }

    /// The organisation's name, or "an organisation" when unknown.
    fn organisation(&self, id: OrganisationId) -> String {
        self.organisation_name(id)
            .unwrap_or_else(|| "an organisation".to_string())
    }
}

/// Knows no names: summaries say "someone" and "an organisation".
#[derive(Clone, Copy, Debug, Default)]
pub struct NoNames;

impl Names for NoNames {
    fn member_name(&self, _: MemberId) -> Option<String> {
        None
    }
    fn organisation_name(&self, _: OrganisationId) -> Option<String> {
        None
    }
}

/// Names from two closures (member lookup, organisation lookup).
pub struct NameFns<M, O>(pub M, pub O);

impl<M, O> Names for NameFns<M, O>
where
    M: Fn(MemberId) -> Option<String>,
    O: Fn(OrganisationId) -> Option<String>,
{
    fn member_name(&self, id: MemberId) -> Option<String> {
        (self.0)(id)
    }
    fn organisation_name(&self, id: OrganisationId) -> Option<String> {
        (self.1)(id)
    }
}
