//! `anjungan-hub kiosks …`: kiosks registered in the hub's store, beside `--kiosks FILE`.
//! A new secret is printed once; the store keeps it (the hub needs it to check calls).

use std::path::PathBuf;

use anjungan_core::cli::{Answer, Failure, bilingual};
use clap::Subcommand;
use serde_json::json;

use super::{Common, hub_failure};
use crate::HubError;
use crate::kiosks::{Kiosks, registry};

#[derive(Debug, Subcommand)]
pub(super) enum KiosksCommand {
    /// Register a kiosk; prints its new secret once.
    Add {
        cons_id: String,
        #[arg(long)]
        name: Option<String>,
        /// The branch office it belongs to (e.g. "KC Bandung"), for figures per branch.
        #[arg(long)]
        branch: Option<String>,
        /// Where it stands (degrees), for the console's map; with --lon.
        #[arg(long, requires = "lon", allow_negative_numbers = true)]
        lat: Option<f64>,
        #[arg(long, requires = "lat", allow_negative_numbers = true)]
        lon: Option<f64>,
        /// The kiosks file the hub serves with: its ids are taken too.
        #[arg(long)]
        kiosks: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Every registered kiosk (not those only in the kiosks file), without secrets.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Refuse a kiosk's calls from now on (registered, or in --kiosks FILE).
    Revoke {
        cons_id: String,
        #[arg(long)]
        kiosks: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Give a kiosk a new secret, printed once (a revoked kiosk is accepted again with it).
    Rekey {
        cons_id: String,
        #[arg(long)]
        kiosks: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

impl KiosksCommand {
    pub(super) fn json(&self) -> bool {
        match self {
            Self::Add { common, .. }
            | Self::List { common }
            | Self::Revoke { common, .. }
            | Self::Rekey { common, .. } => common.json,
        }
    }
}

fn file(path: Option<&PathBuf>) -> Result<Kiosks, Failure> {
    match path {
        Some(p) => Kiosks::load(p).map_err(hub_failure),
        None => Ok(Kiosks::default()),
    }
}

fn unknown(id: &str) -> Failure {
    Failure::new(
        "UNKNOWN_KIOSK",
        bilingual(
            format!("Anjungan {id:?} tidak dikenal hub ini (terdaftar atau di --kiosks)."),
            format!("The hub does not know kiosk {id:?} (registered or in --kiosks)."),
        ),
        3,
    )
}

fn invalid(e: HubError) -> Failure {
    match e {
        HubError::InvalidRequest { reason, .. } => Failure::new(
            "INVALID_KIOSK",
            bilingual(
                "ID anjungan 1-64 huruf, angka, '.', '_' atau '-'; nama dan cabang paling banyak 100 karakter; lintang dan bujur keduanya atau tidak sama sekali.",
                reason,
            ),
            2,
        ),
        other => hub_failure(other),
    }
}

pub(super) fn run(command: &KiosksCommand) -> Result<Answer, Failure> {
    match command {
        KiosksCommand::Add {
            cons_id,
            name,
            branch,
            lat,
            lon,
            kiosks,
            common,
        } => {
            let store = common.open()?;
            let secret = registry::register(
                &*store,
                &file(kiosks.as_ref())?,
                cons_id,
                name.as_deref(),
                branch.as_deref(),
                lat.zip(*lon),
            )
            .map_err(invalid)?
            .ok_or_else(|| {
                Failure::new(
                    "KIOSK_EXISTS",
                    bilingual(
                        format!("ID anjungan {cons_id:?} sudah dipakai. Secret baru: kiosks rekey"),
                        format!("Kiosk id {cons_id:?} is taken. A new secret: kiosks rekey"),
                    ),
                    3,
                )
            })?;
            store
                .audit("cli", "kiosk_add", cons_id, "")
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(
                &json!({ "cons_id": cons_id, "secret": secret }),
            ))
        }
        KiosksCommand::List { common } => Ok(Answer::rows(
            &common.open()?.kiosks_registered().map_err(hub_failure)?,
        )),
        KiosksCommand::Revoke {
            cons_id,
            kiosks,
            common,
        } => {
            let store = common.open()?;
            if !registry::revoke(&*store, &file(kiosks.as_ref())?, cons_id).map_err(invalid)? {
                return Err(unknown(cons_id));
            }
            store
                .audit("cli", "kiosk_revoke", cons_id, "")
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(
                &json!({ "cons_id": cons_id, "revoked": true }),
            ))
        }
        KiosksCommand::Rekey {
            cons_id,
            kiosks,
            common,
        } => {
            let store = common.open()?;
            let secret = registry::rekey(&*store, &file(kiosks.as_ref())?, cons_id)
                .map_err(invalid)?
                .ok_or_else(|| unknown(cons_id))?;
            store
                .audit("cli", "kiosk_rekey", cons_id, "")
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(
                &json!({ "cons_id": cons_id, "secret": secret }),
            ))
        }
    }
}
