//! The hub's store, as one port ([`HubStore`]) with two implementations: SQLite for one
//! branch ([`crate::sqlite::SqliteHub`], the embedded default, `DATA/.hub/hub.db`) and
//! PostgreSQL for fleets of stateless replicas ([`crate::postgres::PgHub`],
//! `--database postgres://...`).
//!
//! A backend keeps the current rows (the kiosk's wire columns), the version log and the
//! recorded changes, the requests, integrity flags, the fleet, and the nonces it has taken.
//! What both do the same way lives here: the checks a submitted request passes, its
//! duplicate handling and signed acknowledgement, and which answer a kiosk gets.

use std::io::Write;
use std::path::{Path, PathBuf};

use anjungan_core::dataset::ImportOptions;
use anjungan_core::report::DiagReport;
use anjungan_core::sync::auth::{AuthError, Verified};
use anjungan_core::sync::client::{Ack, SubmitBody, ack_message, request_digest};
use anjungan_core::sync::keys;
use anjungan_core::sync::payload::{Header, Kind, PayloadWriter};
use anjungan_core::sync::tables::{self, Op};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::HubError;

/// Where the hub's state is: a SQLite file (one branch) or a PostgreSQL database (fleets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// A `postgres://` (or `postgresql://`) URL, libpq-style.
    Postgres(String),
}

impl Database {
    /// `--database URL` when given, else the SQLite file (`--state`, else `DATA/.hub/hub.db`).
    pub fn choose(
        url: Option<&str>,
        state: Option<&Path>,
        data: Option<&Path>,
    ) -> Result<Self, HubError> {
        match url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Self::Postgres(u.to_owned()))
            }
            Some(u) => match u.strip_prefix("sqlite:") {
                Some(path) => Ok(Self::Sqlite(PathBuf::from(path))),
                None => Err(HubError::BadRequest(format!(
                    "--database must be postgres://... or sqlite:PATH, not {:?}",
                    redact_url(u)
                ))),
            },
            None => match (state, data) {
                (Some(s), _) => Ok(Self::Sqlite(s.to_owned())),
                (None, Some(d)) => Ok(Self::Sqlite(default_state_path(d))),
                (None, None) => Err(HubError::BadRequest(
                    "give --database URL, --state FILE or --data DIR".into(),
                )),
            },
        }
    }

    /// Opens the store (creating and migrating it).
    pub fn open(&self) -> Result<Box<dyn HubStore>, HubError> {
        Ok(match self {
            Self::Sqlite(path) => Box::new(crate::sqlite::SqliteHub::open(path)?),
            Self::Postgres(url) => Box::new(crate::postgres::PgHub::connect(url)?),
        })
    }

    /// For logs and answers: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(p) => p.display().to_string(),
            Self::Postgres(u) => redact_url(u),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((auth, host)) => match auth.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// What a kiosk asks `GET /v1/sync` for.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// Its version (0: it has nothing, or data for other regions).
    pub since: i64,
    pub epoch: &'a str,
    pub nonce: &'a str,
    pub cons_id: &'a str,
    /// Its regions (`None`: all).
    pub regions: Option<&'a [String]>,
    /// The update its channel's rollout offers it ([`crate::updates::offer_for`]).
    pub update: Option<&'a anjungan_core::update::Offer>,
}

impl<'a> Ask<'a> {
    /// A kiosk of every region.
    pub fn all(since: i64, epoch: &'a str, nonce: &'a str, cons_id: &'a str) -> Self {
        Self {
            since,
            epoch,
            nonce,
            cons_id,
            regions: None,
            update: None,
        }
    }
}

/// The hub's store: what every command and the server ask of it. Implementations are
/// safe to share between threads (they pool or lock their connections) and block: the
/// server calls them from blocking threads.
pub trait HubStore:
    crate::staff::StaffStore
    + crate::kiosks::KioskStore
    + crate::counts::CountStore
    + crate::updates::UpdateStore
    + Send
    + Sync
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// The current version (0: nothing imported yet).
    fn version(&self) -> Result<i64, HubError>;

    /// This state's version history id.
    fn epoch(&self) -> Result<String, HubError>;

    /// Imports the dataset in `dir` as a new version if it differs from the current rows:
    /// checked whole by the kiosk's importer first (all or nothing).
    fn import_with(
        &self,
        dir: &Path,
        today: NaiveDate,
        options: ImportOptions,
    ) -> Result<ImportSummary, HubError>;

    /// Writes the whole answer to `ask` to `out`, from one consistent read of the state,
    /// signed with `key`.
    fn write_answer(
        &self,
        out: &mut dyn Write,
        ask: &Ask<'_>,
        key: &ed25519_dalek::SigningKey,
    ) -> Result<(), HubError>;

    /// Takes a verified call's nonce, once across everything that serves this state.
    fn take_nonce(&self, call: &Verified, now: i64) -> Result<(), AuthError>;

    /// Whether a request with this reference is held.
    fn has_reference(&self, reference: &str) -> Result<bool, HubError>;

    /// A facility's type and whether it is active.
    fn facility(&self, code: &str) -> Result<Option<(String, bool)>, HubError>;

    /// The request `req` duplicates, if any ([`crate::validate`] says which do).
    fn conflicting_request(
        &self,
        req: &SubmitBody,
        month: Option<&str>,
    ) -> Result<Option<String>, HubError>;

    /// Stores a request unless its reference is held; returns whether it was new, and the
    /// row as held.
    fn insert_request(
        &self,
        cons_id: &str,
        req: &SubmitBody,
        received_at: &str,
    ) -> Result<(bool, RequestRow), HubError>;

    /// Records an integrity event.
    fn record_flag(
        &self,
        cons_id: &str,
        reference: &str,
        code: &str,
        detail: &str,
    ) -> Result<(), HubError>;

    /// Integrity events, newest first.
    fn flags(&self) -> Result<Vec<FlagRow>, HubError>;

    /// Every request, newest first.
    fn requests(&self) -> Result<Vec<RequestRow>, HubError>;

    /// Approves or rejects a request (by id or reference), as a new version that carries
    /// the decision to every kiosk.
    fn decide(
        &self,
        id_or_reference: &str,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<RequestRow, HubError>;

    /// Records a heartbeat.
    fn heartbeat(&self, cons_id: &str, health: &Value) -> Result<(), HubError>;

    /// The family of the member whose NIK or card number is `id` and whose date of birth
    /// is `birth_date`, exactly; `None` otherwise.
    fn lookup_family(&self, id: &str, birth_date: &str) -> Result<Option<Family>, HubError>;

    /// Counts a lookup by `cons_id` in the current minute; returns the minute's count.
    fn lookup_calls(&self, cons_id: &str, now: i64) -> Result<i64, HubError>;

    /// Until when the identifier (by its keyed hash) is locked, if it is.
    fn lookup_locked(&self, key_hash: &str, now: i64) -> Result<Option<i64>, HubError>;

    /// Counts a failed lookup of the identifier; returns until when it is now locked, when
    /// this failure locks it ([`LOOKUP_FAILURES`] within [`LOOKUP_WINDOW_SECS`]).
    fn lookup_failed(&self, key_hash: &str, now: i64) -> Result<Option<i64>, HubError>;

    /// Forgets the identifier's failures (it was found).
    fn lookup_cleared(&self, key_hash: &str) -> Result<(), HubError>;

    /// One whole lookup: counts the call against the kiosk's rate, refuses a locked
    /// identifier, then finds the family, clearing the identifier's failures when found
    /// and counting one when not. A backend may do the same in fewer round trips.
    fn lookup(&self, q: &LookupQuery<'_>) -> Result<LookupOutcome, HubError> {
        if self.lookup_calls(q.cons_id, q.now)? > LOOKUPS_PER_MINUTE {
            return Ok(LookupOutcome::Busy);
        }
        if let Some(until) = self.lookup_locked(q.key_hash, q.now)? {
            return Ok(LookupOutcome::Locked(until - q.now));
        }
        match self.lookup_family(q.id, q.birth_date)? {
            Some(family) => {
                self.lookup_cleared(q.key_hash)?;
                Ok(LookupOutcome::Found {
                    family,
                    epoch: self.epoch()?,
                    version: self.version()?,
                })
            }
            None => Ok(match self.lookup_failed(q.key_hash, q.now)? {
                Some(until) => LookupOutcome::Locked(until - q.now),
                None => LookupOutcome::Mismatch,
            }),
        }
    }

    /// The kiosks that have sent a heartbeat.
    fn fleet(&self) -> Result<Vec<FleetRow>, HubError>;

    /// The newest `limit` versions, newest first.
    fn versions(&self, limit: i64) -> Result<Vec<VersionRow>, HubError>;

    /// How many current rows each dataset table holds, in [`tables::dataset_tables`] order.
    fn row_counts(&self) -> Result<Vec<(&'static str, i64)>, HubError>;

    /// Current rows of a synced table in its wire columns: all of them, or those whose
    /// `column` is one of `values` (`column` must be one of the table's; values are bound,
    /// never spliced).
    fn wire_rows(
        &self,
        table: &str,
        filter: Option<(&str, &[String])>,
    ) -> Result<Vec<Vec<Value>>, HubError>;

    /// [`HubStore::import_with`] with the default options (an empty members.csv refused).
    fn import(&self, dir: &Path, today: NaiveDate) -> Result<ImportSummary, HubError> {
        self.import_with(dir, today, ImportOptions::default())
    }

    /// Stores a request exactly once, keyed by its reference. A repeat gets the first
    /// answer; the same reference with different content is refused; a duplicate of
    /// another request is taken and rejected at once, naming it. The answer is signed.
    fn submit(
        &self,
        cons_id: &str,
        body: &SubmitBody,
        key: &ed25519_dalek::SigningKey,
    ) -> Result<Ack, HubError> {
        let duplicate_of = crate::validate::check_submission(self, body)?;
        let digest = body.digest();
        if body.content_sha256 != digest {
            // The kiosk computed another digest for what arrived: refuse, and keep a trace.
            let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
            self.record_flag(
                &clip(cons_id, 64),
                &clip(&body.reference, 64),
                "CONTENT_MISMATCH",
                &clip(
                    &format!("kiosk stated {}, content is {digest}", body.content_sha256),
                    300,
                ),
            )?;
            tracing::warn!(code = "CONTENT_MISMATCH", "request integrity flag");
            return Err(HubError::ContentMismatch(body.reference.clone()));
        }
        let now = chrono::Utc::now().to_rfc3339();
        let (inserted, row) = self.insert_request(cons_id, body, &now)?;
        if !inserted && row.content_sha256 != digest {
            return Err(HubError::ReferenceConflict(body.reference.clone()));
        }
        // A duplicate is taken (never lost) and decided at once, like an officer's
        // rejection: it reaches every kiosk as a decision naming the request it duplicates.
        let row = match duplicate_of {
            Some(existing) if inserted => self.decide(
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
            duplicate: !inserted,
            content_sha256: row.content_sha256,
            signature,
        })
    }
}

/// Lookups one kiosk may make per minute.
pub const LOOKUPS_PER_MINUTE: i64 = 30;
/// Failed lookups of one identifier, across all kiosks, that lock it...
pub const LOOKUP_FAILURES: i64 = 5;
/// ...within this window...
pub const LOOKUP_WINDOW_SECS: i64 = 3_600;
/// ...for this long.
pub const LOOKUP_LOCK_SECS: i64 = 3_600;

/// The table and filter column of a [`HubStore::wire_rows`] call, checked against the
/// synced tables.
pub fn wire_table(
    table: &str,
    filter: Option<(&str, &[String])>,
) -> Result<&'static anjungan_core::sync::tables::TableSpec, HubError> {
    let spec = anjungan_core::sync::tables::table(table)
        .ok_or_else(|| HubError::BadRequest(format!("no synced table {table:?}")))?;
    if let Some((column, _)) = filter
        && !spec.columns.contains(&column)
    {
        return Err(HubError::BadRequest(format!(
            "{table} has no column {column:?}"
        )));
    }
    Ok(spec)
}

/// One lookup a kiosk asked for ([`HubStore::lookup`]).
#[derive(Debug, Clone, Copy)]
pub struct LookupQuery<'a> {
    pub cons_id: &'a str,
    /// The identifier's keyed hash: what limits and logs name instead of it.
    pub key_hash: &'a str,
    /// The NIK or card number.
    pub id: &'a str,
    pub birth_date: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// What a lookup came to.
#[derive(Debug, Clone, PartialEq)]
pub enum LookupOutcome {
    /// The family, with the epoch and version of the state it was read from.
    Found {
        family: Family,
        epoch: String,
        version: i64,
    },
    /// No member has this identifier and date of birth.
    Mismatch,
    /// The identifier is locked for this many more seconds.
    Locked(i64),
    /// The kiosk made too many lookups this minute.
    Busy,
}

/// A looked-up family: its members' and its bills' rows, in the wire columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Family {
    pub members: Vec<Vec<Value>>,
    pub bills: Vec<Vec<Value>>,
}

/// What a backend reads for one sync answer, all of it from one consistent read of its
/// state; [`write_answer_with`] decides and writes the answer from it.
pub trait AnswerReader {
    /// The epoch, the current version and the oldest version a delta may start from.
    fn position(&mut self) -> Result<(String, i64, i64), HubError>;
    /// How many recorded changes of versions `since + 1 ..= current` meet `filter`
    /// ([`crate::buckets::delta_filter`]).
    fn count_changes(&mut self, since: i64, current: i64, filter: &str) -> Result<i64, HubError>;
    /// The one number `sql` ([`crate::buckets::snapshot_count`]) selects.
    fn count(&mut self, sql: &str) -> Result<i64, HubError>;
    /// Each of those changes, in order: its table, op and values (JSON array text).
    fn each_change(
        &mut self,
        since: i64,
        current: i64,
        filter: &str,
        each: &mut dyn FnMut(&str, Op, &str) -> std::io::Result<()>,
    ) -> Result<(), HubError>;
    /// Each row `sql` ([`crate::buckets::snapshot_rows`]) selects, in the wire columns.
    fn each_row(
        &mut self,
        sql: &str,
        columns: usize,
        each: &mut dyn FnMut(&[Value]) -> std::io::Result<()>,
    ) -> Result<(), HubError>;
}

/// Writes the answer to `ask` from `r`: "no change", a delta, or a snapshot (also instead
/// of a delta that holds more changes than the snapshot's rows), for the kiosk's regions,
/// signed with `key`.
pub fn write_answer_with(
    r: &mut dyn AnswerReader,
    out: &mut dyn Write,
    ask: &Ask<'_>,
    key: &ed25519_dalek::SigningKey,
) -> Result<(), HubError> {
    let (hub_epoch, current, oldest) = r.position()?;
    let mut kind = plan(ask.since, ask.epoch, &hub_epoch, current, oldest);
    let filter = crate::buckets::delta_filter(ask.regions);
    if kind == Kind::Delta {
        let changes = r.count_changes(ask.since, current, &filter)?;
        if changes > crate::buckets::DELTA_CHECK
            && changes > r.count(&crate::buckets::snapshot_count(ask.regions))?
        {
            kind = Kind::Snapshot;
        }
    }
    let from = if kind == Kind::Snapshot { 0 } else { ask.since };
    let header = Header::new(
        kind,
        &hub_epoch,
        from,
        current,
        anjungan_core::sync::unix_now(),
        ask.nonce,
        ask.cons_id,
    )
    .for_regions(ask.regions)
    .offering(ask.update.cloned());
    let mut w = PayloadWriter::new(out, &header)?;
    match kind {
        Kind::None | Kind::Lookup => {}
        Kind::Delta => r.each_change(ask.since, current, &filter, &mut |table, op, data| {
            w.change_raw(table, op, data)
        })?,
        Kind::Snapshot => {
            for spec in tables::TABLES {
                let sql = crate::buckets::snapshot_rows(spec, ask.regions);
                r.each_row(&sql, spec.columns.len(), &mut |values| {
                    w.change(spec.name, Op::Upsert, values)
                })?;
            }
        }
    }
    w.finish(key)?;
    Ok(())
}

/// Which answer a kiosk at (`since`, `epoch`) gets, given the hub's `current` version and
/// the `oldest` version a delta may start from.
pub fn plan(since: i64, epoch: &str, hub_epoch: &str, current: i64, oldest: i64) -> Kind {
    if epoch != hub_epoch || since <= 0 || since > current || since < oldest {
        Kind::Snapshot
    } else if since == current {
        Kind::None
    } else {
        Kind::Delta
    }
}

impl RequestRow {
    /// Fills [`RequestRow::content_sha256`] from the stored content.
    pub fn with_digest(mut self) -> Self {
        self.content_sha256 = request_digest(
            &self.reference,
            &self.kind,
            &self.card_no,
            &self.change,
            &self.created_at,
        );
        self
    }
}

/// Where the hub keeps its state by default: `DIR/.hub/hub.db`.
pub fn default_state_path(data_dir: &Path) -> PathBuf {
    data_dir.join(".hub").join("hub.db")
}

/// One version of the hub's data (`hub_versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionRow {
    pub version: i64,
    pub created_at: String,
    /// `IMPORT` or `DECISION`.
    pub kind: String,
    /// The dataset directory of an import; the request of a decision.
    pub source: String,
    pub upserts: i64,
    pub deletes: i64,
}

/// What `hub import` did.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
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
        // The heartbeat is the kiosk's report; one this hub cannot read is flagged so.
        let report = serde_json::from_value::<DiagReport>(row.health.clone()).ok();
        let healthy = report.as_ref().map(|r| r.healthy);
        let problems = match &report {
            Some(r) => r
                .components()
                .iter()
                .filter(|(_, h)| !h.healthy)
                .map(|(name, h)| {
                    format!(
                        "{name}: {}: {}",
                        h.code.as_deref().unwrap_or("?"),
                        h.problem_en.as_deref().unwrap_or("")
                    )
                })
                .collect(),
            None => vec!["report: not a health report this hub can read".to_owned()],
        };
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
