//! REHAB (Rencana Pembayaran Bertahap): paying arrears in instalments.
//!
//! Owns who qualifies and how an arrears amount splits into instalments. The kiosk
//! explains and estimates only; enrolment happens through Mobile JKN or a counter.

use serde::Serialize;

use super::codes::Segment;
use super::rules::Rules;

/// An estimated instalment plan. `per_instalment × (instalments − 1) + last_instalment`
/// is exactly the arrears amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RehabPlan {
    /// Number of monthly instalments.
    pub instalments: u32,
    /// Each instalment but the last.
    pub per_instalment: i64,
    /// The last instalment, which also carries the rounding remainder (less than
    /// `instalments` rupiah more than the others).
    pub last_instalment: i64,
}

impl RehabPlan {
    /// The sum of all instalments.
    pub fn total(&self) -> i64 {
        let others =
            i128::from(self.per_instalment) * i128::from(self.instalments.saturating_sub(1));
        i64::try_from(others + i128::from(self.last_instalment)).unwrap_or(i64::MAX)
    }
}

/// A REHAB estimate, when the family qualifies.
///
/// Only PBPU and BP families with `rehab_min_months..=rehab_max_months` months of
/// arrears and a positive amount qualify. The number of instalments is one per month
/// of arrears, at most `rehab_max_instalments`: a member never pays off arrears
/// slower than they accrued, which keeps 4 months of arrears at 4 instalments and
/// 24 months at 12.
pub fn rehab_plan(
    segment: Segment,
    arrears_months: u32,
    arrears_amount: i64,
    rules: &Rules,
) -> Option<RehabPlan> {
    let eligible = segment.member_pays()
        && (rules.rehab_min_months..=rules.rehab_max_months).contains(&arrears_months)
        && arrears_amount > 0;
    if !eligible {
        return None;
    }
    let instalments = arrears_months.min(rules.rehab_max_instalments).max(1);
    let n = i64::from(instalments);
    let per_instalment = arrears_amount / n;
    // per × (n − 1) ≤ amount, so this cannot overflow.
    let last_instalment = arrears_amount - per_instalment * (n - 1);
    Some(RehabPlan {
        instalments,
        per_instalment,
        last_instalment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_qualifies() {
        let r = Rules::default();
        let table = [
            (Segment::Pbpu, 3, false),
            (Segment::Pbpu, 4, true),
            (Segment::Pbpu, 24, true),
            (Segment::Pbpu, 25, false),
            (Segment::Bp, 10, true),
            (Segment::PbiApbn, 10, false),
            (Segment::PbiApbd, 10, false),
            (Segment::PpuBu, 10, false),
            (Segment::PpuPn, 10, false),
        ];
        for (seg, months, ok) in table {
            assert_eq!(
                rehab_plan(seg, months, 1_000_000, &r).is_some(),
                ok,
                "{seg} {months}"
            );
        }
        assert_eq!(rehab_plan(Segment::Pbpu, 6, 0, &r), None);
        assert_eq!(rehab_plan(Segment::Pbpu, 6, -100, &r), None);
    }

    #[test]
    fn splits_exactly() {
        let r = Rules::default();
        let table = [
            // (months, amount, instalments, per, last)
            (4, 140_000, 4, 35_000, 35_000),
            (12, 420_000, 12, 35_000, 35_000),
            (13, 455_000, 12, 37_916, 37_924),
            (24, 3_600_000, 12, 300_000, 300_000),
            (5, 7, 5, 1, 3),
            (5, 3, 5, 0, 3),
            (4, i64::MAX, 4, i64::MAX / 4, i64::MAX - (i64::MAX / 4) * 3),
        ];
        for (months, amount, n, per, last) in table {
            let p = rehab_plan(Segment::Pbpu, months, amount, &r).unwrap();
            assert_eq!(
                p,
                RehabPlan {
                    instalments: n,
                    per_instalment: per,
                    last_instalment: last
                },
                "{months} {amount}"
            );
            assert_eq!(p.total(), amount);
            assert!(p.last_instalment >= p.per_instalment);
            assert!(p.last_instalment - p.per_instalment < i64::from(n));
        }
    }

    #[test]
    fn degenerate_rules_do_not_panic() {
        let r = Rules {
            rehab_min_months: 0,
            rehab_max_instalments: 0,
            ..Rules::default()
        };
        let p = rehab_plan(Segment::Bp, 0, 1_000, &r).unwrap();
        assert_eq!((p.instalments, p.total()), (1, 1_000));
        let inverted = Rules {
            rehab_min_months: 10,
            rehab_max_months: 5,
            ..Rules::default()
        };
        assert_eq!(rehab_plan(Segment::Bp, 7, 1_000, &inverted), None);
    }
}
