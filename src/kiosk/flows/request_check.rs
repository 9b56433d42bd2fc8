//! Checking a request's state by its reference, from this kiosk's outbox or the hub's
//! decisions.

use super::Step;
use crate::domain::{Bilingual, Explain};
use crate::kiosk::controller::{Controller, Event, Now, Screen};
use crate::services::request::{self};

impl Controller {
    /// Events on the request check screen.
    pub(in crate::kiosk) fn on_request_check(
        &mut self,
        screen: Screen,
        event: Event,
        _now: Now,
    ) -> Step {
        let (screen, effects) = match (screen, event) {
            (
                Screen::RequestCheck {
                    mut reference,
                    answer,
                },
                event,
            ) => match event {
                Event::Key(c)
                    if reference.len() < 24 && (c.is_ascii_alphanumeric() || c == '-') =>
                {
                    reference.push(c.to_ascii_uppercase());
                    (
                        Screen::RequestCheck {
                            reference,
                            answer: None,
                        },
                        Vec::new(),
                    )
                }
                Event::Backspace => {
                    reference.pop();
                    (
                        Screen::RequestCheck {
                            reference,
                            answer: None,
                        },
                        Vec::new(),
                    )
                }
                Event::Clear => (
                    Screen::RequestCheck {
                        reference: String::new(),
                        answer: None,
                    },
                    Vec::new(),
                ),
                Event::Submit => {
                    let answer = Some(self.request_state(&reference));
                    (Screen::RequestCheck { reference, answer }, Vec::new())
                }
                _ => (Screen::RequestCheck { reference, answer }, Vec::new()),
            },
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }

    pub(in crate::kiosk) fn request_state(&self, reference: &str) -> Bilingual {
        match request::request_status(&self.store, reference) {
            Ok(status) => status.message,
            Err(e) => e.explain(),
        }
    }
}
