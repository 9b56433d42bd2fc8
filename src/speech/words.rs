//! Whole numbers in words, in Indonesian and in English, for speech.

use crate::domain::Lang;

const ID_ONES: [&str; 10] = [
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
];
const EN_ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const EN_TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
/// Scales of a thousand: ribu/thousand, juta/million, miliar/billion, triliun/trillion.
const ID_SCALES: [&str; 5] = ["", "ribu", "juta", "miliar", "triliun"];
const EN_SCALES: [&str; 5] = ["", "thousand", "million", "billion", "trillion"];

/// `n` in words: "dua juta lima ratus enam puluh lima ribu" / "two million five hundred
/// sixty-five thousand". Numbers from a quadrillion up are read digit by digit.
pub fn number(n: u64, lang: Lang) -> String {
    if n >= 1_000_000_000_000_000 {
        return digits(&n.to_string(), lang);
    }
    if n == 0 {
        return match lang {
            Lang::Id => "nol".into(),
            Lang::En => "zero".into(),
        };
    }
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push((rest % 1000) as u16);
        rest /= 1000;
    }
    let mut words: Vec<String> = Vec::new();
    for (scale, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            continue;
        }
        match lang {
            // 1.000–1.999 is "seribu", never "satu ribu"; a million is "satu juta".
            Lang::Id if scale == 1 && g == 1 => words.push("seribu".into()),
            Lang::Id => {
                words.push(id_hundreds(g));
                if scale > 0 {
                    words.push(ID_SCALES[scale].into());
                }
            }
            Lang::En => {
                words.push(en_hundreds(g));
                if scale > 0 {
                    words.push(EN_SCALES[scale].into());
                }
            }
        }
    }
    words.join(" ")
}

/// 1–999 in Indonesian: seratus, sebelas, dua belas, dua puluh satu, sembilan ratus …
fn id_hundreds(n: u16) -> String {
    let (h, t) = (n / 100, n % 100);
    let mut out = Vec::new();
    match h {
        0 => {}
        1 => out.push("seratus".to_owned()),
        h => out.push(format!("{} ratus", ID_ONES[h as usize])),
    }
    match t {
        0 => {}
        1..=9 => out.push(ID_ONES[t as usize].into()),
        10 => out.push("sepuluh".into()),
        11 => out.push("sebelas".into()),
        12..=19 => out.push(format!("{} belas", ID_ONES[(t - 10) as usize])),
        _ => {
            out.push(format!("{} puluh", ID_ONES[(t / 10) as usize]));
            if t % 10 > 0 {
                out.push(ID_ONES[(t % 10) as usize].into());
            }
        }
    }
    out.join(" ")
}

/// 1–999 in English: "one hundred", "twenty-one", "nine hundred ninety-nine".
fn en_hundreds(n: u16) -> String {
    let (h, t) = (n / 100, n % 100);
    let mut out = Vec::new();
    if h > 0 {
        out.push(format!("{} hundred", EN_ONES[h as usize]));
    }
    match t {
        0 => {}
        1..=19 => out.push(EN_ONES[t as usize].into()),
        _ if t % 10 == 0 => out.push(EN_TENS[(t / 10) as usize].into()),
        _ => out.push(format!(
            "{}-{}",
            EN_TENS[(t / 10) as usize],
            EN_ONES[(t % 10) as usize]
        )),
    }
    out.join(" ")
}

/// Digits one by one: "nol satu" / "zero one". Anything that is not a digit is skipped.
pub fn digits(s: &str, lang: Lang) -> String {
    s.chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| match lang {
            Lang::Id => ID_ONES[d as usize],
            Lang::En => EN_ONES[d as usize],
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn indonesian_numbers_read_right() {
        for (n, words) in [
            (0, "nol"),
            (1, "satu"),
            (10, "sepuluh"),
            (11, "sebelas"),
            (12, "dua belas"),
            (19, "sembilan belas"),
            (20, "dua puluh"),
            (21, "dua puluh satu"),
            (100, "seratus"),
            (101, "seratus satu"),
            (111, "seratus sebelas"),
            (250, "dua ratus lima puluh"),
            (1_000, "seribu"),
            (1_001, "seribu satu"),
            (1_100, "seribu seratus"),
            (2_000, "dua ribu"),
            (11_000, "sebelas ribu"),
            (35_000, "tiga puluh lima ribu"),
            (101_000, "seratus satu ribu"),
            (1_000_000, "satu juta"),
            (2_565_000, "dua juta lima ratus enam puluh lima ribu"),
            (1_001_000, "satu juta seribu"),
            (30_000_000, "tiga puluh juta"),
            (2026, "dua ribu dua puluh enam"),
            (1_000_000_000, "satu miliar"),
        ] {
            assert_eq!(number(n, Lang::Id), words, "{n}");
        }
    }

    #[test]
    fn english_numbers_read_right() {
        for (n, words) in [
            (0, "zero"),
            (11, "eleven"),
            (21, "twenty-one"),
            (40, "forty"),
            (100, "one hundred"),
            (1_000, "one thousand"),
            (2_565_000, "two million five hundred sixty-five thousand"),
            (2026, "two thousand twenty-six"),
        ] {
            assert_eq!(number(n, Lang::En), words, "{n}");
        }
    }

    /// Reads Indonesian number words back into the number (the test's own parser).
    pub(crate) fn parse_id(words: &str) -> Option<u64> {
        let mut total = 0u64;
        let mut group = 0u64;
        let mut pending: Option<u64> = None;
        for w in words.split(' ') {
            let one = ID_ONES.iter().position(|x| *x == w).map(|d| d as u64);
            match (w, one) {
                (_, Some(d)) => {
                    if pending.is_some() {
                        return None;
                    }
                    pending = Some(d);
                }
                ("sepuluh", _) => group += 10,
                ("sebelas", _) => group += 11,
                ("seratus", _) => group += 100,
                ("seribu", _) => total += 1000,
                ("belas", _) => group += 10 + pending.take()?,
                ("puluh", _) => group += 10 * pending.take()?,
                ("ratus", _) => group += 100 * pending.take()?,
                (scale, _) => {
                    let i = ID_SCALES.iter().position(|x| *x == scale)?;
                    group += pending.take().unwrap_or(0);
                    total += group * 1000u64.pow(i as u32);
                    group = 0;
                }
            }
        }
        Some(total + group + pending.unwrap_or(0))
    }

    proptest! {
        /// Every number below a quadrillion reads back to itself, with no digit left and
        /// never "satu ribu" or "satu ratus".
        #[test]
        fn indonesian_words_round_trip(n in 0u64..1_000_000_000_000_000) {
            let words = number(n, Lang::Id);
            // A thousand is "seribu" and a hundred "seratus": "satu ribu" only ends a larger
            // number ("dua puluh satu ribu", "seratus satu ribu").
            let w: Vec<&str> = words.split(' ').collect();
            for (i, pair) in w.windows(2).enumerate() {
                prop_assert!(pair != ["satu", "ratus"] && pair != ["satu", "puluh"] && pair != ["satu", "belas"], "{}", words);
                if pair == ["satu", "ribu"] {
                    prop_assert!(i > 0 && matches!(w[i - 1], "puluh" | "ratus" | "seratus"), "{}", words);
                }
            }
            prop_assert!(!words.chars().any(|c| c.is_ascii_digit()));
            prop_assert_eq!(parse_id(&words), Some(n), "{}", words);
        }

        #[test]
        fn english_words_have_no_digits_or_stray_spaces(n in 0u64..1_000_000_000_000) {
            let words = number(n, Lang::En);
            prop_assert!(!words.chars().any(|c| c.is_ascii_digit()));
            prop_assert!(!words.contains("  ") && !words.ends_with(' '));
        }
    }
}
