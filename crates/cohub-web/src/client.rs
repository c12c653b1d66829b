//! Asking cohub's own GraphQL schema in-process, as the signed-in member: the same rules,
//! limits and error codes as `/graphql`, with no second copy of any of them.

use async_graphql::{Request, Variables};
use cohub_api::{Authenticated, CohubSchema};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

/// The schema, asked as a member.
#[derive(Clone)]
pub struct Client {
    schema: CohubSchema,
}

/// Why the schema refused or failed: its code and plain-language message.
#[derive(Debug, Clone)]
pub struct Failure {
    /// `extensions.code`, e.g. `VALIDATION`, `RULE`, `FORBIDDEN`, `OUTCOME_UNKNOWN`.
    pub code: String,
    /// The message, written for the person using cohub.
    pub message: String,
    /// `extensions.field`: the input field a `VALIDATION` error is about, as the message
    /// names it.
    pub field: Option<String>,
    /// `extensions.rule`: the co-production rule a `RULE` refusal names (e.g.
    /// `only_champions_speak_for_residents`), so a form can show it beside the choice it is
    /// about.
    pub rule: Option<String>,
}

impl Failure {
    fn internal(message: impl Into<String>) -> Failure {
        Failure {
            code: "INTERNAL".into(),
            message: message.into(),
            field: None,
            rule: None,
        }
    }

    /// The API's error as a failure: its code (an error without one is the schema's own
    /// refusal of the document: `VALIDATION`), message, field and rule.
    fn of(err: &async_graphql::ServerError) -> Failure {
        let ext = err.extensions.as_ref();
        let text = |k: &str| {
            ext.and_then(|e| e.get(k)).and_then(|v| match v {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
        };
        Failure {
            code: text("code").unwrap_or_else(|| "VALIDATION".into()),
            message: err.message.clone(),
            field: text("field"),
            rule: text("rule"),
        }
    }
}

/// How many times a change answered `OUTCOME_UNKNOWN` or `UNAVAILABLE` is sent again (with
/// the same idempotency key, so it is never recorded twice) before the page says so.
const RETRIES: u32 = 2;

impl Client {
    /// A client of `schema`.
    pub fn new(schema: CohubSchema) -> Self {
        Client { schema }
    }

    /// Runs a query (or mutation) once and returns its `data`, or the first error.
    pub async fn run(
        &self,
        auth: Option<Authenticated>,
        document: &str,
        variables: Value,
    ) -> Result<Value, Failure> {
        let mut request = Request::new(document).variables(Variables::from_json(variables));
        if let Some(auth) = auth {
            request = request.data(auth);
        }
        let response = self.schema.execute(request).await;
        if let Some(err) = response.errors.first() {
            return Err(Failure::of(err));
        }
        response
            .data
            .into_json()
            .map_err(|e| Failure::internal(format!("the answer could not be read: {e}")))
    }

    /// Runs a query and reads its `data` as `T`.
    pub async fn query<T: DeserializeOwned>(
        &self,
        auth: Option<Authenticated>,
        document: &str,
        variables: Value,
    ) -> Result<T, Failure> {
        let data = self.run(auth, document, variables).await?;
        serde_json::from_value(data).map_err(|e| {
            tracing::error!(error = %e, "a page's query answer did not match its shape");
            Failure::internal("something went wrong on the server; it has been logged")
        })
    }

    /// Runs a subscription as a signed-in member and yields each update's `data`; the first
    /// error (a refusal, or the member losing their place in the hub) ends it.
    pub fn subscribe(
        &self,
        auth: Authenticated,
        document: &str,
        variables: Value,
    ) -> impl futures::Stream<Item = Result<Value, Failure>> + Send + 'static {
        use futures::StreamExt;
        let request = Request::new(document)
            .variables(Variables::from_json(variables))
            .data(auth);
        self.schema
            .execute_stream(request)
            .map(|response| {
                if let Some(err) = response.errors.first() {
                    return Err(Failure::of(err));
                }
                response
                    .data
                    .into_json()
                    .map_err(|e| Failure::internal(format!("the update could not be read: {e}")))
            })
            .scan(false, |ended, item| {
                // Stop after the first error: nothing follows it.
                if *ended {
                    return futures::future::ready(None);
                }
                *ended = item.is_err();
                futures::future::ready(Some(item))
            })
    }

    /// Runs a mutation. Its variables carry an idempotency key, so when the answer is
    /// `OUTCOME_UNKNOWN` (the log failed while recording, and whether it recorded could not
    /// be told) or `UNAVAILABLE` (nothing was recorded) it is sent again, unchanged, a couple
    /// of times: it is then either answered with its receipt or recorded once. Once an
    /// outcome was unknown, a later `UNAVAILABLE` does not make it known: the answer stays
    /// `OUTCOME_UNKNOWN` unless a retry settles it.
    pub async fn mutate(
        &self,
        auth: Authenticated,
        document: &str,
        variables: Value,
    ) -> Result<Value, Failure> {
        let mut unknown: Option<Failure> = None;
        let mut unavailable: Option<Failure> = None;
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
            match self.run(Some(auth), document, variables.clone()).await {
                Err(f) if f.code == "OUTCOME_UNKNOWN" => unknown = Some(f),
                Err(f) if f.code == "UNAVAILABLE" => unavailable = Some(f),
                other => return other,
            }
        }
        Err(unknown
            .or(unavailable)
            .expect("only unknown outcomes and unavailability are retried"))
    }
}
