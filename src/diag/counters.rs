//! Anonymous device counters the kiosk keeps in its store's metadata: slips printed, the
//! printer's last fault, the dispenser's last frame, and tickets taken per service per day.
//! They hold codes, counts and times only, never who printed or took what.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::{Store, StoreError};

const PRINTED: &str = "diag_printed_total";
const PRINTER_FAULT: &str = "diag_printer_last_fault";
const PRINTER_FAULT_AT: &str = "diag_printer_last_fault_at";
const DISPENSER_FRAME: &str = "diag_dispenser_last_frame";
const DISPENSER_FRAME_AT: &str = "diag_dispenser_last_frame_at";
const TICKETS: &str = "diag_tickets";

/// What the counters say about the printer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrinterCounters {
    pub printed: i64,
    pub last_fault: Option<String>,
    pub last_fault_at: Option<String>,
}

/// Counts a printed slip, or records the fault that stopped one.
pub fn record_print(
    store: &Store,
    fault: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    match fault {
        None => {
            let n = count(store, PRINTED)?;
            store.set_meta(PRINTED, &(n + 1).to_string())
        }
        Some(code) => {
            store.set_meta(PRINTER_FAULT, code)?;
            store.set_meta(PRINTER_FAULT_AT, &at.to_rfc3339())
        }
    }
}

/// The printer's counters.
pub fn printer(store: &Store) -> Result<PrinterCounters, StoreError> {
    Ok(PrinterCounters {
        printed: count(store, PRINTED)?,
        last_fault: store.meta(PRINTER_FAULT)?,
        last_fault_at: store.meta(PRINTER_FAULT_AT)?,
    })
}

/// Records the last frame exchanged with the dispenser, e.g. `ISSUE ACK` or `STATUS NAK`.
pub fn record_frame(store: &Store, frame: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    store.set_meta(DISPENSER_FRAME, frame)?;
    store.set_meta(DISPENSER_FRAME_AT, &at.to_rfc3339())
}

/// The last frame and when it was exchanged.
pub fn last_frame(store: &Store) -> Result<(Option<String>, Option<String>), StoreError> {
    Ok((
        store.meta(DISPENSER_FRAME)?,
        store.meta(DISPENSER_FRAME_AT)?,
    ))
}

/// Counts one ticket for `service` on service day `day`.
pub fn record_ticket(store: &Store, day: NaiveDate, service: &str) -> Result<(), StoreError> {
    let key = format!("{TICKETS}:{day}:{service}");
    let n = count(store, &key)?;
    store.set_meta(&key, &(n + 1).to_string())
}

/// Tickets taken on `day`, by service code.
pub fn tickets_on(store: &mut Store, day: NaiveDate) -> Result<BTreeMap<String, i64>, StoreError> {
    let prefix = format!("{TICKETS}:{day}:");
    let conn = store.connection();
    let mut stmt = conn.prepare("SELECT key, value FROM sync_meta WHERE key >= ?1 AND key < ?2")?;
    let upper = format!("{TICKETS}:{day};");
    let rows = stmt.query_map([&prefix, &upper], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (key, value) = row?;
        if let Some(service) = key.strip_prefix(&prefix) {
            out.insert(service.to_owned(), value.parse().unwrap_or(0));
        }
    }
    Ok(out)
}

fn count(store: &Store, key: &str) -> Result<i64, StoreError> {
    Ok(store.meta(key)?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_prints_faults_and_tickets_per_day() {
        let mut store = Store::open_in_memory().unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z")
            .unwrap()
            .to_utc();
        record_print(&store, None, at).unwrap();
        record_print(&store, None, at).unwrap();
        record_print(&store, Some("PRINTER_PAPER_END"), at).unwrap();
        let p = printer(&store).unwrap();
        assert_eq!(p.printed, 2);
        assert_eq!(p.last_fault.as_deref(), Some("PRINTER_PAPER_END"));
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let yesterday = today.pred_opt().unwrap();
        for s in ["A", "A", "C"] {
            record_ticket(&store, today, s).unwrap();
        }
        record_ticket(&store, yesterday, "A").unwrap();
        let t = tickets_on(&mut store, today).unwrap();
        assert_eq!(t.get("A"), Some(&2));
        assert_eq!(t.get("C"), Some(&1));
        assert_eq!(t.len(), 2);
    }
}
