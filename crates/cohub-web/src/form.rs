//! Forms that record a change: each carries an idempotency key made with the page (so a double
//! click or a resubmitted form records once) and the session's form token; a refusal comes
//! back as the same form with the person's words kept, each error beside its field and all of
//! them summarised at the top.

use crate::client::Failure;
use crate::session::Session;
use crate::App;
use maud::{html, Markup};
use serde_json::Value;
use std::collections::HashMap;

/// A form's submitted fields, by name (a repeated field keeps its last value).
pub type Fields = HashMap<String, String>;

/// Reads an urlencoded body into fields.
pub fn parse(body: &str) -> Fields {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// One error, shown beside its field (`field` is the input's name; empty for the form as a
/// whole) and in the summary.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The input's name (and id), or empty.
    pub field: String,
    /// What is wrong and how to put it right.
    pub message: String,
}

/// A form being shown: its idempotency key, what was typed, and any errors.
#[derive(Debug, Clone)]
pub struct Form {
    /// The idempotency key the form submits with.
    pub key: String,
    /// The values to show again.
    pub values: Fields,
    /// The errors to show.
    pub errors: Vec<FieldError>,
}

impl Form {
    /// A blank form with a new key.
    pub fn blank() -> Form {
        Form {
            key: uuid::Uuid::now_v7().to_string(),
            values: Fields::new(),
            errors: Vec::new(),
        }
    }

    /// A value typed before (or empty).
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// The error for a field, if any.
    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.as_str())
    }
}

/// What became of a submitted form.
pub enum Sent {
    /// Recorded (or replayed: it was recorded before with this key); the mutation's data.
    Done(Value),
    /// Refused or not recorded: show the form again.
    Again(Form),
}

/// Sends a form's mutation as the signed-in member with the form's idempotency key.
/// `fields` maps the domain's field names (as its messages name them, in
/// `extensions.field`), or the names of rules (`extensions.rule`), to the form's inputs, so
/// each error lands beside its input.
pub async fn send(
    app: &App,
    session: &Session,
    submitted: Fields,
    document: &str,
    variables: Value,
    fields: &[(&str, &str)],
) -> Sent {
    let key = submitted
        .get("idempotency_key")
        .cloned()
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let mut again = Form {
        key: key.clone(),
        values: submitted,
        errors: Vec::new(),
    };
    let Some(auth) = session.auth else {
        again.errors.push(FieldError {
            field: String::new(),
            message: "You are not signed in any more. Sign in again, then send the form.".into(),
        });
        return Sent::Again(again);
    };
    if !session.form_token_ok(again.value("form_token")) {
        again.errors.push(FieldError {
            field: String::new(),
            message: "This form was opened before you last signed in, so it was not sent. Check your words below and send it again.".into(),
        });
        return Sent::Again(again);
    }
    let mut variables = variables;
    variables["idempotencyKey"] = Value::String(key);
    match app.client.mutate(auth, document, variables).await {
        Ok(data) => Sent::Done(data),
        Err(failure) => {
            let error = field_error(&failure, fields);
            if failure.code == "IDEMPOTENCY_KEY_REUSED" {
                again.key = uuid::Uuid::now_v7().to_string();
            }
            again.errors.push(error);
            Sent::Again(again)
        }
    }
}

/// A refusal as an error on a field (or on the whole form).
fn field_error(failure: &Failure, fields: &[(&str, &str)]) -> FieldError {
    let field = failure
        .field
        .as_deref()
        .or(failure.rule.as_deref())
        .and_then(|f| fields.iter().find(|(domain, _)| *domain == f))
        .map(|(_, input)| input.to_string())
        .unwrap_or_default();
    let message = match failure.code.as_str() {
        "OUTCOME_UNKNOWN" => "We could not tell whether this was recorded, because the service failed while recording it. Send the form again: it will not be recorded twice.".to_string(),
        "UNAVAILABLE" => "The service is not available just now, so nothing was recorded. Wait a moment, then send the form again.".to_string(),
        "IDEMPOTENCY_KEY_REUSED" => "This form was already sent with different words, so nothing new was recorded. Check the page for what is there now, then send the form again if you still need to.".to_string(),
        "LIMIT" => format!("{} Wait a moment, then send the form again.", failure.message),
        "INTERNAL" => "Something went wrong on the server, so nothing was recorded. It has been logged. Try again later.".to_string(),
        _ => failure.message.clone(),
    };
    FieldError { field, message }
}

/// The error summary at the top of a form: a heading and a link to each error's field. It is
/// focused when the page loads so screen readers announce it.
pub fn summary(form: &Form) -> Markup {
    html! {
        @if !form.errors.is_empty() {
            div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus {
                h2 id="error-summary-title" { "There is a problem" }
                ul {
                    @for e in &form.errors {
                        li {
                            @if e.field.is_empty() {
                                (e.message)
                            } @else {
                                a href={ "#" (e.field) } { (e.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The hidden fields every change form carries.
pub fn hidden(form: &Form, session: &Session) -> Markup {
    html! {
        input type="hidden" name="idempotency_key" value=(form.key);
        input type="hidden" name="form_token" value=(session.form_token());
    }
}

/// The `aria-describedby` of a field with an optional hint and error.
fn described_by(name: &str, hint: Option<&str>, error: Option<&str>) -> Option<String> {
    let mut ids = Vec::new();
    if hint.is_some() {
        ids.push(format!("{name}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{name}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A field's label, hint and error.
fn parts(name: &str, label: &str, hint: Option<&str>, error: Option<&str>) -> Markup {
    html! {
        label class="label" for=(name) { (label) }
        @if let Some(h) = hint { p class="hint" id={ (name) "-hint" } { (h) } }
        @if let Some(e) = error {
            p class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Error: " } (e) }
        }
    }
}

/// A one-line text input.
pub fn text(form: &Form, name: &str, label: &str, hint: Option<&str>) -> Markup {
    let error = form.error(name);
    html! {
        div class={ "field" @if error.is_some() { " field--error" } } {
            (parts(name, label, hint, error))
            input class="input" type="text" id=(name) name=(name) value=(form.value(name))
                aria-describedby=[described_by(name, hint, error)]
                aria-invalid=[error.map(|_| "true")];
        }
    }
}

/// A multi-line text input.
pub fn area(form: &Form, name: &str, label: &str, hint: Option<&str>) -> Markup {
    let error = form.error(name);
    html! {
        div class={ "field" @if error.is_some() { " field--error" } } {
            (parts(name, label, hint, error))
            textarea class="textarea" id=(name) name=(name) rows="5"
                aria-describedby=[described_by(name, hint, error)]
                aria-invalid=[error.map(|_| "true")] { (form.value(name)) }
        }
    }
}

/// A choice of one, as radio buttons in a fieldset; `options` are (value, label).
pub fn radios(
    form: &Form,
    name: &str,
    legend: &str,
    hint: Option<&str>,
    options: &[(&str, &str)],
) -> Markup {
    let error = form.error(name);
    let chosen = form.value(name);
    html! {
        div class={ "field" @if error.is_some() { " field--error" } } {
            fieldset class="fieldset" aria-describedby=[described_by(name, hint, error)] {
                legend class="label" { (legend) }
                @if let Some(h) = hint { p class="hint" id={ (name) "-hint" } { (h) } }
                @if let Some(e) = error {
                    p class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Error: " } (e) }
                }
                @for (i, (value, label)) in options.iter().enumerate() {
                    @let id = if i == 0 { name.to_string() } else { format!("{name}-{i}") };
                    div class="radio" {
                        input type="radio" id=(id) name=(name) value=(value) checked[chosen == *value];
                        label for=(id) { (label) }
                    }
                }
            }
        }
    }
}

/// A single checkbox (sent as `yes` when ticked).
pub fn checkbox(form: &Form, name: &str, label: &str, hint: Option<&str>) -> Markup {
    html! {
        div class="field checkbox" {
            input type="checkbox" id=(name) name=(name) value="yes" checked[form.value(name) == "yes"]
                aria-describedby=[hint.map(|_| format!("{name}-hint"))];
            label for=(name) { (label) }
            @if let Some(h) = hint { p class="hint" id={ (name) "-hint" } { (h) } }
        }
    }
}

/// A submit button.
pub fn submit(label: &str) -> Markup {
    html! { button type="submit" class="button" { (label) } }
}

/// A typed text as a `PlainTextInput` in English, without the spaces and blank lines a form
/// leaves around it (the domain says if it is empty or too long).
pub fn plain(text: &str) -> Value {
    serde_json::json!({ "text": text.trim(), "lang": "en" })
}
