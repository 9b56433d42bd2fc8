//! The dataset: a directory of CSV files that fills a kiosk database (docs/dataset.md).
//!
//! This module owns the file format: the importer that checks every row and loads a
//! directory in one transaction, and the synthetic generator. It does not decide JKN rules;
//! it asks [`crate::domain`] whether a value is well-formed.

mod import;
pub mod regions;
pub mod synth;

pub use import::{
    Cell, ImportOptions, ImportReport, RowSink, bounds, check_dir, import_dir, import_dir_with,
};

/// The files a dataset directory may hold. Only `members.csv` is required.
pub mod files {
    pub const MEMBERS: &str = "members.csv";
    pub const BILLS: &str = "bills.csv";
    pub const FACILITIES: &str = "facilities.csv";
    pub const OFFICES: &str = "offices.csv";
    pub const TARIFFS: &str = "tariffs.csv";
    pub const RULES: &str = "rules.csv";
    pub const INFO: &str = crate::content::INFO_FILE;
    pub const SERVICES: &str = crate::content::SERVICES_FILE;
}

/// The columns of `members.csv`, in the order the generator writes them, the importer reads
/// them and sync ships them. All are required except the last two, `employer` and
/// `status_reason` (why a NON_AKTIF member is not active; a dataset without the column
/// imports as before).
pub const MEMBER_COLUMNS: [&str; 17] = [
    "card_no",
    "nik",
    "kk_no",
    "name",
    "birth_date",
    "sex",
    "relation",
    "segment",
    "kelas",
    "fktp_code",
    "fktp_since",
    "kelas_since",
    "registered_on",
    "status",
    "wage",
    "employer",
    "status_reason",
];

/// One row the importer could not accept, named as a person would find it in an editor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadRow {
    pub file: String,
    /// The physical line, counting the header as line 1.
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Why an import did not happen. Nothing was changed in the database in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{dir}: members.csv is missing; a dataset needs at least members.csv")]
    MissingMembers { dir: String },
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: header lacks column(s) {missing}")]
    Header { file: String, missing: String },
    #[error("{} bad row(s); nothing was imported. First: {}", .total, .rows.first().map(ToString::to_string).unwrap_or_default())]
    BadRows {
        /// The first bad rows (at most [`MAX_BAD_ROWS_LISTED`]).
        rows: Vec<BadRow>,
        total: usize,
    },
    /// `members.csv` has a header and no rows; importing it would empty the members.
    #[error(
        "members.csv has no rows; importing it would remove every member (allow it with --allow-empty)"
    )]
    EmptyMembers,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Where the checked rows were going failed (a hub's database, for example).
    #[error("storing the checked rows failed: {0}")]
    Sink(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// How many bad rows an import reports before it only counts them.
pub const MAX_BAD_ROWS_LISTED: usize = 50;
