//! Lookups many pages share: a hub's name and a problem's title (for a form page's heading and
//! menu), each only if the member may see it and it belongs to the hub the address names, and
//! the answer that sends the browser on after a form.

use crate::client::Failure;
use crate::session::Session;
use crate::shapes::Text;
use crate::App;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// A hub's id and name.
#[derive(Debug, Clone, Deserialize)]
pub struct HubRef {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
}

/// A problem's id, hub and current title.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemRef {
    /// Its id.
    pub id: Uuid,
    /// Its hub's id.
    pub hub_id: Uuid,
    /// Its latest version's title.
    pub current: ProblemTitle,
}

/// The title of a problem's latest version.
#[derive(Debug, Clone, Deserialize)]
pub struct ProblemTitle {
    /// The title.
    pub title: Text,
}

#[derive(Deserialize)]
struct HubData {
    hub: Option<HubRef>,
}

#[derive(Deserialize)]
struct ProblemData {
    hub: Option<HubRef>,
    problem: Option<ProblemRef>,
}

/// The hub, if the member may see it.
pub async fn hub(app: &App, session: &Session, hub: Uuid) -> Result<Option<HubRef>, Failure> {
    let data: HubData = app
        .client
        .query(
            session.auth,
            "query HubName($id: UUID!) { hub(id: $id) { id name asOfPosition } }",
            json!({ "id": hub }),
        )
        .await?;
    Ok(data.hub)
}

/// The hub and the problem, if the member may see both and the problem is the hub's.
pub async fn problem(
    app: &App,
    session: &Session,
    hub: Uuid,
    problem: Uuid,
) -> Result<Option<(HubRef, ProblemRef)>, Failure> {
    let data: ProblemData = app
        .client
        .query(
            session.auth,
            "query ProblemTitle($hub: UUID!, $id: UUID!) { hub(id: $hub) { id name } problem(id: $id) { id hubId current { title { text lang } } } }",
            json!({ "hub": hub, "id": problem }),
        )
        .await?;
    Ok(match (data.hub, data.problem) {
        (Some(h), Some(p)) if p.hub_id == h.id => Some((h, p)),
        _ => None,
    })
}

/// A 303 to `to` (after a form was recorded, so that reloading the page sends nothing again).
pub fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}
