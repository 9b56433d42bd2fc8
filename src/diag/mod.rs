//! Technician diagnostics: the health report, the PIN-guarded diagnostics mode, its actions
//! and the audit log.
//!
//! - [`report`]: what `anjungan diag --json`, the diagnostics screen and the hub heartbeat
//!   all show, one object per component with its own `healthy` and bilingual `problem`;
//! - [`probe`]: builds that report by asking each device, the store and the hub;
//! - [`actions`]: what a technician can do (test print with its decoded preview, test ticket,
//!   feed and cut, sync now, resend outbox);
//! - [`mode`]: the diagnostics mode as a plain state machine (long-press, PIN pad, lockout,
//!   idle close), driven like the kiosk controller;
//! - [`audit`]: the audit log (entries, failures, actions; never member data);
//! - [`pin`]: the PIN as an Argon2 hash;
//! - [`logbuf`]: the last log lines, kept in memory for the screen, masked when shown;
//! - [`counters`]: the anonymous device counters the kiosk keeps (slips printed, last fault,
//!   tickets per service per day).
//!
//! It reads devices and the store; it never reads or writes member data.

pub mod actions;
pub mod audit;
pub mod counters;
pub mod logbuf;
pub mod mode;
pub mod pin;
pub mod probe;

/// The report type is shared with the hub, which reads it back from heartbeats.
pub use anjungan_core::report;

pub use report::{Component, DiagReport, Health};

/// Exit code of `anjungan kiosk` when a technician asks for a restart: the systemd unit's
/// `Restart=always` starts it again.
pub const EXIT_RESTART: i32 = 75;
/// Exit code of `anjungan kiosk` when a technician leaves kiosk mode: the unit lists it in
/// `RestartPreventExitStatus=` and the image switches to its maintenance target.
pub const EXIT_MAINTENANCE: i32 = 76;
