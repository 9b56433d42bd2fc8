//! The Slint skin over the kiosk controller.
//!
//! `ui/*.slint` declares the window, the shell's `Kiosk` global and one adapter global per
//! view (`HomeAdapter`, `IdentifyAdapter`, …, each in its view's file). This module and its
//! `*_adapter` modules copy a rendered [`view::KioskView`] into them ([`apply`]) and turn
//! their callbacks into controller [`Event`]s ([`connect`]). They hold no state of their own.

pub mod devices;
pub mod diag;
pub mod focus;
mod home_adapter;
mod identify_adapter;
mod list_adapter;
pub mod probe;
pub mod qr;
mod rating_adapter;
mod request_check_adapter;
mod result_adapter;
pub mod runtime;
mod search_adapter;
pub mod speech;
mod ticket_adapter;
pub mod view;
pub mod watchdog;

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::kiosk::Event;
use view::{KioskView, PageKind};

slint::include_modules!();

/// Copies the rendered view into the window: the shell's `Kiosk` global and theme here,
/// each view's adapter global in its `*_adapter` module.
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
    k.set_english(v.english);
    select_translation(window);
    k.set_page_title(s(&v.page_title));
    k.set_kiosk_name(s(&v.kiosk_name));
    k.set_data_as_of(s(&v.data_as_of));
    k.set_data_stale(v.data_stale);
    k.set_sample_data(v.sample_data);
    k.set_notice(s(&v.notice));
    k.set_notice_error(v.notice_error);
    k.set_busy(s(&v.busy));
    k.set_countdown(v.countdown);
    // The ring shows once the member uses keys; a touch-only visit never sees it.
    k.set_focus(s(if v.keys_used { &v.focus_id } else { "" }));
    identify_adapter::apply(window, v);
    result_adapter::apply(window, v);
    list_adapter::apply(window, v);
    search_adapter::apply(window, v);
    ticket_adapter::apply(window, v);
    request_check_adapter::apply(window, v);
}

/// A physical key as Slint names it, for the controller; `None` for keys it does not use.
pub fn press(text: &str) -> Option<crate::kiosk::Press> {
    use crate::kiosk::Press;
    use slint::platform::Key;
    let is = |k: Key| text == SharedString::from(k).as_str();
    let mut chars = text.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return None;
    };
    Some(if c.is_ascii_digit() {
        Press::Digit(c)
    } else if c.is_ascii_alphabetic() || c == ' ' || c == '-' {
        Press::Letter(c)
    } else if is(Key::Return) || c == '\r' {
        Press::Enter
    } else if is(Key::Escape) {
        Press::Escape
    } else if is(Key::Backspace) || is(Key::Delete) {
        Press::Backspace
    } else if is(Key::F1) {
        Press::Help
    } else if is(Key::DownArrow) || is(Key::RightArrow) || is(Key::Tab) {
        Press::Next
    } else if is(Key::UpArrow) || is(Key::LeftArrow) || is(Key::Backtab) {
        Press::Prev
    } else if is(Key::F2) {
        Press::VolumeDown
    } else if is(Key::F3) {
        Press::VolumeUp
    } else if is(Key::F4) {
        Press::Speech
    } else {
        return None;
    })
}

fn s(x: &str) -> SharedString {
    SharedString::from(x)
}

/// A Slint list model of `items`.
fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::from(Rc::new(VecModel::from(items)))
}

/// Forwards `$event` for each `$setter` callback of a global to `$send`.
macro_rules! forward {
    ($global:expr, $send:expr, { $($setter:ident ($($arg:ident),*) => $event:expr),* $(,)? }) => {{
        let g = $global;
        $(
            let send = $send.clone();
            g.$setter(move |$($arg),*| send($event));
        )*
    }};
}
pub(crate) use forward;

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
    // Selecting re-evaluates every `@tr` in the window: only when the language changes,
    // not at every render.
    if SELECTED.get() == Some(lang) {
        return;
    }
    match slint::select_bundled_translation(lang.catalog()) {
        Ok(()) => SELECTED.set(Some(lang)),
        Err(e) => tracing::warn!(error = %e, "translation not selected"),
    }
}

thread_local! {
    /// The language last selected for this thread's windows (Slint keeps one per thread).
    static SELECTED: std::cell::Cell<Option<crate::domain::Lang>> =
        const { std::cell::Cell::new(None) };
}

/// Forwards every adapter callback to `send` as a controller event: the shell's here,
/// each view's in its `*_adapter` module.
pub fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<Kiosk>(), send, {
        on_home() => Event::Home,
        on_back() => Event::Back,
        on_toggle_language() => Event::ToggleLang,
        on_toggle_large_text() => Event::ToggleLargeText,
        on_toggle_contrast() => Event::ToggleContrast,
        on_still_here() => Event::StillHere,
    });
    let keys = send.clone();
    window.global::<Kiosk>().on_key_pressed(move |text| {
        if let Some(press) = press(&text) {
            keys(Event::Physical(press));
        }
    });
    home_adapter::connect(window, send.clone());
    identify_adapter::connect(window, send.clone());
    result_adapter::connect(window, send.clone());
    list_adapter::connect(window, send.clone());
    search_adapter::connect(window, send.clone());
    ticket_adapter::connect(window, send.clone());
    request_check_adapter::connect(window, send.clone());
    rating_adapter::connect(window, send);
}
