//! Encrypted at rest, tested as an attack: someone copies every file under the kiosk's
//! database directory and the hub's state directory (WAL, shared memory, key-less temp
//! files included) and searches the bytes for the dataset's members. They must find no NIK,
//! no name and no date of birth. The scanner is first shown to find them in clear files.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{BIN, Hub, SECRET, anj, fixture};

/// The byte strings that must not appear: every member's NIK, name (as written and in
/// capitals) and date of birth (as stored, and compact forms).
fn needles() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut members = csv::Reader::from_path(fixture().join("members.csv")).unwrap();
    let headers = members.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (nik, name, dob) = (col("nik"), col("name"), col("birth_date"));
    for rec in members.records() {
        let rec = rec.unwrap();
        let mut add =
            |what: &str, s: String| out.push((format!("{what} #{}", out.len()), s.into_bytes()));
        add("nik", rec[nik].to_owned());
        assert!(
            rec[name].len() >= 10,
            "names this short could match by chance"
        );
        add("name", rec[name].to_owned());
        add("name", rec[name].to_uppercase());
        let d = &rec[dob];
        add("dob", d.to_owned());
        add("dob", d.replace('-', ""));
        add("dob", format!("{}{}{}", &d[8..10], &d[5..7], &d[0..4]));
    }
    out
}

/// Every regular file under `dirs`, recursively.
fn files_under(dirs: &[&Path]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// What member data the bytes of `files` give away: `(file, which needle)`.
fn leaks(files: &[PathBuf]) -> Vec<(String, String)> {
    let needles = needles();
    let mut found = Vec::new();
    for file in files {
        // Read by another process: closing a descriptor of a database file in this one
        // would drop the POSIX locks of the live connection held open below, and the next
        // closing connection would then take itself for the last and delete the WAL.
        // A file may vanish between listing and reading (SQLite's own -journal): skip it.
        let Ok(out) = Command::new("cat").arg(file).output() else {
            continue;
        };
        let bytes = out.stdout;
        for (what, needle) in &needles {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                found.push((file.display().to_string(), what.clone()));
            }
        }
    }
    found
}

#[cfg(unix)]
fn assert_private(files: &[PathBuf]) {
    use std::os::unix::fs::PermissionsExt as _;
    for f in files {
        let Ok(meta) = std::fs::metadata(f) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", f.display());
    }
}

#[cfg(not(unix))]
fn assert_private(_files: &[PathBuf]) {}

fn sync_args<'a>(db: &'a str, hub: &'a Hub, public: &'a str) -> Vec<&'a str> {
    vec![
        "sync",
        "--once",
        "--db",
        db,
        "--hub",
        &hub.url,
        "--hub-pub",
        public,
        "--hub-ca",
        hub.ca.to_str().unwrap(),
        "--cons-id",
        "k1",
        "--secret",
        SECRET,
        "--json",
    ]
}

#[test]
fn the_scanner_finds_members_in_clear_files() {
    // The CSV source is clear: if the scanner found nothing here, its silence below would
    // prove nothing.
    let found = leaks(&files_under(&[&fixture()]));
    for kind in ["nik", "name", "dob"] {
        assert!(
            found.iter().any(|(_, what)| what.starts_with(kind)),
            "the scanner misses {kind} in the clear CSVs: {found:?}"
        );
    }
    // And in a clear SQLite file, where text is stored as it is.
    let dir = tempfile::tempdir().unwrap();
    let clear = clear_copy_of_fixture(dir.path());
    let found = leaks(&[clear]);
    assert!(found.iter().any(|(_, w)| w.starts_with("nik")), "{found:?}");
    assert!(
        found.iter().any(|(_, w)| w.starts_with("name")),
        "{found:?}"
    );
}

#[test]
fn no_member_data_under_the_kiosk_or_hub_directories_after_import_and_sync() {
    let root = tempfile::tempdir().unwrap();
    let kiosk_dir = root.path().join("kiosk");
    let hub_dir = root.path().join("hub");
    std::fs::create_dir_all(&kiosk_dir).unwrap();
    std::fs::create_dir_all(&hub_dir).unwrap();
    let db = kiosk_dir.join("kiosk.db");
    let db_s = db.to_str().unwrap();

    // A local import by the real binary, then a hub process with its own import of the
    // same dataset: the kiosk, of another epoch, gets a full snapshot of every member.
    let (code, out) = anj(&[
        "import",
        fixture().to_str().unwrap(),
        "--db",
        db_s,
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let hub = Hub::start(&hub_dir);
    let public = hub_dir.join("keys/hub.pub");
    let public_s = public.to_str().unwrap();

    // A connection held open across the sync keeps the WAL and shared-memory files alive
    // (the last connection to close would fold them in and delete them).
    let live = anjungan::store::open_connection(&db).unwrap();
    live.query_row("SELECT count(*) FROM members", [], |r| r.get::<_, i64>(0))
        .unwrap();

    // First a sync that stops just before its commit, so the download file and the
    // uncommitted write are on disk when we look; then it is killed.
    let mut stalled = Command::new(BIN)
        .args(sync_args(db_s, &hub, public_s))
        .env(anjungan::sync::apply::FAULT_STALL_BEFORE_COMMIT, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(stalled.stderr.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("fault: stalled before commit"))),
        "the sync never reached its apply"
    );
    let download = anjungan::sync::agent::download_path(&db);
    assert!(
        download.exists(),
        "the download file is there while applying"
    );
    assert!(std::fs::metadata(&download).unwrap().len() > 0);
    let files = files_under(&[&kiosk_dir, &hub_dir]);
    assert_eq!(leaks(&files), Vec::<(String, String)>::new());
    assert_private(&files_of_kiosk_and_hub_state(&files, &hub_dir));
    stalled.kill().unwrap();
    stalled.wait().unwrap();

    // Then a whole sync. The killed one's download file is removed before anything else.
    let (code, out) = anj(&sync_args(db_s, &hub, public_s));
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["cycle"]["applied"]["kind"], "snapshot", "{out}");
    assert!(!download.exists(), "the download file is deleted after use");

    // The sync may have checkpointed its WAL away: rewrite every member row from the live
    // connection, so that member pages certainly sit in the WAL when we look.
    live.execute_batch("PRAGMA wal_autocheckpoint = 0; UPDATE members SET name = name;")
        .unwrap();
    let wal = anjungan::store::crypt::sibling(&db, "-wal");
    assert!(
        std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0),
        "the kiosk's WAL is there to be searched: {:?}",
        files_under(&[&kiosk_dir]),
    );
    assert!(hub_dir.join("hub.db-wal").exists(), "the hub's WAL too");
    let files = files_under(&[&kiosk_dir, &hub_dir]);
    assert!(
        files.iter().any(|f| f.ends_with("kiosk.db-shm")),
        "{files:?}"
    );
    assert_eq!(leaks(&files), Vec::<(String, String)>::new());
    assert_private(&files_of_kiosk_and_hub_state(&files, &hub_dir));

    // The data is really there, for whoever has the key.
    let members: i64 = live
        .query_row("SELECT count(*) FROM members", [], |r| r.get(0))
        .unwrap();
    assert_eq!(members, 8);
    drop(live);
    drop(hub);

    // And once everything is closed and checkpointed.
    let files = files_under(&[&kiosk_dir, &hub_dir]);
    assert_eq!(leaks(&files), Vec::<(String, String)>::new());
    assert_private(&files_of_kiosk_and_hub_state(&files, &hub_dir));
    let (code, v) = anj(&[
        "query",
        "status",
        "--db",
        db_s,
        "--nik",
        "3273011205800001",
        "--dob",
        "1980-05-12",
        "--today",
        "2026-11-22",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
}

/// The files the kiosk and hub wrote themselves (not the test's kiosks file, nor the public
/// key, which is meant to be copied to every kiosk).
fn files_of_kiosk_and_hub_state(files: &[PathBuf], hub_dir: &Path) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| {
            !f.starts_with(hub_dir)
                || f.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("hub.db"))
                || f.ends_with("keys/hub.key")
        })
        .cloned()
        .collect()
}

/// A clear (unencrypted) kiosk database of the fixture, as an older build left it: imported
/// encrypted, then exported with an empty key, which is how SQLCipher writes a clear file.
fn clear_copy_of_fixture(dir: &Path) -> PathBuf {
    let enc = common::imported_db(dir, "made.db");
    let clear = dir.join("old.db");
    let conn = anjungan::store::open_connection(&enc).unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS plain KEY ''",
        [clear.display().to_string()],
    )
    .unwrap();
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    conn.execute_batch(&format!(
        "PRAGMA plain.user_version = {version}; DETACH DATABASE plain;"
    ))
    .unwrap();
    drop(conn);
    for f in ["made.db", "made.db-wal", "made.db-shm", "made.db.key"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    // A connection with no key is plain SQLite: the file really is clear.
    let plain = rusqlite::Connection::open(&clear).unwrap();
    let n: i64 = plain
        .query_row("SELECT count(*) FROM members", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 8);
    plain.pragma_update(None, "journal_mode", "WAL").unwrap();
    // Leave a WAL with a committed change in it, as an old kiosk that stopped would.
    plain
        .set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .unwrap();
    plain
        .execute(
            "INSERT INTO sync_meta (key, value) VALUES ('wal_probe', 'yes')",
            [],
        )
        .unwrap();
    drop(plain);
    assert!(std::fs::metadata(dir.join("old.db-wal")).is_ok_and(|m| m.len() > 0));
    clear
}

#[test]
fn a_clear_database_is_encrypted_in_place_and_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let clear = clear_copy_of_fixture(dir.path());
    assert!(anjungan::store::crypt::is_clear(&clear).unwrap());
    assert!(!leaks(&files_under(&[dir.path()])).is_empty());

    // The first start of the new build: any command that opens the database.
    let db_s = clear.to_str().unwrap();
    let (code, v) = anj(&[
        "query",
        "status",
        "--db",
        db_s,
        "--nik",
        "3273011205800001",
        "--dob",
        "1980-05-12",
        "--today",
        "2026-11-22",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    assert!(!anjungan::store::crypt::is_clear(&clear).unwrap());
    assert!(anjungan::store::crypt::key_file(&clear).exists());
    let files = files_under(&[dir.path()]);
    assert_eq!(leaks(&files), Vec::<(String, String)>::new());
    assert_private(&files);
    assert!(
        !files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".encrypting")),
        "{files:?}"
    );

    // Same schema version, same rows, the WAL's last commit included.
    let conn = anjungan::store::open_connection(&clear).unwrap();
    let probe: String = conn
        .query_row(
            "SELECT value FROM sync_meta WHERE key = 'wal_probe'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(probe, "yes");
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, anjungan::store::migrations::SCHEMA_VERSION);
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    conn.execute_batch("INSERT INTO facilities_fts(facilities_fts) VALUES ('integrity-check');")
        .unwrap();
    drop(conn);
    let (code, v) = anj(&[
        "query",
        "facilities",
        "--db",
        db_s,
        "--text",
        "pusk",
        "--near",
        "-6.90,107.60",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_wrong_key_is_a_clear_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::imported_db(dir.path(), "kiosk.db");
    std::fs::write(anjungan::store::crypt::key_file(&db), [9u8; 32]).unwrap();
    let (code, v) = anj(&[
        "query",
        "status",
        "--db",
        db.to_str().unwrap(),
        "--nik",
        "3273011205800001",
        "--dob",
        "1980-05-12",
        "--json",
    ]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"], "DB_KEY_WRONG", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("Kunci basis data"),
        "{v}"
    );
    assert!(
        v["message_en"].as_str().unwrap().contains("database key"),
        "{v}"
    );

    std::fs::remove_file(anjungan::store::crypt::key_file(&db)).unwrap();
    let (code, v) = anj(&[
        "query",
        "status",
        "--db",
        db.to_str().unwrap(),
        "--nik",
        "3273011205800001",
        "--dob",
        "1980-05-12",
        "--json",
    ]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["error"], "DB_KEY_MISSING", "{v}");
}
