//! `cohub-bench fixed`: the HTTP ceiling, an axum handler that answers every POST to
//! `/graphql` with the same small JSON a cohub mutation answers, without reading the store.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Arguments of `cohub-bench fixed`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to listen on (port 0 picks one; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
}

/// Serves until killed, after printing `listening on http://ADDR`.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let app = Router::new().route("/graphql", post(answer));
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The fixed answer, the shape of a mutation's receipt, once the request's body is read.
async fn answer(_body: axum::body::Bytes) -> Json<Value> {
    Json(json!({ "data": { "frameProblem": { "receipt": { "lastPosition": 1 } } } }))
}
