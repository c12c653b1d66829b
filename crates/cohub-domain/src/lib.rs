//! cohub domain (being written).
