//! The identification form: a NIK or card number plus a date of birth, typed on a keypad and
//! checked as the member types, so a mistake is explained before anything is looked up.

use chrono::NaiveDate;

use crate::domain::{self, Bilingual, Explain};
use crate::services::{Identity, IdentityKey};

/// Which identifier the member types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Nik,
    Card,
}

impl IdKind {
    /// How many digits the identifier has.
    pub fn digits(self) -> usize {
        match self {
            Self::Nik => 16,
            Self::Card => 13,
        }
    }
}

/// Which field the keypad types into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    BirthDate,
}

/// What the member has typed so far. Holds personal data: dropped with the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifyForm {
    pub kind: IdKind,
    pub field: Field,
    /// Digits only.
    pub id: String,
    /// Digits only, as DDMMYYYY.
    pub birth: String,
}

/// The most digits a birth date takes (DDMMYYYY).
pub const BIRTH_DIGITS: usize = 8;

impl Default for IdentifyForm {
    fn default() -> Self {
        Self {
            kind: IdKind::Nik,
            field: Field::Id,
            id: String::new(),
            birth: String::new(),
        }
    }
}

impl IdentifyForm {
    /// Switches between NIK and card number, clearing what was typed for the other.
    pub fn set_kind(&mut self, kind: IdKind) {
        if self.kind != kind {
            self.kind = kind;
            self.id.clear();
            self.field = Field::Id;
        }
    }

    /// Types one digit into the current field; extra digits are ignored, and a full
    /// identifier moves the keypad on to the birth date.
    pub fn digit(&mut self, d: char) {
        if !d.is_ascii_digit() {
            return;
        }
        match self.field {
            Field::Id if self.id.len() < self.kind.digits() => {
                self.id.push(d);
                if self.id.len() == self.kind.digits() && self.id_problem_at(None).is_none() {
                    self.field = Field::BirthDate;
                }
            }
            Field::BirthDate if self.birth.len() < BIRTH_DIGITS => self.birth.push(d),
            _ => {}
        }
    }

    /// Deletes the last digit; on an empty birth date it goes back to the identifier.
    pub fn backspace(&mut self) {
        match self.field {
            Field::Id => {
                self.id.pop();
            }
            Field::BirthDate if self.birth.is_empty() => self.field = Field::Id,
            Field::BirthDate => {
                self.birth.pop();
            }
        }
    }

    /// Clears the current field.
    pub fn clear(&mut self) {
        match self.field {
            Field::Id => self.id.clear(),
            Field::BirthDate => self.birth.clear(),
        }
    }

    /// What is wrong with the identifier typed so far, if anything can already be said.
    ///
    /// Partial input is judged as far as it goes: a NIK's province is checked after two
    /// digits, so a slip of the finger shows at once.
    pub fn id_problem_at(&self, today: Option<NaiveDate>) -> Option<Bilingual> {
        let n = self.id.len();
        match self.kind {
            IdKind::Nik => {
                if n >= 2 && !domain::nik::is_known_province(&self.id[..2]) {
                    return Some(Bilingual::tr_with(
                        "Dua angka pertama NIK ({0}) bukan kode provinsi. Periksa KTP Anda.",
                        &[("0", &&self.id[..2])],
                    ));
                }
                if n == 16 {
                    let today = today.unwrap_or(NaiveDate::MAX);
                    if let Err(e) = domain::parse_nik(&self.id, today) {
                        return Some(e.explain());
                    }
                }
                None
            }
            IdKind::Card => None,
        }
        .or_else(|| self.id_incomplete())
    }

    /// An identifier left short once the member moved on to the date of birth: say how many
    /// digits are there and how many are needed, rather than only greying Lanjut.
    fn id_incomplete(&self) -> Option<Bilingual> {
        let (n, want) = (self.id.len(), self.kind.digits());
        if n == 0 || n >= want || (self.field != Field::BirthDate && self.birth.is_empty()) {
            return None;
        }
        let msgid = match self.kind {
            IdKind::Nik => crate::i18n::n_(
                "NIK harus {want} angka; baru {n} angka. Sentuh kolomnya untuk melengkapi.",
            ),
            IdKind::Card => crate::i18n::n_(
                "Nomor kartu harus {want} angka; baru {n} angka. Sentuh kolomnya untuk melengkapi.",
            ),
        };
        Some(Bilingual::tr_with(msgid, &[("want", &want), ("n", &n)]))
    }

    /// What is wrong with the birth date typed so far, if anything can already be said.
    pub fn birth_problem(&self, today: NaiveDate) -> Option<Bilingual> {
        let b = &self.birth;
        let num = |r: std::ops::Range<usize>| b.get(r).and_then(|s| s.parse::<u32>().ok());
        if let Some(day) = num(0..2)
            && !(1..=31).contains(&day)
        {
            return Some(Bilingual::tr("Tanggal lahir harus 01–31."));
        }
        if let Some(month) = num(2..4)
            && !(1..=12).contains(&month)
        {
            return Some(Bilingual::tr("Bulan lahir harus 01–12."));
        }
        if b.len() == BIRTH_DIGITS {
            match self.birth_date() {
                None => {
                    return Some(Bilingual::tr(
                        "Tanggal itu tidak ada di kalender. Periksa tanggal lahir Anda.",
                    ));
                }
                Some(d) if d > today => {
                    return Some(Bilingual::tr("Tanggal lahir tidak boleh di masa depan."));
                }
                Some(d) if d.year_ce().1 < 1900 => {
                    return Some(Bilingual::tr(
                        "Tahun lahir terlalu lama. Periksa tahun lahir Anda.",
                    ));
                }
                _ => {}
            }
        }
        None
    }

    /// The birth date, once all eight digits are typed and form a real date.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        if self.birth.len() != BIRTH_DIGITS {
            return None;
        }
        let d = self.birth[0..2].parse().ok()?;
        let m = self.birth[2..4].parse().ok()?;
        let y = self.birth[4..8].parse().ok()?;
        NaiveDate::from_ymd_opt(y, m, d)
    }

    /// The birth date as the member sees it while typing: `17-08-19__`.
    pub fn birth_display(&self) -> String {
        let mut s = String::new();
        for (i, slot) in "DDMMYYYY".chars().enumerate() {
            if i == 2 || i == 4 {
                s.push('-');
            }
            s.push(self.birth.chars().nth(i).unwrap_or(match slot {
                'D' => 'H',
                'M' => 'B',
                _ => 'T',
            }));
        }
        s
    }

    /// Whether everything needed is typed and nothing is known to be wrong.
    pub fn ready(&self, today: NaiveDate) -> bool {
        self.id.len() == self.kind.digits()
            && self.id_problem_at(Some(today)).is_none()
            && self.birth_date().is_some()
            && self.birth_problem(today).is_none()
    }

    /// The identity to look up, when [`Self::ready`].
    pub fn identity(&self, today: NaiveDate) -> Option<Identity> {
        if !self.ready(today) {
            return None;
        }
        let key = match self.kind {
            IdKind::Nik => IdentityKey::Nik(self.id.clone()),
            IdKind::Card => IdentityKey::Card(self.id.clone()),
        };
        Identity::parse(key, &self.birth_date()?.to_string(), today).ok()
    }
}

use chrono::Datelike as _;

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn typed(kind: IdKind, id: &str, birth: &str) -> IdentifyForm {
        let mut f = IdentifyForm::default();
        f.set_kind(kind);
        id.chars().for_each(|c| f.digit(c));
        f.field = Field::BirthDate;
        birth.chars().for_each(|c| f.digit(c));
        f
    }

    #[test]
    fn a_wrong_province_shows_after_two_digits() {
        let f = typed(IdKind::Nik, "20", "");
        assert!(
            f.id_problem_at(Some(today()))
                .unwrap()
                .en
                .contains("province")
        );
        let mut typing = typed(IdKind::Nik, "32", "");
        typing.field = Field::Id;
        assert!(
            typing.id_problem_at(Some(today())).is_none(),
            "still typing the NIK"
        );
    }

    #[test]
    fn a_short_identifier_says_why_lanjut_waits() {
        // 15 digits, then the member goes on to the date: say what is missing.
        let f = typed(IdKind::Nik, "327301120580000", "12051980");
        assert!(!f.ready(today()));
        let m = f.id_problem_at(Some(today())).expect("a reason");
        assert!(
            m.id.contains("16 angka") && m.id.contains("baru 15"),
            "{m:?}"
        );
        let card = typed(IdKind::Card, "000100000001", "");
        let m = card.id_problem_at(Some(today())).expect("a reason");
        assert!(
            m.en.contains("13 digits") && m.en.contains("only 12"),
            "{m:?}"
        );
        // Not while the member is still typing it.
        let mut typing = IdentifyForm::default();
        "327301120580000".chars().for_each(|c| typing.digit(c));
        assert_eq!(typing.field, Field::Id);
        assert!(typing.id_problem_at(Some(today())).is_none());
    }

    #[test]
    fn a_full_nik_is_checked_and_moves_on_to_the_birth_date() {
        let mut f = IdentifyForm::default();
        "3273011205800001".chars().for_each(|c| f.digit(c));
        assert_eq!(f.field, Field::BirthDate);
        let mut bad = IdentifyForm::default();
        "3273001205800001".chars().for_each(|c| bad.digit(c));
        assert_eq!(
            bad.field,
            Field::Id,
            "a NIK with regency 00 stays for correction"
        );
        assert!(bad.id_problem_at(Some(today())).is_some());
        // Digits past the length are ignored.
        f.field = Field::Id;
        f.digit('9');
        assert_eq!(f.id.len(), 16);
    }

    #[test]
    fn impossible_and_future_birth_dates_are_explained() {
        let cases = [
            ("32", Some("day")),
            ("3113", Some("month")),
            ("30021990", Some("does not exist")),
            ("29022023", Some("does not exist")),
            ("29022024", None),
            ("01012030", Some("future")),
            ("17081985", None),
            ("1708", None),
        ];
        for (birth, want) in cases {
            let f = typed(IdKind::Nik, "3273011205800001", birth);
            let got = f.birth_problem(today()).map(|m| m.en);
            match want {
                Some(w) => assert!(got.as_deref().unwrap_or("").contains(w), "{birth}: {got:?}"),
                None => assert_eq!(got, None, "{birth}"),
            }
        }
    }

    #[test]
    fn ready_only_when_both_fields_are_complete_and_valid() {
        let f = typed(IdKind::Card, "0001000000011", "12051980");
        assert!(f.ready(today()));
        let id = f.identity(today()).unwrap();
        assert_eq!(id.key, IdentityKey::Card("0001000000011".into()));
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1980, 5, 12).unwrap());
        assert!(!typed(IdKind::Card, "000100000001", "12051980").ready(today()));
        assert!(!typed(IdKind::Nik, "3273011205800001", "1205198").ready(today()));
    }

    #[test]
    fn backspace_walks_back_across_fields_and_kind_switch_clears() {
        let mut f = typed(IdKind::Nik, "3273011205800001", "1");
        f.backspace();
        assert_eq!(f.birth, "");
        f.backspace();
        assert_eq!(f.field, Field::Id);
        f.backspace();
        assert_eq!(f.id.len(), 15);
        f.set_kind(IdKind::Card);
        assert!(f.id.is_empty());
        assert_eq!(typed(IdKind::Nik, "", "1708").birth_display(), "17-08-TTTT");
    }
}
