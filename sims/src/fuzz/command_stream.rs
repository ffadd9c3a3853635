//! `command_stream`: a structure-aware request stream (the shared generator's [`Frame`]s:
//! commands as multibulk or inline requests, malformed frames), pipelined or one per read,
//! through the full model and through the sequential reference model.
//!
//! The client lives on main (no IO threads; copy avoidance from 16 KiB) or on IO thread 1
//! (copy avoidance for every RAW value with 7 or more `io-threads`), stepped by hand: IO side, then
//! main, then IO again, with no OS thread, so a run is deterministic. A small socket buffer
//! sends it back to main through the IO cron with references unsent.
//! Faults, when given, are switched on in the model (the reference has none).
//! Checked: the reply stream is byte-identical to the reference's (`FUZZ_REPLY_MISMATCH`), and
//! after the client closes and the server is driven to quiescence, the ledger is clean.

use crate::world;
use arbitrary::{Arbitrary, Unstructured};
use refrace_gen::{Frame, Malformed};
use refrace_model::iothread::{io_handle_client, main_handle_client, run_main_client};
use refrace_model::object::Cx;
use refrace_model::reference::Reference;
use refrace_model::resp;
use refrace_model::server::EPOCH_MS;
use refrace_model::{networking, Config, Env, FaultSet, Invariant, Server, Tid};

/// Frames beyond this are dropped (bounds the time per input).
const MAX_FRAMES: usize = 64;

/// One fuzz input.
#[derive(Arbitrary, Clone, Debug)]
pub struct Stream {
    /// 0: the client lives on main; n > 0: on IO thread 1 of `io-threads` 7, 8, 2 or 4 (by
    /// `n % 4`; from 7 on every RAW value is replied by reference, below only from 64 KiB).
    pub io_threads: u8,
    /// With IO threads: KiB the socket takes per write (`None` = everything).
    pub sndbuf_kib: Option<u8>,
    /// The requests, each with whether it arrives in the same read as the one before.
    pub frames: Vec<(Frame, bool)>,
}

/// The protocol error Redis 8 replies to a malformed frame sent on its own; `None` when it
/// sends nothing (ignored frames; `POST`).
fn protocol_error(m: Malformed) -> Option<Vec<u8>> {
    let e: &[u8] = match m {
        // `*2147483648`: above INT_MAX, the bound Redis checks.
        Malformed::BadMultibulkLen | Malformed::MultibulkTooBig => {
            resp::ERR_INVALID_MULTIBULK_LEN.as_bytes()
        }
        Malformed::BadBulkLen | Malformed::BulkTooBig => resp::ERR_INVALID_BULK_LEN.as_bytes(),
        Malformed::ExpectedDollar => b"ERR Protocol error: expected '$', got 'G'",
        Malformed::UnbalancedQuotes => resp::ERR_UNBALANCED_QUOTES.as_bytes(),
        Malformed::TooBigInline => resp::ERR_TOO_BIG_INLINE_REQUEST.as_bytes(),
        Malformed::TooBigMbulkCount => resp::ERR_TOO_BIG_MBULK_COUNT.as_bytes(),
        Malformed::EmptyLine | Malformed::EmptyMultibulk | Malformed::HttpPost => return None,
    };
    let mut out = b"-".to_vec();
    out.extend_from_slice(e);
    out.extend_from_slice(b"\r\n");
    Some(out)
}

impl Stream {
    /// `io-threads` (1 = the client lives on main).
    pub fn io_threads_num(&self) -> usize {
        match self.io_threads {
            0 => 1,
            n => [7, 8, 2, 4][usize::from(n % 4)],
        }
    }

    /// The frames the run sends: those the reference models, up to and including the first
    /// that closes the connection (Redis reads nothing after it).
    pub fn frames(&self) -> Vec<(Frame, bool)> {
        let mut out = Vec::new();
        for (f, pipelined) in &self.frames {
            if f.command().is_some_and(|c| !c.in_reference_scope()) {
                continue;
            }
            out.push((f.clone(), *pipelined));
            if f.closes() || out.len() == MAX_FRAMES {
                break;
            }
        }
        out
    }

    /// The peer's reads: pipelined frames share one.
    pub fn script(&self) -> Vec<Vec<u8>> {
        let mut reads: Vec<Vec<u8>> = Vec::new();
        for (f, pipelined) in self.frames() {
            match reads.last_mut() {
                Some(last) if pipelined => last.extend(f.bytes()),
                _ => reads.push(f.bytes()),
            }
        }
        reads
    }

    /// What the reference says the client receives. `POST` frees the client ASAP
    /// (`CLIENT_CLOSE_ASAP`: Redis writes nothing more to it), and replies are written once per
    /// read: on main, and on an IO thread too since the lookahead (#14440: the IO thread parses
    /// every command one read brought and main runs them in one visit). So the replies of the
    /// frames that came in the same read as the `POST` are dropped.
    pub fn expected(&self) -> Vec<u8> {
        let mut r = Reference::new(EPOCH_MS);
        if self.io_threads_num() > 1 {
            r.set_io_threads(self.io_threads_num());
        }
        let mut out = Vec::new();
        let mut executed = 0;
        let mut read_start = 0;
        for (i, (f, pipelined)) in self.frames().into_iter().enumerate() {
            if i == 0 || !pipelined {
                read_start = out.len();
            }
            match f {
                Frame::Multibulk(c) | Frame::Inline(c) => {
                    executed += 1;
                    out.extend(r.execute(&c.argv(), EPOCH_MS + executed));
                }
                Frame::Malformed(Malformed::HttpPost) => out.truncate(read_start),
                Frame::Malformed(m) => out.extend(protocol_error(m).unwrap_or_default()),
            }
        }
        out
    }

    /// Run the stream through the model; the bytes the client received. Asserts the ledger
    /// at quiescence.
    pub fn run_model(&self, faults: FaultSet) -> Vec<u8> {
        let cfg = Config {
            io_threads_num: self.io_threads_num(),
            faults,
            ..Config::default()
        };
        let env = Env::new(cfg, false);
        let mut s = Server::new(env.clone());
        let got = if self.io_threads_num() == 1 {
            let mut c = networking::create_client(&mut s, Tid::Main, self.script());
            run_main_client(&mut s, &mut c);
            let got = std::mem::take(&mut c.sent);
            networking::free_client(&mut s, c);
            got
        } else {
            let sndbuf = self.sndbuf_kib.map(|k| (usize::from(k) + 1) * 1024);
            let mut c = world::connect(&mut s, 1, self.script(), sndbuf);
            let id = c.id;
            let io = Cx {
                env: &env,
                tid: Tid::Io(1),
            };
            loop {
                io_handle_client(io, &mut c);
                match main_handle_client(&mut s, c) {
                    Some(back) => c = back,
                    None => break,
                }
            }
            let at = s.closed.iter().position(|(c, _)| *c == id);
            at.map(|i| s.closed.swap_remove(i).1).unwrap_or_default()
        };
        world::quiesce(&mut s);
        got
    }
}

/// Panic with `FUZZ_REPLY_MISMATCH` at the first byte where `got` and `want` differ.
fn assert_same_replies(got: &[u8], want: &[u8], context: impl FnOnce() -> String) {
    if got == want {
        return;
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let show = |b: &[u8]| String::from_utf8_lossy(&b[at..b.len().min(at + 120)]).into_owned();
    panic!(
        "INVARIANT {}: replies differ at byte {at}: model {:?} vs reference {:?}; {}",
        Invariant::FuzzReplyMismatch,
        show(got),
        show(want),
        context()
    );
}

/// The `command_stream` target, with `faults` switched on in the model.
pub fn command_stream(data: &[u8], faults: FaultSet) {
    let Ok(stream) = Stream::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let got = stream.run_model(faults);
    assert_same_replies(&got, &stream.expected(), || {
        format!(
            "io-threads {}, frames {:?}",
            stream.io_threads_num(),
            stream.frames()
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use refrace_gen::{Cmd, Key, Val};
    use refrace_model::Fault;

    fn stream(io_threads: u8, frames: Vec<(Frame, bool)>) -> Stream {
        Stream {
            io_threads,
            sndbuf_kib: Some(3),
            frames,
        }
    }

    /// Pipelined big GET/SET, then a malformed frame: replies end with Redis's error, and the
    /// frame after it is never read.
    #[test]
    fn pipelined_big_values_then_a_protocol_error() {
        let frames = vec![
            (
                Frame::Multibulk(Cmd::Set(Key::A, Val::Big(0), vec![])),
                false,
            ),
            (Frame::Multibulk(Cmd::Get(Key::A)), true),
            (Frame::Inline(Cmd::Get(Key::A)), true),
            (Frame::Malformed(Malformed::BadBulkLen), false),
            (Frame::Multibulk(Cmd::Get(Key::A)), false),
        ];
        for io in [0, 1, 5] {
            let s = stream(io, frames.clone());
            assert_eq!(s.frames().len(), 4);
            let got = s.run_model(FaultSet::NONE);
            assert_same_replies(&got, &s.expected(), String::new);
            assert!(got.ends_with(b"-ERR Protocol error: invalid bulk length\r\n"));
            assert!(got.len() > 2 * refrace_gen::BIG);
        }
    }

    #[test]
    #[should_panic(expected = "INVARIANT FUZZ_REPLY_MISMATCH: replies differ at byte 4")]
    fn a_differing_reply_is_a_finding() {
        assert_same_replies(b"$1\r\nx\r\n", b"$1\r\ny\r\n", String::new);
    }

    /// Negative control of the ledger check: a reference released twice once the sent
    /// reference is not cleared (`keep-sent-ref`) on an IO thread.
    #[test]
    #[should_panic(expected = "INVARIANT")]
    fn a_fault_in_the_free_path_is_a_finding() {
        let s = stream(
            1,
            vec![
                (
                    Frame::Multibulk(Cmd::Set(Key::A, Val::Big(0), vec![])),
                    false,
                ),
                (Frame::Multibulk(Cmd::Get(Key::A)), false),
                (Frame::Multibulk(Cmd::Del(vec![Key::A])), false),
            ],
        );
        s.run_model(FaultSet::of(&[Fault::KeepSentRef]));
    }
}
