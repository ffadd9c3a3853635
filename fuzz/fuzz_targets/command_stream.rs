//! Request streams through the model and the reference (see
//! `refrace_sims::fuzz::command_stream`); `REFRACE_FAULT` switches faults on in the model.
#![no_main]
use refrace_model::FaultSet;
use std::sync::LazyLock;

static FAULTS: LazyLock<FaultSet> =
    LazyLock::new(|| FaultSet::from_env().unwrap_or_else(|e| panic!("REFRACE_FAULT: {e}")));

libfuzzer_sys::fuzz_target!(|data: &[u8]| refrace_sims::fuzz::command_stream(data, *FAULTS));
