//! Builds the [`DiagReport`] by asking each part of the kiosk: the printer's real-time
//! status over its transport, the dispenser's STATUS frame, the hub over HTTP (reachable,
//! and its `Date` for the clock check), the database file and the PC itself.
//!
//! Probing never changes anything except the device counters' "last frame".

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anjungan_drivers::dispenser::{ClientConfig, DispenserClient, DispenserError};
use anjungan_drivers::printer::{EscPosPrinter, Fault, PrinterError, Timeouts};
use anjungan_drivers::transport::DeviceUri;

use super::counters;
use super::report::{
    DatabaseReport, DiagReport, DispenserReport, Health, PrinterReport, SyncReport, SystemReport,
};
use crate::domain::Bilingual;
use crate::store::Store;
pub use crate::sync::hubcheck::{HubCheck, check_hub, check_hub_blocking};

/// The dispenser client the kiosk shares between tickets and diagnostics: one serial line,
/// one request at a time.
pub type SharedDispenser = Arc<Mutex<DispenserClient>>;

/// The kiosk's print gate: held while a slip prints and while the printer's status is
/// probed, so a heartbeat's probe never opens the printer in the middle of a member's print
/// (a serial port opens exclusively; on TCP, status replies would mix into the job).
pub type PrintGate = Arc<Mutex<()>>;

/// A new, unshared print gate (for `anjungan diag`, which runs in its own process).
pub fn print_gate() -> PrintGate {
    Arc::new(Mutex::new(()))
}

/// What the probes need to know about this kiosk.
#[derive(Clone)]
pub struct ProbeSetup {
    pub kiosk_id: String,
    /// The printer URI, when one is configured.
    pub printer: Option<String>,
    /// The dispenser URI and its client, when one is configured.
    pub dispenser: Option<(String, SharedDispenser)>,
    /// The card scanner URI, when one is configured.
    pub scanner: Option<String>,
    /// Speech, when it is on.
    pub speech: Option<SpeechSetup>,
    /// Shared with the kiosk's printing (see [`PrintGate`]).
    pub print_gate: PrintGate,
    pub db: PathBuf,
    pub hub_url: Option<String>,
    /// The hub's certificate, for an https:// hub.
    pub hub_ca: Option<PathBuf>,
    pub max_data_age_hours: u64,
    pub zone: chrono_tz::Tz,
    /// When the app started, for its uptime.
    pub started: Instant,
}

/// Client settings for a probe: a missing dispenser is reported in about two seconds.
pub fn probe_client_config() -> ClientConfig {
    ClientConfig {
        reply_timeout: Duration::from_millis(400),
        attempts: 2,
        reconnect_for: Duration::from_millis(500),
    }
}

/// Opens a dispenser client for probing (the CLI's; the kiosk shares its own).
pub fn dispenser_client(uri: &str) -> Result<SharedDispenser, DispenserError> {
    Ok(Arc::new(Mutex::new(DispenserClient::new(
        uri,
        probe_client_config(),
    )?)))
}

/// Clocks further apart than this are a problem (the hub's request window is 300 s).
pub const MAX_CLOCK_SKEW_SECS: i64 = 120;
/// Less free disk than this is a problem (a sync download needs room beside the database).
pub const MIN_DISK_FREE: u64 = 256 * 1024 * 1024;
/// Less available memory than this is a problem.
pub const MIN_MEMORY_AVAILABLE: u64 = 64 * 1024 * 1024;

/// The heartbeat's report for a sync agent that runs without the kiosk's devices
/// (`anjungan sync`, a diagnostics action, the demo): sync, database and system.
pub fn headless_health(
    config: &crate::sync::agent::AgentConfig,
) -> crate::sync::agent::HealthProbe {
    let setup = ProbeSetup {
        kiosk_id: config.cons_id.clone(),
        printer: None,
        dispenser: None,
        scanner: None,
        speech: None,
        print_gate: print_gate(),
        db: config.db.clone(),
        hub_url: Some(config.hub_url.clone()),
        hub_ca: config.hub_ca.clone(),
        max_data_age_hours: 48,
        zone: crate::clock::DEFAULT_ZONE,
        started: Instant::now(),
    };
    Arc::new(move |hub: &HubCheck| report(&setup, Some(hub)))
}

/// A sync agent whose heartbeats carry [`headless_health`]'s report.
pub fn headless_agent(
    config: crate::sync::agent::AgentConfig,
) -> Result<crate::sync::SyncAgent, crate::sync::SyncError> {
    let health = headless_health(&config);
    crate::sync::SyncAgent::new(config, health)
}

/// The whole report, checking the hub first when one is configured.
pub fn report_blocking(setup: &ProbeSetup) -> DiagReport {
    let hub = setup
        .hub_url
        .as_deref()
        .map(|url| check_hub_blocking(url, setup.hub_ca.as_deref()));
    report(setup, hub.as_ref())
}

/// The whole report, with the hub check already done (`None`: no hub configured).
pub fn report(setup: &ProbeSetup, hub: Option<&HubCheck>) -> DiagReport {
    let now = chrono::Utc::now();
    let (database, mut store) = database(&setup.db);
    let today = now.with_timezone(&setup.zone).date_naive();
    let mut r = DiagReport {
        healthy: false,
        unhealthy: Vec::new(),
        kiosk_id: setup.kiosk_id.clone(),
        generated_at: now.to_rfc3339(),
        printer: printer(setup.printer.as_deref(), &setup.print_gate, store.as_ref()),
        dispenser: dispenser(setup.dispenser.as_ref(), store.as_mut(), today),
        scanner: scanner(setup.scanner.as_deref()),
        speech: speech(setup.speech.as_ref(), Path::new("/proc/asound/cards")),
        sync: sync(setup, hub, store.is_some()),
        database,
        system: SystemReport {
            pin_lockouts_24h: store
                .as_ref()
                .and_then(|s| super::audit::lockouts_last_day(s, now).ok()),
            ..system(setup, hub)
        },
        // The sync agent adds the counts a heartbeat carries; `diag` shows none.
        counters: Vec::new(),
        // The kiosk adds its update agent's report (docs/updates.md).
        update: None,
    };
    r.summarise();
    r
}

fn text(id: impl Into<String>, en: impl Into<String>) -> Bilingual {
    Bilingual::new(id, en)
}

/// The technician's wording for a printer fault.
pub fn printer_problem(code: &str) -> Bilingual {
    match code {
        "PRINTER_PAPER_END" => Bilingual::tr("Kertas printer habis. Pasang gulungan kertas baru."),
        "PRINTER_COVER_OPEN" => Bilingual::tr("Penutup printer terbuka. Tutup hingga terkunci."),
        "PRINTER_UNREACHABLE" => {
            Bilingual::tr("Printer tidak dapat dihubungi. Periksa kabel, daya dan alamat printer.")
        }
        "PRINTER_FLOODING" => Bilingual::tr(
            "Printer mengirim data terus-menerus. Matikan lalu nyalakan printer, atau periksa alamatnya.",
        ),
        _ => Bilingual::tr(
            "Printer melaporkan dirinya offline. Periksa lampu error dan daya printer.",
        ),
    }
}

fn printer(uri: Option<&str>, gate: &PrintGate, store: Option<&Store>) -> PrinterReport {
    let counters = store
        .and_then(|s| counters::printer(s).ok())
        .unwrap_or_default();
    let mut r = PrinterReport {
        health: Health::not_configured(),
        uri: uri.map(str::to_owned),
        printed: counters.printed,
        last_fault: counters.last_fault,
        last_fault_at: counters.last_fault_at,
        ..PrinterReport::default()
    };
    let Some(uri) = uri else { return r };
    r.transport = uri.parse::<DeviceUri>().ok().map(|u| {
        match u {
            DeviceUri::Tcp { .. } => "tcp",
            DeviceUri::Serial { .. } => "serial",
            DeviceUri::File { .. } => "file",
        }
        .to_owned()
    });
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        status: Duration::from_millis(800),
        ..Timeouts::default()
    };
    let status = {
        let _printing = gate.lock().unwrap_or_else(|p| p.into_inner());
        EscPosPrinter::open(uri, timeouts).and_then(|mut p| p.status())
    };
    match status {
        Ok(status) => {
            r.online = Some(status.online);
            r.paper = Some(
                if status.paper_end {
                    "out"
                } else if status.paper_near_end {
                    "near-end"
                } else {
                    "ok"
                }
                .into(),
            );
            r.cover = Some(if status.cover_open { "open" } else { "closed" }.into());
            r.health = match status.fault() {
                None => Health::ok(),
                Some(f) => Health::problem(f.code(), printer_problem(f.code())),
            };
        }
        Err(e) => {
            r.online = Some(false);
            let code = match e {
                PrinterError::Uri(_) => "PRINTER_URI",
                PrinterError::Flooding => "PRINTER_FLOODING",
                _ if e.fault() == Some(Fault::Offline) => "PRINTER_UNREACHABLE",
                _ => e.code(),
            };
            r.health = Health::problem(code, printer_problem(code));
        }
    }
    r
}

/// The scanner: not configured, or whether its serial device is there.
fn scanner(uri: Option<&str>) -> super::report::ScannerReport {
    use super::report::ScannerReport;
    use anjungan_drivers::transport::DeviceUri;
    let Some(uri) = uri else {
        return ScannerReport {
            health: Health::not_configured(),
            ..ScannerReport::default()
        };
    };
    let (health, present) = match uri.parse::<DeviceUri>() {
        Ok(DeviceUri::Serial { path, .. }) if path.exists() => (Health::ok(), Some(true)),
        Ok(DeviceUri::Serial { path, .. }) => (
            Health::problem(
                "SCANNER_ABSENT",
                Bilingual::tr_with(
                    "Pemindai kartu tidak ditemukan di {path}. Periksa kabel USB-nya; anggota tetap bisa mengetik nomornya.",
                    &[("path", &path.display())],
                ),
            ),
            Some(false),
        ),
        _ => (
            Health::problem(
                "SCANNER_URI",
                Bilingual::tr(
                    "Alamat pemindai kartu salah. Periksa [scanner] uri (serial:///dev/…).",
                ),
            ),
            None,
        ),
    };
    ScannerReport {
        health,
        uri: Some(uri.to_owned()),
        device_present: present,
    }
}

/// Speech as the kiosk uses it.
#[derive(Debug, Clone)]
pub struct SpeechSetup {
    /// `headphones` or `loudspeaker`.
    pub output: String,
    /// The ALSA device for `aplay -D` (`None`: ALSA's default).
    pub device: Option<String>,
    pub engine: crate::speech::Espeak,
    /// The program that plays the sound: `aplay`.
    pub player: String,
}

impl SpeechSetup {
    /// Speech heard at `output`, played by `aplay` on `device`.
    pub fn new(output: &str, device: Option<String>) -> Self {
        Self {
            output: output.to_owned(),
            device,
            engine: crate::speech::Espeak::default(),
            player: "aplay".into(),
        }
    }
}

/// Speech: off, its engine broken (a fault: the member hears nothing), no sound card (not
/// configured, as the kiosk runs without one), or working.
fn speech(setup: Option<&SpeechSetup>, cards_file: &Path) -> super::report::SpeechReport {
    use super::report::SpeechReport;
    let Some(setup) = setup else {
        return SpeechReport::default();
    };
    // /proc/asound/cards: " 0 [PCH            ]: HDA-Intel - HDA Intel PCH" per card, or
    // "--- no soundcards ---".
    let sound_cards: Vec<String> = std::fs::read_to_string(cards_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once("]: ").map(|(_, name)| name.trim().to_owned()))
        .collect();
    let engine = setup.engine.synthesize("tes", crate::domain::Lang::Id);
    let health = match &engine {
        Err(e) => Health::problem(e.code(), crate::domain::Explain::explain(e)),
        Ok(_) if sound_cards.is_empty() => Health {
            configured: false,
            healthy: true,
            ..Health::problem(
                "SPEECH_NO_OUTPUT",
                Bilingual::tr(
                    "Tidak ada kartu suara: suara anjungan tidak terdengar. Pasang headphone atau speaker USB; anjungan tetap berjalan.",
                ),
            )
        },
        Ok(_) => Health::ok(),
    };
    SpeechReport {
        health,
        output: Some(setup.output.clone()),
        device: setup.device.clone(),
        engine_works: Some(engine.is_ok()),
        sound_cards,
    }
}

/// The technician's wording for a dispenser problem.
pub fn dispenser_problem(code: &str) -> Bilingual {
    match code {
        "DISPENSER_PAPER_OUT" => {
            Bilingual::tr("Kertas mesin antrean habis. Pasang gulungan tiket baru.")
        }
        "DISPENSER_URI" => Bilingual::tr("Alamat mesin antrean salah. Periksa [dispenser] uri."),
        _ => Bilingual::tr(
            "Mesin antrean tidak menjawab. Periksa kabel serial/USB dan daya mesin antrean.",
        ),
    }
}

fn dispenser(
    link: Option<&(String, SharedDispenser)>,
    store: Option<&mut Store>,
    today: chrono::NaiveDate,
) -> DispenserReport {
    let mut r = DispenserReport {
        health: Health::not_configured(),
        ..DispenserReport::default()
    };
    let mut day = today;
    if let Some((uri, client)) = link {
        r.uri = Some(uri.clone());
        let answer = client.lock().unwrap_or_else(|p| p.into_inner()).status();
        let at = chrono::Utc::now();
        let frame = match &answer {
            Ok(status) => {
                r.link = Some("up".into());
                r.paper = Some(
                    match status.paper {
                        0 => "ok",
                        1 => "low",
                        _ => "out",
                    }
                    .into(),
                );
                r.service_day = Some(status.day.to_string());
                r.issued_today = Some(status.issued);
                day = status.day;
                r.health = if status.paper >= 2 {
                    Health::problem(
                        "DISPENSER_PAPER_OUT",
                        dispenser_problem("DISPENSER_PAPER_OUT"),
                    )
                } else {
                    Health::ok()
                };
                Some("STATUS ACK")
            }
            Err(e) => {
                r.link = Some("down".into());
                let code = match e {
                    DispenserError::Uri(_) | DispenserError::NotSerial(_) => "DISPENSER_URI",
                    _ => "DISPENSER_OFFLINE",
                };
                r.health = Health::problem(code, dispenser_problem(code));
                matches!(e, DispenserError::Refused(_)).then_some("STATUS NAK")
            }
        };
        if let (Some(frame), Some(s)) = (frame, store.as_deref()) {
            let _ = counters::record_frame(s, frame, at);
        }
    }
    if let Some(s) = store {
        if let Ok((frame, at)) = counters::last_frame(s) {
            r.last_frame = frame;
            r.last_frame_at = at;
        }
        r.tickets_today = counters::tickets_on(s, day).unwrap_or_default();
    }
    r
}

fn sync(setup: &ProbeSetup, hub: Option<&HubCheck>, db_ok: bool) -> SyncReport {
    let status = if db_ok {
        crate::sync::agent::read_status(&setup.db).unwrap_or_default()
    } else {
        crate::sync::SyncStatus::default()
    };
    let stale = status
        .data_age_secs
        .is_none_or(|a| a > crate::services::request::max_age_secs(setup.max_data_age_hours));
    let mut r = SyncReport {
        health: Health::not_configured(),
        hub_url: setup.hub_url.clone(),
        reachable: hub.map(|h| h.reachable),
        last_success: status.last_success,
        last_attempt: status.last_attempt,
        data_version: status.data_version,
        data_as_of: status.data_as_of,
        data_age_secs: status.data_age_secs,
        data_stale: stale,
        max_data_age_hours: setup.max_data_age_hours,
        last_error: status.last_error,
        pending_outbox: status.pending_outbox,
        mismatched_outbox: status.mismatched_outbox,
    };
    let Some(hub) = hub else { return r };
    r.health = if r.mismatched_outbox > 0 {
        Health::problem(
            "REQUEST_CONTENT_MISMATCH",
            Bilingual::tr_with(
                "{0} permohonan berbeda isinya di hub (diubah di jalan atau di hub); tidak dianggap terkirim. Periksa `anjungan diag` dan laporkan ke hub.",
                &[("0", &r.mismatched_outbox)],
            ),
        )
    } else if !hub.reachable {
        // The reason (a refused address, a certificate that does not match, a timeout),
        // clipped: it comes from the network stack and carries no member data.
        let why: String = hub
            .error
            .as_deref()
            .map(|e| format!(" ({})", e.chars().take(200).collect::<String>()))
            .unwrap_or_default();
        Health::problem(
            "HUB_UNREACHABLE",
            text(
                format!(
                    "Hub tidak dapat dihubungi. Periksa jaringan, alamat hub dan sertifikatnya; data lama tetap dipakai.{why}"
                ),
                format!(
                    "The hub cannot be reached. Check the network, the hub address and its certificate; the old data stays in use.{why}"
                ),
            ),
        )
    } else if stale {
        let hours = r
            .data_age_secs
            .map_or_else(|| "?".into(), |a| (a / 3600).to_string());
        Health::problem(
            "DATA_STALE",
            text(
                format!(
                    "Data berumur {hours} jam (batas {} jam); permohonan perubahan ditolak. Jalankan Sinkronkan sekarang.",
                    setup.max_data_age_hours
                ),
                format!(
                    "The data is {hours} hours old (limit {} hours); change requests are refused. Run Sync now.",
                    setup.max_data_age_hours
                ),
            ),
        )
    } else if let Some(e) = &r.last_error {
        Health::problem(
            "SYNC_FAILING",
            text(
                format!("Sinkronisasi terakhir gagal: {e}"),
                format!("The last sync failed: {e}"),
            ),
        )
    } else {
        Health::ok()
    };
    r
}

/// The file plus its WAL, in bytes.
fn db_size(db: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            std::fs::metadata(PathBuf::from(p)).ok()
        })
        .map(|m| m.len())
        .sum()
}

fn database(db: &Path) -> (DatabaseReport, Option<Store>) {
    let mut r = DatabaseReport {
        health: Health::ok(),
        path: db.display().to_string(),
        size_bytes: db_size(db),
        ..DatabaseReport::default()
    };
    if !db.is_file() {
        r.health = Health::problem(
            "DB_MISSING",
            Bilingual::tr_with(
                "Basis data {0} tidak ada. Jalankan sinkronisasi atau `anjungan import`.",
                &[("0", &db.display())],
            ),
        );
        return (r, None);
    }
    let store = match Store::open_for_lookups(db) {
        Ok(s) => s,
        Err(e) => {
            r.health = Health::problem(
                "DB_ERROR",
                text(
                    format!("Basis data tidak dapat dibuka: {e}"),
                    format!("The database cannot be opened: {e}"),
                ),
            );
            return (r, None);
        }
    };
    r.schema_version = crate::store::migrations::SCHEMA_VERSION;
    r.read_only = store.is_read_only();
    r.sample_data = store
        .rules()
        .is_ok_and(|t| t.at(chrono::Utc::now().date_naive()).sample_data);
    match store.row_counts() {
        Ok(rows) => {
            r.rows = rows.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
            let empty = ["members", "facilities"]
                .iter()
                .any(|t| r.rows.get(*t).copied().unwrap_or(0) == 0);
            if empty {
                r.health = Health::problem(
                    "DB_EMPTY",
                    Bilingual::tr(
                        "Basis data belum berisi data peserta atau faskes. Jalankan sinkronisasi atau `anjungan import`.",
                    ),
                );
            }
        }
        Err(e) => {
            r.health = Health::problem(
                "DB_ERROR",
                text(
                    format!("Basis data tidak dapat dibaca: {e}"),
                    format!("The database cannot be read: {e}"),
                ),
            );
        }
    }
    if r.read_only && r.health.healthy {
        // Lookups answer; change requests, sync and imports cannot be saved.
        r.health = Health::problem(
            "DB_READ_ONLY",
            Bilingual::tr(
                "Basis data hanya dapat dibaca (disk atau berkas hanya-baca): pencarian tetap berjalan, tetapi permintaan perubahan, sinkronisasi dan impor gagal. Periksa disk kiosk.",
            ),
        );
    }
    (r, Some(store))
}

/// `MemTotal` and `MemAvailable` from /proc/meminfo, in bytes.
fn memory() -> (Option<u64>, Option<u64>) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb * 1024)
    };
    (field("MemTotal:"), field("MemAvailable:"))
}

fn ip_addresses() -> Vec<String> {
    let mut out: Vec<String> = nix::ifaddrs::getifaddrs()
        .map(|addrs| {
            addrs
                .filter(|a| a.interface_name != "lo")
                .filter_map(|a| {
                    let addr = a.address?;
                    if let Some(v4) = addr.as_sockaddr_in() {
                        Some(format!("{}: {}", a.interface_name, v4.ip()))
                    } else {
                        addr.as_sockaddr_in6()
                            .map(|v6| format!("{}: {}", a.interface_name, v6.ip()))
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

fn system(setup: &ProbeSetup, hub: Option<&HubCheck>) -> SystemReport {
    let dir = setup
        .db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let disk = nix::sys::statvfs::statvfs(dir).ok();
    // fsblkcnt_t and c_ulong are u64 here but not on every target.
    #[allow(clippy::unnecessary_cast)]
    let (disk_free, disk_total) = (
        disk.as_ref()
            .map(|d| d.blocks_available() as u64 * d.fragment_size() as u64),
        disk.as_ref()
            .map(|d| d.blocks() as u64 * d.fragment_size() as u64),
    );
    let (memory_total, memory_available) = memory();
    let mut r = SystemReport {
        health: Health::ok(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned()),
        app_uptime_secs: setup.started.elapsed().as_secs(),
        system_uptime_secs: std::fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
            .map(|s| s as u64),
        disk_free_bytes: disk_free,
        disk_total_bytes: disk_total,
        memory_total_bytes: memory_total,
        memory_available_bytes: memory_available,
        ip_addresses: ip_addresses(),
        clock_skew_secs: hub.and_then(|h| h.skew_secs),
        pin_lockouts_24h: None,
    };
    r.health = if let Some(skew) = r.clock_skew_secs.filter(|s| s.abs() > MAX_CLOCK_SKEW_SECS) {
        Health::problem(
            "CLOCK_SKEW",
            text(
                format!("Jam anjungan berbeda {skew} detik dari hub. Periksa NTP/zona waktu."),
                format!("The kiosk clock is {skew} s off the hub's. Check NTP and the time zone."),
            ),
        )
    } else if r.disk_free_bytes.is_some_and(|f| f < MIN_DISK_FREE) {
        Health::problem(
            "DISK_LOW",
            Bilingual::tr("Ruang disk hampir habis; sinkronisasi bisa gagal. Kosongkan disk."),
        )
    } else if r
        .memory_available_bytes
        .is_some_and(|m| m < MIN_MEMORY_AVAILABLE)
    {
        Health::problem(
            "MEMORY_LOW",
            Bilingual::tr("Memori hampir habis. Mulai ulang aplikasi."),
        )
    } else {
        Health::ok()
    };
    r
}

#[cfg(test)]
pub(crate) mod tests {
    #[test]
    fn speech_is_off_working_unheard_or_broken() {
        let dir = tempfile::tempdir().unwrap();
        let cards = dir.path().join("cards");
        assert!(!super::speech(None, &cards).health.configured);

        let setup = super::SpeechSetup::new("headphones", Some("plughw:1,0".into()));
        std::fs::write(
            &cards,
            " 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n                      HDA Intel PCH at 0xf7f10000 irq 32\n",
        )
        .unwrap();
        let ok = super::speech(Some(&setup), &cards);
        assert!(ok.health.configured && ok.health.healthy, "{ok:?}");
        assert_eq!(ok.sound_cards, ["HDA-Intel - HDA Intel PCH"]);
        assert_eq!(ok.engine_works, Some(true));
        assert_eq!(ok.device.as_deref(), Some("plughw:1,0"));

        // No sound card: speech still runs; not configured, never unhealthy.
        std::fs::write(&cards, "--- no soundcards ---\n").unwrap();
        let unheard = super::speech(Some(&setup), &cards);
        assert!(
            !unheard.health.configured && unheard.health.healthy,
            "{unheard:?}"
        );
        assert_eq!(unheard.health.code.as_deref(), Some("SPEECH_NO_OUTPUT"));
        let gone = super::speech(Some(&setup), &dir.path().join("no-such-file"));
        assert!(gone.health.healthy && !gone.health.configured);

        // The engine does not work: a fault, the member would hear nothing.
        let mut broken = setup;
        broken.engine.program = "anjungan-no-such-espeak".into();
        let b = super::speech(Some(&broken), &cards);
        assert!(b.health.configured && !b.health.healthy, "{b:?}");
        assert_eq!(b.health.code.as_deref(), Some("SPEECH_NOT_INSTALLED"));
    }

    #[test]
    fn the_scanner_is_not_configured_present_or_missing_never_read() {
        let none = super::scanner(None);
        assert!(!none.health.configured && none.health.healthy);
        let pty = anjungan_drivers::pty::Pty::open().unwrap();
        let here = super::scanner(Some(&format!("serial://{}", pty.path().display())));
        assert!(
            here.health.healthy && here.device_present == Some(true),
            "{here:?}"
        );
        let gone = super::scanner(Some("serial:///dev/anjungan-no-such-scanner"));
        assert!(!gone.health.healthy && gone.device_present == Some(false));
        assert_eq!(gone.health.code.as_deref(), Some("SCANNER_ABSENT"));
        assert!(
            gone.health
                .problem_en
                .as_deref()
                .unwrap()
                .contains("USB cable")
        );
        let bad = super::scanner(Some("tcp://127.0.0.1:1"));
        assert_eq!(bad.health.code.as_deref(), Some("SCANNER_URI"));
    }

    use super::*;

    /// Holds `gate`, starts `open_printer` (which opens `tcp://` to the returned listener's
    /// address) on a thread, and checks that the printer is not opened until the gate is
    /// released.
    pub(crate) fn waits_for_the_gate(
        gate: &PrintGate,
        open_printer: impl FnOnce(String) + Send + 'static,
    ) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let uri = format!("tcp://{}", listener.local_addr().unwrap());
        let held = gate.lock().unwrap();
        let worker = std::thread::spawn(move || open_printer(uri));
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(
            listener.accept().map(|_| ()).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock,
            "the printer was opened while the gate was held"
        );
        drop(held);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match listener.accept() {
                Ok((conn, _)) => {
                    drop(conn);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(
                        Instant::now() < deadline,
                        "never opened after the gate was released"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("{e}"),
            }
        }
        worker.join().unwrap();
    }

    #[test]
    fn the_printer_probe_waits_while_a_slip_prints() {
        let gate = print_gate();
        let probe_gate = gate.clone();
        waits_for_the_gate(&gate, move |uri| {
            let r = printer(Some(&uri), &probe_gate, None);
            assert_eq!(r.online, Some(false), "the test closes the connection");
        });
    }
}
