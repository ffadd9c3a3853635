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
/// first puts that one underneath, so quiet threads silence it too.
fn install() {
    HOOK.get_or_init(|| {
        let mut config = shuttle::Config::new();
        config.failure_persistence = shuttle::FailurePersistence::None;
        config.silence_warnings = true;
        shuttle::Runner::new(shuttle::scheduler::RandomScheduler::new(1), config).run(|| {});
        let next = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if prints() {
                next(info)
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
