//! Loads a dataset directory into the store: every row checked, all or nothing.
//!
//! The whole load runs in one SQLite transaction. Readers on other connections keep seeing
//! the previous data until it commits (WAL), and a bad row anywhere rolls everything back.
//! The outbox is never touched: accepted change requests survive any re-import.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use csv::StringRecord;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{ToSql, Transaction, params, params_from_iter};
use serde::Serialize;

use super::{BadRow, ImportError, MAX_BAD_ROWS_LISTED, MEMBER_COLUMNS, files};
use crate::content::{self, CounterService, InfoArticle};
use crate::domain::calendar::{YearMonth, parse_date};
use crate::domain::{
    CardNo, Employer, Explain, FacilityType, Kelas, KkNo, NonActiveReason, OfficeLevel, Relation,
    RuleRow, Segment, Sex, StoredStatus, parse_nik, parse_rule_key,
};
use crate::store::{KEY_LOADED_AT, KEY_SOURCE, KEY_VERSION, Store, set_meta};
use crate::sync::tables::{self, TableSpec};

/// What an import loaded.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub members: u64,
    pub bills: u64,
    pub facilities: u64,
    pub offices: u64,
    pub tariffs: u64,
    pub rules: u64,
    pub info_articles: u64,
    pub counter_services: u64,
    /// The data version after this import.
    pub version: i64,
    pub seconds: f64,
}

impl ImportReport {
    /// CSV rows read, counting members, bills and facilities (the import-speed measure).
    pub fn core_rows(&self) -> u64 {
        self.members + self.bills + self.facilities
    }
}

/// How an import may deviate from the usual checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Accept a `members.csv` with a header and no rows, which empties the members. Without
    /// it such a file is refused: it is far more often a failed export than a real intent.
    pub allow_empty: bool,
}

/// The bounds the importer holds every row to (docs/dataset.md).
pub mod bounds {
    /// A bill amount in rupiah, inclusive.
    pub const MAX_AMOUNT: i64 = 100_000_000;
    /// Members are born on or after this date, and not after "today".
    pub const MIN_BIRTH: (i32, u32, u32) = (1900, 1, 1);
    /// Other dates (since, registered, paid, effective) lie in these years.
    pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;
    /// A member's or a place's name, in characters.
    pub const MAX_NAME_CHARS: usize = 100;
    /// Any other field, in characters.
    pub const MAX_FIELD_CHARS: usize = 500;
}

/// One checked value of a row, in the column order of its table's [`TableSpec`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Int(i64),
    Real(f64),
    Null,
}

impl ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Cell::Int(n) => ToSqlOutput::Owned(SqlValue::Integer(*n)),
            Cell::Real(x) => ToSqlOutput::Owned(SqlValue::Real(*x)),
            Cell::Null => ToSqlOutput::Owned(SqlValue::Null),
        })
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Cell<'_> {
    fn from(s: String) -> Self {
        Cell::Text(Cow::Owned(s))
    }
}

impl From<i64> for Cell<'_> {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}

/// Where an import puts the rows it has checked: the kiosk's SQLite file, or a hub's
/// `COPY` stream. The checking is the same for every sink ([`check_dir`]).
///
/// Every dataset table is begun and ended once, in [`tables::dataset_tables`] order, even
/// when its file is absent (then it has no rows: the import empties it). After the first bad
/// row no more rows are given, but the rest are still checked so that the report lists them.
pub trait RowSink {
    /// The rows of `table` follow, until [`RowSink::end`].
    fn begin(&mut self, table: &'static TableSpec) -> Result<(), ImportError>;
    /// One checked row of the table begun last, one cell per column of its spec.
    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ImportError>;
    /// The table begun last is complete.
    fn end(&mut self) -> Result<(), ImportError>;
}

/// Imports the dataset in `dir` into `store`, replacing the data it held.
///
/// `today` decides the century of NIK birth dates while checking them. A header-only
/// `members.csv` is refused; see [`import_dir_with`].
pub fn import_dir(
    store: &mut Store,
    dir: &Path,
    today: NaiveDate,
) -> Result<ImportReport, ImportError> {
    import_dir_with(store, dir, today, ImportOptions::default())
}

/// [`import_dir`] with options.
pub fn import_dir_with(
    store: &mut Store,
    dir: &Path,
    today: NaiveDate,
    options: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let conn = store.connection();
    conn.pragma_update(None, "cache_size", -262_144)?; // 256 MiB while loading
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for table in [
        "members",
        "bills",
        "facilities",
        "facilities_geo",
        "offices",
        "offices_geo",
        "tariffs",
        "rules",
        "info_articles",
        "service_documents",
        "counter_services",
    ] {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    // On any error `tx` is dropped, which rolls back: nothing is half-imported.
    let mut report = check_dir(dir, today, options, &mut SqliteSink::new(&tx))?;
    tx.execute(
        "INSERT INTO facilities_fts(facilities_fts) VALUES ('rebuild')",
        [],
    )?;
    tx.execute(
        "INSERT INTO offices_fts(offices_fts) VALUES ('rebuild')",
        [],
    )?;

    let version: i64 = tx
        .query_row(
            "SELECT value FROM sync_meta WHERE key = 'data_version'",
            [],
            |r| r.get::<_, String>(0),
        )
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        + 1;
    set_meta(&tx, KEY_VERSION, &version.to_string())?;
    set_meta(&tx, KEY_LOADED_AT, &chrono::Utc::now().to_rfc3339())?;
    set_meta(&tx, KEY_SOURCE, &dir.display().to_string())?;
    tx.commit()?;
    // Committed: the data is in the WAL and every reader sees it. Tidying up may still fail
    // (a full disk refuses the checkpoint's writes to the main file) but must not turn a
    // committed import into a reported failure; SQLite checkpoints again later.
    if let Err(e) = tidy_after_commit(conn) {
        tracing::warn!(error = %e, "import committed; the WAL checkpoint after it failed and is left for later");
    }

    report.version = version;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Checks every row of the dataset in `dir` and gives the good ones to `sink`.
///
/// Returns the counts (its `version` is 0: versions are the caller's), or why the dataset
/// is refused: then the caller must throw away whatever the sink received.
pub fn check_dir(
    dir: &Path,
    today: NaiveDate,
    options: ImportOptions,
    sink: &mut dyn RowSink,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    if !dir.join(files::MEMBERS).is_file() {
        return Err(ImportError::MissingMembers {
            dir: dir.display().to_string(),
        });
    }
    // Content files are small; parse them first so a bad one fails before the heavy work.
    let info = read_content(dir, files::INFO, content::parse_info, content::default_info)?;
    let services = read_content(
        dir,
        files::SERVICES,
        content::parse_services,
        content::default_services,
    )?;

    let mut bad = BadRows::default();
    let mut seen = Seen::default();
    let mut loader = Loader {
        dir,
        today,
        bad_rows: &mut bad,
        seen: &mut seen,
        sink,
    };
    let mut report = ImportReport {
        members: loader.file(files::MEMBERS, &MEMBERS, member_row)?,
        bills: loader.file(files::BILLS, &BILLS, bill_row)?,
        facilities: loader.file(files::FACILITIES, &FACILITIES, facility_row)?,
        offices: loader.file(files::OFFICES, &OFFICES, office_row)?,
        tariffs: loader.file(files::TARIFFS, &TARIFFS, tariff_row)?,
        rules: loader.file(files::RULES, &RULES, rule_row)?,
        info_articles: info.len() as u64,
        counter_services: services.len() as u64,
        version: 0,
        seconds: 0.0,
    };
    drop(seen);
    if bad.total > 0 {
        return Err(ImportError::BadRows {
            rows: bad.rows,
            total: bad.total,
        });
    }
    if report.members == 0 && !options.allow_empty {
        return Err(ImportError::EmptyMembers);
    }
    write_content(sink, &info, &services)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The kiosk's sink: inserts into the tables of an open transaction, and indexes each
/// facility and office at its coordinates (search indexes are rebuilt by the caller).
struct SqliteSink<'t, 'c> {
    tx: &'t Transaction<'c>,
    insert: String,
    /// For a table with coordinates: its R*Tree and the positions of lat and lon.
    geo: Option<(String, usize, usize)>,
}

impl<'t, 'c> SqliteSink<'t, 'c> {
    fn new(tx: &'t Transaction<'c>) -> Self {
        Self {
            tx,
            insert: String::new(),
            geo: None,
        }
    }
}

impl RowSink for SqliteSink<'_, '_> {
    fn begin(&mut self, table: &'static TableSpec) -> Result<(), ImportError> {
        let marks: Vec<String> = (1..=table.columns.len()).map(|i| format!("?{i}")).collect();
        self.insert = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            table.columns.join(", "),
            marks.join(", ")
        );
        let at = |c: &str| table.columns.iter().position(|x| *x == c);
        self.geo = match (table.name, at("lat"), at("lon")) {
            ("facilities" | "offices", Some(lat), Some(lon)) => Some((
                format!(
                    "INSERT INTO {}_geo VALUES (last_insert_rowid(), ?1, ?1, ?2, ?2)",
                    table.name
                ),
                lat,
                lon,
            )),
            _ => None,
        };
        Ok(())
    }

    fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ImportError> {
        self.tx
            .prepare_cached(&self.insert)?
            .execute(params_from_iter(cells))?;
        if let Some((sql, lat, lon)) = &self.geo {
            self.tx
                .prepare_cached(sql)?
                .execute(params![&cells[*lat], &cells[*lon]])?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), ImportError> {
        Ok(())
    }
}

/// The keys seen so far, so that a second row with the same key is a bad row, in every
/// sink. Card, NIK and KK numbers are all digits and kept as numbers (at 10M members the
/// sets take about 1 GB while the import runs).
#[derive(Default)]
struct Seen {
    cards: HashSet<u64>,
    niks: HashSet<u64>,
    bills: HashSet<(u64, [u8; 7])>,
    /// The other tables' keys, as text with the table's name.
    other: HashSet<(&'static str, String)>,
}

fn first_time(fresh: bool) -> Result<(), RowError> {
    if fresh {
        Ok(())
    } else {
        Err(bad(
            "duplicate key: this code or number already appears earlier",
        ))
    }
}

/// The number an all-digit identifier spells (every caller has checked it is digits).
fn digits_value(s: &str) -> u64 {
    s.bytes().fold(0u64, |n, b| {
        n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
    })
}

impl Seen {
    fn other(&mut self, table: &'static str, key: String) -> Result<(), RowError> {
        first_time(self.other.insert((table, key)))
    }
}
/// Shrinks the cache back and folds the WAL into the main file, after the commit.
fn tidy_after_commit(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "cache_size", -8_192)?;
    // A checkpoint that cannot write reports it as a row (busy = 1), or fails outright.
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    if busy != 0 {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("WAL checkpoint did not complete".into()),
        ));
    }
    conn.execute_batch("PRAGMA optimize;")
}

/// The columns a file must have, in the order its row function reads them, and those it
/// may have.
struct Columns {
    required: &'static [&'static str],
    optional: &'static [&'static str],
}

const MEMBERS: Columns = Columns {
    required: MEMBER_COLUMNS.split_at(15).0,
    optional: MEMBER_COLUMNS.split_at(15).1,
};
const BILLS: Columns = Columns {
    required: &["kk_no", "period", "amount", "paid_on"],
    optional: &[],
};
const FACILITIES: Columns = Columns {
    required: &[
        "code",
        "name",
        "type",
        "address",
        "kecamatan",
        "kabkota",
        "province_code",
        "phone",
        "hours",
        "lat",
        "lon",
        "capacity",
        "members",
        "active",
    ],
    optional: &[],
};
const OFFICES: Columns = Columns {
    required: &[
        "code", "name", "level", "address", "kabkota", "phone", "hours", "lat", "lon",
    ],
    optional: &[],
};
const TARIFFS: Columns = Columns {
    required: &["effective_from", "segment", "kelas", "amount"],
    optional: &[],
};
const RULES: Columns = Columns {
    required: &["effective_from", "key", "value"],
    optional: &["source"],
};

/// One row's fields, read by position in its file's [`Columns`] list.
struct Fields<'a> {
    record: &'a StringRecord,
    /// For each wanted column, its index in the file (None: optional and absent).
    index: &'a [Option<usize>],
    today: NaiveDate,
}

impl Fields<'_> {
    fn get(&self, i: usize) -> &str {
        self.index[i]
            .and_then(|at| self.record.get(at))
            .unwrap_or("")
    }
}

/// A checked row, or why it was refused.
type RowResult<'a> = Result<Vec<Cell<'a>>, RowError>;

/// What checks one row of a file and turns it into its table's cells.
type RowFn = for<'a> fn(&'a Fields<'_>, &mut Seen) -> RowResult<'a>;

enum RowError {
    Bad(String),
}

fn bad(reason: impl Into<String>) -> RowError {
    RowError::Bad(reason.into())
}

#[derive(Default)]
struct BadRows {
    rows: Vec<BadRow>,
    total: usize,
}

/// Reads `dir/file` (absent: zero rows), checks each row and gives the good ones to `sink`
/// as rows of the table of the same name.
/// What reading the files of one dataset shares: where they are, what has been refused so
/// far, the keys seen, and where good rows go.
struct Loader<'a> {
    dir: &'a Path,
    today: NaiveDate,
    bad_rows: &'a mut BadRows,
    seen: &'a mut Seen,
    sink: &'a mut dyn RowSink,
}

impl Loader<'_> {
    /// Reads `dir/file` (absent: zero rows), checks each row and gives the good ones to the
    /// sink as rows of the table of the same name.
    fn file(&mut self, file: &str, columns: &Columns, row: RowFn) -> Result<u64, ImportError> {
        let table = tables::table(file.trim_end_matches(".csv"))
            .ok_or_else(|| ImportError::Sink(format!("{file}: no table to load it into").into()))?;
        self.sink.begin(table)?;
        let count = self.rows(file, columns, row)?;
        self.sink.end()?;
        Ok(count)
    }

    fn rows(&mut self, file: &str, columns: &Columns, row: RowFn) -> Result<u64, ImportError> {
        let (dir, today) = (self.dir, self.today);
        let path = dir.join(file);
        let handle = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(source) => {
                return Err(ImportError::Io {
                    file: file.into(),
                    source,
                });
            }
        };
        // Only LF ends a record: with the default CRLF handling the reader's line numbers drift
        // on CRLF files. A CR left at a line's end is trimmed with the rest of the field.
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(BufReader::with_capacity(1 << 20, handle));
        let io_err = |e: csv::Error| ImportError::Io {
            file: file.into(),
            source: std::io::Error::other(e),
        };
        let header = reader.headers().map_err(io_err)?.clone();
        let position: HashMap<&str, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}'), i))
            .collect();
        let missing: Vec<&str> = columns
            .required
            .iter()
            .filter(|c| !position.contains_key(*c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::Header {
                file: file.into(),
                missing: missing.join(", "),
            });
        }
        let index: Vec<Option<usize>> = columns
            .required
            .iter()
            .chain(columns.optional)
            .map(|c| position.get(c).copied())
            .collect();

        let (bad_rows, seen, sink) = (&mut *self.bad_rows, &mut *self.seen, &mut *self.sink);
        let mut record = StringRecord::new();
        let mut count = 0;
        loop {
            let line = reader.position().line() + 1;
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    // Invalid UTF-8 or a broken quote: name the line and stop reading this file
                    // (its later rows cannot be told apart reliably).
                    let at = e.position().map_or(line, |p| p.line());
                    bad_rows.push(file, at, "unreadable row (not UTF-8, or a broken quote); the rest of this file was not checked".into());
                    break;
                }
            }
            let line = record.position().map_or(line, |p| p.line());
            let fields = Fields {
                record: &record,
                index: &index,
                today,
            };
            let result = if record.len() != header.len() {
                Err(bad(format!(
                    "expected {} columns, found {}",
                    header.len(),
                    record.len()
                )))
            } else if let Err(e) = plain_fields(&record, &header) {
                Err(e)
            } else {
                row(&fields, seen)
            };
            match result {
                Ok(cells) => {
                    count += 1;
                    // Keep checking rows after the first bad one, but stop writing them.
                    if bad_rows.total == 0 {
                        sink.row(&cells)?;
                    }
                }
                Err(RowError::Bad(reason)) => bad_rows.push(file, line, reason),
            }
        }
        Ok(count)
    }
}

impl BadRows {
    fn push(&mut self, file: &str, line: u64, reason: String) {
        self.total += 1;
        if self.rows.len() < MAX_BAD_ROWS_LISTED {
            self.rows.push(BadRow {
                file: file.into(),
                line,
                reason,
            });
        }
    }
}

/// Refuses control characters (NUL, escape sequences, ...) and overlong values in any field.
/// Neither the value nor its neighbourhood is echoed: it may be personal data.
fn plain_fields(record: &StringRecord, header: &StringRecord) -> Result<(), RowError> {
    for (i, field) in record.iter().enumerate() {
        let column = header
            .get(i)
            .unwrap_or("?")
            .trim()
            .trim_start_matches('\u{feff}');
        let value = field.trim();
        if value.chars().any(char::is_control) {
            return Err(bad(format!(
                "{column} contains a control character (e.g. NUL or a tab)"
            )));
        }
        let max = if column == "name" {
            bounds::MAX_NAME_CHARS
        } else {
            bounds::MAX_FIELD_CHARS
        };
        if value.chars().nth(max).is_some() {
            return Err(bad(format!("{column} is longer than {max} characters")));
        }
    }
    Ok(())
}

fn date(f: &Fields<'_>, i: usize, column: &str) -> Result<String, RowError> {
    // The value is not echoed: a birth date is personal data.
    let d = parse_date(f.get(i).trim())
        .map_err(|_| bad(format!("{column} is not a real date (YYYY-MM-DD)")))?;
    if !bounds::DATE_YEARS.contains(&chrono::Datelike::year(&d)) {
        return Err(bad(format!(
            "{column} is outside the years {}-{}",
            bounds::DATE_YEARS.start(),
            bounds::DATE_YEARS.end()
        )));
    }
    Ok(d.to_string())
}

/// A date of birth: a real date from 1900-01-01 to today.
fn birth_date(f: &Fields<'_>, i: usize) -> Result<String, RowError> {
    let raw = f.get(i).trim();
    let (y, m, d) = bounds::MIN_BIRTH;
    let min = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    match parse_date(raw) {
        Ok(d) if d >= min && d <= f.today => Ok(d.to_string()),
        Ok(_) => Err(bad("birth_date is before 1900-01-01 or after today")),
        Err(_) => Err(bad("birth_date is not a real date (YYYY-MM-DD)")),
    }
}

/// A bill amount: whole rupiah from 0 to [`bounds::MAX_AMOUNT`].
fn amount(f: &Fields<'_>, i: usize) -> Result<i64, RowError> {
    match integer(f, i, "amount")? {
        n if n <= bounds::MAX_AMOUNT => Ok(n),
        _ => Err(bad(format!(
            "amount is more than Rp{} (the largest accepted)",
            bounds::MAX_AMOUNT
        ))),
    }
}

fn code<T: std::str::FromStr>(f: &Fields<'_>, i: usize, column: &str) -> Result<T, RowError> {
    let raw = f.get(i).trim();
    raw.parse()
        .map_err(|_| bad(format!("{column} {raw:?} is not a known code")))
}

fn integer(f: &Fields<'_>, i: usize, column: &str) -> Result<i64, RowError> {
    let raw = f.get(i).trim();
    match raw.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        // The value is not echoed: a wage is personal data.
        _ => Err(bad(format!("{column} is not a whole number ≥ 0"))),
    }
}

fn coordinate(f: &Fields<'_>, i: usize, column: &str, max: f64) -> Result<f64, RowError> {
    let raw = f.get(i).trim();
    match raw.parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() <= max => Ok(x),
        _ => Err(bad(format!(
            "{column} {raw:?} is not a coordinate in ±{max}"
        ))),
    }
}

fn text<'a>(f: &'a Fields<'_>, i: usize, column: &str) -> Result<&'a str, RowError> {
    let raw = f.get(i).trim();
    if raw.is_empty() {
        Err(bad(format!("{column} is empty")))
    } else {
        Ok(raw)
    }
}

/// Facility and office codes: free-form, at most 16 characters.
fn place_code<'a>(f: &'a Fields<'_>, i: usize) -> Result<&'a str, RowError> {
    let raw = text(f, i, "code")?;
    if raw.chars().count() > 16 {
        return Err(bad(format!("code {raw:?} is longer than 16 characters")));
    }
    Ok(raw)
}

fn member_row<'a>(f: &'a Fields<'_>, seen: &mut Seen) -> RowResult<'a> {
    let card =
        CardNo::parse(f.get(0).trim()).map_err(|e| bad(format!("card_no: {}", e.explain().en)))?;
    // Not logged anywhere: the reason names the rule, never the value.
    let nik = f.get(1).trim();
    parse_nik(nik, f.today).map_err(|e| bad(format!("nik: {}", e.explain().en)))?;
    let kk = KkNo::parse(f.get(2).trim()).map_err(|e| bad(format!("kk_no: {}", e.explain().en)))?;
    let name = text(f, 3, "name")?;
    let birth = birth_date(f, 4)?;
    let sex: Sex = code(f, 5, "sex")?;
    let relation: Relation = code(f, 6, "relation")?;
    let segment: Segment = code(f, 7, "segment")?;
    let kelas: Kelas = code(f, 8, "kelas")?;
    let fktp =
        place_code(f, 9).map_err(|_| bad("fktp_code is empty or longer than 16 characters"))?;
    let fktp_since = date(f, 10, "fktp_since")?;
    let kelas_since = date(f, 11, "kelas_since")?;
    let registered = date(f, 12, "registered_on")?;
    let status: StoredStatus = code(f, 13, "status")?;
    let wage = match f.get(14).trim() {
        "" => None,
        _ => Some(integer(f, 14, "wage")?),
    };
    let employer: Option<Employer> = match f.get(15).trim() {
        "" => None,
        _ => Some(code(f, 15, "employer")?),
    };
    let reason: Option<NonActiveReason> = match f.get(16).trim() {
        "" => None,
        _ => Some(code(f, 16, "status_reason")?),
    };
    if reason.is_some() && status != StoredStatus::NonAktif {
        return Err(bad(format!(
            "status_reason is only for NON_AKTIF members, but status is {}",
            status.code()
        )));
    }
    first_time(seen.cards.insert(digits_value(card.as_str())))?;
    first_time(seen.niks.insert(digits_value(nik)))?;
    Ok(vec![
        String::from(card.as_str()).into(),
        nik.into(),
        String::from(kk.as_str()).into(),
        name.into(),
        birth.into(),
        sex.code().into(),
        relation.code().into(),
        segment.code().into(),
        i64::from(kelas.get()).into(),
        fktp.into(),
        fktp_since.into(),
        kelas_since.into(),
        registered.into(),
        status.code().into(),
        wage.into(),
        employer.map(|e| e.code()).into(),
        reason.map(|r| r.code()).into(),
    ])
}

fn bill_row<'a>(f: &'a Fields<'_>, seen: &mut Seen) -> RowResult<'a> {
    let kk = KkNo::parse(f.get(0).trim()).map_err(|e| bad(format!("kk_no: {}", e.explain().en)))?;
    let raw_period = f.get(1).trim();
    let period = YearMonth::parse(raw_period)
        .map_err(|_| bad(format!("period {raw_period:?} is not a month (YYYY-MM)")))?;
    let amount = amount(f, 2)?;
    let paid_on = match f.get(3).trim() {
        "" => None,
        _ => Some(date(f, 3, "paid_on")?),
    };
    let period = period.to_string();
    let mut month = [0u8; 7];
    month.copy_from_slice(&period.as_bytes()[..7]);
    first_time(seen.bills.insert((digits_value(kk.as_str()), month)))?;
    Ok(vec![
        String::from(kk.as_str()).into(),
        period.into(),
        amount.into(),
        paid_on.into(),
    ])
}

fn facility_row<'a>(f: &'a Fields<'_>, seen: &mut Seen) -> RowResult<'a> {
    let code_ = place_code(f, 0)?;
    let name = text(f, 1, "name")?;
    let kind: FacilityType = code(f, 2, "type")?;
    let province = f.get(6).trim();
    if !crate::domain::nik::is_known_province(province) {
        return Err(bad(format!(
            "province_code {province:?} is not a province code"
        )));
    }
    let lat = coordinate(f, 9, "lat", 90.0)?;
    let lon = coordinate(f, 10, "lon", 180.0)?;
    let capacity = integer(f, 11, "capacity")?;
    let members = integer(f, 12, "members")?;
    let active = match f.get(13).trim() {
        "1" => 1,
        "0" => 0,
        other => return Err(bad(format!("active {other:?} must be 1 or 0"))),
    };
    seen.other("facilities", code_.to_owned())?;
    Ok(vec![
        code_.into(),
        name.into(),
        kind.code().into(),
        f.get(3).trim().into(),
        f.get(4).trim().into(),
        f.get(5).trim().into(),
        province.into(),
        f.get(7).trim().into(),
        f.get(8).trim().into(),
        Cell::Real(lat),
        Cell::Real(lon),
        capacity.into(),
        members.into(),
        Cell::Int(active),
    ])
}

fn office_row<'a>(f: &'a Fields<'_>, seen: &mut Seen) -> RowResult<'a> {
    let code_ = place_code(f, 0)?;
    let name = text(f, 1, "name")?;
    let level: OfficeLevel = code(f, 2, "level")?;
    let lat = coordinate(f, 7, "lat", 90.0)?;
    let lon = coordinate(f, 8, "lon", 180.0)?;
    seen.other("offices", code_.to_owned())?;
    Ok(vec![
        code_.into(),
        name.into(),
        level.code().into(),
        f.get(3).trim().into(),
        f.get(4).trim().into(),
        f.get(5).trim().into(),
        f.get(6).trim().into(),
        Cell::Real(lat),
        Cell::Real(lon),
    ])
}

fn tariff_row<'a>(f: &'a Fields<'_>, seen: &mut Seen) -> RowResult<'a> {
    let from = date(f, 0, "effective_from")?;
    let segment: Segment = code(f, 1, "segment")?;
    let kelas: Kelas = code(f, 2, "kelas")?;
    let amount = amount(f, 3)?;
    seen.other(
        "tariffs",
        format!("{from}|{}|{}", segment.code(), kelas.get()),
    )?;
    Ok(vec![
        from.into(),
        segment.code().into(),
        i64::from(kelas.get()).into(),
        amount.into(),
    ])
}

fn rule_row<'a>(f: &'a Fields<'_>, seen: &mut Seen) -> RowResult<'a> {
    let from = parse_date(f.get(0).trim())
        .map_err(|_| bad("effective_from is not a real date (YYYY-MM-DD)"))?;
    let raw_key = f.get(1).trim();
    let key =
        parse_rule_key(raw_key).map_err(|_| bad(format!("key {raw_key:?} is not a known rule")))?;
    let value = integer(f, 2, "value")?;
    let source = match f.get(3).trim() {
        "" => "rules.csv",
        s => s,
    };
    let row = RuleRow::new(from, key, value, source).map_err(|e| bad(e.to_string()))?;
    seen.other(
        "rules",
        format!("{}|{}", row.effective_from, row.key.code()),
    )?;
    Ok(vec![
        row.effective_from.to_string().into(),
        row.key.code().into(),
        row.value.into(),
        row.source.to_string().into(),
    ])
}

/// Parses an optional content file, or takes the shipped defaults when it is absent.
fn read_content<T>(
    dir: &Path,
    file: &str,
    parse: fn(BufReader<File>) -> Result<Vec<T>, content::ContentError>,
    defaults: fn() -> Vec<T>,
) -> Result<Vec<T>, ImportError> {
    match File::open(dir.join(file)) {
        Ok(handle) => parse(BufReader::new(handle)).map_err(|e| ImportError::BadRows {
            rows: vec![BadRow {
                file: file.into(),
                line: e.line,
                reason: e.reason.to_string(),
            }],
            total: 1,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(defaults()),
        Err(source) => Err(ImportError::Io {
            file: file.into(),
            source,
        }),
    }
}

fn write_content(
    sink: &mut dyn RowSink,
    info: &[InfoArticle],
    services: &[CounterService],
) -> Result<(), ImportError> {
    let spec = |name: &str| {
        tables::table(name).ok_or_else(|| ImportError::Sink(format!("no table {name}").into()))
    };
    sink.begin(spec("info_articles")?)?;
    for (seq, a) in info.iter().enumerate() {
        sink.row(&[
            a.id.as_str().into(),
            (seq as i64).into(),
            a.category.as_str().into(),
            a.title_id.as_str().into(),
            a.title_en.as_str().into(),
            a.body_id.as_str().into(),
            a.body_en.as_str().into(),
            a.source.as_str().into(),
        ])?;
    }
    sink.end()?;
    sink.begin(spec("counter_services")?)?;
    for s in services {
        sink.row(&[
            s.code.as_str().into(),
            s.name_id.as_str().into(),
            s.name_en.as_str().into(),
            i64::from(s.minutes).into(),
        ])?;
    }
    sink.end()?;
    sink.begin(spec("service_documents")?)?;
    for s in services {
        let documents = s.documents.iter().map(|d| (d, "DOC"));
        let notes = s.notes.iter().map(|d| (d, crate::store::NOTE));
        for (seq, (d, kind)) in documents.chain(notes).enumerate() {
            sink.row(&[
                s.code.as_str().into(),
                (seq as i64).into(),
                d.id.as_str().into(),
                d.en.as_str().into(),
                kind.into(),
            ])?;
        }
    }
    sink.end()
}
