//! `anjungan-hub ...` (and its alias `anjungan hub ...`): run the hub, and the operator's
//! commands beside it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anjungan_core::cli::{Answer, Failure, Today, bilingual};
use anjungan_core::sync::{keys, tls};
use clap::{Args, Subcommand};
use serde_json::json;

mod kiosks;
mod updates;
mod users;

use crate::HubError;
use crate::kiosks::Kiosks;
use crate::server::{self, Hub, ServeOptions, ServerLimits};
use crate::store::{Database, FleetStatus, HubStore};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HubArgs {
    #[command(subcommand)]
    command: Option<HubCommand>,
    #[command(flatten)]
    serve: ServeArgs,
}

impl HubArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            None | Some(HubCommand::Serve(_)) => false,
            Some(HubCommand::Keygen { json, .. }) => *json,
            Some(HubCommand::Import { common, .. } | HubCommand::Fleet { common, .. }) => {
                common.json
            }
            Some(HubCommand::Requests(r)) => match r {
                RequestsCommand::List { common }
                | RequestsCommand::Approve { common, .. }
                | RequestsCommand::Reject { common, .. }
                | RequestsCommand::Flags { common } => common.json,
            },
            Some(HubCommand::Users(u)) => u.json(),
            Some(HubCommand::Kiosks(k)) => k.json(),
            Some(HubCommand::Updates(u)) => u.json(),
        }
    }
}

/// Serve the dataset directory to kiosks.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The dataset directory (CSV files, docs/dataset.md): imported first when the state
    /// has no version yet. With --database it is optional: a replica needs no directory
    /// of its own (an import streams into the database, nothing is staged on disk).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The hub's state in PostgreSQL (`postgres://USER@HOST/DB`), shared by any number of
    /// hubs serving it; default: the SQLite file (--state, else DIR/.hub/hub.db).
    #[arg(long, env = "ANJUNGAN_HUB_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// The hub's signing key (`hub keygen`).
    #[arg(long)]
    key: Option<PathBuf>,
    /// The kiosks file (TOML, one [[kiosk]] per kiosk with cons_id and secret).
    #[arg(long)]
    kiosks: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// The TLS certificate (PEM; `hub keygen` writes DIR/tls.crt).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM; DIR/tls.key).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of TLS: only on a loopback address (development, the demo).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    plain_http: bool,
    /// Most connections served at once.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_connections: u32,
    /// The hub's state database (default: DIR/.hub/hub.db).
    #[arg(long)]
    state: Option<PathBuf>,
    /// The console (`/console/`): a session unused this many minutes has ended.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=720))]
    console_idle_mins: i64,
    /// The console flags a request still waiting after this many working days.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i64).range(0..=365))]
    console_flag_after_days: i64,
    #[command(flatten)]
    today: Today,
}

/// Where the hub's state lives.
#[derive(Debug, Args)]
struct Common {
    /// The dataset directory (its `.hub/hub.db` is the SQLite state by default).
    #[arg(long, required_unless_present = "database")]
    data: Option<PathBuf>,
    /// The SQLite state file (default: DIR/.hub/hub.db).
    #[arg(long, conflicts_with = "database")]
    state: Option<PathBuf>,
    /// The state in PostgreSQL (`postgres://USER@HOST/DB`) instead of SQLite.
    #[arg(long, env = "ANJUNGAN_HUB_DATABASE", hide_env_values = true)]
    database: Option<String>,
    #[arg(long)]
    json: bool,
}

impl Common {
    fn open(&self) -> Result<Box<dyn HubStore>, Failure> {
        open_store(
            self.database.as_deref(),
            self.state.as_deref(),
            self.data.as_deref(),
        )
    }

    /// The dataset directory, which `import` needs whatever the store.
    fn data(&self) -> Result<&Path, Failure> {
        self.data.as_deref().ok_or_else(|| missing("--data"))
    }
}

fn open_store(
    database: Option<&str>,
    state: Option<&Path>,
    data: Option<&Path>,
) -> Result<Box<dyn HubStore>, Failure> {
    let db = Database::choose(database, state, data).map_err(hub_failure)?;
    db.open().map_err(hub_failure)
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// Serve signed data to kiosks and take their requests (also the bare `hub` command).
    Serve(ServeArgs),
    /// Make the hub's Ed25519 key pair, DIR/hub.key (secret) and DIR/hub.pub (for kiosks),
    /// and its self-signed TLS certificate, DIR/tls.crt (for kiosks) and DIR/tls.key.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        /// A host name or IP address kiosks use to reach the hub, besides localhost and
        /// 127.0.0.1 (repeat for each).
        #[arg(long = "name")]
        names: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Make a new dataset version from the CSV files now in DIR.
    Import {
        #[command(flatten)]
        common: Common,
        /// Accept a members.csv with no rows (it removes every member).
        #[arg(long)]
        allow_empty: bool,
        #[command(flatten)]
        today: Today,
    },
    /// List and decide change requests.
    #[command(subcommand)]
    Requests(RequestsCommand),
    /// The people who may use the branch console (`/console/`), and their roles.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Kiosks registered in the hub's store, beside --kiosks FILE: add, list, revoke, rekey.
    #[command(subcommand)]
    Kiosks(kiosks::KiosksCommand),
    /// Software updates for the kiosks (RAUC bundles): add, list, rollout, pause, remove.
    #[command(subcommand)]
    Updates(updates::UpdatesCommand),
    /// The kiosks' last heartbeats, flagging silent and unhealthy ones.
    Fleet {
        #[command(flatten)]
        common: Common,
        /// A kiosk is silent after this many minutes without a heartbeat.
        #[arg(long, default_value_t = 45)]
        silent_after_mins: i64,
        /// The kiosks file: kiosks in it that never sent a heartbeat are listed as silent.
        #[arg(long)]
        kiosks: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum RequestsCommand {
    /// Every request, newest first.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Approve a request (by id or reference).
    Approve {
        id: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Integrity events: requests whose stated content digest did not match their content.
    Flags {
        #[command(flatten)]
        common: Common,
    },
    /// Reject a request (by id or reference), saying why.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
}

pub fn run(args: &HubArgs) -> Result<Answer, Failure> {
    match &args.command {
        None => serve(&args.serve),
        Some(HubCommand::Serve(serve_args)) => serve(serve_args),
        Some(HubCommand::Keygen { out, names, .. }) => {
            let (cert, tls_key) = tls::self_signed(names).map_err(|e| {
                Failure::new(
                    "INVALID_NAME",
                    bilingual(
                        format!("Nama hub tidak valid untuk sertifikat: {e}"),
                        format!("A hub name is not valid for the certificate: {e}"),
                    ),
                    2,
                )
            })?;
            let key = keys::generate();
            keys::write_pair(&key, out).map_err(Failure::internal)?;
            keys::write_private(&out.join("tls.key"), &tls_key).map_err(Failure::internal)?;
            keys::write_private(&out.join("tls.crt"), &cert).map_err(Failure::internal)?;
            Ok(Answer::json_or_text(&json!({
                "key": out.join("hub.key").display().to_string(),
                "public_key": out.join("hub.pub").display().to_string(),
                "tls_cert": out.join("tls.crt").display().to_string(),
                "tls_key": out.join("tls.key").display().to_string(),
            })))
        }
        Some(HubCommand::Import {
            common,
            allow_empty,
            today,
        }) => {
            let store = common.open()?;
            let options = anjungan_core::dataset::ImportOptions {
                allow_empty: *allow_empty,
            };
            let result = store.import_with(common.data()?, today.resolve(), options);
            crate::staff::audit_import(&*store, "cli", &result);
            Ok(Answer::json_or_text(&result.map_err(hub_failure)?))
        }
        Some(HubCommand::Fleet {
            common,
            silent_after_mins,
            kiosks,
        }) => fleet(common, *silent_after_mins, kiosks.as_deref()),
        Some(HubCommand::Users(command)) => users::run(command),
        Some(HubCommand::Kiosks(command)) => kiosks::run(command),
        Some(HubCommand::Updates(command)) => updates::run(command),
        Some(HubCommand::Requests(RequestsCommand::List { common })) => Ok(Answer::rows(
            &common.open()?.requests().map_err(hub_failure)?,
        )),
        Some(HubCommand::Requests(RequestsCommand::Flags { common })) => {
            Ok(Answer::rows(&common.open()?.flags().map_err(hub_failure)?))
        }
        Some(HubCommand::Requests(RequestsCommand::Approve { id, reason, common })) => {
            let row = common
                .open()?
                .decide(id, true, reason.as_deref())
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(&row))
        }
        Some(HubCommand::Requests(RequestsCommand::Reject { id, reason, common })) => {
            if reason.trim().is_empty() {
                return Err(Failure::new(
                    "REASON_REQUIRED",
                    bilingual(
                        "Alasan penolakan wajib diisi (--reason).",
                        "A rejection needs a reason (--reason).",
                    ),
                    2,
                ));
            }
            let row = common
                .open()?
                .decide(id, false, Some(reason.trim()))
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(&row))
        }
    }
}

/// `hub fleet`: every kiosk's last heartbeat, judged silent or unhealthy.
fn fleet(
    common: &Common,
    silent_after_mins: i64,
    kiosks: Option<&Path>,
) -> Result<Answer, Failure> {
    let rows = common.open()?.fleet().map_err(hub_failure)?;
    let now = chrono::Utc::now();
    let mut out: Vec<FleetStatus> = rows
        .iter()
        .map(|r| FleetStatus::judge(r, now, silent_after_mins.clamp(1, 60 * 24 * 365) * 60))
        .collect();
    if let Some(path) = kiosks {
        let known = Kiosks::load(path).map_err(hub_failure)?;
        for id in known.cons_ids() {
            if !rows.iter().any(|r| r.cons_id == id) {
                out.push(FleetStatus::never_seen(&id));
            }
        }
        out.sort_by(|a, b| a.cons_id.cmp(&b.cons_id));
    }
    Ok(Answer::rows(&out))
}

fn missing(flag: &str) -> Failure {
    Failure::new(
        "MISSING_ARGUMENT",
        bilingual(
            format!("Argumen {flag} wajib diisi untuk menjalankan hub."),
            format!("{flag} is required to run the hub."),
        ),
        2,
    )
}

fn serve(args: &ServeArgs) -> Result<Answer, Failure> {
    if args.database.is_none() && args.data.is_none() && args.state.is_none() {
        return Err(missing("--data"));
    }
    let key_path = args.key.as_deref().ok_or_else(|| missing("--key"))?;
    let kiosks_path = args.kiosks.as_deref().ok_or_else(|| missing("--kiosks"))?;
    let addr: SocketAddr = args.listen.parse().map_err(|_| {
        Failure::new(
            "INVALID_ADDRESS",
            bilingual(
                format!("{:?} bukan alamat HOST:PORT.", args.listen),
                format!("{:?} is not a HOST:PORT address.", args.listen),
            ),
            2,
        )
    })?;
    let tls = listen_tls(args, addr)?;
    let key = keys::read_signing_key(key_path).map_err(|e| {
        Failure::user(
            e.code(),
            bilingual(
                format!("Kunci hub tidak dapat dipakai: {e}"),
                format!("The hub key cannot be used: {e}"),
            ),
        )
    })?;
    let kiosks = Kiosks::load(kiosks_path).map_err(hub_failure)?;
    let store = open_store(
        args.database.as_deref(),
        args.state.as_deref(),
        args.data.as_deref(),
    )?;
    if let Some(data) = &args.data {
        first_import(&*store, data, args.today.resolve())?;
    }
    tracing::info!(backend = store.backend(), "hub state open");
    let hub = Hub::new(Arc::from(store), key, kiosks)
        .with_console(args.console_idle_mins * 60, args.console_flag_after_days);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::internal)?;
    let options = ServeOptions {
        tls,
        limits: ServerLimits {
            max_connections: args.max_connections as usize,
            ..ServerLimits::default()
        },
    };
    runtime
        .block_on(server::serve(Arc::new(hub), addr, options))
        .map_err(hub_failure)?;
    Ok(Answer::json_or_text(&json!({ "stopped": true })))
}

/// The TLS configuration to serve, or none for `--plain-http` on a loopback address. No
/// TLS files and no `--plain-http`: the hub does not start.
fn listen_tls(
    args: &ServeArgs,
    addr: SocketAddr,
) -> Result<Option<Arc<rustls::ServerConfig>>, Failure> {
    if args.plain_http {
        if !addr.ip().is_loopback() {
            return Err(Failure::new(
                "PLAIN_HTTP_NOT_LOOPBACK",
                bilingual(
                    format!(
                        "--plain-http hanya boleh pada alamat loopback (127.0.0.1, ::1), bukan {addr}. Gunakan --tls-cert dan --tls-key."
                    ),
                    format!(
                        "--plain-http is only allowed on a loopback address (127.0.0.1, ::1), not {addr}. Use --tls-cert and --tls-key."
                    ),
                ),
                2,
            ));
        }
        tracing::warn!("serving plain HTTP on loopback (--plain-http)");
        return Ok(None);
    }
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Err(Failure::new(
            "TLS_REQUIRED",
            bilingual(
                "Hub wajib TLS: berikan --tls-cert DIR/tls.crt --tls-key DIR/tls.key (dibuat oleh `hub keygen`), atau --plain-http pada 127.0.0.1 untuk pengembangan.",
                "The hub requires TLS: give --tls-cert DIR/tls.crt --tls-key DIR/tls.key (made by `hub keygen`), or --plain-http on 127.0.0.1 for development.",
            ),
            2,
        ));
    };
    let config = tls::server_config(cert, key).map_err(|e| {
        let (id, en) = e.bilingual();
        Failure::new(e.code(), bilingual(id, en), 2)
    })?;
    Ok(Some(Arc::new(config)))
}

/// A hub with no version yet imports its directory before serving.
fn first_import(
    store: &dyn HubStore,
    data: &Path,
    today: chrono::NaiveDate,
) -> Result<(), Failure> {
    if store.version().map_err(hub_failure)? == 0 {
        let summary = store.import(data, today).map_err(hub_failure)?;
        tracing::info!(version = summary.version, "first import done");
    }
    Ok(())
}

fn hub_failure(e: HubError) -> Failure {
    match e {
        HubError::Import(i) => i.into(),
        HubError::Store(s) => s.into(),
        HubError::UnknownRequest(r) => Failure::new(
            "UNKNOWN_REQUEST",
            bilingual(
                format!("Permohonan {r} tidak ditemukan."),
                format!("No request {r}."),
            ),
            2,
        ),
        HubError::AlreadyDecided { reference, state } => Failure::new(
            "ALREADY_DECIDED",
            bilingual(
                format!("Permohonan {reference} sudah diputuskan: {state}."),
                format!("Request {reference} was already decided: {state}."),
            ),
            2,
        ),
        HubError::Kiosks { path, message } => Failure::new(
            "BAD_KIOSKS_FILE",
            bilingual(
                format!("Berkas daftar anjungan {path} tidak valid: {message}"),
                format!("The kiosks file {path} is not valid: {message}"),
            ),
            2,
        ),
        HubError::BadRequest(m) => Failure::new(
            "HUB_CONFIG",
            bilingual(
                format!("Hub tidak dapat dijalankan: {m}"),
                format!("The hub cannot run: {m}"),
            ),
            2,
        ),
        HubError::Postgres(m) => Failure::new(
            "DATABASE_UNAVAILABLE",
            bilingual(
                format!(
                    "Basis data hub (PostgreSQL) tidak dapat dipakai: {m}. Periksa --database dan apakah server berjalan."
                ),
                format!(
                    "The hub database (PostgreSQL) cannot be used: {m}. Check --database and that the server runs."
                ),
            ),
            3,
        ),
        HubError::InvalidRequest { code, reason } => Failure::user(
            code,
            bilingual(
                format!("Tidak diterima: {reason}"),
                format!("Not accepted: {reason}"),
            ),
        ),
        other => Failure::internal(other),
    }
}
