//! `anjungan kiosk`: the fullscreen touch UI on a kiosk database and its devices.

use std::path::PathBuf;
use std::sync::Arc;

use anjungan::kiosk::Settings;
use anjungan::store::{Point, Store};
use anjungan::ui::devices::KioskDevices;
use anjungan::ui::runtime::{self, Clock};
use anjungan_drivers::receipt::PaperWidth;
use clap::Args;

use super::Failure;
use super::output::Answer;

#[derive(Debug, Args)]
pub struct KioskArgs {
    /// The kiosk database (built by `anjungan import` or sync).
    #[arg(long)]
    db: PathBuf,
    /// The receipt printer: tcp://HOST:9100, serial:///dev/ttyUSB0?baud=9600 or
    /// file:///dev/usb/lp0. Without it, slips are refused with a clear message.
    #[arg(long)]
    printer: Option<String>,
    /// Paper width in mm: 58 or 80.
    #[arg(long, default_value_t = 80)]
    paper_mm: u32,
    /// The ticket dispenser: serial:///dev/anjungan-dispenser?baud=9600.
    #[arg(long)]
    dispenser: Option<String>,
    /// Shown on slips.
    #[arg(long, default_value = "Anjungan JKN")]
    kiosk_name: String,
    /// The kiosk's zone: WIB, WITA, WIT or an IANA name.
    #[arg(long, default_value = "WIB", value_parser = super::parse_zone_arg)]
    tz: chrono_tz::Tz,
    /// Where the kiosk stands, LAT,LON, for "nearest" lists.
    #[arg(long, allow_hyphen_values = true)]
    location: Option<String>,
    /// Seconds without a touch before the countdown starts.
    #[arg(long, default_value_t = 60)]
    idle_secs: u64,
    /// Change requests are refused when the data is older than this.
    #[arg(long, default_value_t = 48)]
    max_data_age_hours: u64,
    /// Run in a window instead of fullscreen.
    #[arg(long)]
    windowed: bool,
}

pub fn run(args: &KioskArgs) -> Result<Answer, Failure> {
    if !args.db.is_file() {
        return Err(Failure::no_database(&args.db));
    }
    let location = match &args.location {
        Some(s) => Some(Point::parse(s).ok_or_else(|| {
            Failure::from(anjungan::services::ServiceError::InvalidLocation(s.clone()))
        })?),
        None => None,
    };
    let paper = PaperWidth::from_mm(args.paper_mm)
        .ok_or_else(|| Failure::usage(&format!("--paper-mm {} must be 58 or 80", args.paper_mm)))?;
    let devices = KioskDevices::new(
        args.printer.clone(),
        paper,
        args.dispenser.as_deref(),
        args.kiosk_name.clone(),
        args.tz,
        args.db.clone(),
    )
    .map_err(|m| Failure::usage(&m.en))?;
    let settings = Settings {
        idle_ms: args.idle_secs.max(5) * 1000,
        location,
        zone: args.tz,
        max_data_age_hours: args.max_data_age_hours,
        kiosk_name: args.kiosk_name.clone(),
        ..Settings::default()
    };
    let db = args.db.clone();
    runtime::run(
        move || Store::open(&db).map_err(|e| e.to_string()),
        settings,
        Arc::new(devices),
        Clock::new(args.tz),
        !args.windowed,
    )
    .map_err(Failure::internal)?;
    Ok(Answer::json_or_text(
        &serde_json::json!({ "stopped": true }),
    ))
}
