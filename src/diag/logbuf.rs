//! The last log lines, kept in memory so the diagnostics screen can show them without a log
//! file. [`layer`] is a `tracing` layer the binary installs beside its stderr output.
//!
//! Lines are stored as logged and masked when read ([`recent`]): any run of ten or more
//! digits (a NIK, a card or KK number), also grouped with single spaces, dashes or dots as
//! the screens show them, keeps its first four and last two digits only. [`Masked`] does
//! the same for the binary's stderr output.

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

/// The masking is shared with the hub's logs.
pub use anjungan_core::logmask::{Masked, MaskingWriter, mask};

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
            push(format!("line {i}: 3273011205800001"));
        }
        let last = recent(2);
        assert_eq!(last.len(), 2);
        assert!(
            last[1].starts_with(&format!("line {}: ", CAPACITY + 4)),
            "{last:?}"
        );
        assert!(last.iter().all(|l| l.contains("3273**********01")));
    }

    #[test]
    fn grouped_identifiers_are_masked_too() {
        // The NIK as the member screens group it, a card number, a phone number.
        assert_eq!(
            mask("NIK 3273 0112 0580 0001 ok"),
            "NIK 3273 **** **** **01 ok"
        );
        assert_eq!(mask("3273-0112-0580-0001"), "3273-****-****-**01");
        assert_eq!(mask("3273.0112.0580.0001"), "3273.****.****.**01");
        assert_eq!(mask("kartu 0001 0000 0001 1"), "kartu 0001 **** ***1 1");
        assert_eq!(mask("tel 0812-3456-7890."), "tel 0812-****-**90.");
        // Short groups and dates stay, and so do IPv4 addresses.
        assert_eq!(mask("at 2026-11-22 v1.2.3"), "at 2026-11-22 v1.2.3");
        assert_eq!(mask("ip 192.168.100.200"), "ip 192.168.100.200");
        // Two separators in a row end the run.
        assert_eq!(mask("12345  67890 12"), "12345  67890 12");
    }

    #[test]
    fn the_stderr_writer_masks_each_line() {
        use std::io::Write as _;
        let mut w = MaskingWriter(Vec::new());
        w.write_all(b"nik=3273011205800001 grouped 3273 0112 0580 0001\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(w.0).unwrap(),
            "nik=3273**********01 grouped 3273 **** **** **01\n"
        );
        // Through a real fmt subscriber, as the binary installs it.
        let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let make = {
            let sink = sink.clone();
            move || SinkWriter(sink.clone())
        };
        let subscriber = tracing_subscriber::fmt()
            .with_writer(Masked(make))
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(nik = "3273 0112 0580 0001", "looked up 3273011205800001");
        });
        let text = String::from_utf8(sink.lock().unwrap().clone()).unwrap();
        assert!(text.contains("3273**********01"), "{text}");
        assert!(text.contains("3273 **** **** **01"), "{text}");
        assert!(!text.contains("0580"), "{text}");
    }

    struct SinkWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for SinkWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
