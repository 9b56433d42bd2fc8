//! `anjungan kiosk`: the fullscreen touch UI on a kiosk database and its devices, with the
//! sync agent running beside it when a hub is configured.

use std::path::PathBuf;
use std::sync::Arc;

use anjungan::clock;
use anjungan::kiosk::Settings;
use anjungan::store::{Point, Store};
use anjungan::sync::agent::SyncAgent;
use anjungan::ui::devices::KioskDevices;
use anjungan::ui::runtime::{self, Clock};
use anjungan_drivers::receipt::PaperWidth;
use clap::Args;

use super::Failure;
use super::output::Answer;

/// Every value can come from `--config FILE` ([kiosk], [printer], [dispenser], [hub],
/// [sync]); flags win.
#[derive(Debug, Args)]
pub struct KioskArgs {
    /// The configuration file, e.g. /etc/anjungan/config.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The kiosk database (built by `anjungan import` or sync).
    #[arg(long)]
    db: Option<PathBuf>,
    /// The receipt printer: tcp://HOST:9100, serial:///dev/ttyUSB0?baud=9600 or
    /// file:///dev/usb/lp0. Without one, slips are refused with a clear message.
    #[arg(long)]
    printer: Option<String>,
    /// Paper width in mm: 58 or 80.
    #[arg(long)]
    paper_mm: Option<u32>,
    /// The ticket dispenser: serial:///dev/anjungan-dispenser?baud=9600.
    #[arg(long)]
    dispenser: Option<String>,
    /// Shown on screen and slips.
    #[arg(long)]
    kiosk_name: Option<String>,
    /// The kiosk's zone: WIB, WITA, WIT or an IANA name.
    #[arg(long, value_parser = super::parse_zone_arg)]
    tz: Option<chrono_tz::Tz>,
    /// Where the kiosk stands, LAT,LON, for "nearest" lists.
    #[arg(long, allow_hyphen_values = true)]
    location: Option<String>,
    /// Seconds without a touch before the countdown starts.
    #[arg(long, default_value_t = 60)]
    idle_secs: u64,
    /// Change requests are refused when the data is older than this.
    #[arg(long)]
    max_data_age_hours: Option<u64>,
    /// Run in a window instead of fullscreen.
    #[arg(long)]
    windowed: bool,
}

pub fn run(args: &KioskArgs) -> Result<Answer, Failure> {
    let file = args
        .config
        .as_deref()
        .map(super::sync::load_config)
        .transpose()?;
    let db = args
        .db
        .clone()
        .or_else(|| file.as_ref().map(|c| c.kiosk.db.clone()))
        .ok_or_else(|| Failure::usage("--db (or [kiosk] db in --config) is required"))?;
    if !db.is_file() {
        return Err(Failure::no_database(&db));
    }
    // The file's zone was checked when it was read.
    let zone = args
        .tz
        .or_else(|| file.as_ref().and_then(|c| clock::parse_zone(&c.kiosk.zone)))
        .unwrap_or(clock::DEFAULT_ZONE);
    let location = match args
        .location
        .clone()
        .or_else(|| file.as_ref().and_then(|c| c.kiosk.location.clone()))
    {
        Some(s) => Some(Point::parse(&s).ok_or_else(|| {
            Failure::from(anjungan::services::ServiceError::InvalidLocation(s.clone()))
        })?),
        None => None,
    };
    let printer_file = file.as_ref().and_then(|c| c.printer.clone());
    let paper_mm = args
        .paper_mm
        .or(printer_file.as_ref().map(|p| p.paper_mm))
        .unwrap_or(80);
    let paper = PaperWidth::from_mm(paper_mm)
        .ok_or_else(|| Failure::usage(&format!("paper width {paper_mm} mm must be 58 or 80")))?;
    let kiosk_name = args
        .kiosk_name
        .clone()
        .or_else(|| file.as_ref().map(|c| c.kiosk.name.clone()))
        .unwrap_or_else(|| "Anjungan JKN".into());
    let devices = KioskDevices::new(
        args.printer.clone().or(printer_file.map(|p| p.uri)),
        paper,
        args.dispenser
            .clone()
            .or_else(|| {
                file.as_ref()
                    .and_then(|c| c.dispenser.as_ref().map(|d| d.uri.clone()))
            })
            .as_deref(),
        kiosk_name.clone(),
        zone,
        db.clone(),
    )
    .map_err(|m| Failure::usage(&m.en))?;
    let settings = Settings {
        idle_ms: args.idle_secs.max(5) * 1000,
        location,
        zone,
        max_data_age_hours: args
            .max_data_age_hours
            .or(file.as_ref().map(|c| c.sync.max_data_age_hours))
            .unwrap_or(48),
        kiosk_name,
        ..Settings::default()
    };

    // The sync agent runs on its own thread with its own tokio runtime; the window's
    // closing stops it.
    let agent = match &file {
        Some(f) => super::sync::kiosk_agent_config(f, db.clone())?,
        None => None,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let agent_thread = match agent {
        Some(config) => {
            let agent = SyncAgent::new(config).map_err(super::sync::sync_failure)?;
            Some(
                std::thread::Builder::new()
                    .name("sync-agent".into())
                    .spawn(move || {
                        match tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                        {
                            Ok(rt) => rt.block_on(agent.run(stopped)),
                            Err(e) => tracing::error!(error = %e, "sync agent cannot start"),
                        }
                    })
                    .map_err(Failure::internal)?,
            )
        }
        None => None,
    };

    let result = runtime::run(
        move || Store::open(&db).map_err(|e| e.to_string()),
        settings,
        Arc::new(devices),
        Clock::new(zone),
        !args.windowed,
    );
    let _ = stop.send(true);
    if let Some(t) = agent_thread {
        let _ = t.join();
    }
    result.map_err(Failure::internal)?;
    Ok(Answer::json_or_text(
        &serde_json::json!({ "stopped": true }),
    ))
}
