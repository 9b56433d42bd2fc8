//! The printer driver against the virtual printer over real TCP on 127.0.0.1 and a real pty.

use std::time::Duration;

use anjungan_drivers::printer::{EscPosPrinter, Fault, PrinterError, Timeouts};
use anjungan_drivers::printer_sim::{SimOptions, StatusPreset, VirtualPrinter};
use anjungan_drivers::receipt::{Align, PaperWidth, Receipt};

fn sim(opts: SimOptions) -> (VirtualPrinter, String) {
    let vp = VirtualPrinter::new(opts);
    let (addr, _h) = vp.spawn_tcp("127.0.0.1:0").expect("bind");
    (vp, format!("tcp://{addr}"))
}

fn timeouts() -> Timeouts {
    Timeouts {
        status: Duration::from_millis(300),
        job: Duration::from_secs(2),
        ..Timeouts::default()
    }
}

fn sample() -> Receipt {
    let mut r = Receipt::new(PaperWidth::Mm58);
    r.styled("A-012", Align::Center, true, 3);
    r.separator();
    r.pair("Layanan", "Pendaftaran");
    r.line("Bawa: KK, KTP – asli");
    r.qr("ANJ-REQ-0001");
    r
}

#[test]
fn status_presets_read_back_over_tcp() {
    for preset in ["ready", "paper-out", "cover-open", "near-end", "offline"] {
        let p: StatusPreset = preset.parse().unwrap();
        let (vp, uri) = sim(SimOptions {
            status: p.status(),
            ..SimOptions::default()
        });
        let mut printer = EscPosPrinter::open(&uri, timeouts()).unwrap();
        let st = printer.status().unwrap();
        let want = p.status();
        assert_eq!(st.cover_open, want.cover_open, "{preset}");
        assert_eq!(st.paper_end, want.paper_end, "{preset}");
        assert_eq!(st.paper_near_end, want.paper_near_end, "{preset}");
        assert_eq!(st.online, want.fault().is_none(), "{preset}");
        assert_eq!(vp.status_requests(), 3);
    }
}

#[test]
fn a_printed_receipt_round_trips_byte_exact() {
    let (vp, uri) = sim(SimOptions::default());
    let mut printer = EscPosPrinter::open(&uri, timeouts()).unwrap();
    let r = sample();
    let report = printer.print(&r).unwrap();
    let (pages, _) = vp.wait_pages(1, Duration::from_secs(5));
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert!(page.cut);
    assert_eq!(
        page.raw,
        r.to_escpos().unwrap(),
        "the printer got exactly the rendered bytes"
    );
    assert_eq!(report.bytes, page.raw.len());
    let lines = page.lines();
    assert_eq!(lines[0], "A-012");
    assert_eq!(lines[1], "-".repeat(32));
    assert_eq!(
        lines[2],
        format!("Layanan{}Pendaftaran", " ".repeat(32 - 7 - 11))
    );
    assert_eq!(lines[3], "Bawa: KK, KTP - asli");
    assert_eq!(page.qr_codes(), ["ANJ-REQ-0001"]);
}

#[test]
fn paper_out_refuses_at_once_and_prints_nothing() {
    for (preset, fault) in [
        (StatusPreset::PaperOut, Fault::PaperEnd),
        (StatusPreset::CoverOpen, Fault::CoverOpen),
        (StatusPreset::Offline, Fault::Offline),
    ] {
        let (vp, uri) = sim(SimOptions {
            status: preset.status(),
            ..SimOptions::default()
        });
        let mut printer = EscPosPrinter::open(&uri, timeouts()).unwrap();
        match printer.print(&sample()) {
            Err(PrinterError::NotReady(f)) => assert_eq!(f, fault),
            other => panic!("expected NotReady({fault}), got {other:?}"),
        }
        assert!(vp.pages().is_empty());
    }
}

#[test]
fn paper_running_out_mid_job_is_reported_not_lost() {
    let (vp, uri) = sim(SimOptions {
        paper_out_after: Some(40),
        ..SimOptions::default()
    });
    let mut printer = EscPosPrinter::open(&uri, timeouts()).unwrap();
    match printer.print(&sample()) {
        Err(PrinterError::Interrupted(Fault::PaperEnd)) => {}
        other => panic!("expected Interrupted(PaperEnd), got {other:?}"),
    }
    assert!(vp.pages().is_empty());
    assert_eq!(vp.interrupted(), 1);
}

#[test]
fn a_late_status_reply_is_not_taken_for_the_next_answer() {
    let (vp, uri) = sim(SimOptions::default());
    let mut printer = EscPosPrinter::open(
        &uri,
        Timeouts {
            status: Duration::from_millis(400),
            ..timeouts()
        },
    )
    .unwrap();
    // The printer is slow: the first question times out, its answer ("ready") comes later.
    vp.set_status_delay(Duration::from_millis(600));
    let first = printer.status().unwrap();
    assert!(!first.online);
    // Meanwhile the paper ran out; the late "ready" byte must not answer the new question.
    vp.set_status_delay(Duration::ZERO);
    vp.set_status(StatusPreset::PaperOut.status());
    let second = printer.status().unwrap();
    assert!(second.paper_end && !second.online, "{second:?}");
}

#[test]
fn the_virtual_printer_serves_a_pty_like_a_serial_printer() {
    let vp = VirtualPrinter::new(SimOptions::default());
    let (path, _h) = vp.spawn_pty().unwrap();
    let uri = format!("serial://{}?baud=115200", path.display());
    // Two successive clients on the same pty.
    for n in 1..=2 {
        let mut printer = EscPosPrinter::open(&uri, timeouts()).unwrap();
        assert!(printer.status().unwrap().ready());
        printer.print(&sample()).unwrap();
        let (pages, _) = vp.wait_pages(n, Duration::from_secs(5));
        assert_eq!(pages.len(), n);
        assert_eq!(pages[n - 1].qr_codes(), ["ANJ-REQ-0001"]);
    }
}

#[test]
fn pages_are_written_as_png_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let (vp, uri) = sim(SimOptions {
        png_dir: Some(dir.path().to_path_buf()),
        width: PaperWidth::Mm58,
        ..SimOptions::default()
    });
    EscPosPrinter::open(&uri, timeouts())
        .unwrap()
        .print(&sample())
        .unwrap();
    vp.wait_pages(1, Duration::from_secs(5));
    let png = std::fs::read(dir.path().join("page-0001.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let txt = std::fs::read_to_string(dir.path().join("page-0001.txt")).unwrap();
    assert!(txt.starts_with("A-012\n"));
}

#[test]
fn an_unreachable_printer_is_an_offline_error() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let e = EscPosPrinter::open(&format!("tcp://{addr}"), timeouts())
        .err()
        .unwrap();
    assert_eq!(e.code(), "PRINTER_OFFLINE");
    assert_eq!(e.fault(), Some(Fault::Offline));
    let e = EscPosPrinter::open("lpt://x", timeouts()).err().unwrap();
    assert_eq!(e.code(), "PRINTER_URI");
}

#[test]
fn the_device_file_transport_reads_status_and_prints() {
    // A pty slave is a character device like /dev/usb/lp0: same open/write/poll/read path.
    let vp = VirtualPrinter::new(SimOptions::default());
    let (path, _h) = vp.spawn_pty().unwrap();
    let uri = format!("file://{}", path.display());
    let mut printer = EscPosPrinter::open(&uri, timeouts()).unwrap();
    assert!(printer.status().unwrap().ready());
    printer.print(&sample()).unwrap();
    let (pages, _) = vp.wait_pages(1, Duration::from_secs(5));
    assert_eq!(pages[0].lines()[0], "A-012");
}
