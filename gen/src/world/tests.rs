//! The world generator's properties: determinism, bounds, what each family and feature yields.

use super::*;

#[test]
fn seeds_make_worlds_deterministically() {
    for seed in 0..200 {
        let w = World::from_seed(seed);
        assert_eq!(w, World::from_seed(seed));
        assert!((1..=MAX_IO_THREADS).contains(&w.io_threads));
        assert!((2..=MAX_CLIENTS).contains(&w.clients.len()));
        assert!(!w.families.is_empty() && !w.setup.is_empty());
        for c in &w.clients {
            let commands = c.script.iter().filter(|s| **s != Step::HttpPost).count();
            assert!(!c.script.is_empty() && commands <= MAX_SCRIPT + MAX_TX + 1);
            // An HTTP request closes the client: only ever the last one.
            let post = c.script.iter().position(|s| *s == Step::HttpPost);
            assert!(post.is_none_or(|i| i + 1 == c.script.len()));
            if let Home::Io(n) = c.home {
                assert!((1..=w.io_threads).contains(&n));
            }
            for s in &c.script {
                assert!(!s.argv().is_empty());
            }
        }
    }
}

/// Swarm testing: worlds differ in which families they use, and every family and
/// feature shows up.
#[test]
fn worlds_draw_subsets_of_families_and_features() {
    let worlds: Vec<World> = (0..400).map(World::from_seed).collect();
    for f in Family::ALL {
        let n = worlds.iter().filter(|w| w.uses(f)).count();
        assert!((100..300).contains(&n), "{f:?} in {n} of 400 worlds");
    }
    let any = |p: &dyn Fn(&World) -> bool| worlds.iter().any(p);
    assert!(any(&|w| w.features.small_refcount));
    assert!(any(&|w| w.features.cluster));
    assert!(any(&|w| w.clients.iter().any(|c| c.home == Home::Main)));
    assert!(any(&|w| w.clients.iter().any(|c| c.hangup)));
    assert!(any(&|w| w.clients.iter().any(|c| c.sndbuf.is_some())));
    assert!(any(&|w| w.io_threads == MAX_IO_THREADS && w.bio_thread));
    assert!(any(&|w| w
        .setup
        .iter()
        .any(|(_, v)| *v == SetupVal::BigList)));
    assert!(any(&|w| w
        .setup
        .iter()
        .any(|(_, v)| *v == SetupVal::BigHash)));
    assert!(any(&|w| w.clients.iter().any(|c| c.pipeline)));
}

/// A transaction step expands to MULTI, one to `MAX_TX` queued commands (the databases
/// combo: up to three; never a request that closes the connection) and at most one EXEC or
/// DISCARD, which ends it.
#[test]
fn transactions_queue_then_end() {
    let is = |s: &Step, c: Cmd| *s == Step::Cmd(c);
    let mut execs = 0;
    for seed in 0..400 {
        for c in World::from_seed(seed).clients {
            let mut i = 0;
            while i < c.script.len() {
                if !is(&c.script[i], Cmd::Multi) {
                    i += 1;
                    continue;
                }
                let rest = &c.script[i + 1..];
                let end = rest
                    .iter()
                    .position(|s| is(s, Cmd::Exec) || is(s, Cmd::Discard) || is(s, Cmd::Multi));
                // Left open (no EXEC or DISCARD): at least one command queued.
                let Some(e) = end.filter(|e| !is(&rest[*e], Cmd::Multi)) else {
                    assert!(end.unwrap_or(rest.len()) >= 1, "empty: {:?}", c.script);
                    i += 1;
                    continue;
                };
                // The transactions family queues 1..=MAX_TX; the databases family's combo
                // (`database_combo`) queues GET and one or two more (SWAPDB, FLUSHALL).
                assert!((1..=MAX_TX + 1).contains(&e), "{e} queued: {:?}", c.script);
                assert!(rest[..e].iter().all(|s| *s != Step::HttpPost));
                execs += usize::from(is(&rest[e], Cmd::Exec));
                i += 1 + e;
            }
        }
    }
    assert!(execs > 20, "{execs} EXECs in 400 worlds");
}

#[test]
fn seed_bytes_decode_to_the_seed_world() {
    for seed in 0..50 {
        let (w, bytes) = World::seed_bytes(seed);
        let mut u = Unstructured::new(&bytes);
        assert_eq!(World::arbitrary(&mut u).unwrap(), w);
        assert!(u.is_empty());
    }
}

#[test]
fn slots_match_redis() {
    // Values from Redis's documentation and `CLUSTER KEYSLOT`.
    assert_eq!(key_hash_slot(b"foo"), 12182);
    assert_eq!(
        key_hash_slot(b"{user1000}.following"),
        key_hash_slot(b"user1000")
    );
    assert_eq!(key_hash_slot(b"{}x"), crc16(b"{}x") & 0x3fff);
    assert_eq!(key_hash_slot(b"a"), 15495);
}

#[test]
fn big_values_are_huge_in_worlds() {
    let s = Step::Cmd(Cmd::Set(Key::A, Val::Big(1), vec![]));
    assert_eq!(s.argv()[2].len(), HUGE);
    let s = Step::Cmd(Cmd::Set(Key::A, Val::Mid(1), vec![]));
    assert_eq!(s.argv()[2].len(), 50);
}
