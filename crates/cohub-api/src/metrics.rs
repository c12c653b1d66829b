//! Prometheus metrics: GraphQL requests by operation and code, HTTP requests by route and
//! status, open graphql-ws connections, rate-limit refusals.
//!
//! The GraphQL `operation` label is the operation type and its root field names
//! (`query viewer`, `mutation proposeIdea`), taken only from documents that passed validation,
//! so its values are bounded by the schema and never by what clients choose to send.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::{Response, ServerResult, Variables};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The edge's metrics, in their own registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    graphql_requests: IntCounterVec,
    graphql_seconds: HistogramVec,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    ws_connections: IntGauge,
    rate_limited: IntCounterVec,
    parse_cache: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let registry = Registry::new();
        let graphql_requests = IntCounterVec::new(
            Opts::new(
                "cohub_graphql_requests_total",
                "GraphQL operations answered, by operation and outcome code (OK if no error).",
            ),
            &["operation", "code"],
        )
        .expect("valid metric");
        let graphql_seconds = HistogramVec::new(
            HistogramOpts::new(
                "cohub_graphql_request_duration_seconds",
                "Time to answer a GraphQL operation, by operation.",
            ),
            &["operation"],
        )
        .expect("valid metric");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "cohub_http_requests_total",
                "HTTP requests answered, by route, method and status.",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let http_seconds = HistogramVec::new(
            HistogramOpts::new(
                "cohub_http_request_duration_seconds",
                "Time to answer an HTTP request, by route.",
            ),
            &["route"],
        )
        .expect("valid metric");
        let ws_connections = IntGauge::new(
            "cohub_graphql_ws_connections",
            "Open graphql-ws (subscription) connections.",
        )
        .expect("valid metric");
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "cohub_rate_limited_total",
                "Requests refused by the rate limiter, by client kind (member or anonymous).",
            ),
            &["client"],
        )
        .expect("valid metric");
        let parse_cache = IntCounterVec::new(
            Opts::new(
                "cohub_graphql_parse_cache_total",
                "GraphQL query documents found parsed (hit) or parsed afresh (miss).",
            ),
            &["result"],
        )
        .expect("valid metric");
        for m in [
            Box::new(graphql_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(graphql_seconds.clone()),
            Box::new(http_requests.clone()),
            Box::new(http_seconds.clone()),
            Box::new(ws_connections.clone()),
            Box::new(rate_limited.clone()),
            Box::new(parse_cache.clone()),
        ] {
            registry.register(m).expect("metric names are unique");
        }
        Metrics {
            registry,
            graphql_requests,
            graphql_seconds,
            http_requests,
            http_seconds,
            ws_connections,
            rate_limited,
            parse_cache,
        }
    }

    /// Counts one GraphQL operation.
    pub fn observe_graphql(&self, operation: &str, code: &str, seconds: f64) {
        self.graphql_requests
            .with_label_values(&[operation, code])
            .inc();
        self.graphql_seconds
            .with_label_values(&[operation])
            .observe(seconds);
    }

    /// Counts one HTTP request.
    pub fn observe_http(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.http_seconds
            .with_label_values(&[route])
            .observe(seconds);
    }

    /// Counts a refusal by the rate limiter (`client` is `member` or `anonymous`).
    pub fn rate_limited(&self, client: &str) {
        self.rate_limited.with_label_values(&[client]).inc();
    }

    /// Counts a query document found parsed (`hit`) or parsed afresh (`miss`).
    pub fn parse_cache(&self, result: &str) {
        self.parse_cache.with_label_values(&[result]).inc();
    }

    /// Marks a graphql-ws connection open until the guard is dropped.
    pub fn ws_connection(&self) -> WsConnectionGuard {
        self.ws_connections.inc();
        WsConnectionGuard(self.ws_connections.clone())
    }

    /// Everything in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding into a Vec does not fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// Keeps the open-connections gauge up while a graphql-ws connection lives.
pub struct WsConnectionGuard(IntGauge);

impl Drop for WsConnectionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The extension factory that counts and times every GraphQL operation.
#[derive(Debug, Clone)]
pub struct GraphqlMetrics {
    metrics: Metrics,
}

impl GraphqlMetrics {
    /// Records into `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        GraphqlMetrics { metrics }
    }
}

impl ExtensionFactory for GraphqlMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GraphqlMetricsExtension {
            metrics: self.metrics.clone(),
            operations: Mutex::new(Vec::new()),
            label: Mutex::new(None),
        })
    }
}

struct GraphqlMetricsExtension {
    metrics: Metrics,
    /// Each operation of the parsed document: its name and label.
    operations: Mutex<Vec<(Option<String>, String)>>,
    /// The label of the operation that reached execution (so it passed validation).
    label: Mutex<Option<String>>,
}

/// Label of an operation rejected before execution (parse, validation or limit errors).
const REJECTED: &str = "rejected";

#[async_trait::async_trait]
impl Extension for GraphqlMetricsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let resp = next.run(ctx).await;
        let label = self
            .label
            .lock()
            .expect("metrics label lock")
            .take()
            .unwrap_or_else(|| REJECTED.to_string());
        let code = resp
            .errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|ext| ext.get("code"))
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_else(|| {
                if resp.errors.is_empty() {
                    "OK".into()
                } else {
                    "VALIDATION".into()
                }
            });
        self.metrics
            .observe_graphql(&label, &code, started.elapsed().as_secs_f64());
        resp
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        *self.operations.lock().expect("metrics operations lock") = doc
            .operations
            .iter()
            .map(|(name, op)| {
                let kind = match op.node.ty {
                    OperationType::Query => "query",
                    OperationType::Mutation => "mutation",
                    OperationType::Subscription => "subscription",
                };
                let mut fields: Vec<&str> = op
                    .node
                    .selection_set
                    .node
                    .items
                    .iter()
                    .map(|s| match &s.node {
                        Selection::Field(f) => f.node.name.node.as_str(),
                        _ => "...",
                    })
                    .collect();
                fields.sort_unstable();
                fields.dedup();
                let shown = fields.len().min(3);
                let mut label = format!("{kind} {}", fields[..shown].join(","));
                if fields.len() > shown {
                    label.push_str(",+");
                }
                (name.map(|n| n.to_string()), label)
            })
            .collect();
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        {
            let ops = self.operations.lock().expect("metrics operations lock");
            let label = match operation_name {
                Some(name) => ops.iter().find(|(n, _)| n.as_deref() == Some(name)),
                None => ops.first(),
            };
            *self.label.lock().expect("metrics label lock") = label.map(|(_, l)| l.clone());
        }
        next.run(ctx, operation_name).await
    }
}
