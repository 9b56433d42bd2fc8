//! What both changes share: the member-level check and refusals, taking a request into the
//! outbox, its receipt.

use super::Step;
use super::search::search_unavailable;
use crate::domain::{self, Bilingual, Explain, Kelas, Reason};
use crate::kiosk::controller::{Controller, Event, Notice, Now, Purpose, Screen, printing};
use crate::kiosk::effects::{Effect, RequestReceipt, Slip};
use crate::services::ServiceError;
use crate::services::member::ChangeView;
use crate::services::request::{self, Change};
use crate::store::{FacilityQuery, Point};

impl Controller {
    /// Events on the refusal and receipt screens.
    pub(in crate::kiosk) fn on_change(&mut self, screen: Screen, event: Event, _now: Now) -> Step {
        let (screen, effects) = match (screen, event) {
            (Screen::RequestDone(receipt), Event::Print) => {
                self.busy = Some(printing());
                let slip = Slip::Request((*receipt).clone());
                (
                    Screen::RequestDone(receipt),
                    vec![Effect::Print(Box::new(slip))],
                )
            }
            (Screen::RequestDone(_) | Screen::Refused { .. }, Event::Done) => {
                self.clear_session();
                (Screen::Rating, Vec::new())
            }
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }

    /// The member-level checks of a change, before a target is chosen; refuses with every
    /// reason or moves on to the choice.
    pub(in crate::kiosk) fn start_change(&mut self, purpose: Purpose, now: Now) -> Vec<Effect> {
        let today = now.today();
        let Some(session) = &self.session else {
            self.go_home(now);
            return Vec::new();
        };
        let screen = match purpose {
            Purpose::ChangeFktp => {
                let current = session.member.fktp_code.clone();
                match session.change_fktp(&self.store, &current, today) {
                    Ok(mut change) => {
                        keep_member_reasons(&mut change);
                        self.refuse_if_requested(&mut change, "FKTP");
                        if change.eligible {
                            let near = self.settings.location.or_else(|| {
                                session.fktp.as_ref().map(|f| Point {
                                    lat: f.lat,
                                    lon: f.lon,
                                })
                            });
                            // A member registers with a general FKTP; dentists are not
                            // offered as one.
                            let types = crate::domain::FacilityType::ALL
                                .iter()
                                .copied()
                                .filter(|t| {
                                    t.is_fktp() && *t != crate::domain::FacilityType::DokterGigi
                                })
                                .collect();
                            let found = self.store.search_facilities(&FacilityQuery {
                                near,
                                types,
                                open_fktp_only: true,
                                limit: FKTP_CHOICES + 1,
                                ..FacilityQuery::default()
                            });
                            match found {
                                Ok(found) => Screen::FktpChoose {
                                    options: found
                                        .into_iter()
                                        .filter(|f| f.code != current)
                                        .take(FKTP_CHOICES)
                                        .collect(),
                                },
                                // Not "no FKTP nearby": the choice could not be read.
                                Err(e) => {
                                    tracing::warn!(code = e.code(), "FKTP choices failed");
                                    self.notice = Some(Notice {
                                        message: search_unavailable(),
                                        error: true,
                                    });
                                    return self.member_home(now);
                                }
                            }
                        } else {
                            Screen::Refused {
                                purpose,
                                change: Box::new(change),
                            }
                        }
                    }
                    Err(e) => {
                        self.notice = Some(Notice {
                            message: e.explain(),
                            error: true,
                        });
                        Screen::Home
                    }
                }
            }
            _ => {
                let current = session.member.kelas;
                let mut change = session.change_kelas(current, today);
                keep_member_reasons(&mut change);
                self.refuse_if_requested(&mut change, "KELAS");
                if change.eligible {
                    let prices = [1u8, 2, 3].map(|k| {
                        Kelas::new(k)
                            .and_then(|k| session.change_kelas(k, today).new_family_monthly_amount)
                    });
                    Screen::KelasChoose { current, prices }
                } else {
                    Screen::Refused {
                        purpose,
                        change: Box::new(change),
                    }
                }
            }
        };
        self.set_screen(screen, now);
        Vec::new()
    }

    /// One request of a kind at a time: an eligible member who already has one (this
    /// kiosk's outbox, with the hub's decisions) is told its reference before choosing.
    pub(in crate::kiosk) fn refuse_if_requested(&self, change: &mut ChangeView, kind: &str) {
        let Some(session) = &self.session else {
            return;
        };
        if !change.eligible {
            return;
        }
        match request::existing_request(&self.store, session, kind, change.effective_date) {
            Ok(None) => {}
            Ok(Some(exists)) => {
                change.eligible = false;
                change.reasons.clear();
                change.earliest_date = None;
                change.messages = vec![exists.explain()];
            }
            Err(e) => tracing::warn!(code = e.code(), "open requests unreadable"),
        }
    }

    /// Takes the confirmed change into the outbox (committed durably before the member sees
    /// the reference), then prints its slip. A refusal (stale data, no longer eligible)
    /// stays on the confirmation with the reason.
    pub(in crate::kiosk) fn submit(
        &mut self,
        change: Change,
        what: Bilingual,
        screen: Screen,
        now: Now,
    ) -> Vec<Effect> {
        let utc = self.utc(now);
        let max_age = self.settings.max_data_age_hours;
        let Some(session) = self.session.as_ref() else {
            self.go_home(now);
            return Vec::new();
        };
        let view = match &screen {
            Screen::FktpConfirm { change, .. } | Screen::KelasConfirm { change } => {
                (**change).clone()
            }
            _ => {
                self.set_screen(screen, now);
                return Vec::new();
            }
        };
        match request::submit_change(&mut self.store, session, &change, now.today(), utc, max_age) {
            Ok(submitted) => {
                let receipt = RequestReceipt {
                    reference: submitted.reference,
                    kind: submitted.kind,
                    card_masked: domain::mask_card(&session.member.card_no),
                    what,
                    effective_date: submitted.effective_date,
                    change: view,
                };
                let slip = Slip::Request(receipt.clone());
                self.set_screen(Screen::RequestDone(Box::new(receipt)), now);
                self.busy = Some(printing());
                vec![Effect::Print(Box::new(slip))]
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "change request not taken");
                let message = match &e {
                    ServiceError::NotEligible(messages) => Bilingual {
                        id: messages
                            .iter()
                            .map(|m| m.id.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                        en: messages
                            .iter()
                            .map(|m| m.en.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                    },
                    other => other.explain(),
                };
                self.notice = Some(Notice {
                    message,
                    error: true,
                });
                self.set_screen(screen, now);
                Vec::new()
            }
        }
    }
}

/// Keeps the reasons that belong to the member, not to a chosen target.
pub(in crate::kiosk) fn keep_member_reasons(change: &mut ChangeView) {
    let target_only = [
        Reason::SameAsCurrent,
        Reason::UnknownFacility,
        Reason::NotFktp,
        Reason::FktpInactive,
        Reason::FktpFull,
    ];
    let keep: Vec<bool> = change
        .reasons
        .iter()
        .map(|r| !target_only.contains(r))
        .collect();
    let mut i = 0;
    change.reasons.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    let mut j = 0;
    change.messages.retain(|_| {
        j += 1;
        keep[j - 1]
    });
    change.eligible = change.reasons.is_empty();
}

/// FKTPs offered for a change.
pub(in crate::kiosk) const FKTP_CHOICES: usize = 12;
