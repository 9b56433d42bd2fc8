//! The one catalog mechanism for member-facing text: gettext catalogs in
//! `ui/translations/<lang>/LC_MESSAGES/anjungan.po`, whose msgid is the Indonesian text.
//!
//! The Slint views use them through `@tr` (bundled by `build.rs`); Rust-side messages
//! (errors, slips, screen texts built in Rust) look them up here. This module needs no
//! Slint, so the hub and its console can use the same catalogs. A translator adds a
//! language by adding its `.po` file; `build.rs` turns every catalog into the table below.

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// The translation of `msgid` into `lang` (a catalog's directory name, e.g. `en`), if the
/// catalog has one.
pub fn lookup(lang: &str, msgid: &str) -> Option<&'static str> {
    let (_, pairs) = CATALOGS.iter().find(|(l, _)| *l == lang)?;
    pairs
        .binary_search_by(|(id, _)| (*id).cmp(msgid))
        .ok()
        .map(|i| pairs[i].1)
}

/// `msgid` in `lang`: its translation, or the Indonesian itself where the catalog has none
/// (Indonesian is always right, if not always understood; a test keeps the catalogs whole).
pub fn translate<'a>(lang: &str, msgid: &'a str) -> &'a str {
    lookup(lang, msgid).unwrap_or(msgid)
}

/// Fills the named placeholders `{name}` of a message with `args`.
pub fn fill(text: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// Marks a catalog msgid that is looked up later (gettext's `N_`), so the catalog tests
/// see it: `let title = i18n::n_("Hak peserta"); … lang.tr(title)`.
pub const fn n_(msgid: &str) -> &str {
    msgid
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    #[test]
    fn lookups_find_translations_and_fall_back_to_indonesian() {
        assert_eq!(lookup("en", "Kembali"), Some("Back"));
        assert_eq!(translate("en", "Beranda"), "Home");
        assert_eq!(
            translate("en", "tidak ada di katalog"),
            "tidak ada di katalog"
        );
        assert_eq!(translate("xx", "Kembali"), "Kembali");
        assert!(CATALOGS.iter().any(|(l, _)| *l == "en"));
    }

    #[test]
    fn placeholders_fill_by_name() {
        let amount = "Rp35.000";
        assert_eq!(
            fill(
                "Bayar {amount} sebelum {day}",
                &[("amount", &amount), ("day", &10)]
            ),
            "Bayar Rp35.000 sebelum 10"
        );
    }

    /// Reads a string literal (Rust or Slint) that starts at `s`'s first char, a `"`,
    /// and returns its value: escapes resolved, Rust's `\` line continuations removed.
    fn literal(s: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = s.chars().peekable();
        if chars.next()? != '"' {
            return None;
        }
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    '\n' => {
                        while chars.peek().is_some_and(|c| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    'u' => {
                        let hex: String =
                            chars.by_ref().skip(1).take_while(|c| *c != '}').collect();
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    /// Every msgid a source file under `dir` (with extension `ext`) passes to one of
    /// `calls` as a literal.
    fn msgids(dir: &Path, ext: &str, calls: &[&str], found: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                msgids(&path, ext, calls, found);
                continue;
            }
            // This file names the calls it looks for; it makes none.
            if path.extension().and_then(|e| e.to_str()) != Some(ext) || path.ends_with("i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in calls {
                for (at, _) in text.match_indices(call) {
                    let rest = text[at + call.len()..].trim_start();
                    if let Some(id) = literal(rest) {
                        found.insert(id);
                    }
                }
            }
        }
    }

    fn used() -> (BTreeSet<String>, BTreeSet<String>) {
        // The workspace: the kiosk's views and code, this crate's, and the hub's.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut slint = BTreeSet::new();
        msgids(&root.join("ui"), "slint", &["@tr("], &mut slint);
        let mut rust = BTreeSet::new();
        for dir in ["src", "core/src", "hub/src"] {
            msgids(
                &root.join(dir),
                "rs",
                &["::tr(", ".tr(", "::tr_with(", ".tr_with(", "::n_("],
                &mut rust,
            );
        }
        (slint, rust)
    }

    /// Every text the views and the Rust code look up has an English translation: a
    /// missing one would show Indonesian to a member who chose English.
    #[test]
    fn every_message_used_has_its_english() {
        let (slint, rust) = used();
        assert!(
            slint.len() > 50 && !rust.is_empty(),
            "{} {}",
            slint.len(),
            rust.len()
        );
        let missing: Vec<&String> = slint
            .iter()
            .chain(&rust)
            .filter(|id| lookup("en", id).is_none())
            .filter(|id| id.as_str() != "tidak ada di katalog")
            .collect();
        assert!(missing.is_empty(), "no English for: {missing:#?}");
    }

    /// And the catalog holds nothing that nothing uses (a stale entry is a translator's
    /// wasted work, or a text that lost its translation when the Indonesian changed).
    #[test]
    fn the_catalog_holds_no_stale_entries() {
        let (slint, rust) = used();
        let (_, en) = CATALOGS.iter().find(|(l, _)| *l == "en").unwrap();
        let stale: Vec<&str> = en
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !slint.contains(*id) && !rust.contains(*id))
            .collect();
        assert!(stale.is_empty(), "unused catalog entries: {stale:#?}");
    }
}
