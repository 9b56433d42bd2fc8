//! The diagnostics audit table (`diag_audit`, migration v3): event codes and technical
//! details only. The wording and the masking belong to `crate::diag::audit`.

use rusqlite::params;

use super::{Store, StoreError};

impl Store {
    /// Appends one audit row.
    pub fn audit_append(&self, at: &str, event: &str, detail: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO diag_audit (at, event, detail) VALUES (?1, ?2, ?3)")?
            .execute(params![at, event, detail])?;
        Ok(())
    }

    /// The newest `limit` rows as `(at, event, detail)`, newest first.
    pub fn audit_recent(&self, limit: usize) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT at, event, detail FROM diag_audit ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest row whose event is `a` or `b`, as `(id, at, event)`.
    pub fn audit_newest_of(
        &self,
        a: &str,
        b: &str,
    ) -> Result<Option<(i64, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, event FROM diag_audit WHERE event IN (?1, ?2) ORDER BY id DESC LIMIT 1",
        )?;
        let mut rows = stmt.query_map(params![a, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.next().transpose()?)
    }

    /// How many rows with `event` come after row `after_id` (0: from the start).
    pub fn audit_count_after(&self, event: &str, after_id: i64) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM diag_audit WHERE event = ?1 AND id > ?2")?
            .query_row(params![event, after_id], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// How many rows with `event` were written at or after `since` (RFC 3339, UTC, as
    /// written by `audit_append`'s callers).
    pub fn audit_count_since(&self, event: &str, since: &str) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM diag_audit WHERE event = ?1 AND at >= ?2")?
            .query_row(params![event, since], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
