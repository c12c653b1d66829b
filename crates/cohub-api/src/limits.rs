//! Query-document limits, enforced as an async-graphql extension: depth, complexity, field
//! and alias amplification, and the re-coding of async-graphql's own parse, validation and
//! limit errors so that every one carries a code (`LIMIT` or `VALIDATION`).
//!
//! Body size, batch size and request rates are limited at the HTTP layer (`graphql_http`,
//! `rate_limit`); their numbers live in [`crate::config::Limits`] beside these.

use crate::config::Limits;
use crate::error::{with_code, ErrorCode};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, ServerError, ServerResult, ValidationResult, Variables};
use std::collections::HashMap;
use std::sync::Arc;

/// The extension factory that enforces [`Limits`] on every query document.
#[derive(Debug, Clone)]
pub struct DocumentLimits {
    limits: Arc<Limits>,
}

impl DocumentLimits {
    /// Enforces `limits`.
    pub fn new(limits: Limits) -> Self {
        DocumentLimits {
            limits: Arc::new(limits),
        }
    }
}

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimitsExtension {
            limits: self.limits.clone(),
        })
    }
}

struct DocumentLimitsExtension {
    limits: Arc<Limits>,
}

fn limit_error(message: String) -> ServerError {
    with_code(ServerError::new(message, None), ErrorCode::Limit)
}

/// async-graphql's own limit errors (parser recursion, directives per field, depth and
/// complexity if they were ever set on the schema) are `LIMIT`; everything else it rejects
/// before execution is `VALIDATION`.
fn recode(err: ServerError) -> ServerError {
    let m = err.message.to_ascii_lowercase();
    let is_limit = m.contains("recursion limit")
        || m.contains("recursion depth")
        || m.contains("cannot be greater than")
        || m.contains("too complex")
        || m.contains("nested too deep");
    with_code(
        err,
        if is_limit {
            ErrorCode::Limit
        } else {
            ErrorCode::Validation
        },
    )
}

impl DocumentLimitsExtension {
    fn check_counts(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let counts = count_document(doc);
        if counts.fields > self.limits.max_fields {
            return Err(limit_error(format!(
                "the query asks for {} fields (counting each fragment use); the limit is {}",
                counts.fields, self.limits.max_fields
            )));
        }
        if counts.aliases > self.limits.max_aliases {
            return Err(limit_error(format!(
                "the query uses {} aliases; the limit is {}",
                counts.aliases, self.limits.max_aliases
            )));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Extension for DocumentLimitsExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Before the parser: it (and validation, and dropping the document) recurse over
        // nested values, and a few hundred nested brackets (a kilobyte) would overflow a
        // worker thread's stack and abort the whole process.
        let nesting = bracket_depth(query);
        let max_nesting = max_nesting(&self.limits);
        if nesting > max_nesting {
            return Err(limit_error(format!(
                "the query nests brackets {nesting} deep; the limit is {max_nesting}"
            )));
        }
        // async-graphql's own recursion check (inside `next`) follows every fragment spread
        // again at every use, so a spread bomb of a few hundred bytes would keep a worker busy
        // for minutes: count on a parse of our own first (linear, fragments memoised).
        if let Ok(doc) = async_graphql::parser::parse_query(query) {
            self.check_counts(&doc)?;
        }
        let doc = next.run(ctx, query, variables).await.map_err(recode)?;
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next
            .run(ctx)
            .await
            .map_err(|errors| errors.into_iter().map(recode).collect::<Vec<_>>())?;
        if result.depth > self.limits.max_depth {
            return Err(vec![limit_error(format!(
                "the query nests {} levels deep; the limit is {}",
                result.depth, self.limits.max_depth
            ))]);
        }
        if result.complexity > self.limits.max_complexity {
            return Err(vec![limit_error(format!(
                "the query's complexity is {}; the limit is {}",
                result.complexity, self.limits.max_complexity
            ))]);
        }
        Ok(result)
    }
}

/// The deepest bracket nesting (`{`, `[`, `(`) a document may have: room for the deepest
/// allowed selection with input objects and lists in its arguments, far below what would
/// exhaust a thread's stack.
pub fn max_nesting(limits: &Limits) -> usize {
    limits.max_depth.saturating_mul(4).max(64)
}

/// The deepest nesting of `{`, `[` and `(` in a document, outside strings and comments,
/// found without recursion (so that it is safe on any input).
pub fn bracket_depth(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// How much a document asks for once its fragments are expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentCounts {
    /// Field selections, each fragment spread counted in full every time it is used.
    pub fields: usize,
    /// Aliased field selections, counted the same way.
    pub aliases: usize,
}

/// Counts a document's field selections and aliases over all its operations. Fragment cycles
/// (rejected later by validation) count as nothing; counts saturate instead of overflowing.
pub fn count_document(doc: &ExecutableDocument) -> DocumentCounts {
    let mut counter = Counter {
        doc,
        memo: HashMap::new(),
    };
    let mut total = DocumentCounts::default();
    for (_, op) in doc.operations.iter() {
        let c = counter.selection_set(&op.node.selection_set);
        total.fields = total.fields.saturating_add(c.fields);
        total.aliases = total.aliases.saturating_add(c.aliases);
    }
    total
}

struct Counter<'a> {
    doc: &'a ExecutableDocument,
    /// `None` while a fragment is being counted (so a cycle stops), then its counts.
    memo: HashMap<&'a str, Option<DocumentCounts>>,
}

impl<'a> Counter<'a> {
    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>) -> DocumentCounts {
        let mut c = DocumentCounts::default();
        for item in &set.node.items {
            let inner = match &item.node {
                Selection::Field(field) => {
                    let mut inner = self.selection_set(&field.node.selection_set);
                    inner.fields = inner.fields.saturating_add(1);
                    if field.node.alias.is_some() {
                        inner.aliases = inner.aliases.saturating_add(1);
                    }
                    inner
                }
                Selection::InlineFragment(frag) => self.selection_set(&frag.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            c.fields = c.fields.saturating_add(inner.fields);
            c.aliases = c.aliases.saturating_add(inner.aliases);
        }
        c
    }

    fn fragment(&mut self, name: &'a str) -> DocumentCounts {
        match self.memo.get(name) {
            Some(Some(c)) => return *c,
            Some(None) => return DocumentCounts::default(),
            None => {}
        }
        let doc = self.doc;
        let Some((key, fragment)) = doc.fragments.get_key_value(name) else {
            return DocumentCounts::default();
        };
        let key: &'a str = key.as_str();
        self.memo.insert(key, None);
        let c = self.selection_set(&fragment.node.selection_set);
        self.memo.insert(key, Some(c));
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(q: &str) -> DocumentCounts {
        count_document(&async_graphql::parser::parse_query(q).unwrap())
    }

    #[test]
    fn counts_fields_and_aliases_with_fragments_expanded() {
        assert_eq!(
            counts("{ a b { c } }"),
            DocumentCounts {
                fields: 3,
                aliases: 0
            }
        );
        let q = "query { x: a { ...F } y: a { ...F } } fragment F on T { b c: d }";
        assert_eq!(
            counts(q),
            DocumentCounts {
                fields: 6,
                aliases: 4
            }
        );
    }

    #[test]
    fn bracket_depth_skips_strings_and_comments() {
        assert_eq!(bracket_depth("{ a { b(x: [[1]]) } }"), 5);
        assert_eq!(bracket_depth("{ a(s: \"{{{[[[\\\"(((\") }"), 2);
        assert_eq!(bracket_depth("{ a } # {{{{{{{{\n{ b }"), 1);
        assert_eq!(bracket_depth("{ a(s: \"\"\" {{{ \\\"\"\" [[[ \"\"\") }"), 2);
        assert_eq!(bracket_depth("}}}]]] { a }"), 1);
        let deep = format!("{{ a(x: {}{}) }}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(bracket_depth(&deep), 5002);
        assert!(max_nesting(&Limits::default()) >= 64);
    }

    #[test]
    fn fragment_cycles_do_not_loop() {
        let q = "{ a { ...F } } fragment F on T { b ...G } fragment G on T { c ...F }";
        assert_eq!(counts(q).fields, 3);
    }

    #[test]
    fn exponential_fragments_saturate_rather_than_overflow() {
        let mut q = String::from("{ ...F0 } fragment F0 on Q { ...F1 ...F1 }");
        for i in 1..80 {
            q.push_str(&format!(
                " fragment F{i} on Q {{ ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        q.push_str(" fragment F80 on Q { a }");
        assert_eq!(counts(&q).fields, usize::MAX);
    }
}
