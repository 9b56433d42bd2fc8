//! The kiosk's local SQLite cache: schema, migrations and typed queries.
//!
//! The store owns SQL. It knows nothing of screens or CLI output, and applies no JKN rule
//! beyond turning stored text back into domain types; the rules live in [`crate::domain`].
//! It is opened in WAL mode so lookups keep working while an import or sync writes.

mod audit;
mod content;
mod lookups;
mod members;
mod meta;
pub mod migrations;
mod outbox;
mod places;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use members::MemberRecord;
pub use meta::DatasetInfo;
pub use meta::{KEY_EPOCH, KEY_LAST_SYNC_ATTEMPT, KEY_LAST_SYNC_ERROR, KEY_LAST_SYNC_OK};
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
}

/// One connection to the kiosk database.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrations::migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// Opens an existing database for reading only, as query tools and benchmarks do.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
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
