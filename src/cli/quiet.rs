//! Silence stderr around explorer runs: shuttle writes `test panicked in task …` to stderr for
//! every failing execution (an `eprintln!` we cannot configure away), and the panic hook prints
//! each violation the CLI reports itself. Only fd 2 of this process is redirected, for the
//! duration of the closure.

/// Run `f` with panic output and stderr silenced.
pub fn silenced<T>(f: impl FnOnce() -> T) -> T {
    let _guard = imp::Redirect::to_null();
    refrace_sims::quiet::quietly(f)
}

#[cfg(unix)]
mod imp {
    use std::io::Write;

    /// fd 2 pointed at /dev/null until dropped.
    pub struct Redirect(Option<libc::c_int>);

    impl Redirect {
        pub fn to_null() -> Redirect {
            let _ = std::io::stderr().flush();
            let null = match std::fs::OpenOptions::new().write(true).open("/dev/null") {
                Ok(f) => f,
                Err(_) => return Redirect(None),
            };
            use std::os::fd::AsRawFd;
            // SAFETY: dup and dup2 on valid descriptors (2 is open in a running process; `null`
            // lives until the end of this function, after dup2 made its own copy).
            unsafe {
                let saved = libc::dup(2);
                if saved < 0 {
                    return Redirect(None);
                }
                if libc::dup2(null.as_raw_fd(), 2) < 0 {
                    libc::close(saved);
                    return Redirect(None);
                }
                Redirect(Some(saved))
            }
        }
    }

    impl Drop for Redirect {
        fn drop(&mut self) {
            if let Some(saved) = self.0 {
                // SAFETY: `saved` is the descriptor dup'ed in `to_null`, owned by this guard.
                unsafe {
                    libc::dup2(saved, 2);
                    libc::close(saved);
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    pub struct Redirect;

    impl Redirect {
        pub fn to_null() -> Redirect {
            Redirect
        }
    }
}
