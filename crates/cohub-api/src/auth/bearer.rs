//! Where a token comes from: the `Authorization` header, or a graphql-ws `connection_init`.

use crate::error::ApiError;

/// The token of an `Authorization: Bearer <token>` header value; `None` when there is no header.
pub fn bearer_token(header: Option<&str>) -> Result<Option<&str>, ApiError> {
    let Some(value) = header else {
        return Ok(None);
    };
    let value = value.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`".into(),
        ));
    }
    Ok(Some(token))
}

/// The token of a graphql-ws `connection_init` payload: `{"Authorization": "Bearer <token>"}`
/// (any case of the key) or `{"authToken": "<token>"}`; `None` when it carries neither.
pub fn connection_init_token(payload: &serde_json::Value) -> Result<Option<String>, ApiError> {
    let Some(map) = payload.as_object() else {
        return Ok(None);
    };
    for (key, value) in map {
        if key.eq_ignore_ascii_case("authorization") {
            let header = value.as_str().ok_or_else(|| {
                ApiError::Unauthenticated("`Authorization` must be a string".into())
            })?;
            return Ok(bearer_token(Some(header))?.map(str::to_owned));
        }
    }
    match map.get("authToken") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(token)) if !token.trim().is_empty() => {
            Ok(Some(token.trim().to_owned()))
        }
        Some(_) => Err(ApiError::Unauthenticated(
            "`authToken` must be a non-empty string".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_forms() {
        assert_eq!(bearer_token(None).unwrap(), None);
        assert_eq!(bearer_token(Some("Bearer abc")).unwrap(), Some("abc"));
        assert_eq!(bearer_token(Some("bearer  abc ")).unwrap(), Some("abc"));
        assert!(bearer_token(Some("Basic abc")).is_err());
        assert!(bearer_token(Some("Bearer")).is_err());
        assert!(bearer_token(Some("")).is_err());
    }

    #[test]
    fn connection_init_forms() {
        assert_eq!(connection_init_token(&json!(null)).unwrap(), None);
        assert_eq!(connection_init_token(&json!({})).unwrap(), None);
        assert_eq!(
            connection_init_token(&json!({"Authorization": "Bearer t"})).unwrap(),
            Some("t".into())
        );
        assert_eq!(
            connection_init_token(&json!({"authorization": "Bearer t"})).unwrap(),
            Some("t".into())
        );
        assert_eq!(
            connection_init_token(&json!({"authToken": "t"})).unwrap(),
            Some("t".into())
        );
        assert!(connection_init_token(&json!({"Authorization": "t"})).is_err());
        assert!(connection_init_token(&json!({"authToken": 3})).is_err());
    }
}
