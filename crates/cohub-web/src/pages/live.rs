//! Live updates of a distribution page: a server-sent event stream that runs the
//! `distributionStatus` subscription in-process as the signed-in member and sends an event
//! named `change`, with a short sentence, for every change after the page was loaded. The
//! page's script (`live.js`) then fetches the page again and replaces its live regions. The
//! page works the same without it.

use crate::layout::{self, Chrome};
use crate::session::Session;
use crate::App;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use uuid::Uuid;

const SUBSCRIPTION: &str = "subscription Live($id: UUID!) {
  distributionStatus(distributionId: $id) {
    status version openVersion eventType consentedParties objectingParties missingConsents
  }
}";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    status: String,
    version: i64,
    open_version: Option<i64>,
    event_type: String,
    consented_parties: Vec<Uuid>,
    objecting_parties: Vec<Uuid>,
    missing_consents: Vec<Uuid>,
}

#[derive(Deserialize)]
struct Found {
    distribution: Option<HubOf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HubOf {
    hub_id: Uuid,
}

/// GET /hubs/{hub}/distributions/{distribution}/live.
pub async fn distribution(
    State(app): State<App>,
    session: Session,
    Path((hub, id)): Path<(Uuid, Uuid)>,
) -> Response {
    let chrome = Chrome::of(&session);
    let Some(auth) = session.auth else {
        return (
            StatusCode::UNAUTHORIZED,
            "Sign in to follow this page live.",
        )
            .into_response();
    };
    let found: Result<Found, _> = app
        .client
        .query(
            Some(auth),
            "query($id: UUID!) { distribution(id: $id) { hubId } }",
            json!({ "id": id }),
        )
        .await;
    match found {
        Ok(Found {
            distribution: Some(d),
        }) if d.hub_id == hub => {}
        Ok(_) => return layout::not_found(&chrome),
        Err(f) => return layout::failure(&chrome, &f, &format!("/hubs/{hub}/distributions/{id}")),
    }
    let here = format!("/hubs/{hub}/distributions/{id}");
    let mut updates = Box::pin(
        app.client
            .subscribe(auth, SUBSCRIPTION, json!({ "id": id })),
    );
    // The first update is where it stands now, which the page already shows. Waiting for it
    // here starts the subscription before the stream is answered, so no change made after
    // this answer is missed, and a refusal is an ordinary error page.
    match updates.next().await {
        Some(Ok(_)) => {}
        Some(Err(f)) => return layout::failure(&chrome, &f, &here),
        None => return layout::not_found(&chrome),
    }
    let events = updates.map(|item| {
        let event = match item {
            Ok(data) => {
                match serde_json::from_value::<Update>(data["distributionStatus"].clone()) {
                    Ok(u) => Event::default().event("change").data(words(&u)),
                    Err(_) => Event::default()
                        .event("change")
                        .data("This page was updated."),
                }
            }
            Err(f) => Event::default()
                .event("end")
                .data(format!("Live updates stopped: {}", f.message)),
        };
        Ok::<_, Infallible>(event)
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// A short plain-language sentence about an update.
fn words(u: &Update) -> String {
    let what = match u.event_type.as_str() {
        "DistributionProposed" => "The distribution was proposed.",
        "DistributionAmended" => "A new version was written, so earlier consents no longer count.",
        "DistributionConsented" => "An organisation consented.",
        "DistributionObjected" => "An organisation objected.",
        "ObjectionAnswered" => "The proposer answered an objection.",
        "ObjectionWithdrawn" => "An objection was withdrawn.",
        "DistributionAgreed" => "Every party consented: the distribution is agreed.",
        "DistributionWithdrawn" => "The distribution was withdrawn.",
        "VariationRoundStarted" => "A variation was proposed.",
        "VariationAbandoned" => "The variation was abandoned.",
        "DistributionClosedWithoutAgreement" => "A facilitator closed the round without agreement.",
        _ => "The idea was withdrawn or declined.",
    };
    let mut text = what.to_string();
    if u.open_version.is_some() {
        let parties = u.consented_parties.len() + u.missing_consents.len();
        text.push_str(&format!(
            " {} of {} parties have consented to version {}.",
            u.consented_parties.len(),
            parties,
            u.version
        ));
        match u.objecting_parties.len() {
            0 => {}
            1 => text.push_str(" One objection blocks agreement."),
            n => text.push_str(&format!(" {n} objections block agreement.")),
        }
    } else if u.status == "AGREED" {
        text.push_str(&format!(" Version {} is in force.", u.version));
    }
    text.push_str(" This page has been updated.");
    text
}
