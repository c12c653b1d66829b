//! Subscriptions over WebSocket at `/graphql` (`graphql-transport-ws`, and the legacy
//! `graphql-ws` subprotocol).
//!
//! The token may come with the upgrade request's `Authorization` header or in the
//! `connection_init` payload (`Authorization: Bearer ...` or `authToken`); the payload wins.
//! A token that does not verify closes the connection with 4403 and an `UNAUTHENTICATED`
//! reason. A client that does not initialise in time is closed with 4408; on server shutdown
//! every connection is closed with 1001.

use crate::auth::{connection_init_token, Authenticated};
use crate::error::ApiError;
use crate::reply;
use crate::router::AppState;
use async_graphql::http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, StatusCode};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Longest close reason a WebSocket close frame may carry, in bytes.
const MAX_CLOSE_REASON: usize = 123;

/// Checks the upgrade request (token, rate, subprotocol) and starts a session.
pub async fn upgrade(state: AppState, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let header_auth = match crate::gate::authenticate_and_limit(&state, &parts).await {
        Ok(auth) => auth,
        Err(resp) => return resp,
    };
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|p| p.trim().parse::<WebSocketProtocols>().ok())
        });
    let Some(protocol) = protocol else {
        return reply::error(
            StatusCode::BAD_REQUEST,
            &ApiError::Validation(
                "ask for the `graphql-transport-ws` WebSocket subprotocol".into(),
            ),
        );
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return reply::error(
                rejection.status(),
                &ApiError::Validation(format!(
                    "not a valid WebSocket upgrade: {}",
                    rejection.body_text()
                )),
            )
        }
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| session(state, socket, protocol, header_auth))
}

/// Resolves once the server starts shutting down (never, if nobody can signal it any more).
async fn shutting_down(mut rx: watch::Receiver<bool>) {
    if rx.wait_for(|down| *down).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason[..end].into(),
    }))
}

async fn session(
    state: AppState,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    header_auth: Option<Authenticated>,
) {
    let _open = state.metrics.ws_connection();
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|msg| futures::future::ready(msg.is_ok()))
        .filter_map(|msg| {
            futures::future::ready(match msg {
                Ok(Message::Text(text)) => Some(axum::body::Bytes::from(text)),
                Ok(Message::Binary(bytes)) => Some(bytes),
                _ => None,
            })
        });

    let auth_failure: Arc<Mutex<Option<String>>> = Arc::default();
    let on_init = {
        let verifier = state.verifier.clone();
        let auth_failure = auth_failure.clone();
        move |payload: serde_json::Value| async move {
            let verified = async {
                match connection_init_token(&payload)? {
                    Some(token) => verifier.verify(&token).await.map(Some),
                    None => Ok(header_auth),
                }
            }
            .await;
            match verified {
                Ok(auth) => {
                    let mut data = Data::default();
                    if let Some(auth) = auth {
                        data.insert(auth);
                    }
                    Ok(data)
                }
                Err(err) => {
                    *auth_failure.lock().expect("auth failure lock") = Some(err.to_string());
                    Err(async_graphql::Error::new(err.to_string()))
                }
            }
        }
    };
    let mut messages = async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol)
        .on_connection_init(on_init);

    let init_deadline = tokio::time::sleep(state.ws_init_timeout);
    tokio::pin!(init_deadline);
    let shutdown = shutting_down(state.shutdown.clone());
    tokio::pin!(shutdown);
    let mut acknowledged = false;
    loop {
        tokio::select! {
            msg = messages.next() => match msg {
                Some(WsMessage::Text(text)) => {
                    acknowledged |= text.contains("\"connection_ack\"");
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let failure = auth_failure.lock().expect("auth failure lock").take();
                    let frame = match failure {
                        Some(why) => close(4403, &format!("UNAUTHENTICATED: {why}")),
                        None => close(code, &reason),
                    };
                    let _ = sink.send(frame).await;
                    break;
                }
                None => break,
            },
            _ = &mut init_deadline, if !acknowledged => {
                let _ = sink.send(close(4408, "Connection initialisation timeout")).await;
                break;
            }
            _ = &mut shutdown => {
                let _ = sink.send(close(1001, "the server is shutting down")).await;
                break;
            }
        }
    }
    let _ = sink.close().await;
}
