//! The HTTP surface: error shapes for everything refused before GraphQL runs, GraphiQL,
//! health, readiness, metrics, and the store-backed queries.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use cohub_api::error::apply_codes;
use cohub_api::{ApiError, ErrorCode};
use cohub_store::StoreError;
use common::{code, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

fn json_body(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(bytes)))
}

#[tokio::test]
async fn malformed_bodies_get_graphql_shaped_errors() {
    let app = TestApp::new();
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"query\": "))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "VALIDATION",
        ),
        (
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"variables\": {}}"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "VALIDATION",
        ),
        (
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("{ viewer { memberId } }"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION",
        ),
        (
            Request::post("/graphql")
                .body(Body::from("{\"query\": \"{ viewer { memberId } }\"}"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION",
        ),
        (
            Request::get("/nowhere").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
        (
            Request::put("/graphql").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "VALIDATION",
        ),
    ];
    for (req, status, expected) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let (got, headers, bytes) = app.send(req).await;
        assert_eq!(got, status, "{what}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{what}"
        );
        let body = json_body(&bytes);
        assert_eq!(code(&body), expected, "{what}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().len() > 10);
    }
}

#[tokio::test]
async fn graphql_errors_all_carry_codes() {
    let app = TestApp::new();
    for (query, expected) in [
        ("{ viewer { memberId", "VALIDATION"),
        ("{ noSuchField }", "VALIDATION"),
        (
            "query A { viewer { memberId } } query B { viewer { memberId } }",
            "VALIDATION",
        ),
        (
            "query($h: UUID!) { chainHead(hubId: $h) { hash } }",
            "VALIDATION",
        ),
    ] {
        let body = app.gql(query, json!({}), None).await;
        assert_eq!(code(&body), expected, "{query}: {body}");
    }
    let body = app
        .gql(
            "query($h: UUID!) { chainHead(hubId: $h) { hash } }",
            json!({ "h": "not-a-uuid" }),
            None,
        )
        .await;
    assert_eq!(code(&body), "VALIDATION", "{body}");
}

#[tokio::test]
async fn chain_heads_are_public_and_verification_needs_a_member() {
    let app = TestApp::new();
    let hub = Uuid::now_v7();
    app.seed_hub(hub, 3).await;

    let q = "query($h: UUID!) { chainHead(hubId: $h) { hubId hubSeq hash } }";
    let body = app.gql(q, json!({ "h": hub }), None).await;
    let head = &body["data"]["chainHead"];
    assert_eq!(head["hubSeq"], 3, "{body}");
    assert_eq!(head["hash"].as_str().unwrap().len(), 64);

    let missing = app.gql(q, json!({ "h": Uuid::now_v7() }), None).await;
    assert_eq!(code(&missing), "NOT_FOUND", "{missing}");
    assert_eq!(missing["errors"][0]["path"], json!(["chainHead"]));

    // verifyChains covers the caller's own hubs: none for someone in no hub; every hub for an
    // operator.
    let token = app.token(Uuid::now_v7());
    let none = app
        .gql("{ verifyChains { hubId } }", json!({}), Some(&token))
        .await;
    assert_eq!(none["data"]["verifyChains"], json!([]), "{none}");
    let refused = app
        .gql(
            "query($h: UUID!) { verifyChain(hubId: $h) { intact } }",
            json!({ "h": hub }),
            Some(&token),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let token = app
        .issuer
        .issue_operator(Uuid::now_v7(), Duration::from_secs(600))
        .unwrap();
    let body = app
        .gql(
            "{ verifyChains { hubId intact head { hubSeq hash } brokenAt { hubSeq reason } } }",
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(
        body["data"]["verifyChains"],
        json!([{ "hubId": hub, "intact": true, "brokenAt": null,
                 "head": { "hubSeq": 3, "hash": head["hash"] } }])
    );
    let one = app
        .gql(
            "query($h: UUID!) { verifyChain(hubId: $h) { intact } }",
            json!({ "h": hub }),
            Some(&token),
        )
        .await;
    assert_eq!(one["data"]["verifyChain"]["intact"], true, "{one}");
}

#[test]
fn store_errors_map_to_codes_once() {
    let cases = [
        (
            StoreError::Conflict {
                stream_id: "s".into(),
                expected: "1".into(),
                actual: 2,
            },
            ErrorCode::Conflict,
        ),
        (
            StoreError::IdempotencyMismatch { key: "k".into() },
            ErrorCode::IdempotencyKeyReused,
        ),
        (
            StoreError::OutcomeUnknown("the connection dropped during COMMIT".into()),
            ErrorCode::OutcomeUnknown,
        ),
        (
            StoreError::WrongHub {
                stream_id: "s".into(),
            },
            ErrorCode::Validation,
        ),
        (
            StoreError::Invalid("no events".into()),
            ErrorCode::Validation,
        ),
        (
            StoreError::Unavailable("closing".into()),
            ErrorCode::Unavailable,
        ),
        (
            StoreError::Backend("disk on fire".into()),
            ErrorCode::Internal,
        ),
        (StoreError::Corrupt("bad bytes".into()), ErrorCode::Internal),
    ];
    for (err, expected) in cases {
        let api = ApiError::from(err);
        assert_eq!(api.code(), expected, "{api:?}");
    }
    // Internal causes stay in the log, not in the answer.
    let api = ApiError::from(StoreError::Backend("disk on fire".into()));
    assert!(!api.to_string().contains("disk"));
    // What can be retried as it is says when; the rest does not.
    let unavailable = ApiError::from(StoreError::Unavailable("down".into())).to_graphql_json();
    assert_eq!(unavailable["extensions"]["code"], "UNAVAILABLE");
    assert!(unavailable["extensions"]["retryAfterSeconds"].as_u64() > Some(0));
    let unknown = ApiError::from(StoreError::OutcomeUnknown("cut".into())).to_graphql_json();
    assert_eq!(unknown["extensions"]["code"], "OUTCOME_UNKNOWN");
    assert!(unknown["extensions"]["retryAfterSeconds"].as_u64() > Some(0));
    assert!(
        unknown["message"]
            .as_str()
            .is_some_and(|m| m.contains("same idempotency key")),
        "{unknown}"
    );
    let reused = ApiError::from(StoreError::IdempotencyMismatch { key: "k".into() });
    assert!(reused.to_graphql_json()["extensions"]
        .get("retryAfterSeconds")
        .is_none());
}

#[test]
fn resolver_errors_keep_their_code_and_rule() {
    let rule = ApiError::Rule {
        rule: "community_organisation_must_be_a_party".into(),
        message: "a community organisation must be a party to the distribution".into(),
    };
    let mut resp = async_graphql::Response::from_errors(vec![
        async_graphql::Error::from(rule.clone()).into_server_error(Default::default()),
        async_graphql::Error::from(ApiError::Forbidden("no".into()))
            .into_server_error(Default::default()),
        async_graphql::ServerError::new("Unknown field", None),
    ]);
    apply_codes(&mut resp);
    let body = serde_json::to_value(&resp).unwrap();
    let errors = &body["errors"];
    assert_eq!(errors[0]["extensions"]["code"], "RULE");
    assert_eq!(
        errors[0]["extensions"]["rule"],
        "community_organisation_must_be_a_party"
    );
    assert_eq!(
        errors[0]["message"],
        "a community organisation must be a party to the distribution"
    );
    assert_eq!(errors[1]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(errors[2]["extensions"]["code"], "VALIDATION");
    assert_eq!(
        rule.to_graphql_json()["extensions"],
        json!({ "code": "RULE", "rule": "community_organisation_must_be_a_party" })
    );
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let app = TestApp::new();
    let (status, headers, bytes) = app
        .send(Request::get("/graphql").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8(bytes).unwrap();
    assert!(html.contains("graphiql"), "{html}");
    assert!(html.contains("/graphql"));
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new();
    let (status, _, bytes) = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_body(&bytes), json!({ "status": "ok" }));

    let (status, _, bytes) = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let report = json_body(&bytes);
    assert_eq!(report["ready"], true);
    assert_eq!(report["checks"][0]["name"], "store");

    let not_ready = TestApp::build(
        |_| {},
        |r, _| {
            r.with("projections", || async {
                Err::<String, _>("read models are 12 events behind".to_string())
            })
        },
    );
    let (status, _, bytes) = not_ready
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let report = json_body(&bytes);
    assert_eq!(report["ready"], false);
    assert_eq!(
        report["checks"][1]["detail"],
        "read models are 12 events behind"
    );

    // Once shutdown begins, the server reports itself not ready so balancers drain it.
    app.api.begin_shutdown();
    let (status, _, _) = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn metrics_count_operations_by_name_and_code() {
    let app = TestApp::new();
    app.gql("{ viewer { memberId } }", json!({}), None).await;
    app.gql("{ viewer { memberId } }", json!({}), None).await;
    app.gql("{ verifyChains { hubId } }", json!({}), None).await;
    app.gql("{ nope }", json!({}), None).await;
    let (status, headers, bytes) = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = String::from_utf8(bytes).unwrap();
    for line in [
        "cohub_graphql_requests_total{code=\"OK\",operation=\"query viewer\"} 2",
        "cohub_graphql_requests_total{code=\"UNAUTHENTICATED\",operation=\"query verifyChains\"} 1",
        "cohub_graphql_requests_total{code=\"VALIDATION\",operation=\"rejected\"} 1",
        "cohub_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"} 4",
        "cohub_graphql_request_duration_seconds_count{operation=\"query viewer\"} 2",
    ] {
        assert!(text.contains(line), "missing {line} in:\n{text}");
    }
}
