//! One module per `cohub` subcommand.

pub mod checkpoint;
pub mod demo;
pub mod export;
pub mod generate;
pub mod import;
pub mod migrate;
pub mod rebuild;
pub mod serve;
pub mod token;
pub mod verify;
