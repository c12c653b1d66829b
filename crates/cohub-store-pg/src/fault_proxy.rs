//! A TCP proxy in front of PostgreSQL that tests cut, to lose a connection around `COMMIT` or
//! the whole database without stopping the database itself (feature `fault-proxy`; tests only).
//!
//! Point a store at [`FaultProxy::url`] instead of the database. Then:
//! - [`FaultProxy::at_next_commit`] arms one [`CommitFault`] for the next `COMMIT` any client
//!   sends through the proxy (it watches for the simple-query message sqlx commits with, so
//!   the URL turns TLS off);
//! - [`FaultProxy::cut`] closes every connection and stops listening, so that new ones are
//!   refused (the database looks down) until [`FaultProxy::restore`] listens again.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// The frontend message sqlx sends to commit: a simple `Query` ('Q', length 11, "COMMIT\0").
const COMMIT_MESSAGE: &[u8] = b"Q\x00\x00\x00\x0bCOMMIT\x00";

/// What happens to the next `COMMIT` through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitFault {
    /// `COMMIT` reaches the database, which commits; its answer is swallowed and the client's
    /// connection closed: the client sees a dropped connection for a write that committed.
    LoseReply,
    /// `COMMIT` never reaches the database; the connection is closed on both sides, so the
    /// database rolls the transaction back. The database stays reachable.
    DropCommit,
    /// Like `DropCommit`, and at the same moment the proxy cuts every connection and stops
    /// listening (as [`FaultProxy::cut`]): the client cannot find out what happened.
    DropCommitAndCut,
}

/// The shared state of a proxy.
struct State {
    addr: SocketAddr,
    upstream: SocketAddr,
    armed: Mutex<Option<CommitFault>>,
    fired: Notify,
    fired_count: AtomicU64,
    next_id: AtomicU64,
    connections: Mutex<HashMap<u64, [AbortHandle; 2]>>,
    /// The task accepting connections, while the proxy listens.
    accept: Mutex<Option<AbortHandle>>,
}

impl State {
    /// Stops listening (new connections are refused) and closes every proxied connection.
    fn cut(&self) {
        if let Some(accept) = self.accept.lock().expect("accept lock").take() {
            accept.abort();
        }
        self.close_all();
    }

    /// Closes every proxied connection.
    fn close_all(&self) {
        let all: Vec<[AbortHandle; 2]> = self
            .connections
            .lock()
            .expect("connections lock")
            .drain()
            .map(|(_, h)| h)
            .collect();
        for [a, b] in all {
            a.abort();
            b.abort();
        }
    }

    /// Closes one proxied connection.
    fn close(&self, id: u64) {
        if let Some([a, b]) = self
            .connections
            .lock()
            .expect("connections lock")
            .remove(&id)
        {
            a.abort();
            b.abort();
        }
    }
}

/// A running proxy; it stops (closing every connection) when dropped.
pub struct FaultProxy {
    state: Arc<State>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.cut();
    }
}

impl FaultProxy {
    /// Starts a proxy on a free local port in front of the database of `database_url`.
    pub async fn in_front_of(database_url: &str) -> io::Result<FaultProxy> {
        let (_, host_port, _) = split_url(database_url)?;
        let upstream = tokio::net::lookup_host(host_port_with_default(host_port))
            .await?
            .next()
            .ok_or_else(|| io::Error::other(format!("cannot resolve {host_port}")))?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let state = Arc::new(State {
            addr: listener.local_addr()?,
            upstream,
            armed: Mutex::new(None),
            fired: Notify::new(),
            fired_count: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
            connections: Mutex::new(HashMap::new()),
            accept: Mutex::new(None),
        });
        listen(&state, listener);
        Ok(FaultProxy { state })
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.state.addr
    }

    /// `database_url` pointed at the proxy, with TLS off (so that `COMMIT` can be seen).
    pub fn url(&self, database_url: &str) -> String {
        let (before, _, after) =
            split_url(database_url).expect("the URL was parsed when the proxy started");
        let joined = format!("{before}{}{after}", self.state.addr);
        let separator = if joined.contains('?') { '&' } else { '?' };
        format!("{joined}{separator}sslmode=disable")
    }

    /// Arms `fault` for the next `COMMIT` any connection sends (replacing one still armed).
    pub fn at_next_commit(&self, fault: CommitFault) {
        *self.state.armed.lock().expect("armed lock") = Some(fault);
    }

    /// Waits until an armed fault has been applied (returns at once if one was since the last
    /// call).
    pub async fn fired(&self) {
        self.state.fired.notified().await;
    }

    /// How many armed faults were applied so far.
    pub fn fired_count(&self) -> u64 {
        self.state.fired_count.load(Ordering::SeqCst)
    }

    /// Closes every connection and stops listening: new connections are refused, as by a
    /// database that is down.
    pub fn cut(&self) {
        self.state.cut();
    }

    /// Listens again (on the same address) after [`FaultProxy::cut`].
    pub fn restore(&self) -> io::Result<()> {
        if self.state.accept.lock().expect("accept lock").is_some() {
            return Ok(());
        }
        let listener = std::net::TcpListener::bind(self.state.addr)?;
        listener.set_nonblocking(true)?;
        listen(&self.state, TcpListener::from_std(listener)?);
        Ok(())
    }
}

/// Starts accepting connections on `listener`.
fn listen(state: &Arc<State>, listener: TcpListener) {
    let task = tokio::spawn(accept_loop(listener, state.clone()));
    *state.accept.lock().expect("accept lock") = Some(task.abort_handle());
}

/// Splits a `postgres://user@host:port/db?...` URL around its `host[:port]`.
fn split_url(url: &str) -> io::Result<(&str, &str, &str)> {
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a database URL: {url}"),
        )
    };
    let scheme_end = url.find("://").ok_or_else(bad)? + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let start = scheme_end + host_start;
    let end = scheme_end + authority_end;
    if start >= end {
        return Err(bad());
    }
    Ok((&url[..start], &url[start..end], &url[end..]))
}

/// `host:port`, with PostgreSQL's default port if none is given.
fn host_port_with_default(host_port: &str) -> String {
    if host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Ok(server) = TcpStream::connect(state.upstream).await {
                proxy(client, server, state);
            }
        });
    }
}

/// Starts copying both ways, watching the client's bytes for `COMMIT`.
fn proxy(client: TcpStream, server: TcpStream, state: Arc<State>) {
    let id = state.next_id.fetch_add(1, Ordering::SeqCst);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let swallow = Arc::new(AtomicBool::new(false));

    let mut connections = state.connections.lock().expect("connections lock");
    let up_state = state.clone();
    let up_swallow = swallow.clone();
    let up = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            tail.extend_from_slice(chunk);
            let commit = contains(&tail, COMMIT_MESSAGE);
            let keep = tail.len().saturating_sub(COMMIT_MESSAGE.len() - 1);
            tail.drain(..keep);
            let fault = if commit {
                up_state.armed.lock().expect("armed lock").take()
            } else {
                None
            };
            match fault {
                None => {
                    if server_write.write_all(chunk).await.is_err() {
                        break;
                    }
                }
                Some(CommitFault::LoseReply) => {
                    up_swallow.store(true, Ordering::SeqCst);
                    let _ = server_write.write_all(chunk).await;
                    // The other direction closes the connection once the answer arrives.
                }
                Some(CommitFault::DropCommit) => {
                    fire(&up_state);
                    up_state.close(id);
                    break;
                }
                Some(CommitFault::DropCommitAndCut) => {
                    fire(&up_state);
                    up_state.cut();
                    break;
                }
            }
        }
        up_state.close(id);
    });
    let down_state = state.clone();
    let down = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if swallow.load(Ordering::SeqCst) {
                // The database answered the COMMIT: the write is in; lose the answer.
                fire(&down_state);
                break;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        down_state.close(id);
    });
    connections.insert(id, [up.abort_handle(), down.abort_handle()]);
}

/// Records that an armed fault was applied.
fn fire(state: &State) {
    state.fired_count.fetch_add(1, Ordering::SeqCst);
    state.fired.notify_one();
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_around_the_host() {
        let (a, h, b) = split_url("postgres://postgres@127.0.0.1:5432/test?x=1").unwrap();
        assert_eq!(
            (a, h, b),
            ("postgres://postgres@", "127.0.0.1:5432", "/test?x=1")
        );
        let (a, h, b) = split_url("postgresql://localhost/db").unwrap();
        assert_eq!((a, h, b), ("postgresql://", "localhost", "/db"));
        assert_eq!(host_port_with_default("localhost"), "localhost:5432");
        assert!(split_url("nonsense").is_err());
    }
}
