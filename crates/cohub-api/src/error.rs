//! The edge's one error type, its machine-readable codes, and the one place typed errors from
//! the crates below are mapped to them.

use async_graphql::ErrorExtensions;
use cohub_command::CommandError;
use cohub_domain::DomainError;
use cohub_read::ReadError;
use cohub_store::StoreError;
use serde_json::json;
use thiserror::Error;

/// The machine-readable code every error carries in `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No valid credential where one is needed, or a credential that is bad, expired or forged.
    Unauthenticated,
    /// A valid credential that may not do this.
    Forbidden,
    /// The thing asked for does not exist.
    NotFound,
    /// The request is malformed or a value is not acceptable.
    Validation,
    /// Someone else changed the thing first; reload and retry.
    Conflict,
    /// The caller already used this idempotency key for a different request (another
    /// operation or another input); nothing was recorded. Use a new key for a new request.
    IdempotencyKeyReused,
    /// A co-production rule forbids it (`extensions.rule` names the rule).
    Rule,
    /// A size, depth, complexity or rate limit was exceeded.
    Limit,
    /// A service the request needs is down or shutting down, and nothing was recorded; retry
    /// after `extensions.retryAfterSeconds`.
    Unavailable,
    /// The event log failed while recording the change, and whether it was recorded could not
    /// be told. Send the same request again with the same idempotency key.
    OutcomeUnknown,
    /// The server failed; the details are in its log.
    Internal,
}

impl ErrorCode {
    /// The code as clients see it, e.g. `UNAUTHENTICATED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::Rule => "RULE",
            ErrorCode::Limit => "LIMIT",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::OutcomeUnknown => "OUTCOME_UNKNOWN",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as the API reports it: a plain-language message and a code.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ApiError {
    /// See [`ErrorCode::Unauthenticated`].
    #[error("{0}")]
    Unauthenticated(String),
    /// See [`ErrorCode::Forbidden`].
    #[error("{0}")]
    Forbidden(String),
    /// See [`ErrorCode::NotFound`].
    #[error("{0}")]
    NotFound(String),
    /// See [`ErrorCode::Validation`].
    #[error("{0}")]
    Validation(String),
    /// A [`ErrorCode::Validation`] about one field of the input, named in
    /// `extensions.field` in the words the message uses (e.g. `title`), so a form can show the
    /// message beside that field.
    #[error("{message}")]
    InvalidField {
        /// The field, as the message names it.
        field: String,
        /// What is wrong and how to put it right.
        message: String,
    },
    /// See [`ErrorCode::Conflict`].
    #[error("{0}")]
    Conflict(String),
    /// See [`ErrorCode::IdempotencyKeyReused`].
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// A co-production rule, by name (e.g. `community_organisation_must_be_a_party`).
    #[error("{message}")]
    Rule {
        /// The rule's stable name, for clients to branch on.
        rule: String,
        /// What happened and what to do, in plain language.
        message: String,
    },
    /// See [`ErrorCode::Limit`].
    #[error("{0}")]
    Limit(String),
    /// See [`ErrorCode::Unavailable`].
    #[error("{0}")]
    Unavailable(String),
    /// See [`ErrorCode::OutcomeUnknown`].
    #[error("{0}")]
    OutcomeUnknown(String),
    /// See [`ErrorCode::Internal`]. The message shown is generic; the cause is logged.
    #[error("something went wrong on the server; it has been logged")]
    Internal(String),
}

impl ApiError {
    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Validation(_) | ApiError::InvalidField { .. } => ErrorCode::Validation,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::IdempotencyKeyReused(_) => ErrorCode::IdempotencyKeyReused,
            ApiError::Rule { .. } => ErrorCode::Rule,
            ApiError::Limit(_) => ErrorCode::Limit,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::OutcomeUnknown(_) => ErrorCode::OutcomeUnknown,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// For an error worth retrying as it is (`UNAVAILABLE`, `OUTCOME_UNKNOWN`), how many
    /// seconds to wait first (`extensions.retryAfterSeconds`).
    pub fn retry_after_seconds(&self) -> Option<u64> {
        matches!(self, ApiError::Unavailable(_) | ApiError::OutcomeUnknown(_))
            .then_some(RETRY_AFTER_SECONDS)
    }

    /// An internal failure: logs `cause` and shows the caller a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let cause = cause.to_string();
        tracing::error!(%cause, "internal error");
        ApiError::Internal(cause)
    }

    /// The error as one entry of a GraphQL `errors` array (for answers given outside
    /// async-graphql, such as HTTP 413 or 429).
    pub fn to_graphql_json(&self) -> serde_json::Value {
        let mut extensions = json!({ "code": self.code().as_str() });
        if let ApiError::Rule { rule, .. } = self {
            extensions["rule"] = json!(rule);
        }
        if let ApiError::InvalidField { field, .. } = self {
            extensions["field"] = json!(field);
        }
        if let Some(secs) = self.retry_after_seconds() {
            extensions["retryAfterSeconds"] = json!(secs);
        }
        json!({ "message": self.to_string(), "extensions": extensions })
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| set_code(ext, self))
    }
}

fn set_code(ext: &mut async_graphql::ErrorExtensionValues, err: &ApiError) {
    ext.set("code", err.code().as_str());
    if let ApiError::Rule { rule, .. } = err {
        ext.set("rule", rule.as_str());
    }
    if let ApiError::InvalidField { field, .. } = err {
        ext.set("field", field.as_str());
    }
    if let Some(secs) = err.retry_after_seconds() {
        ext.set("retryAfterSeconds", secs);
    }
}

/// The wait suggested before retrying an `UNAVAILABLE` or `OUTCOME_UNKNOWN` request.
pub const RETRY_AFTER_SECONDS: u64 = 2;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { .. } => ApiError::Conflict(err.to_string()),
            StoreError::IdempotencyMismatch { key } => ApiError::IdempotencyKeyReused(format!(
                "You already used the idempotency key {key:?} for a different request, so \
                 nothing was recorded. Use a new key for a new request, or send exactly the \
                 same request again to get its receipt."
            )),
            StoreError::WrongHub { .. } | StoreError::Invalid(_) | StoreError::ImportRefused(_) => {
                ApiError::Validation(err.to_string())
            }
            StoreError::Unavailable(_) => ApiError::Unavailable(
                "the event log is not available just now, and nothing was recorded; please try \
                 again shortly"
                    .to_string(),
            ),
            StoreError::OutcomeUnknown(cause) => {
                tracing::warn!(%cause, "the outcome of an append is unknown");
                ApiError::OutcomeUnknown(
                    "The event log failed while recording this, and it could not be told \
                     whether it was recorded. Send the same request again with the same \
                     idempotency key: if it was recorded you get its receipt, and if not it is \
                     recorded then. Without a key, look first whether it is there."
                        .to_string(),
                )
            }
            StoreError::Corrupt(_) | StoreError::Backend(_) => ApiError::internal(err),
        }
    }
}

impl From<DomainError> for ApiError {
    /// A domain refusal keeps its plain-language message; a broken co-production rule carries
    /// the rule's stable snake_case name in `extensions.rule`.
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Validation(m) => ApiError::Validation(m),
            DomainError::InvalidField { field, message } => {
                ApiError::InvalidField { field, message }
            }
            DomainError::Rule { rule, message } => ApiError::Rule {
                rule: rule.as_str().to_string(),
                message,
            },
            DomainError::Forbidden(m) => ApiError::Forbidden(m),
            DomainError::NotFound(m) => ApiError::NotFound(m),
            DomainError::Conflict(m) => ApiError::Conflict(m),
            DomainError::Codec(m) => ApiError::internal(format!("event codec: {m}")),
        }
    }
}

impl From<CommandError> for ApiError {
    /// The domain's refusals as above; the store's (a stale `expectedVersion`, a reused
    /// idempotency key, an unavailable log) through the store mapping.
    fn from(err: CommandError) -> Self {
        match err {
            CommandError::Domain(e) => e.into(),
            CommandError::Store(e) => e.into(),
        }
    }
}

impl From<cohub_audit::AuditError> for ApiError {
    fn from(err: cohub_audit::AuditError) -> Self {
        use cohub_audit::AuditError;
        match err {
            AuditError::NotFound(m) => ApiError::NotFound(m),
            AuditError::Invalid(m) => ApiError::Validation(m),
            AuditError::Broken(m) => ApiError::Conflict(m),
            AuditError::Read(e) => e.into(),
            AuditError::Store(e) => e.into(),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(err: ReadError) -> Self {
        match err {
            ReadError::Timeout { position, .. } => ApiError::Unavailable(format!(
                "the change was recorded (position {position}), but the read models have not \
                 caught up with it yet; query it again in a moment"
            )),
            ReadError::Stopped(_) => ApiError::Unavailable(
                "the read models are not available just now; please try again shortly".to_string(),
            ),
            ReadError::BeyondHead { requested, head } => ApiError::Validation(format!(
                "position {requested} is beyond the end of the log (position {head})"
            )),
            ReadError::Store(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

/// Gives every error in a GraphQL response its code. Resolvers return `Result<_, ApiError>`;
/// async-graphql keeps the `ApiError` as the error's source, and its code (and rule) are set
/// from it here. Errors async-graphql raised itself (unknown fields, bad variables, unknown
/// operation names) are `VALIDATION` unless an earlier stage already coded them.
pub fn apply_codes(resp: &mut async_graphql::Response) {
    for err in &mut resp.errors {
        if let Some(api) = err.source::<ApiError>().cloned() {
            set_code(err.extensions.get_or_insert_with(Default::default), &api);
            continue;
        }
        let has_code = err
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if !has_code {
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::Validation.as_str());
        }
    }
}

/// Sets the code of a server error raised by async-graphql itself (parse, validation, limits).
pub fn with_code(
    mut err: async_graphql::ServerError,
    code: ErrorCode,
) -> async_graphql::ServerError {
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use cohub_domain::Rule;

    #[test]
    fn domain_errors_map_once_with_the_rule_name() {
        let e: ApiError =
            DomainError::rule_broken(Rule::SharesMustSumTo10000, "They add up to 90%.").into();
        assert_eq!(e.code(), ErrorCode::Rule);
        assert_eq!(e.to_string(), "They add up to 90%.");
        assert_eq!(
            e.to_graphql_json()["extensions"]["rule"],
            "shares_must_sum_to_10000"
        );
        let cases = [
            (DomainError::validation("v"), ErrorCode::Validation),
            (DomainError::forbidden("f"), ErrorCode::Forbidden),
            (DomainError::not_found("n"), ErrorCode::NotFound),
            (DomainError::conflict("c"), ErrorCode::Conflict),
            (DomainError::Codec("x".into()), ErrorCode::Internal),
        ];
        for (domain, code) in cases {
            let message = domain.to_string();
            let api: ApiError = CommandError::Domain(domain).into();
            assert_eq!(api.code(), code);
            if code != ErrorCode::Internal {
                assert_eq!(api.to_string(), message);
            }
        }
        let stale: ApiError = CommandError::Store(StoreError::Conflict {
            stream_id: "hub-x".into(),
            expected: "1".into(),
            actual: 2,
        })
        .into();
        assert_eq!(stale.code(), ErrorCode::Conflict);
        let late: ApiError = ReadError::Timeout {
            position: 9,
            applied: 3,
        }
        .into();
        assert_eq!(late.code(), ErrorCode::Unavailable);
    }
}
