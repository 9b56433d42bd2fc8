//! `anjungan diag`: the health report for SSH and monitoring (exit 3 when anything configured
//! is unhealthy), `diag set-pin` for the diagnostics screen's PIN, and `diag audit`.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anjungan::clock;
use anjungan::config::Config;
use anjungan::diag::{audit, pin, probe};
use anjungan::store::Store;
use clap::{Args, Subcommand};
use serde_json::json;

use super::output::Answer;
use super::{Failure, bilingual};

/// Exit code when the report finds a configured component unhealthy.
const EXIT_UNHEALTHY: u8 = 3;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DiagArgs {
    #[command(subcommand)]
    command: Option<DiagCommand>,
    #[command(flatten)]
    report: ReportArgs,
}

/// Every value can come from `--config FILE`; flags win. A part given neither way is
/// reported as `"configured": false`.
#[derive(Debug, Args)]
struct ReportArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    /// tcp://HOST:9100, serial:///dev/ttyUSB0?baud=9600 or file:///dev/usb/lp0.
    #[arg(long)]
    printer: Option<String>,
    /// serial:///dev/anjungan-dispenser?baud=9600.
    #[arg(long)]
    dispenser: Option<String>,
    #[arg(long)]
    db: Option<PathBuf>,
    /// The hub's base URL, e.g. https://hub.cabang.example:8787.
    #[arg(long)]
    hub: Option<String>,
    /// The hub's TLS certificate (PEM), for an https:// hub.
    #[arg(long)]
    hub_ca: Option<PathBuf>,
    /// Data older than this is stale.
    #[arg(long, value_parser = super::parse_max_age_hours)]
    max_data_age_hours: Option<u64>,
    #[arg(long)]
    kiosk_id: Option<String>,
    #[arg(long, value_parser = super::parse_zone_arg)]
    tz: Option<chrono_tz::Tz>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum DiagCommand {
    /// Set the diagnostics PIN: reads it from stdin (or asks twice on a terminal) and writes
    /// its Argon2 hash as `[diag] pin_hash` into the configuration file.
    SetPin {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The newest audit log entries (entries, PIN failures, actions).
    Audit {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

impl DiagArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            None => self.report.json,
            Some(DiagCommand::SetPin { json, .. } | DiagCommand::Audit { json, .. }) => *json,
        }
    }
}

/// Runs `diag`; the report's verdict decides the exit code.
pub fn run(args: &DiagArgs) -> ExitCode {
    let json = args.json();
    let result = match &args.command {
        Some(DiagCommand::SetPin { config, .. }) => set_pin(config).map(|a| (a, true)),
        Some(DiagCommand::Audit { db, limit, .. }) => audit_log(db, *limit).map(|a| (a, true)),
        None => report(&args.report),
    };
    match result {
        Ok((answer, healthy)) => {
            answer.print(json);
            if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_UNHEALTHY)
            }
        }
        Err(failure) => {
            failure.print(json);
            ExitCode::from(failure.exit_code())
        }
    }
}

/// The probe setup from flags and the configuration file.
fn setup(args: &ReportArgs) -> Result<probe::ProbeSetup, Failure> {
    let file = args
        .config
        .as_deref()
        .map(super::sync::load_config)
        .transpose()?;
    let file = file.unwrap_or_default();
    let db = args
        .db
        .clone()
        .or_else(|| args.config.as_ref().map(|_| file.kiosk.db.clone()))
        .ok_or_else(|| Failure::usage("--db (or [kiosk] db in --config) is required"))?;
    let dispenser_uri = args
        .dispenser
        .clone()
        .or_else(|| file.dispenser.as_ref().map(|d| d.uri.clone()));
    let dispenser = match dispenser_uri {
        Some(uri) => {
            let client = probe::dispenser_client(&uri).map_err(|e| {
                Failure::user(
                    "BAD_DEVICE_URI",
                    bilingual(
                        format!("Alamat mesin antrean salah: {e}"),
                        format!("Bad dispenser address: {e}"),
                    ),
                )
            })?;
            Some((uri, client))
        }
        None => None,
    };
    Ok(probe::ProbeSetup {
        kiosk_id: args.kiosk_id.clone().unwrap_or(file.kiosk.id.clone()),
        printer: args
            .printer
            .clone()
            .or_else(|| file.printer.as_ref().map(|p| p.uri.clone())),
        dispenser,
        scanner: file.scanner.as_ref().map(|s| s.uri.clone()),
        speech: file
            .speech
            .mode
            .output()
            .map(|o| probe::SpeechSetup::new(o, file.speech.device.clone())),
        // Its own process: it cannot share the kiosk's gate (see docs/diagnostics.md).
        print_gate: probe::print_gate(),
        db,
        hub_url: args
            .hub
            .clone()
            .or_else(|| file.hub.as_ref().map(|h| h.url.clone())),
        hub_ca: args
            .hub_ca
            .clone()
            .or_else(|| file.hub.as_ref().and_then(|h| h.ca.clone())),
        max_data_age_hours: args
            .max_data_age_hours
            .unwrap_or(file.sync.max_data_age_hours),
        zone: args
            .tz
            .or_else(|| clock::parse_zone(&file.kiosk.zone))
            .unwrap_or(clock::DEFAULT_ZONE),
        started: Instant::now(),
    })
}

fn report(args: &ReportArgs) -> Result<(Answer, bool), Failure> {
    let setup = setup(args)?;
    let report = probe::report_blocking(&setup);
    Ok((Answer::json_or_text(&report), report.healthy))
}

fn audit_log(db: &Path, limit: usize) -> Result<Answer, Failure> {
    if !db.is_file() {
        return Err(Failure::no_database(db));
    }
    let store = Store::open(db).map_err(Failure::from)?;
    Ok(Answer::rows(
        &audit::recent(&store, limit).map_err(Failure::internal)?,
    ))
}

/// Reads the PIN: one line from a pipe, or twice (not echoed) from a terminal.
fn read_pin() -> Result<String, Failure> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let ask = |prompt: &str| -> Result<String, Failure> {
        if interactive {
            eprint!("{prompt}");
            let _ = std::io::stderr().flush();
        }
        let echo = interactive.then(|| no_echo(&stdin)).flatten();
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        if let Some(saved) = echo {
            let _ =
                nix::sys::termios::tcsetattr(&stdin, nix::sys::termios::SetArg::TCSANOW, &saved);
            errln!();
        }
        read.map_err(Failure::internal)?;
        Ok(line.trim().to_owned())
    };
    let first = ask("PIN baru / New PIN: ")?;
    if interactive {
        let again = ask("Ulangi PIN / Repeat PIN: ")?;
        if again != first {
            return Err(Failure::user(
                "PIN_MISMATCH",
                bilingual("Kedua PIN tidak sama.", "The two PINs differ."),
            ));
        }
    }
    Ok(first)
}

/// Turns terminal echo off; returns the settings to restore.
fn no_echo(stdin: &std::io::Stdin) -> Option<nix::sys::termios::Termios> {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    let saved = tcgetattr(stdin).ok()?;
    let mut quiet = saved.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    tcsetattr(stdin, SetArg::TCSANOW, &quiet).ok()?;
    Some(saved)
}

fn set_pin(config: &Path) -> Result<Answer, Failure> {
    let text = std::fs::read_to_string(config).map_err(|e| {
        Failure::user(
            "BAD_CONFIG",
            bilingual(
                format!(
                    "Berkas konfigurasi {} tidak dapat dibaca: {e}",
                    config.display()
                ),
                format!(
                    "The configuration file {} cannot be read: {e}",
                    config.display()
                ),
            ),
        )
    })?;
    let pin = read_pin()?;
    let hash = pin::hash(&pin).map_err(|m| Failure::user("BAD_PIN", m))?;
    let updated = pin::set_in_config(&text, &hash);
    let parsed = Config::parse(&updated).map_err(|e| {
        Failure::user(
            "BAD_CONFIG",
            bilingual(
                format!("Berkas konfigurasi tidak valid: {e}"),
                format!("The configuration file is not valid: {e}"),
            ),
        )
    })?;
    debug_assert!(parsed.diag.pin_hash.is_some());
    replace_file(config, updated.as_bytes()).map_err(Failure::internal)?;
    Ok(Answer::json_or_text(&json!({
        "config": config.display().to_string(),
        "pin_hash_set": true,
    })))
}

/// Replaces `path` with `contents` atomically: a temporary file beside it, created readable
/// by its owner only (the file holds the hub secret too), given the original's mode, synced,
/// then renamed over it. On an error the temporary file is removed.
fn replace_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    // A leftover from an interrupted run would keep its own mode: start afresh.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
