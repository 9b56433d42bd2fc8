//! The kiosk as a systemd service (`kiosk-image/anjungan.service`: `Type=notify`,
//! `WatchdogSec=`): READY once the window's event loop runs, then a watchdog heartbeat at
//! half the watchdog period. Both are sent by Slint timers, that is from the UI thread: a UI
//! that freezes stops the heartbeat, and systemd kills and restarts the kiosk.
//!
//! Outside systemd (no `NOTIFY_SOCKET`) nothing is sent; without `WATCHDOG_USEC` there is no
//! heartbeat.

use std::time::Duration;

use sd_notify::NotifyState;
use slint::{Timer, TimerMode};

/// Keeps the notifications going while it lives: hold it for as long as the event loop runs.
pub struct Heartbeat {
    _ready: Timer,
    _beat: Timer,
    /// The heartbeat period, when systemd asked for a watchdog.
    pub period: Option<Duration>,
}

/// Starts the notifications; call on the UI thread before the event loop runs.
pub fn start() -> Heartbeat {
    let ready = Timer::default();
    ready.start(TimerMode::SingleShot, Duration::ZERO, || {
        send(&[NotifyState::Ready, NotifyState::Status("kiosk UI running")]);
    });
    let beat = Timer::default();
    let period = sd_notify::watchdog_enabled().map(|w| w / 2);
    if let Some(period) = period {
        beat.start(TimerMode::Repeated, period, || {
            send(&[NotifyState::Watchdog]);
        });
    }
    Heartbeat {
        _ready: ready,
        _beat: beat,
        period,
    }
}

fn send(state: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::warn!(error = %e, "cannot notify systemd");
    }
}
