//! A form sent while PostgreSQL fails around its commit is never recorded twice and never
//! reported as failed when nobody can tell: the web app retries with the form's idempotency
//! key, and when the outcome stays unknown it says so and keeps the key, so sending the form
//! again settles it once. The server reaches PostgreSQL through a [`FaultProxy`].

use anyhow::{Context, Result};
use cohub_e2e::pg::{wait_up, TestSchema};
use cohub_e2e::web::WebClient;
use cohub_e2e::{run_cohub, token, Server};
use cohub_store_pg::fault_proxy::{CommitFault, FaultProxy};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

async fn export(url: &str) -> Result<Vec<Value>> {
    let out = run_cohub(&["export", "--store", url]).await?;
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).context("export line is not JSON"))
        .collect()
}

fn framed(log: &[Value], title: &str) -> usize {
    log.iter()
        .filter(|e| e["event_type"] == "ProblemFramed" && e.to_string().contains(title))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_whose_outcome_is_unknown_is_retried_with_its_key_and_recorded_once() -> Result<()> {
    wait_up(Duration::from_secs(30)).await?;
    let schema = TestSchema::create("web_outcome").await?;
    let proxy = FaultProxy::in_front_of(&schema.url()).await?;
    let dir = tempfile::tempdir()?;
    let member = Uuid::now_v7();
    let token = token(dir.path(), member).await?;
    let server = Server::start_with(dir.path(), &["--store", &proxy.url(&schema.url())]).await?;
    let hub = server
        .found_hub(&token, "Web outcome hub", "Forms that are recorded once.")
        .await?;
    let me = WebClient::new(&server.url(""), Some(&token))?;
    let new = format!("/hubs/{hub}/problems/new");
    let send = |key: String, form_token: String, title: &'static str| {
        let me = &me;
        let new = &new;
        async move {
            me.post(
                new,
                &[
                    ("idempotency_key", key.as_str()),
                    ("form_token", form_token.as_str()),
                    ("title", title),
                    ("statement", "Evening clinics are hard to reach."),
                    ("affected", "Unpaid carers"),
                    ("place", "Tipton"),
                ],
            )
            .await
        }
    };

    // (1) The database goes away as COMMIT is sent and comes back soon: the page's own retry,
    // with the form's key, settles it, and the person sees their problem.
    let form = me.get(&new).await?;
    let (key, form_token) = (
        form.input("idempotency_key").unwrap(),
        form.input("form_token").unwrap(),
    );
    proxy.at_next_commit(CommitFault::DropCommitAndCut);
    let sending = tokio::spawn({
        let key = key.clone();
        let form_token = form_token.clone();
        let base = server.url("");
        let token = token.clone();
        let new = new.clone();
        async move {
            let me = WebClient::new(&base, Some(&token))?;
            me.post(
                &new,
                &[
                    ("idempotency_key", key.as_str()),
                    ("form_token", form_token.as_str()),
                    ("title", "Settled by the retry"),
                    ("statement", "Evening clinics are hard to reach."),
                    ("affected", "Unpaid carers"),
                    ("place", "Tipton"),
                ],
            )
            .await
        }
    });
    tokio::time::timeout(Duration::from_secs(10), proxy.fired()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.restore()?;
    let page = sending.await??;
    assert_eq!(
        page.status,
        303,
        "recorded after the retry: {}\n{}",
        page.text(),
        server.log().join("\n")
    );

    // (2) The database stays away: the page says the outcome is unknown (not that it failed),
    // keeps the key; sending the form again once it is back records it once.
    let form = me.get(&new).await?;
    let (key, form_token) = (
        form.input("idempotency_key").unwrap(),
        form.input("form_token").unwrap(),
    );
    proxy.at_next_commit(CommitFault::DropCommitAndCut);
    let page = send(key.clone(), form_token.clone(), "Settled by sending again").await?;
    assert_eq!(page.status, 422, "{}", page.text());
    let text = page.text();
    assert!(
        text.contains("We could not tell whether this was recorded"),
        "{text}"
    );
    assert!(text.contains("it will not be recorded twice"), "{text}");
    assert_eq!(page.input("idempotency_key").as_deref(), Some(key.as_str()));
    proxy.restore()?;
    let mut settled = None;
    for _ in 0..50 {
        let page = send(key.clone(), form_token.clone(), "Settled by sending again").await?;
        if page.status == 303 {
            settled = Some(page);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    settled.context("the form was not recorded once the database was back")?;
    // And a double submission now is still one.
    let again = send(key.clone(), form_token.clone(), "Settled by sending again").await?;
    assert_eq!(again.status, 303);
    server.stop().await?;

    let log = export(&schema.url()).await?;
    assert_eq!(framed(&log, "Settled by the retry"), 1);
    assert_eq!(framed(&log, "Settled by sending again"), 1);
    let verify = run_cohub(&["verify", "--store", &schema.url()]).await?;
    assert!(verify.contains("OK"), "{verify}");
    drop(proxy);
    drop(schema);
    Ok(())
}
