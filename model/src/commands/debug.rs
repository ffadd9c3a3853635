//! DEBUG. Mirrors `debugCommand` (src/debug.c), only `DEBUG REPLY-COPY-AVOIDANCE <n>`
//! (8.6, #14608), the switch of Reply Copy Avoidance, and `DEBUG SLEEP <seconds>` (time passing,
//! on the model's logical clock: expiry and idle timeouts); and, not Redis, `DEBUG LEDGER` (the
//! oracle's live report). Main thread only.

use super::{arg, Client, Server};
use crate::networking::{
    add_reply_bulk_cbuffer, add_reply_status, add_reply_subcommand_syntax_error,
};
use crate::util::{atoi, cstr};

/// `debugCommand` (debug.c), only `DEBUG SLEEP <seconds>` ([`sleep_ms`]; `+OK`) and
/// `DEBUG REPLY-COPY-AVOIDANCE <n>` (8.6, #14608): sets
/// `reply_copy_avoidance` to `atoi(n) != 0` and replies `+OK` (so any third argument is
/// accepted; the model follows debug.c's `atoi` convention, not verified against 8.6's text).
/// Anything else, including other real DEBUG subcommands and `HELP`: `ERR unknown subcommand or
/// wrong number of arguments for '<sub>'. Try DEBUG HELP.`
pub(super) fn debug(s: &mut Server, c: &mut Client) {
    let sub = arg(s, c, 1);
    if c.argv.len() == 3 && cstr(&sub).eq_ignore_ascii_case(b"reply-copy-avoidance") {
        let v = arg(s, c, 2);
        s.cfg.reply_copy_avoidance = atoi(&v) != 0;
        add_reply_status(s, c, "OK");
        return;
    }
    if c.argv.len() == 3 && cstr(&sub).eq_ignore_ascii_case(b"sleep") {
        let v = arg(s, c, 2);
        s.now_ms = s.now_ms.saturating_add(sleep_ms(&v));
        add_reply_status(s, c, "OK");
        return;
    }
    if c.argv.len() == 2 && cstr(&sub).eq_ignore_ascii_case(b"ledger") {
        let report = ledger_report(s);
        add_reply_bulk_cbuffer(s, c, report.as_bytes());
        return;
    }
    add_reply_subcommand_syntax_error(s, c);
}

/// `DEBUG SLEEP <seconds>` (debug.c): `strtod` of the argument (what it cannot read is 0),
/// times 1,000,000 µs, slept. The model's clock is logical: it advances by the whole
/// milliseconds slept (nothing for a negative or unreadable time).
fn sleep_ms(v: &[u8]) -> i64 {
    let t = cstr(v);
    let text = std::str::from_utf8(t).unwrap_or("");
    let t = text.trim_start();
    // `strtod`: the longest prefix that parses as a decimal number.
    let mut best = 0.0f64;
    for end in 1..=t.len() {
        if let Ok(x) = t[..end].parse::<f64>() {
            best = x;
        }
    }
    let us = best * 1_000_000.0;
    if us.is_finite() && us > 0.0 {
        (us as i64) / 1000
    } else {
        0
    }
}

/// `DEBUG LEDGER` (not Redis): the oracle's live report as text lines: the `# Ledger` counts,
/// live allocations by kind, and the reports of the latest violations (object, holders, last
/// events).
pub(crate) fn ledger_report(s: &Server) -> String {
    let mut out = String::new();
    for (k, v) in super::info::ledger_fields(s) {
        if k.starts_with('#') {
            out.push_str(&format!("{k}\n"));
        } else {
            out.push_str(&format!("{k}:{v}\n"));
        }
    }
    let live = s.env.ledger.live();
    out.push_str("# Live allocations by kind (count, bytes)\n");
    for (k, n, b) in &live.by_kind {
        out.push_str(&format!("{k:?}:{n},{b}\n"));
    }
    out.push_str(&format!(
        "# Latest violations ({} of {})\n",
        live.recent.len(),
        live.violations
    ));
    for r in &live.recent {
        out.push_str(r);
        out.push('\n');
    }
    out
}
