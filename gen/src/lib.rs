//! Command and request generators, written once and shared by every lane that generates input:
//! the cargo-fuzz targets (through `arbitrary`), the model-based proptests and the differential
//! lane against a real redis-server (through the proptest bridge, [`strategy`], which feeds
//! proptest's bytes to the same `arbitrary` decoder).
//!
//! Keys and small values come from small alphabets so that commands collide on the same keys;
//! large values exceed the copy-avoidance thresholds so reply references are taken. Every
//! command the model implements is here, with its options and its error paths (wrong arity via
//! empty lists, bad integers, unknown options, unknown commands, wrong types by key collision).
//! The generators know nothing of the model: they produce argv vectors and request bytes.

mod cmd;
mod frame;
#[cfg(feature = "proptest")]
pub mod strategy;
pub mod world;

pub use cmd::{
    ClientRef, Cmd, CopyOpt, DbIdx, ExpireFlag, Expiry, Field, FlushMode, HVal, Key, KillFilter,
    Knob, Num, SetCond, SetOpt, Sleep, Val, BIG, HASH_MAX_LISTPACK_VALUE,
};
pub use frame::{comparable_in_transactions, encode_multibulk, Frame, Malformed};
pub use world::World;

/// Decode as many `T` as the bytes give, with `arbitrary` (what the fuzz targets and the
/// proptest bridge both call).
pub fn decode_all<'a, T: arbitrary::Arbitrary<'a>>(bytes: &'a [u8]) -> Vec<T> {
    let mut u = arbitrary::Unstructured::new(bytes);
    let mut out = Vec::new();
    while !u.is_empty() {
        match u.arbitrary::<T>() {
            Ok(c) => out.push(c),
            Err(_) => break,
        }
    }
    out
}

/// Decode a command list from raw bytes.
pub fn commands_from_bytes(bytes: &[u8]) -> Vec<Cmd> {
    decode_all(bytes)
}

/// Decode a request list (commands, inline commands and malformed frames) from raw bytes.
pub fn frames_from_bytes(bytes: &[u8]) -> Vec<Frame> {
    decode_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every decoded command has a name and multibulk-encodes to what it decodes from.
    #[test]
    fn decoding_is_total_and_encodings_are_wellformed() {
        let mut seen = std::collections::BTreeSet::new();
        let mut state = 0x9e3779b97f4a7c15u64;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            for c in commands_from_bytes(&bytes) {
                let argv = c.argv();
                assert!(!argv.is_empty());
                let wire = encode_multibulk(&argv);
                assert!(wire.starts_with(format!("*{}\r\n", argv.len()).as_bytes()));
                seen.insert(c.name());
            }
        }
        // The generator reaches the whole command set, not a corner of it.
        assert!(
            seen.len() >= 35,
            "only {} command names: {seen:?}",
            seen.len()
        );
    }

    #[test]
    fn inline_quoting_escapes_what_splitargs_would_split() {
        let f = Frame::Inline(Cmd::Echo(Val::Binary));
        assert_eq!(f.bytes(), b"ECHO \"a\\x00b\\x0d\\x0ac\\xff\"\r\n".to_vec());
        let f = Frame::Inline(Cmd::Set(Key::A, Val::Word(1), vec![]));
        assert_eq!(f.bytes(), b"SET a \"\"\r\n".to_vec());
    }
}
