//! The hardening list (issue #11, part 6), each item as an attack on the real binary or the
//! hub's store: a full disk, a read-only disk, huge numbers, a closed pipe, a flooding
//! printer, hostile dataset rows, hostile change requests, and the small error-reporting
//! holes. Each test fails on the code before its fix.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anjungan::hub::{HubStore, SqliteHub};
use anjungan::sync::client::SubmitBody;
use serde_json::Value;

const TODAY: &str = "2026-11-22";
const BIN: &str = env!("CARGO_BIN_EXE_anjungan");

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small")
}

fn json_of(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {stdout:?}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn run(args: &[&str]) -> (i32, Value) {
    let out = Command::new(BIN).args(args).output().expect("run anjungan");
    (out.status.code().unwrap_or(-1), json_of(&out))
}

/// Runs the binary and kills it when it takes longer than `limit` (a hang is a failure).
fn run_within(limit: Duration, args: &[&str]) -> (i32, Value, Duration) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`anjungan {}` hung for more than {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        json_of(&out),
        started.elapsed(),
    )
}

/// A copy of the fixture dataset that a test may edit.
fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn import(data: &Path, db: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "import",
        data.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--today",
        TODAY,
        "--json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn status_of_budi(db: &Path) -> (i32, Value) {
    run(&[
        "query",
        "status",
        "--db",
        db.to_str().unwrap(),
        "--nik",
        "3273011205800001",
        "--dob",
        "1980-05-12",
        "--today",
        TODAY,
        "--json",
    ])
}

/// Runs the binary with RLIMIT_FSIZE at `limit_bytes`: a write past it fails with EFBIG,
/// as on a full disk (SIGXFSZ is ignored, so the process sees the error, not the signal).
fn run_with_file_size_limit(limit_bytes: u64, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("ANJUNGAN_LOG", "warn");
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            use nix::libc;
            let lim = libc::rlimit {
                rlim_cur: limit_bytes as libc::rlim_t,
                rlim_max: limit_bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    cmd.output().unwrap()
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

// 1. A committed import reports success even when the checkpoint after it hits a full disk.

#[test]
fn a_committed_import_reports_success_when_the_checkpoint_after_it_fails_on_a_full_disk() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    let db = dir.path().join("kiosk.db");
    let (code, v) = run(&[
        "gen-dataset",
        "--out",
        big.to_str().unwrap(),
        "--members",
        "4000",
        "--facilities",
        "400",
        "--today",
        TODAY,
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = import(&big, &db, &[]);
    assert_eq!(code, 0, "{v}");
    let db_bytes = file_len(&db);
    assert!(
        db_bytes > 1_000_000,
        "the first import makes a big file: {db_bytes}"
    );
    // The small fixture's import writes a WAL far smaller than the main file; the limit lets
    // the WAL (the commit) through but not the checkpoint's writes near the main file's end.
    let limit = db_bytes / 2;
    let out = run_with_file_size_limit(
        limit,
        &[
            "import",
            fixture().to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--today",
            TODAY,
            "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v = json_of(&out);
    assert!(
        file_len(&db.with_extension("db-wal")) <= limit,
        "the WAL fits under the limit"
    );
    assert!(
        stderr.contains("checkpoint"),
        "the checkpoint did fail (the case under test): {stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{v}\n{stderr}");
    assert_eq!(v["members"], 8, "{v}");
    // And the import really is committed: the fixture's member answers.
    let (code, v) = status_of_budi(&db);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn an_import_that_cannot_commit_on_a_full_disk_says_so_and_keeps_the_old_data() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    let db = dir.path().join("kiosk.db");
    let (code, _) = run(&[
        "gen-dataset",
        "--out",
        big.to_str().unwrap(),
        "--members",
        "3000",
        "--facilities",
        "300",
        "--today",
        TODAY,
        "--json",
    ]);
    assert_eq!(code, 0);
    let (code, v) = import(&fixture(), &db, &[]);
    assert_eq!(code, 0, "{v}");
    let out = run_with_file_size_limit(
        256 * 1024,
        &[
            "import",
            big.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--today",
            TODAY,
            "--json",
        ],
    );
    let v = json_of(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a full disk is a device fault: {v}"
    );
    assert_eq!(v["error"], "DISK_FULL", "{v}");
    let (code, v) = status_of_budi(&db);
    assert_eq!(code, 0, "the old data still answers: {v}");
}

// 2. A database on a read-only file system answers lookups; writes fail clearly.

/// Runs the binary with `dir` bind-mounted read-only over itself in a private mount
/// namespace: a real EROFS, as on a kiosk whose disk was remounted read-only. `None` when
/// this machine does not allow it (not root, no user namespaces).
fn run_on_read_only(dir: &Path, args: &[&str]) -> Option<(i32, Value)> {
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c"])
        .arg("mount --bind -o ro \"$0\" \"$0\" && ! touch \"$0/.probe\" 2>/dev/null")
        .arg(dir)
        .status()
        .ok()?;
    if !probe.success() {
        return None;
    }
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c"])
        .arg("mount --bind -o ro \"$0\" \"$0\" && shift && exec \"$@\"")
        .arg(dir)
        .arg("--")
        .arg(BIN)
        .args(args)
        .output()
        .unwrap();
    Some((out.status.code().unwrap_or(-1), json_of(&out)))
}

#[test]
fn lookups_answer_on_a_read_only_file_system_and_writes_fail_with_db_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let (code, v) = import(&fixture(), &db, &[]);
    assert_eq!(code, 0, "{v}");
    let db_s = db.to_str().unwrap();
    let lookup = [
        "query",
        "status",
        "--db",
        db_s,
        "--nik",
        "3273011205800001",
        "--dob",
        "1980-05-12",
        "--today",
        TODAY,
        "--json",
    ];
    let Some((code, v)) = run_on_read_only(dir.path(), &lookup) else {
        eprintln!("SKIPPED: this machine cannot bind-mount read-only (needs root or userns)");
        return;
    };
    assert_eq!(code, 0, "a lookup on a read-only disk: {v}");
    // Dewi (KK …0002, all paid, kelas 2 since 2025-10-01) may change kelas; the write fails.
    let (code, v) = run_on_read_only(
        dir.path(),
        &[
            "request",
            "change-kelas",
            "--db",
            db_s,
            "--nik",
            "3273016802900004",
            "--dob",
            "1990-02-28",
            "--to",
            "1",
            "--today",
            TODAY,
            "--json",
        ],
    )
    .unwrap();
    assert_eq!(
        (code, v["error"].as_str()),
        (3, Some("DB_READ_ONLY")),
        "{v}"
    );
    let (code, v) = run_on_read_only(dir.path(), &["diag", "--db", db_s, "--json"]).unwrap();
    assert_eq!(code, 3, "diag is unhealthy: {v}");
    assert_eq!(v["database"]["code"], "DB_READ_ONLY", "{v}");
    assert_eq!(v["database"]["read_only"], true, "{v}");
    assert!(
        v["database"]["rows"]["members"].as_i64().unwrap() > 0,
        "{v}"
    );
}

#[test]
fn a_read_only_database_file_is_opened_read_only_by_the_lookup_path() {
    // Without a mount: SQLite's own read-only open of a file this process may not write.
    // As root, permissions do not stop writes, so this checks the fallback's path only.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let (code, v) = import(&fixture(), &db, &[]);
    assert_eq!(code, 0, "{v}");
    let store = anjungan::store::Store::open_read_only_any(&db).unwrap();
    assert!(store.is_read_only());
    assert!(store.has_members().unwrap());
    let store = anjungan::store::Store::open_for_lookups(&db).unwrap();
    assert!(!store.is_read_only(), "a writable file opens for writing");
}

// 3 and 6. Numbers in range: config values and flags.

#[test]
fn huge_numbers_in_flags_and_config_are_refused_rather_than_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    import(&fixture(), &db, &[]);
    for huge in ["18446744073709551615", "9223372036854775807", "0"] {
        let (code, v) = run(&[
            "request",
            "change-kelas",
            "--db",
            db.to_str().unwrap(),
            "--nik",
            "3273016802900004",
            "--dob",
            "1990-02-28",
            "--to",
            "1",
            "--max-data-age-hours",
            huge,
            "--today",
            TODAY,
            "--json",
        ]);
        assert_eq!(
            (code, v["error"].as_str()),
            (2, Some("USAGE")),
            "{huge}: {v}"
        );
        assert!(
            v["message_en"].as_str().unwrap().contains("1 to 8760"),
            "{v}"
        );
    }
    let (code, v) = run(&[
        "sync",
        "--status",
        "--db",
        db.to_str().unwrap(),
        "--max-data-age-hours",
        "18446744073709551615",
        "--json",
    ]);
    assert_eq!((code, v["error"].as_str()), (2, Some("USAGE")), "{v}");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[sync]\nrequest_retention_days = 18446744073709551615\n",
    )
    .unwrap();
    let (code, v) = run(&[
        "sync",
        "--once",
        "--config",
        config.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!((code, v["error"].as_str()), (2, Some("BAD_CONFIG")), "{v}");
    assert!(
        v["message_en"]
            .as_str()
            .unwrap()
            .contains("sync.request_retention_days"),
        "{v}"
    );
}

// 4. A reader that goes away early is a quiet exit, not a panic.

fn with_closed_stdout(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closing the only read end before anything is written: every write gets EPIPE.
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_with_141() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let db = dir.path().join("kiosk.db");
    import(&fixture(), &db, &[]);
    for args in [
        vec![
            "gen-dataset",
            "--out",
            out.to_str().unwrap(),
            "--members",
            "50",
            "--facilities",
            "10",
        ],
        vec![
            "query",
            "facilities",
            "--db",
            db.to_str().unwrap(),
            "--text",
            "pusk",
        ],
        vec!["nik", "3273014307830002", "--json"],
        vec!["nik", "123", "--json"],
    ] {
        let output = with_closed_stdout(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(141), "{args:?}: {stderr}");
    }
    // Through a shell pipeline as a person would type it: `| head -c 10`.
    let out = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" query facilities --db \"$1\" --limit 200 | head -c 10 >/dev/null; echo done")
        .arg(BIN)
        .arg(&db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// 5. A printer that floods bytes is a device fault, reported in bounded time.

#[test]
fn a_flooding_printer_file_is_a_device_fault_not_a_hang() {
    let limit = Duration::from_secs(15);
    let (code, v, took) = run_within(
        limit,
        &[
            "printer",
            "status",
            "--printer",
            "file:///dev/zero",
            "--json",
        ],
    );
    assert_eq!(
        (code, v["error"].as_str()),
        (3, Some("PRINTER_FLOODING")),
        "{v}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    let (code, v, _) = run_within(
        limit,
        &["print", "test", "--printer", "file:///dev/zero", "--json"],
    );
    assert_eq!(
        (code, v["error"].as_str()),
        (3, Some("PRINTER_FLOODING")),
        "{v}"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    import(&fixture(), &db, &[]);
    let (code, v, _) = run_within(
        limit,
        &[
            "diag",
            "--db",
            db.to_str().unwrap(),
            "--printer",
            "file:///dev/zero",
            "--json",
        ],
    );
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["printer"]["code"], "PRINTER_FLOODING", "{v}");
}

#[test]
fn a_tcp_peer_that_floods_is_a_device_fault_not_a_hang() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let junk = [0u8; 4096];
                while conn.write_all(&junk).is_ok() {}
            });
        }
    });
    let uri = format!("tcp://127.0.0.1:{port}");
    let (code, v, took) = run_within(
        Duration::from_secs(15),
        &["printer", "status", "--printer", &uri, "--json"],
    );
    assert_eq!(
        (code, v["error"].as_str()),
        (3, Some("PRINTER_FLOODING")),
        "{v}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

// 7. Hostile dataset rows are refused by line, without echoing personal data.

fn edit_members(dir: &Path, edit: impl Fn(&str) -> String) {
    let path = dir.join("members.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(&text)).unwrap();
}

#[test]
fn the_importer_refuses_absurd_values_by_line_without_echoing_them() {
    let long_name = "Budi".repeat(2_500_000); // 10 MB
    type Edit<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Edit<'_>, &str)> = vec![
        (
            "bill of i64::MAX",
            Box::new(|d: &Path| {
                let p = d.join("bills.csv");
                let mut t = std::fs::read_to_string(&p).unwrap();
                t.push_str("3273010101000002,2020-01,9223372036854775807,\n");
                std::fs::write(p, t).unwrap();
            }),
            "amount",
        ),
        (
            "birth 9999-12-31",
            Box::new(|d: &Path| edit_members(d, |t| t.replacen("1980-05-12", "9999-12-31", 1))),
            "birth_date",
        ),
        (
            "birth 0000-01-01",
            Box::new(|d: &Path| edit_members(d, |t| t.replacen("1980-05-12", "0000-01-01", 1))),
            "birth_date",
        ),
        (
            "10 MB name",
            Box::new(|d: &Path| edit_members(d, |t| t.replacen("Budi Santoso", &long_name, 1))),
            "name",
        ),
        (
            "NUL in a name",
            Box::new(|d: &Path| {
                edit_members(d, |t| t.replacen("Budi Santoso", "Budi\0Santoso", 1))
            }),
            "control character",
        ),
        (
            "escape in an address",
            Box::new(|d: &Path| {
                let p = d.join("facilities.csv");
                let t = std::fs::read_to_string(&p).unwrap();
                let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
                lines[1] = lines[1].replacen(",PUSKESMAS,", ",PUSKESMAS,\u{1b}[2J", 1);
                std::fs::write(p, lines.join("\n") + "\n").unwrap();
            }),
            "control character",
        ),
    ];
    for (what, edit, reason) in &cases {
        let data = fixture_copy();
        edit(data.path());
        let db = data.path().join("kiosk.db");
        let (code, v) = import(data.path(), &db, &[]);
        assert_eq!(
            (code, v["error"].as_str()),
            (2, Some("BAD_ROWS")),
            "{what}: {v}"
        );
        let row = &v["bad_rows"][0];
        assert!(row["line"].as_u64().unwrap() >= 2, "{what}: {v}");
        assert!(
            row["reason"].as_str().unwrap().contains(reason),
            "{what}: {v}"
        );
        let shown = v.to_string();
        for secret in ["9999-12-31", "0000-01-01", "Budi", "9223372036854775807"] {
            assert!(!shown.contains(secret), "{what}: echoes {secret}: {v}");
        }
    }
}

#[test]
fn a_header_only_members_file_needs_allow_empty() {
    let data = fixture_copy();
    edit_members(data.path(), |t| t.lines().next().unwrap().to_owned() + "\n");
    let db = data.path().join("kiosk.db");
    let (code, v) = import(&fixture(), &db, &[]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = import(data.path(), &db, &[]);
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("EMPTY_MEMBERS")),
        "{v}"
    );
    let (code, v) = status_of_budi(&db);
    assert_eq!(code, 0, "the members are still there: {v}");
    let (code, v) = import(data.path(), &db, &["--allow-empty"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["members"], 0);

    // The hub: `hub import` and the first import before serving.
    let state = data.path().join("hub.db");
    let (code, v) = run(&[
        "hub",
        "import",
        "--data",
        data.path().to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("EMPTY_MEMBERS")),
        "{v}"
    );
    let (code, v) = run(&[
        "hub",
        "import",
        "--allow-empty",
        "--data",
        data.path().to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
}

// 8. The hub's command line refuses a bad decision.

// (The hub store's own checks, on both backends, are in hub/tests/store.rs.)

fn body(reference: &str, kind: &str, change: Value) -> SubmitBody {
    let mut b = SubmitBody {
        reference: reference.into(),
        kind: kind.into(),
        card_no: "0001000000021".into(),
        change,
        created_at: "2026-11-22T03:00:00Z".into(),
        content_sha256: String::new(),
    };
    b.content_sha256 = b.digest();
    b
}

#[test]
fn the_cli_refuses_a_bad_reason_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("hub.db");
    {
        let hub = SqliteHub::open(&state).unwrap();
        hub.import(
            &fixture(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        )
        .unwrap();
        let b = body("AJ-R-2", "KELAS", serde_json::json!({"to": "1"}));
        hub.submit("k1", &b, &anjungan::sync::keys::generate())
            .unwrap();
    }
    let long = "y".repeat(600);
    let (code, v) = run(&[
        "hub",
        "requests",
        "reject",
        "AJ-R-2",
        "--reason",
        &long,
        "--data",
        fixture().to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("INVALID_REASON")),
        "{v}"
    );
}

// 9. Error reporting.

#[test]
fn an_invalid_nik_is_still_an_answer_but_exits_2() {
    let (code, v) = run(&["nik", "2073011205800001", "--today", TODAY, "--json"]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(v["valid"], false);
    assert!(v["error"].is_string() && v["message_en"].is_string(), "{v}");
    let (code, v) = run(&["nik", "3273014307830002", "--today", TODAY, "--json"]);
    assert_eq!((code, &v["valid"]), (0, &Value::Bool(true)));
}

#[test]
fn limit_zero_is_refused_and_a_huge_limit_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    import(&fixture(), &db, &[]);
    for what in ["facilities", "offices"] {
        let (code, v) = run(&[
            "query",
            what,
            "--db",
            db.to_str().unwrap(),
            "--limit",
            "0",
            "--json",
        ]);
        assert_eq!(
            (code, v["error"].as_str()),
            (2, Some("USAGE")),
            "{what}: {v}"
        );
        let (code, v) = run(&[
            "query",
            what,
            "--db",
            db.to_str().unwrap(),
            "--limit",
            "18446744073709551615",
            "--json",
        ]);
        assert_eq!(code, 0, "{what}: {v}");
        assert!(v.as_array().unwrap().len() <= 200);
    }
}

#[test]
fn the_hub_refuses_its_public_key_as_its_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let (code, _) = run(&[
        "hub",
        "keygen",
        "--out",
        keys_dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0);
    let kiosks = dir.path().join("kiosks.toml");
    std::fs::write(
        &kiosks,
        "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"0123456789\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "hub",
            "--data",
            fixture().to_str().unwrap(),
            "--key",
            keys_dir.join("hub.pub").to_str().unwrap(),
            "--kiosks",
            kiosks.to_str().unwrap(),
            "--state",
            dir.path().join("hub.db").to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--plain-http",
        ])
        .output()
        .unwrap();
    // `hub` (serving) has no --json: the error is the text form on stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("KEY_IS_PUBLIC"), "{stderr}");
}

// 9. The hub secret: a file, the environment or the systemd credential, never `ps`.

fn sync_once(secret_args: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    import(&fixture(), &db, &[]);
    let keys_dir = dir.path().join("keys");
    run(&[
        "hub",
        "keygen",
        "--out",
        keys_dir.to_str().unwrap(),
        "--json",
    ]);
    // Nothing listens on port 9 of localhost: a secret that passes its checks ends in a
    // network error, one that does not ends in its own error before any connection.
    let mut cmd = Command::new(BIN);
    cmd.args([
        "sync",
        "--once",
        "--db",
        db.to_str().unwrap(),
        "--hub",
        "http://127.0.0.1:9",
        "--hub-pub",
        keys_dir.join("hub.pub").to_str().unwrap(),
        "--cons-id",
        "k1",
        "--json",
    ])
    .args(secret_args)
    .env_remove("CREDENTIALS_DIRECTORY")
    .env_remove("ANJUNGAN_HUB_SECRET")
    .env("ANJUNGAN_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        json_of(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn secret_file(dir: &Path, name: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, "kiosk-secret-123\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn the_hub_secret_comes_from_a_private_file_the_environment_or_the_credential() {
    let dir = tempfile::tempdir().unwrap();
    let open = secret_file(dir.path(), "open", 0o644);
    let (code, v, _) = sync_once(&["--secret-file", open.to_str().unwrap()], &[]);
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("SECRET_FILE_READABLE")),
        "{v}"
    );
    assert!(!v.to_string().contains("kiosk-secret-123"), "{v}");

    let private = secret_file(dir.path(), "private", 0o600);
    let (_, v, stderr) = sync_once(&["--secret-file", private.to_str().unwrap()], &[]);
    assert!(
        !v["error"].as_str().unwrap_or("").starts_with("SECRET"),
        "{v}"
    );
    assert!(!stderr.contains("visible"), "{stderr}");

    let (_, v, _) = sync_once(&[], &[("ANJUNGAN_HUB_SECRET", "kiosk-secret-123")]);
    assert!(!v["error"].as_str().unwrap_or("").contains("SECRET"), "{v}");

    let (code, v, _) = sync_once(&[], &[]);
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("MISSING_SECRET")),
        "{v}"
    );

    // The credential wins even over a bad --secret-file.
    let creds = dir.path().join("creds");
    std::fs::create_dir(&creds).unwrap();
    secret_file(&creds, "hub-secret", 0o400);
    let (_, v, _) = sync_once(
        &["--secret-file", open.to_str().unwrap()],
        &[("CREDENTIALS_DIRECTORY", creds.to_str().unwrap())],
    );
    assert!(!v["error"].as_str().unwrap_or("").contains("SECRET"), "{v}");

    // --secret still works, with a warning to move it to a file.
    let (_, v, stderr) = sync_once(&["--secret", "kiosk-secret-123"], &[]);
    assert!(!v["error"].as_str().unwrap_or("").contains("SECRET"), "{v}");
    assert!(stderr.contains("--secret-file"), "{stderr}");
    assert!(!stderr.contains("kiosk-secret-123"), "{stderr}");
}

#[test]
fn a_world_readable_kiosks_file_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let kiosks = dir.path().join("kiosks.toml");
    std::fs::write(
        &kiosks,
        "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"0123456789\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&kiosks, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(BIN)
        .args([
            "hub",
            "fleet",
            "--data",
            fixture().to_str().unwrap(),
            "--state",
            dir.path().join("hub.db").to_str().unwrap(),
            "--kiosks",
            kiosks.to_str().unwrap(),
            "--json",
        ])
        .env("ANJUNGAN_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("readable by group or others"), "{stderr}");
    assert!(!stderr.contains("0123456789"), "{stderr}");
}
