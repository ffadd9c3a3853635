//! `refrace serve` driven by real clients on loopback (the fast lane: seconds in total):
//! `redis-cli` sessions, the `redis` crate, a short `redis-benchmark` with IO threads, bad input
//! on the socket, a violation caught live, SHUTDOWN and SIGTERM with the ledger's final report.
//! The long runs (soak, Redis's Tcl units) are in `tests/serve_long.rs` (`--ignored`).

mod serve_support;

use serve_support::{encode, ledger_field, read_replies, run_tool, tool, Served};
use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::Duration;

fn pong(srv: &Served) {
    assert_eq!(
        srv.call(&["PING"]),
        b"+PONG\r\n",
        "the server stopped serving"
    );
}

#[test]
fn redis_cli_scripted_session_then_shutdown() {
    let cli = tool("redis-cli", "redis-tools");
    for io in ["1", "3"] {
        let srv = Served::start(&["--io-threads", io], &[]);
        let script = "SELECT 9\nSET k hello\nGET k\nINCR n\nINCRBY n 41\nRPUSH l a b c\nLRANGE l 0 -1\nMGET k n nope\nDEL k\nGET k\nEXPIRE n 100\nTTL n\nFLUSHALL ASYNC\nDBSIZE\n";
        let (out, err, ok) = run_tool(&cli, &["-p", &srv.port()], script.as_bytes(), 30);
        assert!(ok, "redis-cli failed: {err}");
        assert_eq!(
            out, "OK\nOK\nhello\n1\n42\n3\na\nb\nc\nhello\n42\n\n1\n\n1\n100\nOK\n0\n",
            "io-threads {io}"
        );
        let (info, _, _) = run_tool(&cli, &["-p", &srv.port(), "INFO", "ledger"], b"", 30);
        assert!(
            info.contains("# Ledger") && info.contains("ledger_violations:0"),
            "{info}"
        );
        let (dbg, _, _) = run_tool(&cli, &["-p", &srv.port(), "DEBUG", "LEDGER"], b"", 30);
        assert!(dbg.contains("Latest violations (0 of 0)"), "{dbg}");
        let (_, _, _) = run_tool(&cli, &["-p", &srv.port(), "SHUTDOWN"], b"", 30);
        let st = srv.wait_exit();
        st.assert_clean();
        assert!(st.report.contains("stopped (SHUTDOWN)"), "{}", st.report);
    }
}

#[test]
fn redis_crate_client_with_big_values_and_pipelining() {
    let srv = Served::start(&["--io-threads", "4"], &[]);
    let client = redis::Client::open(format!("redis://{}/", srv.addr)).expect("client");
    let mut con = client.get_connection().expect("connect");
    let big: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&big)
        .query(&mut con)
        .unwrap();
    for _ in 0..20 {
        let got: Vec<u8> = redis::cmd("GET").arg("big").query(&mut con).unwrap();
        assert_eq!(got, big);
    }
    let mut p = redis::pipe();
    for i in 0..200 {
        p.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
        p.cmd("GET").arg("big");
    }
    let gets: Vec<Vec<u8>> = p.query(&mut con).unwrap();
    assert!(gets.len() == 200 && gets.iter().all(|g| *g == big));
    let vals: Vec<Option<i64>> = redis::cmd("MGET")
        .arg("k0")
        .arg("k199")
        .arg("none")
        .query(&mut con)
        .unwrap();
    assert_eq!(vals, vec![Some(0), Some(199), None]);
    let n: i64 = redis::cmd("LPUSH")
        .arg("l")
        .arg(&big)
        .arg("x")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 2);
    let l: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(l, vec![b"x".to_vec(), big.clone()]);
    assert!(
        ledger_field(&srv, "reply_refs_taken") > 0,
        "copy avoidance never engaged"
    );
    drop(con);
    srv.stop().assert_clean();
}

#[test]
fn redis_benchmark_64k_values_pipelined_with_io_threads() {
    let bench = tool("redis-benchmark", "redis-tools");
    let srv = Served::start(&["--io-threads", "4"], &[]);
    let p = srv.port();
    let common = ["-p", &p, "-q", "-c", "50", "-P", "16", "-d", "65536"];
    let runs: Vec<Vec<&str>> = vec![
        vec!["-n", "4000", "-r", "20", "-t", "set,get"],
        vec!["-n", "1000", "-t", "lpush"],
        vec![
            "-n",
            "1000",
            "-r",
            "20",
            "MGET",
            "key:__rand_int__",
            "key:__rand_int__",
            "key:__rand_int__",
        ],
        vec!["-n", "200", "LRANGE", "mylist", "0", "9"],
    ];
    for r in runs {
        let args: Vec<&str> = common.iter().copied().chain(r.iter().copied()).collect();
        let (out, err, ok) = run_tool(&bench, &args, b"", 120);
        assert!(
            ok && out.contains("requests per second"),
            "{args:?}: {out} {err}"
        );
    }
    assert!(ledger_field(&srv, "reply_refs_taken") > 0);
    assert_eq!(ledger_field(&srv, "ledger_violations"), 0);
    srv.stop().assert_clean();
}

/// The reply the model gives `bytes` as one client (what a socket must get too).
fn model_reply(bytes: &[u8]) -> Vec<u8> {
    refrace_sims::world::serve_stream(refrace_model::Config::default(), bytes).replies
}

#[test]
fn bad_input_gets_protocol_errors_and_others_are_served() {
    let srv = Served::start(&["--io-threads", "3"], &[]);
    // A bulk length of 1 GB (over proto-max-bulk-len): Redis's error, then the close.
    let big = b"*2\r\n$3\r\nGET\r\n$1073741824\r\n";
    let got = srv.call_raw(big, 2);
    assert_eq!(got, b"-ERR Protocol error: invalid bulk length\r\n");
    assert_eq!(got, model_reply(big));
    // Multibulk garbage, and an inline request over 64 KiB without a newline.
    for req in [
        b"*abc\r\n".to_vec(),
        b"*3\r\n$3\r\nSET\r\n$x\r\n".to_vec(),
        vec![b'a'; 70 * 1024],
        b"*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n".to_vec(),
    ] {
        let got = srv.call_raw(&req, 3);
        assert!(
            got.windows(20).any(|w| w == b"ERR Protocol error: "),
            "{got:?}"
        );
        assert_eq!(got, model_reply(&req));
    }
    // Random bytes (fixed seeds): whatever the model answers, the socket gets, then others go on.
    let mut x: u64 = 0x5eed;
    for _ in 0..8 {
        let req: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let mut s = srv.connect();
        s.write_all(&req).expect("send");
        let _ = s.shutdown(Shutdown::Write);
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        assert_eq!(got, model_reply(&req));
        pong(&srv);
    }
    // Half a frame, then close; closing in the middle of a pipeline.
    let mut s = srv.connect();
    s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhal")
        .unwrap();
    drop(s);
    let mut s = srv.connect();
    s.write_all(b"PING\r\nPING\r\n*2\r\n$3\r\nGET").unwrap();
    let _ = s.shutdown(Shutdown::Write);
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert_eq!(got, b"+PONG\r\n+PONG\r\n");
    assert_eq!(srv.call(&["EXISTS", "k"]), b":0\r\n");
    // A client that sends a big GET reply's request and disconnects before reading it.
    srv.call(&["SET", "v", &"x".repeat(200_000)]);
    for _ in 0..20 {
        let mut s = srv.connect();
        s.write_all(&encode(&["GET", "v"]).repeat(8)).unwrap();
        let mut some = [0u8; 1000];
        let _ = s.read(&mut some);
        drop(s);
    }
    pong(&srv);
    srv.stop().assert_clean();
}

#[test]
fn a_violation_is_logged_counted_and_others_are_served() {
    // keep-sent-ref (redis#14608's missing `ref.obj = NULL`): freeClient releases a sent
    // reference a second time, deterministically, on main (the model's `get_del_then_close`).
    let srv = Served::start(&[], &[("REFRACE_FAULT", "keep-sent-ref")]);
    srv.call(&["SET", "v", &"y".repeat(20_000)]);
    let mut s = srv.connect();
    s.write_all(&encode(&["GET", "v"])).unwrap();
    let got = read_replies(&mut s, 1);
    assert_eq!(got.len(), 20_000 + 10);
    drop(s);
    // The closed client released its sent reference a second time: the ledger names that release
    // itself (COUNT_CONSERVATION: on behalf of a reply that holds nothing; it freed the value
    // under the keyspace); DEL's release is then a decrRefCount of a freed object:
    // REFCOUNT_UNDERFLOW on main, during DEL (that client is closed without a reply).
    std::thread::sleep(Duration::from_millis(100));
    let _ = srv.call(&["DEL", "v"]);
    let mut n = 0;
    for _ in 0..100 {
        n = ledger_field(&srv, "ledger_violations");
        if n > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(n >= 1, "the double release was not reported");
    pong(&srv);
    let dbg = String::from_utf8_lossy(&srv.call(&["DEBUG", "LEDGER"])).into_owned();
    assert!(dbg.contains("INVARIANT REFCOUNT_UNDERFLOW"), "{dbg}");
    let st = srv.stop();
    assert_eq!(st.code, Some(1), "{}", st.report);
    assert!(
        st.stderr.contains("INVARIANT REFCOUNT_UNDERFLOW"),
        "{}",
        st.stderr
    );
    assert!(st.stderr.contains("holders:") && st.stderr.contains("last events:"));

    // --abort-on-violation: the first one stops the server, exit 1 with the report.
    let srv = Served::start(
        &["--abort-on-violation"],
        &[("REFRACE_FAULT", "keep-sent-ref")],
    );
    srv.call(&["SET", "v", &"y".repeat(20_000)]);
    let mut s = srv.connect();
    s.write_all(&encode(&["GET", "v"])).unwrap();
    let _ = read_replies(&mut s, 1);
    drop(s);
    // The first violation is the close's second release (COUNT_CONSERVATION, see above): the
    // server stops there, before any DEL.
    let st = srv.wait_exit();
    assert_eq!(st.code, Some(1));
    assert!(st.report.contains("stopped (violation"), "{}", st.report);
    assert!(
        st.report.contains("INVARIANT COUNT_CONSERVATION")
            && st.report.contains("on behalf of reply(client"),
        "{}",
        st.report
    );
}

#[test]
fn bad_command_line_is_one_line_and_status_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refrace"))
        .args(["serve", "--port", "0", "--maxmemory", "1gb"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("refrace: unknown config 'maxmemory'"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// One unit's results.
#[derive(Default)]
struct UnitResult {
    ok: usize,
    skipped: usize,
    failed: Vec<String>,
}

/// The runner's result lines (ANSI colours stripped): `[ok]: NAME (N ms)`, `[err]: NAME in
/// tests/unit/…`, `[exception]: …`, `[skip]: NAME`, `[ignore]: NAME`.
fn parse_tcl(out: &str) -> UnitResult {
    let mut r = UnitResult::default();
    for raw in out.lines() {
        let mut line = String::new();
        let mut chars = raw.chars().peekable();
        while let Some(ch) = chars.next() {
            if ch == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                line.push(ch);
            }
        }
        if let Some(rest) = line.strip_prefix("[ok]: ") {
            let _ = rest;
            r.ok += 1;
        } else if line.starts_with("[skip]: ") || line.starts_with("[ignore]: ") {
            r.skipped += 1;
        } else if let Some(rest) = line.strip_prefix("[err]: ") {
            let name = rest.rsplit_once(" in tests/").map_or(rest, |(n, _)| n);
            r.failed.push(name.to_string());
        } else if let Some(rest) = line.strip_prefix("[exception]: ") {
            r.failed.push(format!("(exception) {rest}"));
        }
    }
    r
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Redis's own Tcl units (7.0.15, vendored in tests/redis-tests/) in external-server mode
/// against `refrace serve --io-threads 4`: every failure must be listed, with its reason, in
/// tests/redis-tests/known-failures.tsv, and the ledger must end clean. Writes the table to
/// target/refrace/serve/tcl-results.md.
#[test]
fn redis_tcl_units() {
    const UNITS: [&str; 3] = ["unit/type/string", "unit/type/incr", "unit/protocol"];
    let tclsh = tool("tclsh", "tcl");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("tests/redis-tests");
    let work = root
        .join("target/tmp")
        .join(format!("redis-tests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&src, &work);
    std::fs::create_dir_all(work.join("tests/tmp")).unwrap();
    let known: Vec<(String, String, String)> =
        std::fs::read_to_string(src.join("known-failures.tsv"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.splitn(3, '\t').collect();
                assert_eq!(f.len(), 3, "bad line in known-failures.tsv: {l}");
                (f[0].to_string(), f[1].to_string(), f[2].to_string())
            })
            .collect();
    let srv = Served::start(&["--io-threads", "4"], &[]);
    let mut table = String::from("| unit | passed | failed | skipped |\n|---|---:|---:|---:|\n");
    let mut problems = Vec::new();
    let mut failures = String::new();
    for unit in UNITS {
        let out = std::process::Command::new(&tclsh)
            .current_dir(&work)
            .args([
                "tests/test_helper.tcl",
                "--host",
                "127.0.0.1",
                "--port",
                &srv.port(),
            ])
            .args(["--single", unit, "--clients", "1", "--durable"])
            // The runner's own socket starts at baseport − 32 (21079 by default); a free
            // ephemeral port there keeps two runs on one machine from colliding.
            .args(["--baseport", &(free_port() + 32).to_string()])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run tclsh");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let r = parse_tcl(&text);
        if r.ok + r.failed.len() == 0 {
            problems.push(format!(
                "{unit}: the runner reported no test:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        table.push_str(&format!(
            "| {unit} | {} | {} | {} |\n",
            r.ok,
            r.failed.len(),
            r.skipped
        ));
        for name in &r.failed {
            match known.iter().find(|(u, n, _)| u == unit && n == name) {
                Some((_, _, why)) => failures.push_str(&format!("| {unit} | {name} | {why} |\n")),
                None => problems.push(format!(
                    "{unit}: `{name}` failed and is not in known-failures.tsv"
                )),
            }
        }
        for (u, n, _) in known.iter().filter(|(u, _, _)| u == unit) {
            if !r.failed.contains(n) {
                problems.push(format!(
                    "{u}: `{n}` is listed in known-failures.tsv but did not fail (remove its line)"
                ));
            }
        }
    }
    let st = srv.stop();
    let _ = std::fs::remove_dir_all(&work);
    let report = format!(
        "{table}\nFailures, each with its reason (tests/redis-tests/known-failures.tsv):\n\n| unit | test | reason |\n|---|---|---|\n{failures}\nServer at shutdown:\n\n```\n{}```\n",
        st.report
    );
    let dir = root.join("target/refrace/serve");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tcl-results.md"), &report).unwrap();
    println!("{table}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    st.assert_clean();
}

/// A port nothing listens on now (the kernel's choice for port 0).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}
