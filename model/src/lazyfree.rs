//! Lazy free and the BIO thread. Mirrors src/lazyfree.c (@ f36ee257) and the lazy-free job of
//! src/bio.c.
//!
//! `free_obj_async` may hand an object to BIO only when the effort is above
//! [`LAZYFREE_THRESHOLD`] **and** its count is 1 (#4601/#4323): BIO then owns it outright. A
//! detached keyspace (FLUSH ASYNC) goes to BIO whole, after `protectClientReplyObjects` made sure
//! no client still references its objects.
//!
//! The queue is a shim mutex + condvar (the happens-before edge Redis gets from bio's mutex).
//! `lazyfree_pending_objects` counts objects queued and not yet freed.

use crate::config::Fault;
use crate::ledger::{Holder, Tid};
use crate::object::{Cx, ObjType, RObj};
use crate::server::{Env, Server};
use crate::sync::{Condvar, Mutex};
use std::collections::VecDeque;

/// `LAZYFREE_THRESHOLD`.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// A BIO lazy-free job.
#[derive(Debug)]
pub enum Job {
    /// `lazyfreeFreeObject`: one object owned by the job (holder `Bio`).
    FreeObject(RObj),
    /// `kvsLazyfreeFree`: a detached keyspace; each object holds `Bio`.
    FreeKeyspace(Vec<RObj>),
}

impl Job {
    fn objects(&self) -> usize {
        match self {
            Job::FreeObject(_) => 1,
            Job::FreeKeyspace(v) => v.len(),
        }
    }
}

#[derive(Default)]
struct BioState {
    jobs: VecDeque<Job>,
    pending_objects: usize,
    shutdown: bool,
}

/// The BIO lazy-free queue.
pub struct Bio {
    state: Mutex<BioState>,
    cv: Condvar,
}

impl Default for Bio {
    fn default() -> Self {
        Self::new()
    }
}

impl Bio {
    /// An empty queue (on the current backend).
    pub fn new() -> Self {
        Bio {
            state: Mutex::new(BioState::default()),
            cv: Condvar::new(),
        }
    }

    /// `bioCreateLazyFreeJob` (main).
    pub fn submit(&self, job: Job) {
        let mut g = self.state.lock();
        g.pending_objects += job.objects();
        g.jobs.push_back(job);
        self.cv.notify_all();
    }

    /// `lazyfree_pending_objects`.
    pub fn pending_objects(&self) -> usize {
        self.state.lock().pending_objects
    }

    /// Ask the BIO thread to exit once the queue is empty.
    pub fn shutdown(&self) {
        self.state.lock().shutdown = true;
        self.cv.notify_all();
    }

    fn finish(&self, n: usize) {
        self.state.lock().pending_objects -= n;
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

    fn run(&self, env: &Env, job: Job) {
        let cx = Cx { env, tid: Tid::Bio };
        let n = job.objects();
        match job {
            Job::FreeObject(o) => o.decr_ref_count(cx, Holder::Bio),
            Job::FreeKeyspace(v) => {
                for o in v {
                    o.decr_ref_count(cx, Holder::Bio);
                }
            }
        }
        self.finish(n);
    }

    /// The BIO thread's loop: run jobs until shut down and drained.
    pub fn thread_main(&self, env: &Env) {
        loop {
            let job = {
                let mut g = self.state.lock();
                loop {
                    if let Some(j) = g.jobs.pop_front() {
                        break Some(j);
                    }
                    if g.shutdown {
                        break None;
                    }
                    g = self.cv.wait(g);
                }
            };
            match job {
                Some(j) => self.run(env, j),
                None => return,
            }
        }
    }
}

/// `lazyfreeGetFreeEffort`: list → node count; everything else here is one allocation.
pub fn lazyfree_get_free_effort(o: &RObj) -> usize {
    match o.otype() {
        ObjType::List => o.list_len(),
        ObjType::String => 1,
    }
}

/// `freeObjAsync(key, obj, dbid)`: queue to BIO when the effort is high and `obj` is owned
/// outright (count 1; [`Fault::BioFreeShared`] drops that clause), else `decrRefCount` now.
pub fn free_obj_async(s: &mut Server, obj: RObj, holder: Holder) {
    let env = s.env();
    let cx = Cx::main(&env);
    let effort = lazyfree_get_free_effort(&obj);
    let owned = env.cfg.fault(Fault::BioFreeShared) || obj.refcount(cx) == 1;
    if effort > LAZYFREE_THRESHOLD && owned {
        env.ledger
            .transfer(Tid::Main, obj.ptr(), holder, Holder::Bio);
        s.bio.submit(Job::FreeObject(obj));
    } else {
        obj.decr_ref_count(cx, holder);
    }
}
