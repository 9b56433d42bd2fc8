//! The Slint skin over the diagnostics mode ([`crate::diag::mode`]): [`render`] turns the
//! mode into plain data in the technician's language, [`apply`] copies it into the `Diag`
//! global, [`connect`] turns the global's callbacks into events, and [`start`] runs the mode
//! on its own thread beside the kiosk controller.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{AppWindow, Diag, DiagCard};
use crate::diag::actions::{Action, Toolbox};
use crate::diag::mode::{DiagEffect, DiagEvent, DiagMode, DiagSettings, Stage};
use crate::diag::report::{Component, DiagReport, Health};
use crate::domain::Lang;
use crate::kiosk::Event;

/// One status card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardData {
    pub name: String,
    pub state: String,
    pub configured: bool,
    pub healthy: bool,
    pub problem: String,
    pub details: String,
}

/// Everything the diagnostics overlay shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiagView {
    pub shown: bool,
    pub pin_pad: bool,
    pub english: bool,
    pub pin_dots: String,
    pub pin_message: String,
    pub pin_error: bool,
    pub locked: bool,
    pub summary: String,
    pub healthy: bool,
    pub cards: Vec<CardData>,
    pub busy: String,
    pub result_title: String,
    pub result_text: String,
    pub result_ok: bool,
    pub result_lines: Vec<String>,
}

fn action_label(a: Action, l: Lang) -> &'static str {
    match a {
        Action::Refresh => l.tr("Periksa ulang"),
        Action::TestPrint => l.tr("Uji cetak"),
        Action::TestTicket => l.tr("Uji tiket"),
        Action::FeedCut => l.tr("Dorong & potong kertas"),
        Action::SyncNow => l.tr("Sinkronkan sekarang"),
        Action::ResendOutbox => l.tr("Kirim ulang outbox"),
        Action::ShowLogs => l.tr("Log terakhir"),
        Action::TestSpeech => l.tr("Uji suara"),
        Action::Restart => l.tr("Mulai ulang aplikasi"),
        Action::LeaveKiosk => l.tr("Keluar mode kiosk"),
    }
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "–".into(), |v| v.to_string())
}

/// `2026-11-22T03:04:05.123+00:00` → `2026-11-22 03:04 UTC`.
fn when(v: &Option<String>) -> String {
    v.as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(
            || opt(v),
            |t| t.to_utc().format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

/// A report's code word (`out`, `near-end`, `open`…) in the technician's language.
fn word(v: &Option<String>, l: Lang) -> String {
    let Some(w) = v.as_deref() else {
        return "–".into();
    };
    match w {
        "ok" => "ok",
        "out" => l.tr("habis"),
        "near-end" => l.tr("hampir habis"),
        "low" => l.tr("menipis"),
        "open" => l.tr("terbuka"),
        "closed" => l.tr("tertutup"),
        "up" => l.tr("tersambung"),
        "down" => l.tr("terputus"),
        other => other,
    }
    .to_owned()
}

fn yes_no(v: Option<bool>, l: Lang) -> String {
    match v {
        Some(true) => l.tr("ya").into(),
        Some(false) => l.tr("tidak").into(),
        None => "–".into(),
    }
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "–".into(), |b| format!("{} MiB", b / (1024 * 1024)))
}

fn card(name: &str, h: &Health, details: String, l: Lang) -> CardData {
    CardData {
        name: name.to_owned(),
        state: if !h.configured {
            l.tr("TIDAK DIATUR")
        } else if h.healthy {
            "OK"
        } else {
            l.tr("MASALAH")
        }
        .to_owned(),
        configured: h.configured,
        healthy: h.healthy,
        problem: h
            .message()
            .map(|m| l.text(&m).to_owned())
            .unwrap_or_default(),
        details,
    }
}

/// The six status cards, in the technician's language.
pub fn cards(r: &DiagReport, l: Lang) -> Vec<CardData> {
    let p = &r.printer;
    let d = &r.dispenser;
    let s = &r.sync;
    let db = &r.database;
    let sys = &r.system;
    let tickets = if d.tickets_today.is_empty() {
        "–".to_owned()
    } else {
        d.tickets_today
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = db
        .rows
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(" · ");
    vec![
        card(
            "Printer",
            p.health(),
            format!(
                "{} · Transport: {} · Online: {} · {}: {} · {}: {}\n{}: {} · {}: {} {}",
                opt(&p.uri),
                opt(&p.transport),
                yes_no(p.online, l),
                l.tr("Kertas"),
                word(&p.paper, l),
                l.tr("Penutup"),
                word(&p.cover, l),
                l.tr("Tercetak"),
                p.printed,
                l.tr("Gangguan terakhir"),
                opt(&p.last_fault),
                when(&p.last_fault_at),
            ),
            l,
        ),
        card(
            l.tr("Mesin antrean"),
            d.health(),
            format!(
                "{} · Link: {} · {}: {}\n{}: {} {} · {}: {} · {}: {}",
                opt(&d.uri),
                word(&d.link, l),
                l.tr("Kertas"),
                word(&d.paper, l),
                l.tr("Frame terakhir"),
                opt(&d.last_frame),
                when(&d.last_frame_at),
                l.tr("Tiket hari ini"),
                opt(&d.issued_today),
                l.tr("per layanan"),
                tickets,
            ),
            l,
        ),
        card(
            l.tr("Pemindai kartu"),
            r.scanner.health(),
            format!(
                "{} · {}: {}",
                opt(&r.scanner.uri),
                l.tr("Terpasang"),
                yes_no(r.scanner.device_present, l),
            ),
            l,
        ),
        card(
            l.tr("Suara"),
            r.speech.health(),
            format!(
                "{} · {}: {} · Engine: {} · {}: {}",
                opt(&r.speech.output),
                l.tr("Perangkat"),
                match (&r.speech.output, &r.speech.device) {
                    (None, _) => "–",
                    (Some(_), None) => "default",
                    (Some(_), Some(d)) => d.as_str(),
                },
                yes_no(r.speech.engine_works, l),
                l.tr("Kartu suara"),
                if r.speech.sound_cards.is_empty() {
                    "–".to_owned()
                } else {
                    r.speech.sound_cards.join(", ")
                },
            ),
            l,
        ),
        card(
            l.tr("Sinkronisasi"),
            s.health(),
            format!(
                "Hub: {} · {}: {}\n{}: {} · {}: {} · {}: {} {}\n{}: {} · Outbox: {}",
                opt(&s.hub_url),
                l.tr("Terjangkau"),
                yes_no(s.reachable, l),
                l.tr("Sukses terakhir"),
                when(&s.last_success),
                l.tr("Versi data"),
                s.data_version,
                l.tr("Umur data"),
                s.data_age_secs
                    .map_or_else(|| "–".into(), |a| format!("{} h", a / 3600)),
                if s.data_stale { l.tr("(basi)") } else { "" },
                l.tr("Galat terakhir"),
                opt(&s.last_error),
                s.pending_outbox,
            ),
            l,
        ),
        card(
            l.tr("Basis data"),
            db.health(),
            format!(
                "{} · {} · {} {}\n{}",
                db.path,
                mib(Some(db.size_bytes)),
                l.tr("skema"),
                db.schema_version,
                rows
            ),
            l,
        ),
        card(
            l.tr("Sistem"),
            sys.health(),
            format!(
                "{} {} · {} · {}: {} s · {}: {}\n{}: {} / {} · {}: {} / {}\nIP: {} · {}: {} · {}: {}",
                l.tr("Versi"),
                sys.app_version,
                opt(&sys.hostname),
                l.tr("Aktif"),
                sys.app_uptime_secs,
                l.tr("sistem"),
                sys.system_uptime_secs
                    .map_or_else(|| "–".into(), |s| format!("{s} s")),
                l.tr("Disk kosong"),
                mib(sys.disk_free_bytes),
                mib(sys.disk_total_bytes),
                l.tr("Memori tersedia"),
                mib(sys.memory_available_bytes),
                mib(sys.memory_total_bytes),
                if sys.ip_addresses.is_empty() {
                    "–".to_owned()
                } else {
                    sys.ip_addresses.join(", ")
                },
                l.tr("Selisih jam dengan hub"),
                sys.clock_skew_secs
                    .map_or_else(|| "–".into(), |s| format!("{s} s")),
                l.tr("PIN terkunci (24 jam)"),
                sys.pin_lockouts_24h
                    .map_or_else(|| "–".into(), |n| n.to_string()),
            ),
            l,
        ),
    ]
}

/// Renders the mode at `now_ms`.
pub fn render(mode: &DiagMode, now_ms: u64) -> DiagView {
    let l = mode.lang;
    let mut v = DiagView {
        shown: mode.stage() != Stage::Closed,
        pin_pad: mode.stage() != Stage::Open,
        english: l == Lang::En,
        pin_dots: vec!["●"; mode.pin_len()].join(" "),
        locked: mode.locked_for(now_ms).is_some(),
        result_ok: true,
        ..DiagView::default()
    };
    if let Some(m) = mode.message() {
        v.pin_message = l.text(&m.text).to_owned();
        v.pin_error = m.error;
    }
    match mode.report() {
        Some(r) => {
            v.healthy = r.healthy;
            v.summary = if r.healthy {
                l.tr("Semua komponen sehat.").to_owned()
            } else {
                format!("{}: {}", l.tr("Bermasalah"), r.unhealthy.join(", "))
            };
            v.cards = cards(r, l);
        }
        None => {
            v.healthy = true;
            v.summary = l.tr("Memeriksa…").to_owned();
        }
    }
    if let Some(a) = mode.busy() {
        v.busy = format!("{} …", action_label(a, l));
    }
    v.result_title = l
        .pick(
            "Hasil tindakan tampil di sini.",
            "The outcome of an action shows here.",
        )
        .to_owned();
    if let Some(r) = mode.result() {
        v.result_title = action_label(r.action, l).to_owned();
        v.result_text = format!("{}{}", if r.ok { "" } else { "✗ " }, l.text(&r.message));
        v.result_ok = r.ok;
        v.result_lines = r.lines.clone();
    }
    v
}

/// Copies the rendered view into the window's `Diag` global.
pub fn apply(window: &AppWindow, v: &DiagView) {
    let d = window.global::<Diag>();
    let s = |x: &str| SharedString::from(x);
    d.set_shown(v.shown);
    d.set_pin_pad(v.pin_pad);
    d.set_english(v.english);
    super::select_translation(window);
    d.set_pin_dots(s(&v.pin_dots));
    d.set_pin_message(s(&v.pin_message));
    d.set_pin_error(v.pin_error);
    d.set_locked(v.locked);
    d.set_summary(s(&v.summary));
    d.set_healthy(v.healthy);
    d.set_cards(ModelRc::from(Rc::new(VecModel::from(
        v.cards
            .iter()
            .map(|c| DiagCard {
                name: s(&c.name),
                state: s(&c.state),
                configured: c.configured,
                healthy: c.healthy,
                problem: s(&c.problem),
                details: s(&c.details),
            })
            .collect::<Vec<_>>(),
    ))));
    d.set_busy(s(&v.busy));
    d.set_result_title(s(&v.result_title));
    d.set_result_text(s(&v.result_text));
    d.set_result_ok(v.result_ok);
    d.set_result_lines(ModelRc::from(Rc::new(VecModel::from(
        v.result_lines.iter().map(|l| s(l)).collect::<Vec<_>>(),
    ))));
}

/// Forwards the `Diag` global's callbacks to `send`.
pub fn connect(window: &AppWindow, send: impl Fn(DiagEvent) + Clone + 'static) {
    let d = window.global::<Diag>();
    macro_rules! on {
        ($setter:ident, $event:expr) => {{
            let send = send.clone();
            d.$setter(move || send($event));
        }};
    }
    on!(on_logo_down, DiagEvent::LogoDown);
    on!(on_logo_up, DiagEvent::LogoUp);
    on!(on_backspace, DiagEvent::Backspace);
    on!(on_clear, DiagEvent::ClearPin);
    on!(on_submit, DiagEvent::SubmitPin);
    on!(on_close, DiagEvent::Close);
    on!(on_toggle_language, DiagEvent::ToggleLang);
    let digit = send.clone();
    d.on_digit(move |x| digit(DiagEvent::Digit(x.chars().next().unwrap_or(' '))));
    d.on_action(move |i| {
        let action = match i {
            1 => Action::TestPrint,
            2 => Action::TestTicket,
            3 => Action::FeedCut,
            4 => Action::SyncNow,
            5 => Action::ResendOutbox,
            6 => Action::ShowLogs,
            7 => Action::Restart,
            8 => Action::LeaveKiosk,
            9 => Action::TestSpeech,
            _ => Action::Refresh,
        };
        send(DiagEvent::Action(action));
    });
}

/// What the kiosk needs to run diagnostics.
pub struct DiagSetup {
    pub toolbox: Toolbox,
    pub settings: DiagSettings,
    /// Set when a technician asks the app to exit (restart or leave kiosk mode).
    pub exit_code: Arc<AtomicI32>,
}

/// How often the mode's timers are checked.
const TICK: Duration = Duration::from_millis(250);

/// Runs the diagnostics mode on its own thread; `kiosk` reaches the member controller.
/// `activity` (the update agent's view of the kiosk) learns when a technician is in
/// diagnostics, so no update installs under their hands.
pub fn start(
    window: &AppWindow,
    setup: DiagSetup,
    kiosk: impl Fn(Event) + Send + 'static,
    activity: Option<Arc<anjungan_core::update::agent::Activity>>,
) -> Result<(), String> {
    let (tx, rx) = mpsc::channel::<DiagEvent>();
    {
        let tx = tx.clone();
        connect(window, move |e| {
            let _ = tx.send(e);
        });
    }
    let weak = window.as_weak();
    let started = Instant::now();
    std::thread::Builder::new()
        .name("diagnostics".into())
        .spawn(move || {
            let DiagSetup {
                toolbox,
                settings,
                exit_code,
            } = setup;
            let toolbox = Arc::new(toolbox);
            let mut mode = toolbox.mode(settings, 0);
            let mut shown: Option<DiagView> = None;
            loop {
                let event = match rx.recv_timeout(TICK) {
                    Ok(e) => e,
                    Err(RecvTimeoutError::Timeout) => DiagEvent::Tick,
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                let now = started.elapsed().as_millis() as u64;
                for effect in mode.handle(event, now) {
                    match effect {
                        DiagEffect::ResetKiosk => kiosk(Event::Home),
                        DiagEffect::Exit(code) => {
                            exit_code.store(code, Ordering::SeqCst);
                            let _ = slint::invoke_from_event_loop(|| {
                                let _ = slint::quit_event_loop();
                            });
                        }
                        DiagEffect::Audit { .. } => {
                            toolbox.carry_out(&effect);
                        }
                        DiagEffect::Probe | DiagEffect::Run(_) => {
                            let toolbox = Arc::clone(&toolbox);
                            let tx = tx.clone();
                            std::thread::spawn(move || {
                                if let Some(answer) = toolbox.carry_out(&effect) {
                                    let _ = tx.send(answer);
                                }
                            });
                        }
                    }
                }
                if let Some(a) = &activity {
                    a.technician(mode.stage() != Stage::Closed);
                }
                let v = render(&mode, now);
                if shown.as_ref() != Some(&v) {
                    shown = Some(v.clone());
                    let _ = weak.upgrade_in_event_loop(move |w| apply(&w, &v));
                }
            }
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
}
