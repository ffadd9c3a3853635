//! The refrace library behind the CLI: the differential comparison against a real
//! redis-server ([`diff`]), shared by `refrace diff` and the `tests/differential.rs` lane.
#![deny(missing_docs)]

pub mod diff;
