//! The kiosk's update agent: a tokio task beside the sync agent.
//!
//! - **The offer** comes with every verified sync answer ([`record_offer`]); no offer (a
//!   paused or withdrawn rollout) means nothing is installed, and a bundle already
//!   downloaded for it is removed.
//! - **Download** in the background, resumed after a broken link ([`super::download`]),
//!   within the data partition's free space less a reserve for the database.
//! - **Install** only inside the install window (local time) and while no member uses the
//!   kiosk; RAUC writes the other slot. Then, again only while idle inside the window, the
//!   agent asks the system to restart (`/run/anjungan/reboot`, a root path unit's cue).
//! - **After the restart**: the new slot counts as good once the kiosk has been healthy for
//!   the health window (60 s): the agent writes `/run/anjungan/healthy`, which the image's
//!   `anjungan-boot-ok.service` waits for before it marks the slot good. A slot that never
//!   gets there uses up its tries and the old slot boots again: the agent sees that it runs
//!   from the old slot, reports `ROLLED_BACK` and never installs that bundle again.
//! - **Every step is persisted** in the kiosk database (`sync_meta`), so a power cut at any
//!   point leaves a state the next start reads: an install that never finished is
//!   `INTERRUPTED` (the old slot runs, untouched) and is tried again.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::download::{self, bundle_path};
use super::slots::{SlotStatus, SlotSystem};
use super::window::InstallWindow;
use super::{Offer, UpdateError};
use crate::store::{Store, StoreError};
use crate::sync::client::HubClient;

/// The offer of the last verified sync answer (JSON [`Offer`]).
pub const KEY_OFFER: &str = "update_offer";
/// An install begun and not yet judged (JSON [`Installing`]).
pub const KEY_INSTALLING: &str = "update_installing";
/// The last install's outcome (JSON [`Outcome`]).
pub const KEY_RESULT: &str = "update_result";
/// Bundles never to install again: rolled back or refused by RAUC (JSON list of SHA-256).
pub const KEY_REFUSED: &str = "update_refused";
/// How many refused bundles are remembered.
const REFUSED_KEPT: usize = 16;

/// Keeps the offer a verified sync answer carried, replacing the last one; `None` (or a
/// malformed offer, which is logged) removes it.
pub fn record_offer(store: &Store, offer: Option<&Offer>) -> Result<(), StoreError> {
    match offer {
        Some(o) => match o.check() {
            Ok(()) => store.set_meta(
                KEY_OFFER,
                &serde_json::to_string(o).unwrap_or_else(|_| "null".into()),
            ),
            Err(e) => {
                tracing::warn!(code = "UPDATE_BAD_OFFER", error = %e, "the hub's update offer is malformed; ignored");
                store.delete_meta(KEY_OFFER)
            }
        },
        None => store.delete_meta(KEY_OFFER),
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &str,
) -> Result<Option<T>, StoreError> {
    Ok(store.meta(key)?.and_then(|v| serde_json::from_str(&v).ok()))
}

fn write_json<T: Serialize>(store: &Store, key: &str, value: &T) -> Result<(), StoreError> {
    store.set_meta(
        key,
        &serde_json::to_string(value).unwrap_or_else(|_| "null".into()),
    )
}

/// An install under way: written before RAUC starts (`to` empty) and again once it has
/// made `to` the next boot's slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installing {
    pub sha256: String,
    pub version: String,
    /// The slot that ran when the install began.
    pub from: Option<String>,
    /// The slot RAUC wrote (its bootname), once it succeeded.
    pub to: Option<String>,
    pub at: String,
}

/// How an install ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// The new slot booted and stayed healthy for the health window.
    Installed,
    /// The new slot did not get healthy within its tries; the old one booted again.
    RolledBack,
    /// RAUC refused the bundle (signature, compatibility, a write error).
    Failed,
    /// The power went (or the kiosk stopped) during the install: the old slot runs.
    Interrupted,
}

/// The last install's outcome, as the heartbeat and diagnostics show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub sha256: String,
    pub version: String,
    pub result: Verdict,
    /// Why, for a failure (RAUC's words; never member data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub at: String,
}

/// Where the update agent is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Phase {
    /// Not looked yet.
    #[default]
    Starting,
    /// No update offered.
    Idle,
    /// The offered version runs already.
    Current,
    /// This bundle was rolled back or refused before; it is not installed again.
    Refused,
    Downloading,
    /// Downloaded and checked; waiting for the install window and an idle kiosk.
    Ready,
    Installing,
    /// Installed into the other slot; the restart waits for the window and an idle kiosk.
    RestartPending,
    /// The restart was asked for.
    Restarting,
    /// Running the new slot for the first time, not yet healthy for the health window.
    Trying,
    /// Slots cannot be read (no RAUC: a PC installed from the .deb).
    Unavailable,
}

/// What the heartbeat (and `diag`) carries about updates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateReport {
    pub channel: String,
    pub phase: Phase,
    /// The booted slot (`A`, `B`).
    pub slot: Option<String>,
    /// The version this kiosk runs.
    pub version: Option<String>,
    /// The version offered, when one is.
    pub offered: Option<String>,
    /// Bytes of the offered bundle on disk, and its size.
    pub downloaded: u64,
    pub size: u64,
    /// Whether this boot was found healthy for the health window.
    pub healthy_marked: bool,
    pub last_result: Option<Outcome>,
    /// `CODE: message` of the last step that failed; cleared when a step succeeds.
    pub last_error: Option<String>,
}

/// What the agent needs.
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    pub db: PathBuf,
    /// Where bundles are downloaded (on the data partition).
    pub dir: PathBuf,
    pub channel: String,
    pub window: InstallWindow,
    pub zone: Tz,
    /// Free space kept beyond a bundle: this, plus twice the database's size.
    pub reserve: u64,
    /// Between looks at the offer.
    pub check_every: Duration,
    /// How long the kiosk must be healthy before this boot counts as good.
    pub health_window: Duration,
    /// Written when it does (the image's boot-ok unit waits for it).
    pub health_mark: PathBuf,
    /// Written to ask the system to restart into the new slot.
    pub reboot_mark: PathBuf,
    /// The version of the factory image, for a slot RAUC never wrote.
    pub image_version: Option<String>,
}

/// A question the app answers: "is no member using the kiosk?", "is the kiosk healthy?".
pub type Probe = Arc<dyn Fn() -> bool + Send + Sync>;

/// What the kiosk's UI tells the update agent: its controller's loop beats (about every
/// second) saying whether a member is at the kiosk, the window's event loop runs, and
/// whether a technician has diagnostics open (its PIN pad or its screen).
#[derive(Debug, Default)]
pub struct Activity {
    /// Unix seconds of the controller's last beat.
    beat: std::sync::atomic::AtomicI64,
    busy: std::sync::atomic::AtomicBool,
    ready: std::sync::atomic::AtomicBool,
    technician: std::sync::atomic::AtomicBool,
}

/// A controller that has not beaten for this long is stuck: neither idle nor healthy.
pub const BEAT_STALE_SECS: i64 = 10;

impl Activity {
    /// The controller's beat: `busy` while a member uses the kiosk (any screen but home).
    pub fn beat(&self, busy: bool) {
        self.busy.store(busy, Ordering::Relaxed);
        self.beat
            .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
    }

    /// A technician is in diagnostics (`true`) or has left it (`false`): no install, and
    /// no reboot into a new slot, under a technician's hands.
    pub fn technician(&self, at_work: bool) {
        self.technician.store(at_work, Ordering::Relaxed);
    }

    /// The UI's event loop runs (READY was sent).
    pub fn ready(&self) {
        self.ready.store(true, Ordering::Relaxed);
    }

    fn fresh(&self) -> bool {
        let last = self.beat.load(Ordering::Relaxed);
        last > 0 && chrono::Utc::now().timestamp() - last <= BEAT_STALE_SECS
    }

    /// No member and no technician at the kiosk, and its controller alive.
    pub fn idle(&self) -> bool {
        self.fresh()
            && !self.busy.load(Ordering::Relaxed)
            && !self.technician.load(Ordering::Relaxed)
    }

    /// The UI runs and its controller beats.
    pub fn healthy(&self) -> bool {
        self.ready.load(Ordering::Relaxed) && self.fresh()
    }
}

/// The agent. Clone its status handle for diagnostics and the heartbeat first.
pub struct UpdateAgent {
    config: UpdateConfig,
    clients: Vec<HubClient>,
    slots: Arc<dyn SlotSystem>,
    idle: Probe,
    healthy: Probe,
    status: Arc<RwLock<UpdateReport>>,
    progress: Arc<AtomicU64>,
    clock: Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>,
}

impl UpdateAgent {
    pub fn new(
        config: UpdateConfig,
        clients: Vec<HubClient>,
        slots: Arc<dyn SlotSystem>,
        idle: Probe,
        healthy: Probe,
    ) -> Self {
        let status = UpdateReport {
            channel: config.channel.clone(),
            ..UpdateReport::default()
        };
        Self {
            config,
            clients,
            slots,
            idle,
            healthy,
            status: Arc::new(RwLock::new(status)),
            progress: Arc::new(AtomicU64::new(0)),
            clock: Arc::new(chrono::Utc::now),
        }
    }

    /// The same agent with another clock (tests: the install window at any hour).
    pub fn with_clock(
        mut self,
        clock: Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>,
    ) -> Self {
        self.clock = clock;
        self
    }

    /// The live report, shared with the heartbeat and diagnostics.
    pub fn status_handle(&self) -> Arc<RwLock<UpdateReport>> {
        Arc::clone(&self.status)
    }

    /// A copy of the report now.
    pub fn status(&self) -> UpdateReport {
        let mut r = self.status.read().map(|s| s.clone()).unwrap_or_default();
        if r.phase == Phase::Downloading {
            r.downloaded = self.progress.load(Ordering::Relaxed);
        }
        r
    }

    fn set(&self, f: impl FnOnce(&mut UpdateReport)) {
        if let Ok(mut s) = self.status.write() {
            f(&mut s);
        }
    }

    /// Runs until `shutdown`: judges the last install, then looks at the offer every
    /// `check_every`, and watches the kiosk's health once a second until this boot is
    /// marked good.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        if let Err(e) = self.after_boot().await {
            tracing::warn!(code = e.code(), error = %e, "the last update was not judged");
        }
        let mut healthy_since: Option<Instant> = None;
        let mut next_check = Instant::now();
        loop {
            self.watch_health(&mut healthy_since).await;
            if Instant::now() >= next_check {
                self.step_logged().await;
                next_check = Instant::now() + self.config.check_every;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// One look at the offer, its outcome kept in the report.
    pub async fn step_logged(&self) {
        match self.step().await {
            Ok(()) => self.set(|s| s.last_error = None),
            Err(e) => {
                tracing::warn!(code = e.code(), error = %e, "update step failed");
                let text = format!("{}: {}", e.code(), e.message().en);
                self.set(|s| s.last_error = Some(text));
            }
        }
    }

    async fn slot_status(&self) -> Result<SlotStatus, UpdateError> {
        let slots = Arc::clone(&self.slots);
        blocking(move || slots.status()).await
    }

    fn store(&self) -> Result<Store, UpdateError> {
        Ok(Store::open(&self.config.db)?)
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }

    /// Judges an install that began before this start (see the module's text).
    pub async fn after_boot(&self) -> Result<(), UpdateError> {
        let slots = self.read_slots().await?;
        self.set(|s| s.phase = Phase::Idle);
        let store = self.store()?;
        let last: Option<Outcome> = read_json(&store, KEY_RESULT)?;
        self.set(|s| s.last_result = last);
        let Some(inst) = read_json::<Installing>(&store, KEY_INSTALLING)? else {
            return Ok(());
        };
        let booted = slots.booted.clone();
        let at = self.now().to_rfc3339();
        let outcome = |result, message: Option<String>| Outcome {
            sha256: inst.sha256.clone(),
            version: inst.version.clone(),
            result,
            message,
            at: at.clone(),
        };
        match inst.to.as_deref() {
            None => {
                // RAUC never finished: it wrote only the other slot, and this one runs.
                tracing::warn!(version = %inst.version, "an update install was interrupted; it is tried again");
                self.finish(&store, outcome(Verdict::Interrupted, None), false)?;
            }
            Some(to) if booted.as_deref() == Some(to) => {
                tracing::info!(version = %inst.version, "running a new slot; waiting for the health window");
                self.set(|s| s.phase = Phase::Trying);
            }
            Some(to) => {
                let target = slots
                    .slots
                    .iter()
                    .find(|s| s.bootname.as_deref() == Some(to));
                let bad = target.is_some_and(|s| s.boot_status.as_deref() == Some("bad"));
                if slots.primary_bootname() == Some(to) && !bad {
                    // Installed, and the restart has not happened yet.
                    self.set(|s| s.phase = Phase::RestartPending);
                } else {
                    tracing::error!(version = %inst.version, code = "UPDATE_ROLLED_BACK", "the new slot did not become healthy; the old one runs again");
                    let message = format!(
                        "slot {to} did not become healthy within its tries; slot {} runs",
                        booted.as_deref().unwrap_or("?")
                    );
                    self.finish(&store, outcome(Verdict::RolledBack, Some(message)), true)?;
                }
            }
        }
        Ok(())
    }

    /// Records an install's outcome and forgets it; `refuse`: never install it again.
    fn finish(&self, store: &Store, outcome: Outcome, refuse: bool) -> Result<(), UpdateError> {
        if refuse {
            let mut refused: Vec<String> = read_json(store, KEY_REFUSED)?.unwrap_or_default();
            if !refused.contains(&outcome.sha256) {
                refused.push(outcome.sha256.clone());
            }
            let skip = refused.len().saturating_sub(REFUSED_KEPT);
            write_json(store, KEY_REFUSED, &refused[skip..].to_vec())?;
        }
        write_json(store, KEY_RESULT, &outcome)?;
        store.delete_meta(KEY_INSTALLING)?;
        self.set(|s| s.last_result = Some(outcome));
        Ok(())
    }

    /// The slots now, shown in the report; unreadable: the phase says so.
    async fn read_slots(&self) -> Result<SlotStatus, UpdateError> {
        let slots = self.slot_status().await.inspect_err(|_| {
            self.set(|s| s.phase = Phase::Unavailable);
        })?;
        self.show_slots(&slots);
        Ok(slots)
    }

    fn show_slots(&self, slots: &SlotStatus) {
        let version = slots
            .booted_slot()
            .and_then(|s| s.version.clone())
            .or_else(|| self.config.image_version.clone());
        let slot = slots.booted.clone();
        self.set(|s| {
            s.slot = slot;
            s.version = version;
        });
    }

    /// Marks this boot good once the kiosk has been healthy for the health window.
    async fn watch_health(&self, since: &mut Option<Instant>) {
        if self.status().healthy_marked {
            return;
        }
        if !(self.healthy)() {
            *since = None;
            return;
        }
        let started = *since.get_or_insert_with(Instant::now);
        if started.elapsed() < self.config.health_window {
            return;
        }
        let mark = self.config.health_mark.clone();
        let text = format!("healthy {}\n", self.now().to_rfc3339());
        if let Err(e) = std::fs::write(&mark, text) {
            tracing::warn!(error = %e, path = %mark.display(), "the health mark cannot be written");
            return;
        }
        tracing::info!("healthy for the health window: this boot counts as good");
        self.set(|s| s.healthy_marked = true);
        if self.status().phase == Phase::Trying {
            let result = (|| -> Result<(), UpdateError> {
                let store = self.store()?;
                if let Some(inst) = read_json::<Installing>(&store, KEY_INSTALLING)? {
                    tracing::info!(version = %inst.version, "update installed and healthy");
                    let outcome = Outcome {
                        sha256: inst.sha256,
                        version: inst.version,
                        result: Verdict::Installed,
                        message: None,
                        at: self.now().to_rfc3339(),
                    };
                    self.finish(&store, outcome, false)?;
                }
                Ok(())
            })();
            match result {
                Ok(()) => self.set(|s| s.phase = Phase::Current),
                Err(e) => tracing::warn!(code = e.code(), "the update's outcome was not kept"),
            }
        }
    }

    /// One look at the offer: download, install, restart, as far as the time and the
    /// kiosk allow.
    pub async fn step(&self) -> Result<(), UpdateError> {
        if matches!(self.status().phase, Phase::Starting | Phase::Unavailable) {
            // The slots could not be read at start: judge the last install first.
            self.after_boot().await?;
        }
        let phase = self.status().phase;
        if matches!(phase, Phase::Trying | Phase::Restarting) {
            return Ok(());
        }
        let slots = self.read_slots().await?;
        if phase == Phase::RestartPending {
            return self.restart_when_free();
        }
        let store = self.store()?;
        let offer: Option<Offer> = read_json(&store, KEY_OFFER)?;
        let refused: Vec<String> = read_json(&store, KEY_REFUSED)?.unwrap_or_default();
        drop(store);
        let Some(offer) = offer else {
            download::remove_others(&self.config.dir, None);
            self.set(|s| {
                s.phase = Phase::Idle;
                s.offered = None;
                s.downloaded = 0;
                s.size = 0;
            });
            return Ok(());
        };
        self.set(|s| {
            s.offered = Some(offer.version.clone());
            s.size = offer.size;
        });
        if self.status().version.as_deref() == Some(offer.version.as_str()) {
            download::remove_others(&self.config.dir, None);
            self.set(|s| s.phase = Phase::Current);
            return Ok(());
        }
        if refused.contains(&offer.sha256) {
            download::remove_others(&self.config.dir, None);
            self.set(|s| s.phase = Phase::Refused);
            return Ok(());
        }
        download::remove_others(&self.config.dir, Some(&offer.sha256));
        let path = bundle_path(&self.config.dir, &offer.sha256);
        if !path.is_file() {
            self.set(|s| s.phase = Phase::Downloading);
            self.fetch(&offer).await?;
        }
        self.set(|s| {
            s.phase = Phase::Ready;
            s.downloaded = offer.size;
        });
        if !self.free_now() {
            return Ok(());
        }
        self.install(&offer, &path, slots.booted.clone()).await?;
        self.restart_when_free()
    }

    /// Inside the window, with no member at the kiosk.
    fn free_now(&self) -> bool {
        let local = self.now().with_timezone(&self.config.zone).time();
        self.config.window.contains(local) && (self.idle)()
    }

    async fn fetch(&self, offer: &Offer) -> Result<(), UpdateError> {
        let db_size = std::fs::metadata(&self.config.db).map_or(0, |m| m.len());
        let reserve = self
            .config
            .reserve
            .saturating_add(db_size.saturating_mul(2));
        let mut last = None;
        for client in &self.clients {
            match download::fetch(client, offer, &self.config.dir, reserve, &self.progress).await {
                Ok(f) => {
                    tracing::info!(
                        version = %offer.version,
                        received = f.received,
                        resumed_from = f.resumed_from,
                        "update downloaded and checked"
                    );
                    return Ok(());
                }
                // Another replica may answer; anything else is not the link's fault.
                Err(e @ UpdateError::Sync(crate::sync::SyncError::Network(_))) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            UpdateError::Sync(crate::sync::SyncError::Network("no hub URL".into()))
        }))
    }

    async fn install(
        &self,
        offer: &Offer,
        path: &Path,
        from: Option<String>,
    ) -> Result<(), UpdateError> {
        let mut inst = Installing {
            sha256: offer.sha256.clone(),
            version: offer.version.clone(),
            from,
            to: None,
            at: self.now().to_rfc3339(),
        };
        write_json(&self.store()?, KEY_INSTALLING, &inst)?;
        self.set(|s| s.phase = Phase::Installing);
        tracing::info!(version = %offer.version, "installing an update into the other slot");
        let slots = Arc::clone(&self.slots);
        let bundle = path.to_path_buf();
        let installed = blocking(move || slots.install(&bundle)).await;
        let store = self.store()?;
        if let Err(e) = installed {
            tracing::error!(code = e.code(), error = %e, "the update was not installed");
            let outcome = Outcome {
                sha256: offer.sha256.clone(),
                version: offer.version.clone(),
                result: Verdict::Failed,
                message: Some(e.to_string()),
                at: self.now().to_rfc3339(),
            };
            // RAUC refused this bundle: trying it again would fail again.
            self.finish(&store, outcome, true)?;
            let _ = std::fs::remove_file(path);
            self.set(|s| s.phase = Phase::Refused);
            return Err(e);
        }
        let after = self.slot_status().await?;
        inst.to = after.primary_bootname().map(str::to_owned);
        if inst.to.is_none() || inst.to == inst.from {
            let e = UpdateError::Slots(format!(
                "rauc install succeeded but the next boot's slot is {:?}",
                inst.to
            ));
            store.delete_meta(KEY_INSTALLING)?;
            return Err(e);
        }
        write_json(&store, KEY_INSTALLING, &inst)?;
        // The slot holds the bundle now: its file only takes room.
        let _ = std::fs::remove_file(path);
        self.set(|s| s.phase = Phase::RestartPending);
        Ok(())
    }

    /// Asks for the restart when the window and the kiosk allow; otherwise waits.
    fn restart_when_free(&self) -> Result<(), UpdateError> {
        if !self.free_now() {
            return Ok(());
        }
        tracing::info!("restarting into the updated slot");
        std::fs::write(
            &self.config.reboot_mark,
            format!("update {}\n", self.now().to_rfc3339()),
        )?;
        self.set(|s| s.phase = Phase::Restarting);
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UpdateError> + Send + 'static,
) -> Result<T, UpdateError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| UpdateError::Io(std::io::Error::other(e.to_string())))?
}

/// The image's version from an os-release file (`IMAGE_VERSION=`), if it names one.
pub fn image_version(os_release: &Path) -> Option<String> {
    let text = std::fs::read_to_string(os_release).ok()?;
    text.lines().find_map(|l| {
        let v = l.strip_prefix("IMAGE_VERSION=")?.trim().trim_matches('"');
        super::check_version(v).ok().map(|()| v.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::Activity;

    #[test]
    fn the_kiosk_is_idle_only_with_no_member_and_no_technician_and_a_live_controller() {
        let a = Activity::default();
        assert!(!a.idle(), "no beat yet: not idle");
        assert!(!a.healthy(), "no beat, no READY: not healthy");
        a.beat(false);
        assert!(a.idle());
        a.beat(true);
        assert!(!a.idle(), "a member at the kiosk");
        a.beat(false);
        a.technician(true);
        assert!(!a.idle(), "a technician in diagnostics");
        a.ready();
        assert!(a.healthy(), "diagnostics does not make the kiosk unhealthy");
        a.technician(false);
        assert!(a.idle(), "the technician left");
    }
}
