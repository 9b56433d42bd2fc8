//! The family's Virtual Account (VA) number per bank.
//!
//! Owns the VA layout. The VA is built from the head of family's card number, so it is
//! the one identifier shown in full, and only on the VA screen and slip.

use serde::Serialize;

use super::ids::CardNo;

/// A bank that collects JKN contributions through a Virtual Account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Bank {
    /// Bank Rakyat Indonesia.
    Bri,
    /// Bank Negara Indonesia.
    Bni,
    /// Bank Tabungan Negara.
    Btn,
    /// Bank Central Asia.
    Bca,
    /// Bank Mandiri.
    Mandiri,
}

impl Bank {
    /// Every bank, in the order the VA screen lists them.
    pub const ALL: &'static [Bank] = &[Bank::Bri, Bank::Bni, Bank::Btn, Bank::Bca, Bank::Mandiri];

    /// The name members know the bank by.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Bri => "BRI",
            Self::Bni => "BNI",
            Self::Btn => "BTN",
            Self::Bca => "BCA",
            Self::Mandiri => "Mandiri",
        }
    }

    fn prefix(&self) -> &'static str {
        match self {
            Self::Mandiri => "89888",
            _ => "88888",
        }
    }
}

/// The VA for `bank`: its 5-digit prefix plus the last 11 digits of the head of
/// family's card number (0001944358911 → 8888801944358911).
pub fn virtual_account(card: &CardNo, bank: Bank) -> String {
    let digits = card.as_str();
    // A CardNo is always 13 ASCII digits; `get` keeps this total anyway.
    let last11 = digits
        .get(digits.len().saturating_sub(11)..)
        .unwrap_or(digits);
    format!("{}{}", bank.prefix(), last11)
}

/// The VA at every bank, in [`Bank::ALL`] order.
pub fn all_virtual_accounts(card: &CardNo) -> Vec<(Bank, String)> {
    Bank::ALL
        .iter()
        .map(|&b| (b, virtual_account(card, b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_test_vector() {
        let card = CardNo::parse("0001944358911").unwrap();
        assert_eq!(virtual_account(&card, Bank::Bri), "8888801944358911");
    }

    #[test]
    fn every_bank() {
        let card = CardNo::parse("1234567890123").unwrap();
        let all = all_virtual_accounts(&card);
        let want = [
            (Bank::Bri, "8888834567890123"),
            (Bank::Bni, "8888834567890123"),
            (Bank::Btn, "8888834567890123"),
            (Bank::Bca, "8888834567890123"),
            (Bank::Mandiri, "8988834567890123"),
        ];
        assert_eq!(all.len(), want.len());
        for ((bank, va), (wb, wva)) in all.iter().zip(want) {
            assert_eq!((*bank, va.as_str()), (wb, wva));
            assert_eq!(va.len(), 16);
        }
        let names: Vec<_> = Bank::ALL.iter().map(Bank::name).collect();
        assert_eq!(names, ["BRI", "BNI", "BTN", "BCA", "Mandiri"]);
        assert_eq!(
            serde_json::to_string(&Bank::Mandiri).unwrap(),
            "\"MANDIRI\""
        );
    }
}
