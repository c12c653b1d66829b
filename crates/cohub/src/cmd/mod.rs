//! One module per `cohub` subcommand.

pub mod demo;
pub mod export;
pub mod verify;
