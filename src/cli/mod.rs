//! Command-line interface: argument parsing and dispatch.
//!
//! Each command calls the same library services the kiosk UI uses, then hands its answer
//! to [`output`], which prints JSON (`--json`) or bilingual text.

mod demo;
mod demo_devices;
mod demo_window;
mod diag;
mod kiosk;
mod print;
mod query;
mod request;
mod say;
mod scanner;
mod sync;
mod ticket;

use std::path::PathBuf;
use std::process::ExitCode;

use anjungan::dataset::{self, synth::GenOptions};
use anjungan::store::Store;
use clap::{Args, Parser, Subcommand};

pub use anjungan_core::cli::{Failure, output, usage_error};
use anjungan_core::cli::{Today, bilingual, parse_in_range, parse_zone_arg};

/// Anjungan: self-service kiosk for JKN members.
#[derive(Debug, Parser)]
#[command(name = "anjungan", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the kiosk's main job on built-in sample data (until the UI lands: dataset,
    /// import and the member questions a kiosk answers).
    Demo(demo::DemoArgs),
    /// Run the fullscreen touch kiosk on a database.
    Kiosk(kiosk::KioskArgs),
    /// Write a realistic, deterministic synthetic dataset.
    GenDataset(GenArgs),
    /// Build or refresh a kiosk database from a dataset directory (all or nothing).
    Import(ImportArgs),
    /// Ask what the kiosk would answer.
    #[command(subcommand)]
    Query(query::QueryCommand),
    /// Check and decode a NIK.
    Nik(NikArgs),
    /// Take a change request (FKTP, kelas) into the outbox, to be sent to the hub.
    #[command(subcommand)]
    Request(request::RequestCommand),
    /// Sync with the hub: push the outbox, then pull signed data (`--once` for one cycle).
    Sync(sync::SyncArgs),
    /// The hub a branch runs (the same commands as `anjungan-hub`): serve a dataset to
    /// kiosks, and its operator commands.
    Hub(anjungan_hub::cli::HubArgs),
    /// Print a slip: test, ticket, status, dues, va or request.
    #[command(subcommand)]
    Print(print::PrintCommand),
    /// The receipt printer: `printer status`.
    #[command(subcommand)]
    Printer(print::PrinterCommand),
    /// Take a queue number from the dispenser (and print the ticket with --printer).
    Ticket(ticket::TicketArgs),
    /// Run the virtual receipt printer (TCP and/or pty).
    PrinterSim(print::PrinterSimArgs),
    /// Run the simulated ticket dispenser (pty or tty).
    DispenserSim(ticket::DispenserSimArgs),
    /// Speak a text (as the kiosk would) into a WAV file: tests the speech engine.
    Say(say::SayArgs),
    /// Run a simulated card scanner on a pty: lines typed on stdin are sent as scans.
    ScannerSim(scanner::ScannerSimArgs),
    /// Health report of printer, dispenser, sync, database and system (exit 3 when any is
    /// unhealthy); `diag set-pin`, `diag audit`.
    Diag(diag::DiagArgs),
}

/// `--max-data-age-hours`: the range `[sync] max_data_age_hours` accepts.
fn parse_max_age_hours(s: &str) -> Result<u64, String> {
    parse_in_range(s, anjungan::config::limits::MAX_DATA_AGE_HOURS)
}

/// `--interval-secs`: the range `[sync] interval_secs` accepts.
fn parse_interval_secs(s: &str) -> Result<u64, String> {
    parse_in_range(s, anjungan::config::limits::INTERVAL_SECS)
}

/// `kiosk --idle-secs`: 5 s to one hour (milliseconds of it must not overflow).
fn parse_idle_secs(s: &str) -> Result<u64, String> {
    parse_in_range(s, 5..=3_600)
}

#[derive(Debug, Args)]
struct GenArgs {
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 10_000)]
    members: usize,
    #[arg(long, default_value_t = 1_000)]
    facilities: usize,
    /// Offices to write (default: about one per 20 facilities).
    #[arg(long)]
    offices: Option<usize>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    today: Today,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The dataset directory.
    dir: PathBuf,
    #[arg(long)]
    db: PathBuf,
    /// Accept a members.csv with no rows (it removes every member).
    #[arg(long)]
    allow_empty: bool,
    #[command(flatten)]
    today: Today,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct NikArgs {
    nik: String,
    #[command(flatten)]
    today: Today,
    #[arg(long)]
    json: bool,
}

/// Runs the parsed command and turns its outcome into an exit code.
pub fn run(cli: Cli) -> ExitCode {
    let (json, result) = match cli.command {
        Command::Demo(args) => (false, demo::run(&args)),
        Command::Kiosk(args) => (false, kiosk::run(&args)),
        Command::GenDataset(args) => (args.json, gen_dataset(&args)),
        Command::Import(args) => (args.json, import(&args)),
        Command::Query(q) => (q.json(), query::run(&q)),
        Command::Nik(args) => (args.json, nik(&args)),
        Command::Request(r) => (r.json(), request::run(&r)),
        Command::Sync(args) => (args.json, sync::run(&args)),
        Command::Hub(args) => (args.json(), anjungan_hub::cli::run(&args)),
        Command::Print(p) => (p.json(), print::run(&p)),
        Command::Printer(p) => (p.json(), print::printer(&p)),
        Command::Ticket(args) => (args.json, ticket::ticket(&args)),
        Command::Say(args) => (args.json, say::say(&args)),
        Command::ScannerSim(args) => (false, scanner::scanner_sim(&args)),
        Command::PrinterSim(args) => (false, print::printer_sim(&args)),
        Command::DispenserSim(args) => (false, ticket::dispenser_sim(&args)),
        Command::Diag(args) => return diag::run(&args),
    };
    anjungan_core::cli::finish(json, result)
}

fn gen_dataset(args: &GenArgs) -> Result<output::Answer, Failure> {
    let opts = GenOptions {
        members: args.members,
        facilities: args.facilities,
        offices: args.offices,
        seed: args.seed,
        today: args.today.resolve(),
    };
    let summary = dataset::synth::generate(&opts, &args.out).map_err(Failure::internal)?;
    Ok(output::Answer::generated(&args.out, summary))
}

fn import(args: &ImportArgs) -> Result<output::Answer, Failure> {
    let mut store = Store::open(&args.db).map_err(Failure::store)?;
    let options = dataset::ImportOptions {
        allow_empty: args.allow_empty,
    };
    let report = dataset::import_dir_with(&mut store, &args.dir, args.today.resolve(), options)?;
    Ok(output::Answer::imported(report))
}

fn nik(args: &NikArgs) -> Result<output::Answer, Failure> {
    let today = args.today.resolve();
    Ok(output::Answer::nik(&args.nik, today))
}
