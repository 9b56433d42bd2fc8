//! The dispenser client for async callers (the kiosk UI runs on tokio): the same protocol and
//! retry rule as [`super::client`], on `Framed<AsyncSerial, FrameCodec>`.
//!
//! An ISSUE keeps its request id across retries and reconnects; every attempt has a fresh
//! sequence number; replies to other sequence numbers are discarded.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::codec::Framed;

use super::client::{ClientConfig, DispenserError, new_request_id};
use super::frame::{Frame, FrameCodec};
use super::{NakCode, Ticket, cmd};
use crate::transport::DeviceUri;

/// A serial port (or pty) as a tokio byte stream.
pub struct AsyncSerial {
    fd: AsyncFd<File>,
}

impl AsyncSerial {
    /// Opens `path` at `baud` (8N1, raw) in non-blocking mode. Needs a tokio runtime.
    pub fn open(path: &Path, baud: u32) -> io::Result<Self> {
        let port = serialport::new(path.to_string_lossy(), baud)
            .open_native()
            .map_err(io::Error::from)?;
        // SAFETY: `into_raw_fd` hands over sole ownership of an open descriptor.
        let file = unsafe { File::from_raw_fd(port.into_raw_fd()) };
        let flags =
            nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_GETFL).map_err(io::Error::from)?;
        let flags = nix::fcntl::OFlag::from_bits_truncate(flags) | nix::fcntl::OFlag::O_NONBLOCK;
        nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;
        // SAFETY: the File owns its descriptor for as long as the AsyncFd holds it, and a File's
        // `as_raw_fd` always returns that same descriptor.
        let fd = unsafe { AsyncFd::register(file) }.map_err(|e| e.into_parts().1)?;
        Ok(Self { fd })
    }
}

impl AsyncRead for AsyncSerial {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|inner| inner.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for AsyncSerial {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            match guard.try_io(|inner| inner.get_ref().write(data)) {
                Ok(r) => return Poll::Ready(r),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The async dispenser client.
pub struct AsyncDispenserClient {
    path: PathBuf,
    baud: u32,
    cfg: ClientConfig,
    framed: Option<Framed<AsyncSerial, FrameCodec>>,
    seq: u8,
    /// Reconnections made.
    pub reconnects: u32,
}

impl AsyncDispenserClient {
    /// A client for `serial:///dev/X?baud=N`; the port is opened on first use.
    pub fn new(uri: &str, cfg: ClientConfig) -> Result<Self, DispenserError> {
        match uri.parse::<DeviceUri>()? {
            DeviceUri::Serial { path, baud } => Ok(Self {
                path,
                baud,
                cfg,
                framed: None,
                seq: 0,
                reconnects: 0,
            }),
            other => Err(DispenserError::NotSerial(other.to_string())),
        }
    }

    async fn connect(&mut self) -> Result<(), DispenserError> {
        if self.framed.is_some() {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + self.cfg.reconnect_for;
        let mut wait = Duration::from_millis(20);
        loop {
            match AsyncSerial::open(&self.path, self.baud) {
                Ok(s) => {
                    self.framed = Some(Framed::new(s, FrameCodec::default()));
                    return Ok(());
                }
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    return Err(DispenserError::Offline {
                        path: self.path.display().to_string(),
                        source: e,
                    });
                }
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_millis(200));
                }
            }
        }
    }

    async fn request(&mut self, command: u8, payload: Vec<u8>) -> Result<Frame, DispenserError> {
        let mut attempts = 0;
        let mut reconnects_left = 3;
        while attempts < self.cfg.attempts {
            self.connect().await?;
            attempts += 1;
            self.seq = self.seq.wrapping_add(1);
            let seq = self.seq;
            let timeout =
                self.cfg.reply_timeout + crate::pty::wire_time(payload.len() + 25, self.baud);
            let Some(framed) = self.framed.as_mut() else {
                continue;
            };
            // Stale input: drop what the codec already holds from earlier attempts.
            framed.read_buffer_mut().clear();
            let outcome = async {
                framed
                    .send(Frame::new(seq, command, payload.clone()))
                    .await?;
                loop {
                    match framed.next().await {
                        Some(Ok(f)) if f.seq == seq && matches!(f.cmd, cmd::ACK | cmd::NAK) => {
                            return Ok(f);
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(e),
                        None => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
                    }
                }
            };
            match tokio::time::timeout(timeout, outcome).await {
                Ok(Ok(f)) => return Ok(f),
                Err(_elapsed) => continue,
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "dispenser: port lost, reconnecting");
                    self.framed = None;
                    self.reconnects += 1;
                    if reconnects_left > 0 {
                        reconnects_left -= 1;
                        attempts -= 1;
                    }
                }
            }
        }
        Err(DispenserError::NoReply(attempts))
    }

    /// ISSUE with a fresh request id.
    pub async fn issue(&mut self, service: char, priority: bool) -> Result<Ticket, DispenserError> {
        self.issue_with_id(service, priority, new_request_id())
            .await
    }

    /// ISSUE with a given request id.
    pub async fn issue_with_id(
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
        let f = self.request(cmd::ISSUE, p).await?;
        if f.cmd != cmd::ACK {
            return Err(f
                .payload
                .first()
                .and_then(|b| NakCode::from_byte(*b))
                .map(DispenserError::Refused)
                .unwrap_or(DispenserError::BadReply));
        }
        let t = Ticket::from_payload(&f.payload).ok_or(DispenserError::BadReply)?;
        if t.request_id != request_id {
            return Err(DispenserError::BadReply);
        }
        Ok(t)
    }

    /// PING.
    pub async fn ping(&mut self) -> Result<(), DispenserError> {
        match self.request(cmd::PING, vec![]).await?.cmd {
            cmd::ACK => Ok(()),
            _ => Err(DispenserError::BadReply),
        }
    }
}
