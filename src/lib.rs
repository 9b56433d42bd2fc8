//! Anjungan: a self-service kiosk for JKN members.
//!
//! The library holds everything the kiosk knows and does without a screen. What the hub
//! shares (from `anjungan-core`, re-exported under the same names):
//! - [`domain`]: JKN rules (identifiers, dues, eligibility) as pure functions of their inputs;
//! - [`store`]: the local SQLite cache (encrypted, SQLCipher) and its migrations;
//! - [`private`]: owner-only (0600) files, whatever the umask;
//! - [`dataset`]: the CSV dataset format, its importer and the synthetic generator;
//! - [`content`]: the Info JKN articles and counter services shipped as defaults;
//! - [`services`]: the answers the UI and the CLI both give, built from store + domain;
//! - [`sync`]: the kiosk's signed sync with the hub, and [`hub`]: the hub server (`anjungan-hub`).
//!
//! The kiosk's own:
//! - [`devices`]: printer and dispenser faults worded for members and technicians;
//! - [`diag`]: the technician's health report, diagnostics mode and audit log;
//! - [`slips`]: those answers laid out as receipts for the printer (`anjungan-drivers`).

// The shared, UI-free code lives in `core/` and the hub in `hub/`; their modules keep the
// paths they had here (`anjungan::domain`, `anjungan::hub::server`, ...).
pub use anjungan_core::{
    clock, content, counters, dataset, devices, domain, i18n, private, report, secret, services,
    store, sync, update,
};
pub use anjungan_hub as hub;

pub mod config;
pub mod diag;
pub mod kiosk;
pub mod slips;
pub mod speech;
pub mod ui;
