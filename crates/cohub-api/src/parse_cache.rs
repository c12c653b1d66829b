//! Parsed query documents kept by their exact text, so that the documents clients send again
//! and again (every mutation of a form, every poll of a view) are parsed once, not twice per
//! request (once by [`crate::limits`]' own count, once by async-graphql).
//!
//! The key is the whole query text, byte for byte, and nothing else: parsing depends on the
//! text alone, never on who sent it or on the variables, and everything that does (the token,
//! the variables, validation, complexity, execution) still runs on every request. Only
//! documents that parsed and passed every document limit are kept, so a hit answers exactly
//! as a fresh parse would. The cache holds at most [`MAX_DOCUMENTS`] documents and
//! [`MAX_BYTES`] of query text, dropping the least recently used first, and texts longer than
//! [`MAX_QUERY_BYTES`] are never kept: a client sending endless distinct queries churns it but
//! cannot grow it.

use crate::metrics::Metrics;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};
use hashlink::LruCache;
use std::sync::{Arc, Mutex};

/// At most this many documents are kept.
pub const MAX_DOCUMENTS: usize = 1024;
/// At most this much query text (the documents themselves are a few times larger).
pub const MAX_BYTES: usize = 1 << 20;
/// A query text longer than this is parsed every time.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// The extension factory: one cache shared by every request to the schema.
#[derive(Clone)]
pub struct ParseCache {
    shared: Arc<Shared>,
}

struct Shared {
    lru: Mutex<Lru>,
    metrics: Metrics,
}

struct Lru {
    documents: LruCache<Arc<str>, Arc<ExecutableDocument>>,
    bytes: usize,
}

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParseCache")
    }
}

impl ParseCache {
    /// An empty cache that counts its hits and misses in `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        ParseCache {
            shared: Arc::new(Shared {
                lru: Mutex::new(Lru {
                    documents: LruCache::new_unbounded(),
                    bytes: 0,
                }),
                metrics,
            }),
        }
    }
}

impl Shared {
    fn get(&self, query: &str) -> Option<Arc<ExecutableDocument>> {
        let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
        lru.documents.get(query).cloned()
    }

    fn keep(&self, query: &str, doc: &ExecutableDocument) {
        if query.len() > MAX_QUERY_BYTES {
            return;
        }
        let doc = Arc::new(doc.clone());
        let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
        if lru.documents.contains_key(query) {
            return;
        }
        while lru.documents.len() >= MAX_DOCUMENTS || lru.bytes + query.len() > MAX_BYTES {
            match lru.documents.remove_lru() {
                Some((dropped, _)) => lru.bytes -= dropped.len(),
                None => break,
            }
        }
        lru.bytes += query.len();
        lru.documents.insert(Arc::from(query), doc);
    }
}

impl ExtensionFactory for ParseCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ParseCacheExtension {
            shared: self.shared.clone(),
        })
    }
}

struct ParseCacheExtension {
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl Extension for ParseCacheExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(doc) = self.shared.get(query) {
            self.shared.metrics.parse_cache("hit");
            return Ok((*doc).clone());
        }
        self.shared.metrics.parse_cache("miss");
        let doc = next.run(ctx, query, variables).await?;
        self.shared.keep(query, &doc);
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
    }

    #[test]
    fn keeps_by_exact_text_and_drops_the_least_recently_used() {
        let cache = ParseCache::new(Metrics::new());
        let s = &cache.shared;
        let queries: Vec<String> = (0..MAX_DOCUMENTS + 1)
            .map(|i| format!("{{ a{i} }}"))
            .collect();
        for q in &queries[..MAX_DOCUMENTS] {
            s.keep(q, &doc(q));
        }
        assert!(s.get(&queries[0]).is_some(), "now the most recently used");
        s.keep(&queries[MAX_DOCUMENTS], &doc(&queries[MAX_DOCUMENTS]));
        assert!(s.get(&queries[0]).is_some());
        assert!(s.get(&queries[1]).is_none(), "the least recently used went");
        assert!(s.get("{ a0  }").is_none(), "another text is another key");
    }

    #[test]
    fn long_texts_are_not_kept_and_the_text_budget_holds() {
        let cache = ParseCache::new(Metrics::new());
        let s = &cache.shared;
        let long = format!("{{ a{} }}", " ".repeat(MAX_QUERY_BYTES));
        s.keep(&long, &doc(&long));
        assert!(s.get(&long).is_none());
        // Texts just under the per-query bound fill the byte budget long before the count.
        let big: Vec<String> = (0..100)
            .map(|i| format!("{{ b{i} }}{}", " ".repeat(MAX_QUERY_BYTES - 20)))
            .collect();
        for q in &big {
            s.keep(q, &doc(q));
        }
        let lru = s.lru.lock().unwrap();
        assert!(lru.bytes <= MAX_BYTES);
        assert_eq!(
            lru.bytes,
            lru.documents.iter().map(|(k, _)| k.len()).sum::<usize>()
        );
        assert!(lru.documents.len() < 100);
    }
}
