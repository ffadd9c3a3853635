//! The BIO lazy-free thread's body. Mirrors `bioProcessBackgroundJobs` of src/bio.c for the
//! lazy-free job type: wait for a job, run it, until shut down and drained. The queue and the
//! job bodies are [`crate::bio`]'s.
//!
//! A thread body is ordinary code over the sync shim, so the same loop runs on a real thread,
//! under shuttle and under loom (`sims` spawns it). Who may touch what: only the BIO thread runs
//! this loop, and it touches nothing but the jobs it takes (each owns its objects outright:
//! holder `Bio`).

use crate::bio::Bio;
use crate::env::Env;

impl Bio {
    /// The BIO thread's loop: run jobs until shut down and drained.
    pub fn thread_main(&self, env: &Env) {
        /// On a panic (an invariant broke on BIO), wake main, which may wait for a blocking
        /// flush's completion from this thread, so the run ends and the panic is re-raised.
        struct WakeMainOnPanic<'a>(&'a Bio);
        impl Drop for WakeMainOnPanic<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.abort_main();
                }
            }
        }
        let _wake = WakeMainOnPanic(self);
        let mut freed = 0;
        while let Some(j) = self.next_job(freed) {
            freed = self.free_job(env, j);
        }
    }
}
