//! Probing a running server with requests it should refuse (and some it should not): raw
//! bodies with any content type, a per-request timeout, patience with the rate limiter, tokens
//! that must not verify, and the hash-chain heads that show whether the log changed.
//!
//! Used by `tests/authz_matrix.rs` and `tests/hostile_input.rs`.

use crate::{run_cohub, Server};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

/// The longest a single probe request may take before it counts as a hang.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server answered, byte for byte.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// `Retry-After` in seconds, if given.
    pub retry_after: Option<u64>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The body as JSON, if it is JSON.
    pub json: Option<Value>,
}

impl Reply {
    /// The body as (lossy) text, cut to `max` characters, for messages.
    pub fn text(&self, max: usize) -> String {
        let s = String::from_utf8_lossy(&self.body);
        if s.chars().count() > max {
            format!("{}…", s.chars().take(max).collect::<String>())
        } else {
            s.into_owned()
        }
    }

    /// Every error object of the answer (of every item, for a batch).
    pub fn errors(&self) -> Vec<Value> {
        fn of(v: &Value) -> Vec<Value> {
            v.get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        }
        match &self.json {
            Some(Value::Array(items)) => items.iter().flat_map(of).collect(),
            Some(v) => of(v),
            None => Vec::new(),
        }
    }

    /// The `extensions.code` of every error (`"<none>"` for an error without one).
    pub fn codes(&self) -> Vec<String> {
        self.errors()
            .iter()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_string()
            })
            .collect()
    }

    /// The first error's code, if there is an error.
    pub fn code(&self) -> Option<String> {
        self.codes().into_iter().next()
    }

    /// The first error's `extensions.rule`, if any.
    pub fn rule(&self) -> Option<String> {
        self.errors()
            .first()
            .and_then(|e| e["extensions"]["rule"].as_str().map(str::to_string))
    }

    /// The first error's message, if any.
    pub fn message(&self) -> Option<String> {
        self.errors()
            .first()
            .and_then(|e| e["message"].as_str().map(str::to_string))
    }

    /// Whether the answer is a GraphQL answer with no errors at all.
    pub fn is_clean(&self) -> bool {
        self.json.is_some() && self.errors().is_empty()
    }

    /// The `data` of a single (non-batched) answer.
    pub fn data(&self) -> Value {
        self.json
            .as_ref()
            .map(|j| j["data"].clone())
            .unwrap_or(Value::Null)
    }

    /// Checks the contract every answer on `/graphql` keeps: never 5xx, always a JSON body,
    /// a GraphQL response (or a batch of them), and every error carrying `extensions.code`.
    /// `Err` says what was broken.
    pub fn check_contract(&self) -> std::result::Result<(), String> {
        if self.status >= 500 {
            return Err(format!("HTTP {}: {}", self.status, self.text(400)));
        }
        let Some(json) = &self.json else {
            return Err(format!(
                "HTTP {} with a body that is not JSON (content type {:?}): {:?}",
                self.status,
                self.content_type,
                self.text(400)
            ));
        };
        let items: Vec<&Value> = match json {
            Value::Array(items) => items.iter().collect(),
            v => vec![v],
        };
        for item in items {
            let Some(obj) = item.as_object() else {
                return Err(format!("an answer that is not a JSON object: {item}"));
            };
            if !obj.contains_key("data") && !obj.contains_key("errors") {
                return Err(format!("an answer with neither data nor errors: {item}"));
            }
            if let Some(errors) = obj.get("errors") {
                let Some(errors) = errors.as_array() else {
                    return Err(format!("`errors` is not a list: {item}"));
                };
                for e in errors {
                    if !e["extensions"]["code"].is_string() {
                        return Err(format!("an error without extensions.code: {e}"));
                    }
                    if !e["message"].is_string() {
                        return Err(format!("an error without a message: {e}"));
                    }
                    if e["extensions"]["code"] == "INTERNAL" {
                        return Err(format!("an INTERNAL error: {e}"));
                    }
                }
            }
        }
        if self.status != 200 && self.errors().is_empty() {
            return Err(format!(
                "HTTP {} without an error: {}",
                self.status,
                self.text(400)
            ));
        }
        Ok(())
    }
}

/// A client for one server with a short per-request timeout.
#[derive(Clone)]
pub struct Probe {
    http: reqwest::Client,
    base: String,
}

impl Probe {
    /// A probe for `server`, with [`REQUEST_TIMEOUT`].
    pub fn new(server: &Server) -> Result<Probe> {
        Ok(Probe {
            http: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .pool_max_idle_per_host(8)
                .build()?,
            base: format!("http://{}", server.addr),
        })
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs `body` to `/graphql` as is, with the given content type (none if `None`) and
    /// bearer token. `Err` only for a transport failure or a timeout (a hang).
    pub async fn post_raw(
        &self,
        body: Vec<u8>,
        content_type: Option<&str>,
        token: Option<&str>,
    ) -> Result<Reply> {
        let mut req = self.http.post(self.url("/graphql")).body(body);
        if let Some(ct) = content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        if let Some(t) = token {
            req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let resp = req
            .send()
            .await
            .context("the request failed or timed out")?;
        read_reply(resp).await
    }

    /// Sends `method path` with `body` and exactly these extra headers (values as raw bytes,
    /// which need not be UTF-8). `Err` only for a transport failure or a timeout.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, Vec<u8>)],
    ) -> Result<Reply> {
        let mut req = self.http.request(method, self.url(path));
        for (name, value) in headers {
            let value = reqwest::header::HeaderValue::from_bytes(value)
                .with_context(|| format!("header {name} cannot be sent: {value:?}"))?;
            req = req.header(*name, value);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let resp = match req.try_clone().map(|r| r.send()) {
            Some(sending) => match sending.await {
                Ok(resp) => resp,
                // A pooled connection the server had closed (after a 413, say): once more on
                // a fresh one. A timeout is not retried: that is a hang.
                Err(e) if !e.is_timeout() => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    req.send()
                        .await
                        .with_context(|| format!("the request failed twice (first: {e})"))?
                }
                Err(e) => return Err(anyhow::Error::new(e).context("the request timed out")),
            },
            None => req
                .send()
                .await
                .context("the request failed or timed out")?,
        };
        read_reply(resp).await
    }

    /// Like [`Probe::request`], waiting out HTTP 429 and trying again.
    pub async fn request_patient(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, Vec<u8>)],
    ) -> Result<Reply> {
        for _ in 0..120 {
            let reply = self
                .request(method.clone(), path, body.clone(), headers)
                .await?;
            if reply.status != 429 {
                return Ok(reply);
            }
            let wait = reply.retry_after.unwrap_or(1).clamp(1, 10);
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
        bail!("still rate limited after two minutes of retries")
    }

    /// POSTs a JSON value as `application/json`.
    pub async fn post_json(&self, body: &Value, token: Option<&str>) -> Result<Reply> {
        self.post_raw(serde_json::to_vec(body)?, Some("application/json"), token)
            .await
    }

    /// POSTs `{"query", "variables"}`.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Result<Reply> {
        self.post_json(&json!({ "query": query, "variables": variables }), token)
            .await
    }

    /// Like [`Probe::gql`], but waits out HTTP 429 (as `Retry-After` says) and tries again,
    /// for tests whose subject is not the rate limiter.
    pub async fn gql_patient(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> Result<Reply> {
        self.patient(&json!({ "query": query, "variables": variables }), token)
            .await
    }

    /// Posts a JSON body, waiting out HTTP 429 and trying again.
    pub async fn patient(&self, body: &Value, token: Option<&str>) -> Result<Reply> {
        for _ in 0..120 {
            let reply = self.post_json(body, token).await?;
            if reply.status != 429 {
                return Ok(reply);
            }
            let wait = reply.retry_after.unwrap_or(1).clamp(1, 10);
            tokio::time::sleep(Duration::from_secs(wait)).await;
        }
        bail!("still rate limited after two minutes of retries")
    }

    /// Like [`Probe::gql_patient`], but fails on any error and returns `data`.
    pub async fn gql_ok(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> Result<Value> {
        let reply = self.gql_patient(query, variables.clone(), token).await?;
        if !reply.is_clean() {
            bail!(
                "GraphQL request failed (HTTP {}): {}\nquery: {query}\nvariables: {variables}",
                reply.status,
                reply.text(2000)
            );
        }
        Ok(reply.data())
    }

    /// GET `path`; `Err` on a transport failure or timeout.
    pub async fn get(&self, path: &str) -> Result<Reply> {
        let resp = self
            .http
            .get(self.url(path))
            .send()
            .await
            .with_context(|| format!("GET {path} failed or timed out"))?;
        read_reply(resp).await
    }

    /// Whether `/healthz` answers 200 within the timeout.
    pub async fn healthy(&self) -> bool {
        // Twice: a connection the server closed after refusing a body (413) may be picked
        // from the pool once; a dead server fails both times.
        for _ in 0..2 {
            if matches!(self.get("/healthz").await, Ok(r) if r.status == 200) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// The chain head (`hubSeq`, `hash`) of each hub, in one request (with `token`, so the
    /// anonymous rate limit is not spent), plus the number of hubs the server lists.
    pub async fn heads(&self, hubs: &[Uuid], token: Option<&str>) -> Result<LogState> {
        let mut fields = Vec::new();
        for (i, h) in hubs.iter().enumerate() {
            fields.push(format!("h{i}: chainHead(hubId: \"{h}\") {{ hubSeq hash }}"));
        }
        let q = format!(
            "{{ {} hubs(first: 100) {{ edges {{ node {{ id }} }} }} }}",
            fields.join(" ")
        );
        let data = self.gql_ok(&q, json!({}), token).await?;
        let heads = (0..hubs.len())
            .map(|i| {
                let h = &data[format!("h{i}")];
                (h["hubSeq"].as_u64().unwrap_or(0), h["hash"].to_string())
            })
            .collect();
        let hub_count = data["hubs"]["edges"].as_array().map_or(0, Vec::len);
        Ok(LogState { heads, hub_count })
    }
}

/// What the log looks like from outside: chain heads of some hubs and how many hubs exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// (`hubSeq`, `hash`) per hub asked for.
    pub heads: Vec<(u64, String)>,
    /// How many hubs `hubs(first: 100)` lists.
    pub hub_count: usize,
}

async fn read_reply(resp: reqwest::Response) -> Result<Reply> {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = resp
        .bytes()
        .await
        .context("reading the answer failed or timed out")?
        .to_vec();
    let json = serde_json::from_slice(&body).ok();
    Ok(Reply {
        status,
        content_type,
        retry_after,
        body,
        json,
    })
}

/// The same token with one character of its signature changed: it must not verify.
pub fn forge(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    let sig = &mut parts[2];
    // Change a character in the middle (not the last, whose low bits may be padding).
    let i = sig.len() / 2;
    let c = sig.as_bytes()[i];
    let swapped = if c == b'A' { 'B' } else { 'A' };
    sig.replace_range(i..=i, &swapped.to_string());
    parts.join(".")
}

/// A token for `member` signed with a brand-new data directory's key (a different issuer key
/// with the same `iss`): it must not verify anywhere else.
pub async fn other_issuer_token(member: Uuid) -> Result<String> {
    let other = tempfile::tempdir()?;
    crate::token(other.path(), member).await
}

/// A token signed with `data`'s real signing key, carrying exactly `claims` (e.g. an `exp` in
/// the past, another audience): for tokens `cohub token` would never issue.
pub fn sign_claims(data: &Path, claims: &Value) -> Result<String> {
    let pem = std::fs::read(data.join("keys/token-signing.key"))
        .context("reading the data directory's token signing key")?;
    let key = jsonwebtoken::EncodingKey::from_ed_pem(&pem)?;
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    Ok(jsonwebtoken::encode(&header, claims, &key)?)
}

/// A token for `member` that expired an hour ago (well past any leeway), signed with the
/// server's own key.
pub fn expired_token(data: &Path, member: Uuid) -> Result<String> {
    let now = chrono::Utc::now().timestamp();
    sign_claims(
        data,
        &json!({
            "sub": member.to_string(), "iss": "cohub-local", "aud": "cohub",
            "iat": now - 7200, "exp": now - 3600,
        }),
    )
}

/// Tokens for members of the demo hub by key (e.g. `"champion"`), through `cohub token`.
pub async fn demo_token(data: &Path, key: &str) -> Result<String> {
    let data = data.to_str().context("the data path is not UTF-8")?;
    let out = run_cohub(&["token", "--data", data, "--member", key]).await?;
    Ok(out.trim().to_string())
}

/// A field of the schema (of a root or an object type) as introspection shows it.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    /// Its name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<ArgInfo>,
    /// Its type, written as in a document (e.g. `[Problem!]!`).
    pub ty: String,
    /// The named type inside (e.g. `Problem`).
    pub named: String,
}

/// An argument or input field.
#[derive(Debug, Clone)]
pub struct ArgInfo {
    /// Its name.
    pub name: String,
    /// Its type, written as in a document (e.g. `FoundHubInput!`).
    pub ty: String,
    /// The named type inside.
    pub named: String,
}

/// The parts of the served schema the tests generate requests from.
#[derive(Debug, Clone, Default)]
pub struct SchemaInfo {
    /// Query root fields.
    pub queries: Vec<FieldInfo>,
    /// Mutation root fields.
    pub mutations: Vec<FieldInfo>,
    /// Subscription root fields.
    pub subscriptions: Vec<FieldInfo>,
    /// Fields of each object type, by type name.
    pub objects: std::collections::BTreeMap<String, Vec<FieldInfo>>,
    /// Fields of each input object type, by type name.
    pub inputs: std::collections::BTreeMap<String, Vec<ArgInfo>>,
    /// Values of each enum type, by type name.
    pub enums: std::collections::BTreeMap<String, Vec<String>>,
}

impl SchemaInfo {
    /// The mutation called `name`.
    pub fn mutation(&self, name: &str) -> Option<&FieldInfo> {
        self.mutations.iter().find(|f| f.name == name)
    }
}

const INTROSPECT: &str = "query {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      fields { name args { name type { ...T } } type { ...T } }
      inputFields { name type { ...T } }
      enumValues { name }
    }
  }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

fn type_ref(t: &Value) -> (String, String) {
    match t["kind"].as_str() {
        Some("NON_NULL") => {
            let (s, n) = type_ref(&t["ofType"]);
            (format!("{s}!"), n)
        }
        Some("LIST") => {
            let (s, n) = type_ref(&t["ofType"]);
            (format!("[{s}]"), n)
        }
        _ => {
            let n = t["name"].as_str().unwrap_or("?").to_string();
            (n.clone(), n)
        }
    }
}

/// Reads the served schema by introspection (with `token`, to spare the anonymous rate).
pub async fn introspect(probe: &Probe, token: Option<&str>) -> Result<SchemaInfo> {
    let data = probe.gql_ok(INTROSPECT, json!({}), token).await?;
    let schema = &data["__schema"];
    let query_name = schema["queryType"]["name"].as_str().unwrap_or("Query");
    let mutation_name = schema["mutationType"]["name"]
        .as_str()
        .unwrap_or("Mutation");
    let subscription_name = schema["subscriptionType"]["name"]
        .as_str()
        .unwrap_or("Subscription");
    let mut info = SchemaInfo::default();
    let args_of = |v: &Value| -> Vec<ArgInfo> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|arg| {
                        let (ty, named) = type_ref(&arg["type"]);
                        ArgInfo {
                            name: arg["name"].as_str().unwrap_or("?").to_string(),
                            ty,
                            named,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for t in schema["types"].as_array().context("no types")? {
        let name = t["name"].as_str().unwrap_or("").to_string();
        match t["kind"].as_str() {
            Some("OBJECT") => {
                let fields: Vec<FieldInfo> = t["fields"]
                    .as_array()
                    .map(|fs| {
                        fs.iter()
                            .map(|f| {
                                let (ty, named) = type_ref(&f["type"]);
                                FieldInfo {
                                    name: f["name"].as_str().unwrap_or("?").to_string(),
                                    args: args_of(&f["args"]),
                                    ty,
                                    named,
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if name == query_name {
                    info.queries = fields.clone();
                }
                if name == mutation_name {
                    info.mutations = fields.clone();
                }
                if name == subscription_name {
                    info.subscriptions = fields.clone();
                }
                info.objects.insert(name, fields);
            }
            Some("INPUT_OBJECT") => {
                info.inputs.insert(name, args_of(&t["inputFields"]));
            }
            Some("ENUM") => {
                let values = t["enumValues"]
                    .as_array()
                    .map(|vs| {
                        vs.iter()
                            .filter_map(|v| v["name"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                info.enums.insert(name, values);
            }
            _ => {}
        }
    }
    Ok(info)
}
