//! The diagnostics audit log: every entry to diagnostics, every failed PIN, every action,
//! in the kiosk database's `diag_audit` table (migration v3).
//!
//! An entry is an event code and a short technical detail (a fault code, a count). It never
//! holds member data; as a second line of defence, long digit runs are masked on the way in.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::{Store, StoreError};

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub at: String,
    /// A stable event code, e.g. `PIN_OK`, `PIN_FAILED`, `ACTION_TEST_PRINT`.
    pub event: String,
    pub detail: String,
}

/// Appends one entry.
pub fn record(
    store: &Store,
    at: DateTime<Utc>,
    event: &str,
    detail: &str,
) -> Result<(), StoreError> {
    store.audit_append(&at.to_rfc3339(), event, &super::logbuf::mask(detail))
}

/// The newest `limit` entries, newest first.
pub fn recent(store: &Store, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(store
        .audit_recent(limit)?
        .into_iter()
        .map(|(at, event, detail)| AuditEntry { at, event, detail })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_newest_first_with_digits_masked() {
        let store = Store::open_in_memory().unwrap();
        let at = Utc::now();
        record(&store, at, "PIN_FAILED", "1 of 5").unwrap();
        record(&store, at, "ACTION_TEST_PRINT", "ok 3273011205800001").unwrap();
        let r = recent(&store, 10).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].event, "ACTION_TEST_PRINT");
        assert!(!r[0].detail.contains("3273011205800001"), "{}", r[0].detail);
        assert_eq!(r[1].detail, "1 of 5");
    }
}
