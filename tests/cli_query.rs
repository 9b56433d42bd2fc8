//! The query CLI end to end: a real binary, a real SQLite file imported from the
//! hand-written fixture in `tests/fixtures/small`, answers checked field by field.
//!
//! The fixture's "today" is 2026-11-22. Its families:
//! - KK …0001, PBPU kelas 3, 3 people: 26 months unpaid before Nov 2026 (the 2 oldest of the
//!   24 billed at Rp75.000, the rest at Rp105.000), November unpaid too.
//! - KK …0002, PBPU kelas 2: head Dewi (FKTP since 2026-09-22, kelas since 2025-10-01),
//!   husband deceased; all paid.
//! - KK …0003, PPU_PN with employer TNI.
//! - KK …0004, PBI_APBN, born 29 Feb 2000.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const TODAY: &str = "2026-11-22";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small")
}

fn anjungan(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_anjungan"))
        .args(args)
        .output()
        .expect("run anjungan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {stdout:?}"));
    (out.status.code().unwrap_or(-1), value)
}

/// A database imported from the fixture, in its own temp dir.
struct Db {
    _dir: tempfile::TempDir,
    path: String,
}

fn imported() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db").display().to_string();
    let (code, report) = anjungan(&[
        "import",
        fixture().to_str().unwrap(),
        "--db",
        &path,
        "--today",
        TODAY,
        "--json",
    ]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["members"], 8);
    assert_eq!(report["bills"], 43);
    assert_eq!(report["facilities"], 7);
    assert_eq!(report["offices"], 3);
    Db { _dir: dir, path }
}

fn member(db: &Db, what: &str, who: (&str, &str), dob: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "query", what, "--db", &db.path, who.0, who.1, "--dob", dob, "--today", TODAY, "--json",
    ];
    args.extend_from_slice(extra);
    anjungan(&args)
}

const BUDI: (&str, &str) = ("--nik", "3273011205800001");
const SITI_CARD: (&str, &str) = ("--card", "0001000000012");
const DEWI: (&str, &str) = ("--nik", "3273016802900004");
const HENDRA: (&str, &str) = ("--nik", "3273013112750005");
const MADE: (&str, &str) = ("--nik", "3273012902000006");

#[test]
fn status_is_derived_from_arrears_and_masks_identifiers() {
    let db = imported();
    let (code, s) = member(&db, "status", BUDI, "1980-05-12", &[]);
    assert_eq!(code, 0, "{s}");
    assert_eq!(s["status"], "TIDAK_AKTIF_MENUNGGAK");
    assert_eq!(s["segment"], "PBPU");
    assert_eq!(s["kelas"], 3);
    assert_eq!(s["fktp_code"], "3273P001");
    assert_eq!(s["nik_masked"], "3273**********01");
    assert_eq!(s["card_masked"], "0001*****0011");
    assert!(
        !s.to_string().contains("3273011205800001"),
        "full NIK leaked: {s}"
    );

    let (_, s) = member(&db, "status", DEWI, "1990-02-28", &[]);
    assert_eq!(s["status"], "AKTIF");
    let (_, s) = member(&db, "status", MADE, "2000-02-29", &[]);
    assert_eq!(s["status"], "AKTIF");
    assert_eq!(s["segment"], "PBI_APBN");
}

#[test]
fn dues_bill_only_the_most_recent_24_months() {
    let db = imported();
    let (code, d) = member(&db, "dues", BUDI, "1980-05-12", &[]);
    assert_eq!(code, 0, "{d}");
    assert_eq!(d["unpaid_months"], 26);
    assert_eq!(d["billed_arrears_months"], 24);
    // 2024-11 and 2024-12 at 75.000, then 22 months at 105.000.
    assert_eq!(d["arrears_amount"], 2 * 75_000 + 22 * 105_000);
    assert_eq!(d["current_month_amount"], 105_000);
    assert_eq!(
        d["reactivation_amount"],
        2 * 75_000 + 22 * 105_000 + 105_000
    );
    assert_eq!(d["monthly_amount"], 105_000);

    let (_, d) = member(&db, "dues", DEWI, "1990-02-28", &[]);
    assert_eq!(d["unpaid_months"], 0);
    assert_eq!(d["reactivation_amount"], 0);
    assert_eq!(d["monthly_amount"], 100_000);
}

#[test]
fn va_belongs_to_the_family_head_whoever_asks() {
    let db = imported();
    let (code, v) = member(&db, "va", SITI_CARD, "1983-07-03", &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["va"]["BRI"], "8888801000000011");
    assert_eq!(v["va"]["BCA"], "8888801000000011");
    assert_eq!(v["va"]["Mandiri"], "8988801000000011");
    for (_, number) in v["va"].as_object().unwrap() {
        assert_eq!(number.as_str().unwrap().len(), 16);
    }
}

#[test]
fn unknown_member_and_wrong_birth_date_look_the_same() {
    let db = imported();
    let (c1, wrong_dob) = member(&db, "status", BUDI, "1980-05-13", &[]);
    let (c2, unknown) = member(
        &db,
        "status",
        ("--nik", "3273011205800099"),
        "1980-05-12",
        &[],
    );
    assert_ne!(c1, 0);
    assert_eq!(c1, c2);
    assert_eq!(wrong_dob["error"], "IDENTITY_MISMATCH");
    assert_eq!(wrong_dob, unknown);
    assert!(
        wrong_dob["message"]
            .as_str()
            .unwrap()
            .contains("tidak cocok")
    );
    let (c3, by_card) = member(&db, "status", SITI_CARD, "1983-07-04", &[]);
    let (c4, unknown_card) = member(
        &db,
        "status",
        ("--card", "0001999999999"),
        "1983-07-03",
        &[],
    );
    assert_eq!((c3, c4), (c1, c1));
    assert_eq!(by_card, wrong_dob);
    assert_eq!(unknown_card, wrong_dob);
}

#[test]
fn malformed_input_is_refused_with_its_reason() {
    let db = imported();
    let (code, e) = member(
        &db,
        "status",
        ("--nik", "327301120580001"),
        "1980-05-12",
        &[],
    );
    assert_ne!(code, 0);
    assert_eq!(e["error"], "INVALID_NIK");
    assert!(e["message_en"].as_str().unwrap().contains("16"), "{e}");

    let (code, e) = member(&db, "dues", BUDI, "1980-02-30", &[]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "INVALID_DATE");
    // The message names the format the command accepts, and never repeats the value.
    assert!(
        e["message_en"].as_str().unwrap().contains("YYYY-MM-DD"),
        "{e}"
    );
    assert!(!e.to_string().contains("1980-02-30"), "{e}");

    // Arguments clap refuses still answer in JSON when --json was asked for.
    let (code, e) = anjungan(&[
        "query", "status", "--db", &db.path, "--nik", BUDI.1, "--json",
    ]);
    assert_eq!(code, 2);
    assert_eq!(e["error"], "USAGE");
    assert!(e["message_en"].as_str().unwrap().contains("--dob"), "{e}");

    let (code, e) = member(&db, "status", ("--card", "12345"), "1980-05-12", &[]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "INVALID_CARD");

    let (code, e) = anjungan(&[
        "query",
        "status",
        "--db",
        "/nonexistent/x.db",
        "--nik",
        BUDI.1,
        "--dob",
        "1980-05-12",
        "--json",
    ]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "NO_DATABASE");
}

fn reasons(v: &Value) -> Vec<&str> {
    v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

#[test]
fn fktp_change_lists_every_reason() {
    let db = imported();
    let (code, c) = member(
        &db,
        "change-fktp",
        DEWI,
        "1990-02-28",
        &["--to", "3273P002"],
    );
    assert_eq!(code, 0, "{c}");
    assert_eq!(c["eligible"], false);
    assert_eq!(reasons(&c), ["FKTP_MIN_3_MONTHS", "FKTP_FULL"]);
    assert_eq!(c["effective_date"], "2026-12-01");
    assert_eq!(c["earliest_date"], "2026-12-22");

    let (_, c) = member(
        &db,
        "change-fktp",
        HENDRA,
        "1975-12-31",
        &["--to", "3273K005"],
    );
    assert_eq!(reasons(&c), ["SEGMENT_NOT_ALLOWED"]);
    let (_, c) = member(
        &db,
        "change-fktp",
        MADE,
        "2000-02-29",
        &["--to", "3273K005"],
    );
    assert_eq!(reasons(&c), ["SEGMENT_NOT_ALLOWED"]);

    let (_, c) = member(
        &db,
        "change-fktp",
        BUDI,
        "1980-05-12",
        &["--to", "3273R001"],
    );
    assert_eq!(reasons(&c), ["NOT_ACTIVE", "NOT_FKTP"]);
    let (_, c) = member(
        &db,
        "change-fktp",
        BUDI,
        "1980-05-12",
        &["--to", "3273K003"],
    );
    assert_eq!(reasons(&c), ["NOT_ACTIVE", "FKTP_INACTIVE"]);
    let (_, c) = member(
        &db,
        "change-fktp",
        BUDI,
        "1980-05-12",
        &["--to", "NOPE0001"],
    );
    assert_eq!(reasons(&c), ["NOT_ACTIVE", "UNKNOWN_FACILITY"]);
    let (_, c) = member(
        &db,
        "change-fktp",
        BUDI,
        "1980-05-12",
        &["--to", "3273P001"],
    );
    assert_eq!(reasons(&c), ["NOT_ACTIVE", "SAME_AS_CURRENT"]);
    // A code typed in lower case is the same facility.
    let (_, c) = member(
        &db,
        "change-fktp",
        BUDI,
        "1980-05-12",
        &["--to", "3273p001"],
    );
    assert_eq!(reasons(&c), ["NOT_ACTIVE", "SAME_AS_CURRENT"]);
    assert_eq!(c["messages"].as_array().unwrap().len(), reasons(&c).len());
}

#[test]
fn kelas_change_prices_the_living_family() {
    let db = imported();
    let (code, c) = member(&db, "change-kelas", DEWI, "1990-02-28", &["--to", "1"]);
    assert_eq!(code, 0, "{c}");
    assert_eq!(c["eligible"], true, "{c}");
    assert_eq!(reasons(&c), Vec::<&str>::new());
    assert_eq!(c["effective_date"], "2026-12-01");
    // The deceased husband is not counted: one person at kelas I.
    assert_eq!(c["new_family_monthly_amount"], 150_000);

    let (_, c) = member(&db, "change-kelas", BUDI, "1980-05-12", &["--to", "2"]);
    assert_eq!(c["eligible"], false);
    assert_eq!(reasons(&c), ["NOT_ACTIVE", "HAS_ARREARS"]);
    assert_eq!(c["new_family_monthly_amount"], 3 * 100_000);

    let (_, c) = member(&db, "change-kelas", HENDRA, "1975-12-31", &["--to", "2"]);
    assert_eq!(reasons(&c), ["SEGMENT_NOT_ALLOWED"]);

    let (code, e) = member(&db, "change-kelas", DEWI, "1990-02-28", &["--to", "4"]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "INVALID_KELAS");
}

fn codes(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

#[test]
fn facility_text_search_is_prefix_case_and_accent_insensitive() {
    let db = imported();
    let q = |extra: &[&str]| {
        let mut args = vec!["query", "facilities", "--db", &db.path, "--json"];
        args.extend_from_slice(extra);
        anjungan(&args)
    };
    let (code, rows) = q(&["--text", "PUSK cibeu"]);
    assert_eq!(code, 0, "{rows}");
    assert_eq!(codes(&rows), ["3273P001"]);
    let (_, rows) = q(&["--text", "devi"]);
    assert_eq!(codes(&rows), ["3273K005"]);
    // Every word must match: "dipatiukur" is in the address, "menteng" is elsewhere.
    let (_, rows) = q(&["--text", "dipati"]);
    assert_eq!(codes(&rows), ["3273D004"]);
    let (_, rows) = q(&["--text", "dipati menteng"]);
    assert_eq!(codes(&rows), Vec::<&str>::new());
    let (_, rows) = q(&["--text", "puskesmas"]);
    let mut found = codes(&rows);
    found.sort();
    assert_eq!(found, ["3171P001", "3273P001", "3273P002"]);
    let row = &rows[0];
    for key in ["code", "name", "type"] {
        assert!(row[key].is_string(), "{key} missing in {row}");
    }
    assert!(row.get("distance_km").is_none());
}

#[test]
fn facility_near_search_ranks_by_distance_with_southern_latitudes() {
    let db = imported();
    let (code, rows) = anjungan(&[
        "query",
        "facilities",
        "--db",
        &db.path,
        "--near",
        "-6.89,107.617",
        "--limit",
        "3",
        "--json",
    ]);
    assert_eq!(code, 0, "{rows}");
    assert_eq!(codes(&rows), ["3273D004", "3273P002", "3273P001"]);
    let d: Vec<f64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["distance_km"].as_f64().unwrap())
        .collect();
    assert!(d[0] < 0.1 && d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");

    // Text plus near: ranked by distance; FKTP filter drops the hospital.
    let (_, rows) = anjungan(&[
        "query",
        "facilities",
        "--db",
        &db.path,
        "--near",
        "-6.2,106.84",
        "--text",
        "puskesmas",
        "--json",
    ]);
    assert_eq!(codes(&rows)[0], "3171P001");
    let (_, rows) = anjungan(&[
        "query",
        "facilities",
        "--db",
        &db.path,
        "--near",
        "-6.913,107.70",
        "--type",
        "FKTP",
        "--limit",
        "1",
        "--json",
    ]);
    assert_ne!(codes(&rows)[0], "3273R001");
    // Open FKTPs only: not full, not inactive.
    let (_, rows) = anjungan(&[
        "query",
        "facilities",
        "--db",
        &db.path,
        "--near",
        "-6.89,107.617",
        "--open",
        "--limit",
        "10",
        "--json",
    ]);
    let open = codes(&rows);
    assert!(
        !open.contains(&"3273P002") && !open.contains(&"3273K003") && !open.contains(&"3273R001"),
        "{open:?}"
    );
    assert_eq!(open.len(), 4);

    let (code, e) = anjungan(&[
        "query",
        "facilities",
        "--db",
        &db.path,
        "--near",
        "north",
        "--json",
    ]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "INVALID_LOCATION");
}

#[test]
fn office_search_by_text_and_level() {
    let db = imported();
    let (code, rows) = anjungan(&[
        "query", "offices", "--db", &db.path, "--text", "bandung", "--json",
    ]);
    assert_eq!(code, 0, "{rows}");
    let mut found = codes(&rows);
    found.sort();
    assert_eq!(found, ["KC-BDG", "MPP-BDG"]);
    let (_, rows) = anjungan(&[
        "query",
        "offices",
        "--db",
        &db.path,
        "--type",
        "MPP",
        "--near",
        "-6.2,106.8",
        "--json",
    ]);
    assert_eq!(codes(&rows), ["MPP-BDG"]);
    assert!(rows[0]["distance_km"].as_f64().unwrap() > 100.0);
}

#[test]
fn nik_command_decodes_and_explains() {
    let (code, n) = anjungan(&["nik", "3273014307830002", "--today", TODAY, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(n["valid"], true);
    assert_eq!(n["sex"], "P");
    assert_eq!(n["birth_date"], "1983-07-03");
    assert_eq!(n["province_code"], "32");

    let (_, n) = anjungan(&["nik", "2073011205800001", "--today", TODAY, "--json"]);
    assert_eq!(n["valid"], false);
    assert!(n["error"].is_string());
    assert!(
        n["message_en"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("province"),
        "{n}"
    );
}

#[test]
fn a_bad_row_is_named_and_nothing_is_half_imported() {
    let db = imported();
    let broken = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), broken.path().join(entry.file_name())).unwrap();
    }
    // Line 4 of members.csv (header is line 1): an impossible birth date in an otherwise
    // valid row; line 7 gets an unknown segment. Both must be reported.
    let members = std::fs::read_to_string(broken.path().join("members.csv")).unwrap();
    let mut lines: Vec<String> = members.lines().map(String::from).collect();
    lines[3] = lines[3].replace("2010-01-15", "2010-02-30");
    lines[6] = lines[6].replace("PPU_PN", "PPU_XX");
    lines.push("0009000000001,3273011205800001,3273010101000009,Dup,1980-05-12,L,PESERTA,PBPU,3,3273P001,2019-03-01,2019-03-01,2019-03-01,AKTIF,,,".into());
    std::fs::write(broken.path().join("members.csv"), lines.join("\n") + "\n").unwrap();
    // bills.csv has CRLF endings; its line 3 gets a month that does not exist.
    let bills = std::fs::read_to_string(broken.path().join("bills.csv")).unwrap();
    let mut bill_lines: Vec<String> = bills.split("\r\n").map(String::from).collect();
    bill_lines[2] = bill_lines[2].replace("2024-09", "2024-13");
    std::fs::write(broken.path().join("bills.csv"), bill_lines.join("\r\n")).unwrap();

    let (code, e) = anjungan(&[
        "import",
        broken.path().to_str().unwrap(),
        "--db",
        &db.path,
        "--today",
        TODAY,
        "--json",
    ]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "BAD_ROWS");
    let bad: Vec<(String, u64)> = e["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_owned(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bad,
        [
            ("members.csv".into(), 4),
            ("members.csv".into(), 7),
            ("members.csv".into(), 10),
            ("bills.csv".into(), 3)
        ]
    );
    assert!(
        e["bad_rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("birth_date")
    );
    assert!(
        e["bad_rows"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("duplicate")
    );
    // Reasons name the rule, not the personal value.
    assert!(!e.to_string().contains("2010-02-30"), "{e}");

    // The earlier import is still whole.
    let (code, d) = member(&db, "dues", BUDI, "1980-05-12", &[]);
    assert_eq!(code, 0);
    assert_eq!(d["unpaid_months"], 26);
}

/// A copy of the fixture with `edit` applied to one of its files.
fn fixture_with(file: &str, edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let text = std::fs::read_to_string(dir.path().join(file)).unwrap_or_default();
    std::fs::write(dir.path().join(file), edit(text)).unwrap();
    dir
}

fn import_into(data: &Path) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db").display().to_string();
    let (code, report) = anjungan(&[
        "import",
        data.to_str().unwrap(),
        "--db",
        &path,
        "--today",
        TODAY,
        "--json",
    ]);
    assert_eq!(code, 0, "{report}");
    Db { _dir: dir, path }
}

#[test]
fn rules_csv_moves_the_waiting_period_and_its_message() {
    let data = fixture_with("rules.csv", |_| {
        "effective_from,key,value,source\n2026-01-01,FKTP_MIN_MONTHS,6,Uji\n".into()
    });
    let db = import_into(data.path());
    let (_, c) = member(
        &db,
        "change-fktp",
        DEWI,
        "1990-02-28",
        &["--to", "3273K005"],
    );
    assert_eq!(reasons(&c), ["FKTP_MIN_3_MONTHS"]);
    assert_eq!(c["earliest_date"], "2027-03-22");
    let message = c["messages"][0]["en"].as_str().unwrap();
    assert!(
        message.contains('6') && !message.contains(" 3 "),
        "{message}"
    );
}

#[test]
fn the_row_birth_date_wins_over_the_one_in_the_nik() {
    // Real records disagree: Budi's NIK encodes 12 May, his row says 13 May.
    let data = fixture_with("members.csv", |t| t.replacen("1980-05-12", "1980-05-13", 1));
    let db = import_into(data.path());
    let (code, s) = member(&db, "status", BUDI, "1980-05-13", &[]);
    assert_eq!(code, 0, "{s}");
    let (code, e) = member(&db, "status", BUDI, "1980-05-12", &[]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "IDENTITY_MISMATCH");
}

#[test]
fn a_family_without_a_head_gets_no_guessed_va() {
    // Siti's family loses its head: the VA cannot be named, and the kiosk says where to go.
    let data = fixture_with("members.csv", |t| {
        t.replacen(
            "Budi Santoso,1980-05-12,L,PESERTA",
            "Budi Santoso,1980-05-12,L,SUAMI",
            1,
        )
    });
    let db = import_into(data.path());
    let (code, e) = member(&db, "va", SITI_CARD, "1983-07-03", &[]);
    assert_ne!(code, 0);
    assert_eq!(e["error"], "NO_FAMILY_HEAD");
    assert!(e["message"].as_str().unwrap().contains("loket"));
}

#[test]
fn kelas_change_always_reports_the_new_amount_key() {
    let db = imported();
    let (_, c) = member(&db, "change-kelas", HENDRA, "1975-12-31", &["--to", "2"]);
    assert!(
        c.as_object()
            .unwrap()
            .contains_key("new_family_monthly_amount"),
        "{c}"
    );
    assert!(c["new_family_monthly_amount"].is_null());
}

#[test]
fn the_lockout_counts_across_processes_and_locks_one_identifier_only() {
    let db = imported();
    for left in (1..=4).rev() {
        let (code, e) = member(&db, "status", BUDI, "1980-05-13", &[]);
        assert_ne!(code, 0);
        assert_eq!(e["error"], "IDENTITY_MISMATCH", "{e}");
        let en = e["message_en"].as_str().unwrap_or_default();
        assert!(en.contains(&format!("{left} tr")), "{left} left: {e}");
    }
    let (_, e) = member(&db, "dues", BUDI, "1980-05-13", &[]);
    assert_eq!(e["error"], "IDENTITY_LOCKED", "{e}");
    assert!(e["message"].as_str().unwrap().contains("menit"), "{e}");
    // The right date of birth, by NIK or by card, in a new process: still locked.
    let (_, e) = member(&db, "status", BUDI, "1980-05-12", &[]);
    assert_eq!(e["error"], "IDENTITY_LOCKED", "{e}");
    let (_, e) = member(&db, "va", ("--card", "0001000000011"), "1980-05-12", &[]);
    assert_eq!(e["error"], "IDENTITY_LOCKED", "{e}");
    // A change request by the locked NIK is refused too, and nothing enters the outbox.
    let (_, e) = anjungan(&[
        "request",
        "change-kelas",
        "--db",
        &db.path,
        BUDI.0,
        BUDI.1,
        "--dob",
        "1980-05-12",
        "--to",
        "2",
        "--today",
        TODAY,
        "--json",
    ]);
    assert_eq!(e["error"], "IDENTITY_LOCKED", "{e}");
    // Another member of the same family is not locked.
    let (code, s) = member(&db, "status", SITI_CARD, "1983-07-03", &[]);
    assert_eq!(code, 0, "{s}");
}
