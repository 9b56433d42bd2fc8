//! The hub on PostgreSQL: the state any number of stateless `anjungan-hub serve` replicas
//! share. Everything a replica answers comes from here (current rows, the change log,
//! requests, the nonces it took), so any replica answers any kiosk the same.
//!
//! An import is checked by the kiosk's own rules while it streams into `COPY`, in one
//! transaction (see [`import`]). Writers that make versions (imports, decisions) take one
//! advisory lock, so version numbers stay a sequence across replicas.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anjungan_core::dataset;
use anjungan_core::sync::auth::{AuthError, Verified, WINDOW_SECS};
use anjungan_core::sync::client::SubmitBody;
use anjungan_core::sync::payload::Kind;
use anjungan_core::sync::tables::{self, Op, TableSpec};
use chrono::NaiveDate;
use postgres::types::{ToSql, Type};
use postgres::{IsolationLevel, NoTls, Row, Transaction};
use r2d2_postgres::PostgresConnectionManager;
use serde_json::Value;

mod counts;
mod import;
mod kiosks;
mod staff;
mod updates;

use crate::HubError;
use crate::buckets;
use crate::store::{
    AnswerReader, Ask, Family, FlagRow, FleetRow, HubStore, ImportSummary, LOOKUP_FAILURES,
    LOOKUP_LOCK_SECS, LOOKUP_WINDOW_SECS, LOOKUPS_PER_MINUTE, LookupOutcome, LookupQuery,
    RequestRow,
};

/// The schema, one migration per version (`hub/migrations/postgres/`), recorded in
/// `hub_schema_migrations`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "buckets",
        include_str!("../migrations/postgres/0002_buckets.sql"),
    ),
    (
        3,
        "lookups",
        include_str!("../migrations/postgres/0003_lookups.sql"),
    ),
    (
        4,
        "console",
        include_str!("../migrations/postgres/0004_console.sql"),
    ),
    (
        5,
        "kiosks",
        include_str!("../migrations/postgres/0005_kiosks.sql"),
    ),
    (
        6,
        "counts",
        include_str!("../migrations/postgres/0006_counts.sql"),
    ),
    (
        7,
        "jobs",
        include_str!("../migrations/postgres/0007_jobs.sql"),
    ),
    (
        8,
        "updates",
        include_str!("../migrations/postgres/0008_updates.sql"),
    ),
];

/// `pg_advisory_xact_lock` keys: one for migrations, one for version-making writes.
const LOCK_MIGRATE: i64 = 0x414e_4a55_0001;
const LOCK_VERSION: i64 = 0x414e_4a55_0002;

/// Rows fetched per round trip when an answer streams a table.
const FETCH_ROWS: i32 = 5_000;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// The hub's PostgreSQL database.
pub struct PgHub {
    pool: Pool,
    /// When this replica last removed expired nonces (unix seconds).
    nonces_pruned: AtomicI64,
}

fn pg(e: postgres::Error) -> HubError {
    // The server's code and message only: a DETAIL could quote a row's values.
    match e.as_db_error() {
        Some(db) => HubError::Postgres(format!("{} {}", db.code().code(), db.message())),
        None => HubError::Postgres(e.to_string()),
    }
}

fn pool_err(e: r2d2::Error) -> HubError {
    HubError::Postgres(format!("no database connection: {e}"))
}

impl From<postgres::Error> for HubError {
    fn from(e: postgres::Error) -> Self {
        pg(e)
    }
}

/// Refuses a database that is reached over the network in clear: this build speaks to
/// PostgreSQL without TLS, so the server must be on this host (a loopback address or a
/// Unix socket).
fn check_local(config: &postgres::Config) -> Result<(), HubError> {
    for host in config.get_hosts() {
        if let postgres::config::Host::Tcp(name) = host {
            let local = name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !local {
                return Err(HubError::BadRequest(format!(
                    "the database host {name:?} is not on this machine; this build talks to \
                     PostgreSQL without TLS, so use a loopback address or a Unix socket (run a \
                     TLS tunnel to a remote server)"
                )));
            }
        }
    }
    Ok(())
}

impl PgHub {
    /// Connects (a pool of up to 16 connections), and brings the schema up to date.
    pub fn connect(url: &str) -> Result<Self, HubError> {
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            HubError::BadRequest(format!("--database is not a PostgreSQL URL: {e}"))
        })?;
        check_local(&config)?;
        config.connect_timeout(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            config.application_name("anjungan-hub");
        }
        // The planner's default (4) prices a random read as from a spinning disk, and so
        // answers one region's snapshot with a scan of every member (at 10M members: 2.3 s
        // for `members` alone, against 0.5 s through the `kk_no` index; docs/benchmarks.md).
        // 1.1 is the usual setting for SSDs and cached data; a URL's own setting wins.
        let planner = "-c random_page_cost=1.1";
        let options = match config.get_options() {
            Some(o) if o.contains("random_page_cost") => o.to_owned(),
            Some(o) => format!("{o} {planner}"),
            None => planner.to_owned(),
        };
        config.options(&options);
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(15))
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(pool_err)?;
        let hub = Self {
            pool,
            nonces_pruned: AtomicI64::new(0),
        };
        let mut conn = hub.conn()?;
        migrate(&mut conn)?;
        conn.execute(
            "INSERT INTO hub_meta (key, value) VALUES ('epoch', $1) ON CONFLICT DO NOTHING",
            &[&anjungan_core::sync::nonce()],
        )?;
        Ok(hub)
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, HubError> {
        self.pool.get().map_err(pool_err)
    }
}

/// Applies the migrations the database lacks, in one transaction, under a lock so
/// replicas starting together do not race.
fn migrate(conn: &mut postgres::Client) -> Result<(), HubError> {
    let mut tx = conn.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATE])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS hub_schema_migrations (\
             version bigint PRIMARY KEY, name text NOT NULL, \
             applied_at timestamptz NOT NULL DEFAULT now())",
    )?;
    let have: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM hub_schema_migrations",
            &[],
        )?
        .get(0);
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if have > newest {
        return Err(HubError::BadRequest(format!(
            "the database is at hub schema version {have}, newer than this build's {newest}: \
             update anjungan-hub"
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > have) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO hub_schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )?;
        tracing::info!(version, name, "hub schema migrated (postgres)");
    }
    tx.commit()?;
    Ok(())
}

fn current_version(tx: &mut impl postgres::GenericClient) -> Result<i64, HubError> {
    Ok(tx
        .query_one("SELECT coalesce(max(version), 0) FROM hub_versions", &[])?
        .get(0))
}

/// The epoch, the current version and the oldest delta base, in one statement (so from
/// one snapshot of the database, with one round trip).
fn position(c: &mut impl postgres::GenericClient) -> Result<(String, i64, i64), HubError> {
    let row = c.query_one(
        "SELECT (SELECT value FROM hub_meta WHERE key = 'epoch'), \
         (SELECT coalesce(max(version), 0) FROM hub_versions), \
         greatest((SELECT coalesce(min(version), 1) FROM hub_versions WHERE kind = 'IMPORT'), \
                  (SELECT coalesce(max(value::bigint), 0) FROM hub_meta WHERE key = 'delta_base'))",
        &[],
    )?;
    Ok((
        row.get::<_, Option<String>>(0).unwrap_or_default(),
        row.get(1),
        row.get(2),
    ))
}

fn delta_base(tx: &mut impl postgres::GenericClient) -> Result<i64, HubError> {
    Ok(tx
        .query_opt("SELECT value FROM hub_meta WHERE key = 'delta_base'", &[])?
        .and_then(|r| r.get::<_, String>(0).parse().ok())
        .unwrap_or(0))
}

/// Forgets the changes of versions older than [`buckets::KEEP_DAYS`].
fn prune(tx: &mut Transaction<'_>) -> Result<(), HubError> {
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(buckets::KEEP_DAYS)).to_rfc3339();
    let base: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM hub_versions WHERE created_at < $1",
            &[&cutoff],
        )?
        .get(0);
    if base > delta_base(tx)? {
        let gone = tx.execute("DELETE FROM hub_changes WHERE version <= $1", &[&base])?;
        tx.execute(
            "INSERT INTO hub_meta (key, value) VALUES ('delta_base', $1) \
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&base.to_string()],
        )?;
        tracing::info!(base, gone, "change log pruned");
    }
    Ok(())
}

/// One column of a row as the wire carries it: text, whole number, real, or null.
fn wire_value(row: &Row, i: usize) -> Result<Value, HubError> {
    let ty = row.columns()[i].type_();
    Ok(if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::from)
    } else if *ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i)?
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    } else {
        row.try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::String)
    })
}

const REQUEST_COLUMNS: &str = "id, reference, cons_id, kind, card_no, change, created_at, \
                               received_at, state, reason, decided_at";

fn request_row(r: &Row) -> Result<RequestRow, HubError> {
    let change: String = r.try_get(5)?;
    Ok(RequestRow {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        cons_id: r.try_get(2)?,
        kind: r.try_get(3)?,
        card_no: r.try_get(4)?,
        change: serde_json::from_str(&change).unwrap_or(Value::Null),
        created_at: r.try_get(6)?,
        received_at: r.try_get(7)?,
        state: r.try_get(8)?,
        reason: r.try_get(9)?,
        decided_at: r.try_get(10)?,
        content_sha256: String::new(),
    }
    .with_digest())
}

fn request_by(
    c: &mut impl postgres::GenericClient,
    reference: &str,
    lock: bool,
) -> Result<Option<RequestRow>, HubError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    c.query_opt(
        &format!("SELECT {REQUEST_COLUMNS} FROM hub_requests WHERE reference = $1{lock}"),
        &[&reference],
    )?
    .as_ref()
    .map(request_row)
    .transpose()
}

/// An answer read from one REPEATABLE READ transaction; rows stream through portals.
/// `tx: None` with `at` known: a "no change" answer, which reads nothing more.
struct PgAnswer<'a, 'b> {
    tx: Option<&'a mut Transaction<'b>>,
    at: Option<(String, i64, i64)>,
}

impl<'b> PgAnswer<'_, 'b> {
    fn tx(&mut self) -> Result<&mut Transaction<'b>, HubError> {
        match &mut self.tx {
            Some(tx) => Ok(tx),
            None => Err(HubError::BadRequest(
                "an answer with rows needs its transaction".into(),
            )),
        }
    }
}

impl AnswerReader for PgAnswer<'_, '_> {
    fn position(&mut self) -> Result<(String, i64, i64), HubError> {
        match self.at.take() {
            Some(at) => Ok(at),
            None => position(self.tx()?),
        }
    }

    fn count_changes(&mut self, since: i64, current: i64, filter: &str) -> Result<i64, HubError> {
        Ok(self
            .tx()?
            .query_one(
                &format!(
                    "SELECT count(*) FROM hub_changes WHERE version > $1 AND version <= $2{filter}"
                ),
                &[&since, &current],
            )?
            .get(0))
    }

    fn count(&mut self, sql: &str) -> Result<i64, HubError> {
        Ok(self.tx()?.query_one(sql, &[])?.get(0))
    }

    fn each_change(
        &mut self,
        since: i64,
        current: i64,
        filter: &str,
        each: &mut dyn FnMut(&str, Op, &str) -> std::io::Result<()>,
    ) -> Result<(), HubError> {
        let tx = self.tx()?;
        let portal = tx.bind(
            &format!(
                "SELECT tbl, op, data FROM hub_changes WHERE version > $1 AND version <= $2\
                 {filter} ORDER BY version, seq"
            ),
            &[&since as &(dyn ToSql + Sync), &current],
        )?;
        loop {
            let rows = tx.query_portal(&portal, FETCH_ROWS)?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in &rows {
                let table: &str = row.try_get(0)?;
                let op: &str = row.try_get(1)?;
                let data: &str = row.try_get(2)?;
                each(table, Op::parse(op).unwrap_or(Op::Upsert), data)?;
            }
        }
    }

    fn each_row(
        &mut self,
        sql: &str,
        columns: usize,
        each: &mut dyn FnMut(&[Value]) -> std::io::Result<()>,
    ) -> Result<(), HubError> {
        let tx = self.tx()?;
        let portal = tx.bind(sql, &[])?;
        let mut values = Vec::with_capacity(columns);
        loop {
            let rows = tx.query_portal(&portal, FETCH_ROWS)?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in &rows {
                values.clear();
                for i in 0..columns {
                    values.push(wire_value(row, i)?);
                }
                each(&values)?;
            }
        }
    }
}

impl HubStore for PgHub {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn version(&self) -> Result<i64, HubError> {
        current_version(&mut *self.conn()?)
    }

    fn epoch(&self) -> Result<String, HubError> {
        Ok(self
            .conn()?
            .query_opt("SELECT value FROM hub_meta WHERE key = 'epoch'", &[])?
            .map(|r| r.get(0))
            .unwrap_or_default())
    }

    fn import_with(
        &self,
        dir: &Path,
        today: NaiveDate,
        options: dataset::ImportOptions,
    ) -> Result<ImportSummary, HubError> {
        let started = std::time::Instant::now();
        let mut conn = self.conn()?;
        let (version, new_version, upserts, deletes) =
            import::load(&mut conn, dir, today, options)?;
        Ok(ImportSummary {
            version,
            new_version,
            upserts,
            deletes,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    fn write_answer(
        &self,
        out: &mut dyn Write,
        ask: &Ask<'_>,
        key: &ed25519_dalek::SigningKey,
    ) -> Result<(), HubError> {
        let mut conn = self.conn()?;
        // Most calls are "no change": one statement (one snapshot of the database) tells,
        // and the answer needs nothing more.
        let at = position(&mut *conn)?;
        if crate::store::plan(ask.since, ask.epoch, &at.0, at.1, at.2) == Kind::None {
            return crate::store::write_answer_with(
                &mut PgAnswer {
                    tx: None,
                    at: Some(at),
                },
                out,
                ask,
                key,
            );
        }
        // Otherwise one REPEATABLE READ snapshot for the whole answer.
        let mut tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        crate::store::write_answer_with(
            &mut PgAnswer {
                tx: Some(&mut tx),
                at: None,
            },
            out,
            ask,
            key,
        )?;
        tx.commit()?;
        Ok(())
    }

    fn take_nonce(&self, call: &Verified, now: i64) -> Result<(), AuthError> {
        let busy = |e: HubError| {
            tracing::warn!(error = %e, "nonce check failed");
            AuthError::Busy
        };
        let mut conn = self.conn().map_err(busy)?;
        let expires = call.timestamp.saturating_add(WINDOW_SECS);
        // A live entry with this nonce is a replay; an expired one may be taken again
        // (its call would be refused as stale anyway).
        // Sent with its types: one round trip, no separate prepare.
        let taken = conn
            .query_typed(
                "INSERT INTO hub_nonces (cons_id, nonce, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (cons_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at \
                 WHERE hub_nonces.expires_at < $4 RETURNING 1",
                &[
                    (&call.cons_id, Type::TEXT),
                    (&call.nonce, Type::TEXT),
                    (&expires, Type::INT8),
                    (&now, Type::INT8),
                ],
            )
            .map_err(|e| busy(pg(e)))?
            .len();
        let last = self.nonces_pruned.load(Ordering::Relaxed);
        if now - last >= 60
            && self
                .nonces_pruned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let _ = conn.execute("DELETE FROM hub_nonces WHERE expires_at < $1", &[&now]);
        }
        if taken == 1 {
            Ok(())
        } else {
            Err(AuthError::Replayed)
        }
    }

    fn has_reference(&self, reference: &str) -> Result<bool, HubError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT 1 FROM hub_requests WHERE reference = $1",
                &[&reference],
            )?
            .is_some())
    }

    fn facility(&self, code: &str) -> Result<Option<(String, bool)>, HubError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT type, active FROM facilities WHERE code = $1",
                &[&code],
            )?
            .map(|r| (r.get(0), r.get::<_, i64>(1) != 0)))
    }

    fn conflicting_request(
        &self,
        req: &SubmitBody,
        month: Option<&str>,
    ) -> Result<Option<String>, HubError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT reference FROM hub_requests \
                 WHERE kind = $2 AND reference <> $3 AND ( \
                   (card_no = $1 AND state = 'RECEIVED') \
                   OR (state IN ('RECEIVED', 'APPROVED') \
                       AND substr(change::jsonb ->> 'effective_date', 1, 7) = $4 \
                       AND (card_no = $1 OR (kind = 'KELAS' AND card_no IN ( \
                            SELECT card_no FROM members WHERE kk_no = \
                              (SELECT kk_no FROM members WHERE card_no = $1)))))) \
                 ORDER BY id LIMIT 1",
                &[&req.card_no, &req.kind, &req.reference, &month],
            )?
            .map(|r| r.get(0)))
    }

    fn insert_request(
        &self,
        cons_id: &str,
        body: &SubmitBody,
        received_at: &str,
    ) -> Result<(bool, RequestRow), HubError> {
        let change = serde_json::to_string(&body.change).unwrap_or_default();
        let mut conn = self.conn()?;
        let inserted = conn.execute(
            "INSERT INTO hub_requests (reference, cons_id, kind, card_no, change, created_at, \
             received_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'RECEIVED') \
             ON CONFLICT (reference) DO NOTHING",
            &[
                &body.reference,
                &cons_id,
                &body.kind,
                &body.card_no,
                &change,
                &body.created_at,
                &received_at,
            ],
        )?;
        let row = request_by(&mut *conn, &body.reference, false)?
            .ok_or_else(|| HubError::UnknownRequest(body.reference.clone()))?;
        Ok((inserted == 1, row))
    }

    fn record_flag(
        &self,
        cons_id: &str,
        reference: &str,
        code: &str,
        detail: &str,
    ) -> Result<(), HubError> {
        self.conn()?.execute(
            "INSERT INTO hub_flags (at, cons_id, reference, code, detail) VALUES ($1, $2, $3, $4, $5)",
            &[&chrono::Utc::now().to_rfc3339(), &cons_id, &reference, &code, &detail],
        )?;
        Ok(())
    }

    fn flags(&self) -> Result<Vec<FlagRow>, HubError> {
        let rows = self.conn()?.query(
            "SELECT at, cons_id, reference, code, detail FROM hub_flags ORDER BY id DESC",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(FlagRow {
                    at: r.try_get(0)?,
                    cons_id: r.try_get(1)?,
                    reference: r.try_get(2)?,
                    code: r.try_get(3)?,
                    detail: r.try_get(4)?,
                })
            })
            .collect()
    }

    fn requests(&self) -> Result<Vec<RequestRow>, HubError> {
        let rows = self.conn()?.query(
            &format!("SELECT {REQUEST_COLUMNS} FROM hub_requests ORDER BY id DESC"),
            &[],
        )?;
        rows.iter().map(request_row).collect()
    }

    fn decide(
        &self,
        id_or_reference: &str,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<RequestRow, HubError> {
        crate::validate::check_reason(reason)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_VERSION])?;
        let row = match id_or_reference.parse::<i64>() {
            Ok(id) => tx
                .query_opt(
                    &format!("SELECT {REQUEST_COLUMNS} FROM hub_requests WHERE id = $1 FOR UPDATE"),
                    &[&id],
                )?
                .as_ref()
                .map(request_row)
                .transpose()?,
            Err(_) => request_by(&mut tx, id_or_reference, true)?,
        }
        .ok_or_else(|| HubError::UnknownRequest(id_or_reference.to_owned()))?;
        if row.state != "RECEIVED" {
            return Err(HubError::AlreadyDecided {
                reference: row.reference,
                state: row.state,
            });
        }
        let state = if approve { "APPROVED" } else { "REJECTED" };
        let now = chrono::Utc::now().to_rfc3339();
        tx.execute(
            "UPDATE hub_requests SET state = $2, reason = $3, decided_at = $4 WHERE id = $1",
            &[&row.id, &state, &reason, &now],
        )?;
        let version = current_version(&mut tx)? + 1;
        tx.execute(
            "INSERT INTO hub_versions (version, created_at, kind, source, upserts, deletes) \
             VALUES ($1, $2, 'DECISION', $3, 1, 0)",
            &[&version, &now, &row.reference],
        )?;
        let values = crate::sqlite::decision_values(&row, state, reason, &now);
        tx.execute(
            "INSERT INTO hub_changes (version, tbl, op, data) VALUES ($1, 'request_status', 'u', $2)",
            &[&version, &Value::Array(values).to_string()],
        )?;
        tx.execute(
            "INSERT INTO request_status (reference, state, reason, decided_at, content_sha256) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (reference) DO UPDATE SET \
             state = EXCLUDED.state, reason = EXCLUDED.reason, decided_at = EXCLUDED.decided_at, \
             content_sha256 = EXCLUDED.content_sha256",
            &[&row.reference, &state, &reason, &now, &row.content_sha256],
        )?;
        tx.commit()?;
        Ok(RequestRow {
            state: state.into(),
            reason: reason.map(str::to_owned),
            decided_at: Some(now),
            ..row
        })
    }

    fn heartbeat(&self, cons_id: &str, health: &Value) -> Result<(), HubError> {
        self.conn()?.execute(
            "INSERT INTO hub_fleet (cons_id, last_seen, heartbeats, health) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (cons_id) DO UPDATE SET last_seen = EXCLUDED.last_seen, \
             heartbeats = hub_fleet.heartbeats + 1, health = EXCLUDED.health",
            &[
                &cons_id,
                &chrono::Utc::now().to_rfc3339(),
                &health.to_string(),
            ],
        )?;
        Ok(())
    }

    fn lookup_family(&self, id: &str, birth_date: &str) -> Result<Option<Family>, HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let Some(kk) = tx.query_opt(
            "SELECT kk_no FROM members WHERE (nik = $1 OR card_no = $1) AND birth_date = $2 LIMIT 1",
            &[&id, &birth_date],
        )?
        else {
            return Ok(None);
        };
        let kk: String = kk.get(0);
        let mut family = Family::default();
        for (table, out) in [
            ("members", &mut family.members),
            ("bills", &mut family.bills),
        ] {
            let spec = tables::table(table).ok_or_else(|| HubError::BadRequest(table.into()))?;
            let rows = tx.query(
                &format!(
                    "SELECT {} FROM {table} WHERE kk_no = $1",
                    spec.columns.join(", ")
                ),
                &[&kk],
            )?;
            for row in &rows {
                out.push(
                    (0..spec.columns.len())
                        .map(|i| wire_value(row, i))
                        .collect::<Result<_, _>>()?,
                );
            }
        }
        tx.commit()?;
        Ok(Some(family))
    }

    /// Two round trips for a found family (three when it had failures to forget), where the
    /// provided method takes a dozen: each statement is sent with its types
    /// (`query_typed`: no separate prepare), the rate and the lock are one statement, and
    /// the family with its epoch and version is one read of one snapshot.
    fn lookup(&self, q: &LookupQuery<'_>) -> Result<LookupOutcome, HubError> {
        let mut conn = self.conn()?;
        let minute = q.now.div_euclid(60);
        let gate = conn.query_typed(
            "WITH old AS (DELETE FROM hub_lookup_rate WHERE cons_id = $1 AND minute < $2), \
             r AS (INSERT INTO hub_lookup_rate (cons_id, minute, calls) VALUES ($1, $2, 1) \
                   ON CONFLICT (cons_id, minute) \
                   DO UPDATE SET calls = hub_lookup_rate.calls + 1 RETURNING calls) \
             SELECT (SELECT calls FROM r), f.locked_until, f.key_hash IS NOT NULL \
             FROM (SELECT 1) one LEFT JOIN hub_lookup_failures f ON f.key_hash = $3",
            &[
                (&q.cons_id, Type::TEXT),
                (&minute, Type::INT8),
                (&q.key_hash, Type::TEXT),
            ],
        )?;
        let gate = gate
            .first()
            .ok_or_else(|| HubError::Postgres("lookup: no answer from the rate check".into()))?;
        let (calls, locked_until, had_failures): (i64, Option<i64>, bool) =
            (gate.try_get(0)?, gate.try_get(1)?, gate.try_get(2)?);
        if calls > LOOKUPS_PER_MINUTE {
            return Ok(LookupOutcome::Busy);
        }
        if let Some(until) = locked_until.filter(|u| *u > q.now) {
            return Ok(LookupOutcome::Locked(until - q.now));
        }
        let member =
            tables::table("members").ok_or_else(|| HubError::BadRequest("members".into()))?;
        let bill = tables::table("bills").ok_or_else(|| HubError::BadRequest("bills".into()))?;
        let json = |spec: &TableSpec, alias: &str| {
            let cols: Vec<String> = spec
                .columns
                .iter()
                .map(|c| format!("{alias}.{c}"))
                .collect();
            format!("json_build_array({})::text", cols.join(", "))
        };
        let rows = conn.query_typed(
            &format!(
                "WITH hit AS (SELECT kk_no FROM members \
                              WHERE (nik = $1 OR card_no = $1) AND birth_date = $2 LIMIT 1) \
                 SELECT 0, json_build_array((SELECT value FROM hub_meta WHERE key = 'epoch'), \
                        (SELECT coalesce(max(version), 0) FROM hub_versions))::text \
                   WHERE EXISTS (SELECT 1 FROM hit) \
                 UNION ALL SELECT 1, {} FROM members m WHERE m.kk_no = (SELECT kk_no FROM hit) \
                 UNION ALL SELECT 2, {} FROM bills b WHERE b.kk_no = (SELECT kk_no FROM hit)",
                json(member, "m"),
                json(bill, "b")
            ),
            &[(&q.id, Type::TEXT), (&q.birth_date, Type::TEXT)],
        )?;
        drop(conn);
        if rows.is_empty() {
            return Ok(match self.lookup_failed(q.key_hash, q.now)? {
                Some(until) => LookupOutcome::Locked(until - q.now),
                None => LookupOutcome::Mismatch,
            });
        }
        let mut family = Family::default();
        let (mut epoch, mut version) = (String::new(), 0);
        for row in &rows {
            let part: i32 = row.try_get(0)?;
            let text: String = row.try_get(1)?;
            let values: Vec<Value> = serde_json::from_str(&text)
                .map_err(|e| HubError::Postgres(format!("lookup: a row is not JSON: {e}")))?;
            match part {
                0 => {
                    epoch = values
                        .first()
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    version = values.get(1).and_then(Value::as_i64).unwrap_or_default();
                }
                1 => family.members.push(values),
                _ => family.bills.push(values),
            }
        }
        if had_failures {
            self.lookup_cleared(q.key_hash)?;
        }
        Ok(LookupOutcome::Found {
            family,
            epoch,
            version,
        })
    }

    fn versions(&self, limit: i64) -> Result<Vec<crate::store::VersionRow>, HubError> {
        self.conn()?
            .query(
                "SELECT version, created_at, kind, source, upserts, deletes FROM hub_versions \
                 ORDER BY version DESC LIMIT $1",
                &[&limit],
            )?
            .iter()
            .map(|r| {
                Ok(crate::store::VersionRow {
                    version: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    source: r.try_get(3)?,
                    upserts: r.try_get(4)?,
                    deletes: r.try_get(5)?,
                })
            })
            .collect()
    }

    fn row_counts(&self) -> Result<Vec<(&'static str, i64)>, HubError> {
        let mut conn = self.conn()?;
        // One statement: the counts of one snapshot.
        let specs: Vec<_> = tables::dataset_tables().collect();
        let parts: Vec<String> = specs
            .iter()
            .map(|t| format!("(SELECT count(*) FROM {})", t.name))
            .collect();
        let row = conn.query_one(&format!("SELECT {}", parts.join(", ")), &[])?;
        specs
            .iter()
            .enumerate()
            .map(|(i, t)| Ok((t.name, row.try_get::<_, i64>(i)?)))
            .collect()
    }

    fn wire_rows(
        &self,
        table: &str,
        filter: Option<(&str, &[String])>,
    ) -> Result<Vec<Vec<Value>>, HubError> {
        let spec = crate::store::wire_table(table, filter)?;
        let cols = spec.columns.join(", ");
        let mut conn = self.conn()?;
        let rows = match filter {
            Some((_, [])) => return Ok(Vec::new()),
            Some((column, values)) => conn.query(
                &format!("SELECT {cols} FROM {} WHERE {column} = ANY($1)", spec.name),
                &[&values],
            )?,
            None => conn.query(&format!("SELECT {cols} FROM {}", spec.name), &[])?,
        };
        rows.iter()
            .map(|row| {
                (0..spec.columns.len())
                    .map(|i| wire_value(row, i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect()
    }

    fn lookup_calls(&self, cons_id: &str, now: i64) -> Result<i64, HubError> {
        let minute = now.div_euclid(60);
        let mut conn = self.conn()?;
        conn.execute(
            "DELETE FROM hub_lookup_rate WHERE cons_id = $1 AND minute < $2",
            &[&cons_id, &minute],
        )?;
        Ok(conn
            .query_one(
                "INSERT INTO hub_lookup_rate (cons_id, minute, calls) VALUES ($1, $2, 1) \
                 ON CONFLICT (cons_id, minute) DO UPDATE SET calls = hub_lookup_rate.calls + 1 \
                 RETURNING calls",
                &[&cons_id, &minute],
            )?
            .get(0))
    }

    fn lookup_locked(&self, key_hash: &str, now: i64) -> Result<Option<i64>, HubError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT locked_until FROM hub_lookup_failures WHERE key_hash = $1",
                &[&key_hash],
            )?
            .and_then(|r| r.get::<_, Option<i64>>(0))
            .filter(|u| *u > now))
    }

    fn lookup_failed(&self, key_hash: &str, now: i64) -> Result<Option<i64>, HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let failures: i64 = tx
            .query_one(
                "INSERT INTO hub_lookup_failures (key_hash, window_start, failures) \
                 VALUES ($1, $2, 1) ON CONFLICT (key_hash) DO UPDATE SET \
                 failures = CASE WHEN hub_lookup_failures.window_start < $2 - $3 THEN 1 \
                            ELSE hub_lookup_failures.failures + 1 END, \
                 window_start = CASE WHEN hub_lookup_failures.window_start < $2 - $3 THEN $2 \
                            ELSE hub_lookup_failures.window_start END \
                 RETURNING failures",
                &[&key_hash, &now, &LOOKUP_WINDOW_SECS],
            )?
            .get(0);
        let locked = (failures >= LOOKUP_FAILURES).then_some(now + LOOKUP_LOCK_SECS);
        if let Some(until) = locked {
            tx.execute(
                "UPDATE hub_lookup_failures SET locked_until = $2, failures = 0, window_start = $3 \
                 WHERE key_hash = $1",
                &[&key_hash, &until, &now],
            )?;
        }
        tx.commit()?;
        Ok(locked)
    }

    fn lookup_cleared(&self, key_hash: &str) -> Result<(), HubError> {
        self.conn()?.execute(
            "DELETE FROM hub_lookup_failures WHERE key_hash = $1",
            &[&key_hash],
        )?;
        Ok(())
    }

    fn fleet(&self) -> Result<Vec<FleetRow>, HubError> {
        let rows = self.conn()?.query(
            "SELECT cons_id, last_seen, heartbeats, health FROM hub_fleet ORDER BY cons_id",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                let health: String = r.try_get(3)?;
                Ok(FleetRow {
                    cons_id: r.try_get(0)?,
                    last_seen: r.try_get(1)?,
                    heartbeats: r.try_get(2)?,
                    health: serde_json::from_str(&health).unwrap_or(Value::Null),
                })
            })
            .collect()
    }
}
