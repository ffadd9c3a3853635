//! Clients' scripts and the schedule from one input (see `refrace_sims::fuzz::interleaving`);
//! `REFRACE_FAULT=defer-shared-free` must crash with the #14738 invariant.
#![no_main]
use refrace_model::FaultSet;
use std::sync::LazyLock;

static FAULTS: LazyLock<FaultSet> =
    LazyLock::new(|| FaultSet::from_env().unwrap_or_else(|e| panic!("REFRACE_FAULT: {e}")));

libfuzzer_sys::fuzz_target!(|data: &[u8]| refrace_sims::fuzz::interleaving(data, *FAULTS));
