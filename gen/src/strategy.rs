//! The proptest bridge: proptest draws bytes, `arbitrary` decodes them into the same commands
//! and frames the fuzz targets get, so generators exist once. Shrinking works on the bytes
//! (shorter input, fewer commands).

use crate::{commands_from_bytes, frames_from_bytes, Cmd, Frame};
use proptest::prelude::*;

/// Bytes of `arbitrary` input per command on average.
const BYTES_PER_ITEM: usize = 12;

/// A list of up to `max` commands (fewer when the bytes run out).
pub fn commands(max: usize) -> impl Strategy<Value = Vec<Cmd>> {
    prop::collection::vec(any::<u8>(), 0..max * BYTES_PER_ITEM).prop_map(move |b| {
        let mut v = commands_from_bytes(&b);
        v.truncate(max);
        v
    })
}

/// A list of up to `max` frames (commands, inline commands, malformed frames).
pub fn frames(max: usize) -> impl Strategy<Value = Vec<Frame>> {
    prop::collection::vec(any::<u8>(), 0..max * BYTES_PER_ITEM).prop_map(move |b| {
        let mut v = frames_from_bytes(&b);
        v.truncate(max);
        v
    })
}
