//! The virtual receipt printer: a simulator that speaks ESC/POS over TCP or a pty.
//!
//! Owns: decoding what it is sent into pages (text, QR payloads, cut marks, PNG), answering
//! DLE EOT and GS r with a configurable status, refusing to print while faulted (as a real
//! printer does), an optional "paper runs out after N bytes" fault, and pacing input to a baud
//! rate. It keeps every page for tests, the demo and the diagnostics preview.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::escpos_decode::{EscPosDecoder, Event, Page, PageItem};
use crate::printer::PrinterStatus;
use crate::pty::{Pty, Throttle};
use crate::receipt::PaperWidth;

/// A status preset for the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPreset {
    Ready,
    PaperOut,
    CoverOpen,
    NearEnd,
    Offline,
}

impl std::str::FromStr for StatusPreset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "ready" => Self::Ready,
            "paper-out" => Self::PaperOut,
            "cover-open" => Self::CoverOpen,
            "near-end" => Self::NearEnd,
            "offline" => Self::Offline,
            _ => {
                return Err(format!(
                    "{s:?}: expected ready, paper-out, cover-open, near-end or offline"
                ));
            }
        })
    }
}

impl StatusPreset {
    /// The printer status this preset means.
    pub fn status(self) -> PrinterStatus {
        let ready = PrinterStatus {
            online: true,
            ..PrinterStatus::default()
        };
        match self {
            Self::Ready => ready,
            Self::PaperOut => PrinterStatus {
                online: false,
                paper_end: true,
                paper_near_end: true,
                ..ready
            },
            Self::CoverOpen => PrinterStatus {
                online: false,
                cover_open: true,
                ..ready
            },
            Self::NearEnd => PrinterStatus {
                paper_near_end: true,
                ..ready
            },
            Self::Offline => PrinterStatus {
                online: false,
                ..ready
            },
        }
    }
}

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub status: PrinterStatus,
    pub width: PaperWidth,
    /// Pace input to this baud rate.
    pub baud: Option<u32>,
    /// Write each page as `page-NNNN.png` and `.txt` here.
    pub png_dir: Option<PathBuf>,
    /// The paper runs out after this many bytes of print data (a fault in mid-job).
    pub paper_out_after: Option<usize>,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            status: StatusPreset::Ready.status(),
            width: PaperWidth::Mm80,
            baud: None,
            png_dir: None,
            paper_out_after: None,
        }
    }
}

#[derive(Default)]
struct State {
    status: PrinterStatus,
    pages: Vec<Page>,
    finished_at: Vec<Instant>,
    current: Page,
    print_bytes: usize,
    /// Pages that stopped because of a fault (kept for diagnostics).
    interrupted: usize,
    /// Lines, QR codes and cuts that arrived while the printer was faulted: a driver that
    /// checks the status first sends none.
    sent_while_faulted: usize,
    status_requests: usize,
    /// Answer real-time status this late (a slow or busy printer).
    status_delay: Duration,
}

/// A virtual printer; clone it to share between the server thread and a test.
#[derive(Clone)]
pub struct VirtualPrinter {
    inner: Arc<(Mutex<State>, Condvar)>,
    opts: Arc<SimOptions>,
}

impl VirtualPrinter {
    /// A printer with these options.
    pub fn new(opts: SimOptions) -> Self {
        let state = State {
            status: opts.status,
            ..State::default()
        };
        Self {
            inner: Arc::new((Mutex::new(state), Condvar::new())),
            opts: Arc::new(opts),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the simulator down with it.
        self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the status it reports (e.g. opens the cover).
    pub fn set_status(&self, status: PrinterStatus) {
        self.lock().status = status;
    }

    /// Makes real-time replies late by `d` (to exercise stale-reply handling).
    pub fn set_status_delay(&self, d: Duration) {
        self.lock().status_delay = d;
    }

    /// The status it reports.
    pub fn status(&self) -> PrinterStatus {
        self.lock().status
    }

    /// Every page cut so far.
    pub fn pages(&self) -> Vec<Page> {
        self.lock().pages.clone()
    }

    /// How many jobs stopped because of a fault.
    pub fn interrupted(&self) -> usize {
        self.lock().interrupted
    }

    /// How many lines, QR codes and cuts arrived while it was faulted.
    pub fn sent_while_faulted(&self) -> usize {
        self.lock().sent_while_faulted
    }

    /// How many DLE EOT requests it answered.
    pub fn status_requests(&self) -> usize {
        self.lock().status_requests
    }

    /// Waits until at least `n` pages are cut, or `timeout`; returns the pages and when the
    /// last one was cut.
    pub fn wait_pages(&self, n: usize, timeout: Duration) -> (Vec<Page>, Option<Instant>) {
        let guard = self.lock();
        let (g, _) = self
            .inner
            .1
            .wait_timeout_while(guard, timeout, |s| s.pages.len() < n)
            .unwrap_or_else(|p| p.into_inner());
        (g.pages.clone(), g.finished_at.last().copied())
    }

    /// Serves one byte stream until it ends: the heart of the simulator.
    pub fn serve_stream<S: Read + Write>(&self, mut s: S) -> io::Result<()> {
        let mut dec = EscPosDecoder::new();
        let mut throttle = Throttle::new(self.opts.baud);
        let mut buf = [0u8; 4096];
        loop {
            let n = match s.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(t) = throttle.as_mut() {
                t.pace(n);
            }
            for ev in dec.feed(&buf[..n]) {
                let delay = match ev {
                    Event::StatusRequest(_) => self.lock().status_delay,
                    _ => Duration::ZERO,
                };
                if let Some(reply) = self.apply(ev) {
                    if !delay.is_zero() {
                        std::thread::sleep(delay);
                    }
                    s.write_all(&[reply])?;
                    s.flush()?;
                }
            }
        }
    }

    /// Applies one decoded event; returns a byte to send back, if any.
    fn apply(&self, ev: Event) -> Option<u8> {
        let mut st = self.lock();
        let faulted = st.status.fault().is_some();
        if faulted && matches!(ev, Event::Line(_) | Event::Qr(_) | Event::Cut { .. }) {
            st.sent_while_faulted += 1;
        }
        match ev {
            Event::StatusRequest(n) => {
                st.status_requests += 1;
                let r = st.status.to_replies();
                match n {
                    1 => Some(r[0]),
                    2 => Some(r[1]),
                    4 => Some(r[2]),
                    // Other real-time requests: a plain "no error" byte with the fixed bits.
                    _ => Some(0x12),
                }
            }
            // Answered in turn: a stopped printer never gets there.
            Event::TransmitStatus(_) if faulted => None,
            Event::TransmitStatus(_) => Some(if st.status.paper_near_end { 0x03 } else { 0x00 }),
            Event::Line(l) => {
                if !faulted && self.consume(&mut st, l.text.len() + 1) {
                    st.current.items.push(PageItem::Line(l));
                }
                None
            }
            Event::Qr(q) => {
                if !faulted && self.consume(&mut st, q.len() + 20) {
                    st.current.items.push(PageItem::Qr(q));
                }
                None
            }
            Event::Cut { .. } => {
                if faulted {
                    // The job stopped: what was printed stays in the printer, uncut.
                    if !st.current.items.is_empty() {
                        st.interrupted += 1;
                    }
                    st.current = Page::default();
                } else {
                    st.current.cut = true;
                }
                None
            }
            Event::PageRaw(raw) => {
                if st.current.cut {
                    let mut page = std::mem::take(&mut st.current);
                    page.raw = raw;
                    self.save(&page, st.pages.len() + 1);
                    st.pages.push(page);
                    st.finished_at.push(Instant::now());
                    self.inner.1.notify_all();
                }
                None
            }
            Event::Unknown(_) => None,
        }
    }

    /// Counts print data against the paper; false (and paper end) when it runs out.
    fn consume(&self, st: &mut State, n: usize) -> bool {
        st.print_bytes += n;
        match self.opts.paper_out_after {
            Some(limit) if st.print_bytes > limit => {
                st.status = StatusPreset::PaperOut.status();
                false
            }
            _ => true,
        }
    }

    fn save(&self, page: &Page, n: usize) {
        let Some(dir) = &self.opts.png_dir else {
            return;
        };
        let png = crate::paper::render_png(page, self.opts.width);
        let base = dir.join(format!("page-{n:04}"));
        let r = write_private(&base.with_extension("png"), &png)
            .and_then(|_| write_private(&base.with_extension("txt"), page.text().as_bytes()));
        if let Err(e) = r {
            tracing::warn!(error = %e, "printer-sim: cannot write page");
        }
    }

    /// Serves TCP connections one after another on `listener`, forever.
    pub fn serve_tcp(&self, listener: TcpListener) {
        for conn in listener.incoming() {
            match conn {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    if let Err(e) = self.serve_stream(s) {
                        tracing::debug!(error = %e, "printer-sim: connection ended");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "printer-sim: accept failed"),
            }
        }
    }

    /// Binds `addr` and serves it on a thread. Returns the bound address (port 0 picks one).
    pub fn spawn_tcp(&self, addr: &str) -> io::Result<(SocketAddr, JoinHandle<()>)> {
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        let me = self.clone();
        Ok((local, std::thread::spawn(move || me.serve_tcp(listener))))
    }

    /// Serves a new pty on a thread; returns its path.
    pub fn spawn_pty(&self) -> io::Result<(PathBuf, JoinHandle<()>)> {
        let pty = Pty::open()?;
        let path = pty.path().to_path_buf();
        let me = self.clone();
        let h = std::thread::spawn(move || {
            let master = match pty.master.try_clone() {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "printer-sim: pty");
                    return;
                }
            };
            if let Err(e) = me.serve_stream(master) {
                tracing::warn!(error = %e, "printer-sim: pty ended");
            }
            drop(pty);
        });
        Ok((path, h))
    }
}

/// A slip may carry a member's (masked) data: mode 0600 whatever the umask.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)?.write_all(bytes)
}
