//! The real Slint UI under the testing backend: a member's flows tapped by accessible label,
//! the adapter checked after each step, and screenshots taken of what a member sees.
//!
//! One `#[test]` only: the testing backend's event loop can start once per process.
//! Screenshots go to `target/screenshots/`; with `ANJUNGAN_SCREENSHOTS=docs/screenshots`
//! they are written there (the committed ones).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anjungan::dataset::import_dir;
use anjungan::kiosk::{Controller, Effect, Event, Issued, Now, Outcome, Settings};
use anjungan::store::Store;
use anjungan::ui::{self, AppWindow, Kiosk, Page, view};
use chrono::NaiveDate;
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::PointerEventButton;

fn now(mono_ms: u64) -> Now {
    Now {
        mono_ms,
        local: NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap(),
    }
}

/// The controller wired to the window synchronously: each touch is handled at once, and
/// effects are answered by scripted devices.
struct Harness {
    controller: RefCell<Controller>,
    window: AppWindow,
    clock: RefCell<u64>,
    printed: RefCell<Vec<String>>,
    paper_out: RefCell<bool>,
}

impl Harness {
    fn handle(self: &Rc<Self>, event: Event) {
        let t = *self.clock.borrow();
        let effects = self.controller.borrow_mut().handle(event, now(t));
        for effect in effects {
            let outcome = match effect {
                Effect::Print(slip) => {
                    if *self.paper_out.borrow() {
                        Some(Outcome::Printed(Err(anjungan::kiosk::Fault {
                            code: "PAPER_END".into(),
                            message: anjungan::domain::Bilingual {
                                id: "Kertas printer habis. Petugas sudah diberi tahu.".into(),
                                en: "The printer is out of paper. Staff have been told.".into(),
                            },
                        })))
                    } else {
                        self.printed.borrow_mut().push(format!("{slip:?}"));
                        Some(Outcome::Printed(Ok(())))
                    }
                }
                Effect::TakeTicket { service, .. } => Some(Outcome::TicketTaken(Ok(Issued {
                    number: format!("{service}-012"),
                    ahead: 3,
                }))),
                Effect::Rate(_) => None,
            };
            if let Some(o) = outcome {
                self.handle(Event::Outcome(o));
            }
        }
        self.render();
    }

    fn render(&self) {
        let t = *self.clock.borrow();
        let v = view::render(&self.controller.borrow(), now(t));
        ui::apply(&self.window, &v);
    }

    fn advance(self: &Rc<Self>, ms: u64) {
        *self.clock.borrow_mut() += ms;
        self.handle(Event::Tick);
    }

    fn kiosk(&self) -> Kiosk<'_> {
        self.window.global::<Kiosk>()
    }
}

async fn tap(window: &AppWindow, label: &str) {
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(window, label).collect();
    assert!(!found.is_empty(), "nothing labelled {label:?} on screen");
    found[0].single_click(PointerEventButton::Left).await;
}

async fn type_digits(window: &AppWindow, digits: &str) {
    for d in digits.chars() {
        tap(window, &d.to_string()).await;
    }
}

fn screenshot(window: &AppWindow, name: &str) {
    let dir = std::env::var_os("ANJUNGAN_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    let shot = window.window().take_snapshot().expect("snapshot");
    let file = std::fs::File::create(dir.join(format!("{name}.png"))).unwrap();
    let mut png = png::Encoder::new(std::io::BufWriter::new(file), shot.width(), shot.height());
    png.set_color(png::ColorType::Rgba);
    png.set_depth(png::BitDepth::Eight);
    png.write_header()
        .unwrap()
        .write_image_data(shot.as_bytes())
        .unwrap();
}

#[test]
fn member_flows_through_the_real_ui() {
    // The testing backend with a real software rasterizer, so snapshots show pixels.
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            // Real time: a click's press and release are timed.
            mock_time: false,
            threading: true,
            renderer_name: Some("software".into()),
        },
    )))
    .expect("platform not yet set");
    let mut store = Store::open_in_memory().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    import_dir(
        &mut store,
        &fixture,
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    )
    .unwrap();
    let controller = Controller::new(
        store,
        Settings {
            location: anjungan::store::Point::parse("-6.9,107.62"),
            kiosk_name: "Anjungan JKN – KC Bandung".into(),
            ..Settings::default()
        },
        now(0),
    )
    .unwrap();
    let window = AppWindow::new().unwrap();
    window
        .window()
        .set_size(slint::PhysicalSize::new(1080, 1920));
    let h = Rc::new(Harness {
        controller: RefCell::new(controller),
        window,
        clock: RefCell::new(0),
        printed: RefCell::new(Vec::new()),
        paper_out: RefCell::new(false),
    });
    {
        let weak = Rc::downgrade(&h);
        ui::connect(&h.window, move |e| {
            if let Some(h) = weak.upgrade() {
                h.handle(e);
            }
        });
    }
    h.render();
    h.window.show().unwrap();

    let h2 = h.clone();
    slint::spawn_local(async move {
        let h = h2;
        let w = &h.window;
        screenshot(w, "01-home");
        assert_eq!(h.kiosk().get_page(), Page::Home);

        // Cek Status by NIK: the keypad, the live check, the result.
        tap(w, "Cek Status").await;
        assert_eq!(h.kiosk().get_page(), Page::Identify);
        type_digits(w, "20").await;
        assert!(
            h.kiosk().get_id_message().contains("provinsi"),
            "live province check"
        );
        tap(w, "Kosongkan").await;
        type_digits(w, "3273011205800001").await;
        assert!(
            h.kiosk().get_dob_focused(),
            "a full NIK moves on to the birth date"
        );
        type_digits(w, "1205198").await;
        assert!(!h.kiosk().get_id_ready());
        type_digits(w, "0").await;
        assert!(h.kiosk().get_id_ready());
        screenshot(w, "02-identify");
        tap(w, "Lanjut").await;
        assert_eq!(h.kiosk().get_page(), Page::Result);
        assert_eq!(h.kiosk().get_result_heading(), "TIDAK AKTIF – MENUNGGAK");
        let rows: Vec<String> = slint::Model::iter(&h.kiosk().get_rows())
            .map(|r| format!("{}={}", r.label, r.value))
            .collect();
        assert!(
            rows.contains(&"NIK=3273**********01".to_string()),
            "{rows:?}"
        );
        assert!(
            !rows.iter().any(|r| r.contains("3273011205800001")),
            "the NIK is masked"
        );
        screenshot(w, "03-status");

        // Print, then paper out on the next print: the member is told.
        tap(w, "Cetak").await;
        assert_eq!(h.printed.borrow().len(), 1);
        assert!(h.kiosk().get_notice().contains("ambil struk"));

        // The language toggle on the result screen.
        tap(w, "English").await;
        assert_eq!(h.kiosk().get_result_heading(), "INACTIVE – IN ARREARS");
        tap(w, "Bahasa Indonesia").await;

        // Done → rating → thanks → home; the member's data is gone.
        tap(w, "Selesai").await;
        assert_eq!(h.kiosk().get_page(), Page::Rating);
        screenshot(w, "04-rating");
        tap(w, "5 ★").await;
        assert_eq!(h.kiosk().get_page(), Page::Thanks);
        h.advance(5_000);
        assert_eq!(h.kiosk().get_page(), Page::Home);
        assert!(!h.controller.borrow().holds_member_data());

        // Dues for Dewi, then walk away: the countdown, then home with nothing kept.
        tap(w, "Cek Tagihan").await;
        type_digits(w, "3273016802900004").await;
        type_digits(w, "28021990").await;
        tap(w, "Lanjut").await;
        assert_eq!(h.kiosk().get_page(), Page::Result);
        screenshot(w, "05-dues");
        h.advance(61_000);
        assert_eq!(h.kiosk().get_countdown(), 9);
        screenshot(w, "06-idle-countdown");
        h.advance(10_000);
        assert_eq!(h.kiosk().get_page(), Page::Home);
        assert_eq!(h.kiosk().get_countdown(), 0);
        assert!(!h.controller.borrow().holds_member_data());

        // A queue ticket with the printer out of paper: the number stays on screen.
        *h.paper_out.borrow_mut() = true;
        tap(w, "Ambil Antrean").await;
        assert_eq!(h.kiosk().get_page(), Page::List);
        screenshot(w, "07-queue");
        tap(w, "A — Pendaftaran peserta baru").await;
        assert_eq!(h.kiosk().get_page(), Page::Ticket);
        assert_eq!(h.kiosk().get_ticket_number(), "A-012");
        assert!(
            h.kiosk().get_notice().contains("foto"),
            "{}",
            h.kiosk().get_notice()
        );
        assert!(slint::Model::row_count(&h.kiosk().get_ticket_documents()) > 0);
        screenshot(w, "08-ticket-paper-out");
        *h.paper_out.borrow_mut() = false;
        tap(w, "Beranda").await;

        // Find a facility: keyboard, filter, detail.
        tap(w, "Cari Faskes & Kantor").await;
        for k in ["P", "U", "S", "K"] {
            tap(w, k).await;
        }
        assert_eq!(h.kiosk().get_search_text(), "PUSK");
        assert_eq!(slint::Model::row_count(&h.kiosk().get_items()), 3);
        screenshot(w, "09-search");
        tap(w, "Puskesmas Cibeunying").await;
        assert_eq!(h.kiosk().get_result_heading(), "Puskesmas Cibeunying");
        tap(w, "Beranda").await;

        // Large text and high contrast, then Info JKN.
        tap(w, "Teks besar").await;
        tap(w, "Kontras").await;
        tap(w, "Info JKN").await;
        assert_eq!(h.kiosk().get_page(), Page::List);
        screenshot(w, "10-info-large-contrast");
        tap(w, "Beranda").await;
        assert!(
            !w.global::<anjungan::ui::Theme>().get_high_contrast(),
            "home resets the display"
        );

        // Ubah Kelas for Dewi: choose, see the family total, submit, receipt.
        tap(w, "Ubah Kelas").await;
        type_digits(w, "3273016802900004").await;
        type_digits(w, "28021990").await;
        tap(w, "Lanjut").await;
        assert_eq!(h.kiosk().get_page(), Page::List);
        tap(w, "Kelas 1").await;
        assert_eq!(h.kiosk().get_page(), Page::Result);
        let rows: Vec<String> = slint::Model::iter(&h.kiosk().get_rows())
            .map(|r| format!("{}={}", r.label, r.value))
            .collect();
        assert!(
            rows.contains(&"Iuran keluarga per bulan=Rp150.000".to_string()),
            "{rows:?}"
        );
        screenshot(w, "11-kelas-confirm");
        tap(w, "Ajukan").await;
        assert!(h.kiosk().get_result_heading().starts_with("AJ-"));
        screenshot(w, "12-request-done");
        tap(w, "Beranda").await;

        // A wrong date of birth: the same neutral message as an unknown NIK.
        tap(w, "Cek Status").await;
        type_digits(w, "3273011205800001").await;
        type_digits(w, "13051980").await;
        tap(w, "Lanjut").await;
        let mismatch = h.kiosk().get_id_message().to_string();
        tap(w, "Kembali").await;
        tap(w, "Cek Status").await;
        type_digits(w, "3273011205809999").await;
        type_digits(w, "12051980").await;
        tap(w, "Lanjut").await;
        assert_eq!(h.kiosk().get_id_message(), mismatch.as_str());
        screenshot(w, "13-mismatch");

        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop().unwrap();
}
