//! The start page: the hubs you belong to (or, signed out, every hub and how to sign in).

use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::App;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The start page's query.
#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    viewer: Option<Viewer>,
    hubs: Connection,
}

#[derive(Deserialize)]
struct Viewer {
    memberships: Vec<Membership>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Membership {
    hub_id: Uuid,
    hub_name: String,
    member: Member,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    name: String,
    organisation_name: Option<String>,
    role: String,
    status: String,
}

#[derive(Deserialize)]
struct Connection {
    edges: Vec<Edge>,
}

#[derive(Deserialize)]
struct Edge {
    node: Hub,
}

#[derive(Deserialize)]
struct Hub {
    id: Uuid,
    name: String,
    purpose: Text,
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

const QUERY: &str = "query Home {
  viewer { memberships { hubId hubName member { name organisationName role status } } }
  hubs(first: 100) { edges { node { id name purpose { text } } } }
}";

/// GET /.
pub async fn show(State(app): State<App>, session: Session, Query(q): Query<Done>) -> Response {
    let chrome = Chrome::of(&session).with_notice(layout::notice(q.done.as_deref()));
    let data: Data = match app.client.query(session.auth, QUERY, json!({})).await {
        Ok(d) => d,
        Err(f) => return layout::failure(&chrome, &f, "/"),
    };
    match data.viewer {
        Some(viewer) => layout::ok(
            &chrome,
            "Your hubs",
            html! {
                h1 { "Your hubs" }
                @if viewer.memberships.is_empty() {
                    p { "You are not a member of any hub yet. Ask a hub's facilitator to admit you." }
                }
                @for m in &viewer.memberships {
                    div class="card" {
                        h2 { a href={ "/hubs/" (m.hub_id) } { (m.hub_name) } }
                        p class="meta" {
                            "You are " (m.member.name) ", "
                            (crate::text::label(&m.member.role).to_lowercase())
                            @if let Some(org) = &m.member.organisation_name { " for " (org) }
                            "."
                            @if m.member.status == "SUSPENDED" {
                                " Your membership is suspended: you can read the record but not take part."
                            }
                        }
                    }
                }
            },
        ),
        None => layout::ok(
            &chrome,
            "cohub",
            html! {
                h1 { "Community health co-innovation hubs" }
                p class="lead" { "Community organisations, innovators, clinicians and commissioners work as equal partners: they frame local health problems, propose and improve ideas, and agree how costs and rewards are shared." }
                p { a class="button" href="/signin" { "Sign in" } }
                h2 { "Hubs" }
                @if data.hubs.edges.is_empty() { p { "There are no hubs yet." } }
                @for e in &data.hubs.edges {
                    div class="card" {
                        h3 { (e.node.name) }
                        p { (e.node.purpose.text) }
                        p class="meta" { "Only members can see what happens in a hub. " a href={ "/signin?next=/hubs/" (e.node.id) } { "Sign in to " (e.node.name) } }
                    }
                }
            },
        ),
    }
}
