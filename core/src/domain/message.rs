//! User-facing messages in Indonesian and English.
//!
//! Owns the [`Bilingual`] pair and the [`Explain`] trait that every member-facing
//! error and status implements. It owns no wording for any particular rule: each
//! module writes its own messages next to the rule they explain.

use serde::Serialize;

/// A message for a member, in Indonesian (`id`) and English (`en`).
///
/// Messages say what happened and what to do next, so a screen never shows only a
/// red word or an error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bilingual {
    /// Bahasa Indonesia, the kiosk's primary language.
    pub id: String,
    /// English translation.
    pub en: String,
}

impl Bilingual {
    /// Builds a message from its two texts. For texts of the kiosk's own (not from a
    /// dataset, a device or a peer), use the catalog: [`Bilingual::tr`].
    pub fn new(id: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            en: en.into(),
        }
    }

    /// A catalog message: the Indonesian `msgid`, with its English from
    /// `ui/translations/en` (see [`crate::i18n`]).
    pub fn tr(msgid: &str) -> Self {
        Self {
            id: msgid.to_owned(),
            en: crate::i18n::translate("en", msgid).to_owned(),
        }
    }

    /// [`Bilingual::tr`] with the named placeholders `{name}` filled in both languages.
    pub fn tr_with(msgid: &str, args: &[(&str, &dyn std::fmt::Display)]) -> Self {
        Self {
            id: crate::i18n::fill(msgid, args),
            en: crate::i18n::fill(crate::i18n::translate("en", msgid), args),
        }
    }
}

impl Lang {
    /// The kiosk's one time format: "09.30" in Indonesian, "09:30" in English, on screens
    /// and slips alike.
    pub fn time_format(self) -> &'static str {
        match self {
            Lang::Id => "%H.%M",
            Lang::En => "%H:%M",
        }
    }
}

/// Something that can tell a member, in both languages, what it means and what to do next.
pub trait Explain {
    /// The member-facing explanation.
    fn explain(&self) -> Bilingual;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keeps_both_languages_apart() {
        let m = Bilingual::new("Halo", "Hello");
        assert_eq!(m.id, "Halo");
        assert_eq!(m.en, "Hello");
    }

    #[test]
    fn serializes_as_id_and_en() {
        let json = serde_json::to_string(&Bilingual::new("a", "b")).unwrap();
        assert_eq!(json, r#"{"id":"a","en":"b"}"#);
    }
}

/// The language a member chose: Indonesian by default, English on the toggle. Screens and
/// slips use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    /// The catalog's name for this language (`""` for Indonesian, the source language).
    pub fn catalog(self) -> &'static str {
        match self {
            Self::Id => "",
            Self::En => "en",
        }
    }

    /// A catalog message (its Indonesian `msgid`) in this language.
    pub fn tr(self, msgid: &str) -> &str {
        match self {
            Self::Id => msgid,
            Self::En => crate::i18n::translate("en", msgid),
        }
    }

    /// [`Lang::tr`] with the named placeholders `{name}` filled.
    pub fn tr_with(self, msgid: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        crate::i18n::fill(self.tr(msgid), args)
    }

    /// The text in this language.
    pub fn pick<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Id => id,
            Self::En => en,
        }
    }

    /// A bilingual message in this language.
    pub fn text(self, b: &Bilingual) -> &str {
        self.pick(&b.id, &b.en)
    }
}
