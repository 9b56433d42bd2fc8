//! Every degraded state through the real UI, each with a clear bilingual message and nothing
//! lost: printer paper out, cover open, offline and unplugged (the virtual printer's status
//! bytes, or no printer at all), the dispenser unplugged from its pseudo-terminal, data older
//! than the sync limit, and a database that was never filled.

mod common;

use std::rc::Rc;
use std::time::Duration;

use anjungan::ui::{IdentifyAdapter, Page, TicketAdapter};
use anjungan_drivers::dispenser::ClientConfig;
use anjungan_drivers::dispenser::sim::Faults;
use anjungan_drivers::printer_sim::StatusPreset;
use common::{Data, Rig, identify, settings, tap};

const BUDI: (&str, &str) = ("3273011205800001", "12051980");
const DEWI: (&str, &str) = ("3273016802900004", "28021990");

#[test]
fn degraded_states_say_what_to_do_and_lose_nothing() {
    common::start_backend();
    let devices = Rig::new(Data::Fixture, settings(), (1080, 1920));
    let stale = Rig::new(Data::Stale, settings(), (1080, 1920));
    let empty = Rig::new(Data::Empty, settings(), (1080, 1920));
    let sample = Rig::new(Data::Sample, settings(), (1080, 1920));
    slint::spawn_local(async move {
        assert!(
            !common::shown(&devices.window, SAMPLE_BANNER),
            "members' data carries no sample banner"
        );
        sample_data(sample).await;
        device_faults(devices).await;
        stale_data(stale).await;
        empty_database(empty).await;
        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop().unwrap();
}

/// Prints the status slip with the printer in `preset` and returns the notice.
async fn print_with(r: &Rc<Rig>, preset: StatusPreset) -> String {
    r.printer_is(preset);
    let print = if r.kiosk().get_english() {
        "Print"
    } else {
        "Cetak"
    };
    tap(&r.window, print).await;
    assert_eq!(r.kiosk().get_page(), Page::Result, "the result stays");
    assert!(r.kiosk().get_notice_error(), "{preset:?} is an error");
    r.notice()
}

async fn device_faults(r: Rc<Rig>) {
    let w = &r.window;
    tap(w, "Cek Status").await;
    identify(w, BUDI.0, BUDI.1).await;
    assert_eq!(r.kiosk().get_page(), Page::MemberHome);
    tap(w, "Rincian status & keluarga").await;
    assert_eq!(r.kiosk().get_page(), Page::Result);

    let paper = print_with(&r, StatusPreset::PaperOut).await;
    assert!(paper.contains("Kertas printer habis"), "{paper}");
    let cover = print_with(&r, StatusPreset::CoverOpen).await;
    assert!(cover.contains("Penutup printer terbuka"), "{cover}");
    let offline = print_with(&r, StatusPreset::Offline).await;
    assert!(offline.contains("Printer"), "{offline}");
    assert!(offline != paper && offline != cover, "{offline}");
    assert!(
        r.printed().is_empty(),
        "nothing half-printed: {:?}",
        r.printed()
    );
    assert_eq!(
        r.printer.sent_while_faulted(),
        0,
        "the kiosk checks the status before sending a slip"
    );
    // The member's language carries to the fault message.
    tap(w, "English").await;
    let english = print_with(&r, StatusPreset::PaperOut).await;
    assert!(english.contains("out of paper"), "{english}");
    tap(w, "Bahasa Indonesia").await;

    // Paper back: the same slip prints on the next try.
    r.printer_is(StatusPreset::Ready);
    tap(w, "Cetak").await;
    assert!(!r.kiosk().get_notice_error(), "{}", r.notice());
    assert!(r.page_text(1).contains("TIDAK AKTIF"));

    // The cable pulled: said plainly, nothing else breaks.
    r.printer_unplugged();
    tap(w, "Cetak").await;
    let unplugged = r.notice();
    assert!(r.kiosk().get_notice_error());
    assert!(unplugged.contains("rinter"), "{unplugged}");
    tap(w, "Beranda").await;

    // A ticket with the printer unplugged: the printer is asked first, and no number is
    // taken for a ticket that cannot be printed.
    tap(w, "Ambil Antrean").await;
    let services = r.items();
    tap(w, &services[0]).await;
    assert_ne!(r.kiosk().get_page(), Page::Ticket);
    assert!(r.kiosk().get_notice_error());
    assert!(r.notice().contains("belum diambil"), "{}", r.notice());
    assert!(
        r.dispenser.log().is_empty(),
        "no number for a ticket nobody gets"
    );
    common::screenshot(w, "degraded-ticket-no-printer");
    tap(w, "Beranda").await;
    r.printer_plugged_back();

    // The dispenser unplugged: the member is told where to get a number; no number invented.
    r.dispenser_unplugged();
    tap(w, "Ambil Antrean").await;
    tap(w, &services[1]).await;
    assert_ne!(r.kiosk().get_page(), Page::Ticket);
    assert!(r.kiosk().get_notice_error());
    let notice = r.notice();
    assert!(notice.contains("antrean"), "{notice}");
    assert_eq!(
        r.adapter::<TicketAdapter>().get_ticket_number(),
        "",
        "no number shown"
    );
    tap(w, "English").await;
    assert!(r.notice().contains("queue"), "{}", r.notice());
    tap(w, "Bahasa Indonesia").await;
    common::screenshot(w, "degraded-dispenser-offline");
    tap(w, "Beranda").await;

    // A dispenser whose every reply is lost: the member's retries reuse one request id, so
    // four asks cost one number, not four.
    let lossy = r.faulty_dispenser(
        Faults {
            drop_every: 1,
            ..Faults::default()
        },
        ClientConfig {
            reply_timeout: Duration::from_millis(150),
            attempts: 2,
            reconnect_for: Duration::from_millis(300),
        },
    );
    tap(w, "Ambil Antrean").await;
    for _ in 0..4 {
        tap(w, &services[2]).await;
        assert_ne!(r.kiosk().get_page(), Page::Ticket);
        assert!(r.kiosk().get_notice_error(), "{}", r.notice());
    }
    assert_eq!(lossy.log().len(), 1, "retries of one ask cost one number");
    tap(w, "Beranda").await;

    // A dispenser that always answers 700 ms late, past the 300 ms timeout: the late reply
    // to the first attempt is taken, so the member gets the ticket and one number is used.
    let late = r.faulty_dispenser(
        Faults {
            delay_every: 1,
            delay: Duration::from_millis(700),
            ..Faults::default()
        },
        ClientConfig {
            reply_timeout: Duration::from_millis(300),
            attempts: 3,
            reconnect_for: Duration::from_millis(800),
        },
    );
    let pages = r.printed().len();
    tap(w, "Ambil Antrean").await;
    tap(w, &services[2]).await;
    assert_eq!(r.kiosk().get_page(), Page::Ticket, "{}", r.notice());
    assert_eq!(late.log().len(), 1);
    assert_eq!(
        r.adapter::<TicketAdapter>().get_ticket_number(),
        late.log()[0].display().as_str()
    );
    assert!(r.page_text(pages + 1).contains(&late.log()[0].display()));
    tap(w, "Beranda").await;
}

async fn stale_data(r: Rc<Rig>) {
    let w = &r.window;
    assert!(r.kiosk().get_data_stale(), "the footer warns");
    // Change requests wait for fresh data; the member is told why, at the tile.
    tap(w, "Ubah Kelas").await;
    assert_eq!(r.kiosk().get_page(), Page::Home);
    assert!(r.notice().contains("48 jam"), "{}", r.notice());
    common::screenshot(w, "degraded-stale-data");
    // Lookups still answer.
    tap(w, "Cek Status").await;
    identify(w, DEWI.0, DEWI.1).await;
    assert_eq!(r.kiosk().get_page(), Page::MemberHome);
    tap(w, "Beranda").await;
}

const SAMPLE_BANNER: &str = "DATA CONTOH / SAMPLE DATA";

/// Generated sample data says so above every screen, in both languages at once.
async fn sample_data(r: Rc<Rig>) {
    let w = &r.window;
    assert!(r.kiosk().get_sample_data());
    assert!(
        common::shown(w, SAMPLE_BANNER),
        "the banner on the home screen"
    );
    common::screenshot(w, "degraded-sample-data");
    tap(w, "Ambil Antrean").await;
    assert_eq!(r.kiosk().get_page(), Page::List);
    assert!(common::shown(w, SAMPLE_BANNER), "and on the queue list");
    tap(w, "English").await;
    assert!(common::shown(w, SAMPLE_BANNER), "and in English");
    tap(w, "Bahasa Indonesia").await;
    tap(w, "Beranda").await;
}

async fn empty_database(r: Rc<Rig>) {
    let w = &r.window;
    tap(w, "Cek Status").await;
    identify(w, BUDI.0, BUDI.1).await;
    assert_ne!(r.kiosk().get_page(), Page::MemberHome);
    let said = format!(
        "{} {}",
        r.adapter::<IdentifyAdapter>().get_id_message(),
        r.notice()
    );
    assert!(
        said.contains("Data peserta belum tersedia"),
        "the empty database is named: {said}"
    );
    common::screenshot(w, "degraded-empty-database");
    tap(w, "Beranda").await;
    // Search and the queue still work without member data.
    tap(w, "Ambil Antrean").await;
    assert_eq!(r.kiosk().get_page(), Page::List);
    tap(w, "Beranda").await;
}
