//! Identifying a member and answering status, dues, VA and change-eligibility questions.
//!
//! [`MemberSession::identify`] loads everything one member's questions need (the member,
//! the family, the bills, the rules in force) once; each view is then a pure function of
//! that session and `today`. The UI drops the session to wipe the member's data.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::ServiceError;
use crate::domain::{
    self, Bilingual, Bill, CardNo, Dues, Eligibility, Explain, FacilityFacts, Kelas, MemberFacts,
    NonActiveReason, PayGuidance, Reason, RehabPlan, Relation, Rules, Segment, Status,
    StoredStatus, TariffTable,
};
use crate::store::{FacilityRecord, MemberRecord, Store};

/// What the member typed to say who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityKey {
    Nik(String),
    Card(String),
}

/// An identifier plus date of birth: what self-service channels ask for (domain.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub key: IdentityKey,
    pub birth_date: NaiveDate,
}

impl Identity {
    /// Checks the typed values' form before anything is looked up.
    pub fn parse(
        key: IdentityKey,
        birth_date: &str,
        today: NaiveDate,
    ) -> Result<Self, ServiceError> {
        let key = match key {
            IdentityKey::Nik(n) => {
                let n = n.trim().to_owned();
                domain::parse_nik(&n, today).map_err(ServiceError::InvalidNik)?;
                IdentityKey::Nik(n)
            }
            IdentityKey::Card(c) => IdentityKey::Card(
                CardNo::parse(c.trim())
                    .map_err(ServiceError::InvalidCard)?
                    .as_str()
                    .to_owned(),
            ),
        };
        let birth_date = domain::calendar::parse_date(birth_date.trim())
            .map_err(|_| ServiceError::InvalidDate)?;
        Ok(Self { key, birth_date })
    }
}

/// One identified member with what their questions need. Holds personal data: keep it only
/// for the member's session.
#[derive(Debug, Clone)]
pub struct MemberSession {
    pub member: MemberRecord,
    /// Everyone on the KK, head first, the member included.
    pub family: Vec<MemberRecord>,
    pub bills: Vec<Bill>,
    pub fktp: Option<FacilityRecord>,
    rules_table: domain::RulesTable,
    tariffs: TariffTable,
}

impl MemberSession {
    /// Finds the member and checks the date of birth.
    ///
    /// An unknown identifier and a wrong date of birth both give
    /// [`ServiceError::IdentityMismatch`], so the kiosk does not reveal who is a member.
    pub fn identify(store: &Store, identity: &Identity) -> Result<Self, ServiceError> {
        // The same queries run whether or not the identifier exists.
        if !store.has_members()? {
            return Err(ServiceError::NoData);
        }
        let found = match &identity.key {
            IdentityKey::Nik(n) => store.member_by_nik(n)?,
            IdentityKey::Card(c) => store.member_by_card(c)?,
        };
        let member = match found {
            Some(m) if m.birth_date == identity.birth_date => m,
            _ => {
                return Err(ServiceError::IdentityMismatch {
                    attempts_left: None,
                    offline: false,
                });
            }
        };
        let family = store.family(&member.kk_no)?;
        let bills = store.bills(&member.kk_no)?;
        let fktp = store.facility(&member.fktp_code)?;
        Ok(Self {
            member,
            family,
            bills,
            fktp,
            rules_table: store.rules()?,
            tariffs: store.tariffs()?,
        })
    }

    /// The rules in force on `today`.
    pub fn rules(&self, today: NaiveDate) -> Rules {
        self.rules_table.at(today)
    }

    /// A family member's name as shown to this member: their own in full, the others'
    /// partly masked (they did not identify themselves at this visit).
    fn family_name(&self, m: &MemberRecord) -> String {
        if m.card_no == self.member.card_no {
            m.name.clone()
        } else {
            domain::mask_name(&m.name)
        }
    }

    /// The family members who count: everyone on the KK who is not deceased.
    pub fn living_family(&self) -> impl Iterator<Item = &MemberRecord> {
        self.family
            .iter()
            .filter(|m| m.status != StoredStatus::Meninggal)
    }

    /// The member's status today, derived from the stored status and the family's bills.
    pub fn status_at(&self, today: NaiveDate) -> Status {
        domain::derive_status(self.member.status, self.member.segment, &self.bills, today)
    }

    /// What the member is told about paying: who pays, whether a VA applies, what to do.
    pub fn pay(&self, today: NaiveDate) -> PayGuidance {
        let rules = self.rules(today);
        let status = self.status_at(today);
        let dues = domain::compute_dues(&self.bills, status, today, &rules);
        self.with_reason(
            domain::pay_guidance(self.member.segment, status, &dues, today),
            status,
        )
    }

    /// The recorded reason of a NON_AKTIF member, when the dataset has one.
    fn non_active_reason(&self, status: Status) -> Option<NonActiveReason> {
        self.member
            .status_reason
            .filter(|_| status == Status::NonAktif)
    }

    /// A NON_AKTIF member with a recorded reason is told that reason's next step, not the
    /// segment's general one (domain.md §11).
    fn with_reason(&self, mut pay: PayGuidance, status: Status) -> PayGuidance {
        if let Some(reason) = self.non_active_reason(status) {
            pay.what_to_do = reason.next_step();
        }
        pay
    }

    /// The status screen.
    pub fn status(&self, today: NaiveDate) -> StatusView {
        let status = self.status_at(today);
        StatusView {
            status,
            explanation: match self.non_active_reason(status) {
                Some(reason) => reason.explain(),
                None => status.explain(),
            },
            reason: self.non_active_reason(status),
            pay: self.pay(today),
            segment: self.member.segment,
            segment_label: self.member.segment.label(),
            kelas: self.member.kelas,
            fktp_code: self.member.fktp_code.clone(),
            fktp_name: self.fktp.as_ref().map(|f| f.name.clone()),
            nik_masked: domain::mask_nik(&self.member.nik),
            card_masked: domain::mask_card(&self.member.card_no),
            name: self.member.name.clone(),
            family: self
                .family
                .iter()
                .map(|m| FamilyMemberView {
                    card_masked: domain::mask_card(&m.card_no),
                    name: self.family_name(m),
                    relation: m.relation,
                    status: domain::derive_status(m.status, m.segment, &self.bills, today),
                })
                .collect(),
        }
    }

    /// The dues screen.
    pub fn dues(&self, today: NaiveDate) -> DuesView {
        let rules = self.rules(today);
        let status = self.status_at(today);
        let dues = domain::compute_dues(&self.bills, status, today, &rules);
        let rehab = domain::rehab_plan(
            self.member.segment,
            dues.unpaid_months,
            dues.arrears_amount,
            &rules,
        );
        DuesView {
            status,
            pay: self.with_reason(
                domain::pay_guidance(self.member.segment, status, &dues, today),
                status,
            ),
            segment: self.member.segment,
            arrears_capped: dues.unpaid_months > dues.billed_arrears_months,
            employer_pays: self.member.segment.is_ppu(),
            card_masked: domain::mask_card(&self.member.card_no),
            dues,
            rehab,
            max_billed_months: rules.arrears_max_billed_months,
        }
    }

    /// The Virtual Account screen. The VA belongs to the family head, whoever asks, and is
    /// shown in full because the member needs it to pay (domain.md §8). A family that does
    /// not pay itself (PBI, PPU) is told who pays, and shown no number to pay into.
    pub fn virtual_accounts(&self, today: NaiveDate) -> Result<VaView, ServiceError> {
        let pay = self.pay(today);
        // Exactly one head, or the VA could name an account nobody pays into.
        let mut heads = self
            .family
            .iter()
            .filter(|m| m.relation == Relation::Peserta);
        let (Some(head), None) = (heads.next(), heads.next()) else {
            return Err(ServiceError::NoFamilyHead);
        };
        let card = CardNo::parse(&head.card_no).map_err(ServiceError::InvalidCard)?;
        Ok(VaView {
            va: if pay.uses_va {
                domain::all_virtual_accounts(&card)
                    .into_iter()
                    .map(|(bank, va)| (bank.name().to_owned(), va))
                    .collect()
            } else {
                BTreeMap::new()
            },
            pay,
            head_card_masked: domain::mask_card(&head.card_no),
            head_name: self.family_name(head),
        })
    }

    fn facts(&self, today: NaiveDate) -> MemberFacts {
        MemberFacts {
            segment: self.member.segment,
            employer: self.member.employer,
            status: self.status_at(today),
            fktp_code: self.member.fktp_code.clone(),
            fktp_since: self.member.fktp_since,
            kelas: self.member.kelas,
            kelas_since: self.member.kelas_since,
        }
    }

    /// Whether the member may move to the FKTP `to`, looked up in `store`.
    pub fn change_fktp(
        &self,
        store: &Store,
        to: &str,
        today: NaiveDate,
    ) -> Result<ChangeView, ServiceError> {
        let target = store.facility(to)?;
        let facts = target.as_ref().map(|f| FacilityFacts {
            code: f.code.clone(),
            facility_type: f.facility_type,
            active: f.active,
            capacity: f.capacity,
            members: f.members,
        });
        let rules = self.rules(today);
        let e = domain::fktp_change(&self.facts(today), to, facts.as_ref(), today, &rules);
        let mut view = ChangeView::new(
            e,
            &rules,
            domain::eligibility::segment_refusal(self.member.segment, self.member.employer, false),
            self.member.fktp_code.clone(),
            to.trim().to_owned(),
            None,
            Vec::new(),
        );
        view.from_name = self.fktp.as_ref().map(|f| f.name.clone());
        view.to_name = target.map(|f| f.name);
        Ok(view)
    }

    /// Whether the member's family may move to kelas `to`, and what it would then cost.
    pub fn change_kelas(&self, to: Kelas, today: NaiveDate) -> ChangeView {
        let rules = self.rules(today);
        let status = self.status_at(today);
        let has_arrears =
            domain::compute_dues(&self.bills, status, today, &rules).unpaid_months > 0;
        let e = domain::kelas_change(&self.facts(today), to, has_arrears, today, &rules);
        let family: Vec<FamilyMemberView> = self
            .living_family()
            .map(|m| FamilyMemberView {
                card_masked: domain::mask_card(&m.card_no),
                name: self.family_name(m),
                relation: m.relation,
                status: domain::derive_status(m.status, m.segment, &self.bills, today),
            })
            .collect();
        let amount = domain::new_family_monthly_amount(
            &self.tariffs,
            self.member.segment,
            to,
            family.len() as u32,
            e.effective_date,
        );
        let mut view = ChangeView::new(
            e,
            &rules,
            domain::eligibility::segment_refusal(self.member.segment, self.member.employer, true),
            self.member.kelas.get().to_string(),
            to.get().to_string(),
            amount,
            family,
        );
        view.current_family_monthly_amount = domain::new_family_monthly_amount(
            &self.tariffs,
            self.member.segment,
            self.member.kelas,
            view.family.len() as u32,
            today,
        );
        view
    }
}

/// One person on the KK, as the status and kelas screens list them.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyMemberView {
    pub card_masked: String,
    pub name: String,
    pub relation: Relation,
    pub status: Status,
}

/// The status screen's content.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub status: Status,
    /// What the status means and what to do next.
    pub explanation: Bilingual,
    /// Why a NON_AKTIF member is not active, when the dataset records it (`explanation` then
    /// says that reason, and `pay.what_to_do` its next step).
    pub reason: Option<NonActiveReason>,
    /// Who pays, and what to do about paying (with the amount, when there is one).
    pub pay: PayGuidance,
    pub segment: Segment,
    pub segment_label: Bilingual,
    pub kelas: Kelas,
    pub fktp_code: String,
    pub fktp_name: Option<String>,
    pub nik_masked: String,
    pub card_masked: String,
    pub name: String,
    pub family: Vec<FamilyMemberView>,
}

/// The dues screen's content.
#[derive(Debug, Clone, Serialize)]
pub struct DuesView {
    pub status: Status,
    /// Who pays, and what to do about paying.
    pub pay: PayGuidance,
    pub segment: Segment,
    pub card_masked: String,
    #[serde(flatten)]
    pub dues: Dues,
    /// More months are unpaid than are billed: the rest are waived by the 24-month cap.
    pub arrears_capped: bool,
    pub max_billed_months: u32,
    /// PPU dues are the employer's to pay; shown for information only.
    pub employer_pays: bool,
    /// An instalment plan the member could register for, if eligible.
    pub rehab: Option<RehabPlan>,
}

/// The VA screen's content.
#[derive(Debug, Clone, Serialize)]
pub struct VaView {
    /// Bank name → 16-digit VA number; empty when the family does not pay itself.
    pub va: BTreeMap<String, String>,
    /// Who pays; `uses_va` false means the VA does not apply to this family.
    pub pay: PayGuidance,
    pub head_card_masked: String,
    pub head_name: String,
}

/// The answer to "may I change my FKTP / kelas?".
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub eligible: bool,
    pub reasons: Vec<Reason>,
    /// One explanation per reason, in the same order.
    pub messages: Vec<Bilingual>,
    pub effective_date: NaiveDate,
    pub earliest_date: Option<NaiveDate>,
    pub from: String,
    pub to: String,
    /// The names behind `from` and `to` (FKTP names), shown with the code small.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_name: Option<String>,
    /// For a kelas change: the family's monthly dues after the change (`null` when no
    /// member-paid tariff applies, and for an FKTP change).
    pub new_family_monthly_amount: Option<i64>,
    /// For a kelas change: the family's monthly dues now, beside the new total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_family_monthly_amount: Option<i64>,
    /// For a kelas change: everyone it applies to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub family: Vec<FamilyMemberView>,
}

impl ChangeView {
    /// The answer as the member sees it: only the reasons that apply to them, and an
    /// earliest date only when waiting helps. A segment that may not make the change at a
    /// kiosk at all makes every other reason moot (no waiting period, no "paling cepat"):
    /// it is the one reason given, in the member's own words (`segment_message`).
    fn new(
        e: Eligibility,
        rules: &Rules,
        segment_message: Bilingual,
        from: String,
        to: String,
        new_family_monthly_amount: Option<i64>,
        family: Vec<FamilyMemberView>,
    ) -> Self {
        let (reasons, earliest_date) = if e.reasons.contains(&Reason::SegmentNotAllowed) {
            (vec![Reason::SegmentNotAllowed], None)
        } else {
            (e.reasons, e.earliest_date)
        };
        Self {
            eligible: e.eligible,
            messages: reasons
                .iter()
                .map(|r| match r {
                    Reason::SegmentNotAllowed => segment_message.clone(),
                    other => other.explain_at(rules, earliest_date),
                })
                .collect(),
            reasons,
            effective_date: e.effective_date,
            earliest_date,
            from,
            to,
            from_name: None,
            to_name: None,
            current_family_monthly_amount: None,
            new_family_monthly_amount,
            family,
        }
    }
}
