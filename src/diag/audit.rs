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

/// What the audit log says about the PIN pad when the app starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinState {
    /// How much of a recorded lockout is still to run (never more than one lockout period).
    pub locked_for: Option<std::time::Duration>,
    /// Wrong PINs since the last `PIN_OK` or `LOCKED`.
    pub failures: u32,
}

/// Reads the lock and the count of wrong PINs back from the log at `now`, so a restart (or a
/// power cut) neither lifts a lockout nor gives fresh tries. Only the newest `LOCKED` or
/// `PIN_OK` row counts, however many other rows came after it. A lock whose end lies further
/// than `lockout` ahead (the clock was stepped back) is cut to `lockout`.
pub fn pin_state(
    store: &Store,
    now: DateTime<Utc>,
    lockout: std::time::Duration,
) -> Result<PinState, StoreError> {
    let newest = store.audit_newest_of("LOCKED", "PIN_OK")?;
    let after = newest.as_ref().map_or(0, |(id, _, _)| *id);
    let failures = u32::try_from(store.audit_count_after("PIN_FAILED", after)?).unwrap_or(u32::MAX);
    let locked_for = newest
        .filter(|(_, _, event)| event == "LOCKED")
        .and_then(|(_, at, _)| DateTime::parse_from_rfc3339(&at).ok())
        .and_then(|at| {
            let ends = at
                .to_utc()
                .checked_add_signed(chrono::Duration::from_std(lockout).ok()?)?;
            (ends - now).to_std().ok()
        })
        .map(|left| left.min(lockout))
        .filter(|d| !d.is_zero());
    Ok(PinState {
        locked_for,
        failures,
    })
}

/// How many lockouts the log holds from the 24 hours before `now`.
pub fn lockouts_last_day(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let since = now - chrono::Duration::hours(24);
    store.audit_count_since("LOCKED", &since.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_recorded_lockout_outlives_a_restart_until_it_ends() {
        let store = Store::open_in_memory().unwrap();
        let five = std::time::Duration::from_secs(300);
        let t0 = t("2026-11-22T03:00:00Z");
        let open = PinState {
            locked_for: None,
            failures: 0,
        };
        assert_eq!(pin_state(&store, t0, five).unwrap(), open);
        record(&store, t0, "PIN_FAILED", "5 of 5").unwrap();
        record(&store, t0, "LOCKED", "300 s").unwrap();
        let later = t0 + chrono::Duration::seconds(120);
        assert_eq!(
            pin_state(&store, later, five).unwrap().locked_for,
            Some(std::time::Duration::from_secs(180))
        );
        let after = t0 + chrono::Duration::seconds(300);
        assert_eq!(pin_state(&store, after, five).unwrap(), open);
        record(&store, later, "PIN_OK", "").unwrap();
        assert_eq!(pin_state(&store, later, five).unwrap(), open);
    }

    #[test]
    fn many_other_rows_after_the_lock_do_not_hide_it() {
        let store = Store::open_in_memory().unwrap();
        let five = std::time::Duration::from_secs(300);
        let t0 = t("2026-11-22T03:00:00Z");
        record(&store, t0, "LOCKED", "300 s").unwrap();
        for _ in 0..60 {
            record(&store, t0, "ENTRY_WHILE_LOCKED", "").unwrap();
            record(&store, t0, "PIN_CANCELLED", "").unwrap();
        }
        assert_eq!(
            pin_state(&store, t0 + chrono::Duration::seconds(10), five)
                .unwrap()
                .locked_for,
            Some(std::time::Duration::from_secs(290))
        );
    }

    #[test]
    fn wrong_pins_since_the_last_success_or_lock_are_restored() {
        let store = Store::open_in_memory().unwrap();
        let five = std::time::Duration::from_secs(300);
        let t0 = t("2026-11-22T03:00:00Z");
        record(&store, t0, "PIN_FAILED", "1 of 5").unwrap();
        record(&store, t0, "PIN_OK", "").unwrap();
        for n in 1..=4 {
            record(&store, t0, "PIN_FAILED", &format!("{n} of 5")).unwrap();
            record(&store, t0, "PIN_CANCELLED", "").unwrap();
        }
        let state = pin_state(&store, t0, five).unwrap();
        assert_eq!(state.failures, 4);
        assert_eq!(state.locked_for, None);
    }

    #[test]
    fn a_lock_from_the_future_is_cut_to_one_lockout() {
        let store = Store::open_in_memory().unwrap();
        let five = std::time::Duration::from_secs(300);
        // Written while the clock was three days ahead.
        record(&store, t("2026-11-25T03:00:00Z"), "LOCKED", "300 s").unwrap();
        let now = t("2026-11-22T03:00:00Z");
        assert_eq!(pin_state(&store, now, five).unwrap().locked_for, Some(five));
    }

    #[test]
    fn lockouts_of_the_last_day_are_counted() {
        let store = Store::open_in_memory().unwrap();
        let now = t("2026-11-22T03:00:00Z");
        record(&store, now - chrono::Duration::hours(30), "LOCKED", "").unwrap();
        record(&store, now - chrono::Duration::hours(5), "LOCKED", "").unwrap();
        record(&store, now - chrono::Duration::hours(1), "LOCKED", "").unwrap();
        record(&store, now - chrono::Duration::hours(1), "PIN_FAILED", "").unwrap();
        assert_eq!(lockouts_last_day(&store, now).unwrap(), 2);
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
