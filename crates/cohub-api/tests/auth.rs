//! Bearer tokens over HTTP: the embedded issuer's tokens, every way a token can be bad, and an
//! OIDC issuer whose JWKS is served by a tiny local HTTP server.

mod common;

use axum::http::{header, StatusCode};
use cohub_api::auth::{AUDIENCE, ISSUER};
use cohub_api::OidcConfig;
use common::{code, post_request, TestApp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const VIEWER: &str = "{ viewer { memberId } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs `claims` with the data directory's own key (as if by a tampering insider).
fn sign_local(app: &TestApp, claims: &Value) -> String {
    let pem = std::fs::read(cohub_api::TokenIssuer::key_path(app.dir.path())).unwrap();
    let key = EncodingKey::from_ed_pem(&pem).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &key).unwrap()
}

/// POSTs the viewer query with a raw Authorization header; asserts 401 UNAUTHENTICATED.
async fn assert_refused(app: &TestApp, authorization: &str) -> String {
    let mut req = post_request(&json!({ "query": VIEWER }), None);
    req.headers_mut()
        .insert(header::AUTHORIZATION, authorization.parse().unwrap());
    let (status, headers, body) = app.send(req).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization}: {body}");
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    assert!(body.get("data").is_none(), "nothing runs: {body}");
    body["errors"][0]["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn without_a_token_the_caller_is_anonymous() {
    let app = TestApp::new();
    let body = app.gql(VIEWER, json!({}), None).await;
    assert_eq!(body, json!({ "data": { "viewer": null } }));
}

#[tokio::test]
async fn a_local_token_names_its_member() {
    let app = TestApp::new();
    let member = Uuid::now_v7();
    let body = app.gql(VIEWER, json!({}), Some(&app.token(member))).await;
    assert_eq!(
        body["data"]["viewer"]["memberId"],
        json!(member.to_string())
    );
}

#[tokio::test]
async fn bad_tokens_are_refused_never_anonymous() {
    let app = TestApp::new();
    let member = Uuid::now_v7().to_string();
    let good = |over: Value| {
        let mut claims = json!({
            "sub": member, "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600
        });
        for (k, v) in over.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };

    let expired = sign_local(&app, &good(json!({ "exp": now() - 3600 })));
    assert!(assert_refused(&app, &format!("Bearer {expired}"))
        .await
        .contains("expired"));

    let wrong_issuer = sign_local(&app, &good(json!({ "iss": "someone-else" })));
    assert!(assert_refused(&app, &format!("Bearer {wrong_issuer}"))
        .await
        .contains("issuer"));

    let wrong_audience = sign_local(&app, &good(json!({ "aud": "another-service" })));
    assert!(assert_refused(&app, &format!("Bearer {wrong_audience}"))
        .await
        .contains("another service"));

    let not_a_member = sign_local(&app, &good(json!({ "sub": "admin" })));
    assert_refused(&app, &format!("Bearer {not_a_member}")).await;

    // Forged: a valid token whose payload was swapped for another member's.
    let real = app.token(Uuid::now_v7());
    let other = app.token(Uuid::now_v7());
    let parts: Vec<&str> = real.split('.').collect();
    let other_payload = other.split('.').nth(1).unwrap();
    let forged = format!("{}.{}.{}", parts[0], other_payload, parts[2]);
    assert!(assert_refused(&app, &format!("Bearer {forged}"))
        .await
        .contains("signature"));

    // Signed by another data directory's key.
    let elsewhere = tempfile::tempdir().unwrap();
    let foreign = cohub_api::TokenIssuer::open(elsewhere.path())
        .unwrap()
        .issue(Uuid::now_v7(), Duration::from_secs(60))
        .unwrap();
    assert_refused(&app, &format!("Bearer {foreign}")).await;

    // HS256 with a guessable secret, and `alg: none`.
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &good(json!({})),
        &EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    assert!(assert_refused(&app, &format!("Bearer {hs}"))
        .await
        .contains("not accepted"));
    let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"; // {"alg":"none","typ":"JWT"}
    let payload = real.split('.').nth(1).unwrap();
    assert_refused(&app, &format!("Bearer {none_header}.{payload}.")).await;

    assert_refused(&app, "Bearer not-a-jwt").await;
    assert_refused(&app, "Basic dXNlcjpwYXNz").await;
    assert_refused(&app, "Bearer").await;
}

#[tokio::test]
async fn local_tokens_can_be_switched_off() {
    let app = TestApp::with_config(|c| c.auth.accept_local_tokens = false);
    let token = app.token(Uuid::now_v7());
    assert_refused(&app, &format!("Bearer {token}")).await;
}

#[tokio::test]
async fn member_only_fields_say_unauthenticated_to_anonymous_callers() {
    let app = TestApp::new();
    let body = app.gql("{ verifyChains { hubId } }", json!({}), None).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(body["errors"][0]["path"], json!(["verifyChains"]));
}

// ---------------------------------------------------------------------------------------------
// OIDC
// ---------------------------------------------------------------------------------------------

const OIDC_ISSUER: &str = "https://login.example.test/realms/cohub";

/// A JWKS server on 127.0.0.1 whose key set the test can change; counts fetches.
struct JwksServer {
    url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    async fn start(keys: Vec<Value>) -> JwksServer {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(Mutex::new(0usize));
        let app = {
            let keys = keys.clone();
            let fetches = fetches.clone();
            axum::Router::new().route(
                "/jwks.json",
                axum::routing::get(move || {
                    let keys = keys.clone();
                    let fetches = fetches.clone();
                    async move {
                        *fetches.lock().unwrap() += 1;
                        axum::Json(json!({ "keys": *keys.lock().unwrap() }))
                    }
                }),
            )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        JwksServer {
            url,
            keys,
            fetches,
            task,
        }
    }

    fn fetches(&self) -> usize {
        *self.fetches.lock().unwrap()
    }
}

/// An ES256 key made for this test: its PKCS#8 PEM and its public JWK.
fn es256_key(kid: &str) -> (EncodingKey, Value) {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!("ES256");
    jwk["use"] = json!("sig");
    (EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(), jwk)
}

/// The checked-in RSA test key (generated for these tests only; it protects nothing).
fn rs256_key() -> (EncodingKey, Value) {
    let pem = include_bytes!("fixtures/rsa-test-key.pem");
    let jwk: Value = serde_json::from_str(include_str!("fixtures/rsa-test-key.jwk.json")).unwrap();
    (EncodingKey::from_rsa_pem(pem).unwrap(), jwk)
}

fn oidc_token(key: &EncodingKey, alg: Algorithm, kid: &str, claims: Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn oidc_claims(sub: &str) -> Value {
    json!({ "sub": sub, "iss": OIDC_ISSUER, "aud": "cohub", "iat": now(), "exp": now() + 600 })
}

fn oidc_app(jwks_url: &str, tweak: impl FnOnce(&mut OidcConfig)) -> TestApp {
    let mut oidc = OidcConfig::new(OIDC_ISSUER, jwks_url);
    oidc.jwks_min_refetch_interval = Duration::ZERO;
    tweak(&mut oidc);
    TestApp::with_config(move |c| c.auth.oidc = Some(oidc))
}

#[tokio::test]
async fn oidc_tokens_verify_against_the_issuers_jwks() {
    let (es_key, es_jwk) = es256_key("es-1");
    let (rs_key, rs_jwk) = rs256_key();
    let jwks = JwksServer::start(vec![es_jwk, rs_jwk]).await;
    let app = oidc_app(&jwks.url, |_| {});

    let member = Uuid::now_v7();
    for token in [
        oidc_token(
            &es_key,
            Algorithm::ES256,
            "es-1",
            oidc_claims(&member.to_string()),
        ),
        oidc_token(
            &rs_key,
            Algorithm::RS256,
            "rsa-test-1",
            oidc_claims(&member.to_string()),
        ),
    ] {
        let body = app.gql(VIEWER, json!({}), Some(&token)).await;
        assert_eq!(
            body["data"]["viewer"]["memberId"],
            json!(member.to_string())
        );
    }
    assert_eq!(jwks.fetches(), 1, "keys are cached");

    // Local tokens still work beside OIDC ones.
    let body = app.gql(VIEWER, json!({}), Some(&app.token(member))).await;
    assert_eq!(
        body["data"]["viewer"]["memberId"],
        json!(member.to_string())
    );

    let m = member.to_string();
    let mut wrong_aud = oidc_claims(&m);
    wrong_aud["aud"] = json!("someone-else");
    let mut wrong_iss = oidc_claims(&m);
    wrong_iss["iss"] = json!("https://evil.example.test");
    let mut expired = oidc_claims(&m);
    expired["exp"] = json!(now() - 3600);
    for claims in [wrong_aud, wrong_iss, expired, oidc_claims("not-a-uuid")] {
        let token = oidc_token(&es_key, Algorithm::ES256, "es-1", claims);
        assert_refused(&app, &format!("Bearer {token}")).await;
    }

    // A key the issuer does not publish (same kid, different key): the signature fails.
    let (impostor, _) = es256_key("es-1");
    let token = oidc_token(&impostor, Algorithm::ES256, "es-1", oidc_claims(&m));
    assert!(assert_refused(&app, &format!("Bearer {token}"))
        .await
        .contains("signature"));

    // The RSA key's kid presented with ES256: the algorithm must match the key.
    let token = oidc_token(&es_key, Algorithm::ES256, "rsa-test-1", oidc_claims(&m));
    assert_refused(&app, &format!("Bearer {token}")).await;
    jwks.task.abort();
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_once() {
    let (old_key, old_jwk) = es256_key("old");
    let (new_key, new_jwk) = es256_key("new");
    let jwks = JwksServer::start(vec![old_jwk.clone()]).await;
    let app = oidc_app(&jwks.url, |_| {});
    let member = Uuid::now_v7().to_string();

    let body = app
        .gql(
            VIEWER,
            json!({}),
            Some(&oidc_token(
                &old_key,
                Algorithm::ES256,
                "old",
                oidc_claims(&member),
            )),
        )
        .await;
    assert_eq!(body["data"]["viewer"]["memberId"], json!(member));
    assert_eq!(jwks.fetches(), 1);

    // The issuer rotates: a token with the new kid makes the server fetch again.
    *jwks.keys.lock().unwrap() = vec![old_jwk, new_jwk];
    let body = app
        .gql(
            VIEWER,
            json!({}),
            Some(&oidc_token(
                &new_key,
                Algorithm::ES256,
                "new",
                oidc_claims(&member),
            )),
        )
        .await;
    assert_eq!(body["data"]["viewer"]["memberId"], json!(member));
    assert_eq!(jwks.fetches(), 2);

    // A kid nobody publishes is refused after one more look.
    let token = oidc_token(&new_key, Algorithm::ES256, "nobody", oidc_claims(&member));
    assert!(assert_refused(&app, &format!("Bearer {token}"))
        .await
        .contains("does not publish"));
    assert_eq!(jwks.fetches(), 3);
    jwks.task.abort();
}

#[tokio::test]
async fn unknown_kids_do_not_hammer_the_issuer() {
    let (key, jwk) = es256_key("k");
    let jwks = JwksServer::start(vec![jwk]).await;
    let app = oidc_app(&jwks.url, |o| {
        o.jwks_min_refetch_interval = Duration::from_secs(60)
    });
    let member = Uuid::now_v7().to_string();
    for i in 0..5 {
        let token = oidc_token(
            &key,
            Algorithm::ES256,
            &format!("forged-{i}"),
            oidc_claims(&member),
        );
        assert_refused(&app, &format!("Bearer {token}")).await;
    }
    assert_eq!(jwks.fetches(), 1);
    jwks.task.abort();
}

#[tokio::test]
async fn a_configured_member_claim_is_used() {
    let (key, jwk) = es256_key("k");
    let jwks = JwksServer::start(vec![jwk]).await;
    let app = oidc_app(&jwks.url, |o| o.member_claim = "cohub_member".into());
    let member = Uuid::now_v7().to_string();
    let mut claims = oidc_claims("auth0|12345");
    claims["cohub_member"] = json!(member);
    let token = oidc_token(&key, Algorithm::ES256, "k", claims);
    let body = app.gql(VIEWER, json!({}), Some(&token)).await;
    assert_eq!(body["data"]["viewer"]["memberId"], json!(member));
    jwks.task.abort();
}

#[tokio::test]
async fn an_unreachable_issuer_is_unavailable_not_anonymous() {
    let (key, _) = es256_key("k");
    // Bind and drop a listener so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = oidc_app(&format!("http://127.0.0.1:{port}/jwks.json"), |_| {});
    let token = oidc_token(
        &key,
        Algorithm::ES256,
        "k",
        oidc_claims(&Uuid::now_v7().to_string()),
    );
    let (status, body) = app
        .post_json(&json!({ "query": VIEWER }), Some(&token))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(code(&body), "UNAVAILABLE");
}
