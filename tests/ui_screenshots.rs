//! A tour of every screen, in Bahasa Indonesia and in English, in portrait (1080×1920), and of
//! the main screens in landscape (1920×1080), each captured as a PNG. The tour checks where
//! it is at every step, so a screen that stops being reachable fails the test.
//!
//! `scripts/screenshots.sh` runs it with `ANJUNGAN_SCREENSHOTS=docs/screenshots`; without that
//! variable the PNGs go to the target's temp folder.

mod common;

use std::rc::Rc;

use anjungan::ui::{IdentifyAdapter, Page, RequestCheckAdapter, ResultAdapter};
use common::{Data, Rig, settings, shown, tap, type_digits, type_keys};
use slint::ComponentHandle;

const BUDI: (&str, &str) = ("3273011205800001", "12051980");
const DEWI: (&str, &str) = ("3273016802900004", "28021990");

#[test]
fn every_screen_in_both_languages_and_both_orientations() {
    common::start_backend();
    let data = common::movable_fixture();
    let rig = |size| Rig::new(Data::From(data.path().to_path_buf()), settings(), size);
    let id = rig((1080, 1920));
    let en = rig((1080, 1920));
    let wide = rig((1920, 1080));
    slint::spawn_local(async move {
        let all = |_: &str| true;
        let n_id = Tour::new(id, false, "").run(&all).await;
        let n_en = Tour::new(en, true, "").run(&all).await;
        assert_eq!(n_id, n_en, "the same screens in both languages");
        assert!(n_id >= 20, "{n_id} screens");
        let main = |name: &str| {
            [
                "home",
                "member-home",
                "identify",
                "status",
                "dues",
                "va",
                "search",
                "place",
                "queue",
                "ticket",
                "kelas-confirm",
                "fktp-choose",
                "request-check",
                "idle",
            ]
            .contains(&name)
        };
        let n_wide = Tour::new(wide, false, "landscape-").run(&main).await;
        assert!(n_wide >= 10, "{n_wide} landscape screens");
        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop().unwrap();
    drop(data);
}

struct Tour {
    r: Rc<Rig>,
    en: bool,
    prefix: &'static str,
    shots: usize,
    step: usize,
}

impl Tour {
    fn new(r: Rc<Rig>, en: bool, prefix: &'static str) -> Self {
        Self {
            r,
            en,
            prefix,
            shots: 0,
            step: 0,
        }
    }

    /// The label in the tour's language.
    fn l<'a>(&self, id: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { id }
    }

    fn shot(&mut self, name: &str, wanted: &dyn Fn(&str) -> bool) {
        self.step += 1;
        if wanted(name) {
            let lang = if self.en { "en" } else { "id" };
            common::screenshot(
                &self.r.window,
                &format!("{}{:02}-{name}-{lang}", self.prefix, self.step),
            );
            self.shots += 1;
        }
    }

    async fn tap(&self, id: &str, en: &str) {
        tap(&self.r.window, self.l(id, en)).await;
    }

    /// Back to the home screen, in the tour's language (home resets it).
    async fn home(&self) {
        // The three tours' windows share one thread, and Slint one language per thread:
        // render this window's state, which selects its language, before looking for labels.
        self.r.render();
        if self.r.kiosk().get_page() != Page::Home {
            self.tap("Beranda", "Home").await;
        }
        assert_eq!(self.r.kiosk().get_page(), Page::Home);
        if self.en && !self.r.kiosk().get_english() {
            tap(&self.r.window, "English").await;
        }
        assert_eq!(self.r.kiosk().get_english(), self.en);
    }

    async fn identify(&self, who: (&str, &str)) {
        type_digits(&self.r.window, who.0).await;
        type_digits(&self.r.window, who.1).await;
        self.tap("Lanjut", "Continue").await;
    }

    fn page(&self) -> Page {
        self.r.kiosk().get_page()
    }

    /// Walks every screen; returns how many were captured.
    async fn run(mut self, wanted: &dyn Fn(&str) -> bool) -> usize {
        let r = self.r.clone();
        let w = &r.window;
        self.home().await;
        self.shot("home", wanted);

        // Identify, part-typed with the live check, then a mismatch.
        self.tap("Cek Status", "Check Status").await;
        type_digits(w, "32730112058").await;
        assert_eq!(self.page(), Page::Identify);
        self.shot("identify", wanted);
        type_digits(w, "00001").await;
        type_digits(w, "13051980").await;
        self.tap("Lanjut", "Continue").await;
        assert!(!r.adapter::<IdentifyAdapter>().get_id_message().is_empty());
        self.shot("identify-mismatch", wanted);
        self.tap("Kosongkan", "Clear").await;
        type_digits(w, BUDI.1).await;
        self.tap("Lanjut", "Continue").await;
        assert_eq!(self.page(), Page::MemberHome);
        self.shot("member-home", wanted);
        self.tap("Rincian status & keluarga", "Status & family")
            .await;
        assert_eq!(self.page(), Page::Result);
        self.shot("status", wanted);
        // After a completed service: the rating, then thanks.
        self.tap("Selesai", "Done").await;
        assert_eq!(self.page(), Page::Rating);
        self.shot("rating", wanted);
        tap(w, "5 ★").await;
        assert_eq!(self.page(), Page::Thanks);
        self.shot("thanks", wanted);
        self.tap("Kembali ke awal", "Back to start").await;
        self.home().await;

        self.tap("Cek Tagihan", "Check Dues").await;
        self.identify(BUDI).await;
        self.tap("Rincian tagihan", "Dues details").await;
        assert_eq!(self.page(), Page::Result);
        self.shot("dues", wanted);
        // Printing: the receipt notice.
        self.tap("Cetak", "Print").await;
        assert!(!r.notice().is_empty());
        self.shot("dues-printed", wanted);
        self.home().await;

        self.tap("Info Virtual Account", "Virtual Account").await;
        self.tap("Nomor Kartu JKN", "JKN Card Number").await;
        self.identify(("0001000000012", "03071983")).await;
        self.tap("Info Virtual Account", "Virtual Account").await;
        assert_eq!(self.page(), Page::Result);
        self.shot("va", wanted);
        self.home().await;

        self.tap("Info JKN", "JKN Info").await;
        assert_eq!(self.page(), Page::List);
        self.shot("info", wanted);
        let first = r.items()[0].clone();
        tap(w, &first).await;
        assert_eq!(self.page(), Page::Article);
        self.shot("article", wanted);
        self.home().await;

        self.tap("Cari Faskes & Kantor", "Find Facilities & Offices")
            .await;
        type_keys(w, "pusk").await;
        assert!(!r.items().is_empty());
        self.shot("search", wanted);
        tap(w, "Puskesmas Cibeunying").await;
        assert_eq!(self.page(), Page::Result);
        self.shot("place", wanted);
        self.home().await;

        // Ubah FKTP: refused for Budi (arrears), offered for Dewi.
        self.tap("Ubah FKTP", "Change FKTP").await;
        self.identify(BUDI).await;
        assert_eq!(self.page(), Page::Result);
        self.shot("fktp-refused", wanted);
        self.home().await;
        self.tap("Ubah FKTP", "Change FKTP").await;
        self.identify(DEWI).await;
        assert_eq!(self.page(), Page::List);
        self.shot("fktp-choose", wanted);
        let second = r.items()[1].clone();
        tap(w, &second).await;
        assert_eq!(self.page(), Page::Result);
        self.shot("fktp-confirm", wanted);
        self.tap("Ajukan", "Submit").await;
        let reference = r
            .adapter::<ResultAdapter>()
            .get_result_heading()
            .to_string();
        assert!(reference.starts_with("AJ-"));
        self.shot("request-done", wanted);
        self.home().await;

        self.tap("Ubah Kelas", "Change Class").await;
        self.identify(DEWI).await;
        assert_eq!(self.page(), Page::List);
        self.shot("kelas-choose", wanted);
        self.tap("Kelas 1", "Class 1").await;
        assert_eq!(self.page(), Page::Result);
        self.shot("kelas-confirm", wanted);
        self.home().await;

        self.tap("Cek Permohonan", "Check a Request").await;
        type_keys(w, &reference).await;
        self.tap("Cek", "Check").await;
        assert!(
            !r.adapter::<RequestCheckAdapter>()
                .get_reference_answer()
                .is_empty()
        );
        self.shot("request-check", wanted);
        self.home().await;

        self.tap("Ambil Antrean", "Take a Queue Number").await;
        assert_eq!(self.page(), Page::List);
        self.shot("queue", wanted);
        let service = r.items()[0].clone();
        tap(w, &service).await;
        assert_eq!(self.page(), Page::Ticket);
        self.shot("ticket", wanted);
        self.home().await;

        // Walking away: the countdown over whatever was showing.
        self.tap("Cek Status", "Check Status").await;
        self.identify(DEWI).await;
        r.advance(61_000);
        assert!(r.kiosk().get_countdown() > 0);
        assert!(shown(w, self.l("Lanjutkan", "Continue")));
        self.shot("idle", wanted);
        r.advance(10_000);
        self.home().await;

        // Large text and high contrast.
        self.tap("Teks besar", "Large text").await;
        self.tap("Kontras", "Contrast").await;
        let theme = w.global::<anjungan::ui::Theme>();
        assert!(theme.get_large_text() && theme.get_high_contrast());
        self.shot("home-large-contrast", wanted);
        self.tap("Cek Tagihan", "Check Dues").await;
        self.identify(BUDI).await;
        assert_eq!(self.page(), Page::MemberHome);
        assert!(theme.get_large_text(), "kept through the flow");
        self.shot("member-home-large-contrast", wanted);
        self.tap("Rincian tagihan", "Dues details").await;
        assert_eq!(self.page(), Page::Result);
        self.shot("dues-large-contrast", wanted);
        self.home().await;

        // Five failures: that NIK is locked, said on the identify screen.
        for attempt in 1..=5 {
            self.tap("Cek Status", "Check Status").await;
            self.identify((BUDI.0, "13051980")).await;
            assert_eq!(self.page(), Page::Identify);
            if attempt < 5 {
                self.home().await;
            }
        }
        self.shot("locked", wanted);
        self.shots
    }
}
