//! Counterexamples: one JSON file per caught bug, holding everything a replay needs — the
//! scenario's world as data (configuration, setup and client scripts), the faults, the explorer
//! and seed that found it, and the failing execution's choices in the model-level schedule
//! format of [`crate::schedule`] — and the replay itself ([`replay`]), which runs the world once
//! under the lenient scheduler with the ledger tracing every event.
//!
//! Replaying with the file's faults reproduces the recorded execution and its violation; with
//! other faults (`none`: the fixed model) it is one deterministic run that must meet the
//! scenario's fixed-model expectation.

use crate::scenarios::Scenario;
use crate::schedule::{Decisions, Lenient, Taken};
use crate::world::{run_with, ClientSpec, Spec, TraceSlot};
use refrace_model::config::{Config, FaultSet, FixSet, MaxmemoryPolicy, Strategy, Variant};
use refrace_model::ledger::Event;
use refrace_model::sync::WordMode;
use refrace_model::Invariant;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The `format` value this version writes and reads.
pub const FORMAT: &str = "refrace-counterexample/1";

/// How a replay uses `schedule` (written into every file for its reader).
pub const SEMANTICS: &str = "schedule.tasks[i] is the task run at scheduling point i (0 = main, then IO-1.., BIO in spawn order) when it is runnable; otherwise, and after the list ends, the current task if runnable and not yielding, else the lowest-id other runnable task; schedule.random[j] is the j-th random value, then 0";

/// One request argument: text, a run of one repeated string, or hex for other bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    /// A run: `repeat` written `times` times (a 64 KiB value stays one line).
    Repeat {
        /// The repeated unit.
        repeat: String,
        /// How many times.
        times: usize,
    },
    /// Bytes that are not UTF-8.
    Hex {
        /// Lower-case hex digits.
        hex: String,
    },
    /// UTF-8 text.
    Text(String),
}

impl Arg {
    fn encode(b: &[u8]) -> Arg {
        if b.len() >= 32 && b.iter().all(|c| *c == b[0]) && b[0].is_ascii_graphic() {
            return Arg::Repeat {
                repeat: (b[0] as char).to_string(),
                times: b.len(),
            };
        }
        match std::str::from_utf8(b) {
            Ok(s) => Arg::Text(s.to_string()),
            Err(_) => Arg::Hex {
                hex: b.iter().map(|c| format!("{c:02x}")).collect(),
            },
        }
    }

    fn decode(&self) -> Result<Vec<u8>, String> {
        match self {
            Arg::Text(s) => Ok(s.as_bytes().to_vec()),
            Arg::Repeat { repeat, times } => match repeat.len().checked_mul(*times) {
                Some(n) if n <= MAX_ARG_BYTES => Ok(repeat.repeat(*times).into_bytes()),
                _ => Err(format!(
                    "a repeated argument longer than {MAX_ARG_BYTES} bytes"
                )),
            },
            Arg::Hex { hex } => {
                if !hex.is_ascii() {
                    return Err(format!("bad hex argument '{hex}'"));
                }
                if hex.len() % 2 != 0 {
                    return Err(format!("hex argument of odd length {}", hex.len()));
                }
                (0..hex.len())
                    .step_by(2)
                    .map(|i| {
                        u8::from_str_radix(&hex[i..i + 2], 16)
                            .map_err(|_| format!("bad hex argument '{hex}'"))
                    })
                    .collect()
            }
        }
    }
}

type Command = Vec<Arg>;

fn encode_cmds(cmds: &[Vec<Vec<u8>>]) -> Vec<Command> {
    cmds.iter()
        .map(|c| c.iter().map(|a| Arg::encode(a)).collect())
        .collect()
}

fn decode_cmds(cmds: &[Command]) -> Result<Vec<Vec<Vec<u8>>>, String> {
    cmds.iter()
        .map(|c| c.iter().map(Arg::decode).collect())
        .collect()
}

/// The server configuration of a counterexample (faults and word mode are kept beside it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `io-threads` (main included).
    pub io_threads_num: usize,
    /// `lazyfree-lazy-server-del`.
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del`.
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush`.
    pub lazyfree_lazy_user_flush: bool,
    /// `lazyfree-lazy-expire`.
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-eviction`.
    #[serde(default)]
    pub lazyfree_lazy_eviction: bool,
    /// `maxmemory` (0 and absent: no limit).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub maxmemory: u64,
    /// `maxmemory-policy` (absent: `noeviction`).
    #[serde(default = "noeviction", skip_serializing_if = "is_noeviction")]
    pub maxmemory_policy: String,
    /// `maxmemory-samples` (absent: 5).
    #[serde(default = "five", skip_serializing_if = "is_five")]
    pub maxmemory_samples: usize,
    /// `DEBUG REPLY-COPY-AVOIDANCE`.
    pub reply_copy_avoidance: bool,
    /// Refcount width in bits.
    pub refcount_bits: u32,
    /// `cluster-enabled`.
    pub cluster_enabled: bool,
    /// The reclamation strategy (`confinement`, Redis's, when absent: files written before
    /// strategies existed still load).
    #[serde(default = "confinement", skip_serializing_if = "is_confinement")]
    pub strategy: String,
    /// The Redis variant (`pin`: the pinned 8.6.0 commit; `14934`: the #14934 branch). Files
    /// written before variants existed load as `pin`.
    #[serde(default = "pin")]
    pub variant: String,
    /// Candidate fixes of upstream bugs switched on (`--fix`; none when absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<String>,
    /// `timeout` in seconds (0 = never; absent in older files).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub maxidletime: u64,
    /// The hard limit of `client-output-buffer-limit normal` (0 = none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub client_obuf_normal_hard: u64,
    /// Whether a slot trim is the active one (main) rather than the background one (BIO).
    #[serde(default, skip_serializing_if = "is_false")]
    pub asm_active_trim: bool,
    /// `databases` (16, the default, when absent: files written before databases existed
    /// still load, and a default is not written).
    #[serde(default = "sixteen", skip_serializing_if = "is_sixteen")]
    pub databases: usize,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn sixteen() -> usize {
    16
}

fn is_sixteen(n: &usize) -> bool {
    *n == 16
}

fn noeviction() -> String {
    MaxmemoryPolicy::NoEviction.name().to_string()
}

fn is_noeviction(s: &str) -> bool {
    s == MaxmemoryPolicy::NoEviction.name()
}

fn five() -> usize {
    5
}

fn is_five(n: &usize) -> bool {
    *n == 5
}

fn pin() -> String {
    Variant::Pin.name().to_string()
}

fn confinement() -> String {
    Strategy::Confinement.name().to_string()
}

fn is_confinement(s: &str) -> bool {
    s == Strategy::Confinement.name()
}

impl ConfigFile {
    fn of(c: &Config) -> Self {
        // Exhaustive on purpose: a new Config field fails to compile here until it is stored.
        let Config {
            io_threads_num,
            lazyfree_lazy_server_del,
            lazyfree_lazy_user_del,
            lazyfree_lazy_user_flush,
            lazyfree_lazy_expire,
            lazyfree_lazy_eviction,
            maxmemory,
            maxmemory_policy,
            maxmemory_samples,
            lfu_log_factor: _,
            lfu_decay_time: _,
            reply_copy_avoidance,
            refcount_bits,
            faults: _,
            word_mode: _,
            cluster_enabled,
            strategy,
            variant,
            fixes,
            maxidletime,
            client_obuf_normal_hard,
            asm_active_trim,
            databases,
        } = *c;
        ConfigFile {
            io_threads_num,
            lazyfree_lazy_server_del,
            lazyfree_lazy_user_del,
            lazyfree_lazy_user_flush,
            lazyfree_lazy_expire,
            lazyfree_lazy_eviction,
            maxmemory,
            maxmemory_policy: maxmemory_policy.name().to_string(),
            maxmemory_samples,
            reply_copy_avoidance,
            refcount_bits,
            cluster_enabled,
            strategy: strategy.name().to_string(),
            variant: variant.name().to_string(),
            fixes: fixes.iter().map(|f| f.name().to_string()).collect(),
            maxidletime,
            client_obuf_normal_hard,
            asm_active_trim,
            databases,
        }
    }

    fn config(&self, faults: FaultSet, word_mode: WordMode) -> Result<Config, String> {
        if !(1..=8).contains(&self.io_threads_num) {
            return Err(format!(
                "io_threads_num {} is outside 1..=8",
                self.io_threads_num
            ));
        }
        if !(3..=23).contains(&self.refcount_bits) {
            return Err(format!(
                "refcount_bits {} is outside 3..=23",
                self.refcount_bits
            ));
        }
        if !(1..=16).contains(&self.databases) {
            return Err(format!("databases {} is outside 1..=16", self.databases));
        }
        Ok(Config {
            databases: self.databases,
            io_threads_num: self.io_threads_num,
            lazyfree_lazy_server_del: self.lazyfree_lazy_server_del,
            lazyfree_lazy_user_del: self.lazyfree_lazy_user_del,
            lazyfree_lazy_user_flush: self.lazyfree_lazy_user_flush,
            lazyfree_lazy_expire: self.lazyfree_lazy_expire,
            lazyfree_lazy_eviction: self.lazyfree_lazy_eviction,
            maxmemory: self.maxmemory,
            maxmemory_policy: MaxmemoryPolicy::parse(self.maxmemory_policy.as_bytes())
                .ok_or_else(|| format!("unknown maxmemory_policy {}", self.maxmemory_policy))?,
            maxmemory_samples: self.maxmemory_samples,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            reply_copy_avoidance: self.reply_copy_avoidance,
            refcount_bits: self.refcount_bits,
            faults,
            word_mode,
            cluster_enabled: self.cluster_enabled,
            strategy: Strategy::parse(&self.strategy).map_err(|e| e.to_string())?,
            variant: Variant::parse(&self.variant).map_err(|e| e.to_string())?,
            fixes: FixSet::parse(&self.fixes.join(",")).map_err(|e| e.to_string())?,
            maxidletime: self.maxidletime,
            client_obuf_normal_hard: self.client_obuf_normal_hard,
            asm_active_trim: self.asm_active_trim,
        })
    }
}

/// One client of a [`SpecFile`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientFile {
    /// IO thread (1-based), or 0: the client lives on the main thread.
    pub io: u8,
    /// Commands, one per request.
    pub script: Vec<Command>,
    /// Bytes the socket accepts per write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sndbuf: Option<usize>,
    /// The peer hangs up after its last request without reading the pending replies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hangup: bool,
    /// The whole script goes in one write (absent: one request per write).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pipeline: bool,
}

/// A [`Spec`] as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// Server configuration.
    pub config: ConfigFile,
    /// Commands run on main before the threads start.
    pub setup: Vec<Command>,
    /// The clients.
    pub clients: Vec<ClientFile>,
    /// Whether a BIO thread runs.
    pub bio_thread: bool,
    /// Whether every run must take a reply reference.
    pub needs_reply_refs: bool,
}

impl SpecFile {
    /// The data of `spec`.
    pub fn of(spec: &Spec) -> Self {
        SpecFile {
            config: ConfigFile::of(&spec.cfg),
            setup: encode_cmds(&spec.setup),
            clients: spec
                .clients
                .iter()
                .map(|c| ClientFile {
                    io: c.io,
                    script: encode_cmds(&c.script),
                    sndbuf: c.sndbuf,
                    hangup: c.hangup,
                    pipeline: c.pipeline,
                })
                .collect(),
            bio_thread: spec.bio_thread,
            needs_reply_refs: spec.needs_reply_refs,
        }
    }

    /// The spec, with `faults` and `word_mode`.
    pub fn spec(&self, faults: FaultSet, word_mode: WordMode) -> Result<Spec, String> {
        let cfg = self.config.config(faults, word_mode)?;
        let threads = cfg.io_threads_num - 1;
        let clients = self
            .clients
            .iter()
            .map(|c| {
                if c.io as usize > threads {
                    return Err(format!(
                        "a client is on IO thread {} but the config has {threads}",
                        c.io
                    ));
                }
                if c.sndbuf == Some(0) {
                    return Err("a client's sndbuf is 0 (it could never be written to)".into());
                }
                Ok(ClientSpec {
                    io: c.io,
                    script: decode_cmds(&c.script)?,
                    sndbuf: c.sndbuf,
                    hangup: c.hangup,
                    pipeline: c.pipeline,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Spec {
            cfg,
            setup: decode_cmds(&self.setup)?,
            clients,
            bio_thread: self.bio_thread,
            needs_reply_refs: self.needs_reply_refs,
        })
    }
}

/// A counterexample's size: what shrinking reduces.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Commands (setup and scripts).
    pub commands: usize,
    /// Clients.
    pub clients: usize,
    /// Recorded schedule decisions.
    pub decisions: usize,
    /// Preemptions in the execution.
    pub preemptions: usize,
    /// Context switches in the execution.
    pub switches: usize,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} command(s), {} client(s), {} decision(s), {} preemption(s), {} context switch(es)",
            self.commands, self.clients, self.decisions, self.preemptions, self.switches
        )
    }
}

/// What shrinking did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrinkReport {
    /// Size as found.
    pub before: Size,
    /// Size as written.
    pub after: Size,
    /// Candidate replays and re-explorations tried.
    pub attempts: usize,
}

/// A replayable counterexample (the file format).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counterexample {
    /// Always [`FORMAT`].
    pub format: String,
    /// The scenario it came from (its fixed-model expectation judges a replay without faults).
    pub scenario: String,
    /// Faults switched on.
    pub faults: Vec<String>,
    /// `detect-race` (the race check on the refcount word) or `split-rmw`.
    pub word_mode: String,
    /// The explorer that found it.
    pub explorer: String,
    /// The explorer's seed.
    pub seed: u64,
    /// Schedules the explorer ran up to and including the failing one.
    pub schedules_to_bug: usize,
    /// The invariant broken (its name in the file, e.g. `"DATA_RACE"`).
    #[serde(with = "invariant_name")]
    pub invariant: Invariant,
    /// The violation's first line.
    pub message: String,
    /// The world.
    pub spec: SpecFile,
    /// The failing execution's choices.
    pub schedule: Decisions,
    /// How a replay uses `schedule`.
    pub schedule_semantics: String,
    /// What shrinking did, if it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrink: Option<ShrinkReport>,
}

/// An [`Invariant`] as its name in files: committed counterexamples name it as text, and an
/// unknown name is a malformed file.
mod invariant_name {
    use super::*;

    pub fn serialize<S: Serializer>(i: &Invariant, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(i.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Invariant, D::Error> {
        let name = String::deserialize(d)?;
        Invariant::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown invariant '{name}'")))
    }
}

/// A word mode's name in files and on the command line.
pub fn word_mode_name(m: WordMode) -> &'static str {
    match m {
        WordMode::DetectRace => "detect-race",
        WordMode::SplitRmw => "split-rmw",
    }
}

/// Parse a word mode name.
pub fn parse_word_mode(s: &str) -> Result<WordMode, String> {
    match s {
        "detect-race" => Ok(WordMode::DetectRace),
        "split-rmw" => Ok(WordMode::SplitRmw),
        _ => Err(format!(
            "unknown word mode '{s}' (detect-race or split-rmw)"
        )),
    }
}

/// Longest argument a replay file may describe (Redis's default `proto-max-bulk-len`).
const MAX_ARG_BYTES: usize = 512 * 1024 * 1024;

impl Counterexample {
    /// Read and check a counterexample file; the error is one line.
    pub fn load(path: &Path) -> Result<Counterexample, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read replay file {}: {e}", path.display()))?;
        let cx: Counterexample = serde_json::from_str(&text)
            .map_err(|e| format!("malformed replay file {}: {e}", path.display()))?;
        if cx.format != FORMAT {
            return Err(format!(
                "replay file {} has format '{}', expected '{FORMAT}'",
                path.display(),
                cx.format
            ));
        }
        cx.fault_set()?;
        let spec = cx
            .spec(None)
            .map_err(|e| format!("malformed replay file {}: {e}", path.display()))?;
        if spec.clients.is_empty() {
            return Err(format!(
                "malformed replay file {}: no clients",
                path.display()
            ));
        }
        // Task ids: 0 = main, then one per IO thread, then BIO when spawned.
        let tasks = spec.cfg.io_threads_num + usize::from(spec.bio_thread);
        if let Some(t) = cx.schedule.tasks.iter().find(|&&t| t >= tasks) {
            return Err(format!(
                "malformed replay file {}: the schedule names task {t}, but the world has {tasks} task(s)",
                path.display()
            ));
        }
        Ok(cx)
    }

    /// Write it as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// The faults recorded in the file.
    pub fn fault_set(&self) -> Result<FaultSet, String> {
        FaultSet::parse(&self.faults.join(",")).map_err(|e| e.to_string())
    }

    /// The world to replay: with the file's faults, or with `faults` instead.
    pub fn spec(&self, faults: Option<FaultSet>) -> Result<Spec, String> {
        self.spec_with(faults, None)
    }

    /// [`Counterexample::spec`], also replacing the file's strategy when `strategy` is given.
    pub fn spec_with(
        &self,
        faults: Option<FaultSet>,
        strategy: Option<Strategy>,
    ) -> Result<Spec, String> {
        let f = match faults {
            Some(f) => f,
            None => self.fault_set()?,
        };
        let mut spec = self.spec.spec(f, parse_word_mode(&self.word_mode)?)?;
        if let Some(s) = strategy {
            spec.cfg.strategy = s;
        }
        Ok(spec)
    }

    /// [`Counterexample::spec_with`], also replacing the file's candidate fixes when `fixes` is
    /// given (`refrace replay --fix`).
    pub fn spec_fixed(
        &self,
        faults: Option<FaultSet>,
        strategy: Option<Strategy>,
        fixes: Option<FixSet>,
    ) -> Result<Spec, String> {
        let mut spec = self.spec_with(faults, strategy)?;
        if let Some(x) = fixes {
            spec.cfg.fixes = x;
        }
        Ok(spec)
    }

    /// The candidate fixes recorded in the file.
    pub fn fix_set(&self) -> Result<FixSet, String> {
        FixSet::parse(&self.spec.config.fixes.join(",")).map_err(|e| e.to_string())
    }

    /// The scenario it names, if known.
    pub fn scenario(&self) -> Option<&'static Scenario> {
        crate::scenarios::find(&self.scenario)
    }

    /// Its size now (replays once to count preemptions and switches).
    pub fn size(&self) -> Result<Size, String> {
        let spec = self.spec(None)?;
        let r = replay(&spec, &self.schedule);
        Ok(Size {
            commands: spec.commands(),
            clients: spec.clients.len(),
            decisions: self.schedule.tasks.len(),
            preemptions: r.taken.preemptions(),
            switches: r.taken.switches(),
        })
    }
}

/// The counterexample of a shuttle failure of scenario `sc` under `opts` (`None` when the
/// explorer recorded no schedule, e.g. real threads, or the failure names no invariant).
pub fn from_failure(
    sc: &Scenario,
    opts: &crate::scenarios::Opts,
    explorer: &str,
    seed: u64,
    f: &crate::explore::Failure,
) -> Option<Counterexample> {
    Some(Counterexample {
        format: FORMAT.to_string(),
        scenario: sc.name.to_string(),
        faults: opts.faults.iter().map(|f| f.name().to_string()).collect(),
        word_mode: word_mode_name(opts.word_mode).to_string(),
        explorer: explorer.to_string(),
        seed,
        schedules_to_bug: f.schedule,
        invariant: f.invariant?,
        message: f.message.lines().next().unwrap_or("").to_string(),
        spec: SpecFile::of(&(sc.spec)(opts)),
        schedule: f.decisions.clone()?,
        schedule_semantics: SEMANTICS.to_string(),
        shrink: None,
    })
}

/// A violation seen by a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant named, if any.
    pub invariant: Option<Invariant>,
    /// The full panic message.
    pub message: String,
}

/// What one replay did.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The violation, if the run failed.
    pub violation: Option<Violation>,
    /// Every ledger event, the violation last.
    pub trace: Vec<Event>,
    /// The execution's scheduling points.
    pub taken: Taken,
}

/// Run `spec` once under the lenient scheduler following `decisions`, tracing the ledger.
/// Panics inside are caught (silence the panic hook around it with `quiet::quietly`).
pub fn replay(spec: &Spec, decisions: &Decisions) -> Replay {
    let slot: TraceSlot = Arc::default();
    let taken = Arc::new(Mutex::new(Taken::default()));
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    let (s, sl) = (spec.clone(), slot.clone());
    let sched = Lenient::new(decisions.clone(), taken.clone());
    // One execution; the watchdog's counter never moves, so a replay that hangs is reported
    // stuck after the stall interval, with the trace up to the hang.
    let ended = crate::watchdog::watch(
        "replay",
        crate::watchdog::stall_from_env(),
        &crate::watchdog::Progress::default(),
        move || {
            catch_unwind(AssertUnwindSafe(move || {
                shuttle::Runner::new(sched, config).run(move || {
                    run_with(&s, Some(&sl));
                })
            }))
            .err()
            .map(|p| crate::explore::panic_message(&*p))
        },
    );
    let violation = match ended {
        Ok(m) => m,
        Err(s) => Some(crate::watchdog::stuck_message("the replay", s)),
    }
    .map(|message| Violation {
        invariant: crate::explore::invariant_of(&message),
        message,
    });
    let trace = slot
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .map(|t| t.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .unwrap_or_default();
    let taken = taken.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Replay {
        violation,
        trace,
        taken,
    }
}
