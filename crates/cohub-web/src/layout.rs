//! The page around every page: header, navigation, the hub's own menu, a notice of what just
//! happened, and the pages that say something went wrong.

use crate::client::Failure;
use crate::session::{sign_in_first, Session};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use uuid::Uuid;

/// What the page around the content shows.
#[derive(Clone, Default)]
pub struct Chrome {
    /// Whether someone is signed in (the header then offers to sign out).
    pub signed_in: bool,
    /// The session's form token (for the sign-out form).
    pub form_token: String,
    /// The hub this page belongs to, for the hub's menu.
    pub hub: Option<HubNav>,
    /// A notice of what just happened ("Your idea was recorded").
    pub notice: Option<String>,
    /// A script to add (a file under `/assets/`), for pages with live updates.
    pub script: Option<&'static str>,
}

/// The hub's menu.
#[derive(Clone)]
pub struct HubNav {
    /// The hub's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Which item is the current page: `problems`, `heard` or `audit`.
    pub current: &'static str,
}

impl Chrome {
    /// The chrome for someone not signed in.
    pub fn signed_out() -> Chrome {
        Chrome::default()
    }

    /// The chrome for this session.
    pub fn of(session: &Session) -> Chrome {
        Chrome {
            signed_in: session.auth.is_some(),
            form_token: session.form_token(),
            ..Chrome::default()
        }
    }

    /// With the hub's menu.
    pub fn in_hub(mut self, id: Uuid, name: &str, current: &'static str) -> Chrome {
        self.hub = Some(HubNav {
            id,
            name: name.to_string(),
            current,
        });
        self
    }

    /// With a notice of what just happened, from a `done` query value.
    pub fn with_notice(mut self, notice: Option<String>) -> Chrome {
        self.notice = notice;
        self
    }
}

/// A whole page: `title` is the page's heading and (with the service name) its title.
pub fn page(chrome: &Chrome, title: &str, content: Markup) -> Markup {
    let hub_items: [(&str, &str, &str); 3] = [
        ("problems", "Problems and ideas", ""),
        ("heard", "Feeling heard", "/heard"),
        ("audit", "Audit", "/audit"),
    ];
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – cohub" }
                link rel="stylesheet" href="/assets/app.css";
                @if let Some(script) = chrome.script {
                    script src={ "/assets/" (script) } defer {}
                }
            }
            body {
                a class="skip-link" href="#main" { "Skip to main content" }
                header class="site-header" {
                    div class="wrap header-row" {
                        a class="service-name" href="/" { "cohub" }
                        nav aria-label="Your account" {
                            @if chrome.signed_in {
                                form method="post" action="/signout" class="inline" {
                                    input type="hidden" name="form_token" value=(chrome.form_token);
                                    button type="submit" class="link-button" { "Sign out" }
                                }
                            } @else {
                                a href="/signin" { "Sign in" }
                            }
                        }
                    }
                }
                @if let Some(hub) = &chrome.hub {
                    nav class="hub-nav" aria-label={ "In " (hub.name) } {
                        div class="wrap" {
                            p class="hub-name" { a href={ "/hubs/" (hub.id) } { (hub.name) } }
                            ul {
                                @for (key, label, path) in hub_items {
                                    li {
                                        @if hub.current == key {
                                            a href={ "/hubs/" (hub.id) (path) } aria-current="page" { (label) }
                                        } @else {
                                            a href={ "/hubs/" (hub.id) (path) } { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" class="wrap" tabindex="-1" {
                    @if let Some(notice) = &chrome.notice {
                        div class="notice" role="status" {
                            p { strong { "Done: " } (notice) }
                        }
                    }
                    (content)
                }
                footer class="site-footer" {
                    div class="wrap" {
                        p { "Every contribution is recorded with who made it and when, and is never overwritten." }
                        p { "Times are shown in UTC." }
                    }
                }
            }
        }
    }
}

/// A page as a response with `status`.
pub fn respond(status: StatusCode, chrome: &Chrome, title: &str, content: Markup) -> Response {
    (status, Html(page(chrome, title, content).into_string())).into_response()
}

/// A page as a 200 response.
pub fn ok(chrome: &Chrome, title: &str, content: Markup) -> Response {
    respond(StatusCode::OK, chrome, title, content)
}

/// A page that says what went wrong and what to do.
pub fn problem_page(status: StatusCode, chrome: &Chrome, title: &str, what: &str) -> Response {
    respond(
        status,
        chrome,
        title,
        html! {
            h1 { (title) }
            p { (what) }
            p { a href="/" { "Go to your hubs" } }
        },
    )
}

/// The page for a query that failed: signed-out people are sent to sign in (and back), the
/// rest are told plainly what happened, with the code for anyone helping them.
pub fn failure(chrome: &Chrome, failure: &Failure, back_to: &str) -> Response {
    let (status, title) = match failure.code.as_str() {
        "UNAUTHENTICATED" => return sign_in_first(back_to),
        "FORBIDDEN" => (StatusCode::FORBIDDEN, "You cannot see this page"),
        "NOT_FOUND" => (StatusCode::NOT_FOUND, "Page not found"),
        "VALIDATION" => (StatusCode::BAD_REQUEST, "That address is not right"),
        "LIMIT" => (
            StatusCode::TOO_MANY_REQUESTS,
            "You have made a lot of requests in a short time",
        ),
        "UNAVAILABLE" | "OUTCOME_UNKNOWN" => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Sorry, the service is not available just now",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, something went wrong",
        ),
    };
    respond(
        status,
        chrome,
        title,
        html! {
            h1 { (title) }
            p { (failure.message) }
            p class="hint" { "Error code: " code { (failure.code) } }
            p { a href="/" { "Go to your hubs" } }
        },
    )
}

/// The page for something that does not exist (or that this member may not see: the two are
/// not told apart).
pub fn not_found(chrome: &Chrome) -> Response {
    problem_page(
        StatusCode::NOT_FOUND,
        chrome,
        "Page not found",
        "There is nothing here, or it belongs to a hub you are not a member of. Check the address, or go back to your hubs.",
    )
}

/// The notice for a `done` query value set by the page a form sent people to.
pub fn notice(done: Option<&str>) -> Option<String> {
    let text = match done? {
        "signed-out" => "you are signed out.",
        "problem-framed" => "your problem was recorded.",
        "perspective-added" => "your perspective was recorded.",
        "idea-proposed" => "your idea was recorded.",
        "feedback-given" => "your feedback was recorded.",
        "response-given" => "your response was recorded.",
        "consented" => "your organisation's consent was recorded.",
        "objected" => "your organisation's objection was recorded.",
        "answered" => "your answer to the objection was recorded.",
        "withdrawn" => "the objection was withdrawn.",
        _ => return None,
    };
    Some(text.to_string())
}
