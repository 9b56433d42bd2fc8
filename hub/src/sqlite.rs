//! The hub on one SQLite file (one branch; the embedded default): current rows (kiosk
//! schema), version log, changes, requests, fleet. Nonces are kept in memory, since one
//! process serves the file.
//!
//! A new version is made in one transaction: the dataset is first loaded into a staging
//! database by the kiosk's own importer (every row checked, all or nothing), then diffed
//! against the current rows table by table on the key, and the changes are both recorded
//! and applied with the same code the kiosks use.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anjungan_core::dataset;
use anjungan_core::store::{DbKey, DbRole, KEY_EPOCH, Store};
use anjungan_core::sync::auth::{AuthError, NonceCache, Verified};
use anjungan_core::sync::client::SubmitBody;
use anjungan_core::sync::tables::{self, Applier, Op, TableSpec};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

mod counts;
mod kiosks;
mod staff;
mod updates;

use crate::HubError;
use crate::buckets;
use crate::store::{
    AnswerReader, Ask, Family, FlagRow, FleetRow, HubStore, ImportSummary, LOOKUP_FAILURES,
    LOOKUP_LOCK_SECS, LOOKUP_WINDOW_SECS, RequestRow,
};

/// The hub's own tables, one migration per version (`hub/migrations/sqlite/`), recorded
/// in `hub_schema_migrations`; the kiosk schema under them has its own (user_version).
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "requests_by_card",
        include_str!("../migrations/sqlite/0002_requests_by_card.sql"),
    ),
    (
        3,
        "buckets",
        include_str!("../migrations/sqlite/0003_buckets.sql"),
    ),
    (
        4,
        "lookups",
        include_str!("../migrations/sqlite/0004_lookups.sql"),
    ),
    (
        5,
        "console",
        include_str!("../migrations/sqlite/0005_console.sql"),
    ),
    (
        6,
        "kiosks",
        include_str!("../migrations/sqlite/0006_kiosks.sql"),
    ),
    (
        7,
        "counts",
        include_str!("../migrations/sqlite/0007_counts.sql"),
    ),
    (
        8,
        "jobs",
        include_str!("../migrations/sqlite/0008_jobs.sql"),
    ),
    (
        9,
        "updates",
        include_str!("../migrations/sqlite/0009_updates.sql"),
    ),
];

/// The hub's SQLite file.
pub struct SqliteHub {
    writer: Mutex<Store>,
    path: PathBuf,
    /// The state's key, which the staging file of an import and every reader share.
    key: DbKey,
    /// Connections for sync answers, reused.
    readers: Mutex<Vec<Connection>>,
    /// One process serves a SQLite file: its nonces are kept in memory.
    nonces: Mutex<NonceCache>,
}

/// The most nonces the hub remembers: far above what a fleet sends in twice the window
/// (a kiosk makes a handful of calls per cycle), small enough to bound memory (≈ 100 B each).
pub const NONCE_CAPACITY: usize = 1_000_000;

impl SqliteHub {
    /// Opens (creating) the hub state at `path`, encrypted with the hub's key (credential
    /// `hub-db-key`, else `hub.db.key` beside it), and brings its hub tables up to date.
    pub fn open(path: &Path) -> Result<Self, HubError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // `DATA/.hub/` holds member data: the hub's user only, when it is made here.
            let mut dir = std::fs::DirBuilder::new();
            dir.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
            dir.create(parent)?;
        }
        let key = DbKey::resolve(path, DbRole::Hub)?;
        let mut store = Store::open_with_key(path, &key)?;
        migrate(store.connection())?;
        if store.meta(KEY_EPOCH)?.is_none() {
            store.set_meta(KEY_EPOCH, &anjungan_core::sync::nonce())?;
        }
        upgrade_decisions(store.connection())?;
        Ok(Self {
            writer: Mutex::new(store),
            path: path.to_owned(),
            key,
            readers: Mutex::new(Vec::new()),
            nonces: Mutex::new(NonceCache::new(NONCE_CAPACITY)),
        })
    }

    /// The writer connection, for tests and benches that look inside.
    pub fn with_connection<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut store = self.writer()?;
        f(store.connection())
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, Store>, HubError> {
        self.writer
            .lock()
            .map_err(|_| HubError::BadRequest("hub state lock poisoned".into()))
    }

    fn reader(&self) -> Result<Connection, HubError> {
        if let Some(c) = self.readers.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(c);
        }
        Ok(anjungan_core::store::open_connection_as(
            &self.path,
            DbRole::Hub,
            false,
        )?)
    }

    fn give_back(&self, c: Connection) {
        if let Ok(mut v) = self.readers.lock()
            && v.len() < 16
        {
            v.push(c);
        }
    }
}

/// Applies the hub migrations `conn` lacks, each in its own transaction.
fn migrate(conn: &mut Connection) -> Result<(), HubError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS hub_schema_migrations (\
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let have: i64 = conn.query_row(
        "SELECT coalesce(max(version), 0) FROM hub_schema_migrations",
        [],
        |r| r.get(0),
    )?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if have > newest {
        return Err(HubError::BadRequest(format!(
            "the hub state is at schema version {have}, newer than this build's {newest}: \
             update anjungan-hub"
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > have) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO hub_schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![version, name, chrono::Utc::now().to_rfc3339()],
        )?;
        tx.commit()?;
        tracing::info!(version, name, "hub schema migrated");
    }
    Ok(())
}

/// Protocol 2: decisions made by an earlier hub carry no content digest. Adds it, from
/// the stored request, to the decision rows and to the recorded changes (which deltas
/// replay), once.
fn upgrade_decisions(conn: &mut Connection) -> Result<(), HubError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let old: Vec<(i64, String)> = tx
        .prepare(
            "SELECT seq, data FROM hub_changes WHERE tbl = 'request_status' AND op = 'u' \
             AND json_array_length(data) = 4",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut fixed = 0;
    for (seq, data) in old {
        let Ok(Value::Array(mut values)) = serde_json::from_str::<Value>(&data) else {
            continue;
        };
        let reference = values[0].as_str().unwrap_or_default().to_owned();
        let digest = request_by(&tx, &reference)?.map(|r| r.content_sha256);
        values.push(digest.clone().map_or(Value::Null, Value::from));
        tx.execute(
            "UPDATE hub_changes SET data = ?2 WHERE seq = ?1",
            params![seq, Value::Array(values).to_string()],
        )?;
        tx.execute(
            "UPDATE request_status SET content_sha256 = ?2 WHERE reference = ?1",
            params![reference, digest],
        )?;
        fixed += 1;
    }
    tx.commit()?;
    if fixed > 0 {
        tracing::info!(fixed, "decisions upgraded to protocol 2");
    }
    Ok(())
}

impl HubStore for SqliteHub {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn version(&self) -> Result<i64, HubError> {
        current_version(self.writer()?.connection())
    }

    fn epoch(&self) -> Result<String, HubError> {
        Ok(self.writer()?.meta(KEY_EPOCH)?.unwrap_or_default())
    }

    fn import_with(
        &self,
        dir: &Path,
        today: NaiveDate,
        options: dataset::ImportOptions,
    ) -> Result<ImportSummary, HubError> {
        let started = std::time::Instant::now();
        let staging = self
            .path
            .with_file_name(format!("staging-{}.db", std::process::id()));
        remove_db(&staging);
        let result = (|| {
            {
                // Member rows land here too: encrypted with the state's own key.
                let mut s = Store::open_with_key(&staging, &self.key)?;
                dataset::import_dir_with(&mut s, dir, today, options)?;
            }
            let mut store = self.writer()?;
            let conn = store.connection();
            // The staging file is encrypted with the state's own key.
            conn.execute(
                "ATTACH DATABASE ?1 AS new KEY ?2",
                [staging.display().to_string(), self.key.spec()],
            )?;
            let outcome = diff_in_tx(conn, &dir.display().to_string());
            let _ = conn.execute("DETACH DATABASE new", []);
            outcome
        })();
        remove_db(&staging);
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
        let mut conn = self.reader()?;
        let result = write_answer(&mut conn, out, ask, key);
        // A transaction left open by an abort is rolled back when `conn` is dropped.
        if result.is_ok() && conn.is_autocommit() {
            self.give_back(conn);
        }
        result
    }

    fn take_nonce(&self, call: &Verified, now: i64) -> Result<(), AuthError> {
        let mut nonces = self.nonces.lock().map_err(|_| AuthError::Busy)?;
        nonces.check_and_remember(call, now)
    }

    fn has_reference(&self, reference: &str) -> Result<bool, HubError> {
        let mut store = self.writer()?;
        let known: Option<i64> = store
            .connection()
            .query_row(
                "SELECT 1 FROM hub_requests WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
            .optional()?;
        Ok(known.is_some())
    }

    fn facility(&self, code: &str) -> Result<Option<(String, bool)>, HubError> {
        let mut store = self.writer()?;
        Ok(store
            .connection()
            .query_row(
                "SELECT type, active FROM facilities WHERE code = ?1",
                [code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    fn conflicting_request(
        &self,
        req: &SubmitBody,
        month: Option<&str>,
    ) -> Result<Option<String>, HubError> {
        let mut store = self.writer()?;
        Ok(store
            .connection()
            .query_row(
                "SELECT reference FROM hub_requests \
                 WHERE kind = ?2 AND reference <> ?3 AND ( \
                   (card_no = ?1 AND state = 'RECEIVED') \
                   OR (state IN ('RECEIVED', 'APPROVED') \
                       AND substr(json_extract(change, '$.effective_date'), 1, 7) = ?4 \
                       AND (card_no = ?1 OR (kind = 'KELAS' AND card_no IN ( \
                            SELECT card_no FROM members WHERE kk_no = \
                              (SELECT kk_no FROM members WHERE card_no = ?1)))))) \
                 ORDER BY id LIMIT 1",
                params![req.card_no, req.kind, req.reference, month],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn insert_request(
        &self,
        cons_id: &str,
        body: &SubmitBody,
        received_at: &str,
    ) -> Result<(bool, RequestRow), HubError> {
        let change = serde_json::to_string(&body.change).unwrap_or_default();
        let mut store = self.writer()?;
        let tx = store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO hub_requests (reference, cons_id, kind, card_no, change, created_at, \
             received_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'RECEIVED') \
             ON CONFLICT (reference) DO NOTHING",
            params![
                body.reference,
                cons_id,
                body.kind,
                body.card_no,
                change,
                body.created_at,
                received_at
            ],
        )?;
        let row = request_by(&tx, &body.reference)?
            .ok_or_else(|| HubError::UnknownRequest(body.reference.clone()))?;
        tx.commit()?;
        Ok((inserted == 1, row))
    }

    fn record_flag(
        &self,
        cons_id: &str,
        reference: &str,
        code: &str,
        detail: &str,
    ) -> Result<(), HubError> {
        self.writer()?.connection().execute(
            "INSERT INTO hub_flags (at, cons_id, reference, code, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![chrono::Utc::now().to_rfc3339(), cons_id, reference, code, detail],
        )?;
        Ok(())
    }

    fn flags(&self) -> Result<Vec<FlagRow>, HubError> {
        let mut store = self.writer()?;
        let conn = store.connection();
        let mut stmt = conn.prepare(
            "SELECT at, cons_id, reference, code, detail FROM hub_flags ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FlagRow {
                at: r.get(0)?,
                cons_id: r.get(1)?,
                reference: r.get(2)?,
                code: r.get(3)?,
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn requests(&self) -> Result<Vec<RequestRow>, HubError> {
        let mut store = self.writer()?;
        let conn = store.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {REQUEST_COLUMNS} FROM hub_requests ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([], request_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn decide(
        &self,
        id_or_reference: &str,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<RequestRow, HubError> {
        crate::validate::check_reason(reason)?;
        let mut store = self.writer()?;
        let tx = store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = match id_or_reference.parse::<i64>() {
            Ok(id) => tx
                .query_row(
                    &format!("SELECT {REQUEST_COLUMNS} FROM hub_requests WHERE id = ?1"),
                    [id],
                    request_row,
                )
                .optional()?,
            Err(_) => request_by(&tx, id_or_reference)?,
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
            "UPDATE hub_requests SET state = ?2, reason = ?3, decided_at = ?4 WHERE id = ?1",
            params![row.id, state, reason, now],
        )?;
        let version = current_version(&tx)? + 1;
        tx.execute(
            "INSERT INTO hub_versions (version, created_at, kind, source, upserts, deletes) \
             VALUES (?1, ?2, 'DECISION', ?3, 1, 0)",
            params![version, now, row.reference],
        )?;
        let values = decision_values(&row, state, reason, &now);
        tx.execute(
            "INSERT INTO hub_changes (version, tbl, op, data) VALUES (?1, 'request_status', 'u', ?2)",
            params![version, Value::Array(values.clone()).to_string()],
        )?;
        let mut applier = Applier::new(&tx);
        applier.apply("request_status", Op::Upsert, &values)?;
        applier.finish()?;
        tx.commit()?;
        Ok(RequestRow {
            state: state.into(),
            reason: reason.map(str::to_owned),
            decided_at: Some(now),
            ..row
        })
    }

    fn heartbeat(&self, cons_id: &str, health: &Value) -> Result<(), HubError> {
        self.writer()?.connection().execute(
            "INSERT INTO hub_fleet (cons_id, last_seen, heartbeats, health) VALUES (?1, ?2, 1, ?3) \
             ON CONFLICT (cons_id) DO UPDATE SET last_seen = excluded.last_seen, \
             heartbeats = heartbeats + 1, health = excluded.health",
            params![cons_id, chrono::Utc::now().to_rfc3339(), health.to_string()],
        )?;
        Ok(())
    }

    fn lookup_family(&self, id: &str, birth_date: &str) -> Result<Option<Family>, HubError> {
        let mut conn = self.reader()?;
        let kk: Option<String> = conn
            .query_row(
                "SELECT kk_no FROM members WHERE (nik = ?1 OR card_no = ?1) AND birth_date = ?2 \
                 LIMIT 1",
                params![id, birth_date],
                |r| r.get(0),
            )
            .optional()?;
        let family = match kk {
            Some(kk) => {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                let family = Family {
                    members: family_rows(&tx, "members", &kk)?,
                    bills: family_rows(&tx, "bills", &kk)?,
                };
                tx.commit()?;
                Some(family)
            }
            None => None,
        };
        self.give_back(conn);
        Ok(family)
    }

    fn versions(&self, limit: i64) -> Result<Vec<crate::store::VersionRow>, HubError> {
        let conn = self.reader()?;
        let rows = {
            let mut stmt = conn.prepare(
                "SELECT version, created_at, kind, source, upserts, deletes FROM hub_versions \
                 ORDER BY version DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(crate::store::VersionRow {
                    version: r.get(0)?,
                    created_at: r.get(1)?,
                    kind: r.get(2)?,
                    source: r.get(3)?,
                    upserts: r.get(4)?,
                    deletes: r.get(5)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        self.give_back(conn);
        Ok(rows)
    }

    fn row_counts(&self) -> Result<Vec<(&'static str, i64)>, HubError> {
        let conn = self.reader()?;
        let counts = tables::dataset_tables()
            .map(|t| {
                conn.query_row(&format!("SELECT count(*) FROM {}", t.name), [], |r| {
                    r.get(0)
                })
                .map(|n| (t.name, n))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.give_back(conn);
        Ok(counts)
    }

    fn wire_rows(
        &self,
        table: &str,
        filter: Option<(&str, &[String])>,
    ) -> Result<Vec<Vec<Value>>, HubError> {
        let spec = crate::store::wire_table(table, filter)?;
        let cols = spec.columns.join(", ");
        let (sql, values): (String, &[String]) = match filter {
            Some((_, [])) => return Ok(Vec::new()),
            Some((column, values)) => (
                format!(
                    "SELECT {cols} FROM {} WHERE {column} IN ({})",
                    spec.name,
                    vec!["?"; values.len()].join(", ")
                ),
                values,
            ),
            None => (format!("SELECT {cols} FROM {}", spec.name), &[]),
        };
        let conn = self.reader()?;
        let out = {
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(
                    (0..spec.columns.len())
                        .map(|i| tables::wire_value(row, i))
                        .collect::<Result<_, _>>()?,
                );
            }
            out
        };
        self.give_back(conn);
        Ok(out)
    }

    fn lookup_calls(&self, cons_id: &str, now: i64) -> Result<i64, HubError> {
        let minute = now.div_euclid(60);
        let mut store = self.writer()?;
        let conn = store.connection();
        conn.execute(
            "DELETE FROM hub_lookup_rate WHERE minute < ?1",
            [minute - 60],
        )?;
        Ok(conn.query_row(
            "INSERT INTO hub_lookup_rate (cons_id, minute, calls) VALUES (?1, ?2, 1) \
             ON CONFLICT (cons_id, minute) DO UPDATE SET calls = calls + 1 RETURNING calls",
            params![cons_id, minute],
            |r| r.get(0),
        )?)
    }

    fn lookup_locked(&self, key_hash: &str, now: i64) -> Result<Option<i64>, HubError> {
        let mut store = self.writer()?;
        let until: Option<Option<i64>> = store
            .connection()
            .query_row(
                "SELECT locked_until FROM hub_lookup_failures WHERE key_hash = ?1",
                [key_hash],
                |r| r.get(0),
            )
            .optional()?;
        Ok(until.flatten().filter(|u| *u > now))
    }

    fn lookup_failed(&self, key_hash: &str, now: i64) -> Result<Option<i64>, HubError> {
        let mut store = self.writer()?;
        let tx = store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let failures: i64 = tx.query_row(
            "INSERT INTO hub_lookup_failures (key_hash, window_start, failures) VALUES (?1, ?2, 1) \
             ON CONFLICT (key_hash) DO UPDATE SET \
               failures = CASE WHEN window_start < ?2 - ?3 THEN 1 ELSE failures + 1 END, \
               window_start = CASE WHEN window_start < ?2 - ?3 THEN ?2 ELSE window_start END \
             RETURNING failures",
            params![key_hash, now, LOOKUP_WINDOW_SECS],
            |r| r.get(0),
        )?;
        let locked = (failures >= LOOKUP_FAILURES).then_some(now + LOOKUP_LOCK_SECS);
        if let Some(until) = locked {
            tx.execute(
                "UPDATE hub_lookup_failures SET locked_until = ?2, failures = 0, window_start = ?3 \
                 WHERE key_hash = ?1",
                params![key_hash, until, now],
            )?;
        }
        tx.commit()?;
        Ok(locked)
    }

    fn lookup_cleared(&self, key_hash: &str) -> Result<(), HubError> {
        self.writer()?.connection().execute(
            "DELETE FROM hub_lookup_failures WHERE key_hash = ?1",
            [key_hash],
        )?;
        Ok(())
    }

    fn fleet(&self) -> Result<Vec<FleetRow>, HubError> {
        let mut store = self.writer()?;
        let conn = store.connection();
        let mut stmt = conn.prepare(
            "SELECT cons_id, last_seen, heartbeats, health FROM hub_fleet ORDER BY cons_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let health: String = r.get(3)?;
            Ok(FleetRow {
                cons_id: r.get(0)?,
                last_seen: r.get(1)?,
                heartbeats: r.get(2)?,
                health: serde_json::from_str(&health).unwrap_or(Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A family's rows of `table` (members or bills) in the wire columns.
fn family_rows(conn: &Connection, table: &str, kk_no: &str) -> Result<Vec<Vec<Value>>, HubError> {
    let spec = tables::table(table).ok_or_else(|| HubError::BadRequest(table.into()))?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM {table} WHERE kk_no = ?1",
        spec.columns.join(", ")
    ))?;
    let mut rows = stmt.query([kk_no])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(
            (0..spec.columns.len())
                .map(|i| tables::wire_value(row, i))
                .collect::<Result<_, _>>()?,
        );
    }
    Ok(out)
}

/// A decision as the `request_status` row every kiosk receives.
pub fn decision_values(
    row: &RequestRow,
    state: &str,
    reason: Option<&str>,
    now: &str,
) -> Vec<Value> {
    vec![
        Value::from(row.reference.clone()),
        Value::from(state),
        reason.map_or(Value::Null, Value::from),
        Value::from(now),
        Value::from(row.content_sha256.clone()),
    ]
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// The current version on any connection.
pub fn current_version(conn: &Connection) -> Result<i64, HubError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(version), 0) FROM hub_versions",
        [],
        |r| r.get(0),
    )?)
}

/// The oldest version a delta can start from: the first import's changes are not kept
/// (a kiosk with no data gets a snapshot), nor pruned ones.
pub fn oldest_delta_base(conn: &Connection) -> Result<i64, HubError> {
    let first: i64 = conn.query_row(
        "SELECT coalesce(min(version), 1) FROM hub_versions WHERE kind = 'IMPORT'",
        [],
        |r| r.get(0),
    )?;
    Ok(first.max(delta_base(conn)?))
}

fn diff_in_tx(conn: &mut Connection, source: &str) -> Result<(i64, bool, u64, u64), HubError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = current_version(&tx)? + 1;
    // The imported families' buckets, and the families that moved to another one.
    tx.execute_batch(
        "DROP TABLE IF EXISTS temp.new_buckets; DROP TABLE IF EXISTS temp.moved; \
         CREATE TEMP TABLE new_buckets (kk_no TEXT PRIMARY KEY, bucket TEXT NOT NULL) WITHOUT ROWID; \
         CREATE TEMP TABLE moved (kk_no TEXT PRIMARY KEY) WITHOUT ROWID;",
    )?;
    for sql in buckets::prepare("main.", "new.") {
        tx.execute(&sql, [])?;
    }
    // Phase 1: record the changes (deletes children-first, then upserts parents-first),
    // each with its bucket.
    let specs: Vec<&TableSpec> = tables::dataset_tables().collect();
    let (mut upserts, mut deletes) = (0u64, 0u64);
    {
        let mut record = tx.prepare_cached(
            "INSERT INTO hub_changes (version, tbl, op, data, bucket) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        // Each selected row is its values (the key for a delete), then its bucket.
        let mut record_all =
            |sql: &str, table: &str, op: &str, n: usize| -> Result<u64, HubError> {
                let mut stmt = tx.prepare(sql)?;
                let mut rows = stmt.query([])?;
                let mut count = 0;
                while let Some(row) = rows.next()? {
                    let values: Vec<Value> = (0..n)
                        .map(|i| tables::wire_value(row, i))
                        .collect::<Result<_, _>>()?;
                    let bucket: Option<String> = row.get(n)?;
                    record.execute(params![
                        version,
                        table,
                        op,
                        Value::Array(values).to_string(),
                        bucket
                    ])?;
                    count += 1;
                }
                Ok(count)
            };
        for spec in specs.iter().rev() {
            let sql = buckets::deleted_rows(spec, "main.", "new.");
            deletes += record_all(&sql, spec.name, "d", spec.key.len())?;
        }
        for spec in &specs {
            let sql = buckets::changed_rows(spec, "main.", "new.");
            upserts += record_all(&sql, spec.name, "u", spec.columns.len())?;
        }
    }
    if upserts + deletes == 0 && version > 1 {
        // Nothing changed: no new version. Dropping `tx` rolls back (nothing was recorded).
        return Ok((version - 1, false, 0, 0));
    }
    // Phase 2: apply the recorded changes to the current rows, as a kiosk would.
    {
        let mut stmt =
            tx.prepare("SELECT tbl, op, data FROM hub_changes WHERE version = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([version])?;
        let mut applier = Applier::new(&tx);
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            let op: String = row.get(1)?;
            let data: String = row.get(2)?;
            let values: Vec<Value> = serde_json::from_str(&data).unwrap_or_default();
            applier.apply(&table, Op::parse(&op).unwrap_or(Op::Upsert), &values)?;
        }
        applier.finish()?;
    }
    for sql in buckets::update("main.") {
        tx.execute(&sql, [])?;
    }
    let first = current_version(&tx)? == 0;
    tx.execute(
        "INSERT INTO hub_versions (version, created_at, kind, source, upserts, deletes) \
         VALUES (?1, ?2, 'IMPORT', ?3, ?4, ?5)",
        params![
            version,
            chrono::Utc::now().to_rfc3339(),
            source,
            upserts as i64,
            deletes as i64
        ],
    )?;
    if first {
        // Nobody can ask for a delta from version 0 (they get a snapshot): keep no changes.
        tx.execute("DELETE FROM hub_changes WHERE version = ?1", [version])?;
    }
    prune(&tx)?;
    tx.commit()?;
    Ok((version, true, upserts, deletes))
}

/// Forgets the changes of versions older than [`buckets::KEEP_DAYS`]; kiosks that far
/// behind get a snapshot.
fn prune(tx: &Connection) -> Result<(), HubError> {
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(buckets::KEEP_DAYS)).to_rfc3339();
    let base: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) FROM hub_versions WHERE created_at < ?1",
        [&cutoff],
        |r| r.get(0),
    )?;
    if base > delta_base(tx)? {
        let gone = tx.execute("DELETE FROM hub_changes WHERE version <= ?1", [base])?;
        tx.execute(
            "INSERT OR REPLACE INTO sync_meta (key, value) VALUES ('hub_delta_base', ?1)",
            [base.to_string()],
        )?;
        tracing::info!(base, gone, "change log pruned");
    }
    Ok(())
}

/// The version below which no changes are kept (pruned, or recorded before buckets).
fn delta_base(conn: &Connection) -> Result<i64, HubError> {
    Ok(conn
        .query_row(
            "SELECT CAST(value AS INTEGER) FROM sync_meta WHERE key = 'hub_delta_base'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .unwrap_or(0))
}

const REQUEST_COLUMNS: &str = "id, reference, cons_id, kind, card_no, change, created_at, \
                               received_at, state, reason, decided_at";

fn request_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    let change: String = r.get(5)?;
    Ok(RequestRow {
        id: r.get(0)?,
        reference: r.get(1)?,
        cons_id: r.get(2)?,
        kind: r.get(3)?,
        card_no: r.get(4)?,
        change: serde_json::from_str(&change).unwrap_or(Value::Null),
        created_at: r.get(6)?,
        received_at: r.get(7)?,
        state: r.get(8)?,
        reason: r.get(9)?,
        decided_at: r.get(10)?,
        content_sha256: String::new(),
    }
    .with_digest())
}

fn request_by(conn: &Connection, reference: &str) -> Result<Option<RequestRow>, HubError> {
    Ok(conn
        .query_row(
            &format!("SELECT {REQUEST_COLUMNS} FROM hub_requests WHERE reference = ?1"),
            [reference],
            request_row,
        )
        .optional()?)
}

/// Writes the whole answer to `ask` to `out`, reading inside one read transaction so it
/// is consistent.
fn write_answer(
    conn: &mut Connection,
    out: &mut dyn Write,
    ask: &Ask<'_>,
    key: &ed25519_dalek::SigningKey,
) -> Result<(), HubError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    crate::store::write_answer_with(&mut SqliteAnswer(&tx), out, ask, key)?;
    tx.commit()?;
    Ok(())
}

/// An answer read from one SQLite read transaction.
struct SqliteAnswer<'a>(&'a Connection);

impl AnswerReader for SqliteAnswer<'_> {
    fn position(&mut self) -> Result<(String, i64, i64), HubError> {
        let epoch: String = self
            .0
            .query_row(
                "SELECT value FROM sync_meta WHERE key = ?1",
                [KEY_EPOCH],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
        Ok((epoch, current_version(self.0)?, oldest_delta_base(self.0)?))
    }

    fn count_changes(&mut self, since: i64, current: i64, filter: &str) -> Result<i64, HubError> {
        Ok(self.0.query_row(
            &format!(
                "SELECT count(*) FROM hub_changes WHERE version > ?1 AND version <= ?2{filter}"
            ),
            params![since, current],
            |r| r.get(0),
        )?)
    }

    fn count(&mut self, sql: &str) -> Result<i64, HubError> {
        Ok(self.0.query_row(sql, [], |r| r.get(0))?)
    }

    fn each_change(
        &mut self,
        since: i64,
        current: i64,
        filter: &str,
        each: &mut dyn FnMut(&str, Op, &str) -> std::io::Result<()>,
    ) -> Result<(), HubError> {
        let mut stmt = self.0.prepare(&format!(
            "SELECT tbl, op, data FROM hub_changes WHERE version > ?1 AND version <= ?2\
             {filter} ORDER BY version, seq"
        ))?;
        let mut rows = stmt.query(params![since, current])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            let op: String = row.get(1)?;
            let data: String = row.get(2)?;
            each(&table, Op::parse(&op).unwrap_or(Op::Upsert), &data)?;
        }
        Ok(())
    }

    fn each_row(
        &mut self,
        sql: &str,
        columns: usize,
        each: &mut dyn FnMut(&[Value]) -> std::io::Result<()>,
    ) -> Result<(), HubError> {
        let mut stmt = self.0.prepare(sql)?;
        let mut rows = stmt.query([])?;
        let mut values = Vec::with_capacity(columns);
        while let Some(row) = rows.next()? {
            values.clear();
            for i in 0..columns {
                values.push(tables::wire_value(row, i)?);
            }
            each(&values)?;
        }
        Ok(())
    }
}
