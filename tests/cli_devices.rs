//! The device commands end to end: real `anjungan` processes for the simulators and the
//! commands, talking over a real pty and real TCP on 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_anjungan");

/// A simulator process, stopped (by its own pid) when dropped.
struct Sim {
    child: Child,
    first_line: String,
}

impl Sim {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start simulator");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .expect("simulator prints its address");
        Self {
            child,
            first_line: first_line.trim().to_owned(),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(args: &[&str]) -> (i32, Value) {
    let out = Command::new(BIN).args(args).output().expect("run anjungan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout:?}"));
    (out.status.code().unwrap_or(-1), v)
}

/// `anjungan ticket --dispenser DISP --service S --json` with `extra` arguments.
fn ticket(disp: &str, service: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "ticket",
        "--dispenser",
        disp,
        "--service",
        service,
        "--json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn ticket_takes_a_number_and_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("png");
    let printer = Sim::start(&[
        "printer-sim",
        "--listen",
        "127.0.0.1:0",
        "--png-dir",
        png.to_str().unwrap(),
    ]);
    let dispenser = Sim::start(&["dispenser-sim", "--pty"]);
    assert!(
        printer.first_line.starts_with("tcp://127.0.0.1:"),
        "{}",
        printer.first_line
    );
    assert!(
        dispenser.first_line.starts_with("/dev/"),
        "{}",
        dispenser.first_line
    );
    let disp = format!("serial://{}", dispenser.first_line);
    let (code, v) = run(&[
        "ticket",
        "--dispenser",
        &disp,
        "--service",
        "B",
        "--printer",
        &printer.first_line,
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["number"], "B-001");
    assert_eq!(v["service"], "B");
    assert_eq!(v["ahead"], 0);
    assert_eq!(v["printed"], true);
    let (_, v) = run(&["ticket", "--dispenser", &disp, "--service", "B", "--json"]);
    assert_eq!(
        (v["number"].as_str(), v["ahead"].as_u64()),
        (Some("B-002"), Some(1))
    );
    let (_, v) = run(&[
        "ticket",
        "--dispenser",
        &disp,
        "--service",
        "B",
        "--priority",
        "--json",
    ]);
    assert_eq!(v["number"], "B-P01");
    let text = std::fs::read_to_string(png.join("page-0001.txt")).unwrap();
    assert!(
        text.contains("\nB-001\n") && text.contains("Penambahan anggota keluarga"),
        "{text}"
    );
    assert!(png.join("page-0001.png").is_file());
}

#[test]
fn printer_faults_exit_non_zero_saying_why() {
    let printer = Sim::start(&[
        "printer-sim",
        "--listen",
        "127.0.0.1:0",
        "--status",
        "paper-out",
    ]);
    let (code, v) = run(&["print", "test", "--printer", &printer.first_line, "--json"]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "PRINTER_PAPER_END");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("Kertas printer habis")
    );
    assert!(v["message_en"].as_str().unwrap().contains("out of paper"));
    let (code, v) = run(&[
        "printer",
        "status",
        "--printer",
        &printer.first_line,
        "--json",
    ]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "PRINTER_PAPER_END");
    assert_eq!(v["paper_end"], true);
    assert_eq!(v["online"], false);
    assert_eq!(v["cover_open"], false);

    let cover = Sim::start(&[
        "printer-sim",
        "--listen",
        "127.0.0.1:0",
        "--status",
        "cover-open",
    ]);
    let (code, v) = run(&[
        "printer",
        "status",
        "--printer",
        &cover.first_line,
        "--json",
    ]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "PRINTER_COVER_OPEN");

    let ok = Sim::start(&[
        "printer-sim",
        "--listen",
        "127.0.0.1:0",
        "--status",
        "near-end",
    ]);
    let (code, v) = run(&["printer", "status", "--printer", &ok.first_line, "--json"]);
    assert_eq!(code, 0, "{v}");
    for key in ["online", "paper_near_end"] {
        assert_eq!(v[key], true, "{key}");
    }
    for key in ["cover_open", "paper_end"] {
        assert_eq!(v[key], false, "{key}");
    }
    let short = Sim::start(&[
        "printer-sim",
        "--listen",
        "127.0.0.1:0",
        "--paper-out-after",
        "60",
    ]);
    let (code, v) = run(&["print", "test", "--printer", &short.first_line, "--json"]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "PRINTER_INTERRUPTED");
    assert!(
        v["message_en"]
            .as_str()
            .unwrap()
            .contains("may be incomplete")
    );

    let (code, v) = run(&["print", "test", "--printer", "lpt://nowhere", "--json"]);
    assert_eq!(code, 2, "a mistyped address is an input mistake");
    assert_eq!(v["error"], "PRINTER_URI");
}

#[test]
fn member_slips_print_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    let (code, _) = run(&[
        "import",
        fixture.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--today",
        "2026-11-22",
        "--json",
    ]);
    assert_eq!(code, 0);
    let printer = Sim::start(&[
        "printer-sim",
        "--pty",
        "--png-dir",
        dir.path().join("png").to_str().unwrap(),
    ]);
    let uri = format!("serial://{}?baud=115200", printer.first_line);
    let who = [
        "--db",
        db.to_str().unwrap(),
        "--nik",
        "3273011205800001",
        "--dob",
        "1980-05-12",
        "--today",
        "2026-11-22",
    ];
    for (n, slip) in ["status", "dues", "va"].iter().enumerate() {
        let mut args = vec!["print", slip];
        args.extend_from_slice(&who);
        args.extend_from_slice(&["--printer", &uri, "--paper-mm", "58", "--json"]);
        let (code, v) = run(&args);
        assert_eq!(code, 0, "{slip}: {v}");
        assert_eq!(v["printed"], *slip);
        let text =
            std::fs::read_to_string(dir.path().join(format!("png/page-{:04}.txt", n + 1))).unwrap();
        assert!(!text.contains("3273011205800001"), "{slip} shows the NIK");
    }
    // A request slip only for a request this kiosk holds for this member.
    anjungan::store::Store::open(&db)
        .unwrap()
        .enqueue_request(
            "AJ-00000-0000A",
            "KELAS",
            "0001000000011",
            r#"{"to":"1"}"#,
            "2026-11-22T03:00:00Z",
        )
        .unwrap();
    for (reference, expected) in [("AJ-NOPE1-NOPE2", 2), ("aj-00000-0000a", 0)] {
        let mut args = vec!["print", "request"];
        args.extend_from_slice(&who);
        args.extend_from_slice(&[
            "--printer",
            &uri,
            "--kind",
            "kelas",
            "--to",
            "1",
            "--reference",
            reference,
            "--lang",
            "en",
            "--json",
        ]);
        let (code, v) = run(&args);
        assert_eq!(code, expected, "{reference}: {v}");
        if expected == 2 {
            assert_eq!(v["error"], "UNKNOWN_REFERENCE");
        }
    }
    let (code, v) = run(&[
        "print",
        "status",
        "--db",
        db.to_str().unwrap(),
        "--nik",
        "3273011205800001",
        "--dob",
        "1999-01-01",
        "--printer",
        &uri,
        "--json",
    ]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "IDENTITY_MISMATCH");
}

#[test]
fn an_absent_dispenser_is_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("serial://{}/gone", dir.path().display());
    let (code, v) = run(&["ticket", "--dispenser", &uri, "--service", "A", "--json"]);
    assert_eq!(code, 3, "an absent dispenser is a device fault");
    assert_eq!(v["error"], "DISPENSER_OFFLINE");
    assert!(v["message_en"].as_str().unwrap().contains("staff"));
    let (code, v) = run(&["ticket", "--dispenser", &uri, "--service", "Z", "--json"]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "UNKNOWN_SERVICE");
}

#[test]
fn a_printer_that_cannot_print_costs_no_number() {
    let printer = Sim::start(&[
        "printer-sim",
        "--listen",
        "127.0.0.1:0",
        "--status",
        "cover-open",
    ]);
    let dispenser = Sim::start(&["dispenser-sim", "--pty"]);
    let disp = format!("serial://{}", dispenser.first_line);
    let (code, v) = ticket(&disp, "G", &["--printer", &printer.first_line]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["error"], "PRINTER_COVER_OPEN");
    assert!(
        v["message"].as_str().unwrap().contains("belum diambil"),
        "{v}"
    );
    assert!(
        v["message_en"]
            .as_str()
            .unwrap()
            .contains("No queue number was taken"),
        "{v}"
    );
    // The printer was asked first: the dispenser gave nothing, so the next number is G-001.
    let (code, v) = ticket(&disp, "G", &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v["number"], "G-001",
        "no number was spent on the refused ticket"
    );
}

#[test]
fn a_ticket_that_stops_printing_mid_job_still_names_its_number() {
    // The status is ready, then the paper runs out in the middle of the ticket.
    let printer = Sim::start(&[
        "printer-sim",
        "--listen",
        "127.0.0.1:0",
        "--paper-out-after",
        "40",
    ]);
    let dispenser = Sim::start(&["dispenser-sim", "--pty"]);
    let disp = format!("serial://{}", dispenser.first_line);
    let (code, v) = ticket(&disp, "G", &["--printer", &printer.first_line]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "PRINTER_INTERRUPTED", "{v}");
    assert_eq!(
        v["number"], "G-001",
        "the number taken is not lost: staff can call it"
    );
}

#[test]
fn a_late_dispenser_serves_and_a_retry_with_its_request_id_costs_no_number() {
    // Every reply 700 ms late, past the client's 500 ms timeout.
    let dispenser = Sim::start(&["dispenser-sim", "--pty", "--delay-ms", "700"]);
    let disp = format!("serial://{}", dispenser.first_line);
    let (code, v) = ticket(&disp, "B", &["--request-id", "4242"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["number"].as_str(), v["request_id"].as_u64()),
        (Some("B-001"), Some(4242))
    );
    // The member's retry (the same id) gets the same number, not a second one.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (code, v) = ticket(&disp, "B", &["--request-id", "4242"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["number"], "B-001", "{v}");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (_, v) = ticket(&disp, "B", &[]);
    assert_eq!(v["number"], "B-002", "{v}");
}

#[test]
fn the_dispenser_simulator_flags_inject_faults_without_losing_numbers() {
    let dispenser = Sim::start(&[
        "dispenser-sim",
        "--pty",
        "--drop",
        "2",
        "--corrupt",
        "3",
        "--reboot-mid-request",
        "4",
    ]);
    let disp = format!("serial://{}", dispenser.first_line);
    for n in 1..=5 {
        let (code, v) = run(&["ticket", "--dispenser", &disp, "--service", "H", "--json"]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["number"], format!("H-{n:03}"));
    }
    let paper_out = Sim::start(&["dispenser-sim", "--pty", "--paper-out"]);
    let (code, v) = run(&[
        "ticket",
        "--dispenser",
        &format!("serial://{}", paper_out.first_line),
        "--service",
        "H",
        "--json",
    ]);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "DISPENSER_PAPER_OUT");
}

#[test]
fn the_recovery_key_prints_once_in_both_languages_and_a_bad_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let printer = Sim::start(&[
        "printer-sim",
        "--pty",
        "--png-dir",
        dir.path().join("png").to_str().unwrap(),
    ]);
    let uri = format!("serial://{}?baud=115200", printer.first_line);
    let key = "cbdefghi-jklnrtuv-vutrnlkj-ihgfedcb-bbbbcccc-ddddeeee-ffffgggg-hhhhiiii";
    let file = dir.path().join("recovery");
    std::fs::write(&file, format!("{key}\n")).unwrap();
    let print = |file: &Path| {
        run(&[
            "print",
            "recovery-key",
            "--printer",
            &uri,
            "--paper-mm",
            "58",
            "--key-file",
            file.to_str().unwrap(),
            "--json",
        ])
    };
    let (code, v) = print(&file);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["printed"], "recovery-key");
    let text = std::fs::read_to_string(dir.path().join("png/page-0001.txt")).unwrap();
    assert!(text.contains("KUNCI PEMULIHAN DISK") && text.contains("DISK RECOVERY KEY"));
    // Two groups a line, all eight there, in order; within 58 mm's 32 columns.
    for pair in key.split('-').collect::<Vec<_>>().chunks(2) {
        assert!(
            text.contains(&pair.join("-")),
            "{pair:?} missing from\n{text}"
        );
    }
    assert!(text.lines().all(|l| l.chars().count() <= 32), "{text}");

    // Not a key: refused before the printer is touched, and the file is not echoed.
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "hunter2-secret\n").unwrap();
    let (code, v) = print(&bad);
    assert_ne!(code, 0);
    assert_eq!(v["error"], "BAD_RECOVERY_KEY", "{v}");
    assert!(!v.to_string().contains("hunter2"), "{v}");
    let (code, v) = print(&dir.path().join("absent"));
    assert_ne!(code, 0);
    assert_eq!(v["error"], "BAD_RECOVERY_KEY", "{v}");
    assert!(
        !dir.path().join("png/page-0002.txt").exists(),
        "a refused key printed a page"
    );
}
