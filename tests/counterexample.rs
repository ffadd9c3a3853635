//! Counterexamples: a freshly found #14738 counterexample replays its violation 10 times out of
//! 10 under the lenient scheduler, survives a save/load round trip, is clean on the fixed model,
//! and shrinks to something strictly smaller that still breaks the same invariant. The committed
//! counterexample under `reports/counterexamples/` replays too, and every finding under
//! `reports/findings/` reproduces 10/10 and is clean with its fix.

use refrace_model::FaultSet;
use refrace_sims::counterexample::{from_failure, replay, Counterexample};
use refrace_sims::explore::Explorer;
use refrace_sims::quiet::quietly;
use refrace_sims::scenarios::{find, Opts};
use refrace_sims::shrink::{shrink, Limits};
use std::path::Path;

fn found(scenario: &str, faults: &str, mode: Explorer, seed: u64) -> Counterexample {
    let sc = find(scenario).expect("known scenario");
    let opts = Opts {
        faults: FaultSet::parse(faults).expect("known faults"),
        ..Opts::default()
    };
    let o = mode.run(sc, opts, 2000, seed);
    let f = o.first.expect("the explorer finds the bug");
    from_failure(sc, &opts, &o.explorer, seed, &f).expect("a recorded schedule")
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[test]
fn defer_shared_free_replays_ten_times_out_of_ten() {
    let cx = found(
        "get_reply_ref_vs_overwrite",
        "defer-shared-free",
        Explorer::PCT,
        7,
    );
    let spec = cx.spec(None).unwrap();
    let mut traces = Vec::new();
    for _ in 0..10 {
        let r = quietly(|| replay(&spec, &cx.schedule));
        let v = r.violation.expect("the replay fails again");
        assert_eq!(v.invariant, Some(cx.invariant));
        assert_eq!(first_line(&v.message), cx.message);
        traces.push(r.trace);
    }
    assert!(
        traces.windows(2).all(|w| w[0] == w[1]),
        "every replay produces the same event trace"
    );
    assert!(
        matches!(
            traces[0].last().map(|e| &e.op),
            Some(refrace_model::ledger::Op::Violation { .. })
        ),
        "the trace ends with the violating step"
    );
}

#[test]
fn replay_file_round_trips_and_the_fixed_model_is_clean() {
    let cx = found(
        "get_reply_ref_vs_overwrite",
        "defer-shared-free",
        Explorer::ShuttleRandom,
        3,
    );
    let dir = std::env::temp_dir().join(format!("refrace-cx-{}", std::process::id()));
    let file = dir.join("cx.json");
    cx.save(&file).unwrap();
    let back = Counterexample::load(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(back, cx);
    let fixed = quietly(|| replay(&back.spec(Some(FaultSet::NONE)).unwrap(), &back.schedule));
    assert!(fixed.violation.is_none(), "{:?}", fixed.violation);
    assert!(!fixed.trace.is_empty());
}

#[test]
fn shrinking_reduces_the_counterexample_and_keeps_the_invariant() {
    // deferred_release_then_address_reuse has four commands; fewer still break the invariant.
    let cx = found(
        "deferred_release_then_address_reuse",
        "untracked-io-release",
        Explorer::ShuttleRandom,
        5,
    );
    let small = shrink(&cx, Limits::default()).unwrap();
    let rep = small.shrink.clone().unwrap();
    assert!(
        (rep.after.commands, rep.after.decisions) < (rep.before.commands, rep.before.decisions),
        "{rep:?}"
    );
    assert!(rep.after.preemptions <= rep.before.preemptions, "{rep:?}");
    let r = quietly(|| replay(&small.spec(None).unwrap(), &small.schedule));
    assert_eq!(r.violation.and_then(|v| v.invariant), Some(cx.invariant));
}

/// Every counterexample committed under `reports/counterexamples/` reproduces its recorded
/// violation 10/10 and replays clean on the fixed model.
#[test]
fn committed_counterexamples_replay_and_are_clean_without_the_fault() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/counterexamples");
    let files = json_files(&dir);
    assert!(
        files.len() >= 2,
        "expected the committed counterexamples in {dir:?}"
    );
    for file in files {
        let cx = Counterexample::load(&file).unwrap();
        assert_eq!(cx.faults, ["defer-shared-free"], "{file:?}");
        replays_ten_times(&file, &cx);
        let fixed = quietly(|| replay(&cx.spec(Some(FaultSet::NONE)).unwrap(), &cx.schedule));
        assert!(fixed.violation.is_none(), "{file:?}: {:?}", fixed.violation);
    }
}

/// Every finding's counterexample under `reports/findings/` reproduces its recorded violation
/// 10/10, and replays clean with the finding's fix (a scenario expecting "upstream bug <name>")
/// or, for a finding made with a fault switched on, without the fault.
#[test]
fn committed_findings_replay_and_are_clean_with_their_fix() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/findings");
    let files = json_files(&dir);
    assert!(files.len() >= 3, "expected the findings in {dir:?}");
    for file in files {
        let cx = Counterexample::load(&file).unwrap();
        replays_ten_times(&file, &cx);
        let fixed = match cx.scenario().and_then(|sc| sc.finding()) {
            Some(f) if cx.faults.is_empty() => cx
                .spec_fixed(None, None, Some(refrace_model::FixSet::of(&[f.fix])))
                .unwrap(),
            _ => cx.spec(Some(FaultSet::NONE)).unwrap(),
        };
        let r = quietly(|| replay(&fixed, &cx.schedule));
        assert!(r.violation.is_none(), "{file:?}: {:?}", r.violation);
    }
}

/// The `.json` files of `dir`, sorted.
fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// `cx` (loaded from `file`) reproduces its recorded violation 10 times out of 10.
fn replays_ten_times(file: &Path, cx: &Counterexample) {
    let spec = cx.spec(None).unwrap();
    for _ in 0..10 {
        let r = quietly(|| replay(&spec, &cx.schedule));
        assert_eq!(
            r.violation.map(|v| first_line(&v.message).to_string()),
            Some(cx.message.clone()),
            "{file:?}"
        );
    }
}
