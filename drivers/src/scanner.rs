//! A serial barcode/QR scanner: lines of ASCII ending in CR (the common default of serial
//! scanners; LF and CRLF are accepted too), read over any [`Transport`].
//!
//! Owns: framing bytes into scans, and bounding what a scanner (or anything pretending to be
//! one) can send. It knows nothing of JKN card numbers: the kiosk decides what a scan means.

use std::io;
use std::time::Duration;

use crate::transport::{DeviceUri, Transport, UriError};

/// The longest scan kept; a longer line is dropped whole (a QR of a web page, or noise).
pub const MAX_SCAN: usize = 128;

/// One thing the scanner read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A line of printable ASCII, trimmed.
    Line(String),
    /// A line longer than [`MAX_SCAN`], or with bytes that are not printable ASCII.
    Unreadable,
}

/// Frames a byte stream into scans.
#[derive(Debug, Default)]
pub struct Framer {
    line: Vec<u8>,
    /// The line in progress already broke a rule; it ends as [`Scan::Unreadable`].
    spoiled: bool,
}

impl Framer {
    /// Feeds bytes; returns the scans they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Scan> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    if self.spoiled {
                        out.push(Scan::Unreadable);
                    } else if !self.line.is_empty() {
                        let s = String::from_utf8_lossy(&self.line).trim().to_owned();
                        if !s.is_empty() {
                            out.push(Scan::Line(s));
                        }
                    }
                    self.line.clear();
                    self.spoiled = false;
                }
                0x20..=0x7e if !self.spoiled => {
                    if self.line.len() >= MAX_SCAN {
                        self.spoiled = true;
                        self.line.clear();
                    } else {
                        self.line.push(b);
                    }
                }
                // Tabs and other control bytes some scanners add before the data.
                b'\t' | 0x02 | 0x03 => {}
                _ => {
                    self.spoiled = true;
                    self.line.clear();
                }
            }
        }
        out
    }
}

/// A scanner on a serial line.
pub struct Scanner {
    transport: Box<dyn Transport>,
    framer: Framer,
}

/// Why the scanner cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    #[error(transparent)]
    Uri(#[from] UriError),
    #[error("the scanner must be on a serial line (serial:///dev/…), not {0}")]
    NotSerial(String),
    #[error("scanner: {0}")]
    Io(#[from] io::Error),
}

impl Scanner {
    /// Opens the scanner at `uri` (`serial:///dev/ttyACM0?baud=9600`).
    pub fn open(uri: &str) -> Result<Self, ScannerError> {
        let parsed: DeviceUri = uri.parse()?;
        if !matches!(parsed, DeviceUri::Serial { .. }) {
            return Err(ScannerError::NotSerial(uri.to_owned()));
        }
        let transport = crate::transport::open(&parsed, Duration::from_secs(2))?;
        Ok(Self::over(transport))
    }

    /// A scanner over any transport (a pty in tests).
    pub fn over(transport: Box<dyn Transport>) -> Self {
        Self {
            transport,
            framer: Framer::default(),
        }
    }

    /// Waits up to `timeout` for bytes; returns the scans they complete (often none).
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<Scan>, ScannerError> {
        let mut buf = [0u8; 256];
        let n = self.transport.recv(&mut buf, timeout)?;
        Ok(self.framer.push(&buf[..n]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_in_cr_lf_or_both_and_noise_is_refused() {
        let mut f = Framer::default();
        assert_eq!(f.push(b"00019443"), vec![]);
        assert_eq!(
            f.push(b"58911\r0001000000012\r\n\n  \r"),
            vec![
                Scan::Line("0001944358911".into()),
                Scan::Line("0001000000012".into())
            ]
        );
        assert_eq!(f.push(b"\x02abc\x03\r"), vec![Scan::Line("abc".into())]);
        assert_eq!(
            f.push(b"a\xffb\rok\r"),
            vec![Scan::Unreadable, Scan::Line("ok".into())]
        );
        let long = vec![b'7'; MAX_SCAN + 1];
        assert_eq!(f.push(&long), vec![]);
        assert_eq!(
            f.push(b"\r1\r"),
            vec![Scan::Unreadable, Scan::Line("1".into())]
        );
    }
}
