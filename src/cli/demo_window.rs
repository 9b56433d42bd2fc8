//! The windowed demo: the touch kiosk on the sample database, with the simulated dispenser
//! on a pty and the virtual printer on 127.0.0.1, exactly as a kiosk would use real ones.

use std::path::Path;
use std::sync::Arc;

use anjungan::kiosk::Settings;
use anjungan::store::{Point, Store};
use anjungan::ui::devices::KioskDevices;
use anjungan::ui::runtime::{self, Clock};
use anjungan_drivers::dispenser::sim::{DispenserSim, SimConfig};
use anjungan_drivers::printer_sim::{SimOptions, VirtualPrinter};
use anjungan_drivers::receipt::PaperWidth;

use super::Failure;

/// Whether a window can be opened here (X11 or Wayland).
pub fn display_available() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Runs the kiosk window until it is closed; slips land as PNG and text in `dir/slips`.
pub fn run(dir: &Path, db: &Path, zone: chrono_tz::Tz) -> Result<(), Failure> {
    let slips = dir.join("slips");
    std::fs::create_dir_all(&slips).map_err(Failure::internal)?;
    let dispenser = DispenserSim::new(SimConfig::default(), Arc::new(chrono::Utc::now));
    let port = dispenser.spawn_pty(None).map_err(Failure::internal)?;
    let printer = VirtualPrinter::new(SimOptions {
        png_dir: Some(slips.clone()),
        width: PaperWidth::Mm80,
        ..SimOptions::default()
    });
    let (addr, _server) = printer
        .spawn_tcp("127.0.0.1:0")
        .map_err(Failure::internal)?;
    let dispenser_uri = format!("serial://{}?baud=9600", port.path().display());
    println!(
        "\nPrinter: tcp://{addr} (virtual; slips in {})",
        slips.display()
    );
    println!("Dispenser: {dispenser_uri} (simulated)");
    println!("Tutup jendela untuk selesai / Close the window to finish.");
    let devices = KioskDevices::new(
        Some(format!("tcp://{addr}")),
        PaperWidth::Mm80,
        Some(&dispenser_uri),
        "Anjungan JKN (demo)".into(),
        zone,
        db.to_path_buf(),
    )
    .map_err(|m| Failure::internal(m.en))?;
    let settings = Settings {
        // Gedung Sate, Bandung: the demo kiosk stands there.
        location: Some(Point {
            lat: -6.9025,
            lon: 107.6188,
        }),
        zone,
        kiosk_name: "Anjungan JKN (demo)".into(),
        ..Settings::default()
    };
    let db = db.to_path_buf();
    runtime::run(
        move || Store::open(&db).map_err(|e| e.to_string()),
        settings,
        Arc::new(devices),
        Clock::new(zone),
        false,
    )
    .map_err(Failure::internal)
}
