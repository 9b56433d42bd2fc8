//! The kiosk's local SQLite cache: schema, migrations and typed queries.
//!
//! The store owns SQL. It knows nothing of screens or CLI output, and applies no JKN rule
//! beyond turning stored text back into domain types; the rules live in [`crate::domain`].
//! It is opened in WAL mode so lookups keep working while an import or sync writes.

mod attempts;
mod audit;
mod content;
mod counters;
pub mod crypt;
mod lookups;
mod members;
mod meta;
pub mod migrations;
mod outbox;
mod places;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::domain::{Bilingual, Explain};

pub use attempts::Attempts;
pub(crate) use content::NOTE;
pub use crypt::{DbKey, DbRole, open_connection, open_connection_as};
pub use members::MemberRecord;
pub use meta::DatasetInfo;
pub use meta::{
    KEY_EPOCH, KEY_LAST_SYNC_ATTEMPT, KEY_LAST_SYNC_ERROR, KEY_LAST_SYNC_OK, KEY_REGIONS,
};
pub(crate) use meta::{KEY_LOADED_AT, KEY_SOURCE, KEY_VERSION, set_meta};
pub use outbox::{Decision, OutboxEntry, OutboxState};
pub use places::{FacilityQuery, FacilityRecord, OfficeQuery, OfficeRecord, Point};

/// A failure inside the store. Member-facing wording is the caller's job.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite itself failed (I/O, a locked file, a constraint).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer Anjungan than this one.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew { found: u32, supported: u32 },
    /// The key given does not open the (encrypted) file: another kiosk's file or key.
    #[error("the database key does not open {path}")]
    KeyWrong { path: String },
    /// The file is encrypted, and neither a systemd credential nor its key file is there.
    #[error("{path} is encrypted but its key is missing (no credential, no {key})")]
    KeyMissing { path: String, key: String },
    /// A credential or key file holds neither 32 bytes nor 64 hex digits.
    #[error("{path} is not a database key (32 bytes or 64 hex digits)")]
    KeyInvalid { path: String },
    /// A clear database could not be converted: another process still has it open.
    #[error("{path} is in use by another process; stop it and start again")]
    Busy { path: String },
    /// SQLCipher did not finish setting itself up in this process (see
    /// [`crypt::sqlcipher_ready`]), so no database can be keyed.
    #[error("SQLCipher is not ready: {reason}")]
    CipherUnavailable { reason: String },
    /// A file beside the database (key, temporary copy) could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// The stable code printed as `{"error": CODE}`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Sqlite(_) | Self::Io { .. } | Self::CipherUnavailable { .. } => "STORE_ERROR",
            Self::SchemaTooNew { .. } => "SCHEMA_TOO_NEW",
            Self::KeyWrong { .. } => "DB_KEY_WRONG",
            Self::KeyMissing { .. } => "DB_KEY_MISSING",
            Self::KeyInvalid { .. } => "DB_KEY_INVALID",
            Self::Busy { .. } => "DB_BUSY",
        }
    }
}

/// For the technician: the member only ever sees "the kiosk is out of service".
impl Explain for StoreError {
    fn explain(&self) -> Bilingual {
        match self {
            Self::KeyWrong { path } => Bilingual::tr_with(
                "Kunci basis data tidak cocok dengan {path}. Pasang kembali kredensial \
                     db-key atau berkas .key milik basis data ini, atau impor ulang data.",
                &[("path", &path)],
            ),
            Self::KeyMissing { path, key } => Bilingual::tr_with(
                "{path} terenkripsi tetapi kuncinya tidak ada (tidak ada kredensial, \
                     tidak ada {key}). Pulihkan kuncinya, atau hapus basis data lalu impor ulang.",
                &[("path", &path), ("key", &key)],
            ),
            Self::KeyInvalid { path } => Bilingual::tr_with(
                "{path} bukan kunci basis data (harus 32 bita atau 64 digit heksa).",
                &[("path", &path)],
            ),
            Self::Busy { path } => Bilingual::tr_with(
                "{path} sedang dipakai proses lain. Hentikan proses itu lalu ulangi.",
                &[("path", &path)],
            ),
            Self::SchemaTooNew { .. } => Bilingual::tr_with(
                "Basis data dibuat oleh versi Anjungan yang lebih baru ({self}).",
                &[("self", &self)],
            ),
            Self::Sqlite(_) | Self::Io { .. } | Self::CipherUnavailable { .. } => {
                Bilingual::tr_with("Terjadi gangguan basis data: {self}", &[("self", &self)])
            }
        }
    }
}

/// One connection to the kiosk database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the kiosk database at `path` with its key, and migrates it.
    /// A clear file from an older build is encrypted in place first ([`crypt`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_as(path, DbRole::Kiosk)
    }

    /// [`Store::open`] with the key of `role` (the hub's state has its own).
    pub fn open_as(path: &Path, role: DbRole) -> Result<Self, StoreError> {
        let key = DbKey::resolve(path, role)?;
        Self::open_with_key(path, &key)
    }

    /// [`Store::open`] with a key already in hand (the hub's staging file shares its key).
    pub fn open_with_key(path: &Path, key: &DbKey) -> Result<Self, StoreError> {
        let mut conn = crypt::open_keyed(path, key, false)?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// Opens an existing kiosk database for reading only, as query tools and benchmarks do.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        Self::from_read_only(crypt::open_connection_as(path, DbRole::Kiosk, true)?)
    }

    /// Wraps a connection opened elsewhere for reading, after checking its schema version.
    /// Kiosk code opens with [`Store::open_read_only`]; this is for the benchmark that
    /// compares the encrypted file with a clear copy of it.
    pub fn from_read_only(conn: Connection) -> Result<Self, StoreError> {
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > migrations::SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported: migrations::SCHEMA_VERSION,
            });
        }
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self { conn })
    }

    /// A fresh in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// The raw connection, for the importer and sync, which write whole tables at once.
    /// The connection, for reads (a query needs no `&mut`).
    pub fn connection_ref(&self) -> &Connection {
        &self.conn
    }

    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Row counts of the main tables, for `diag` and import summaries.
    pub fn row_counts(&self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        const TABLES: &[&str] = &[
            "members",
            "bills",
            "facilities",
            "offices",
            "tariffs",
            "rules",
            "info_articles",
            "counter_services",
            "request_status",
            "outbox",
        ];
        TABLES
            .iter()
            .map(|t| {
                let n: i64 =
                    self.conn
                        .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
                Ok((*t, n))
            })
            .collect()
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL is durable across application crashes in WAL mode; the outbox additionally
    // forces FULL for its own commits (see outbox.rs).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// A stored value that no longer parses: the file was edited by hand or is damaged.
///
/// The value is not repeated in the error: it may be personal data.
fn corrupt(column: usize, _value: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        "malformed stored value".into(),
    )
}

/// Reads a stored code word (segment, status, ...) back into its domain type.
fn parse_code<T: std::str::FromStr>(column: usize, value: String) -> rusqlite::Result<T> {
    value.parse().map_err(|_| corrupt(column, value))
}

fn code_col<T: std::str::FromStr>(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<T> {
    let value: rusqlite::types::Value = row.get(column)?;
    let text = match value {
        rusqlite::types::Value::Text(t) => t,
        rusqlite::types::Value::Integer(i) => i.to_string(),
        other => format!("{other:?}"),
    };
    parse_code(column, text)
}

fn date_col(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<chrono::NaiveDate> {
    let text: String = row.get(column)?;
    crate::domain::calendar::parse_date(&text).map_err(|_| corrupt(column, text))
}
