//! The committed seed corpus (`fuzz/seeds/<target>/`), written from values rather than by hand
//! in hex: an encoder that is the inverse of `arbitrary`'s decoding (1.5: integers little
//! endian, enum variant `i` of `n` from a `u32` `x` with `x * n >> 32 == i`, a `bool` byte
//! before each collection element) for the parts of the inputs the seeds use. The tests check
//! that every seed decodes back to the value it was written from, so a change in the
//! generator's types or in `arbitrary` shows up here instead of silently skewing the seeds.
//!
//! `cargo run -p refrace-sims --example fuzz_seeds` rewrites the seed files.

use super::Stream;
use refrace_gen::{Cmd, FlushMode, Frame, Key, Malformed, Val};

/// Bytes `arbitrary` decodes back into `Self`.
pub trait Encode {
    /// Append the encoding of `self`.
    fn encode(&self, out: &mut Vec<u8>);
}

/// Variant `i` of an enum with `n` variants.
fn variant(out: &mut Vec<u8>, i: u64, n: u64) {
    let x = (i << 32).div_ceil(n);
    out.extend_from_slice(&(x as u32).to_le_bytes());
}

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.is_some().encode(out);
        if let Some(v) = self {
            v.encode(out);
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        for v in self {
            out.push(1);
            v.encode(out);
        }
        out.push(0);
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

impl Encode for Key {
    fn encode(&self, out: &mut Vec<u8>) {
        let i = [Key::A, Key::B, Key::C, Key::TagA]
            .iter()
            .position(|k| k == self)
            .expect("a key");
        variant(out, i as u64, 4);
    }
}

impl Encode for Val {
    fn encode(&self, out: &mut Vec<u8>) {
        let (i, arg) = match *self {
            Val::Int(a) => (0, Some(a)),
            Val::Word(a) => (1, Some(a)),
            Val::Binary => (2, None),
            Val::Mid(a) => (3, Some(a)),
            Val::Big(a) => (4, Some(a)),
        };
        variant(out, i, 5);
        out.extend(arg);
    }
}

impl Encode for FlushMode {
    fn encode(&self, out: &mut Vec<u8>) {
        let i = [FlushMode::Sync, FlushMode::Async, FlushMode::Bogus]
            .iter()
            .position(|m| m == self)
            .expect("a mode");
        variant(out, i as u64, 3);
    }
}

/// Number of [`Cmd`] variants.
const CMD_VARIANTS: u64 = 61;

impl Encode for Cmd {
    /// The commands the seeds use (others panic: add them here when a seed needs them).
    fn encode(&self, out: &mut Vec<u8>) {
        let mut fields = Vec::new();
        let i = match self {
            Cmd::Ping(v) => {
                v.encode(&mut fields);
                0
            }
            Cmd::Get(k) => {
                k.encode(&mut fields);
                2
            }
            Cmd::Set(k, v, opts) if opts.is_empty() => {
                (*k, *v).encode(&mut fields);
                fields.push(0);
                3
            }
            Cmd::GetDel(k) => {
                k.encode(&mut fields);
                4
            }
            Cmd::MGet(ks) => {
                ks.encode(&mut fields);
                7
            }
            Cmd::Append(k, v) => {
                (*k, *v).encode(&mut fields);
                9
            }
            Cmd::Del(ks) => {
                ks.encode(&mut fields);
                16
            }
            Cmd::Unlink(ks) => {
                ks.encode(&mut fields);
                17
            }
            Cmd::FlushAll(m) => {
                m.encode(&mut fields);
                20
            }
            Cmd::RPush(k, vs) => {
                k.encode(&mut fields);
                vs.encode(&mut fields);
                22
            }
            other => panic!("no seed encoding for {other:?}"),
        };
        variant(out, i, CMD_VARIANTS);
        out.extend(fields);
    }
}

impl Encode for Malformed {
    fn encode(&self, out: &mut Vec<u8>) {
        let all = Malformed::ALL;
        let i = all.iter().position(|m| m == self).expect("a frame");
        variant(out, i as u64, all.len() as u64);
    }
}

impl Encode for Frame {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Multibulk(c) => {
                variant(out, 0, 3);
                c.encode(out);
            }
            Frame::Inline(c) => {
                variant(out, 1, 3);
                c.encode(out);
            }
            Frame::Malformed(m) => {
                variant(out, 2, 3);
                m.encode(out);
            }
        }
    }
}

impl Encode for Stream {
    fn encode(&self, out: &mut Vec<u8>) {
        self.io_threads.encode(out);
        self.sndbuf_kib.encode(out);
        self.frames.encode(out);
    }
}

/// One seed file.
pub struct Seed {
    /// The fuzz target.
    pub target: &'static str,
    /// File name.
    pub name: &'static str,
    /// Contents.
    pub bytes: Vec<u8>,
}

fn seed(target: &'static str, name: &'static str, v: &impl Encode) -> Seed {
    let mut bytes = Vec::new();
    v.encode(&mut bytes);
    Seed {
        target,
        name,
        bytes,
    }
}

fn raw(name: &'static str, mode: u8, wire: &[u8]) -> Seed {
    let mut bytes = vec![mode];
    bytes.extend_from_slice(wire);
    Seed {
        target: "resp_request",
        name,
        bytes,
    }
}

/// The `command_stream` seeds as values (also what the decoding tests compare with).
pub fn streams() -> Vec<(&'static str, Stream)> {
    use Frame::{Inline, Malformed as M, Multibulk as B};
    let big = |k| B(Cmd::Set(k, Val::Big(0), vec![]));
    vec![
        (
            "pipelined-big-get-set",
            Stream {
                io_threads: 1,
                sndbuf_kib: Some(7),
                frames: vec![
                    (big(Key::A), false),
                    (B(Cmd::Get(Key::A)), true),
                    (B(Cmd::Set(Key::A, Val::Word(0), vec![])), true),
                    (B(Cmd::MGet(vec![Key::A, Key::A])), true),
                ],
            },
        ),
        (
            "flushall-async-with-ref",
            Stream {
                io_threads: 0,
                sndbuf_kib: None,
                frames: vec![
                    (big(Key::B), false),
                    (B(Cmd::Get(Key::B)), true),
                    (B(Cmd::FlushAll(Some(FlushMode::Async))), true),
                    (B(Cmd::Get(Key::B)), false),
                ],
            },
        ),
        (
            "inline-and-lists",
            Stream {
                io_threads: 2,
                sndbuf_kib: None,
                frames: vec![
                    (
                        Inline(Cmd::RPush(Key::C, vec![Val::Big(1), Val::Mid(0)])),
                        false,
                    ),
                    (Inline(Cmd::Append(Key::A, Val::Binary)), false),
                    (B(Cmd::GetDel(Key::A)), true),
                    (B(Cmd::Unlink(vec![Key::C, Key::A])), false),
                ],
            },
        ),
        (
            "malformed-after-pipeline",
            Stream {
                io_threads: 1,
                sndbuf_kib: None,
                frames: vec![
                    (big(Key::A), false),
                    (B(Cmd::Get(Key::A)), true),
                    (M(Malformed::ExpectedDollar), true),
                ],
            },
        ),
    ]
}

/// The `interleaving` seeds: worlds of the swarm's generator, named by their seed (the bytes
/// are exactly what `World::seed_bytes` decodes from; the schedule is left to the fuzzer). None
/// of them crashes with #14738 switched on under its own schedule: finding that is the fuzzer's
/// job (checked in `tests/fuzz_regressions.rs`).
pub const INTERLEAVING_SEEDS: [(&str, u64); 3] = [
    ("swarm-world-0", 0),
    ("swarm-world-5", 5),
    ("swarm-world-15", 15),
];

/// Every seed.
pub fn seeds() -> Vec<Seed> {
    let mut out = vec![
        raw(
            "pipelined-big-get-set",
            0,
            &[
                &b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$2000\r\n"[..],
                &[b'v'; 2000],
                b"\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nGET a\r\n",
            ]
            .concat(),
        ),
        raw(
            "flushall-async",
            4,
            b"*2\r\n$8\r\nFLUSHALL\r\n$5\r\nASYNC\r\nFLUSHALL ASYNC\r\n",
        ),
        raw("inline-quotes", 8, b"SET \"a\\x00b\" 'c d'\r\nECHO \"x\r\n"),
        raw("bad-multibulk-len", 0, b"*x\r\n"),
        raw("expected-dollar", 1, b"*2\r\n$3\r\nGET\r\nGET\r\n"),
        raw("bad-bulk-len", 0, b"*1\r\n$-1\r\n"),
        raw("bulk-too-big-small-limits", 1, b"*1\r\n$33\r\n"),
        raw("unauth-limits", 3, b"*4\r\n$1\r\na\r\n"),
        raw("empty-and-negative", 12, b"\r\n*-1\r\n*0\r\nPING\r\n"),
        raw("nul-in-inline", 0, b"GET a\x00\r\n"),
        raw("http-post", 0, b"POST / HTTP/1.1\r\nHost: x\r\n"),
    ];
    out.extend(
        streams()
            .iter()
            .map(|(name, s)| seed("command_stream", name, s)),
    );
    out.extend(INTERLEAVING_SEEDS.iter().map(|(name, world)| Seed {
        target: "interleaving",
        name,
        bytes: refrace_gen::World::seed_bytes(*world).1,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbitrary::{Arbitrary, Unstructured};

    #[test]
    fn seeds_decode_to_what_they_were_written_from() {
        for (name, s) in streams() {
            let mut b = Vec::new();
            s.encode(&mut b);
            let back = Stream::arbitrary_take_rest(Unstructured::new(&b)).unwrap();
            assert_eq!(back.io_threads, s.io_threads, "{name}");
            assert_eq!(back.sndbuf_kib, s.sndbuf_kib, "{name}");
            assert_eq!(back.frames, s.frames, "{name}");
        }
        for (name, seed) in INTERLEAVING_SEEDS {
            let (w, b) = refrace_gen::World::seed_bytes(seed);
            let (back, schedule) = super::super::decode_interleaving(&b).unwrap();
            assert_eq!(back, w, "{name}");
            assert!(schedule.is_empty(), "{name}");
        }
    }

    #[test]
    fn every_cmd_variant_is_counted() {
        // The last variant decodes from the largest discriminant.
        let mut u = Unstructured::new(&[0xff, 0xff, 0xff, 0xff, 0]);
        assert!(matches!(Cmd::arbitrary(&mut u).unwrap(), Cmd::HGetAll(..)));
        let mut b = Vec::new();
        variant(&mut b, CMD_VARIANTS - 1, CMD_VARIANTS);
        b.push(0);
        assert!(matches!(
            Cmd::arbitrary(&mut Unstructured::new(&b)).unwrap(),
            Cmd::HGetAll(..)
        ));
        let mut b = Vec::new();
        variant(&mut b, CMD_VARIANTS - 2, CMD_VARIANTS);
        b.push(0);
        assert!(matches!(
            Cmd::arbitrary(&mut Unstructured::new(&b)).unwrap(),
            Cmd::HLen(..)
        ));
        // `Raw`, the last variant before issue 12's block, keeps its place.
        let mut b = Vec::new();
        variant(&mut b, 48, CMD_VARIANTS);
        assert!(matches!(
            Cmd::arbitrary(&mut Unstructured::new(&b)).unwrap(),
            Cmd::Raw(..)
        ));
        // And paths-b's block before it: CLIENT KILL first, INFO last.
        let mut b = Vec::new();
        variant(&mut b, 42, CMD_VARIANTS);
        b.extend([0; 8]);
        assert!(matches!(
            Cmd::arbitrary(&mut Unstructured::new(&b)).unwrap(),
            Cmd::ClientKill(..)
        ));
        let mut b = Vec::new();
        variant(&mut b, 47, CMD_VARIANTS);
        assert!(matches!(
            Cmd::arbitrary(&mut Unstructured::new(&b)).unwrap(),
            Cmd::Info
        ));
    }
}
