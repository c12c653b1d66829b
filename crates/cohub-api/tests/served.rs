//! The edge on a real socket: graphql-ws subscriptions with auth in `connection_init`, and
//! graceful shutdown.

mod common;

use common::{append, TestApp};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A served [`TestApp`]: its address, the trigger for shutdown, and the serve task.
struct Served {
    app: TestApp,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(app: TestApp) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let api = cohub_api::Api::new(
        &app.config,
        cohub_api::ApiDeps {
            store: app.store.clone(),
            projector: app.projector.clone(),
            commands: cohub_command::CommandService::new(app.store.clone()),
            readiness: cohub_api::Readiness::new().with("slow", || async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                Ok::<_, String>("slow but fine".to_string())
            }),
        },
    )
    .unwrap();
    let task = tokio::spawn(cohub_api::serve(listener, api, async {
        let _ = stopped.await;
    }));
    Served {
        app,
        addr,
        stop: Some(stop),
        task,
    }
}

async fn connect(addr: SocketAddr) -> Ws {
    let mut req = format!("ws://{addr}/graphql")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws
}

async fn send(ws: &mut Ws, msg: Value) {
    ws.send(Message::Text(msg.to_string().into()))
        .await
        .unwrap();
}

/// The next text message as JSON, or the close frame's code and reason.
async fn next(ws: &mut Ws) -> Result<Value, (u16, String)> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("the stream is open")
            .expect("no transport error");
        match msg {
            Message::Text(t) => return Ok(serde_json::from_str(&t).unwrap()),
            Message::Close(frame) => {
                let frame = frame.expect("a close frame with a code");
                return Err((u16::from(frame.code), frame.reason.to_string()));
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn subscriptions_stream_chain_heads_to_an_authenticated_client() {
    let s = serve(TestApp::new()).await;
    let hub = Uuid::now_v7();
    s.app.seed_hub(hub, 2).await;

    let mut ws = connect(s.addr).await;
    let token = s.app.token(Uuid::now_v7());
    send(&mut ws, json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");

    send(
        &mut ws,
        json!({
            "id": "1", "type": "subscribe",
            "payload": {
                "query": "subscription($h: UUID!) { chainHeadChanged(hubId: $h) { hubSeq hash } }",
                "variables": { "h": hub }
            }
        }),
    )
    .await;
    let first = next(&mut ws).await.unwrap();
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(first["payload"]["data"]["chainHeadChanged"]["hubSeq"], 2);

    append(s.app.store.as_ref(), Uuid::now_v7(), 1).await; // another hub: no message
    append(s.app.store.as_ref(), hub, 1).await;
    let second = next(&mut ws).await.unwrap();
    assert_eq!(
        second["payload"]["data"]["chainHeadChanged"]["hubSeq"], 3,
        "{second}"
    );
    let head = s.app.store.chain_head(hub).await.unwrap();
    assert_eq!(
        second["payload"]["data"]["chainHeadChanged"]["hash"],
        head.hash
    );

    // A query over the socket works too, and errors carry codes there as well.
    send(&mut ws, json!({ "id": "2", "type": "subscribe", "payload": { "query": "{ viewer { memberId } }" } })).await;
    let viewer = next(&mut ws).await.unwrap();
    assert!(
        viewer["payload"]["data"]["viewer"]["memberId"].is_string(),
        "{viewer}"
    );
    send(
        &mut ws,
        json!({ "id": "3", "type": "subscribe", "payload": { "query": "{ nope }" } }),
    )
    .await;
    loop {
        let msg = next(&mut ws).await.unwrap();
        if msg["id"] == "3" {
            // async-graphql answers a document that fails validation with `next` + errors.
            assert_eq!(
                msg["payload"]["errors"][0]["extensions"]["code"], "VALIDATION",
                "{msg}"
            );
            break;
        }
    }
}

#[tokio::test]
async fn a_bad_token_in_connection_init_closes_with_4403() {
    let s = serve(TestApp::new()).await;
    let mut ws = connect(s.addr).await;
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": { "authToken": "forged.token.here" } }),
    )
    .await;
    let (code, reason) = next(&mut ws).await.unwrap_err();
    assert_eq!(code, 4403);
    assert!(reason.starts_with("UNAUTHENTICATED"), "{reason}");
}

#[tokio::test]
async fn anonymous_connections_get_public_subscriptions() {
    let s = serve(TestApp::new()).await;
    let hub = Uuid::now_v7();
    s.app.seed_hub(hub, 1).await;
    let mut ws = connect(s.addr).await;
    send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
    send(&mut ws, json!({
        "id": "1", "type": "subscribe",
        "payload": { "query": format!("subscription {{ chainHeadChanged(hubId: \"{hub}\") {{ hubSeq }} }}") }
    }))
    .await;
    assert_eq!(
        next(&mut ws).await.unwrap()["payload"]["data"]["chainHeadChanged"]["hubSeq"],
        1
    );
}

#[tokio::test]
async fn a_client_that_never_initialises_is_closed_with_4408() {
    let s = serve(TestApp::with_config(|c| {
        c.ws_init_timeout = Duration::from_millis(200)
    }))
    .await;
    let mut ws = connect(s.addr).await;
    let (code, _) = next(&mut ws).await.unwrap_err();
    assert_eq!(code, 4408);
}

#[tokio::test]
async fn an_upgrade_without_the_subprotocol_is_a_json_400() {
    let s = serve(TestApp::new()).await;
    let req = format!("ws://{}/graphql", s.addr)
        .into_client_request()
        .unwrap();
    let err = tokio_tungstenite::connect_async(req).await.unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => {
            assert_eq!(resp.status(), 400);
            let body: Value = serde_json::from_slice(resp.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
        }
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_and_closes_subscriptions() {
    let mut s = serve(TestApp::new()).await;
    let mut ws = connect(s.addr).await;
    send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");

    // A request that takes 400 ms (the slow readiness probe) is in flight when shutdown starts.
    let url = format!("http://{}/readyz", s.addr);
    let in_flight = tokio::spawn(async move { reqwest::get(url).await.unwrap().status() });
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.stop.take().unwrap().send(()).unwrap();

    let (code, reason) = next(&mut ws).await.unwrap_err();
    assert_eq!(code, u16::from(CloseCode::Away));
    assert!(reason.contains("shutting down"), "{reason}");
    assert_eq!(
        in_flight.await.unwrap(),
        200,
        "the in-flight request finished"
    );
    tokio::time::timeout(Duration::from_secs(5), &mut s.task)
        .await
        .expect("serve returns once in-flight requests are done")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(s.addr).await.is_err(),
        "no new connections after shutdown"
    );
}
