//! The BIO lazy-free queue: jobs main submits and the BIO thread runs. Mirrors the job queue of
//! src/bio.c and the job bodies of src/lazyfree.c (`lazyfreeFreeObject`, `kvsLazyfreeFree`;
//! at the pin 059f40da; bio.c, not stored for 2025–26, only for its queue's mutex + condition
//! variable and FIFO order). The thread's loop is in [`crate::bio_thread`]; what main queues, and when, is
//! [`crate::lazyfree`].
//!
//! The queue is a shim mutex + condvar (the happens-before edge Redis gets from bio's mutex).
//! `lazyfree_pending_objects` counts objects queued and not yet freed.
//!
//! Who may touch what: main submits; the BIO thread (or main at quiescence, [`Bio::step`]) runs
//! jobs. A job owns its objects outright (holder `Bio`): that is what `freeObjAsync`'s
//! `refcount == 1` gate and `protectClientReplyObjects` guarantee, and `LEAK` /
//! `DOUBLE_FREE` / `COUNT_CONSERVATION` catch when they do not.

use crate::env::{Cx, Env};
use crate::handoff::MainInbox;
use crate::ledger::{Holder, Tid};
use crate::robj::RObj;
use crate::sync::{Arc, Condvar, Mutex};
use std::collections::VecDeque;

/// A BIO lazy-free job.
#[derive(Debug)]
pub enum Job {
    /// `lazyfreeFreeObject`: one object owned by the job (holder `Bio`).
    FreeObject(RObj),
    /// `kvsLazyfreeFree`: a detached keyspace; each object holds `Bio`.
    FreeKeyspace(Vec<RObj>),
    /// `bioCreateCompRq(BIO_WORKER_LAZY_FREE, kvsAsyncFreeDoneCB, client id, ctx)`: queued
    /// behind every earlier lazy-free job by a blocking flush or a background slot trim; running
    /// it hands the request to main, which unblocks the client if there is one
    /// (`unblockClientForAsyncFlush`).
    Completion(crate::handoff::Completion),
    /// Not Redis ([`crate::config::Fault::BioHeaderWrite`]): rewrite a header bit-field of an
    /// object the job holds no reference to.
    Touch(RObj),
}

impl Job {
    fn objects(&self) -> usize {
        match self {
            Job::FreeObject(_) => 1,
            Job::FreeKeyspace(v) => v.len(),
            Job::Completion(_) | Job::Touch(_) => 0,
        }
    }
}

#[derive(Default)]
struct BioState {
    jobs: VecDeque<Job>,
    pending_objects: usize,
    freed_objects: u64,
    shutdown: bool,
    /// Whether the BIO thread is blocked in `cv.wait` (a notification is sent only then: see
    /// [`crate::handoff`]'s module doc on scheduling points).
    waiting: bool,
    threaded: bool,
}

/// The BIO lazy-free queue.
pub struct Bio {
    state: Mutex<BioState>,
    cv: Condvar,
    main: Option<Arc<MainInbox>>,
}

impl Default for Bio {
    fn default() -> Self {
        Self::new()
    }
}

impl Bio {
    /// An empty queue (on the current backend) with nowhere to send completions.
    pub fn new() -> Self {
        Bio {
            state: Mutex::new(BioState::default()),
            cv: Condvar::new(),
            main: None,
        }
    }

    /// An empty queue whose completion requests are handed to `main`.
    pub fn with_main(main: Arc<MainInbox>) -> Self {
        Bio {
            main: Some(main),
            ..Bio::new()
        }
    }

    /// Mark that a real BIO thread serves this queue (else main steps it itself).
    pub fn set_threaded(&self, on: bool) {
        self.state.lock().threaded = on;
    }

    /// The BIO thread is unwinding: wake main wherever it waits for a completion.
    pub(crate) fn abort_main(&self) {
        if let Some(m) = &self.main {
            m.abort();
        }
    }

    /// Whether a BIO thread serves this queue.
    pub fn threaded(&self) -> bool {
        self.state.lock().threaded
    }

    /// `bioCreateLazyFreeJob` (main).
    pub fn submit(&self, job: Job) {
        let mut g = self.state.lock();
        g.pending_objects += job.objects();
        g.jobs.push_back(job);
        if g.waiting {
            self.cv.notify_all();
        }
    }

    /// `lazyfree_pending_objects`.
    pub fn pending_objects(&self) -> usize {
        self.state.lock().pending_objects
    }

    /// Ask the BIO thread to exit once the queue is empty.
    pub fn shutdown(&self) {
        let mut g = self.state.lock();
        g.shutdown = true;
        if g.waiting {
            self.cv.notify_all();
        }
    }

    fn finish(&self, n: usize) {
        let mut g = self.state.lock();
        g.pending_objects -= n;
        g.freed_objects += n as u64;
    }

    /// `lazyfreed_objects`: objects BIO has freed so far.
    pub fn freed_objects(&self) -> u64 {
        self.state.lock().freed_objects
    }

    /// Run one queued job on the calling thread as BIO, if any (deterministic stepping).
    pub fn step(&self, env: &Env) -> bool {
        let job = self.state.lock().jobs.pop_front();
        match job {
            Some(j) => {
                self.run(env, j);
                true
            }
            None => false,
        }
    }

    /// Run `job` on the calling thread as BIO (`lazyfreeFreeObject` / `kvsLazyfreeFree`), then
    /// count its objects as freed.
    pub(crate) fn run(&self, env: &Env, job: Job) {
        let n = self.free_job(env, job);
        self.finish(n);
    }

    /// Free `job`'s objects on the calling thread as BIO; returns how many (not yet counted as
    /// freed).
    pub(crate) fn free_job(&self, env: &Env, job: Job) -> usize {
        let cx = Cx { env, tid: Tid::Bio };
        let n = job.objects();
        if env.coverage.any_io_writing() {
            env.coverage
                .hit(crate::coverage::Event::BioFreedWhileIoWrites);
        }
        match job {
            Job::FreeObject(o) => o.decr_ref_count(cx, Holder::Bio),
            Job::FreeKeyspace(v) => {
                for o in v {
                    o.decr_ref_count(cx, Holder::Bio);
                }
            }
            Job::Completion(done) => {
                if let Some(m) = &self.main {
                    m.flush_done(done);
                }
            }
            Job::Touch(o) => o.touch_header(cx),
        }
        n
    }

    /// Count `freed` objects of the last job as freed, then block until a job is queued and
    /// take it; `None` once shut down and drained. The wait of the BIO thread's loop
    /// ([`crate::bio_thread`]).
    ///
    /// One critical section for both (the count was its own, just before): between them the
    /// BIO thread touches nothing, and the only thing another thread could observe in between,
    /// `lazyfree_pending_objects` already lowered while the next job is still queued, shows the
    /// same count as after the next job is taken (a job counts until it is freed), so no
    /// observation is lost.
    pub(crate) fn next_job(&self, freed: usize) -> Option<Job> {
        let mut g = self.state.lock();
        g.pending_objects -= freed;
        loop {
            if let Some(j) = g.jobs.pop_front() {
                break Some(j);
            }
            if g.shutdown {
                break None;
            }
            g.waiting = true;
            g = self.cv.wait(g);
            g.waiting = false;
        }
    }
}
