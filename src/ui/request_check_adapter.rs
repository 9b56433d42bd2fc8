//! Checking a request (`RequestCheckAdapter`): the reference typed so far, and its state.

use slint::ComponentHandle;

use super::view::KioskView;
use super::{AppWindow, RequestCheckAdapter, forward, s};
use crate::kiosk::Event;

pub(super) fn apply(window: &AppWindow, v: &KioskView) {
    let a = window.global::<RequestCheckAdapter>();
    a.set_reference_text(s(&v.reference_text));
    a.set_reference_answer(s(&v.reference_answer));
}

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<RequestCheckAdapter>(), send, {
        on_key(c) => Event::Key(c.chars().next().unwrap_or(' ')),
        on_backspace() => Event::Backspace,
        on_clear() => Event::Clear,
        on_submit() => Event::Submit,
    });
}
