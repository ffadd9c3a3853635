//! The differences issue 10 fixed between the model and Redis at the pin (059f40da, 8.6.0
//! content), one test each; every one fails on the model's previous behaviour (named in its
//! doc) and passes now. `docs/model-vs-c.md` names these tests in its table.

use super::*;
use crate::config::{Fault, FaultSet, Variant};
use crate::ledger::{AllocKind, Event, Op};
use crate::object::{Encoding, RObj};
use crate::reference::Reference;
use crate::server::EPOCH_MS;

/// A traced server with one client on main; `cmds` are sent (one read each), the replies
/// written; returns the server, the client's bytes and the trace. Nothing is flushed.
fn traced(cfg: Config, sndbuf: Option<usize>, cmds: &[&[&[u8]]]) -> (Server, Vec<u8>, Vec<Event>) {
    let env = Env::new(cfg, true);
    let mut s = Server::new(env.clone());
    let script = cmds
        .iter()
        .map(|a| crate::resp::encode_request(a))
        .collect();
    let mut c = crate::networking::create_client(&mut s, Tid::Main, script);
    c.sndbuf = sndbuf;
    run_main_client(&mut s, &mut c);
    c.sndbuf = None;
    write_to_client(Cx::main(&env), Some(&mut s), &mut c);
    let out = c.sent.clone();
    crate::networking::free_client(&mut s, c);
    let trace = env.ledger.trace();
    (s, out, trace)
}

/// Flush (synchronously, as a connection-less client), drain BIO, assert the oracle.
fn finish(mut s: Server) {
    let env = s.env();
    let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
    f.fake = true;
    crate::db::empty_db(&mut s, &mut f, false);
    crate::networking::free_client(&mut s, f);
    while s.bio.step(&env) {}
    s.assert_reply_refs_empty();
    env.ledger.assert_quiescent();
}

fn allocs(trace: &[Event], kind: AllocKind) -> usize {
    trace
        .iter()
        .filter(|e| matches!(&e.op, Op::Alloc(k, _) if *k == kind))
        .count()
}

fn big(n: usize) -> Vec<u8> {
    vec![b'v'; n]
}

/// FLUSHALL without ASYNC from an ordinary client is a blocking async flush (db.c
/// `flushCommandCommon`): the keyspace is freed by BIO, and `+OK` is queued only after BIO
/// ran (the reply block is allocated after BIO's free). Before: freed on main, `+OK` at once.
#[test]
fn flushall_without_async_blocks_until_bio_freed_the_keyspace() {
    for flush in [&[&b"FLUSHALL"[..]][..], &[b"FLUSHDB", b"SYNC"]] {
        let (s, out, trace) = traced(
            Config::default(),
            None,
            &[&[b"SET", b"k", &big(100)], flush, &[b"DBSIZE"]],
        );
        assert_eq!(show(&out), show(&cat(&[ok(), ok(), int(0)])));
        let kv_free = trace
            .iter()
            .position(|e| {
                e.op == Op::Free
                    && trace.iter().any(|a| {
                        a.ptr == e.ptr && matches!(&a.op, Op::Alloc(AllocKind::Object, l) if l.to_string().starts_with("kvobj"))
                    })
            })
            .expect("the kvobj is freed");
        assert_eq!(trace[kv_free].tid, Tid::Bio, "BIO frees the keyspace");
        let ok_block = trace
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(&e.op, Op::Alloc(AllocKind::ReplyBlock, _)))
            .map(|(i, _)| i)
            .nth(1)
            .expect("the flush's reply");
        assert!(ok_block > kv_free, "+OK comes after BIO's free");
        finish(s);
    }
}

/// A connection-less client (DENY_BLOCKING, like the AOF client) still flushes synchronously.
#[test]
fn flushall_of_a_connectionless_client_stays_synchronous() {
    let env = Env::new(Config::default(), true);
    let mut s = Server::new(env.clone());
    let script = [&[&b"SET"[..], b"k", &big(100)][..], &[b"FLUSHALL"]]
        .iter()
        .map(|a| crate::resp::encode_request(a))
        .collect();
    let mut c = crate::networking::create_client(&mut s, Tid::Main, script);
    c.fake = true;
    run_main_client(&mut s, &mut c);
    assert!(!c.blocked);
    crate::networking::free_client(&mut s, c);
    assert!(
        env.ledger
            .trace()
            .iter()
            .all(|e| !(e.op == Op::Free && e.tid == Tid::Bio)),
        "nothing freed by BIO"
    );
    finish(s);
}

/// SET … EX (t_string.c 8.x): `setKey`, `setExpire`, then `incrRefCount(*valref)`. The kvobj
/// `setKey` built has count 1 when `kvobjSetExpire` rebuilds it, so the RAW payload is stolen:
/// one sds in all (the argv's). Before: the argv's reference came first (count 2) and the sds
/// was duplicated.
#[test]
fn set_ex_takes_the_argv_reference_after_set_expire() {
    let (s, out, trace) = traced(
        Config::default(),
        None,
        &[&[b"SET", b"k", &big(100), b"EX", b"100"], &[b"TTL", b"k"]],
    );
    assert_eq!(show(&out), show(&cat(&[ok(), int(100)])));
    assert_eq!(
        allocs(&trace, AllocKind::Sds),
        1,
        "the payload is never copied"
    );
    let kv = s.db[0].dict.get(&b"k"[..]).expect("stored").clone();
    assert!(kv.hdr().has_expire_slot);
    finish(s);
}

/// RENAME (db.c @ 059f40da): the source is deleted, then `kvobjSet` builds a new kvobj under
/// the new name; a RAW value a reply still references is duplicated. Before: the same object
/// moved under the new name, its embedded key still the old one.
#[test]
fn rename_builds_a_new_kvobj_under_the_new_name() {
    // Unreferenced: a new header, the payload stolen (no new sds).
    let (s, out, trace) = traced(
        Config::default(),
        None,
        &[
            &[b"SET", b"a", &big(100)],
            &[b"RENAME", b"a", b"b"],
            &[b"GET", b"b"],
        ],
    );
    assert_eq!(show(&out), show(&cat(&[ok(), ok(), bulk(&big(100))])));
    assert_eq!(allocs(&trace, AllocKind::Sds), 1);
    let kv = s.db[0].dict.get(&b"b"[..]).expect("renamed").clone();
    assert_eq!(
        kv.hdr().key.as_deref(),
        Some(&b"b"[..]),
        "the new kvobj embeds the new key"
    );
    let first_kvobj = trace
        .iter()
        .find(|e| matches!(&e.op, Op::Alloc(AllocKind::Object, l) if l.to_string().starts_with("kvobj")))
        .expect("a kvobj")
        .ptr;
    assert_ne!(kv.ptr(), first_kvobj, "a new allocation");
    finish(s);
    // Referenced by a pending reply (16 KiB+, a 1-byte socket keeps it): duplicated.
    let (s, _, trace) = traced(
        Config::default(),
        Some(1),
        &[
            &[b"SET", b"a", &big(20_000)],
            &[b"GET", b"a"],
            &[b"RENAME", b"a", b"b"],
        ],
    );
    assert_eq!(
        allocs(&trace, AllocKind::Sds),
        2,
        "the referenced sds is copied"
    );
    finish(s);
}

/// A list's free effort counts quicklist nodes (lazyfree.c @ 059f40da); a small list is one
/// listpack (effort 1). Before: one node per element (65 short elements: effort 65, to BIO).
#[test]
fn list_free_effort_counts_quicklist_nodes() {
    let mut small: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"s".to_vec()];
    small.extend((0..65).map(|i| format!("e{i}").into_bytes()));
    let mut large: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"l".to_vec()];
    large.extend((0..65).map(|_| vec![b'x'; crate::commands::LIST_MAX_LISTPACK_BYTES + 1]));
    let mut packed: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"p".to_vec()];
    packed.extend((0..40).map(|_| vec![b'y'; 1000]));
    let as_refs = |v: &Vec<Vec<u8>>| v.iter().map(|a| a.to_vec()).collect::<Vec<_>>();
    let (small, large, packed) = (as_refs(&small), as_refs(&large), as_refs(&packed));
    let cmds: Vec<Vec<&[u8]>> = [&small, &large, &packed]
        .iter()
        .map(|c| c.iter().map(|a| &a[..]).collect())
        .collect();
    let cmds: Vec<&[&[u8]]> = cmds.iter().map(|c| &c[..]).collect();
    let (s, out, _) = traced(Config::default(), None, &cmds);
    assert_eq!(show(&out), show(&cat(&[int(65), int(65), int(40)])));
    let effort = |k: &[u8]| {
        let kv = s.db[0].dict.get(k).expect("stored").clone();
        (
            kv.encoding(),
            crate::lazyfree::lazyfree_get_free_effort(&kv),
        )
    };
    assert_eq!(
        effort(b"s"),
        (Encoding::Listpack, 1),
        "65 short elements: one listpack"
    );
    assert_eq!(effort(b"l"), (Encoding::Quicklist, 65), "65 PLAIN nodes");
    // 1000-byte elements: 8 per 8 KiB node (each entry 1000 + 2 + 2 bytes).
    assert_eq!(effort(b"p"), (Encoding::Quicklist, 5));
    finish(s);
}

/// `kvobjSet` embeds an EMBSTR value when `16 + (klen+3) + (4+vlen) <= 64`, the expire slot not
/// counted. Before: `<`, with the expire slot counted (1-byte key + 40-byte value was RAW,
/// and with an expire 33..40 bytes were).
#[test]
fn kvobj_set_embeds_up_to_the_cache_line_without_counting_the_expire_slot() {
    let v40 = big(40);
    let v41 = big(41);
    let (s, _, _) = traced(
        Config::default(),
        None,
        &[
            &[b"SET", b"k", &v40],
            &[b"SET", b"e", &v40, b"EX", b"100"],
            &[b"SET", b"n", &v41],
        ],
    );
    let enc = |k: &[u8]| s.db[0].dict.get(k).expect("stored").encoding();
    assert_eq!(enc(b"k"), Encoding::Embstr);
    assert_eq!(enc(b"e"), Encoding::Embstr);
    assert_eq!(enc(b"n"), Encoding::Raw);
    finish(s);
}

/// `dbSetValue` keeps the expire slot only with KEEPTTL *and* an expire (db.c @ 059f40da).
/// Before: KEEPTTL kept any slot, also an unused one left by PERSIST.
#[test]
fn keepttl_keeps_the_expire_slot_only_with_an_expire() {
    let (s, out, _) = traced(
        Config::default(),
        None,
        &[
            &[b"SET", b"k", b"v", b"EX", b"100"],
            &[b"PERSIST", b"k"],
            &[b"SET", b"k", b"w", b"KEEPTTL"],
            &[b"SET", b"t", b"v", b"EX", b"100"],
            &[b"SET", b"t", b"w", b"KEEPTTL"],
        ],
    );
    assert_eq!(show(&out), show(&cat(&[ok(), int(1), ok(), ok(), ok()])));
    let slot = |k: &[u8]| s.db[0].dict.get(k).expect("stored").hdr().has_expire_slot;
    assert!(!slot(b"k"), "no expire: no slot");
    assert!(slot(b"t"), "an expire kept: its slot kept");
    finish(s);
}

/// Inline requests make RAW argv strings (`processInlineBuffer`); multibulk ones EMBSTR up to
/// 44 bytes. With 7+ threads every RAW string is replied by reference, so inline `ECHO hi` is
/// replied by reference and multibulk `ECHO hi` is not. Before: inline argv were EMBSTR too.
#[test]
fn inline_argv_are_raw() {
    let cfg = Config {
        io_threads_num: 7,
        ..Config::default()
    };
    for (request, refs) in [
        (&b"ECHO hi\r\n"[..], 1),
        (b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n", 0),
    ] {
        let env = Env::new(cfg.clone(), false);
        let mut s = Server::new(env.clone());
        let mut c = crate::networking::create_client(&mut s, Tid::Main, vec![request.to_vec()]);
        run_main_client(&mut s, &mut c);
        assert_eq!(show(&c.sent), show(&bulk(b"hi")));
        assert_eq!(s.stat_reply_refs, refs, "{}", show(request));
        crate::networking::free_client(&mut s, c);
        finish(s);
    }
}

/// `tryObjectEncoding` turns a RAW numeric string into INT **in place** (f36ee257): no shared
/// integer is used. Before: a RAW 0..9999 became `shared.integers[v]`.
#[test]
fn try_object_encoding_converts_raw_numbers_in_place() {
    let env = Env::new(Config::default(), false);
    let mut s = Server::new(env.clone());
    let mut c =
        crate::networking::create_client(&mut s, Tid::Main, vec![b"SET k 123\r\n".to_vec()]);
    run_main_client(&mut s, &mut c);
    assert_eq!(show(&c.sent), show(&ok()));
    crate::networking::free_client(&mut s, c);
    assert!(
        env.shared_ints().get(&123).is_none(),
        "the inline (RAW) argv was converted in place, not replaced by a shared integer"
    );
    assert_eq!(
        s.db[0].dict.get(&b"k"[..]).expect("stored").encoding(),
        Encoding::Int
    );
    finish(s);
}

/// `protectClientReplyObjects` returns at once, without pausing the IO threads, when no client
/// is listed (lazyfree.c @ 059f40da). An IO queue marked as served by a thread that never
/// parks would hang a pause; the flush must not wait for it. Before: it always paused.
#[test]
fn protect_does_not_pause_when_nothing_is_listed() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let env = Env::new(
            Config {
                io_threads_num: 2,
                ..Config::default()
            },
            false,
        );
        let mut s = Server::new(env.clone());
        s.io[0].set_threaded(true);
        let mut c = crate::networking::create_client(
            &mut s,
            Tid::Main,
            vec![crate::resp::encode_request(&[&b"FLUSHALL"[..], b"ASYNC"])],
        );
        run_main_client(&mut s, &mut c);
        let _ = tx.send(c.sent.clone());
    });
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("FLUSHALL ASYNC with nothing listed must not pause the IO threads");
    assert_eq!(show(&got), show(&ok()));
}

/// The oracle still sees an unlisted client holding a reference to a detached object
/// (`PENDING_REF_REGISTRY`), from the ledger's holders, with no pause.
#[test]
fn an_unlisted_reference_into_a_detached_keyspace_is_reported() {
    let env = Env::new(Config::default(), false);
    let mut s = Server::new(env.clone());
    let script = vec![
        crate::resp::encode_request(&[&b"SET"[..], b"k", &big(20_000)]),
        crate::resp::encode_request(&[&b"GET"[..], b"k"]),
    ];
    let mut c = crate::networking::create_client(&mut s, Tid::Main, script);
    c.sndbuf = Some(1);
    run_main_client(&mut s, &mut c);
    assert!(c.has_refs());
    s.unlink_pending_ref(c.id);
    let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::db::empty_db(&mut s, &mut f, true)
    }))
    .expect_err("the unprotected reference is reported");
    let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.starts_with("INVARIANT PENDING_REF_REGISTRY"), "{msg}");
}

/// Variant 14934: `decrRefCount` taking a referenced string to 1 calls
/// `replyRefsNotifyDecrRefCount`, which marks the sole referencing client dirty; untracking an
/// object with no entry is silent. At the pin there is no accounting at all.
#[test]
fn variant_14934_notifies_on_decr_to_one_and_the_pin_has_no_accounting() {
    let cmds: &[&[&[u8]]] = &[
        &[b"SET", b"k", &big(20_000)],
        &[b"GET", b"k"],
        &[b"DEL", b"k"],
    ];
    let cfg = Config {
        variant: Variant::ReplyRefs14934,
        ..Config::default()
    };
    let (s, _, _) = traced(cfg, Some(1), cmds);
    let r = s
        .env
        .reply_refs
        .as_ref()
        .expect("the variant has clients_reply_refs");
    assert_eq!(
        r.dirty_clients(),
        vec![1],
        "client 1 is the sole holder once DEL took V to 1"
    );
    let o = RObj::create_raw_string(Cx::main(&s.env), b"x", crate::ledger::Holder::Temp);
    r.untrack(&s.env, 7, &o);
    o.decr_ref_count(Cx::main(&s.env), crate::ledger::Holder::Temp);
    finish(s);
    let (s, _, _) = traced(Config::default(), Some(1), cmds);
    assert!(s.env.reply_refs.is_none());
    finish(s);
}

/// Variant 14934 with the branch's untrack (`untrack-increments`): two references of one
/// client to one object leave the entry behind, which the oracle reports when the object is
/// freed (`REPLY_REFS_ACCOUNTED`).
#[test]
fn variant_14934_untrack_increments_is_reported() {
    let cfg = Config {
        variant: Variant::ReplyRefs14934,
        faults: FaultSet::of(&[Fault::UntrackIncrements]),
        ..Config::default()
    };
    let p = std::panic::catch_unwind(|| {
        let (s, _, _) = traced(
            cfg,
            None,
            &[
                &[b"SET", b"k", &big(20_000)],
                &[b"MGET", b"k", b"k"],
                &[b"DEL", b"k"],
            ],
        );
        finish(s);
    })
    .expect_err("reported");
    let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.starts_with("INVARIANT REPLY_REFS_ACCOUNTED"), "{msg}");
}

/// The reference model agrees with every reply above that it models (a guard that these
/// tests compare replies the same way the explorers' REPLY_BYTES check does).
#[test]
fn the_reference_agrees_on_the_blocking_flush() {
    let mut r = Reference::new(EPOCH_MS);
    let mut out = r.execute(
        &[b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()],
        EPOCH_MS + 1,
    );
    out.extend(r.execute(&[b"FLUSHALL".to_vec()], EPOCH_MS + 2));
    assert_eq!(show(&out), show(&cat(&[ok(), ok()])));
}
