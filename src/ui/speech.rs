//! What the screen says, when speech is on: from one rendered view to the next, the
//! sentences to speak, in the member's language (not yet normalised).
//!
//! **Privacy.** Through headphones the member hears what the screen shows (status, amounts,
//! the VA, names as shown, masked). On the loudspeaker, which the whole queue hears, only
//! what is not personal: the screen's title and guidance, notices, the queue number, the
//! idle warning. Typed digits are echoed one by one through headphones only, never read
//! back whole.
//!
//! Once the member uses keys, the focused control is said too: after a new screen's
//! guidance, and whenever the focus moves.

use super::view::{KioskView, PageKind};
use crate::domain::Lang;
use crate::i18n;

/// Where the kiosk's voice is heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Only the member hears it: personal data may be spoken.
    Headphones,
    /// Everyone near the kiosk hears it: guidance only.
    Loudspeaker,
}

/// The sentences to say now that the screen went from `before` to `now`, most important
/// first; empty when nothing new is on the screen.
pub fn utterances(before: Option<&KioskView>, now: &KioskView, output: Output) -> Vec<String> {
    let lang = if now.english { Lang::En } else { Lang::Id };
    let mut out = Vec::new();
    let new_screen = before.is_none_or(|b| {
        b.page != now.page || b.page_title != now.page_title || b.repeat != now.repeat
    });
    if new_screen {
        out.extend(screen(now, lang, output));
    } else if let Some(b) = before {
        // The same screen, with something new on it.
        if b.id_message != now.id_message && !now.id_message.is_empty() {
            out.push(now.id_message.clone());
        }
        if b.result_text != now.result_text
            && !now.result_text.is_empty()
            && output == Output::Headphones
        {
            out.push(now.result_text.clone());
        }
        if b.reference_answer != now.reference_answer && !now.reference_answer.is_empty() {
            out.push(now.reference_answer.clone());
        }
        if b.english != now.english {
            out.extend(screen(now, lang, output));
        }
        // Through headphones, each digit as it is typed (never on the loudspeaker).
        if output == Output::Headphones && now.page == PageKind::Identify {
            for (was, is) in [(&b.id_text, &now.id_text), (&b.dob_text, &now.dob_text)] {
                if let Some(d) = typed_digit(was, is) {
                    out.push(d.to_string());
                }
            }
        }
        // A display toggle says its new state.
        for (was, is, on, off) in [
            (
                b.high_contrast,
                now.high_contrast,
                i18n::n_("Kontras tinggi aktif."),
                i18n::n_("Kontras tinggi mati."),
            ),
            (
                b.large_text,
                now.large_text,
                i18n::n_("Teks besar aktif."),
                i18n::n_("Teks besar mati."),
            ),
        ] {
            if was != is {
                out.push(lang.tr(if is { on } else { off }).to_owned());
            }
        }
        if b.volume != now.volume {
            out.push(lang.tr_with("Volume {level}", &[("level", &now.volume)]));
        }
        if b.focus_id != now.focus_id || (!b.keys_used && now.keys_used) {
            push_focus(&mut out, now);
        }
    }
    if new_screen {
        push_focus(&mut out, now);
    }
    if !now.notice.is_empty() && before.is_none_or(|b| b.notice != now.notice) {
        out.push(now.notice.clone());
    }
    // The idle warning, when it appears: the session ends unless the member answers.
    if now.countdown > 0 && before.is_none_or(|b| b.countdown == 0) {
        out.push(lang.tr_with(
            "Sesi akan berakhir dalam {seconds} detik. Sentuh layar atau tekan tombol untuk melanjutkan.",
            &[("seconds", &now.countdown)],
        ));
    }
    out
}

/// The focused control, once the member uses keys (a touch-only visit hears no focus).
fn push_focus(out: &mut Vec<String>, v: &KioskView) {
    if v.keys_used && !v.focus_spoken.is_empty() {
        out.push(v.focus_spoken.clone());
    }
}

/// The digit just typed into a field, if the field grew by exactly one digit.
fn typed_digit(was: &str, is: &str) -> Option<char> {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<Vec<_>>();
    let (was, is) = (digits(was), digits(is));
    (is.len() == was.len() + 1 && is.starts_with(&was)).then(|| is[is.len() - 1])
}

/// A screen as it first shows: its title, then its guidance.
fn screen(v: &KioskView, lang: Lang, output: Output) -> Vec<String> {
    let mut out = vec![v.page_title.clone()];
    let private = output == Output::Headphones;
    match v.page {
        PageKind::Home => out.push(lang.tr("Selamat datang. Silakan pilih layanan.").to_owned()),
        PageKind::Identify => {
            out.push(
                lang.tr(
                    "Ketik NIK 16 angka atau nomor kartu JKN 13 angka, lalu tanggal lahir: hari, bulan, tahun.",
                )
                .to_owned(),
            );
            if !v.id_message.is_empty() {
                out.push(v.id_message.clone());
            }
        }
        PageKind::MemberHome | PageKind::Result if private => {
            out.push(v.result_heading.clone());
            out.push(v.result_text.clone());
            for row in &v.rows {
                // A value on several lines is several sentences.
                out.push(format!("{}: {}.", row.label, row.value.replace('\n', ". ")));
            }
            if !v.result_note.is_empty() {
                out.push(v.result_note.clone());
            }
        }
        PageKind::MemberHome | PageKind::Result => out.push(
            lang.tr("Hasilnya tampil di layar. Pasang headphone untuk mendengarnya.")
                .to_owned(),
        ),
        PageKind::List => {
            out.push(v.list_intro.clone());
            for item in &v.items {
                out.push(item.title.clone());
            }
        }
        PageKind::Article => {
            out.push(v.article_title.clone());
            out.push(v.article_body.clone());
        }
        PageKind::Search => out.push(
            lang.tr("Ketik nama tempat atau daerah dengan papan ketik. Hasil terdekat tampil lebih dulu.")
                .to_owned(),
        ),
        PageKind::Ticket => {
            // A queue number is called out loud at the counter anyway.
            out.push(lang.tr_with(
                "Nomor antrean Anda {number}.",
                &[("number", &v.ticket_number)],
            ));
            out.push(v.ticket_service.clone());
            out.push(v.ticket_info.clone());
        }
        PageKind::RequestCheck => out.push(
            lang.tr("Ketik nomor permohonan yang tertera pada struk Anda.")
                .to_owned(),
        ),
        PageKind::Rating => out.push(lang.tr("Bagaimana pelayanan anjungan ini?").to_owned()),
        PageKind::Thanks => out.push(lang.tr("Terima kasih. Semoga sehat selalu.").to_owned()),
    }
    out.retain(|s| !s.trim().is_empty());
    out
}
