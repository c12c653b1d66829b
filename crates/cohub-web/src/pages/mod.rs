//! One file per page (or group of pages about one thing).

pub mod distribution;
mod distribution_versions;
pub mod home;
pub mod hub;
pub mod live;
pub mod problem;
pub mod signin;
