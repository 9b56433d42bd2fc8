//! The windowed demo: the touch kiosk on the sample database, with the simulated dispenser
//! on a pty and the virtual printer on 127.0.0.1, exactly as a kiosk would use real ones;
//! with `--with-hub`, also a hub on 127.0.0.1 serving the same sample data, which the kiosk's
//! sync agent talks to over HTTP as it would to a branch's hub.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anjungan::hub::kiosks::Kiosks;
use anjungan::hub::server::{Hub, ServeOptions, ServerLimits, router, serve_listener};
use anjungan::hub::store::default_state_path;
use anjungan::hub::{HubStore, SqliteHub};
use anjungan::kiosk::Settings;
use anjungan::store::{Point, Store};
use anjungan::sync::agent::AgentConfig;
use anjungan::sync::client::ClientLimits;
use anjungan::sync::{keys, tls};
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

/// The local hub, when the demo runs one.
pub struct LocalHub<'a> {
    /// The sample dataset the hub serves.
    pub dataset: &'a Path,
    pub today: chrono::NaiveDate,
}

/// Runs the kiosk window until it is closed; slips land as PNG and text in `dir/slips`.
pub fn run(
    dir: &Path,
    db: &Path,
    zone: chrono_tz::Tz,
    hub: Option<LocalHub<'_>>,
    voice: Option<anjungan::ui::runtime::Voice>,
) -> Result<(), Failure> {
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
    outln!(
        "\nPrinter: tcp://{addr} (virtual; slips in {})",
        slips.display()
    );
    outln!("Dispenser: {dispenser_uri} (simulated)");
    let scanner_uri = format!(
        "serial://{}?baud=9600",
        super::scanner::spawn_from_stdin()
            .map_err(Failure::internal)?
            .display()
    );
    outln!("Scanner: {scanner_uri} (simulated: type a JKN card number here and press Enter)");
    outln!("Tutup jendela untuk selesai / Close the window to finish.");
    let devices = KioskDevices::new(
        Some(format!("tcp://{addr}")),
        PaperWidth::Mm80,
        Some(&dispenser_uri),
        "Anjungan JKN (demo)".into(),
        zone,
        db.to_path_buf(),
    )
    .map_err(|m| Failure::internal(m.en))?;
    let (stop_hub, lookup) = match hub {
        Some(hub) => {
            let (stop, agent) = start_local_hub(dir, db, &hub)?;
            (Some(stop), Some(agent))
        }
        None => (None, None),
    };
    let settings = Settings {
        // Gedung Sate, Bandung: the demo kiosk stands there.
        location: Some(Point {
            lat: -6.9025,
            lon: 107.6188,
        }),
        zone,
        kiosk_name: "Anjungan JKN (demo)".into(),
        hub_lookup: lookup.is_some(),
        ..Settings::default()
    };
    let devices = devices.with_lookup(lookup);
    // Diagnostics behind the logo (hold it 5 s), with a PIN made for this demo and said
    // here: a demo has no config file to hold a PIN hash.
    let pin = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let pin_hash = anjungan::diag::pin::hash(&pin).map_err(|m| Failure::internal(m.en))?;
    outln!("PIN teknisi / technician PIN: {pin} (tahan logo 5 detik / hold the logo for 5 s)");
    let diag = anjungan::ui::diag::DiagSetup {
        toolbox: anjungan::diag::actions::Toolbox {
            probe: anjungan::diag::probe::ProbeSetup {
                kiosk_id: DEMO_CONS_ID.into(),
                printer: devices.printer.clone(),
                dispenser: devices
                    .dispenser
                    .clone()
                    .map(|client| (dispenser_uri.clone(), client)),
                scanner: Some(scanner_uri.clone()),
                speech: voice
                    .as_ref()
                    .map(|_| anjungan::diag::probe::SpeechSetup::new("headphones", None)),
                print_gate: devices.print_gate.clone(),
                db: db.to_path_buf(),
                hub_url: None,
                hub_ca: None,
                max_data_age_hours: settings.max_data_age_hours,
                zone,
                started: std::time::Instant::now(),
            },
            paper: PaperWidth::Mm80,
            kiosk_name: settings.kiosk_name.clone(),
            agent: None,
        },
        settings: anjungan::diag::mode::DiagSettings {
            pin_hash: Some(pin_hash),
            ..anjungan::diag::mode::DiagSettings::default()
        },
        exit_code: Arc::new(std::sync::atomic::AtomicI32::new(0)),
    };
    let db = db.to_path_buf();
    let result = runtime::run_with_diag(
        move || Store::open(&db).map_err(|e| e.to_string()),
        settings,
        Arc::new(devices),
        Clock::new(zone),
        false,
        runtime::Extras {
            diag: Some(diag),
            voice,
            scanner: Some(scanner_uri),
            jack: None,
            activity: None,
        },
    )
    .map_err(Failure::internal);
    if let Some(stop) = stop_hub {
        let _ = stop.send(true);
    }
    result
}

/// The demo kiosk's identity at its local hub.
const DEMO_CONS_ID: &str = "demo";
const DEMO_SECRET: &str = "demo-kiosk-secret";

/// Makes the demo's console supervisor `demo` with a fresh password (a new one each run);
/// the password.
fn demo_supervisor(store: &SqliteHub) -> Result<String, Failure> {
    use anjungan::hub::staff::{self, Role, StaffStore, UserRow};
    let password: String = staff::token().chars().take(16).collect();
    let hash = staff::hash_password(&password).map_err(Failure::internal)?;
    let now = chrono::Utc::now().to_rfc3339();
    if store.user("demo").map_err(Failure::internal)?.is_some() {
        store
            .user_set_password("demo", &hash, &now)
            .map_err(Failure::internal)?;
    } else {
        store
            .user_add(&UserRow {
                name: "demo".into(),
                role: Role::Supervisor,
                password_hash: hash,
                disabled: false,
                failures: 0,
                locked_until: None,
                created_at: now.clone(),
                password_set_at: now,
            })
            .map_err(Failure::internal)?;
    }
    Ok(password)
}

/// The demo kiosk's region: Kota Bandung, where it stands. Its first sync keeps only these
/// families; members from elsewhere are then looked up at the local hub.
const DEMO_REGION: &str = "3273";

/// Starts a hub on 127.0.0.1 (state and keys in `dir/hub`, first filled from the sample
/// dataset) and the kiosk's sync agent against it, on one thread with its own runtime.
/// Change requests taken at the kiosk reach the hub on the next cycle, and decisions made
/// with `anjungan hub requests … --data dir/hub` come back to the kiosk. Returns the stop
/// switch and the agent's settings (for lookups).
fn start_local_hub(
    dir: &Path,
    db: &Path,
    hub: &LocalHub<'_>,
) -> Result<(tokio::sync::watch::Sender<bool>, AgentConfig), Failure> {
    let hub_dir = dir.join("hub");
    std::fs::create_dir_all(&hub_dir).map_err(Failure::internal)?;
    let key_path = hub_dir.join("hub.key");
    if !key_path.exists() {
        keys::write_pair(&keys::generate(), &hub_dir).map_err(Failure::internal)?;
    }
    let key = keys::read_signing_key(&key_path).map_err(Failure::internal)?;
    let state = default_state_path(&hub_dir);
    let store = SqliteHub::open(&state).map_err(|e| match e {
        anjungan::hub::HubError::Store(s) => Failure::from(s),
        other => Failure::internal(other),
    })?;
    if store.version().map_err(Failure::internal)? == 0 {
        store
            .import(hub.dataset, hub.today)
            .map_err(Failure::internal)?;
    }
    // The branch console on the same hub: a supervisor made for this demo run, its
    // password said here (a demo has nobody to run `anjungan-hub users add`).
    let console_login = demo_supervisor(&store)?;
    let kiosks = Kiosks::parse(&format!(
        "[[kiosk]]\ncons_id = \"{DEMO_CONS_ID}\"\nsecret = \"{DEMO_SECRET}\"\nname = \"Anjungan JKN (demo)\"\n"
    ))
    .map_err(Failure::internal)?;
    let server = Arc::new(Hub::new(Arc::new(store), key.clone(), kiosks));
    // TLS like any hub: a certificate made once for this demo directory, trusted alone.
    let (cert, tls_key) = (hub_dir.join("tls.crt"), hub_dir.join("tls.key"));
    if !cert.exists() || !tls_key.exists() {
        let (c, k) = tls::self_signed(&[]).map_err(Failure::internal)?;
        keys::write_private(&tls_key, &k).map_err(Failure::internal)?;
        keys::write_private(&cert, &c).map_err(Failure::internal)?;
    }
    let tls_config = tls::server_config(&cert, &tls_key).map_err(Failure::internal)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(Failure::internal)?;
    listener.set_nonblocking(true).map_err(Failure::internal)?;
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().map_err(Failure::internal)?.port()
    );
    let config = AgentConfig {
        db: PathBuf::from(db),
        hub_url: url.clone(),
        regions: Some(vec![DEMO_REGION.into()]),
        hub_ca: Some(cert.clone()),
        cons_id: DEMO_CONS_ID.into(),
        secret: DEMO_SECRET.into(),
        hub_key: key.verifying_key(),
        interval: Duration::from_secs(30),
        retry_base: Duration::from_secs(2),
        retry_cap: Duration::from_secs(60),
        request_retention: Duration::from_secs(30 * 86_400),
        limits: ClientLimits::default(),
        cycle_deadline: Duration::from_secs(600),
        update_channel: None,
    };
    let agent = anjungan::diag::probe::headless_agent(config.clone()).map_err(Failure::internal)?;
    outln!(
        "Hub: {url} (lokal / local; anjungan hub requests list --data {})",
        hub_dir.display()
    );
    outln!(
        "Konsol cabang / branch console: {url}/console/ (pengguna / user demo, kata sandi / password {console_login})"
    );
    outln!(
        "Wilayah anjungan / kiosk region: {DEMO_REGION} (Kota Bandung); peserta daerah lain \
         dicari di hub / members from elsewhere are looked up at the hub"
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    std::thread::Builder::new()
        .name("demo-hub".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "the demo hub cannot start");
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "the demo hub cannot listen");
                        return;
                    }
                };
                let options = ServeOptions {
                    tls: Some(Arc::new(tls_config)),
                    limits: ServerLimits::default(),
                };
                let serve =
                    serve_listener(listener, router(server), options, std::future::pending());
                tokio::select! {
                    r = serve => if let Err(e) = r {
                        tracing::error!(error = %e, "the demo hub stopped");
                    },
                    () = agent.run(stopped) => {}
                }
            });
        })
        .map_err(Failure::internal)?;
    Ok((stop, config))
}
