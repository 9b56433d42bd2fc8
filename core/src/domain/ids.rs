//! JKN card numbers, KK numbers and masking of identifiers for screen and paper.
//!
//! Owns the shape checks of the card (13 digits) and KK (16 digits) numbers, and the
//! masks required by UU PDP. NIK decoding lives in `nik`; the VA in `va`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::message::{Bilingual, Explain};

/// Why a text is not a card or KK number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The card number is not 13 characters.
    #[error("a JKN card number has 13 digits, got {len} characters")]
    CardLength {
        /// Characters entered, after trimming.
        len: usize,
    },
    /// The card number has a non-digit.
    #[error("character {position} of the card number is not a digit")]
    CardNonDigit {
        /// 1-based character position.
        position: usize,
    },
    /// The KK number is not 16 characters.
    #[error("a KK number has 16 digits, got {len} characters")]
    KkLength {
        /// Characters entered, after trimming.
        len: usize,
    },
    /// The KK number has a non-digit.
    #[error("character {position} of the KK number is not a digit")]
    KkNonDigit {
        /// 1-based character position.
        position: usize,
    },
}

impl IdError {
    /// Stable code for the API and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CardLength { .. } => "CARD_LENGTH",
            Self::CardNonDigit { .. } => "CARD_NON_DIGIT",
            Self::KkLength { .. } => "KK_LENGTH",
            Self::KkNonDigit { .. } => "KK_NON_DIGIT",
        }
    }
}

impl Explain for IdError {
    fn explain(&self) -> Bilingual {
        match self {
            Self::CardLength { len } => Bilingual::tr_with(
                "Nomor kartu JKN harus 13 angka; Anda memasukkan {len}. \
                     Periksa kartu JKN Anda atau aplikasi Mobile JKN.",
                &[("len", &len)],
            ),
            Self::CardNonDigit { position } => Bilingual::tr_with(
                "Nomor kartu JKN hanya berisi angka; karakter ke-{position} bukan angka. \
                     Periksa kartu JKN Anda dan ketik ulang.",
                &[("position", &position)],
            ),
            Self::KkLength { len } => Bilingual::tr_with(
                "Nomor KK harus 16 angka; Anda memasukkan {len}. Periksa Kartu Keluarga Anda.",
                &[("len", &len)],
            ),
            Self::KkNonDigit { position } => Bilingual::tr_with(
                "Nomor KK hanya berisi angka; karakter ke-{position} bukan angka. \
                     Periksa Kartu Keluarga Anda dan ketik ulang.",
                &[("position", &position)],
            ),
        }
    }
}

/// Trims `s` and checks it is exactly `n` ASCII digits; on error gives (length, or
/// 1-based position of the first non-digit).
fn digits_exactly(s: &str, n: usize) -> Result<&str, Result<usize, usize>> {
    let t = s.trim();
    let len = t.chars().count();
    if len != n {
        return Err(Ok(len));
    }
    match t.chars().position(|c| !c.is_ascii_digit()) {
        Some(i) => Err(Err(i + 1)),
        None => Ok(t),
    }
}

/// A JKN card number (nomor kartu): 13 ASCII digits. It has no known check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardNo(String);

impl CardNo {
    /// Parses a card number, trimming surrounding whitespace.
    pub fn parse(s: &str) -> Result<CardNo, IdError> {
        match digits_exactly(s, 13) {
            Ok(t) => Ok(CardNo(t.to_string())),
            Err(Ok(len)) => Err(IdError::CardLength { len }),
            Err(Err(position)) => Err(IdError::CardNonDigit { position }),
        }
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form for screen and paper, e.g. `0001*****8911`.
    pub fn masked(&self) -> String {
        mask_card(&self.0)
    }
}

/// A family card (Kartu Keluarga) number: 16 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KkNo(String);

impl KkNo {
    /// Parses a KK number, trimming surrounding whitespace.
    pub fn parse(s: &str) -> Result<KkNo, IdError> {
        match digits_exactly(s, 16) {
            Ok(t) => Ok(KkNo(t.to_string())),
            Err(Ok(len)) => Err(IdError::KkLength { len }),
            Err(Err(position)) => Err(IdError::KkNonDigit { position }),
        }
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form for screen and paper.
    pub fn masked(&self) -> String {
        mask_kk(&self.0)
    }
}

// Display shows the full number because the types are also used for storage and the
// hub API; anything member-facing must go through `masked()`.
impl fmt::Display for CardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for KkNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CardNo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CardNo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        CardNo::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for KkNo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for KkNo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        KkNo::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Keeps the first `head` and last `tail` characters of an identifier of exactly
/// `len` ASCII digits and stars the rest. Anything else is starred completely:
/// a malformed number may be a typo of a real one, so no part of it is shown.
fn mask(s: &str, len: usize, head: usize, tail: usize) -> String {
    let t = s.trim();
    if t.len() == len && t.bytes().all(|b| b.is_ascii_digit()) {
        // All ASCII, so byte ranges are character ranges.
        format!(
            "{}{}{}",
            &t[..head],
            "*".repeat(len - head - tail),
            &t[len - tail..]
        )
    } else {
        "*".repeat(t.chars().count())
    }
}

/// Masks a NIK for screen and paper: `3201**********01`. Never prints the full NIK.
pub fn mask_nik(s: &str) -> String {
    mask(s, 16, 4, 2)
}

/// Masks a JKN card number: `0001*****8911`.
pub fn mask_card(s: &str) -> String {
    mask(s, 13, 4, 4)
}

/// Masks another person's name partly: the first word, then initials ("Siti A."). Shown for
/// the other people on a member's family card, who did not identify themselves.
pub fn mask_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let Some(first) = words.next() else {
        return String::new();
    };
    let mut out = first.to_owned();
    for w in words {
        if let Some(c) = w.chars().next() {
            out.push(' ');
            out.extend(c.to_uppercase());
            out.push('.');
        }
    }
    out
}

/// Masks a KK number like a NIK: `3201**********05`.
pub fn mask_kk(s: &str) -> String {
    mask(s, 16, 4, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_names_keep_the_first_word_and_initials() {
        assert_eq!(mask_name("Siti Aminah"), "Siti A.");
        assert_eq!(mask_name("  rizky  putra santoso "), "rizky P. S.");
        assert_eq!(mask_name("Made"), "Made");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn card_numbers() {
        let c = CardNo::parse(" 0001944358911 ").unwrap();
        assert_eq!(c.as_str(), "0001944358911");
        assert_eq!(c.to_string(), "0001944358911");
        assert_eq!(c.masked(), "0001*****8911");
        let table = [
            ("000194435891", IdError::CardLength { len: 12 }),
            ("00019443589111", IdError::CardLength { len: 14 }),
            ("", IdError::CardLength { len: 0 }),
            ("0001 44358911", IdError::CardNonDigit { position: 5 }),
            ("000194435891é", IdError::CardNonDigit { position: 13 }),
            ("O001944358911", IdError::CardNonDigit { position: 1 }),
        ];
        for (s, want) in table {
            assert_eq!(CardNo::parse(s), Err(want), "{s:?}");
        }
    }

    #[test]
    fn kk_numbers() {
        let k = KkNo::parse("3201010101200005").unwrap();
        assert_eq!(k.as_str(), "3201010101200005");
        assert_eq!(k.masked(), "3201**********05");
        assert_eq!(
            KkNo::parse("320101010120000"),
            Err(IdError::KkLength { len: 15 })
        );
        assert_eq!(
            KkNo::parse("32010101012000-5"),
            Err(IdError::KkNonDigit { position: 15 })
        );
    }

    #[test]
    fn ids_serialize_as_strings_and_validate_on_the_way_in() {
        let c = CardNo::parse("0001944358911").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"0001944358911\"");
        assert_eq!(
            serde_json::from_str::<CardNo>("\"0001944358911\"").unwrap(),
            c
        );
        assert!(serde_json::from_str::<CardNo>("\"123\"").is_err());
        assert!(serde_json::from_str::<KkNo>("\"123\"").is_err());
    }

    #[test]
    fn masks() {
        type Mask = fn(&str) -> String;
        let table: &[(Mask, &str, &str)] = &[
            (mask_nik, "3201010101900001", "3201**********01"),
            (mask_nik, " 3201010101900001 ", "3201**********01"),
            (mask_nik, "320101010190000", "***************"),
            (mask_nik, "32010101019000012", "*****************"),
            (mask_nik, "3201", "****"),
            (mask_nik, "", ""),
            (mask_nik, "320101010190000é", "****************"),
            (mask_nik, "ééé", "***"),
            (mask_nik, "3201ABCDEFGHIJ01", "****************"),
            (mask_card, "0001944358911", "0001*****8911"),
            (mask_card, "000194435891", "************"),
            (mask_card, "0001９44358911", "*************"),
            (mask_kk, "3201010101200005", "3201**********05"),
            (mask_kk, "x", "*"),
        ];
        for (f, input, want) in table {
            assert_eq!(f(input), *want, "{input:?}");
        }
    }

    #[test]
    fn errors_have_codes_and_actionable_messages() {
        let all = [
            IdError::CardLength { len: 12 },
            IdError::CardNonDigit { position: 2 },
            IdError::KkLength { len: 15 },
            IdError::KkNonDigit { position: 3 },
        ];
        let codes: Vec<_> = all.iter().map(IdError::code).collect();
        assert_eq!(
            codes,
            ["CARD_LENGTH", "CARD_NON_DIGIT", "KK_LENGTH", "KK_NON_DIGIT"]
        );
        assert!(all[0].explain().id.contains("13 angka; Anda memasukkan 12"));
        assert!(all[0].explain().en.contains("13 digits; you entered 12"));
        assert!(all[3].explain().id.contains("ke-3"));
        for e in all {
            assert!(e.explain().en.contains("Check"), "{e:?}");
        }
    }
}
