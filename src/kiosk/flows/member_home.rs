//! The member home and its detail screens (status with the family, dues, VA): what one
//! identification answers, and printing it.

use super::Step;
use crate::domain::Explain;
use crate::kiosk::controller::{
    Controller, Event, Notice, Now, Purpose, Screen, printing, stale_notice,
};
use crate::kiosk::effects::{Effect, Slip};
use crate::services::member::{DuesView, StatusView, VaView};

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

impl Controller {
    /// Events on the member home and the status, dues and VA screens.
    pub(in crate::kiosk) fn on_member_home(
        &mut self,
        screen: Screen,
        event: Event,
        now: Now,
    ) -> Step {
        let (screen, effects) = match (screen, event) {
            (Screen::MemberHome(h), Event::Member(action)) => {
                return Step::Moved(self.member_action(*h, action, now));
            }
            (Screen::MemberHome(h), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Status(h.status.clone());
                (Screen::MemberHome(h), vec![Effect::Print(Box::new(slip))])
            }
            (Screen::MemberHome(_), Event::Done) => {
                self.clear_session();
                (Screen::Rating, Vec::new())
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
                self.clear_session();
                (Screen::Rating, Vec::new())
            }
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }

    /// The member home for the identified member.
    pub(in crate::kiosk) fn member_home(&mut self, now: Now) -> Vec<Effect> {
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

    pub(in crate::kiosk) fn member_action(
        &mut self,
        home: MemberHome,
        action: MemberAction,
        now: Now,
    ) -> Vec<Effect> {
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
}

/// The counter service that fits a member's status: reactivation (G) for arrears, a change
/// of segment (C) for a non-active member, a family change (D) for a deceased member, and
/// data changes (E) otherwise.
pub(in crate::kiosk) fn counter_for(status: &StatusView) -> Option<String> {
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
