//! What the Anjungan kiosk and its hub share, with no UI in its dependency tree:
//! - [`domain`]: JKN rules (identifiers, dues, eligibility) as pure functions of their inputs;
//! - [`store`]: the SQLite schema (encrypted, SQLCipher) and its migrations;
//! - [`private`]: owner-only (0600) files, whatever the umask;
//! - [`dataset`]: the CSV dataset format, its importer and the synthetic generator;
//! - [`content`]: the Info JKN articles and counter services shipped as defaults;
//! - [`services`]: the answers a kiosk (and the hub's on-demand lookup) gives, built from
//!   store + domain;
//! - [`sync`]: the signed sync wire (payloads, request authentication, TLS) and the kiosk's
//!   side of it;
//! - `devices` (feature `devices`, the kiosk's): printer and dispenser faults worded for
//!   members and technicians;
//! - [`update`]: software updates offered by the hub (RAUC bundles, A/B slots);
//! - [`report`]: the health report a kiosk sends in its heartbeat and the hub reads back;
//! - [`i18n`]: the gettext catalogs for Rust-side text; [`logmask`]: no NIK in a log line;
//! - [`cli`]: the JSON-or-bilingual-text answers both binaries print.

pub mod cli;
pub mod clock;
pub mod content;
pub mod counters;
pub mod dataset;
#[cfg(feature = "devices")]
pub mod devices;
pub mod domain;
pub mod i18n;
pub mod logmask;
pub mod private;
pub mod report;
pub mod secret;
pub mod services;
pub mod store;
pub mod sync;
pub mod update;
