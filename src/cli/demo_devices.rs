//! The demo's device part: a queue ticket taken from the simulated dispenser (on a pty) and
//! printed on the virtual printer (TCP on 127.0.0.1), exactly as a kiosk would with real ones.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anjungan::content;
use anjungan::slips::{self, Lang, SlipContext, TicketSlip};
use anjungan_drivers::dispenser::sim::{DispenserSim, SimConfig};
use anjungan_drivers::dispenser::{ClientConfig, DispenserClient};
use anjungan_drivers::printer::{EscPosPrinter, Timeouts};
use anjungan_drivers::printer_sim::{SimOptions, VirtualPrinter};
use anjungan_drivers::receipt::PaperWidth;
use chrono::NaiveDateTime;

use super::Failure;

/// Takes a ticket for service A and prints it; shows what came out of the printer.
pub fn queue_ticket(dir: &Path, printed_at: NaiveDateTime) -> Result<(), Failure> {
    let slips_dir = dir.join("slips");
    std::fs::create_dir_all(&slips_dir).map_err(Failure::internal)?;
    let dispenser = DispenserSim::new(SimConfig::default(), Arc::new(chrono::Utc::now));
    let port = dispenser.spawn_pty(None).map_err(Failure::internal)?;
    let printer = VirtualPrinter::new(SimOptions {
        png_dir: Some(slips_dir.clone()),
        width: PaperWidth::Mm58,
        ..SimOptions::default()
    });
    let (addr, _server) = printer
        .spawn_tcp("127.0.0.1:0")
        .map_err(Failure::internal)?;

    let uri = format!("serial://{}?baud=9600", port.path().display());
    let mut client =
        DispenserClient::new(&uri, ClientConfig::default()).map_err(Failure::internal)?;
    let t = client.issue('A', false).map_err(Failure::internal)?;
    let services = content::default_services();
    let slip = TicketSlip {
        number: t.display(),
        service: &services[0],
        priority: false,
        ahead: t.ahead,
    };
    let ctx = SlipContext {
        kiosk_name: "Anjungan JKN (demo)".into(),
        width: PaperWidth::Mm58,
        lang: Lang::Id,
        printed_at,
    };
    let receipt = slips::queue_ticket(&ctx, &slip);
    EscPosPrinter::open(&format!("tcp://{addr}"), Timeouts::default())
        .and_then(|mut p| p.print(&receipt))
        .map_err(Failure::internal)?;
    let (pages, _) = printer.wait_pages(1, Duration::from_secs(10));
    outln!(
        "dispenser {} → {}, printer tcp://{addr}",
        port.path().display(),
        t.display()
    );
    if let Some(page) = pages.first() {
        out!("{}", page.text());
    }
    outln!("(PNG: {})", slips_dir.join("page-0001.png").display());
    Ok(())
}
