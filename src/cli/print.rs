//! `anjungan print ...`, `anjungan printer status` and `anjungan printer-sim`: the receipt
//! printer from the command line, for technicians, tests and the demo.

use std::path::PathBuf;

use anjungan::content;
use anjungan::domain::{Explain, Kelas};
use anjungan::services::ServiceError;
use anjungan::slips::{self, ChangeKind, Lang, SlipContext, TicketSlip};
use anjungan_drivers::printer::{EscPosPrinter, PrinterError, PrinterStatus, Timeouts};
use anjungan_drivers::printer_sim::{SimOptions, StatusPreset, VirtualPrinter};
use anjungan_drivers::receipt::{PaperWidth, Receipt};
use clap::{Args, Subcommand};
use serde_json::json;

use super::output::Answer;
use super::query::{self, MemberArgs};
use super::{Failure, Today, bilingual};

/// Where and how to print.
#[derive(Debug, Clone, Args)]
pub struct PrinterArgs {
    /// `tcp://HOST:9100`, `serial:///dev/ttyUSB0?baud=9600` or `file:///dev/usb/lp0`.
    #[arg(long)]
    pub printer: String,
    /// Paper width in mm: 58 or 80.
    #[arg(long, default_value_t = 80, value_parser = parse_paper)]
    pub paper_mm: u32,
    /// Slip language: id or en.
    #[arg(long, default_value = "id", value_parser = parse_lang)]
    pub lang: Lang,
    /// The kiosk's name in the slip header.
    #[arg(long, default_value = "Anjungan JKN")]
    pub kiosk_name: String,
}

fn parse_paper(s: &str) -> Result<u32, String> {
    match s {
        "58" => Ok(58),
        "80" => Ok(80),
        _ => Err(format!("{s:?}: paper width is 58 or 80 (mm)")),
    }
}

pub(super) fn parse_lang(s: &str) -> Result<Lang, String> {
    match s {
        "id" => Ok(Lang::Id),
        "en" => Ok(Lang::En),
        _ => Err(format!("{s:?}: language is id or en")),
    }
}

#[derive(Debug, Subcommand)]
pub enum PrintCommand {
    /// A test page.
    Test {
        #[command(flatten)]
        printer: PrinterArgs,
        #[command(flatten)]
        today: Today,
        #[arg(long)]
        json: bool,
    },
    /// A queue ticket (number given; `anjungan ticket` takes one from the dispenser).
    Ticket(TicketPrintArgs),
    /// The membership status slip.
    Status(MemberPrintArgs),
    /// The dues slip.
    Dues(MemberPrintArgs),
    /// The Virtual Account slip.
    Va(MemberPrintArgs),
    /// The change-request slip.
    Request(RequestPrintArgs),
    /// The data partition's recovery key, for the technician (the image's first boot).
    RecoveryKey(RecoveryKeyPrintArgs),
}

#[derive(Debug, Args)]
pub struct RecoveryKeyPrintArgs {
    #[command(flatten)]
    printer: PrinterArgs,
    /// The file holding the key (never on the command line, where `ps` shows it).
    #[arg(long)]
    key_file: PathBuf,
    #[command(flatten)]
    today: Today,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct TicketPrintArgs {
    #[command(flatten)]
    printer: PrinterArgs,
    /// Counter service code, A-I.
    #[arg(long)]
    service: String,
    /// The number, e.g. A-012.
    #[arg(long)]
    number: String,
    #[arg(long, default_value_t = 0)]
    ahead: u16,
    #[arg(long)]
    priority: bool,
    #[command(flatten)]
    today: Today,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct MemberPrintArgs {
    #[command(flatten)]
    member: MemberArgs,
    #[command(flatten)]
    printer: PrinterArgs,
}

#[derive(Debug, Args)]
pub struct RequestPrintArgs {
    #[command(flatten)]
    member: MemberArgs,
    #[command(flatten)]
    printer: PrinterArgs,
    /// fktp or kelas.
    #[arg(long)]
    kind: String,
    /// The FKTP code or kelas (1-3) asked for.
    #[arg(long)]
    to: String,
    /// The request's reference number.
    #[arg(long)]
    reference: String,
}

impl PrintCommand {
    pub fn json(&self) -> bool {
        match self {
            Self::Test { json, .. } => *json,
            Self::Ticket(a) => a.json,
            Self::Status(a) | Self::Dues(a) | Self::Va(a) => a.member.json,
            Self::Request(a) => a.member.json,
            Self::RecoveryKey(a) => a.json,
        }
    }
}

/// The slip context for printing now, in the zone of `today`.
pub(super) fn context(p: &PrinterArgs, today: &Today) -> SlipContext {
    let now = chrono::Utc::now().with_timezone(&today.tz).naive_local();
    // With --today the date is pinned (tests, reprints) and the clock gives only the time.
    let printed_at = match today.today {
        Some(d) => d.and_time(now.time()),
        None => now,
    };
    SlipContext {
        kiosk_name: p.kiosk_name.clone(),
        width: PaperWidth::from_mm(p.paper_mm).unwrap_or(PaperWidth::Mm80),
        lang: p.lang,
        printed_at,
    }
}

pub fn run(cmd: &PrintCommand) -> Result<Answer, Failure> {
    let (printer, receipt, slip) = match cmd {
        PrintCommand::RecoveryKey(a) => {
            let key = read_recovery_key(&a.key_file)?;
            (
                &a.printer,
                slips::recovery_key_slip(&context(&a.printer, &a.today), &key),
                "recovery-key",
            )
        }
        PrintCommand::Test { printer, today, .. } => {
            (printer, slips::test_slip(&context(printer, today)), "test")
        }
        PrintCommand::Ticket(a) => {
            let services = content::default_services();
            let service = find_service(&services, &a.service)?;
            let t = TicketSlip {
                number: a.number.clone(),
                service,
                priority: a.priority,
                ahead: a.ahead,
            };
            (
                &a.printer,
                slips::queue_ticket(&context(&a.printer, &a.today), &t),
                "ticket",
            )
        }
        PrintCommand::Status(a) => {
            let (s, today) = query::identify(&a.member)?;
            let ctx = context(&a.printer, &a.member.today);
            (
                &a.printer,
                slips::status_slip(&ctx, &s.status(today)),
                "status",
            )
        }
        PrintCommand::Dues(a) => {
            let (s, today) = query::identify(&a.member)?;
            let ctx = context(&a.printer, &a.member.today);
            (&a.printer, slips::dues_slip(&ctx, &s.dues(today)), "dues")
        }
        PrintCommand::Va(a) => {
            let (s, today) = query::identify(&a.member)?;
            let ctx = context(&a.printer, &a.member.today);
            (
                &a.printer,
                slips::va_slip(&ctx, &s.virtual_accounts(today)?),
                "va",
            )
        }
        PrintCommand::Request(a) => {
            let (s, today) = query::identify(&a.member)?;
            // A slip is proof of a request: only for one this kiosk holds, for this member
            // and this kind; anything else is refused before the printer is touched.
            let reference = anjungan::services::request::normalize_reference(&a.reference);
            let entry = query::open(&a.member.db()?)?
                .request(&reference)
                .map_err(ServiceError::Store)?;
            let matches = entry.is_some_and(|e| {
                e.card_no == s.member.card_no && e.kind.eq_ignore_ascii_case(a.kind.trim())
            });
            if !matches {
                return Err(ServiceError::UnknownReference.into());
            }
            let ctx = context(&a.printer, &a.member.today);
            let (kind, view) = match a.kind.as_str() {
                "fktp" => {
                    let store = query::open(&a.member.db()?)?;
                    (ChangeKind::Fktp, s.change_fktp(&store, &a.to, today)?)
                }
                "kelas" => {
                    let to =
                        a.to.trim()
                            .parse::<Kelas>()
                            .map_err(|_| ServiceError::InvalidKelas(a.to.clone()))?;
                    (ChangeKind::Kelas, s.change_kelas(to, today))
                }
                other => {
                    return Err(Failure::user(
                        "BAD_ARGUMENT",
                        bilingual(
                            format!("--kind {other:?}: pilih fktp atau kelas."),
                            format!("--kind {other:?}: choose fktp or kelas."),
                        ),
                    ));
                }
            };
            (
                &a.printer,
                slips::change_slip(&ctx, &reference, kind, &view),
                "request",
            )
        }
    };
    let report = print_receipt(&printer.printer, &receipt)?;
    Ok(Answer::json_or_text(&json!({
        "printed": slip,
        "bytes": report.bytes,
        "paper_near_end": report.status.paper_near_end,
    })))
}

/// The key from its file, checked; the error never repeats the file's content.
fn read_recovery_key(path: &std::path::Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::user(
            "BAD_RECOVERY_KEY",
            bilingual(
                format!(
                    "Berkas kunci pemulihan {} tidak terbaca: {e}.",
                    path.display()
                ),
                format!(
                    "The recovery key file {} cannot be read: {e}.",
                    path.display()
                ),
            ),
        )
    })?;
    let key = text.trim();
    if !slips::is_recovery_key(key) {
        return Err(Failure::user(
            "BAD_RECOVERY_KEY",
            bilingual(
                format!(
                    "Berkas {} bukan kunci pemulihan (8 kelompok 8 huruf, dipisah '-'). \
                     Buat ulang dengan systemd-cryptenroll --recovery-key.",
                    path.display()
                ),
                format!(
                    "{} is not a recovery key (8 groups of 8 letters, joined by '-'). \
                     Make a new one with systemd-cryptenroll --recovery-key.",
                    path.display()
                ),
            ),
        ));
    }
    Ok(key.to_owned())
}

pub(super) fn find_service<'a>(
    services: &'a [content::CounterService],
    code: &str,
) -> Result<&'a content::CounterService, Failure> {
    services
        .iter()
        .find(|s| s.code.eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| {
            Failure::user(
                "UNKNOWN_SERVICE",
                bilingual(
                    format!("Layanan {code:?} tidak dikenal. Pilih layanan A sampai I."),
                    format!("Unknown service {code:?}. Choose a service from A to I."),
                ),
            )
        })
}

/// Prints, turning every fault into a failure that says why and what to do.
pub(super) fn print_receipt(
    uri: &str,
    r: &Receipt,
) -> Result<anjungan_drivers::printer::PrintReport, Failure> {
    let mut p = EscPosPrinter::open(uri, Timeouts::default()).map_err(printer_failure)?;
    p.print(r).map_err(printer_failure)
}

pub(super) fn printer_failure(e: PrinterError) -> Failure {
    tracing::warn!(error = %e, "printer");
    match e {
        // A mistyped address is the technician's input, not a device fault.
        PrinterError::Uri(_) => Failure::user(e.code(), e.explain()),
        _ => Failure::device(e.code(), e.explain()),
    }
}

#[derive(Debug, Subcommand)]
pub enum PrinterCommand {
    /// Read the printer's real-time status (exit 3 when it is not ready).
    Status {
        #[arg(long)]
        printer: String,
        #[arg(long)]
        json: bool,
    },
}

impl PrinterCommand {
    pub fn json(&self) -> bool {
        match self {
            Self::Status { json, .. } => *json,
        }
    }
}

pub fn printer(cmd: &PrinterCommand) -> Result<Answer, Failure> {
    match cmd {
        PrinterCommand::Status { printer, .. } => {
            let mut p =
                EscPosPrinter::open(printer, Timeouts::default()).map_err(printer_failure)?;
            let st = p.status().map_err(printer_failure)?;
            match st.fault() {
                None => Ok(Answer::json_or_text(&status_json(&st))),
                Some(f) => {
                    let e = PrinterError::NotReady(f);
                    Err(Failure::device(e.code(), e.explain()).with_extra("", status_json(&st)))
                }
            }
        }
    }
}

fn status_json(st: &PrinterStatus) -> serde_json::Value {
    json!({
        "online": st.online,
        "cover_open": st.cover_open,
        "paper_end": st.paper_end,
        "paper_near_end": st.paper_near_end,
        "ready": st.ready(),
    })
}

#[derive(Debug, Args)]
pub struct PrinterSimArgs {
    /// Serve TCP here, e.g. 127.0.0.1:9100.
    #[arg(long)]
    listen: Option<String>,
    /// Serve a pseudo-terminal; its path is the first line of stdout.
    #[arg(long)]
    pty: bool,
    /// Status to report: ready, paper-out, cover-open, near-end or offline.
    #[arg(long, default_value = "ready")]
    status: StatusPreset,
    /// Write every page as PNG and text here.
    #[arg(long)]
    png_dir: Option<PathBuf>,
    /// Pace input to this baud rate.
    #[arg(long)]
    baud: Option<u32>,
    #[arg(long, default_value_t = 80, value_parser = parse_paper)]
    paper_mm: u32,
    /// Run out of paper after this many bytes of print data.
    #[arg(long)]
    paper_out_after: Option<usize>,
}

pub fn printer_sim(a: &PrinterSimArgs) -> Result<Answer, Failure> {
    if a.listen.is_none() && !a.pty {
        return Err(Failure::user(
            "BAD_ARGUMENT",
            bilingual(
                "Pilih --listen ALAMAT dan/atau --pty.",
                "Give --listen ADDR and/or --pty.",
            ),
        ));
    }
    if let Some(dir) = &a.png_dir {
        std::fs::create_dir_all(dir).map_err(Failure::internal)?;
    }
    let vp = VirtualPrinter::new(SimOptions {
        status: a.status.status(),
        width: PaperWidth::from_mm(a.paper_mm).unwrap_or(PaperWidth::Mm80),
        baud: a.baud,
        png_dir: a.png_dir.clone(),
        paper_out_after: a.paper_out_after,
    });
    use std::io::Write as _;
    let mut handles = Vec::new();
    if a.pty {
        let (path, h) = vp.spawn_pty().map_err(Failure::internal)?;
        outln!("{}", path.display());
        handles.push(h);
    }
    if let Some(addr) = &a.listen {
        let (local, h) = vp.spawn_tcp(addr).map_err(Failure::internal)?;
        outln!("tcp://{local}");
        handles.push(h);
    }
    let _ = std::io::stdout().flush();
    for h in handles {
        let _ = h.join();
    }
    // The servers run until the process is stopped; a join only returns if one died.
    Err(Failure::internal("printer simulator stopped"))
}
