//! Imports into PostgreSQL: the dataset is checked by the kiosk's own rules
//! ([`dataset::check_dir`]) on one thread while its rows stream into `COPY` on another, with
//! nothing staged on disk. All in one transaction: a bad row anywhere aborts the `COPY` and
//! nothing changes.
//!
//! - The first version goes straight into the tables, which are emptied in the same
//!   transaction (so `COPY … FREEZE` applies) and whose indexes are dropped first and built
//!   once at the end, which is several times faster than maintaining them row by row.
//! - Later versions are copied into temporary tables, then diffed against the current rows
//!   on the key and applied; each difference is recorded as a change with its bucket.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use anjungan_core::dataset::{self, Cell, ImportError, ImportOptions, ImportReport, RowSink};
use anjungan_core::sync::tables::{self, TableSpec};
use chrono::NaiveDate;
use postgres::Transaction;

use super::{LOCK_VERSION, current_version, prune};
use crate::HubError;
use crate::buckets;

/// Bytes of `COPY` text gathered before they are handed to the database thread.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the checking thread and the database thread.
const IN_FLIGHT: usize = 16;

/// What the checking thread hands to the database thread, table by table.
enum Chunk {
    Begin(&'static TableSpec),
    Data(Vec<u8>),
    End,
}

/// Turns checked rows into `COPY` text and sends it on.
struct CopySink {
    to_db: SyncSender<Chunk>,
    buf: Vec<u8>,
}

impl CopySink {
    fn send(&self, chunk: Chunk) -> Result<(), ImportError> {
        // The database side stopped: its own error is the one reported.
        self.to_db
            .send(chunk)
            .map_err(|_| ImportError::Sink("the database stopped taking rows".into()))
    }
}

impl RowSink for CopySink {
    fn begin(&mut self, table: &'static TableSpec) -> Result<(), ImportError> {
        self.send(Chunk::Begin(table))
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ImportError> {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.buf.push(b'\t');
            }
            copy_cell(&mut self.buf, cell);
        }
        self.buf.push(b'\n');
        if self.buf.len() >= CHUNK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
            self.send(Chunk::Data(full))?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), ImportError> {
        if !self.buf.is_empty() {
            let rest = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
            self.send(Chunk::Data(rest))?;
        }
        self.send(Chunk::End)
    }
}

/// Appends one cell in `COPY`'s text format.
fn copy_cell(out: &mut Vec<u8>, cell: &Cell<'_>) {
    match cell {
        Cell::Null => out.extend_from_slice(b"\\N"),
        Cell::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Cell::Real(x) => {
            let _ = write!(out, "{x}");
        }
        Cell::Text(t) => {
            for &b in t.as_bytes() {
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

/// Runs `COPY` for each table the checking thread begins. Returns the rows copied, or
/// `None` when the checking thread stopped early (its result says why).
fn receive(
    tx: &mut Transaction<'_>,
    from_checker: &Receiver<Chunk>,
    first: bool,
) -> Result<Option<u64>, HubError> {
    let mut rows = 0;
    loop {
        let spec = match from_checker.recv() {
            Ok(Chunk::Begin(spec)) => spec,
            Ok(_) => return Err(HubError::Postgres("import: rows before their table".into())),
            // Every table was sent and the checker is done.
            Err(_) => return Ok(Some(rows)),
        };
        let target = if first {
            spec.name.to_owned()
        } else {
            tx.batch_execute(&format!(
                "CREATE TEMP TABLE new_{t} (LIKE {t} INCLUDING DEFAULTS) ON COMMIT DROP",
                t = spec.name
            ))?;
            format!("new_{}", spec.name)
        };
        let freeze = if first { " WITH (FREEZE)" } else { "" };
        let mut writer = tx.copy_in(&format!(
            "COPY {target} ({}) FROM STDIN{freeze}",
            spec.columns.join(", ")
        ))?;
        loop {
            match from_checker.recv() {
                Ok(Chunk::Data(bytes)) => writer.write_all(&bytes)?,
                Ok(Chunk::End) => break,
                Ok(Chunk::Begin(_)) => {
                    return Err(HubError::Postgres("import: a table begun twice".into()));
                }
                // The checker stopped mid-table: dropping the writer aborts the COPY.
                Err(_) => return Ok(None),
            }
        }
        rows += writer.finish()?;
        if !first {
            tx.batch_execute(&format!("ANALYZE new_{}", spec.name))?;
        }
    }
}

/// The indexes and unique constraints of `table`, dropped; returns the statements that
/// build them again.
fn drop_indexes(tx: &mut Transaction<'_>, table: &str) -> Result<Vec<String>, HubError> {
    let mut rebuild = Vec::new();
    let constraints = tx.query(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = $1::text::regclass AND contype IN ('p', 'u')",
        &[&table],
    )?;
    for c in &constraints {
        let (name, def): (String, String) = (c.get(0), c.get(1));
        tx.batch_execute(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))?;
        rebuild.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"));
    }
    let indexes = tx.query(
        "SELECT indexname, indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename = $1",
        &[&table],
    )?;
    for i in &indexes {
        let (name, def): (String, String) = (i.get(0), i.get(1));
        tx.batch_execute(&format!("DROP INDEX {name}"))?;
        rebuild.push(def);
    }
    Ok(rebuild)
}

/// The big tables of a first import: emptied (for `FREEZE`) and built without indexes.
const BULK: &[&str] = &["members", "bills", "hub_buckets"];

/// What [`load`] did: the version now current, whether it is new, upserts and deletes.
pub(super) type Loaded = (i64, bool, u64, u64);

/// Checks `dir` and loads it as the next version, in one transaction on `client`.
pub(super) fn load(
    client: &mut postgres::Client,
    dir: &Path,
    today: NaiveDate,
    options: ImportOptions,
) -> Result<Loaded, HubError> {
    let source = dir.display().to_string();
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_VERSION])?;
    let current = current_version(&mut tx)?;
    let version = current + 1;
    let first = current == 0;
    let mut rebuild = Vec::new();
    if first {
        // Nobody can ask for a delta from version 0 (they get a snapshot), so a first
        // version records no changes and may load the tables in bulk.
        tx.batch_execute("SET LOCAL maintenance_work_mem = '512MB'")?;
        let all: Vec<&str> = tables::dataset_tables().map(|t| t.name).collect();
        tx.batch_execute(&format!("TRUNCATE {}, hub_buckets", all.join(", ")))?;
        for table in BULK {
            rebuild.extend(drop_indexes(&mut tx, table)?);
        }
    }

    let (to_db, from_checker) = sync_channel(IN_FLIGHT);
    let (checked, copied) = std::thread::scope(|s| {
        let checker = s.spawn(move || {
            let mut sink = CopySink {
                to_db,
                buf: Vec::with_capacity(CHUNK + 4096),
            };
            dataset::check_dir(dir, today, options, &mut sink)
        });
        let copied = receive(&mut tx, &from_checker, first);
        // Unblocks the checker if the database side failed.
        drop(from_checker);
        let checked = checker.join().unwrap_or_else(|_| {
            Err(ImportError::Sink(
                "the dataset check stopped unexpectedly".into(),
            ))
        });
        (checked, copied)
    });
    let report: ImportReport = match (checked, copied) {
        // A refused dataset is the answer even if the COPY then failed too.
        (Err(e @ ImportError::Sink(_)), Err(db)) => {
            tracing::debug!(error = %e, "the checker stopped because the database did");
            return Err(db);
        }
        (Err(e), _) => return Err(e.into()),
        (Ok(_), Err(db)) => return Err(db),
        (Ok(_), Ok(None)) => {
            return Err(HubError::Postgres(
                "import: the dataset check ended mid-table".into(),
            ));
        }
        (Ok(report), Ok(Some(_))) => report,
    };

    let (upserts, deletes) = if first {
        for sql in &rebuild {
            tx.batch_execute(sql)?;
        }
        tx.execute(
            &format!(
                "INSERT INTO hub_buckets (kk_no, bucket) {}",
                anjungan_core::sync::regions::bucket_sql("members")
            ),
            &[],
        )?;
        // Fresh tables have no statistics: without them the planner may scan 10M members
        // for one region's snapshot.
        tx.batch_execute("ANALYZE")?;
        (
            report.core_rows() + report.offices + report.tariffs + report.rules,
            0,
        )
    } else {
        match apply_differences(&mut tx, version)? {
            (0, 0) => return Ok((current, false, 0, 0)), // nothing changed: rolls back
            counts => counts,
        }
    };
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

/// `json_build_array(a, b, ...)::text` of the columns, for the change log.
fn json_array(cols: &[&str], prefix: &str) -> String {
    let cols: Vec<String> = cols.iter().map(|c| format!("{prefix}{c}")).collect();
    format!("json_build_array({})::text", cols.join(", "))
}

/// Applies the `new_*` tables over the current ones and records every difference as a
/// change of `version`, with its bucket. Returns (upserts, deletes).
fn apply_differences(tx: &mut Transaction<'_>, version: i64) -> Result<(u64, u64), HubError> {
    let specs: Vec<&TableSpec> = tables::dataset_tables().collect();
    let (mut upserts, mut deletes) = (0u64, 0u64);
    tx.batch_execute(
        "CREATE TEMP TABLE new_buckets (kk_no text PRIMARY KEY, bucket text NOT NULL) \
         ON COMMIT DROP; CREATE TEMP TABLE moved (kk_no text PRIMARY KEY) ON COMMIT DROP",
    )?;
    for sql in buckets::prepare("", "new_") {
        tx.execute(&sql, &[])?;
    }
    // Deletes children-first, then upserts parents-first, as a kiosk applies them; each
    // change with its bucket.
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
            let changed = format!("SELECT {cols} FROM new_{t} EXCEPT SELECT {cols} FROM {t}");
            tx.execute(
                &format!("INSERT INTO {t} ({cols}) ({changed}) ON CONFLICT ({keys}) {on_conflict}"),
                &[],
            )?;
        }
    }
    for sql in buckets::update("") {
        tx.execute(&sql, &[])?;
    }
    Ok((upserts, deletes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn copy_text_escapes_what_copy_would_misread() {
        let mut out = Vec::new();
        for cell in [
            Cell::Text(Cow::Borrowed("a\\b\tc\nd\re")),
            Cell::Int(-7),
            Cell::Real(-6.25),
            Cell::Null,
        ] {
            copy_cell(&mut out, &cell);
            out.push(b'|');
        }
        assert_eq!(out, b"a\\\\b\\tc\\nd\\re|-7|-6.25|\\N|");
    }
}
