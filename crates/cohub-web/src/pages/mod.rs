//! One file per page (or group of pages about one thing).

pub mod audit;
pub mod home;
pub mod hub;
pub mod problem;
pub mod signin;
