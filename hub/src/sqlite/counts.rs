//! [`CountStore`] on the hub's SQLite file.

use anjungan_core::counters::SlotCount;
use rusqlite::params;

use super::SqliteHub;
use crate::HubError;
use crate::counts::{CountQuery, CountStore, KioskCount};

impl CountStore for SqliteHub {
    fn record_counts(&self, cons_id: &str, rows: &[SlotCount]) -> Result<(), HubError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut store = self.writer()?;
        let tx = store.connection().transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO hub_counts (cons_id, slot, metric, key, n) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (cons_id, slot, metric, key) DO UPDATE SET n = excluded.n \
                 WHERE excluded.n > hub_counts.n",
            )?;
            for r in rows {
                stmt.execute(params![cons_id, r.slot, r.metric, r.key, r.n])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn counts(&self, q: &CountQuery<'_>) -> Result<Vec<KioskCount>, HubError> {
        // Two statements each, with and without the kiosks (the primary key serves them).
        let kiosks = if q.kiosks.is_some() {
            "AND cons_id IN (SELECT value FROM json_each(?3))"
        } else {
            "AND ?3 IS NULL"
        };
        let sql = if q.per_day {
            // Kept summed by the triggers of migration 7.
            format!(
                "SELECT cons_id, day, metric, key, n FROM hub_counts_daily \
                 WHERE day >= substr(?1, 1, 10) AND day < ?2 {kiosks} \
                 ORDER BY day, cons_id, metric, key"
            )
        } else {
            format!(
                "SELECT cons_id, slot, metric, key, n FROM hub_counts \
                 WHERE slot >= ?1 AND slot < ?2 {kiosks} ORDER BY slot, cons_id, metric, key"
            )
        };
        let wanted = q
            .kiosks
            .map(|k| serde_json::to_string(k).unwrap_or_else(|_| "[]".into()));
        let conn = self.reader()?;
        let rows = {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![q.from, q.to, wanted], |r| {
                Ok(KioskCount {
                    cons_id: r.get(0)?,
                    count: SlotCount {
                        slot: r.get(1)?,
                        metric: r.get(2)?,
                        key: r.get(3)?,
                        n: r.get(4)?,
                    },
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        self.give_back(conn);
        Ok(rows)
    }
}
