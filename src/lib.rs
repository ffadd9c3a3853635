//! The refrace library behind the CLI: the differential comparison against a real
//! redis-server ([`diff`]), shared by `refrace diff` and the `tests/differential.rs` lane, and
//! the model behind real sockets ([`serve`], `refrace serve`).
#![deny(missing_docs)]

pub mod diff;
#[cfg(unix)]
pub mod serve;
