//! The rule every acknowledgement keeps, whatever was acknowledged (a problem, a perspective,
//! an idea, feedback): it is for other people's words, and each member gives it once.

use crate::error::{DomainError, Rule};
use crate::ids::MemberId;

/// Checks that `actor` may acknowledge a contribution by `author` that they have
/// (`already_acknowledged`) or have not acknowledged before.
pub fn check(
    author: MemberId,
    actor: MemberId,
    already_acknowledged: bool,
) -> Result<(), DomainError> {
    if author == actor {
        return Err(DomainError::rule_broken(
            Rule::NoSelfAcknowledgement,
            "You cannot acknowledge your own contribution; acknowledgement is for other people's.",
        ));
    }
    if already_acknowledged {
        return Err(DomainError::conflict(
            "You have already acknowledged this contribution.",
        ));
    }
    Ok(())
}
