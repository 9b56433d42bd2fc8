//! [`CountStore`] on the hub's SQLite file.

use anjungan_core::counters::SlotCount;
use rusqlite::params;

use super::SqliteHub;
use crate::HubError;
use crate::counts::{CountStore, KioskCount};

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
                 ON CONFLICT (cons_id, slot, metric, key) DO UPDATE SET n = excluded.n",
            )?;
            for r in rows {
                stmt.execute(params![cons_id, r.slot, r.metric, r.key, r.n])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn counts(&self, from: &str, to: &str) -> Result<Vec<KioskCount>, HubError> {
        let conn = self.reader()?;
        let rows = {
            let mut stmt = conn.prepare_cached(
                "SELECT cons_id, slot, metric, key, n FROM hub_counts \
                 WHERE slot >= ?1 AND slot < ?2 ORDER BY slot, cons_id, metric, key",
            )?;
            let rows = stmt.query_map([from, to], |r| {
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
