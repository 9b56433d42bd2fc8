//! Text as the kiosk shows it, turned into words a speech engine reads right, per language.
//!
//! What each form becomes (Indonesian / English):
//! - amounts `Rp2.565.000` (dots group thousands): "dua juta lima ratus enam puluh lima ribu
//!   rupiah" / "two million five hundred sixty-five thousand rupiah";
//! - dates `22-11-2026`: "dua puluh dua November dua ribu dua puluh enam" / "twenty-two
//!   November two thousand twenty-six";
//! - times `09.00`, `09.30` (Indonesian) and `09:30` (English), with `WIB`, `WITA`, `WIT`:
//!   "pukul sembilan", "pukul sembilan lewat tiga puluh menit", "Waktu Indonesia Barat" /
//!   "nine o'clock", "nine thirty", "Western Indonesia Time";
//! - queue numbers `A-012`, `A-P01`: the letters, then the number: "A, dua belas", "A P, satu";
//! - masked numbers `3273**********01`, `0001*****0011`: only the digits shown at the end,
//!   one by one: "berakhiran nol satu" / "ending in zero one";
//! - runs of five or more digits (a VA, a phone number): digit by digit; shorter numbers
//!   and numbers grouped by dots: in words;
//! - ranges `4–24`: "empat sampai dua puluh empat" / "four to twenty-four"; `±15`: "sekitar
//!   lima belas" / "about fifteen"; `5%`: "lima persen" / "five percent";
//! - abbreviations: spelled with the language's letter names (FKTP: "ef ka te pe" / "F K T
//!   P"), for the abbreviations the kiosk uses (`SPELLED`); KIS, NIK and REHAB said as
//!   words, VA in full ("Virtual Account"); other words in capitals (AKTIF) read as words;
//! - `·` and a dash between words become a pause (a comma), `/` between words "atau" / "or".

use super::words::{digits, number};
use crate::domain::Lang;
use crate::domain::payer::{MONTHS_EN, MONTHS_ID};

/// Abbreviations said as words, or in full, rather than spelled.
const SAID_AS_WORDS: [(&str, &str, &str); 4] = [
    ("KIS", "kis", "K I S"),
    ("NIK", "nik", "N I K"),
    ("REHAB", "rehab", "rehab"),
    ("VA", "Virtual Account", "Virtual Account"),
];

/// The abbreviations the kiosk's texts use, spelled letter by letter. Any other word in
/// capitals (a status such as AKTIF or MENUNGGAK) is read as a word.
const SPELLED: [&str; 31] = [
    "FKTP", "FKRTL", "BPJS", "JKN", "KTP", "KK", "PBI", "PBPU", "PPU", "BP", "PN", "BU", "RS",
    "RSUD", "SDM", "HRD", "DTKS", "APBN", "APBD", "PNS", "TNI", "ASN", "SK", "BCA", "BNI", "BRI",
    "BTN", "IGD", "SKM", "MPP", "KC",
];

/// Indonesian letter names, A to Z.
const LETTERS_ID: [&str; 26] = [
    "a", "be", "ce", "de", "e", "ef", "ge", "ha", "i", "je", "ka", "el", "em", "en", "o", "pe",
    "ki", "er", "es", "te", "u", "ve", "we", "eks", "ye", "zet",
];

/// `text` as words to speak in `lang`.
pub fn normalize(text: &str, lang: Lang) -> String {
    let mut out: Vec<String> = Vec::new();
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        // "Rp 35.000": the amount in the next token.
        if token == "Rp"
            && let Some(next) = tokens.get(i + 1)
        {
            let (core, tail) = split_punct(next);
            if let Some(n) = grouped_number(core) {
                out.push(rupiah(n, lang));
                push_tail(&mut out, tail);
                i += 2;
                continue;
            }
        }
        // A time followed by its zone.
        let zone = tokens
            .get(i + 1)
            .and_then(|z| zone_name(split_punct(z).0, lang));
        let (core, tail) = split_punct(token);
        if let (Some(t), Some(z)) = (time(core, lang, out.last()), zone) {
            out.push(t);
            out.push(z.to_owned());
            push_tail(&mut out, split_punct(tokens[i + 1]).1);
            i += 2;
            continue;
        }
        let (lead, core) = split_lead(core);
        if !lead.is_empty() {
            out.push(lead.to_owned());
        }
        out.push(word(core, lang, out.last()));
        push_tail(&mut out, tail);
        i += 1;
    }
    let joined = out
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    // Punctuation pushed as its own word goes back against the word before it.
    let mut s = joined
        .replace(" ,", ",")
        .replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" :", ":")
        .replace(" ;", ";")
        .replace(" )", ")")
        .replace("( ", "(");
    while s.contains(",,") {
        s = s.replace(",,", ",");
    }
    s.trim().to_owned()
}

/// Trailing punctuation kept for the engine's pauses: `(core, tail)`.
fn split_punct(token: &str) -> (&str, &str) {
    let core = token.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
    // A number's own dots are not punctuation: "Rp2.565.000." keeps "2.565.000".
    (core, &token[core.len()..])
}

fn split_lead(token: &str) -> (&str, &str) {
    let core = token.trim_start_matches(['(', '"', '\'']);
    (&token[..token.len() - core.len()], core)
}

fn push_tail(out: &mut Vec<String>, tail: &str) {
    // Quotes are not read; brackets and the rest are kept as pauses.
    let kept: String = tail
        .chars()
        .filter(|c| matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')'))
        .collect();
    if !kept.is_empty() {
        out.push(kept);
    }
}

/// One token in words.
fn word(token: &str, lang: Lang, before: Option<&String>) -> String {
    if token.is_empty() {
        return String::new();
    }
    match token {
        "·" | "–" | "—" | "-" | "|" => return ",".into(),
        "&" => return pick(lang, "dan", "and").into(),
        "+" => return pick(lang, "tambah", "plus").into(),
        _ => {}
    }
    if let Some(rest) = token.strip_prefix("Rp")
        && let Some(n) = grouped_number(rest)
    {
        return rupiah(n, lang);
    }
    if let Some(d) = date(token, lang) {
        return d;
    }
    if let Some(t) = time(token, lang, before) {
        return t;
    }
    if let Some(q) = queue_number(token, lang) {
        return q;
    }
    if token.contains('*') {
        return masked(token, lang);
    }
    if let Some(r) = range(token, lang) {
        return r;
    }
    if let Some(rest) = token.strip_prefix('±')
        && let Some(n) = grouped_number(rest)
    {
        return format!("{} {}", pick(lang, "sekitar", "about"), number(n, lang));
    }
    if let Some(rest) = token.strip_suffix('%')
        && let Some(n) = grouped_number(rest)
    {
        return format!("{} {}", number(n, lang), pick(lang, "persen", "percent"));
    }
    if token.chars().all(|c| c.is_ascii_digit()) {
        return if token.len() >= 5 {
            digits(token, lang)
        } else {
            number(token.parse().unwrap_or(0), lang)
        };
    }
    if let Some(n) = grouped_number(token) {
        return number(n, lang);
    }
    if let Some(w) = abbreviation(token, lang) {
        return w;
    }
    // Words joined by a slash ("KTP/NIK") or a hyphen-less dash: each part on its own.
    if token.contains('/') && token.split('/').all(|p| !p.is_empty()) {
        let or = pick(lang, " atau ", " or ");
        return token
            .split('/')
            .map(|p| word(p, lang, None))
            .collect::<Vec<_>>()
            .join(or);
    }
    // A range of months ("Sep–Des"): in full, "September sampai Desember".
    if let Some((a, b)) = token.split_once('–')
        && let (Some(a), Some(b)) = (month_in_full(a, lang), month_in_full(b, lang))
    {
        return format!("{a} {} {b}", pick(lang, "sampai", "to"));
    }
    if token.contains(['–', '—']) {
        return token
            .split(['–', '—'])
            .map(|p| word(p, lang, None))
            .collect::<Vec<_>>()
            .join(", ");
    }
    // Digits left inside a word ("ke-3", "A1"): read them, keep the letters.
    if token.chars().any(|c| c.is_ascii_digit()) {
        return mixed(token, lang);
    }
    token.to_owned()
}

fn pick(lang: Lang, id: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

fn rupiah(n: u64, lang: Lang) -> String {
    format!("{} rupiah", number(n, lang))
}

/// "2.565.000" (dots every three digits) or plain digits, as a number.
fn grouped_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.chars().next()?.is_ascii_digit() {
        return None;
    }
    let parts: Vec<&str> = s.split('.').collect();
    let ok = parts
        .iter()
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && (parts.len() == 1 || (parts[0].len() <= 3 && parts[1..].iter().all(|p| p.len() == 3)));
    if !ok {
        return None;
    }
    parts.concat().parse().ok()
}

/// `DD-MM-YYYY`.
fn date(s: &str, lang: Lang) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 10 || b[2] != b'-' || b[5] != b'-' {
        return None;
    }
    let day: u64 = s.get(0..2)?.parse().ok()?;
    let month: usize = s.get(3..5)?.parse().ok()?;
    let year: u64 = s.get(6..10)?.parse().ok()?;
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return None;
    }
    let name = match lang {
        Lang::Id => MONTHS_ID[month - 1],
        Lang::En => MONTHS_EN[month - 1],
    };
    Some(format!(
        "{} {name} {}",
        number(day, lang),
        number(year, lang)
    ))
}

/// `HH.MM` in Indonesian, `HH:MM` in English (either is accepted in both).
fn time(s: &str, lang: Lang, before: Option<&String>) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 5 || !(b[2] == b'.' || b[2] == b':') {
        return None;
    }
    let h: u64 = s.get(0..2)?.parse().ok()?;
    let m: u64 = s.get(3..5)?.parse().ok()?;
    if h > 23 || m > 59 {
        return None;
    }
    Some(match lang {
        Lang::Id => {
            // "pukul 09.00" already says pukul.
            let pukul = if before.is_some_and(|w| w.eq_ignore_ascii_case("pukul")) {
                ""
            } else {
                "pukul "
            };
            if m == 0 {
                format!("{pukul}{}", number(h, lang))
            } else {
                format!("{pukul}{} lewat {} menit", number(h, lang), number(m, lang))
            }
        }
        Lang::En => match m {
            0 => format!("{} o'clock", number(h, lang)),
            1..=9 => format!("{} oh {}", number(h, lang), number(m, lang)),
            _ => format!("{} {}", number(h, lang), number(m, lang)),
        },
    })
}

fn zone_name(s: &str, lang: Lang) -> Option<&'static str> {
    Some(match (s, lang) {
        ("WIB", Lang::Id) => "Waktu Indonesia Barat",
        ("WITA", Lang::Id) => "Waktu Indonesia Tengah",
        ("WIT", Lang::Id) => "Waktu Indonesia Timur",
        ("WIB", Lang::En) => "Western Indonesia Time",
        ("WITA", Lang::En) => "Central Indonesia Time",
        ("WIT", Lang::En) => "Eastern Indonesia Time",
        _ => return None,
    })
}

/// `A-012`, `A-P01`: the series letters, a pause, the number.
fn queue_number(s: &str, lang: Lang) -> Option<String> {
    let (series, n) = s.split_once('-')?;
    if series.len() != 1 || !series.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let (priority, n) = match n.strip_prefix('P') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    if n.is_empty() || n.len() > 4 || !n.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let letters = if priority {
        format!("{series} P")
    } else {
        series.to_owned()
    };
    Some(format!("{letters}, {}", number(n.parse().ok()?, lang)))
}

/// Only the digits after the mask: the rest is not known, and not said.
fn masked(s: &str, lang: Lang) -> String {
    let shown = s.rsplit('*').next().unwrap_or("");
    if shown.chars().any(|c| c.is_ascii_digit()) {
        format!(
            "{} {}",
            pick(lang, "berakhiran", "ending in"),
            digits(shown, lang)
        )
    } else {
        pick(lang, "nomor tersamar", "a masked number").into()
    }
}

/// A month as the dues screen shortens it ("Sep"), in full.
fn month_in_full(short: &str, lang: Lang) -> Option<&'static str> {
    use crate::domain::dues::{MONTHS_SHORT_EN, MONTHS_SHORT_ID};
    use crate::domain::payer::{MONTHS_EN, MONTHS_ID};
    let (shorts, full) = match lang {
        Lang::Id => (&MONTHS_SHORT_ID, &MONTHS_ID),
        Lang::En => (&MONTHS_SHORT_EN, &MONTHS_EN),
    };
    let i = shorts.iter().position(|m| *m == short)?;
    Some(full[i])
}

/// `4–24` or `4-24`: "empat sampai dua puluh empat".
fn range(s: &str, lang: Lang) -> Option<String> {
    let (a, b) = s.split_once(['–', '-'])?;
    let (a, b) = (grouped_number(a)?, grouped_number(b)?);
    Some(format!(
        "{} {} {}",
        number(a, lang),
        pick(lang, "sampai", "to"),
        number(b, lang)
    ))
}

/// A word in capitals: a known abbreviation spelled with the language's letter names, a few
/// said as words or in full, anything else read as a word.
fn abbreviation(s: &str, lang: Lang) -> Option<String> {
    if let Some((_, id, en)) = SAID_AS_WORDS.iter().find(|(a, _, _)| *a == s) {
        return Some(pick(lang, id, en).to_owned());
    }
    if s.len() < 2 || !s.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    if !SPELLED.contains(&s) {
        return Some(s.to_lowercase());
    }
    Some(
        s.chars()
            .map(|c| match lang {
                Lang::Id => LETTERS_ID[(c as u8 - b'A') as usize].to_owned(),
                Lang::En => c.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A word with digits in it: each digit run in words, the letters kept.
fn mixed(s: &str, lang: Lang) -> String {
    let mut out = Vec::new();
    let mut run = String::new();
    let mut text = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                out.push(std::mem::take(&mut text));
            }
            run.push(c);
        } else {
            if !run.is_empty() {
                out.push(number(run.parse().unwrap_or(0), lang));
                run.clear();
            }
            if c != '-' {
                text.push(c);
            } else if !text.is_empty() {
                out.push(std::mem::take(&mut text));
            }
        }
    }
    if !run.is_empty() {
        out.push(if run.len() >= 5 {
            digits(&run, lang)
        } else {
            number(run.parse().unwrap_or(0), lang)
        });
    }
    if !text.is_empty() {
        out.push(text);
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::words::tests::parse_id;
    use super::*;
    use proptest::prelude::*;

    fn id(s: &str) -> String {
        normalize(s, Lang::Id)
    }
    fn en(s: &str) -> String {
        normalize(s, Lang::En)
    }

    #[test]
    fn the_issue_examples() {
        assert_eq!(
            id("Rp2.565.000"),
            "dua juta lima ratus enam puluh lima ribu rupiah"
        );
        assert_eq!(
            id("22-11-2026"),
            "dua puluh dua November dua ribu dua puluh enam"
        );
        assert_eq!(id("Rp1.000"), "seribu rupiah");
        assert_eq!(id("Rp100.000"), "seratus ribu rupiah");
        assert_eq!(id("Rp11.000"), "sebelas ribu rupiah");
        assert_eq!(
            en("Rp2.565.000"),
            "two million five hundred sixty-five thousand rupiah"
        );
        assert_eq!(
            en("22-11-2026"),
            "twenty-two November two thousand twenty-six"
        );
    }

    #[test]
    fn sentences_as_the_kiosk_writes_them() {
        for (lang, text, spoken) in [
            (
                Lang::Id,
                "Bayar Rp2.565.000 (tunggakan dan iuran bulan ini) melalui Virtual Account keluarga.",
                "Bayar dua juta lima ratus enam puluh lima ribu rupiah (tunggakan dan iuran bulan ini) melalui Virtual Account keluarga.",
            ),
            (
                Lang::Id,
                "Data per 22-11-2026 09.00 WIB",
                "Data per dua puluh dua November dua ribu dua puluh enam pukul sembilan Waktu Indonesia Barat",
            ),
            (
                Lang::En,
                "Data as of 22-11-2026 09:30 WIB",
                "Data as of twenty-two November two thousand twenty-six nine thirty Western Indonesia Time",
            ),
            (
                Lang::Id,
                "diambil pukul 10.05",
                "diambil pukul sepuluh lewat lima menit",
            ),
            (
                Lang::Id,
                "Nomor antrean A-012",
                "Nomor antrean A, dua belas",
            ),
            (Lang::En, "Your number A-P01", "Your number A P, one"),
            (
                Lang::Id,
                "2025: Jan–Des. 2026: Feb, Sep–Okt.",
                "dua ribu dua puluh lima: Januari sampai Desember. dua ribu dua puluh enam: Feb, September sampai Oktober.",
            ),
            (
                Lang::En,
                "2026: Aug–Dec.",
                "two thousand twenty-six: August to December.",
            ),
            (Lang::Id, "NIK 3273**********01", "nik berakhiran nol satu"),
            (
                Lang::En,
                "Card 0001*****0011",
                "Card ending in zero zero one one",
            ),
            (
                Lang::Id,
                "Bawa KTP dan KK ke FKTP Anda",
                "Bawa ka te pe dan ka ka ke ef ka te pe Anda",
            ),
            (Lang::En, "your FKTP and BPJS", "your F K T P and B P J S"),
            (Lang::Id, "VA BCA", "Virtual Account be ce a"),
            (
                Lang::Id,
                "tunggakan 4–24 bulan",
                "tunggakan empat sampai dua puluh empat bulan",
            ),
            (
                Lang::Id,
                "Dilayani ±15 menit",
                "Dilayani sekitar lima belas menit",
            ),
            (
                Lang::En,
                "employer 4% + worker 1%",
                "employer four percent plus worker one percent",
            ),
            (
                Lang::Id,
                "VA 8888801000000011",
                "Virtual Account delapan delapan delapan delapan delapan nol satu nol nol nol nol nol nol nol satu satu",
            ),
            (Lang::Id, "KTP/NIK", "ka te pe atau nik"),
            (
                Lang::Id,
                "Status AKTIF · kelas 3",
                "Status aktif, kelas tiga",
            ),
            (
                Lang::Id,
                "Silakan ambil struk Anda.",
                "Silakan ambil struk Anda.",
            ),
        ] {
            assert_eq!(normalize(text, lang), spoken, "{text:?}");
        }
    }

    proptest! {
        /// Any amount, written as the kiosk writes it, is read as its own number.
        #[test]
        fn amounts_read_as_their_number(n in 0u64..1_000_000_000_000) {
            let spoken = id(&format!("Rp{}", crate::domain::rupiah(n as i64).trim_start_matches("Rp")));
            let words = spoken.strip_suffix(" rupiah").expect("ends in rupiah");
            prop_assert_eq!(parse_id(words), Some(n), "{}", spoken);
        }

        /// Dates of any day read without digits, with the right month.
        #[test]
        fn dates_read_without_digits(d in 1u32..=28, m in 1usize..=12, y in 1900u32..2100) {
            let s = format!("{d:02}-{m:02}-{y}");
            let spoken = id(&s);
            prop_assert!(!spoken.chars().any(|c| c.is_ascii_digit()), "{}", spoken);
            prop_assert!(spoken.contains(MONTHS_ID[m - 1]), "{}", spoken);
        }

        /// A masked number never speaks a digit that was masked: only the visible tail.
        #[test]
        fn masked_numbers_speak_only_their_tail(head in "[0-9]{4}", tail in "[0-9]{2,4}", stars in 4usize..12) {
            let shown = format!("{head}{}{tail}", "*".repeat(stars));
            let spoken = en(&shown);
            prop_assert_eq!(spoken.split(' ').count(), 2 + tail.len(), "{}", spoken);
        }

        /// Whatever text comes in, the result has no digits, and the normaliser never panics.
        #[test]
        fn no_digits_survive(s in "[ -~·–±]{0,60}") {
            for lang in [Lang::Id, Lang::En] {
                let spoken = normalize(&s, lang);
                prop_assert!(!spoken.chars().any(|c| c.is_ascii_digit()), "{:?} -> {:?}", s, spoken);
                prop_assert!(!spoken.contains('*'), "{:?} -> {:?}", s, spoken);
            }
        }
    }
}
