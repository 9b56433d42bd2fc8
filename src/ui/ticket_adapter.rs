//! The queue ticket (`TicketAdapter`): its number, service, wait and checklist.

use slint::ComponentHandle;

use super::view::KioskView;
use super::{AppWindow, TicketAdapter, forward, model, s};
use crate::kiosk::Event;

pub(super) fn apply(window: &AppWindow, v: &KioskView) {
    let a = window.global::<TicketAdapter>();
    a.set_ticket_number(s(&v.ticket_number));
    a.set_ticket_service(s(&v.ticket_service));
    a.set_ticket_info(s(&v.ticket_info));
    a.set_ticket_documents(model(v.ticket_documents.iter().map(|d| s(d)).collect()));
    a.set_ticket_notes(model(v.ticket_notes.iter().map(|d| s(d)).collect()));
}

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<TicketAdapter>(), send, {
        on_print() => Event::Print,
        on_done() => Event::Done,
    });
}
