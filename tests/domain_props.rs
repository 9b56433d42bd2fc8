//! Property tests for the JKN domain rules: parsers and formatters are total, NIKs
//! round-trip, masks reveal only what they keep, and dues keep their invariants.

use anjungan::domain::calendar::YearMonth;
use anjungan::domain::codes::{Segment, Sex, Status, StoredStatus};
use anjungan::domain::dues::{Bill, compute_dues, derive_status};
use anjungan::domain::ids::{mask_card, mask_kk, mask_nik};
use anjungan::domain::money::rupiah;
use anjungan::domain::nik::{NikError, PROVINCE_CODES, compose_nik, parse_nik};
use anjungan::domain::rules::Rules;
use anjungan::domain::{denda, rehab};
use chrono::{Days, NaiveDate};
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..=2100, 1u32..=12, 1u32..=31)
        .prop_filter_map("real date", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

/// A masked identifier reveals nothing but its kept head and tail, and those only
/// from a well-formed input.
fn check_mask(input: &str, masked: &str, len: usize, head: usize, tail: usize) {
    let revealed: Vec<(usize, char)> = masked
        .chars()
        .enumerate()
        .filter(|&(_, c)| c != '*')
        .collect();
    let t = input.trim();
    let well_formed = t.len() == len && t.bytes().all(|b| b.is_ascii_digit());
    if well_formed {
        assert_eq!(masked.chars().count(), len);
        assert_eq!(revealed.len(), head + tail);
        for (i, c) in revealed {
            assert!(i < head || i >= len - tail, "position {i} revealed");
            assert_eq!(t.as_bytes()[i] as char, c);
        }
    } else {
        assert!(revealed.is_empty(), "{input:?} -> {masked:?}");
    }
}

proptest! {
    #[test]
    fn parse_nik_never_panics_on_any_text(s in any::<String>(), today in any_date()) {
        let _ = parse_nik(&s, today);
    }

    #[test]
    fn parse_nik_never_panics_on_16_digits(s in "[0-9]{16}", today in any_date()) {
        match parse_nik(&s, today) {
            Ok(info) => {
                prop_assert_eq!(&s[0..6], info.district_code.as_str());
                prop_assert!(info.serial >= 1);
            }
            Err(e) => {
                let shape_error = matches!(e, NikError::Length { .. } | NikError::NonDigit { .. });
                prop_assert!(!shape_error);
            }
        }
    }

    #[test]
    fn parse_nik_reports_char_length(s in "\\PC{0,24}") {
        if let Err(NikError::Length { len }) = parse_nik(&s, today()) {
            prop_assert_eq!(len, s.trim().chars().count());
        }
    }

    #[test]
    fn compose_then_parse_round_trips(
        province in prop::sample::select(PROVINCE_CODES),
        regency in 1u32..=99,
        district in 1u32..=99,
        days_back in 0u64..=35_000,
        female in any::<bool>(),
        serial in 1u16..=9999,
    ) {
        let today = today();
        let birth = today.checked_sub_days(Days::new(days_back)).unwrap();
        // Births before 1930 are out of range; a hundred-year-old two-digit year is
        // ambiguous by design.
        prop_assume!(birth >= NaiveDate::from_ymd_opt(1930, 1, 1).unwrap());
        let sex = if female { Sex::P } else { Sex::L };
        let rd = format!("{province}{regency:02}{district:02}");
        let nik = compose_nik(&rd, birth, sex, serial);
        prop_assert_eq!(nik.len(), 16);
        let info = parse_nik(&nik, today).unwrap();
        prop_assert_eq!(info.birth_date, birth);
        prop_assert_eq!(info.sex, sex);
        prop_assert_eq!(info.serial, serial);
        prop_assert_eq!(info.district_code, rd);
        prop_assert_eq!(info.province_code.as_str(), province);
    }

    #[test]
    fn masks_never_panic_or_over_reveal(s in any::<String>()) {
        check_mask(&s, &mask_nik(&s), 16, 4, 2);
        check_mask(&s, &mask_kk(&s), 16, 4, 2);
        check_mask(&s, &mask_card(&s), 13, 4, 4);
    }

    #[test]
    fn masks_on_well_formed_ids(nik in "[0-9]{16}", card in "[0-9]{13}") {
        check_mask(&nik, &mask_nik(&nik), 16, 4, 2);
        check_mask(&card, &mask_card(&card), 13, 4, 4);
    }

    #[test]
    fn rupiah_never_panics_and_keeps_the_digits(n in any::<i64>()) {
        let s = rupiah(n);
        let prefix = if n < 0 { "-Rp" } else { "Rp" };
        prop_assert!(s.starts_with(prefix));
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        prop_assert_eq!(digits, n.unsigned_abs().to_string());
    }

    #[test]
    fn dues_invariants(
        bills in prop::collection::vec(
            (0u32..=60, 0i64..=500_000, any::<bool>()),
            0..80,
        ),
        stored in prop::sample::select(StoredStatus::ALL),
        segment in prop::sample::select(Segment::ALL),
        cap in 0u32..=36,
    ) {
        let today = today();
        // Periods from 48 months before today's month to 12 after.
        let start = (0..48).fold(YearMonth::of(today), |p, _| p.pred());
        let bills: Vec<Bill> = bills
            .into_iter()
            .map(|(offset, amount, is_paid)| {
                let period = (0..offset).fold(start, |p, _| p.succ());
                Bill { period, amount, paid_on: is_paid.then_some(period.first_day()) }
            })
            .collect();
        let rules = Rules { arrears_max_billed_months: cap, ..Rules::default() };
        let status = derive_status(stored, segment, &bills, today);
        let dues = compute_dues(&bills, status, today, &rules);
        let this_month = YearMonth::of(today);
        let unpaid_past: Vec<&Bill> = bills
            .iter()
            .filter(|b| b.paid_on.is_none() && b.period < this_month)
            .collect();

        prop_assert!(dues.billed_arrears_months <= cap);
        prop_assert!(dues.billed_arrears_months <= dues.unpaid_months);
        prop_assert_eq!(dues.unpaid_months as usize, unpaid_past.len());
        let total_unpaid: i64 = unpaid_past.iter().map(|b| b.amount).sum();
        prop_assert!(dues.arrears_amount <= total_unpaid);
        prop_assert!(dues.arrears_amount >= 0);
        if dues.billed_arrears_months == dues.unpaid_months {
            prop_assert_eq!(dues.arrears_amount, total_unpaid);
        }
        if status == Status::TidakAktifMenunggak {
            prop_assert!(dues.reactivation_amount >= dues.arrears_amount);
            prop_assert_eq!(dues.reactivation_amount, dues.arrears_amount + dues.current_month_amount);
        } else {
            prop_assert_eq!(dues.reactivation_amount, 0);
        }
        prop_assert_eq!(dues.oldest_unpaid, unpaid_past.iter().map(|b| b.period).min());
        let sorted = dues.unpaid_periods.windows(2).all(|w| w[0] <= w[1]);
        prop_assert!(sorted);
        // Suspension follows the bills exactly for families that pay themselves.
        if stored == StoredStatus::Aktif && segment.member_pays() {
            prop_assert_eq!(status == Status::TidakAktifMenunggak, !unpaid_past.is_empty());
        }
    }

    #[test]
    fn denda_is_bounded(tariff in any::<i64>(), months in any::<u32>()) {
        let rules = Rules::default();
        let e = denda::estimate_denda(tariff, months, &rules);
        prop_assert!(e.amount >= 0 && e.amount <= rules.denda_cap);
        prop_assert!(e.amount <= e.uncapped);
        prop_assert!(e.months_counted <= rules.denda_max_months);
        prop_assert_eq!(e.capped, e.uncapped > rules.denda_cap);
    }

    #[test]
    fn rehab_instalments_sum_exactly(months in 0u32..=30, amount in any::<i64>()) {
        let rules = Rules::default();
        if let Some(p) = rehab::rehab_plan(Segment::Pbpu, months, amount, &rules) {
            prop_assert!(p.instalments >= 1 && p.instalments <= rules.rehab_max_instalments);
            prop_assert_eq!(p.total(), amount);
            prop_assert!(p.per_instalment >= 0 && p.last_instalment >= p.per_instalment);
        }
    }
}
