//! refrace-sims: scenarios written once, the scripted world they run in, and the explorer
//! drivers that run them (loom, shuttle random/PCT/DFS/replay, std stress).
#![deny(missing_docs)]

pub mod counterexample;
pub mod explore;
pub mod lanes;
pub mod scenarios;
pub mod schedule;
pub mod shrink;
pub mod world;
