//! Unit tests of the ledger.

use super::*;

fn invariant_of(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let p = std::panic::catch_unwind(f).expect_err("must panic");
    let m = p.downcast_ref::<String>().cloned().unwrap_or_default();
    m.split(':').next().unwrap_or("").to_string()
}

#[test]
fn borrows_are_uncounted_and_must_be_taken_before_they_end() {
    let l = Ledger::new(false);
    let p = l.alloc(
        Tid::Main,
        AllocKind::Object,
        20,
        "v",
        Some(Holder::Keyspace),
    );
    l.borrow(Tid::Main, p, Holder::Reply(2));
    // Conservation counts the keyspace only: 1 -> 0 frees nothing early.
    l.on_decr(Tid::Main, p, 1, 0, Holder::Keyspace);
    l.retire(Tid::Main, p);
    l.read(Tid::Io(1), p, "borrowed payload");
    l.unborrow(Tid::Io(1), p, Holder::Reply(2));
    l.free(Tid::Main, p);
    assert_eq!(
        invariant_of(|| l.unborrow(Tid::Io(1), p, Holder::Reply(2))),
        "INVARIANT COUNT_CONSERVATION"
    );
    let q = Ledger::new(false);
    let v = q.alloc(
        Tid::Main,
        AllocKind::Object,
        20,
        "v",
        Some(Holder::Keyspace),
    );
    q.borrow(Tid::Main, v, Holder::Reply(2));
    q.free(Tid::Main, v);
    assert_eq!(
        invariant_of(|| q.read(Tid::Io(1), v, "borrowed payload")),
        "INVARIANT USE_AFTER_FREE"
    );
}
