//! The dispenser simulator: real numbering state behind the real protocol, on a pty or a tty,
//! with deterministic fault injection and baud-rate pacing.
//!
//! Faults count events, so a test knows exactly which reply is hit: `drop_every: 2` drops the
//! 2nd, 4th, ... reply; `reboot_every: 1` reboots in the middle of every ISSUE, after the
//! number was committed (as a real device's non-volatile memory would) and before the reply.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Datelike, FixedOffset, Utc};
use tokio_util::codec::Decoder;

use super::frame::{Frame, FrameCodec};
use super::numbering::{Numbering, service_day};
use super::{NakCode, Ticket, cmd};
use crate::pty::{Pty, Throttle};

/// Injected faults. 0 means off for the `_every` counters.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Drop every Nth reply.
    pub drop_every: u32,
    /// Delay every Nth reply by `delay`.
    pub delay_every: u32,
    pub delay: Duration,
    /// Corrupt every Nth reply (one bit flipped inside the CRC-covered bytes).
    pub corrupt_every: u32,
    /// The ticket roll is empty: ISSUE is refused with PAPER_OUT.
    pub paper_out: bool,
    /// Reboot in the middle of every Nth ISSUE.
    pub reboot_every: u32,
    /// How long a reboot takes; input during it is lost.
    pub reboot_time: Duration,
}

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub faults: Faults,
    /// Pace the line to this baud rate.
    pub baud: Option<u32>,
    /// The kiosk's zone offset (WIB +7, WITA +8, WIT +9).
    pub zone: FixedOffset,
    /// Local hour at which numbering starts again.
    pub reset_hour: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            faults: Faults::default(),
            baud: None,
            zone: FixedOffset::east_opt(7 * 3600)
                .unwrap_or(FixedOffset::east_opt(0).expect("zero offset")),
            reset_hour: 0,
        }
    }
}

/// Where "now" comes from: the simulator never reads the machine's local time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

struct State {
    numbering: Numbering,
    /// Every ticket issued (repeats excluded), in order: what the roll would show.
    log: Vec<Ticket>,
    replies: u32,
    issues: u32,
    paper_out: bool,
    frames: u64,
    rejected: u64,
}

/// A simulated dispenser; clones share one device state (its non-volatile memory).
#[derive(Clone)]
pub struct DispenserSim {
    state: Arc<Mutex<State>>,
    cfg: Arc<SimConfig>,
    clock: Clock,
}

/// What to do with a request.
enum Action {
    Reply(Frame),
    Reboot,
    Silent,
}

impl DispenserSim {
    /// A dispenser with this configuration and clock.
    pub fn new(cfg: SimConfig, clock: Clock) -> Self {
        let day = service_day(clock(), cfg.zone, cfg.reset_hour);
        Self {
            state: Arc::new(Mutex::new(State {
                numbering: Numbering::new(day),
                log: Vec::new(),
                replies: 0,
                issues: 0,
                paper_out: cfg.faults.paper_out,
                frames: 0,
                rejected: 0,
            })),
            cfg: Arc::new(cfg),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every ticket issued, in order (a retried request appears once).
    pub fn log(&self) -> Vec<Ticket> {
        self.lock().log.clone()
    }

    /// Frames received with a good CRC, and candidates rejected.
    pub fn frame_counts(&self) -> (u64, u64) {
        let s = self.lock();
        (s.frames, s.rejected)
    }

    /// Loads or empties the ticket roll.
    pub fn set_paper_out(&self, out: bool) {
        self.lock().paper_out = out;
    }

    fn act(&self, req: &Frame) -> Action {
        let mut st = self.lock();
        st.frames += 1;
        let day = service_day((self.clock)(), self.cfg.zone, self.cfg.reset_hour);
        let ack = |p: Vec<u8>| Frame::new(req.seq, cmd::ACK, p);
        let nak = |c: NakCode| Frame::new(req.seq, cmd::NAK, vec![c as u8]);
        let p = &req.payload;
        let reply = match req.cmd {
            cmd::PING if p.is_empty() => ack(vec![]),
            cmd::STATUS if p.is_empty() => {
                st.numbering.roll_to(day);
                let d = st.numbering.day();
                let mut out = vec![if st.paper_out { 2 } else { 0 }];
                out.extend_from_slice(&(d.year() as u16).to_be_bytes());
                out.push(d.month() as u8);
                out.push(d.day() as u8);
                out.extend_from_slice(&st.numbering.issued().to_be_bytes());
                ack(out)
            }
            cmd::ISSUE if p.len() == 6 && p[1] <= 1 => {
                let service = p[0] as char;
                let priority = p[1] == 1;
                let id = u32::from_be_bytes([p[2], p[3], p[4], p[5]]);
                // A repeat is answered even with the roll empty: the ticket already exists.
                let known = st
                    .numbering
                    .lookup(id)
                    .filter(|_| st.numbering.day() == day);
                if st.paper_out && known.is_none() {
                    nak(NakCode::PaperOut)
                } else {
                    match st.numbering.issue(service, priority, id, day) {
                        Ok(t) => {
                            if !t.repeat {
                                st.log.push(t);
                                st.issues += 1;
                                let every = self.cfg.faults.reboot_every;
                                if every > 0 && st.issues.is_multiple_of(every) {
                                    return Action::Reboot;
                                }
                            }
                            ack(t.to_payload())
                        }
                        Err(c) => nak(c),
                    }
                }
            }
            cmd::REPRINT if p.len() == 4 => {
                let id = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                match st.numbering.lookup(id) {
                    Some(t) => ack(Ticket { repeat: true, ..t }.to_payload()),
                    None => nak(NakCode::UnknownRequest),
                }
            }
            cmd::RESET_DAY if p.is_empty() => {
                st.numbering.reset(day);
                ack(vec![])
            }
            cmd::PING | cmd::STATUS | cmd::ISSUE | cmd::REPRINT | cmd::RESET_DAY => {
                nak(NakCode::BadPayload)
            }
            cmd::ACK | cmd::NAK => return Action::Silent,
            _ => nak(NakCode::UnknownCommand),
        };
        st.replies += 1;
        let n = st.replies;
        let f = &self.cfg.faults;
        if f.drop_every > 0 && n.is_multiple_of(f.drop_every) {
            return Action::Silent;
        }
        Action::Reply(reply)
    }

    /// Serves a byte stream (a pty master or a tty) until `stop` is set or it fails.
    pub fn serve<S: Read + Write + AsFd>(&self, mut io: S, stop: &AtomicBool) -> io::Result<()> {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::new();
        let mut throttle = Throttle::new(self.cfg.baud);
        let mut chunk = [0u8; 512];
        while !stop.load(Ordering::Relaxed) {
            if !crate::transport::poll_readable(&io, Duration::from_millis(50))? {
                continue;
            }
            let n = match io.read(&mut chunk) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A pty whose client side is gone and not held: nothing more to serve.
                Err(e) if e.raw_os_error() == Some(nix::libc::EIO) => continue,
                Err(e) => return Err(e),
            };
            if let Some(t) = throttle.as_mut() {
                t.pace(n);
            }
            buf.extend_from_slice(&chunk[..n]);
            while let Some(req) = codec.decode(&mut buf)? {
                // Counted before the reply goes out, so whoever reads the reply sees it.
                self.lock().rejected = codec.rejected;
                match self.act(&req) {
                    Action::Silent => {}
                    Action::Reboot => {
                        tracing::info!("dispenser-sim: rebooting mid-request");
                        std::thread::sleep(self.cfg.faults.reboot_time);
                        // What arrived while rebooting is lost.
                        buf.clear();
                        while crate::transport::poll_readable(&io, Duration::ZERO)? {
                            if io.read(&mut chunk)? == 0 {
                                break;
                            }
                        }
                    }
                    Action::Reply(f) => self.send(&mut io, &f, throttle.as_mut())?,
                }
            }
            let rejected = codec.rejected;
            self.lock().rejected = rejected;
        }
        Ok(())
    }

    fn send<W: Write>(
        &self,
        io: &mut W,
        f: &Frame,
        throttle: Option<&mut Throttle>,
    ) -> io::Result<()> {
        let mut bytes = f.to_bytes();
        let n = self.lock().replies;
        let faults = &self.cfg.faults;
        if faults.delay_every > 0 && n.is_multiple_of(faults.delay_every) {
            std::thread::sleep(faults.delay);
        }
        if faults.corrupt_every > 0 && n.is_multiple_of(faults.corrupt_every) {
            let i = 2 + (n as usize % (bytes.len() - 5));
            bytes[i] ^= 0x10;
        }
        if let Some(t) = throttle {
            t.pace(bytes.len());
        }
        io.write_all(&bytes)?;
        io.flush()
    }

    /// Serves a new pty on a thread; if `link` is given, a symlink to the pty is made there
    /// (and removed on unplug), standing for a stable udev name like `/dev/anjungan-dispenser`.
    pub fn spawn_pty(&self, link: Option<&Path>) -> io::Result<SimPort> {
        let pty = Pty::open()?;
        let pts = pty.path().to_path_buf();
        if let Some(l) = link {
            let _ = std::fs::remove_file(l);
            std::os::unix::fs::symlink(&pts, l)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let me = self.clone();
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let master = match pty.master.try_clone() {
                Ok(m) => m,
                Err(_) => return,
            };
            if let Err(e) = me.serve(master, &stop2) {
                tracing::warn!(error = %e, "dispenser-sim: pty ended");
            }
            drop(pty);
        });
        Ok(SimPort {
            path: link.map(Path::to_path_buf).unwrap_or(pts),
            link: link.map(Path::to_path_buf),
            stop,
            thread: Some(thread),
        })
    }

    /// Serves an existing tty (e.g. a real serial port wired to the kiosk) until it fails.
    pub fn serve_tty(&self, path: &Path) -> io::Result<()> {
        let f = File::options().read(true).write(true).open(path)?;
        if let Ok(mut t) = nix::sys::termios::tcgetattr(f.as_fd()) {
            nix::sys::termios::cfmakeraw(&mut t);
            let _ = nix::sys::termios::tcsetattr(f.as_fd(), nix::sys::termios::SetArg::TCSANOW, &t);
        }
        self.serve(f, &AtomicBool::new(false))
    }
}

/// A simulator serving a pty; dropping it (or [`SimPort::unplug`]) is pulling the cable.
pub struct SimPort {
    path: PathBuf,
    link: Option<PathBuf>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimPort {
    /// The path clients open.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops serving, closes the pty and removes the link: the adapter disappears.
    pub fn unplug(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(l) = &self.link {
            let _ = std::fs::remove_file(l);
        }
    }
}

impl Drop for SimPort {
    fn drop(&mut self) {
        self.shutdown();
    }
}
