//! [`StaffStore`] on PostgreSQL: shared by every replica, so a lockout or an ended session
//! holds on all of them.

use postgres::Row;

use super::PgHub;
use crate::HubError;
use crate::staff::{
    AuditRow, LOGIN_FAILURES, LOGIN_LOCK_SECS, Role, SESSION_MAX_SECS, SessionRow, StaffStore,
    UserRow,
};

const USER_COLUMNS: &str =
    "name, role, password_hash, disabled, failures, locked_until, created_at, password_set_at";

fn user_row(r: &Row) -> Result<UserRow, HubError> {
    let role: String = r.try_get(1)?;
    Ok(UserRow {
        name: r.try_get(0)?,
        // A role this build does not know (a newer hub's) gets the least access.
        role: Role::parse(&role).unwrap_or(Role::Technician),
        password_hash: r.try_get(2)?,
        disabled: r.try_get(3)?,
        failures: r.try_get(4)?,
        locked_until: r.try_get(5)?,
        created_at: r.try_get(6)?,
        password_set_at: r.try_get(7)?,
    })
}

impl StaffStore for PgHub {
    fn user_add(&self, user: &UserRow) -> Result<bool, HubError> {
        let n = self.conn()?.execute(
            &format!(
                "INSERT INTO hub_users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (name) DO NOTHING"
            ),
            &[
                &user.name,
                &user.role.code(),
                &user.password_hash,
                &user.disabled,
                &user.failures,
                &user.locked_until,
                &user.created_at,
                &user.password_set_at,
            ],
        )?;
        Ok(n == 1)
    }

    fn users(&self) -> Result<Vec<UserRow>, HubError> {
        self.conn()?
            .query(
                &format!("SELECT {USER_COLUMNS} FROM hub_users ORDER BY name"),
                &[],
            )?
            .iter()
            .map(user_row)
            .collect()
    }

    fn user(&self, name: &str) -> Result<Option<UserRow>, HubError> {
        self.conn()?
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM hub_users WHERE name = $1"),
                &[&name],
            )?
            .as_ref()
            .map(user_row)
            .transpose()
    }

    fn user_set_disabled(&self, name: &str, disabled: bool) -> Result<bool, HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE hub_users SET disabled = $2 WHERE name = $1",
            &[&name, &disabled],
        )?;
        if disabled {
            tx.execute("DELETE FROM hub_sessions WHERE user_name = $1", &[&name])?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    fn user_set_password(&self, name: &str, hash: &str, at: &str) -> Result<bool, HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE hub_users SET password_hash = $2, password_set_at = $3, failures = 0, \
             locked_until = NULL WHERE name = $1",
            &[&name, &hash, &at],
        )?;
        tx.execute("DELETE FROM hub_sessions WHERE user_name = $1", &[&name])?;
        tx.commit()?;
        Ok(n == 1)
    }

    fn login_failed(&self, name: &str, now: i64) -> Result<Option<i64>, HubError> {
        let until = now + LOGIN_LOCK_SECS;
        // One statement: two replicas counting at once cannot both miss the fifth.
        let row = self.conn()?.query_opt(
            "UPDATE hub_users SET \
               failures = CASE WHEN failures + 1 >= $2 THEN 0 ELSE failures + 1 END, \
               locked_until = CASE WHEN failures + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE name = $1 \
             RETURNING CASE WHEN locked_until = $3 THEN locked_until END",
            &[&name, &LOGIN_FAILURES, &until],
        )?;
        Ok(match row {
            Some(r) => r.try_get::<_, Option<i64>>(0)?,
            None => None,
        })
    }

    fn login_succeeded(&self, name: &str) -> Result<(), HubError> {
        self.conn()?.execute(
            "UPDATE hub_users SET failures = 0 WHERE name = $1",
            &[&name],
        )?;
        Ok(())
    }

    fn session_create(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: i64,
    ) -> Result<(), HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM hub_sessions WHERE created_at < $1",
            &[&(now - SESSION_MAX_SECS)],
        )?;
        tx.execute(
            "INSERT INTO hub_sessions (token_hash, user_name, csrf, created_at, last_seen) \
             VALUES ($1, $2, $3, $4, $4)",
            &[&token_hash, &user, &csrf, &now],
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
        let mut conn = self.conn()?;
        let cols: Vec<String> = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
        // Marks it used if it is live, in the same statement that reads it.
        let row = conn.query_opt(
            &format!(
                "UPDATE hub_sessions s SET last_seen = $2 FROM hub_users u \
                 WHERE s.token_hash = $1 AND u.name = s.user_name AND NOT u.disabled \
                   AND $2 - s.last_seen <= $3 AND $2 - s.created_at <= $4 \
                 RETURNING {}, s.csrf, s.created_at, s.last_seen",
                cols.join(", ")
            ),
            &[&token_hash, &now, &idle_secs, &SESSION_MAX_SECS],
        )?;
        match row {
            Some(r) => Ok(Some(SessionRow {
                user: user_row(&r)?,
                csrf: r.try_get(8)?,
                created_at: r.try_get(9)?,
                last_seen: r.try_get(10)?,
            })),
            None => {
                conn.execute(
                    "DELETE FROM hub_sessions WHERE token_hash = $1",
                    &[&token_hash],
                )?;
                Ok(None)
            }
        }
    }

    fn session_end(&self, token_hash: &str) -> Result<(), HubError> {
        self.conn()?.execute(
            "DELETE FROM hub_sessions WHERE token_hash = $1",
            &[&token_hash],
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
        self.conn()?.execute(
            "INSERT INTO hub_audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
            &[
                &chrono::Utc::now().to_rfc3339(),
                &actor,
                &action,
                &subject,
                &detail,
            ],
        )?;
        Ok(())
    }

    fn job_start(&self, id: &str, by: &str, now: i64) -> Result<(), HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM hub_jobs WHERE finished_at IS NOT NULL AND finished_at < $1",
            &[&(now - crate::staff::JOB_KEEP_SECS)],
        )?;
        tx.execute(
            "INSERT INTO hub_jobs (id, by_user, started_at) VALUES ($1, $2, $3)",
            &[&id, &by, &now],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn job_finish(&self, id: &str, outcome: &str, now: i64) -> Result<(), HubError> {
        self.conn()?.execute(
            "UPDATE hub_jobs SET finished_at = $2, outcome = $3 WHERE id = $1",
            &[&id, &now, &outcome],
        )?;
        Ok(())
    }

    fn job(&self, id: &str) -> Result<Option<crate::staff::JobRow>, HubError> {
        self.conn()?
            .query_opt(
                "SELECT id, by_user, started_at, finished_at, outcome FROM hub_jobs WHERE id = $1",
                &[&id],
            )?
            .map(|r| {
                Ok(crate::staff::JobRow {
                    id: r.try_get(0)?,
                    by: r.try_get(1)?,
                    started_at: r.try_get(2)?,
                    finished_at: r.try_get(3)?,
                    outcome: r.try_get(4)?,
                })
            })
            .transpose()
    }

    fn audit_log(&self, limit: i64) -> Result<Vec<AuditRow>, HubError> {
        self.conn()?
            .query(
                "SELECT id, at, actor, action, subject, detail FROM hub_audit \
                 ORDER BY id DESC LIMIT $1",
                &[&limit],
            )?
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    subject: r.try_get(4)?,
                    detail: r.try_get(5)?,
                })
            })
            .collect()
    }
}
