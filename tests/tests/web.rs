//! The web app over real HTTP against a real `cohub serve --demo`: signing in (a pasted token,
//! and an OpenID Connect provider), reading a hub, framing a problem and adding a perspective,
//! and every way a form can go wrong leaving the log as it was.

use anyhow::Result;
use cohub_domain::example;
use cohub_e2e::web::WebClient;
use cohub_e2e::{demo_token, export_log, run_cohub, Server};
use serde_json::{json, Value};
use uuid::Uuid;

async fn chain_head(server: &Server) -> Result<Value> {
    let data = server
        .gql_ok(
            "query($h: UUID!) { chainHead(hubId: $h) { hubSeq hash } }",
            json!({ "h": example::HUB.uuid() }),
            None,
        )
        .await?;
    Ok(data["chainHead"].clone())
}

fn hub_path() -> String {
    format!("/hubs/{}", example::HUB.uuid())
}

#[tokio::test]
async fn signing_in_with_a_token_and_reading_the_hub() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion = demo_token(dir.path(), "champion").await?;
    let anonymous = WebClient::new(&server.url(""), None)?;

    // Signed out: the start page names the hubs and offers to sign in; a hub's page sends
    // people to sign in and back.
    let home = anonymous.get("/").await?;
    assert_eq!(home.status, 200);
    assert!(home.text().contains(example::HUB_NAME), "{}", home.text());
    assert!(home.body.contains("href=\"/signin\""));
    let hub = anonymous.get(&hub_path()).await?;
    assert_eq!(hub.status, 303);
    assert_eq!(
        hub.location.as_deref(),
        Some(format!("/signin?next={}", hub_path()).as_str())
    );

    // An address that leads nowhere: a page for a browser, JSON for an API client.
    let lost = server
        .http()
        .get(server.url("/nowhere"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await?;
    assert_eq!(lost.status(), 404);
    assert!(lost.text().await?.contains("<h1>Page not found</h1>"));
    let lost = server.http().get(server.url("/nowhere")).send().await?;
    assert_eq!(lost.status(), 404);
    assert_eq!(
        lost.json::<Value>().await?["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );

    // A bad token is refused beside the field; a good one signs in and goes back.
    let bad = anonymous
        .post(
            "/signin",
            &[("token", "not-a-token"), ("next", &hub_path())],
        )
        .await?;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("id=\"token-error\""), "{}", bad.body);
    assert!(bad.text().contains("There is a problem"));
    let good = anonymous
        .post(
            "/signin",
            &[("token", &format!("  {champion}\n")), ("next", &hub_path())],
        )
        .await?;
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(good.location.as_deref(), Some(hub_path().as_str()));
    assert!(good.cookies.iter().any(|c| c.starts_with("cohub_session=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Lax")
        && !c.contains("Secure")));
    // A next that leaves the site is not followed.
    let away = anonymous
        .post(
            "/signin",
            &[("token", &champion), ("next", "//evil.example/")],
        )
        .await?;
    assert_eq!(away.location.as_deref(), Some("/"));

    let me = WebClient::new(&server.url(""), Some(&champion))?;
    let home = me.get("/").await?;
    assert!(
        home.text()
            .contains("You are Amina Begum, champion for Brierley Homes"),
        "{}",
        home.text()
    );
    let hub = me.get(&hub_path()).await?;
    assert_eq!(hub.status, 200);
    let text = hub.text();
    assert!(
        text.contains("Residents with type 2 diabetes miss retinal screening"),
        "{text}"
    );
    assert!(
        text.contains("3 perspectives (lived experience, clinical, commissioning)"),
        "{text}"
    );
    assert!(
        text.contains("Community-language voice reminders"),
        "{text}"
    );
    let problem = me
        .get(&format!(
            "{}/problems/{}",
            hub_path(),
            example::PROBLEM.uuid()
        ))
        .await?;
    assert_eq!(problem.status, 200);
    assert!(problem.text().contains("Perspectives"));

    // Someone who is not a member sees neither the hub nor its problems.
    let stranger = run_cohub(&[
        "token",
        "--data",
        dir.path().to_str().unwrap(),
        "--member",
        &Uuid::now_v7().to_string(),
    ])
    .await?;
    let stranger = WebClient::new(&server.url(""), Some(stranger.trim()))?;
    assert_eq!(stranger.get(&hub_path()).await?.status, 403);
    let problem = stranger
        .get(&format!(
            "{}/problems/{}",
            hub_path(),
            example::PROBLEM.uuid()
        ))
        .await?;
    assert_eq!(problem.status, 404);
    assert!(!problem.text().contains("retinal"));

    // Signing out clears the cookie (and needs the page's form token).
    let out = me.post("/signout", &[("form_token", "wrong")]).await?;
    assert_eq!(out.status, 403);
    let page = me.get("/").await?;
    let token = page.input("form_token").expect("the sign-out form");
    let out = me.post("/signout", &[("form_token", &token)]).await?;
    assert_eq!(out.status, 303);
    assert!(out.cookies.iter().any(|c| c.contains("Max-Age=0")));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn framing_a_problem_records_once_and_refusals_leave_the_log_as_it_was() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(dir.path(), &["--demo"]).await?;
    let champion = demo_token(dir.path(), "champion").await?;
    let me = WebClient::new(&server.url(""), Some(&champion))?;
    let new = format!("{}/problems/new", hub_path());

    let form = me.get(&new).await?;
    assert_eq!(form.status, 200);
    for label in [
        "Title",
        "What is the problem?",
        "Who is affected?",
        "Where?",
    ] {
        assert!(form.text().contains(label), "{label}");
    }
    let key = form.input("idempotency_key").expect("an idempotency key");
    let token = form.input("form_token").expect("a form token");
    assert!(Uuid::parse_str(&key).is_ok());

    // An empty title: 422, the message beside the title and in the summary, nothing written.
    let before = chain_head(&server).await?;
    let empty = me
        .post(
            &new,
            &[
                ("idempotency_key", &key),
                ("form_token", &token),
                ("title", "   "),
                ("statement", "Bus stops near the surgery have no shelter."),
                ("affected", "Older patients."),
                ("place", "Tipton"),
            ],
        )
        .await?;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("id=\"title-error\""), "{}", empty.body);
    assert!(
        empty.body.contains("href=\"#title\""),
        "the summary links to the field"
    );
    assert!(
        empty.text().contains("The title is empty"),
        "{}",
        empty.text()
    );
    assert!(
        empty.text().contains("Bus stops near the surgery"),
        "the words are kept"
    );
    assert_eq!(
        empty.input("idempotency_key").as_deref(),
        Some(key.as_str())
    );
    assert_eq!(chain_head(&server).await?, before);

    // Another site's form, and a form without this session's token: refused, nothing written.
    let fields = [
        ("idempotency_key", key.as_str()),
        ("form_token", token.as_str()),
        ("title", "No shelter at the surgery bus stop"),
        ("statement", "Bus stops near the surgery have no shelter."),
        ("affected", "Older patients."),
        ("place", "Tipton"),
    ];
    let cross = me
        .post_with(&new, &fields, &[("origin", "http://evil.example")])
        .await?;
    assert_eq!(cross.status, 403);
    let mut no_token = fields;
    no_token[1] = ("form_token", "forged");
    let forged = me.post(&new, &no_token).await?;
    assert_eq!(forged.status, 422);
    assert!(forged.text().contains("was not sent"), "{}", forged.text());
    assert_eq!(chain_head(&server).await?, before);

    // The form, sent twice (a double click): one problem.
    let first = me.post(&new, &fields).await?;
    assert_eq!(first.status, 303, "{}", first.body);
    let second = me.post(&new, &fields).await?;
    assert_eq!(second.status, 303);
    assert_eq!(
        first.location, second.location,
        "the same problem both times"
    );
    let to = first.location.clone().unwrap();
    assert!(to.ends_with("?done=problem-framed"));
    let page = me.get(&to).await?;
    assert!(page.text().contains("Done: your problem was recorded."));
    assert!(page.text().contains("No shelter at the surgery bus stop"));

    // A perspective on it, with its kind.
    let problem_path = to.trim_end_matches("?done=problem-framed").to_string();
    let add = format!("{problem_path}/perspectives/new");
    let form = me.get(&add).await?;
    let key = form.input("idempotency_key").unwrap();
    let token = form.input("form_token").unwrap();
    let no_kind = me
        .post(
            &add,
            &[
                ("idempotency_key", &key),
                ("form_token", &token),
                ("text", "It rains."),
            ],
        )
        .await?;
    assert_eq!(no_kind.status, 422);
    assert!(no_kind.body.contains("id=\"kind-error\""));
    let added = me
        .post(
            &add,
            &[
                ("idempotency_key", &key),
                ("form_token", &token),
                ("kind", "LIVED_EXPERIENCE"),
                ("text", "My mother waits 20 minutes in the rain."),
            ],
        )
        .await?;
    assert_eq!(added.status, 303, "{}", added.body);
    let page = me.get(added.location.as_deref().unwrap()).await?;
    assert!(page
        .text()
        .contains("My mother waits 20 minutes in the rain."));
    assert!(page.text().contains("Lived experience"));

    server.stop().await?;
    let log = export_log(dir.path()).await?;
    let framed: Vec<&Value> = log
        .iter()
        .filter(|e| {
            e["event_type"] == "ProblemFramed"
                && e.to_string().contains("No shelter at the surgery bus stop")
        })
        .collect();
    assert_eq!(framed.len(), 1, "the double-submitted form recorded once");
    assert_eq!(
        framed[0]["actor"]["member_id"],
        example::CHAMPION.uuid().to_string()
    );
    Ok(())
}

/// A stand-in OpenID Connect provider: its authorization endpoint sends the browser straight
/// back with a code, its token endpoint checks the PKCE verifier and answers an ES256 id_token
/// for `member`, and it publishes its key.
mod provider {
    use axum::extract::{Query, State};
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::{get, post};
    use axum::{Form, Json, Router};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::{json, Value};
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    pub const ISSUER: &str = "https://id.example.test";

    #[derive(Clone)]
    struct Provider {
        key: Arc<EncodingKey>,
        jwk: Value,
        member: String,
        challenges: Arc<Mutex<HashMap<String, String>>>,
    }

    pub struct Running {
        pub base: String,
        pub task: tokio::task::JoinHandle<()>,
    }

    pub async fn start(member: String) -> Running {
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!("p1");
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        let state = Provider {
            key: Arc::new(EncodingKey::from_ec_pem(pem.as_bytes()).unwrap()),
            jwk,
            member,
            challenges: Arc::default(),
        };
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks", get(jwks))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Running { base, task }
    }

    async fn authorize(
        State(p): State<Provider>,
        Query(q): Query<HashMap<String, String>>,
    ) -> impl IntoResponse {
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "cohub-web");
        assert_eq!(q["code_challenge_method"], "S256");
        let code = uuid::Uuid::now_v7().to_string();
        p.challenges
            .lock()
            .unwrap()
            .insert(code.clone(), q["code_challenge"].clone());
        Redirect::to(&format!(
            "{}?code={code}&state={}",
            q["redirect_uri"], q["state"]
        ))
    }

    async fn token(
        State(p): State<Provider>,
        Form(f): Form<HashMap<String, String>>,
    ) -> impl IntoResponse {
        let challenge = p.challenges.lock().unwrap().remove(&f["code"]);
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(f["code_verifier"].as_bytes()));
        if challenge.as_deref() != Some(expected.as_str()) {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                Json(json!({ "error": "invalid_grant" })),
            );
        }
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("p1".into());
        let claims = json!({
            "iss": ISSUER, "aud": "cohub", "sub": p.member, "iat": now, "exp": now + 600
        });
        let id_token = jsonwebtoken::encode(&header, &claims, &p.key).unwrap();
        (
            axum::http::StatusCode::OK,
            Json(json!({ "id_token": id_token, "token_type": "Bearer" })),
        )
    }

    async fn jwks(State(p): State<Provider>) -> Json<Value> {
        Json(json!({ "keys": [p.jwk] }))
    }
}

#[tokio::test]
async fn signing_in_with_an_openid_connect_provider() -> Result<()> {
    let provider = provider::start(example::CHAMPION.uuid().to_string()).await;
    let dir = tempfile::tempdir()?;
    // The server's public URL is only known once it listens, so pick a free port first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let public = format!("http://127.0.0.1:{port}");
    let server = Server::start_with(
        dir.path(),
        &[
            "--demo",
            "--oidc-issuer",
            provider::ISSUER,
            "--oidc-jwks-url",
            &format!("{}/jwks", provider.base),
            "--oidc-client-id",
            "cohub-web",
            "--oidc-authorization-url",
            &format!("{}/authorize", provider.base),
            "--oidc-token-url",
            &format!("{}/token", provider.base),
            "--oidc-name",
            "Black Country ID",
            "--public-url",
            &public,
            "--addr",
            &format!("127.0.0.1:{port}"),
        ],
    )
    .await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let signin = http.get(server.url("/signin")).send().await?.text().await?;
    assert!(signin.contains("Sign in with Black Country ID"));

    // Start: to the provider, with a flow cookie.
    let start = http
        .get(server.url(&format!("/signin/oidc?next={}", hub_path())))
        .send()
        .await?;
    assert_eq!(start.status(), 303);
    let flow = start
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()?
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let to_provider = start.headers()["location"].to_str()?.to_string();
    assert!(to_provider.starts_with(&format!("{}/authorize?", provider.base)));
    // The provider sends the browser back with a code.
    let back = http.get(&to_provider).send().await?;
    let callback = back.headers()["location"].to_str()?.to_string();
    assert!(callback.starts_with(&format!("{public}/signin/oidc/callback?")));
    // Without the flow cookie (another browser), the callback is refused.
    let stolen = http.get(&callback).send().await?;
    assert_eq!(stolen.status(), 400);
    // With it: signed in, back to where they were going.
    let done = http.get(&callback).header("cookie", &flow).send().await?;
    assert_eq!(done.status(), 303, "{}", done.text().await?);
    assert_eq!(done.headers()["location"], hub_path().as_str());
    let session = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("cohub_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("cohub_session=")
        .to_string();
    let me = WebClient::new(&server.url(""), Some(&session))?;
    let home = me.get("/").await?;
    assert!(
        home.text().contains("You are Amina Begum"),
        "{}",
        home.text()
    );
    // The code was used once: replaying the callback does not sign in again.
    let replay = http.get(&callback).header("cookie", &flow).send().await?;
    assert_eq!(replay.status(), 400);
    server.stop().await?;
    provider.task.abort();
    Ok(())
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_secure() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start_with(
        dir.path(),
        &["--demo", "--public-url", "https://hub.example.org"],
    )
    .await?;
    let champion = demo_token(dir.path(), "champion").await?;
    let signed = WebClient::new(&server.url(""), None)?
        .post("/signin", &[("token", &champion), ("next", "/")])
        .await?;
    assert_eq!(signed.status, 303);
    let cookie = signed
        .cookies
        .iter()
        .find(|c| c.starts_with("cohub_session="))
        .expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    server.stop().await?;
    Ok(())
}
