//! The kiosk's sync agent: a tokio task that pushes the outbox, then pulls, on an interval.
//!
//! Each cycle: deliver pending requests (each until the hub acknowledges it), download the
//! answer to a file, verify hash and signature, then apply in one transaction. Failures back
//! off exponentially with jitter up to a cap. [`SyncStatus`] is what the UI and diagnostics
//! read: last success, data version, data age, last error, pending outbox count.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde_json::json;

use super::apply::{self, Applied};
use super::client::{ClientLimits, HubClient};
use super::hubcheck::{self, HubCheck};
use super::payload::{self, Expect};
use super::sealed::{self, SealedFile};
use super::{SyncError, nonce, unix_now};
use crate::report::DiagReport;
use crate::store::{
    KEY_LAST_SYNC_ATTEMPT, KEY_LAST_SYNC_ERROR, KEY_LAST_SYNC_OK, OutboxState, Store,
};

/// Everything the agent needs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub db: PathBuf,
    /// The hub's base URL, or several separated by commas (replicas of one hub, in order
    /// of preference): a cycle that cannot reach one goes on with the next at once.
    pub hub_url: String,
    /// The kab/kota buckets whose members to keep (checked, sorted; `None`: all).
    pub regions: Option<Vec<String>>,
    /// The hub's certificate (PEM), the only one trusted; required for an https:// hub.
    pub hub_ca: Option<PathBuf>,
    pub cons_id: String,
    pub secret: String,
    /// The pinned hub public key.
    pub hub_key: VerifyingKey,
    /// Between successful cycles (±10 % jitter).
    pub interval: Duration,
    /// The first retry delay after a failure; doubles per failure.
    pub retry_base: Duration,
    /// The longest retry delay.
    pub retry_cap: Duration,
    /// How long decided requests stay checkable before they are forgotten (domain.md §8).
    pub request_retention: Duration,
    /// Download size cap and timeouts for what the hub sends.
    pub limits: ClientLimits,
    /// The longest one cycle's push and pull may take, all told.
    pub cycle_deadline: Duration,
    /// The software update channel this kiosk follows (`[updates] channel`); `None`: the
    /// hub offers it no update (a PC installed from the .deb, updated by apt).
    pub update_channel: Option<String>,
}

/// What the kiosk knows about its sync, for the UI ("Data per …") and diagnostics.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SyncStatus {
    /// The last successful pull (RFC 3339, UTC).
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    pub data_version: i64,
    /// When the data was last known current: last successful sync, or the local import.
    pub data_as_of: Option<String>,
    pub data_age_secs: Option<i64>,
    /// `CODE: message` of the last failure; cleared by a success.
    pub last_error: Option<String>,
    pub pending_outbox: i64,
    /// Requests whose content differs at the hub ([`crate::store::OutboxState::Mismatch`]).
    pub mismatched_outbox: i64,
    pub consecutive_failures: u32,
}

/// Reads the persisted part of the status from the database.
pub fn read_status(db: &Path) -> Result<SyncStatus, SyncError> {
    let store = Store::open(db)?;
    let as_of = store.data_as_of()?;
    Ok(SyncStatus {
        last_success: store.meta(KEY_LAST_SYNC_OK)?,
        last_attempt: store.meta(KEY_LAST_SYNC_ATTEMPT)?,
        data_version: store.dataset_info()?.version,
        data_as_of: as_of.map(|t| t.to_rfc3339()),
        data_age_secs: as_of.map(|t| (chrono::Utc::now() - t).num_seconds()),
        last_error: store.meta(KEY_LAST_SYNC_ERROR)?,
        pending_outbox: store.pending_count()?,
        mismatched_outbox: store.mismatched_requests()?.len() as i64,
        consecutive_failures: 0,
    })
}

/// What one cycle did.
#[derive(Debug, Clone, Serialize)]
pub struct CycleReport {
    /// Requests the hub acknowledged in this cycle.
    pub delivered: u64,
    pub applied: Applied,
    pub downloaded_bytes: u64,
    pub seconds: f64,
}

/// The longest a heartbeat (sent after the cycle) may take, receipt included.
pub const HEARTBEAT_DEADLINE: Duration = Duration::from_secs(10);

/// Builds the heartbeat's health report, given what a look at the hub just found.
pub type HealthProbe = Arc<dyn Fn(&HubCheck) -> DiagReport + Send + Sync>;

/// The agent. Clone the status handle for the UI before spawning [`SyncAgent::run`].
pub struct SyncAgent {
    config: AgentConfig,
    /// One client per hub URL, in the configured order.
    clients: Vec<HubClient>,
    /// The client that last worked: cycles start with it.
    current: AtomicUsize,
    status: Arc<RwLock<SyncStatus>>,
    health: HealthProbe,
}

/// The delay before the next attempt after `failures` consecutive failures (0: success).
/// `jitter` is uniform in [0, 1). Failures use "equal jitter": half fixed, half random.
pub fn next_delay(
    failures: u32,
    interval: Duration,
    base: Duration,
    cap: Duration,
    jitter: f64,
) -> Duration {
    let jitter = jitter.clamp(0.0, 1.0);
    if failures == 0 {
        return interval.mul_f64(0.9 + 0.2 * jitter);
    }
    let exp = base.saturating_mul(1u32 << (failures - 1).min(20));
    let d = exp.min(cap);
    d.mul_f64(0.5 + 0.5 * jitter)
}

impl SyncAgent {
    /// An agent whose heartbeats carry `health`'s report (the kiosk's, with its devices;
    /// `diag::probe::headless_health` without them).
    pub fn new(config: AgentConfig, health: HealthProbe) -> Result<Self, SyncError> {
        let clients = clients_for(&config)?;
        // A download left by a process that died is unreadable without its key: remove it.
        sealed::remove_stale(&download_path(&config.db));
        let status = read_status(&config.db).unwrap_or_default();
        Ok(Self {
            config,
            clients,
            current: AtomicUsize::new(0),
            status: Arc::new(RwLock::new(status)),
            health,
        })
    }

    /// The live status, shared with the UI.
    pub fn status_handle(&self) -> Arc<RwLock<SyncStatus>> {
        Arc::clone(&self.status)
    }

    /// A copy of the status now.
    pub fn status(&self) -> SyncStatus {
        self.status.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Runs cycles until `shutdown` turns true: at once, then on the interval or backoff.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            let failures = match self.run_once().await {
                Ok(report) => {
                    tracing::info!(version = report.applied.version, "sync cycle done");
                    0
                }
                Err(e) => {
                    tracing::warn!(code = e.code(), error = %e, "sync cycle failed");
                    self.status().consecutive_failures
                }
            };
            let delay = next_delay(
                failures,
                self.config.interval,
                self.config.retry_base,
                self.config.retry_cap,
                rand::random::<f64>(),
            );
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// One cycle: push the outbox, pull, heartbeat. The status is updated either way.
    /// With several hub URLs, a hub that cannot be reached (or that stops mid-answer)
    /// hands the cycle to the next one at once; the one that worked is tried first next
    /// time.
    pub async fn run_once(&self) -> Result<CycleReport, SyncError> {
        let started = Instant::now();
        let now = chrono::Utc::now().to_rfc3339();
        let first = self.current.load(Ordering::Relaxed) % self.clients.len().max(1);
        let mut result = Err(SyncError::Network("no hub URL".into()));
        for step in 0..self.clients.len() {
            let i = (first + step) % self.clients.len();
            result = self.cycle(&self.clients[i]).await;
            let unreachable = matches!(
                result,
                Err(SyncError::Network(_) | SyncError::Deadline { .. })
            );
            if !unreachable {
                self.current.store(i, Ordering::Relaxed);
                break;
            }
            if step + 1 < self.clients.len() {
                tracing::warn!(
                    hub = self.clients[i].endpoint().base(),
                    "hub unreachable; trying the next"
                );
            }
        }
        let result = result.map(|mut report| {
            report.seconds = started.elapsed().as_secs_f64();
            report
        });
        self.record(&now, result).await
    }

    /// Push then pull through one hub, within the cycle's deadline.
    async fn cycle(&self, client: &HubClient) -> Result<CycleReport, SyncError> {
        let started = Instant::now();
        let deadline = self.config.cycle_deadline;
        let work = async {
            let push = self.push(client).await;
            let pull = self.pull(client).await;
            (push, pull)
        };
        match tokio::time::timeout(deadline, work).await {
            Ok((Ok(delivered), Ok((applied, bytes)))) => Ok(CycleReport {
                delivered,
                applied,
                downloaded_bytes: bytes,
                seconds: started.elapsed().as_secs_f64(),
            }),
            Ok((Err(e), _) | (_, Err(e))) => Err(e),
            Err(_) => {
                // The download (if one was under way) was dropped mid-stream: remove it.
                let _ = std::fs::remove_file(download_path(&self.config.db));
                Err(SyncError::Deadline {
                    secs: deadline.as_secs(),
                })
            }
        }
    }

    /// Persists the cycle's outcome in the status, and sends the heartbeat.
    async fn record(
        &self,
        now: &str,
        result: Result<CycleReport, SyncError>,
    ) -> Result<CycleReport, SyncError> {
        let now = now.to_owned();
        let db = self.config.db.clone();
        let error = result.as_ref().err().map(|e| format!("{}: {e}", e.code()));
        let forget_before = forget_before(chrono::Utc::now(), self.config.request_retention);
        let persisted = tokio::task::spawn_blocking(move || -> Result<SyncStatus, SyncError> {
            let store = Store::open(&db)?;
            store.set_meta(KEY_LAST_SYNC_ATTEMPT, &now)?;
            if let Some(e) = &error {
                store.set_meta(KEY_LAST_SYNC_ERROR, e)?;
            }
            if let Some(before) = forget_before {
                store.prune_decided(&before.to_rfc3339())?;
            }
            drop(store);
            read_status(&db)
        })
        .await
        .map_err(|e| SyncError::Io(std::io::Error::other(e.to_string())))?;
        if let Ok(mut status) = self.status.write() {
            let failures = if result.is_ok() {
                0
            } else {
                status.consecutive_failures.saturating_add(1)
            };
            if let Ok(fresh) = persisted {
                *status = fresh;
            }
            status.consecutive_failures = failures;
        }
        // A hub that answered hears how this kiosk is, even when the cycle failed.
        if !matches!(result, Err(SyncError::Network(_))) {
            let client = &self.clients[self.current.load(Ordering::Relaxed) % self.clients.len()];
            self.heartbeat(client).await;
        }
        result
    }

    /// Delivers every pending request now, without pulling (diagnostics' "resend outbox").
    pub async fn push_outbox(&self) -> Result<u64, SyncError> {
        let first = self.current.load(Ordering::Relaxed);
        let mut result = Err(SyncError::Network("no hub URL".into()));
        for step in 0..self.clients.len() {
            let i = (first + step) % self.clients.len();
            result = self.push(&self.clients[i]).await;
            if !matches!(result, Err(SyncError::Network(_))) {
                self.current.store(i, Ordering::Relaxed);
                break;
            }
        }
        result
    }

    /// Delivers every pending request; stops at the first network failure.
    async fn push(&self, client: &HubClient) -> Result<u64, SyncError> {
        let db = self.config.db.clone();
        let pending = blocking(move || Ok(Store::open(&db)?.pending_requests()?)).await?;
        let mut delivered = 0;
        for entry in pending {
            let outcome = client.submit(&entry).await;
            let db = self.config.db.clone();
            let reference = entry.reference.clone();
            match outcome {
                Ok(ack) => {
                    let state = match ack.state.as_str() {
                        "APPROVED" => OutboxState::Approved,
                        "REJECTED" => OutboxState::Rejected,
                        _ => OutboxState::Sent,
                    };
                    blocking(move || {
                        let at = chrono::Utc::now().to_rfc3339();
                        Ok(Store::open(&db)?.mark_delivered(
                            &reference,
                            state,
                            ack.reason.as_deref(),
                            &at,
                        )?)
                    })
                    .await?;
                    delivered += 1;
                }
                Err(e @ SyncError::AckMismatch { .. }) => {
                    // Never accepted, never resent as if nothing happened: a technician
                    // sees it in diagnostics, the hub in this kiosk's heartbeat.
                    tracing::error!(code = e.code(), %reference, "request content differs at the hub");
                    let text = format!("{}: {e}", e.code());
                    blocking(move || Ok(Store::open(&db)?.mark_mismatch(&reference, &text)?))
                        .await?;
                }
                Err(e) => {
                    let text = format!("{}: {e}", e.code());
                    blocking(move || {
                        Ok(Store::open(&db)?.record_delivery_error(&reference, &text)?)
                    })
                    .await?;
                    if matches!(e, SyncError::Network(_)) {
                        return Err(e);
                    }
                    tracing::warn!(code = e.code(), "request delivery refused");
                }
            }
        }
        Ok(delivered)
    }

    /// Downloads, verifies and applies the hub's answer.
    async fn pull(&self, client: &HubClient) -> Result<(Applied, u64), SyncError> {
        let db = self.config.db.clone();
        let wanted = self.config.regions.clone();
        let (version, epoch) = blocking(move || {
            let mut store = Store::open(&db)?;
            // Data made for other regions: start over with a snapshot of the new set.
            apply::position_for(store.connection(), wanted.as_deref())
        })
        .await?;
        let nonce = nonce();
        // Encrypted on disk; deleted when `tmp` is dropped, whichever way this ends.
        let tmp = SealedFile::new(&download_path(&self.config.db));
        let regions = self.config.regions.clone();
        let bytes = client
            .download(
                version,
                &epoch,
                &nonce,
                regions.as_deref(),
                self.config.update_channel.as_deref(),
                &tmp,
            )
            .await?;
        let db = self.config.db.clone();
        let key = self.config.hub_key;
        let source = client.endpoint().base().to_owned();
        let applied = blocking(move || {
            verify_and_apply(&db, &tmp, &key, &nonce, regions.as_deref(), &source)
        })
        .await?;
        Ok((applied, bytes))
    }

    /// Sends the same report `anjungan diag --json` prints.
    async fn heartbeat(&self, client: &HubClient) {
        let hub = hubcheck::check_hub(client.endpoint()).await;
        let health = Arc::clone(&self.health);
        let report = match tokio::task::spawn_blocking(move || health(&hub)).await {
            Ok(report) => report,
            Err(e) => {
                tracing::warn!(error = %e, "health report failed");
                return;
            }
        };
        let mut report = report;
        // The figures' counts the hub does not have yet go with it, and are marked as sent
        // only once its signed receipt is in.
        let db = self.config.db.clone();
        let today = chrono::Utc::now().date_naive();
        report.counters = blocking(move || {
            Store::open(&db)?
                .unsent_counts(today, crate::counters::MAX_PER_HEARTBEAT)
                .map_err(SyncError::from)
        })
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(code = e.code(), "counts not read for the heartbeat");
            Vec::new()
        });
        // The hub takes 64 KiB: fewer counts go (the rest with the next heartbeat) rather
        // than a report refused every time.
        while !report.counters.is_empty()
            && serde_json::to_vec(&report).map_or(0, |b| b.len())
                > crate::counters::HEARTBEAT_BUDGET
        {
            let keep = report.counters.len() / 2;
            report.counters.truncate(keep);
        }
        let health = serde_json::to_value(&report).unwrap_or_else(|_| json!({}));
        // Bounded: a hub that trickles its receipt must not hold the agent (the cycle's own
        // deadline is over by now).
        match tokio::time::timeout(HEARTBEAT_DEADLINE, client.heartbeat(&health)).await {
            Ok(Ok(_)) => {
                if report.counters.is_empty() {
                    return;
                }
                let db = self.config.db.clone();
                let sent = std::mem::take(&mut report.counters);
                let marked = blocking(move || {
                    Store::open(&db)?
                        .counts_sent(&sent, today)
                        .map_err(SyncError::from)
                })
                .await;
                if let Err(e) = marked {
                    // Sent again with the next heartbeat; the hub keeps the same counts.
                    tracing::warn!(code = e.code(), "counts not marked as sent");
                }
            }
            Ok(Err(e)) => tracing::warn!(code = e.code(), "heartbeat failed"),
            Err(_) => tracing::warn!(code = "HEARTBEAT_DEADLINE", "heartbeat timed out"),
        }
    }
}

/// One client per hub URL of `config`, in its order.
pub fn clients_for(config: &AgentConfig) -> Result<Vec<HubClient>, SyncError> {
    super::tls::hub_urls(&config.hub_url)
        .into_iter()
        .map(|url| {
            let endpoint = super::tls::HubEndpoint::new(url, config.hub_ca.as_deref())?;
            HubClient::new(
                &endpoint,
                &config.cons_id,
                &config.secret,
                config.hub_key,
                config.limits,
            )
        })
        .collect()
}

/// Where a download is written before it is verified: beside the database.
pub fn download_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".sync-download");
    db.with_file_name(name)
}

/// Verifies the downloaded file, then applies it. Nothing touches the database before the
/// hash and signature check out.
pub fn verify_and_apply(
    db: &Path,
    file: &SealedFile,
    key: &VerifyingKey,
    nonce: &str,
    regions: Option<&[String]>,
    source: &str,
) -> Result<Applied, SyncError> {
    let verified = payload::verify(
        file.open()?,
        &Expect {
            key,
            nonce,
            now: unix_now(),
            max_skew: super::auth::WINDOW_SECS,
        },
    )?;
    // Signed, but for other regions than asked: not this kiosk's data.
    if verified.header.regions.as_deref() != regions {
        return Err(SyncError::Mismatch(format!(
            "the answer is for regions {}, not {}",
            super::regions::regions_key(verified.header.regions.as_deref()),
            super::regions::regions_key(regions)
        )));
    }
    let mut store = Store::open(db)?;
    let applied = apply::apply_reader(
        store.connection(),
        file.open()?,
        &verified,
        source,
        &chrono::Utc::now().to_rfc3339(),
    )?;
    // What the hub offers now replaces what it offered before: a paused or withdrawn
    // rollout takes the offer back, and the update agent then installs nothing.
    crate::update::agent::record_offer(&store, verified.header.update.as_ref())?;
    Ok(applied)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Io(std::io::Error::other(e.to_string())))?
}

/// Decided requests older than this are forgotten; `None` when `retention` reaches back
/// past any representable time, so nothing is old enough. A retention too large to convert
/// must never become zero, which would forget every decided request at once.
fn forget_before(
    now: chrono::DateTime<chrono::Utc>,
    retention: Duration,
) -> Option<chrono::DateTime<chrono::Utc>> {
    now.checked_sub_signed(chrono::Duration::from_std(retention).ok()?)
}

#[cfg(test)]
mod tests {
    use super::forget_before;

    #[test]
    fn a_huge_retention_forgets_nothing_rather_than_everything() {
        let now = chrono::Utc::now();
        assert_eq!(forget_before(now, std::time::Duration::MAX), None);
        assert_eq!(
            forget_before(now, std::time::Duration::from_secs(u64::MAX / 2)),
            None
        );
        let day = forget_before(now, std::time::Duration::from_secs(86_400)).unwrap();
        assert_eq!((now - day).num_seconds(), 86_400);
    }

    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_bounded_jitter() {
        let i = Duration::from_secs(900);
        let b = Duration::from_secs(30);
        let c = Duration::from_secs(600);
        assert_eq!(next_delay(1, i, b, c, 0.999_999).as_secs(), 29);
        assert_eq!(next_delay(1, i, b, c, 0.0).as_secs(), 15);
        assert_eq!(next_delay(3, i, b, c, 0.0).as_secs(), 60);
        assert_eq!(next_delay(30, i, b, c, 0.0).as_secs(), 300);
        assert!(next_delay(30, i, b, c, 0.999) <= c);
        let ok = next_delay(0, i, b, c, 0.5);
        assert_eq!(ok.as_secs(), 900);
        assert!(next_delay(0, i, b, c, 0.0) >= i.mul_f64(0.9));
    }
}
