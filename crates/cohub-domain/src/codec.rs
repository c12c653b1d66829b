//! Events as stored data: (event type name, schema version, JSON payload), with an upcast hook.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::DomainError;

/// The schema version every event type is written at by this build.
pub const CURRENT_SCHEMA_VERSION: u32 = 1;

/// An event in its stored form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncodedEvent {
    /// The event type name, e.g. `ProblemFramed`.
    pub event_type: String,
    /// The schema version the payload was written at.
    pub schema_version: u32,
    /// The event's fields as JSON.
    pub payload: Value,
}

/// Brings a payload written at an older schema version up to [`CURRENT_SCHEMA_VERSION`].
///
/// This is the upcast hook: when an event's shape changes, add a step here that rewrites
/// the old JSON into the new shape. Only version 1 exists today, so it passes payloads
/// through and refuses versions it does not know.
pub fn upcast(event_type: &str, schema_version: u32, payload: Value) -> Result<Value, DomainError> {
    match schema_version {
        CURRENT_SCHEMA_VERSION => Ok(payload),
        v if v > CURRENT_SCHEMA_VERSION => Err(DomainError::Codec(format!(
            "The event \"{event_type}\" was written at schema version {v}, which is newer than this program understands ({CURRENT_SCHEMA_VERSION})."
        ))),
        v => Err(DomainError::Codec(format!(
            "The event \"{event_type}\" was written at schema version {v}, and there is no way to read that version."
        ))),
    }
}

/// Implements the codec functions for an aggregate's event enum whose variants each wrap one struct.
macro_rules! event_codec {
    ($enum:ident { $($variant:ident($ty:ty) = $name:literal),* $(,)? }) => {
        impl $enum {
            /// The schema version this build writes for every event of this enum.
            pub const SCHEMA_VERSION: u32 = $crate::codec::CURRENT_SCHEMA_VERSION;

            /// Every event type name of this enum.
            pub const EVENT_TYPES: &'static [&'static str] = &[$($name),*];

            /// The event's type name, e.g. `ProblemFramed`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)*
                }
            }

            /// The schema version of this event.
            pub fn schema_version(&self) -> u32 {
                Self::SCHEMA_VERSION
            }

            /// The event's fields as JSON.
            pub fn to_payload(&self) -> serde_json::Value {
                let result = match self {
                    $(Self::$variant(e) => serde_json::to_value(e),)*
                };
                result.expect("domain events always serialise to JSON")
            }

            /// Reads an event back from its stored form, upcasting old schema versions.
            pub fn from_payload(
                event_type: &str,
                schema_version: u32,
                payload: serde_json::Value,
            ) -> Result<Self, $crate::error::DomainError> {
                let payload = $crate::codec::upcast(event_type, schema_version, payload)?;
                Self::from_payload_ref(
                    event_type,
                    $crate::codec::CURRENT_SCHEMA_VERSION,
                    &payload,
                )
            }

            /// Like [`Self::from_payload`], without copying the payload: at the current schema
            /// version the event is read straight from it; an older one is copied and upcast.
            pub fn from_payload_ref(
                event_type: &str,
                schema_version: u32,
                payload: &serde_json::Value,
            ) -> Result<Self, $crate::error::DomainError> {
                if schema_version != $crate::codec::CURRENT_SCHEMA_VERSION {
                    return Self::from_payload(event_type, schema_version, payload.clone());
                }
                match event_type {
                    $($name => <$ty as ::serde::Deserialize>::deserialize(payload)
                        .map(Self::$variant)
                        .map_err(|e| $crate::error::DomainError::Codec(format!(
                            "The stored event \"{}\" could not be read: {e}.", $name
                        ))),)*
                    other => Err($crate::error::DomainError::Codec(format!(
                        "\"{other}\" is not a known event type."
                    ))),
                }
            }

            /// The event in its stored form.
            pub fn encode(&self) -> $crate::codec::EncodedEvent {
                $crate::codec::EncodedEvent {
                    event_type: self.event_type().to_string(),
                    schema_version: Self::SCHEMA_VERSION,
                    payload: self.to_payload(),
                }
            }
        }
    };
}

pub(crate) use event_codec;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upcast_passes_current_and_refuses_unknown_versions() {
        let v = serde_json::json!({"a": 1});
        assert_eq!(upcast("X", 1, v.clone()).unwrap(), v);
        assert!(matches!(
            upcast("X", 2, v.clone()),
            Err(DomainError::Codec(_))
        ));
        assert!(matches!(upcast("X", 0, v), Err(DomainError::Codec(_))));
    }
}
