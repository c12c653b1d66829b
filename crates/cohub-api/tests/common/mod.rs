//! In-process test harness: the real router over a sled store in a temporary directory,
//! driven with `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use cohub_api::{Api, ApiConfig, ApiDeps, Readiness, StoreProbe, TokenIssuer};
use cohub_command::CommandService;
use cohub_read::{Projector, ProjectorConfig};
use cohub_store::{ActorRef, AppendRequest, EventStore, ExpectedVersion, NewEvent, SledStore};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tower::ServiceExt;
use uuid::Uuid;

/// The introspection query of graphql-js 16 `getIntrospectionQuery()` with every option on
/// (descriptions, specifiedByURL, directive isRepeatable, schema description, input value
/// deprecation).
pub const INTROSPECTION_QUERY: &str = include_str!("../fixtures/introspection.graphql");

/// One API over one fresh data directory.
pub struct TestApp {
    pub api: Api,
    pub router: Router,
    pub issuer: TokenIssuer,
    pub store: Arc<dyn EventStore>,
    pub projector: Arc<Projector>,
    pub config: ApiConfig,
    pub dir: TempDir,
}

impl TestApp {
    /// Default configuration except a rate limit high enough not to interfere.
    pub fn new() -> TestApp {
        Self::with_config(|_| {})
    }

    /// Default configuration, then `tweak`.
    pub fn with_config(tweak: impl FnOnce(&mut ApiConfig)) -> TestApp {
        Self::build(tweak, |r, _| r)
    }

    /// Like [`with_config`], with the readiness probes chosen by `probes` (given the store).
    pub fn build(
        tweak: impl FnOnce(&mut ApiConfig),
        probes: impl FnOnce(Readiness, Arc<dyn EventStore>) -> Readiness,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn EventStore> =
            Arc::new(SledStore::open(&dir.path().join("log")).unwrap());
        let mut config = ApiConfig::new("127.0.0.1:0".parse().unwrap(), dir.path());
        config.rate_limit.member_burst = 10_000;
        config.rate_limit.anonymous_burst = 10_000;
        tweak(&mut config);
        let readiness = probes(
            Readiness::new().with("store", StoreProbe(store.clone())),
            store.clone(),
        );
        // Without a checkpoint directory, starting a projector awaits nothing: it only spawns
        // its task on the test's runtime.
        let projector = Arc::new(
            futures::executor::block_on(Projector::start(
                store.clone(),
                ProjectorConfig::default(),
            ))
            .unwrap(),
        );
        let api = Api::new(
            &config,
            ApiDeps {
                store: store.clone(),
                projector: projector.clone(),
                commands: CommandService::new(store.clone()),
                readiness,
            },
        )
        .unwrap();
        let issuer = TokenIssuer::open(dir.path()).unwrap();
        TestApp {
            router: api.router(),
            api,
            issuer,
            store,
            projector,
            config,
            dir,
        }
    }

    /// A token for `member` from the data directory's issuer.
    pub fn token(&self, member: Uuid) -> String {
        self.issuer.issue(member, Duration::from_secs(600)).unwrap()
    }

    /// Sends `req` as if from 127.0.0.1 and returns status, headers and body bytes.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.send_from(req, "127.0.0.1:40000").await
    }

    /// Sends `req` as if from `peer`.
    pub async fn send_from(
        &self,
        mut req: Request<Body>,
        peer: &str,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let peer: SocketAddr = peer.parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        (status, headers, body)
    }

    /// POSTs a JSON body to /graphql; returns status and the JSON answer.
    pub async fn post_json(&self, body: &Value, token: Option<&str>) -> (StatusCode, Value) {
        let (status, _, bytes) = self.send(post_request(body, token)).await;
        (
            status,
            serde_json::from_slice(&bytes).expect("a JSON answer"),
        )
    }

    /// Runs a GraphQL request; returns the JSON answer (HTTP 200 expected).
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let (status, body) = self
            .post_json(&json!({ "query": query, "variables": variables }), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Appends `n` events to a new stream of `hub`.
    pub async fn seed_hub(&self, hub: Uuid, n: usize) {
        append(self.store.as_ref(), hub, n).await;
    }
}

/// Appends `n` events to a fresh stream of `hub` in `store`.
pub async fn append(store: &dyn EventStore, hub: Uuid, n: usize) {
    store
        .append(AppendRequest {
            hub_id: hub,
            stream_id: format!("test-{}", Uuid::now_v7()),
            expected_version: ExpectedVersion::NoStream,
            actor: ActorRef {
                member_id: Uuid::now_v7(),
                organisation_id: None,
                stakeholder_kind: None,
                role: "facilitator".into(),
            },
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            idempotency_key: None,
            client_fingerprint: None,
            events: (0..n)
                .map(|i| NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "TestHappened".into(),
                    schema_version: 1,
                    payload: json!({ "i": i }),
                })
                .collect(),
        })
        .await
        .unwrap();
}

/// A POST /graphql request with a JSON body.
pub fn post_request(body: &Value, token: Option<&str>) -> Request<Body> {
    let mut req = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    req.body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// The `extensions.code` of every error in a GraphQL answer.
pub fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The single error code of a GraphQL answer (panics if there is not exactly one error).
pub fn code(body: &Value) -> String {
    let codes = codes(body);
    assert_eq!(codes.len(), 1, "expected one error: {body}");
    codes[0].clone()
}
