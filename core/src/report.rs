//! The health report: one object per component, each with `configured`, `healthy` and, when
//! not healthy, a stable `code` and a `problem` in Indonesian (`problem_en` in English).
//!
//! A component that is not configured (no printer, no hub) is `configured: false` and counts
//! as healthy: the kiosk was set up without it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::Bilingual;

/// The verdict every component carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub configured: bool,
    pub healthy: bool,
    /// Stable code of the problem, e.g. `PRINTER_PAPER_END`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What is wrong and what to do, in Indonesian.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The same in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem_en: Option<String>,
}

impl Health {
    /// Configured and working.
    pub fn ok() -> Self {
        Self {
            configured: true,
            healthy: true,
            ..Self::default()
        }
    }

    /// Not part of this kiosk's setup: not a fault.
    pub fn not_configured() -> Self {
        Self {
            configured: false,
            healthy: true,
            ..Self::default()
        }
    }

    /// Configured and failing, with why.
    pub fn problem(code: &str, message: Bilingual) -> Self {
        Self {
            configured: true,
            healthy: false,
            code: Some(code.to_owned()),
            problem: Some(message.id),
            problem_en: Some(message.en),
        }
    }

    /// The problem as a message, when there is one.
    pub fn message(&self) -> Option<Bilingual> {
        Some(Bilingual::new(
            self.problem.clone()?,
            self.problem_en.clone().unwrap_or_default(),
        ))
    }
}

/// Every component's report has its [`Health`].
pub trait Component {
    fn health(&self) -> &Health;
}

/// The receipt printer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrinterReport {
    #[serde(flatten)]
    pub health: Health,
    pub uri: Option<String>,
    /// `tcp`, `serial` or `file`.
    pub transport: Option<String>,
    /// Answered the status questions and reports itself online.
    pub online: Option<bool>,
    /// `ok`, `near-end` or `out`.
    pub paper: Option<String>,
    /// `closed` or `open`.
    pub cover: Option<String>,
    /// The last fault a slip met (`CODE`), and when (RFC 3339).
    pub last_fault: Option<String>,
    pub last_fault_at: Option<String>,
    /// Slips printed by this kiosk since its database was made.
    pub printed: i64,
}

/// The queue-ticket dispenser.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DispenserReport {
    #[serde(flatten)]
    pub health: Health,
    pub uri: Option<String>,
    /// `up` when the dispenser answered STATUS, `down` otherwise.
    pub link: Option<String>,
    /// The last frame exchanged, e.g. `STATUS ACK`, and when (RFC 3339).
    pub last_frame: Option<String>,
    pub last_frame_at: Option<String>,
    /// `ok`, `low` or `out`.
    pub paper: Option<String>,
    /// The service day the dispenser numbers for.
    pub service_day: Option<String>,
    /// Tickets the dispenser issued that day, all services.
    pub issued_today: Option<u16>,
    /// Tickets this kiosk took today, by service code.
    pub tickets_today: BTreeMap<String, i64>,
}

/// The card scanner. Only its device is checked: reading from it here would take scans
/// from the kiosk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScannerReport {
    #[serde(flatten)]
    pub health: Health,
    pub uri: Option<String>,
    /// The serial device exists (plugged in).
    pub device_present: Option<bool>,
}

/// Speech: the engine, and whether there is a sound device to hear it on. Without one
/// speech still runs (and the kiosk says so in its log): it is then shown as not
/// configured, never as a fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeechReport {
    #[serde(flatten)]
    pub health: Health,
    /// `headphones` or `loudspeaker`; `None` when speech is off.
    pub output: Option<String>,
    /// The ALSA device `aplay` plays on (`None`: ALSA's default).
    pub device: Option<String>,
    /// The engine said a word in Indonesian just now.
    pub engine_works: Option<bool>,
    /// The sound cards ALSA knows (`/proc/asound/cards`).
    pub sound_cards: Vec<String>,
}

/// Speech off: not configured.
impl Default for SpeechReport {
    fn default() -> Self {
        Self {
            health: Health::not_configured(),
            output: None,
            device: None,
            engine_works: None,
            sound_cards: Vec::new(),
        }
    }
}

/// Sync with the hub.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncReport {
    #[serde(flatten)]
    pub health: Health,
    pub hub_url: Option<String>,
    /// The hub answered HTTP just now.
    pub reachable: Option<bool>,
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    pub data_version: i64,
    pub data_as_of: Option<String>,
    pub data_age_secs: Option<i64>,
    /// Older than `max_data_age_hours`: change requests are refused.
    pub data_stale: bool,
    pub max_data_age_hours: u64,
    pub last_error: Option<String>,
    pub pending_outbox: i64,
    /// Requests set aside because the hub's signed answer named other content.
    #[serde(default)]
    pub mismatched_outbox: i64,
}

/// The kiosk database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatabaseReport {
    #[serde(flatten)]
    pub health: Health,
    pub path: String,
    /// The file plus its write-ahead log.
    pub size_bytes: u64,
    pub schema_version: u32,
    pub rows: BTreeMap<String, i64>,
    /// Opened read-only because the file or its file system refuses writes.
    #[serde(default)]
    pub read_only: bool,
    /// The data is a generated sample (`SAMPLE_DATA` in its rules): the kiosk's screen
    /// says so, and so does the hub's fleet view.
    #[serde(default)]
    pub sample_data: bool,
}

/// The kiosk PC.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemReport {
    #[serde(flatten)]
    pub health: Health,
    pub app_version: String,
    pub hostname: Option<String>,
    /// Seconds since this process started, and since the PC booted.
    pub app_uptime_secs: u64,
    pub system_uptime_secs: Option<u64>,
    /// On the file system that holds the database.
    pub disk_free_bytes: Option<u64>,
    pub disk_total_bytes: Option<u64>,
    pub memory_total_bytes: Option<u64>,
    pub memory_available_bytes: Option<u64>,
    pub ip_addresses: Vec<String>,
    /// Kiosk clock minus the hub's (its HTTP `Date`), in seconds; `None` without a hub.
    pub clock_skew_secs: Option<i64>,
    /// Diagnostics PIN lockouts in the last 24 hours (from the audit log); reported, never
    /// a fault by itself. `None` when the database cannot be read.
    pub pin_lockouts_24h: Option<u64>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiagReport {
    /// Every configured component is healthy.
    pub healthy: bool,
    /// The components that are not, in report order.
    pub unhealthy: Vec<String>,
    pub kiosk_id: String,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    pub printer: PrinterReport,
    pub dispenser: DispenserReport,
    /// Absent in the reports of builds before the scanner: not configured.
    #[serde(default)]
    pub scanner: ScannerReport,
    /// Absent in the reports of builds before speech: not configured.
    #[serde(default)]
    pub speech: SpeechReport,
    pub sync: SyncReport,
    pub database: DatabaseReport,
    pub system: SystemReport,
    /// Counts for the hub's figures that it has not acknowledged yet (a heartbeat's, not
    /// `diag`'s): see [`crate::counters`]. Absent from older kiosks' reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<crate::counters::SlotCount>,
    /// Software updates: the slot and version running, the offer, the last install's
    /// outcome (a kiosk with an update agent; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<crate::update::agent::UpdateReport>,
}

macro_rules! component {
    ($($t:ty),*) => {$(
        impl Component for $t {
            fn health(&self) -> &Health {
                &self.health
            }
        }
    )*};
}
/// No scanner: not configured (and so never unhealthy).
impl Default for ScannerReport {
    fn default() -> Self {
        Self {
            health: Health::not_configured(),
            uri: None,
            device_present: None,
        }
    }
}

component!(
    PrinterReport,
    DispenserReport,
    ScannerReport,
    SpeechReport,
    SyncReport,
    DatabaseReport,
    SystemReport
);

impl DiagReport {
    /// The components by name, in report order.
    pub fn components(&self) -> [(&'static str, &Health); 7] {
        [
            ("printer", self.printer.health()),
            ("dispenser", self.dispenser.health()),
            ("scanner", self.scanner.health()),
            ("speech", self.speech.health()),
            ("sync", self.sync.health()),
            ("database", self.database.health()),
            ("system", self.system.health()),
        ]
    }

    /// Sets `healthy` and `unhealthy` from the components.
    pub fn summarise(&mut self) {
        self.unhealthy = self
            .components()
            .iter()
            .filter(|(_, h)| !h.healthy)
            .map(|(name, _)| (*name).to_owned())
            .collect();
        self.healthy = self.unhealthy.is_empty();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_carries_the_verdicts_flat_in_each_component() {
        let mut r = DiagReport {
            printer: PrinterReport {
                health: Health::problem(
                    "PRINTER_PAPER_END",
                    Bilingual::new("Kertas habis.", "Out of paper."),
                ),
                ..PrinterReport::default()
            },
            dispenser: DispenserReport {
                health: Health::not_configured(),
                ..DispenserReport::default()
            },
            sync: SyncReport {
                health: Health::ok(),
                ..SyncReport::default()
            },
            database: DatabaseReport {
                health: Health::ok(),
                ..DatabaseReport::default()
            },
            system: SystemReport {
                health: Health::ok(),
                ..SystemReport::default()
            },
            ..DiagReport::default()
        };
        r.summarise();
        assert!(!r.healthy);
        assert_eq!(r.unhealthy, ["printer"]);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["healthy"], false);
        assert_eq!(v["printer"]["healthy"], false);
        assert_eq!(v["printer"]["problem_en"], "Out of paper.");
        assert_eq!(v["dispenser"]["configured"], false);
        assert_eq!(v["dispenser"]["healthy"], true);
        assert!(v["sync"].get("problem").is_none());
        let back: DiagReport = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
}
