//! `refrace run [FILE|-] [--raw]`: feed a RESP request stream through the model as one client
//! on main, print the replies (redis-cli style, or `--raw`: exactly the bytes a server sends, the
//! summary then on stderr) and a ledger summary: allocations, used_memory, violations.

use refrace_model::resp::{decode_reply, Reply};
use refrace_model::Config;
use refrace_sims::world::serve_stream;
use serde_json::json;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `run`.
#[derive(clap::Args)]
pub struct Args {
    /// RESP stream file, or `-` for stdin.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Write exactly the reply bytes to stdout (the summary goes to stderr).
    #[arg(long)]
    raw: bool,
    /// Faults switched on (comma-separated).
    #[arg(long, default_value = "none")]
    fault: String,
    /// Machine-readable output (replies as text with escapes).
    #[arg(long, conflicts_with = "raw")]
    json: bool,
}

fn escape(b: &[u8]) -> String {
    const MAX: usize = 80;
    let shown: String = b[..b.len().min(MAX)]
        .escape_ascii()
        .to_string()
        .replace('"', "\\\"");
    if b.len() > MAX {
        format!("\"{shown}...\" ({} bytes)", b.len())
    } else {
        format!("\"{shown}\"")
    }
}

fn render(r: &Reply, indent: usize, out: &mut String) {
    match r {
        Reply::Status(s) => out.push_str(s),
        Reply::Error(e) => out.push_str(&format!("(error) {e}")),
        Reply::Integer(i) => out.push_str(&format!("(integer) {i}")),
        Reply::Bulk(None) | Reply::Array(None) => out.push_str("(nil)"),
        Reply::Bulk(Some(b)) => out.push_str(&escape(b)),
        Reply::Array(Some(items)) if items.is_empty() => out.push_str("(empty array)"),
        Reply::Array(Some(items)) => {
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                let tag = format!("{}) ", i + 1);
                out.push_str(&tag);
                render(it, indent + tag.len(), out);
            }
        }
    }
}

/// The replies in `bytes`, one rendered reply each.
fn human(mut bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        match decode_reply(bytes) {
            Ok(Some((r, n))) => {
                let mut s = String::new();
                render(&r, 0, &mut s);
                out.push(s);
                bytes = &bytes[n..];
            }
            _ => {
                out.push(format!("(undecodable) {}", escape(bytes)));
                break;
            }
        }
    }
    out
}

/// Run it.
pub fn main(a: Args) -> super::Result {
    let faults = super::faults(&a.fault)?;
    let mut input = Vec::new();
    if a.input.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
    } else {
        input = std::fs::read(&a.input)
            .map_err(|e| format!("cannot read {}: {e}", a.input.display()))?;
    }
    let cfg = Config {
        faults,
        ..Config::default()
    };
    let rep = refrace_sims::quiet::quietly(|| serve_stream(cfg, &input));
    let s = &rep.at_close;
    let summary = format!(
        "ledger: {} allocation(s), {} live, {} freed; used_memory {} bytes at close; violations: {}",
        s.allocations,
        s.live,
        s.frees,
        s.used_memory,
        usize::from(rep.violation.is_some())
    );
    if a.json {
        super::print_json(&json!({
            "replies": human(&rep.replies),
            "allocations": s.allocations,
            "live": s.live,
            "frees": s.frees,
            "used_memory": s.used_memory,
            "violations": rep.violation.iter().collect::<Vec<_>>(),
        }))?;
    } else if a.raw {
        let mut out = std::io::stdout().lock();
        out.write_all(&rep.replies)
            .and_then(|_| out.flush())
            .map_err(|e| format!("cannot write stdout: {e}"))?;
        eprintln!("{summary}");
        if let Some(v) = &rep.violation {
            eprintln!("{v}");
        }
    } else {
        for r in human(&rep.replies) {
            println!("{r}");
        }
        println!("{summary}");
        if let Some(v) = &rep.violation {
            println!("{v}");
        }
    }
    Ok(if rep.violation.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
