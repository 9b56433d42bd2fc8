//! [`KioskStore`] on the hub's SQLite file.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteHub;
use crate::HubError;
use crate::kiosks::{KioskRow, KioskStore};

const COLUMNS: &str = "cons_id, secret, name, lat, lon, revoked, created_at, updated_at, branch";

fn kiosk_row(r: &Row<'_>) -> rusqlite::Result<KioskRow> {
    Ok(KioskRow {
        cons_id: r.get(0)?,
        secret: r.get(1)?,
        name: r.get(2)?,
        lat: r.get(3)?,
        lon: r.get(4)?,
        revoked: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        branch: r.get(8)?,
    })
}

impl KioskStore for SqliteHub {
    fn kiosk_add(&self, k: &KioskRow) -> Result<bool, HubError> {
        let n = self.writer()?.connection().execute(
            &format!(
                "INSERT INTO hub_kiosks ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (cons_id) DO NOTHING"
            ),
            params![
                k.cons_id,
                k.secret,
                k.name,
                k.lat,
                k.lon,
                k.revoked,
                k.created_at,
                k.updated_at,
                k.branch
            ],
        )?;
        Ok(n == 1)
    }

    fn kiosk(&self, cons_id: &str) -> Result<Option<KioskRow>, HubError> {
        let conn = self.reader()?;
        let row = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM hub_kiosks WHERE cons_id = ?1"),
                [cons_id],
                kiosk_row,
            )
            .optional()?;
        self.give_back(conn);
        Ok(row)
    }

    fn kiosks_registered(&self) -> Result<Vec<KioskRow>, HubError> {
        let conn = self.reader()?;
        let rows = {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM hub_kiosks ORDER BY cons_id"
            ))?;
            let rows = stmt.query_map([], kiosk_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        self.give_back(conn);
        Ok(rows)
    }

    fn kiosk_revoke(&self, cons_id: &str, at: &str) -> Result<bool, HubError> {
        let n = self.writer()?.connection().execute(
            "UPDATE hub_kiosks SET revoked = 1, updated_at = ?2 WHERE cons_id = ?1",
            params![cons_id, at],
        )?;
        Ok(n == 1)
    }

    fn kiosk_set_secret(&self, k: &KioskRow) -> Result<(), HubError> {
        self.writer()?.connection().execute(
            &format!(
                "INSERT INTO hub_kiosks ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8) \
                 ON CONFLICT (cons_id) DO UPDATE SET secret = excluded.secret, revoked = 0, \
                 name = coalesce(excluded.name, name), lat = coalesce(excluded.lat, lat), \
                 lon = coalesce(excluded.lon, lon), branch = coalesce(excluded.branch, branch), \
                 updated_at = excluded.updated_at"
            ),
            params![
                k.cons_id,
                k.secret,
                k.name,
                k.lat,
                k.lon,
                k.created_at,
                k.updated_at,
                k.branch
            ],
        )?;
        Ok(())
    }
}
