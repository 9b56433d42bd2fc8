//! Changing kelas for the whole family: the choice with its prices, the confirmation with
//! the family total.

use super::Step;
use crate::domain::{Bilingual, Kelas};
use crate::kiosk::controller::{Controller, Event, Now, Purpose, Screen};
use crate::services::request::Change;

impl Controller {
    /// Events on the kelas choice and confirmation.
    pub(in crate::kiosk) fn on_change_kelas(
        &mut self,
        screen: Screen,
        event: Event,
        now: Now,
    ) -> Step {
        let today = now.today();
        let (screen, effects) = match (screen, event) {
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
                    return Step::Moved(self.submit(
                        Change::Kelas(to),
                        what,
                        Screen::KelasConfirm { change },
                        now,
                    ));
                }
                Err(_) => (Screen::KelasConfirm { change }, Vec::new()),
            },
            // Batal: nothing is requested; back to the member home.
            (Screen::KelasConfirm { .. }, Event::Done) => {
                return Step::Moved(self.member_home(now));
            }
            (Screen::KelasConfirm { .. }, Event::Back) => {
                return Step::Moved(self.start_change(Purpose::ChangeKelas, now));
            }
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }
}
