//! The identify screen (`IdentifyAdapter`): the number and date of birth typed so far.

use slint::ComponentHandle;

use super::view::KioskView;
use super::{AppWindow, IdentifyAdapter, forward, s};
use crate::kiosk::{Event, Field, IdKind};

pub(super) fn apply(window: &AppWindow, v: &KioskView) {
    let a = window.global::<IdentifyAdapter>();
    a.set_id_is_nik(v.id_is_nik);
    a.set_id_text(s(&v.id_text));
    a.set_dob_text(s(&v.dob_text));
    a.set_dob_focused(v.dob_focused);
    a.set_id_message(s(&v.id_message));
    a.set_id_ready(v.id_ready);
}

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<IdentifyAdapter>(), send, {
        on_choose_id_kind(nik) => Event::IdKind(if nik { IdKind::Nik } else { IdKind::Card }),
        on_digit(d) => Event::Digit(d.chars().next().unwrap_or(' ')),
        on_backspace() => Event::Backspace,
        on_clear() => Event::Clear,
        on_focus_dob(dob) => Event::FocusField(if dob { Field::BirthDate } else { Field::Id }),
        on_submit() => Event::Submit,
    });
}
