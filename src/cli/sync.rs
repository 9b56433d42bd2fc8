//! `anjungan sync`: one sync cycle for technicians (`--once`), or the agent loop.

use std::path::PathBuf;
use std::time::Duration;

use anjungan::config::{Config, HubConfig, SyncConfig};
use anjungan::sync::agent::AgentConfig;
use anjungan::sync::client::ClientLimits;
use anjungan::sync::{SyncError, keys};
use clap::Args;
use serde_json::json;

use super::output::Answer;
use super::{Failure, bilingual};

/// Every value can come from `--config FILE` ([kiosk] db, [hub], [sync]); flags win.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Run one cycle (push the outbox, then pull) and exit; non-zero when it failed.
    #[arg(long)]
    once: bool,
    /// Print the sync status recorded in --db (no network): last success, data version and
    /// age, last error, pending requests.
    #[arg(long, conflicts_with = "once")]
    status: bool,
    /// With --status: the age beyond which data counts as out of date.
    #[arg(long, default_value_t = 48, value_parser = super::parse_max_age_hours)]
    max_data_age_hours: u64,
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    db: Option<PathBuf>,
    /// The hub's base URL, e.g. https://hub.cabang.example:8787 (plain http:// only to a
    /// loopback hub run with --plain-http).
    #[arg(long)]
    hub: Option<String>,
    /// The kab/kota codes whose members to keep, e.g. 3273,3204 (default: [kiosk] regions,
    /// else all). A change of regions fetches a snapshot of the new set.
    #[arg(long, value_delimiter = ',')]
    regions: Option<Vec<String>>,
    /// The hub's TLS certificate (PEM, `tls.crt` from `hub keygen`), trusted alone.
    #[arg(long)]
    hub_ca: Option<PathBuf>,
    /// The hub's public key file, pinned.
    #[arg(long)]
    hub_pub: Option<PathBuf>,
    #[arg(long)]
    cons_id: Option<String>,
    /// The shared secret. Visible in `ps`: prefer --secret-file, ANJUNGAN_HUB_SECRET or the
    /// systemd credential hub-secret.
    #[arg(long, conflicts_with = "secret_file")]
    secret: Option<String>,
    /// A file holding the shared secret (a regular file, mode 600, one line).
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Seconds between cycles when not --once.
    #[arg(long, value_parser = super::parse_interval_secs)]
    interval_secs: Option<u64>,
    #[arg(long)]
    pub json: bool,
}

fn missing(flag: &str) -> Failure {
    Failure::new(
        "MISSING_ARGUMENT",
        bilingual(
            format!("{flag} wajib diisi (atau diatur di berkas konfigurasi)."),
            format!("{flag} is required (or set it in the configuration file)."),
        ),
        2,
    )
}

/// No usable hub secret: a technician's setup mistake (exit 2), never echoing the secret.
fn secret_failure(e: anjungan::secret::SecretError) -> Failure {
    Failure::user(
        e.code(),
        bilingual(
            format!("Rahasia hub tidak dapat dipakai: {e}"),
            format!("The hub secret cannot be used: {e}"),
        ),
    )
}

/// Reads a configuration file, or says plainly what is wrong with it.
pub(super) fn load_config(path: &std::path::Path) -> Result<Config, Failure> {
    Config::load(path).map_err(|e| {
        Failure::new(
            "BAD_CONFIG",
            bilingual(
                format!("Berkas konfigurasi tidak valid: {e}"),
                format!("The configuration file is not valid: {e}"),
            ),
            2,
        )
    })
}

fn agent_config(args: &SyncArgs) -> Result<AgentConfig, Failure> {
    let file = args.config.as_deref().map(load_config).transpose()?;
    let hub = file.as_ref().and_then(|c| c.hub.clone());
    let sync = file
        .as_ref()
        .map_or_else(SyncConfig::default, |c| c.sync.clone());
    let db = args
        .db
        .clone()
        .or_else(|| file.as_ref().map(|c| c.kiosk.db.clone()))
        .ok_or_else(|| missing("--db"))?;
    let url = args
        .hub
        .clone()
        .or_else(|| hub.as_ref().map(|h| h.url.clone()))
        .ok_or_else(|| missing("--hub"))?;
    let pub_path = args
        .hub_pub
        .clone()
        .or_else(|| hub.as_ref().map(|h| h.public_key.clone()))
        .ok_or_else(|| missing("--hub-pub"))?;
    let cons_id = args
        .cons_id
        .clone()
        .or_else(|| hub.as_ref().map(|h| h.cons_id.clone()))
        .ok_or_else(|| missing("--cons-id"))?;
    let secret =
        HubConfig::secret_sources(hub.as_ref(), args.secret_file.clone(), args.secret.clone())
            .resolve()
            .map_err(secret_failure)?;
    let interval = args.interval_secs.unwrap_or(sync.interval_secs);
    let ca = args
        .hub_ca
        .clone()
        .or_else(|| hub.as_ref().and_then(|h| h.ca.clone()));
    let regions = match &args.regions {
        Some(list) => anjungan::sync::regions::parse_regions(list),
        None => file.as_ref().map_or(Ok(None), |c| c.kiosk.regions()),
    }
    .map_err(|e| {
        Failure::new(
            "INVALID_REGIONS",
            bilingual(format!("--regions: {e}"), format!("--regions: {e}")),
            2,
        )
    })?;
    build(
        db, url, regions, ca, &pub_path, cons_id, secret, interval, &sync,
    )
}

/// The agent a kiosk runs beside its UI, from its configuration file's [hub] and [sync];
/// `None` when no hub is configured.
pub(super) fn kiosk_agent_config(
    file: &Config,
    db: PathBuf,
) -> Result<Option<AgentConfig>, Failure> {
    let Some(hub) = &file.hub else {
        return Ok(None);
    };
    let secret = HubConfig::secret_sources(Some(hub), None, None)
        .resolve()
        .map_err(secret_failure)?;
    // Config::parse has checked the regions.
    build(
        db,
        hub.url.clone(),
        file.kiosk.regions().unwrap_or_default(),
        hub.ca.clone(),
        &hub.public_key,
        hub.cons_id.clone(),
        secret,
        file.sync.interval_secs,
        &file.sync,
    )
    .map(|mut c| {
        c.update_channel = file.updates.as_ref().map(|u| u.channel.clone());
        Some(c)
    })
}

#[allow(clippy::too_many_arguments)]
fn build(
    db: PathBuf,
    hub_url: String,
    regions: Option<Vec<String>>,
    hub_ca: Option<PathBuf>,
    pub_path: &std::path::Path,
    cons_id: String,
    secret: String,
    interval_secs: u64,
    sync: &SyncConfig,
) -> Result<AgentConfig, Failure> {
    let hub_key = keys::read_public_key(pub_path).map_err(|e| {
        Failure::new(
            "BAD_HUB_KEY",
            bilingual(
                format!("Kunci publik hub tidak dapat dibaca: {e}"),
                format!("The hub public key cannot be read: {e}"),
            ),
            2,
        )
    })?;
    Ok(AgentConfig {
        db,
        hub_url,
        regions,
        hub_ca,
        cons_id,
        secret,
        hub_key,
        interval: Duration::from_secs(interval_secs.max(1)),
        retry_base: Duration::from_secs(sync.retry_base_secs.max(1)),
        retry_cap: Duration::from_secs(sync.retry_cap_secs.max(1)),
        request_retention: Duration::from_secs(sync.request_retention_days.saturating_mul(86_400)),
        limits: ClientLimits {
            max_download: sync.max_download_mb.saturating_mul(1024 * 1024),
            ..ClientLimits::default()
        },
        cycle_deadline: Duration::from_secs(sync.cycle_deadline_secs),
        update_channel: None,
    })
}

pub fn run(args: &SyncArgs) -> Result<Answer, Failure> {
    if args.status {
        let db = args.db.as_ref().ok_or_else(|| missing("--db"))?;
        if !db.is_file() {
            return Err(Failure::no_database(db));
        }
        let status = anjungan::sync::agent::read_status(db).map_err(sync_failure)?;
        let out_of_date = status
            .data_age_secs
            .is_none_or(|a| a > anjungan::services::request::max_age_secs(args.max_data_age_hours));
        let mut value = serde_json::to_value(&status).map_err(Failure::internal)?;
        value["data_out_of_date"] = json!(out_of_date);
        return Ok(Answer::json_or_text(&value));
    }
    let config = agent_config(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Failure::internal)?;
    let agent = anjungan::diag::probe::headless_agent(config).map_err(sync_failure)?;
    if !args.once {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        runtime.block_on(async move {
            let task = tokio::spawn(agent.run(stopped));
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
            let _ = task.await;
        });
        return Ok(Answer::json_or_text(&json!({ "stopped": true })));
    }
    let report = runtime.block_on(agent.run_once());
    let status = agent.status();
    match report {
        Ok(report) => Ok(Answer::json_or_text(&json!({
            "ok": true,
            "cycle": report,
            "status": status,
        }))),
        Err(e) => Err(sync_failure(e)),
    }
}

/// A failed cycle, said for a technician. Nothing half-applied remains in any case.
pub fn sync_failure(e: SyncError) -> Failure {
    let e = match e {
        SyncError::Store(s) => return s.into(),
        other => other,
    };
    let code = e.code();
    if let SyncError::Tls(t) = &e {
        // The address or certificate as configured: nothing was sent.
        let (id, en) = t.bilingual();
        return Failure::new(code, bilingual(id, en), 2);
    }
    let (id, en) = match &e {
        SyncError::Network(_) => (
            "Hub tidak dapat dihubungi; data lama tetap dipakai dan permohonan tetap tersimpan. Periksa jaringan.",
            "The hub cannot be reached; the old data stays in use and requests stay queued. Check the network.",
        ),
        SyncError::AckMismatch { .. } => (
            "Hub menyimpan isi permohonan yang berbeda dari yang diterima anjungan; permohonan disisihkan (MISMATCH), tidak dianggap terkirim. Laporkan ke hub.",
            "The hub holds different content for a request than this kiosk accepted; the request is set aside (MISMATCH), not counted as sent. Report it to the hub.",
        ),
        SyncError::TooLarge { .. } | SyncError::Deadline { .. } => (
            "Jawaban hub terlalu besar atau terlalu lama; unduhan dibuang, data tidak diubah.",
            "The hub's answer was too large or too slow; the download was discarded, no data was changed.",
        ),
        SyncError::Payload(_) | SyncError::BadAck => (
            "Jawaban hub ditolak karena tidak lolos pemeriksaan (tanda tangan, hash atau kelengkapan); data tidak diubah. Periksa kunci publik hub dan jaringan.",
            "The hub's answer was refused because it failed verification (signature, hash or completeness); no data was changed. Check the pinned hub key and the network.",
        ),
        SyncError::Hub { .. } => (
            "Hub menolak permintaan anjungan; data tidak diubah. Periksa cons-id, secret dan jam anjungan.",
            "The hub refused the kiosk's call; no data was changed. Check the cons-id, secret and the kiosk's clock.",
        ),
        _ => (
            "Sinkronisasi gagal; data tidak diubah.",
            "The sync failed; no data was changed.",
        ),
    };
    Failure::new(
        code,
        bilingual(format!("{id} ({e})"), format!("{en} ({e})")),
        1,
    )
}
