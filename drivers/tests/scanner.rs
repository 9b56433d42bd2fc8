//! The scanner driver over a real pseudo-terminal: the bytes a serial scanner sends.

use std::io::Write;
use std::time::{Duration, Instant};

use anjungan_drivers::pty::Pty;
use anjungan_drivers::scanner::{Scan, Scanner};

fn scans_within(scanner: &mut Scanner, want: usize) -> Vec<Scan> {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        got.extend(scanner.poll(Duration::from_millis(50)).unwrap());
    }
    got
}

#[test]
fn scans_arrive_as_lines_over_a_serial_line() {
    let mut pty = Pty::open().unwrap();
    let uri = format!("serial://{}?baud=9600", pty.path().display());
    let mut scanner = Scanner::open(&uri).unwrap();
    // A card, split across writes as a UART delivers it, then noise, then a QR's text.
    pty.master.write_all(b"000100").unwrap();
    pty.master.write_all(b"0000011\r").unwrap();
    pty.master.write_all(b"\x00\x01\x02garbage\xfe\r").unwrap();
    pty.master.write_all(b"0001000000012\r\n").unwrap();
    let got = scans_within(&mut scanner, 3);
    assert_eq!(
        got,
        vec![
            Scan::Line("0001000000011".into()),
            Scan::Unreadable,
            Scan::Line("0001000000012".into()),
        ]
    );
    // Nothing more comes: a poll just times out.
    assert!(scanner.poll(Duration::from_millis(30)).unwrap().is_empty());
}

#[test]
fn only_a_serial_uri_opens_a_scanner() {
    for (uri, says) in [
        ("tcp://127.0.0.1:9100", "serial line"),
        ("serial://dev/x", "absolute"),
        ("usb://x", "expected"),
    ] {
        let e = Scanner::open(uri).err().expect(uri).to_string();
        assert!(e.contains(says), "{uri}: {e}");
    }
}
