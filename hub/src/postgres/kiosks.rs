//! [`KioskStore`] on PostgreSQL: every replica accepts the same kiosks.

use postgres::Row;

use super::PgHub;
use crate::HubError;
use crate::kiosks::{KioskRow, KioskStore};

const COLUMNS: &str = "cons_id, secret, name, lat, lon, revoked, created_at, updated_at, branch";

fn kiosk_row(r: &Row) -> Result<KioskRow, HubError> {
    Ok(KioskRow {
        cons_id: r.try_get(0)?,
        secret: r.try_get(1)?,
        name: r.try_get(2)?,
        lat: r.try_get(3)?,
        lon: r.try_get(4)?,
        revoked: r.try_get(5)?,
        created_at: r.try_get(6)?,
        updated_at: r.try_get(7)?,
        branch: r.try_get(8)?,
    })
}

impl KioskStore for PgHub {
    fn kiosk_add(&self, k: &KioskRow) -> Result<bool, HubError> {
        let n = self.conn()?.execute(
            &format!(
                "INSERT INTO hub_kiosks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (cons_id) DO NOTHING"
            ),
            &[
                &k.cons_id,
                &k.secret,
                &k.name,
                &k.lat,
                &k.lon,
                &k.revoked,
                &k.created_at,
                &k.updated_at,
                &k.branch,
            ],
        )?;
        Ok(n == 1)
    }

    fn kiosk(&self, cons_id: &str) -> Result<Option<KioskRow>, HubError> {
        self.conn()?
            .query_opt(
                &format!("SELECT {COLUMNS} FROM hub_kiosks WHERE cons_id = $1"),
                &[&cons_id],
            )?
            .as_ref()
            .map(kiosk_row)
            .transpose()
    }

    fn kiosks_registered(&self) -> Result<Vec<KioskRow>, HubError> {
        self.conn()?
            .query(
                &format!("SELECT {COLUMNS} FROM hub_kiosks ORDER BY cons_id"),
                &[],
            )?
            .iter()
            .map(kiosk_row)
            .collect()
    }

    fn kiosk_revoke(&self, cons_id: &str, at: &str) -> Result<bool, HubError> {
        let n = self.conn()?.execute(
            "UPDATE hub_kiosks SET revoked = true, updated_at = $2 WHERE cons_id = $1",
            &[&cons_id, &at],
        )?;
        Ok(n == 1)
    }

    fn kiosk_set_secret(&self, k: &KioskRow) -> Result<(), HubError> {
        self.conn()?.execute(
            &format!(
                "INSERT INTO hub_kiosks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, false, $6, $7, $8) \
                 ON CONFLICT (cons_id) DO UPDATE SET secret = EXCLUDED.secret, revoked = false, \
                 name = coalesce(EXCLUDED.name, hub_kiosks.name), \
                 lat = coalesce(EXCLUDED.lat, hub_kiosks.lat), \
                 lon = coalesce(EXCLUDED.lon, hub_kiosks.lon), \
                 branch = coalesce(EXCLUDED.branch, hub_kiosks.branch), \
                 updated_at = EXCLUDED.updated_at"
            ),
            &[
                &k.cons_id,
                &k.secret,
                &k.name,
                &k.lat,
                &k.lon,
                &k.created_at,
                &k.updated_at,
                &k.branch,
            ],
        )?;
        Ok(())
    }
}
