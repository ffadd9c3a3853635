//! A real redis-server for the differential lane: started as a child process on 127.0.0.1 on a
//! free port with persistence off, ready once it answers PING, killed when the guard drops (also
//! when a test panics).
//!
//! The binary ([`Finder`]) is the one named by [`SERVER_ENV`], else `redis-server` on `PATH`,
//! else Debian's package, installed on the spot (`apt-get update`, `apt-get install -y
//! redis-server redis-tools`, through `sudo -n` when not root) unless [`NO_INSTALL_ENV`] is set.
//! Concurrent installers (test threads, test binaries) take turns on a lock file. A server that
//! cannot be found or installed is an error that says how to get one, never a silent pass.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Environment variable naming another server binary (e.g. a newer Redis built by the user).
pub const SERVER_ENV: &str = "REFRACE_REDIS_SERVER";

/// Environment variable that forbids installing the server package (any value but `0` or empty).
pub const NO_INSTALL_ENV: &str = "REFRACE_NO_INSTALL";

/// The packages installed when no server is found.
pub const PACKAGES: [&str; 2] = ["redis-server", "redis-tools"];

/// What to do instead, appended to every "no server" error.
const HOW: &str = "install it (sudo apt-get install -y redis-server redis-tools) or set \
                   REFRACE_REDIS_SERVER=/path/to/redis-server";

/// A running redis-server child; killed and reaped on drop.
pub struct RedisServer {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `redis-server --version` output (first line).
    pub version: String,
}

/// Where the binary is looked for, and whether it may be installed.
#[derive(Clone, Debug)]
pub struct Finder {
    /// Value of [`SERVER_ENV`].
    pub env: Option<OsString>,
    /// Value of `PATH` (for `redis-server`, `apt-get` and `sudo`).
    pub path: Option<OsString>,
    /// [`NO_INSTALL_ENV`] is set.
    pub no_install: bool,
}

/// A program called `name` in one of `path`'s directories.
fn on_path(path: Option<&OsStr>, name: &str) -> Option<PathBuf> {
    std::env::split_paths(path.unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Finder {
    /// From this process's environment.
    pub fn from_env() -> Finder {
        Finder {
            env: std::env::var_os(SERVER_ENV),
            path: std::env::var_os("PATH"),
            no_install: std::env::var_os(NO_INSTALL_ENV).is_some_and(|v| !v.is_empty() && v != "0"),
        }
    }

    /// The binary without installing anything: `Ok(None)` when there is none on `PATH`; an
    /// error when [`SERVER_ENV`] names something that is not a file.
    pub fn find(&self) -> Result<Option<PathBuf>, String> {
        if let Some(p) = &self.env {
            let p = PathBuf::from(p);
            return if p.is_file() {
                Ok(Some(p))
            } else {
                Err(format!(
                    "{SERVER_ENV}={} is not a file; point it at a redis-server binary (or unset \
                     it to use, or install, Debian's redis-server)",
                    p.display()
                ))
            };
        }
        Ok(on_path(self.path.as_deref(), "redis-server"))
    }

    /// The binary, installing Debian's package when there is none (see the module docs). The
    /// lock file `redis-install.lock` goes in `lock_dir` (the build's `target/` directory).
    pub fn find_or_install(&self, lock_dir: &Path) -> Result<PathBuf, String> {
        if let Some(p) = self.find()? {
            return Ok(p);
        }
        if self.no_install {
            return Err(format!(
                "redis-server is not on PATH and {NO_INSTALL_ENV} forbids installing it: {HOW}"
            ));
        }
        self.install(lock_dir).map_err(|e| {
            format!(
                "redis-server is not on PATH and installing it failed: {e}; {HOW} \
                 ({NO_INSTALL_ENV}=1 skips the attempt)"
            )
        })?;
        self.find()?
            .or_else(|| Some(PathBuf::from("/usr/bin/redis-server")).filter(|p| p.is_file()))
            .ok_or_else(|| {
                format!(
                    "installed {} but redis-server is still not on PATH; {HOW}",
                    PACKAGES.join(" ")
                )
            })
    }

    /// `apt-get update` and `apt-get install -y` [`PACKAGES`], one installer at a time.
    fn install(&self, lock_dir: &Path) -> Result<(), String> {
        self.install_packages(lock_dir, &PACKAGES, "redis-server", &|| {
            self.find().ok().flatten().is_some()
        })
    }

    /// Another program the tests drive (`redis-cli`, `redis-benchmark` from `redis-tools`,
    /// `tclsh` from `tcl`): on `PATH`, else Debian's `package` installed as for the server
    /// (same lock, same `sudo -n`, same [`NO_INSTALL_ENV`] opt-out), else an error that says how
    /// to get it.
    pub fn find_or_install_tool(
        &self,
        lock_dir: &Path,
        program: &str,
        package: &str,
    ) -> Result<PathBuf, String> {
        let found = || {
            on_path(self.path.as_deref(), program)
                .or_else(|| Some(PathBuf::from("/usr/bin").join(program)).filter(|p| p.is_file()))
        };
        if let Some(p) = found() {
            return Ok(p);
        }
        let how = format!("install it (sudo apt-get install -y {package})");
        if self.no_install {
            return Err(format!(
                "{program} is not on PATH and {NO_INSTALL_ENV} forbids installing it: {how}"
            ));
        }
        self.install_packages(lock_dir, &[package], program, &|| found().is_some())
            .map_err(|e| {
                format!(
                    "{program} is not on PATH and installing it failed: {e}; {how} \
                     ({NO_INSTALL_ENV}=1 skips the attempt)"
                )
            })?;
        found()
            .ok_or_else(|| format!("installed {package} but {program} is still not on PATH; {how}"))
    }

    /// `apt-get update` and `apt-get install -y packages`, one installer at a time; `present`
    /// says whether another process installed `what` while this one waited for the lock.
    fn install_packages(
        &self,
        lock_dir: &Path,
        packages: &[&str],
        what: &str,
        present: &dyn Fn() -> bool,
    ) -> Result<(), String> {
        let path = self.path.as_deref();
        let apt = on_path(path, "apt-get")
            .ok_or("apt-get is not on PATH (this is not a Debian-like machine)")?;
        let mut prefix: Vec<OsString> = Vec::new();
        if !is_root() {
            let sudo =
                on_path(path, "sudo").ok_or("not running as root and sudo is not on PATH")?;
            // -n: fail instead of asking for a password (tests have no terminal); sudo resets
            // the environment, so the variable goes through `env`.
            prefix.extend([
                sudo.into(),
                "-n".into(),
                "env".into(),
                "DEBIAN_FRONTEND=noninteractive".into(),
            ]);
        }
        prefix.push(apt.into());
        std::fs::create_dir_all(lock_dir)
            .map_err(|e| format!("creating {}: {e}", lock_dir.display()))?;
        let _lock = FileLock::take(&lock_dir.join("redis-install.lock"))?;
        // Another process may have installed it while this one waited.
        if present() {
            return Ok(());
        }
        let mut line = std::io::stderr();
        let _ = writeln!(
            line,
            "refrace: {what} not found: installing Debian's {} (apt-get update; apt-get \
             install -y {}){}; {NO_INSTALL_ENV}=1 skips this",
            packages.join(" and "),
            packages.join(" "),
            if is_root() { "" } else { " with sudo -n" },
        );
        let lock_timeout = ["-o", "DPkg::Lock::Timeout=300", "-qq"];
        run(&prefix, &[&lock_timeout[..], &["update"]].concat())?;
        run(
            &prefix,
            &[&lock_timeout[..], &["install", "-y"], packages].concat(),
        )
    }
}

/// Run `prefix args…` (stdin closed, output kept for the error message).
fn run(prefix: &[OsString], args: &[&str]) -> Result<(), String> {
    let shown = format!(
        "{} {}",
        prefix
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" "),
        args.join(" ")
    );
    let out = Command::new(&prefix[0])
        .args(&prefix[1..])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`{shown}`: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    Err(format!("`{shown}` failed ({}): {last}", out.status))
}

#[cfg(unix)]
fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// An exclusive `flock` on a file, released when dropped (the descriptor closes). Different
/// opens of the file exclude each other, across threads and processes alike.
struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    #[cfg(unix)]
    fn take(path: &Path) -> Result<FileLock, String> {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        loop {
            // SAFETY: the descriptor is open for the call's duration.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(FileLock { _file: file });
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("locking {}: {e}", path.display()));
            }
        }
    }

    #[cfg(not(unix))]
    fn take(_path: &Path) -> Result<FileLock, String> {
        Err("installing redis-server is supported on Debian-like Linux only".into())
    }
}

/// `program` for this process's environment, found or installed (see
/// [`Finder::find_or_install_tool`]).
pub fn tool(lock_dir: &Path, program: &str, package: &str) -> Result<PathBuf, String> {
    Finder::from_env().find_or_install_tool(lock_dir, program, package)
}

/// The binary for this process's environment, found or installed once per process (later
/// calls get the first call's answer; see [`Finder::find_or_install`]).
pub fn binary(lock_dir: &Path) -> Result<PathBuf, String> {
    static ONCE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    ONCE.get_or_init(|| Finder::from_env().find_or_install(lock_dir))
        .clone()
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
    /// Start `bin`: `--port P --bind 127.0.0.1 --save '' --appendonly no
    /// --enable-debug-command yes --daemonize no`, and wait (10 s at most) until it answers PING.
    pub fn start(bin: &Path) -> Result<RedisServer, String> {
        let version = Command::new(bin)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut last = String::new();
        // A port picked free can be taken before the server binds it: try a few.
        for _ in 0..5 {
            let port = free_port()?;
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let mut cmd = Command::new(bin);
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
