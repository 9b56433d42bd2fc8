//! Runs the kiosk: the Slint window on the main thread, the controller on its own thread,
//! device and outbox work on short-lived worker threads. The UI thread only draws.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use slint::ComponentHandle;

use super::{AppWindow, apply, connect, view};
use crate::kiosk::{Controller, Effect, Event, Fault, Issued, Lang, Now, Outcome, Settings, Slip};
use crate::store::Store;

/// What the kiosk's effects need from the world: the printer and the dispenser. (Change
/// requests and ratings go to the store, which the controller owns.) Calls may block for
/// seconds; the runtime calls them off the UI and controller threads.
pub trait Devices: Send + Sync + 'static {
    /// Prints a slip in the member's language.
    fn print(&self, slip: &Slip, lang: Lang) -> Result<(), Fault>;
    /// Takes a number; the same `request_id` must give the same number. A kiosk whose
    /// printer cannot print the ticket takes none.
    fn take_ticket(&self, service: &str, priority: bool, request_id: u32) -> Result<Issued, Fault>;
    /// Asks the hub for a member from another region; without a hub, nobody answers.
    fn look_up(&self, id: &str, birth_date: &str) -> crate::kiosk::LookedUp {
        let _ = (id, birth_date);
        crate::kiosk::LookedUp::Unreachable
    }
}

/// The kiosk's clock: monotonic time for timers, wall time in the kiosk's zone for dates.
#[derive(Clone, Copy)]
pub struct Clock {
    start: Instant,
    zone: chrono_tz::Tz,
}

impl Clock {
    pub fn new(zone: chrono_tz::Tz) -> Self {
        Self {
            start: Instant::now(),
            zone,
        }
    }

    pub fn now(&self) -> Now {
        Now {
            mono_ms: self.start.elapsed().as_millis() as u64,
            local: chrono::Utc::now().with_timezone(&self.zone).naive_local(),
        }
    }
}

/// How often the controller's timers are checked.
const TICK: Duration = Duration::from_millis(250);

/// Opens the window and runs the kiosk until the window closes.
pub fn run(
    open_store: impl FnOnce() -> Result<Store, String> + Send + 'static,
    settings: Settings,
    devices: Arc<dyn Devices>,
    clock: Clock,
    fullscreen: bool,
) -> Result<(), String> {
    run_with_diag(
        open_store,
        settings,
        devices,
        clock,
        fullscreen,
        Extras::default(),
    )
}

/// What a kiosk may have besides its screen and devices.
#[derive(Default)]
pub struct Extras {
    /// Technician diagnostics behind the logo.
    pub diag: Option<super::diag::DiagSetup>,
    /// Speech mode.
    pub voice: Option<Voice>,
    /// The headphone jack to watch: plugging in turns speech on (`[speech] jack`).
    pub jack: Option<crate::speech::jack::Jack>,
    /// The card scanner's URI (`serial://…`).
    pub scanner: Option<String>,
    /// Told whether a member is at the kiosk and that the UI runs (the update agent's
    /// idle and health questions, docs/updates.md).
    pub activity: Option<Arc<anjungan_core::update::agent::Activity>>,
}

/// The kiosk's voice: the worker, where it is heard, and whether it speaks from the start
/// of every visit (the demo) or only once the member turns speech on (the speech key).
pub struct Voice {
    pub speaker: crate::speech::Speaker,
    pub output: super::speech::Output,
    pub always: bool,
}

impl Voice {
    /// A voice heard at `output`, its sound going to `sink`, silent until the member turns
    /// speech on. The engine says one word first, so one that does not work is known at
    /// start, not at the first screen.
    pub fn start(
        output: super::speech::Output,
        sink: impl crate::speech::Sink,
    ) -> Result<Self, crate::speech::SpeechError> {
        let engine = crate::speech::Espeak::default();
        engine.synthesize("Anjungan", Lang::Id)?;
        Ok(Self {
            speaker: crate::speech::Speaker::start(engine, sink),
            output,
            always: false,
        })
    }

    /// Speaking from the start of every visit, without the speech key.
    pub fn always_on(mut self) -> Self {
        self.always = true;
        self
    }

    /// Says what is new on the screen, as one utterance (a new one cuts the old). Silent
    /// while speech is off; when the member turns it on, the whole screen.
    pub fn speak(&self, before: Option<&view::KioskView>, now: &view::KioskView) {
        let on = |v: &view::KioskView| self.always || v.speech_on;
        let lang = if now.english { Lang::En } else { Lang::Id };
        // Headphones the jack reads are private, whatever the configured output.
        let output = if now.headphones {
            super::speech::Output::Headphones
        } else {
            self.output
        };
        let sentences = if on(now) {
            // Just turned on: the whole screen, as if it had just appeared.
            super::speech::utterances(before.filter(|b| on(b)), now, output)
        } else if before.is_some_and(on) {
            vec![lang.tr("Suara dimatikan.").to_owned()]
        } else {
            return;
        };
        if sentences.is_empty() {
            return;
        }
        let text = sentences
            .iter()
            .map(|s| {
                let s = s.trim();
                if s.ends_with(['.', '!', '?', ':']) {
                    s.to_owned()
                } else {
                    format!("{s}.")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        self.speaker.say(crate::speech::Say {
            spoken: crate::speech::normalize(&text, lang),
            lang,
            volume: now.volume,
        });
    }
}

/// [`run`], with technician diagnostics behind the logo when `diag` is given.
pub fn run_with_diag(
    open_store: impl FnOnce() -> Result<Store, String> + Send + 'static,
    settings: Settings,
    devices: Arc<dyn Devices>,
    clock: Clock,
    fullscreen: bool,
    extras: Extras,
) -> Result<(), String> {
    let Extras {
        diag,
        voice,
        scanner,
        jack,
        activity,
    } = extras;
    let window = AppWindow::new().map_err(|e| e.to_string())?;
    if fullscreen {
        window.window().set_fullscreen(true);
    }
    let (tx, rx) = mpsc::channel::<Event>();
    let send = {
        let tx = tx.clone();
        move |e: Event| {
            let _ = tx.send(e);
        }
    };
    if let Some(diag) = diag {
        let kiosk = send.clone();
        super::diag::start(&window, diag, kiosk, activity.clone())?;
    }
    connect(&window, send);
    if let Some(uri) = scanner {
        start_scanner(uri, tx.clone());
    }
    if let Some(jack) = jack {
        start_jack(jack, tx.clone());
    }
    let ui_activity = activity.clone();
    let weak = window.as_weak();
    let controller_thread = std::thread::Builder::new()
        .name("kiosk-controller".into())
        .spawn(move || {
            let store = match open_store() {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the kiosk database");
                    return;
                }
            };
            let mut controller = match Controller::new(store, settings, clock.now()) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(code = e.code(), "cannot start the kiosk controller");
                    return;
                }
            };
            let mut shown: Option<view::KioskView> = None;
            loop {
                let event = match rx.recv_timeout(TICK) {
                    Ok(e) => e,
                    Err(RecvTimeoutError::Timeout) => Event::Tick,
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                let now = clock.now();
                let effects = view::handle(&mut controller, event, now);
                for effect in effects {
                    run_effect(effect, controller.lang, devices.clone(), tx.clone());
                }
                if let Some(a) = &activity {
                    a.beat(!controller.at_home());
                }
                let v = view::render(&controller, now);
                if shown.as_ref() != Some(&v) {
                    if let Some(voice) = &voice {
                        voice.speak(shown.as_ref(), &v);
                    }
                    shown = Some(v.clone());
                    let _ = weak.upgrade_in_event_loop(move |w| apply(&w, &v));
                }
            }
        })
        .map_err(|e| e.to_string())?;
    // READY and the watchdog heartbeat come from this (the UI) thread: see watchdog.rs.
    let heartbeat = super::watchdog::start();
    let probe = super::probe::start_from_env(&window);
    if let Some(a) = &ui_activity {
        a.ready();
    }
    let result = window.run().map_err(|e| e.to_string());
    drop(probe);
    drop(heartbeat);
    drop(window);
    // The controller thread ends when its channel closes; it holds the last sender clone
    // only inside effects, which finish on their own.
    drop(controller_thread);
    result
}

/// Reads the card scanner on its own thread and forwards each scan to the controller. A
/// scanner that is missing or unplugged is retried every few seconds and logged once; it
/// never stops the kiosk.
fn start_scanner(uri: String, tx: mpsc::Sender<Event>) {
    use anjungan_drivers::scanner::{Scan, Scanner};
    let spawned = std::thread::Builder::new()
        .name("kiosk-scanner".into())
        .spawn(move || {
            let mut warned = false;
            loop {
                let mut scanner = match Scanner::open(&uri) {
                    Ok(s) => {
                        tracing::info!("card scanner open");
                        warned = false;
                        s
                    }
                    Err(e) => {
                        if !warned {
                            tracing::warn!(error = %e, "card scanner not available; retrying");
                            warned = true;
                        }
                        std::thread::sleep(Duration::from_secs(3));
                        continue;
                    }
                };
                loop {
                    match scanner.poll(Duration::from_millis(200)) {
                        Ok(scans) => {
                            for scan in scans {
                                // The scan itself is never logged: it is a card number.
                                let line = match scan {
                                    Scan::Line(l) => Some(l),
                                    Scan::Unreadable => None,
                                };
                                if tx.send(Event::Scanned(line)).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "card scanner lost; reopening");
                            break;
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "card scanner thread not started");
    }
}

/// Reads the headphone jack every second on its own thread and tells the controller when it
/// changes. An unreadable jack is logged once and read as unplugged: speech then waits for
/// the speech key.
fn start_jack(jack: crate::speech::jack::Jack, tx: mpsc::Sender<Event>) {
    let spawned = std::thread::Builder::new()
        .name("kiosk-jack".into())
        .spawn(move || {
            let mut last = None;
            let mut warned = false;
            loop {
                let plugged = jack.plugged();
                if plugged.is_none() && !warned {
                    tracing::warn!(
                        card = jack.card,
                        control = %jack.control,
                        "headphone jack unreadable (amixer, card or control missing)"
                    );
                    warned = true;
                }
                let plugged = plugged.unwrap_or(false);
                if last != Some(plugged) {
                    // The first reading only matters when something is plugged in.
                    if (last.is_some() || plugged) && tx.send(Event::Headphones(plugged)).is_err() {
                        return;
                    }
                    last = Some(plugged);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "headphone jack thread not started");
    }
}

/// Carries out one effect on a worker thread and reports its outcome.
fn run_effect(effect: Effect, lang: Lang, devices: Arc<dyn Devices>, tx: mpsc::Sender<Event>) {
    std::thread::spawn(move || {
        if let Some(outcome) = carry_out(effect, lang, devices.as_ref()) {
            let _ = tx.send(Event::Outcome(outcome));
        }
    });
}

/// Carries out one effect on the devices, blocking, and gives the outcome the controller
/// waits for.
pub fn carry_out(effect: Effect, lang: Lang, devices: &dyn Devices) -> Option<Outcome> {
    match effect {
        Effect::Print(slip) => Some(Outcome::Printed(devices.print(&slip, lang))),
        Effect::TakeTicket {
            service,
            priority,
            request_id,
        } => Some(Outcome::TicketTaken(
            devices.take_ticket(&service, priority, request_id),
        )),
        Effect::LookUp { id, birth_date } => {
            Some(Outcome::LookedUp(devices.look_up(&id, &birth_date)))
        }
    }
}
