//! Signing in (a pasted token, or the configured OpenID Connect provider) and out.

use crate::form::{self, Form};
use crate::layout::{self, Chrome};
use crate::oidc::FLOW_COOKIE;
use crate::session::{self, Session};
use crate::text::safe_next;
use crate::App;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

/// The query of the sign-in page.
#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

/// GET /signin.
pub async fn form(State(app): State<App>, session: Session, Query(q): Query<Next>) -> Response {
    let mut form = Form::blank();
    if let Some(why) = &session.lapsed {
        form.errors.push(form::FieldError {
            field: "token".into(),
            message: format!("You were signed out: {why}. Paste a new token."),
        });
    }
    render(&app, &session, &form, q.next.as_deref(), StatusCode::OK)
}

fn render(
    app: &App,
    session: &Session,
    form: &Form,
    next: Option<&str>,
    status: StatusCode,
) -> Response {
    let next = safe_next(next);
    let chrome = Chrome::of(session);
    layout::respond(
        status,
        &chrome,
        "Sign in",
        html! {
            (form::summary(form))
            h1 { "Sign in" }
            @if session.auth.is_some() {
                p { "You are signed in. " a href=(next) { "Continue" } }
            }
            @if let Some(oidc) = &app.oidc {
                h2 { "Sign in with " (oidc.config.name) }
                p { a class="button" href={ "/signin/oidc?next=" (crate::text::url_encode(&next)) } { "Sign in with " (oidc.config.name) } }
                h2 { "Or sign in with a token" }
            }
            p { "Your hub's facilitator can give you a sign-in token. It is a long piece of text. Paste all of it below." }
            form method="post" action="/signin" novalidate {
                input type="hidden" name="next" value=(next);
                (form::area(form, "token", "Token", Some("It starts with \"ey\". Keep it private: anyone with it can act as you.")))
                (form::submit("Sign in"))
            }
        },
    )
}

/// POST /signin: checks the pasted token with the API's verifier and keeps it in the session
/// cookie.
pub async fn submit(State(app): State<App>, session: Session, body: String) -> Response {
    let fields = form::parse(&body);
    let next = safe_next(fields.get("next").map(String::as_str));
    let token = fields
        .get("token")
        .map(|t| t.split_whitespace().collect::<String>())
        .unwrap_or_default();
    let token = token.strip_prefix("Bearer").unwrap_or(&token).to_string();
    let mut form = Form::blank();
    if token.is_empty() {
        form.errors.push(form::FieldError {
            field: "token".into(),
            message: "Paste your token".into(),
        });
        return render(&app, &session, &form, Some(&next), StatusCode::BAD_REQUEST);
    }
    match app.verifier.verify(&token).await {
        Ok(_) => signed_in(&token, &next, app.https),
        Err(e) => {
            form.values.insert("token".into(), token);
            form.errors.push(form::FieldError {
                field: "token".into(),
                message: format!("That token did not work: {e}."),
            });
            render(&app, &session, &form, Some(&next), StatusCode::BAD_REQUEST)
        }
    }
}

fn signed_in(token: &str, next: &str, https: bool) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(next).unwrap_or(HeaderValue::from_static("/")),
            ),
            (header::SET_COOKIE, session::set_cookie(token, https)),
        ],
    )
        .into_response()
}

/// POST /signout.
pub async fn sign_out(session: Session, body: String) -> Response {
    let fields = form::parse(&body);
    let token = fields.get("form_token").map(String::as_str).unwrap_or("");
    if session.auth.is_some() && !session.form_token_ok(token) {
        return layout::problem_page(
            StatusCode::FORBIDDEN,
            &Chrome::of(&session),
            "You are still signed in",
            "That sign-out button was on a page opened before you last signed in. Use the sign-out button at the top of this page.",
        );
    }
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::from_static("/?done=signed-out"),
            ),
            (header::SET_COOKIE, session::clear_cookie()),
        ],
    )
        .into_response()
}

/// GET /signin/oidc: sends the browser to the provider.
pub async fn oidc_start(State(app): State<App>, Query(q): Query<Next>) -> Response {
    let Some(oidc) = &app.oidc else {
        return layout::not_found(&Chrome::signed_out());
    };
    let started = oidc.start(&safe_next(q.next.as_deref()));
    let cookie = format!(
        "{FLOW_COOKIE}={}; Path=/signin/oidc; HttpOnly; SameSite=Lax; Max-Age=600{}",
        started.cookie,
        if app.https { "; Secure" } else { "" }
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, started.redirect),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response()
}

/// The provider's answer.
#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GET /signin/oidc/callback: exchanges the code, verifies the token, signs in.
pub async fn oidc_callback(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let chrome = Chrome::signed_out();
    let Some(oidc) = &app.oidc else {
        return layout::not_found(&chrome);
    };
    let failed = |why: String| {
        layout::problem_page(
            StatusCode::BAD_REQUEST,
            &chrome,
            "You could not be signed in",
            &format!("{why}. Go to the sign-in page to try again."),
        )
    };
    if let Some(error) = q.error {
        return failed(format!(
            "The sign-in service said: {}",
            q.error_description.unwrap_or(error)
        ));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return failed("The sign-in service sent nothing back".into());
    };
    let flow = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == FLOW_COOKIE)
        .map(|(_, v)| v.to_string());
    let (token, next) = match oidc.finish(flow.as_deref(), &state, &code).await {
        Ok(done) => done,
        Err(e) => return failed(capitalise(&e.to_string())),
    };
    if let Err(e) = app.verifier.verify(&token).await {
        return failed(format!("The sign-in service's token was not accepted: {e}"));
    }
    let mut resp = signed_in(&token, &next, app.https);
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{FLOW_COOKIE}=; Path=/signin/oidc; HttpOnly; SameSite=Lax; Max-Age=0"
        ))
        .expect("a fixed cookie is a header value"),
    );
    resp
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
