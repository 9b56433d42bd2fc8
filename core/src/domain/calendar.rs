//! Calendar arithmetic for dues periods and waiting periods.
//!
//! Owns [`YearMonth`] (a dues period), calendar-month addition with month-end
//! clamping, and strict parsing of `YYYY-MM` and `YYYY-MM-DD`. It knows nothing
//! about time zones: callers pass the kiosk's local "today" already resolved.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::message::{Bilingual, Explain};

/// A month of a year: the period a contribution is due for.
///
/// Always a month that chrono can represent, so [`YearMonth::first_day`] cannot fail.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    // Field order matters: the derived ordering compares the year first.
    year: i32,
    month: u32,
}

/// Text that is not a date (or month) in the strict format the kiosk and datasets use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a date as {expected}, got {value:?}")]
pub struct DateFormatError {
    /// The expected format, `"YYYY-MM-DD"` or `"YYYY-MM"`.
    pub expected: &'static str,
    /// The rejected input.
    pub value: String,
}

impl DateFormatError {
    /// Stable code for logs and the API.
    pub fn code(&self) -> &'static str {
        "DATE_FORMAT"
    }
}

impl Explain for DateFormatError {
    fn explain(&self) -> Bilingual {
        if self.expected == "YYYY-MM" {
            Bilingual::tr("Bulan tidak dikenali. Tulis sebagai tahun-bulan, misalnya 2025-03.")
        } else {
            Bilingual::tr(
                "Tanggal tidak dikenali atau tidak ada di kalender. Periksa tanggal lahir Anda \
                 pada KTP dan masukkan sebagai tahun-bulan-tanggal, misalnya 1985-08-17.",
            )
        }
    }
}

impl YearMonth {
    /// `Some` when `month` is 1..=12 and the year is one chrono can represent.
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| YearMonth { year, month })
    }

    /// The month containing `date`.
    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Parses exactly `YYYY-MM`: four digits, a hyphen, two digits 01–12.
    pub fn parse(s: &str) -> Result<YearMonth, DateFormatError> {
        let err = || DateFormatError {
            expected: "YYYY-MM",
            value: s.to_string(),
        };
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' {
            return Err(err());
        }
        let year = digits(&b[0..4]).ok_or_else(err)?;
        let month = digits(&b[5..7]).ok_or_else(err)?;
        YearMonth::new(year as i32, month).ok_or_else(err)
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(&self) -> u32 {
        self.month
    }

    /// The next month. At the very end of chrono's range it stays put rather than panic.
    pub fn succ(&self) -> YearMonth {
        let (y, m) = if self.month == 12 {
            (self.year.saturating_add(1), 1)
        } else {
            (self.year, self.month + 1)
        };
        YearMonth::new(y, m).unwrap_or(*self)
    }

    /// The previous month. At the very start of chrono's range it stays put.
    pub fn pred(&self) -> YearMonth {
        let (y, m) = if self.month == 1 {
            (self.year.saturating_sub(1), 12)
        } else {
            (self.year, self.month - 1)
        };
        YearMonth::new(y, m).unwrap_or(*self)
    }

    /// The 1st of the month.
    pub fn first_day(&self) -> NaiveDate {
        // Construction guarantees the date exists; MIN is only a type-level fallback.
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        YearMonth::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Adds `n` calendar months, clamping the day to the end of the target month
/// (2024-11-30 + 3 = 2025-02-28). Saturates at `NaiveDate::MAX` instead of panicking.
pub fn add_months(date: NaiveDate, n: u32) -> NaiveDate {
    date.checked_add_months(Months::new(n))
        .unwrap_or(NaiveDate::MAX)
}

/// The 1st of the month after `date`: when an accepted change takes effect.
/// Saturates at `NaiveDate::MAX`.
pub fn first_of_next_month(date: NaiveDate) -> NaiveDate {
    let ym = YearMonth::of(date);
    let next = ym.succ();
    if next == ym {
        NaiveDate::MAX
    } else {
        next.first_day()
    }
}

/// Parses exactly `YYYY-MM-DD` (no surrounding space) and rejects days not on the calendar.
pub fn parse_date(s: &str) -> Result<NaiveDate, DateFormatError> {
    let err = || DateFormatError {
        expected: "YYYY-MM-DD",
        value: s.to_string(),
    };
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(err());
    }
    let y = digits(&b[0..4]).ok_or_else(err)?;
    let m = digits(&b[5..7]).ok_or_else(err)?;
    let d = digits(&b[8..10]).ok_or_else(err)?;
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(err)
}

/// The value of a run of ASCII digits, or `None` if any byte is not one.
/// Callers pass at most 4 bytes, so the value fits.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        let table = [
            ("2024-11-30", 3, "2025-02-28"),
            ("2023-11-30", 3, "2024-02-29"),
            ("2024-01-31", 1, "2024-02-29"),
            ("2024-01-31", 2, "2024-03-31"),
            ("2024-03-31", 1, "2024-04-30"),
            ("2024-02-29", 12, "2025-02-28"),
            ("2024-05-15", 0, "2024-05-15"),
            ("2024-12-10", 1, "2025-01-10"),
            ("2024-10-31", 15, "2026-01-31"),
        ];
        for (from, n, want) in table {
            assert_eq!(add_months(d(from), n), d(want), "{from} + {n}");
        }
    }

    #[test]
    fn add_months_saturates() {
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_months(d("2024-01-01"), u32::MAX), NaiveDate::MAX);
    }

    #[test]
    fn first_of_next_month_rolls_over_years() {
        assert_eq!(first_of_next_month(d("2024-12-31")), d("2025-01-01"));
        assert_eq!(first_of_next_month(d("2025-02-01")), d("2025-03-01"));
        assert_eq!(first_of_next_month(NaiveDate::MAX), NaiveDate::MAX);
    }

    #[test]
    fn parse_date_is_strict() {
        assert_eq!(
            parse_date("2024-02-29"),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "2024-01-00",
            "2024-1-05",
            "24-01-05",
            " 2024-01-05",
            "2024-01-05 ",
            "2024/01/05",
            "20240105",
            "２０２４-01-05",
            "2024-01-0a",
            "",
        ] {
            let e = parse_date(bad).unwrap_err();
            assert_eq!(e.expected, "YYYY-MM-DD", "{bad:?}");
        }
    }

    #[test]
    fn year_month_parse_is_strict() {
        assert_eq!(
            YearMonth::parse("2025-03"),
            Ok(YearMonth::new(2025, 3).unwrap())
        );
        assert_eq!(
            YearMonth::parse("0001-12").map(|m| m.to_string()),
            Ok("0001-12".into())
        );
        for bad in [
            "2025-3",
            "2025-13",
            "2025-00",
            "25-03",
            "2025-03-01",
            "2025_03",
            "2025-0é",
            "",
        ] {
            assert!(YearMonth::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn year_month_basics() {
        assert_eq!(YearMonth::new(2024, 0), None);
        assert_eq!(YearMonth::new(2024, 13), None);
        let dec = YearMonth::new(2024, 12).unwrap();
        assert_eq!(dec.succ(), YearMonth::new(2025, 1).unwrap());
        assert_eq!(dec.succ().pred(), dec);
        assert_eq!(YearMonth::new(2025, 1).unwrap().pred(), dec);
        assert_eq!(dec.first_day(), d("2024-12-01"));
        assert_eq!(YearMonth::of(d("2024-12-31")), dec);
        assert_eq!(dec.to_string(), "2024-12");
        assert!(YearMonth::new(2024, 12) < YearMonth::new(2025, 1));
        assert!(YearMonth::new(2024, 2) < YearMonth::new(2024, 11));
        assert_eq!(serde_json::to_string(&dec).unwrap(), "\"2024-12\"");
        assert_eq!(
            serde_json::from_str::<YearMonth>("\"2024-12\"").unwrap(),
            dec
        );
    }

    #[test]
    fn year_month_saturates_at_chrono_limits() {
        let last = YearMonth::of(NaiveDate::MAX);
        assert_eq!(last.succ(), last);
        let first = YearMonth::of(NaiveDate::MIN);
        assert_eq!(first.pred(), first);
    }

    #[test]
    fn date_errors_explain_the_format() {
        let e = parse_date("17-08-1985").unwrap_err();
        assert_eq!(e.code(), "DATE_FORMAT");
        assert!(e.explain().id.contains("1985-08-17"));
        let e = YearMonth::parse("03/2025").unwrap_err();
        assert!(e.explain().en.contains("2025-03"));
    }
}
