//! Shared by the `refrace serve` tests: start the server binary on a free loopback port, talk
//! to it, stop it with SIGTERM and read its final report; find (or install) the real clients.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `refrace serve`; killed on drop (the tests stop it with [`Served::stop`]).
pub struct Served {
    child: Option<Child>,
    /// Where it listens.
    pub addr: SocketAddr,
    stderr: Option<std::thread::JoinHandle<String>>,
    stdout: Option<BufReader<std::process::ChildStdout>>,
}

/// What a stopped server printed.
pub struct Stopped {
    /// Exit status code.
    pub code: Option<i32>,
    /// Its stdout after the address line (the final report).
    pub report: String,
    /// Its stderr (violation logs).
    pub stderr: String,
}

/// `target/` of this build (for the install lock).
pub fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")
}

/// A client program (`redis-cli`, `redis-benchmark`, `tclsh`), found or installed.
pub fn tool(program: &str, package: &str) -> PathBuf {
    refrace::diff::server::tool(&target_dir(), program, package).unwrap_or_else(|e| panic!("{e}"))
}

impl Served {
    /// `refrace serve --port 0 args…` with `envs`; waits for its address line.
    pub fn start(args: &[&str], envs: &[(&str, &str)]) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_refrace"));
        cmd.args(["serve", "--port", "0"])
            .args(args)
            .env_remove("REFRACE_FAULT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl only affects the child being set up.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().expect("start refrace serve");
        let mut err = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("read the address line");
        let addr = line
            .split_whitespace()
            .find_map(|w| w.parse::<SocketAddr>().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Served {
            child: Some(child),
            addr,
            stderr: Some(stderr),
            stdout: Some(out),
        }
    }

    /// The port.
    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    /// A new connection (5 s timeouts).
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    }

    /// Send `req` on a new connection and read until `n` replies arrived (or the connection
    /// closed); returns the bytes.
    pub fn call_raw(&self, req: &[u8], n: usize) -> Vec<u8> {
        let mut s = self.connect();
        s.write_all(req).expect("send");
        read_replies(&mut s, n)
    }

    /// One command, its reply bytes.
    pub fn call(&self, args: &[&str]) -> Vec<u8> {
        self.call_raw(&encode(args), 1)
    }

    /// Whether it still runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// SIGTERM, then wait (60 s at most) and collect the report.
    pub fn stop(mut self) -> Stopped {
        let child = self.child.take().expect("running");
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        self.wait(child)
    }

    /// Wait for it to exit by itself (SHUTDOWN, --abort-on-violation).
    pub fn wait_exit(mut self) -> Stopped {
        let child = self.child.take().expect("running");
        self.wait(child)
    }

    fn wait(&mut self, mut child: Child) -> Stopped {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait") {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("refrace serve did not stop within 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut report = String::new();
        if let Some(mut o) = self.stdout.take() {
            let _ = o.read_to_string(&mut report);
        }
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        Stopped {
            code: status.code(),
            report,
            stderr,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Stopped {
    /// Exit 0, no violation, clean quiescence (panics with everything it printed otherwise).
    pub fn assert_clean(&self) {
        assert!(
            self.code == Some(0)
                && self.report.contains("violations: 0")
                && self.report.contains("quiescence: clean"),
            "not clean (exit {:?}):\n{}\nstderr:\n{}",
            self.code,
            self.report,
            self.stderr
        );
    }
}

/// A multibulk request.
pub fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Read until `n` complete replies (or EOF / timeout); returns the bytes read.
pub fn read_replies(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        if count_replies(&buf) >= n {
            return buf;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return buf,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
        }
    }
}

/// Complete RESP2 replies at the start of `b`.
pub fn count_replies(mut b: &[u8]) -> usize {
    let mut n = 0;
    while let Ok(Some(k)) = refrace::diff::conn::reply_len(b) {
        n += 1;
        b = &b[k..];
    }
    n
}

/// Run `program args…` with `stdin`, (stdout, stderr, success), within `secs` seconds.
pub fn run_tool(program: &Path, args: &[&str], stdin: &[u8], secs: u64) -> (String, String, bool) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let w = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{} {args:?} did not finish within {secs} s",
                program.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = w.join();
    (
        o.join().unwrap_or_default(),
        e.join().unwrap_or_default(),
        status.success(),
    )
}

/// An `INFO ledger` field.
pub fn ledger_field(srv: &Served, name: &str) -> u64 {
    let info = String::from_utf8_lossy(&srv.call(&["INFO", "ledger"])).into_owned();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {info}"))
}
