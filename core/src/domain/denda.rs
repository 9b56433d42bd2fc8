//! Denda pelayanan: the inpatient penalty after reactivation (domain.md §4).
//!
//! Owns the estimate and the 45-day window. It only estimates: the real INA-CBG tariff
//! is known at the hospital, so the kiosk shows this as an illustration with its cap.

use chrono::NaiveDate;
use serde::Serialize;

use super::rules::Rules;

/// An estimated denda and how it was reached, so the screen can show the working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DendaEstimate {
    /// Months of arrears counted (at most `denda_max_months`).
    pub months_counted: u32,
    /// Rate per month, in basis points.
    pub rate_bp: u32,
    /// The amount before the cap.
    pub uncapped: i64,
    /// The amount due: `uncapped`, limited to the cap.
    pub amount: i64,
    /// Whether the cap limited it.
    pub capped: bool,
}

/// rate × INA-CBG tariff × months (counting at most `denda_max_months`), capped at
/// `denda_cap`. Rounds down to the rupiah. A negative tariff counts as 0.
pub fn estimate_denda(inacbg_tariff: i64, months_in_arrears: u32, rules: &Rules) -> DendaEstimate {
    let months_counted = months_in_arrears.min(rules.denda_max_months);
    let tariff = i128::from(inacbg_tariff.max(0));
    // i128 holds i64::MAX × u32::MAX × u32::MAX, so this cannot overflow.
    let raw = tariff * i128::from(rules.denda_rate_bp) * i128::from(months_counted) / 10_000;
    let uncapped = i64::try_from(raw).unwrap_or(i64::MAX);
    let cap = rules.denda_cap.max(0);
    DendaEstimate {
        months_counted,
        rate_bp: rules.denda_rate_bp,
        uncapped,
        amount: uncapped.min(cap),
        capped: uncapped > cap,
    }
}

/// Whether an inpatient stay starting on `inpatient_start` incurs the denda after
/// reactivation on `reactivated_on`.
///
/// The window is inclusive at both ends: from the reactivation day itself up to and
/// including `denda_window_days` days later (reactivated 1 March, window 45: the
/// denda applies to stays starting 1 March to 15 April). Counting generously errs on
/// the side of warning the member. A stay starting before reactivation is not in it.
pub fn denda_applies(reactivated_on: NaiveDate, inpatient_start: NaiveDate, rules: &Rules) -> bool {
    let days = inpatient_start
        .signed_duration_since(reactivated_on)
        .num_days();
    (0..=i64::from(rules.denda_window_days)).contains(&days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn estimates() {
        let r = Rules::default();
        let table = [
            // (tariff, months, counted, uncapped, amount, capped)
            (10_000_000, 1, 1, 500_000, 500_000, false),
            (10_000_000, 11, 11, 5_500_000, 5_500_000, false),
            (10_000_000, 12, 12, 6_000_000, 6_000_000, false),
            (10_000_000, 13, 12, 6_000_000, 6_000_000, false),
            (10_000_000, 24, 12, 6_000_000, 6_000_000, false),
            (10_000_000, 0, 0, 0, 0, false),
            // 5% × 50 000 000 × 12 = 30 000 000: exactly the cap is not "capped".
            (50_000_000, 12, 12, 30_000_000, 30_000_000, false),
            (50_000_001, 12, 12, 30_000_000, 30_000_000, false),
            (60_000_000, 12, 12, 36_000_000, 30_000_000, true),
            (100_000_000, 20, 12, 60_000_000, 30_000_000, true),
            // Rounds down: 5% × 12 345 × 1 = 617.25.
            (12_345, 1, 1, 617, 617, false),
            (-5_000_000, 6, 6, 0, 0, false),
            // i64::MAX × 0.6 still fits; i128 keeps the product exact.
            (
                i64::MAX,
                u32::MAX,
                12,
                5_534_023_222_112_865_484,
                30_000_000,
                true,
            ),
        ];
        for (tariff, months, counted, uncapped, amount, capped) in table {
            let e = estimate_denda(tariff, months, &r);
            assert_eq!(
                e,
                DendaEstimate {
                    months_counted: counted,
                    rate_bp: 500,
                    uncapped,
                    amount,
                    capped
                },
                "tariff {tariff}, months {months}"
            );
        }
    }

    #[test]
    fn cap_and_rate_come_from_the_rules() {
        let r = Rules {
            denda_cap: 20_000_000,
            denda_rate_bp: 250,
            ..Rules::default()
        };
        let e = estimate_denda(100_000_000, 12, &r);
        assert_eq!(
            (e.uncapped, e.amount, e.capped, e.rate_bp),
            (30_000_000, 20_000_000, true, 250)
        );
        let extreme = Rules {
            denda_rate_bp: u32::MAX,
            denda_max_months: u32::MAX,
            denda_cap: i64::MAX,
            ..Rules::default()
        };
        let e = estimate_denda(i64::MAX, u32::MAX, &extreme);
        assert_eq!((e.amount, e.capped), (i64::MAX, false));
    }

    #[test]
    fn window_boundaries() {
        let r = Rules::default();
        let re = d(2025, 3, 1);
        let table = [
            (d(2025, 2, 28), false),
            (d(2025, 3, 1), true),
            (d(2025, 3, 2), true),
            (d(2025, 4, 14), true),  // day 44
            (d(2025, 4, 15), true),  // day 45
            (d(2025, 4, 16), false), // day 46
            (d(2026, 3, 1), false),
        ];
        for (start, want) in table {
            assert_eq!(denda_applies(re, start, &r), want, "{start}");
        }
        assert!(!denda_applies(NaiveDate::MIN, NaiveDate::MAX, &r));
        assert!(!denda_applies(NaiveDate::MAX, NaiveDate::MIN, &r));
    }
}
