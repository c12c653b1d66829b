//! One file per page (or group of pages about one thing).

pub mod audit;
pub mod distribution;
mod distribution_versions;
pub mod heard;
pub mod home;
pub mod hub;
pub mod idea;
pub mod live;
pub mod lookup;
pub mod problem;
pub mod signin;
