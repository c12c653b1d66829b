//! Hostile input against a real `cohub serve --demo`.
//!
//! Every answer on `/graphql` must be a GraphQL-shaped JSON answer whose errors all carry
//! `extensions.code` (or a correct result): never HTTP 5xx, never a body that is not JSON,
//! never an `INTERNAL` error, never a hang (each request has a 10 s timeout), never a dead
//! process (`/healthz` after every case), and no rejected request changes the log (both chain
//! heads and the number of hubs are read after every case; a change is allowed only after a
//! mutation that answered with data).
//!
//! - [`generated_hostile_requests`]: proptest cases from the served schema's own field, argument,
//!   input and enum names: wrong types, missing and unknown arguments, huge strings (below,
//!   at and beyond the body limit), deep nesting, hundreds of aliases, large batches, fragment
//!   cycles and spread bombs, unicode edge cases, malformed JSON, wrong content types, invalid
//!   UTF-8 and bad `Authorization` headers. Seeded (`HOSTILE_SEED`, printed) and reproducible;
//!   `PROPTEST_CASES` raises the count (default 400).
//! - [`limits_answer_limit_on_the_real_server`]: depth, complexity, fields, aliases, directives,
//!   batch size, body size (with and without `Content-Length`) and the per-token rate limit
//!   each answer `LIMIT`, just past the limit and not at it.
//! - [`hand_written_hostile_requests`]: unicode that must round-trip exactly, NUL and control
//!   characters, lone surrogates in JSON escapes, other methods, content types, subscriptions
//!   over POST, forged and odd tokens.

use anyhow::{Context, Result};
use cohub_domain::example as ex;
use cohub_e2e::probe::{forge, introspect, sign_claims, LogState, Probe, Reply, SchemaInfo};
use cohub_e2e::{token, Server};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use reqwest::Method;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The served limits (`cohub_api::config::Limits::default()`), as a client sees them.
const MAX_BODY: usize = 256 * 1024;
const MAX_DEPTH: usize = 16;
const MAX_FIELDS: usize = 500;
const MAX_ALIASES: usize = 30;
const MAX_BATCH: usize = 10;
const MAX_DIRECTIVES: usize = 8;

// ---------------------------------------------------------------------------------------------
// The server and who talks to it.
// ---------------------------------------------------------------------------------------------

struct Env {
    server: Server,
    probe: Probe,
    schema: SchemaInfo,
    facilitator: String,
    champion: String,
    /// Valid tokens of people outside the hub: each has its own rate bucket.
    pool: Vec<String>,
    /// Tokens used only to read chain heads.
    witnesses: Vec<String>,
    next: std::sync::atomic::AtomicUsize,
    other_hub: Uuid,
}

impl Env {
    async fn start(dir: &std::path::Path) -> Result<Env> {
        let server = Server::start_with(dir, &["--demo"]).await?;
        let probe = Probe::new(&server)?;
        let data = server.data.clone();
        let facilitator = token(&data, ex::FACILITATOR.uuid()).await?;
        let champion = token(&data, ex::CHAMPION.uuid()).await?;
        let mut pool = Vec::new();
        for _ in 0..6 {
            pool.push(token(&data, Uuid::now_v7()).await?);
        }
        let mut witnesses = Vec::new();
        for _ in 0..6 {
            witnesses.push(token(&data, Uuid::now_v7()).await?);
        }
        let schema = introspect(&probe, Some(&witnesses[0])).await?;
        // A second hub, so that the log has more than one chain to watch.
        let other_hub = Uuid::now_v7();
        probe
            .gql_ok(
                "mutation($i: FoundHubInput!) { foundHub(input: $i) { receipt { hubSeq } } }",
                json!({ "i": { "hubId": other_hub, "name": "Second Hub", "purpose": { "text": "Another place." },
                               "founderName": "Outside Founder",
                               "organisation": { "name": "Outside Group", "kind": "CLINICIAN" } } }),
                Some(&pool[0]),
            )
            .await?;
        Ok(Env {
            server,
            probe,
            schema,
            facilitator,
            champion,
            pool,
            witnesses,
            next: Default::default(),
            other_hub,
        })
    }

    fn witness(&self) -> &str {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        &self.witnesses[i % self.witnesses.len()]
    }

    async fn log_state(&self) -> Result<LogState> {
        self.probe
            .heads(&[ex::HUB.uuid(), self.other_hub], Some(self.witness()))
            .await
    }
}

// ---------------------------------------------------------------------------------------------
// Cases.
// ---------------------------------------------------------------------------------------------

/// Who a case speaks as.
#[derive(Clone, Debug)]
enum Auth {
    None,
    /// A valid token of an outsider (index into the pool).
    Pool(usize),
    Facilitator,
    Champion,
    /// A raw `Authorization` header value.
    Header(Vec<u8>),
}

/// What a case must get besides the general contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// Anything that keeps the contract.
    Any,
    /// A `LIMIT` error.
    Limit,
    /// An answer with no errors.
    Clean,
    /// The first error has this code.
    Code(&'static str),
    /// Some error, whatever its code.
    Refused,
}

#[derive(Clone)]
struct Case {
    kind: &'static str,
    body: Vec<u8>,
    content_type: Option<String>,
    auth: Auth,
    want: Want,
    /// Whether the case may legitimately append (a mutation that could succeed).
    may_write: bool,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = 600;
        let preview = String::from_utf8_lossy(&self.body[..self.body.len().min(shown)]);
        f.debug_struct("Case")
            .field("kind", &self.kind)
            .field("want", &self.want)
            .field("auth", &self.auth)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .field("body", &preview)
            .finish()
    }
}

fn json_case(kind: &'static str, body: &Value, auth: Auth, want: Want) -> Case {
    Case {
        kind,
        body: serde_json::to_vec(body).expect("JSON"),
        content_type: Some("application/json".into()),
        auth,
        want,
        may_write: false,
    }
}

/// Walks a list of choices made by proptest: shrinking the list simplifies the document.
struct Chooser<'a> {
    data: &'a [u32],
    strings: &'a [String],
    i: usize,
}

impl Chooser<'_> {
    fn pick(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let v = self.data.get(self.i).copied().unwrap_or(0);
        self.i += 1;
        v as usize % n
    }

    fn chance(&mut self, percent: usize) -> bool {
        // Defaults (an exhausted list) to "no", so shrunk cases are plain.
        let v = self.data.get(self.i).copied();
        self.i += 1;
        v.is_some_and(|v| (v as usize % 100) < percent)
    }

    fn one<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.pick(items.len())]
    }
}

/// Strings that have broken parsers, validators, renderers and logs before.
const NASTY: &[&str] = &[
    "",
    " ",
    " leading and trailing ",
    "\u{202E}evil text reversed\u{202C}",
    "\u{200F}\u{200E}\u{061C}right-to-left marks",
    "مرحبا بالعالم",
    "שלום עולם",
    "e\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}",
    "Z\u{351}\u{36B}\u{343}\u{36A}\u{302}\u{36B}\u{33D}\u{34F}\u{334}\u{319}\u{324}",
    "zero\u{200B}width\u{200C}joiner\u{200D}nbsp\u{00A0}bom\u{FEFF}",
    "👩‍👩‍👧‍👦🏳️‍🌈🇬🇧",
    "\u{0}",
    "nul\u{0}inside",
    "bell\u{7}escape\u{1b}[31mred\u{1b}[0m",
    "line\nbreak\ttab\rcarriage",
    "\u{85}\u{2028}\u{2029}",
    "\u{FFFF}\u{FFFE}\u{10FFFF}",
    "\\",
    "\"",
    "'; DROP TABLE events; --",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "%00%ff%c0%80",
    "0c0b0000-0001-7000-8000-000000000001",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "en",
    "xx-Invalid-Tag-Which-Is-Far-Too-Long-To-Be-Valid",
    "ur",
    "9999999999999999999999999999",
    "-1",
    "NaN",
    "true",
    "null",
];

/// Big numbers and other odd literals for `Int`, `Float` and friends.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "1.5",
    "-0.0",
    "1e308",
    "1e309",
    "1e-400",
    "0x10",
    "01",
];

const DATES: &[&str] = &[
    "2025-03-01T09:00:00Z",
    "2025-03-01",
    "not a date",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2025-13-45T99:99:99Z",
    "+275760-09-13T00:00:00Z",
    "-271821-04-20T00:00:00Z",
    "1970-01-01T00:00:00+25:00",
];

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string")
}

fn nasty_string(ch: &mut Chooser<'_>) -> String {
    match ch.pick(10) {
        0 if !ch.strings.is_empty() => ch.strings[ch.pick(ch.strings.len())].clone(),
        1 => {
            let unit = ch.one(&["a", "é", "😀", "\u{202E}", " ", "\u{200B}", "字"]);
            unit.repeat([10, 121, 201, 2001, 4001, 20_000][ch.pick(6)])
        }
        _ => NASTY[ch.pick(NASTY.len())].to_string(),
    }
}

fn id_literal(ch: &mut Chooser<'_>) -> String {
    let real = [
        ex::HUB.uuid(),
        ex::PROBLEM.uuid(),
        ex::IDEA.uuid(),
        ex::DISTRIBUTION.uuid(),
        ex::FACILITATOR.uuid(),
        ex::ORG_HOUSING.uuid(),
    ];
    match ch.pick(4) {
        0 | 1 => real[ch.pick(real.len())].to_string(),
        2 => {
            Uuid::from_u128(u128::from(ch.pick(usize::MAX) as u64) << 64 | 0x4000_8000).to_string()
        }
        _ => nasty_string(ch),
    }
}

/// A random literal of any type (usually the wrong one).
fn any_literal(ch: &mut Chooser<'_>, depth: usize) -> String {
    match ch.pick(if depth > 3 { 5 } else { 8 }) {
        0 => NUMBERS[ch.pick(NUMBERS.len())].to_string(),
        1 => quote(&nasty_string(ch)),
        2 => ch.one(&["true", "false"]).to_string(),
        3 => "null".to_string(),
        4 => ch
            .one(&[
                "COMMUNITY_ORGANISATION",
                "FACILITATOR",
                "BOGUS",
                "open",
                "_",
            ])
            .to_string(),
        5 => {
            let n = ch.pick(4);
            let items: Vec<String> = (0..n).map(|_| any_literal(ch, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        6 => {
            let n = ch.pick(4);
            let items: Vec<String> = (0..n)
                .map(|_| {
                    let k = ch.one(&["text", "lang", "hubId", "x", "__proto__", "constructor"]);
                    format!("{k}: {}", any_literal(ch, depth + 1))
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        _ => "$undeclared".to_string(),
    }
}

/// A literal for a value of type `ty` (named `named`), sometimes of the wrong type.
fn literal_for(
    schema: &SchemaInfo,
    ty: &str,
    named: &str,
    ch: &mut Chooser<'_>,
    depth: usize,
) -> String {
    if ch.chance(12) {
        return any_literal(ch, depth);
    }
    let inner = ty.trim_end_matches('!');
    if inner.starts_with('[') && inner.ends_with(']') {
        let item_ty = &inner[1..inner.len() - 1];
        let n = if ch.chance(5) { 60 } else { ch.pick(3) };
        let items: Vec<String> = (0..n)
            .map(|_| literal_for(schema, item_ty, named, ch, depth + 1))
            .collect();
        return format!("[{}]", items.join(", "));
    }
    match named {
        "UUID" | "ID" => quote(&id_literal(ch)),
        "String" => quote(&nasty_string(ch)),
        "Int" | "Float" => NUMBERS[ch.pick(NUMBERS.len())].to_string(),
        "Boolean" => ch.one(&["true", "false"]).to_string(),
        "DateTime" => quote(DATES[ch.pick(DATES.len())]),
        _ => {
            if let Some(values) = schema.enums.get(named) {
                if ch.chance(85) && !values.is_empty() {
                    return values[ch.pick(values.len())].clone();
                }
                return "NOT_A_VALUE".to_string();
            }
            if let Some(fields) = schema.inputs.get(named) {
                if depth > 5 {
                    return "{}".to_string();
                }
                let mut parts = Vec::new();
                for f in fields {
                    if ch.chance(12) {
                        continue;
                    }
                    parts.push(format!(
                        "{}: {}",
                        f.name,
                        literal_for(schema, &f.ty, &f.named, ch, depth + 1)
                    ));
                }
                if ch.chance(8) {
                    parts.push(format!("unknownField: {}", any_literal(ch, depth + 1)));
                }
                return format!("{{{}}}", parts.join(", "));
            }
            quote(&nasty_string(ch))
        }
    }
}

/// A JSON value for a variable of type `named`, right or wrong.
fn json_for(schema: &SchemaInfo, named: &str, ch: &mut Chooser<'_>, depth: usize) -> Value {
    if ch.chance(15) || depth > 5 {
        return match ch.pick(7) {
            0 => json!(null),
            1 => json!(-1),
            2 => json!(1e300),
            3 => json!(nasty_string(ch)),
            4 => json!([1, "two", null]),
            5 => json!({ "__proto__": { "x": 1 } }),
            _ => json!(u64::MAX),
        };
    }
    match named {
        "UUID" | "ID" => json!(id_literal(ch)),
        "String" | "DateTime" => json!(nasty_string(ch)),
        "Int" | "Float" => json!([0, 1, -1, 2_147_483_648i64, i64::MIN][ch.pick(5)]),
        "Boolean" => json!(ch.chance(50)),
        _ => {
            if let Some(values) = schema.enums.get(named) {
                return json!(values
                    .get(ch.pick(values.len().max(1)))
                    .cloned()
                    .unwrap_or_default());
            }
            if let Some(fields) = schema.inputs.get(named) {
                let mut obj = serde_json::Map::new();
                for f in fields {
                    if !ch.chance(10) {
                        let v = if f.ty.trim_end_matches('!').starts_with('[') {
                            json!([json_for(schema, &f.named, ch, depth + 1)])
                        } else {
                            json_for(schema, &f.named, ch, depth + 1)
                        };
                        obj.insert(f.name.clone(), v);
                    }
                }
                return Value::Object(obj);
            }
            json!(nasty_string(ch))
        }
    }
}

/// A selection set for an object type, a few levels deep.
fn selection(schema: &SchemaInfo, named: &str, ch: &mut Chooser<'_>, depth: usize) -> String {
    let Some(fields) = schema.objects.get(named) else {
        // A scalar or enum: sometimes (wrongly) give it a selection anyway.
        return if ch.chance(5) {
            " { bogus }".into()
        } else {
            String::new()
        };
    };
    if fields.is_empty() || depth > 5 {
        return " { __typename }".into();
    }
    let n = 1 + ch.pick(3);
    let mut parts = Vec::new();
    for _ in 0..n {
        if ch.chance(4) {
            parts.push(
                ch.one(&[
                    "bogusField",
                    "__typename",
                    "__schema { queryType { name } }",
                ])
                .to_string(),
            );
            continue;
        }
        let f = &fields[ch.pick(fields.len())];
        let mut s = String::new();
        if ch.chance(8) {
            s.push_str(&format!("al{}: ", ch.pick(1000)));
        }
        s.push_str(&f.name);
        let mut args = Vec::new();
        for a in &f.args {
            if a.ty.ends_with('!') || ch.chance(30) {
                let value = literal_for(schema, &a.ty, &a.named, ch, 0);
                args.push(format!("{}: {value}", a.name));
            }
        }
        if !args.is_empty() {
            s.push_str(&format!("({})", args.join(", ")));
        }
        s.push_str(&selection(schema, &f.named, ch, depth + 1));
        parts.push(s);
    }
    if ch.chance(5) {
        parts.push(format!("... on {named} {{ __typename }}"));
    }
    format!(" {{ {} }}", parts.join(" "))
}

/// A document over the served schema's own names, with variables: mostly wrong in some way.
fn schema_document(schema: &SchemaInfo, ch: &mut Chooser<'_>) -> (String, Value, bool) {
    let (keyword, roots) = match ch.pick(10) {
        0..=4 => ("query", &schema.queries),
        5..=8 if !schema.mutations.is_empty() => ("mutation", &schema.mutations),
        9 => ("subscription", &schema.queries),
        _ => ("query", &schema.queries),
    };
    let mut var_defs = Vec::new();
    let mut vars = serde_json::Map::new();
    let mut fields = Vec::new();
    for _ in 0..1 + ch.pick(2) {
        if roots.is_empty() || ch.chance(4) {
            fields.push("notARealField".to_string());
            continue;
        }
        let f = &roots[ch.pick(roots.len())];
        let mut args = Vec::new();
        for a in &f.args {
            if ch.chance(15) {
                continue; // a missing argument
            }
            if ch.chance(20) {
                let name = format!("v{}", var_defs.len());
                let declared = if ch.chance(75) {
                    a.ty.clone()
                } else {
                    ch.one(&[
                        "Int",
                        "String!",
                        "[UUID!]!",
                        "Boolean",
                        "NotAType",
                        "FoundHubInput",
                    ])
                    .to_string()
                };
                var_defs.push(format!("${name}: {declared}"));
                if !ch.chance(10) {
                    vars.insert(name.clone(), json_for(schema, &a.named, ch, 0));
                }
                args.push(format!("{}: ${name}", a.name));
            } else {
                args.push(format!(
                    "{}: {}",
                    a.name,
                    literal_for(schema, &a.ty, &a.named, ch, 0)
                ));
            }
        }
        if ch.chance(8) {
            args.push(format!("notAnArgument: {}", any_literal(ch, 0)));
        }
        let mut s = f.name.clone();
        if !args.is_empty() {
            s.push_str(&format!("({})", args.join(", ")));
        }
        s.push_str(&selection(schema, &f.named, ch, 1));
        fields.push(s);
    }
    let header = if var_defs.is_empty() {
        keyword.to_string()
    } else {
        format!("{keyword}({})", var_defs.join(", "))
    };
    let doc = format!("{header} {{ {} }}", fields.join(" "));
    (doc, Value::Object(vars), keyword == "mutation")
}

/// `{ __schema { types { fields { type { ofType { ... name } } } } } }`: depth `5 + n`.
fn nested_of_type(n: usize) -> String {
    let mut q = String::from("name");
    for _ in 0..n {
        q = format!("ofType {{ {q} }}");
    }
    format!("{{ __schema {{ types {{ fields {{ type {{ {q} }} }} }} }} }}")
}

fn valid_query() -> Value {
    json!({ "query": "{ viewer { memberId } }" })
}

fn arb_auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        6 => (0usize..6).prop_map(Auth::Pool),
        1 => Just(Auth::None),
        1 => Just(Auth::Facilitator),
        1 => Just(Auth::Champion),
    ]
}

/// Every kind of generated case. `env`-independent: the schema is passed in.
fn arb_case(schema: Arc<SchemaInfo>) -> BoxedStrategy<Case> {
    let s1 = schema.clone();
    let schema_docs = (
        prop::collection::vec(any::<u32>(), 0..160),
        prop::collection::vec(any::<String>(), 0..3),
        arb_auth(),
        0u8..10,
    )
        .prop_map(move |(data, strings, auth, shape)| {
            let mut ch = Chooser {
                data: &data,
                strings: &strings,
                i: 0,
            };
            let (doc, vars, is_mutation) = schema_document(&s1, &mut ch);
            let body = match shape {
                0 => json!({ "query": doc }),
                1 => json!({ "query": doc, "variables": "not an object" }),
                2 => json!({ "query": doc, "variables": vars, "operationName": "Nope" }),
                3 => json!({ "query": doc, "variables": vars, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "00" } } }),
                _ => json!({ "query": doc, "variables": vars }),
            };
            Case {
                may_write: is_mutation,
                ..json_case("schema document", &body, auth, Want::Any)
            }
        });

    let huge = (
        prop::sample::select(vec![
            1_000usize,
            65_536,
            MAX_BODY - 200,
            MAX_BODY - 30,
            MAX_BODY + 1,
            MAX_BODY + 5_000,
            400_000,
            1_048_576,
        ]),
        0u8..4,
        prop::sample::select(vec!["a", "é", "😀", "\u{202E}"]),
    )
        .prop_map(|(size, place, unit)| {
            let pad = unit.repeat(size / unit.len());
            let body = match place {
                0 => json!({ "query": format!("{{ viewer {{ memberId }} }} # {pad}") }),
                1 => json!({ "query": "query($s: String) { viewer { memberId } }", "variables": { "s": pad } }),
                2 => json!({ "query": format!("{{ chainHead(hubId: {}) {{ hash }} }}", quote(&pad)) }),
                _ => json!({ "query": "mutation($i: AdoptCharterInput!) { adoptCharter(input: $i) { receipt { hubSeq } } }",
                             "variables": { "i": { "hubId": ex::HUB.uuid(), "text": { "text": pad, "lang": "en" } } } }),
            };
            let bytes = serde_json::to_vec(&body).expect("JSON");
            let want = if bytes.len() > MAX_BODY { Want::Limit } else { Want::Any };
            Case {
                kind: "huge string",
                body: bytes,
                content_type: Some("application/json".into()),
                auth: Auth::Pool(1),
                want,
                may_write: false,
            }
        });

    let deep = (1usize..300, 0u8..4).prop_map(|(n, style)| match style {
        0 => json_case(
            "deep selection",
            &json!({ "query": nested_of_type(n) }),
            Auth::Pool(2),
            if 5 + n > MAX_DEPTH { Want::Limit } else { Want::Clean },
        ),
        1 => {
            // Deeply nested JSON variables (written as text: a deep `Value` would recurse).
            let v = format!("{}1{}", "[".repeat(n * 20), "]".repeat(n * 20));
            let body = format!(
                "{{\"query\":\"query($x: [Int]) {{ viewer {{ memberId }} }}\",\"variables\":{{\"x\":{v}}}}}"
            );
            Case {
                kind: "deep JSON",
                body: body.into_bytes(),
                content_type: Some("application/json".into()),
                auth: Auth::Pool(2),
                want: Want::Any,
                may_write: false,
            }
        }
        2 => {
            // A deeply nested input-object literal.
            let lit = format!("{}1{}", "{a: ".repeat(n * 4), "}".repeat(n * 4));
            json_case(
                "deep literal",
                &json!({ "query": format!("{{ chainHead(hubId: {lit}) {{ hash }} }}") }),
                Auth::Pool(2),
                Want::Any,
            )
        }
        _ => {
            // Unknown fields nested deep: refused whatever the depth.
            let q = format!("{}x{}", "{ a ".repeat(n * 3), " }".repeat(n * 3));
            json_case("deep unknown", &json!({ "query": q }), Auth::Pool(2), Want::Any)
        }
    });

    let aliases = (1usize..800, 0u8..3).prop_map(|(n, which)| {
        let one = |i: usize| match which {
            0 => format!("a{i}: viewer {{ memberId }}"),
            1 => format!(
                "a{i}: chainHead(hubId: \"{}\") {{ hubSeq }}",
                ex::HUB.uuid()
            ),
            _ => format!("a{i}: __typename"),
        };
        let q = format!("{{ {} }}", (0..n).map(one).collect::<Vec<_>>().join(" "));
        let fields = n * if which == 2 { 1 } else { 2 };
        let want = if n > MAX_ALIASES || fields > MAX_FIELDS {
            Want::Limit
        } else {
            Want::Clean
        };
        json_case("aliases", &json!({ "query": q }), Auth::Pool(3), want)
    });

    let batches = (0usize..600, any::<bool>()).prop_map(|(n, mutations)| {
        let item = if mutations {
            json!({ "query": "mutation($i: AdoptCharterInput!) { adoptCharter(input: $i) { receipt { hubSeq } } }",
                    "variables": { "i": { "hubId": ex::HUB.uuid(), "text": { "text": "Batch charter." } } } })
        } else {
            valid_query()
        };
        let want = match n {
            0 => Want::Code("VALIDATION"),
            n if n > MAX_BATCH => Want::Limit,
            _ if mutations => Want::Code("FORBIDDEN"),
            _ => Want::Clean,
        };
        json_case("batch", &json!(vec![item; n]), Auth::Pool(4), want)
    });

    let fragments = (0u8..6, 1usize..14, 1usize..6).prop_map(|(kind, levels, spreads)| {
        let (q, want) = match kind {
            0 => (
                "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }".to_string(),
                Want::Refused,
            ),
            1 => (
                "{ ...A } fragment A on Query { viewer { memberId } ...A }".to_string(),
                Want::Refused,
            ),
            2 => ("{ ...Missing }".to_string(), Want::Code("VALIDATION")),
            3 => (
                "{ ...A } fragment A on Hub { id }".to_string(),
                Want::Code("VALIDATION"),
            ),
            4 => (
                "{ viewer { memberId } } fragment Unused on Query { viewer { memberId } }"
                    .to_string(),
                Want::Code("VALIDATION"),
            ),
            _ => {
                // A spread bomb: `spreads` spreads per level, `levels` levels, one leaf field.
                let mut q = String::from("{ ...F0 }");
                for l in 0..levels {
                    let body = vec![format!("...F{}", l + 1); spreads].join(" ");
                    q.push_str(&format!(" fragment F{l} on Query {{ {body} }}"));
                }
                q.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
                let expanded = (spreads as f64).powi(levels as i32);
                let want = if expanded > MAX_FIELDS as f64 {
                    Want::Limit
                } else {
                    Want::Clean
                };
                (q, want)
            }
        };
        json_case("fragments", &json!({ "query": q }), Auth::Pool(5), want)
    });

    let unicode = (
        prop::collection::vec(prop::sample::select(NASTY.to_vec()), 1..5),
        any::<String>(),
        0u8..5,
    )
        .prop_map(|(pieces, random, place)| {
            let text = format!("{}{}", pieces.concat(), random);
            let frame = |title: &str| {
                json!({ "query": "mutation($i: FrameProblemInput!) { frameProblem(input: $i) { receipt { hubSeq } problem { current { title { text lang } } } } }",
                        "variables": { "i": { "hubId": ex::HUB.uuid(), "framing": {
                            "title": { "text": title, "lang": "en" }, "statement": { "text": "A statement." },
                            "affected": { "text": "Residents." }, "place": { "text": "Sandwell" } } } } })
            };
            let (body, may_write) = match place {
                0 => (frame(&text), true),
                1 => (json!({ "query": format!("{{ chainHead(hubId: {}) {{ hash }} }}", quote(&text)) }), false),
                2 => (json!({ "query": format!("{{ viewer {{ memberId }} }} {text}") }), false),
                3 => (json!({ "query": "{ viewer { memberId } }", "operationName": text }), false),
                _ => (json!({ "query": "{ viewer { memberId } }", "variables": { text.clone(): text } }), false),
            };
            Case {
                may_write,
                ..json_case("unicode", &body, Auth::Champion, Want::Any)
            }
        });

    let malformed = (
        0usize..20,
        prop::collection::vec(any::<u8>(), 0..200),
        any::<usize>(),
    )
        .prop_map(|(which, bytes, cut)| {
            let valid = serde_json::to_vec(&valid_query()).expect("JSON");
            let body: Vec<u8> = match which {
                0 => Vec::new(),
                1 => b"null".to_vec(),
                2 => b"\"{ viewer { memberId } }\"".to_vec(),
                3 => b"{\"query\": 5}".to_vec(),
                4 => b"{\"query\": null}".to_vec(),
                5 => b"{\"query\": [\"{ viewer { memberId } }\"]}".to_vec(),
                6 => b"{\"query\": \"{ viewer { memberId } }\", \"query\": \"{ __typename }\"}"
                    .to_vec(),
                7 => b"{\"query\": \"{ viewer { memberId } }\"} trailing".to_vec(),
                8 => b"{\"query\": \"{ viewer { memberId } }\"".to_vec(),
                9 => b"{'query': '{ viewer { memberId } }'}".to_vec(),
                10 => b"[[{\"query\": \"{ viewer { memberId } }\"}]]".to_vec(),
                11 => b"{\"variables\": {}}".to_vec(),
                12 => b"{\"query\": \"   \"}".to_vec(),
                13 => b"{\"query\": \"{ viewer { memberId } }\", \"variables\": {\"a\": NaN}}"
                    .to_vec(),
                14 => b"\xEF\xBB\xBF{\"query\": \"{ viewer { memberId } }\"}".to_vec(),
                15 => b"{\"query\": \"{ viewer { memberId } }\", \"variables\": {\"a\": 1e99999}}"
                    .to_vec(),
                16 => valid[..cut % valid.len()].to_vec(),
                17 => bytes,
                18 => [valid.clone(), bytes].concat(),
                _ => b"{\"query\": \"\\u0000{ viewer { memberId } }\"}".to_vec(),
            };
            Case {
                kind: "malformed JSON",
                body,
                content_type: Some("application/json".into()),
                auth: Auth::Pool(0),
                want: Want::Any,
                may_write: false,
            }
        });

    let content_types = (
        prop::sample::select(vec![
            None,
            Some("text/plain"),
            Some("application/graphql"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=xyz"),
            Some("application/json; charset=utf-8"),
            Some("APPLICATION/JSON"),
            Some("application/json;;;"),
            Some("application/jsonx"),
            Some("application/graphql-response+json"),
            Some("*/*"),
            Some(""),
            Some("application/json\u{0}"),
        ]),
        any::<bool>(),
    )
        .prop_map(|(ct, graphql_body)| {
            let body = if graphql_body {
                b"{ viewer { memberId } }".to_vec()
            } else {
                serde_json::to_vec(&valid_query()).expect("JSON")
            };
            let is_json = ct.is_some_and(|c| {
                c.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
            let want = match (is_json, graphql_body) {
                (true, false) => Want::Clean,
                (true, true) => Want::Code("VALIDATION"),
                (false, _) => Want::Code("VALIDATION"),
            };
            Case {
                kind: "content type",
                body,
                content_type: ct.map(str::to_string),
                auth: Auth::Pool(1),
                want,
                may_write: false,
            }
        });

    let bad_utf8 = (
        prop::collection::vec(
            prop::sample::select(vec![
                vec![0xFFu8],
                vec![0xFE],
                vec![0xC0, 0x80],
                vec![0xED, 0xA0, 0x80],
                vec![0xF4, 0x90, 0x80, 0x80],
                vec![0x80],
                vec![0xE2, 0x82],
                vec![0xF0, 0x9F, 0x98],
            ]),
            1..4,
        ),
        any::<usize>(),
        any::<bool>(),
    )
        .prop_map(|(seqs, at, in_string)| {
            let mut body = serde_json::to_vec(
                &json!({ "query": "{ viewer { memberId } }", "variables": { "s": "xxxxxxxx" } }),
            )
            .expect("JSON");
            let pos = if in_string {
                body.windows(8)
                    .position(|w| w == b"xxxxxxxx")
                    .expect("marker")
                    + 4
            } else {
                at % body.len()
            };
            let bad: Vec<u8> = seqs.concat();
            body.splice(pos..pos, bad);
            // Pieces side by side can make a valid character after all.
            let want = if std::str::from_utf8(&body).is_err() {
                Want::Code("VALIDATION")
            } else {
                Want::Any
            };
            Case {
                kind: "invalid UTF-8",
                body,
                content_type: Some("application/json".into()),
                auth: Auth::Pool(2),
                want,
                may_write: false,
            }
        });

    let bad_auth = prop::sample::select(vec![
        b"Bearer".to_vec(),
        b"Bearer ".to_vec(),
        b"Basic dXNlcjpwYXNz".to_vec(),
        b"Bearer a.b.c".to_vec(),
        b"Bearer e30.e30.e30".to_vec(),
        b"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIwYzBiMDAwMC0wMDAzLTcwMDAtODAwMC0wMDAwMDAwMDAwMDEiLCJpc3MiOiJjb2h1Yi1sb2NhbCIsImF1ZCI6ImNvaHViIiwiZXhwIjo5OTk5OTk5OTk5fQ.".to_vec(),
        b"Bearer \xFF\xFE".to_vec(),
        b"Bearer \xC3\xA9t\xC3\xA9".to_vec(),
        [b"Bearer ".to_vec(), vec![b'x'; 8000]].concat(),
        b"bearer    spaced     token".to_vec(),
        b"Bearer ../../../etc/passwd".to_vec(),
    ])
    .prop_map(|header| {
        json_case("bad auth", &valid_query(), Auth::Header(header), Want::Code("UNAUTHENTICATED"))
    });

    prop_oneof![
        40 => schema_docs,
        6 => huge,
        8 => deep,
        8 => aliases,
        6 => batches,
        6 => fragments,
        10 => unicode,
        8 => malformed,
        6 => content_types,
        5 => bad_utf8,
        5 => bad_auth,
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Running a case.
// ---------------------------------------------------------------------------------------------

async fn send(env: &Env, case: &Case) -> Result<Reply> {
    let mut headers: Vec<(&str, Vec<u8>)> = Vec::new();
    if let Some(ct) = &case.content_type {
        headers.push(("content-type", ct.clone().into_bytes()));
    }
    let bearer = |t: &str| format!("Bearer {t}").into_bytes();
    match &case.auth {
        Auth::None => {}
        Auth::Pool(i) => headers.push(("authorization", bearer(&env.pool[i % env.pool.len()]))),
        Auth::Facilitator => headers.push(("authorization", bearer(&env.facilitator))),
        Auth::Champion => headers.push(("authorization", bearer(&env.champion))),
        Auth::Header(h) => headers.push(("authorization", h.clone())),
    }
    if case
        .content_type
        .as_deref()
        .is_some_and(|c| c.contains('\0'))
    {
        // Not sendable as a header: send without a content type instead.
        headers.retain(|(n, _)| *n != "content-type");
    }
    env.probe
        .request_patient(Method::POST, "/graphql", Some(case.body.clone()), &headers)
        .await
}

/// Whether an answer carries data from a mutation that may have appended.
fn wrote_something(reply: &Reply) -> bool {
    let items: Vec<Value> = match &reply.json {
        Some(Value::Array(items)) => items.clone(),
        Some(v) => vec![v.clone()],
        None => Vec::new(),
    };
    items.iter().any(|item| {
        item["data"]
            .as_object()
            .is_some_and(|d| d.values().any(|v| !v.is_null()))
    })
}

fn check_want(case: &Case, reply: &Reply) -> std::result::Result<(), String> {
    reply.check_contract()?;
    let codes = reply.codes();
    match case.want {
        Want::Any => Ok(()),
        Want::Limit if codes.iter().any(|c| c == "LIMIT") => {
            if case.body.len() > MAX_BODY && reply.status != 413 {
                return Err(format!(
                    "an oversized body answered HTTP {}, not 413",
                    reply.status
                ));
            }
            Ok(())
        }
        Want::Limit => Err(format!(
            "expected LIMIT, got {codes:?}: {}",
            reply.text(500)
        )),
        Want::Clean if reply.is_clean() => Ok(()),
        Want::Clean => Err(format!("expected a clean answer, got {}", reply.text(500))),
        Want::Code(code) if codes.first().map(String::as_str) == Some(code) => Ok(()),
        Want::Refused if !codes.is_empty() => Ok(()),
        Want::Refused => Err(format!("expected an error, got {}", reply.text(500))),
        Want::Code(code) => Err(format!(
            "expected {code}, got {codes:?} (HTTP {}): {}",
            reply.status,
            reply.text(500)
        )),
    }
}

/// Runs one case and checks everything the module promises; `last` is the log as it stood
/// before the case.
async fn run_case(env: &Env, case: &Case, last: &mut LogState) -> std::result::Result<(), String> {
    let reply = send(env, case).await.map_err(|e| {
        format!("no answer within the timeout (a hang?) or a broken connection: {e:#}")
    })?;
    check_want(case, &reply)?;
    if !env.probe.healthy().await {
        let log = env.server.log();
        let tail = log[log.len().saturating_sub(15)..].join("\n");
        return Err(format!(
            "/healthz does not answer 200 after this case (answer: HTTP {}); server output:\n{tail}",
            reply.status
        ));
    }
    let now = env
        .log_state()
        .await
        .map_err(|e| format!("cannot read the chain heads after this case: {e:#}"))?;
    if now != *last {
        if !(case.may_write && wrote_something(&reply)) {
            return Err(format!(
                "the log changed ({last:?} -> {now:?}) although the request was not a mutation that answered with data: {}",
                reply.text(500)
            ));
        }
        *last = now;
    }
    Ok(())
}

fn seed() -> u64 {
    std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00C0_B0E2_E5EE_D001)
}

#[test]
fn generated_hostile_requests() -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let env = rt.block_on(Env::start(dir.path()))?;
    let schema = Arc::new(env.schema.clone());
    assert!(
        !schema.mutations.is_empty(),
        "the served schema has no mutations"
    );

    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let seed = seed();
    println!("hostile input: {cases} cases, seed {seed} (HOSTILE_SEED={seed} reproduces; PROPTEST_CASES raises the count)");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let config = Config {
        cases,
        max_shrink_iters: 48,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let last = RefCell::new(rt.block_on(env.log_state())?);
    let kinds = RefCell::new(std::collections::BTreeMap::<&'static str, (u32, u32)>::new());
    let started = Instant::now();
    let first_failure = RefCell::new(None::<String>);
    let slow = RefCell::new(Vec::<String>::new());
    let result = runner.run(&arb_case(schema), |case| {
        let mut last = last.borrow_mut();
        let t0 = Instant::now();
        let outcome = rt.block_on(run_case(&env, &case, &mut last));
        if t0.elapsed() > Duration::from_secs(2) {
            slow.borrow_mut()
                .push(format!("{:.1} s: {case:?}", t0.elapsed().as_secs_f64()));
        }
        if let Err(e) = &outcome {
            first_failure
                .borrow_mut()
                .get_or_insert_with(|| format!("{e}\n{case:?}"));
        }
        let mut kinds = kinds.borrow_mut();
        let entry = kinds.entry(case.kind).or_default();
        entry.0 += 1;
        if outcome.is_err() {
            entry.1 += 1;
        }
        outcome.map_err(TestCaseError::fail)
    });
    println!(
        "ran in {:.1} s; cases by kind (run, failed, including shrinking):",
        started.elapsed().as_secs_f64()
    );
    for (kind, (n, failed)) in kinds.borrow().iter() {
        println!("  {kind:<16} {n:>5} {failed:>5}");
    }
    for s in slow.borrow().iter() {
        println!("slow case: {s}");
    }
    if let Some(f) = first_failure.borrow().as_ref() {
        println!("first failure (before shrinking): {f}");
    }
    let panics: Vec<String> = env
        .server
        .log()
        .into_iter()
        .filter(|l| l.contains("panicked"))
        .collect();
    assert!(
        panics.is_empty(),
        "the server logged panics:\n{}",
        panics.join("\n")
    );
    if let Err(e) = result {
        panic!("{e}\n(seed {seed})");
    }
    rt.block_on(async {
        assert!(env.probe.healthy().await);
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The limits, one by one, on the real server.
// ---------------------------------------------------------------------------------------------

/// POSTs `body` over a raw connection with `Transfer-Encoding: chunked` (no
/// `Content-Length`), and returns the status and body of the answer.
async fn chunked_post(env: &Env, body: &[u8]) -> Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(env.server.addr).await?;
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAuthorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        env.server.addr, env.pool[0]
    );
    let mut out = head.into_bytes();
    for chunk in body.chunks(8192) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before it has read everything: a failed write is fine.
    let _ = stream.write_all(&out).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .context("no answer to a chunked body within 10 s")?
        .or_else(|e| if answer.is_empty() { Err(e) } else { Ok(0) })?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .context("no HTTP head in the answer")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status in the answer")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // De-chunk.
        let mut body = String::new();
        let mut rest = rest;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            body.push_str(&after[..n.min(after.len())]);
            rest = after.get(n + 2..).unwrap_or("");
        }
        body
    } else {
        rest.to_string()
    };
    Ok((status, body))
}

fn code_of(reply: &Reply) -> String {
    reply.code().unwrap_or_else(|| "<none>".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_answer_limit_on_the_real_server() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let env = Env::start(dir.path()).await?;
    let p = &env.probe;
    let t = Some(env.pool[0].as_str());
    let before = env.log_state().await?;

    // Depth: 16 levels pass, 17 do not; far deeper stops at the parser, also LIMIT.
    let ok = p
        .gql_patient(&nested_of_type(MAX_DEPTH - 5), json!({}), t)
        .await?;
    assert!(ok.is_clean(), "depth {MAX_DEPTH}: {}", ok.text(500));
    for n in [MAX_DEPTH - 4, 40, 500] {
        let r = p.gql_patient(&nested_of_type(n), json!({}), t).await?;
        r.check_contract().map_err(anyhow::Error::msg)?;
        assert_eq!(code_of(&r), "LIMIT", "depth {}: {}", n + 5, r.text(500));
    }

    // Nested values in arguments, variable defaults and directives: a kilobyte of brackets
    // once overflowed a worker thread's stack and aborted the process. Now LIMIT, and alive.
    for n in [100, 300, 600, 5000] {
        for q in [
            format!(
                "{{ chainHead(hubId: {}{}) {{ hash }} }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
            format!(
                "{{ chainHead(hubId: {}1{}) {{ hash }} }}",
                "{a: ".repeat(n),
                "}".repeat(n)
            ),
            format!("{{ nope(x: {}{}) }}", "[".repeat(n), "]".repeat(n)),
            format!(
                "query($x: Int = {}{}) {{ __typename }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
            format!(
                "{{ __typename @include(if: {}{}) }}",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ] {
            let r = p.gql_patient(&q, json!({}), t).await?;
            r.check_contract().map_err(anyhow::Error::msg)?;
            assert_eq!(code_of(&r), "LIMIT", "{}", r.text(200));
            assert!(
                p.healthy().await,
                "the server died on {}",
                &q[..q.len().min(80)]
            );
        }
    }

    // Complexity (one per field): 500 selections pass, 501 do not. With the default limits the
    // field count (checked first, at parse time) and the complexity are equal for such a
    // query, so either message is right; the code must be LIMIT.
    let wide = |n: usize| format!("{{ viewer {{ {} }} }}", vec!["memberId"; n - 1].join(" "));
    let r = p.gql_patient(&wide(MAX_FIELDS), json!({}), t).await?;
    assert!(r.is_clean(), "{} fields: {}", MAX_FIELDS, r.text(300));
    let r = p.gql_patient(&wide(MAX_FIELDS + 1), json!({}), t).await?;
    assert_eq!(code_of(&r), "LIMIT", "{}", r.text(300));
    println!(
        "complexity {}: {}",
        MAX_FIELDS + 1,
        r.message().unwrap_or_default()
    );
    // The same through fragments (expanded for counting).
    // 16 uses of a fragment of 32 fields: 512 once expanded, each part small.
    let q = format!(
        "{{ ...A ...A }} fragment A on Query {{ ...B ...B }} fragment B on Query {{ ...C ...C }}
         fragment C on Query {{ ...D ...D }} fragment D on Query {{ viewer {{ {} }} }}",
        vec!["memberId"; 31].join(" ")
    );
    let r = p.gql_patient(&q, json!({}), t).await?;
    assert_eq!(code_of(&r), "LIMIT", "{}", r.text(300));

    // A fragment spread bomb (5 spreads a level, 13 levels: 5^13 fields once expanded, in 700
    // bytes) is refused at once, not after walking every expansion.
    let mut bomb = String::from("{ ...F0 }");
    for l in 0..13 {
        bomb.push_str(&format!(
            " fragment F{l} on Query {{ {} }}",
            vec![format!("...F{}", l + 1); 5].join(" ")
        ));
    }
    bomb.push_str(" fragment F13 on Query { __typename }");
    let t0 = Instant::now();
    let r = p.gql_patient(&bomb, json!({}), t).await?;
    assert_eq!(code_of(&r), "LIMIT", "{}", r.text(300));
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "a spread bomb took {:?}",
        t0.elapsed()
    );

    // Aliases: 30 pass, 31 do not.
    let aliased = |n: usize| {
        let f: Vec<String> = (0..n)
            .map(|i| format!("a{i}: viewer {{ memberId }}"))
            .collect();
        format!("{{ {} }}", f.join(" "))
    };
    let r = p.gql_patient(&aliased(MAX_ALIASES), json!({}), t).await?;
    assert!(r.is_clean(), "{}", r.text(300));
    for n in [MAX_ALIASES + 1, 500] {
        let r = p.gql_patient(&aliased(n), json!({}), t).await?;
        assert_eq!(code_of(&r), "LIMIT", "{n} aliases: {}", r.text(300));
    }

    // Directives on one field: the two executable ones pass; more than 8 are LIMIT (before
    // validation would call the repeats duplicates).
    let r = p
        .gql_patient(
            "{ viewer @include(if: true) @skip(if: false) { memberId } }",
            json!({}),
            t,
        )
        .await?;
    assert!(r.is_clean(), "{}", r.text(300));
    let directives = |n: usize| {
        format!(
            "{{ viewer {} {{ memberId }} }}",
            vec!["@include(if: true)"; n].join(" ")
        )
    };
    let r = p
        .gql_patient(&directives(MAX_DIRECTIVES + 1), json!({}), t)
        .await?;
    assert_eq!(code_of(&r), "LIMIT", "{}", r.text(300));

    // Batches: 10 pass, 11 do not (and nothing in a refused batch runs).
    let r = p.patient(&json!(vec![valid_query(); MAX_BATCH]), t).await?;
    assert!(r.is_clean(), "{}", r.text(300));
    assert_eq!(
        r.json.as_ref().and_then(Value::as_array).map(Vec::len),
        Some(MAX_BATCH)
    );
    for n in [MAX_BATCH + 1, 5000] {
        let r = p.patient(&json!(vec![valid_query(); n]), t).await?;
        r.check_contract().map_err(anyhow::Error::msg)?;
        assert_eq!(code_of(&r), "LIMIT", "batch of {n}: {}", r.text(300));
    }

    // Body size: exactly the limit passes, one byte more is 413 LIMIT.
    let exact = |len: usize| {
        let base = serde_json::to_vec(&json!({ "query": "{ viewer { memberId } } #" })).unwrap();
        let pad = len - base.len();
        let s = format!("{{ viewer {{ memberId }} }} #{}", "x".repeat(pad));
        let body = serde_json::to_vec(&json!({ "query": s })).unwrap();
        assert_eq!(body.len(), len);
        body
    };
    let json_ct = || {
        vec![
            ("content-type", b"application/json".to_vec()),
            (
                "authorization",
                format!("Bearer {}", env.pool[0]).into_bytes(),
            ),
        ]
    };
    let r = p
        .request_patient(Method::POST, "/graphql", Some(exact(MAX_BODY)), &json_ct())
        .await?;
    assert!(
        r.is_clean(),
        "a body of exactly {MAX_BODY} bytes: {}",
        r.text(300)
    );
    let r = p
        .request_patient(
            Method::POST,
            "/graphql",
            Some(exact(MAX_BODY + 1)),
            &json_ct(),
        )
        .await?;
    r.check_contract().map_err(anyhow::Error::msg)?;
    assert_eq!(
        (r.status, code_of(&r).as_str()),
        (413, "LIMIT"),
        "{}",
        r.text(300)
    );
    // Without Content-Length (chunked), the limit holds while reading.
    let (status, body) = chunked_post(&env, &exact(MAX_BODY + 10_000)).await?;
    let body: Value = serde_json::from_str(&body)
        .with_context(|| format!("the answer to a chunked oversized body is not JSON: {body}"))?;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT", "{body}");

    // None of that changed the log.
    assert_eq!(
        env.log_state().await?,
        before,
        "refused requests changed the log"
    );

    // The rate limit: hammer with one fresh token until LIMIT; another token is unaffected.
    let hammer = token(&env.server.data, Uuid::now_v7()).await?;
    let other = token(&env.server.data, Uuid::now_v7()).await?;
    let mut limited = None;
    for i in 0..400 {
        let r = p
            .gql("{ viewer { memberId } }", json!({}), Some(&hammer))
            .await?;
        r.check_contract().map_err(anyhow::Error::msg)?;
        if r.status == 429 {
            limited = Some((i, r));
            break;
        }
        assert!(r.is_clean(), "{}", r.text(300));
    }
    let (after, r) =
        limited.context("400 quick requests with one token were never rate limited")?;
    assert_eq!(code_of(&r), "LIMIT", "{}", r.text(300));
    assert!(
        r.retry_after.is_some_and(|s| s >= 1),
        "429 without Retry-After"
    );
    println!(
        "rate limit: LIMIT (HTTP 429, Retry-After {:?}) after {after} requests",
        r.retry_after
    );
    let r = p
        .gql("{ viewer { memberId } }", json!({}), Some(&other))
        .await?;
    assert!(
        r.is_clean(),
        "another token was limited too: {}",
        r.text(300)
    );
    // A limited mutation appends nothing. The hammer's bucket may have refilled by a token
    // while the other token was served (one every 100 ms at the default rate, and a loaded
    // machine can take that long), so send the mutation until it is limited: each one that
    // gets through is refused (the hammer is no member of the hub), and none appends.
    let mut mutation_limited = false;
    for _ in 0..20 {
        let r = p
            .gql(
                "mutation($i: AdoptCharterInput!) { adoptCharter(input: $i) { receipt { hubSeq } } }",
                json!({ "i": { "hubId": ex::HUB.uuid(), "text": { "text": "Rate-limited charter." } } }),
                Some(&hammer),
            )
            .await?;
        r.check_contract().map_err(anyhow::Error::msg)?;
        if r.status == 429 {
            assert_eq!(code_of(&r), "LIMIT", "{}", r.text(300));
            mutation_limited = true;
            break;
        }
        assert_eq!(code_of(&r), "FORBIDDEN", "{}", r.text(300));
    }
    assert!(
        mutation_limited,
        "20 quick mutations from a drained token were never limited"
    );
    assert_eq!(
        env.log_state().await?,
        before,
        "a rate-limited request changed the log"
    );
    assert!(p.healthy().await);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Hand-written cases.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_written_hostile_requests() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let env = Env::start(dir.path()).await?;
    let p = &env.probe;
    let champion = Some(env.champion.as_str());
    let frame = "mutation($i: FrameProblemInput!) { frameProblem(input: $i) {
        receipt { hubSeq } problem { id current { title { text lang } statement { text } } } } }";
    let framing = |title: Value, statement: &str| {
        json!({ "i": { "hubId": ex::HUB.uuid(), "framing": {
            "title": title, "statement": { "text": statement },
            "affected": { "text": "Residents." }, "place": { "text": "Sandwell" } } } })
    };

    // Unicode that is plain text must be stored and read back exactly.
    let tricky = "\u{202E}Screening\u{202C} e\u{301} 👩‍👩‍👧 zero\u{200B}width مرحبا ਪੰਜਾਬੀ";
    let data = p
        .gql_ok(
            frame,
            framing(
                json!({ "text": tricky, "lang": "pa-Guru-IN" }),
                "Line one.\nLine two.\tTabbed.",
            ),
            champion,
        )
        .await?;
    let current = &data["frameProblem"]["problem"]["current"];
    assert_eq!(current["title"]["text"], tricky);
    assert_eq!(current["title"]["lang"], "pa-Guru-IN");
    assert_eq!(
        current["statement"]["text"],
        "Line one.\nLine two.\tTabbed."
    );
    let id = data["frameProblem"]["problem"]["id"].clone();
    let read = p
        .gql_ok(
            "query($id: UUID!) { problem(id: $id) { current { title { text } } } }",
            json!({ "id": id }),
            champion,
        )
        .await?;
    assert_eq!(read["problem"]["current"]["title"]["text"], tricky);

    // NUL, other control characters, blank text, untrimmed text and bad language tags are
    // VALIDATION, and append nothing.
    let before = env.log_state().await?;
    for title in [
        json!({ "text": "nul\u{0}inside" }),
        json!({ "text": "escape\u{1b}[31m" }),
        json!({ "text": "\u{7}" }),
        json!({ "text": "   " }),
        json!({ "text": " padded " }),
        json!({ "text": "x".repeat(201) }),
        json!({ "text": "ok", "lang": "" }),
        json!({ "text": "ok", "lang": "not a language" }),
        json!({ "text": "ok", "lang": "e\u{301}n" }),
    ] {
        let r = p
            .gql_patient(frame, framing(title.clone(), "A statement."), champion)
            .await?;
        r.check_contract().map_err(anyhow::Error::msg)?;
        assert_eq!(code_of(&r), "VALIDATION", "{title}: {}", r.text(300));
    }
    assert_eq!(
        env.log_state().await?,
        before,
        "rejected text changed the log"
    );

    // Surrogates in JSON escapes: a lone one is not text (400 VALIDATION); a pair is.
    let headers = vec![
        ("content-type", b"application/json".to_vec()),
        (
            "authorization",
            format!("Bearer {}", env.pool[0]).into_bytes(),
        ),
    ];
    for (body, want) in [
        (
            r#"{"query": "{ chainHead(hubId: \"\ud800\") { hash } }"}"#,
            "VALIDATION",
        ),
        (
            r#"{"query": "{ chainHead(hubId: \"\udc00\ud800\") { hash } }"}"#,
            "VALIDATION",
        ),
        (
            r#"{"query": "{ viewer { memberId } }", "variables": {"s": "\ud83d"}}"#,
            "VALIDATION",
        ),
        (
            r#"{"query": "{ chainHead(hubId: \"\ud83d\ude00\") { hash } }"}"#,
            "VALIDATION",
        ),
        (
            r#"{"query": "{ viewer { memberId } } # \ud83d\ude00"}"#,
            "OK",
        ),
        (
            r#"{"query": "{ viewer { memberId } }\u0000"}"#,
            "VALIDATION",
        ),
        (
            r#"{"query": "{ viewer { memberId } } # \u202e\u200b\ufeff"}"#,
            "OK",
        ),
    ] {
        let r = p
            .request_patient(
                Method::POST,
                "/graphql",
                Some(body.as_bytes().to_vec()),
                &headers,
            )
            .await?;
        r.check_contract()
            .map_err(|e| anyhow::anyhow!("{body}: {e}"))?;
        let got = if r.is_clean() {
            "OK".to_string()
        } else {
            code_of(&r)
        };
        assert_eq!(got, want, "{body}: {}", r.text(300));
    }

    // Other methods on /graphql are JSON errors; GET without an upgrade is GraphiQL (HTML, by
    // design, for people).
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let r = p
            .request(method.clone(), "/graphql", Some(b"{}".to_vec()), &headers)
            .await?;
        r.check_contract()
            .map_err(|e| anyhow::anyhow!("{method}: {e}"))?;
        assert_eq!(r.status, 405, "{method}");
    }
    let r = p.request(Method::GET, "/graphql", None, &[]).await?;
    assert_eq!(r.status, 200);
    let r = p
        .request(Method::POST, "/nowhere", Some(b"{}".to_vec()), &headers)
        .await?;
    r.check_contract().map_err(anyhow::Error::msg)?;
    assert_eq!((r.status, code_of(&r).as_str()), (404, "NOT_FOUND"));

    // Content types other than JSON: 415 VALIDATION.
    for ct in [
        "text/plain",
        "application/graphql",
        "application/x-www-form-urlencoded",
    ] {
        let h = vec![headers[1].clone(), ("content-type", ct.as_bytes().to_vec())];
        let r = p
            .request(
                Method::POST,
                "/graphql",
                Some(b"{ viewer { memberId } }".to_vec()),
                &h,
            )
            .await?;
        r.check_contract().map_err(anyhow::Error::msg)?;
        assert_eq!(
            (r.status, code_of(&r).as_str()),
            (415, "VALIDATION"),
            "{ct}"
        );
    }

    // A subscription over POST is refused with a code, not left hanging.
    let r = p
        .gql_patient(
            "subscription($h: UUID!) { chainHeadChanged(hubId: $h) { hash } }",
            json!({ "h": ex::HUB.uuid() }),
            Some(&env.pool[1]),
        )
        .await?;
    r.check_contract().map_err(anyhow::Error::msg)?;
    assert!(!r.is_clean(), "{}", r.text(300));

    // Tokens: forged, alg none, another audience, no subject, a subject that is not a member id,
    // a token issued in the future: all UNAUTHENTICATED (HTTP 401), never anonymous.
    let now = chrono::Utc::now().timestamp();
    let data_dir = env.server.data.clone();
    let sub = ex::FACILITATOR.uuid().to_string();
    let claims = |extra: Value| {
        let mut c = json!({ "sub": sub, "iss": "cohub-local", "aud": "cohub", "iat": now, "exp": now + 600 });
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let odd_tokens = vec![
        ("forged", forge(&env.facilitator)),
        (
            "another audience",
            sign_claims(&data_dir, &claims(json!({ "aud": "someone-else" })))?,
        ),
        (
            "another issuer claim",
            sign_claims(&data_dir, &claims(json!({ "iss": "evil" })))?,
        ),
        (
            "no subject",
            sign_claims(&data_dir, &claims(json!({ "sub": null })))?,
        ),
        (
            "no expiry",
            sign_claims(&data_dir, &claims(json!({ "exp": null })))?,
        ),
        (
            "subject not a uuid",
            sign_claims(&data_dir, &claims(json!({ "sub": "facilitator" })))?,
        ),
        (
            "not yet valid",
            sign_claims(&data_dir, &claims(json!({ "nbf": now + 3600 })))?,
        ),
        ("alg none", {
            let mut parts: Vec<String> = env.facilitator.split('.').map(str::to_string).collect();
            parts[0] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0".into();
            parts[2] = String::new();
            parts.join(".")
        }),
    ];
    let before = env.log_state().await?;
    for (what, tok) in &odd_tokens {
        let r = p
            .gql(
                "mutation($i: AdoptCharterInput!) { adoptCharter(input: $i) { receipt { hubSeq } } }",
                json!({ "i": { "hubId": ex::HUB.uuid(), "text": { "text": "A forged charter." } } }),
                Some(tok),
            )
            .await?;
        r.check_contract()
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        assert_eq!(
            (r.status, code_of(&r).as_str()),
            (401, "UNAUTHENTICATED"),
            "{what}: {}",
            r.text(300)
        );
    }
    assert_eq!(
        env.log_state().await?,
        before,
        "a refused token changed the log"
    );

    // Mutations with missing or wrongly typed input are VALIDATION and append nothing.
    for (q, vars) in [
        ("mutation { adoptCharter { receipt { hubSeq } } }", json!({})),
        ("mutation($i: AdoptCharterInput!) { adoptCharter(input: $i) { receipt { hubSeq } } }", json!({ "i": 5 })),
        ("mutation($i: AdoptCharterInput!) { adoptCharter(input: $i) { receipt { hubSeq } } }", json!({ "i": { "hubId": "nope", "text": { "text": "x" } } })),
        ("mutation($i: SetMinimumDeliberationTimeInput!) { setMinimumDeliberationTime(input: $i) { receipt { hubSeq } } }", json!({ "i": { "hubId": ex::HUB.uuid(), "seconds": -1 } })),
        ("mutation($i: SetMinimumDeliberationTimeInput!) { setMinimumDeliberationTime(input: $i) { receipt { hubSeq } } }", json!({ "i": { "hubId": ex::HUB.uuid(), "seconds": 1e30 } })),
        ("mutation($i: SetMinimumDeliberationTimeInput!) { setMinimumDeliberationTime(input: $i) { receipt { hubSeq } } }", json!({ "i": { "hubId": ex::HUB.uuid(), "seconds": 18446744073709551615u64 } })),
        ("mutation($i: ConsentToDistributionInput!) { consentToDistribution(input: $i) { receipt { hubSeq } } }", json!({ "i": { "distributionId": ex::DISTRIBUTION.uuid(), "version": 4294967296u64 } })),
    ] {
        let r = p.gql_patient(q, vars.clone(), Some(&env.facilitator)).await?;
        r.check_contract().map_err(|e| anyhow::anyhow!("{q} {vars}: {e}"))?;
        assert!(
            matches!(code_of(&r).as_str(), "VALIDATION" | "CONFLICT" | "RULE"),
            "{q} {vars}: {}",
            r.text(300)
        );
    }
    assert_eq!(
        env.log_state().await?,
        before,
        "invalid mutations changed the log"
    );
    assert!(p.healthy().await);
    Ok(())
}
