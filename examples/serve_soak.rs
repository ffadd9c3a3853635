//! The long runs of `refrace serve` (not part of `cargo test`): the throughput cost of the
//! oracle against a real redis-server, a soak with clients killed mid-reply, and how often the
//! #14738 fault shows on real threads.
//!
//! ```text
//! cargo build --release && cargo run --release --example serve_soak -- [--secs 60]
//!     [--io-threads 4] [--fault-runs 5] [--fault-secs 60] [--skip-compare] [--out FILE]
//! ```
//!
//! 1. **Throughput, side by side**: the same `redis-benchmark` runs (50 clients, pipelining 16,
//!    64 KiB values: SET, GET, MGET of 3 keys, LPUSH, LRANGE 0 9) against `refrace serve
//!    --io-threads N` and against `redis-server --io-threads N` (persistence off), one after
//!    the other on this machine; requests/s of each and their ratio.
//! 2. **Soak** for `--secs`: rounds of SET and GET benchmarks run at the same time on a few
//!    64 KiB keys (so values are overwritten while replies reference them), MGET, LPUSH +
//!    LRANGE, a FLUSHALL ASYNC per round, and a killer thread that sends pipelined GETs of a
//!    big value and closes after reading a few bytes (a client killed mid-reply). Peak RSS is
//!    the server's `VmHWM`; the ledger's final report is what the server prints at SIGTERM.
//! 3. **#14738 on real threads**: `--fault-runs` soaks of `--fault-secs` each with
//!    `REFRACE_FAULT=defer-shared-free`; per run, whether (and when) the ledger reported a
//!    violation, and which.
//!
//! Budgets by environment: a developer machine runs the defaults (about 60 + 5 x 60 s plus the
//! comparison, ~8 minutes on 2 cores); `--secs 10 --fault-runs 2 --fault-secs 10` is a quick
//! look. Writes the markdown summary to stdout and to `--out` (default
//! `target/refrace/serve/soak.md`).

use refrace::diff::server::{binary, tool};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Opts {
    secs: u64,
    io: usize,
    fault_runs: usize,
    fault_secs: u64,
    compare: bool,
    out: PathBuf,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        secs: 60,
        io: 4,
        fault_runs: 5,
        fault_secs: 60,
        compare: true,
        out: PathBuf::from("target/refrace/serve/soak.md"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--secs" => o.secs = val()?.parse().map_err(|e| format!("--secs: {e}"))?,
            "--io-threads" => o.io = val()?.parse().map_err(|e| format!("--io-threads: {e}"))?,
            "--fault-runs" => {
                o.fault_runs = val()?.parse().map_err(|e| format!("--fault-runs: {e}"))?
            }
            "--fault-secs" => {
                o.fault_secs = val()?.parse().map_err(|e| format!("--fault-secs: {e}"))?
            }
            "--skip-compare" => o.compare = false,
            "--out" => o.out = PathBuf::from(val()?),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    Ok(o)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(6390)
}

/// A server child process.
struct Server {
    child: Child,
    port: u16,
    out: Option<BufReader<std::process::ChildStdout>>,
    err: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    fn refrace(io: usize, fault: Option<&str>) -> Server {
        let exe = std::env::current_exe().expect("current exe");
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .map(|d| d.join("refrace"))
            .expect("target dir");
        let mut cmd = Command::new(&bin);
        cmd.args(["serve", "--port", "0", "--io-threads", &io.to_string()])
            .env("REFRACE_FAULT", fault.unwrap_or("none"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e} (cargo build --release first)", bin.display()));
        let mut err = child.stderr.take().expect("stderr");
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("address line");
        let port = line
            .split_whitespace()
            .find_map(|w| w.parse::<SocketAddr>().ok())
            .map(|a| a.port())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server {
            child,
            port,
            out: Some(out),
            err: Some(err),
        }
    }

    fn redis(io: usize) -> Server {
        let bin = binary(Path::new("target")).unwrap_or_else(|e| panic!("{e}"));
        let port = free_port();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--io-threads",
                &io.to_string(),
            ])
            .args(["--loglevel", "warning", "--logfile", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let s = Server {
            child,
            port,
            out: None,
            err: None,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while call(port, &["PING"]).is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }

    /// SIGTERM; (exit code, stdout report, stderr).
    fn stop(mut self) -> (Option<i32>, String, String) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                break st.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut report = String::new();
        if let Some(mut o) = self.out.take() {
            let _ = o.read_to_string(&mut report);
        }
        let err = self
            .err
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        (status, report, err)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

/// One command on a new connection; the reply's bytes (None when the server is not there).
fn call(port: u16, args: &[&str]) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(&encode(args)).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if matches!(refrace::diff::conn::reply_len(&buf), Ok(Some(_))) {
                    break;
                }
            }
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn ledger_violations(port: u16) -> Option<u64> {
    call(port, &["INFO", "ledger"])?
        .lines()
        .find_map(|l| l.strip_prefix("ledger_violations:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `redis-benchmark -p port <common> <args>`: requests per second of its last result line.
fn bench(port: u16, args: &[&str]) -> f64 {
    let b = tool(Path::new("target"), "redis-benchmark", "redis-tools")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(b)
        .args([
            "-p",
            &port.to_string(),
            "-q",
            "-c",
            "50",
            "-P",
            "16",
            "-d",
            "65536",
        ])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run redis-benchmark");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "\n");
    text.lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(": ")?;
            rest.split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
                .filter(|_| l.contains("requests per second"))
        })
        .next_back()
        .unwrap_or(0.0)
}

const WORKLOAD: [(&str, &[&str]); 5] = [
    ("SET", &["-n", "20000", "-r", "100", "-t", "set"]),
    ("GET", &["-n", "20000", "-r", "100", "-t", "get"]),
    (
        "MGET (3 keys)",
        &[
            "-n",
            "10000",
            "-r",
            "100",
            "MGET",
            "key:__rand_int__",
            "key:__rand_int__",
            "key:__rand_int__",
        ],
    ),
    ("LPUSH", &["-n", "5000", "-t", "lpush"]),
    ("LRANGE 0 9", &["-n", "2000", "LRANGE", "mylist", "0", "9"]),
];

fn compare(io: usize, md: &mut String) {
    md.push_str(&format!(
        "## Throughput, side by side (io-threads {io}; redis-benchmark -c 50 -P 16 -d 65536)\n\n| test | refrace serve (req/s) | redis-server (req/s) | ratio |\n|---|---:|---:|---:|\n"
    ));
    let r = Server::refrace(io, None);
    let ours: Vec<f64> = WORKLOAD.iter().map(|(_, a)| bench(r.port, a)).collect();
    let rss = r.peak_rss_kib();
    let (code, report, _) = r.stop();
    let s = Server::redis(io);
    let theirs: Vec<f64> = WORKLOAD.iter().map(|(_, a)| bench(s.port, a)).collect();
    let rss_redis = s.peak_rss_kib();
    drop(s);
    for (i, (name, _)) in WORKLOAD.iter().enumerate() {
        let ratio = if theirs[i] > 0.0 {
            ours[i] / theirs[i]
        } else {
            0.0
        };
        md.push_str(&format!(
            "| {name} | {:.0} | {:.0} | {ratio:.3} |\n",
            ours[i], theirs[i]
        ));
    }
    md.push_str(&format!(
        "\nPeak RSS: refrace serve {} MiB, redis-server {} MiB. refrace serve exit {code:?}:\n\n```\n{report}```\n\n",
        rss / 1024,
        rss_redis / 1024
    ));
}

/// A client killed mid-reply, over and over until `stop`: pipelined GETs of a big value, a
/// few bytes read, then the socket dropped with the rest unread.
fn killer(port: u16, stop: Arc<AtomicBool>, kills: Arc<AtomicU64>) {
    let req = encode(&["GET", "big"]).repeat(16);
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            if s.write_all(&req).is_ok() {
                let mut some = [0u8; 4096];
                let _ = s.read(&mut some);
                kills.fetch_add(1, Ordering::Relaxed);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One soak: (violations seen, seconds to the first, rounds, kills, peak RSS KiB, exit, report, stderr).
fn soak(
    io: usize,
    secs: u64,
    fault: Option<&str>,
) -> (u64, Option<f64>, u64, u64, u64, Option<i32>, String, String) {
    let srv = Server::refrace(io, fault);
    let port = srv.port;
    let big = "v".repeat(200_000);
    let _ = call(port, &["SET", "big", &big]);
    let stop = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicU64::new(0));
    let k = {
        let (stop, kills) = (stop.clone(), kills.clone());
        std::thread::spawn(move || killer(port, stop, kills))
    };
    let start = Instant::now();
    let mut first: Option<f64> = None;
    let mut rounds = 0;
    while start.elapsed() < Duration::from_secs(secs) {
        rounds += 1;
        // SET and GET at the same time on 10 keys: overwrites while replies reference values.
        let set = std::thread::spawn(move || bench(port, &["-n", "4000", "-r", "10", "-t", "set"]));
        bench(port, &["-n", "4000", "-r", "10", "-t", "get"]);
        let _ = set.join();
        bench(
            port,
            &[
                "-n",
                "1000",
                "-r",
                "10",
                "MGET",
                "key:__rand_int__",
                "key:__rand_int__",
            ],
        );
        bench(port, &["-n", "500", "-t", "lpush"]);
        bench(port, &["-n", "200", "LRANGE", "mylist", "0", "9"]);
        let _ = call(port, &["DEL", "mylist"]);
        let _ = call(port, &["FLUSHALL", "ASYNC"]);
        let _ = call(port, &["SET", "big", &big]);
        if first.is_none() && ledger_violations(port).unwrap_or(0) > 0 {
            first = Some(start.elapsed().as_secs_f64());
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = k.join();
    let v = ledger_violations(port).unwrap_or(0);
    if first.is_none() && v > 0 {
        first = Some(start.elapsed().as_secs_f64());
    }
    let rss = srv.peak_rss_kib();
    let (code, report, err) = srv.stop();
    (
        v,
        first,
        rounds,
        kills.load(Ordering::Relaxed),
        rss,
        code,
        report,
        err,
    )
}

fn invariant_names(err: &str) -> Vec<String> {
    let mut v: Vec<String> = err
        .lines()
        .filter_map(|l| l.strip_prefix("INVARIANT "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("serve_soak: {e}");
            std::process::exit(2);
        }
    };
    let mut md = String::from("# refrace serve: throughput, soak, #14738 on real threads\n\n");
    if o.compare {
        compare(o.io, &mut md);
        print!("{md}");
    }
    let (v, _first, rounds, kills, rss, code, report, err) = soak(o.io, o.secs, None);
    md.push_str(&format!(
        "## Soak: {} s, io-threads {}, fixed model\n\n{rounds} rounds, {kills} clients killed mid-reply, peak RSS {} MiB, violations {v}, exit {code:?}.\n\nThe ledger's final report:\n\n```\n{report}```\n\n",
        o.secs,
        o.io,
        rss / 1024
    ));
    if !err.trim().is_empty() {
        md.push_str(&format!(
            "stderr:\n\n```\n{}\n```\n\n",
            err.chars().take(4000).collect::<String>()
        ));
    }
    print!("{md}");
    if o.fault_runs > 0 {
        md.push_str(&format!(
            "## #14738 on real threads: REFRACE_FAULT=defer-shared-free, {} run(s) of {} s, io-threads {}\n\n| run | violations | first after (s) | invariants | rounds | exit |\n|---:|---:|---:|---|---:|---:|\n",
            o.fault_runs, o.fault_secs, o.io
        ));
        let mut shown = 0;
        let mut excerpt = String::new();
        for run in 1..=o.fault_runs {
            let (v, first, rounds, _, _, code, _, err) =
                soak(o.io, o.fault_secs, Some("defer-shared-free"));
            if v > 0 {
                shown += 1;
            }
            if excerpt.is_empty() {
                if let Some(i) = err.find("refrace serve: violation") {
                    excerpt = err[i..].lines().take(24).collect::<Vec<_>>().join("\n");
                }
            }
            md.push_str(&format!(
                "| {run} | {v} | {} | {} | {rounds} | {code:?} |\n",
                first.map_or("-".into(), |f| format!("{f:.1}")),
                invariant_names(&err).join(", ")
            ));
        }
        md.push_str(&format!(
            "\n{shown} of {} runs reported the violation.\n",
            o.fault_runs
        ));
        if !excerpt.is_empty() {
            md.push_str(&format!(
                "\nThe first report, as the server logged it:\n\n```\n{excerpt}\n```\n"
            ));
        }
    }
    if let Some(d) = o.out.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let _ = std::fs::write(&o.out, &md);
    println!(
        "{}",
        md.rsplit("## ")
            .next()
            .map(|s| format!("## {s}"))
            .unwrap_or_default()
    );
}
