//! `interleaving`: two or three clients' scripts **and** the schedule from one fuzz input, so
//! libFuzzer's coverage guidance searches interleavings together with the commands.
//!
//! The front of the input decodes (with `arbitrary`, through the shared generator's [`Cmd`])
//! into a world: 1..=3 IO threads, a setup of SETs (64 KiB values among them) run on main
//! before the threads start, two
//! or three clients with up to [`MAX_SCRIPT`] commands each, and optionally a BIO thread. The
//! rest of the input is the schedule: [`crate::bytesched::BytesScheduler`] runs the world under
//! shuttle once, each byte choosing the next task, and a generator seeded by the hash of the
//! whole input choosing the rest. The world is the scenarios' own
//! ([`crate::world::run`]): real thread bodies, the ledger asserted at quiescence, shuttle's
//! vector clocks checking the refcount word. A violation panics, and the panic is the crash.

use crate::bytesched::{run_with_schedule, seed_of};
use crate::world::{run, ClientSpec, Spec};
use arbitrary::{Arbitrary, Unstructured};
use refrace_gen::{Cmd, Key, Val};
use refrace_model::networking::COPY_AVOID_MIN_STRING_SIZE_THREADED;
use refrace_model::{Config, FaultSet};

/// Commands per client beyond this are dropped (bounds the time per input).
pub const MAX_SCRIPT: usize = 4;
/// Setup SETs beyond this are dropped.
pub const MAX_SETUP: usize = 4;

/// A value set before the threads start: one of the generator's, or a 64 KiB one, the size
/// from which a reply references the value with 2..=6 `io-threads` (the generator's big values
/// are smaller: they need 7).
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum SetupVal {
    /// 64 KiB of one of two letters.
    Huge(bool),
    /// A generator value.
    Val(Val),
}

impl SetupVal {
    fn bytes(self) -> Vec<u8> {
        match self {
            SetupVal::Huge(t) => vec![b'H' + u8::from(t); COPY_AVOID_MIN_STRING_SIZE_THREADED],
            SetupVal::Val(v) => v.bytes(),
        }
    }
}

/// The world part of one fuzz input (the schedule is the rest of the bytes).
#[derive(Arbitrary, Clone, Debug)]
pub struct Interleaving {
    /// `1 + io_threads % 3` IO threads.
    pub io_threads: u8,
    /// Keys set on main before the threads start (SET always succeeds, so setup cannot fail).
    pub setup: Vec<(Key, SetupVal)>,
    /// Two clients, each `(IO-thread choice, script)`.
    pub clients: [(u8, Vec<Cmd>); 2],
    /// An optional third client.
    pub third: Option<(u8, Vec<Cmd>)>,
    /// Whether a BIO thread frees lazily in parallel (else BIO jobs run at quiescence).
    pub bio_thread: bool,
}

impl Interleaving {
    /// The scripted world this input describes, with `faults` on.
    pub fn spec(&self, faults: FaultSet) -> Spec {
        let threads = 1 + self.io_threads % 3;
        let clients = self
            .clients
            .iter()
            .chain(&self.third)
            .map(|(io, script)| ClientSpec {
                io: 1 + io % threads,
                script: script.iter().take(MAX_SCRIPT).map(Cmd::argv).collect(),
                sndbuf: None,
                pipeline: false,
            })
            .collect();
        let setup = self
            .setup
            .iter()
            .take(MAX_SETUP)
            .map(|(k, v)| vec![b"SET".to_vec(), k.bytes().to_vec(), v.bytes()])
            .collect();
        Spec {
            cfg: Config {
                io_threads_num: usize::from(threads) + 1,
                faults,
                ..Config::default()
            },
            setup,
            clients,
            bio_thread: self.bio_thread,
            needs_reply_refs: false,
        }
    }

    /// Split fuzz bytes into a world and its schedule; `None` when the bytes describe no world.
    pub fn decode(data: &[u8]) -> Option<(Interleaving, &[u8])> {
        let mut u = Unstructured::new(data);
        let w = Interleaving::arbitrary(&mut u).ok()?;
        let consumed = data.len() - u.len();
        Some((w, &data[consumed..]))
    }
}

/// The `interleaving` target, with `faults` switched on in the model.
pub fn interleaving(data: &[u8], faults: FaultSet) {
    let Some((w, schedule)) = Interleaving::decode(data) else {
        return;
    };
    let spec = w.spec(faults);
    run_with_schedule(move || drop(run(&spec)), schedule, seed_of(data));
}
