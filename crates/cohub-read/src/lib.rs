//! read models (being written).
