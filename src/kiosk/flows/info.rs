//! Info JKN: the articles from the synced content.

use super::Step;
use crate::kiosk::controller::{Controller, Event, Now, Screen};

impl Controller {
    /// Events on the Info JKN menu and articles.
    pub(in crate::kiosk) fn on_info(&mut self, screen: Screen, event: Event, _now: Now) -> Step {
        let (screen, effects) = match (screen, event) {
            (Screen::InfoMenu, Event::OpenArticle(i)) if i < self.articles.len() => {
                (Screen::InfoArticle(i), Vec::new())
            }
            (Screen::InfoArticle(_), Event::Back) => (Screen::InfoMenu, Vec::new()),
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }
}
