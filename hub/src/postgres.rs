//! The hub on PostgreSQL: the state any number of stateless `anjungan-hub serve` replicas
//! share. Everything a replica answers comes from here (current rows, the change log,
//! requests, the nonces it took), so any replica answers any kiosk the same.
//!
//! An import is checked whole by the kiosk's own importer into a staging SQLite file in
//! the replica's scratch directory (encrypted with a key made for it and thrown away),
//! copied into temporary tables with `COPY`, then diffed against the current rows on the
//! key and applied, in one transaction. Writers that make versions (imports, decisions)
//! take one advisory lock, so version numbers stay a sequence across replicas.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anjungan_core::dataset;
use anjungan_core::store::{DbKey, Store};
use anjungan_core::sync::auth::{AuthError, Verified, WINDOW_SECS};
use anjungan_core::sync::client::SubmitBody;
use anjungan_core::sync::payload::Kind;
use anjungan_core::sync::tables::{self, Op, TableSpec};
use chrono::NaiveDate;
use postgres::types::{ToSql, Type};
use postgres::{IsolationLevel, NoTls, Row, Transaction};
use r2d2_postgres::PostgresConnectionManager;
use rusqlite::types::ValueRef;
use serde_json::Value;

use crate::HubError;
use crate::buckets;
use crate::store::{
    AnswerReader, Ask, Family, FlagRow, FleetRow, HubStore, ImportSummary, LOOKUP_FAILURES,
    LOOKUP_LOCK_SECS, LOOKUP_WINDOW_SECS, RequestRow,
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
    /// Where an import stages its dataset.
    scratch: PathBuf,
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
    pub fn connect(url: &str, scratch: &Path) -> Result<Self, HubError> {
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            HubError::BadRequest(format!("--database is not a PostgreSQL URL: {e}"))
        })?;
        check_local(&config)?;
        config.connect_timeout(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            config.application_name("anjungan-hub");
        }
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(15))
            .build(PostgresConnectionManager::new(config, NoTls))
            .map_err(pool_err)?;
        let hub = Self {
            pool,
            scratch: scratch.to_owned(),
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

/// Appends one field of a SQLite row in COPY's text format.
fn copy_field(out: &mut Vec<u8>, v: ValueRef<'_>) {
    match v {
        ValueRef::Null | ValueRef::Blob(_) => out.extend_from_slice(b"\\N"),
        ValueRef::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        ValueRef::Real(x) => {
            let _ = write!(out, "{x}");
        }
        ValueRef::Text(t) => {
            for &b in t {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
    }
}

/// Copies one table of the staging file into `target` (same columns as `spec`).
fn copy_table(
    tx: &mut Transaction<'_>,
    staging: &rusqlite::Connection,
    spec: &TableSpec,
    target: &str,
) -> Result<u64, HubError> {
    let cols = spec.columns.join(", ");
    let mut writer = tx.copy_in(&format!("COPY {target} ({cols}) FROM STDIN"))?;
    let mut stmt = staging.prepare(&format!("SELECT {cols} FROM {}", spec.name))?;
    let mut rows = stmt.query([])?;
    let mut buf = Vec::with_capacity(256 * 1024);
    while let Some(row) = rows.next()? {
        for i in 0..spec.columns.len() {
            if i > 0 {
                buf.push(b'\t');
            }
            copy_field(&mut buf, row.get_ref(i)?);
        }
        buf.push(b'\n');
        if buf.len() >= 256 * 1024 {
            writer.write_all(&buf)?;
            buf.clear();
        }
    }
    writer.write_all(&buf)?;
    Ok(writer.finish()?)
}

/// `json_build_array(a, b, ...)::text` of the columns, for the change log.
fn json_array(cols: &[&str], prefix: &str) -> String {
    let cols: Vec<String> = cols.iter().map(|c| format!("{prefix}{c}")).collect();
    format!("json_build_array({})::text", cols.join(", "))
}

impl PgHub {
    /// Loads the checked staging file into the database as the next version.
    fn load(
        &self,
        staging: &rusqlite::Connection,
        source: &str,
    ) -> Result<(i64, bool, u64, u64), HubError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_VERSION])?;
        let current = current_version(&mut tx)?;
        let version = current + 1;
        let specs: Vec<&TableSpec> = tables::dataset_tables().collect();
        let (mut upserts, mut deletes) = (0u64, 0u64);
        if current == 0 {
            // The first version: straight in. Nobody can ask for a delta from version 0
            // (they get a snapshot), so no changes are recorded.
            for spec in &specs {
                upserts += copy_table(&mut tx, staging, spec, spec.name)?;
            }
            tx.execute(
                &format!(
                    "INSERT INTO hub_buckets (kk_no, bucket) {}",
                    anjungan_core::sync::regions::bucket_sql("members")
                ),
                &[],
            )?;
        } else {
            for spec in &specs {
                tx.batch_execute(&format!(
                    "CREATE TEMP TABLE new_{t} (LIKE {t} INCLUDING DEFAULTS) ON COMMIT DROP",
                    t = spec.name
                ))?;
                copy_table(&mut tx, staging, spec, &format!("new_{}", spec.name))?;
                tx.batch_execute(&format!("ANALYZE new_{}", spec.name))?;
            }
            tx.batch_execute(
                "CREATE TEMP TABLE new_buckets (kk_no text PRIMARY KEY, bucket text NOT NULL) \
                 ON COMMIT DROP; CREATE TEMP TABLE moved (kk_no text PRIMARY KEY) ON COMMIT DROP",
            )?;
            for sql in buckets::prepare("", "new_") {
                tx.execute(&sql, &[])?;
            }
            // Deletes children-first, then upserts parents-first, as a kiosk applies them;
            // each change with its bucket.
            for spec in specs.iter().rev() {
                let t = spec.name;
                let keys = spec.key.join(", ");
                let gone = buckets::deleted_rows(spec, "", "new_");
                deletes += tx.execute(
                    &format!(
                        "INSERT INTO hub_changes (version, tbl, op, data, bucket) \
                         SELECT $1, '{t}', 'd', {}, g.bucket FROM ({gone}) g",
                        json_array(spec.key, "g.")
                    ),
                    &[&version],
                )?;
                tx.execute(
                    &format!("DELETE FROM {t} WHERE ({keys}) IN (SELECT {keys} FROM ({gone}) g)"),
                    &[],
                )?;
            }
            for spec in &specs {
                let t = spec.name;
                let cols = spec.columns.join(", ");
                let keys = spec.key.join(", ");
                let n = tx.execute(
                    &format!(
                        "INSERT INTO hub_changes (version, tbl, op, data, bucket) \
                         SELECT $1, '{t}', 'u', {}, c.bucket FROM ({}) c",
                        json_array(spec.columns, "c."),
                        buckets::changed_rows(spec, "", "new_")
                    ),
                    &[&version],
                )?;
                upserts += n;
                if n > 0 {
                    let set: Vec<String> = spec
                        .columns
                        .iter()
                        .filter(|c| !spec.key.contains(c))
                        .map(|c| format!("{c} = EXCLUDED.{c}"))
                        .collect();
                    let on_conflict = if set.is_empty() {
                        "DO NOTHING".to_owned()
                    } else {
                        format!("DO UPDATE SET {}", set.join(", "))
                    };
                    let changed =
                        format!("SELECT {cols} FROM new_{t} EXCEPT SELECT {cols} FROM {t}");
                    tx.execute(
                        &format!(
                            "INSERT INTO {t} ({cols}) ({changed}) ON CONFLICT ({keys}) {on_conflict}"
                        ),
                        &[],
                    )?;
                }
            }
            for sql in buckets::update("") {
                tx.execute(&sql, &[])?;
            }
            if upserts + deletes == 0 {
                // Nothing changed: no new version (dropping `tx` rolls back).
                return Ok((current, false, 0, 0));
            }
        }
        tx.execute(
            "INSERT INTO hub_versions (version, created_at, kind, source, upserts, deletes) \
             VALUES ($1, $2, 'IMPORT', $3, $4, $5)",
            &[
                &version,
                &chrono::Utc::now().to_rfc3339(),
                &source,
                &(upserts as i64),
                &(deletes as i64),
            ],
        )?;
        prune(&mut tx)?;
        tx.commit()?;
        Ok((version, true, upserts, deletes))
    }
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
        std::fs::create_dir_all(&self.scratch)?;
        let staging = self.scratch.join(format!(
            "staging-{}-{}.db",
            std::process::id(),
            anjungan_core::sync::nonce()
        ));
        let result = (|| {
            // Member rows land here: encrypted with a key that lives only in this process.
            let key = DbKey::random()?;
            let mut store = Store::open_with_key(&staging, &key)?;
            dataset::import_dir_with(&mut store, dir, today, options)?;
            self.load(store.connection(), &dir.display().to_string())
        })();
        for suffix in ["", "-wal", "-shm"] {
            let mut p = staging.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        let (version, new_version, upserts, deletes) = result?;
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
        let taken = conn
            .execute(
                "INSERT INTO hub_nonces (cons_id, nonce, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (cons_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at \
                 WHERE hub_nonces.expires_at < $4",
                &[&call.cons_id, &call.nonce, &expires, &now],
            )
            .map_err(|e| busy(pg(e)))?;
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

    fn lookup_calls(&self, cons_id: &str, now: i64) -> Result<i64, HubError> {
        let minute = now.div_euclid(60);
        let mut conn = self.conn()?;
        if minute % 10 == 0 {
            conn.execute(
                "DELETE FROM hub_lookup_rate WHERE minute < $1",
                &[&(minute - 60)],
            )?;
        }
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
