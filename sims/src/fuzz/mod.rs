//! The bodies of the cargo-fuzz targets (`fuzz/`), as plain library functions: the
//! `fuzz_target!` files call them, and the root regression tests (`tests/fuzz_regressions.rs`)
//! replay saved crash inputs through the very same code without libFuzzer.
//!
//! Every function takes the raw fuzz bytes and panics on a finding: the model's own
//! `INVARIANT <NAME>:` panics, and the `Invariant::Fuzz*` ones (`INVARIANT FUZZ_<NAME>:`) for
//! the checks made here (reply streams that differ from the reference, parser results that
//! differ by chunking or carry text Redis never sends).

pub mod command_stream;
mod interleaving;
mod resp_request;
pub mod seeds;

pub use command_stream::{command_stream, Stream};
pub use interleaving::{decode as decode_interleaving, interleaving};
pub use resp_request::resp_request;
