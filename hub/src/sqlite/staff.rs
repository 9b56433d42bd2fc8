//! [`StaffStore`] on the hub's SQLite file.

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteHub;
use crate::HubError;
use crate::staff::{
    AuditRow, LOGIN_FAILURES, LOGIN_LOCK_SECS, Role, SESSION_MAX_SECS, SessionRow, StaffStore,
    UserRow,
};

const USER_COLUMNS: &str =
    "name, role, password_hash, disabled, failures, locked_until, created_at, password_set_at";

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    let role: String = r.get(1)?;
    Ok(UserRow {
        name: r.get(0)?,
        // A role this build does not know (a newer hub's) gets the least access.
        role: Role::parse(&role).unwrap_or(Role::Technician),
        password_hash: r.get(2)?,
        disabled: r.get(3)?,
        failures: r.get(4)?,
        locked_until: r.get(5)?,
        created_at: r.get(6)?,
        password_set_at: r.get(7)?,
    })
}

impl StaffStore for SqliteHub {
    fn user_add(&self, user: &UserRow) -> Result<bool, HubError> {
        let n = self.writer()?.connection().execute(
            &format!(
                "INSERT INTO hub_users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (name) DO NOTHING"
            ),
            params![
                user.name,
                user.role.code(),
                user.password_hash,
                user.disabled,
                user.failures,
                user.locked_until,
                user.created_at,
                user.password_set_at
            ],
        )?;
        Ok(n == 1)
    }

    fn users(&self) -> Result<Vec<UserRow>, HubError> {
        let mut store = self.writer()?;
        let conn = store.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM hub_users ORDER BY name"
        ))?;
        let rows = stmt.query_map([], user_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn user(&self, name: &str) -> Result<Option<UserRow>, HubError> {
        Ok(self
            .writer()?
            .connection()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM hub_users WHERE name = ?1"),
                [name],
                user_row,
            )
            .optional()?)
    }

    fn user_set_disabled(&self, name: &str, disabled: bool) -> Result<bool, HubError> {
        let mut store = self.writer()?;
        let tx = store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE hub_users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled],
        )?;
        if disabled {
            tx.execute("DELETE FROM hub_sessions WHERE user_name = ?1", [name])?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    fn user_set_password(&self, name: &str, hash: &str, at: &str) -> Result<bool, HubError> {
        let mut store = self.writer()?;
        let tx = store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE hub_users SET password_hash = ?2, password_set_at = ?3, failures = 0, \
             locked_until = NULL WHERE name = ?1",
            params![name, hash, at],
        )?;
        tx.execute("DELETE FROM hub_sessions WHERE user_name = ?1", [name])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn login_failed(&self, name: &str, now: i64) -> Result<Option<i64>, HubError> {
        let until = now + LOGIN_LOCK_SECS;
        let row: Option<Option<i64>> = self
            .writer()?
            .connection()
            .query_row(
                "UPDATE hub_users SET \
                   failures = CASE WHEN failures + 1 >= ?2 THEN 0 ELSE failures + 1 END, \
                   locked_until = CASE WHEN failures + 1 >= ?2 THEN ?3 ELSE locked_until END \
                 WHERE name = ?1 \
                 RETURNING CASE WHEN locked_until = ?3 THEN locked_until END",
                params![name, LOGIN_FAILURES, until],
                |r| r.get(0),
            )
            .optional()?;
        Ok(row.flatten())
    }

    fn login_succeeded(&self, name: &str) -> Result<(), HubError> {
        self.writer()?
            .connection()
            .execute("UPDATE hub_users SET failures = 0 WHERE name = ?1", [name])?;
        Ok(())
    }

    fn session_create(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: i64,
    ) -> Result<(), HubError> {
        let mut store = self.writer()?;
        let tx = store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Sessions that ended, anyone's, go with each new one.
        tx.execute(
            "DELETE FROM hub_sessions WHERE created_at < ?1",
            [now - SESSION_MAX_SECS],
        )?;
        tx.execute(
            "INSERT INTO hub_sessions (token_hash, user_name, csrf, created_at, last_seen) \
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![token_hash, user, csrf, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn session(
        &self,
        token_hash: &str,
        now: i64,
        idle_secs: i64,
    ) -> Result<Option<SessionRow>, HubError> {
        let mut store = self.writer()?;
        let tx = store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cols: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
        let found = tx
            .query_row(
                &format!(
                    "SELECT {}, s.csrf, s.created_at, s.last_seen FROM hub_sessions s \
                     JOIN hub_users u ON u.name = s.user_name WHERE s.token_hash = ?1",
                    cols.join(", ")
                ),
                [token_hash],
                |r| {
                    Ok(SessionRow {
                        user: user_row(r)?,
                        csrf: r.get(8)?,
                        created_at: r.get(9)?,
                        last_seen: r.get(10)?,
                    })
                },
            )
            .optional()?;
        let live = found.filter(|s| {
            now - s.last_seen <= idle_secs
                && now - s.created_at <= SESSION_MAX_SECS
                && !s.user.disabled
        });
        match &live {
            Some(_) => tx.execute(
                "UPDATE hub_sessions SET last_seen = ?2 WHERE token_hash = ?1",
                params![token_hash, now],
            )?,
            None => tx.execute(
                "DELETE FROM hub_sessions WHERE token_hash = ?1",
                [token_hash],
            )?,
        };
        tx.commit()?;
        Ok(live.map(|s| SessionRow {
            last_seen: now,
            ..s
        }))
    }

    fn session_end(&self, token_hash: &str) -> Result<(), HubError> {
        self.writer()?.connection().execute(
            "DELETE FROM hub_sessions WHERE token_hash = ?1",
            [token_hash],
        )?;
        Ok(())
    }

    fn audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<(), HubError> {
        self.writer()?.connection().execute(
            "INSERT INTO hub_audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                chrono::Utc::now().to_rfc3339(),
                actor,
                action,
                subject,
                detail
            ],
        )?;
        Ok(())
    }

    fn job_start(&self, id: &str, by: &str, now: i64) -> Result<(), HubError> {
        let mut store = self.writer()?;
        let tx = store.connection().transaction()?;
        tx.execute(
            "DELETE FROM hub_jobs WHERE finished_at IS NOT NULL AND finished_at < ?1",
            [now - crate::staff::JOB_KEEP_SECS],
        )?;
        tx.execute(
            "INSERT INTO hub_jobs (id, by_user, started_at) VALUES (?1, ?2, ?3)",
            params![id, by, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn job_finish(&self, id: &str, outcome: &str, now: i64) -> Result<(), HubError> {
        self.writer()?.connection().execute(
            "UPDATE hub_jobs SET finished_at = ?2, outcome = ?3 WHERE id = ?1",
            params![id, now, outcome],
        )?;
        Ok(())
    }

    fn job(&self, id: &str) -> Result<Option<crate::staff::JobRow>, HubError> {
        let conn = self.reader()?;
        let row = conn
            .query_row(
                "SELECT id, by_user, started_at, finished_at, outcome FROM hub_jobs WHERE id = ?1",
                [id],
                |r| {
                    Ok(crate::staff::JobRow {
                        id: r.get(0)?,
                        by: r.get(1)?,
                        started_at: r.get(2)?,
                        finished_at: r.get(3)?,
                        outcome: r.get(4)?,
                    })
                },
            )
            .optional()?;
        self.give_back(conn);
        Ok(row)
    }

    fn audit_log(&self, limit: i64) -> Result<Vec<AuditRow>, HubError> {
        let mut store = self.writer()?;
        let conn = store.connection();
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, subject, detail FROM hub_audit ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
