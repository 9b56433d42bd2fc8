//! `anjungan hub ...`: run the hub, and the operator's commands beside it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anjungan::hub::kiosks::Kiosks;
use anjungan::hub::server::{self, Hub};
use anjungan::hub::state::{FleetStatus, default_state_path};
use anjungan::hub::{HubError, HubStore};
use anjungan::sync::keys;
use clap::{Args, Subcommand};
use serde_json::json;

use super::output::Answer;
use super::{Failure, Today, bilingual};

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
            None => false,
            Some(HubCommand::Keygen { json, .. }) => *json,
            Some(HubCommand::Import { common, .. } | HubCommand::Fleet { common, .. }) => {
                common.json
            }
            Some(HubCommand::Requests(r)) => match r {
                RequestsCommand::List { common }
                | RequestsCommand::Approve { common, .. }
                | RequestsCommand::Reject { common, .. } => common.json,
            },
        }
    }
}

/// Serve the dataset directory to kiosks.
#[derive(Debug, Args)]
struct ServeArgs {
    /// The dataset directory (CSV files, docs/dataset.md).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The hub's signing key (`hub keygen`).
    #[arg(long)]
    key: Option<PathBuf>,
    /// The kiosks file (TOML, one [[kiosk]] per kiosk with cons_id and secret).
    #[arg(long)]
    kiosks: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// The hub's state database (default: DIR/.hub/hub.db).
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    today: Today,
}

/// Where the hub's state lives.
#[derive(Debug, Args)]
struct Common {
    #[arg(long)]
    data: PathBuf,
    #[arg(long)]
    state: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

impl Common {
    fn open(&self) -> Result<HubStore, Failure> {
        let path = self
            .state
            .clone()
            .unwrap_or_else(|| default_state_path(&self.data));
        HubStore::open(&path).map_err(hub_failure)
    }
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// Make the hub's Ed25519 key pair: DIR/hub.key (secret) and DIR/hub.pub (for kiosks).
    Keygen {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Make a new dataset version from the CSV files now in DIR.
    Import {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        today: Today,
    },
    /// List and decide change requests.
    #[command(subcommand)]
    Requests(RequestsCommand),
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
        Some(HubCommand::Keygen { out, .. }) => {
            let key = keys::generate();
            keys::write_pair(&key, out).map_err(Failure::internal)?;
            Ok(Answer::json_or_text(&json!({
                "key": out.join("hub.key").display().to_string(),
                "public_key": out.join("hub.pub").display().to_string(),
            })))
        }
        Some(HubCommand::Import { common, today }) => {
            let mut store = common.open()?;
            let summary = store
                .import(&common.data, today.resolve())
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(&summary))
        }
        Some(HubCommand::Fleet {
            common,
            silent_after_mins,
            kiosks,
        }) => fleet(common, *silent_after_mins, kiosks.as_deref()),
        Some(HubCommand::Requests(RequestsCommand::List { common })) => Ok(Answer::rows(
            &common.open()?.requests().map_err(hub_failure)?,
        )),
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
    let data = args.data.as_deref().ok_or_else(|| missing("--data"))?;
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
    let key = keys::read_signing_key(key_path).map_err(Failure::internal)?;
    let kiosks = Kiosks::load(kiosks_path).map_err(hub_failure)?;
    let state = args
        .state
        .clone()
        .unwrap_or_else(|| default_state_path(data));
    first_import(&state, data, args.today.resolve())?;
    let hub = Hub::new(state, key, kiosks).map_err(hub_failure)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::internal)?;
    runtime
        .block_on(server::serve(Arc::new(hub), addr))
        .map_err(hub_failure)?;
    Ok(Answer::json_or_text(&json!({ "stopped": true })))
}

/// A hub with no version yet imports its directory before serving.
fn first_import(state: &Path, data: &Path, today: chrono::NaiveDate) -> Result<(), Failure> {
    let mut store = HubStore::open(state).map_err(hub_failure)?;
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
        other => Failure::internal(other),
    }
}
