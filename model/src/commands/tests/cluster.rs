//! CLUSTER (src/cluster.c).

use crate::commands::key_hash_slot;

#[test]
fn key_hash_slot_matches_redis_documented_values() {
    assert_eq!(key_hash_slot(b"somekey"), 11058);
    assert_eq!(key_hash_slot(b"foo"), 12182);
    assert_eq!(
        key_hash_slot(b"{user1000}.following"),
        key_hash_slot(b"{user1000}.followers")
    );
    // Only the first `{` counts, and an empty tag hashes the whole key.
    assert_ne!(key_hash_slot(b"foo{}{bar}"), key_hash_slot(b"bar"));
    assert_ne!(key_hash_slot(b"{}a"), key_hash_slot(b"{}b"));
}
