//! What a technician can do from diagnostics, on the kiosk's real devices. Each action
//! blocks (seconds at most) and returns an [`ActionResult`] the screen shows; the runtime runs
//! it off the UI thread.

use std::time::Duration;

use anjungan_drivers::escpos_decode::{self, Event};
use anjungan_drivers::printer::{EscPosPrinter, Timeouts};
use anjungan_drivers::receipt::{PaperWidth, Receipt};

use super::counters;
pub use super::mode::{Action, ActionResult};
use super::mode::{DiagEffect, DiagEvent, DiagMode, DiagSettings};
use super::probe::{self, ProbeSetup, dispenser_problem, printer_problem};
use crate::domain::{Bilingual, Explain, Lang};
use crate::slips::{self, SlipContext, TicketSlip};
use crate::store::Store;
use crate::sync::agent::AgentConfig;

/// What "Uji suara" says: a number, a date and an abbreviation, so the normaliser is heard
/// too.
const TEST_SENTENCE: &str = "Tes suara Anjungan JKN. Iuran Rp35.000, dibayar sebelum 10-12-2026.";

/// The kiosk's devices and links, for actions and probes.
#[derive(Clone)]
pub struct Toolbox {
    pub probe: ProbeSetup,
    pub paper: PaperWidth,
    pub kiosk_name: String,
    /// The sync agent's settings, when a hub is configured.
    pub agent: Option<AgentConfig>,
}

fn ok(action: Action, message: Bilingual, lines: Vec<String>) -> ActionResult {
    ActionResult {
        action,
        ok: true,
        code: "OK".into(),
        message,
        lines,
    }
}

fn failed(action: Action, code: &str, message: Bilingual) -> ActionResult {
    ActionResult {
        action,
        ok: false,
        code: code.to_owned(),
        message,
        lines: Vec::new(),
    }
}

/// What the virtual printer's decoder reads from ESC/POS bytes: the text lines, QR payloads
/// and cuts, as the screen shows them.
pub fn preview(bytes: &[u8]) -> Vec<String> {
    escpos_decode::decode(bytes)
        .into_iter()
        .filter_map(|e| match e {
            Event::Line(l) => Some(l.text.trim_end().to_owned()),
            Event::Qr(q) => Some(format!("[QR {q}]")),
            Event::Cut { partial } => Some(
                if partial {
                    "[--- cut ---]"
                } else {
                    "[=== cut ===]"
                }
                .into(),
            ),
            _ => None,
        })
        .collect()
}

impl Toolbox {
    /// Probes every component.
    pub fn report(&self) -> super::DiagReport {
        probe::report_blocking(&self.probe)
    }

    fn ctx(&self) -> SlipContext {
        SlipContext {
            kiosk_name: self.kiosk_name.clone(),
            width: self.paper,
            lang: Lang::Id,
            printed_at: chrono::Utc::now()
                .with_timezone(&self.probe.zone)
                .naive_local(),
        }
    }

    fn store(&self) -> Option<Store> {
        self.probe
            .db
            .is_file()
            .then(|| Store::open(&self.probe.db).ok())
            .flatten()
    }

    /// Sends ESC/POS bytes to the printer; counts the slip or records its fault.
    fn print_bytes(&self, action: Action, bytes: &[u8], lines: Vec<String>) -> ActionResult {
        let Some(uri) = &self.probe.printer else {
            return ActionResult {
                lines,
                ..failed(
                    action,
                    "PRINTER_NOT_CONFIGURED",
                    Bilingual::tr("Printer belum diatur ([printer] uri)."),
                )
            };
        };
        let result = {
            let _printing = self
                .probe
                .print_gate
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            EscPosPrinter::open(uri, Timeouts::default()).and_then(|mut p| p.print_bytes(bytes))
        };
        let fault = result.as_ref().err().map(|e| match e.fault() {
            Some(f) => f.code(),
            None => e.code(),
        });
        if let Some(store) = self.store() {
            let _ = counters::record_print(&store, fault, chrono::Utc::now());
        }
        match (result, fault) {
            (Ok(report), _) => ok(
                action,
                Bilingual::tr_with("Tercetak ({0} byte).", &[("0", &report.bytes)]),
                lines,
            ),
            (Err(e), code) => {
                let code = code.unwrap_or("PRINTER_OFFLINE");
                let why = if e.fault().is_some() {
                    printer_problem(code)
                } else {
                    e.explain()
                };
                ActionResult {
                    lines,
                    ..failed(action, code, why)
                }
            }
        }
    }

    /// Runs one action. Restart and leaving kiosk mode are the runtime's to carry out.
    pub fn run(&self, action: Action) -> ActionResult {
        match action {
            Action::TestPrint => match slips::test_slip(&self.ctx()).to_escpos() {
                Ok(bytes) => {
                    let lines = preview(&bytes);
                    self.print_bytes(action, &bytes, lines)
                }
                Err(e) => failed(
                    action,
                    "PRINTER_RENDER",
                    Bilingual::new(e.to_string(), e.to_string()),
                ),
            },
            Action::FeedCut => {
                let mut r = Receipt::new(self.paper);
                r.feed(2);
                match r.to_escpos() {
                    Ok(bytes) => self.print_bytes(action, &bytes, preview(&bytes)),
                    Err(e) => failed(
                        action,
                        "PRINTER_RENDER",
                        Bilingual::new(e.to_string(), e.to_string()),
                    ),
                }
            }
            Action::TestTicket => self.test_ticket(),
            Action::TestSpeech => self.test_speech(),
            Action::SyncNow => self.sync(action),
            Action::ResendOutbox => self.sync(action),
            Action::ShowLogs => {
                let mut lines = super::logbuf::recent(200);
                lines.reverse();
                ok(
                    action,
                    Bilingual::tr_with(
                        "{0} baris log terakhir, terbaru di atas (nomor panjang disamarkan).",
                        &[("0", &lines.len())],
                    ),
                    lines,
                )
            }
            Action::Refresh | Action::Restart | Action::LeaveKiosk => {
                ok(action, Bilingual::tr("Selesai."), Vec::new())
            }
        }
    }

    /// Says a test sentence as `anjungan say` does (the same normaliser and engine) and
    /// plays it on the kiosk's sound device, waiting until it is heard.
    fn test_speech(&self) -> ActionResult {
        let action = Action::TestSpeech;
        let Some(speech) = &self.probe.speech else {
            return failed(
                action,
                "SPEECH_OFF",
                Bilingual::tr(
                    "Suara tidak diatur. Atur [speech] mode = \"headphones\" atau \"loudspeaker\".",
                ),
            );
        };
        let said = match speech.engine.say(TEST_SENTENCE, Lang::Id) {
            Ok(u) => u,
            Err(e) => return failed(action, e.code(), e.explain()),
        };
        let lines = vec![
            said.spoken.clone(),
            format!(
                "{:.1} s · {} Hz · {}",
                said.wav.seconds(),
                said.wav.sample_rate,
                speech.device.as_deref().unwrap_or("default")
            ),
        ];
        let mut player = crate::speech::Aplay::new(speech.device.clone());
        player.program = speech.player.clone();
        use crate::speech::Sink as _;
        if player.start(&said.wav, &said.spoken).is_err() {
            return ActionResult {
                lines,
                ..failed(
                    action,
                    "SPEECH_NO_OUTPUT",
                    Bilingual::tr(
                        "Suara dibuat, tetapi tidak bisa diputar: pemutar aplay atau kartu suara tidak ada. Pasang alsa-utils dan periksa perangkat suara.",
                    ),
                )
            };
        }
        let deadline = std::time::Instant::now()
            + Duration::from_secs_f64(said.wav.seconds())
            + Duration::from_secs(3);
        while player.playing() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        player.cut();
        ok(
            action,
            Bilingual::tr("Kalimat uji diputar. Terdengar jelas dari speaker atau headphone?"),
            lines,
        )
    }

    /// Takes a real number for the first counter service and prints its ticket.
    fn test_ticket(&self) -> ActionResult {
        let action = Action::TestTicket;
        let Some((_, client)) = &self.probe.dispenser else {
            return failed(
                action,
                "DISPENSER_NOT_CONFIGURED",
                Bilingual::tr("Mesin antrean belum diatur ([dispenser] uri)."),
            );
        };
        let services = self
            .store()
            .and_then(|s| s.counter_services().ok())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(crate::content::default_services);
        let service = &services[0];
        let code = service.code.chars().next().unwrap_or('A');
        let issued = client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .issue(code, false);
        let store = self.store();
        let at = chrono::Utc::now();
        let ticket = match issued {
            Ok(t) => t,
            Err(e) => {
                if let (Some(s), anjungan_drivers::dispenser::DispenserError::Refused(_)) =
                    (&store, &e)
                {
                    let _ = counters::record_frame(s, "ISSUE NAK", at);
                }
                let code = match e.code() {
                    "DISPENSER_PAPER_OUT" => "DISPENSER_PAPER_OUT",
                    "DISPENSER_URI" => "DISPENSER_URI",
                    c if c.starts_with("DISPENSER_OFFLINE") => "DISPENSER_OFFLINE",
                    c => c,
                };
                let message = match code {
                    "DISPENSER_PAPER_OUT" | "DISPENSER_OFFLINE" | "DISPENSER_URI" => {
                        dispenser_problem(code)
                    }
                    _ => e.explain(),
                };
                return failed(action, code, message);
            }
        };
        if let Some(s) = &store {
            let _ = counters::record_frame(s, "ISSUE ACK", at);
            let day = at.with_timezone(&self.probe.zone).date_naive();
            let _ = counters::record_ticket(s, day, &service.code);
        }
        let number = ticket.display();
        let slip = slips::queue_ticket(
            &self.ctx(),
            &TicketSlip {
                number: number.clone(),
                service,
                priority: false,
                ahead: ticket.ahead,
            },
        );
        let printed = match slip.to_escpos() {
            Ok(bytes) => self.print_bytes(action, &bytes, preview(&bytes)),
            Err(e) => failed(
                action,
                "PRINTER_RENDER",
                Bilingual::new(e.to_string(), e.to_string()),
            ),
        };
        let message = Bilingual::new(
            format!("Nomor {number} diambil. {}", printed.message.id),
            format!("Number {number} taken. {}", printed.message.en),
        );
        ActionResult { message, ..printed }
    }

    /// One sync cycle, or only the outbox push.
    fn sync(&self, action: Action) -> ActionResult {
        let Some(config) = self.agent.clone() else {
            return failed(
                action,
                "HUB_NOT_CONFIGURED",
                Bilingual::tr("Hub belum diatur ([hub])."),
            );
        };
        let run = || -> Result<Bilingual, crate::sync::SyncError> {
            let agent = crate::diag::probe::headless_agent(config)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            if action == Action::ResendOutbox {
                let sent = rt.block_on(agent.push_outbox())?;
                Ok(Bilingual::tr_with(
                    "{sent} permohonan terkirim ke hub.",
                    &[("sent", &sent)],
                ))
            } else {
                let report = rt.block_on(async {
                    tokio::time::timeout(Duration::from_secs(120), agent.run_once())
                        .await
                        .map_err(|_| {
                            crate::sync::SyncError::Network("timed out after 120 s".into())
                        })?
                })?;
                Ok(Bilingual::tr_with(
                    "Sinkron selesai: versi data {0}, {1} permohonan terkirim.",
                    &[("0", &report.applied.version), ("1", &report.delivered)],
                ))
            }
        };
        match run() {
            Ok(message) => ok(action, message, Vec::new()),
            Err(e) => failed(
                action,
                e.code(),
                Bilingual::tr_with("Sinkronisasi gagal: {e}", &[("e", &e)]),
            ),
        }
    }
}

impl Toolbox {
    /// The diagnostics mode for this kiosk, still locked if a lockout recorded in the audit
    /// log has not run out and with the wrong PINs since the last success counted (so
    /// restarting the app gives no fresh tries). When the audit log cannot be read, it
    /// starts locked for one lockout period: it fails closed.
    pub fn mode(&self, settings: DiagSettings, now_ms: u64) -> DiagMode {
        let mut mode = DiagMode::new(settings);
        let lockout = Duration::from_millis(mode.lockout_ms());
        let state = self
            .store()
            .ok_or_else(|| "the database cannot be opened".to_owned())
            .and_then(|s| {
                super::audit::pin_state(&s, chrono::Utc::now(), lockout).map_err(|e| e.to_string())
            });
        match state {
            Ok(state) => {
                if let Some(left) = state.locked_for {
                    mode.restore_lock(now_ms, u64::try_from(left.as_millis()).unwrap_or(u64::MAX));
                }
                mode.restore_failures(state.failures);
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    "diagnostics audit log unreadable: the PIN pad starts locked for one lockout period"
                );
                mode.restore_lock(now_ms, mode.lockout_ms());
            }
        }
        mode
    }

    /// Carries out one of the mode's effects that needs the world, and returns the event
    /// that answers it. `ResetKiosk` and `Exit` are the runtime's own.
    pub fn carry_out(&self, effect: &DiagEffect) -> Option<DiagEvent> {
        match effect {
            DiagEffect::Audit { event, detail } => {
                tracing::info!(event, detail = %super::logbuf::mask(detail), "diagnostics");
                let written = self
                    .store()
                    .map(|s| super::audit::record(&s, chrono::Utc::now(), event, detail));
                if !matches!(written, Some(Ok(()))) {
                    tracing::warn!(event, "audit entry not written: no database");
                }
                None
            }
            DiagEffect::Probe => Some(DiagEvent::Report(Box::new(self.report()))),
            DiagEffect::Run(action) => Some(DiagEvent::Done(self.run(*action))),
            DiagEffect::ResetKiosk | DiagEffect::Exit(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toolbox(db: std::path::PathBuf) -> Toolbox {
        Toolbox {
            probe: ProbeSetup {
                kiosk_id: "k1".into(),
                printer: None,
                dispenser: None,
                scanner: None,
                speech: None,
                print_gate: probe::print_gate(),
                db,
                hub_url: None,
                hub_ca: None,
                max_data_age_hours: 48,
                zone: crate::clock::DEFAULT_ZONE,
                started: std::time::Instant::now(),
            },
            paper: PaperWidth::Mm80,
            kiosk_name: "Test".into(),
            agent: None,
        }
    }

    #[test]
    fn the_speech_test_says_its_sentence_and_tells_a_missing_player_from_speech_off() {
        let dir = tempfile::tempdir().unwrap();
        let mut tb = toolbox(dir.path().join("kiosk.db"));
        let off = tb.run(Action::TestSpeech);
        assert_eq!((off.ok, off.code.as_str()), (false, "SPEECH_OFF"));

        // A player that takes the sound and ends: the sentence was said.
        let mut setup = probe::SpeechSetup::new("loudspeaker", None);
        setup.player = "true".into();
        tb.probe.speech = Some(setup.clone());
        let said = tb.run(Action::TestSpeech);
        assert!(said.ok, "{said:?}");
        assert!(
            said.lines[0].contains("tiga puluh lima ribu rupiah"),
            "through the normaliser: {:?}",
            said.lines
        );
        assert!(said.lines[1].contains("22050 Hz"), "{:?}", said.lines);

        // No player (a fresh machine without alsa-utils): made, not heard, and said so.
        setup.player = "anjungan-no-such-aplay".into();
        tb.probe.speech = Some(setup.clone());
        let unheard = tb.run(Action::TestSpeech);
        assert_eq!(
            (unheard.ok, unheard.code.as_str()),
            (false, "SPEECH_NO_OUTPUT")
        );
        assert!(unheard.lines[0].contains("rupiah"), "{:?}", unheard.lines);

        // No engine.
        setup.engine.program = "anjungan-no-such-espeak".into();
        tb.probe.speech = Some(setup);
        let silent = tb.run(Action::TestSpeech);
        assert_eq!(silent.code, "SPEECH_NOT_INSTALLED");
    }

    #[test]
    fn wrong_pins_before_a_restart_still_count() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.db");
        let store = Store::open(&db).unwrap();
        for n in 1..=4 {
            super::super::audit::record(
                &store,
                chrono::Utc::now(),
                "PIN_FAILED",
                &format!("{n} of 5"),
            )
            .unwrap();
        }
        let mode = toolbox(db).mode(DiagSettings::default(), 1_000);
        assert_eq!(mode.failures(), 4);
        assert_eq!(mode.locked_for(1_000), None);
    }

    #[test]
    fn an_unreadable_audit_log_starts_locked_for_one_lockout() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.db");
        std::fs::write(
            &db,
            "this is not a database, it is a text file of some length",
        )
        .unwrap();
        let mode = toolbox(db).mode(DiagSettings::default(), 1_000);
        assert_eq!(mode.locked_for(1_000), Some(300));
    }
}
