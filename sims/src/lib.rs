//! refrace-sims: the scenarios, written once ([`scenarios`]), the scripted world they run in
//! ([`world`]), the explorers that run them ([`explore`]: one [`explore::Explorer`] type for
//! shuttle random/PCT/DFS, real threads and, in the `loom` build, loom), the one judge of their
//! outcomes ([`verdict`]), the lanes' tests made from the scenario list ([`lanes`]),
//! counterexamples with their replay and shrinking ([`counterexample`], [`schedule`],
//! [`shrink`]), the per-thread silencing of expected panics ([`quiet`]), the watchdog that turns a stuck run into a reported one ([`watchdog`]), and the bodies of the
//! fuzz targets with the byte-fed shuttle scheduler they search schedules with ([`fuzz`],
//! [`bytesched`]).
#![deny(missing_docs)]

pub mod bytesched;
pub mod counterexample;
pub mod explore;
pub mod fuzz;
pub mod lanes;
pub mod quiet;
pub mod scenarios;
pub mod schedule;
pub mod shrink;
pub mod swarm;
pub mod verdict;
pub mod watchdog;
pub mod world;
