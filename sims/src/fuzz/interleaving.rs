//! `interleaving`: a whole world **and** its schedule from one fuzz input, so libFuzzer's
//! coverage guidance searches interleavings together with the commands.
//!
//! The front of the input decodes into a world with the swarm's own generator
//! ([`refrace_gen::world::World`], through `arbitrary`): 1–4 IO threads, BIO on or off, lazy-free
//! knobs, a 3-bit refcount or cluster mode sometimes, keys set before the threads start, and
//! 2–4 clients on main or on IO threads with scripts from a subset of the command families. So
//! the fuzzer and the swarm phase of `refrace prove` search the same space: a world the fuzzer
//! reaches is one the swarm could draw from a seed, and [`crate::swarm::spec`] turns both into
//! the same [`crate::world::Spec`] — with one feature left out, the 3-bit refcount: there
//! Redis's own guard (`REFCOUNT_LIMIT`) ends many runs by panicking, and shuttle leaks the
//! stacks of an execution that panics (measured: RSS grew by 7 KB per execution, 36 MB to
//! 448 MB in 63 000 executions; 50 MB flat without that feature). The swarm explores those
//! worlds. The rest of the input is the schedule:
//! [`crate::bytesched::BytesScheduler`] runs the world under shuttle once, each byte choosing the
//! next task, and a generator seeded by the hash of the whole input choosing the rest. The world
//! is the scenarios' own ([`crate::world::run`]): real thread bodies, the ledger asserted at
//! quiescence, shuttle's vector clocks checking the refcount word. A violation panics, and the
//! panic is the crash; Redis's own guard is not a finding and is swallowed, should a world
//! reach it. (libFuzzer's panic hook aborts before any unwinding, so the run is
//! [`crate::quiet::quietly`], which keeps that hook out of the way; a finding's message is
//! printed here and its panic resumed, and libfuzzer-sys aborts on it.)

use crate::bytesched::{run_with_schedule, seed_of};
use crate::swarm::{is_guard, spec};
use crate::world::run;
use arbitrary::{Arbitrary, Unstructured};
use refrace_gen::world::World;
use refrace_model::config::Strategy;
use refrace_model::{FaultSet, Invariant};

/// Split fuzz bytes into a world and its schedule; `None` when the bytes describe no world.
pub fn decode(data: &[u8]) -> Option<(World, &[u8])> {
    let mut u = Unstructured::new(data);
    let w = World::arbitrary(&mut u).ok()?;
    let consumed = data.len() - u.len();
    Some((w, &data[consumed..]))
}

/// The `interleaving` target, with `faults` switched on in the model.
pub fn interleaving(data: &[u8], faults: FaultSet) {
    let Some((mut w, schedule)) = decode(data) else {
        return;
    };
    // One feature left out (see the module doc): a 3-bit refcount.
    w.features.small_refcount = false;
    let spec = spec(&w, faults, Strategy::Confinement);
    let r = crate::quiet::quietly(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_with_schedule(move || drop(run(&spec)), schedule, seed_of(data))
        }))
    });
    if let Err(p) = r {
        let msg = crate::explore::panic_message(&*p);
        if !is_guard(Invariant::of_message(&msg)) {
            eprintln!("{msg}");
            std::panic::resume_unwind(p);
        }
    }
}
