//! Panic output of runs whose violations are expected: silenced per thread, with one panic hook
//! installed once.
//!
//! Explorers make scenarios panic on purpose (every violation is a panic) and report the panic
//! through their [`Outcome`](crate::explore::Outcome) instead. [`quietly`] marks the calling
//! thread quiet for the duration of a closure; the hook this module installs (once, the first
//! time `quietly` runs) stays silent for quiet threads and hands every other panic to the hook
//! that was in place before, so a test failing on another thread at the same time still prints
//! its message.
//!
//! Which threads are covered: under shuttle and loom, model threads are coroutines on the
//! calling OS thread, so they share its flag; on real threads, `refrace_model::sync::thread::spawn`
//! gives each new thread the spawning thread's flag (the flag lives in
//! [`refrace_model::sync::quiet`]).

use refrace_model::sync::quiet as flag;
use std::sync::OnceLock;

static HOOK: OnceLock<()> = OnceLock::new();

/// Install the scoped hook (idempotent). shuttle installs a hook of its own on its first run,
/// which prints two lines for every failing execution before delegating; a trivial shuttle run
/// first puts that one in place, so quiet threads silence it too. Panics outside a shuttle
/// execution go to the hook that was there before shuttle's (shuttle's would only say it found
/// no execution).
fn install() {
    HOOK.get_or_init(|| {
        let outside = std::panic::take_hook();
        let mut config = shuttle::Config::new();
        config.failure_persistence = shuttle::FailurePersistence::None;
        config.silence_warnings = true;
        shuttle::Runner::new(shuttle::scheduler::RandomScheduler::new(1), config).run(|| {});
        let inside = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !prints() {
            } else if shuttle::current::try_get_current_task().is_some() {
                inside(info)
            } else {
                outside(info)
            }
        }));
    });
}

/// Whether the hook prints a panic raised on the calling thread now (false inside [`quietly`]).
pub fn prints() -> bool {
    !flag::get()
}

/// Restores the calling thread's flag when a [`quietly`] scope ends, also by unwinding.
struct Restore(bool);

impl Drop for Restore {
    fn drop(&mut self) {
        flag::set(self.0);
    }
}

/// Run `f` with the panic messages of this thread (and of the model threads it runs) silenced:
/// for runs whose violations are expected and reported through an outcome instead. Other
/// threads are not affected.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    install();
    let _restore = Restore(flag::set(true));
    f()
}

/// Lines shuttle writes to stderr on its own for every failing execution (an `eprintln!` no
/// configuration turns off), which [`filter_stderr`] drops: the run's own report says more.
pub const SHUTTLE_LINES: &[&[u8]] = &[b"test panicked in task '", b"Test deadlocked, and "];

/// The first line of the block shuttle's random scheduler prints when a failing execution
/// drops it (`failing seed:`, the seed between two quote lines, and three lines on how to
/// replay it: [`SHUTTLE_SEED_BLOCK`] lines in all), which [`filter_stderr`] drops whole.
pub const SHUTTLE_SEED_LINE: &[u8] = b"failing seed:\n";

/// Lines of the random scheduler's failing-seed block, its first line included.
pub const SHUTTLE_SEED_BLOCK: usize = 7;

/// Route this process's stderr through a filter process that drops [`SHUTTLE_LINES`] and
/// passes every other byte on, so expected failures under shuttle print nothing while anything
/// else, including the last words of a process that aborts (an allocation failure), still
/// reaches the terminal: the filter is a forked child, which reads until the pipe closes even
/// after this process died (it ignores SIGINT and SIGTERM and ends at end of input). Call it
/// first thing in `main`, before any thread exists; a second
/// call, or one where the pipe or fork fails, changes nothing.
#[cfg(unix)]
pub fn filter_stderr() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: plain libc calls on descriptors this function owns; the child runs only
        // async-signal-safe calls (read, write, _exit) on a stack buffer, so forking is safe
        // even if the runtime had started a thread.
        unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return;
            }
            let out = libc::dup(2);
            if out < 0 {
                libc::close(fds[0]);
                libc::close(fds[1]);
                return;
            }
            match libc::fork() {
                0 => {
                    // Ctrl-C reaches the whole process group: the filter outlives it and ends
                    // at end of input, so the parent can still report what it does on SIGINT.
                    libc::signal(libc::SIGINT, libc::SIG_IGN);
                    libc::signal(libc::SIGTERM, libc::SIG_IGN);
                    libc::close(fds[1]);
                    libc::close(2);
                    filter_loop(fds[0], out);
                    libc::_exit(0)
                }
                pid if pid > 0 => {
                    libc::dup2(fds[1], 2);
                    libc::close(fds[0]);
                    libc::close(fds[1]);
                    libc::close(out);
                }
                _ => {
                    libc::close(fds[0]);
                    libc::close(fds[1]);
                    libc::close(out);
                }
            }
        }
    });
}

/// Without a Unix fork, stderr is left as it is.
#[cfg(not(unix))]
pub fn filter_stderr() {}

/// The filter child: copy `input` to `out` line by line, dropping [`SHUTTLE_LINES`] and the
/// random scheduler's failing-seed blocks ([`SHUTTLE_SEED_LINE`]). A line longer than the buffer
/// is passed on in pieces (and never dropped).
#[cfg(unix)]
fn filter_loop(input: libc::c_int, out: libc::c_int) {
    let mut buf = [0u8; 8192];
    let mut len = 0;
    // Lines of a failing-seed block still to drop.
    let mut skip = 0;
    loop {
        // SAFETY: reads into the unused tail of a stack buffer.
        let n = unsafe { libc::read(input, buf[len..].as_mut_ptr().cast(), buf.len() - len) };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            write_all(out, &buf[..len]);
            return;
        }
        len += n as usize;
        let mut start = 0;
        while let Some(nl) = buf[start..len].iter().position(|b| *b == b'\n') {
            let line = &buf[start..start + nl + 1];
            if line == SHUTTLE_SEED_LINE {
                skip = SHUTTLE_SEED_BLOCK;
            }
            if skip > 0 {
                skip -= 1;
            } else if !SHUTTLE_LINES.iter().any(|p| line.starts_with(p)) {
                write_all(out, line);
            }
            start += nl + 1;
        }
        if start == 0 && len == buf.len() {
            write_all(out, &buf[..len]);
            len = 0;
        } else {
            buf.copy_within(start..len, 0);
            len -= start;
        }
    }
}

#[cfg(unix)]
fn write_all(fd: libc::c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes from a live slice.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    /// While one thread is inside `quietly`, a panic on another thread is still printed.
    #[test]
    fn quiet_is_per_thread() {
        let inside = Arc::new(Barrier::new(2));
        let done = Arc::new(Barrier::new(2));
        let (i, d) = (inside.clone(), done.clone());
        let quiet = std::thread::spawn(move || {
            quietly(|| {
                i.wait();
                let here = prints();
                d.wait();
                here
            })
        });
        inside.wait();
        assert!(
            prints(),
            "a thread outside any quietly scope prints its panics"
        );
        done.wait();
        assert!(!quiet.join().unwrap(), "inside quietly, panics are silent");
        assert!(prints());
    }

    /// Real model threads spawned inside a scope inherit it; the scope ends also on a panic.
    #[cfg(not(feature = "loom"))]
    #[test]
    fn spawned_model_threads_inherit_the_scope() {
        let inner = quietly(|| refrace_model::sync::thread::spawn("t", prints).join());
        assert!(!inner);
        let outer = refrace_model::sync::thread::spawn("t", prints).join();
        assert!(outer);
        let r = std::panic::catch_unwind(|| quietly(|| panic!("expected")));
        assert!(r.is_err());
        assert!(prints(), "the scope ends when its closure unwinds");
    }

    /// The real thing, in a child process (stderr is the only witness): a panic on a quiet
    /// thread prints nothing, while a panic on another thread at the same time prints its
    /// message.
    #[test]
    fn a_parallel_failure_keeps_its_message() {
        const CHILD: &str = "REFRACE_QUIET_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let go = Arc::new(Barrier::new(2));
            let g = go.clone();
            let quiet = std::thread::spawn(move || {
                quietly(|| {
                    g.wait();
                    let _ = std::panic::catch_unwind(|| panic!("silenced-message"));
                    g.wait();
                })
            });
            go.wait();
            let _ = std::panic::catch_unwind(|| panic!("printed-message"));
            go.wait();
            quiet.join().unwrap();
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "quiet::tests::a_parallel_failure_keeps_its_message",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed: {err}");
        assert!(err.contains("printed-message"), "stderr: {err}");
        assert!(!err.contains("silenced-message"), "stderr: {err}");
    }
}
