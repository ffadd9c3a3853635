//! Differential testing against a real redis-server: generated request streams (the shared
//! generators of `refrace-gen`, the ones the fuzz targets use) go over TCP to the server and
//! through the model, and the RESP replies are compared byte for byte, request by request,
//! including whether and when the connection closes.
//!
//! Used by the `tests/differential.rs` lane (which starts its own server, [`server`]) and by
//! `refrace diff --server HOST:PORT` (the binary's `cli::diff`). Parts: [`conn`] (TCP + reply splitting with the
//! `redis-protocol` decoder), [`model`] (the model's side), [`clock`] (how both sides see the
//! same time), [`allow`] (known differences), [`engine`] (the comparison), [`server`] (finding,
//! installing and starting a scratch server), [`target`] (what `refrace diff` checks before it
//! touches a server it did not start, and restores after).

pub mod allow;
pub mod clock;
pub mod conn;
pub mod engine;
pub mod model;
pub mod server;
pub mod target;

pub use allow::AllowList;
pub use engine::{Case, Differ, Mismatch, Options};

use refrace_gen::{Cmd, Frame};
use std::collections::BTreeMap;
use std::fmt;

/// Requests per generated case (at most).
pub const MAX_FRAMES: usize = 40;

/// Pipeline depths a case is drawn with (1 = one request per write, the rest pipelined).
pub const PIPELINES: &[usize] = &[1, 1, 2, 4, 8];

/// Bytes shown of a reply in messages.
const SHOW_MAX: usize = 160;

/// Escaped bytes for messages (`"…"`, truncated with the total length).
pub fn show(b: &[u8]) -> String {
    let cut = &b[..b.len().min(SHOW_MAX)];
    let mut s = format!("\"{}\"", cut.escape_ascii());
    if b.len() > SHOW_MAX {
        s.push_str(&format!("… ({} bytes)", b.len()));
    }
    s
}

/// The name a request is counted under: the command (with its subcommand), `raw NAME` for the
/// generator's free-form commands, `malformed KIND` for malformed requests.
pub fn label(f: &Frame) -> String {
    let c = match f {
        Frame::Multibulk(c) | Frame::Inline(c) => c,
        Frame::Malformed(m) => return format!("malformed {m:?}"),
    };
    match c {
        Cmd::ConfigGet(_) => "CONFIG GET".into(),
        Cmd::ConfigSet(_) => "CONFIG SET".into(),
        Cmd::DebugReplyCopyAvoidance(_) => "DEBUG REPLY-COPY-AVOIDANCE".into(),
        Cmd::MemoryUsage(..) => "MEMORY USAGE".into(),
        Cmd::ClusterKeySlot(_) => "CLUSTER KEYSLOT".into(),
        Cmd::ClusterGetKeysInSlot(..) => "CLUSTER GETKEYSINSLOT".into(),
        Cmd::Raw(..) => format!("raw '{}'", c.name()),
        _ => c.name(),
    }
}

/// A case from a seed, through the generators' `arbitrary` decoder (as the fuzz targets get
/// theirs): splitmix64 bytes, then [`refrace_gen::frames_from_bytes`] and [`Case::of`].
pub fn case_from_seed(seed: u64) -> Case {
    let mut x = seed;
    let mut next = move || {
        x = x.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    };
    let len = (next() % (MAX_FRAMES as u64 * 12)) as usize;
    let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
    let pipeline = PIPELINES[(next() % PIPELINES.len() as u64) as usize];
    let mut frames = refrace_gen::frames_from_bytes(&bytes);
    frames.retain(refrace_gen::Frame::in_differential_scope);
    frames.truncate(MAX_FRAMES);
    Case::of(pipeline, frames)
}

/// Per-command counts.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CommandStats {
    /// Requests compared.
    pub compared: usize,
    /// Of which the server's reply was an error.
    pub errors: usize,
    /// Of which the difference was allow-listed.
    pub allowed: usize,
    /// Distinct error replies of the server (the text up to its first quote), counted.
    pub error_kinds: BTreeMap<String, usize>,
}

/// An error reply's kind: its text up to the first quote (names and arguments cut off).
pub fn error_kind(reply: &[u8]) -> String {
    let body = reply.strip_prefix(b"-").unwrap_or(reply);
    let end = body
        .iter()
        .position(|&b| b == b'\'' || b == b'\r')
        .unwrap_or(body.len());
    String::from_utf8_lossy(&body[..end]).trim_end().to_string()
}

/// Totals of a run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Cases run (not counting re-runs).
    pub cases: usize,
    /// Requests compared.
    pub commands: usize,
    /// Requests whose replies were byte-identical.
    pub identical: usize,
    /// Cases that ended in a mismatch.
    pub mismatches: usize,
    /// Requests sent inline.
    pub inline: usize,
    /// Inline requests above 64 KiB sent as multibulk ([`engine`]).
    pub inline_as_multibulk: usize,
    /// Requests that waited for the clock, and the total wait.
    pub clock_waits: usize,
    /// Total wait in ms.
    pub clock_wait_ms: u64,
    /// Case re-runs after the measured skew exceeded the bound.
    pub retries: usize,
    /// Allow-listed differences by entry id.
    pub allowed: BTreeMap<String, usize>,
    /// Counts by command.
    pub by_command: BTreeMap<String, CommandStats>,
}

impl Summary {
    /// Every command's distinct error kinds, one line each (`refrace diff --errors`).
    pub fn error_kinds(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.by_command {
            for (e, n) in &v.error_kinds {
                out.push_str(&format!("{k:<36} {n:>7}  {e}\n"));
            }
        }
        out
    }

    /// Add `o`'s counts.
    pub fn merge(&mut self, o: &Summary) {
        self.cases += o.cases;
        self.commands += o.commands;
        self.identical += o.identical;
        self.mismatches += o.mismatches;
        self.inline += o.inline;
        self.inline_as_multibulk += o.inline_as_multibulk;
        self.clock_waits += o.clock_waits;
        self.clock_wait_ms += o.clock_wait_ms;
        self.retries += o.retries;
        for (k, v) in &o.allowed {
            *self.allowed.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.by_command {
            let e = self.by_command.entry(k.clone()).or_default();
            e.compared += v.compared;
            e.errors += v.errors;
            e.allowed += v.allowed;
            for (k, n) in &v.error_kinds {
                *e.error_kinds.entry(k.clone()).or_default() += n;
            }
        }
    }

    /// Allow-listed requests in total.
    pub fn allowed_total(&self) -> usize {
        self.allowed.values().sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "cases {}, commands compared {}, identical {}, allow-listed {}, mismatches {}",
            self.cases,
            self.commands,
            self.identical,
            self.allowed_total(),
            self.mismatches
        )?;
        writeln!(
            f,
            "inline requests {} ({} above 64 KiB sent as multibulk); clock waits {} ({} ms); re-runs for skew {}",
            self.inline, self.inline_as_multibulk, self.clock_waits, self.clock_wait_ms, self.retries
        )?;
        if !self.allowed.is_empty() {
            writeln!(f, "allow-listed by entry:")?;
            for (k, v) in &self.allowed {
                writeln!(f, "  {k:<40} {v}")?;
            }
        }
        writeln!(
            f,
            "{:<36} {:>9} {:>9} {:>9} {:>11}",
            "command", "compared", "errors", "allowed", "error kinds"
        )?;
        for (k, v) in &self.by_command {
            writeln!(
                f,
                "{:<36} {:>9} {:>9} {:>9} {:>11}",
                k,
                v.compared,
                v.errors,
                v.allowed,
                v.error_kinds.len()
            )?;
        }
        Ok(())
    }
}
