//! The interleaving as an SVG sequence diagram, written by hand: one lane per thread (main,
//! IO-1, IO-2, BIO), one row per step, arrows for hand-offs between threads, the refcount at
//! each access beside its dot, the violating step in red, and a legend.

use super::trace::Row;
use std::fmt::Write;

const ROW: usize = 26;
const LANE: usize = 130;
const LEFT: usize = 60;
const TOP: usize = 84;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn colour(r: &Row) -> &'static str {
    if r.violation {
        return "#d62728";
    }
    match r.op.as_str() {
        "incrRefCount" => "#2ca02c",
        "decrRefCount" => "#ff7f0e",
        "hand-off" | "hand-over" => "#1f77b4",
        "free" => "#000000",
        _ => "#7f7f7f",
    }
}

fn lanes(rows: &[Row]) -> Vec<String> {
    let mut io: Vec<String> = rows
        .iter()
        .flat_map(|r| [Some(&r.thread), r.to.as_ref()])
        .flatten()
        .filter(|t| t.starts_with("IO-"))
        .cloned()
        .chain(["IO-1".to_string(), "IO-2".to_string()])
        .collect();
    io.sort_by_key(|t| t[3..].parse::<u32>().unwrap_or(0));
    io.dedup();
    std::iter::once("main".to_string())
        .chain(io)
        .chain(std::iter::once("BIO".to_string()))
        .collect()
}

/// The violating row's text: for a race, the earlier unordered access it conflicts with.
fn violation_text(rows: &[Row], i: usize) -> String {
    let r = &rows[i];
    let earlier = rows[..i].iter().rev().find(|p| {
        p.focus && p.thread != r.thread && matches!(p.op.as_str(), "incrRefCount" | "decrRefCount")
    });
    match earlier {
        Some(p) if r.op.contains("DATA_RACE") => format!(
            "{} {}: unordered with {}'s {} {} (step {})",
            r.thread,
            r.op,
            p.thread,
            p.op,
            p.refcount.as_deref().unwrap_or(""),
            p.step
        ),
        _ => format!("{} {}", r.thread, r.event),
    }
}

/// Render `rows` (usually `trace::focus`) under `title`.
pub fn render(title: &str, rows: &[Row]) -> String {
    let lanes = lanes(rows);
    let x_of = |t: &str| {
        let i = lanes.iter().position(|l| l == t).unwrap_or(0);
        LEFT + i * LANE + LANE / 2
    };
    let text_x = LEFT + lanes.len() * LANE + 16;
    let width = text_x + 640;
    let body = TOP + rows.len() * ROW;
    let height = body + 120;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="12">"#
    );
    s.push_str(concat!(
        r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">"#,
        r##"<path d="M 0 0 L 10 5 L 0 10 z" fill="#1f77b4"/></marker></defs>"##,
        "\n"
    ));
    let (head, detail) = title.split_once(": ").unwrap_or((title, ""));
    let mut detail = detail.to_string();
    if detail.chars().count() > 170 {
        detail = detail.chars().take(167).collect::<String>() + "...";
    }
    let _ = writeln!(
        s,
        r##"<rect width="{width}" height="{height}" fill="white"/><text x="10" y="20" font-size="14" font-weight="bold">{}</text><text x="10" y="38" font-size="11" fill="#d62728">{}</text>"##,
        esc(head),
        esc(&detail)
    );
    for l in &lanes {
        let x = x_of(l);
        let _ = writeln!(
            s,
            r##"<text x="{x}" y="{}" text-anchor="middle" font-weight="bold">{}</text><line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#bbbbbb" stroke-dasharray="4 3"/>"##,
            TOP - 20,
            esc(l),
            TOP - 12,
            body
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="8" y="{}" font-weight="bold">step</text><text x="{text_x}" y="{}" font-weight="bold">ledger event</text>"#,
        TOP - 20,
        TOP - 20
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + i * ROW + ROW / 2;
        let x = x_of(&r.thread);
        let c = colour(r);
        if r.violation {
            let _ = writeln!(
                s,
                r##"<rect x="2" y="{}" width="{}" height="{ROW}" fill="#fde0e0" stroke="#d62728"/>"##,
                y - ROW / 2,
                width - 4
            );
        } else if r.focus {
            let _ = writeln!(
                s,
                r##"<rect x="2" y="{}" width="{}" height="{ROW}" fill="#fff6e0"/>"##,
                y - ROW / 2,
                width - 4
            );
        }
        let _ = writeln!(s, r#"<text x="8" y="{}">{}</text>"#, y + 4, r.step);
        if let Some(to) = &r.to {
            let tx = x_of(to);
            if tx != x {
                let dash = if r.op == "hand-over" {
                    r#" stroke-dasharray="6 3""#
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    r##"<line x1="{x}" y1="{y}" x2="{tx}" y2="{y}" stroke="#1f77b4" stroke-width="1.6" marker-end="url(#arrow)"{dash}/>"##
                );
            }
        }
        let _ = writeln!(
            s,
            r#"<circle cx="{x}" cy="{y}" r="{}" fill="{c}"/>"#,
            if r.violation { 7 } else { 5 }
        );
        if let Some(rc) = &r.refcount {
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" fill="{c}" font-weight="bold">{}</text>"#,
                x + 10,
                y - 3,
                esc(&format!("rc {rc}"))
            );
        }
        let weight = if r.violation || r.focus {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let fill = if r.violation { "#d62728" } else { "#222222" };
        let mut ev = if r.violation {
            violation_text(rows, i)
        } else {
            format!("{} {}", r.thread, r.event)
        };
        if ev.chars().count() > 88 {
            ev = ev.chars().take(85).collect::<String>() + "...";
        }
        let _ = writeln!(
            s,
            r#"<text x="{text_x}" y="{}" fill="{fill}"{weight}>{}</text>"#,
            y + 4,
            esc(&ev)
        );
    }
    let ly = body + 30;
    let legend = [
        ("#2ca02c", "incrRefCount (rc before->after)"),
        ("#ff7f0e", "decrRefCount (rc before->after)"),
        (
            "#1f77b4",
            "hand-off of a client / hand-over of an object (arrow: to that thread)",
        ),
        ("#7f7f7f", "alloc / checked read (rc: count at the access)"),
        ("#d62728", "violating step (rc: the count it saw)"),
    ];
    let _ = writeln!(
        s,
        r#"<text x="10" y="{ly}" font-weight="bold">legend</text>"#
    );
    for (i, (c, what)) in legend.iter().enumerate() {
        let y = ly + 16 + i * 16;
        let _ = writeln!(
            s,
            r#"<circle cx="20" cy="{}" r="5" fill="{c}"/><text x="32" y="{}">{}</text>"#,
            y - 4,
            y,
            esc(what)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{text_x}" y="{}" fill="#555555">highlighted rows: the object the violation names</text>"##,
        ly + 16
    );
    s.push_str("</svg>\n");
    s
}
