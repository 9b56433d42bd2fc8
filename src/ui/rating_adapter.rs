//! The anonymous rating and the thank-you screen (`RatingAdapter`).

use slint::ComponentHandle;

use super::{AppWindow, RatingAdapter, forward};
use crate::kiosk::Event;

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<RatingAdapter>(), send, {
        on_rate(n) => Event::Rate(n.clamp(0, 5) as u8),
        on_done() => Event::Done,
    });
}
