//! [`UpdateStore`] on the hub's SQLite file.

use rusqlite::{OptionalExtension, params};

use super::SqliteHub;
use crate::HubError;
use crate::updates::{UpdateRow, UpdateStore, each_chunk};

const COLUMNS: &str = "sha256, version, channel, size, added_at, added_by, rollout, paused";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UpdateRow> {
    Ok(UpdateRow {
        sha256: r.get(0)?,
        version: r.get(1)?,
        channel: r.get(2)?,
        size: r.get::<_, i64>(3)?.max(0) as u64,
        added_at: r.get(4)?,
        added_by: r.get(5)?,
        rollout: r.get::<_, i64>(6)?.clamp(0, 100) as u8,
        paused: r.get(7)?,
    })
}

impl SqliteHub {
    fn update_rows(
        &self,
        filter: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<UpdateRow>, HubError> {
        let conn = self.reader()?;
        let rows = {
            let sql = format!(
                "SELECT {COLUMNS} FROM hub_updates WHERE complete = 1 {filter} \
                 ORDER BY added_at DESC, sha256"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            stmt.query_map(args, row)?.collect::<Result<Vec<_>, _>>()?
        };
        self.give_back(conn);
        Ok(rows)
    }
}

impl UpdateStore for SqliteHub {
    fn update_add(&self, r: &UpdateRow, bytes: &mut dyn std::io::Read) -> Result<(), HubError> {
        self.with_connection(|c| {
            c.execute(
                "INSERT INTO hub_updates (sha256, version, channel, size, added_at, added_by, \
                 rollout, paused, complete) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
                params![
                    r.sha256,
                    r.version,
                    r.channel,
                    r.size as i64,
                    r.added_at,
                    r.added_by,
                    r.rollout,
                    r.paused
                ],
            )?;
            Ok(())
        })?;
        // One short write per chunk: the writer is free for kiosks in between.
        let stored = each_chunk(bytes, r.size, &mut |index, data| {
            self.with_connection(|c| {
                c.prepare_cached(
                    "INSERT INTO hub_update_chunks (sha256, idx, data) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![r.sha256, index as i64, data])?;
                Ok(())
            })
        });
        self.with_connection(|c| {
            if stored.is_ok() {
                c.execute(
                    "UPDATE hub_updates SET complete = 1 WHERE sha256 = ?1",
                    [&r.sha256],
                )?;
            } else {
                c.execute("DELETE FROM hub_updates WHERE sha256 = ?1", [&r.sha256])?;
            }
            Ok(())
        })?;
        stored
    }

    fn updates(&self) -> Result<Vec<UpdateRow>, HubError> {
        self.update_rows("", [])
    }

    fn update_latest(&self, channel: &str) -> Result<Option<UpdateRow>, HubError> {
        Ok(self
            .update_rows("AND channel = ?1", [channel])?
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
        self.with_connection(|c| {
            c.execute(
                "UPDATE hub_updates SET rollout = coalesce(?2, rollout), \
                 paused = coalesce(?3, paused) WHERE sha256 = ?1",
                params![latest.sha256, rollout, paused],
            )?;
            Ok(())
        })?;
        self.update(&latest.sha256)
    }

    fn update(&self, sha256: &str) -> Result<Option<UpdateRow>, HubError> {
        Ok(self
            .update_rows("AND sha256 = ?1", [sha256])?
            .into_iter()
            .next())
    }

    fn update_chunk(&self, sha256: &str, index: u64) -> Result<Option<Vec<u8>>, HubError> {
        let conn = self.reader()?;
        let data = conn
            .prepare_cached("SELECT data FROM hub_update_chunks WHERE sha256 = ?1 AND idx = ?2")?
            .query_row(params![sha256, index as i64], |r| r.get(0))
            .optional()?;
        self.give_back(conn);
        Ok(data)
    }

    fn update_remove(&self, sha256: &str) -> Result<bool, HubError> {
        self.with_connection(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM hub_update_chunks WHERE sha256 = ?1", [sha256])?;
            let n = tx.execute("DELETE FROM hub_updates WHERE sha256 = ?1", [sha256])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }
}
