//! `anjungan-hub updates …`: the RAUC bundles the hub offers its kiosks (docs/updates.md).
//! A bundle is added with its rollout at 0 % unless told otherwise: nothing installs until
//! an operator says how far it goes.

use std::path::PathBuf;

use anjungan_core::cli::{Answer, Failure, bilingual};
use clap::Subcommand;
use serde_json::json;

use super::{Common, hub_failure};
use crate::HubError;
use crate::updates::{UpdateRow, add_file};

#[derive(Debug, Subcommand)]
pub(super) enum UpdatesCommand {
    /// Store a bundle (`.raucb`, from kiosk-image/bundle.sh) as its channel's newest.
    Add {
        file: PathBuf,
        /// The version its manifest names (what kiosks report once they run it).
        #[arg(long)]
        version: String,
        #[arg(long, default_value = "stable")]
        channel: String,
        /// The percentage of kiosks it reaches at once (0: none until `updates rollout`).
        #[arg(long, default_value_t = 0)]
        rollout: u8,
        #[command(flatten)]
        common: Common,
    },
    /// Every bundle held, newest first.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// How many kiosks (percent, 0–100) the channel's newest bundle reaches; also resumes.
    Rollout {
        percent: u8,
        #[arg(long, default_value = "stable")]
        channel: String,
        #[command(flatten)]
        common: Common,
    },
    /// Stop new installs of the channel's newest bundle (kiosks hear it with their next sync).
    Pause {
        #[arg(long, default_value = "stable")]
        channel: String,
        #[command(flatten)]
        common: Common,
    },
    /// Remove a bundle and its bytes (by its SHA-256).
    Remove {
        sha256: String,
        #[command(flatten)]
        common: Common,
    },
}

impl UpdatesCommand {
    pub(super) fn json(&self) -> bool {
        match self {
            Self::Add { common, .. }
            | Self::List { common }
            | Self::Rollout { common, .. }
            | Self::Pause { common, .. }
            | Self::Remove { common, .. } => common.json,
        }
    }
}

fn invalid(e: HubError) -> Failure {
    match e {
        HubError::BadRequest(reason) => Failure::new(
            "INVALID_BUNDLE",
            bilingual(
                format!("Paket pembaruan tidak diterima: {reason}"),
                format!("The update bundle was not taken: {reason}"),
            ),
            2,
        ),
        other => hub_failure(other),
    }
}

fn no_bundle(channel: &str) -> Failure {
    Failure::new(
        "NO_BUNDLE",
        bilingual(
            format!("Kanal {channel:?} belum punya paket. Tambahkan: updates add FILE --version V"),
            format!(
                "Channel {channel:?} holds no bundle yet. Add one: updates add FILE --version V"
            ),
        ),
        3,
    )
}

fn shown(row: &UpdateRow) -> serde_json::Value {
    json!({
        "sha256": row.sha256,
        "version": row.version,
        "channel": row.channel,
        "size": row.size,
        "rollout": row.rollout,
        "paused": row.paused,
        "added_at": chrono::DateTime::from_timestamp(row.added_at, 0).map(|t| t.to_rfc3339()),
    })
}

pub(super) fn run(command: &UpdatesCommand) -> Result<Answer, Failure> {
    match command {
        UpdatesCommand::Add {
            file,
            version,
            channel,
            rollout,
            common,
        } => {
            let store = common.open()?;
            let now = chrono::Utc::now().timestamp();
            let row =
                add_file(&*store, file, version, channel, *rollout, "cli", now).map_err(invalid)?;
            store
                .audit("cli", "update_add", &row.sha256, version)
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(&shown(&row)))
        }
        UpdatesCommand::List { common } => {
            let rows = common.open()?.updates().map_err(hub_failure)?;
            Ok(Answer::rows(&rows.iter().map(shown).collect::<Vec<_>>()))
        }
        UpdatesCommand::Rollout {
            percent,
            channel,
            common,
        } => {
            if *percent > 100 {
                return Err(invalid(HubError::BadRequest(format!(
                    "rollout {percent} % must be 0 to 100"
                ))));
            }
            let store = common.open()?;
            let row = store
                .update_set(channel, Some(*percent), Some(false))
                .map_err(hub_failure)?
                .ok_or_else(|| no_bundle(channel))?;
            store
                .audit("cli", "update_rollout", &row.sha256, &percent.to_string())
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(&shown(&row)))
        }
        UpdatesCommand::Pause { channel, common } => {
            let store = common.open()?;
            let row = store
                .update_set(channel, None, Some(true))
                .map_err(hub_failure)?
                .ok_or_else(|| no_bundle(channel))?;
            store
                .audit("cli", "update_pause", &row.sha256, "")
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(&shown(&row)))
        }
        UpdatesCommand::Remove { sha256, common } => {
            let store = common.open()?;
            if !store.update_remove(sha256).map_err(hub_failure)? {
                return Err(Failure::new(
                    "NO_BUNDLE",
                    bilingual(
                        format!("Tidak ada paket {sha256:?}. Lihat: updates list"),
                        format!("No bundle {sha256:?}. See: updates list"),
                    ),
                    3,
                ));
            }
            store
                .audit("cli", "update_remove", sha256, "")
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(
                &json!({ "sha256": sha256, "removed": true }),
            ))
        }
    }
}
