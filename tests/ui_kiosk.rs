//! Every member flow through the real Slint UI, tapped by accessible label from the home
//! screen to its printed slip, with the slips read back from what the virtual printer decoded
//! and the queue numbers issued by the dispenser simulator over a pseudo-terminal. Also the
//! lockout after five failed identifications, the idle wipe on the kiosk's (mock) clock, and
//! the anonymous rating.

mod common;

use std::rc::Rc;

use anjungan::store::Store;
use anjungan::ui::probe;
use anjungan::ui::{
    IdentifyAdapter, ListAdapter, MemberHomeAdapter, Page, RequestCheckAdapter, ResultAdapter,
    SearchAdapter, TicketAdapter,
};
use common::{Rig, identify, position, shown, tap, type_digits, type_keys};
use slint::ComponentHandle;

const BUDI: (&str, &str) = ("3273011205800001", "12051980");
const DEWI: (&str, &str) = ("3273016802900004", "28021990");

#[test]
fn every_flow_from_home_to_its_printed_slip() {
    common::start_backend();
    let data = common::movable_fixture();
    let rig = common::portrait(&data);
    let r2 = rig.clone();
    slint::spawn_local(async move {
        walk(r2).await;
        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop().unwrap();
    drop(data);
}

async fn walk(r: Rc<Rig>) {
    let w = &r.window;
    assert_eq!(r.kiosk().get_page(), Page::Home);
    probe_lists_the_home_tiles(w);

    // ── Cek Status: live checks as the NIK is typed, then the result and its slip.
    tap(w, "Cek Status").await;
    assert_eq!(r.kiosk().get_page(), Page::Identify);
    // High contrast: a disabled Lanjut is the quietest button, not the brightest.
    tap(w, "Kontras").await;
    let bg = |label: &str| {
        let (x, y) = position(w, label);
        let shot = w.window().take_snapshot().unwrap();
        let px = shot.as_slice()[(y as usize + 20) * shot.width() as usize + x as usize + 20];
        (u32::from(px.r) + u32::from(px.g) + u32::from(px.b)) / 3
    };
    assert!(!r.adapter::<IdentifyAdapter>().get_id_ready());
    assert!(
        bg("Lanjut") < 60,
        "disabled Lanjut background {}",
        bg("Lanjut")
    );
    tap(w, "Kontras").await;
    // Large text grows the footer's buttons and the keypad's digits too.
    let beranda = |w: &anjungan::ui::AppWindow| {
        i_slint_backend_testing::ElementHandle::find_by_accessible_label(w, "Beranda")
            .next()
            .unwrap()
            .size()
            .width
    };
    let normal = beranda(w);
    tap(w, "Teks besar").await;
    assert!(
        beranda(w) > normal,
        "Beranda grows: {} → {}",
        normal,
        beranda(w)
    );
    tap(w, "Teks besar").await;
    let pad = ["1", "0", "Hapus", "Kosongkan", "Lanjut"];
    let before: Vec<(f32, f32)> = pad.iter().map(|k| position(w, k)).collect();
    type_digits(w, "20").await;
    assert!(
        r.adapter::<IdentifyAdapter>()
            .get_id_message()
            .contains("provinsi"),
        "live check"
    );
    let with_error: Vec<(f32, f32)> = pad.iter().map(|k| position(w, k)).collect();
    assert_eq!(
        with_error, before,
        "the keypad does not move when an error appears"
    );
    tap(w, "Kosongkan").await;
    type_digits(w, BUDI.0).await;
    assert!(
        r.adapter::<IdentifyAdapter>().get_dob_focused(),
        "a full NIK moves to the date"
    );
    type_digits(w, "3113198").await;
    type_digits(w, "0").await;
    assert!(
        r.adapter::<IdentifyAdapter>()
            .get_id_message()
            .contains("Bulan lahir"),
        "an impossible date is named: {}",
        r.adapter::<IdentifyAdapter>().get_id_message()
    );
    assert!(!r.adapter::<IdentifyAdapter>().get_id_ready());
    tap(w, "Kosongkan").await;
    // Clearing the date field leaves the NIK; type the right date.
    type_digits(w, BUDI.1).await;
    assert!(
        r.adapter::<IdentifyAdapter>().get_id_ready(),
        "{}",
        r.adapter::<IdentifyAdapter>().get_id_message()
    );
    tap(w, "Lanjut").await;
    // One identification: the member home answers status, what to pay and the VA.
    assert_eq!(r.kiosk().get_page(), Page::MemberHome);
    assert_eq!(
        r.adapter::<ResultAdapter>().get_result_heading(),
        "TIDAK AKTIF – MENUNGGAK"
    );
    let home = r.rows().join("\n");
    assert!(home.contains("Rp2.565.000"), "{home}");
    assert!(home.contains("8888801000000011"), "{home}");
    assert!(
        r.adapter::<MemberHomeAdapter>()
            .get_member_ticket()
            .contains("G"),
        "the reactivation counter"
    );
    tap(w, "Rincian status & keluarga").await;
    assert_eq!(r.kiosk().get_page(), Page::Result);
    assert_eq!(
        r.adapter::<ResultAdapter>().get_result_heading(),
        "TIDAK AKTIF – MENUNGGAK"
    );
    assert!(r.rows().contains(&"NIK=3273**********01".to_string()));
    probe_leaves_member_data_out(w);
    tap(w, "Cetak").await;
    let slip = r.page_text(1);
    assert!(slip.contains("TIDAK AKTIF"), "{slip}");
    assert!(slip.contains("3273**********01"), "{slip}");
    assert!(!slip.contains(BUDI.0), "the NIK is masked on paper");
    assert!(
        !slip.contains("Budi Santoso"),
        "no name on the status slip: {slip}"
    );
    assert!(r.notice().contains("ambil struk"), "{}", r.notice());

    // The language toggle is on every screen; the next slip follows it.
    tap(w, "English").await;
    assert_eq!(
        r.adapter::<ResultAdapter>().get_result_heading(),
        "INACTIVE – IN ARREARS"
    );
    tap(w, "Print").await;
    let slip = r.page_text(2);
    assert!(slip.contains("INACTIVE"), "{slip}");
    tap(w, "Bahasa Indonesia").await;

    // Done → an anonymous rating → thanks → home, and the member is forgotten.
    tap(w, "Selesai").await;
    assert_eq!(r.kiosk().get_page(), Page::Rating);
    tap(w, "4 ★").await;
    assert_eq!(r.kiosk().get_page(), Page::Thanks);
    r.advance(5_000);
    assert_eq!(r.kiosk().get_page(), Page::Home);
    assert!(!r.controller.borrow().holds_member_data());
    let counted = Store::open(&r.db)
        .unwrap()
        .counts_in(&common::today().to_string())
        .unwrap();
    let four: Vec<(&str, i64)> = counted
        .iter()
        .filter(|c| c.metric == "ratings")
        .map(|c| (c.key.as_str(), c.n))
        .collect();
    assert_eq!(four, [("4", 1)], "one anonymous 4-star count for the day");

    // ── Cek Tagihan: arrears, the 24-month cap, the total to reactivate; slip.
    tap(w, "Cek Tagihan").await;
    identify(w, BUDI.0, BUDI.1).await;
    assert_eq!(r.kiosk().get_page(), Page::MemberHome);
    tap(w, "Rincian tagihan").await;
    assert_eq!(r.kiosk().get_page(), Page::Result);
    let rows = r.rows().join("\n");
    assert!(rows.contains("Rp"), "{rows}");
    tap(w, "Cetak").await;
    let slip = r.page_text(3);
    assert!(
        slip.contains("TAGIHAN") || slip.contains("Tagihan"),
        "{slip}"
    );
    assert!(slip.contains("Rp"), "{slip}");
    tap(w, "Selesai").await;
    tap(w, "Lewati").await;
    assert_eq!(r.kiosk().get_page(), Page::Thanks);
    tap(w, "Kembali ke awal").await;

    // ── Info Virtual Account by card number: the head's VA in full, per bank; slip.
    tap(w, "Info Virtual Account").await;
    tap(w, "Nomor Kartu JKN").await;
    identify(w, "0001000000012", "03071983").await;
    assert_eq!(r.kiosk().get_page(), Page::MemberHome);
    tap(w, "Info Virtual Account").await;
    assert_eq!(r.kiosk().get_page(), Page::Result);
    let va_rows = r.rows();
    let va = va_rows
        .iter()
        .find_map(|row| row.split('=').nth(1).filter(|v| v.starts_with("88888")))
        .unwrap_or_else(|| panic!("no VA in {va_rows:?}"))
        .replace(' ', "");
    tap(w, "Cetak").await;
    let slip = r.page_text(4);
    assert!(slip.replace(' ', "").contains(&va), "{va} on\n{slip}");
    tap(w, "Beranda").await;
    assert!(!r.controller.borrow().holds_member_data());

    // ── Info JKN: an article from the content, and back to the list.
    tap(w, "Info JKN").await;
    assert_eq!(r.kiosk().get_page(), Page::List);
    let articles = r.items();
    assert!(articles.len() >= 7, "{articles:?}");
    tap(w, &articles[0]).await;
    assert_eq!(r.kiosk().get_page(), Page::Article);
    assert!(!r.adapter::<ListAdapter>().get_article_body().is_empty());
    tap(w, "Kembali").await;
    assert_eq!(r.kiosk().get_page(), Page::List);
    tap(w, "Beranda").await;

    // ── Cari Faskes & Kantor: keyboard, filter, detail, a slip with a map QR.
    tap(w, "Cari Faskes & Kantor").await;
    // No control moves while the member types, however the results shrink.
    let keys = ["Q", "M", "Hapus", "Spasi", "Semua", "Kata pencarian"];
    let at_start: Vec<(f32, f32)> = keys.iter().map(|k| position(w, k)).collect();
    for (i, k) in "pusk cibeu".chars().enumerate() {
        type_keys(w, &k.to_string()).await;
        let now: Vec<(f32, f32)> = keys.iter().map(|k| position(w, k)).collect();
        assert_eq!(
            now,
            at_start,
            "after {} key(s) ({:?} results)",
            i + 1,
            r.items().len()
        );
    }
    assert!(
        r.items().len() <= 1,
        "the results did shrink: {:?}",
        r.items()
    );
    assert_eq!(r.adapter::<SearchAdapter>().get_search_text(), "PUSK CIBEU");
    for _ in 0.."pusk cibeu".len() {
        tap(w, "Hapus").await;
    }
    type_keys(w, "pusk").await;
    assert_eq!(r.adapter::<SearchAdapter>().get_search_text(), "PUSK");
    assert!(r.items().contains(&"Puskesmas Cibeunying".to_string()));
    tap(w, "Kantor BPJS").await;
    assert!(
        r.items().iter().all(|i| !i.starts_with("Puskesmas")),
        "the office filter leaves no puskesmas: {:?}",
        r.items()
    );
    tap(w, "Semua").await;
    tap(w, "Puskesmas Cibeunying").await;
    assert_eq!(
        r.adapter::<ResultAdapter>().get_result_heading(),
        "Puskesmas Cibeunying"
    );
    // A QR on screen that opens the place in a phone's maps app.
    assert!(shown(w, "Kode QR"), "a QR code on screen");
    assert!(
        r.adapter::<ResultAdapter>().get_qr().size().width >= 21 * 8,
        "{:?}",
        r.adapter::<ResultAdapter>().get_qr().size()
    );
    assert!(
        r.adapter::<ResultAdapter>()
            .get_qr_caption()
            .contains("peta")
    );
    tap(w, "Cetak").await;
    let (pages, _) = r.printer.wait_pages(5, std::time::Duration::from_secs(10));
    let place = &pages[4];
    assert!(
        place.text().contains("Puskesmas Cibeunying"),
        "{}",
        place.text()
    );
    assert_eq!(
        place.qr_codes(),
        ["https://www.google.com/maps/search/?api=1&query=-6.894500,107.635000"]
    );
    tap(w, "Beranda").await;

    // ── Ubah FKTP: eligibility, nearby open FKTPs, confirm with the date, slip.
    tap(w, "Ubah FKTP").await;
    identify(w, DEWI.0, DEWI.1).await;
    assert_eq!(r.kiosk().get_page(), Page::List, "{}", r.notice());
    let fktps = r.items();
    assert!(fktps.len() >= 2, "{fktps:?}");
    tap(w, &fktps[1]).await;
    assert_eq!(r.kiosk().get_page(), Page::Result);
    assert!(
        r.rows().iter().any(|row| row.contains("01-12-2026")),
        "the effective date: {:?}",
        r.rows()
    );
    tap(w, "Ajukan").await;
    let fktp_ref = r
        .adapter::<ResultAdapter>()
        .get_result_heading()
        .to_string();
    assert!(fktp_ref.starts_with("AJ-"), "{fktp_ref}");
    let slip = r.page_text(6);
    assert!(slip.contains(&fktp_ref), "{slip}");
    assert!(slip.contains("FKTP"), "{slip}");
    assert!(!slip.contains(DEWI.0), "{slip}");
    tap(w, "Beranda").await;

    // ── Ubah Kelas: everyone affected and the new family total before confirming; slip.
    tap(w, "Ubah Kelas").await;
    identify(w, DEWI.0, DEWI.1).await;
    assert_eq!(r.kiosk().get_page(), Page::List);
    tap(w, "Kelas 1").await;
    assert!(
        r.rows()
            .contains(&"Iuran keluarga per bulan=Rp150.000".to_string()),
        "{:?}",
        r.rows()
    );
    // The way out on the left and it says Batal; the primary action on the right.
    let (batal, ajukan) = (position(w, "Batal"), position(w, "Ajukan"));
    assert!(
        batal.0 < ajukan.0 && batal.1 == ajukan.1,
        "{batal:?} {ajukan:?}"
    );
    assert!(!shown(w, "Selesai"), "no 'Selesai' that cancels");
    tap(w, "Batal").await;
    assert_eq!(
        r.kiosk().get_page(),
        Page::MemberHome,
        "cancelled, back to the member home"
    );
    tap(w, "Ubah kelas").await;
    tap(w, "Kelas 1").await;
    tap(w, "Ajukan").await;
    let kelas_ref = r
        .adapter::<ResultAdapter>()
        .get_result_heading()
        .to_string();
    assert!(kelas_ref.starts_with("AJ-") && kelas_ref != fktp_ref);
    let slip = r.page_text(7);
    assert!(slip.contains(&kelas_ref), "{slip}");
    tap(w, "Beranda").await;
    // Both requests are durable in the outbox.
    let pending = Store::open(&r.db).unwrap().pending_requests().unwrap();
    assert_eq!(pending.len(), 2, "{pending:?}");

    // ── Cek Permohonan: the reference typed on the keyboard.
    tap(w, "Cek Permohonan").await;
    type_keys(w, &kelas_ref).await;
    tap(w, "Cek").await;
    let answer = r
        .adapter::<RequestCheckAdapter>()
        .get_reference_answer()
        .to_string();
    assert!(answer.contains("tercatat"), "{answer}");
    tap(w, "Beranda").await;

    // ── Ambil Antrean: priority lane, a number from the dispenser, the ticket printed.
    tap(w, "Ambil Antrean").await;
    assert_eq!(r.kiosk().get_page(), Page::List);
    let listed = probe::snapshot(w);
    assert!(
        listed
            .targets
            .iter()
            .any(|t| t.label == "A — Pendaftaran peserta baru" && t.role == "button"),
        "the boot test's service row: {listed:?}"
    );
    tap(w, "Antrean prioritas (lansia, disabilitas, ibu hamil)").await;
    let services = r.items();
    assert_eq!(services.len(), 9, "{services:?}");
    tap(w, &services[0]).await;
    assert_eq!(r.kiosk().get_page(), Page::Ticket);
    let number = r.adapter::<TicketAdapter>().get_ticket_number().to_string();
    assert_eq!(number, "A-P01", "a priority number from the simulator");
    let ticket = r.page_text(8);
    assert!(ticket.contains("A-P01"), "{ticket}");
    assert!(ticket.contains("KTP"), "the document checklist: {ticket}");
    assert_eq!(r.dispenser.log().len(), 1, "one number issued");
    tap(w, "Selesai").await;
    tap(w, "Lewati").await;
    tap(w, "Kembali ke awal").await;

    // ── Five failed identifications lock that NIK only, with a warning before; the next
    // member goes straight through, and time lifts the lock.
    for attempt in 1..=5 {
        tap(w, "Cek Status").await;
        identify(w, BUDI.0, "13051980").await;
        assert_eq!(r.kiosk().get_page(), Page::Identify);
        let message = r.adapter::<IdentifyAdapter>().get_id_message().to_string();
        if attempt < 5 {
            assert!(
                message.contains(&format!("Sisa {} kali", 5 - attempt)),
                "{message}"
            );
        } else {
            assert!(
                message.contains("dikunci") && message.contains("15 menit"),
                "{message}"
            );
        }
        tap(w, "Beranda").await;
    }
    tap(w, "Cek Status").await;
    identify(w, BUDI.0, BUDI.1).await;
    assert!(
        r.adapter::<IdentifyAdapter>()
            .get_id_message()
            .contains("dikunci"),
        "the right date of birth does not open a locked NIK"
    );
    tap(w, "Beranda").await;
    tap(w, "Cek Status").await;
    identify(w, DEWI.0, DEWI.1).await;
    assert_eq!(
        r.kiosk().get_page(),
        Page::MemberHome,
        "another member is not locked out"
    );
    tap(w, "Beranda").await;
    r.advance(15 * 60_000 + 1_000);
    tap(w, "Cek Status").await;
    identify(w, BUDI.0, BUDI.1).await;
    assert_eq!(
        r.kiosk().get_page(),
        Page::MemberHome,
        "the lock has run out"
    );
    tap(w, "Beranda").await;
    tap(w, "Cek Status").await;
    assert_eq!(r.kiosk().get_page(), Page::Identify);

    // ── Walk away mid-flow: countdown at 60 s, home and wiped 10 s later.
    identify(w, DEWI.0, DEWI.1).await;
    assert_eq!(r.kiosk().get_page(), Page::MemberHome);
    assert!(r.controller.borrow().holds_member_data());
    r.advance(59_000);
    assert_eq!(r.kiosk().get_countdown(), 0);
    r.advance(2_000);
    assert!(r.kiosk().get_countdown() > 0);
    assert!(shown(w, "Lanjutkan"));
    // "Still here" keeps the session...
    tap(w, "Lanjutkan").await;
    assert_eq!(r.kiosk().get_countdown(), 0);
    assert_eq!(r.kiosk().get_page(), Page::MemberHome);
    // ...walking away for good does not.
    r.advance(61_000);
    r.advance(10_000);
    assert_eq!(r.kiosk().get_page(), Page::Home);
    assert!(!r.controller.borrow().holds_member_data());
    assert!(r.rows().is_empty(), "no rows left in the UI model");
    assert!(
        !r.adapter::<IdentifyAdapter>()
            .get_id_text()
            .contains("3273"),
        "no NIK left in the UI model"
    );
}

/// The boot test's probe (src/ui/probe.rs) finds "Ambil Antrean" where Slint's own query
/// puts it, in physical pixels, and writes it to a private file a test outside can read.
fn probe_lists_the_home_tiles(w: &anjungan::ui::AppWindow) {
    let snap = probe::snapshot(w);
    let size = w.window().size();
    assert_eq!((snap.width, snap.height), (size.width, size.height));
    let tiles: Vec<_> = snap
        .targets
        .iter()
        .filter(|t| t.label == "Ambil Antrean")
        .collect();
    assert_eq!(tiles.len(), 1, "one Ambil Antrean, listed once: {snap:?}");
    let tile = tiles[0];
    let e = i_slint_backend_testing::ElementHandle::find_by_accessible_label(w, "Ambil Antrean")
        .next()
        .unwrap();
    let (p, s) = (e.absolute_position(), e.size());
    let k = snap.scale;
    assert_eq!(tile.role, "button");
    assert_eq!(
        (tile.x, tile.y, tile.w, tile.h),
        (
            (p.x * k).round() as i32,
            (p.y * k).round() as i32,
            (s.width * k).round() as i32,
            (s.height * k).round() as i32
        )
    );
    assert!(
        tile.w > 100 && tile.h > 50,
        "a tile a finger can hit: {tile:?}"
    );
    // Only what a finger acts on: the logo (an image) and the clock (text) are left out.
    assert!(snap.targets.iter().all(|t| t.label != "Logo"), "{snap:?}");
    assert!(snap.targets.iter().all(|t| t.role != "text"), "{snap:?}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ui-targets.json");
    probe::write(&file, &snap).unwrap();
    let read: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(read["width"], size.width);
    assert!(
        read["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["label"] == "Ambil Antrean" && t["x"] == tile.x && t["h"] == tile.h),
        "{read}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the probe's file is private");
    assert!(!dir.path().join("ui-targets.json.tmp").exists());
}

/// On a member's result the probe lists the buttons, and none of the member's data: no
/// NIK digits, no masked name, nothing of the rows on screen.
fn probe_leaves_member_data_out(w: &anjungan::ui::AppWindow) {
    let snap = probe::snapshot(w);
    assert!(snap.targets.iter().any(|t| t.label == "Cetak"), "{snap:?}");
    for t in &snap.targets {
        let digits = t.label.chars().filter(char::is_ascii_digit).count();
        assert!(digits < 4, "digits of member data in a target: {t:?}");
        assert!(
            !t.label.contains('*'),
            "masked member data in a target: {t:?}"
        );
        assert!(!t.label.contains("Budi"), "a name in a target: {t:?}");
    }
}
