//! The kiosk's side of [`crate::counters`]: counting, and the rows a heartbeat carries.

use rusqlite::params;

use super::{Store, StoreError};
use crate::counters::{Metric, SlotCount};

/// Adds to one count (`?4`), marking it unsent.
const ADD: &str = "INSERT INTO slot_counters (slot, metric, key, n, sent) VALUES (?1, ?2, ?3, ?4, 0) \
     ON CONFLICT (slot, metric, key) DO UPDATE SET n = n + excluded.n, sent = 0";

/// Counts older than this many days are dropped once the hub has them.
pub const KEEP_DAYS: i64 = 120;

impl Store {
    /// Adds `by` to a count (a rating: `slot` is its day, `key` its stars), in one statement.
    pub fn count(&self, slot: &str, metric: Metric, key: &str, by: i64) -> Result<(), StoreError> {
        self.conn.prepare_cached(ADD)?.execute(params![
            slot,
            metric.as_str(),
            crate::counters::key_of(key),
            by
        ])?;
        Ok(())
    }

    /// Adds several counts of one slot in one transaction (a ticket's count, its wait,
    /// and whether it was over the target): one wait for the lock, all or none.
    pub fn count_all(
        &mut self,
        slot: &str,
        counts: &[(Metric, &str, i64)],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(ADD)?;
            // A zero adds nothing (and makes no row).
            for (metric, key, by) in counts.iter().filter(|c| c.2 != 0) {
                stmt.execute(params![
                    slot,
                    metric.as_str(),
                    crate::counters::key_of(key),
                    by
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Counts one rating of `stars` (clamped to 1–5) on the kiosk's service day `day`.
    pub fn count_rating(&self, day: chrono::NaiveDate, stars: u8) -> Result<(), StoreError> {
        let stars = stars.clamp(1, 5).to_string();
        self.count(&crate::counters::day_slot(day), Metric::Ratings, &stars, 1)
    }

    /// The counts of `slot` (every metric and key), for diagnostics and tests.
    pub fn counts_in(&self, slot: &str) -> Result<Vec<SlotCount>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT slot, metric, key, n FROM slot_counters WHERE slot = ?1 ORDER BY metric, key",
        )?;
        let rows = stmt.query_map([slot], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` counts the hub has not acknowledged, oldest slot first. A day's
    /// ratings wait until that day is over everywhere in Indonesia: `utc_today` is the UTC
    /// date, and a rating day before it ended at least seven hours ago in every zone (WIB,
    /// WITA and WIT are all ahead of UTC).
    pub fn unsent_counts(
        &self,
        utc_today: chrono::NaiveDate,
        limit: usize,
    ) -> Result<Vec<SlotCount>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT slot, metric, key, n FROM slot_counters WHERE sent = 0 \
             AND (metric <> 'ratings' OR slot < ?1) ORDER BY slot, metric, key LIMIT ?2",
        )?;
        let rows = stmt.query_map(
            params![
                crate::counters::day_slot(utc_today),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks `rows` as the hub has them: each only while its count is still the one sent
    /// (one counted meanwhile goes again). Drops acknowledged counts older than
    /// [`KEEP_DAYS`] before `utc_today`.
    pub fn counts_sent(
        &mut self,
        rows: &[SlotCount],
        utc_today: chrono::NaiveDate,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE slot_counters SET sent = 1 \
                 WHERE slot = ?1 AND metric = ?2 AND key = ?3 AND n = ?4",
            )?;
            for r in rows {
                stmt.execute(params![r.slot, r.metric, r.key, r.n])?;
            }
            let oldest = utc_today - chrono::Duration::days(KEEP_DAYS);
            tx.execute(
                "DELETE FROM slot_counters WHERE sent = 1 AND slot < ?1",
                [crate::counters::day_slot(oldest)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SlotCount> {
    Ok(SlotCount {
        slot: r.get(0)?,
        metric: r.get(1)?,
        key: r.get(2)?,
        n: r.get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn counts_go_until_acknowledged_and_a_recount_goes_again() {
        let mut store = Store::open_in_memory().unwrap();
        let slot = "2026-12-02T08:30";
        store.count(slot, Metric::Tickets, "A", 1).unwrap();
        store.count(slot, Metric::Tickets, "A", 1).unwrap();
        store
            .count_all(slot, &[(Metric::WaitMinutes, "A", 45)])
            .unwrap();
        let today = day("2026-12-02");
        let sent = store.unsent_counts(today, 100).unwrap();
        assert_eq!(
            sent,
            vec![
                SlotCount::new(slot.into(), Metric::Tickets, "A", 2),
                SlotCount::new(slot.into(), Metric::WaitMinutes, "A", 45),
            ]
        );
        // A ticket counted between the read and the acknowledgement: that row goes again.
        store.count(slot, Metric::Tickets, "A", 1).unwrap();
        store.counts_sent(&sent, today).unwrap();
        assert_eq!(
            store.unsent_counts(today, 100).unwrap(),
            vec![SlotCount::new(slot.into(), Metric::Tickets, "A", 3)]
        );
        assert_eq!(store.unsent_counts(today, 1).unwrap().len(), 1);
    }

    #[test]
    fn ratings_wait_for_the_day_to_end_and_clamp() {
        let mut store = Store::open_in_memory().unwrap();
        let today = day("2026-12-02");
        for stars in [5, 5, 3, 9, 0] {
            store.count_rating(today, stars).unwrap();
        }
        assert!(store.unsent_counts(today, 100).unwrap().is_empty());
        let tomorrow = day("2026-12-03");
        let sent = store.unsent_counts(tomorrow, 100).unwrap();
        let stars: Vec<(&str, i64)> = sent.iter().map(|r| (r.key.as_str(), r.n)).collect();
        assert_eq!(stars, [("1", 1), ("3", 1), ("5", 3)]);
        store.counts_sent(&sent, tomorrow).unwrap();
        assert!(store.unsent_counts(tomorrow, 100).unwrap().is_empty());
        // Long after, acknowledged counts are dropped.
        store
            .counts_sent(&[], tomorrow + chrono::Duration::days(KEEP_DAYS + 1))
            .unwrap();
        assert!(store.counts_in("2026-12-02").unwrap().is_empty());
    }
}
