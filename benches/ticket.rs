//! Tap-to-last-byte for a queue ticket, against the wire time of its bytes.
//!
//! A "tap" takes a number from the simulated dispenser on a pty, lays out the ticket, checks
//! the printer's real-time status and sends the ticket to the virtual printer on another pty.
//! Both simulators are throttled to the baud rate, so every byte costs what it costs on a real
//! line. "Last byte" is when the virtual printer has taken in the ticket's last byte (its cut).
//! The physical limit is the ticket's own bytes at that baud rate (8N1: 10 bits a byte); the
//! target is at most 1.3 times that.
//!
//! Run: `cargo bench --bench ticket` (optional: `ANJUNGAN_BENCH_TAPS=N`, default 9).

use std::time::{Duration, Instant};

use anjungan::content;
use anjungan::slips::{self, Lang, SlipContext, TicketSlip};
use anjungan_drivers::dispenser::sim::{DispenserSim, SimConfig};
use anjungan_drivers::dispenser::{ClientConfig, DispenserClient};
use anjungan_drivers::printer::{EscPosPrinter, Timeouts};
use anjungan_drivers::printer_sim::{SimOptions, VirtualPrinter};
use anjungan_drivers::pty::wire_time;
use anjungan_drivers::receipt::PaperWidth;
use chrono::{NaiveDate, TimeZone, Utc};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let taps: usize = std::env::var("ANJUNGAN_BENCH_TAPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9);
    let services = content::default_services();
    println!(
        "| baud | ticket bytes | wire time | tap-to-last-byte p50 | max | ratio (p50 / wire) |"
    );
    println!("|---|---|---|---|---|---|");
    for baud in [9600u32, 115_200] {
        let clock = std::sync::Arc::new(|| Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap());
        let disp = DispenserSim::new(
            SimConfig {
                baud: Some(baud),
                ..SimConfig::default()
            },
            clock,
        );
        let port = disp.spawn_pty(None).expect("dispenser pty");
        let vp = VirtualPrinter::new(SimOptions {
            baud: Some(baud),
            ..SimOptions::default()
        });
        let (ppath, _h) = vp.spawn_pty().expect("printer pty");
        let disp_uri = format!("serial://{}?baud={baud}", port.path().display());
        let prn_uri = format!("serial://{}?baud={baud}", ppath.display());
        let mut times = Vec::new();
        let mut bytes = 0;
        for i in 0..taps {
            let tap = Instant::now();
            let mut client =
                DispenserClient::new(&disp_uri, ClientConfig::default()).expect("client");
            let t = client.issue('A', false).expect("issue");
            let ctx = SlipContext {
                kiosk_name: "KC Bandung".into(),
                width: PaperWidth::Mm80,
                lang: Lang::Id,
                printed_at: NaiveDate::from_ymd_opt(2026, 11, 23)
                    .unwrap()
                    .and_hms_opt(9, 0, 0)
                    .unwrap(),
            };
            let slip = TicketSlip {
                number: t.display(),
                service: &services[0],
                priority: false,
                ahead: t.ahead,
            };
            let receipt = slips::queue_ticket(&ctx, &slip);
            bytes = receipt.to_escpos().expect("render").len();
            let mut printer = EscPosPrinter::open(&prn_uri, Timeouts::default()).expect("printer");
            printer.print(&receipt).expect("print");
            let (_, last) = vp.wait_pages(i + 1, Duration::from_secs(30));
            times.push(last.expect("page").duration_since(tap));
        }
        let wire = wire_time(bytes, baud);
        let p50 = median(times.clone());
        let max = times.iter().max().copied().unwrap_or_default();
        println!(
            "| {baud} | {bytes} | {:.1} ms | {:.1} ms | {:.1} ms | {:.2}x |",
            wire.as_secs_f64() * 1e3,
            p50.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            p50.as_secs_f64() / wire.as_secs_f64()
        );
    }
}
