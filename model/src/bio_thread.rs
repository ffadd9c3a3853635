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
        let mut freed = 0;
        while let Some(j) = self.next_job(freed) {
            freed = self.free_job(env, j);
        }
    }
}
