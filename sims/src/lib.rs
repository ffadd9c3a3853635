//! refrace-sims: scenarios written once, the scripted world they run in, and the explorer
//! drivers that run them (loom, shuttle random/PCT/DFS/replay, std stress), and the bodies of
//! the fuzz targets with the byte-fed shuttle scheduler they search schedules with.
#![deny(missing_docs)]

pub mod bytesched;
pub mod counterexample;
pub mod explore;
pub mod fuzz;
pub mod lanes;
pub mod scenarios;
pub mod schedule;
pub mod shrink;
pub mod world;
