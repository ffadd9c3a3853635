//! A real redis-server for the differential lane: started as a child process on 127.0.0.1 on a
//! free port with persistence off, ready once it answers PING, killed when the guard drops (also
//! when a test panics).
//!
//! The binary is `redis-server` on `PATH` (Debian's 7.0 package, which `.ci/run` installs), or
//! the one named by [`SERVER_ENV`]. A missing binary is an error with the install command, never
//! a silent pass.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming another server binary (e.g. a newer Redis built by the user).
pub const SERVER_ENV: &str = "REFRACE_REDIS_SERVER";

/// A running redis-server child; killed and reaped on drop.
pub struct RedisServer {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `redis-server --version` output (first line).
    pub version: String,
}

/// The server binary to start: [`SERVER_ENV`] or `redis-server` found on `PATH`.
pub fn binary() -> Result<PathBuf, String> {
    binary_in(std::env::var_os(SERVER_ENV), std::env::var_os("PATH"))
}

/// [`binary`] given the values of [`SERVER_ENV`] and `PATH`.
pub fn binary_in(env: Option<OsString>, path: Option<OsString>) -> Result<PathBuf, String> {
    if let Some(p) = env {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "{SERVER_ENV}={} is not a file; point it at a redis-server binary",
                p.display()
            ))
        };
    }
    let path = path.unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "redis-server not found on PATH: the differential lane needs a real server \
                 (apt-get install -y redis-server redis-tools), or set {SERVER_ENV} to a \
                 redis-server binary"
            )
        })
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("bind: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Whether a PING on `addr` gets `+PONG` within `timeout`.
fn answers_ping(addr: SocketAddr, timeout: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(timeout));
    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

impl RedisServer {
    /// Start a server: `--port P --bind 127.0.0.1 --save '' --appendonly no
    /// --enable-debug-command yes --daemonize no`, and wait (10 s at most) until it answers PING.
    pub fn start() -> Result<RedisServer, String> {
        let bin = binary()?;
        let version = Command::new(&bin)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut last = String::new();
        // A port picked free can be taken before the server binds it: try a few.
        for _ in 0..5 {
            let port = free_port()?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let mut cmd = Command::new(&bin);
            #[cfg(target_os = "linux")]
            {
                use std::os::unix::process::CommandExt;
                // SAFETY: prctl is async-signal-safe and touches only the child being set up.
                // The server dies with the thread that started it, also when this process is
                // killed (Drop does not run on SIGTERM or a CI timeout).
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                        Ok(())
                    });
                }
            }
            let child = cmd
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--enable-debug-command", "yes", "--daemonize", "no"])
                .args(["--loglevel", "warning", "--logfile", ""])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("starting {}: {e}", bin.display()))?;
            let mut srv = RedisServer {
                child,
                addr,
                version: version.clone(),
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if answers_ping(addr, Duration::from_millis(200)) {
                    return Ok(srv);
                }
                if let Ok(Some(status)) = srv.child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = srv.child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    last = format!("{} exited ({status}): {}", bin.display(), err.trim());
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if last.is_empty() {
                last = format!(
                    "{} did not answer PING on {addr} within 10 s",
                    bin.display()
                );
            }
        }
        Err(last)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
