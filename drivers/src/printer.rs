//! The receipt printer: real-time status and printing with fault reporting, over any
//! [`Transport`].
//!
//! Owns the status protocol (DLE EOT n, GS r 1) and the rule that a slip is either printed,
//! refused before printing with the reason, or reported as interrupted: never silently lost.
//!
//! # Stale status replies
//! A status byte can arrive after the host gave up waiting for it, and would then be read as
//! the answer to the next question. Three defences, in order:
//! 1. before every status exchange, input already waiting is drained and thrown away;
//! 2. questions are asked one at a time, each waiting for its own byte, and a byte that does
//!    not have the fixed bits of a DLE EOT reply (bit 1 and 4 set, bit 0 and 7 clear) is
//!    discarded rather than believed;
//! 3. a question that timed out is remembered; the next status read first waits up to one
//!    status timeout for that late byte and throws it away, so it cannot answer the next
//!    question;
//! 4. the end-of-job check uses GS r 1, whose reply has bit 4 *clear*, so it can never be
//!    mistaken for a real-time reply (or the other way round).
//!
//! # Completion
//! A printer answers DLE EOT at once, even with a job still in its buffer. So after sending a
//! job the driver sends GS r 1 (transmit paper sensor status), which the printer answers only
//! when it reaches it, i.e. after everything before it printed. No answer within the job's
//! deadline means the job stopped; the real-time status then says why, and the job is reported
//! as [`PrinterError::Interrupted`].

use std::io;
use std::time::{Duration, Instant};

use crate::transport::{self, DeviceUri, Transport};

/// The four facts the kiosk needs from the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    pub online: bool,
    pub cover_open: bool,
    pub paper_end: bool,
    pub paper_near_end: bool,
}

/// Why a printer cannot print now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The roll is empty.
    PaperEnd,
    /// The cover is open.
    CoverOpen,
    /// The printer reports itself offline (or answers nothing).
    Offline,
}

impl Fault {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::PaperEnd => "PRINTER_PAPER_END",
            Self::CoverOpen => "PRINTER_COVER_OPEN",
            Self::Offline => "PRINTER_OFFLINE",
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PaperEnd => "paper end",
            Self::CoverOpen => "cover open",
            Self::Offline => "offline",
        })
    }
}

impl PrinterStatus {
    /// The fault that stops printing, if any (paper near end is a warning, not a fault).
    pub fn fault(&self) -> Option<Fault> {
        if self.cover_open {
            Some(Fault::CoverOpen)
        } else if self.paper_end {
            Some(Fault::PaperEnd)
        } else if !self.online {
            Some(Fault::Offline)
        } else {
            None
        }
    }

    /// Ready to print.
    pub fn ready(&self) -> bool {
        self.fault().is_none()
    }

    /// Decodes the replies to DLE EOT 1, 2 and 4.
    pub fn from_replies(printer: u8, offline_cause: u8, paper: u8) -> Self {
        Self {
            online: printer & 0x08 == 0,
            cover_open: offline_cause & 0x04 != 0,
            paper_end: paper & 0x60 != 0 || offline_cause & 0x20 != 0,
            paper_near_end: paper & 0x0c != 0,
        }
    }

    /// The replies a printer in this state gives to DLE EOT 1, 2 and 4.
    pub fn to_replies(&self) -> [u8; 3] {
        let mut r = [FIXED; 3];
        if !self.online || self.fault().is_some() {
            r[0] |= 0x08;
        }
        if self.cover_open {
            r[1] |= 0x04;
        }
        if self.paper_end {
            r[1] |= 0x20;
            r[2] |= 0x60;
        }
        if self.paper_near_end {
            r[2] |= 0x0c;
        }
        r
    }
}

/// Fixed bits of every DLE EOT reply: bit 1 and bit 4 set.
const FIXED: u8 = 0x12;
const FIXED_MASK: u8 = 0x93;
/// DLE EOT n, written out because escpos's `real_time_status` appends a stray 0x00.
pub fn dle_eot(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}
/// GS r 1: transmit paper sensor status, processed in order with the print data.
pub const GS_R_1: [u8; 3] = [0x1d, b'r', 1];

/// Unexpected bytes one answer may be preceded by before the printer counts as flooding.
/// A real printer sends one byte per question; a few stale ones are normal.
const MAX_DISCARDED: u32 = 64;

/// A transport error, with a flood named as such.
fn from_io(e: io::Error) -> PrinterError {
    if transport::is_flooding(&e) {
        PrinterError::Flooding
    } else {
        PrinterError::Io(e)
    }
}

/// Why printing or a status read failed.
#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    #[error(transparent)]
    Uri(#[from] transport::UriError),
    #[error("cannot reach printer at {uri}: {source}")]
    Connect {
        uri: String,
        #[source]
        source: io::Error,
    },
    #[error("printer connection failed: {0}")]
    Io(#[from] io::Error),
    /// The printer (or whatever answers at its address) sends far more than it was asked
    /// for; its replies cannot be trusted, so it counts as offline.
    #[error("the printer keeps sending data it was not asked for")]
    Flooding,
    /// The printer said it cannot print; nothing was sent.
    #[error("printer not ready: {0}")]
    NotReady(Fault),
    /// The job was sent but did not finish; part of the slip may be on paper.
    #[error("printing stopped: {0}; the slip may be incomplete")]
    Interrupted(Fault),
    #[error(transparent)]
    Render(#[from] crate::receipt::RenderError),
}

impl PrinterError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Uri(_) => "PRINTER_URI",
            Self::Connect { .. } | Self::Io(_) => "PRINTER_OFFLINE",
            Self::Flooding => "PRINTER_FLOODING",
            Self::NotReady(f) => f.code(),
            Self::Interrupted(_) => "PRINTER_INTERRUPTED",
            Self::Render(_) => "PRINTER_RENDER",
        }
    }

    /// The hardware fault behind this error, if it is one the member can see.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            Self::NotReady(f) | Self::Interrupted(f) => Some(*f),
            Self::Connect { .. } | Self::Io(_) | Self::Flooding => Some(Fault::Offline),
            _ => None,
        }
    }
}

/// Timeouts, chosen so that a printer that is not ready is reported well within 10 s.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Connecting (TCP) or opening.
    pub connect: Duration,
    /// Waiting for one status byte.
    pub status: Duration,
    /// Waiting for a job to finish, on top of its wire time.
    pub job: Duration,
    /// Assumed wire speed in bytes per second for the job deadline (serial: baud / 10).
    pub bytes_per_sec: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            status: Duration::from_millis(1000),
            job: Duration::from_secs(5),
            bytes_per_sec: 960,
        }
    }
}

/// What a finished job reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintReport {
    /// Bytes of ESC/POS sent.
    pub bytes: usize,
    /// Status after the job (e.g. paper near end, for the technician).
    pub status: PrinterStatus,
}

/// A receipt printer on some transport.
pub struct EscPosPrinter {
    t: Box<dyn Transport>,
    timeouts: Timeouts,
    /// Status questions that timed out: their answers may still come.
    outstanding: u32,
}

impl EscPosPrinter {
    /// Connects to the printer a URI names.
    pub fn open(uri: &str, mut timeouts: Timeouts) -> Result<Self, PrinterError> {
        let parsed: DeviceUri = uri.parse()?;
        if let DeviceUri::Serial { baud, .. } = parsed {
            timeouts.bytes_per_sec = (baud / 10).max(1);
        }
        let t =
            transport::open(&parsed, timeouts.connect).map_err(|source| PrinterError::Connect {
                uri: parsed.to_string(),
                source,
            })?;
        Ok(Self::new(t, timeouts))
    }

    /// A printer on an open transport.
    pub fn new(t: Box<dyn Transport>, timeouts: Timeouts) -> Self {
        Self {
            t,
            timeouts,
            outstanding: 0,
        }
    }

    /// Reads the real-time status (see the module docs for how stale replies are avoided).
    pub fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let drained = self.t.drain_input().map_err(from_io)?;
        if drained > 0 {
            tracing::debug!(drained, "discarded stale printer input before status");
        }
        while self.outstanding > 0 {
            self.outstanding -= 1;
            if self.read_byte(self.timeouts.status, |_| true)?.is_some() {
                tracing::debug!("discarded a late reply to an earlier status question");
            }
        }
        let mut r = [0u8; 3];
        for (slot, n) in r.iter_mut().zip([1u8, 2, 4]) {
            self.t.send(&dle_eot(n))?;
            match self.read_byte(self.timeouts.status, |b| b & FIXED_MASK == FIXED)? {
                Some(b) => *slot = b,
                // A printer that does not answer is offline as far as the member is concerned.
                None => {
                    self.outstanding += 1;
                    return Ok(PrinterStatus {
                        online: false,
                        ..PrinterStatus::default()
                    });
                }
            }
        }
        Ok(PrinterStatus::from_replies(r[0], r[1], r[2]))
    }

    /// Reads bytes until one passes `accept` or `timeout` passes.
    fn read_byte(
        &mut self,
        timeout: Duration,
        accept: impl Fn(u8) -> bool,
    ) -> Result<Option<u8>, PrinterError> {
        let deadline = Instant::now() + timeout;
        let mut b = [0u8; 1];
        let mut discarded = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.t.recv(&mut b, left)? == 1 {
                if accept(b[0]) {
                    return Ok(Some(b[0]));
                }
                discarded += 1;
                if discarded > MAX_DISCARDED {
                    return Err(PrinterError::Flooding);
                }
                tracing::debug!(byte = b[0], "discarded unexpected printer byte");
                continue;
            }
            if left.is_zero() {
                return Ok(None);
            }
        }
    }

    /// Prints ESC/POS bytes: refuses at once when not ready, and reports a job that did not
    /// finish.
    pub fn print_bytes(&mut self, job: &[u8]) -> Result<PrintReport, PrinterError> {
        let before = self.status()?;
        if let Some(f) = before.fault() {
            return Err(PrinterError::NotReady(f));
        }
        // From here on a failure may leave a partial slip: say so rather than "offline".
        let sent = self.t.send(job).and_then(|_| self.t.send(&GS_R_1));
        if let Err(e) = sent {
            tracing::warn!(error = %e, "printer connection lost during a job");
            return Err(PrinterError::Interrupted(Fault::Offline));
        }
        let wire = Duration::from_secs_f64(job.len() as f64 / self.timeouts.bytes_per_sec as f64);
        let done = self.read_byte(self.timeouts.job + wire, |b| b & 0x90 == 0);
        match done {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                let st = self.status().unwrap_or_default();
                return Err(PrinterError::Interrupted(
                    st.fault().unwrap_or(Fault::Offline),
                ));
            }
        }
        let after = self.status()?;
        Ok(PrintReport {
            bytes: job.len(),
            status: after,
        })
    }

    /// Renders and prints a receipt.
    pub fn print(
        &mut self,
        receipt: &crate::receipt::Receipt,
    ) -> Result<PrintReport, PrinterError> {
        let bytes = receipt.to_escpos()?;
        self.print_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bytes_round_trip() {
        for bits in 0..16u8 {
            let s = PrinterStatus {
                online: bits & 1 == 1,
                cover_open: bits & 2 != 0,
                paper_end: bits & 4 != 0,
                paper_near_end: bits & 8 != 0,
            };
            let [a, b, c] = s.to_replies();
            for r in [a, b, c] {
                assert_eq!(r & FIXED_MASK, FIXED);
            }
            let back = PrinterStatus::from_replies(a, b, c);
            assert_eq!(back.cover_open, s.cover_open);
            assert_eq!(back.paper_end, s.paper_end);
            assert_eq!(back.paper_near_end, s.paper_near_end);
            assert_eq!(back.online, s.online && s.fault().is_none());
        }
    }

    #[test]
    fn faults_in_priority_order() {
        let s = PrinterStatus {
            online: false,
            cover_open: true,
            paper_end: true,
            paper_near_end: false,
        };
        assert_eq!(s.fault(), Some(Fault::CoverOpen));
        let ok = PrinterStatus {
            online: true,
            paper_near_end: true,
            ..Default::default()
        };
        assert!(ok.ready());
    }
}
