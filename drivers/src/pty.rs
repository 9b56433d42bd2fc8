//! Pseudo-terminals for the simulators, and wire-speed throttling.
//!
//! Owns: opening a raw pty whose slave path a client opens like a serial port, keeping the
//! slave open so successive clients can come and go, and pacing bytes to a baud rate so that
//! timings over a pty mean something.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::pty::openpty;
use nix::sys::termios::{self, SetArg};

/// A pseudo-terminal: the simulator holds the master, clients open [`Pty::path`].
pub struct Pty {
    /// The simulator's end.
    pub master: File,
    /// Held open so the master never sees EOF/EIO when a client closes; also what makes
    /// "any number of successive clients" work.
    _slave: OwnedFd,
    path: PathBuf,
}

impl Pty {
    /// Opens a new pty in raw mode (no echo, no line editing, 8-bit clean).
    pub fn open() -> io::Result<Self> {
        let p = openpty(None, None).map_err(io::Error::from)?;
        let mut t = termios::tcgetattr(p.slave.as_fd()).map_err(io::Error::from)?;
        termios::cfmakeraw(&mut t);
        termios::tcsetattr(p.slave.as_fd(), SetArg::TCSANOW, &t).map_err(io::Error::from)?;
        let path = nix::unistd::ttyname(p.slave.as_fd()).map_err(io::Error::from)?;
        Ok(Self {
            master: File::from(p.master),
            _slave: p.slave,
            path,
        })
    }

    /// The path a client opens, e.g. `/dev/pts/3`.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Paces received bytes like a UART at `baud` (8N1: 10 bits a byte).
#[derive(Debug, Clone)]
pub struct Throttle {
    bytes_per_sec: f64,
    busy_until: Option<Instant>,
}

impl Throttle {
    /// A throttle for `baud`; `None` means no pacing.
    pub fn new(baud: Option<u32>) -> Option<Self> {
        baud.filter(|b| *b > 0).map(|b| Self {
            bytes_per_sec: b as f64 / 10.0,
            busy_until: None,
        })
    }

    /// How long `n` bytes take on the wire.
    pub fn wire_time(&self, n: usize) -> Duration {
        Duration::from_secs_f64(n as f64 / self.bytes_per_sec)
    }

    /// Blocks until `n` bytes that arrived now would have finished arriving.
    pub fn pace(&mut self, n: usize) {
        let now = Instant::now();
        let start = self.busy_until.filter(|t| *t > now).unwrap_or(now);
        let end = start + self.wire_time(n);
        self.busy_until = Some(end);
        let wait = end.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// Wire time of `bytes` at `baud`, 8N1.
pub fn wire_time(bytes: usize, baud: u32) -> Duration {
    Duration::from_secs_f64(bytes as f64 * 10.0 / baud.max(1) as f64)
}
