//! The dispenser client: requests with timeouts and retries over a serial port, reconnecting
//! when a USB-serial adapter disappears and comes back.
//!
//! Retry rule: an ISSUE keeps its request id across every retry and reconnect, so the
//! dispenser answers a repeat with the number it already gave; each attempt has a fresh
//! sequence number. A late answer to an earlier attempt of the *same* request is taken (it
//! answers the same request id, so it is as good as the current attempt's), which is what
//! lets a dispenser that always answers later than the timeout still serve; an answer to an
//! earlier request is discarded (input is drained before a request's first attempt, and its
//! sequence number is not one of this request's).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use chrono::NaiveDate;
use tokio_util::codec::Decoder;

use super::frame::{Frame, FrameCodec};
use super::{DispenserStatus, NakCode, Ticket, cmd};
use crate::transport::{DeviceUri, SerialTransport, Transport, UriError};

/// Timeouts and retries.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// Wait for a reply this long after the request's last byte (plus wire time).
    pub reply_timeout: Duration,
    /// Attempts per request (first try included).
    pub attempts: u32,
    /// Keep trying to reopen a vanished port this long.
    pub reconnect_for: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            reply_timeout: Duration::from_millis(500),
            attempts: 5,
            reconnect_for: Duration::from_secs(5),
        }
    }
}

/// Why a dispenser request failed.
#[derive(Debug, thiserror::Error)]
pub enum DispenserError {
    #[error(transparent)]
    Uri(#[from] UriError),
    #[error("the dispenser must be a serial:// device, got {0}")]
    NotSerial(String),
    #[error("dispenser not reachable at {path}: {source}")]
    Offline {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("dispenser did not answer after {0} attempts")]
    NoReply(u32),
    #[error("dispenser refused: {0}")]
    Refused(NakCode),
    #[error("dispenser sent an unreadable reply")]
    BadReply,
}

impl DispenserError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Uri(_) | Self::NotSerial(_) => "DISPENSER_URI",
            Self::Offline { .. } | Self::NoReply(_) | Self::BadReply => "DISPENSER_OFFLINE",
            Self::Refused(NakCode::PaperOut) => "DISPENSER_PAPER_OUT",
            Self::Refused(NakCode::SeriesFull) => "DISPENSER_SERIES_FULL",
            Self::Refused(NakCode::UnknownService) => "UNKNOWN_SERVICE",
            Self::Refused(_) => "DISPENSER_REFUSED",
        }
    }
}

/// A dispenser on a serial port.
pub struct DispenserClient {
    path: PathBuf,
    baud: u32,
    port: Option<Box<dyn Transport>>,
    seq: u8,
    cfg: ClientConfig,
    codec: FrameCodec,
    buf: BytesMut,
    /// Reconnections made (for diagnostics and tests).
    pub reconnects: u32,
}

/// A request id that is unique enough: random per process, then counting.
pub fn new_request_id() -> u32 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish() as u32
}

impl DispenserClient {
    /// A client for `serial:///dev/X?baud=N`. The port is opened on first use.
    pub fn new(uri: &str, cfg: ClientConfig) -> Result<Self, DispenserError> {
        match uri.parse::<DeviceUri>()? {
            DeviceUri::Serial { path, baud } => Ok(Self {
                path,
                baud,
                port: None,
                seq: 0,
                cfg,
                codec: FrameCodec::default(),
                buf: BytesMut::new(),
                reconnects: 0,
            }),
            other => Err(DispenserError::NotSerial(other.to_string())),
        }
    }

    fn connect(&mut self, deadline: Instant) -> Result<(), DispenserError> {
        if self.port.is_some() {
            return Ok(());
        }
        let mut wait = Duration::from_millis(20);
        loop {
            match SerialTransport::open(&self.path, self.baud) {
                Ok(p) => {
                    self.port = Some(Box::new(p));
                    self.buf.clear();
                    return Ok(());
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(DispenserError::Offline {
                        path: self.path.display().to_string(),
                        source: e,
                    });
                }
                Err(_) => {
                    // The adapter is away (unplugged, re-enumerating): back off and look again.
                    std::thread::sleep(
                        wait.min(deadline.saturating_duration_since(Instant::now())),
                    );
                    wait = (wait * 2).min(Duration::from_millis(200));
                }
            }
        }
    }

    fn wire(&self, bytes: usize) -> Duration {
        crate::pty::wire_time(bytes, self.baud)
    }

    /// Sends a request and returns the reply's code and payload.
    fn request(&mut self, command: u8, payload: Vec<u8>) -> Result<Frame, DispenserError> {
        let reconnect_deadline = Instant::now() + self.cfg.reconnect_for;
        let mut attempts = 0;
        let mut last_err = None;
        // This request's attempts' sequence numbers: a reply to any of them answers it.
        let mut seqs: Vec<u8> = Vec::new();
        while attempts < self.cfg.attempts {
            if let Err(e) = self.connect(reconnect_deadline.max(Instant::now())) {
                return Err(last_err.unwrap_or(e));
            }
            attempts += 1;
            self.seq = self.seq.wrapping_add(1);
            let req = Frame::new(self.seq, command, payload.clone());
            let bytes = req.to_bytes();
            let timeout = self.cfg.reply_timeout + self.wire(bytes.len() + 18);
            let first = seqs.is_empty();
            seqs.push(req.seq);
            match self.exchange(&bytes, &seqs, first, timeout) {
                Ok(Some(reply)) => return Ok(reply),
                Ok(None) => tracing::debug!(attempt = attempts, "dispenser: no reply, retrying"),
                Err(e) => {
                    tracing::info!(error = %e, "dispenser: port lost, reconnecting");
                    self.port = None;
                    self.reconnects += 1;
                    // A new port holds no reply to the old one's attempts.
                    seqs.clear();
                    last_err = Some(DispenserError::Offline {
                        path: self.path.display().to_string(),
                        source: e,
                    });
                    // A lost port is not the dispenser's silence: don't spend an attempt on it
                    // while the reconnect window is open.
                    if Instant::now() < reconnect_deadline {
                        attempts -= 1;
                    }
                }
            }
        }
        Err(last_err.unwrap_or(DispenserError::NoReply(attempts)))
    }

    /// One attempt: on a request's first, drain stale input; send; wait for a reply to any
    /// of this request's attempts (`seqs`, the current one last).
    fn exchange(
        &mut self,
        bytes: &[u8],
        seqs: &[u8],
        first: bool,
        timeout: Duration,
    ) -> io::Result<Option<Frame>> {
        let Some(port) = self.port.as_mut() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        if first {
            port.drain_input()?;
            self.buf.clear();
        }
        port.send(bytes)?;
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 256];
        loop {
            while let Some(f) = self.codec.decode(&mut self.buf)? {
                if seqs.contains(&f.seq) && matches!(f.cmd, cmd::ACK | cmd::NAK) {
                    return Ok(Some(f));
                }
                tracing::debug!(
                    seq = f.seq,
                    "dispenser: discarded a reply to an earlier request"
                );
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let n = port.recv(&mut chunk, left.min(Duration::from_millis(100)))?;
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn ack(&mut self, command: u8, payload: Vec<u8>) -> Result<Vec<u8>, DispenserError> {
        let f = self.request(command, payload)?;
        match f.cmd {
            cmd::ACK => Ok(f.payload),
            _ => Err(f
                .payload
                .first()
                .and_then(|b| NakCode::from_byte(*b))
                .map(DispenserError::Refused)
                .unwrap_or(DispenserError::BadReply)),
        }
    }

    /// PING.
    pub fn ping(&mut self) -> Result<(), DispenserError> {
        self.ack(cmd::PING, vec![]).map(|_| ())
    }

    /// STATUS.
    pub fn status(&mut self) -> Result<DispenserStatus, DispenserError> {
        let p = self.ack(cmd::STATUS, vec![])?;
        if p.len() != 7 {
            return Err(DispenserError::BadReply);
        }
        let day = NaiveDate::from_ymd_opt(
            u16::from_be_bytes([p[1], p[2]]) as i32,
            p[3] as u32,
            p[4] as u32,
        )
        .ok_or(DispenserError::BadReply)?;
        Ok(DispenserStatus {
            paper: p[0],
            day,
            issued: u16::from_be_bytes([p[5], p[6]]),
        })
    }

    /// ISSUE with a fresh request id.
    pub fn issue(&mut self, service: char, priority: bool) -> Result<Ticket, DispenserError> {
        self.issue_with_id(service, priority, new_request_id())
    }

    /// ISSUE with a given request id (the same id always gets the same ticket that day).
    pub fn issue_with_id(
        &mut self,
        service: char,
        priority: bool,
        request_id: u32,
    ) -> Result<Ticket, DispenserError> {
        if !service.is_ascii_uppercase() {
            return Err(DispenserError::Refused(NakCode::UnknownService));
        }
        let mut p = vec![service as u8, priority as u8];
        p.extend_from_slice(&request_id.to_be_bytes());
        let reply = self.ack(cmd::ISSUE, p)?;
        let t = Ticket::from_payload(&reply).ok_or(DispenserError::BadReply)?;
        if t.request_id != request_id || t.service != service || t.priority != priority {
            return Err(DispenserError::BadReply);
        }
        Ok(t)
    }

    /// REPRINT: the ticket a request id got.
    pub fn reprint(&mut self, request_id: u32) -> Result<Ticket, DispenserError> {
        let reply = self.ack(cmd::REPRINT, request_id.to_be_bytes().to_vec())?;
        Ticket::from_payload(&reply).ok_or(DispenserError::BadReply)
    }

    /// RESET-DAY.
    pub fn reset_day(&mut self) -> Result<(), DispenserError> {
        self.ack(cmd::RESET_DAY, vec![]).map(|_| ())
    }
}
