//! The database key and the one way to open a kiosk or hub database file: keyed.
//!
//! Owns where the 256-bit key comes from (a systemd credential, else a key file beside the
//! database, made on first use), the opening sequence (`PRAGMA key` first, temp files in
//! memory, owner-only modes) and the one-time conversion of a clear database into an
//! encrypted one. It owns no schema: [`super::Store`] migrates after opening.
//!
//! SQLCipher is given a raw key (`x'<64 hex>'`), so opening skips the passphrase KDF.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::StoreError;
use crate::private;

/// The first 16 bytes of every unencrypted SQLite file.
const CLEAR_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Whose database a file is: each has its own systemd credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbRole {
    /// The kiosk's cache (`kiosk.db`): credential `db-key`.
    Kiosk,
    /// The hub's state (`DATA/.hub/hub.db`): credential `hub-db-key`.
    Hub,
}

impl DbRole {
    /// The credential's name under `$CREDENTIALS_DIRECTORY` (systemd `LoadCredential*=`).
    pub fn credential(self) -> &'static str {
        match self {
            Self::Kiosk => "db-key",
            Self::Hub => "hub-db-key",
        }
    }
}

/// A raw 256-bit SQLCipher key. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct DbKey([u8; 32]);

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(..)")
    }
}

impl DbKey {
    /// Finds the key of the database at `db`: the systemd credential when the service was
    /// given one, else `DB.key` beside it. A missing key file is made (32 bytes from the OS)
    /// only when there is no encrypted database yet that it would have to open.
    pub fn resolve(db: &Path, role: DbRole) -> Result<Self, StoreError> {
        if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
            let cred = Path::new(&dir).join(role.credential());
            if cred.exists() {
                return read_key(&cred);
            }
        }
        let file = key_file(db);
        if file.exists() {
            // An older or hand-copied key file may be wider than it should be.
            private::narrow(&file).map_err(io_err(&file))?;
            return read_key(&file);
        }
        if is_encrypted(db).map_err(io_err(db))? {
            return Err(StoreError::KeyMissing {
                path: db.display().to_string(),
                key: file.display().to_string(),
            });
        }
        let key = Self(random_bytes().map_err(io_err(&file))?);
        write_key_file(&file, &key).map_err(io_err(&file))?;
        Ok(key)
    }

    /// A fresh random key (for a file only this process will ever read).
    pub fn random() -> Result<Self, StoreError> {
        Ok(Self(
            random_bytes().map_err(io_err(Path::new("/dev/urandom")))?,
        ))
    }

    /// The key as SQLCipher's raw key literal, `x'…'` (for `PRAGMA key` and `ATTACH … KEY`).
    pub fn spec(&self) -> String {
        format!("x'{}'", hex(&self.0))
    }
}

/// Where the key of `db` is kept when there is no systemd credential: `DB.key`.
pub fn key_file(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// Opens the kiosk database at `path` (creating it, read-write) with its key, converting a
/// clear file first. For tools and tests that need SQL the [`super::Store`] does not offer.
pub fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    open_connection_as(path, DbRole::Kiosk, false)
}

/// Opens the database at `path` with the key of `role`; `read_only` opens without creating.
pub fn open_connection_as(
    path: &Path,
    role: DbRole,
    read_only: bool,
) -> Result<Connection, StoreError> {
    if read_only && !path.exists() {
        // SQLite's own "unable to open" error, and no key file made for a file not there.
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    }
    let key = DbKey::resolve(path, role)?;
    open_keyed(path, &key, read_only)
}

/// Opens `path` with `key`: converts a clear file, makes a new file 0600 before SQLite sees
/// it, gives the key as the very first statement, and keeps temporary tables in memory.
pub fn open_keyed(path: &Path, key: &DbKey, read_only: bool) -> Result<Connection, StoreError> {
    if is_clear(path).map_err(io_err(path))? {
        encrypt_in_place(path, key)?;
    }
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        // SQLite gives -wal and -shm the database file's mode: make that 0600 first. An
        // existing file is narrowed by path, never opened here (see `is_clear`).
        if path.exists() {
            private::narrow(path).map_err(io_err(path))?;
        } else {
            private::touch(path).map_err(io_err(path))?;
        }
        for side in [sibling(path, "-wal"), sibling(path, "-shm")] {
            private::narrow(&side).map_err(io_err(&side))?;
        }
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    apply_key(&conn, key, path)?;
    Ok(conn)
}

/// `PRAGMA key` (before anything else reads the file), then checks that the key opens it.
/// For a connection opened elsewhere (with URI flags, say); `path` names it in errors.
pub fn apply_key(conn: &Connection, key: &DbKey, path: &Path) -> Result<(), StoreError> {
    sqlcipher_ready()?;
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.spec()))?;
    // A wrong key is reported as DB_KEY_WRONG below, not as SQLCipher's own stderr lines.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // Sorts and temporary tables would otherwise go to clear files in /tmp.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // SQLCipher turns secure_delete fully on, which writes every freed page again (a
    // snapshot or import that replaces the data writes it twice). FAST still zeroes deleted
    // content in the pages a change writes anyway; freed pages stay encrypted.
    conn.pragma_update(None, "secure_delete", "FAST")?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => {
            // Every page read from the OS is decrypted and checked again: keep up to 32 MiB
            // of decrypted pages (SQLite's default is 2 MiB), so repeated searches over the
            // FTS5 and R*Tree pages stay in memory (docs/benchmarks.md). Filled only as
            // pages are touched. Set once the key is known to open the file.
            conn.pragma_update(None, "cache_size", -32_768)?;
            Ok(())
        }
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
            Err(StoreError::KeyWrong {
                path: path.display().to_string(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Waits until SQLCipher has finished setting itself up in this process.
///
/// SQLite marks itself initialised and only then, outside its lock, runs SQLCipher's set-up
/// (`SQLITE_EXTRA_INIT`). A thread that opens its first connection in that window is told it
/// is initialised, and its `PRAGMA key` fails with "An error occurred with PRAGMA key or
/// rekey" (two threads opening their first databases at once: a kiosk starting, a test
/// binary). The first caller keys an in-memory database until that succeeds, which is only
/// once the set-up is done; every other caller waits for it.
pub fn sqlcipher_ready() -> Result<(), StoreError> {
    static READY: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            loop {
                let keyed = Connection::open_in_memory().and_then(|probe| {
                    probe.execute_batch(&format!("PRAGMA key = \"{}\";", DbKey([1; 32]).spec()))
                });
                match keyed {
                    Ok(()) => return Ok(()),
                    Err(e) if std::time::Instant::now() >= deadline => return Err(e.to_string()),
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        })
        .clone()
        .map_err(|reason| StoreError::CipherUnavailable { reason })
}

/// True when `path` is an unencrypted SQLite database (it reads without a key).
///
/// Asked through SQLite, not by reading the header ourselves: closing a descriptor of the
/// file would drop every POSIX lock this process's other connections hold on it.
pub fn is_clear(path: &Path) -> std::io::Result<bool> {
    if !has_content(path)? {
        return Ok(false);
    }
    let plain = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(std::io::Error::other)?;
    let _ = plain.execute_batch("PRAGMA cipher_log_level = NONE;");
    let readable = plain
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok();
    Ok(readable)
}

/// True when `path` holds a database that does not read without a key.
fn is_encrypted(path: &Path) -> std::io::Result<bool> {
    Ok(has_content(path)? && !is_clear(path)?)
}

/// At least a header's worth of bytes (an empty file is a database SQLite has not written).
fn has_content(path: &Path) -> std::io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len() >= CLEAR_HEADER.len() as u64),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Converts the clear database at `path` into an encrypted one under the same name.
///
/// The encrypted copy is written beside it, synced, and renamed over the original: a crash
/// leaves either the old clear file or the new encrypted one. Switching the clear file out of
/// WAL first both folds its WAL in and proves no other process has it open.
pub fn encrypt_in_place(path: &Path, key: &DbKey) -> Result<(), StoreError> {
    // The clear connection below needs `sqlcipher_export`, which SQLCipher's set-up registers.
    sqlcipher_ready()?;
    let tmp = sibling(path, ".encrypting");
    remove_quietly(&tmp);
    let result = (|| {
        let clear = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        clear.busy_timeout(Duration::from_secs(5))?;
        clear.pragma_update(None, "temp_store", "MEMORY")?;
        clear.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let mode: String = clear.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(StoreError::Busy {
                path: path.display().to_string(),
            });
        }
        let version: i64 = clear.pragma_query_value(None, "user_version", |r| r.get(0))?;
        private::touch(&tmp).map_err(io_err(&tmp))?;
        clear.execute(
            "ATTACH DATABASE ?1 AS enc KEY ?2",
            [tmp.display().to_string(), key.spec()],
        )?;
        clear.query_row("SELECT sqlcipher_export('enc')", [], |_| Ok(()))?;
        clear.execute_batch(&format!("PRAGMA enc.user_version = {version};"))?;
        clear.execute_batch("DETACH DATABASE enc;")?;
        clear.close().map_err(|(_, e)| e)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io_err(&tmp))?;
        Ok(())
    })();
    if let Err(e) = result {
        remove_quietly(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    for side in ["-wal", "-shm", "-journal"] {
        remove_quietly(&sibling(path, side));
    }
    if let Some(dir) = path.parent() {
        private::sync_dir(dir).map_err(io_err(dir))?;
    }
    tracing::info!(db = %path.display(), "clear database converted to an encrypted one");
    Ok(())
}

/// `path` with `suffix` appended to its file name (`kiosk.db` → `kiosk.db-wal`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_quietly(path: &Path) {
    let _ = std::fs::remove_file(path);
}

fn read_key(path: &Path) -> Result<DbKey, StoreError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    parse_key(&bytes).ok_or_else(|| StoreError::KeyInvalid {
        path: path.display().to_string(),
    })
}

/// 32 raw bytes (as written here), or 64 hex digits (as a technician may type one).
fn parse_key(bytes: &[u8]) -> Option<DbKey> {
    if bytes.len() == 32 {
        return Some(DbKey(bytes.try_into().ok()?));
    }
    let text = std::str::from_utf8(bytes).ok()?.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(DbKey(out))
}

fn write_key_file(path: &Path, key: &DbKey) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = private::create_new(path)?;
    f.write_all(&key.0)?;
    f.sync_all()?;
    if let Some(dir) = path.parent() {
        private::sync_dir(dir)?;
    }
    Ok(())
}

fn random_bytes() -> std::io::Result<[u8; 32]> {
    let mut out = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut out)?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_and_opens_the_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let conn = open_connection(&db).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('rahasia');")
            .unwrap();
        drop(conn);
        let key = std::fs::read(key_file(&db)).unwrap();
        assert_eq!(key.len(), 32);
        let conn = open_connection(&db).unwrap();
        let x: String = conn.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, "rahasia");
        assert_eq!(std::fs::read(key_file(&db)).unwrap(), key);
        assert!(!is_clear(&db).unwrap());
    }

    #[test]
    fn a_wrong_or_missing_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        open_connection(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t(x);")
            .unwrap();
        std::fs::write(key_file(&db), [7u8; 32]).unwrap();
        let e = open_connection(&db).unwrap_err();
        assert!(matches!(e, StoreError::KeyWrong { .. }), "{e:?}");
        assert_eq!(e.code(), "DB_KEY_WRONG");
        std::fs::remove_file(key_file(&db)).unwrap();
        let e = open_connection(&db).unwrap_err();
        assert!(matches!(e, StoreError::KeyMissing { .. }), "{e:?}");
        assert!(
            !key_file(&db).exists(),
            "no new key is made for an encrypted file"
        );
        std::fs::write(key_file(&db), b"not a key").unwrap();
        let e = open_connection(&db).unwrap_err();
        assert!(matches!(e, StoreError::KeyInvalid { .. }), "{e:?}");
    }

    #[test]
    fn hex_keys_parse_and_short_ones_do_not() {
        let hexkey = "00".repeat(31) + "ff";
        assert_eq!(parse_key(hexkey.as_bytes()).unwrap().0[31], 0xff);
        assert_eq!(
            parse_key(format!("{hexkey}\n").as_bytes()).unwrap().0[31],
            0xff
        );
        assert!(parse_key(b"abc").is_none());
        assert!(parse_key("zz".repeat(32).as_bytes()).is_none());
    }

    #[test]
    fn fts5_trigram_and_rtree_work_in_the_encrypted_build() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_connection(&dir.path().join("f.db")).unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE f USING fts5(name, tokenize = 'trigram remove_diacritics 1');
             CREATE VIRTUAL TABLE u USING fts5(name, tokenize = 'unicode61 remove_diacritics 2');
             CREATE VIRTUAL TABLE g USING rtree(id, a, b, c, d);
             INSERT INTO f VALUES ('Puskesmas Cibeunying');
             INSERT INTO u VALUES ('Klinik Pratama Sémbada');
             INSERT INTO g VALUES (1, 0, 1, 0, 1);",
        )
        .unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM f WHERE f MATCH 'beuny'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM u WHERE u MATCH 'sembada'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM g WHERE a >= 0 AND b <= 2", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1);
    }
}
