//! Physical keys through the real Slint window: a member who cannot see finishes a visit
//! with a USB keypad alone, hearing each step through headphones (the recorder keeps what
//! was said, as words and as WAV).

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anjungan::domain::Lang;
use anjungan::kiosk::Press;
use anjungan::speech::wav::Wav;
use anjungan::ui::{IdentifyAdapter, Page};
use common::Rig;
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::{Key, WindowEvent};

fn key(rig: &Rig, text: slint::SharedString) {
    let w = rig.window.window();
    w.dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
    w.dispatch_event(WindowEvent::KeyReleased { text });
}

fn keys(rig: &Rig, s: &str) {
    for c in s.chars() {
        key(rig, c.to_string().into());
    }
}

/// What the kiosk said, as the recorder wrote it: `NNNN.txt` (the normalised words) beside
/// `NNNN.wav`, in order.
struct Ears {
    dir: PathBuf,
    heard: usize,
    all: Vec<String>,
}

impl Ears {
    /// The next utterance's words, once the recorder has written them.
    fn next(&mut self) -> String {
        let path = self.dir.join(format!("{:04}.txt", self.heard + 1));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&path)
                && text.ends_with('\n')
            {
                self.heard += 1;
                let text = text.trim_end().to_owned();
                self.all.push(text.clone());
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "nothing spoken after {:?}",
                self.all.last()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The last utterance's sound: its root mean square level.
    fn last_level(&self) -> f64 {
        let bytes = std::fs::read(self.dir.join(format!("{:04}.wav", self.heard))).unwrap();
        let wav = Wav::parse(&bytes).unwrap();
        let samples: Vec<f64> = wav
            .data
            .chunks_exact(2)
            .map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])))
            .collect();
        (samples.iter().map(|s| s * s).sum::<f64>() / samples.len() as f64).sqrt()
    }
}

/// Text as the kiosk speaks it (numbers and abbreviations in words).
fn w(text: &str) -> String {
    anjungan::speech::normalize(text, Lang::Id)
}

/// A key, and what the kiosk says to it.
fn hear(rig: &Rig, ears: &mut Ears, k: Key) -> String {
    key(rig, k.into());
    ears.next()
}

/// Each digit typed, and its echo in the headphones (with what else is new on the last);
/// the last echo.
fn type_heard(rig: &Rig, ears: &mut Ears, digits: &str) -> String {
    let mut echo = String::new();
    for d in digits.chars() {
        key(rig, d.to_string().into());
        echo = ears.next();
        assert!(
            echo.starts_with(&w(&format!("{d}."))),
            "the echo of {d}: {echo}"
        );
    }
    echo
}

/// A blind member's visit, by keys alone, heard through headphones: speech on with its key,
/// the status, the dues and the VA, a queue ticket, the volume keys and the idle warning.
/// Every step is asserted on what the recorder heard.
#[test]
fn a_visit_by_keys_alone_is_heard_step_by_step() {
    common::start_backend();
    let data = common::movable_fixture();
    let rig = common::portrait(&data);
    let dir = tempfile::tempdir().unwrap();
    rig.speak_into(dir.path());
    let mut ears = Ears {
        dir: dir.path().to_path_buf(),
        heard: 0,
        all: Vec::new(),
    };
    assert_eq!(rig.kiosk().get_page(), Page::Home);
    assert_eq!(rig.kiosk().get_focus(), "", "no focus ring before a key");

    // The speech key: the whole home screen, then the focus, which starts on Cek Status.
    let said = hear(&rig, &mut ears, Key::F4);
    assert!(said.starts_with(&w("Anjungan Mandiri JKN.")), "{said}");
    assert!(said.contains(&w("Silakan pilih layanan")), "{said}");
    assert!(said.ends_with(&w("Cek Status.")), "{said}");
    assert_eq!(rig.kiosk().get_focus(), "tile-status");
    // Down moves in reading order; Up comes back.
    assert_eq!(hear(&rig, &mut ears, Key::DownArrow), w("Cek Tagihan."));
    assert_eq!(rig.kiosk().get_focus(), "tile-dues");
    assert_eq!(hear(&rig, &mut ears, Key::UpArrow), w("Cek Status."));
    common::screenshot(&rig.window, "keys-home-focus");

    // Enter on Cek Status: the identify screen, its guidance, the number field.
    let said = hear(&rig, &mut ears, Key::Return);
    assert_eq!(rig.kiosk().get_page(), Page::Identify);
    assert!(said.contains(&w("Ketik NIK 16 angka")), "{said}");
    assert!(said.ends_with(&w("NIK (16 angka, lihat KTP).")), "{said}");
    assert_eq!(rig.kiosk().get_focus(), "id-field");
    // The number complete, the focus moves on to the date of birth, and says so.
    let last = type_heard(&rig, &mut ears, "3273011205800001");
    assert_eq!(last, w("1. Tanggal lahir (hari-bulan-tahun)."));
    assert_eq!(rig.kiosk().get_focus(), "dob-field");
    type_heard(&rig, &mut ears, "12051980");
    assert!(rig.adapter::<IdentifyAdapter>().get_id_ready());

    // Enter continues: the member home, heard in full through headphones: the status, what
    // to pay in words, the VA. Then the focus, on the first button.
    let said = hear(&rig, &mut ears, Key::Return);
    assert_eq!(rig.kiosk().get_page(), Page::MemberHome);
    assert!(
        said.contains("dua juta lima ratus enam puluh lima ribu rupiah"),
        "{said}"
    );
    assert!(
        said.contains(&w("Virtual Account")) || said.contains(&w("VA")),
        "{said}"
    );
    assert!(said.ends_with(&w("Rincian tagihan.")), "{said}");
    assert_eq!(rig.kiosk().get_focus(), "member-dues");
    // The ring in high contrast too (the toggle by keys: the header's last button is just
    // before the page's first, and its state is said).
    assert_eq!(hear(&rig, &mut ears, Key::UpArrow), w("Kontras."));
    assert_eq!(rig.kiosk().get_focus(), "contrast");
    assert_eq!(
        hear(&rig, &mut ears, Key::Return),
        w("Kontras tinggi aktif.")
    );
    assert!(
        rig.window
            .global::<anjungan::ui::Theme>()
            .get_high_contrast()
    );
    common::screenshot(&rig.window, "keys-member-home-focus-contrast");
    assert_eq!(
        hear(&rig, &mut ears, Key::Return),
        w("Kontras tinggi mati.")
    );
    ears.next_after(&rig, Key::DownArrow);
    assert_eq!(rig.kiosk().get_focus(), "member-dues");

    // The dues in detail, and back.
    let said = hear(&rig, &mut ears, Key::Return);
    assert_eq!(rig.kiosk().get_page(), Page::Result);
    assert!(said.starts_with(&w("Tagihan Iuran.")), "{said}");
    assert!(said.contains(&w("rupiah")), "{said}");
    let said = hear(&rig, &mut ears, Key::Escape);
    assert_eq!(rig.kiosk().get_page(), Page::MemberHome);
    assert!(said.ends_with(&w("Rincian tagihan.")), "{said}");

    // The status in detail.
    assert_eq!(
        hear(&rig, &mut ears, Key::DownArrow),
        w("Rincian status & keluarga.")
    );
    let said = hear(&rig, &mut ears, Key::Return);
    assert!(said.starts_with(&w("Status Kepesertaan.")), "{said}");
    assert!(said.contains("tidak aktif, menunggak"), "{said}");
    assert!(
        said.contains("Budi Santoso"),
        "names through headphones: {said}"
    );
    hear(&rig, &mut ears, Key::Escape);

    // The VA: four steps down.
    for _ in 0..3 {
        ears.next_after(&rig, Key::DownArrow);
    }
    assert_eq!(
        hear(&rig, &mut ears, Key::DownArrow),
        w("Info Virtual Account.")
    );
    let said = hear(&rig, &mut ears, Key::Return);
    assert!(said.starts_with(&w("Info Virtual Account.")), "{said}");
    assert!(
        said.contains(&w("delapan")),
        "the VA number is read: {said}"
    );

    // The volume keys: the same screen again (F1) one step louder is louder.
    let before = hear(&rig, &mut ears, Key::F1);
    let soft = ears.last_level();
    assert_eq!(hear(&rig, &mut ears, Key::F3), w("Volume 6."));
    assert_eq!(hear(&rig, &mut ears, Key::F1), before);
    let loud = ears.last_level();
    assert!(
        loud > soft * 1.1,
        "volume 6 at {loud:.0} against 5 at {soft:.0}"
    );

    // A queue ticket from the member home: the ticket button is the seventh control.
    hear(&rig, &mut ears, Key::Escape);
    for _ in 0..5 {
        ears.next_after(&rig, Key::DownArrow);
    }
    let ticket_button = hear(&rig, &mut ears, Key::DownArrow);
    assert!(
        ticket_button.starts_with("Antrean loket"),
        "{ticket_button}"
    );
    let said = hear(&rig, &mut ears, Key::Return);
    assert_eq!(rig.kiosk().get_page(), Page::Ticket);
    assert!(said.contains(&w("Nomor antrean Anda")), "{said}");
    assert_eq!(rig.printed().len(), 1, "the ticket was printed");

    // Left alone: the idle warning with its countdown, then the visit ends and the next
    // member starts without speech, the focus ring or the raised volume.
    let idle = rig.controller.borrow().settings().idle_ms;
    rig.advance(idle + 10);
    let said = ears.next();
    assert!(
        said.contains(&w("Sesi akan berakhir dalam 10 detik")),
        "{said}"
    );
    rig.advance(10_000);
    assert_eq!(ears.next(), w("Suara dimatikan."));
    assert_eq!(rig.kiosk().get_page(), Page::Home);
    assert_eq!(rig.kiosk().get_focus(), "");
    let access = rig.controller.borrow().access();
    assert_eq!(access, anjungan::kiosk::Access::default());

    // The search tile by keys (the fifth), and letters type into its keyboard.
    for _ in 0..4 {
        key(&rig, Key::DownArrow.into());
    }
    assert_eq!(rig.kiosk().get_focus(), "tile-search");
    key(&rig, Key::Return.into());
    assert_eq!(rig.kiosk().get_page(), Page::Search);
    // Up from the search box: the header's three toggles, then round to the footer's two
    // buttons, then the last place found. Its list scrolls to show it whole.
    let results = rig.adapter::<anjungan::ui::SearchAdapter>().get_results();
    let last = slint::Model::row_count(&results) - 1;
    let title = slint::Model::row_data(&results, last).unwrap().title;
    for _ in 0..6 {
        key(&rig, Key::UpArrow.into());
    }
    assert_eq!(rig.kiosk().get_focus(), format!("item-{last}"));
    // The list scrolls on a timer of Slint's event loop (the kiosk's runs on its own).
    std::thread::sleep(Duration::from_millis(5));
    slint::platform::update_timers_and_animations();
    let list = ElementHandle::find_by_element_type_name(&rig.window, "Flickable")
        .next()
        .expect("the results list");
    let entry = ElementHandle::find_by_accessible_label(&rig.window, &title)
        .next()
        .expect("the last place, scrolled into view");
    let (l, e) = (list.absolute_position().y, entry.absolute_position().y);
    assert!(
        e >= l - 0.5 && e + entry.size().height <= l + list.size().height + 0.5,
        "the focused place ({e}..{}) is inside its list ({l}..{})",
        e + entry.size().height,
        l + list.size().height
    );
    common::screenshot(&rig.window, "keys-search-last-focus");
    for _ in 0..6 {
        key(&rig, Key::DownArrow.into());
    }
    assert_eq!(rig.kiosk().get_focus(), "search-box");
    keys(&rig, "pusk");
    assert_eq!(
        rig.adapter::<anjungan::ui::SearchAdapter>()
            .get_search_text(),
        "PUSK"
    );

    // No utterance held the whole NIK or card number, in digits or in words.
    for number in ["3273011205800001", "0001000000011"] {
        let words = anjungan::speech::normalize(number, Lang::Id);
        for said in &ears.all {
            assert!(!said.contains(number) && !said.contains(&words), "{said}");
        }
    }
    drop(data);
}

impl Ears {
    /// A key whose words the test does not check, heard before the next key.
    fn next_after(&mut self, rig: &Rig, k: Key) -> String {
        key(rig, k.into());
        self.next()
    }
}

#[test]
fn slint_key_names_map_to_presses() {
    use anjungan::ui::press;
    assert_eq!(press("7"), Some(Press::Digit('7')));
    assert_eq!(press("a"), Some(Press::Letter('a')));
    assert_eq!(
        press(&slint::SharedString::from(Key::Return)),
        Some(Press::Enter)
    );
    assert_eq!(
        press(&slint::SharedString::from(Key::Escape)),
        Some(Press::Escape)
    );
    assert_eq!(
        press(&slint::SharedString::from(Key::Backspace)),
        Some(Press::Backspace)
    );
    assert_eq!(
        press(&slint::SharedString::from(Key::F1)),
        Some(Press::Help)
    );
    for (k, p) in [
        (Key::DownArrow, Press::Next),
        (Key::RightArrow, Press::Next),
        (Key::Tab, Press::Next),
        (Key::UpArrow, Press::Prev),
        (Key::LeftArrow, Press::Prev),
        (Key::Backtab, Press::Prev),
        (Key::F2, Press::VolumeDown),
        (Key::F3, Press::VolumeUp),
        (Key::F4, Press::Speech),
    ] {
        assert_eq!(press(&slint::SharedString::from(k)), Some(p), "{p:?}");
    }
    assert_eq!(press(&slint::SharedString::from(Key::Shift)), None);
    assert_eq!(press("ab"), None);
}
