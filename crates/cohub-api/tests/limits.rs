//! Limits: the full introspection query passes; deeper, more complex, wider, aliased, batched,
//! larger and faster-than-allowed requests are refused with code LIMIT.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{code, codes, post_request, TestApp, INTROSPECTION_QUERY};
use serde_json::{json, Value};
use uuid::Uuid;

#[tokio::test]
async fn the_full_introspection_query_passes() {
    let app = TestApp::new();
    let body = app.gql(INTROSPECTION_QUERY, json!({}), None).await;
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");
    let types = schema["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "ChainHead"));
}

/// `{ __schema { types { fields { type { ofType { ofType ... } } } } } }` nested `n` times.
fn nested_of_type(n: usize) -> String {
    let mut q = String::from("name");
    for _ in 0..n {
        q = format!("ofType {{ {q} }}");
    }
    format!("{{ __schema {{ types {{ fields {{ type {{ {q} }} }} }} }} }}")
}

#[tokio::test]
async fn deeper_queries_are_refused() {
    let app = TestApp::new();
    let max = app.config.limits.max_depth;
    // __schema, types, fields, type: 4 levels, then the ofTypes, then `name`.
    let ok = app.gql(&nested_of_type(max - 5), json!({}), None).await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let too_deep = app.gql(&nested_of_type(max), json!({}), None).await;
    assert_eq!(code(&too_deep), "LIMIT", "{too_deep}");
    assert!(too_deep["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("levels deep"));
    assert!(too_deep.get("data").is_none() || too_deep["data"].is_null());
}

#[tokio::test]
async fn very_deep_documents_stop_at_the_parser() {
    let app = TestApp::new();
    let body = app.gql(&nested_of_type(200), json!({}), None).await;
    assert_eq!(code(&body), "LIMIT", "{body}");
}

#[tokio::test]
async fn more_complex_queries_are_refused() {
    let app = TestApp::with_config(|c| c.limits.max_complexity = 20);
    let small = app.gql("{ viewer { memberId } }", json!({}), None).await;
    assert!(small.get("errors").is_none(), "{small}");
    // About 27 fields, well within the depth, field and alias limits.
    let q = "{ __schema { types { name kind description specifiedByURL
        fields { name description isDeprecated deprecationReason
                 args { name description defaultValue }
                 type { name kind ofType { name kind } } }
        inputFields { name } interfaces { name } enumValues { name } possibleTypes { name } } } }";
    let body = app.gql(q, json!({}), None).await;
    assert_eq!(code(&body), "LIMIT", "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("complexity"));
}

#[tokio::test]
async fn too_many_fields_through_fragments_are_refused() {
    let app = TestApp::new();
    // 4 fragments each used 4 times over 8 fields: 4^4 * 8 fields once expanded.
    let q = "{ __schema { types { ...A ...A ...A ...A } } }
        fragment A on __Type { ...B ...B ...B ...B }
        fragment B on __Type { ...C ...C ...C ...C }
        fragment C on __Type { ...D ...D ...D ...D }
        fragment D on __Type { name kind description specifiedByURL __typename name kind }";
    let body = app.gql(q, json!({}), None).await;
    assert_eq!(code(&body), "LIMIT", "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("fields"));
}

#[tokio::test]
async fn too_many_aliases_are_refused() {
    let app = TestApp::new();
    let max = app.config.limits.max_aliases;
    let aliases = |n: usize| {
        let f: Vec<String> = (0..n)
            .map(|i| format!("a{i}: viewer {{ memberId }}"))
            .collect();
        format!("{{ {} }}", f.join(" "))
    };
    let ok = app.gql(&aliases(max), json!({}), None).await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let body = app.gql(&aliases(max + 1), json!({}), None).await;
    assert_eq!(code(&body), "LIMIT", "{body}");
}

#[tokio::test]
async fn too_many_directives_on_a_field_are_refused() {
    let app = TestApp::new();
    let directives = vec!["@include(if: true)"; app.config.limits.max_directives + 1].join(" ");
    let body = app
        .gql(
            &format!("{{ viewer {directives} {{ memberId }} }}"),
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&body), "LIMIT", "{body}");
}

#[tokio::test]
async fn batches_work_up_to_the_limit() {
    let app = TestApp::new();
    let one = json!({ "query": "{ viewer { memberId } }" });
    let (status, body) = app.post_json(&json!([one, one]), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([{ "data": { "viewer": null } }, { "data": { "viewer": null } }])
    );

    let too_many: Vec<Value> = vec![one; app.config.limits.max_batch + 1];
    let (status, body) = app.post_json(&json!(too_many), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "LIMIT");

    let (status, body) = app.post_json(&json!([]), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "VALIDATION");
}

#[tokio::test]
async fn an_oversized_body_is_413_with_a_graphql_error() {
    let app = TestApp::new();
    let padding = "x".repeat(app.config.limits.max_body_bytes + 1);
    let big = json!({ "query": format!("{{ viewer {{ memberId }} }} # {padding}") });
    let (status, headers, bytes) = app.send(post_request(&big, None)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(code(&body), "LIMIT");

    // The same without a Content-Length (streamed): still 413.
    let chunks = futures::stream::iter(
        padding
            .into_bytes()
            .chunks(8192)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let req = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(chunks))
        .unwrap();
    let (status, _, bytes) = app.send(req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(code(&body), "LIMIT");
}

#[tokio::test]
async fn rates_are_limited_per_address_and_per_member() {
    let app = TestApp::with_config(|c| {
        c.rate_limit.anonymous_burst = 3;
        c.rate_limit.anonymous_per_minute = 1;
        c.rate_limit.member_burst = 2;
        c.rate_limit.member_per_minute = 1;
    });
    let q = json!({ "query": "{ viewer { memberId } }" });
    for _ in 0..3 {
        let (status, _, _) = app.send_from(post_request(&q, None), "10.0.0.1:1000").await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, bytes) = app.send_from(post_request(&q, None), "10.0.0.1:1001").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(code(&body), "LIMIT");

    // Another address has its own bucket.
    let (status, _, _) = app.send_from(post_request(&q, None), "10.0.0.2:1000").await;
    assert_eq!(status, StatusCode::OK);

    // So does a member, from the exhausted address; and members are limited too.
    let token = app.token(Uuid::now_v7());
    for _ in 0..2 {
        let (status, _, _) = app
            .send_from(post_request(&q, Some(&token)), "10.0.0.1:1002")
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, bytes) = app
        .send_from(post_request(&q, Some(&token)), "10.0.0.1:1003")
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(codes(&serde_json::from_slice(&bytes).unwrap()), ["LIMIT"]);

    let (_, _, metrics) = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("cohub_rate_limited_total{client=\"anonymous\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("cohub_rate_limited_total{client=\"member\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_trusted_proxy_header_names_the_client() {
    let app = TestApp::with_config(|c| {
        c.rate_limit.anonymous_burst = 1;
        c.rate_limit.client_ip_header = Some("x-forwarded-for".into());
    });
    let q = json!({ "query": "{ viewer { memberId } }" });
    let from = |ip: &str| {
        let mut req = post_request(&q, None);
        req.headers_mut().insert(
            "x-forwarded-for",
            format!("{ip}, 10.9.9.9").parse().unwrap(),
        );
        req
    };
    assert_eq!(app.send(from("192.0.2.1")).await.0, StatusCode::OK);
    assert_eq!(
        app.send(from("192.0.2.1")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.send(from("192.0.2.2")).await.0, StatusCode::OK);
}
