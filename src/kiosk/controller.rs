//! The kiosk's flows as a plain state machine: what screen is shown, what the member has
//! typed, who is identified, and when to forget it all.
//!
//! It reads the store and applies services synchronously (each answer takes milliseconds);
//! device and outbox work leaves as [`Effect`]s and returns as [`Outcome`]s. It knows nothing
//! of Slint: `ui` renders [`Controller::screen`] and forwards touches as [`Event`]s. The
//! runtime runs it on its own thread, never on the UI thread.

use chrono::{NaiveDate, NaiveDateTime};

use super::effects::{Effect, Issued, Outcome, RequestReceipt, Slip, Ticket};
use super::identify::{Field, IdKind, IdentifyForm};
use crate::content::{CounterService, InfoArticle};
use crate::domain::{self, Bilingual, Explain, Kelas, Reason};
use crate::services::member::{ChangeView, DuesView, StatusView, VaView};
use crate::services::request::{self, Change};
use crate::services::{Lockout, LockoutPolicy, MemberSession, ServiceError};
use crate::store::{
    FacilityQuery, FacilityRecord, OfficeQuery, OfficeRecord, Point, Store, StoreError,
};

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

/// What the member home offers besides its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberAction {
    /// The status in detail, with the family.
    Status,
    Dues,
    Va,
    ChangeFktp,
    ChangeKelas,
    /// A queue ticket for the counter service that fits the member's status.
    Ticket,
}

/// The member home: everything one identification answers, on one screen.
#[derive(Debug, Clone)]
pub struct MemberHome {
    pub status: StatusView,
    pub dues: DuesView,
    /// The family's VA, when the family pays through one.
    pub va: Option<VaView>,
    /// The counter service that fits the member's status (its code), if one does.
    pub counter: Option<String>,
}

/// Screen language; every screen has the toggle (the same type slips print in).
pub use crate::domain::Lang;

/// What the search screen looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchFilter {
    #[default]
    All,
    Fktp,
    Hospital,
    Pharmacy,
    Optic,
    Office,
}

/// One search result, facility or office.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    Facility(FacilityRecord),
    Office(OfficeRecord),
}

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
    store: Store,
    settings: Settings,
    pub lang: Lang,
    pub large_text: bool,
    pub high_contrast: bool,
    screen: Screen,
    /// The identified member, for the flow in progress. `None` outside a member flow.
    session: Option<MemberSession>,
    notice: Option<Notice>,
    /// Waiting for a device or the outbox; the screen says so and ignores further taps.
    busy: Option<Bilingual>,
    /// Mismatches per identifier, kept in the store (services::lockout).
    lockout: Lockout,
    last_input_ms: u64,
    entered_ms: u64,
    next_request_id: u32,
    /// The last ticket request, reused when the member retries it.
    pending_ticket: Option<(String, bool, u32)>,
    services: Vec<CounterService>,
    articles: Vec<InfoArticle>,
    /// What the store said about the data at the last check: read on ticks, not at every
    /// render.
    data: DataState,
}

/// The data's freshness and version as last read from the store.
struct DataState {
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    version: i64,
    checked_ms: u64,
}

impl DataState {
    fn read(store: &Store, now_ms: u64) -> Self {
        Self {
            as_of: store.data_as_of().ok().flatten(),
            version: store.dataset_info().map_or(0, |d| d.version),
            checked_ms: now_ms,
        }
    }
}

/// How often a tick reads the data's freshness and version again: a sync (another thread or
/// process) shows within this time.
pub const DATA_CHECK_MS: u64 = 5_000;

/// The search results shown at once.
const SEARCH_LIMIT: usize = 30;
/// FKTPs offered for a change.
const FKTP_CHOICES: usize = 12;

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
        let data = DataState::read(&store, now.mono_ms);
        Ok(Self {
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

    /// When the data was last known current (last sync or import), in the kiosk's zone, and
    /// whether it is too old for change requests.
    pub fn data_freshness(&self, now: Now) -> (Option<NaiveDateTime>, bool) {
        let as_of = self.data.as_of;
        let stale = !request::data_fresh(as_of, self.utc(now), self.settings.max_data_age_hours);
        let local = as_of.map(|t| t.with_timezone(&self.settings.zone).naive_local());
        (local, stale)
    }

    /// `now` in UTC, through the kiosk's zone.
    fn utc(&self, now: Now) -> chrono::DateTime<chrono::Utc> {
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
        self.data = DataState::read(&self.store, now.mono_ms);
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
    fn go_home(&mut self, now: Now) {
        self.session = None;
        self.pending_ticket = None;
        self.notice = None;
        self.busy = None;
        self.set_screen(Screen::Home, now);
    }

    /// The visit is over (idle wipe, or the thank-you screen done): home, and the display
    /// settings back to their defaults for the next member.
    fn end_session(&mut self, now: Now) {
        self.go_home(now);
        self.lang = Lang::Id;
        self.large_text = false;
        self.high_contrast = false;
    }

    fn set_screen(&mut self, screen: Screen, now: Now) {
        self.screen = screen;
        self.entered_ms = now.mono_ms;
    }

    fn open_tile(&mut self, tile: Tile, now: Now) -> Vec<Effect> {
        self.session = None;
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

    fn on_screen(&mut self, event: Event, now: Now) -> Vec<Effect> {
        let today = now.today();
        let screen = std::mem::replace(&mut self.screen, Screen::Home);
        let (screen, effects) = match (screen, event) {
            (
                Screen::Identify {
                    purpose, mut form, ..
                },
                event,
            ) => {
                let mut submit = false;
                match event {
                    Event::IdKind(kind) => form.set_kind(kind),
                    Event::Digit(d) => form.digit(d),
                    Event::Backspace => form.backspace(),
                    Event::Clear => form.clear(),
                    Event::FocusField(field) => form.field = field,
                    Event::Submit => submit = true,
                    Event::Back => {
                        self.go_home(now);
                        return Vec::new();
                    }
                    _ => {}
                }
                let message = form
                    .id_problem_at(Some(today))
                    .or_else(|| form.birth_problem(today));
                if submit && message.is_none() {
                    return self.identify(purpose, form, now);
                }
                let message = message.or_else(|| {
                    submit.then(|| {
                        Bilingual::tr(
                            "Lengkapi NIK atau nomor kartu dan tanggal lahir terlebih dahulu.",
                        )
                    })
                });
                (
                    Screen::Identify {
                        purpose,
                        form,
                        message,
                    },
                    Vec::new(),
                )
            }
            (Screen::MemberHome(h), Event::Member(action)) => {
                return self.member_action(*h, action, now);
            }
            (Screen::MemberHome(h), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Status(h.status.clone());
                (Screen::MemberHome(h), vec![Effect::Print(Box::new(slip))])
            }
            (Screen::MemberHome(_), Event::Done) => {
                self.session = None;
                (Screen::Rating, Vec::new())
            }
            (
                Screen::Status(_)
                | Screen::Dues(_)
                | Screen::Va(_)
                | Screen::Refused { .. }
                | Screen::FktpChoose { .. }
                | Screen::KelasChoose { .. }
                | Screen::RequestDone(_),
                Event::Back,
            ) if self.session.is_some() => {
                return self.member_home(now);
            }
            (Screen::Status(v), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Status((*v).clone());
                (Screen::Status(v), vec![Effect::Print(Box::new(slip))])
            }
            (Screen::Dues(v), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Dues((*v).clone());
                (Screen::Dues(v), vec![Effect::Print(Box::new(slip))])
            }
            (Screen::Va(v), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Va((*v).clone());
                (Screen::Va(v), vec![Effect::Print(Box::new(slip))])
            }
            (Screen::Status(_) | Screen::Dues(_) | Screen::Va(_), Event::Done) => {
                self.session = None;
                (Screen::Rating, Vec::new())
            }
            (Screen::InfoMenu, Event::OpenArticle(i)) if i < self.articles.len() => {
                (Screen::InfoArticle(i), Vec::new())
            }
            (Screen::InfoArticle(_), Event::Back) => (Screen::InfoMenu, Vec::new()),
            (
                Screen::Search {
                    mut text,
                    mut filter,
                    results,
                },
                event,
            ) => {
                let mut changed = true;
                match event {
                    Event::Key(c)
                        if text.chars().count() < 40 && (c.is_alphanumeric() || c == ' ') =>
                    {
                        text.push(c)
                    }
                    Event::Backspace => {
                        text.pop();
                    }
                    Event::Clear => text.clear(),
                    Event::SearchFilter(f) => filter = f,
                    Event::OpenResult(i) if i < results.len() => {
                        let place = results[i].clone();
                        self.set_screen(Screen::PlaceDetail(Box::new(place)), now);
                        return Vec::new();
                    }
                    _ => changed = false,
                }
                let results = if changed {
                    self.search(&text, filter)
                } else {
                    results
                };
                (
                    Screen::Search {
                        text,
                        filter,
                        results,
                    },
                    Vec::new(),
                )
            }
            (Screen::PlaceDetail(place), Event::Print) => {
                let slip = match &*place {
                    Place::Facility(f) => Slip::Facility(f.clone()),
                    Place::Office(o) => Slip::Office(o.clone()),
                };
                self.busy = Some(printing());
                (
                    Screen::PlaceDetail(place),
                    vec![Effect::Print(Box::new(slip))],
                )
            }
            (Screen::PlaceDetail(_), Event::Back) => (
                Screen::Search {
                    text: String::new(),
                    filter: SearchFilter::All,
                    results: self.search("", SearchFilter::All),
                },
                Vec::new(),
            ),
            (Screen::FktpChoose { options }, Event::ChooseFacility(i)) if i < options.len() => {
                return self.choose_fktp(options, i, now);
            }
            (Screen::FktpConfirm { target, change }, Event::Confirm) => {
                let what = Bilingual::tr_with(
                    "Pindah FKTP ke {0} ({1})",
                    &[("0", &target.name), ("1", &target.code)],
                );
                let request = Change::Fktp(target.code.clone());
                return self.submit(request, what, Screen::FktpConfirm { target, change }, now);
            }
            // Batal on a confirmation: nothing is requested; back to the member home.
            (Screen::FktpConfirm { .. } | Screen::KelasConfirm { .. }, Event::Done) => {
                return self.member_home(now);
            }
            (Screen::FktpConfirm { .. }, Event::Back) => {
                return self.start_change(Purpose::ChangeFktp, now);
            }
            (Screen::KelasChoose { current, prices }, Event::ChooseKelas(k)) => {
                match (Kelas::new(k), self.session.as_ref()) {
                    (Some(to), Some(session)) if to != current => {
                        let change = session.change_kelas(to, today);
                        if change.eligible {
                            (
                                Screen::KelasConfirm {
                                    change: Box::new(change),
                                },
                                Vec::new(),
                            )
                        } else {
                            (
                                Screen::Refused {
                                    purpose: Purpose::ChangeKelas,
                                    change: Box::new(change),
                                },
                                Vec::new(),
                            )
                        }
                    }
                    _ => (Screen::KelasChoose { current, prices }, Vec::new()),
                }
            }
            (Screen::KelasConfirm { change }, Event::Confirm) => match change.to.parse::<Kelas>() {
                Ok(to) => {
                    let what = Bilingual::tr_with(
                        "Pindah ke kelas {0} untuk seluruh keluarga",
                        &[("0", &to.get())],
                    );
                    return self.submit(
                        Change::Kelas(to),
                        what,
                        Screen::KelasConfirm { change },
                        now,
                    );
                }
                Err(_) => (Screen::KelasConfirm { change }, Vec::new()),
            },
            (Screen::KelasConfirm { .. }, Event::Back) => {
                return self.start_change(Purpose::ChangeKelas, now);
            }
            (Screen::RequestDone(receipt), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Request((*receipt).clone());
                (
                    Screen::RequestDone(receipt),
                    vec![Effect::Print(Box::new(slip))],
                )
            }
            (Screen::RequestDone(_) | Screen::Refused { .. }, Event::Done) => {
                self.session = None;
                (Screen::Rating, Vec::new())
            }
            (Screen::Queue { priority }, Event::TogglePriority) => (
                Screen::Queue {
                    priority: !priority,
                },
                Vec::new(),
            ),
            (Screen::Queue { priority }, Event::TakeTicket(i)) if i < self.services.len() => {
                let code = self.services[i].code.clone();
                (Screen::Queue { priority }, self.take_ticket(code, priority))
            }
            (Screen::QueueTicket(ticket), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Ticket((*ticket).clone());
                (
                    Screen::QueueTicket(ticket),
                    vec![Effect::Print(Box::new(slip))],
                )
            }
            (Screen::QueueTicket(_), Event::Done) => (Screen::Rating, Vec::new()),
            (
                Screen::RequestCheck {
                    mut reference,
                    answer,
                },
                event,
            ) => match event {
                Event::Key(c)
                    if reference.len() < 24 && (c.is_ascii_alphanumeric() || c == '-') =>
                {
                    reference.push(c.to_ascii_uppercase());
                    (
                        Screen::RequestCheck {
                            reference,
                            answer: None,
                        },
                        Vec::new(),
                    )
                }
                Event::Backspace => {
                    reference.pop();
                    (
                        Screen::RequestCheck {
                            reference,
                            answer: None,
                        },
                        Vec::new(),
                    )
                }
                Event::Clear => (
                    Screen::RequestCheck {
                        reference: String::new(),
                        answer: None,
                    },
                    Vec::new(),
                ),
                Event::Submit => {
                    let answer = Some(self.request_state(&reference));
                    (Screen::RequestCheck { reference, answer }, Vec::new())
                }
                _ => (Screen::RequestCheck { reference, answer }, Vec::new()),
            },
            (Screen::Rating, Event::Rate(stars)) if (1..=5).contains(&stars) => {
                // Counted here, in the store the controller holds: a rating is no device.
                if let Err(e) = self.store.count_rating(stars) {
                    tracing::warn!(error = %e, "rating not counted");
                }
                (Screen::Thanks, Vec::new())
            }
            (Screen::Rating, Event::Done) => (Screen::Thanks, Vec::new()),
            (Screen::Thanks, Event::Done) => {
                self.end_session(now);
                return Vec::new();
            }
            (_, Event::Back) => {
                self.go_home(now);
                return Vec::new();
            }
            (screen, _) => (screen, Vec::new()),
        };
        let changed = std::mem::discriminant(&screen) != std::mem::discriminant(&self.screen);
        self.screen = screen;
        if changed {
            self.entered_ms = now.mono_ms;
        }
        effects
    }

    /// Looks the member up; a mismatch counts towards the lockout and says nothing about
    /// whether the identifier exists.
    fn identify(&mut self, purpose: Purpose, form: IdentifyForm, now: Now) -> Vec<Effect> {
        let today = now.today();
        let Some(identity) = form.identity(today) else {
            self.set_screen(
                Screen::Identify {
                    purpose,
                    form,
                    message: None,
                },
                now,
            );
            return Vec::new();
        };
        match self.lockout.identify(&self.store, &identity, self.utc(now)) {
            Ok(session) => {
                self.session = Some(session);
                self.show_result(purpose, now)
            }
            Err(e) => {
                let mut form = form;
                match &e {
                    ServiceError::IdentityMismatch { .. } => {
                        tracing::info!("identification did not match");
                        form.birth.clear();
                        form.field = Field::BirthDate;
                    }
                    ServiceError::IdentityLocked { .. } => {
                        // Nothing of the locked identifier stays on screen.
                        tracing::info!("identification refused: identifier locked");
                        form = IdentifyForm {
                            kind: form.kind,
                            ..IdentifyForm::default()
                        };
                    }
                    _ => {
                        tracing::warn!(code = e.code(), "identification failed");
                        form.birth.clear();
                        form.field = Field::BirthDate;
                    }
                }
                self.set_screen(
                    Screen::Identify {
                        purpose,
                        form,
                        message: Some(e.explain()),
                    },
                    now,
                );
                Vec::new()
            }
        }
    }

    fn show_result(&mut self, purpose: Purpose, now: Now) -> Vec<Effect> {
        if self.session.is_none() {
            return Vec::new();
        }
        match purpose {
            // Status, dues and VA are one visit: the member home answers all three.
            Purpose::Status | Purpose::Dues | Purpose::Va => self.member_home(now),
            Purpose::ChangeFktp | Purpose::ChangeKelas => self.start_change(purpose, now),
        }
    }

    /// The member home for the identified member.
    fn member_home(&mut self, now: Now) -> Vec<Effect> {
        let today = now.today();
        let Some(session) = &self.session else {
            self.go_home(now);
            return Vec::new();
        };
        let status = session.status(today);
        let dues = session.dues(today);
        let va = match session.virtual_accounts(today) {
            Ok(v) if v.pay.uses_va => Some(v),
            Ok(_) => None,
            Err(e) => {
                // Said on the VA button's screen; the home still answers the rest.
                tracing::info!(code = e.code(), "no VA for this family");
                None
            }
        };
        let counter = counter_for(&status).filter(|c| self.services.iter().any(|s| s.code == *c));
        self.set_screen(
            Screen::MemberHome(Box::new(MemberHome {
                status,
                dues,
                va,
                counter,
            })),
            now,
        );
        Vec::new()
    }

    fn member_action(&mut self, home: MemberHome, action: MemberAction, now: Now) -> Vec<Effect> {
        let today = now.today();
        let Some(session) = &self.session else {
            self.go_home(now);
            return Vec::new();
        };
        let screen = match action {
            MemberAction::Status => Screen::Status(Box::new(home.status)),
            MemberAction::Dues => Screen::Dues(Box::new(home.dues)),
            MemberAction::Va => match session.virtual_accounts(today) {
                Ok(v) => Screen::Va(Box::new(v)),
                Err(e) => {
                    self.notice = Some(Notice {
                        message: e.explain(),
                        error: true,
                    });
                    Screen::MemberHome(Box::new(home))
                }
            },
            MemberAction::ChangeFktp | MemberAction::ChangeKelas => {
                let purpose = if action == MemberAction::ChangeFktp {
                    Purpose::ChangeFktp
                } else {
                    Purpose::ChangeKelas
                };
                if self.data_freshness(now).1 {
                    self.notice = Some(Notice {
                        message: stale_notice(self.settings.max_data_age_hours),
                        error: true,
                    });
                    self.set_screen(Screen::MemberHome(Box::new(home)), now);
                    return Vec::new();
                }
                return self.start_change(purpose, now);
            }
            MemberAction::Ticket => {
                let Some(code) = home.counter.clone() else {
                    self.set_screen(Screen::MemberHome(Box::new(home)), now);
                    return Vec::new();
                };
                self.set_screen(Screen::MemberHome(Box::new(home)), now);
                return self.take_ticket(code, false);
            }
        };
        self.set_screen(screen, now);
        Vec::new()
    }

    /// Asks the dispenser for a number for `code`; a retry of the same choice reuses its
    /// request id, so the dispenser answers with the number it already gave.
    fn take_ticket(&mut self, code: String, priority: bool) -> Vec<Effect> {
        let request_id = match &self.pending_ticket {
            Some((c, p, id)) if *c == code && *p == priority => *id,
            _ => {
                self.next_request_id = self.next_request_id.wrapping_add(1);
                self.next_request_id
            }
        };
        self.pending_ticket = Some((code.clone(), priority, request_id));
        self.busy = Some(Bilingual::tr("Mengambil nomor antrean…"));
        vec![Effect::TakeTicket {
            service: code,
            priority,
            request_id,
        }]
    }

    /// The member-level checks of a change, before a target is chosen; refuses with every
    /// reason or moves on to the choice.
    fn start_change(&mut self, purpose: Purpose, now: Now) -> Vec<Effect> {
        let today = now.today();
        let Some(session) = &self.session else {
            self.go_home(now);
            return Vec::new();
        };
        let screen = match purpose {
            Purpose::ChangeFktp => {
                let current = session.member.fktp_code.clone();
                match session.change_fktp(&self.store, &current, today) {
                    Ok(mut change) => {
                        keep_member_reasons(&mut change);
                        self.refuse_if_requested(&mut change, "FKTP");
                        if change.eligible {
                            let near = self.settings.location.or_else(|| {
                                session.fktp.as_ref().map(|f| Point {
                                    lat: f.lat,
                                    lon: f.lon,
                                })
                            });
                            // A member registers with a general FKTP; dentists are not
                            // offered as one.
                            let types = crate::domain::FacilityType::ALL
                                .iter()
                                .copied()
                                .filter(|t| {
                                    t.is_fktp() && *t != crate::domain::FacilityType::DokterGigi
                                })
                                .collect();
                            let found = self.store.search_facilities(&FacilityQuery {
                                near,
                                types,
                                open_fktp_only: true,
                                limit: FKTP_CHOICES + 1,
                                ..FacilityQuery::default()
                            });
                            match found {
                                Ok(found) => Screen::FktpChoose {
                                    options: found
                                        .into_iter()
                                        .filter(|f| f.code != current)
                                        .take(FKTP_CHOICES)
                                        .collect(),
                                },
                                // Not "no FKTP nearby": the choice could not be read.
                                Err(e) => {
                                    tracing::warn!(code = e.code(), "FKTP choices failed");
                                    self.notice = Some(Notice {
                                        message: search_unavailable(),
                                        error: true,
                                    });
                                    return self.member_home(now);
                                }
                            }
                        } else {
                            Screen::Refused {
                                purpose,
                                change: Box::new(change),
                            }
                        }
                    }
                    Err(e) => {
                        self.notice = Some(Notice {
                            message: e.explain(),
                            error: true,
                        });
                        Screen::Home
                    }
                }
            }
            _ => {
                let current = session.member.kelas;
                let mut change = session.change_kelas(current, today);
                keep_member_reasons(&mut change);
                self.refuse_if_requested(&mut change, "KELAS");
                if change.eligible {
                    let prices = [1u8, 2, 3].map(|k| {
                        Kelas::new(k)
                            .and_then(|k| session.change_kelas(k, today).new_family_monthly_amount)
                    });
                    Screen::KelasChoose { current, prices }
                } else {
                    Screen::Refused {
                        purpose,
                        change: Box::new(change),
                    }
                }
            }
        };
        self.set_screen(screen, now);
        Vec::new()
    }

    /// One request of a kind at a time: an eligible member who already has one (this
    /// kiosk's outbox, with the hub's decisions) is told its reference before choosing.
    fn refuse_if_requested(&self, change: &mut ChangeView, kind: &str) {
        let Some(session) = &self.session else {
            return;
        };
        if !change.eligible {
            return;
        }
        match request::existing_request(&self.store, session, kind, change.effective_date) {
            Ok(None) => {}
            Ok(Some(exists)) => {
                change.eligible = false;
                change.reasons.clear();
                change.earliest_date = None;
                change.messages = vec![exists.explain()];
            }
            Err(e) => tracing::warn!(code = e.code(), "open requests unreadable"),
        }
    }

    fn choose_fktp(&mut self, options: Vec<FacilityRecord>, i: usize, now: Now) -> Vec<Effect> {
        let target = options[i].clone();
        let Some(session) = &self.session else {
            self.go_home(now);
            return Vec::new();
        };
        let screen = match session.change_fktp(&self.store, &target.code, now.today()) {
            Ok(change) if change.eligible => Screen::FktpConfirm {
                target: Box::new(target),
                change: Box::new(change),
            },
            Ok(change) => Screen::Refused {
                purpose: Purpose::ChangeFktp,
                change: Box::new(change),
            },
            Err(e) => {
                self.notice = Some(Notice {
                    message: e.explain(),
                    error: true,
                });
                Screen::FktpChoose { options }
            }
        };
        self.set_screen(screen, now);
        Vec::new()
    }

    /// Takes the confirmed change into the outbox (committed durably before the member sees
    /// the reference), then prints its slip. A refusal (stale data, no longer eligible)
    /// stays on the confirmation with the reason.
    fn submit(&mut self, change: Change, what: Bilingual, screen: Screen, now: Now) -> Vec<Effect> {
        let utc = self.utc(now);
        let max_age = self.settings.max_data_age_hours;
        let Some(session) = self.session.as_ref() else {
            self.go_home(now);
            return Vec::new();
        };
        let view = match &screen {
            Screen::FktpConfirm { change, .. } | Screen::KelasConfirm { change } => {
                (**change).clone()
            }
            _ => {
                self.set_screen(screen, now);
                return Vec::new();
            }
        };
        match request::submit_change(&mut self.store, session, &change, now.today(), utc, max_age) {
            Ok(submitted) => {
                let receipt = RequestReceipt {
                    reference: submitted.reference,
                    kind: submitted.kind,
                    card_masked: domain::mask_card(&session.member.card_no),
                    what,
                    effective_date: submitted.effective_date,
                    change: view,
                };
                let slip = Slip::Request(receipt.clone());
                self.set_screen(Screen::RequestDone(Box::new(receipt)), now);
                self.busy = Some(printing());
                vec![Effect::Print(Box::new(slip))]
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "change request not taken");
                let message = match &e {
                    ServiceError::NotEligible(messages) => Bilingual {
                        id: messages
                            .iter()
                            .map(|m| m.id.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                        en: messages
                            .iter()
                            .map(|m| m.en.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                    },
                    other => other.explain(),
                };
                self.notice = Some(Notice {
                    message,
                    error: true,
                });
                self.set_screen(screen, now);
                Vec::new()
            }
        }
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
        }
        Vec::new()
    }

    /// The ticket for the number the dispenser issued to the pending request.
    fn ticket(&self, issued: Issued, now: Now) -> Option<Ticket> {
        let (code, priority, _) = self.pending_ticket.as_ref()?;
        let service = self.services.iter().find(|s| &s.code == code)?.clone();
        Some(Ticket {
            number: issued.number,
            wait_minutes: issued.ahead.saturating_mul(service.minutes),
            ahead: issued.ahead,
            priority: *priority,
            service,
            issued_at: now.local,
        })
    }

    /// The places for a search; a store that fails says so to the member (an empty list
    /// would read as "nothing there") and is logged by its code.
    fn search(&mut self, text: &str, filter: SearchFilter) -> Vec<Place> {
        match self.try_search(text, filter) {
            Ok(places) => places,
            Err(e) => {
                tracing::warn!(code = e.code(), "search failed");
                self.notice = Some(Notice {
                    message: search_unavailable(),
                    error: true,
                });
                Vec::new()
            }
        }
    }

    fn try_search(&self, text: &str, filter: SearchFilter) -> Result<Vec<Place>, StoreError> {
        use crate::domain::FacilityType as T;
        let text = (!text.trim().is_empty()).then(|| text.to_owned());
        if filter == SearchFilter::Office {
            return Ok(self
                .store
                .search_offices(&OfficeQuery {
                    text,
                    near: self.settings.location,
                    // "Nearest office" means one that serves members at a counter.
                    levels: crate::domain::OfficeLevel::SERVING_MEMBERS.to_vec(),
                    limit: SEARCH_LIMIT,
                    ..OfficeQuery::default()
                })?
                .into_iter()
                .map(Place::Office)
                .collect());
        }
        let types = match filter {
            SearchFilter::Fktp => T::ALL.iter().copied().filter(|t| t.is_fktp()).collect(),
            SearchFilter::Hospital => vec![T::RsKelasA, T::RsKelasB, T::RsKelasC, T::RsKelasD],
            SearchFilter::Pharmacy => vec![T::Apotek],
            SearchFilter::Optic => vec![T::Optik],
            _ => Vec::new(),
        };
        Ok(self
            .store
            .search_facilities(&FacilityQuery {
                text,
                near: self.settings.location,
                types,
                limit: SEARCH_LIMIT,
                ..FacilityQuery::default()
            })?
            .into_iter()
            .map(Place::Facility)
            .collect())
    }

    fn request_state(&self, reference: &str) -> Bilingual {
        match request::request_status(&self.store, reference) {
            Ok(status) => status.message,
            Err(e) => e.explain(),
        }
    }
}

/// Keeps the reasons that belong to the member, not to a chosen target.
fn keep_member_reasons(change: &mut ChangeView) {
    let target_only = [
        Reason::SameAsCurrent,
        Reason::UnknownFacility,
        Reason::NotFktp,
        Reason::FktpInactive,
        Reason::FktpFull,
    ];
    let keep: Vec<bool> = change
        .reasons
        .iter()
        .map(|r| !target_only.contains(r))
        .collect();
    let mut i = 0;
    change.reasons.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    let mut j = 0;
    change.messages.retain(|_| {
        j += 1;
        keep[j - 1]
    });
    change.eligible = change.reasons.is_empty();
}

/// The counter service that fits a member's status: reactivation (G) for arrears, a change
/// of segment (C) for a non-active member, a family change (D) for a deceased member, and
/// data changes (E) otherwise.
fn counter_for(status: &StatusView) -> Option<String> {
    use crate::domain::Status as S;
    if let Some(reason) = status.reason {
        return Some(reason.counter_service().to_owned());
    }
    Some(
        match status.status {
            S::TidakAktifMenunggak => "G",
            S::NonAktif if status.segment.member_pays() => "G",
            S::NonAktif => "C",
            S::Meninggal => "D",
            S::Aktif => "E",
        }
        .to_owned(),
    )
}

fn search_unavailable() -> Bilingual {
    Bilingual::tr(
        "Pencarian sedang terganggu di anjungan ini. Silakan coba lagi, atau tanyakan ke loket informasi.",
    )
}

fn stale_notice(hours: u64) -> Bilingual {
    Bilingual {
        id: format!(
            "Data di anjungan ini belum diperbarui lebih dari {hours} jam, jadi permohonan perubahan belum dapat diterima. Silakan ke loket, atau coba lagi nanti. Cek status dan tagihan tetap bisa."
        ),
        en: format!(
            "This kiosk's data has not been updated for over {hours} hours, so change requests cannot be accepted now. Please go to a counter, or try again later. Status and dues checks still work."
        ),
    }
}

fn printing() -> Bilingual {
    Bilingual::tr("Mencetak…")
}
