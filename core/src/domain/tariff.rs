//! Monthly contribution (iuran) tariffs as data with effective dates.
//!
//! Owns the member-payable tariff per segment and class and which one is in force on
//! a date. PPU dues depend on the wage, not on this table: see `eligibility::ppu_dues`.

use chrono::NaiveDate;
use serde::Serialize;

use super::codes::{Kelas, Segment};

/// The monthly amount a member of `segment` in `kelas` pays from `effective_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TariffRow {
    /// First day the amount applies.
    pub effective_from: NaiveDate,
    /// Segment.
    pub segment: Segment,
    /// Class.
    pub kelas: Kelas,
    /// Rupiah per person per month payable by the member (0 for PBI).
    pub amount: i64,
}

impl From<(NaiveDate, Segment, Kelas, i64)> for TariffRow {
    fn from((effective_from, segment, kelas, amount): (NaiveDate, Segment, Kelas, i64)) -> Self {
        TariffRow {
            effective_from,
            segment,
            kelas,
            amount,
        }
    }
}

/// A tariff row the kiosk refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    /// A negative monthly amount.
    #[error("negative tariff {amount} for {segment} kelas {kelas}")]
    Negative {
        /// Segment of the row.
        segment: Segment,
        /// Class of the row.
        kelas: Kelas,
        /// The rejected amount.
        amount: i64,
    },
}

impl TariffError {
    /// Stable code for import reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Negative { .. } => "TARIFF_NEGATIVE",
        }
    }
}

/// Tariffs over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TariffTable {
    rows: Vec<TariffRow>,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

impl TariffTable {
    /// Perpres 64/2020 tariffs (domain.md §4).
    ///
    /// PBPU/BP kelas I and II from 1 July 2020. Kelas III members paid Rp25.500 in the
    /// second half of 2020 and Rp35.000 from 1 January 2021 (the government adds the
    /// rest of Rp42.000). PBI members owe nothing in kelas III; PBI has no kelas I or II.
    pub fn defaults() -> TariffTable {
        use Segment::*;
        let jul2020 = date(2020, 7, 1);
        let jan2021 = date(2021, 1, 1);
        let jkn = date(2014, 1, 1);
        let mut rows = Vec::new();
        for seg in [Pbpu, Bp] {
            rows.push(TariffRow::from((jul2020, seg, Kelas::I, 150_000)));
            rows.push(TariffRow::from((jul2020, seg, Kelas::II, 100_000)));
            rows.push(TariffRow::from((jul2020, seg, Kelas::III, 25_500)));
            rows.push(TariffRow::from((jan2021, seg, Kelas::III, 35_000)));
        }
        for seg in [PbiApbn, PbiApbd] {
            rows.push(TariffRow::from((jkn, seg, Kelas::III, 0)));
        }
        TariffTable { rows }
    }

    /// Applies dataset rows. For every (segment, kelas) the dataset mentions, its rows
    /// replace all default rows of that pair, so a dataset's history is taken as a
    /// whole; pairs it does not mention keep the defaults. Rejects negative amounts.
    pub fn with_rows<R: Into<TariffRow>>(
        mut self,
        rows: impl IntoIterator<Item = R>,
    ) -> Result<TariffTable, TariffError> {
        let new: Vec<TariffRow> = rows.into_iter().map(Into::into).collect();
        if let Some(r) = new.iter().find(|r| r.amount < 0) {
            return Err(TariffError::Negative {
                segment: r.segment,
                kelas: r.kelas,
                amount: r.amount,
            });
        }
        self.rows.retain(|old| {
            !new.iter()
                .any(|n| n.segment == old.segment && n.kelas == old.kelas)
        });
        self.rows.extend(new);
        Ok(self)
    }

    /// Every row.
    pub fn rows(&self) -> &[TariffRow] {
        &self.rows
    }

    /// The member-payable monthly amount per person on `date`: the row with the latest
    /// `effective_from` on or before it (the later-listed one on a tie). `None` when the
    /// table has no such row, e.g. PPU or PBI kelas I.
    pub fn amount(&self, segment: Segment, kelas: Kelas, date: NaiveDate) -> Option<i64> {
        self.rows
            .iter()
            .filter(|r| r.segment == segment && r.kelas == kelas && r.effective_from <= date)
            .fold(None, |best: Option<&TariffRow>, r| match best {
                Some(b) if b.effective_from > r.effective_from => Some(b),
                _ => Some(r),
            })
            .map(|r| r.amount)
    }
}

impl Default for TariffTable {
    fn default() -> Self {
        TariffTable::defaults()
    }
}

/// What the government adds per person per month, for Info JKN (domain.md §4):
/// Rp7.000 for PBPU/BP kelas III (Rp4.200 central, Rp2.800 regional) and the whole
/// Rp42.000 for PBI, from 1 January 2021. `None` where it does not apply or before 2021.
pub fn government_contribution(segment: Segment, kelas: Kelas, on: NaiveDate) -> Option<i64> {
    if kelas != Kelas::III || on < date(2021, 1, 1) {
        return None;
    }
    if segment.member_pays() {
        Some(7_000)
    } else if segment.is_pbi() {
        Some(42_000)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_amounts() {
        let t = TariffTable::defaults();
        let today = date(2025, 6, 1);
        let table = [
            (Segment::Pbpu, Kelas::I, Some(150_000)),
            (Segment::Pbpu, Kelas::II, Some(100_000)),
            (Segment::Pbpu, Kelas::III, Some(35_000)),
            (Segment::Bp, Kelas::I, Some(150_000)),
            (Segment::Bp, Kelas::II, Some(100_000)),
            (Segment::Bp, Kelas::III, Some(35_000)),
            (Segment::PbiApbn, Kelas::III, Some(0)),
            (Segment::PbiApbd, Kelas::III, Some(0)),
            (Segment::PbiApbn, Kelas::I, None),
            (Segment::PpuBu, Kelas::I, None),
            (Segment::PpuPn, Kelas::II, None),
        ];
        for (s, k, want) in table {
            assert_eq!(t.amount(s, k, today), want, "{s} {k}");
        }
    }

    #[test]
    fn kelas_iii_changes_on_1_january_2021() {
        let t = TariffTable::defaults();
        assert_eq!(
            t.amount(Segment::Pbpu, Kelas::III, date(2020, 12, 31)),
            Some(25_500)
        );
        assert_eq!(
            t.amount(Segment::Pbpu, Kelas::III, date(2021, 1, 1)),
            Some(35_000)
        );
        assert_eq!(t.amount(Segment::Pbpu, Kelas::I, date(2020, 6, 30)), None);
        assert_eq!(
            t.amount(Segment::Pbpu, Kelas::I, date(2020, 7, 1)),
            Some(150_000)
        );
    }

    #[test]
    fn dataset_rows_replace_defaults_per_segment_and_class() {
        let t = TariffTable::defaults()
            .with_rows([(date(2026, 1, 1), Segment::Pbpu, Kelas::III, 42_000)])
            .unwrap();
        assert_eq!(
            t.amount(Segment::Pbpu, Kelas::III, date(2026, 1, 1)),
            Some(42_000)
        );
        // The dataset's history for PBPU III starts in 2026; the defaults are gone.
        assert_eq!(
            t.amount(Segment::Pbpu, Kelas::III, date(2025, 12, 31)),
            None
        );
        // Other pairs keep their defaults.
        assert_eq!(
            t.amount(Segment::Bp, Kelas::III, date(2026, 1, 1)),
            Some(35_000)
        );
        assert_eq!(
            t.amount(Segment::Pbpu, Kelas::I, date(2026, 1, 1)),
            Some(150_000)
        );
    }

    #[test]
    fn negative_tariffs_are_rejected() {
        let err = TariffTable::defaults()
            .with_rows([TariffRow::from((
                date(2026, 1, 1),
                Segment::Bp,
                Kelas::I,
                -1,
            ))])
            .unwrap_err();
        assert_eq!(
            err,
            TariffError::Negative {
                segment: Segment::Bp,
                kelas: Kelas::I,
                amount: -1
            }
        );
        assert_eq!(err.code(), "TARIFF_NEGATIVE");
    }

    #[test]
    fn government_share() {
        let on = date(2025, 1, 1);
        assert_eq!(
            government_contribution(Segment::Pbpu, Kelas::III, on),
            Some(7_000)
        );
        assert_eq!(
            government_contribution(Segment::PbiApbd, Kelas::III, on),
            Some(42_000)
        );
        assert_eq!(government_contribution(Segment::Pbpu, Kelas::II, on), None);
        assert_eq!(
            government_contribution(Segment::PpuBu, Kelas::III, on),
            None
        );
        assert_eq!(
            government_contribution(Segment::Bp, Kelas::III, date(2020, 12, 31)),
            None
        );
    }
}
