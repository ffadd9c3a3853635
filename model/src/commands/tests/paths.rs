//! Issue 12, paths 3, 4 and 6: the lifetime facts the scenarios rely on, one test each, on a
//! server driven step by step (no explorer).

use super::*;
use crate::client::Client;
use crate::iothread::{main_handle_client, read_query};
use crate::lazyfree::lazyfree_get_free_effort;
use crate::ledger::Op;
use crate::object::Encoding;

fn big(tag: u8) -> Vec<u8> {
    vec![tag; 64 * 1024]
}

/// A server with one IO thread and a client living on it whose peer sends `script`
/// (one element per read).
fn io_client(script: Vec<Vec<u8>>) -> (std::sync::Arc<Env>, Server, Client) {
    let env = Env::new(
        Config {
            io_threads_num: 2,
            ..Config::default()
        },
        true,
    );
    let mut s = Server::new(env.clone());
    let c = crate::networking::create_client(&mut s, Tid::Io(1), script);
    (env, s, c)
}

/// Free the client, flush, drain BIO, assert the oracle.
fn close(env: &Env, mut s: Server, c: Client) {
    crate::networking::free_client(&mut s, c);
    let mut f = crate::networking::create_client(&mut s, Tid::Main, vec![]);
    f.fake = true;
    crate::db::empty_db(&mut s, &mut f, false);
    crate::networking::free_client(&mut s, f);
    while s.bio.step(env) {}
    env.ledger.assert_quiescent();
}

/// Path 3 (#14440 lookahead): one read holding three commands. The IO thread parses all three
/// (their argv allocated on IO-1), main runs them in one visit, and the replies of all three
/// are queued when the client goes back.
#[test]
fn a_pipeline_is_parsed_ahead_by_the_io_thread_and_run_in_one_visit() {
    let wire: Vec<u8> = [
        &[&b"SET"[..], b"k", b"v"][..],
        &[b"GET", b"k"],
        &[b"ECHO", b"e"],
    ]
    .iter()
    .flat_map(|a| crate::resp::encode_request(a))
    .collect();
    let (env, mut s, mut c) = io_client(vec![wire]);
    let io = Cx {
        env: &env,
        tid: Tid::Io(1),
    };
    assert!(read_query(io, &mut c));
    assert_eq!(c.pending_cmds.len(), 2, "two commands parsed ahead");
    let argv_on_io = env
        .ledger
        .trace()
        .iter()
        .filter(|e| {
            e.tid == Tid::Io(1) && matches!(e.op, Op::Alloc(crate::ledger::AllocKind::Argv, _))
        })
        .count();
    assert_eq!(argv_on_io, 3, "IO-1 allocated the three argv arrays");
    let c = main_handle_client(&mut s, c).expect("back to its IO thread");
    assert!(c.pending_cmds.is_empty());
    let replies: Vec<u8> = c
        .reply
        .iter()
        .flat_map(|ch| match ch {
            crate::client::ReplyChunk::Plain { bytes, .. } => bytes.clone(),
            crate::client::ReplyChunk::BulkRef { .. } => Vec::new(),
        })
        .collect();
    assert_eq!(replies, b"+OK\r\n$1\r\nv\r\n$1\r\ne\r\n");
    close(&env, s, c);
}

/// Path 3 (MULTI): inside EXEC, SET leaves a counted reference to the stored kvobj in its
/// queued argv, so the value has two holders (keyspace, the transaction) until EXEC ends.
#[test]
fn exec_keeps_set_s_kvobj_referenced_by_the_queued_argv_until_it_ends() {
    let out = run(&[
        &[b"MULTI"],
        &[b"SET", b"k", &big(b'a')],
        &[b"OBJECT", b"REFCOUNT", b"k"],
        &[b"EXEC"],
        &[b"OBJECT", b"REFCOUNT", b"k"],
    ]);
    assert_eq!(
        out,
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:2\r\n:1\r\n".to_vec()
    );
}

/// Path 3: a blocking FLUSHALL (no option) inside EXEC is synchronous (`CLIENT_MULTI` and
/// `CLIENT_DENY_BLOCKING` avoid the blocking async flush): nothing reaches BIO.
#[test]
fn flushall_inside_exec_does_not_block() {
    run_full(
        Config::default(),
        None,
        &[
            &[b"SET", b"k", b"v"],
            &[b"MULTI"],
            &[b"FLUSHALL"],
            &[b"EXEC"],
        ],
        |s| assert_eq!(s.bio.pending_objects(), 0),
    );
}

/// Path 4: MOVE of a value a reply references builds a new kvobj in the target (the payload
/// duplicated: two holders remain on the old object, the reply's included, until it is sent);
/// SWAPDB moves keyspaces without touching a count.
#[test]
fn move_duplicates_a_referenced_value_and_swapdb_touches_no_count() {
    run_full(
        Config::default(),
        Some(1),
        &[
            &[b"SET", b"k", &big(b'a')],
            &[b"GET", b"k"],
            &[b"MOVE", b"k", b"1"],
            &[b"SWAPDB", b"1", b"2"],
            &[b"SELECT", b"2"],
            &[b"STRLEN", b"k"],
        ],
        |s| {
            let kv = s.db[2]
                .dict
                .get(&b"k"[..])
                .expect("moved, then swapped")
                .clone();
            assert_eq!(kv.refcount_peek(), 1);
            assert_eq!(kv.encoding(), Encoding::Raw);
            assert!(s.db[0].dict.is_empty() && s.db[1].dict.is_empty());
        },
    );
}

/// Path 6: a hash converts to a dict when a value is longer than 64 bytes; its free effort is
/// then its number of fields, so one of 65 fields goes to BIO when UNLINKed, and a listpack
/// hash of 65 fields (effort 1) does not.
#[test]
fn a_dict_hash_of_65_fields_is_freed_by_bio_and_a_listpack_one_is_not() {
    for (long, bio) in [(true, 1), (false, 0)] {
        let mut hset: Vec<Vec<u8>> = vec![b"HSET".to_vec(), b"h".to_vec()];
        for i in 0..65 {
            hset.push(format!("f{i}").into_bytes());
            hset.push(if long && i == 0 {
                vec![b'x'; 65]
            } else {
                b"v".to_vec()
            });
        }
        let hset: Vec<&[u8]> = hset.iter().map(Vec::as_slice).collect();
        run_full(
            Config::default(),
            None,
            &[&hset, &[b"OBJECT", b"ENCODING", b"h"]],
            |s| {
                let kv = s.db[0].dict.get(&b"h"[..]).expect("stored").clone();
                let want = if long {
                    Encoding::Ht
                } else {
                    Encoding::Listpack
                };
                assert_eq!(kv.encoding(), want);
                assert_eq!(lazyfree_get_free_effort(&kv), if long { 65 } else { 1 });
            },
        );
        let out = run_full(Config::default(), None, &[&hset, &[b"UNLINK", b"h"]], |s| {
            assert_eq!(s.bio.pending_objects(), bio)
        });
        assert_eq!(out, b":65\r\n:1\r\n".to_vec());
    }
}

/// Path 6: hash replies are copies (no client is listed with pending references even with a
/// 64 KiB value and a socket that takes one byte per write), and HDEL of the last field
/// deletes the key (`dbDelete`).
#[test]
fn hash_replies_are_copies() {
    let out = run_full(
        Config::default(),
        Some(1),
        &[
            &[b"HSET", b"h", b"f", &big(b'a')],
            &[b"HGET", b"h", b"f"],
            &[b"HGETALL", b"h"],
            &[b"HDEL", b"h", b"f"],
            &[b"EXISTS", b"h"],
        ],
        |s| assert!(s.clients_with_pending_ref_reply.is_empty()),
    );
    assert!(out.ends_with(b":1\r\n:0\r\n"));
}
