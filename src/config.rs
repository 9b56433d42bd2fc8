//! The kiosk's configuration file (`/etc/anjungan/config.toml`), read once at start.
//!
//! Each section belongs to one part of the kiosk; a part that is not configured is absent
//! (`None`), which diagnostics reports as "not configured" rather than as a fault. Every value
//! can also be given as a command-line flag, which wins over the file (`anjungan kiosk` and
//! `anjungan sync` read it with `--config`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub kiosk: KioskConfig,
    pub printer: Option<PrinterConfig>,
    pub dispenser: Option<DispenserConfig>,
    pub scanner: Option<ScannerConfig>,
    pub hub: Option<HubConfig>,
    #[serde(default)]
    pub sync: SyncConfig,
    #[serde(default)]
    pub diag: DiagConfig,
    #[serde(default)]
    pub speech: SpeechConfig,
    #[serde(default)]
    pub display: DisplayConfig,
    /// Software updates from the hub (docs/updates.md): absent, none (a PC installed from
    /// the .deb takes its updates from apt).
    pub updates: Option<UpdatesConfig>,
    /// How the image's first boot encrypts the data partition (kiosk-image/README.md, "The
    /// encrypted data partition"). Read by the image's `anjungan-data-crypt` from the FAT
    /// partition's copy, before this file is in `/etc`; the app only checks its value.
    #[serde(default)]
    pub disk: DiskConfig,
}

/// `[disk]`: the data partition's unlock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiskConfig {
    pub unlock: DiskUnlock,
}

/// `tpm2` (the default: a key sealed to the TPM; no TPM refuses first boot) or
/// `passphrase` (PCs without a TPM: the printed recovery key, typed at every boot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskUnlock {
    #[default]
    Tpm2,
    Passphrase,
}

/// `[updates]`: RAUC bundles the hub offers, installed into the other A/B slot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdatesConfig {
    /// The hub's channel this kiosk follows: `stable`, `pilot`, …
    pub channel: String,
    /// Local time (`kiosk.zone`) when installing and restarting is allowed, outside
    /// service hours: `22:00-05:00`.
    pub install_window: String,
    /// Where bundles are downloaded (the data partition); default: `updates/` beside the
    /// database.
    pub dir: Option<std::path::PathBuf>,
    /// Free space kept for the database beyond a bundle, in MiB (twice the database's
    /// size is kept as well).
    pub reserve_mb: u64,
    /// Between looks at the hub's offer.
    pub check_secs: u64,
    /// How long the kiosk must be healthy before a boot counts as good.
    pub health_secs: u64,
    /// RAUC's command.
    pub rauc: std::path::PathBuf,
    /// Written once healthy (the image's `anjungan-boot-ok.service` waits for it).
    pub health_mark: std::path::PathBuf,
    /// Written to ask for the restart into the new slot (`anjungan-reboot.path`).
    pub reboot_mark: std::path::PathBuf,
    /// Names the factory image's version (`IMAGE_VERSION=`).
    pub os_release: std::path::PathBuf,
}

impl Default for UpdatesConfig {
    fn default() -> Self {
        Self {
            channel: "stable".into(),
            install_window: "22:00-05:00".into(),
            dir: None,
            reserve_mb: 256,
            check_secs: 300,
            health_secs: 60,
            rauc: "rauc".into(),
            health_mark: "/run/anjungan/healthy".into(),
            reboot_mark: "/run/anjungan/reboot".into(),
            os_release: "/etc/os-release".into(),
        }
    }
}

impl UpdatesConfig {
    /// The install window, checked.
    pub fn window(&self) -> Result<anjungan_core::update::window::InstallWindow, String> {
        self.install_window
            .parse()
            .map_err(|e| format!("updates.install_window: {e}"))
    }

    fn check(&self) -> Result<(), String> {
        anjungan_core::update::check_channel(&self.channel)
            .map_err(|e| format!("updates.channel: {e}"))?;
        self.window()?;
        for (name, value, range) in [
            ("check_secs", self.check_secs, 10..=86_400),
            ("health_secs", self.health_secs, 10..=600),
            ("reserve_mb", self.reserve_mb, 0..=1 << 20),
        ] {
            if !range.contains(&value) {
                return Err(out_of_range("updates", name, value, &range));
            }
        }
        Ok(())
    }
}

/// The panel's physical size, which turns pixels into millimetres: `tests/ui_sizes.rs`
/// holds every target, gap and letter of the UI to sizes in mm (docs/ui.md).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisplayConfig {
    /// The diagonal of the visible area, in inches.
    pub diagonal_inches: f64,
    /// Its resolution.
    pub width_px: u32,
    pub height_px: u32,
}

impl Default for DisplayConfig {
    /// The common kiosk panel: 21.5 inches, 1080×1920 portrait.
    fn default() -> Self {
        Self {
            diagonal_inches: 21.5,
            width_px: 1080,
            height_px: 1920,
        }
    }
}

impl DisplayConfig {
    /// Millimetres per pixel (square pixels).
    pub fn mm_per_px(&self) -> f64 {
        let diagonal_px = f64::from(self.width_px).hypot(f64::from(self.height_px));
        self.diagonal_inches * 25.4 / diagonal_px
    }
}

/// Spoken guidance (docs/accessibility.md). Off unless set: until headphone detection is
/// built, a technician chooses where the kiosk's voice is heard. With a mode set, the
/// kiosk speaks once the member presses the speech key (F4), or from the start of every
/// visit with `always = true`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpeechConfig {
    /// `off`, `headphones` (personal data may be spoken) or `loudspeaker` (guidance only).
    pub mode: SpeechMode,
    /// The ALSA device for `aplay -D`, e.g. `plughw:1,0`; default: ALSA's default.
    pub device: Option<String>,
    /// Speak from the start of every visit, not only after the speech key.
    pub always: bool,
    /// The sound card's headphone jack control (e.g. `Headphone Jack`): plugging headphones
    /// in turns speech on, and speech is then private whatever `mode` says. Read with
    /// `amixer`; unset: no detection.
    pub jack: Option<String>,
    /// The ALSA card of `jack`.
    pub card: u32,
}

/// Where the kiosk's voice is heard, if anywhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeechMode {
    #[default]
    Off,
    Headphones,
    Loudspeaker,
}

impl SpeechMode {
    /// As the config writes it; `None` when off.
    pub fn output(self) -> Option<&'static str> {
        match self {
            Self::Off => None,
            Self::Headphones => Some("headphones"),
            Self::Loudspeaker => Some("loudspeaker"),
        }
    }
}

/// Who and where this kiosk is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KioskConfig {
    /// A short id, unique in the fleet (also the hub's `cons_id` unless [hub] says otherwise).
    pub id: String,
    /// Shown on slips, e.g. "KC Bandung".
    pub name: String,
    /// WIB, WITA, WIT or an IANA zone name; decides "today".
    pub zone: String,
    /// The kiosk's location as `LAT,LON`, for "nearest" searches.
    pub location: Option<String>,
    /// The SQLite database.
    pub db: PathBuf,
    /// The kab/kota codes whose members this kiosk keeps (e.g. `["3273", "3204"]`); empty:
    /// every region its hub serves. Members from elsewhere are looked up at the hub.
    pub regions: Vec<String>,
}

impl KioskConfig {
    /// [`KioskConfig::regions`] checked and sorted; `None`: all.
    pub fn regions(&self) -> Result<Option<Vec<String>>, String> {
        crate::sync::regions::parse_regions(&self.regions)
    }
}

impl Default for KioskConfig {
    fn default() -> Self {
        Self {
            id: "kiosk-1".into(),
            name: "Anjungan JKN".into(),
            zone: "WIB".into(),
            location: None,
            db: PathBuf::from("/var/lib/anjungan/kiosk.db"),
            regions: Vec::new(),
        }
    }
}

/// The receipt printer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// `tcp://HOST:9100`, `serial:///dev/ttyUSB0?baud=9600` or `file:///dev/usb/lp0`.
    pub uri: String,
    /// Paper width in millimetres: 58 or 80.
    #[serde(default = "default_paper_mm")]
    pub paper_mm: u32,
}

fn default_paper_mm() -> u32 {
    80
}

/// The queue-ticket dispenser.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispenserConfig {
    /// `serial:///dev/anjungan-dispenser?baud=9600`.
    pub uri: String,
    /// The local hour at which ticket numbers start again from 1.
    #[serde(default)]
    pub day_reset_hour: u32,
}

/// The card scanner (a serial barcode/QR scanner).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerConfig {
    /// `serial:///dev/anjungan-scanner?baud=9600`.
    pub uri: String,
}

/// The upstream hub.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// `https://HOST:PORT` (plain `http://` only to a loopback hub).
    pub url: String,
    /// The hub's TLS certificate (PEM, `tls.crt` from `hub keygen`): the only one trusted.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// The hub's Ed25519 public key file, pinned.
    pub public_key: PathBuf,
    pub cons_id: String,
    /// The shared secret itself. Works, with a warning: prefer `secret_file` or the
    /// systemd credential `hub-secret` (see [`crate::secret`]).
    #[serde(default)]
    pub secret: Option<String>,
    /// A file holding the secret (mode 600, one line).
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
}

impl HubConfig {
    /// Where the secret comes from, given the command-line flags (which win) and this
    /// process's environment (see [`crate::secret`] for the order).
    pub fn secret_sources(
        hub: Option<&HubConfig>,
        flag_file: Option<PathBuf>,
        flag: Option<String>,
    ) -> crate::secret::Sources {
        crate::secret::Sources::from_env(
            flag_file,
            flag,
            hub.and_then(|h| h.secret_file.clone()),
            hub.and_then(|h| h.secret.clone()),
        )
    }
}

impl std::fmt::Debug for HubConfig {
    /// The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubConfig")
            .field("url", &self.url)
            .field("ca", &self.ca)
            .field("public_key", &self.public_key)
            .field("cons_id", &self.cons_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

/// How often and how strictly the kiosk syncs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    pub interval_secs: u64,
    /// Change requests are refused when the data is older than this.
    pub max_data_age_hours: u64,
    /// The first retry delay after a failed cycle; it doubles per failure (with jitter).
    pub retry_base_secs: u64,
    /// The longest retry delay.
    pub retry_cap_secs: u64,
    /// Days a decided request stays checkable at the kiosk, then is forgotten (domain.md §8).
    pub request_retention_days: u64,
    /// The largest sync download accepted, in MiB (a 1M-member snapshot is about 86 MiB).
    pub max_download_mb: u64,
    /// The longest one sync cycle (push and pull) may take, in seconds.
    pub cycle_deadline_secs: u64,
}

/// Ranges of the hostile-peer limits in [sync].
pub const MAX_DOWNLOAD_MB: std::ops::RangeInclusive<u64> = 1..=65_536;
pub const CYCLE_DEADLINE_SECS: std::ops::RangeInclusive<u64> = 10..=86_400;

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            interval_secs: 15 * 60,
            max_data_age_hours: 48,
            retry_base_secs: 30,
            retry_cap_secs: 15 * 60,
            request_retention_days: 90,
            max_download_mb: 1024,
            cycle_deadline_secs: 3600,
        }
    }
}

/// The ranges the numbers of `[sync]` (and the matching command-line flags) accept. Zero
/// would switch a safeguard off; huge values overflow when turned into durations.
pub mod limits {
    use std::ops::RangeInclusive;

    /// 10 s to one day between sync cycles.
    pub const INTERVAL_SECS: RangeInclusive<u64> = 10..=86_400;
    /// One hour to one year (`--max-data-age-hours` too).
    pub const MAX_DATA_AGE_HOURS: RangeInclusive<u64> = 1..=8_760;
    /// 1 s to one hour for the first retry.
    pub const RETRY_BASE_SECS: RangeInclusive<u64> = 1..=3_600;
    /// 1 s to one day for the longest retry (and never below the first).
    pub const RETRY_CAP_SECS: RangeInclusive<u64> = 1..=86_400;
    /// One day to ten years.
    pub const REQUEST_RETENTION_DAYS: RangeInclusive<u64> = 1..=3_650;
}

/// The ranges `[diag]` accepts; the diagnostics mode clamps settings made in code to them.
pub mod diag_limits {
    use std::ops::RangeInclusive;

    pub const LONG_PRESS_SECS: RangeInclusive<u64> = 1..=60;
    pub const MAX_PIN_FAILURES: RangeInclusive<u32> = 1..=20;
    pub const LOCKOUT_SECS: RangeInclusive<u64> = 60..=24 * 60 * 60;
    pub const IDLE_SECS: RangeInclusive<u64> = 30..=60 * 60;
}

impl SyncConfig {
    /// Refuses values outside [`limits`], in Indonesian and English.
    fn check(&self) -> Result<(), String> {
        for (name, value, range) in [
            ("interval_secs", self.interval_secs, limits::INTERVAL_SECS),
            (
                "max_data_age_hours",
                self.max_data_age_hours,
                limits::MAX_DATA_AGE_HOURS,
            ),
            (
                "retry_base_secs",
                self.retry_base_secs,
                limits::RETRY_BASE_SECS,
            ),
            (
                "retry_cap_secs",
                self.retry_cap_secs,
                limits::RETRY_CAP_SECS,
            ),
            (
                "request_retention_days",
                self.request_retention_days,
                limits::REQUEST_RETENTION_DAYS,
            ),
            ("max_download_mb", self.max_download_mb, MAX_DOWNLOAD_MB),
            (
                "cycle_deadline_secs",
                self.cycle_deadline_secs,
                CYCLE_DEADLINE_SECS,
            ),
        ] {
            if !range.contains(&value) {
                return Err(out_of_range("sync", name, value, &range));
            }
        }
        if self.retry_cap_secs < self.retry_base_secs {
            return Err(format!(
                "sync.retry_cap_secs = {} harus ≥ sync.retry_base_secs ({}) / must be ≥ sync.retry_base_secs",
                self.retry_cap_secs, self.retry_base_secs
            ));
        }
        Ok(())
    }
}

/// `section.name = value harus lo sampai hi / must be lo to hi`.
fn out_of_range(
    section: &str,
    name: &str,
    value: u64,
    range: &std::ops::RangeInclusive<u64>,
) -> String {
    let (lo, hi) = (range.start(), range.end());
    format!("{section}.{name} = {value} harus {lo} sampai {hi} / must be {lo} to {hi}")
}

/// The technician's diagnostics mode (docs/diagnostics.md).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiagConfig {
    /// The PIN's Argon2 hash, written by `anjungan diag set-pin`. Without one, the
    /// diagnostics screen cannot be opened on the kiosk (the `diag` command still works).
    pub pin_hash: Option<String>,
    /// Seconds the logo must be held to open the PIN pad.
    pub long_press_secs: u64,
    /// Wrong PINs in a row that lock the entry.
    pub max_pin_failures: u32,
    /// How long the entry stays locked, in seconds.
    pub lockout_secs: u64,
    /// Diagnostics closes itself after this many seconds without a touch.
    pub idle_secs: u64,
}

impl Default for DiagConfig {
    fn default() -> Self {
        Self {
            pin_hash: None,
            long_press_secs: 5,
            max_pin_failures: 5,
            lockout_secs: 5 * 60,
            idle_secs: 5 * 60,
        }
    }
}

impl DiagConfig {
    /// Refuses values outside [`diag_limits`] (`lockout_secs = 0` would switch the lockout
    /// off; huge values would overflow), in Indonesian and English.
    fn check(&self) -> Result<(), String> {
        use diag_limits::{IDLE_SECS, LOCKOUT_SECS, LONG_PRESS_SECS, MAX_PIN_FAILURES};
        let out_of = |name: &str, value: u64, lo: u64, hi: u64| {
            Err(out_of_range("diag", name, value, &(lo..=hi)))
        };
        for (name, value, range) in [
            ("long_press_secs", self.long_press_secs, LONG_PRESS_SECS),
            ("lockout_secs", self.lockout_secs, LOCKOUT_SECS),
            ("idle_secs", self.idle_secs, IDLE_SECS),
        ] {
            if !range.contains(&value) {
                return out_of(name, value, *range.start(), *range.end());
            }
        }
        if !MAX_PIN_FAILURES.contains(&self.max_pin_failures) {
            return out_of(
                "max_pin_failures",
                self.max_pin_failures.into(),
                (*MAX_PIN_FAILURES.start()).into(),
                (*MAX_PIN_FAILURES.end()).into(),
            );
        }
        Ok(())
    }
}

impl std::fmt::Debug for DiagConfig {
    /// Even a hash stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiagConfig")
            .field("pin_hash", &self.pin_hash.as_ref().map(|_| "<set>"))
            .field("long_press_secs", &self.long_press_secs)
            .field("max_pin_failures", &self.max_pin_failures)
            .field("lockout_secs", &self.lockout_secs)
            .field("idle_secs", &self.idle_secs)
            .finish()
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses configuration text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Err(e) = config.kiosk.regions() {
            return Err(format!("kiosk.regions: {e}"));
        }
        if crate::clock::parse_zone(&config.kiosk.zone).is_none() {
            return Err(format!(
                "kiosk.zone {:?} is not a time zone (WIB, WITA, WIT or e.g. Asia/Makassar)",
                config.kiosk.zone
            ));
        }
        if let Some(u) = &config.updates {
            u.check()?;
        }
        let d = config.display;
        if !(5.0..=100.0).contains(&d.diagonal_inches) || d.width_px == 0 || d.height_px == 0 {
            return Err(format!(
                "display: diagonal_inches {} must be 5-100 and width_px/height_px above 0",
                d.diagonal_inches
            ));
        }
        if let Some(p) = &config.printer {
            p.uri
                .parse::<anjungan_drivers::transport::DeviceUri>()
                .map_err(|e| format!("printer.uri: {e}"))?;
            if anjungan_drivers::receipt::PaperWidth::from_mm(p.paper_mm).is_none() {
                return Err(format!("printer.paper_mm {} must be 58 or 80", p.paper_mm));
            }
        }
        if let Some(d) = &config.dispenser {
            match d.uri.parse::<anjungan_drivers::transport::DeviceUri>() {
                Ok(anjungan_drivers::transport::DeviceUri::Serial { .. }) => {}
                Ok(_) => return Err("dispenser.uri must be serial:///dev/...".into()),
                Err(e) => return Err(format!("dispenser.uri: {e}")),
            }
            if d.day_reset_hour > 23 {
                return Err(format!(
                    "dispenser.day_reset_hour {} must be 0-23",
                    d.day_reset_hour
                ));
            }
        }
        if let Some(s) = &config.scanner {
            match s.uri.parse::<anjungan_drivers::transport::DeviceUri>() {
                Ok(anjungan_drivers::transport::DeviceUri::Serial { .. }) => {}
                Ok(_) => return Err("scanner.uri must be serial:///dev/...".into()),
                Err(e) => return Err(format!("scanner.uri: {e}")),
            }
        }
        config.diag.check()?;
        config.sync.check()?;
        if let Some(h) = &config.hub
            && h.secret.is_some()
            && h.secret_file.is_some()
        {
            return Err("hub: set secret_file or secret, not both".into());
        }
        if let Some(loc) = &config.kiosk.location
            && crate::store::Point::parse(loc).is_none()
        {
            return Err(format!("kiosk.location {loc:?} is not LAT,LON"));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_defaults_and_unconfigured_devices() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.kiosk.zone, "WIB");
        assert!(c.printer.is_none() && c.dispenser.is_none() && c.hub.is_none());
        assert_eq!(c.sync.max_data_age_hours, 48);
    }

    #[test]
    fn the_disk_unlock_is_tpm2_unless_the_installer_asks_for_a_passphrase() {
        assert_eq!(Config::parse("").unwrap().disk.unlock, DiskUnlock::Tpm2);
        let c = Config::parse("[disk]\nunlock = \"passphrase\"\n").unwrap();
        assert_eq!(c.disk.unlock, DiskUnlock::Passphrase);
        for bad in ["[disk]\nunlock = \"pin\"\n", "[disk]\nkey = \"x\"\n"] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_panel_size_turns_pixels_into_millimetres() {
        let default = Config::parse("").unwrap().display;
        // 21.5 inches over a 1080x1920 diagonal of 2202.9 px.
        assert!(
            (default.mm_per_px() - 0.2479).abs() < 1e-4,
            "{}",
            default.mm_per_px()
        );
        let small =
            Config::parse("[display]\ndiagonal_inches = 15.6\nwidth_px = 1920\nheight_px = 1080\n")
                .unwrap()
                .display;
        assert!(
            (small.mm_per_px() - 0.1799).abs() < 1e-4,
            "{}",
            small.mm_per_px()
        );
        for bad in [
            "diagonal_inches = 0.0",
            "width_px = 0",
            "diagonal_inches = 400.0",
        ] {
            let err = Config::parse(&format!("[display]\n{bad}\n")).unwrap_err();
            assert!(err.starts_with("display:"), "{bad}: {err}");
        }
    }

    #[test]
    fn diag_values_outside_their_ranges_are_refused() {
        for (text, name) in [
            ("[diag]\nlockout_secs = 0\n", "diag.lockout_secs"),
            (
                "[diag]\nlockout_secs = 18446744073709551615\n",
                "diag.lockout_secs",
            ),
            ("[diag]\nidle_secs = 5\n", "diag.idle_secs"),
            ("[diag]\nidle_secs = 100000\n", "diag.idle_secs"),
            ("[diag]\nmax_pin_failures = 0\n", "diag.max_pin_failures"),
            ("[diag]\nlong_press_secs = 0\n", "diag.long_press_secs"),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(name) && e.contains("must be"), "{text}: {e}");
        }
        let c = Config::parse("[diag]\nlockout_secs = 60\nidle_secs = 3600\n").unwrap();
        assert_eq!((c.diag.lockout_secs, c.diag.idle_secs), (60, 3600));
    }

    #[test]
    fn sync_values_outside_their_ranges_are_refused() {
        for (text, name) in [
            (
                "[sync]\nrequest_retention_days = 18446744073709551615\n",
                "sync.request_retention_days",
            ),
            (
                "[sync]\nrequest_retention_days = 0\n",
                "sync.request_retention_days",
            ),
            ("[sync]\ninterval_secs = 0\n", "sync.interval_secs"),
            ("[sync]\ninterval_secs = 9999999999\n", "sync.interval_secs"),
            (
                "[sync]\nmax_data_age_hours = 0\n",
                "sync.max_data_age_hours",
            ),
            (
                "[sync]\nmax_data_age_hours = 9223372036854775807\n",
                "sync.max_data_age_hours",
            ),
            ("[sync]\nretry_base_secs = 0\n", "sync.retry_base_secs"),
            (
                "[sync]\nretry_cap_secs = 100000000\n",
                "sync.retry_cap_secs",
            ),
            (
                "[sync]\nretry_base_secs = 600\nretry_cap_secs = 60\n",
                "sync.retry_cap_secs",
            ),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(name) && e.contains("must be"), "{text}: {e}");
        }
        let c =
            Config::parse("[sync]\nrequest_retention_days = 3650\ninterval_secs = 60\n").unwrap();
        assert_eq!(c.sync.request_retention_days, 3650);
    }

    #[test]
    fn the_hub_secret_comes_from_one_place_in_the_file() {
        let base = "[hub]\nurl = \"http://h\"\npublic_key = \"/p\"\ncons_id = \"k1\"\n";
        let c = Config::parse(&format!(
            "{base}secret_file = \"/etc/anjungan/hub-secret\"\n"
        ))
        .unwrap();
        let hub = c.hub.unwrap();
        assert_eq!(hub.secret, None);
        assert_eq!(
            hub.secret_file.as_deref(),
            Some(Path::new("/etc/anjungan/hub-secret"))
        );
        let c = Config::parse(&format!("{base}secret = \"0123456789\"\n")).unwrap();
        assert!(!format!("{:?}", c.hub).contains("0123456789"));
        let e = Config::parse(&format!(
            "{base}secret = \"0123456789\"\nsecret_file = \"/s\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("not both"), "{e}");
        // Neither: allowed here (the systemd credential or the environment may hold it).
        assert!(Config::parse(base).unwrap().hub.is_some());
    }

    #[test]
    fn device_numbers_outside_their_ranges_are_refused() {
        let e = Config::parse("[printer]\nuri = \"tcp://p:9100\"\npaper_mm = 4294967295\n")
            .unwrap_err();
        assert!(e.contains("paper_mm"), "{e}");
        let e = Config::parse(
            "[dispenser]\nuri = \"serial:///dev/ttyUSB1\"\nday_reset_hour = 4294967295\n",
        )
        .unwrap_err();
        assert!(e.contains("day_reset_hour"), "{e}");
        // Larger than any u32: toml refuses it before the range check.
        assert!(
            Config::parse("[dispenser]\nuri = \"serial:///dev/x\"\nday_reset_hour = -1\n").is_err()
        );
    }

    #[test]
    fn sections_parse_and_mistakes_are_named() {
        let c = Config::parse(
            "[kiosk]\nzone = \"WITA\"\nlocation = \"-5.14,119.41\"\n\
             [printer]\nuri = \"tcp://127.0.0.1:9100\"\npaper_mm = 58\n",
        )
        .unwrap();
        assert_eq!(c.printer.unwrap().paper_mm, 58);
        let e = Config::parse("[kiosk]\nzone = \"Mars\"\n").unwrap_err();
        assert!(e.contains("kiosk.zone"), "{e}");
        let e = Config::parse("[printr]\nuri = \"x\"\n").unwrap_err();
        assert!(e.contains("printr"), "{e}");
        let e = Config::parse("[printer]\nuri = \"lpt1\"\n").unwrap_err();
        assert!(e.contains("printer.uri"), "{e}");
        let e = Config::parse("[printer]\nuri = \"tcp://p:9100\"\npaper_mm = 76\n").unwrap_err();
        assert!(e.contains("paper_mm"), "{e}");
        let e = Config::parse("[dispenser]\nuri = \"tcp://d:1\"\n").unwrap_err();
        assert!(e.contains("dispenser.uri"), "{e}");
        let c = Config::parse(
            "[dispenser]\nuri = \"serial:///dev/ttyUSB1?baud=9600\"\nday_reset_hour = 5\n",
        )
        .unwrap();
        assert_eq!(c.dispenser.unwrap().day_reset_hour, 5);
        let c =
            Config::parse("[speech]\nmode = \"loudspeaker\"\ndevice = \"plughw:1,0\"\n").unwrap();
        assert_eq!(c.speech.mode, SpeechMode::Loudspeaker);
        assert_eq!(Config::parse("").unwrap().speech.mode, SpeechMode::Off);
        let e = Config::parse("[speech]\nmode = \"loud\"\n").unwrap_err();
        assert!(e.contains("mode") || e.contains("loud"), "{e}");
        let e = Config::parse("[scanner]\nuri = \"tcp://s:1\"\n").unwrap_err();
        assert!(e.contains("scanner.uri"), "{e}");
        let c = Config::parse("[scanner]\nuri = \"serial:///dev/anjungan-scanner\"\n").unwrap();
        assert_eq!(c.scanner.unwrap().uri, "serial:///dev/anjungan-scanner");
    }
}
