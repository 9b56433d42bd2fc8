//! Key–value metadata about the loaded data: what was imported, when, and its version.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};

/// What the kiosk knows about the data it answers from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetInfo {
    /// The dataset version: bumped by every import, or set by the hub on sync.
    pub version: i64,
    /// When the data was loaded (RFC 3339, UTC).
    pub loaded_at: Option<String>,
    /// Where it came from (a directory or a hub URL).
    pub source: Option<String>,
}

impl Store {
    /// Reads one metadata value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM sync_meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Writes one metadata value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        set_meta(&self.conn, key, value)?;
        Ok(())
    }

    /// Removes one metadata value (nothing when it is not there).
    pub fn delete_meta(&self, key: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM sync_meta WHERE key = ?1")?
            .execute([key])?;
        Ok(())
    }

    /// The loaded dataset's version and provenance.
    pub fn dataset_info(&self) -> Result<DatasetInfo, StoreError> {
        Ok(DatasetInfo {
            version: self
                .meta(KEY_VERSION)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            loaded_at: self.meta(KEY_LOADED_AT)?,
            source: self.meta(KEY_SOURCE)?,
        })
    }
}

impl Store {
    /// When the data was last known current: the later of the last successful sync and the
    /// last local import (RFC 3339, UTC).
    pub fn data_as_of(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let parse = |v: Option<String>| {
            v.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        let synced = parse(self.meta(KEY_LAST_SYNC_OK)?);
        let loaded = parse(self.meta(KEY_LOADED_AT)?);
        Ok(synced.max(loaded))
    }
}

pub(crate) const KEY_VERSION: &str = "data_version";
/// The hub's version history this data belongs to (see docs/sync-protocol.md).
pub const KEY_EPOCH: &str = "sync_epoch";
/// The last time a sync cycle's pull succeeded (data confirmed current).
pub const KEY_LAST_SYNC_OK: &str = "last_sync_ok_at";
/// The last sync failure, as `CODE: message`, cleared by a success.
pub const KEY_LAST_SYNC_ERROR: &str = "last_sync_error";
/// The last time a sync cycle ran.
pub const KEY_LAST_SYNC_ATTEMPT: &str = "last_sync_attempt_at";
pub(crate) const KEY_LOADED_AT: &str = "data_loaded_at";
pub(crate) const KEY_SOURCE: &str = "data_source";
/// The regions the synced data was made for (`3204,3273`; `*`: all), from the answer.
pub const KEY_REGIONS: &str = "data_regions";

/// Writes one metadata value on any connection or transaction.
pub(crate) fn set_meta(
    conn: &rusqlite::Connection,
    key: &str,
    value: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}
