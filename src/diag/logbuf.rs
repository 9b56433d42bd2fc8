//! The last log lines, kept in memory so the diagnostics screen can show them without a log
//! file. [`layer`] is a `tracing` layer the binary installs beside its stderr output.
//!
//! Lines are stored as logged and masked when read ([`recent`]): any run of ten or more
//! digits (a NIK, a card or KK number) keeps its first four and last two digits only.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;

/// What the ring keeps: info and up, without the HTTP stack's chatter.
pub const FILTER: &str = "info,hyper=warn,hyper_util=warn,reqwest=warn";

/// Lines kept; the screen shows the last 200.
const CAPACITY: usize = 1000;

static LINES: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// The layer that copies every event it sees into the ring.
pub struct RingLayer;

/// A layer for `tracing_subscriber::registry().with(..)`.
pub fn layer() -> RingLayer {
    RingLayer
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RingLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut line = Line(format!(
            "{} {:>5} {}:",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
            meta.level(),
            meta.target()
        ));
        event.record(&mut line);
        push(line.0);
    }
}

/// Adds a line (the layer does this for every event).
pub fn push(line: String) {
    let mut lines = LINES.lock().unwrap_or_else(|p| p.into_inner());
    if lines.len() == CAPACITY {
        lines.pop_front();
    }
    lines.push_back(line);
}

/// The last `n` lines, oldest first, masked.
pub fn recent(n: usize) -> Vec<String> {
    let lines = LINES.lock().unwrap_or_else(|p| p.into_inner());
    let skip = lines.len().saturating_sub(n);
    lines.iter().skip(skip).map(|l| mask(l)).collect()
}

/// Masks every run of ten or more digits: `3273011205800001` → `3273**********01`.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 10 {
            out.push_str(&run[..4]);
            out.extend(std::iter::repeat_n('*', run.len() - 6));
            out.push_str(&run[run.len() - 2..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_digit_runs_are_masked_and_short_ones_kept() {
        assert_eq!(
            mask("nik=3273011205800001 card 0001944358911 at 2026-11-22 v12345"),
            "nik=3273**********01 card 0001*******11 at 2026-11-22 v12345"
        );
        assert_eq!(mask(""), "");
        assert_eq!(mask("1234567890"), "1234****90");
    }

    #[test]
    fn the_ring_keeps_the_newest_lines_masked() {
        for i in 0..(CAPACITY + 5) {
            push(format!("line {i} 3273011205800001"));
        }
        let last = recent(2);
        assert_eq!(last.len(), 2);
        assert!(
            last[1].starts_with(&format!("line {} ", CAPACITY + 4)),
            "{last:?}"
        );
        assert!(last.iter().all(|l| l.contains("3273**********01")));
    }
}
