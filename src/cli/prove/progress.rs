//! What `prove` says while it runs, on stderr: a line per finished scenario, swarm slice and
//! hunt whatever stderr is, and a progress bar under them when stderr is a terminal.

use std::io::IsTerminal;

/// The progress of one `prove` run.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Progress over `units` units of work (runs, worlds, hunts).
    pub fn new(units: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let pb = indicatif::ProgressBar::new(units);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress { bar: Some(pb) }
    }

    /// What runs now (the bar's message; nothing without a terminal).
    pub fn doing(&self, what: String) {
        if let Some(b) = &self.bar {
            b.set_message(what);
        }
    }

    /// `n` units done.
    pub fn advance(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// A line on stderr (above the bar on a terminal).
    pub fn line(&self, s: String) {
        match &self.bar {
            Some(b) => b.println(s),
            None => eprintln!("{s}"),
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
