//! Policy parameters (waiting periods, caps, rates) as data with effective dates.
//!
//! Owns the parameter keys, their allowed ranges, the defaults with their legal
//! sources, and picking the value in force on a date. It does not apply any rule:
//! `dues`, `denda`, `rehab` and `eligibility` read a [`Rules`] snapshot.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use serde::Serialize;

use super::codes::{UnknownCode, code_enum};

/// The parameters in force on one date. Build it with [`RulesTable::at`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rules {
    /// Months at the current FKTP before a member may change FKTP.
    pub fktp_min_months: u32,
    /// Months since the last class change (or registration) before the next one.
    pub kelas_min_months: u32,
    /// Most months of arrears billed on reactivation.
    pub arrears_max_billed_months: u32,
    /// Most months of arrears counted in the denda pelayanan.
    pub denda_max_months: u32,
    /// Denda rate in basis points of the INA-CBG tariff per month (500 = 5%).
    pub denda_rate_bp: u32,
    /// Highest denda, in rupiah.
    pub denda_cap: i64,
    /// Days after reactivation during which an inpatient stay incurs the denda.
    pub denda_window_days: u32,
    /// Fewest months of arrears that qualify for REHAB.
    pub rehab_min_months: u32,
    /// Most months of arrears that qualify for REHAB.
    pub rehab_max_months: u32,
    /// Most REHAB instalments.
    pub rehab_max_instalments: u32,
    /// Days a decided change request stays checkable at the kiosk.
    pub request_retention_days: u32,
    /// The dataset is generated sample data (`anjungan gen-dataset`), not members': the
    /// kiosk says "DATA CONTOH / SAMPLE DATA" on every screen.
    pub sample_data: bool,
}

impl Default for Rules {
    /// The values of domain.md (Perpres 64/2020 and BPJS Kesehatan practice).
    fn default() -> Self {
        Rules {
            fktp_min_months: 3,
            kelas_min_months: 12,
            arrears_max_billed_months: 24,
            denda_max_months: 12,
            denda_rate_bp: 500,
            denda_cap: 30_000_000,
            denda_window_days: 45,
            rehab_min_months: 4,
            rehab_max_months: 24,
            rehab_max_instalments: 12,
            request_retention_days: 90,
            sample_data: false,
        }
    }
}

code_enum! {
    /// The name of one parameter, as written in `rules.csv`.
    pub enum RuleKey("rule key") {
        /// [`Rules::fktp_min_months`]
        FktpMinMonths => "FKTP_MIN_MONTHS",
        /// [`Rules::kelas_min_months`]
        KelasMinMonths => "KELAS_MIN_MONTHS",
        /// [`Rules::arrears_max_billed_months`]
        ArrearsMaxBilledMonths => "ARREARS_MAX_BILLED_MONTHS",
        /// [`Rules::denda_max_months`]
        DendaMaxMonths => "DENDA_MAX_MONTHS",
        /// [`Rules::denda_rate_bp`]
        DendaRateBp => "DENDA_RATE_BP",
        /// [`Rules::denda_cap`]
        DendaCap => "DENDA_CAP",
        /// [`Rules::denda_window_days`]
        DendaWindowDays => "DENDA_WINDOW_DAYS",
        /// [`Rules::rehab_min_months`]
        RehabMinMonths => "REHAB_MIN_MONTHS",
        /// [`Rules::rehab_max_months`]
        RehabMaxMonths => "REHAB_MAX_MONTHS",
        /// [`Rules::rehab_max_instalments`]
        RehabMaxInstalments => "REHAB_MAX_INSTALMENTS",
        /// [`Rules::request_retention_days`]
        RequestRetentionDays => "REQUEST_RETENTION_DAYS",
        /// [`Rules::sample_data`]: 1 for generated sample data.
        SampleData => "SAMPLE_DATA",
    }
}

impl RuleKey {
    /// Values a dataset may set. The bounds are sanity limits against typos
    /// (a rate of 50 000 bp, a 10-year waiting period), not policy.
    pub fn range(&self) -> RangeInclusive<i64> {
        match self {
            Self::FktpMinMonths | Self::KelasMinMonths => 0..=120,
            Self::ArrearsMaxBilledMonths
            | Self::DendaMaxMonths
            | Self::RehabMinMonths
            | Self::RehabMaxMonths => 0..=600,
            Self::RehabMaxInstalments => 1..=600,
            Self::DendaRateBp => 0..=10_000,
            Self::DendaCap => 0..=1_000_000_000_000,
            Self::DendaWindowDays => 0..=3_650,
            Self::RequestRetentionDays => 1..=3_650,
            Self::SampleData => 0..=1,
        }
    }
}

/// Parses a `rules.csv` key such as `DENDA_CAP`.
pub fn parse_rule_key(s: &str) -> Result<RuleKey, UnknownCode> {
    s.parse()
}

impl Rules {
    /// The value of one parameter.
    pub fn get(&self, key: RuleKey) -> i64 {
        match key {
            RuleKey::FktpMinMonths => self.fktp_min_months.into(),
            RuleKey::KelasMinMonths => self.kelas_min_months.into(),
            RuleKey::ArrearsMaxBilledMonths => self.arrears_max_billed_months.into(),
            RuleKey::DendaMaxMonths => self.denda_max_months.into(),
            RuleKey::DendaRateBp => self.denda_rate_bp.into(),
            RuleKey::DendaCap => self.denda_cap,
            RuleKey::DendaWindowDays => self.denda_window_days.into(),
            RuleKey::RehabMinMonths => self.rehab_min_months.into(),
            RuleKey::RehabMaxMonths => self.rehab_max_months.into(),
            RuleKey::RehabMaxInstalments => self.rehab_max_instalments.into(),
            RuleKey::RequestRetentionDays => self.request_retention_days.into(),
            RuleKey::SampleData => self.sample_data.into(),
        }
    }

    /// Sets one parameter. Values come from validated rows; out-of-type values saturate.
    fn set(&mut self, key: RuleKey, value: i64) {
        let n = u32::try_from(value.max(0)).unwrap_or(u32::MAX);
        match key {
            RuleKey::FktpMinMonths => self.fktp_min_months = n,
            RuleKey::KelasMinMonths => self.kelas_min_months = n,
            RuleKey::ArrearsMaxBilledMonths => self.arrears_max_billed_months = n,
            RuleKey::DendaMaxMonths => self.denda_max_months = n,
            RuleKey::DendaRateBp => self.denda_rate_bp = n,
            RuleKey::DendaCap => self.denda_cap = value.max(0),
            RuleKey::DendaWindowDays => self.denda_window_days = n,
            RuleKey::RehabMinMonths => self.rehab_min_months = n,
            RuleKey::RehabMaxMonths => self.rehab_max_months = n,
            RuleKey::RehabMaxInstalments => self.rehab_max_instalments = n,
            RuleKey::RequestRetentionDays => self.request_retention_days = n,
            RuleKey::SampleData => self.sample_data = value == 1,
        }
    }
}

/// A parameter value outside what the kiosk accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Negative, or beyond the key's sanity range.
    #[error("{key} = {value} is outside {min}..={max}")]
    OutOfRange {
        /// The parameter.
        key: RuleKey,
        /// The rejected value.
        value: i64,
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
}

impl RuleError {
    /// Stable code for import reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutOfRange { .. } => "RULE_OUT_OF_RANGE",
        }
    }
}

/// One parameter value and the date it takes effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRow {
    /// First day the value applies.
    pub effective_from: NaiveDate,
    /// The parameter.
    pub key: RuleKey,
    /// Its value (months, days, basis points or rupiah, per key).
    pub value: i64,
    /// The regulation or document it comes from, shown on Info JKN.
    pub source: String,
}

impl RuleRow {
    /// A row whose value is checked against [`RuleKey::range`].
    pub fn new(
        effective_from: NaiveDate,
        key: RuleKey,
        value: i64,
        source: impl Into<String>,
    ) -> Result<RuleRow, RuleError> {
        let row = RuleRow {
            effective_from,
            key,
            value,
            source: source.into(),
        };
        row.validate()?;
        Ok(row)
    }

    /// Checks the value against the key's range.
    pub fn validate(&self) -> Result<(), RuleError> {
        let r = self.key.range();
        if r.contains(&self.value) {
            Ok(())
        } else {
            Err(RuleError::OutOfRange {
                key: self.key,
                value: self.value,
                min: *r.start(),
                max: *r.end(),
            })
        }
    }
}

impl From<(NaiveDate, RuleKey, i64, String)> for RuleRow {
    fn from((effective_from, key, value, source): (NaiveDate, RuleKey, i64, String)) -> Self {
        RuleRow {
            effective_from,
            key,
            value,
            source,
        }
    }
}

/// Every parameter value known, each with its effective date and source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulesTable {
    rows: Vec<RuleRow>,
}

impl RulesTable {
    /// The domain.md values with their sources.
    ///
    /// Perpres 64/2020 values take effect on its promulgation, 5 May 2020. The
    /// FKTP and class waiting periods date from the start of JKN in 2014.
    pub fn defaults() -> RulesTable {
        let perpres = NaiveDate::from_ymd_opt(2020, 5, 5).unwrap_or(NaiveDate::MIN);
        let jkn = NaiveDate::from_ymd_opt(2014, 1, 1).unwrap_or(NaiveDate::MIN);
        let r = Rules::default();
        let row = |from, key: RuleKey, source: &str| RuleRow {
            effective_from: from,
            key,
            value: r.get(key),
            source: source.to_string(),
        };
        use RuleKey::*;
        RulesTable {
            rows: vec![
                row(
                    jkn,
                    FktpMinMonths,
                    "Peraturan BPJS Kesehatan No. 1 Tahun 2014 (pindah FKTP setelah 3 bulan)",
                ),
                row(
                    jkn,
                    KelasMinMonths,
                    "Peraturan BPJS Kesehatan No. 1 Tahun 2014 (pindah kelas setelah 1 tahun)",
                ),
                row(perpres, ArrearsMaxBilledMonths, "Perpres 64/2020 Pasal 42"),
                row(perpres, DendaMaxMonths, "Perpres 64/2020 Pasal 42"),
                row(perpres, DendaRateBp, "Perpres 64/2020 Pasal 42"),
                row(perpres, DendaCap, "Perpres 64/2020 Pasal 42"),
                row(perpres, DendaWindowDays, "Perpres 64/2020 Pasal 42"),
                row(perpres, RehabMinMonths, "Program REHAB BPJS Kesehatan"),
                row(perpres, RehabMaxMonths, "Program REHAB BPJS Kesehatan"),
                row(perpres, RehabMaxInstalments, "Program REHAB BPJS Kesehatan"),
                row(
                    perpres,
                    RequestRetentionDays,
                    "Kebijakan kiosk (UU PDP No. 27/2022: simpan seperlunya)",
                ),
                row(
                    jkn,
                    SampleData,
                    "Data anggota dari BPJS Kesehatan (bukan data contoh)",
                ),
            ],
        }
    }

    /// Adds dataset rows. A row wins over every earlier-listed row with the same key
    /// and effective date (so a dataset can correct a default), and otherwise adds a
    /// new period. Fails on the first out-of-range value, leaving nothing applied.
    pub fn with_overrides<R: Into<RuleRow>>(
        mut self,
        rows: impl IntoIterator<Item = R>,
    ) -> Result<RulesTable, RuleError> {
        let new: Vec<RuleRow> = rows.into_iter().map(Into::into).collect();
        for row in &new {
            row.validate()?;
        }
        self.rows.extend(new);
        Ok(self)
    }

    /// Every row, defaults first, in the order given.
    pub fn rows(&self) -> &[RuleRow] {
        &self.rows
    }

    /// The row in force for `key` on `date`: latest `effective_from` on or before it,
    /// the later-listed one on a tie.
    fn row_at(&self, key: RuleKey, date: NaiveDate) -> Option<&RuleRow> {
        self.rows
            .iter()
            .filter(|r| r.key == key && r.effective_from <= date)
            .fold(None, |best: Option<&RuleRow>, r| match best {
                Some(b) if b.effective_from > r.effective_from => Some(b),
                _ => Some(r),
            })
    }

    /// The parameters in force on `date`; a key with no row yet uses [`Rules::default`].
    pub fn at(&self, date: NaiveDate) -> Rules {
        let mut rules = Rules::default();
        for &key in RuleKey::ALL {
            if let Some(row) = self.row_at(key, date) {
                rules.set(key, row.value);
            }
        }
        rules
    }

    /// The source of the value in force for `key` on `date`, for Info JKN.
    pub fn source_of(&self, key: RuleKey, date: NaiveDate) -> Option<&str> {
        self.row_at(key, date).map(|r| r.source.as_str())
    }
}

impl Default for RulesTable {
    fn default() -> Self {
        RulesTable::defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn defaults_are_the_domain_values() {
        let r = RulesTable::defaults().at(d(2025, 1, 1));
        assert_eq!(
            r,
            Rules {
                fktp_min_months: 3,
                kelas_min_months: 12,
                arrears_max_billed_months: 24,
                denda_max_months: 12,
                denda_rate_bp: 500,
                denda_cap: 30_000_000,
                denda_window_days: 45,
                rehab_min_months: 4,
                rehab_max_months: 24,
                rehab_max_instalments: 12,
                request_retention_days: 90,
                sample_data: false,
            }
        );
        // Every key has a default row, and get() reads every field.
        for &k in RuleKey::ALL {
            assert!(
                RulesTable::defaults().source_of(k, d(2025, 1, 1)).is_some(),
                "{k}"
            );
            assert!(k.range().contains(&r.get(k)), "{k}");
        }
    }

    #[test]
    fn keys_are_the_upper_cased_field_names() {
        let json = serde_json::to_value(Rules::default()).unwrap();
        let fields: Vec<String> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.to_ascii_uppercase())
            .collect();
        let mut keys: Vec<String> = RuleKey::ALL.iter().map(|k| k.code().to_string()).collect();
        let mut fields = fields;
        keys.sort();
        fields.sort();
        assert_eq!(keys, fields);
        assert_eq!(parse_rule_key("DENDA_CAP"), Ok(RuleKey::DendaCap));
        assert!(parse_rule_key("DENDA").is_err());
    }

    #[test]
    fn cap_source_is_shown_and_a_dataset_can_change_it_from_a_date() {
        let t = RulesTable::defaults()
            .with_overrides([(
                d(2024, 1, 1),
                RuleKey::DendaCap,
                20_000_000,
                "Materi sosialisasi BPJS Kesehatan 2024".to_string(),
            )])
            .unwrap();
        assert_eq!(
            t.source_of(RuleKey::DendaCap, d(2023, 12, 31)),
            Some("Perpres 64/2020 Pasal 42")
        );
        assert_eq!(t.at(d(2023, 12, 31)).denda_cap, 30_000_000);
        assert_eq!(t.at(d(2024, 1, 1)).denda_cap, 20_000_000);
        assert_eq!(
            t.source_of(RuleKey::DendaCap, d(2024, 1, 1)),
            Some("Materi sosialisasi BPJS Kesehatan 2024")
        );
        // Other keys are untouched.
        assert_eq!(t.at(d(2024, 6, 1)).denda_rate_bp, 500);
    }

    #[test]
    fn same_date_override_replaces_the_default() {
        let t = RulesTable::defaults()
            .with_overrides([
                RuleRow::new(d(2020, 5, 5), RuleKey::DendaWindowDays, 30, "x").unwrap(),
            ])
            .unwrap();
        assert_eq!(t.at(d(2020, 5, 5)).denda_window_days, 30);
        assert_eq!(
            t.source_of(RuleKey::DendaWindowDays, d(2030, 1, 1)),
            Some("x")
        );
    }

    #[test]
    fn before_any_row_the_default_value_applies_without_a_source() {
        let t = RulesTable::defaults();
        assert_eq!(t.at(d(2010, 1, 1)), Rules::default());
        assert_eq!(t.source_of(RuleKey::DendaCap, d(2010, 1, 1)), None);
        assert_eq!(t.source_of(RuleKey::DendaCap, d(2020, 5, 4)), None);
        assert!(t.source_of(RuleKey::DendaCap, d(2020, 5, 5)).is_some());
    }

    #[test]
    fn rows_out_of_range_are_rejected() {
        let table = [
            (RuleKey::DendaCap, -1),
            (RuleKey::FktpMinMonths, -3),
            (RuleKey::FktpMinMonths, 121),
            (RuleKey::DendaRateBp, 10_001),
            (RuleKey::RehabMaxInstalments, 0),
            (RuleKey::RequestRetentionDays, 0),
            (RuleKey::ArrearsMaxBilledMonths, i64::MAX),
        ];
        for (key, value) in table {
            let err = RulesTable::defaults()
                .with_overrides([(d(2024, 1, 1), key, value, String::new())])
                .unwrap_err();
            assert!(
                matches!(err, RuleError::OutOfRange { key: k, value: v, .. } if k == key && v == value)
            );
            assert_eq!(err.code(), "RULE_OUT_OF_RANGE");
            assert!(RuleRow::new(d(2024, 1, 1), key, value, "").is_err());
        }
        assert!(RuleRow::new(d(2024, 1, 1), RuleKey::DendaRateBp, 10_000, "").is_ok());
        assert!(RuleRow::new(d(2024, 1, 1), RuleKey::DendaCap, 0, "").is_ok());
    }

    #[test]
    fn latest_effective_row_wins_regardless_of_order() {
        let t = RulesTable::defaults()
            .with_overrides([
                (d(2026, 1, 1), RuleKey::FktpMinMonths, 6, "b".to_string()),
                (d(2025, 1, 1), RuleKey::FktpMinMonths, 4, "a".to_string()),
            ])
            .unwrap();
        assert_eq!(t.at(d(2024, 12, 31)).fktp_min_months, 3);
        assert_eq!(t.at(d(2025, 6, 1)).fktp_min_months, 4);
        assert_eq!(t.at(d(2026, 1, 1)).fktp_min_months, 6);
        assert_eq!(
            t.source_of(RuleKey::FktpMinMonths, d(2025, 6, 1)),
            Some("a")
        );
    }
}
