//! The differential lane for maxmemory (part of `cargo test --release`): fixed request streams
//! that set `maxmemory` to 1 byte, sent to a real redis-server and to the model, every reply
//! compared byte for byte. What can be compared exactly: the OOM error and which commands get
//! it (`CMD_DENYOOM`, after the arity check), eviction of every evictable key (all keys under
//! `allkeys-*`, exactly the keys with an expire under `volatile-*`), MEMORY USAGE's error
//! paths, MEMORY DOCTOR's report below 5 MB and MEMORY PURGE. What cannot: how many keys one
//! eviction round takes and so the order under a limit between "everything" and "nothing"
//! (each server counts its own bytes: the model's allocations are not Redis's), and every
//! number INFO, MEMORY USAGE and MEMORY STATS give (allow-listed in the generated lane).

use refrace::diff::conn::Conn;
use refrace::diff::model::ModelSide;
use refrace::diff::server::RedisServer;
use refrace_gen::encode_multibulk;
use std::path::Path;

fn start() -> Result<RedisServer, String> {
    let bin = refrace::diff::server::binary(Path::new(env!("CARGO_TARGET_TMPDIR")))?;
    RedisServer::start(&bin)
}

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

/// Send `lines` to both sides; every reply must be byte-identical. Returns how many compared.
fn compare(srv: &RedisServer, lines: &[&str]) -> usize {
    let mut conn = Conn::connect(&srv.addr.to_string()).expect("connect");
    for setup in [
        "FLUSHALL SYNC",
        "CONFIG SET maxmemory 0 maxmemory-policy noeviction maxmemory-samples 5",
    ] {
        let argv = words(setup);
        let refs: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
        assert_eq!(conn.call(&refs).expect("setup"), b"+OK\r\n", "{setup}");
    }
    let mut model = ModelSide::new();
    for (i, line) in lines.iter().enumerate() {
        let argv = words(line);
        let refs: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
        let real = conn.call(&refs).expect("real server");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis() as i64;
        let got = model.request(&encode_multibulk(&argv), now).bytes;
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&real),
            "request {i}: {line}"
        );
    }
    let argv = words("CONFIG SET maxmemory 0 maxmemory-policy noeviction");
    let refs: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
    conn.call(&refs).expect("restore");
    model.finish();
    lines.len()
}

#[test]
fn oom_errors_and_eviction_to_empty_match_a_real_server() -> Result<(), String> {
    let srv = start()?;
    // noeviction: every DENYOOM command of the model's table is refused, after its arity
    // check; reads, deletes, expires, CONFIG and MEMORY are not.
    let n = compare(
        &srv,
        &[
            "SET a 1",
            "SET b hello",
            "LPUSH l x",
            "CONFIG SET maxmemory 1",
            "SET c 1",
            "SET c",
            "GET a",
            "APPEND a x",
            "INCR a",
            "DECR a",
            "INCRBY a 2",
            "DECRBY a 2",
            "LPUSH l y",
            "RPUSH l y",
            "MSET x 1",
            "MSETNX q 1",
            "GETSET a 2",
            "SETRANGE a 0 x",
            "SETNX z 1",
            "SETEX z 10 v",
            "PSETEX z 10 v",
            "STRLEN b",
            "EXISTS a b l",
            "MGET a b",
            "LRANGE l 0 -1",
            "LLEN l",
            "EXPIRE b 100",
            "TTL b",
            "PERSIST b",
            "GETEX b",
            "GETDEL b",
            "LPOP l",
            "RENAME a a2",
            "DEL a2",
            "CONFIG GET maxmemory",
            "MEMORY USAGE nosuch",
            "MEMORY USAGE l SAMPLES x",
            "MEMORY USAGE l FOO",
            "MEMORY USAGE l SAMPLES -1",
            "MEMORY DOCTOR",
            "MEMORY PURGE",
            "DBSIZE",
            "CONFIG SET maxmemory 0",
            "SET c 1",
            "DBSIZE",
        ],
    );
    eprintln!("noeviction: {n} replies identical");
    // allkeys-*: every key is evicted, then the write is refused.
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let set = format!("CONFIG SET maxmemory-policy {policy}");
        let n = compare(
            &srv,
            &[
                &set,
                "SET a 1",
                "SET b 2",
                "RPUSH l x y",
                "SET v 3 EX 100",
                "CONFIG SET maxmemory 1",
                "SET c 1",
                "DBSIZE",
                "GET a",
                "CONFIG SET maxmemory 0",
                "SET c 1",
                "DBSIZE",
            ],
        );
        eprintln!("{policy}: {n} replies identical");
    }
    // volatile-*: exactly the keys with an expire go; the others stay and the write is refused.
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let set = format!("CONFIG SET maxmemory-policy {policy}");
        let n = compare(
            &srv,
            &[
                &set,
                "SET p 1",
                "SET v1 a EX 100",
                "SET v2 b EX 50",
                "RPUSH l x",
                "CONFIG SET maxmemory 1",
                "SET c 1",
                "EXISTS p v1 v2 l",
                "DBSIZE",
                "TTL v2",
                "CONFIG SET maxmemory 0",
                "SET c 1",
                "DBSIZE",
            ],
        );
        eprintln!("{policy}: {n} replies identical");
    }
    Ok(())
}
