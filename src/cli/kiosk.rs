//! `anjungan kiosk`: the fullscreen touch UI on a kiosk database.

use std::path::PathBuf;
use std::sync::Arc;

use anjungan::domain::Bilingual;
use anjungan::kiosk::{ChangeRequest, Fault, Issued, Lang, Settings, Slip};
use anjungan::store::{Point, Store};
use anjungan::ui::runtime::{self, Clock, Devices};
use clap::Args;

use super::Failure;
use super::output::Answer;

#[derive(Debug, Args)]
pub struct KioskArgs {
    /// The kiosk database (built by `anjungan import` or sync).
    #[arg(long)]
    db: PathBuf,
    /// The kiosk's zone: WIB, WITA, WIT or an IANA name.
    #[arg(long, default_value = "WIB", value_parser = super::parse_zone_arg)]
    tz: chrono_tz::Tz,
    /// Where the kiosk stands, LAT,LON, for "nearest" lists.
    #[arg(long, allow_hyphen_values = true)]
    location: Option<String>,
    /// Seconds without a touch before the countdown starts.
    #[arg(long, default_value_t = 60)]
    idle_secs: u64,
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
    let settings = Settings {
        idle_ms: args.idle_secs.max(5) * 1000,
        location,
        ..Settings::default()
    };
    let db = args.db.clone();
    runtime::run(
        move || Store::open(&db).map_err(|e| e.to_string()),
        settings,
        Arc::new(Unconfigured),
        Clock::new(args.tz),
        !args.windowed,
    )
    .map_err(Failure::internal)?;
    Ok(Answer::json_or_text(
        &serde_json::json!({ "stopped": true }),
    ))
}

/// A kiosk with no printer, dispenser or hub configured: every device action says so.
struct Unconfigured;

fn unavailable(code: &str, id: &str, en: &str) -> Fault {
    Fault {
        code: code.into(),
        message: Bilingual {
            id: id.into(),
            en: en.into(),
        },
    }
}

impl Devices for Unconfigured {
    fn print(&self, _slip: &Slip, _lang: Lang) -> Result<(), Fault> {
        Err(unavailable(
            "PRINTER_NOT_CONFIGURED",
            "Printer belum tersedia di anjungan ini. Foto layar ini atau catat informasinya.",
            "This kiosk has no printer yet. Photograph the screen or write the details down.",
        ))
    }

    fn take_ticket(
        &self,
        _service: &str,
        _priority: bool,
        _request_id: u64,
    ) -> Result<Issued, Fault> {
        Err(unavailable(
            "DISPENSER_NOT_CONFIGURED",
            "Mesin antrean belum tersedia di anjungan ini. Silakan ambil nomor di loket informasi.",
            "This kiosk has no ticket machine yet. Please get a number at the information counter.",
        ))
    }

    fn submit(&self, _request: &ChangeRequest) -> Result<String, Fault> {
        Err(unavailable(
            "OUTBOX_NOT_CONFIGURED",
            "Permohonan belum dapat diterima di anjungan ini. Silakan ke loket.",
            "This kiosk cannot accept requests yet. Please go to a counter.",
        ))
    }

    fn rate(&self, _stars: u8) {}
}
