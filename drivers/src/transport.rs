//! Byte transports to a device, behind one small trait, and the URIs that name them.
//!
//! Owns: `tcp://HOST:PORT`, `serial:///dev/ttyX?baud=N` and `file:///dev/usb/lp0`, their
//! parsing, and moving bytes with timeouts. It knows nothing of ESC/POS or the dispenser
//! protocol.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A parsed device URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceUri {
    /// `tcp://HOST:PORT` (port 9100 if omitted).
    Tcp { host: String, port: u16 },
    /// `serial:///dev/ttyUSB0?baud=9600` (9600 if omitted).
    Serial { path: PathBuf, baud: u32 },
    /// `file:///dev/usb/lp0`: a USB printer-class device file.
    File { path: PathBuf },
}

/// Why a URI is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    #[error("{0:?}: expected tcp://HOST:PORT, serial:///dev/ttyX?baud=N or file:///dev/usb/lpN")]
    Scheme(String),
    #[error("{0:?}: the path must be absolute, e.g. serial:///dev/ttyUSB0")]
    Path(String),
    #[error("{0:?}: no host")]
    Host(String),
    #[error("{0:?}: port must be a number 1-65535")]
    Port(String),
    #[error("{0:?}: baud must be one of 1200..=921600, e.g. ?baud=9600")]
    Baud(String),
    #[error("{0:?}: unknown option (only `baud` is known, for serial)")]
    Option(String),
}

impl std::str::FromStr for DeviceUri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, UriError> {
        let uri = s.trim();
        let own = || uri.to_owned();
        if let Some(rest) = uri.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    p.parse::<u16>()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or_else(|| UriError::Port(own()))?,
                ),
                None => (rest, 9100),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() {
                return Err(UriError::Host(own()));
            }
            return Ok(Self::Tcp {
                host: host.to_owned(),
                port,
            });
        }
        if let Some(rest) = uri.strip_prefix("serial://") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if !path.starts_with('/') {
                return Err(UriError::Path(own()));
            }
            let mut baud = 9600;
            for kv in query.split('&').filter(|kv| !kv.is_empty()) {
                match kv.split_once('=') {
                    Some(("baud", v)) => {
                        baud = v
                            .parse::<u32>()
                            .ok()
                            .filter(|b| (1200..=921_600).contains(b))
                            .ok_or_else(|| UriError::Baud(own()))?
                    }
                    _ => return Err(UriError::Option(own())),
                }
            }
            return Ok(Self::Serial {
                path: PathBuf::from(path),
                baud,
            });
        }
        if let Some(rest) = uri.strip_prefix("file://") {
            if !rest.starts_with('/') || rest.contains('?') {
                return Err(UriError::Path(own()));
            }
            return Ok(Self::File {
                path: PathBuf::from(rest),
            });
        }
        Err(UriError::Scheme(own()))
    }
}

impl std::fmt::Display for DeviceUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Self::Serial { path, baud } => write!(f, "serial://{}?baud={baud}", path.display()),
            Self::File { path } => write!(f, "file://{}", path.display()),
        }
    }
}

/// Moving bytes to and from a device. Every implementation has the same three methods, so
/// the printer and dispenser code never knows which wire it is on.
pub trait Transport: Send {
    /// Writes all of `data`.
    fn send(&mut self, data: &[u8]) -> io::Result<()>;
    /// Reads what is available, waiting at most `timeout`; `Ok(0)` means nothing came.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
    /// Throws away whatever input is waiting (e.g. a late reply to an earlier request).
    ///
    /// Bounded: a device that keeps sending (a flood, `/dev/zero`) stops the drain after
    /// [`DRAIN_LIMIT`] bytes or [`DRAIN_TIME`], whichever comes first, with a [`Flooding`]
    /// error ([`is_flooding`]).
    fn drain_input(&mut self) -> io::Result<usize> {
        let mut buf = [0u8; 256];
        let mut total = 0;
        let deadline = Instant::now() + DRAIN_TIME;
        loop {
            let n = self.recv(&mut buf, Duration::ZERO)?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
            if total >= DRAIN_LIMIT || Instant::now() >= deadline {
                return Err(flooding());
            }
        }
    }
}

/// The most waiting input [`Transport::drain_input`] throws away before calling the device
/// flooding. A printer or dispenser sends a few bytes per question, never kilobytes.
pub const DRAIN_LIMIT: usize = 4096;
/// The longest [`Transport::drain_input`] keeps reading.
pub const DRAIN_TIME: Duration = Duration::from_millis(250);

/// The error a transport gives for a device that sends far more than it was asked for.
#[derive(Debug, thiserror::Error)]
#[error("the device keeps sending data it was not asked for (flooding)")]
pub struct Flooding;

/// An [`io::Error`] carrying [`Flooding`].
pub fn flooding() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, Flooding)
}

/// Whether `e` is a [`Flooding`] error.
pub fn is_flooding(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Flooding>())
}

/// Opens the transport a URI names. `timeout` bounds connecting.
pub fn open(uri: &DeviceUri, timeout: Duration) -> io::Result<Box<dyn Transport>> {
    match uri {
        DeviceUri::Tcp { host, port } => {
            let addrs: Vec<_> = (host.as_str(), *port).to_socket_addrs()?.collect();
            let mut last = io::Error::new(io::ErrorKind::NotFound, "host has no address");
            for a in addrs {
                match TcpStream::connect_timeout(&a, timeout) {
                    Ok(s) => {
                        s.set_nodelay(true)?;
                        return Ok(Box::new(TcpTransport(s)));
                    }
                    Err(e) => last = e,
                }
            }
            Err(last)
        }
        DeviceUri::Serial { path, baud } => Ok(Box::new(SerialTransport::open(path, *baud)?)),
        DeviceUri::File { path } => {
            let f = OpenOptions::new().read(true).write(true).open(path)?;
            Ok(Box::new(FileTransport(f)))
        }
    }
}

/// TCP, e.g. a network printer's raw port 9100.
pub struct TcpTransport(pub TcpStream);

impl Transport for TcpTransport {
    fn send(&mut self, data: &[u8]) -> io::Result<()> {
        // A printer that stops reading (paper out mid-job) must not hang the kiosk.
        self.0
            .set_write_timeout(Some(SEND_SLACK + Duration::from_millis(data.len() as u64)))?;
        self.0.write_all(data)?;
        self.0.flush()
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if timeout.is_zero() {
            self.0.set_nonblocking(true)?;
            let r = self.0.read(buf);
            self.0.set_nonblocking(false)?;
            return match r {
                Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                Err(e) => Err(e),
            };
        }
        self.0.set_read_timeout(Some(timeout))?;
        match self.0.read(buf) {
            Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }
}

/// A serial port (USB-serial adapter, RS-232, or a pseudo-terminal in tests).
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    baud: u32,
}

/// How long a write may block beyond the data's own wire time before the device counts as
/// stuck.
const SEND_SLACK: Duration = Duration::from_secs(5);

impl SerialTransport {
    /// Opens a serial port at `baud`, 8N1, no flow control.
    pub fn open(path: &std::path::Path, baud: u32) -> io::Result<Self> {
        let port = serialport::new(path.to_string_lossy(), baud)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(io::Error::from)?;
        Ok(Self { port, baud })
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, data: &[u8]) -> io::Result<()> {
        // Writes block while the line drains at the baud rate: allow the data's wire time.
        let wire = crate::pty::wire_time(data.len(), self.baud);
        self.port
            .set_timeout(wire + SEND_SLACK)
            .map_err(io::Error::from)?;
        self.port.write_all(data)?;
        self.port.flush()
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        let waiting = self.port.bytes_to_read().map_err(io::Error::from)?;
        if waiting == 0 && timeout.is_zero() {
            return Ok(0);
        }
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(io::Error::from)?;
        match self.port.read(buf) {
            Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn drain_input(&mut self) -> io::Result<usize> {
        let waiting = self.port.bytes_to_read().map_err(io::Error::from)? as usize;
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(io::Error::from)?;
        Ok(waiting)
    }
}

/// A device file such as `/dev/usb/lp0` (the kernel's usblp driver reads the printer's
/// back-channel, where status replies arrive).
pub struct FileTransport(pub File);

impl Transport for FileTransport {
    fn send(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.write_all(data)?;
        self.0.flush()
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if !poll_readable(&self.0, timeout)? {
            return Ok(0);
        }
        self.0.read(buf)
    }
}

/// Waits until `fd` is readable or `timeout` passes.
pub(crate) fn poll_readable(fd: &impl AsFd, timeout: Duration) -> io::Result<bool> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms =
            PollTimeout::try_from(left.as_millis().min(60_000) as i32).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, ms) {
            Ok(0) => return Ok(false),
            Ok(_) => {
                let re = fds[0].revents().unwrap_or(PollFlags::empty());
                return Ok(
                    re.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
                );
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(io::Error::from(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_parse_with_defaults() {
        assert_eq!(
            "tcp://127.0.0.1:9100".parse::<DeviceUri>().unwrap(),
            DeviceUri::Tcp {
                host: "127.0.0.1".into(),
                port: 9100
            }
        );
        assert_eq!(
            "tcp://printer.local".parse::<DeviceUri>().unwrap(),
            DeviceUri::Tcp {
                host: "printer.local".into(),
                port: 9100
            }
        );
        assert_eq!(
            "serial:///dev/ttyUSB0?baud=115200"
                .parse::<DeviceUri>()
                .unwrap(),
            DeviceUri::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 115_200
            }
        );
        assert_eq!(
            "serial:///dev/ttyS0".parse::<DeviceUri>().unwrap(),
            DeviceUri::Serial {
                path: "/dev/ttyS0".into(),
                baud: 9600
            }
        );
        assert_eq!(
            "file:///dev/usb/lp0".parse::<DeviceUri>().unwrap(),
            DeviceUri::File {
                path: "/dev/usb/lp0".into()
            }
        );
    }

    #[test]
    fn bad_uris_say_what_is_wrong() {
        let e = |s: &str| s.parse::<DeviceUri>().unwrap_err();
        assert!(matches!(e("usb://x"), UriError::Scheme(_)));
        assert!(matches!(e("tcp://:9100"), UriError::Host(_)));
        assert!(matches!(e("tcp://h:0"), UriError::Port(_)));
        assert!(matches!(e("tcp://h:x"), UriError::Port(_)));
        assert!(matches!(e("serial://dev/ttyUSB0"), UriError::Path(_)));
        assert!(matches!(
            e("serial:///dev/ttyUSB0?baud=fast"),
            UriError::Baud(_)
        ));
        assert!(matches!(
            e("serial:///dev/ttyUSB0?parity=E"),
            UriError::Option(_)
        ));
        assert!(e("usb://x").to_string().contains("tcp://HOST:PORT"));
    }
}
