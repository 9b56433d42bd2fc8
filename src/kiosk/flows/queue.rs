//! Queue tickets: the counter services with their documents, the priority lane, a number
//! from the dispenser.

use super::Step;
use crate::domain::Bilingual;
use crate::kiosk::controller::{Controller, Event, Now, Screen, printing};
use crate::kiosk::effects::{Effect, Issued, Slip, Ticket};

impl Controller {
    /// Events on the queue list and the ticket.
    pub(in crate::kiosk) fn on_queue(&mut self, screen: Screen, event: Event, _now: Now) -> Step {
        let (screen, effects) = match (screen, event) {
            (Screen::Queue { priority }, Event::TogglePriority) => (
                Screen::Queue {
                    priority: !priority,
                },
                Vec::new(),
            ),
            (Screen::Queue { priority }, Event::TakeTicket(i)) if i < self.services.len() => {
                let code = self.services[i].code.clone();
                (Screen::Queue { priority }, self.take_ticket(code, priority))
            }
            (Screen::QueueTicket(ticket), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Ticket((*ticket).clone());
                (
                    Screen::QueueTicket(ticket),
                    vec![Effect::Print(Box::new(slip))],
                )
            }
            (Screen::QueueTicket(_), Event::Done) => (Screen::Rating, Vec::new()),
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }

    /// Asks the dispenser for a number for `code`; a retry of the same choice reuses its
    /// request id, so the dispenser answers with the number it already gave.
    pub(in crate::kiosk) fn take_ticket(&mut self, code: String, priority: bool) -> Vec<Effect> {
        let request_id = match &self.pending_ticket {
            Some((c, p, id)) if *c == code && *p == priority => *id,
            _ => {
                self.next_request_id = self.next_request_id.wrapping_add(1);
                self.next_request_id
            }
        };
        self.pending_ticket = Some((code.clone(), priority, request_id));
        self.busy = Some(Bilingual::tr("Mengambil nomor antrean…"));
        vec![Effect::TakeTicket {
            service: code,
            priority,
            request_id,
        }]
    }

    /// The ticket for the number the dispenser issued to the pending request.
    pub(in crate::kiosk) fn ticket(&self, issued: Issued, now: Now) -> Option<Ticket> {
        let (code, priority, _) = self.pending_ticket.as_ref()?;
        let service = self.services.iter().find(|s| &s.code == code)?.clone();
        Some(Ticket {
            number: issued.number,
            wait_minutes: issued.ahead.saturating_mul(service.minutes),
            ahead: issued.ahead,
            priority: *priority,
            service,
            issued_at: now.local,
        })
    }
}
