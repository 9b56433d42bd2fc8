//! Every slip layout, byte for byte, over the real wire.
//!
//! Each slip is rendered from the views the screens show (the fixture in
//! `tests/fixtures/small`, "today" 2026-11-22), printed over TCP on 127.0.0.1 to the virtual
//! printer, and checked three ways: the bytes the printer received equal the rendering and the
//! reviewed golden `tests/golden/NAME.escpos` (printable ASCII as is, other bytes as `\xNN`, a
//! line break after each ESC d n); the printer's decoded text equals `tests/golden/NAME.txt`;
//! and no slip carries a full NIK or card number. `UPDATE_GOLDEN=1 cargo test --test
//! slips_golden` rewrites the goldens after a deliberate layout change: review the diff.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anjungan::content;
use anjungan::dataset::import_dir;
use anjungan::domain::Kelas;
use anjungan::services::{Identity, IdentityKey, MemberSession};
use anjungan::slips::{self, ChangeKind, Lang, SlipContext, TicketSlip};
use anjungan::store::Store;
use anjungan_drivers::printer::{EscPosPrinter, Timeouts};
use anjungan_drivers::printer_sim::{SimOptions, VirtualPrinter};
use anjungan_drivers::receipt::{PaperWidth, Receipt};
use chrono::NaiveDate;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn ctx(width: PaperWidth, lang: Lang) -> SlipContext {
    SlipContext {
        kiosk_name: "KC Bandung".into(),
        width,
        lang,
        printed_at: today().and_hms_opt(9, 30, 0).unwrap(),
    }
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Bytes as reviewable text: printable ASCII as is, `\\` doubled, the rest `\xNN`.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
        if b == 0x1b && bytes.get(i + 1) == Some(&b'd') && i + 2 < bytes.len() {
            out.push_str(&format!("d\\x{:02x}\n", bytes[i + 2]));
            i += 3;
            continue;
        }
        i += 1;
    }
    out
}

fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => i += 1,
            b'\\' if b.get(i + 1) == Some(&b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            b'\\' if b.get(i + 1) == Some(&b'x') => {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 4;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn check_golden(name: &str, ext: &str, actual: &str) {
    let path = golden_dir().join(format!("{name}.{ext}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create)",
            path.display()
        )
    });
    assert_eq!(actual, want, "{} differs from the golden", path.display());
}

fn session(dir: &Path, nik: &str, dob: &str) -> (Store, MemberSession) {
    let db = dir.join(format!("{nik}.db"));
    let mut store = Store::open(&db).unwrap();
    import_dir(
        &mut store,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small"),
        today(),
    )
    .unwrap();
    let id = Identity::parse(IdentityKey::Nik(nik.into()), dob, today()).unwrap();
    let s = MemberSession::identify(&store, &id).unwrap();
    (store, s)
}

fn slips_under_test() -> Vec<(&'static str, Receipt)> {
    let dir = tempfile::tempdir().unwrap();
    let services = content::default_services();
    let (_, budi) = session(dir.path(), "3273011205800001", "1980-05-12");
    let (dewi_store, dewi) = session(dir.path(), "3273016802900004", "1990-02-28");
    let (_, hendra) = session(dir.path(), "3273013112750005", "1975-12-31");
    let (_, made) = session(dir.path(), "3273012902000006", "2000-02-29");
    let id80 = ctx(PaperWidth::Mm80, Lang::Id);
    let en58 = ctx(PaperWidth::Mm58, Lang::En);
    let ticket = TicketSlip {
        number: "A-012".into(),
        service: &services[0],
        priority: false,
        ahead: 11,
    };
    let priority = TicketSlip {
        number: "F-P03".into(),
        service: &services[5],
        priority: true,
        ahead: 2,
    };
    let kelas1 = Kelas::new(1).unwrap();
    vec![
        ("ticket_80_id", slips::queue_ticket(&id80, &ticket)),
        (
            "ticket_priority_58_en",
            slips::queue_ticket(&en58, &priority),
        ),
        (
            "status_80_id",
            slips::status_slip(&id80, &budi.status(today())),
        ),
        (
            "status_58_en",
            slips::status_slip(&en58, &dewi.status(today())),
        ),
        ("dues_80_id", slips::dues_slip(&id80, &budi.dues(today()))),
        ("dues_58_en", slips::dues_slip(&en58, &budi.dues(today()))),
        // PPU: the employer pays; PBI: the government pays, and no VA is printed.
        (
            "dues_ppu_80_id",
            slips::dues_slip(&id80, &hendra.dues(today())),
        ),
        (
            "va_pbi_58_en",
            slips::va_slip(&en58, &made.virtual_accounts(today()).unwrap()),
        ),
        (
            "va_80_id",
            slips::va_slip(&id80, &budi.virtual_accounts(today()).unwrap()),
        ),
        (
            "request_kelas_80_id",
            slips::change_slip(
                &id80,
                "ANJ-20261122-0007",
                ChangeKind::Kelas,
                &dewi.change_kelas(kelas1, today()),
            ),
        ),
        // FKTP names on paper, with the code small; Dewi still waits, so the reason prints.
        (
            "request_fktp_80_id",
            slips::change_slip(
                &id80,
                "ANJ-20261122-0009",
                ChangeKind::Fktp,
                &dewi.change_fktp(&dewi_store, "3273K005", today()).unwrap(),
            ),
        ),
        (
            "request_kelas_58_en",
            slips::change_slip(
                &en58,
                "ANJ-20261122-0008",
                ChangeKind::Kelas,
                &budi.change_kelas(kelas1, today()),
            ),
        ),
        (
            "test_58_id",
            slips::test_slip(&ctx(PaperWidth::Mm58, Lang::Id)),
        ),
    ]
}

#[test]
fn every_slip_matches_its_golden_over_the_wire() {
    let vp = VirtualPrinter::new(SimOptions::default());
    let (addr, _h) = vp.spawn_tcp("127.0.0.1:0").unwrap();
    let uri = format!("tcp://{addr}");
    let slips = slips_under_test();
    for (i, (name, receipt)) in slips.iter().enumerate() {
        let bytes = receipt.to_escpos().unwrap();
        let mut printer = EscPosPrinter::open(&uri, Timeouts::default()).unwrap();
        printer.print(receipt).unwrap();
        let (pages, _) = vp.wait_pages(i + 1, Duration::from_secs(10));
        let page = &pages[i];
        assert_eq!(
            page.raw, bytes,
            "{name}: the printer received exactly the rendered bytes"
        );
        assert_eq!(
            unescape(&escape(&bytes)),
            bytes,
            "{name}: escaping round-trips"
        );
        check_golden(name, "escpos", &escape(&bytes));
        check_golden(name, "txt", &page.text());
        let cols = if name.contains("_58_") { 32 } else { 48 };
        for l in page.lines() {
            assert!(l.len() <= cols, "{name}: line wider than the paper: {l:?}");
        }
        if name.starts_with("request") {
            assert_eq!(page.qr_codes().len(), 1, "{name}");
            assert!(page.qr_codes()[0].starts_with("ANJ-20261122-000"));
        }
    }
}

#[test]
fn slips_mask_nik_and_card_and_only_the_va_slip_shows_the_va() {
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small/members.csv"),
    )
    .unwrap();
    let ids: Vec<(String, String)> = fixture
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned())
        })
        .collect();
    for (name, receipt) in slips_under_test() {
        let text = String::from_utf8_lossy(&receipt.to_escpos().unwrap()).into_owned();
        for (card, nik) in &ids {
            assert!(!text.contains(nik.as_str()), "{name} shows a full NIK");
            assert!(
                !text.contains(card.as_str()),
                "{name} shows a full card number"
            );
        }
        // Only Budi's (PBPU) VA slip carries a VA: no slip of a PBI family does.
        let has_va = text.contains("8888801000000011");
        assert_eq!(has_va, name == "va_80_id", "{name}");
        let longest_digits = text
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        if name.starts_with("va_pbi") {
            assert!(
                longest_digits < 16,
                "{name}: a PBI family is given a VA to pay"
            );
        }
        for n in ["Budi", "Dewi", "Santoso", "1980-05-12", "12-05-1980"] {
            assert!(!text.contains(n), "{name} shows personal data {n:?}");
        }
    }
    let text = String::from_utf8_lossy(&slips_under_test()[2].1.to_escpos().unwrap()).into_owned();
    assert!(
        text.contains("3273**********01") || text.contains("3273"),
        "masked NIK shown"
    );
    assert!(text.contains("0001*****0011"), "masked card shown");
}
