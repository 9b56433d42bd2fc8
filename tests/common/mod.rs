//! The rig the UI tests share: the real Slint window under the testing backend, the kiosk
//! controller driven synchronously on a mock clock, and its effects carried out by the real
//! device layer against the simulators (the virtual printer over TCP, the dispenser simulator
//! on a pseudo-terminal), so what a test reads back is what the printer decoded from the
//! ESC/POS bytes.
//!
//! Each UI test file holds one `#[test]`: the testing backend can start once per process.

#![allow(dead_code)] // each test file uses its own part of the rig

mod procs;
#[allow(unused_imports)] // not every test binary uses the process helpers
pub use procs::*;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anjungan::dataset::import_dir;
use anjungan::kiosk::{Controller, Event, Now, Settings};
use anjungan::store::Store;
use anjungan::ui::devices::KioskDevices;
use anjungan::ui::runtime;
use anjungan::ui::{self, AppWindow, Kiosk, ListAdapter, ResultAdapter, SearchAdapter, view};
use anjungan_drivers::dispenser::sim::{DispenserSim, Faults, SimConfig, SimPort};
use anjungan_drivers::dispenser::{ClientConfig, DispenserClient};
use anjungan_drivers::escpos_decode::Page as PrintedPage;
use anjungan_drivers::printer_sim::{SimOptions, StatusPreset, VirtualPrinter};
use anjungan_drivers::receipt::PaperWidth;
use chrono::{NaiveDate, NaiveDateTime};
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::PointerEventButton;

/// The day every UI test lives on (the fixture's "today").
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn local(mono_ms: u64) -> NaiveDateTime {
    today().and_hms_opt(10, 0, 0).unwrap() + chrono::Duration::milliseconds(mono_ms as i64)
}

/// The kiosk's clock `mono_ms` after 10:00 on the tests' day.
pub fn at(mono_ms: u64) -> Now {
    Now {
        mono_ms,
        local: local(mono_ms),
    }
}

/// The virtual printer (80 mm) on 127.0.0.1 and the dispenser simulator on a pty, running.
pub struct Simulators {
    pub printer: VirtualPrinter,
    pub printer_uri: String,
    pub dispenser: DispenserSim,
    pub port: SimPort,
    pub dispenser_uri: String,
}

pub fn start_simulators() -> Simulators {
    let printer = VirtualPrinter::new(SimOptions {
        width: PaperWidth::Mm80,
        ..SimOptions::default()
    });
    let (addr, _server) = printer.spawn_tcp("127.0.0.1:0").unwrap();
    let dispenser = DispenserSim::new(SimConfig::default(), Arc::new(chrono::Utc::now));
    let port = dispenser.spawn_pty(None).unwrap();
    let dispenser_uri = format!("serial://{}?baud=115200", port.path().display());
    Simulators {
        printer,
        printer_uri: format!("tcp://{addr}"),
        dispenser,
        port,
        dispenser_uri,
    }
}

/// The hand-written fixture: seven members, a few facilities and offices.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small")
}

/// Starts the testing backend with the software renderer, so snapshots hold real pixels.
pub fn start_backend() {
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            // Real time for a click's press and release; the kiosk's own timers run on the
            // rig's mock clock (`Rig::advance`).
            mock_time: false,
            threading: true,
            renderer_name: Some("software".into()),
        },
    )))
    .expect("platform not yet set");
}

/// What data the kiosk starts with.
pub enum Data {
    /// The fixture imported today.
    Fixture,
    /// The fixture from another folder (a changed copy).
    From(PathBuf),
    /// The fixture, last loaded four days before the kiosk's "now" (older than the
    /// 48-hour limit for change requests).
    Stale,
    /// A database that was never filled.
    Empty,
    /// A small generated dataset (`anjungan gen-dataset`): sample data, and marked so.
    Sample,
}

/// The simulators and the window, wired together.
pub struct Rig {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub controller: RefCell<Controller>,
    pub window: AppWindow,
    /// The kiosk's monotonic clock, in ms; `advance` moves it.
    pub clock: Cell<u64>,
    pub printer: VirtualPrinter,
    pub dispenser: DispenserSim,
    /// The dispenser's pseudo-terminal; `unplug` drops it.
    pub port: RefCell<Option<SimPort>>,
    pub devices: RefCell<KioskDevices>,
    /// Where the virtual printer listens (for plugging it back in).
    pub printer_uri: String,
    /// Speech, when a test gives the kiosk a voice ([`Rig::speak_into`]), and the view it
    /// last spoke from.
    pub voice: RefCell<Option<runtime::Voice>>,
    pub spoken_view: RefCell<Option<view::KioskView>>,
}

impl Rig {
    /// A kiosk on `data` with both simulators attached, showing home at `size`.
    pub fn new(data: Data, settings: Settings, size: (u32, u32)) -> Rc<Self> {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.db");
        let mut store = Store::open(&db).unwrap();
        // The load time is pinned, so the footer's "data as of" is the same on every run.
        let loaded_at = match &data {
            Data::Fixture | Data::From(_) | Data::Sample => "2026-11-22T02:00:00Z",
            Data::Stale => "2026-11-18T02:00:00Z",
            Data::Empty => "",
        };
        match &data {
            Data::Fixture | Data::Stale => {
                import_dir(&mut store, &fixture(), today()).unwrap();
            }
            Data::From(path) => {
                import_dir(&mut store, path, today()).unwrap();
            }
            Data::Empty => {}
            Data::Sample => {
                let sample = dir.path().join("sample");
                anjungan::dataset::synth::generate(
                    &anjungan::dataset::synth::GenOptions {
                        members: 50,
                        facilities: 5,
                        offices: None,
                        seed: 7,
                        today: today(),
                    },
                    &sample,
                )
                .unwrap();
                import_dir(&mut store, &sample, today()).unwrap();
            }
        }
        if !loaded_at.is_empty() {
            store.set_meta("data_loaded_at", loaded_at).unwrap();
        }
        let controller = Controller::new(store, settings.clone(), Self::now_at(0)).unwrap();

        let Simulators {
            printer,
            printer_uri,
            dispenser,
            port,
            dispenser_uri,
        } = start_simulators();
        let client = DispenserClient::new(
            &dispenser_uri,
            // Short, so an unplugged dispenser is reported within a couple of seconds.
            ClientConfig {
                reply_timeout: Duration::from_millis(300),
                attempts: 3,
                reconnect_for: Duration::from_millis(800),
            },
        )
        .unwrap();
        let devices = KioskDevices::with_client(
            Some(printer_uri.clone()),
            PaperWidth::Mm80,
            Some(Arc::new(Mutex::new(client))),
            settings.kiosk_name.clone(),
            chrono_tz::Asia::Jakarta,
            db.clone(),
        );

        let window = AppWindow::new().unwrap();
        window
            .window()
            .set_size(slint::PhysicalSize::new(size.0, size.1));
        let rig = Rc::new(Self {
            dir,
            db,
            controller: RefCell::new(controller),
            window,
            clock: Cell::new(0),
            printer,
            dispenser,
            port: RefCell::new(Some(port)),
            devices: RefCell::new(devices),
            printer_uri,
            voice: RefCell::new(None),
            spoken_view: RefCell::new(None),
        });
        {
            let weak = Rc::downgrade(&rig);
            ui::connect(&rig.window, move |e| {
                if let Some(r) = weak.upgrade() {
                    r.handle(e);
                }
            });
        }
        rig.render();
        rig.window.show().unwrap();
        rig
    }

    fn now_at(mono_ms: u64) -> Now {
        at(mono_ms)
    }

    /// Handles a touch at once and carries out its effects on the real devices, in order.
    pub fn handle(self: &Rc<Self>, event: Event) {
        let t = self.clock.get();
        let effects = view::handle(&mut self.controller.borrow_mut(), event, Self::now_at(t));
        let lang = self.controller.borrow().lang;
        for effect in effects {
            let outcome = runtime::carry_out(effect, lang, &*self.devices.borrow());
            if let Some(o) = outcome {
                self.handle(Event::Outcome(o));
            }
        }
        self.render();
    }

    pub fn render(&self) {
        let v = view::render(&self.controller.borrow(), Self::now_at(self.clock.get()));
        if let Some(voice) = &*self.voice.borrow() {
            let mut before = self.spoken_view.borrow_mut();
            if before.as_ref() != Some(&v) {
                voice.speak(before.as_ref(), &v);
                *before = Some(v.clone());
            }
        }
        ui::apply(&self.window, &v);
    }

    /// Gives the kiosk a voice (headphone mode, silent until the speech key) that records
    /// each utterance into `dir` as the demo's `--speech-dir` does.
    pub fn speak_into(&self, dir: &Path) {
        let voice = runtime::Voice::start(
            ui::speech::Output::Headphones,
            anjungan::speech::Recorder::new(dir.to_path_buf()).unwrap(),
        )
        .expect("scripts/test.sh installs espeak-ng");
        *self.spoken_view.borrow_mut() = Some(view::render(
            &self.controller.borrow(),
            Self::now_at(self.clock.get()),
        ));
        *self.voice.borrow_mut() = Some(voice);
    }

    /// Moves the mock clock on and lets the kiosk's timers see it.
    pub fn advance(self: &Rc<Self>, ms: u64) {
        self.clock.set(self.clock.get() + ms);
        self.handle(Event::Tick);
    }

    pub fn kiosk(&self) -> Kiosk<'_> {
        self.window.global::<Kiosk>()
    }

    /// A view's adapter global, e.g. `rig.adapter::<IdentifyAdapter>()`.
    pub fn adapter<'a, T: slint::Global<'a, AppWindow>>(&'a self) -> T {
        self.window.global::<T>()
    }

    /// The printer's status from now on.
    pub fn printer_is(&self, preset: StatusPreset) {
        self.printer.set_status(preset.status());
    }

    /// Points the kiosk at a printer that is not there (cable pulled, power off).
    pub fn printer_unplugged(&self) {
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = dead.local_addr().unwrap();
        drop(dead);
        self.devices.borrow_mut().printer = Some(format!("tcp://{addr}"));
    }

    /// Plugs the virtual printer back in.
    pub fn printer_plugged_back(&self) {
        self.devices.borrow_mut().printer = Some(self.printer_uri.clone());
    }

    /// Replaces the dispenser with a new simulator that has `faults`, reached by a client
    /// with `client`'s timeouts; returns the simulator to read its roll.
    pub fn faulty_dispenser(&self, faults: Faults, client: ClientConfig) -> DispenserSim {
        let sim = DispenserSim::new(
            SimConfig {
                faults,
                ..SimConfig::default()
            },
            Arc::new(chrono::Utc::now),
        );
        let port = sim.spawn_pty(None).unwrap();
        let uri = format!("serial://{}?baud=115200", port.path().display());
        let client = DispenserClient::new(&uri, client).unwrap();
        self.devices.borrow_mut().dispenser = Some(Arc::new(Mutex::new(client)));
        *self.port.borrow_mut() = Some(port);
        sim
    }

    /// Pulls the dispenser's cable.
    pub fn dispenser_unplugged(&self) {
        if let Some(port) = self.port.borrow_mut().take() {
            port.unplug();
        }
    }

    /// The pages printed so far, decoded from the bytes the printer received.
    pub fn printed(&self) -> Vec<PrintedPage> {
        self.printer.pages()
    }

    /// Waits for the `n`th page (1-based) and returns its decoded text.
    pub fn page_text(&self, n: usize) -> String {
        let (pages, _) = self.printer.wait_pages(n, Duration::from_secs(10));
        assert!(pages.len() >= n, "only {} pages printed", pages.len());
        pages[n - 1].text()
    }

    /// The current notice (the bar above the footer).
    pub fn notice(&self) -> String {
        self.kiosk().get_notice().to_string()
    }

    /// The rows of the result screen as `label=value`.
    pub fn rows(&self) -> Vec<String> {
        slint::Model::iter(&self.adapter::<ResultAdapter>().get_rows())
            .map(|r| format!("{}={}", r.label, r.value))
            .collect()
    }

    /// The titles of the list or search items.
    pub fn items(&self) -> Vec<String> {
        let list = self.adapter::<ListAdapter>().get_items();
        let found = self.adapter::<SearchAdapter>().get_results();
        slint::Model::iter(&list)
            .chain(slint::Model::iter(&found))
            .map(|i| i.title.to_string())
            .collect()
    }
}

/// Where the first control with this accessible label is on screen (logical pixels).
pub fn position(window: &AppWindow, label: &str) -> (f32, f32) {
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(window, label).collect();
    assert!(!found.is_empty(), "nothing labelled {label:?} on screen");
    let p = found[0].absolute_position();
    (p.x, p.y)
}

/// Taps the first control with this accessible label, as a finger would (press, release).
pub async fn tap(window: &AppWindow, label: &str) {
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(window, label).collect();
    assert!(!found.is_empty(), "nothing labelled {label:?} on screen");
    found[0].single_click(PointerEventButton::Left).await;
}

/// Whether a control with this accessible label is on screen.
pub fn shown(window: &AppWindow, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(window, label)
        .next()
        .is_some()
}

/// Types digits on the keypad.
pub async fn type_digits(window: &AppWindow, digits: &str) {
    for d in digits.chars() {
        tap(window, &d.to_string()).await;
    }
}

/// Types on the on-screen keyboard (upper-case letters, digits, `-`).
pub async fn type_keys(window: &AppWindow, text: &str) {
    for k in text.chars() {
        let label = if k == ' ' {
            "Spasi".to_string()
        } else {
            k.to_ascii_uppercase().to_string()
        };
        tap(window, &label).await;
    }
}

/// NIK and date of birth (DDMMYYYY) on the identify screen, then Lanjut.
pub async fn identify(window: &AppWindow, nik: &str, dob: &str) {
    type_digits(window, nik).await;
    type_digits(window, dob).await;
    tap(window, "Lanjut").await;
}

/// Where screenshots go: `ANJUNGAN_SCREENSHOTS`, else the target's temp folder.
pub fn screenshot_dir() -> PathBuf {
    std::env::var_os("ANJUNGAN_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"))
}

/// Writes what the window shows to `<dir>/<name>.png`.
pub fn screenshot(window: &AppWindow, name: &str) {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let shot = window.window().take_snapshot().expect("snapshot");
    let file = std::fs::File::create(dir.join(format!("{name}.png"))).unwrap();
    let mut png = png::Encoder::new(std::io::BufWriter::new(file), shot.width(), shot.height());
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    // Committed shots are squeezed; the ones a plain test run writes need not be.
    png.set_compression(if std::env::var_os("ANJUNGAN_SCREENSHOTS").is_some() {
        png::Compression::High
    } else {
        png::Compression::Fast
    });
    png.write_header()
        .unwrap()
        .write_image_data(shot.as_bytes())
        .unwrap();
}

/// A portrait (1080×1920) kiosk on a copy of `data`, with the test settings.
pub fn portrait(data: &tempfile::TempDir) -> Rc<Rig> {
    Rig::new(
        Data::From(data.path().to_path_buf()),
        settings(),
        (1080, 1920),
    )
}

/// A copy of the fixture with Dewi's FKTP registered long enough ago (10 months) to move.
pub fn movable_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let members = std::fs::read_to_string(dir.path().join("members.csv")).unwrap();
    std::fs::write(
        dir.path().join("members.csv"),
        members.replace("3273D004,2026-09-22", "3273D004,2026-01-05"),
    )
    .unwrap();
    dir
}

/// The kiosk's settings in the tests: Bandung, the default timers.
pub fn settings() -> Settings {
    Settings {
        location: anjungan::store::Point::parse("-6.9,107.62"),
        kiosk_name: "Anjungan JKN – KC Bandung".into(),
        ..Settings::default()
    }
}
