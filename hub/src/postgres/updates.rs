//! [`UpdateStore`] on PostgreSQL: the bundle's chunks as `bytea` rows, read one per
//! statement while a kiosk downloads.

use super::PgHub;
use crate::HubError;
use crate::updates::{UpdateRow, UpdateStore, each_chunk};

const COLUMNS: &str = "sha256, version, channel, size, added_at, added_by, rollout, paused";

fn row(r: &postgres::Row) -> Result<UpdateRow, HubError> {
    Ok(UpdateRow {
        sha256: r.try_get(0)?,
        version: r.try_get(1)?,
        channel: r.try_get(2)?,
        size: r.try_get::<_, i64>(3)?.max(0) as u64,
        added_at: r.try_get(4)?,
        added_by: r.try_get(5)?,
        rollout: r.try_get::<_, i32>(6)?.clamp(0, 100) as u8,
        paused: r.try_get(7)?,
    })
}

impl PgHub {
    fn update_rows(
        &self,
        filter: &str,
        args: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<UpdateRow>, HubError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM hub_updates WHERE complete {filter} \
             ORDER BY added_at DESC, sha256"
        );
        self.conn()?.query(&sql, args)?.iter().map(row).collect()
    }
}

impl UpdateStore for PgHub {
    fn update_add(&self, r: &UpdateRow, bytes: &mut dyn std::io::Read) -> Result<(), HubError> {
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO hub_updates (sha256, version, channel, size, added_at, added_by, \
             rollout, paused, complete) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false)",
            &[
                &r.sha256,
                &r.version,
                &r.channel,
                &(r.size as i64),
                &r.added_at,
                &r.added_by,
                &i32::from(r.rollout),
                &r.paused,
            ],
        )?;
        let insert =
            conn.prepare("INSERT INTO hub_update_chunks (sha256, idx, data) VALUES ($1, $2, $3)")?;
        let stored = each_chunk(bytes, r.size, &mut |index, data| {
            conn.execute(&insert, &[&r.sha256, &(index as i32), &data])?;
            Ok(())
        });
        if stored.is_ok() {
            conn.execute(
                "UPDATE hub_updates SET complete = true WHERE sha256 = $1",
                &[&r.sha256],
            )?;
        } else {
            conn.execute("DELETE FROM hub_updates WHERE sha256 = $1", &[&r.sha256])?;
        }
        stored
    }

    fn updates(&self) -> Result<Vec<UpdateRow>, HubError> {
        self.update_rows("", &[])
    }

    fn update_latest(&self, channel: &str) -> Result<Option<UpdateRow>, HubError> {
        Ok(self
            .update_rows("AND channel = $1", &[&channel])?
            .into_iter()
            .next())
    }

    fn update_set(
        &self,
        channel: &str,
        rollout: Option<u8>,
        paused: Option<bool>,
    ) -> Result<Option<UpdateRow>, HubError> {
        let Some(latest) = self.update_latest(channel)? else {
            return Ok(None);
        };
        let rollout = rollout.map(i32::from);
        self.conn()?.execute(
            "UPDATE hub_updates SET rollout = coalesce($2, rollout), \
             paused = coalesce($3, paused) WHERE sha256 = $1",
            &[&latest.sha256, &rollout, &paused],
        )?;
        self.update(&latest.sha256)
    }

    fn update(&self, sha256: &str) -> Result<Option<UpdateRow>, HubError> {
        Ok(self
            .update_rows("AND sha256 = $1", &[&sha256])?
            .into_iter()
            .next())
    }

    fn update_chunk(&self, sha256: &str, index: u64) -> Result<Option<Vec<u8>>, HubError> {
        let Ok(index) = i32::try_from(index) else {
            return Ok(None);
        };
        Ok(self
            .conn()?
            .query_opt(
                "SELECT data FROM hub_update_chunks WHERE sha256 = $1 AND idx = $2",
                &[&sha256, &index],
            )?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn update_remove(&self, sha256: &str) -> Result<bool, HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM hub_update_chunks WHERE sha256 = $1",
            &[&sha256],
        )?;
        let n = tx.execute("DELETE FROM hub_updates WHERE sha256 = $1", &[&sha256])?;
        tx.commit()?;
        Ok(n > 0)
    }
}
