//! The Slint skin over the kiosk controller.
//!
//! `ui/*.slint` declares the window and one adapter global, `Kiosk`. This module copies a
//! rendered [`view::KioskView`] into that global ([`apply`]) and turns the global's callbacks
//! into controller [`Event`]s ([`connect`]). It holds no state of its own.

pub mod devices;
pub mod diag;
pub mod qr;
pub mod runtime;
pub mod view;
pub mod watchdog;

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::kiosk::identify::Field;
use crate::kiosk::{Event, IdKind, SearchFilter, Tile as KioskTile};
use view::{KioskView, ListKindData, PageKind, ToneKind};

slint::include_modules!();

/// Copies the rendered view into the window's adapter and theme.
pub fn apply(window: &AppWindow, v: &KioskView) {
    let k = window.global::<Kiosk>();
    let theme = window.global::<Theme>();
    theme.set_large_text(v.large_text);
    theme.set_high_contrast(v.high_contrast);
    k.set_page(match v.page {
        PageKind::Home => Page::Home,
        PageKind::MemberHome => Page::MemberHome,
        PageKind::Identify => Page::Identify,
        PageKind::Result => Page::Result,
        PageKind::List => Page::List,
        PageKind::Article => Page::Article,
        PageKind::Search => Page::Search,
        PageKind::Ticket => Page::Ticket,
        PageKind::RequestCheck => Page::RequestCheck,
        PageKind::Rating => Page::Rating,
        PageKind::Thanks => Page::Thanks,
    });
    let s = |x: &str| SharedString::from(x);
    k.set_english(v.english);
    select_translation(window);
    k.set_page_title(s(&v.page_title));
    k.set_kiosk_name(s(&v.kiosk_name));
    k.set_data_as_of(s(&v.data_as_of));
    k.set_data_stale(v.data_stale);
    k.set_notice(s(&v.notice));
    k.set_notice_error(v.notice_error);
    k.set_busy(s(&v.busy));
    k.set_countdown(v.countdown);
    k.set_id_is_nik(v.id_is_nik);
    k.set_id_text(s(&v.id_text));
    k.set_dob_text(s(&v.dob_text));
    k.set_dob_focused(v.dob_focused);
    k.set_id_message(s(&v.id_message));
    k.set_id_ready(v.id_ready);
    k.set_tone(match v.tone {
        ToneKind::Neutral => Tone::Neutral,
        ToneKind::Ok => Tone::Ok,
        ToneKind::Warn => Tone::Warn,
        ToneKind::Bad => Tone::Bad,
    });
    k.set_result_heading(s(&v.result_heading));
    k.set_result_text(s(&v.result_text));
    k.set_rows(ModelRc::from(Rc::new(VecModel::from(
        v.rows
            .iter()
            .map(|r| Row {
                label: s(&r.label),
                value: s(&r.value),
                strong: r.strong,
            })
            .collect::<Vec<_>>(),
    ))));
    k.set_result_note(s(&v.result_note));
    k.set_can_print(v.can_print);
    k.set_member_va(v.member_va);
    k.set_qr_caption(s(&v.qr_caption));
    k.set_qr(qr_image(&v.qr_text));
    k.set_member_ticket(s(&v.member_ticket));
    k.set_can_confirm(v.can_confirm);
    k.set_confirm_label(s(&v.confirm_label));
    k.set_items(ModelRc::from(Rc::new(VecModel::from(
        v.items
            .iter()
            .map(|i| Item {
                title: s(&i.title),
                subtitle: s(&i.subtitle),
                detail: s(&i.detail),
                badge: s(&i.badge),
                enabled: i.enabled,
            })
            .collect::<Vec<_>>(),
    ))));
    k.set_list_kind(match v.list_kind {
        ListKindData::Articles => ListKind::Articles,
        ListKindData::Services => ListKind::Services,
        ListKindData::Fktp => ListKind::Fktp,
        ListKindData::Kelas => ListKind::Kelas,
    });
    k.set_list_intro(s(&v.list_intro));
    k.set_show_priority(v.show_priority);
    k.set_priority(v.priority);
    k.set_article_title(s(&v.article_title));
    k.set_article_body(s(&v.article_body));
    k.set_article_source(s(&v.article_source));
    k.set_search_text(s(&v.search_text));
    k.set_search_filter(match v.search_filter {
        SearchFilter::All => Filter::All,
        SearchFilter::Fktp => Filter::Fktp,
        SearchFilter::Hospital => Filter::Hospital,
        SearchFilter::Pharmacy => Filter::Pharmacy,
        SearchFilter::Optic => Filter::Optic,
        SearchFilter::Office => Filter::Office,
    });
    k.set_ticket_number(s(&v.ticket_number));
    k.set_ticket_service(s(&v.ticket_service));
    k.set_ticket_info(s(&v.ticket_info));
    k.set_ticket_notes(ModelRc::from(Rc::new(VecModel::from(
        v.ticket_notes.iter().map(|d| s(d)).collect::<Vec<_>>(),
    ))));
    k.set_ticket_documents(ModelRc::from(Rc::new(VecModel::from(
        v.ticket_documents.iter().map(|d| s(d)).collect::<Vec<_>>(),
    ))));
    k.set_reference_text(s(&v.reference_text));
    k.set_reference_answer(s(&v.reference_answer));
}

thread_local! {
    /// The last QR drawn: `apply` runs on every tick, the code only changes with the screen.
    static QR: std::cell::RefCell<(String, slint::Image)> = std::cell::RefCell::default();
}

/// The QR image for `text` (an empty image for none), drawn once per distinct text.
fn qr_image(text: &str) -> slint::Image {
    QR.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != text {
            *cache = (
                text.to_owned(),
                if text.is_empty() {
                    slint::Image::default()
                } else {
                    qr::image(text).unwrap_or_default()
                },
            );
        }
        cache.1.clone()
    })
}

/// Shows the views' `@tr` texts in the language of whoever uses the screen: the
/// technician's while diagnostics are open, the member's otherwise. Slint holds one
/// language for the whole window.
pub(crate) fn select_translation(window: &AppWindow) {
    let diag = window.global::<Diag>();
    let english = if diag.get_shown() {
        diag.get_english()
    } else {
        window.global::<Kiosk>().get_english()
    };
    let lang = if english {
        crate::domain::Lang::En
    } else {
        crate::domain::Lang::Id
    };
    if let Err(e) = slint::select_bundled_translation(lang.catalog()) {
        tracing::warn!(error = %e, "translation not selected");
    }
}

/// Forwards every adapter callback to `send` as a controller event.
///
/// `open-item` means different things on different pages; the page shown decides.
pub fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    let k = window.global::<Kiosk>();
    macro_rules! on {
        ($setter:ident, || $event:expr) => {{
            let send = send.clone();
            k.$setter(move || send($event));
        }};
        ($setter:ident, |$($arg:ident),*| $event:expr) => {{
            let send = send.clone();
            k.$setter(move |$($arg),*| send($event));
        }};
    }
    on!(on_tile, |t| Event::Tile(match t {
        Tile::Status => KioskTile::Status,
        Tile::Dues => KioskTile::Dues,
        Tile::Va => KioskTile::Va,
        Tile::Info => KioskTile::Info,
        Tile::Search => KioskTile::Search,
        Tile::ChangeFktp => KioskTile::ChangeFktp,
        Tile::ChangeKelas => KioskTile::ChangeKelas,
        Tile::Queue => KioskTile::Queue,
        Tile::Request => KioskTile::Request,
    }));
    on!(on_home, || Event::Home);
    on!(on_back, || Event::Back);
    on!(on_toggle_language, || Event::ToggleLang);
    on!(on_toggle_large_text, || Event::ToggleLargeText);
    on!(on_toggle_contrast, || Event::ToggleContrast);
    on!(on_still_here, || Event::StillHere);
    on!(on_choose_id_kind, |nik| Event::IdKind(if nik {
        IdKind::Nik
    } else {
        IdKind::Card
    }));
    on!(on_digit, |d| Event::Digit(d.chars().next().unwrap_or(' ')));
    on!(on_backspace, || Event::Backspace);
    on!(on_clear, || Event::Clear);
    on!(on_focus_dob, |dob| Event::FocusField(if dob {
        Field::BirthDate
    } else {
        Field::Id
    }));
    on!(on_submit, || Event::Submit);
    on!(on_key, |c| Event::Key(c.chars().next().unwrap_or(' ')));
    on!(on_set_filter, |f| Event::SearchFilter(match f {
        Filter::All => SearchFilter::All,
        Filter::Fktp => SearchFilter::Fktp,
        Filter::Hospital => SearchFilter::Hospital,
        Filter::Pharmacy => SearchFilter::Pharmacy,
        Filter::Optic => SearchFilter::Optic,
        Filter::Office => SearchFilter::Office,
    }));
    on!(on_open_result, |i| Event::OpenResult(index(i)));
    on!(on_open_item, |kind, i| match kind {
        ListKind::Services => Event::TakeTicket(index(i)),
        ListKind::Articles => Event::OpenArticle(index(i)),
        ListKind::Fktp => Event::ChooseFacility(index(i)),
        ListKind::Kelas => Event::ChooseKelas(u8::try_from(i + 1).unwrap_or(0)),
    });
    on!(on_print, || Event::Print);
    on!(on_done, || Event::Done);
    on!(on_confirm, || Event::Confirm);
    on!(on_toggle_priority, || Event::TogglePriority);
    on!(on_rate, |n| Event::Rate(n.clamp(0, 5) as u8));
    on!(on_member, |a| Event::Member(match a {
        MemberAction::Status => crate::kiosk::MemberAction::Status,
        MemberAction::Dues => crate::kiosk::MemberAction::Dues,
        MemberAction::Va => crate::kiosk::MemberAction::Va,
        MemberAction::ChangeFktp => crate::kiosk::MemberAction::ChangeFktp,
        MemberAction::ChangeKelas => crate::kiosk::MemberAction::ChangeKelas,
        MemberAction::Ticket => crate::kiosk::MemberAction::Ticket,
    }));
}

/// A list position from Slint; a negative one (never sent) matches no entry.
fn index(i: i32) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}
