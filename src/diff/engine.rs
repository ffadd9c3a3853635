//! The comparison: one case (a generated request stream and a pipeline depth) runs on a clean
//! real server and a fresh model; requests go out in pipelined batches, and the replies of each
//! request are compared byte for byte, as is the connection closing after a protocol error.
//!
//! Batches end early at a request that closes the connection (nothing after it would be read),
//! before a request that must wait for the clock ([`super::clock`]) and before an HTTP-looking
//! request (see [`is_security_guard`]). A difference is a
//! mismatch unless an allow-list entry accepts it; the case stops at the first mismatch and
//! its stream is written to a replay file.

use super::allow::AllowList;
use super::clock::{wait_ms, wall_ms};
use super::conn::{split_replies, Conn, ReadEnd};
use super::model::ModelSide;
use super::{label, show, Summary};
use refrace_gen::{encode_multibulk, Frame};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `PROTO_INLINE_MAX_SIZE`: Redis checks it only while no newline has arrived, so whether a
/// longer inline request is refused depends on how TCP splits it; such requests go as multibulk.
const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// Run settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Clock-skew bound δ in ms ([`super::clock`]).
    pub skew_ms: i64,
    /// Runs of a case whose measured skew exceeded δ before giving up.
    pub attempts: usize,
    /// Where replay files go.
    pub replay_dir: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            skew_ms: 25,
            attempts: 4,
            replay_dir: PathBuf::from("target/refrace/diff"),
        }
    }
}

/// One generated case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Case {
    /// Requests sent per write (1 = one at a time).
    pub pipeline: usize,
    /// The request stream.
    pub frames: Vec<Frame>,
}

impl Case {
    /// A generated case: the frames as drawn, less the commands inside a transaction whose
    /// replies EXEC's array would carry beyond comparison
    /// ([`refrace_gen::comparable_in_transactions`]).
    pub fn of(pipeline: usize, frames: Vec<Frame>) -> Case {
        Case {
            pipeline,
            frames: refrace_gen::comparable_in_transactions(frames),
        }
    }
}

/// A difference no allow-list entry accepts.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mismatch {
    /// Index of the request in the case.
    pub index: usize,
    /// The request, as generated.
    pub request: String,
    /// What the real server did (reply bytes, escaped; or what went wrong).
    pub server: String,
    /// What the model did.
    pub model: String,
    /// Where the replay file was written.
    pub replay: Option<PathBuf>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "mismatch at request {}: {}\n  server: {}\n  model:  {}",
            self.index, self.request, self.server, self.model
        )?;
        if let Some(p) = &self.replay {
            write!(
                f,
                "\n  replay: {} (refrace diff --server HOST:PORT --replay {})",
                p.display(),
                p.display()
            )?;
        }
        Ok(())
    }
}

/// A replay file: the case and the mismatch it showed.
#[derive(Serialize, Deserialize)]
pub struct Replay {
    /// The real server's version when it was recorded.
    pub server_version: String,
    /// The mismatch.
    pub mismatch: Mismatch,
    /// The case to run again.
    pub case: Case,
}

/// Read a replay file.
pub fn load_replay(path: &Path) -> Result<Replay, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a replay file: {e}", path.display()))
}

/// A request sent but not yet compared.
struct Pending {
    index: usize,
    frame: Frame,
    wire: Vec<u8>,
    model: Vec<u8>,
    model_closed: bool,
    read_at: Instant,
}

/// Why an attempt ended.
enum Attempt {
    Done(Option<Mismatch>),
    /// A request's measured skew exceeded δ while a key had an expiry: run the case again.
    Skewed(Duration),
}

/// The comparison engine: a connection to the real server, the allow-list, counters.
pub struct Differ {
    conn: Conn,
    allow: AllowList,
    /// Settings.
    pub opts: Options,
    /// Totals so far.
    pub summary: Summary,
    /// The server's `INFO server` version line.
    pub server_version: String,
    sentinel: u64,
    /// `CLIENT ID` of the current connection.
    client_id: Option<i64>,
    /// Connections this engine left (their ids), killed before the next case.
    retired: Vec<i64>,
}

fn expect_ok(conn: &mut Conn, argv: &[&[u8]]) -> Result<(), String> {
    let r = conn.call(argv)?;
    if r != b"+OK\r\n" {
        let cmd: Vec<String> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into())
            .collect();
        return Err(format!("setup '{}' failed: {}", cmd.join(" "), show(&r)));
    }
    Ok(())
}

impl Differ {
    /// Connect to the server at `addr` and prepare it (active expiry off: keys expire only when
    /// touched, as in the model; needs `enable-debug-command yes` or `local`).
    pub fn connect(addr: &str, allow: AllowList, opts: Options) -> Result<Differ, String> {
        let mut conn = Conn::connect(addr)?;
        let info = conn.call(&[b"INFO", b"server"])?;
        let server_version = String::from_utf8_lossy(&info)
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:").map(str::to_string))
            .ok_or_else(|| format!("{addr} does not look like a Redis server: {}", show(&info)))?;
        expect_ok(&mut conn, &[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]).map_err(|e| {
            format!("{e} (the server must run with enable-debug-command yes or local)")
        })?;
        let mut d = Differ {
            conn,
            allow,
            opts,
            summary: Summary::default(),
            server_version,
            sentinel: 0,
            client_id: None,
            retired: Vec::new(),
        };
        d.client_id = d.own_id()?;
        Ok(d)
    }

    /// `CLIENT ID` of the current connection (`None` on a server without it).
    fn own_id(&mut self) -> Result<Option<i64>, String> {
        let r = self.conn.call(&[b"CLIENT", b"ID"])?;
        Ok(r.strip_prefix(b":")
            .and_then(|r| r.strip_suffix(b"\r\n"))
            .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok()))
    }

    /// Leave the current connection for a new one (the server closed it, or it may hold
    /// unread replies or half a request).
    fn reconnect(&mut self) -> Result<(), String> {
        self.retired.extend(self.client_id.take());
        self.conn.reconnect()?;
        self.client_id = self.own_id()?;
        Ok(())
    }

    /// The connection under test (tests use it to leave it in a bad state).
    pub fn conn_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Prepare the server for a case, from a clean slate whatever the previous case left (a
    /// panic in the middle of one leaves replies unread, requests half sent or still queued on
    /// the server): a new connection; the connections left before are killed (`CLIENT KILL
    /// ID`, so none of their queued requests runs later); `FLUSHALL SYNC`; the knobs the
    /// generator touches back to the model's defaults; then the keyspace must be empty in
    /// every database. Also a check, before a run, that the server can be used.
    pub fn reset(&mut self) -> Result<(), String> {
        self.reconnect()?;
        for id in std::mem::take(&mut self.retired) {
            // `:0` when that connection is already gone.
            let id = id.to_string();
            let r = self
                .conn
                .call(&[b"CLIENT", b"KILL", b"ID", id.as_bytes()])?;
            if !r.starts_with(b":") {
                return Err(format!("setup 'CLIENT KILL ID {id}' failed: {}", show(&r)));
            }
        }
        let c = &mut self.conn;
        expect_ok(c, &[b"FLUSHALL", b"SYNC"])?;
        expect_ok(
            c,
            &[
                b"CONFIG",
                b"SET",
                b"lazyfree-lazy-server-del",
                b"no",
                b"lazyfree-lazy-user-del",
                b"no",
                b"lazyfree-lazy-user-flush",
                b"no",
                b"lazyfree-lazy-expire",
                b"no",
                b"lazyfree-lazy-eviction",
                b"no",
                b"maxmemory",
                b"0",
                b"maxmemory-policy",
                b"noeviction",
                b"maxmemory-samples",
                b"5",
            ],
        )?;
        // 8.6 only (the model's default is on); 7.0 answers with an error, which is fine.
        c.call(&[b"DEBUG", b"REPLY-COPY-AVOIDANCE", b"1"])?;
        let ks = super::target::Keyspace::read(c)?;
        if ks.total() > 0 {
            return Err(format!(
                "setup: the server still holds {ks} after FLUSHALL SYNC (another client writes to it?)"
            ));
        }
        Ok(())
    }

    /// Run one case. `Ok(None)`: every reply matched or was allow-listed. `Err`: the harness
    /// could not do its job (server unreachable, setup refused, skew bound exceeded in every
    /// attempt).
    pub fn run_case(&mut self, case: &Case) -> Result<Option<Mismatch>, String> {
        let mut last = Duration::ZERO;
        for _ in 0..self.opts.attempts.max(1) {
            self.reset()?;
            let mut stats = Summary::default();
            let model = ModelSide::new();
            match self.attempt(case, model, &mut stats)? {
                Attempt::Done(m) => {
                    stats.cases = 1;
                    stats.mismatches = usize::from(m.is_some());
                    self.summary.merge(&stats);
                    return Ok(m.map(|m| self.record(case, m)));
                }
                Attempt::Skewed(d) => {
                    self.summary.retries += 1;
                    last = d;
                }
            }
        }
        Err(format!(
            "a request's clock skew ({last:?}) exceeded the bound ({} ms) in {} attempts while keys had expiries; the machine is too loaded for this bound (raise REFRACE_DIFF_SKEW_MS)",
            self.opts.skew_ms, self.opts.attempts
        ))
    }

    fn record(&self, case: &Case, mut m: Mismatch) -> Mismatch {
        let replay = Replay {
            server_version: self.server_version.clone(),
            mismatch: m.clone(),
            case: case.clone(),
        };
        let text = serde_json::to_string_pretty(&replay).unwrap_or_default();
        let mut h: u64 = 0xcbf29ce484222325;
        for b in text.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
        let path = self.opts.replay_dir.join(format!("diff-{h:016x}.json"));
        let written = std::fs::create_dir_all(&self.opts.replay_dir)
            .and_then(|()| std::fs::write(&path, text + "\n"));
        m.replay = written.ok().map(|()| path);
        m
    }

    fn attempt(
        &mut self,
        case: &Case,
        mut model: ModelSide,
        stats: &mut Summary,
    ) -> Result<Attempt, String> {
        let skew = self.opts.skew_ms;
        let mut batch: Vec<Pending> = Vec::new();
        let mut volatile = false;
        let mut worst = Duration::ZERO;
        for (index, frame) in case.frames.iter().enumerate() {
            let mut wire = frame.bytes();
            if let Frame::Inline(c) = frame {
                if wire.len() > PROTO_INLINE_MAX_SIZE {
                    wire = encode_multibulk(&c.argv());
                    stats.inline_as_multibulk += 1;
                }
            }
            if is_security_guard(frame) {
                if let Some(m) = self.flush(&mut batch, stats, &mut worst)? {
                    return Ok(Attempt::Done(Some(m)));
                }
            }
            let mut now = wall_ms();
            let mut w = wait_ms(&model.server, model.selected_db(), frame, now, skew);
            if w > 0 {
                if let Some(m) = self.flush(&mut batch, stats, &mut worst)? {
                    return Ok(Attempt::Done(Some(m)));
                }
                stats.clock_waits += 1;
                while w > 0 {
                    std::thread::sleep(Duration::from_millis(w as u64));
                    stats.clock_wait_ms += w as u64;
                    now = wall_ms();
                    w = wait_ms(&model.server, model.selected_db(), frame, now, skew);
                }
            }
            volatile |= has_expiry(&model);
            let read_at = Instant::now();
            let r = model.request(&wire, wall_ms());
            volatile |= has_expiry(&model);
            let ends = r.closed || frame.closes();
            batch.push(Pending {
                index,
                frame: frame.clone(),
                wire,
                model: r.bytes,
                model_closed: r.closed,
                read_at,
            });
            if ends || batch.len() >= case.pipeline.max(1) {
                if let Some(m) = self.flush(&mut batch, stats, &mut worst)? {
                    return Ok(if volatile && worst > skew_bound(skew) {
                        Attempt::Skewed(worst)
                    } else {
                        Attempt::Done(Some(m))
                    });
                }
            }
        }
        if let Some(m) = self.flush(&mut batch, stats, &mut worst)? {
            return Ok(Attempt::Done(Some(m)));
        }
        if volatile && worst > skew_bound(skew) {
            return Ok(Attempt::Skewed(worst));
        }
        if let Some(m) = self.sentinel(&mut model, case.frames.len())? {
            return Ok(Attempt::Done(Some(m)));
        }
        model.finish();
        Ok(Attempt::Done(None))
    }

    /// Send a batch, read the server's replies, compare them request by request.
    fn flush(
        &mut self,
        batch: &mut Vec<Pending>,
        stats: &mut Summary,
        worst: &mut Duration,
    ) -> Result<Option<Mismatch>, String> {
        if batch.is_empty() {
            return Ok(None);
        }
        let pending = std::mem::take(batch);
        let wire: Vec<u8> = pending.iter().flat_map(|p| p.wire.clone()).collect();
        self.conn.send(&wire)?;
        let mut want = Vec::with_capacity(pending.len());
        for p in &pending {
            want.push(
                split_replies(&p.model)
                    .map_err(|e| format!("model reply to request {} is not RESP2: {e}", p.index))?,
            );
        }
        let total = want.iter().map(Vec::len).sum();
        let (got, end) = self.conn.read_replies(total)?;
        let done_at = Instant::now();
        let mut got = got.into_iter();
        for (p, want) in pending.iter().zip(&want) {
            let mut server = Vec::new();
            let mut last_at = None;
            let mut taken = 0;
            for (r, at) in got.by_ref().take(want.len()) {
                server.extend_from_slice(&r);
                last_at = Some(at);
                taken += 1;
            }
            let at = last_at.unwrap_or(done_at);
            *worst = (*worst).max(at.saturating_duration_since(p.read_at));
            if taken < want.len() {
                let what = match end {
                    ReadEnd::Closed => "closed the connection",
                    _ => "sent no (further) reply within 5 s",
                };
                self.reconnect()?;
                return Ok(Some(
                    self.mismatch(p, format!("{} then {what}", show(&server))),
                ));
            }
            if let Some(m) = self.compare(p, &server, stats) {
                self.reconnect()?;
                return Ok(Some(m));
            }
            if p.model_closed {
                return self.expect_close(p);
            }
        }
        Ok(None)
    }

    /// The model closed after `p`: the server must close too, with nothing more sent.
    fn expect_close(&mut self, p: &Pending) -> Result<Option<Mismatch>, String> {
        let rest = self.conn.read_to_close()?;
        self.reconnect()?;
        match rest {
            Some(extra) if extra.is_empty() => Ok(None),
            Some(extra) => Ok(Some(
                self.mismatch(p, format!("sent {} more, then closed", show(&extra))),
            )),
            None => Ok(Some(
                self.mismatch(p, "kept the connection open (model closed it)".into()),
            )),
        }
    }

    fn mismatch(&self, p: &Pending, server: String) -> Mismatch {
        let mut model = show(&p.model);
        if p.model_closed {
            model.push_str(" then closed");
        }
        Mismatch {
            index: p.index,
            request: format!("{:?}", p.frame),
            server,
            model,
            replay: None,
        }
    }

    /// Compare one request's replies; count it.
    fn compare(&self, p: &Pending, server: &[u8], stats: &mut Summary) -> Option<Mismatch> {
        let l = label(&p.frame);
        let entry = stats.by_command.entry(l).or_default();
        entry.compared += 1;
        if server.first() == Some(&b'-') {
            entry.errors += 1;
            *entry
                .error_kinds
                .entry(super::error_kind(server))
                .or_default() += 1;
        }
        if matches!(p.frame, Frame::Inline(_)) {
            stats.inline += 1;
        }
        stats.commands += 1;
        if server == p.model.as_slice() {
            stats.identical += 1;
            return None;
        }
        let (name, args) = match &p.frame {
            Frame::Multibulk(c) | Frame::Inline(c) => {
                let argv = c.argv();
                (c.name(), argv[1..].to_vec())
            }
            Frame::Malformed(_) => ("<malformed>".to_string(), Vec::new()),
        };
        match self
            .allow
            .accepts(&name, &args, server, &p.model, self.opts.skew_ms)
        {
            Some(e) => {
                entry.allowed += 1;
                *stats.allowed.entry(e.id.clone()).or_default() += 1;
                None
            }
            None => Some(self.mismatch(p, show(server))),
        }
    }

    /// After a case, an `ECHO` sentinel goes to both sides: the server must answer it as the
    /// model does, so a reply the model did not give (or a request the server still waits to
    /// complete) shows up here.
    fn sentinel(&mut self, model: &mut ModelSide, n: usize) -> Result<Option<Mismatch>, String> {
        self.sentinel += 1;
        let tag = format!("refrace-sentinel-{}", self.sentinel);
        let wire = encode_multibulk(&[b"ECHO".to_vec(), tag.into_bytes()]);
        let r = model.request(&wire, wall_ms());
        let want =
            split_replies(&r.bytes).map_err(|e| format!("model reply to the sentinel: {e}"))?;
        self.conn.send(&wire)?;
        let (got, end) = self.conn.read_replies(want.len())?;
        let server: Vec<u8> = got.into_iter().flat_map(|(b, _)| b).collect();
        if server == r.bytes && end == ReadEnd::Complete && !r.closed {
            return Ok(None);
        }
        let mut extra = server;
        extra.extend(self.conn.leftover());
        self.reconnect()?;
        Ok(Some(Mismatch {
            index: n,
            request: "(end of stream: ECHO sentinel)".into(),
            server: format!("{} ({end:?})", show(&extra)),
            model: show(&r.bytes),
            replay: None,
        }))
    }
}

/// A request that trips the cross-protocol guard (`POST`, `Host:`). Redis closes such a client
/// ASAP and drops the replies it has not written yet (networking.c
/// `handleClientsWithPendingWrites`: "Don't write to clients that are going to be closed
/// anyway"); which earlier replies are still unwritten depends on which requests shared its
/// read. So it goes in a write of its own, after every earlier reply has arrived.
fn is_security_guard(f: &Frame) -> bool {
    matches!(f, Frame::Malformed(refrace_gen::Malformed::HttpPost))
}

fn has_expiry(m: &ModelSide) -> bool {
    m.server
        .db
        .iter()
        .flat_map(|d| d.dict.values())
        .any(|kv| kv.hdr().expire.is_some())
}

/// The measured skew is an upper bound rounded up to whole ms on the server's side.
fn skew_bound(skew_ms: i64) -> Duration {
    Duration::from_millis(skew_ms.max(1) as u64 - 1)
}
