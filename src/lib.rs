//! Anjungan: a self-service kiosk for JKN members.
//!
//! The library holds everything the kiosk knows and does without a screen:
//! - [`domain`]: JKN rules (identifiers, dues, eligibility) as pure functions of their inputs;
//! - [`store`]: the local SQLite cache (encrypted, SQLCipher) and its migrations;
//! - [`private`]: owner-only (0600) files, whatever the umask;
//! - [`dataset`]: the CSV dataset format, its importer and the synthetic generator;
//! - [`content`]: the Info JKN articles and counter services shipped as defaults;
//! - [`services`]: the answers the UI and the CLI both give, built from store + domain;
//! - [`sync`]: the kiosk's signed sync with the hub, and [`hub`]: the hub server;
//! - [`devices`]: printer and dispenser faults worded for members and technicians;
//! - [`diag`]: the technician's health report, diagnostics mode and audit log;
//! - [`slips`]: those answers laid out as receipts for the printer (`anjungan-drivers`).

pub mod clock;
pub mod config;
pub mod content;
pub mod dataset;
pub mod devices;
pub mod diag;
pub mod domain;
pub mod hub;
pub mod i18n;
pub mod kiosk;
pub mod private;
pub mod secret;
pub mod services;
pub mod slips;
pub mod speech;
pub mod store;
pub mod sync;
pub mod ui;
