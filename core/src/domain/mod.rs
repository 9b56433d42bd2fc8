//! JKN domain rules: identifiers, codes, dues, penalties and eligibility.
//!
//! Everything here is a pure function of its inputs: "today" is always an argument,
//! policy numbers come in as [`Rules`] and [`TariffTable`] data, and money is `i64`
//! integer rupiah. This module must not touch the store, the network, the clock or
//! logging, so that every rule can be tested exactly.

pub mod calendar;
pub mod codes;
pub mod denda;
pub mod dues;
pub mod eligibility;
pub mod ids;
pub mod message;
pub mod money;
pub mod nik;
pub mod payer;
pub mod rehab;
pub mod rules;
pub mod tariff;
pub mod va;

pub use calendar::{DateFormatError, YearMonth, add_months, first_of_next_month, parse_date};
pub use codes::{
    Employer, FacilityType, Kelas, NonActiveReason, OfficeLevel, Relation, Segment, Sex, Status,
    StoredStatus, UnknownCode,
};
pub use denda::{DendaEstimate, denda_applies, estimate_denda};
pub use dues::{Bill, Dues, compute_dues, derive_status, unpaid_months_by_year};
pub use eligibility::{
    Eligibility, FacilityFacts, MemberFacts, PpuDues, Reason, fktp_change, kelas_change,
    new_family_monthly_amount, ppu_dues,
};
pub use ids::{CardNo, IdError, KkNo, mask_card, mask_kk, mask_name, mask_nik};
pub use message::{Bilingual, Explain, Lang};
pub use money::rupiah;
pub use nik::{NikError, NikInfo, compose_nik, parse_nik};
pub use payer::{PayGuidance, Payer, pay_guidance};
pub use rehab::{RehabPlan, rehab_plan};
pub use rules::{RuleError, RuleKey, RuleRow, Rules, RulesTable, parse_rule_key};
pub use tariff::{TariffError, TariffRow, TariffTable};
pub use va::{Bank, all_virtual_accounts, virtual_account};
