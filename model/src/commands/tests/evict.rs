//! maxmemory and eviction (src/evict.c, `processCommand`'s OOM check): each policy evicting in a
//! deterministic run (the clock moved by hand between commands, `maxmemory-samples` above the
//! key count so the pool sees every key), the OOM error under `noeviction`, and eviction of a
//! value a pending reply references (nothing freed; more keys evicted; the reply intact).

use super::*;
use crate::config::MaxmemoryPolicy;

/// Run one request on a fresh main client at the server's clock; its reply.
fn cmd(s: &mut Server, argv: &[&[u8]]) -> Vec<u8> {
    let env = s.env();
    let mut c =
        crate::networking::create_client(s, Tid::Main, vec![crate::resp::encode_request(argv)]);
    run_main_client(s, &mut c);
    write_to_client(Cx::main(&env), Some(s), &mut c);
    let out = c.sent.clone();
    crate::networking::free_client(s, c);
    out
}

/// Five keys `k1`..`k5` of 4000 bytes, set one second apart; `k4` and `k5` expire (k5 first).
fn five_keys(policy: MaxmemoryPolicy) -> (Arc<Env>, Server) {
    let env = Env::new(Config::default(), false);
    let mut s = Server::new(env.clone());
    let v = vec![b'v'; 4000];
    for k in [b"k1", b"k2", b"k3", b"k4", b"k5"] {
        s.now_ms += 1000;
        cmd(&mut s, &[b"SET", k, &v]);
    }
    cmd(&mut s, &[b"EXPIRE", b"k4", b"100"]);
    cmd(&mut s, &[b"EXPIRE", b"k5", b"50"]);
    s.cfg.maxmemory_policy = policy;
    s.cfg.maxmemory_samples = 10;
    (env, s)
}

/// Set `maxmemory` 1000 bytes under `used_memory` and run PING: one 4 KiB value must go.
fn evict_one(s: &mut Server) -> Vec<Vec<u8>> {
    let before: Vec<Vec<u8>> = s.db[0].dict.keys().cloned().collect();
    let env = s.env();
    let mut c = crate::networking::create_client(
        s,
        Tid::Main,
        vec![crate::resp::encode_request(&[b"PING"])],
    );
    s.cfg.maxmemory = (s.env.ledger.used_memory() - 1000) as u64;
    run_main_client(s, &mut c);
    write_to_client(Cx::main(&env), Some(s), &mut c);
    assert_eq!(c.sent, b"+PONG\r\n");
    crate::networking::free_client(s, c);
    let mut gone: Vec<Vec<u8>> = before
        .into_iter()
        .filter(|k| !s.db[0].dict.contains_key(k))
        .collect();
    gone.sort();
    gone
}

fn finish(env: &Arc<Env>, mut s: Server) {
    s.cfg.maxmemory = 0;
    let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
    crate::db::empty_db(&mut s, &mut f, false);
    crate::networking::free_client(&mut s, f);
    while s.bio.step(env) {}
    env.ledger.assert_quiescent();
}

use std::sync::Arc;

#[test]
fn each_policy_evicts_the_key_it_should() {
    let k = |n: &str| vec![n.as_bytes().to_vec()];
    // LRU: k1 was read last, so k2 is the idlest.
    for (policy, want) in [
        (MaxmemoryPolicy::AllkeysLru, k("k2")),
        (MaxmemoryPolicy::VolatileLru, k("k4")),
        (MaxmemoryPolicy::VolatileTtl, k("k5")),
    ] {
        let (env, mut s) = five_keys(policy);
        s.now_ms += 1000;
        cmd(&mut s, &[b"GET", b"k1"]);
        s.now_ms += 1000;
        assert_eq!(evict_one(&mut s), want, "{policy:?}");
        assert_eq!(s.stat_evictedkeys, 1);
        finish(&env, s);
    }
    // LFU: every key but one is read (counter 5 -> 6 on the first access, p = 1); the one
    // never read has the lowest counter.
    for (policy, reads, want) in [
        (
            MaxmemoryPolicy::AllkeysLfu,
            &[&b"k1"[..], b"k3", b"k4", b"k5"][..],
            k("k2"),
        ),
        (MaxmemoryPolicy::VolatileLfu, &[&b"k4"[..]][..], k("k5")),
    ] {
        let (env, mut s) = five_keys(policy);
        for key in [b"k1", b"k2", b"k3", b"k4", b"k5"] {
            crate::lru::init_lru_or_lfu(&s, &s.db[0].dict[&key[..]].clone());
        }
        for r in reads {
            cmd(&mut s, &[b"GET", r]);
        }
        assert_eq!(evict_one(&mut s), want, "{policy:?}");
        finish(&env, s);
    }
    // Random: one key of the allowed set.
    for (policy, allowed) in [
        (
            MaxmemoryPolicy::AllkeysRandom,
            &["k1", "k2", "k3", "k4", "k5"][..],
        ),
        (MaxmemoryPolicy::VolatileRandom, &["k4", "k5"][..]),
    ] {
        let (env, mut s) = five_keys(policy);
        let gone = evict_one(&mut s);
        assert_eq!(gone.len(), 1, "{policy:?}");
        assert!(
            allowed.iter().any(|a| a.as_bytes() == gone[0]),
            "{policy:?} {gone:?}"
        );
        finish(&env, s);
    }
}

#[test]
fn noeviction_rejects_denyoom_commands_only() {
    let (env, mut s) = five_keys(MaxmemoryPolicy::NoEviction);
    s.cfg.maxmemory = 1;
    let oom = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n".to_vec();
    assert_eq!(cmd(&mut s, &[b"SET", b"x", b"1"]), oom);
    assert_eq!(cmd(&mut s, &[b"LPUSH", b"l", b"1"]), oom);
    assert_eq!(cmd(&mut s, &[b"APPEND", b"k1", b"1"]), oom);
    assert_eq!(cmd(&mut s, &[b"INCR", b"n"]), oom);
    // Arity and unknown-command errors come first; reads, DEL, EXPIRE and CONFIG pass.
    assert_eq!(
        cmd(&mut s, &[b"SET", b"x"]),
        b"-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(cmd(&mut s, &[b"STRLEN", b"k1"]), b":4000\r\n");
    assert_eq!(cmd(&mut s, &[b"DEL", b"k1"]), b":1\r\n");
    assert_eq!(cmd(&mut s, &[b"EXPIRE", b"k2", b"10"]), b":1\r\n");
    assert_eq!(s.db[0].dict.len(), 4);
    finish(&env, s);
}

#[test]
fn lazy_eviction_and_allkeys_eviction_to_empty() {
    // Under lazyfree-lazy-eviction strings are still freed on main (effort 1): same pick.
    let (env, mut s) = five_keys(MaxmemoryPolicy::AllkeysLru);
    s.cfg.lazyfree_lazy_eviction = true;
    s.now_ms += 1000;
    cmd(&mut s, &[b"GET", b"k1"]);
    assert_eq!(evict_one(&mut s), vec![b"k2".to_vec()]);
    // maxmemory 1: every key goes, then the write is refused.
    s.cfg.maxmemory = 1;
    assert_eq!(
        cmd(&mut s, &[b"SET", b"x", b"1"]),
        b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert_eq!(s.db[0].dict.len(), 0);
    assert_eq!(s.stat_evictedkeys, 5);
    finish(&env, s);
}

#[test]
fn evicting_a_referenced_value_frees_nothing_and_evicts_more() {
    // A 64 KiB RAW value referenced by a reply not yet written (the socket takes 0 bytes).
    let env = Env::new(Config::default(), false);
    let mut s = Server::new(env.clone());
    let big = vec![b'b'; 65536];
    let small = vec![b's'; 4000];
    s.now_ms += 1000;
    cmd(&mut s, &[b"SET", b"big", &big]);
    for k in [b"a", b"b", b"c"] {
        s.now_ms += 1000;
        cmd(&mut s, &[b"SET", k, &small]);
    }
    let mut reader = crate::networking::create_client(
        &mut s,
        Tid::Main,
        vec![crate::resp::encode_request(&[b"GET", b"big"])],
    );
    reader.sndbuf = Some(0);
    s.now_ms += 1000;
    run_main_client(&mut s, &mut reader);
    assert_eq!(s.stat_reply_refs, 1, "GET big took a reply reference");
    // `big` is now the most recently used key; make it the idlest by hand so LRU picks it.
    s.db[0].dict[&b"big"[..]].hdr().lru = 0;
    s.cfg.maxmemory_policy = MaxmemoryPolicy::AllkeysLru;
    s.cfg.maxmemory_samples = 10;
    let mut ping = crate::networking::create_client(
        &mut s,
        Tid::Main,
        vec![crate::resp::encode_request(&[b"PING"])],
    );
    // 5000 bytes over: one 4 KiB key would do, were `big` freed.
    s.cfg.maxmemory = (s.env.ledger.used_memory() - 5000) as u64;
    s.now_ms += 1000;
    run_main_client(&mut s, &mut ping);
    write_to_client(Cx::main(&env), Some(&mut s), &mut ping);
    assert_eq!(ping.sent, b"+PONG\r\n");
    crate::networking::free_client(&mut s, ping);
    // big went first and freed nothing (the reply holds it): two 4 KiB keys had to go too.
    assert!(!s.db[0].dict.contains_key(&b"big"[..]));
    assert_eq!(
        s.stat_evictedkeys,
        3,
        "{:?}",
        s.db[0].dict.keys().collect::<Vec<_>>()
    );
    assert!(s.env.ledger.used_memory() > 65536);
    // The reply is written whole after the key is gone; then the bytes are freed.
    reader.sndbuf = None;
    write_to_client(Cx::main(&env), Some(&mut s), &mut reader);
    assert!(reader.sent.starts_with(b"$65536\r\nbbbb"));
    crate::networking::free_client(&mut s, reader);
    assert!(
        s.env.ledger.used_memory() < 40_000,
        "{}",
        s.env.ledger.used_memory()
    );
    finish(&env, s);
}
