//! Cursor-friendly paging: lists are ordered by a cursor (the log position that created each
//! item), and a page is "the first N after cursor C".

use serde::{Deserialize, Serialize};

/// Which slice of an ordered list to return.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Only items whose cursor is greater than this.
    pub after: Option<u64>,
    /// At most this many items (all if `None`).
    pub first: Option<usize>,
}

impl Page {
    /// Every item.
    pub const ALL: Page = Page {
        after: None,
        first: None,
    };

    /// The first `n` items after `after`.
    pub fn new(after: Option<u64>, first: usize) -> Self {
        Self {
            after,
            first: Some(first),
        }
    }
}

/// Applies a page to items already sorted by `cursor`, ascending.
pub(crate) fn page<T>(items: Vec<T>, page: Page, cursor: impl Fn(&T) -> u64) -> Vec<T> {
    items
        .into_iter()
        .filter(|i| page.after.is_none_or(|a| cursor(i) > a))
        .take(page.first.unwrap_or(usize::MAX))
        .collect()
}
