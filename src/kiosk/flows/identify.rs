//! Identification: the NIK or card number and the date of birth, checked as they are typed,
//! then looked up through the lockout; with a hub configured, a member this kiosk's data
//! does not know is asked for there.

use super::Step;
use crate::counters::Metric;
use crate::domain::{Bilingual, Explain};
use crate::kiosk::controller::{Controller, Event, Notice, Now, Purpose, Screen};
use crate::kiosk::effects::{Effect, LookedUp};
use crate::kiosk::identify::{Field, IdKind, IdentifyForm};
use crate::services::{IdentityKey, ServiceError};

impl Controller {
    /// Events on the identify screen.
    pub(in crate::kiosk) fn on_identify(&mut self, screen: Screen, event: Event, now: Now) -> Step {
        let today = now.today();
        let (screen, effects) = match (screen, event) {
            (
                Screen::Identify {
                    purpose, mut form, ..
                },
                event,
            ) => {
                let mut submit = false;
                match event {
                    Event::IdKind(kind) => form.set_kind(kind),
                    Event::Digit(d) => form.digit(d),
                    Event::Backspace => form.backspace(),
                    Event::Clear => form.clear(),
                    Event::FocusField(field) => form.field = field,
                    Event::Submit => submit = true,
                    Event::Back => {
                        self.go_home(now);
                        return Step::Moved(Vec::new());
                    }
                    _ => {}
                }
                let message = form
                    .id_problem_at(Some(today))
                    .or_else(|| form.birth_problem(today));
                if submit && message.is_none() {
                    return Step::Moved(self.identify(purpose, form, now));
                }
                let message = message.or_else(|| {
                    submit.then(|| {
                        Bilingual::tr(
                            "Lengkapi NIK atau nomor kartu dan tanggal lahir terlebih dahulu.",
                        )
                    })
                });
                (
                    Screen::Identify {
                        purpose,
                        form,
                        message,
                    },
                    Vec::new(),
                )
            }
            (screen, event) => return Step::Pass(screen, event),
        };
        Step::Show(screen, effects)
    }

    /// Looks the member up; a mismatch counts towards the lockout and says nothing about
    /// whether the identifier exists.
    pub(in crate::kiosk) fn identify(
        &mut self,
        purpose: Purpose,
        form: IdentifyForm,
        now: Now,
    ) -> Vec<Effect> {
        let today = now.today();
        let Some(identity) = form.identity(today) else {
            self.set_screen(
                Screen::Identify {
                    purpose,
                    form,
                    message: None,
                },
                now,
            );
            return Vec::new();
        };
        match self.lockout.identify(&self.store, &identity, self.utc(now)) {
            Ok(session) => {
                self.session = Some(session);
                self.show_result(purpose, now)
            }
            // Not in this kiosk's data: a member from another region is asked at the hub.
            Err(e @ (ServiceError::IdentityMismatch { .. } | ServiceError::NoData))
                if self.settings.hub_lookup =>
            {
                let attempts_left = match &e {
                    ServiceError::IdentityMismatch { attempts_left, .. } => *attempts_left,
                    _ => None,
                };
                let id = match &identity.key {
                    IdentityKey::Nik(n) | IdentityKey::Card(n) => n.clone(),
                };
                let birth_date = identity.birth_date.format("%Y-%m-%d").to_string();
                self.pending_lookup = Some(PendingLookup {
                    purpose,
                    form,
                    identity,
                    attempts_left,
                    local_error: matches!(e, ServiceError::NoData).then_some(e),
                });
                self.busy = Some(Bilingual::tr("Mencari data Anda di kantor pusat…"));
                vec![Effect::LookUp { id, birth_date }]
            }
            Err(e) => {
                self.identify_failed(purpose, form, &e, now);
                Vec::new()
            }
        }
    }

    /// The identify screen again, saying why, with the form as a retry needs it.
    fn identify_failed(
        &mut self,
        purpose: Purpose,
        form: IdentifyForm,
        e: &ServiceError,
        now: Now,
    ) {
        let mut form = form;
        match e {
            ServiceError::IdentityMismatch { offline, .. } => {
                tracing::info!("identification did not match");
                // Offline: the kiosk could not ask (or hold the answer), not a wrong date.
                if !offline {
                    self.tally(Metric::IdFailures, "", 1, now);
                }
                form.birth.clear();
                form.field = Field::BirthDate;
            }
            ServiceError::IdentityLocked { .. } => {
                // Nothing of the locked identifier stays on screen.
                tracing::info!("identification refused: identifier locked");
                self.tally(Metric::Lockouts, "", 1, now);
                form = IdentifyForm {
                    kind: form.kind,
                    ..IdentifyForm::default()
                };
            }
            _ => {
                tracing::warn!(code = e.code(), "identification failed");
                form.birth.clear();
                form.field = Field::BirthDate;
            }
        }
        self.set_screen(
            Screen::Identify {
                purpose,
                form,
                message: Some(e.explain()),
            },
            now,
        );
    }

    /// The hub's answer for the member being identified. A member found there is held for
    /// this visit in memory (TEMP tables on the store's connection), dropped when the
    /// session ends. Unreachable: the same mismatch a local typo gets, saying the kiosk is
    /// offline, so it reveals nothing of who is local.
    pub(in crate::kiosk) fn looked_up(&mut self, answer: LookedUp, now: Now) -> Vec<Effect> {
        let Some(p) = self.pending_lookup.take() else {
            // The visit ended while the hub was asked: nothing to answer.
            return Vec::new();
        };
        let error = match answer {
            LookedUp::Found(rows) => match crate::sync::lookup::visit(&mut self.store, &rows) {
                Ok(()) => {
                    self.visitor = true;
                    match self
                        .lockout
                        .identify(&self.store, &p.identity, self.utc(now))
                    {
                        Ok(session) => {
                            tracing::info!("member identified from the hub");
                            self.session = Some(session);
                            return self.show_result(p.purpose, now);
                        }
                        Err(e) => e,
                    }
                }
                Err(e) => {
                    tracing::warn!(code = e.code(), "the hub's answer could not be held");
                    ServiceError::IdentityMismatch {
                        attempts_left: p.attempts_left,
                        offline: true,
                    }
                }
            },
            LookedUp::Mismatch => ServiceError::IdentityMismatch {
                attempts_left: p.attempts_left,
                offline: false,
            },
            LookedUp::Locked(seconds_left) => ServiceError::IdentityLocked { seconds_left },
            LookedUp::Unreachable => p.local_error.unwrap_or(ServiceError::IdentityMismatch {
                attempts_left: p.attempts_left,
                offline: true,
            }),
        };
        self.clear_session();
        self.identify_failed(p.purpose, p.form, &error, now);
        Vec::new()
    }

    pub(in crate::kiosk) fn show_result(&mut self, purpose: Purpose, now: Now) -> Vec<Effect> {
        if self.session.is_none() {
            return Vec::new();
        }
        match purpose {
            // Status, dues and VA are one visit: the member home answers all three.
            Purpose::Status | Purpose::Dues | Purpose::Va => self.member_home(now),
            Purpose::ChangeFktp | Purpose::ChangeKelas => self.start_change(purpose, now),
        }
    }
}

impl Controller {
    /// A scan from the card scanner. On the home screen a JKN card number opens
    /// identification for the status with the card filled in; on the identify screen it
    /// fills the card field. Either way only the date of birth is left to type. Anything
    /// else gets a message that says what to scan.
    pub(in crate::kiosk) fn scanned(&mut self, line: Option<String>, now: Now) -> Vec<Effect> {
        let card = line
            .as_deref()
            .and_then(|l| crate::domain::CardNo::parse(l.trim()).ok());
        let Some(card) = card else {
            self.notice = Some(Notice {
                message: Bilingual::tr(
                    "Kode yang dipindai bukan nomor kartu JKN. Pindai barcode pada kartu JKN (KIS), atau ketik nomornya.",
                ),
                error: true,
            });
            return Vec::new();
        };
        let read = Notice {
            message: Bilingual::tr("Kartu terbaca. Ketik tanggal lahir Anda."),
            error: false,
        };
        let filled = |mut form: IdentifyForm| {
            form.set_kind(IdKind::Card);
            form.id = card.as_str().to_owned();
            form.field = Field::BirthDate;
            form
        };
        match std::mem::replace(&mut self.screen, Screen::Home) {
            Screen::Home => {
                self.set_screen(
                    Screen::Identify {
                        purpose: Purpose::Status,
                        form: filled(IdentifyForm::default()),
                        message: None,
                    },
                    now,
                );
                self.notice = Some(read);
            }
            Screen::Identify { purpose, form, .. } => {
                self.screen = Screen::Identify {
                    purpose,
                    form: filled(form),
                    message: None,
                };
                self.notice = Some(read);
            }
            // Elsewhere a member is busy with something: a scan does not take over.
            other => {
                self.screen = other;
                self.notice = Some(Notice {
                    message: Bilingual::tr(
                        "Untuk memakai kartu, kembali ke Beranda lalu pindai kartu Anda.",
                    ),
                    error: false,
                });
            }
        }
        Vec::new()
    }
}

/// An identification waiting for the hub.
#[derive(Debug)]
pub struct PendingLookup {
    pub(in crate::kiosk) purpose: Purpose,
    pub(in crate::kiosk) form: IdentifyForm,
    pub(in crate::kiosk) identity: crate::services::Identity,
    /// What the local lockout left for this identifier.
    pub(in crate::kiosk) attempts_left: Option<u32>,
    /// The local answer to give when no hub answers (no member data here yet).
    pub(in crate::kiosk) local_error: Option<ServiceError>,
}
