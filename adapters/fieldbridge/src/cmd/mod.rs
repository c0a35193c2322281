//! The subcommands.

pub(crate) mod check;
pub(crate) mod commands;
pub(crate) mod decode;
pub(crate) mod demo;
pub(crate) mod health;
pub(crate) mod run;
pub(crate) mod simulate;
