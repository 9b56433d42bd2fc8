//! The hub's SQLite file: current rows (kiosk schema), version log, changes, requests, fleet.
//!
//! A new version is made in one transaction: the dataset is first loaded into a staging
//! database by the kiosk's own importer (every row checked, all or nothing), then diffed
//! against the current rows table by table on the key, and the changes are both recorded
//! and applied with the same code the kiosks use.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde_json::Value;

use super::HubError;
use anjungan_core::dataset;
use anjungan_core::store::{DbKey, DbRole, KEY_EPOCH, Store};
use anjungan_core::sync::client::{Ack, SubmitBody, ack_message, request_digest};
use anjungan_core::sync::keys;
use anjungan_core::sync::payload::{Header, Kind, PayloadWriter};
use anjungan_core::sync::tables::{self, Applier, Op, TableSpec};

const HUB_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS hub_versions (
    version    INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind       TEXT NOT NULL,       -- IMPORT or DECISION
    source     TEXT NOT NULL,
    upserts    INTEGER NOT NULL,
    deletes    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS hub_changes (
    seq     INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    tbl     TEXT NOT NULL,
    op      TEXT NOT NULL,          -- u or d
    data    TEXT NOT NULL           -- JSON array: the row (u) or its key (d)
);
CREATE INDEX IF NOT EXISTS hub_changes_version ON hub_changes(version, seq);
CREATE TABLE IF NOT EXISTS hub_requests (
    id          INTEGER PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    cons_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    card_no     TEXT NOT NULL,
    change      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    state       TEXT NOT NULL,      -- RECEIVED, APPROVED, REJECTED
    reason      TEXT,
    decided_at  TEXT
);
-- Integrity events: a kiosk's request whose stated digest did not match its content.
CREATE TABLE IF NOT EXISTS hub_flags (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    cons_id   TEXT NOT NULL,
    reference TEXT NOT NULL,
    code      TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hub_fleet (
    cons_id      TEXT PRIMARY KEY,
    last_seen    TEXT NOT NULL,
    heartbeats   INTEGER NOT NULL,
    health       TEXT NOT NULL
);
-- The oldest version a delta may start from; older kiosks get a snapshot.
"#;

/// Where the hub keeps its state by default: `DIR/.hub/hub.db`.
pub fn default_state_path(data_dir: &Path) -> PathBuf {
    data_dir.join(".hub").join("hub.db")
}

/// The hub's database.
pub struct HubStore {
    store: Store,
    path: PathBuf,
    /// The state's key, which the staging file of an import shares.
    key: DbKey,
}

/// What `hub import` did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// The current version after the import.
    pub version: i64,
    /// Whether a new version was made (false: the dataset did not change).
    pub new_version: bool,
    pub upserts: u64,
    pub deletes: u64,
    pub seconds: f64,
}

/// One request as the hub holds it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub reference: String,
    pub cons_id: String,
    pub kind: String,
    pub card_no: String,
    pub change: Value,
    pub created_at: String,
    pub received_at: String,
    pub state: String,
    pub reason: Option<String>,
    pub decided_at: Option<String>,
    /// [`request_digest`] of the content as stored: what the ack and the decision name.
    pub content_sha256: String,
}

/// One integrity event (`hub_flags`).
#[derive(Debug, Clone, Serialize)]
pub struct FlagRow {
    pub at: String,
    pub cons_id: String,
    pub reference: String,
    pub code: String,
    pub detail: String,
}

/// One kiosk as its heartbeats describe it.
#[derive(Debug, Clone, Serialize)]
pub struct FleetRow {
    pub cons_id: String,
    pub last_seen: String,
    pub heartbeats: i64,
    pub health: Value,
}

/// One kiosk in `hub fleet`: its last heartbeat, judged.
#[derive(Debug, Clone, Serialize)]
pub struct FleetStatus {
    pub cons_id: String,
    /// `None`: never heard from.
    pub last_seen: Option<String>,
    pub heartbeats: i64,
    /// Seconds since the last heartbeat.
    pub silent_secs: Option<i64>,
    /// No heartbeat for longer than the threshold (or never).
    pub silent: bool,
    /// The last report's verdict; `None` when it had none.
    pub healthy: Option<bool>,
    /// `SILENT`, `UNHEALTHY`.
    pub flags: Vec<&'static str>,
    /// The unhealthy components' problems, `component: CODE: English text`.
    pub problems: Vec<String>,
    pub health: Value,
}

impl FleetStatus {
    /// Judges a fleet row at `now`: silent after `silent_after_secs` without a heartbeat,
    /// unhealthy when its last report says so.
    pub fn judge(
        row: &FleetRow,
        now: chrono::DateTime<chrono::Utc>,
        silent_after_secs: i64,
    ) -> Self {
        let silent_secs = chrono::DateTime::parse_from_rfc3339(&row.last_seen)
            .ok()
            .map(|t| (now - t.to_utc()).num_seconds());
        let silent = silent_secs.is_none_or(|s| s > silent_after_secs);
        let healthy = row.health.get("healthy").and_then(Value::as_bool);
        let problems = ["printer", "dispenser", "sync", "database", "system"]
            .iter()
            .filter_map(|c| {
                let part = row.health.get(*c)?;
                (part.get("healthy")? == false).then(|| {
                    format!(
                        "{c}: {}: {}",
                        part.get("code").and_then(Value::as_str).unwrap_or("?"),
                        part.get("problem_en").and_then(Value::as_str).unwrap_or("")
                    )
                })
            })
            .collect();
        let mut flags = Vec::new();
        if silent {
            flags.push("SILENT");
        }
        if healthy == Some(false) {
            flags.push("UNHEALTHY");
        }
        Self {
            cons_id: row.cons_id.clone(),
            last_seen: Some(row.last_seen.clone()),
            heartbeats: row.heartbeats,
            silent_secs,
            silent,
            healthy,
            flags,
            problems,
            health: row.health.clone(),
        }
    }

    /// A kiosk the hub knows but never heard from.
    pub fn never_seen(cons_id: &str) -> Self {
        Self {
            cons_id: cons_id.to_owned(),
            last_seen: None,
            heartbeats: 0,
            silent_secs: None,
            silent: true,
            healthy: None,
            flags: vec!["SILENT"],
            problems: Vec::new(),
            health: Value::Null,
        }
    }
}

impl HubStore {
    /// Opens (creating) the hub state at `path`, encrypted with the hub's key (credential
    /// `hub-db-key`, else `hub.db.key` beside it).
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
        let conn = store.connection();
        conn.execute_batch(HUB_SCHEMA)?;
        if store.meta(KEY_EPOCH)?.is_none() {
            store.set_meta(KEY_EPOCH, &anjungan_core::sync::nonce())?;
        }
        let mut hub = Self {
            store,
            path: path.to_owned(),
            key,
        };
        hub.upgrade_decisions()?;
        Ok(hub)
    }

    /// Protocol 2: decisions made by an earlier hub carry no content digest. Adds it, from
    /// the stored request, to the decision rows and to the recorded changes (which deltas
    /// replay), once.
    fn upgrade_decisions(&mut self) -> Result<(), HubError> {
        let tx = self
            .store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
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

    pub fn connection(&mut self) -> &mut Connection {
        self.store.connection()
    }

    /// The current version (0: nothing imported yet).
    pub fn version(&mut self) -> Result<i64, HubError> {
        current_version(self.store.connection())
    }

    /// This state's version history id.
    pub fn epoch(&self) -> Result<String, HubError> {
        Ok(self.store.meta(KEY_EPOCH)?.unwrap_or_default())
    }

    /// Imports the dataset in `dir` as a new version if it differs from the current rows.
    /// A header-only `members.csv` is refused; see [`HubStore::import_with`].
    pub fn import(&mut self, dir: &Path, today: NaiveDate) -> Result<ImportSummary, HubError> {
        self.import_with(dir, today, dataset::ImportOptions::default())
    }

    /// [`HubStore::import`] with the importer's options (`--allow-empty`).
    pub fn import_with(
        &mut self,
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
            self.diff_and_apply(&staging, &dir.display().to_string())
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

    fn diff_and_apply(
        &mut self,
        staging: &Path,
        source: &str,
    ) -> Result<(i64, bool, u64, u64), HubError> {
        let conn = self.store.connection();
        // The staging file is encrypted with the state's own key.
        conn.execute(
            "ATTACH DATABASE ?1 AS new KEY ?2",
            [staging.display().to_string(), self.key.spec()],
        )?;
        let outcome = diff_in_tx(conn, source);
        let _ = conn.execute("DETACH DATABASE new", []);
        outcome
    }

    /// Stores a request exactly once, keyed by its reference. A repeat gets the first answer;
    /// the same reference with different content is refused.
    pub fn submit(
        &mut self,
        cons_id: &str,
        body: &SubmitBody,
        key: &ed25519_dalek::SigningKey,
    ) -> Result<Ack, HubError> {
        let duplicate_of = super::validate::check_submission(self.store.connection(), body)?;
        let digest = body.digest();
        if body.content_sha256 != digest {
            // The kiosk computed another digest for what arrived: refuse, and keep a trace.
            self.flag(
                cons_id,
                &body.reference,
                "CONTENT_MISMATCH",
                &format!("kiosk stated {}, content is {digest}", body.content_sha256),
            )?;
            return Err(HubError::ContentMismatch(body.reference.clone()));
        }
        let change = serde_json::to_string(&body.change).unwrap_or_default();
        let now = chrono::Utc::now().to_rfc3339();
        let tx = self
            .store
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
                now
            ],
        )?;
        let row = request_by(&tx, &body.reference)?
            .ok_or_else(|| HubError::UnknownRequest(body.reference.clone()))?;
        if inserted == 0 && row.content_sha256 != digest {
            return Err(HubError::ReferenceConflict(body.reference.clone()));
        }
        tx.commit()?;
        // A duplicate is taken (never lost) and decided at once, like an officer's
        // rejection: it reaches every kiosk as a decision naming the request it duplicates.
        let row = match duplicate_of {
            Some(existing) if inserted == 1 => self.decide(
                &body.reference,
                false,
                Some(&format!(
                    "Sudah ada permohonan {existing} untuk perubahan ini / \
                     request {existing} already covers this change"
                )),
            )?,
            _ => row,
        };
        let signature = keys::sign_b64(
            key,
            ack_message(
                &row.reference,
                &row.state,
                row.reason.as_deref(),
                &row.content_sha256,
            )
            .as_bytes(),
        );
        Ok(Ack {
            reference: row.reference,
            state: row.state,
            reason: row.reason,
            received_at: row.received_at,
            duplicate: inserted == 0,
            content_sha256: row.content_sha256,
            signature,
        })
    }

    /// Records an integrity event.
    fn flag(
        &mut self,
        cons_id: &str,
        reference: &str,
        code: &str,
        detail: &str,
    ) -> Result<(), HubError> {
        let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
        self.store.connection().execute(
            "INSERT INTO hub_flags (at, cons_id, reference, code, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                chrono::Utc::now().to_rfc3339(),
                clip(cons_id, 64),
                clip(reference, 64),
                code,
                clip(detail, 300)
            ],
        )?;
        tracing::warn!(code, "request integrity flag");
        Ok(())
    }

    /// Integrity events, newest first.
    pub fn flags(&mut self) -> Result<Vec<FlagRow>, HubError> {
        let conn = self.store.connection();
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

    /// Every request, newest first.
    pub fn requests(&mut self) -> Result<Vec<RequestRow>, HubError> {
        let conn = self.store.connection();
        let mut stmt = conn.prepare(&format!(
            "SELECT {REQUEST_COLUMNS} FROM hub_requests ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([], request_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Approves or rejects a request (by id or reference), as a new version that carries the
    /// decision to every kiosk.
    pub fn decide(
        &mut self,
        id_or_reference: &str,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<RequestRow, HubError> {
        super::validate::check_reason(reason)?;
        let tx = self
            .store
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
        let values = vec![
            Value::from(row.reference.clone()),
            Value::from(state),
            reason.map_or(Value::Null, Value::from),
            Value::from(now.clone()),
            Value::from(row.content_sha256.clone()),
        ];
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

    /// Records a heartbeat.
    pub fn heartbeat(&mut self, cons_id: &str, health: &Value) -> Result<(), HubError> {
        self.store.connection().execute(
            "INSERT INTO hub_fleet (cons_id, last_seen, heartbeats, health) VALUES (?1, ?2, 1, ?3) \
             ON CONFLICT (cons_id) DO UPDATE SET last_seen = excluded.last_seen, \
             heartbeats = heartbeats + 1, health = excluded.health",
            params![cons_id, chrono::Utc::now().to_rfc3339(), health.to_string()],
        )?;
        Ok(())
    }

    /// The kiosks that have sent a heartbeat.
    pub fn fleet(&mut self) -> Result<Vec<FleetRow>, HubError> {
        let conn = self.store.connection();
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
/// (a kiosk with no data gets a snapshot).
pub fn oldest_delta_base(conn: &Connection) -> Result<i64, HubError> {
    Ok(conn.query_row(
        "SELECT coalesce(min(version), 1) FROM hub_versions WHERE kind = 'IMPORT'",
        [],
        |r| r.get(0),
    )?)
}

fn diff_in_tx(conn: &mut Connection, source: &str) -> Result<(i64, bool, u64, u64), HubError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = current_version(&tx)? + 1;
    // Phase 1: record the changes (deletes children-first, then upserts parents-first).
    let specs: Vec<&TableSpec> = tables::dataset_tables().collect();
    let (mut upserts, mut deletes) = (0u64, 0u64);
    {
        let mut record = tx.prepare_cached(
            "INSERT INTO hub_changes (version, tbl, op, data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for spec in specs.iter().rev() {
            let keys = spec.key.join(", ");
            let sql = format!(
                "SELECT {keys} FROM main.{t} EXCEPT SELECT {keys} FROM new.{t}",
                t = spec.name
            );
            let mut stmt = tx.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let values: Vec<Value> = (0..spec.key.len())
                    .map(|i| tables::wire_value(row, i))
                    .collect::<Result<_, _>>()?;
                record.execute(params![
                    version,
                    spec.name,
                    "d",
                    Value::Array(values).to_string()
                ])?;
                deletes += 1;
            }
        }
        for spec in &specs {
            let cols = spec.columns.join(", ");
            let sql = format!(
                "SELECT {cols} FROM new.{t} EXCEPT SELECT {cols} FROM main.{t}",
                t = spec.name
            );
            let mut stmt = tx.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let values: Vec<Value> = (0..spec.columns.len())
                    .map(|i| tables::wire_value(row, i))
                    .collect::<Result<_, _>>()?;
                record.execute(params![
                    version,
                    spec.name,
                    "u",
                    Value::Array(values).to_string()
                ])?;
                upserts += 1;
            }
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
    tx.commit()?;
    Ok((version, true, upserts, deletes))
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
    })
    .map(|mut row| {
        row.content_sha256 = request_digest(
            &row.reference,
            &row.kind,
            &row.card_no,
            &row.change,
            &row.created_at,
        );
        row
    })
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

/// Which answer a kiosk at (`since`, `epoch`) gets.
pub fn plan(
    conn: &Connection,
    since: i64,
    epoch: &str,
    hub_epoch: &str,
) -> Result<(Kind, i64), HubError> {
    let current = current_version(conn)?;
    let kind = if epoch != hub_epoch
        || since <= 0
        || since > current
        || since < oldest_delta_base(conn)?
    {
        Kind::Snapshot
    } else if since == current {
        Kind::None
    } else {
        Kind::Delta
    };
    Ok((kind, current))
}

/// Writes the whole answer for a kiosk at (`since`, `epoch`) to `out`, reading inside one
/// read transaction so it is consistent. Returns the sink.
#[allow(clippy::too_many_arguments)]
pub fn write_answer<W: Write>(
    conn: &mut Connection,
    out: W,
    since: i64,
    epoch: &str,
    nonce: &str,
    cons_id: &str,
    key: &ed25519_dalek::SigningKey,
) -> Result<W, HubError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let hub_epoch: String = tx
        .query_row(
            "SELECT value FROM sync_meta WHERE key = ?1",
            [KEY_EPOCH],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    let (kind, current) = plan(&tx, since, epoch, &hub_epoch)?;
    let from = if kind == Kind::Snapshot { 0 } else { since };
    let header = Header::new(
        kind,
        &hub_epoch,
        from,
        current,
        anjungan_core::sync::unix_now(),
        nonce,
        cons_id,
    );
    let mut w = PayloadWriter::new(out, &header)?;
    match kind {
        Kind::None => {}
        Kind::Delta => {
            let mut stmt = tx.prepare(
                "SELECT tbl, op, data FROM hub_changes WHERE version > ?1 AND version <= ?2 \
                 ORDER BY version, seq",
            )?;
            let mut rows = stmt.query(params![since, current])?;
            while let Some(row) = rows.next()? {
                let table: String = row.get(0)?;
                let op: String = row.get(1)?;
                let data: String = row.get(2)?;
                w.change_raw(&table, Op::parse(&op).unwrap_or(Op::Upsert), &data)?;
            }
        }
        Kind::Snapshot => {
            for spec in tables::TABLES {
                let mut stmt = tx.prepare(&tables::select_all_sql(spec))?;
                let mut rows = stmt.query([])?;
                let n = spec.columns.len();
                let mut values = Vec::with_capacity(n);
                while let Some(row) = rows.next()? {
                    values.clear();
                    for i in 0..n {
                        values.push(tables::wire_value(row, i)?);
                    }
                    w.change(spec.name, Op::Upsert, &values)?;
                }
            }
        }
    }
    let out = w.finish(key)?;
    tx.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/small")
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn versions_are_made_only_by_changes_and_answers_follow_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let mut hub = HubStore::open(&dir.path().join("hub.db")).unwrap();
        let epoch = hub.epoch().unwrap();
        assert_eq!(hub.import(&fixture(), today()).unwrap().version, 1);
        let again = hub.import(&fixture(), today()).unwrap();
        assert!(!again.new_version);
        assert_eq!(again.version, 1);
        let conn = hub.connection();
        assert_eq!(plan(conn, 0, "", &epoch).unwrap(), (Kind::Snapshot, 1));
        assert_eq!(plan(conn, 1, "other", &epoch).unwrap(), (Kind::Snapshot, 1));
        assert_eq!(plan(conn, 7, &epoch, &epoch).unwrap(), (Kind::Snapshot, 1));
        assert_eq!(plan(conn, 1, &epoch, &epoch).unwrap(), (Kind::None, 1));
    }

    #[test]
    fn a_decision_is_a_version_and_cannot_be_made_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mut hub = HubStore::open(&dir.path().join("hub.db")).unwrap();
        hub.import(&fixture(), today()).unwrap();
        let key = keys::generate();
        let mut body = SubmitBody {
            reference: "AJ-00000-00001".into(),
            kind: "KELAS".into(),
            card_no: "0001000000011".into(),
            change: serde_json::json!({"to": 1}),
            created_at: "2026-11-22T03:00:00Z".into(),
            content_sha256: String::new(),
        };
        // A digest that does not fit the content is refused and flagged.
        body.content_sha256 = "0".repeat(64);
        assert!(matches!(
            hub.submit("k1", &body, &key),
            Err(HubError::ContentMismatch(_))
        ));
        assert_eq!(hub.flags().unwrap().len(), 1);
        assert_eq!(hub.flags().unwrap()[0].code, "CONTENT_MISMATCH");
        body.content_sha256 = body.digest();
        let ack = hub.submit("k1", &body, &key).unwrap();
        assert_eq!(ack.content_sha256, body.digest());
        assert!(!ack.duplicate);
        let row = hub.decide("AJ-00000-00001", true, None).unwrap();
        assert_eq!(row.state, "APPROVED");
        assert_eq!(hub.version().unwrap(), 2);
        assert!(matches!(
            hub.decide("1", false, Some("x")),
            Err(HubError::AlreadyDecided { .. })
        ));
        assert!(matches!(
            hub.decide("AJ-NOPE", true, None),
            Err(HubError::UnknownRequest(_))
        ));
        // A repeat after the decision gets the decided state, signed.
        let again = hub.submit("k1", &body, &key).unwrap();
        assert!(again.duplicate);
        assert_eq!(again.state, "APPROVED");
    }
}
