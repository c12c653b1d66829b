//! Subscriptions: catch up from the stored log, then follow the live broadcast of flushed
//! envelopes, never missing or repeating a position.
//!
//! The broadcast receiver is taken *before* the first read of the log, so anything committed
//! after catch-up starts is either read from the log or received live; live envelopes at or
//! below the last yielded position are skipped. A gap (lag, or anything unexpected) falls back
//! to reading the log again.

use super::reader::Reader;
use crate::envelope::Envelope;
use crate::error::StoreResult;
use crate::store::EnvelopeStream;
use futures::StreamExt;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// Envelopes read from the log per catch-up page.
const PAGE: usize = 512;

struct State {
    reader: Reader,
    rx: broadcast::Receiver<Arc<Envelope>>,
    /// Last yielded position.
    last: u64,
    buf: VecDeque<Envelope>,
    /// Following the broadcast (false: reading the log).
    live: bool,
    /// The writer is gone: end once the log is read to its end.
    closing: bool,
    failed: bool,
}

/// Every envelope after `after`, then live ones.
///
/// `rx` must be taken from the live broadcast before this is called (a closed one, once the
/// store is closed: the stream then ends after reading the log).
pub(crate) fn subscribe(
    reader: Reader,
    rx: broadcast::Receiver<Arc<Envelope>>,
    after: u64,
) -> EnvelopeStream {
    let state = State {
        reader,
        rx,
        last: after,
        buf: VecDeque::new(),
        live: false,
        closing: false,
        failed: false,
    };
    futures::stream::unfold(state, next).boxed()
}

async fn next(mut st: State) -> Option<(StoreResult<Envelope>, State)> {
    loop {
        if st.failed {
            return None;
        }
        if let Some(e) = st.buf.pop_front() {
            if e.position <= st.last {
                continue;
            }
            if e.position != st.last + 1 {
                // Something was not seen in order: read it from the log instead.
                st.buf.clear();
                st.live = false;
                continue;
            }
            st.last = e.position;
            return Some((Ok(e), st));
        }
        if !st.live {
            let reader = st.reader.clone();
            let last = st.last;
            let page = tokio::task::spawn_blocking(move || reader.read_all(last, PAGE)).await;
            match page {
                Ok(Ok(page)) if page.is_empty() => {
                    if st.closing {
                        return None;
                    }
                    st.live = true;
                }
                Ok(Ok(page)) => st.buf.extend(page),
                Ok(Err(e)) => {
                    st.failed = true;
                    return Some((Err(e), st));
                }
                Err(join) => {
                    st.failed = true;
                    let e = crate::error::StoreError::Backend(join.to_string());
                    return Some((Err(e), st));
                }
            }
            continue;
        }
        match st.rx.recv().await {
            Ok(e) => st.buf.push_back((*e).clone()),
            Err(RecvError::Lagged(_)) => st.live = false,
            Err(RecvError::Closed) => {
                st.closing = true;
                st.live = false;
            }
        }
    }
}
