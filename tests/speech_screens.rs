//! What the screens say in speech mode, and what they never say on the loudspeaker.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use anjungan::dataset::import_dir;
use anjungan::kiosk::{Controller, Event, IdKind, Settings, Tile};
use anjungan::speech::Recorder;
use anjungan::store::Store;
use anjungan::ui::runtime::Voice;
use anjungan::ui::speech::{Output, utterances};
use anjungan::ui::view::{KioskView, render};
use common::at;

fn kiosk() -> Controller {
    let mut store = Store::open_in_memory().unwrap();
    import_dir(&mut store, &common::fixture(), common::today()).unwrap();
    Controller::new(store, Settings::default(), at(0)).unwrap()
}

/// Budi's member home, and every view on the way to it.
fn to_member_home(c: &mut Controller) -> Vec<KioskView> {
    let mut views = vec![render(c, at(0))];
    c.handle(Event::Tile(Tile::Status), at(1));
    views.push(render(c, at(1)));
    c.handle(Event::IdKind(IdKind::Nik), at(2));
    for (i, d) in "327301120580000112051980".chars().enumerate() {
        c.handle(Event::Digit(d), at(3 + i as u64));
        views.push(render(c, at(3 + i as u64)));
    }
    c.handle(Event::Submit, at(40));
    views.push(render(c, at(40)));
    views
}

/// Each view to the voice in turn, as the runtime does, pausing `pause` after each.
fn speak_all(voice: &Voice, views: &[KioskView], pause: Duration) {
    let mut before: Option<&KioskView> = None;
    for v in views {
        voice.speak(before, v);
        before = Some(v);
        std::thread::sleep(pause);
    }
}

fn said(views: &[KioskView], output: Output) -> Vec<String> {
    let mut out = Vec::new();
    let mut before: Option<&KioskView> = None;
    for v in views {
        out.extend(utterances(before, v, output));
        before = Some(v);
    }
    out
}

#[test]
fn headphones_hear_the_answer_and_the_loudspeaker_only_guidance() {
    let mut c = kiosk();
    let views = to_member_home(&mut c);
    let home = views.last().unwrap();
    assert!(
        home.result_text.contains("Rp2.565.000"),
        "{}",
        home.result_text
    );

    let private = said(&views, Output::Headphones).join(" | ");
    assert!(private.contains("Layanan Peserta"), "{private}");
    assert!(private.contains("Rp2.565.000"), "{private}");
    assert!(
        private.contains("8888801000000011"),
        "the VA, to pay it: {private}"
    );
    assert!(private.contains("Budi"), "{private}");

    let public = said(&views, Output::Loudspeaker).join(" | ");
    assert!(public.contains("Layanan Peserta"), "{public}");
    assert!(public.contains("headphone"), "{public}");
    for personal in [
        "Rp",
        "Budi",
        "8888801000000011",
        "0011",
        "TIDAK AKTIF",
        "3273",
    ] {
        assert!(
            !public.contains(personal),
            "{personal:?} on the loudspeaker: {public}"
        );
    }
    // Typed digits are never read back, in either mode.
    for s in said(&views, Output::Headphones) {
        assert!(!s.contains("3273 0112"), "{s}");
        assert!(!s.contains("1205"), "the date of birth: {s}");
    }
}

#[test]
fn the_idle_warning_is_said_once_when_it_appears() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Search), at(0));
    let s = Settings::default();
    let mut views = vec![render(&c, at(0))];
    for t in [
        s.idle_ms - 1,
        s.idle_ms,
        s.idle_ms + 1_000,
        s.idle_ms + 2_000,
    ] {
        c.handle(Event::Tick, at(t));
        views.push(render(&c, at(t)));
    }
    let warnings: Vec<String> = said(&views, Output::Loudspeaker)
        .into_iter()
        .filter(|s| s.contains("Sesi akan berakhir"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[test]
fn the_voice_records_normalised_words_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let voice = Voice::start(
        Output::Headphones,
        Recorder::new(dir.path().join("speech")).unwrap(),
    )
    .unwrap()
    .always_on();
    let mut c = kiosk();
    // Each screen gets its say before the next cuts it (the recorder keeps them all).
    speak_all(&voice, &to_member_home(&mut c), Duration::from_millis(60));
    let last = wait_for_txt(&dir.path().join("speech"), "dua juta lima ratus");
    assert!(!last.contains("Rp"), "normalised: {last}");
    assert!(!last.chars().any(|c| c.is_ascii_digit()), "{last}");
}

/// The text of the first recorded utterance that contains `words`.
fn wait_for_txt(dir: &Path, words: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map(|r| r.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        for p in names
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            if text.contains(words) {
                assert!(p.with_extension("wav").exists(), "{p:?} has its sound");
                return text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no utterance with {words:?} in {names:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn f1_says_the_screen_again() {
    use anjungan::kiosk::Press;
    let mut c = kiosk();
    let first = render(&c, at(0));
    assert!(utterances(Some(&first), &render(&c, at(1)), Output::Loudspeaker).is_empty());
    c.handle(Event::Physical(Press::Help), at(2));
    let again = utterances(Some(&first), &render(&c, at(2)), Output::Loudspeaker);
    assert!(
        again.iter().any(|s| s.contains("Silakan pilih layanan")),
        "{again:?}"
    );
}

#[test]
fn plugged_headphones_turn_speech_on_and_make_it_private_on_a_loudspeaker_kiosk() {
    let dir = tempfile::tempdir().unwrap();
    let speech = dir.path().join("speech");
    // A loudspeaker kiosk, silent until speech is asked for.
    let voice = Voice::start(Output::Loudspeaker, Recorder::new(speech.clone()).unwrap()).unwrap();
    let mut c = kiosk();
    speak_all(&voice, &to_member_home(&mut c), Duration::ZERO);
    let silent = render(&c, at(41));
    assert!(!silent.speech_on);
    // The jack reads headphones: speech on, and the member home is said in full, amount
    // and all, though the kiosk's configured output is the loudspeaker.
    c.handle(Event::Headphones(true), at(42));
    let plugged = render(&c, at(42));
    assert!(plugged.speech_on && plugged.headphones);
    voice.speak(Some(&silent), &plugged);
    let said = wait_for_txt(&speech, "Layanan Peserta");
    assert!(
        said.contains("dua juta lima ratus"),
        "private through headphones: {said}"
    );
    let first = std::fs::read_dir(&speech).unwrap().count();
    assert_eq!(
        first, 2,
        "nothing was said before the headphones (one wav, one txt)"
    );

    // Pulled out: speech off again.
    c.handle(Event::Headphones(false), at(43));
    let pulled = render(&c, at(43));
    assert!(!pulled.speech_on && !pulled.headphones);
    // A visit's end turns speech off but the jack's state stays what the hardware says.
    c.handle(Event::Headphones(true), at(44));
    c.handle(Event::Home, at(45));
    let idle = Settings::default().idle_ms + Settings::default().countdown_ms;
    c.handle(Event::Tile(Tile::Info), at(46));
    c.handle(Event::Tick, at(46 + idle + 1));
    let next = render(&c, at(46 + idle + 1));
    assert!(!next.speech_on, "the next member starts without speech");
    assert!(next.headphones, "still plugged in");
}
