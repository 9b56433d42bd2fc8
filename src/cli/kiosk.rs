//! `anjungan kiosk`: the fullscreen touch UI on a kiosk database and its devices, with the
//! sync agent running beside it when a hub is configured.

use std::path::PathBuf;
use std::sync::Arc;

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

use anjungan::clock;
use anjungan::diag::actions::Toolbox;
use anjungan::diag::mode::DiagSettings;
use anjungan::diag::probe::{self, ProbeSetup};
use anjungan::kiosk::Settings;
use anjungan::store::{Point, Store};
use anjungan::sync::agent::SyncAgent;
use anjungan::ui::devices::KioskDevices;
use anjungan::ui::diag::DiagSetup;
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
    /// The card scanner: serial:///dev/anjungan-scanner?baud=9600.
    #[arg(long)]
    scanner: Option<String>,
    /// Spoken guidance: off, headphones (personal data may be spoken) or loudspeaker
    /// (guidance only); default: [speech] mode, else off.
    #[arg(long, value_parser = parse_speech_mode)]
    speech: Option<anjungan::config::SpeechMode>,
    /// Shown on screen and slips.
    #[arg(long)]
    kiosk_name: Option<String>,
    /// The kiosk's zone: WIB, WITA, WIT or an IANA name.
    #[arg(long, value_parser = super::parse_zone_arg)]
    tz: Option<chrono_tz::Tz>,
    /// Where the kiosk stands, LAT,LON, for "nearest" lists.
    #[arg(long, allow_hyphen_values = true)]
    location: Option<String>,
    /// Seconds without a touch before the countdown starts (5 to 3600).
    #[arg(long, default_value_t = 60, value_parser = super::parse_idle_secs)]
    idle_secs: u64,
    /// Change requests are refused when the data is older than this.
    #[arg(long, value_parser = super::parse_max_age_hours)]
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
    let printer_uri = args.printer.clone().or(printer_file.map(|p| p.uri));
    let dispenser_uri = args.dispenser.clone().or_else(|| {
        file.as_ref()
            .and_then(|c| c.dispenser.as_ref().map(|d| d.uri.clone()))
    });
    let scanner_uri = args.scanner.clone().or_else(|| {
        file.as_ref()
            .and_then(|c| c.scanner.as_ref().map(|s| s.uri.clone()))
    });
    let devices = KioskDevices::new(
        printer_uri.clone(),
        paper,
        dispenser_uri.as_deref(),
        kiosk_name.clone(),
        zone,
        db.clone(),
    )
    .map_err(|m| Failure::usage(&m.en))?;
    // The sync agent runs on its own thread with its own tokio runtime; the window's
    // closing stops it. With a hub, members from other regions are looked up there.
    let agent = match &file {
        Some(f) => super::sync::kiosk_agent_config(f, db.clone())?,
        None => None,
    };
    let devices = devices.with_lookup(agent.clone());
    let settings = Settings {
        idle_ms: args.idle_secs.max(5) * 1000,
        location,
        zone,
        max_data_age_hours: args
            .max_data_age_hours
            .or(file.as_ref().map(|c| c.sync.max_data_age_hours))
            .unwrap_or(48),
        kiosk_name,
        hub_lookup: agent.is_some(),
        ..Settings::default()
    };
    // Diagnostics probes the same devices (sharing the dispenser's line) and its report is
    // the agent's heartbeat.
    let speech = file.as_ref().map(|c| c.speech.clone()).unwrap_or_default();
    let speech_mode = args.speech.unwrap_or(speech.mode);
    let probe_setup = ProbeSetup {
        kiosk_id: file
            .as_ref()
            .map_or_else(|| "kiosk-1".into(), |c| c.kiosk.id.clone()),
        printer: printer_uri,
        dispenser: dispenser_uri.zip(devices.dispenser.clone()),
        // One gate for member prints and the heartbeat's printer probe.
        scanner: scanner_uri.clone(),
        speech: speech_mode
            .output()
            .map(|o| anjungan::diag::probe::SpeechSetup::new(o, speech.device.clone())),
        print_gate: devices.print_gate.clone(),
        db: db.clone(),
        hub_url: agent.as_ref().map(|a| a.hub_url.clone()),
        hub_ca: agent.as_ref().and_then(|a| a.hub_ca.clone()),
        max_data_age_hours: settings.max_data_age_hours,
        zone,
        started: Instant::now(),
    };
    let exit_code = Arc::new(AtomicI32::new(0));
    let diag = DiagSetup {
        toolbox: Toolbox {
            probe: probe_setup.clone(),
            paper,
            kiosk_name: settings.kiosk_name.clone(),
            agent: agent.clone(),
        },
        settings: file
            .as_ref()
            .map_or_else(DiagSettings::default, |c| DiagSettings::from(&c.diag)),
        exit_code: Arc::clone(&exit_code),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let activity = Arc::new(anjungan::update::agent::Activity::default());
    let agent_thread = match agent {
        Some(config) => {
            // Updates come from the same hub, beside the sync (docs/updates.md).
            let updater = match file.as_ref().and_then(|f| f.updates.as_ref()) {
                Some(u) => Some(update_agent(u, &config, zone, Arc::clone(&activity))?),
                None => None,
            };
            let update_status = updater.as_ref().map(|u| u.status_handle());
            let health = Arc::new(move |hub: &_| {
                let mut report = probe::report(&probe_setup, Some(hub));
                report.update = update_status
                    .as_ref()
                    .and_then(|s| s.read().ok().map(|s| s.clone()));
                report
            });
            let agent = SyncAgent::new(config, health).map_err(super::sync::sync_failure)?;
            Some(
                std::thread::Builder::new()
                    .name("sync-agent".into())
                    .spawn(move || {
                        match tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                        {
                            Ok(rt) => rt.block_on(async move {
                                let updates = async {
                                    if let Some(u) = updater {
                                        u.run(stopped.clone()).await;
                                    }
                                };
                                tokio::join!(agent.run(stopped.clone()), updates);
                            }),
                            Err(e) => tracing::error!(error = %e, "sync agent cannot start"),
                        }
                    })
                    .map_err(Failure::internal)?,
            )
        }
        None => None,
    };

    let voice = voice(speech_mode, speech.device.clone(), speech.always);
    let voice_configured = voice.is_some();
    let result = runtime::run_with_diag(
        move || Store::open_for_lookups(&db).map_err(|e| e.to_string()),
        settings,
        Arc::new(devices),
        Clock::new(zone),
        !args.windowed,
        runtime::Extras {
            diag: Some(diag),
            voice,
            scanner: scanner_uri,
            // Only with speech on: a jack without a voice would have nothing to start.
            jack: speech
                .jack
                .clone()
                .filter(|_| voice_configured)
                .map(|control| anjungan::speech::jack::Jack::new(speech.card, control)),
            activity: Some(activity),
        },
    );
    let _ = stop.send(true);
    if let Some(t) = agent_thread {
        let _ = t.join();
    }
    // A technician's restart or exit to maintenance (docs/diagnostics.md).
    let code = exit_code.load(Ordering::SeqCst);
    if code != 0 {
        std::process::exit(code);
    }
    result.map_err(Failure::internal)?;
    Ok(Answer::json_or_text(
        &serde_json::json!({ "stopped": true }),
    ))
}

/// The update agent for `[updates]`: RAUC's slots, the sync's hub, the UI's activity.
fn update_agent(
    u: &anjungan::config::UpdatesConfig,
    sync: &anjungan::sync::AgentConfig,
    zone: chrono_tz::Tz,
    activity: Arc<anjungan::update::agent::Activity>,
) -> Result<anjungan::update::agent::UpdateAgent, Failure> {
    use anjungan::update::agent::{UpdateAgent, UpdateConfig, image_version};
    let window = u.window().map_err(|e| Failure::usage(&e))?;
    let dir = u.dir.clone().unwrap_or_else(|| {
        sync.db
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("updates")
    });
    let clients = anjungan::sync::agent::clients_for(sync).map_err(super::sync::sync_failure)?;
    let config = UpdateConfig {
        db: sync.db.clone(),
        dir,
        channel: u.channel.clone(),
        window,
        zone,
        reserve: u.reserve_mb.saturating_mul(1 << 20),
        check_every: std::time::Duration::from_secs(u.check_secs),
        health_window: std::time::Duration::from_secs(u.health_secs),
        health_mark: u.health_mark.clone(),
        reboot_mark: u.reboot_mark.clone(),
        image_version: image_version(&u.os_release),
    };
    let (idle, healthy) = (Arc::clone(&activity), activity);
    Ok(UpdateAgent::new(
        config,
        clients,
        Arc::new(anjungan::update::slots::Rauc::new(&u.rauc)),
        Arc::new(move || idle.idle()),
        Arc::new(move || healthy.healthy()),
    ))
}

fn parse_speech_mode(s: &str) -> Result<anjungan::config::SpeechMode, String> {
    use anjungan::config::SpeechMode;
    match s {
        "off" => Ok(SpeechMode::Off),
        "headphones" => Ok(SpeechMode::Headphones),
        "loudspeaker" => Ok(SpeechMode::Loudspeaker),
        _ => Err(format!(
            "{s:?}: harus off, headphones atau loudspeaker / must be off, headphones or loudspeaker"
        )),
    }
}

/// The kiosk's voice for `mode`, played through ALSA. Speech needs espeak-ng; without it
/// the kiosk runs silent and says so in the log, never failing to start.
fn voice(
    mode: anjungan::config::SpeechMode,
    device: Option<String>,
    always: bool,
) -> Option<runtime::Voice> {
    use anjungan::config::SpeechMode;
    use anjungan::ui::speech::Output;
    let output = match mode {
        SpeechMode::Off => return None,
        SpeechMode::Headphones => Output::Headphones,
        SpeechMode::Loudspeaker => Output::Loudspeaker,
    };
    runtime::Voice::start(output, anjungan::speech::Aplay::new(device))
        .map(|v| if always { v.always_on() } else { v })
        .inspect_err(|e| tracing::warn!(code = e.code(), "speech is off: the engine does not work"))
        .ok()
}
