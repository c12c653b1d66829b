//! Shapes of the API's answers that many pages read, and how each is shown.

use chrono::{DateTime, Utc};
use maud::{html, Markup};
use serde::Deserialize;

/// A `PlainText`.
#[derive(Debug, Clone, Deserialize)]
pub struct Text {
    /// The words.
    pub text: String,
    /// Their language tag.
    pub lang: String,
}

impl maud::Render for Text {
    fn render(&self) -> Markup {
        if self.lang == "en" || self.lang.starts_with("en-") {
            html! { (self.text) }
        } else {
            html! { span lang=(self.lang) { (self.text) } }
        }
    }
}

/// The GraphQL fields a [`Who`] reads.
pub const WHO: &str = "memberName organisationName at";

/// An `Attribution`: who did something, for which organisation, when.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Who {
    /// Their name.
    pub member_name: String,
    /// Their organisation's name.
    pub organisation_name: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl Who {
    /// "Asha Patel (Sandwell Carers), 2 December 2026 at 6:05pm".
    pub fn line(&self) -> Markup {
        html! {
            (self.member_name)
            @if let Some(org) = &self.organisation_name { " (" (org) ")" }
            ", " time datetime=(self.at.to_rfc3339()) { (crate::text::when(&self.at)) }
        }
    }
}
