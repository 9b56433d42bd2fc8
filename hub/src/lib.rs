//! The hub a BPJS branch (or BPJS nationally) runs: versioned dataset, signed deltas,
//! change requests, fleet. Its binary is `anjungan-hub`; the kiosk's `anjungan hub` is an
//! alias for the same [`cli`].
//!
//! [`store`] is the port to the hub's state (the current rows in the kiosk schema, plus the
//! version log, the per-version changes, the requests and the fleet), with two
//! implementations: [`sqlite`] for one branch and [`postgres`] for fleets of stateless
//! replicas. [`staff`] is who may use the branch console ([`console`]), kept by the same
//! stores. [`server`] is the axum HTTP API the kiosks call (docs/sync-protocol.md). The wire format, signing and
//! change application are shared with the kiosk in [`anjungan_core::sync`].

pub mod buckets;
pub mod cli;
pub mod console;
pub mod counts;
pub mod kiosks;
pub mod postgres;
pub mod server;
pub mod sqlite;
pub mod staff;
pub mod store;
pub mod updates;
pub mod validate;

pub use postgres::PgHub;
pub use sqlite::SqliteHub;
pub use store::{Database, HubStore};

/// Why a hub operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Import(#[from] anjungan_core::dataset::ImportError),
    #[error(transparent)]
    Store(#[from] anjungan_core::store::StoreError),
    #[error("applying the new version failed: {0}")]
    Apply(#[from] anjungan_core::sync::tables::ApplyError),
    #[error("no request with id or reference {0:?}")]
    UnknownRequest(String),
    #[error("request {reference} was already decided: {state}")]
    AlreadyDecided { reference: String, state: String },
    #[error("reference {0} was already used for a different request")]
    ReferenceConflict(String),
    /// The digest a kiosk stated for a request does not match the request's content.
    #[error("request {0}: the stated content digest does not match the content")]
    ContentMismatch(String),
    #[error("{0}")]
    BadRequest(String),
    /// A submitted request or a decision failed [`validate`]; `code` is stable.
    #[error("{code}: {reason}")]
    InvalidRequest { code: &'static str, reason: String },
    #[error("{path}: {message}")]
    Kiosks { path: String, message: String },
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// PostgreSQL refused or failed (the message names no member data: parameters are
    /// never part of it).
    #[error("database: {0}")]
    Postgres(String),
}

impl From<rusqlite::Error> for HubError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}
