//! Membership status and dues derived from a family's bills.
//!
//! Owns the arrears rules of domain.md §4: which months count as unpaid, the cap on
//! billed arrears, and what reactivation costs. Bills come in as data; this module
//! neither fetches nor stores them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::YearMonth;
use super::codes::{Segment, Status, StoredStatus};
use super::rules::Rules;

/// One month's contribution for a family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bill {
    /// The month the contribution is for.
    pub period: YearMonth,
    /// Rupiah due for that month for the whole family.
    pub amount: i64,
    /// When it was paid; `None` while unpaid.
    pub paid_on: Option<NaiveDate>,
}

impl Bill {
    fn is_unpaid(&self) -> bool {
        self.paid_on.is_none()
    }
}

/// What a family owes, as shown on the dues screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dues {
    /// Unpaid bills for months before this one.
    pub unpaid_months: u32,
    /// Of those, how many are billed on reactivation (at most the rules' cap).
    pub billed_arrears_months: u32,
    /// Sum of the most recent `billed_arrears_months` unpaid past bills.
    pub arrears_amount: i64,
    /// This month's bill if it is unpaid, else 0.
    pub current_month_amount: i64,
    /// Arrears plus this month, when the status is TIDAK_AKTIF_MENUNGGAK; else 0.
    pub reactivation_amount: i64,
    /// The amount of the latest bill: what the family pays each month.
    pub monthly_amount: i64,
    /// The oldest unpaid past month.
    pub oldest_unpaid: Option<YearMonth>,
    /// Every unpaid past month, oldest first (one entry per unpaid bill).
    pub unpaid_periods: Vec<YearMonth>,
}

/// The status to show, from the stored status and the bills.
///
/// NON_AKTIF and MENINGGAL stand as stored. Otherwise a PBPU or BP family with any
/// unpaid bill for a month before today's is TIDAK_AKTIF_MENUNGGAK: a month unpaid at
/// its end suspends coverage from the 1st of the next month. Other segments do not
/// pay themselves, so bills never suspend them.
pub fn derive_status(
    stored: StoredStatus,
    segment: Segment,
    bills: &[Bill],
    today: NaiveDate,
) -> Status {
    match stored {
        StoredStatus::NonAktif => Status::NonAktif,
        StoredStatus::Meninggal => Status::Meninggal,
        StoredStatus::Aktif => {
            let this_month = YearMonth::of(today);
            let in_arrears = bills.iter().any(|b| b.is_unpaid() && b.period < this_month);
            if segment.member_pays() && in_arrears {
                Status::TidakAktifMenunggak
            } else {
                Status::Aktif
            }
        }
    }
}

/// Sums amounts without overflow; negative amounts are data errors and count as 0, so
/// a bad row can never make a family appear to owe less.
fn sum<'a>(bills: impl Iterator<Item = &'a Bill>) -> i64 {
    let total: i128 = bills.map(|b| i128::from(b.amount.max(0))).sum();
    i64::try_from(total).unwrap_or(i64::MAX)
}

/// The family's dues on `today` (see [`Dues`] for each field).
///
/// Bills may come in any order. Bills for months after today's are ignored for
/// arrears. Two bills for the same month are both counted, as given: deduplication
/// is the importer's job, and silently dropping one could hide a real debt.
pub fn compute_dues(bills: &[Bill], status: Status, today: NaiveDate, rules: &Rules) -> Dues {
    let this_month = YearMonth::of(today);

    let mut past_unpaid: Vec<&Bill> = bills
        .iter()
        .filter(|b| b.is_unpaid() && b.period < this_month)
        .collect();
    // Newest first, so the billed arrears are a prefix. Stable, so equal periods keep
    // input order.
    past_unpaid.sort_by_key(|b| std::cmp::Reverse(b.period));

    let unpaid_months = u32::try_from(past_unpaid.len()).unwrap_or(u32::MAX);
    let billed_arrears_months = unpaid_months.min(rules.arrears_max_billed_months);
    let arrears_amount = sum(past_unpaid
        .iter()
        .copied()
        .take(billed_arrears_months as usize));
    let current_month_amount = sum(bills
        .iter()
        .filter(|b| b.is_unpaid() && b.period == this_month));
    let reactivation_amount = if status == Status::TidakAktifMenunggak {
        arrears_amount.saturating_add(current_month_amount)
    } else {
        0
    };
    // On a tie for the latest period, the later-listed bill wins.
    let monthly_amount = bills
        .iter()
        .fold(None, |best: Option<&Bill>, b| match best {
            Some(x) if x.period > b.period => Some(x),
            _ => Some(b),
        })
        .map_or(0, |b| b.amount);

    let unpaid_periods: Vec<YearMonth> = past_unpaid.iter().rev().map(|b| b.period).collect();
    Dues {
        unpaid_months,
        billed_arrears_months,
        arrears_amount,
        current_month_amount,
        reactivation_amount,
        monthly_amount,
        oldest_unpaid: unpaid_periods.first().copied(),
        unpaid_periods,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ym(y: i32, m: u32) -> YearMonth {
        YearMonth::new(y, m).unwrap()
    }

    fn unpaid(period: YearMonth, amount: i64) -> Bill {
        Bill {
            period,
            amount,
            paid_on: None,
        }
    }

    fn paid(period: YearMonth, amount: i64) -> Bill {
        Bill {
            period,
            amount,
            paid_on: Some(period.first_day()),
        }
    }

    /// `n` unpaid bills for the `n` months before March 2026, newest first, where the
    /// k-th most recent month (k from 1) costs `1_000 * k`. Picking the wrong months
    /// changes the sum.
    fn arrears(n: u32) -> Vec<Bill> {
        let mut out = Vec::new();
        let mut p = ym(2026, 3);
        for k in 1..=n {
            p = p.pred();
            out.push(unpaid(p, 1_000 * i64::from(k)));
        }
        out
    }

    const TODAY: fn() -> NaiveDate = || d(2026, 3, 15);

    #[test]
    fn the_24_month_cap_bills_the_most_recent_months() {
        let rules = Rules::default();
        let table = [
            // (unpaid months, billed, arrears = 1000 * (1 + ... + billed))
            (0, 0, 0),
            (1, 1, 1_000),
            (23, 23, 276_000),
            (24, 24, 300_000),
            (25, 24, 300_000),
            (30, 24, 300_000),
        ];
        for (n, billed, amount) in table {
            let mut bills = arrears(n);
            // Order must not matter.
            bills.reverse();
            bills.push(unpaid(ym(2026, 3), 35_000));
            let dues = compute_dues(&bills, Status::TidakAktifMenunggak, TODAY(), &rules);
            assert_eq!(dues.unpaid_months, n, "n={n}");
            assert_eq!(dues.billed_arrears_months, billed, "n={n}");
            assert_eq!(dues.arrears_amount, amount, "n={n}");
            assert_eq!(dues.current_month_amount, 35_000);
            assert_eq!(dues.reactivation_amount, amount + 35_000, "n={n}");
            assert_eq!(dues.unpaid_periods.len(), n as usize);
            assert!(dues.unpaid_periods.windows(2).all(|w| w[0] <= w[1]));
            if n > 0 {
                assert_eq!(dues.oldest_unpaid, Some(ym(2026, 3).pred_n(n)));
            } else {
                assert_eq!(dues.oldest_unpaid, None);
            }
        }
    }

    trait PredN {
        fn pred_n(self, n: u32) -> Self;
    }
    impl PredN for YearMonth {
        fn pred_n(self, n: u32) -> Self {
            (0..n).fold(self, |p, _| p.pred())
        }
    }

    #[test]
    fn cap_follows_the_rules() {
        let rules = Rules {
            arrears_max_billed_months: 2,
            ..Rules::default()
        };
        let dues = compute_dues(&arrears(5), Status::TidakAktifMenunggak, TODAY(), &rules);
        assert_eq!(
            (dues.billed_arrears_months, dues.arrears_amount),
            (2, 3_000)
        );
    }

    #[test]
    fn current_and_future_months_are_not_arrears() {
        let bills = [
            unpaid(ym(2026, 2), 100_000),
            unpaid(ym(2026, 3), 100_000),
            unpaid(ym(2026, 4), 150_000),
            paid(ym(2026, 1), 100_000),
        ];
        let dues = compute_dues(
            &bills,
            Status::TidakAktifMenunggak,
            TODAY(),
            &Rules::default(),
        );
        assert_eq!(dues.unpaid_months, 1);
        assert_eq!(dues.arrears_amount, 100_000);
        assert_eq!(dues.current_month_amount, 100_000);
        assert_eq!(dues.reactivation_amount, 200_000);
        // The latest bill, April, sets the monthly amount.
        assert_eq!(dues.monthly_amount, 150_000);
        assert_eq!(dues.unpaid_periods, vec![ym(2026, 2)]);
    }

    #[test]
    fn reactivation_is_zero_unless_suspended() {
        let bills = arrears(3);
        for status in [Status::Aktif, Status::NonAktif, Status::Meninggal] {
            let dues = compute_dues(&bills, status, TODAY(), &Rules::default());
            assert_eq!(dues.reactivation_amount, 0, "{status}");
            assert_eq!(dues.arrears_amount, 6_000, "{status}");
        }
    }

    #[test]
    fn paid_current_month_and_no_bills() {
        let bills = [paid(ym(2026, 3), 35_000)];
        let dues = compute_dues(&bills, Status::Aktif, TODAY(), &Rules::default());
        assert_eq!(dues.current_month_amount, 0);
        assert_eq!(dues.monthly_amount, 35_000);
        let none = compute_dues(&[], Status::Aktif, TODAY(), &Rules::default());
        assert_eq!(
            none,
            Dues {
                unpaid_months: 0,
                billed_arrears_months: 0,
                arrears_amount: 0,
                current_month_amount: 0,
                reactivation_amount: 0,
                monthly_amount: 0,
                oldest_unpaid: None,
                unpaid_periods: vec![],
            }
        );
    }

    #[test]
    fn duplicate_periods_are_each_counted() {
        let bills = [
            unpaid(ym(2026, 1), 10),
            unpaid(ym(2026, 1), 20),
            unpaid(ym(2026, 3), 5),
        ];
        let dues = compute_dues(
            &bills,
            Status::TidakAktifMenunggak,
            TODAY(),
            &Rules::default(),
        );
        assert_eq!(dues.unpaid_months, 2);
        assert_eq!(dues.arrears_amount, 30);
        assert_eq!(dues.unpaid_periods, vec![ym(2026, 1), ym(2026, 1)]);
    }

    #[test]
    fn huge_and_negative_amounts_do_not_overflow_or_reduce_debt() {
        let bills = [
            unpaid(ym(2026, 1), i64::MAX),
            unpaid(ym(2026, 2), i64::MAX),
            unpaid(ym(2025, 12), -500),
            unpaid(ym(2026, 3), i64::MAX),
        ];
        let dues = compute_dues(
            &bills,
            Status::TidakAktifMenunggak,
            TODAY(),
            &Rules::default(),
        );
        assert_eq!(dues.arrears_amount, i64::MAX);
        assert_eq!(dues.reactivation_amount, i64::MAX);
    }

    #[test]
    fn status_derivation() {
        let late = [unpaid(ym(2026, 2), 35_000)];
        let only_current = [unpaid(ym(2026, 3), 35_000)];
        let table = [
            (
                StoredStatus::Aktif,
                Segment::Pbpu,
                &late[..],
                Status::TidakAktifMenunggak,
            ),
            (
                StoredStatus::Aktif,
                Segment::Bp,
                &late[..],
                Status::TidakAktifMenunggak,
            ),
            // This month is not overdue yet, even after the 10th: no late fee, no suspension.
            (
                StoredStatus::Aktif,
                Segment::Pbpu,
                &only_current[..],
                Status::Aktif,
            ),
            (StoredStatus::Aktif, Segment::Pbpu, &[][..], Status::Aktif),
            (
                StoredStatus::Aktif,
                Segment::PbiApbn,
                &late[..],
                Status::Aktif,
            ),
            (
                StoredStatus::Aktif,
                Segment::PpuBu,
                &late[..],
                Status::Aktif,
            ),
            (
                StoredStatus::NonAktif,
                Segment::Pbpu,
                &late[..],
                Status::NonAktif,
            ),
            (
                StoredStatus::Meninggal,
                Segment::Pbpu,
                &late[..],
                Status::Meninggal,
            ),
            (
                StoredStatus::NonAktif,
                Segment::PbiApbd,
                &[][..],
                Status::NonAktif,
            ),
        ];
        for (stored, seg, bills, want) in table {
            assert_eq!(
                derive_status(stored, seg, bills, TODAY()),
                want,
                "{stored} {seg}"
            );
        }
        // The month boundary: February unpaid is not arrears on 28 Feb, but is on 1 Mar.
        assert_eq!(
            derive_status(StoredStatus::Aktif, Segment::Pbpu, &late, d(2026, 2, 28)),
            Status::Aktif
        );
        assert_eq!(
            derive_status(StoredStatus::Aktif, Segment::Pbpu, &late, d(2026, 3, 1)),
            Status::TidakAktifMenunggak
        );
    }

    #[test]
    fn dues_serialize_with_periods_as_text() {
        let dues = compute_dues(
            &arrears(1),
            Status::TidakAktifMenunggak,
            TODAY(),
            &Rules::default(),
        );
        let json = serde_json::to_value(&dues).unwrap();
        assert_eq!(json["oldest_unpaid"], "2026-02");
        assert_eq!(json["unpaid_periods"][0], "2026-02");
    }
}

/// Months as the dues screen writes them in short ("Sep–Des"); speech reads them in full.
pub const MONTHS_SHORT_ID: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
];
pub const MONTHS_SHORT_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Unpaid months grouped by year, one line per year, runs of months joined:
/// `["2025: Sep–Des", "2026: Jan–Mar, Mei"]`. For screens and slips.
pub fn unpaid_months_by_year(periods: &[YearMonth], lang: super::Lang) -> Vec<String> {
    let names = match lang {
        super::Lang::Id => &MONTHS_SHORT_ID,
        super::Lang::En => &MONTHS_SHORT_EN,
    };
    let mut sorted: Vec<YearMonth> = periods.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut lines = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let year = sorted[i].year();
        let mut runs: Vec<String> = Vec::new();
        while i < sorted.len() && sorted[i].year() == year {
            let start = sorted[i].month();
            let mut end = start;
            while i + 1 < sorted.len()
                && sorted[i + 1].year() == year
                && sorted[i + 1].month() == end + 1
            {
                end += 1;
                i += 1;
            }
            i += 1;
            let name = |m: u32| names[(m - 1) as usize];
            runs.push(if end == start {
                name(start).to_owned()
            } else {
                format!("{}–{}", name(start), name(end))
            });
        }
        lines.push(format!("{year}: {}", runs.join(", ")));
    }
    lines
}

#[cfg(test)]
mod by_year_tests {
    use super::*;

    #[test]
    fn months_group_by_year_and_runs() {
        let ym = |y, m| YearMonth::new(y, m).unwrap();
        let periods = [
            ym(2026, 5),
            ym(2025, 9),
            ym(2025, 10),
            ym(2025, 11),
            ym(2025, 12),
            ym(2026, 1),
            ym(2026, 2),
            ym(2026, 3),
        ];
        assert_eq!(
            unpaid_months_by_year(&periods, super::super::Lang::Id),
            ["2025: Sep–Des", "2026: Jan–Mar, Mei"]
        );
        assert_eq!(
            unpaid_months_by_year(&[ym(2024, 8)], super::super::Lang::En),
            ["2024: Aug"]
        );
        assert!(unpaid_months_by_year(&[], super::super::Lang::En).is_empty());
    }
}
