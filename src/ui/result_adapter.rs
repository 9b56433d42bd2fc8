//! Results (`ResultAdapter`: status, dues, VA, a place, a refusal, a confirmation, a
//! receipt) and the member home's buttons (`MemberHomeAdapter`), whose summary is a result.

use slint::ComponentHandle;

use super::view::{KioskView, ToneKind};
use super::{
    AppWindow, MemberAction, MemberHomeAdapter, ResultAdapter, Row, Tone, forward, model, qr_image,
    s,
};
use crate::kiosk::Event;

pub(super) fn apply(window: &AppWindow, v: &KioskView) {
    let a = window.global::<ResultAdapter>();
    a.set_tone(match v.tone {
        ToneKind::Neutral => Tone::Neutral,
        ToneKind::Ok => Tone::Ok,
        ToneKind::Warn => Tone::Warn,
        ToneKind::Bad => Tone::Bad,
    });
    a.set_result_heading(s(&v.result_heading));
    a.set_result_text(s(&v.result_text));
    a.set_rows(model(
        v.rows
            .iter()
            .map(|r| Row {
                label: s(&r.label),
                value: s(&r.value),
                strong: r.strong,
            })
            .collect(),
    ));
    a.set_result_note(s(&v.result_note));
    a.set_can_print(v.can_print);
    a.set_qr_caption(s(&v.qr_caption));
    a.set_qr(qr_image(&v.qr_text));
    a.set_can_confirm(v.can_confirm);
    a.set_confirm_label(s(&v.confirm_label));
    let m = window.global::<MemberHomeAdapter>();
    m.set_member_va(v.member_va);
    m.set_member_ticket(s(&v.member_ticket));
}

pub(super) fn connect(window: &AppWindow, send: impl Fn(Event) + Clone + 'static) {
    forward!(window.global::<ResultAdapter>(), send, {
        on_print() => Event::Print,
        on_done() => Event::Done,
        on_confirm() => Event::Confirm,
    });
    forward!(window.global::<MemberHomeAdapter>(), send, {
        on_print() => Event::Print,
        on_done() => Event::Done,
        on_member(a) => Event::Member(match a {
            MemberAction::Status => crate::kiosk::MemberAction::Status,
            MemberAction::Dues => crate::kiosk::MemberAction::Dues,
            MemberAction::Va => crate::kiosk::MemberAction::Va,
            MemberAction::ChangeFktp => crate::kiosk::MemberAction::ChangeFktp,
            MemberAction::ChangeKelas => crate::kiosk::MemberAction::ChangeKelas,
            MemberAction::Ticket => crate::kiosk::MemberAction::Ticket,
        }),
    });
}
