//! `anjungan ticket` (take a queue number, optionally print it) and `anjungan dispenser-sim`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anjungan::content;
use anjungan::domain::Explain;
use anjungan::slips::{self, TicketSlip};
use anjungan_drivers::dispenser::sim::{DispenserSim, Faults, SimConfig};
use anjungan_drivers::dispenser::{ClientConfig, DispenserClient};
use anjungan_drivers::receipt::PaperWidth;
use chrono::{FixedOffset, Offset};
use clap::Args;
use serde_json::json;

use super::output::Answer;
use super::print::{PrinterArgs, find_service, parse_lang, print_receipt};
use super::{Failure, Today};

#[derive(Debug, Args)]
pub struct TicketArgs {
    /// `serial:///dev/X?baud=9600`.
    #[arg(long)]
    dispenser: String,
    /// Counter service code, A-I.
    #[arg(long)]
    service: String,
    /// Priority series (elderly, disabled, pregnant).
    #[arg(long)]
    priority: bool,
    /// Print the ticket on this printer (its status is read first: a printer that cannot
    /// print means no number is taken).
    #[arg(long)]
    printer: Option<String>,
    /// The request id (a 32-bit number): a retry with the id a failed run printed gets the
    /// number the dispenser may already have given, never a second one. Default: a new id.
    #[arg(long)]
    request_id: Option<u32>,
    #[arg(long, default_value_t = 80)]
    paper_mm: u32,
    #[arg(long, default_value = "id", value_parser = parse_lang)]
    lang: anjungan::slips::Lang,
    #[arg(long, default_value = "Anjungan JKN")]
    kiosk_name: String,
    #[command(flatten)]
    today: Today,
    #[arg(long)]
    pub json: bool,
}

pub fn ticket(a: &TicketArgs) -> Result<Answer, Failure> {
    let services = content::default_services();
    let service = find_service(&services, &a.service)?;
    let code = service.code.chars().next().unwrap_or('?');
    // Only a mistyped address can fail here: the port is opened on first use.
    let mut client = DispenserClient::new(&a.dispenser, ClientConfig::default())
        .map_err(|e| Failure::user(e.code(), e.explain()))?;
    if let Some(uri) = &a.printer {
        anjungan::devices::printer_ready_for_ticket(uri)
            .map_err(|b| Failure::device(b.code, b.message))?;
    }
    let request_id = a
        .request_id
        .unwrap_or_else(anjungan_drivers::dispenser::client::new_request_id);
    let t = client
        .issue_with_id(code, a.priority, request_id)
        .map_err(|e| {
            tracing::warn!(error = %e, "dispenser");
            // Said, so a retry with --request-id cannot cost a second number.
            Failure::device(e.code(), e.explain()).with_extra("request_id", json!(request_id))
        })?;
    let number = t.display();
    let slip = TicketSlip {
        number: number.clone(),
        service,
        priority: t.priority,
        ahead: t.ahead,
    };
    let mut printed = false;
    if let Some(uri) = &a.printer {
        let pa = PrinterArgs {
            printer: uri.clone(),
            paper_mm: if PaperWidth::from_mm(a.paper_mm).is_some() {
                a.paper_mm
            } else {
                80
            },
            lang: a.lang,
            kiosk_name: a.kiosk_name.clone(),
        };
        let r = slips::queue_ticket(&super::print::context(&pa, &a.today), &slip);
        // The number is taken either way: say which one, so staff can call it by hand.
        print_receipt(uri, &r).map_err(|f| f.with_extra("number", json!(number)))?;
        printed = true;
    }
    Ok(Answer::json_or_text(&json!({
        "number": number,
        "service": service.code,
        "service_name": { "id": service.name_id, "en": service.name_en },
        "priority": t.priority,
        "ahead": t.ahead,
        "estimated_wait_minutes": slip.wait_minutes(),
        "printed": printed,
        "request_id": request_id,
    })))
}

#[derive(Debug, Args)]
pub struct DispenserSimArgs {
    /// Serve a new pseudo-terminal; its path is the first line of stdout.
    #[arg(long, conflicts_with = "tty", required_unless_present = "tty")]
    pty: bool,
    /// Serve an existing serial device instead.
    #[arg(long)]
    tty: Option<PathBuf>,
    /// Also make this symlink to the pty (a stable name, like a udev rule gives).
    #[arg(long, requires = "pty")]
    link: Option<PathBuf>,
    /// Drop every Nth reply.
    #[arg(long, default_value_t = 0)]
    drop: u32,
    /// Delay replies by this many milliseconds...
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// ...every Nth reply (default: all, when --delay-ms is given).
    #[arg(long, default_value_t = 1)]
    delay_every: u32,
    /// Corrupt every Nth reply.
    #[arg(long, default_value_t = 0)]
    corrupt: u32,
    /// The ticket roll is empty.
    #[arg(long)]
    paper_out: bool,
    /// Reboot in the middle of every Nth ISSUE.
    #[arg(long, default_value_t = 0)]
    reboot_mid_request: u32,
    /// Pace the line to this baud rate.
    #[arg(long)]
    baud: Option<u32>,
    /// Local hour at which numbering starts again.
    #[arg(long, default_value_t = 0)]
    reset_hour: u32,
    #[command(flatten)]
    today: Today,
}

pub fn dispenser_sim(a: &DispenserSimArgs) -> Result<Answer, Failure> {
    // Indonesian zones have no daylight saving: the offset now is the offset.
    let zone: FixedOffset = chrono::Utc::now().with_timezone(&a.today.tz).offset().fix();
    let cfg = SimConfig {
        faults: Faults {
            drop_every: a.drop,
            delay_every: if a.delay_ms > 0 { a.delay_every } else { 0 },
            delay: Duration::from_millis(a.delay_ms),
            corrupt_every: a.corrupt,
            paper_out: a.paper_out,
            reboot_every: a.reboot_mid_request,
            reboot_time: Duration::from_millis(300),
        },
        baud: a.baud,
        zone,
        reset_hour: a.reset_hour.min(23),
    };
    // "Now" is UTC from the system clock; the zone comes from --tz, never the machine's.
    let sim = DispenserSim::new(cfg, Arc::new(chrono::Utc::now));
    if let Some(tty) = &a.tty {
        sim.serve_tty(tty).map_err(Failure::internal)?;
        return Err(Failure::internal("serial device closed"));
    }
    let port = sim
        .spawn_pty(a.link.as_deref())
        .map_err(Failure::internal)?;
    {
        use std::io::Write as _;
        outln!("{}", port.path().display());
        let _ = std::io::stdout().flush();
    }
    // Serve until the process is stopped; `port` stays alive for as long.
    let _port = port;
    loop {
        std::thread::park();
    }
}
