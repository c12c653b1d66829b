//! Identifiers: newtypes over UUIDs, one per kind of thing, so ids cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered (UUID v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// A fixed id from a 128-bit number (for tests and demo data).
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The UUID inside.
            pub const fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self(Uuid::nil())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = crate::error::DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let raw = s.strip_prefix(concat!($label, "-")).unwrap_or(s);
                Uuid::parse_str(raw).map(Self).map_err(|_| {
                    crate::error::DomainError::Validation(format!(
                        "\"{s}\" is not a valid {} id.",
                        $label
                    ))
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

macro_rules! stream_id {
    ($name:ident, $prefix:literal) => {
        impl $name {
            /// The prefix of this aggregate's event stream ids.
            pub const STREAM_PREFIX: &'static str = $prefix;

            /// The id of this aggregate's event stream, e.g. `hub-<uuid>`.
            pub fn stream_id(&self) -> String {
                format!("{}-{}", $prefix, self.0)
            }

            /// Parses a stream id of this aggregate kind back into the id.
            pub fn from_stream_id(stream_id: &str) -> Option<Self> {
                let raw = stream_id.strip_prefix(concat!($prefix, "-"))?;
                Uuid::parse_str(raw).ok().map(Self)
            }
        }
    };
}

id_type!(
    /// A co-innovation hub.
    HubId, "hub"
);
id_type!(
    /// An organisation admitted to a hub.
    OrganisationId, "organisation"
);
id_type!(
    /// A person who is a member of a hub (the subject of a verified credential).
    MemberId, "member"
);
id_type!(
    /// A framed health problem.
    ProblemId, "problem"
);
id_type!(
    /// An idea proposed for a problem.
    IdeaId, "idea"
);
id_type!(
    /// A cost/reward distribution proposed for an idea.
    DistributionId, "distribution"
);
id_type!(
    /// A perspective added to a problem.
    PerspectiveId, "perspective"
);
id_type!(
    /// A piece of feedback given on an idea.
    FeedbackId, "feedback"
);

stream_id!(HubId, "hub");
stream_id!(ProblemId, "problem");
stream_id!(IdeaId, "idea");
stream_id!(DistributionId, "distribution");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_round_trip() {
        let id = ProblemId::new();
        let s = id.stream_id();
        assert!(s.starts_with("problem-"));
        assert_eq!(ProblemId::from_stream_id(&s), Some(id));
        assert_eq!(HubId::from_stream_id(&s), None);
    }

    #[test]
    fn ids_display_and_parse() {
        let id = MemberId::new();
        assert_eq!(id.to_string().parse::<MemberId>().unwrap(), id);
        assert!("nonsense".parse::<MemberId>().is_err());
        assert_eq!(id.uuid().get_version_num(), 7);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
    }
}
