//! The diagnostics mode as a plain state machine, driven like the kiosk controller:
//! `handle(event, now_ms) -> Vec<DiagEffect>`.
//!
//! Closed → (logo held for `long_press`) → PIN pad → (right PIN) → open. Wrong PINs count;
//! `max_failures` in a row lock the entry for `lockout`. The PIN pad and the open screen close
//! themselves after `idle` without a touch. Every entry, failure and action leaves as an
//! [`DiagEffect::Audit`]; nothing here reads devices or the store.

use serde::Serialize;

use super::report::DiagReport;
// Settings made in code are clamped to the ranges the configuration file accepts.
use crate::config::diag_limits::{IDLE_SECS, LOCKOUT_SECS, LONG_PRESS_SECS, MAX_PIN_FAILURES};
use crate::domain::{Bilingual, Lang};

/// The diagnostics screen's buttons that do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    /// Probe everything again.
    Refresh,
    TestPrint,
    TestTicket,
    FeedCut,
    SyncNow,
    ResendOutbox,
    ShowLogs,
    /// Say a sentence through the speech engine and the sound card.
    TestSpeech,
    /// Exit with [`super::EXIT_RESTART`].
    Restart,
    /// Exit with [`super::EXIT_MAINTENANCE`].
    LeaveKiosk,
}

impl Action {
    /// The audit log's event code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Refresh => "ACTION_REFRESH",
            Self::TestPrint => "ACTION_TEST_PRINT",
            Self::TestTicket => "ACTION_TEST_TICKET",
            Self::FeedCut => "ACTION_FEED_CUT",
            Self::SyncNow => "ACTION_SYNC_NOW",
            Self::ResendOutbox => "ACTION_RESEND_OUTBOX",
            Self::ShowLogs => "ACTION_SHOW_LOGS",
            Self::TestSpeech => "ACTION_TEST_SPEECH",
            Self::Restart => "ACTION_RESTART",
            Self::LeaveKiosk => "ACTION_LEAVE_KIOSK",
        }
    }
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionResult {
    pub action: Action,
    pub ok: bool,
    /// `OK` or the fault's stable code.
    pub code: String,
    pub message: Bilingual,
    /// Lines to show under the message: the decoded test page, or the log.
    pub lines: Vec<String>,
}

/// Timings and the PIN hash, from `[diag]` in the configuration file.
#[derive(Clone)]
pub struct DiagSettings {
    /// Argon2 PHC string; `None` keeps diagnostics closed on the kiosk.
    pub pin_hash: Option<String>,
    pub long_press_ms: u64,
    pub max_failures: u32,
    pub lockout_ms: u64,
    pub idle_ms: u64,
}

impl From<&crate::config::DiagConfig> for DiagSettings {
    fn from(c: &crate::config::DiagConfig) -> Self {
        Self {
            pin_hash: c.pin_hash.clone(),
            long_press_ms: clamp_secs(c.long_press_secs, LONG_PRESS_SECS),
            max_failures: c
                .max_pin_failures
                .clamp(*MAX_PIN_FAILURES.start(), *MAX_PIN_FAILURES.end()),
            lockout_ms: clamp_secs(c.lockout_secs, LOCKOUT_SECS),
            idle_ms: clamp_secs(c.idle_secs, IDLE_SECS),
        }
    }
}

fn clamp_secs(secs: u64, range: std::ops::RangeInclusive<u64>) -> u64 {
    secs.clamp(*range.start(), *range.end()) * 1000
}

impl Default for DiagSettings {
    fn default() -> Self {
        Self::from(&crate::config::DiagConfig::default())
    }
}

/// Where diagnostics is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Closed,
    Pin,
    Open,
}

/// Touches, timers and finished work.
#[derive(Debug, Clone)]
pub enum DiagEvent {
    /// The logo was pressed / released (or the press was cancelled).
    LogoDown,
    LogoUp,
    Digit(char),
    Backspace,
    ClearPin,
    SubmitPin,
    /// Leave the PIN pad or the diagnostics screen.
    Close,
    ToggleLang,
    Action(Action),
    Tick,
    Report(Box<DiagReport>),
    Done(ActionResult),
}

/// Work for the runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum DiagEffect {
    /// Append to the audit log.
    Audit { event: &'static str, detail: String },
    /// Probe every component and answer with [`DiagEvent::Report`].
    Probe,
    /// Run an action and answer with [`DiagEvent::Done`].
    Run(Action),
    /// Send the kiosk home: no member's data stays under the technician's screen.
    ResetKiosk,
    /// Quit the app with this exit code.
    Exit(i32),
}

/// A message on the PIN pad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinMessage {
    pub text: Bilingual,
    pub error: bool,
}

/// The state machine.
pub struct DiagMode {
    settings: DiagSettings,
    stage: Stage,
    pub lang: Lang,
    pressed_at: Option<u64>,
    pin: String,
    failures: u32,
    locked_until: Option<u64>,
    last_input_ms: u64,
    message: Option<PinMessage>,
    report: Option<DiagReport>,
    busy: Option<Action>,
    result: Option<ActionResult>,
}

use super::pin::MAX_PIN;

impl DiagMode {
    pub fn new(settings: DiagSettings) -> Self {
        Self {
            settings,
            stage: Stage::Closed,
            lang: Lang::Id,
            pressed_at: None,
            pin: String::new(),
            failures: 0,
            locked_until: None,
            last_input_ms: 0,
            message: None,
            report: None,
            busy: None,
            result: None,
        }
    }

    /// Starts locked for `remaining_ms` from `now_ms` (a lockout recorded before a restart),
    /// never for longer than one lockout period.
    pub fn restore_lock(&mut self, now_ms: u64, remaining_ms: u64) {
        let remaining_ms = remaining_ms.min(self.settings.lockout_ms);
        if remaining_ms > 0 {
            self.failures = self.settings.max_failures;
            self.locked_until = Some(now_ms.saturating_add(remaining_ms));
        }
    }

    /// Starts with `failures` wrong PINs already counted (read back from the audit log), so a
    /// restart gives no fresh tries; the next wrong PIN at most locks.
    pub fn restore_failures(&mut self, failures: u32) {
        if self.locked_until.is_none() {
            self.failures = failures.min(self.settings.max_failures.saturating_sub(1));
        }
    }

    /// The lockout period in milliseconds.
    pub fn lockout_ms(&self) -> u64 {
        self.settings.lockout_ms
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Digits typed so far (the screen shows dots).
    pub fn pin_len(&self) -> usize {
        self.pin.len()
    }

    pub fn message(&self) -> Option<&PinMessage> {
        self.message.as_ref()
    }

    /// Seconds left on the lockout, when locked.
    pub fn locked_for(&self, now_ms: u64) -> Option<u64> {
        self.locked_until
            .filter(|&u| u > now_ms)
            .map(|u| (u - now_ms).div_ceil(1000))
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn report(&self) -> Option<&DiagReport> {
        self.report.as_ref()
    }

    /// The action running now.
    pub fn busy(&self) -> Option<Action> {
        self.busy
    }

    /// The last action's outcome.
    pub fn result(&self) -> Option<&ActionResult> {
        self.result.as_ref()
    }

    /// Handles one event.
    pub fn handle(&mut self, event: DiagEvent, now_ms: u64) -> Vec<DiagEffect> {
        if !matches!(
            event,
            DiagEvent::Tick | DiagEvent::Report(_) | DiagEvent::Done(_)
        ) {
            self.last_input_ms = now_ms;
        }
        match event {
            DiagEvent::LogoDown => {
                if self.stage == Stage::Closed {
                    self.pressed_at = Some(now_ms);
                }
                Vec::new()
            }
            DiagEvent::LogoUp => {
                self.pressed_at = None;
                Vec::new()
            }
            DiagEvent::Tick => self.tick(now_ms),
            DiagEvent::ToggleLang => {
                self.lang = match self.lang {
                    Lang::Id => Lang::En,
                    Lang::En => Lang::Id,
                };
                Vec::new()
            }
            DiagEvent::Digit(d) if self.stage == Stage::Pin => {
                if d.is_ascii_digit()
                    && self.pin.len() < MAX_PIN
                    && self.locked_for(now_ms).is_none()
                {
                    self.pin.push(d);
                    self.message = None;
                }
                Vec::new()
            }
            DiagEvent::Backspace if self.stage == Stage::Pin => {
                self.pin.pop();
                Vec::new()
            }
            DiagEvent::ClearPin if self.stage == Stage::Pin => {
                self.pin.clear();
                Vec::new()
            }
            DiagEvent::SubmitPin if self.stage == Stage::Pin => self.submit(now_ms),
            DiagEvent::Close => self.close("EXIT", "by technician"),
            DiagEvent::Action(action) if self.stage == Stage::Open => self.act(action),
            DiagEvent::Report(report) => {
                if self.stage == Stage::Open {
                    self.report = Some(*report);
                    if self.busy == Some(Action::Refresh) {
                        self.busy = None;
                    }
                }
                Vec::new()
            }
            DiagEvent::Done(result) => {
                if self.stage != Stage::Open {
                    return Vec::new();
                }
                self.busy = None;
                let detail = if result.ok {
                    "OK".to_owned()
                } else {
                    result.code.clone()
                };
                let event = result.action.code();
                let changes_state = !matches!(result.action, Action::ShowLogs);
                self.result = Some(result);
                let mut effects = vec![DiagEffect::Audit { event, detail }];
                if changes_state {
                    self.busy = Some(Action::Refresh);
                    effects.push(DiagEffect::Probe);
                }
                effects
            }
            _ => Vec::new(),
        }
    }

    fn tick(&mut self, now_ms: u64) -> Vec<DiagEffect> {
        let mut effects = Vec::new();
        if self.locked_until.is_some_and(|u| now_ms >= u) {
            self.locked_until = None;
            self.failures = 0;
            if self.stage == Stage::Pin {
                self.message = None;
            }
        }
        match self.stage {
            Stage::Closed => {
                if self
                    .pressed_at
                    .is_some_and(|t| now_ms.saturating_sub(t) >= self.settings.long_press_ms)
                {
                    self.pressed_at = None;
                    self.stage = Stage::Pin;
                    self.pin.clear();
                    self.last_input_ms = now_ms;
                    self.message = self.locked_for(now_ms).map(|_| self.locked_message(now_ms));
                    effects.push(DiagEffect::Audit {
                        event: if self.message.is_some() {
                            "ENTRY_WHILE_LOCKED"
                        } else {
                            "ENTRY_GESTURE"
                        },
                        detail: String::new(),
                    });
                }
            }
            Stage::Pin | Stage::Open => {
                if now_ms.saturating_sub(self.last_input_ms) >= self.settings.idle_ms {
                    effects.extend(self.close("EXIT_IDLE", "idle"));
                }
            }
        }
        effects
    }

    fn locked_message(&self, now_ms: u64) -> PinMessage {
        let minutes = self.locked_for(now_ms).unwrap_or(0).div_ceil(60);
        PinMessage {
            text: Bilingual::tr_with(
                "Terlalu banyak PIN salah. Coba lagi dalam {minutes} menit.",
                &[("minutes", &minutes)],
            ),
            error: true,
        }
    }

    fn submit(&mut self, now_ms: u64) -> Vec<DiagEffect> {
        if self.locked_for(now_ms).is_some() {
            self.pin.clear();
            self.message = Some(self.locked_message(now_ms));
            return vec![DiagEffect::Audit {
                event: "PIN_WHILE_LOCKED",
                detail: String::new(),
            }];
        }
        let Some(hash) = &self.settings.pin_hash else {
            self.pin.clear();
            self.message = Some(PinMessage {
                text: Bilingual::tr(
                    "PIN teknisi belum diatur. Jalankan `anjungan diag set-pin --config FILE`.",
                ),
                error: true,
            });
            return vec![DiagEffect::Audit {
                event: "PIN_NOT_SET",
                detail: String::new(),
            }];
        };
        if let Err(text) = super::pin::check_format(&self.pin) {
            // Not a guess that could be right: said, audited, not counted.
            self.pin.clear();
            self.message = Some(PinMessage { text, error: true });
            return vec![DiagEffect::Audit {
                event: "PIN_TOO_SHORT",
                detail: String::new(),
            }];
        }
        let right = super::pin::verify(hash, &self.pin);
        self.pin.clear();
        if right {
            self.failures = 0;
            self.stage = Stage::Open;
            self.message = None;
            self.result = None;
            self.report = None;
            self.busy = Some(Action::Refresh);
            return vec![
                DiagEffect::Audit {
                    event: "PIN_OK",
                    detail: String::new(),
                },
                DiagEffect::ResetKiosk,
                DiagEffect::Probe,
            ];
        }
        self.failures += 1;
        let mut effects = vec![DiagEffect::Audit {
            event: "PIN_FAILED",
            detail: format!("{} of {}", self.failures, self.settings.max_failures),
        }];
        if self.failures >= self.settings.max_failures {
            self.locked_until = Some(now_ms.saturating_add(self.settings.lockout_ms));
            self.message = Some(self.locked_message(now_ms));
            effects.push(DiagEffect::Audit {
                event: "LOCKED",
                detail: format!("{} s", self.settings.lockout_ms / 1000),
            });
        } else {
            let left = self.settings.max_failures - self.failures;
            self.message = Some(PinMessage {
                text: Bilingual::tr_with("PIN salah. Sisa {left} percobaan.", &[("left", &left)]),
                error: true,
            });
        }
        effects
    }

    fn act(&mut self, action: Action) -> Vec<DiagEffect> {
        if self.busy.is_some() {
            return Vec::new();
        }
        match action {
            Action::Restart | Action::LeaveKiosk => {
                let code = if action == Action::Restart {
                    super::EXIT_RESTART
                } else {
                    super::EXIT_MAINTENANCE
                };
                vec![
                    DiagEffect::Audit {
                        event: action.code(),
                        detail: format!("exit {code}"),
                    },
                    DiagEffect::Exit(code),
                ]
            }
            Action::Refresh => {
                self.busy = Some(action);
                vec![DiagEffect::Probe]
            }
            _ => {
                self.busy = Some(action);
                vec![DiagEffect::Run(action)]
            }
        }
    }

    fn close(&mut self, event: &'static str, detail: &str) -> Vec<DiagEffect> {
        let was = self.stage;
        self.stage = Stage::Closed;
        self.pin.clear();
        self.pressed_at = None;
        self.report = None;
        self.result = None;
        self.busy = None;
        if self.locked_until.is_none() {
            self.message = None;
        }
        match was {
            Stage::Closed => Vec::new(),
            Stage::Pin => vec![DiagEffect::Audit {
                event: if event == "EXIT" {
                    "PIN_CANCELLED"
                } else {
                    "PIN_IDLE"
                },
                detail: String::new(),
            }],
            Stage::Open => vec![DiagEffect::Audit {
                event,
                detail: detail.to_owned(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode() -> DiagMode {
        DiagMode::new(DiagSettings {
            pin_hash: Some(super::super::pin::hash("246810").unwrap()),
            ..DiagSettings::default()
        })
    }

    fn events(effects: &[DiagEffect]) -> Vec<&'static str> {
        effects
            .iter()
            .filter_map(|e| match e {
                DiagEffect::Audit { event, .. } => Some(*event),
                _ => None,
            })
            .collect()
    }

    fn type_pin(m: &mut DiagMode, pin: &str, t: u64) -> Vec<DiagEffect> {
        for d in pin.chars() {
            m.handle(DiagEvent::Digit(d), t);
        }
        m.handle(DiagEvent::SubmitPin, t)
    }

    #[test]
    fn a_short_press_does_nothing_and_five_seconds_open_the_pin_pad() {
        let mut m = mode();
        m.handle(DiagEvent::LogoDown, 0);
        m.handle(DiagEvent::Tick, 4_000);
        m.handle(DiagEvent::LogoUp, 4_500);
        m.handle(DiagEvent::Tick, 6_000);
        assert_eq!(m.stage(), Stage::Closed);
        m.handle(DiagEvent::LogoDown, 10_000);
        let fx = m.handle(DiagEvent::Tick, 15_000);
        assert_eq!(m.stage(), Stage::Pin);
        assert_eq!(events(&fx), ["ENTRY_GESTURE"]);
        let fx = type_pin(&mut m, "246810", 16_000);
        assert_eq!(m.stage(), Stage::Open);
        assert_eq!(events(&fx), ["PIN_OK"]);
        assert!(fx.contains(&DiagEffect::ResetKiosk) && fx.contains(&DiagEffect::Probe));
    }

    #[test]
    fn five_wrong_pins_lock_for_five_minutes_even_the_right_one() {
        let mut m = mode();
        m.handle(DiagEvent::LogoDown, 0);
        m.handle(DiagEvent::Tick, 5_000);
        for n in 1..=4 {
            let fx = type_pin(&mut m, "111111", 6_000);
            assert_eq!(events(&fx), ["PIN_FAILED"]);
            assert_eq!(m.failures(), n);
        }
        let fx = type_pin(&mut m, "111111", 7_000);
        assert_eq!(events(&fx), ["PIN_FAILED", "LOCKED"]);
        assert_eq!(m.locked_for(7_000), Some(300));
        let fx = type_pin(&mut m, "246810", 8_000);
        assert_eq!(m.stage(), Stage::Pin, "locked: the right PIN is refused");
        assert_eq!(events(&fx), ["PIN_WHILE_LOCKED"]);
        // Closing and long-pressing again does not reset the lock.
        m.handle(DiagEvent::Close, 9_000);
        m.handle(DiagEvent::LogoDown, 10_000);
        let fx = m.handle(DiagEvent::Tick, 15_000);
        assert_eq!(events(&fx), ["ENTRY_WHILE_LOCKED"]);
        assert!(
            m.message()
                .unwrap()
                .text
                .en
                .contains("Try again in 5 minutes")
        );
        // After five minutes it opens with the right PIN.
        m.handle(DiagEvent::Tick, 7_000 + 300_000);
        assert_eq!(m.locked_for(7_000 + 300_000), None);
        type_pin(&mut m, "246810", 7_000 + 300_001);
        assert_eq!(m.stage(), Stage::Open);
    }

    #[test]
    fn open_diagnostics_closes_after_five_idle_minutes() {
        let mut m = mode();
        m.handle(DiagEvent::LogoDown, 0);
        m.handle(DiagEvent::Tick, 5_000);
        type_pin(&mut m, "246810", 6_000);
        m.handle(DiagEvent::Tick, 6_000 + 299_000);
        assert_eq!(m.stage(), Stage::Open);
        let fx = m.handle(DiagEvent::Tick, 6_000 + 300_000);
        assert_eq!(m.stage(), Stage::Closed);
        assert_eq!(events(&fx), ["EXIT_IDLE"]);
        assert!(m.report().is_none());
    }

    #[test]
    fn actions_run_one_at_a_time_are_audited_and_exits_carry_their_code() {
        let mut m = mode();
        m.handle(DiagEvent::LogoDown, 0);
        m.handle(DiagEvent::Tick, 5_000);
        type_pin(&mut m, "246810", 6_000);
        m.handle(DiagEvent::Report(Box::default()), 6_100);
        assert_eq!(m.busy(), None);
        let fx = m.handle(DiagEvent::Action(Action::TestPrint), 7_000);
        assert_eq!(fx, [DiagEffect::Run(Action::TestPrint)]);
        assert!(
            m.handle(DiagEvent::Action(Action::FeedCut), 7_100)
                .is_empty()
        );
        let fx = m.handle(
            DiagEvent::Done(ActionResult {
                action: Action::TestPrint,
                ok: false,
                code: "PRINTER_PAPER_END".into(),
                message: Bilingual::new("Kertas habis", "Out of paper"),
                lines: vec![],
            }),
            8_000,
        );
        assert_eq!(
            fx[0],
            DiagEffect::Audit {
                event: "ACTION_TEST_PRINT",
                detail: "PRINTER_PAPER_END".into()
            }
        );
        assert_eq!(fx[1], DiagEffect::Probe);
        m.handle(DiagEvent::Report(Box::default()), 8_100);
        let fx = m.handle(DiagEvent::Action(Action::LeaveKiosk), 9_000);
        assert_eq!(fx[1], DiagEffect::Exit(super::super::EXIT_MAINTENANCE));
    }

    #[test]
    fn a_restored_lock_refuses_the_right_pin_until_it_ends() {
        let mut m = mode();
        m.restore_lock(0, 180_000);
        m.handle(DiagEvent::LogoDown, 0);
        let fx = m.handle(DiagEvent::Tick, 5_000);
        assert_eq!(events(&fx), ["ENTRY_WHILE_LOCKED"]);
        type_pin(&mut m, "246810", 6_000);
        assert_eq!(m.stage(), Stage::Pin);
        m.handle(DiagEvent::Tick, 180_000);
        type_pin(&mut m, "246810", 180_001);
        assert_eq!(m.stage(), Stage::Open);
    }

    #[test]
    fn a_restored_lock_is_never_longer_than_one_lockout() {
        let mut m = mode();
        // A lock read back after the clock was stepped back by days.
        m.restore_lock(1_000, 3 * 24 * 3600 * 1000);
        assert_eq!(m.locked_for(1_000), Some(300));
    }

    #[test]
    fn restored_wrong_pins_leave_no_fresh_tries() {
        let mut m = mode();
        m.restore_failures(4);
        m.handle(DiagEvent::LogoDown, 0);
        m.handle(DiagEvent::Tick, 5_000);
        let fx = type_pin(&mut m, "111111", 6_000);
        assert_eq!(events(&fx), ["PIN_FAILED", "LOCKED"]);
        let mut m = mode();
        m.restore_failures(40);
        assert_eq!(m.failures(), 4, "at most one short of the lock");
    }

    #[test]
    fn settings_are_clamped_so_the_lock_cannot_be_switched_off_or_overflow() {
        let zero = DiagSettings::from(&crate::config::DiagConfig {
            lockout_secs: 0,
            idle_secs: 0,
            max_pin_failures: 0,
            long_press_secs: 0,
            ..Default::default()
        });
        assert_eq!(
            (zero.lockout_ms, zero.idle_ms, zero.max_failures),
            (60_000, 30_000, 1)
        );
        let huge = DiagSettings::from(&crate::config::DiagConfig {
            lockout_secs: u64::MAX,
            idle_secs: u64::MAX,
            long_press_secs: u64::MAX,
            ..Default::default()
        });
        assert_eq!(huge.lockout_ms, 24 * 3600 * 1000);
        assert_eq!(huge.idle_ms, 3600 * 1000);
        let mut m = DiagMode::new(DiagSettings {
            lockout_ms: u64::MAX,
            ..DiagSettings::default()
        });
        m.restore_lock(u64::MAX - 5, u64::MAX);
        assert!(m.locked_for(u64::MAX - 5).is_some());
    }

    #[test]
    fn a_pin_shorter_than_six_digits_is_refused_without_counting() {
        let mut m = mode();
        m.handle(DiagEvent::LogoDown, 0);
        m.handle(DiagEvent::Tick, 5_000);
        let fx = type_pin(&mut m, "24681", 6_000);
        assert_eq!(events(&fx), ["PIN_TOO_SHORT"]);
        assert_eq!((m.stage(), m.failures()), (Stage::Pin, 0));
        assert!(m.message().unwrap().text.en.contains("6 to 12 digits"));
        type_pin(&mut m, "246810", 7_000);
        assert_eq!(m.stage(), Stage::Open);
    }

    #[test]
    fn without_a_pin_hash_nothing_opens() {
        let mut m = DiagMode::new(DiagSettings::default());
        m.handle(DiagEvent::LogoDown, 0);
        m.handle(DiagEvent::Tick, 5_000);
        let fx = type_pin(&mut m, "000000", 6_000);
        assert_eq!(m.stage(), Stage::Pin);
        assert_eq!(events(&fx), ["PIN_NOT_SET"]);
    }
}
