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

/// How much of a lockout recorded in the log is still to run at `now`, so a restart (or a
/// power cut) does not lift it.
pub fn lock_remaining(
    store: &Store,
    now: DateTime<Utc>,
    lockout: std::time::Duration,
) -> Result<Option<std::time::Duration>, StoreError> {
    let newest = recent(store, 50)?
        .into_iter()
        .find(|e| matches!(e.event.as_str(), "LOCKED" | "PIN_OK"));
    let Some(entry) = newest.filter(|e| e.event == "LOCKED") else {
        return Ok(None);
    };
    let Ok(at) = DateTime::parse_from_rfc3339(&entry.at) else {
        return Ok(None);
    };
    let ends = at.to_utc() + chrono::Duration::from_std(lockout).unwrap_or_default();
    Ok((ends - now).to_std().ok().filter(|d| !d.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_lockout_outlives_a_restart_until_it_ends() {
        let store = Store::open_in_memory().unwrap();
        let five = std::time::Duration::from_secs(300);
        let t0 = DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(lock_remaining(&store, t0, five).unwrap(), None);
        record(&store, t0, "PIN_FAILED", "5 of 5").unwrap();
        record(&store, t0, "LOCKED", "300 s").unwrap();
        let later = t0 + chrono::Duration::seconds(120);
        assert_eq!(
            lock_remaining(&store, later, five).unwrap(),
            Some(std::time::Duration::from_secs(180))
        );
        let after = t0 + chrono::Duration::seconds(300);
        assert_eq!(lock_remaining(&store, after, five).unwrap(), None);
        record(&store, later, "PIN_OK", "").unwrap();
        assert_eq!(lock_remaining(&store, later, five).unwrap(), None);
    }

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
