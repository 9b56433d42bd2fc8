//! [`CountStore`] on PostgreSQL: one statement per heartbeat, whatever its rows.

use anjungan_core::counters::SlotCount;

use super::PgHub;
use crate::HubError;
use crate::counts::{CountQuery, CountStore, KioskCount};

impl CountStore for PgHub {
    fn record_counts(&self, cons_id: &str, rows: &[SlotCount]) -> Result<(), HubError> {
        if rows.is_empty() {
            return Ok(());
        }
        let slots: Vec<&str> = rows.iter().map(|r| r.slot.as_str()).collect();
        let metrics: Vec<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        let ns: Vec<i64> = rows.iter().map(|r| r.n).collect();
        self.conn()?.execute(
            "INSERT INTO hub_counts (cons_id, slot, metric, key, n) \
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) \
             ON CONFLICT (cons_id, slot, metric, key) DO UPDATE SET n = EXCLUDED.n \
             WHERE EXCLUDED.n > hub_counts.n",
            &[&cons_id, &slots, &metrics, &keys, &ns],
        )?;
        Ok(())
    }

    fn counts(&self, q: &CountQuery<'_>) -> Result<Vec<KioskCount>, HubError> {
        // Per day: kept summed by the trigger of migration 6.
        let sql = if q.per_day {
            "SELECT cons_id, day, metric, key, n FROM hub_counts_daily \
             WHERE day >= substr($1, 1, 10) AND day < $2 \
             AND ($3::text[] IS NULL OR cons_id = ANY($3)) ORDER BY day, cons_id, metric, key"
        } else {
            "SELECT cons_id, slot, metric, key, n FROM hub_counts \
             WHERE slot >= $1 AND slot < $2 AND ($3::text[] IS NULL OR cons_id = ANY($3)) \
             ORDER BY slot, cons_id, metric, key"
        };
        let kiosks: Option<Vec<&str>> = q.kiosks.map(|k| k.iter().map(String::as_str).collect());
        self.conn()?
            .query(sql, &[&q.from, &q.to, &kiosks])?
            .iter()
            .map(|r| {
                Ok(KioskCount {
                    cons_id: r.try_get(0)?,
                    count: SlotCount {
                        slot: r.try_get(1)?,
                        metric: r.try_get(2)?,
                        key: r.try_get(3)?,
                        n: r.try_get(4)?,
                    },
                })
            })
            .collect()
    }
}
