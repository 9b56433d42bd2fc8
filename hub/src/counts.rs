//! The kiosks' counts for the console's figures ([`anjungan_core::counters`]), as their
//! heartbeats carry them: kept by both stores, so every replica draws the same figures.

use std::collections::BTreeMap;

use anjungan_core::counters::SlotCount;

use crate::HubError;

/// One kiosk's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskCount {
    pub cons_id: String,
    pub count: SlotCount,
}

pub trait CountStore {
    /// Keeps a kiosk's counts as sent: each row is the kiosk's whole count for its slot,
    /// metric and key, and replaces what was kept when it is higher (a kiosk's counts only
    /// grow, so a heartbeat that arrives late cannot take a count back). `rows` holds each
    /// slot, metric and key once ([`checked`]).
    fn record_counts(&self, cons_id: &str, rows: &[SlotCount]) -> Result<(), HubError>;

    /// The counts a query asks for, ordered by slot, kiosk, metric and key.
    fn counts(&self, q: &CountQuery<'_>) -> Result<Vec<KioskCount>, HubError>;
}

/// Which counts to read.
#[derive(Debug, Clone, Copy)]
pub struct CountQuery<'a> {
    /// Slots from `from` to before `to`. Slots compare as text, days before their half
    /// hours: `2026-12-01` to `2026-12-03` takes both days.
    pub from: &'a str,
    pub to: &'a str,
    /// Only these kiosks (`None`: every kiosk).
    pub kiosks: Option<&'a [String]>,
    /// Summed per kiosk and day: each row's slot is its day (`YYYY-MM-DD`), and `from`
    /// and `to` are taken as days. The stores keep these sums as counts arrive.
    pub per_day: bool,
}

impl<'a> CountQuery<'a> {
    /// Every kiosk's counts, slot by slot.
    pub fn slots(from: &'a str, to: &'a str) -> Self {
        Self {
            from,
            to,
            kiosks: None,
            per_day: false,
        }
    }
}

/// The rows of a heartbeat the hub keeps: well-formed ones, each slot, metric and key once
/// (the last wins), and how many were dropped.
pub fn checked(rows: &[SlotCount]) -> (Vec<SlotCount>, usize) {
    let mut kept = BTreeMap::new();
    for row in rows.iter().filter(|r| r.check().is_ok()) {
        kept.insert((&row.slot, &row.metric, &row.key), row);
    }
    let kept: Vec<SlotCount> = kept.into_values().cloned().collect();
    let dropped = rows.len() - kept.len();
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anjungan_core::counters::Metric;

    #[test]
    fn malformed_and_repeated_rows_are_dropped() {
        let a = SlotCount::new("2026-12-02T08:00".into(), Metric::Tickets, "A", 2);
        let a_again = SlotCount { n: 3, ..a.clone() };
        let bad = SlotCount::new("2026-12-02T08:10".into(), Metric::Tickets, "A", 1);
        let (kept, dropped) = checked(&[a, bad, a_again.clone()]);
        assert_eq!(kept, vec![a_again]);
        assert_eq!(dropped, 2);
    }
}
