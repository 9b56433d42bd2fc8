//! Changing FKTP: nearby open FKTPs, the confirmation with its effective date.

use super::Step;
use crate::domain::{Bilingual, Explain};
use crate::kiosk::controller::{Controller, Event, Notice, Now, Purpose, Screen};
use crate::kiosk::effects::Effect;
use crate::services::request::Change;
use crate::store::FacilityRecord;

impl Controller {
    /// Events on the FKTP choice and confirmation.
    pub(in crate::kiosk) fn on_change_fktp(
        &mut self,
        screen: Screen,
        event: Event,
        now: Now,
    ) -> Step {
        // Every event here moves on to another screen or flow.
        match (screen, event) {
            (Screen::FktpChoose { options }, Event::ChooseFacility(i)) if i < options.len() => {
                Step::Moved(self.choose_fktp(options, i, now))
            }
            (Screen::FktpConfirm { target, change }, Event::Confirm) => {
                let what = Bilingual::tr_with(
                    "Pindah FKTP ke {0} ({1})",
                    &[("0", &target.name), ("1", &target.code)],
                );
                let request = Change::Fktp(target.code.clone());
                Step::Moved(self.submit(request, what, Screen::FktpConfirm { target, change }, now))
            }
            // Batal: nothing is requested; back to the member home.
            (Screen::FktpConfirm { .. }, Event::Done) => Step::Moved(self.member_home(now)),
            (Screen::FktpConfirm { .. }, Event::Back) => {
                Step::Moved(self.start_change(Purpose::ChangeFktp, now))
            }
            (screen, event) => Step::Pass(screen, event),
        }
    }

    pub(in crate::kiosk) fn choose_fktp(
        &mut self,
        options: Vec<FacilityRecord>,
        i: usize,
        now: Now,
    ) -> Vec<Effect> {
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
}
