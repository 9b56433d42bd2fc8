//! The NIK (Nomor Induk Kependudukan): validation, decoding and composition.
//!
//! Owns the NIK layout `PP KK CC DDMMYY SSSS` and what can be read from it: issuing
//! region, birth date, sex and serial. It does not look up region names (that is
//! dataset content) and never logs or stores a NIK.

use chrono::{Datelike, NaiveDate};

use super::codes::Sex;
use super::message::{Bilingual, Explain};

/// Province codes in use (Kemendagri), as the first two NIK digits.
pub const PROVINCE_CODES: &[&str] = &[
    "11", "12", "13", "14", "15", "16", "17", "18", "19", //
    "21", //
    "31", "32", "33", "34", "35", "36", //
    "51", "52", "53", //
    "61", "62", "63", "64", "65", //
    "71", "72", "73", "74", "75", "76", //
    "81", "82", //
    "91", "92", "93", "94", "95", "96",
];

/// Whether `code` is one of [`PROVINCE_CODES`].
pub fn is_known_province(code: &str) -> bool {
    PROVINCE_CODES.contains(&code)
}

/// What a valid NIK says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NikInfo {
    /// Province of issue, 2 digits.
    pub province_code: String,
    /// Regency or city of issue, 4 digits including the province, e.g. `"3273"`.
    pub regency_code: String,
    /// District (kecamatan) of issue, 6 digits.
    pub district_code: String,
    /// Birth date, with the century chosen as described on [`parse_nik`].
    pub birth_date: NaiveDate,
    /// Sex, from the day field (women add 40).
    pub sex: Sex,
    /// Serial, 1..=9999.
    pub serial: u16,
}

impl NikInfo {
    /// The region of issue is a city (kota, regency digits 71–99) rather than a kabupaten.
    pub fn is_city(&self) -> bool {
        self.regency_code
            .get(2..4)
            .and_then(|s| s.parse::<u8>().ok())
            .is_some_and(|n| n >= 71)
    }
}

/// Why a text is not a valid NIK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// Not 16 characters (counted as characters, after trimming).
    #[error("a NIK has 16 digits, got {len} characters")]
    Length {
        /// Characters entered.
        len: usize,
    },
    /// A character that is not an ASCII digit.
    #[error("character {position} of the NIK is not a digit")]
    NonDigit {
        /// 1-based character position.
        position: usize,
    },
    /// The first two digits are not a province code.
    #[error("unknown province code {code}")]
    UnknownProvince {
        /// The two digits found.
        code: String,
    },
    /// Regency digits `00`.
    #[error("regency code 00 is not valid")]
    ZeroRegency,
    /// District digits `00`.
    #[error("district code 00 is not valid")]
    ZeroDistrict,
    /// The DDMMYY field is not a date in either century.
    #[error("the birth date in the NIK does not exist")]
    ImpossibleDate,
    /// Serial `0000`.
    #[error("serial 0000 is not valid")]
    ZeroSerial,
}

impl NikError {
    /// Stable code for the API and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "LENGTH",
            Self::NonDigit { .. } => "NON_DIGIT",
            Self::UnknownProvince { .. } => "UNKNOWN_PROVINCE",
            Self::ZeroRegency => "ZERO_REGENCY",
            Self::ZeroDistrict => "ZERO_DISTRICT",
            Self::ImpossibleDate => "IMPOSSIBLE_DATE",
            Self::ZeroSerial => "ZERO_SERIAL",
        }
    }
}

impl Explain for NikError {
    fn explain(&self) -> Bilingual {
        // The NIK itself is never echoed back: the screen may be seen by others in the queue.
        const CHECK_ID: &str = "Periksa kembali NIK pada KTP atau KK Anda dan ketik ulang.";
        const CHECK_EN: &str = "Check the NIK on your KTP or KK and type it again.";
        match self {
            Self::Length { len } => Bilingual::tr_with(
                "NIK harus 16 angka; Anda memasukkan {len}. Periksa KTP Anda.",
                &[("len", &len)],
            ),
            Self::NonDigit { position } => Bilingual::new(
                format!("NIK hanya berisi angka; karakter ke-{position} bukan angka. {CHECK_ID}"),
                format!("A NIK has digits only; character {position} is not a digit. {CHECK_EN}"),
            ),
            Self::UnknownProvince { code } => Bilingual::new(
                format!("Dua angka pertama NIK ({code}) bukan kode provinsi. {CHECK_ID}"),
                format!(
                    "The first two digits of the NIK ({code}) are not a province code. {CHECK_EN}"
                ),
            ),
            Self::ZeroRegency => Bilingual::new(
                format!("Angka ke-3 dan ke-4 NIK (kode kabupaten/kota) tidak boleh 00. {CHECK_ID}"),
                format!("Digits 3–4 of the NIK (regency/city code) cannot be 00. {CHECK_EN}"),
            ),
            Self::ZeroDistrict => Bilingual::new(
                format!("Angka ke-5 dan ke-6 NIK (kode kecamatan) tidak boleh 00. {CHECK_ID}"),
                format!("Digits 5–6 of the NIK (district code) cannot be 00. {CHECK_EN}"),
            ),
            Self::ImpossibleDate => Bilingual::new(
                format!(
                    "Angka ke-7 sampai ke-12 NIK (tanggal lahir) bukan tanggal yang ada. {CHECK_ID} \
                     Jika NIK di KTP Anda memang begitu, datang ke loket E (perubahan data)."
                ),
                format!(
                    "Digits 7–12 of the NIK (date of birth) are not a real date. {CHECK_EN} \
                     If your KTP really shows this NIK, go to counter E (data changes)."
                ),
            ),
            Self::ZeroSerial => Bilingual::new(
                format!("Empat angka terakhir NIK tidak boleh 0000. {CHECK_ID}"),
                format!("The last four digits of the NIK cannot be 0000. {CHECK_EN}"),
            ),
        }
    }
}

/// Validates and decodes a NIK.
///
/// Surrounding whitespace is trimmed; any other non-digit (including inner spaces and
/// non-ASCII digits) is an error. Checks run in layout order, so the first problem
/// reported is the leftmost. The two-digit year becomes 20YY when that date is not
/// after `today`, otherwise 19YY; the day/month must exist in the chosen century
/// (`290200` is 29 Feb 2000 today, but 29 Feb 1900 does not exist).
pub fn parse_nik(s: &str, today: NaiveDate) -> Result<NikInfo, NikError> {
    let t = s.trim();
    let len = t.chars().count();
    if len != 16 {
        return Err(NikError::Length { len });
    }
    if let Some(i) = t.chars().position(|c| !c.is_ascii_digit()) {
        return Err(NikError::NonDigit { position: i + 1 });
    }
    // From here on the text is 16 ASCII digits, so byte ranges are character ranges.
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };

    let province = &t[0..2];
    if !is_known_province(province) {
        return Err(NikError::UnknownProvince {
            code: province.to_string(),
        });
    }
    if num(2..4) == 0 {
        return Err(NikError::ZeroRegency);
    }
    if num(4..6) == 0 {
        return Err(NikError::ZeroDistrict);
    }

    let dd = num(6..8);
    let (day, sex) = if dd > 40 {
        (dd - 40, Sex::P)
    } else {
        (dd, Sex::L)
    };
    let month = num(8..10);
    let yy = num(10..12) as i32;
    let birth_date = match NaiveDate::from_ymd_opt(2000 + yy, month, day) {
        Some(d) if d <= today => d,
        _ => NaiveDate::from_ymd_opt(1900 + yy, month, day).ok_or(NikError::ImpossibleDate)?,
    };

    let serial = num(12..16) as u16;
    if serial == 0 {
        return Err(NikError::ZeroSerial);
    }

    Ok(NikInfo {
        province_code: province.to_string(),
        regency_code: t[0..4].to_string(),
        district_code: t[0..6].to_string(),
        birth_date,
        sex,
        serial,
    })
}

/// Builds a NIK from its parts: the inverse of [`parse_nik`], for the data generator
/// and tests.
///
/// It does not validate: `regency_district6` is copied as given and `serial` is taken
/// modulo 10 000, so parse the result if it must be valid.
pub fn compose_nik(regency_district6: &str, birth: NaiveDate, sex: Sex, serial: u16) -> String {
    let day = birth.day() + if sex == Sex::P { 40 } else { 0 };
    format!(
        "{regency_district6}{day:02}{:02}{:02}{:04}",
        birth.month(),
        birth.year().rem_euclid(100),
        serial % 10_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: fn() -> NaiveDate = || d(2026, 3, 15);

    /// A valid NIK with the date field replaced.
    fn with_date(ddmmyy: &str) -> String {
        format!("327302{ddmmyy}0001")
    }

    #[test]
    fn decodes_a_valid_nik() {
        let info = parse_nik("3273024508900123", TODAY()).unwrap();
        assert_eq!(
            info,
            NikInfo {
                province_code: "32".into(),
                regency_code: "3273".into(),
                district_code: "327302".into(),
                birth_date: d(1990, 8, 5),
                sex: Sex::P,
                serial: 123,
            }
        );
        assert!(info.is_city());
        let man = parse_nik("  3201010508900001\n", TODAY()).unwrap();
        assert_eq!(man.sex, Sex::L);
        assert_eq!(man.birth_date, d(1990, 8, 5));
        assert!(!man.is_city());
    }

    #[test]
    fn rejects_with_the_leftmost_problem() {
        let table: &[(&str, NikError)] = &[
            ("327302450890012", NikError::Length { len: 15 }),
            ("32730245089001234", NikError::Length { len: 17 }),
            ("", NikError::Length { len: 0 }),
            ("   ", NikError::Length { len: 0 }),
            // 16 characters but 17 bytes: length counts characters.
            ("327302450890012é", NikError::NonDigit { position: 16 }),
            ("3273024508 90012", NikError::NonDigit { position: 11 }),
            ("a273024508900123", NikError::NonDigit { position: 1 }),
            ("3273024508900١23", NikError::NonDigit { position: 14 }),
            (
                "2073024508900123",
                NikError::UnknownProvince { code: "20".into() },
            ),
            (
                "1073024508900123",
                NikError::UnknownProvince { code: "10".into() },
            ),
            (
                "3773024508900123",
                NikError::UnknownProvince { code: "37".into() },
            ),
            (
                "9773024508900123",
                NikError::UnknownProvince { code: "97".into() },
            ),
            (
                "0073024508900123",
                NikError::UnknownProvince { code: "00".into() },
            ),
            ("3200024508900123", NikError::ZeroRegency),
            ("3273004508900123", NikError::ZeroDistrict),
            ("3273024508900000", NikError::ZeroSerial),
            // Date is checked before serial.
            ("3273029908900000", NikError::ImpossibleDate),
        ];
        for (nik, want) in table {
            assert_eq!(parse_nik(nik, TODAY()).as_ref(), Err(want), "{nik:?}");
        }
    }

    #[test]
    fn every_listed_province_is_accepted_and_its_neighbours_are_not() {
        for p in 10..=99u32 {
            let code = format!("{p:02}");
            let nik = format!("{code}01010101900001");
            let known = matches!(
                p,
                11..=19 | 21 | 31..=36 | 51..=53 | 61..=65 | 71..=76 | 81 | 82 | 91..=96
            );
            assert_eq!(is_known_province(&code), known, "{code}");
            assert_eq!(parse_nik(&nik, TODAY()).is_ok(), known, "{nik}");
        }
        assert_eq!(PROVINCE_CODES.len(), 38);
    }

    #[test]
    fn women_add_forty_to_the_day() {
        let table = [
            // (DD field, expected day and sex, or None for impossible)
            ("01", Some((1, Sex::L))),
            ("31", Some((31, Sex::L))),
            ("32", None),
            ("40", None),
            ("00", None),
            ("41", Some((1, Sex::P))),
            ("71", Some((31, Sex::P))),
            ("72", None),
            ("99", None),
        ];
        for (dd, want) in table {
            let got = parse_nik(&with_date(&format!("{dd}0190")), TODAY());
            match want {
                Some((day, sex)) => {
                    let info = got.unwrap();
                    assert_eq!(
                        (info.birth_date, info.sex),
                        (d(1990, 1, day), sex),
                        "DD={dd}"
                    );
                }
                None => assert_eq!(got, Err(NikError::ImpossibleDate), "DD={dd}"),
            }
        }
    }

    #[test]
    fn impossible_days_and_months() {
        for ddmmyy in [
            "300290", "700290", "310490", "710490", "000190", "011390", "010090",
        ] {
            assert_eq!(
                parse_nik(&with_date(ddmmyy), TODAY()),
                Err(NikError::ImpossibleDate),
                "{ddmmyy}"
            );
        }
    }

    #[test]
    fn leap_days_depend_on_the_chosen_century() {
        let table = [
            // (DDMMYY, today, expected birth date or None)
            ("290224", d(2026, 3, 15), Some(d(2024, 2, 29))),
            ("690224", d(2026, 3, 15), Some(d(2024, 2, 29))),
            ("290223", d(2026, 3, 15), None),
            ("290296", d(2026, 3, 15), Some(d(1996, 2, 29))),
            // 2000 is a leap year, 1900 is not.
            ("290200", d(2026, 3, 15), Some(d(2000, 2, 29))),
            ("290200", d(1999, 12, 31), None),
            ("280200", d(1999, 12, 31), Some(d(1900, 2, 28))),
            ("290201", d(2026, 3, 15), None),
        ];
        for (ddmmyy, today, want) in table {
            let got = parse_nik(&with_date(ddmmyy), today).map(|i| i.birth_date);
            assert_eq!(
                got,
                want.ok_or(NikError::ImpossibleDate),
                "{ddmmyy} @ {today}"
            );
        }
    }

    #[test]
    fn century_is_20yy_unless_that_is_after_today() {
        let today = d(2026, 3, 15);
        let table = [
            ("150326", d(2026, 3, 15)), // exactly today: not in the future
            ("160326", d(1926, 3, 16)), // tomorrow in 2026
            ("010426", d(1926, 4, 1)),
            ("140326", d(2026, 3, 14)),
            ("010100", d(2000, 1, 1)),
            ("311299", d(1999, 12, 31)),
            ("010130", d(1930, 1, 1)),
        ];
        for (ddmmyy, want) in table {
            let got = parse_nik(&with_date(ddmmyy), today).unwrap().birth_date;
            assert_eq!(got, want, "{ddmmyy}");
        }
    }

    #[test]
    fn compose_is_the_inverse_of_parse() {
        let table = [
            ("327302", d(1990, 8, 5), Sex::P, 123u16, "3273024508900123"),
            ("320101", d(2000, 2, 29), Sex::L, 1, "3201012902000001"),
            ("917101", d(1931, 12, 31), Sex::P, 9999, "9171017112319999"),
        ];
        for (rd, birth, sex, serial, want) in table {
            let nik = compose_nik(rd, birth, sex, serial);
            assert_eq!(nik, want);
            let info = parse_nik(&nik, TODAY()).unwrap();
            assert_eq!(
                (info.birth_date, info.sex, info.serial),
                (birth, sex, serial)
            );
            assert_eq!(info.district_code, rd);
        }
    }

    #[test]
    fn compose_does_not_panic_on_odd_input() {
        assert_eq!(compose_nik("", d(2001, 1, 1), Sex::L, 65535).len(), 10);
        assert_eq!(
            compose_nik("32", d(-50, 1, 1), Sex::P, 0),
            "32410150".to_string() + "0000"
        );
    }

    #[test]
    fn errors_have_codes_and_actionable_messages() {
        let e = NikError::Length { len: 15 };
        assert_eq!(e.code(), "LENGTH");
        assert_eq!(
            e.explain(),
            Bilingual::new(
                "NIK harus 16 angka; Anda memasukkan 15. Periksa KTP Anda.",
                "A NIK has 16 digits; you entered 15. Check your KTP."
            )
        );
        let all = [
            NikError::Length { len: 3 },
            NikError::NonDigit { position: 4 },
            NikError::UnknownProvince { code: "20".into() },
            NikError::ZeroRegency,
            NikError::ZeroDistrict,
            NikError::ImpossibleDate,
            NikError::ZeroSerial,
        ];
        let codes: Vec<_> = all.iter().map(NikError::code).collect();
        assert_eq!(
            codes,
            [
                "LENGTH",
                "NON_DIGIT",
                "UNKNOWN_PROVINCE",
                "ZERO_REGENCY",
                "ZERO_DISTRICT",
                "IMPOSSIBLE_DATE",
                "ZERO_SERIAL"
            ]
        );
        for e in &all {
            let m = e.explain();
            assert!(m.id.contains("KTP") || m.id.contains("KK"), "{e:?}");
            assert!(m.en.contains("KTP") || m.en.contains("KK"), "{e:?}");
        }
        assert!(
            NikError::NonDigit { position: 4 }
                .explain()
                .id
                .contains("ke-4")
        );
    }
}
