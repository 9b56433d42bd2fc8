//! Loads a dataset directory into the store: every row checked, all or nothing.
//!
//! The whole load runs in one SQLite transaction. Readers on other connections keep seeing
//! the previous data until it commits (WAL), and a bad row anywhere rolls everything back.
//! The outbox is never touched: accepted change requests survive any re-import.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use csv::StringRecord;
use rusqlite::{Transaction, params};
use serde::Serialize;

use super::{BadRow, ImportError, MAX_BAD_ROWS_LISTED, MEMBER_COLUMNS, files};
use crate::content::{self, CounterService, InfoArticle};
use crate::domain::calendar::{YearMonth, parse_date};
use crate::domain::{
    CardNo, Employer, Explain, FacilityType, Kelas, KkNo, NonActiveReason, OfficeLevel, Relation,
    RuleRow, Segment, Sex, StoredStatus, parse_nik, parse_rule_key,
};
use crate::store::{KEY_LOADED_AT, KEY_SOURCE, KEY_VERSION, Store, set_meta};

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

    let mut bad = BadRows::default();
    let mut report = ImportReport {
        members: load(
            &tx,
            dir,
            today,
            files::MEMBERS,
            &MEMBERS,
            &mut bad,
            member_row,
        )?,
        bills: load(&tx, dir, today, files::BILLS, &BILLS, &mut bad, bill_row)?,
        facilities: load(
            &tx,
            dir,
            today,
            files::FACILITIES,
            &FACILITIES,
            &mut bad,
            facility_row,
        )?,
        offices: load(
            &tx,
            dir,
            today,
            files::OFFICES,
            &OFFICES,
            &mut bad,
            office_row,
        )?,
        tariffs: load(
            &tx,
            dir,
            today,
            files::TARIFFS,
            &TARIFFS,
            &mut bad,
            tariff_row,
        )?,
        rules: load(&tx, dir, today, files::RULES, &RULES, &mut bad, rule_row)?,
        info_articles: info.len() as u64,
        counter_services: services.len() as u64,
        version: 0,
        seconds: 0.0,
    };
    if bad.total > 0 {
        // Dropping `tx` rolls back: nothing is half-imported.
        return Err(ImportError::BadRows {
            rows: bad.rows,
            total: bad.total,
        });
    }
    if report.members == 0 && !options.allow_empty {
        return Err(ImportError::EmptyMembers);
    }
    write_content(&tx, &info, &services)?;
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

/// Why one row was refused.
type RowResult = Result<(), RowError>;

enum RowError {
    Bad(String),
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for RowError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => {
                RowError::Bad("duplicate key: this code or number already appears earlier".into())
            }
            _ => RowError::Sql(e),
        }
    }
}

fn bad(reason: impl Into<String>) -> RowError {
    RowError::Bad(reason.into())
}

#[derive(Default)]
struct BadRows {
    rows: Vec<BadRow>,
    total: usize,
}

/// Reads `dir/file` (absent: zero rows) and feeds each row to `row`.
fn load(
    tx: &Transaction<'_>,
    dir: &Path,
    today: NaiveDate,
    file: &str,
    columns: &Columns,
    bad_rows: &mut BadRows,
    row: fn(&Transaction<'_>, &Fields<'_>) -> RowResult,
) -> Result<u64, ImportError> {
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
        let result = if record.len() != header.len() {
            Err(bad(format!(
                "expected {} columns, found {}",
                header.len(),
                record.len()
            )))
        } else if let Err(e) = plain_fields(&record, &header) {
            Err(e)
        } else if bad_rows.total > 0 {
            // Keep checking rows after the first bad one, but stop writing them.
            check_only(row, tx, &record, &index, today)
        } else {
            row(
                tx,
                &Fields {
                    record: &record,
                    index: &index,
                    today,
                },
            )
        };
        match result {
            Ok(()) => count += 1,
            Err(RowError::Bad(reason)) => bad_rows.push(file, line, reason),
            Err(RowError::Sql(e)) => return Err(e.into()),
        }
    }
    Ok(count)
}

/// Validates a row without writing it: runs the row function inside a savepoint that is
/// always rolled back.
fn check_only(
    row: fn(&Transaction<'_>, &Fields<'_>) -> RowResult,
    tx: &Transaction<'_>,
    record: &StringRecord,
    index: &[Option<usize>],
    today: NaiveDate,
) -> RowResult {
    tx.execute_batch("SAVEPOINT check_only")?;
    let result = row(
        tx,
        &Fields {
            record,
            index,
            today,
        },
    );
    tx.execute_batch("ROLLBACK TO check_only; RELEASE check_only")?;
    result
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
fn plain_fields(record: &StringRecord, header: &StringRecord) -> RowResult {
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

fn member_row(tx: &Transaction<'_>, f: &Fields<'_>) -> RowResult {
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
    tx.prepare_cached(
        "INSERT INTO members (card_no, nik, kk_no, name, birth_date, sex, relation, segment, \
         kelas, fktp_code, fktp_since, kelas_since, registered_on, status, wage, employer, \
         status_reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        card.as_str(),
        nik,
        kk.as_str(),
        name,
        birth,
        sex.code(),
        relation.code(),
        segment.code(),
        kelas.get(),
        fktp,
        fktp_since,
        kelas_since,
        registered,
        status.code(),
        wage,
        employer.map(|e| e.code()),
        reason.map(|r| r.code()),
    ])?;
    Ok(())
}

fn bill_row(tx: &Transaction<'_>, f: &Fields<'_>) -> RowResult {
    let kk = KkNo::parse(f.get(0).trim()).map_err(|e| bad(format!("kk_no: {}", e.explain().en)))?;
    let raw_period = f.get(1).trim();
    let period = YearMonth::parse(raw_period)
        .map_err(|_| bad(format!("period {raw_period:?} is not a month (YYYY-MM)")))?;
    let amount = amount(f, 2)?;
    let paid_on = match f.get(3).trim() {
        "" => None,
        _ => Some(date(f, 3, "paid_on")?),
    };
    tx.prepare_cached(
        "INSERT INTO bills (kk_no, period, amount, paid_on) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![kk.as_str(), period.to_string(), amount, paid_on])?;
    Ok(())
}

fn facility_row(tx: &Transaction<'_>, f: &Fields<'_>) -> RowResult {
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
        "1" => true,
        "0" => false,
        other => return Err(bad(format!("active {other:?} must be 1 or 0"))),
    };
    tx.prepare_cached(
        "INSERT INTO facilities (code, name, type, address, kecamatan, kabkota, province_code, \
         phone, hours, lat, lon, capacity, members, active) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        code_,
        name,
        kind.code(),
        f.get(3).trim(),
        f.get(4).trim(),
        f.get(5).trim(),
        province,
        f.get(7).trim(),
        f.get(8).trim(),
        lat,
        lon,
        capacity,
        members,
        active
    ])?;
    insert_point(tx, "facilities_geo", lat, lon)
}

fn office_row(tx: &Transaction<'_>, f: &Fields<'_>) -> RowResult {
    let code_ = place_code(f, 0)?;
    let name = text(f, 1, "name")?;
    let level: OfficeLevel = code(f, 2, "level")?;
    let lat = coordinate(f, 7, "lat", 90.0)?;
    let lon = coordinate(f, 8, "lon", 180.0)?;
    tx.prepare_cached(
        "INSERT INTO offices (code, name, level, address, kabkota, phone, hours, lat, lon) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        code_,
        name,
        level.code(),
        f.get(3).trim(),
        f.get(4).trim(),
        f.get(5).trim(),
        f.get(6).trim(),
        lat,
        lon
    ])?;
    insert_point(tx, "offices_geo", lat, lon)
}

/// Indexes the row just inserted at its coordinates.
fn insert_point(tx: &Transaction<'_>, geo: &str, lat: f64, lon: f64) -> RowResult {
    tx.prepare_cached(&format!(
        "INSERT INTO {geo} VALUES (last_insert_rowid(), ?1, ?1, ?2, ?2)"
    ))?
    .execute(params![lat, lon])?;
    Ok(())
}

fn tariff_row(tx: &Transaction<'_>, f: &Fields<'_>) -> RowResult {
    let from = date(f, 0, "effective_from")?;
    let segment: Segment = code(f, 1, "segment")?;
    let kelas: Kelas = code(f, 2, "kelas")?;
    let amount = amount(f, 3)?;
    tx.prepare_cached(
        "INSERT INTO tariffs (effective_from, segment, kelas, amount) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![from, segment.code(), kelas.get(), amount])?;
    Ok(())
}

fn rule_row(tx: &Transaction<'_>, f: &Fields<'_>) -> RowResult {
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
    tx.prepare_cached(
        "INSERT INTO rules (effective_from, key, value, source) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        row.effective_from.to_string(),
        row.key.code(),
        row.value,
        row.source
    ])?;
    Ok(())
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
    tx: &Transaction<'_>,
    info: &[InfoArticle],
    services: &[CounterService],
) -> Result<(), ImportError> {
    let mut insert_info = tx.prepare_cached(
        "INSERT INTO info_articles (id, seq, category, title_id, title_en, body_id, body_en, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (seq, a) in info.iter().enumerate() {
        insert_info.execute(params![
            a.id, seq as i64, a.category, a.title_id, a.title_en, a.body_id, a.body_en, a.source
        ])?;
    }
    let mut insert_service = tx.prepare_cached(
        "INSERT INTO counter_services (code, name_id, name_en, minutes) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut insert_doc = tx.prepare_cached(
        "INSERT INTO service_documents (service_code, seq, text_id, text_en, kind) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for s in services {
        insert_service.execute(params![s.code, s.name_id, s.name_en, s.minutes])?;
        let documents = s.documents.iter().map(|d| (d, "DOC"));
        let notes = s.notes.iter().map(|d| (d, crate::store::NOTE));
        for (seq, (d, kind)) in documents.chain(notes).enumerate() {
            insert_doc.execute(params![s.code, seq as i64, d.id, d.en, kind])?;
        }
    }
    Ok(())
}
