//! Technician diagnostics through the real Slint UI under the testing backend, on the real
//! simulators (virtual printer over TCP, dispenser over a pty) and a real hub process: the
//! long-press and PIN entry, the lockout, each action, paper out shown as paper out, and no
//! member data in the audit log or the log view after a member session.
//!
//! One `#[test]` only: the testing backend's event loop can start once per process.
//! Screenshots (`diag-*.png`) go to `target/.../screenshots/`, or to `ANJUNGAN_SCREENSHOTS`.

mod common;

use common::screenshot;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use anjungan::diag::actions::Toolbox;
use anjungan::diag::mode::{DiagEffect, DiagEvent, DiagMode, DiagSettings};
use anjungan::diag::probe::ProbeSetup;
use anjungan::diag::{EXIT_MAINTENANCE, EXIT_RESTART, audit, logbuf, pin};
use anjungan::kiosk::{Controller, Effect, Event, Outcome, Settings};
use anjungan::store::Store;
use anjungan::ui::devices::KioskDevices;
use anjungan::ui::runtime::Devices;
use anjungan::ui::{self, AppWindow, Diag, Page, view};
use anjungan_drivers::printer_sim::StatusPreset;
use anjungan_drivers::receipt::PaperWidth;
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::{PointerEventButton, WindowEvent};
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

const NIK: &str = "3273011205800001";
const NAME: &str = "Budi Santoso";
const DOB: [&str; 5] = [
    "1980-05-12",
    "12-05-1980",
    "12/05/1980",
    "12051980",
    "12 Mei 1980",
];

/// The kiosk controller and the diagnostics mode wired to the window synchronously, with
/// the real devices behind both.
struct Harness {
    controller: RefCell<Controller>,
    diag: RefCell<DiagMode>,
    toolbox: Toolbox,
    devices: KioskDevices,
    window: AppWindow,
    clock: RefCell<u64>,
    exit: RefCell<Option<i32>>,
}

impl Harness {
    fn handle(self: &Rc<Self>, event: Event) {
        let t = *self.clock.borrow();
        let effects = self.controller.borrow_mut().handle(event, common::at(t));
        for effect in effects {
            let outcome = match effect {
                Effect::Print(slip) => Some(Outcome::Printed(
                    self.devices.print(&slip, Default::default()),
                )),
                Effect::TakeTicket {
                    service,
                    priority,
                    request_id,
                } => Some(Outcome::TicketTaken(
                    self.devices.take_ticket(&service, priority, request_id),
                )),
                Effect::LookUp { id, birth_date } => {
                    Some(Outcome::LookedUp(self.devices.look_up(&id, &birth_date)))
                }
            };
            if let Some(o) = outcome {
                self.handle(Event::Outcome(o));
            }
        }
        self.render();
    }

    fn diag(self: &Rc<Self>, event: DiagEvent) {
        let t = *self.clock.borrow();
        let effects = self.diag.borrow_mut().handle(event, t);
        for effect in effects {
            match &effect {
                DiagEffect::ResetKiosk => self.handle(Event::Home),
                DiagEffect::Exit(code) => *self.exit.borrow_mut() = Some(*code),
                _ => {
                    if let Some(answer) = self.toolbox.carry_out(&effect) {
                        self.diag(answer);
                    }
                }
            }
        }
        self.render();
    }

    fn render(&self) {
        let t = *self.clock.borrow();
        ui::apply(
            &self.window,
            &view::render(&self.controller.borrow(), common::at(t)),
        );
        ui::diag::apply(&self.window, &ui::diag::render(&self.diag.borrow(), t));
    }

    fn advance(self: &Rc<Self>, ms: u64) {
        *self.clock.borrow_mut() += ms;
        self.handle(Event::Tick);
        self.diag(DiagEvent::Tick);
    }

    fn d(&self) -> Diag<'_> {
        self.window.global::<Diag>()
    }

    fn card(&self, name: &str) -> (String, String, String) {
        let c = slint::Model::iter(&self.d().get_cards())
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no card {name}"));
        (c.state.into(), c.problem.into(), c.details.into())
    }
}

/// Taps the topmost control with this label (the diagnostics overlay sits over the member
/// screens, which carry some of the same labels).
async fn tap(window: &AppWindow, label: &str) {
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(window, label).collect();
    assert!(!found.is_empty(), "nothing labelled {label:?} on screen");
    found[found.len() - 1]
        .single_click(PointerEventButton::Left)
        .await;
}

async fn type_digits(window: &AppWindow, digits: &str) {
    for d in digits.chars() {
        tap(window, &d.to_string()).await;
    }
}

/// Presses the logo (a real pointer event on its position) and holds it for `ms`.
fn hold_logo(h: &Rc<Harness>, ms: u64) {
    let logo = ElementHandle::find_by_accessible_label(&h.window, "Logo")
        .next()
        .expect("the logo");
    let (p, s) = (logo.absolute_position(), logo.size());
    let position = slint::LogicalPosition::new(p.x + s.width / 2.0, p.y + s.height / 2.0);
    h.window
        .window()
        .dispatch_event(WindowEvent::PointerPressed {
            position,
            button: PointerEventButton::Left,
        });
    h.advance(ms);
    h.window
        .window()
        .dispatch_event(WindowEvent::PointerReleased {
            position,
            button: PointerEventButton::Left,
        });
}

fn lines(h: &Harness) -> Vec<String> {
    slint::Model::iter(&h.d().get_result_lines())
        .map(|l| l.to_string())
        .collect()
}

/// The NIK as the member screens group it.
const NIK_GROUPED: &str = "3273 0112 0580 0001";

fn assert_no_member_data(what: &str, text: &str) {
    assert!(!text.contains(NIK), "{what} holds the NIK: {text}");
    assert!(
        !text.contains(NIK_GROUPED) && !text.contains(&NIK_GROUPED.replace(' ', "-")),
        "{what} holds the grouped NIK: {text}"
    );
    assert!(
        !text.to_lowercase().contains(&NAME.to_lowercase()),
        "{what} holds the name: {text}"
    );
    assert!(!text.contains(NAME), "{what} holds the name: {text}");
    for d in DOB {
        assert!(!text.contains(d), "{what} holds the birth date: {text}");
    }
}

#[test]
fn technician_diagnostics_through_the_real_ui() {
    common::start_backend();
    // What the binary installs: the in-memory log the diagnostics screen reads. The test
    // keeps more than the kiosk does (everything the project's own crates log, down to
    // trace), so "no member data in the log view" is checked against a superset.
    let filter = format!("{},anjungan=trace,anjungan_drivers=trace", logbuf::FILTER);
    tracing_subscriber::registry()
        .with(logbuf::layer().with_filter(tracing_subscriber::EnvFilter::new(filter)))
        .try_init()
        .ok();

    let dir = tempfile::tempdir().unwrap();
    let db = common::imported_db(dir.path(), "kiosk.db");
    let hub = common::Hub::start(dir.path());
    let common::Simulators {
        printer,
        printer_uri,
        dispenser,
        // Kept to the end: dropping the pty unplugs the dispenser.
        port: _port,
        dispenser_uri,
    } = common::start_simulators();
    let devices = KioskDevices::new(
        Some(printer_uri.clone()),
        PaperWidth::Mm80,
        Some(&dispenser_uri),
        "KC Bandung".into(),
        chrono_tz::Asia::Jakarta,
        db.clone(),
    )
    .unwrap();
    let toolbox = Toolbox {
        probe: ProbeSetup {
            kiosk_id: "k1".into(),
            printer: Some(printer_uri),
            dispenser: devices
                .dispenser
                .clone()
                .map(|c| (dispenser_uri.clone(), c)),
            scanner: None,
            speech: None,
            print_gate: devices.print_gate.clone(),
            db: db.clone(),
            hub_url: Some(hub.url.clone()),
            hub_ca: Some(hub.ca.clone()),
            max_data_age_hours: 48,
            zone: chrono_tz::Asia::Jakarta,
            started: Instant::now(),
        },
        paper: PaperWidth::Mm80,
        kiosk_name: "KC Bandung".into(),
        agent: Some(common::agent_config(dir.path(), &db, &hub.url)),
    };
    let controller = Controller::new(
        Store::open(&db).unwrap(),
        Settings {
            kiosk_name: "Anjungan JKN – KC Bandung".into(),
            ..Settings::default()
        },
        common::at(0),
    )
    .unwrap();
    let mode = DiagMode::new(DiagSettings {
        pin_hash: Some(pin::hash("246810").unwrap()),
        ..DiagSettings::default()
    });
    let window = AppWindow::new().unwrap();
    window
        .window()
        .set_size(slint::PhysicalSize::new(1080, 1920));
    let h = Rc::new(Harness {
        controller: RefCell::new(controller),
        diag: RefCell::new(mode),
        toolbox,
        devices,
        window,
        clock: RefCell::new(0),
        exit: RefCell::new(None),
    });
    {
        let weak = Rc::downgrade(&h);
        ui::connect(&h.window, move |e| {
            if let Some(h) = weak.upgrade() {
                h.handle(e);
            }
        });
        let weak = Rc::downgrade(&h);
        ui::diag::connect(&h.window, move |e| {
            if let Some(h) = weak.upgrade() {
                h.diag(e);
            }
        });
    }
    h.render();
    h.window.show().unwrap();

    let h2 = h.clone();
    slint::spawn_local(async move {
        let h = h2;
        let w = &h.window;

        // A member session first: status by NIK, printed on the virtual printer.
        tap(w, "Cek Status").await;
        type_digits(w, NIK).await;
        type_digits(w, "12051980").await;
        tap(w, "Lanjut").await;
        assert_eq!(h.window.global::<ui::Kiosk>().get_page(), Page::MemberHome);
        tap(w, "Cetak ringkasan").await;
        assert_eq!(
            printer
                .wait_pages(1, std::time::Duration::from_secs(10))
                .0
                .len(),
            1
        );
        tap(w, "Beranda").await;
        // A stray line from some library with a card-like number: shown masked.
        logbuf::push(format!("stray line with {NIK}"));
        logbuf::push(format!(
            "stray grouped {NIK_GROUPED} and 3273-0112-0580-0001"
        ));
        tracing::info!(nik = NIK_GROUPED, "a library logging the grouped form");

        // A 4 s press is not enough; 5 s opens the PIN pad.
        hold_logo(&h, 4_000);
        assert!(!h.d().get_shown());
        hold_logo(&h, 5_000);
        assert!(h.d().get_shown() && h.d().get_pin_pad());
        type_digits(w, "24").await;
        assert_eq!(h.d().get_pin_dots(), "● ●");
        screenshot(w, "diag-01-pin-pad");
        tap(w, "Kosongkan").await;

        // Five wrong PINs lock the entry; then even the right PIN is refused.
        for n in 1..=5 {
            type_digits(w, "111111").await;
            tap(w, "Masuk").await;
            if n < 5 {
                assert!(h.d().get_pin_message().contains(&format!("Sisa {}", 5 - n)));
            }
        }
        assert!(h.d().get_locked());
        assert!(h.d().get_pin_message().contains("Terlalu banyak PIN salah"));
        screenshot(w, "diag-02-locked");
        // Restarting the app does not lift the lock: it is read back from the audit log.
        let t = *h.clock.borrow();
        let restarted = h.toolbox.mode(DiagSettings::default(), t);
        let left = restarted
            .locked_for(t)
            .expect("still locked after a restart");
        assert!((290..=300).contains(&left), "{left}");
        type_digits(w, "246810").await;
        assert_eq!(h.d().get_pin_dots(), "", "digits are dropped while locked");
        h.diag(DiagEvent::SubmitPin);
        assert!(h.d().get_pin_pad(), "locked");
        {
            let store = Store::open(&h.toolbox.probe.db).unwrap();
            let newest = audit::recent(&store, 1).unwrap();
            assert_eq!(newest[0].event, "PIN_WHILE_LOCKED", "{newest:?}");
        }
        // Five minutes later (the pad itself closed when idle), the right PIN opens it.
        h.advance(300_000);
        assert!(!h.d().get_shown(), "the PIN pad closes when idle");
        hold_logo(&h, 5_000);
        assert!(!h.d().get_locked());
        type_digits(w, "246810").await;
        tap(w, "Masuk").await;
        assert!(h.d().get_shown() && !h.d().get_pin_pad());
        assert!(h.d().get_healthy(), "{}", h.d().get_summary());
        assert_eq!(h.card("Printer").0, "OK");
        assert_eq!(h.card("Mesin antrean").0, "OK");
        assert_eq!(h.card("Sinkronisasi").0, "OK");
        assert!(
            h.card("Printer").2.contains("Tercetak: 1"),
            "{}",
            h.card("Printer").2
        );
        screenshot(w, "diag-03-status");

        // Test print: printed, and the preview is what the decoder reads from the bytes.
        tap(w, "Uji cetak").await;
        assert!(h.d().get_result_ok(), "{}", h.d().get_result_text());
        let (pages, _) = printer.wait_pages(2, std::time::Duration::from_secs(10));
        let preview = lines(&h);
        assert!(
            preview.contains(&"HALAMAN UJI PRINTER".to_string()),
            "{preview:?}"
        );
        let printed: Vec<String> = pages[1].lines();
        let previewed: Vec<String> = preview
            .iter()
            .filter(|l| !l.starts_with('['))
            .cloned()
            .collect();
        assert_eq!(previewed, printed);
        screenshot(w, "diag-04-test-print");

        // Test ticket: a real number from the dispenser, printed.
        tap(w, "Uji tiket").await;
        assert!(
            h.d().get_result_text().contains("A-001"),
            "{}",
            h.d().get_result_text()
        );
        assert_eq!(dispenser.log().len(), 1);
        assert!(
            h.card("Mesin antrean").2.contains("A: 1"),
            "{}",
            h.card("Mesin antrean").2
        );

        // Feed and cut: one more cut page.
        tap(w, "Dorong & potong kertas").await;
        assert!(h.d().get_result_ok());
        let (pages, _) = printer.wait_pages(4, std::time::Duration::from_secs(10));
        assert!(pages[3].cut);

        // Paper out shows as paper out, on the card and on a test print.
        printer.set_status(StatusPreset::PaperOut.status());
        tap(w, "Periksa ulang").await;
        let (state, problem, details) = h.card("Printer");
        assert_eq!(state, "MASALAH");
        assert!(problem.contains("Kertas printer habis"), "{problem}");
        assert!(details.contains("Kertas: habis"), "{details}");
        assert!(h.d().get_summary().contains("printer"));
        screenshot(w, "diag-05-paper-out");
        tap(w, "Uji cetak").await;
        assert!(!h.d().get_result_ok());
        assert!(h.d().get_result_text().contains("Kertas printer habis"));
        printer.set_status(StatusPreset::Ready.status());
        dispenser.set_paper_out(true);
        tap(w, "Uji tiket").await;
        assert!(!h.d().get_result_ok());
        assert!(
            h.d()
                .get_result_text()
                .contains("Kertas mesin antrean habis")
        );
        assert_eq!(h.card("Mesin antrean").0, "MASALAH");
        dispenser.set_paper_out(false);

        // Sync now and resend outbox against the hub.
        tap(w, "Sinkronkan sekarang").await;
        assert!(h.d().get_result_ok(), "{}", h.d().get_result_text());
        assert!(h.d().get_result_text().contains("versi data 1"));
        tap(w, "Kirim ulang outbox").await;
        assert!(h.d().get_result_ok(), "{}", h.d().get_result_text());

        // Speech is not set up on this kiosk: the speech test says how to set it up.
        tap(w, "Uji suara").await;
        assert!(!h.d().get_result_ok());
        assert!(
            h.d().get_result_text().contains("[speech] mode"),
            "{}",
            h.d().get_result_text()
        );

        // The log view: masked, and no member data after the member session.
        tap(w, "Log terakhir").await;
        let log = lines(&h);
        eprintln!("log view: {} lines", log.len());
        assert!(
            log.len() > 1,
            "the session left log lines to check: {log:?}"
        );
        assert!(
            log.iter()
                .any(|l| l.contains("stray line with 3273**********01")),
            "{log:?}"
        );
        assert!(
            log.iter()
                .any(|l| l.contains("stray grouped 3273 **** **** **01 and 3273-****-****-**01")),
            "{log:?}"
        );
        assert_no_member_data("the log view", &log.join("\n"));
        screenshot(w, "diag-06-log");
        // The same screen on a landscape panel.
        w.window().set_size(slint::PhysicalSize::new(1920, 1080));
        screenshot(w, "diag-07-landscape");
        w.window().set_size(slint::PhysicalSize::new(1080, 1920));

        // English, then restart asks the app to exit with its code.
        tap(w, "English").await;
        assert!(
            ElementHandle::find_by_accessible_label(w, "Test print")
                .next()
                .is_some()
        );
        tap(w, "Restart app").await;
        assert_eq!(*h.exit.borrow(), Some(EXIT_RESTART));
        tap(w, "Leave kiosk mode").await;
        assert_eq!(*h.exit.borrow(), Some(EXIT_MAINTENANCE));
        tap(w, "Bahasa Indonesia").await;

        // Idle for five minutes: diagnostics closes itself.
        h.advance(299_000);
        assert!(h.d().get_shown());
        h.advance(1_000);
        assert!(!h.d().get_shown());

        // The audit log: every entry, failure and action; no member data.
        let store = Store::open(&h.toolbox.probe.db).unwrap();
        let entries = audit::recent(&store, 100).unwrap();
        let events: Vec<&str> = entries.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(events.iter().filter(|e| **e == "PIN_FAILED").count(), 5);
        for e in [
            "ENTRY_GESTURE",
            "LOCKED",
            "PIN_WHILE_LOCKED",
            "PIN_OK",
            "ACTION_TEST_PRINT",
            "ACTION_TEST_TICKET",
            "ACTION_FEED_CUT",
            "ACTION_SYNC_NOW",
            "ACTION_RESEND_OUTBOX",
            "ACTION_SHOW_LOGS",
            "ACTION_TEST_SPEECH",
            "ACTION_RESTART",
            "ACTION_LEAVE_KIOSK",
            "EXIT_IDLE",
        ] {
            assert!(events.contains(&e), "{e} missing from {events:?}");
        }
        assert!(
            entries
                .iter()
                .any(|e| e.event == "ACTION_TEST_PRINT" && e.detail == "PRINTER_PAPER_END")
        );
        assert_no_member_data("the audit log", &serde_json::to_string(&entries).unwrap());

        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop().unwrap();
}
