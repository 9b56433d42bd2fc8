//! The kiosk's flows as a plain state machine: what screen is shown, what the member has
//! typed, who is identified, and when to forget it all.
//!
//! It reads the store and applies services synchronously (each answer takes milliseconds);
//! device and outbox work leaves as [`Effect`]s and returns as [`Outcome`]s. It knows nothing
//! of Slint: `ui` renders [`Controller::screen`] and forwards touches as [`Event`]s. The
//! runtime runs it on its own thread, never on the UI thread.

use chrono::{NaiveDate, NaiveDateTime};

use super::effects::{Effect, Outcome, RequestReceipt, Slip, Ticket};
use super::flows::Step;
pub use super::flows::member_home::{MemberAction, MemberHome};
pub use super::flows::search::{Place, SearchFilter};
use super::identify::{Field, IdKind, IdentifyForm};
use crate::content::{CounterService, InfoArticle};
use crate::counters::Metric;
use crate::domain::{Bilingual, Kelas};
use crate::services::member::{ChangeView, DuesView, StatusView, VaView};
use crate::services::request::{self};
use crate::services::{Lockout, LockoutPolicy, MemberSession, ServiceError};
use crate::store::{FacilityRecord, Point, Store};

/// The home screen's tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tile {
    Status,
    Dues,
    Va,
    Info,
    Search,
    ChangeFktp,
    ChangeKelas,
    Queue,
    Request,
}

/// What a member needs to identify for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Status,
    Dues,
    Va,
    ChangeFktp,
    ChangeKelas,
}

/// Screen language; every screen has the toggle (the same type slips print in).
pub use crate::domain::Lang;

/// Everything the screen shows. Member data lives only inside these and the session.
#[derive(Debug, Clone)]
pub enum Screen {
    Home,
    /// After one identification: status, what to pay and where, and what to do next.
    MemberHome(Box<MemberHome>),
    Identify {
        purpose: Purpose,
        form: IdentifyForm,
        message: Option<Bilingual>,
    },
    Status(Box<StatusView>),
    Dues(Box<DuesView>),
    Va(Box<VaView>),
    InfoMenu,
    InfoArticle(usize),
    Search {
        text: String,
        filter: SearchFilter,
        results: Vec<Place>,
    },
    PlaceDetail(Box<Place>),
    /// The member may not make the change: every reason, with what to do.
    Refused {
        purpose: Purpose,
        change: Box<ChangeView>,
    },
    FktpChoose {
        options: Vec<FacilityRecord>,
    },
    FktpConfirm {
        target: Box<FacilityRecord>,
        change: Box<ChangeView>,
    },
    KelasChoose {
        current: Kelas,
        /// The family's monthly total in kelas 1, 2 and 3 (`None`: no member tariff).
        prices: [Option<i64>; 3],
    },
    KelasConfirm {
        change: Box<ChangeView>,
    },
    RequestDone(Box<RequestReceipt>),
    Queue {
        priority: bool,
    },
    QueueTicket(Box<Ticket>),
    RequestCheck {
        reference: String,
        answer: Option<Bilingual>,
    },
    Rating,
    Thanks,
}

/// A physical key, as the controller understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    Digit(char),
    Letter(char),
    Backspace,
    Enter,
    Escape,
    /// Repeat the screen's guidance (F1).
    Help,
    /// The focus to the next control in reading order (Down, Right, Tab).
    Next,
    /// The focus to the previous control (Up, Left, Shift+Tab).
    Prev,
    VolumeDown,
    VolumeUp,
    /// Speech mode on or off (for a member without headphones to plug in).
    Speech,
}

/// The softest and loudest volume steps, and the one each visit starts at.
pub const VOLUME_MIN: u8 = 1;
pub const VOLUME_MAX: u8 = 10;
pub const VOLUME_DEFAULT: u8 = 5;

/// How the member uses the kiosk without the touch screen: the keypad's focus, speech mode
/// and its volume. All of it ends with the visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// A physical key was pressed in this visit: the focus ring shows.
    pub keys_used: bool,
    /// The focus, in steps from the screen's first control (the view knows the controls
    /// and wraps it); back to 0 on every new screen.
    pub focus: i32,
    /// Speech mode asked for with the speech key.
    pub speech: bool,
    pub volume: u8,
}

impl Default for Access {
    fn default() -> Self {
        Self {
            keys_used: false,
            focus: 0,
            speech: false,
            volume: VOLUME_DEFAULT,
        }
    }
}

/// A touch or a timer, as the UI forwards it.
#[derive(Debug, Clone)]
pub enum Event {
    Tile(Tile),
    /// A button of the member home.
    Member(MemberAction),
    Home,
    Back,
    ToggleLang,
    ToggleLargeText,
    ToggleContrast,
    /// Keep the session: the member answered the idle countdown.
    StillHere,
    // Identification keypad.
    IdKind(IdKind),
    Digit(char),
    Backspace,
    Clear,
    FocusField(Field),
    Submit,
    // On-screen keyboard (search, request reference).
    Key(char),
    SearchFilter(SearchFilter),
    OpenResult(usize),
    OpenArticle(usize),
    Print,
    Done,
    ChooseFacility(usize),
    ChooseKelas(u8),
    Confirm,
    TogglePriority,
    TakeTicket(usize),
    Rate(u8),
    /// The card scanner read a line (`None`: something it could not read).
    Scanned(Option<String>),
    /// A key of a USB keypad or keyboard.
    Physical(Press),
    /// Headphones were plugged in (`true`) or pulled out, as the jack reads.
    Headphones(bool),
    /// Time passes (drives the idle countdown and the lockout).
    Tick,
    /// A device or outbox answered.
    Outcome(Outcome),
}

/// The clock as the runtime reads it: monotonic milliseconds for timers, the kiosk's local
/// time (its configured zone) for dates.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub mono_ms: u64,
    pub local: NaiveDateTime,
}

impl Now {
    pub fn today(&self) -> NaiveDate {
        self.local.date()
    }
}

/// Timings and limits; from the config file in production.
#[derive(Debug, Clone)]
pub struct Settings {
    pub idle_ms: u64,
    pub countdown_ms: u64,
    /// Mismatches that lock one identifier (not the kiosk), and for how long.
    pub max_failed_ids: u32,
    pub lockout_ms: u64,
    /// Where the kiosk stands, for "nearest" lists.
    pub location: Option<Point>,
    /// Change requests are refused when the data is older than this.
    pub max_data_age_hours: u64,
    /// The kiosk's zone: `Now::local` is in it.
    pub zone: chrono_tz::Tz,
    /// How long the thank-you screen stays.
    pub thanks_ms: u64,
    /// Shown under the page title, e.g. "Anjungan JKN – KC Bandung".
    pub kiosk_name: String,
    /// A hub is configured: a member this kiosk's data does not identify is looked up
    /// there ([`crate::kiosk::Effect::LookUp`]).
    pub hub_lookup: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_ms: 60_000,
            countdown_ms: 10_000,
            max_failed_ids: 5,
            lockout_ms: 15 * 60_000,
            location: None,
            max_data_age_hours: 48,
            zone: crate::clock::DEFAULT_ZONE,
            thanks_ms: 4_000,
            kiosk_name: "Anjungan JKN".into(),
            hub_lookup: false,
        }
    }
}

/// A message over the current screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub message: Bilingual,
    pub error: bool,
}

/// The state machine.
pub struct Controller {
    pub(in crate::kiosk) store: Store,
    pub(in crate::kiosk) settings: Settings,
    pub lang: Lang,
    pub large_text: bool,
    pub high_contrast: bool,
    pub(in crate::kiosk) screen: Screen,
    /// The identified member, for the flow in progress. `None` outside a member flow.
    pub(in crate::kiosk) session: Option<MemberSession>,
    pub(in crate::kiosk) notice: Option<Notice>,
    /// Waiting for a device or the outbox; the screen says so and ignores further taps.
    pub(in crate::kiosk) busy: Option<Bilingual>,
    /// Mismatches per identifier, kept in the store (services::lockout).
    pub(in crate::kiosk) lockout: Lockout,
    pub(in crate::kiosk) last_input_ms: u64,
    pub(in crate::kiosk) entered_ms: u64,
    pub(in crate::kiosk) next_request_id: u32,
    /// The last ticket request, reused when the member retries it.
    pub(in crate::kiosk) pending_ticket: Option<(String, bool, u32)>,
    pub(in crate::kiosk) services: Vec<CounterService>,
    pub(in crate::kiosk) articles: Vec<InfoArticle>,
    /// F1 presses (see [`Controller::repeat`]).
    pub(in crate::kiosk) repeat: u32,
    pub(in crate::kiosk) access: Access,
    /// Headphones are plugged in (the jack, when the kiosk reads one). The hardware's
    /// state: it outlasts a visit.
    pub(in crate::kiosk) headphones: bool,
    /// What the store said about the data at the last check: read on ticks, not at every
    /// render.
    pub(in crate::kiosk) data: DataState,
    /// The identification waiting for the hub's answer.
    pub(in crate::kiosk) pending_lookup: Option<crate::kiosk::flows::identify::PendingLookup>,
    /// The session's member came from the hub: their family is in TEMP tables on the
    /// store's connection, dropped when the session ends.
    pub(in crate::kiosk) visitor: bool,
}

/// The data's freshness and version as last read from the store.
pub(in crate::kiosk) struct DataState {
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    version: i64,
    /// The data's rules say it is a generated sample (`SAMPLE_DATA`) on the day read.
    sample: bool,
    checked_ms: u64,
}

impl DataState {
    fn read(store: &Store, now: Now) -> Self {
        Self {
            as_of: store.data_as_of().ok().flatten(),
            version: store.dataset_info().map_or(0, |d| d.version),
            sample: store.rules().is_ok_and(|r| r.at(now.today()).sample_data),
            checked_ms: now.mono_ms,
        }
    }
}

/// How often a tick reads the data's freshness and version again: a sync (another thread or
/// process) shows within this time.
pub const DATA_CHECK_MS: u64 = 5_000;

impl Controller {
    /// The store the controller answers from (and counts ratings and requests in).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A controller on `store`, showing the home screen.
    pub fn new(store: Store, settings: Settings, now: Now) -> Result<Self, ServiceError> {
        let services = store.counter_services()?;
        let articles = store.info_articles()?;
        let lockout = Lockout::new(
            &store,
            LockoutPolicy {
                max_failures: settings.max_failed_ids,
                lock_secs: i64::try_from(settings.lockout_ms.div_ceil(1000)).unwrap_or(i64::MAX),
            },
        );
        let data = DataState::read(&store, now);
        Ok(Self {
            repeat: 0,
            access: Access::default(),
            headphones: false,
            data,
            store,
            settings,
            lang: Lang::Id,
            large_text: false,
            high_contrast: false,
            screen: Screen::Home,
            session: None,
            notice: None,
            busy: None,
            lockout,
            last_input_ms: now.mono_ms,
            entered_ms: now.mono_ms,
            // Random: the dispenser remembers ids for the day, and a counter from the
            // monotonic clock would repeat after a restart (and hand out an old ticket).
            next_request_id: rand::random(),
            pending_ticket: None,
            services,
            articles,
            pending_lookup: None,
            visitor: false,
        })
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    pub fn busy(&self) -> Option<&Bilingual> {
        self.busy.as_ref()
    }

    pub fn services(&self) -> &[CounterService] {
        &self.services
    }

    pub fn articles(&self) -> &[InfoArticle] {
        &self.articles
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether the kiosk waits on its home screen: no member is using it.
    pub fn at_home(&self) -> bool {
        matches!(self.screen, Screen::Home) && !self.holds_member_data()
    }

    /// Whether any member's data is held right now (for tests and diagnostics).
    pub fn holds_member_data(&self) -> bool {
        self.session.is_some()
            || matches!(
                self.screen,
                Screen::Identify { .. }
                    | Screen::MemberHome(_)
                    | Screen::Status(_)
                    | Screen::Dues(_)
                    | Screen::Va(_)
                    | Screen::Refused { .. }
                    | Screen::FktpChoose { .. }
                    | Screen::FktpConfirm { .. }
                    | Screen::KelasChoose { .. }
                    | Screen::KelasConfirm { .. }
                    | Screen::RequestDone(_)
            )
    }

    /// Seconds left on the idle countdown, when it is showing.
    pub fn countdown(&self, now: Now) -> Option<u64> {
        if matches!(self.screen, Screen::Home) {
            return None;
        }
        let idle = now.mono_ms.saturating_sub(self.last_input_ms);
        if idle < self.settings.idle_ms {
            return None;
        }
        let left = (self.settings.idle_ms + self.settings.countdown_ms).saturating_sub(idle);
        Some(left.div_ceil(1000))
    }

    /// The data is a generated sample (its rules say `SAMPLE_DATA` = 1), as last read.
    pub fn sample_data(&self) -> bool {
        self.data.sample
    }

    /// When the data was last known current (last sync or import), in the kiosk's zone, and
    /// whether it is too old for change requests.
    pub fn data_freshness(&self, now: Now) -> (Option<NaiveDateTime>, bool) {
        let as_of = self.data.as_of;
        let stale = !request::data_fresh(as_of, self.utc(now), self.settings.max_data_age_hours);
        let local = as_of.map(|t| t.with_timezone(&self.settings.zone).naive_local());
        (local, stale)
    }

    /// Adds `by` to a count of the current 30-minute slot for the hub's figures
    /// (`anjungan_core::counters`): codes and counts only. A count that cannot be kept is
    /// logged and lost; the member's visit goes on.
    pub(in crate::kiosk) fn tally(&self, metric: Metric, key: &str, by: i64, now: Now) {
        let slot = crate::counters::slot_of(now.local);
        if let Err(e) = self.store.count(&slot, metric, key, by) {
            tracing::warn!(error = %e, metric = metric.as_str(), "not counted");
        }
    }

    /// `now` in UTC, through the kiosk's zone.
    pub(in crate::kiosk) fn utc(&self, now: Now) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone as _;
        self.settings
            .zone
            .from_local_datetime(&now.local)
            .earliest()
            .map_or_else(|| now.local.and_utc(), |t| t.with_timezone(&chrono::Utc))
    }

    /// Handles one event; returns the work it needs done.
    pub fn handle(&mut self, event: Event, now: Now) -> Vec<Effect> {
        let is_input = !matches!(event, Event::Tick | Event::Outcome(_));
        if is_input {
            self.last_input_ms = now.mono_ms;
        }
        if let Event::Outcome(outcome) = event {
            return self.outcome(outcome, now);
        }
        if let Event::Tick = event {
            self.tick(now);
            return Vec::new();
        }
        // Plugging headphones in turns speech on, pulling them out turns it off.
        if let Event::Headphones(plugged) = event {
            self.headphones = plugged;
            self.access.speech = plugged;
            return Vec::new();
        }
        // While a device works, only the language and display toggles respond.
        if self.busy.is_some()
            && !matches!(
                event,
                Event::ToggleLang
                    | Event::ToggleLargeText
                    | Event::ToggleContrast
                    | Event::StillHere
            )
        {
            return Vec::new();
        }
        if is_input
            && !matches!(
                event,
                Event::ToggleLang | Event::ToggleLargeText | Event::ToggleContrast
            )
        {
            self.notice = None;
        }
        match event {
            Event::ToggleLang => {
                self.lang = match self.lang {
                    Lang::Id => Lang::En,
                    Lang::En => Lang::Id,
                };
                Vec::new()
            }
            Event::ToggleLargeText => {
                self.large_text = !self.large_text;
                Vec::new()
            }
            Event::ToggleContrast => {
                self.high_contrast = !self.high_contrast;
                Vec::new()
            }
            Event::StillHere => Vec::new(),
            Event::Home => {
                self.go_home(now);
                Vec::new()
            }
            Event::Tile(tile) => self.open_tile(tile, now),
            Event::Scanned(line) => self.scanned(line, now),
            Event::Physical(press) => self.physical(press, now),
            other => self.on_screen(other, now),
        }
    }

    fn tick(&mut self, now: Now) {
        if now.mono_ms.saturating_sub(self.data.checked_ms) >= DATA_CHECK_MS {
            self.check_data(now);
        }
        if matches!(self.screen, Screen::Thanks)
            && now.mono_ms.saturating_sub(self.entered_ms) >= self.settings.thanks_ms
        {
            self.end_session(now);
            return;
        }
        if self.busy.is_some() {
            return;
        }
        let idle = now.mono_ms.saturating_sub(self.last_input_ms);
        if !matches!(self.screen, Screen::Home)
            && idle >= self.settings.idle_ms + self.settings.countdown_ms
        {
            self.end_session(now);
        }
    }

    /// Reads the data's freshness again and, when a sync or import brought a new version,
    /// the counter services and Info JKN articles too. Those are picked by their place in a
    /// list, so they are replaced only while the home screen shows (at the latest when the
    /// member's visit ends).
    fn check_data(&mut self, now: Now) {
        let version = self.data.version;
        self.data = DataState::read(&self.store, now);
        if self.data.version != version {
            self.reload_content(version);
        }
    }

    fn reload_content(&mut self, seen: i64) {
        if !matches!(self.screen, Screen::Home) {
            // Not now: keep the old version number so the next check tries again.
            self.data.version = seen;
            return;
        }
        match (self.store.counter_services(), self.store.info_articles()) {
            (Ok(services), Ok(articles)) => {
                self.services = services;
                self.articles = articles;
                tracing::info!(version = self.data.version, "content reloaded");
            }
            (Err(e), _) | (_, Err(e)) => {
                self.data.version = seen;
                tracing::warn!(error = %e, "content not reloaded");
            }
        }
    }

    /// Back to the start, forgetting the member: the session, the forms, the results. The
    /// member's language, text size and contrast stay until the visit ends.
    /// Forgets the member: the session, and a visitor's family held in memory.
    pub(in crate::kiosk) fn clear_session(&mut self) {
        self.session = None;
        self.pending_lookup = None;
        if self.visitor {
            if let Err(e) = crate::sync::lookup::leave(&mut self.store) {
                tracing::warn!(code = e.code(), "visitor's family not dropped");
            }
            self.visitor = false;
        }
    }

    pub(in crate::kiosk) fn go_home(&mut self, now: Now) {
        self.clear_session();
        self.pending_ticket = None;
        self.notice = None;
        self.busy = None;
        self.set_screen(Screen::Home, now);
    }

    /// The visit is over (idle wipe, or the thank-you screen done): home, and the display
    /// settings back to their defaults for the next member.
    pub(in crate::kiosk) fn end_session(&mut self, now: Now) {
        self.go_home(now);
        self.lang = Lang::Id;
        self.large_text = false;
        self.high_contrast = false;
        // The next member starts at the default volume, without speech or the focus ring.
        self.access = Access::default();
    }

    pub(in crate::kiosk) fn set_screen(&mut self, screen: Screen, now: Now) {
        self.screen = screen;
        self.entered_ms = now.mono_ms;
        self.access.focus = 0;
    }

    fn open_tile(&mut self, tile: Tile, now: Now) -> Vec<Effect> {
        self.clear_session();
        let purpose = match tile {
            Tile::Status => Some(Purpose::Status),
            Tile::Dues => Some(Purpose::Dues),
            Tile::Va => Some(Purpose::Va),
            Tile::ChangeFktp => Some(Purpose::ChangeFktp),
            Tile::ChangeKelas => Some(Purpose::ChangeKelas),
            Tile::Info | Tile::Search | Tile::Queue | Tile::Request => None,
        };
        if let Some(purpose) = purpose {
            if matches!(purpose, Purpose::ChangeFktp | Purpose::ChangeKelas)
                && self.data_freshness(now).1
            {
                self.notice = Some(Notice {
                    message: stale_notice(self.settings.max_data_age_hours),
                    error: true,
                });
                return Vec::new();
            }
            self.set_screen(
                Screen::Identify {
                    purpose,
                    form: IdentifyForm::default(),
                    message: None,
                },
                now,
            );
            return Vec::new();
        }
        let screen = match tile {
            Tile::Info => Screen::InfoMenu,
            Tile::Search => Screen::Search {
                text: String::new(),
                filter: SearchFilter::All,
                results: self.search("", SearchFilter::All),
            },
            Tile::Queue => Screen::Queue { priority: false },
            _ => Screen::RequestCheck {
                reference: String::new(),
                answer: None,
            },
        };
        self.set_screen(screen, now);
        Vec::new()
    }

    /// A physical key: what it means depends on the screen. Digits and Backspace type into
    /// the identify keypad or the on-screen keyboards, the arrows move the focus, Escape
    /// goes back, F1 asks to hear the screen again. Enter is not handled here: it activates
    /// the focused control, which only the rendered screen knows (`ui::view::handle` turns
    /// it into that control's event).
    fn physical(&mut self, press: Press, now: Now) -> Vec<Effect> {
        self.access.keys_used = true;
        let event = match (&self.screen, press) {
            (_, Press::Help) => {
                self.repeat = self.repeat.wrapping_add(1);
                return Vec::new();
            }
            (_, Press::Next) => {
                self.access.focus = self.access.focus.wrapping_add(1);
                return Vec::new();
            }
            (_, Press::Prev) => {
                self.access.focus = self.access.focus.wrapping_sub(1);
                return Vec::new();
            }
            (_, Press::VolumeUp) => {
                self.access.volume = (self.access.volume + 1).min(VOLUME_MAX);
                return Vec::new();
            }
            (_, Press::VolumeDown) => {
                self.access.volume = self.access.volume.saturating_sub(1).max(VOLUME_MIN);
                return Vec::new();
            }
            (_, Press::Speech) => {
                self.access.speech = !self.access.speech;
                return Vec::new();
            }
            (_, Press::Escape) => Event::Back,
            (Screen::Identify { .. }, Press::Digit(d)) => Event::Digit(d),
            (Screen::Search { .. } | Screen::RequestCheck { .. }, Press::Digit(c))
            | (Screen::Search { .. } | Screen::RequestCheck { .. }, Press::Letter(c)) => {
                Event::Key(c.to_ascii_uppercase())
            }
            (_, Press::Backspace) => Event::Backspace,
            _ => return Vec::new(),
        };
        self.handle(event, now)
    }

    /// How many times the member asked to hear the screen again (F1); speech repeats the
    /// screen whenever it changes.
    pub fn repeat(&self) -> u32 {
        self.repeat
    }

    /// The keypad focus, speech mode and volume of this visit.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Headphones are plugged in, as the jack last read.
    pub fn headphones(&self) -> bool {
        self.headphones
    }

    /// The focus back to the screen's first control (after the view moved the typing to the
    /// field the focus was on, which is now that first control).
    pub fn focus_to_start(&mut self) {
        self.access.focus = 0;
    }

    /// A key was pressed that the view turned into a control's event (Enter on the focus).
    pub fn key_used(&mut self) {
        self.access.keys_used = true;
    }

    /// Routes an event to the flow whose screen shows (`kiosk::flows`), then applies what
    /// the flow decided. Back from a member's detail screen returns to the member home;
    /// Back that no flow takes goes home.
    fn on_screen(&mut self, event: Event, now: Now) -> Vec<Effect> {
        let screen = std::mem::replace(&mut self.screen, Screen::Home);
        if matches!(event, Event::Back)
            && self.session.is_some()
            && matches!(
                screen,
                Screen::Status(_)
                    | Screen::Dues(_)
                    | Screen::Va(_)
                    | Screen::Refused { .. }
                    | Screen::FktpChoose { .. }
                    | Screen::KelasChoose { .. }
                    | Screen::RequestDone(_)
            )
        {
            return self.member_home(now);
        }
        let step = match screen {
            Screen::Home => Step::Pass(screen, event),
            Screen::Identify { .. } => self.on_identify(screen, event, now),
            Screen::MemberHome(_) | Screen::Status(_) | Screen::Dues(_) | Screen::Va(_) => {
                self.on_member_home(screen, event, now)
            }
            Screen::InfoMenu | Screen::InfoArticle(_) => self.on_info(screen, event, now),
            Screen::Search { .. } | Screen::PlaceDetail(_) => self.on_search(screen, event, now),
            Screen::FktpChoose { .. } | Screen::FktpConfirm { .. } => {
                self.on_change_fktp(screen, event, now)
            }
            Screen::KelasChoose { .. } | Screen::KelasConfirm { .. } => {
                self.on_change_kelas(screen, event, now)
            }
            Screen::Refused { .. } | Screen::RequestDone(_) => self.on_change(screen, event, now),
            Screen::Queue { .. } | Screen::QueueTicket(_) => self.on_queue(screen, event, now),
            Screen::RequestCheck { .. } => self.on_request_check(screen, event, now),
            Screen::Rating | Screen::Thanks => self.on_rating(screen, event, now),
        };
        let (screen, effects) = match step {
            Step::Show(screen, effects) => (screen, effects),
            Step::Moved(effects) => return effects,
            Step::Pass(_, Event::Back) => {
                self.go_home(now);
                return Vec::new();
            }
            Step::Pass(screen, _) => (screen, Vec::new()),
        };
        let changed = std::mem::discriminant(&screen) != std::mem::discriminant(&self.screen);
        self.screen = screen;
        if changed {
            self.entered_ms = now.mono_ms;
        }
        effects
    }

    fn outcome(&mut self, outcome: Outcome, now: Now) -> Vec<Effect> {
        self.busy = None;
        match outcome {
            Outcome::Printed(Ok(())) => {
                self.notice = Some(Notice {
                    message: Bilingual::tr("Silakan ambil struk Anda."),
                    error: false,
                });
            }
            Outcome::Printed(Err(fault)) => {
                if fault.code != "PRINTER_NOT_CONFIGURED" {
                    self.tally(Metric::PrintFaults, &fault.code, 1, now);
                }
                let mut message = fault.message;
                if matches!(self.screen, Screen::QueueTicket(_)) {
                    message.id.push_str(
                        " Nomor antrean Anda tetap berlaku: foto atau catat nomor di layar.",
                    );
                    message.en.push_str(" Your queue number still stands: photograph or write down the number on screen.");
                }
                self.notice = Some(Notice {
                    message,
                    error: true,
                });
            }
            Outcome::TicketTaken(Ok(issued)) => {
                let Some(ticket) = self.ticket(issued, now) else {
                    return Vec::new();
                };
                self.pending_ticket = None;
                // The ticket, its estimated wait and whether it is over the target: one
                // write (a sync applying holds the store; this waits for it once).
                let service = ticket.service.code.clone();
                let over = ticket.wait_minutes > crate::counters::WAIT_TARGET_MINUTES;
                let counts = [
                    (Metric::Tickets, service.as_str(), 1),
                    (
                        Metric::WaitMinutes,
                        service.as_str(),
                        ticket.wait_minutes.into(),
                    ),
                    (Metric::WaitOver, service.as_str(), i64::from(over)),
                ];
                let slot = crate::counters::slot_of(now.local);
                if let Err(e) = self.store.count_all(&slot, &counts) {
                    tracing::warn!(error = %e, "ticket not counted");
                }
                let slip = Slip::Ticket(ticket.clone());
                self.set_screen(Screen::QueueTicket(Box::new(ticket)), now);
                self.busy = Some(printing());
                return vec![Effect::Print(Box::new(slip))];
            }
            Outcome::TicketTaken(Err(fault)) => {
                self.notice = Some(Notice {
                    message: fault.message,
                    error: true,
                });
            }
            Outcome::LookedUp(answer) => return self.looked_up(answer, now),
        }
        Vec::new()
    }
}

pub(in crate::kiosk) fn stale_notice(hours: u64) -> Bilingual {
    Bilingual::tr_with(
        "Data di anjungan ini belum diperbarui lebih dari {hours} jam, jadi permohonan perubahan belum dapat diterima. Silakan ke loket, atau coba lagi nanti. Cek status dan tagihan tetap bisa.",
        &[("hours", &hours)],
    )
}

pub(in crate::kiosk) fn printing() -> Bilingual {
    Bilingual::tr("Mencetak…")
}
