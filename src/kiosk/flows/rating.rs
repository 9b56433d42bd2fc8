//! The anonymous 1–5 rating after a service, and the thank-you screen.

use super::Step;
use crate::kiosk::controller::{Controller, Event, Now, Screen};

impl Controller {
    /// Events on the rating and thank-you screens.
    pub(in crate::kiosk) fn on_rating(&mut self, screen: Screen, event: Event, now: Now) -> Step {
        let (screen, effects) = match (screen, event) {
            (Screen::Rating, Event::Rate(stars)) if (1..=5).contains(&stars) => {
                // Counted here, in the store the controller holds: a rating is no device.
                if let Err(e) = self.store.count_rating(now.today(), stars) {
                    tracing::warn!(error = %e, "rating not counted");
                }
                (Screen::Thanks, Vec::new())
            }
            (Screen::Rating, Event::Done) => (Screen::Thanks, Vec::new()),
            (Screen::Thanks, Event::Done) => {
                self.end_session(now);
                return Step::Moved(Vec::new());
            }
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }
}
