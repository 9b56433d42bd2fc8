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
}
