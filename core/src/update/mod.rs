//! Software updates from the hub (docs/updates.md): what the hub offers in its signed sync
//! answer, and the kiosk's side of it.
//!
//! - [`Offer`]: one RAUC bundle (`.raucb`), named by its SHA-256, offered to a kiosk in the
//!   signed header of a sync answer ([`crate::sync::payload::Header::update`]). The
//!   download is checked against that hash, so a bundle that arrives altered is refused
//!   before RAUC sees it (RAUC then checks the bundle's own signature).
//! - [`rollout_bucket`]: which kiosks a staged rollout reaches first: the same kiosks for
//!   every release, so a rollout of 10 % is always the same canaries.
//! - [`download`]: resumable download into the data partition, capped by its free space.
//! - [`slots`]: the A/B slots, through RAUC's command line.
//! - [`window`]: when a kiosk may install (outside service hours, never in a session).
//! - [`agent`]: the loop that does it, and the mark-good after a new slot's first boot.

pub mod agent;
pub mod download;
pub mod slots;
pub mod window;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sync::SyncError;

/// Why an update step did not happen. Each has a stable code for diagnostics and the
/// heartbeat, and a message in Indonesian and English saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The hub could not be reached, refused, or the download broke off (it resumes).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The data partition lacks room for the bundle and the database's reserve.
    #[error("the update needs {need} bytes free and the data partition has {free}")]
    NoSpace { need: u64, free: u64 },
    /// The download's SHA-256 is not the offer's: deleted, downloaded again next time.
    #[error("the downloaded bundle's SHA-256 is {got}, not the offered {expected}")]
    Corrupt { expected: String, got: String },
    /// The hub's signed header offered something malformed.
    #[error("the hub's update offer is malformed: {0}")]
    BadOffer(String),
    /// RAUC failed or is missing (its own words).
    #[error("{0}")]
    Slots(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("local file: {0}")]
    Io(#[from] std::io::Error),
}

impl UpdateError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Sync(e) => e.code(),
            Self::NoSpace { .. } => "UPDATE_NO_SPACE",
            Self::Corrupt { .. } => "UPDATE_CORRUPT",
            Self::BadOffer(_) => "UPDATE_BAD_OFFER",
            Self::Slots(_) => "UPDATE_INSTALL_FAILED",
            Self::Store(_) => "STORE_ERROR",
            Self::Io(_) => "LOCAL_IO",
        }
    }

    /// What a technician reads in diagnostics: what happened and what to do.
    pub fn message(&self) -> crate::domain::Bilingual {
        let (id, en) = match self {
            Self::Sync(e) => (
                format!("Unduhan pembaruan tertunda; dilanjutkan otomatis: {e}"),
                format!("The update download is waiting; it goes on by itself: {e}"),
            ),
            Self::NoSpace { need, free } => (
                format!(
                    "Ruang partisi data kurang untuk pembaruan (perlu {} MiB, ada {} MiB). Kosongkan log lama atau pasang disk lebih besar.",
                    need >> 20,
                    free >> 20
                ),
                format!(
                    "The data partition lacks room for the update (needs {} MiB, has {} MiB). Clear old logs or fit a larger disk.",
                    need >> 20,
                    free >> 20
                ),
            ),
            Self::Corrupt { .. } => (
                "Berkas pembaruan rusak dalam perjalanan dan dihapus; diunduh ulang otomatis.".into(),
                "The update file was damaged on the way and deleted; it is downloaded again by itself.".into(),
            ),
            Self::BadOffer(e) => (
                format!("Tawaran pembaruan dari hub tidak sah: {e}. Laporkan ke pengelola hub."),
                format!("The hub's update offer is invalid: {e}. Tell the hub's operator."),
            ),
            Self::Slots(e) => (
                format!("Pemasangan pembaruan gagal; anjungan tetap memakai versi sekarang: {e}"),
                format!("Installing the update failed; the kiosk keeps its current version: {e}"),
            ),
            Self::Store(e) => (
                format!("Basis data anjungan tidak dapat dibaca: {e}"),
                format!("The kiosk database cannot be read: {e}"),
            ),
            Self::Io(e) => (
                format!("Berkas pembaruan tidak dapat ditulis: {e}"),
                format!("The update file cannot be written: {e}"),
            ),
        };
        crate::domain::Bilingual { id, en }
    }
}

/// A channel's name: `stable`, `pilot`, … (lowercase letters, digits and `-`, 1–32).
pub fn check_channel(channel: &str) -> Result<(), String> {
    let ok = !channel.is_empty()
        && channel.len() <= 32
        && channel
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "channel {channel:?} must be 1–32 lowercase letters, digits or '-'"
        ))
    }
}

/// A bundle's version as its manifest names it: 1–64 printable ASCII characters.
pub fn check_version(version: &str) -> Result<(), String> {
    let ok =
        !version.is_empty() && version.len() <= 64 && version.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "version {version:?} must be 1–64 printable ASCII characters without spaces"
        ))
    }
}

/// A SHA-256 in lowercase hex.
pub fn check_sha256(sha: &str) -> Result<(), String> {
    if sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(format!("{sha:?} is not a SHA-256 in lowercase hex"))
    }
}

/// The largest bundle the hub takes and a kiosk downloads.
pub const MAX_BUNDLE: u64 = 4 << 30;

/// What the hub offers a kiosk: the bundle its channel's rollout gives it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The bundle's SHA-256 (lowercase hex): its name at `GET /v1/updates/{sha256}`.
    pub sha256: String,
    pub size: u64,
    /// The version the bundle installs (its manifest's `version`).
    pub version: String,
    pub channel: String,
}

impl Offer {
    /// Whether the offer is well formed (a hostile hub's header is signed, not sensible).
    pub fn check(&self) -> Result<(), String> {
        check_sha256(&self.sha256)?;
        check_version(&self.version)?;
        check_channel(&self.channel)?;
        if self.size == 0 || self.size > MAX_BUNDLE {
            return Err(format!(
                "a bundle of {} bytes: it must be 1 byte to {MAX_BUNDLE}",
                self.size
            ));
        }
        Ok(())
    }
}

/// A kiosk's place in every staged rollout, 0–99: a rollout of `p` % reaches the kiosks
/// whose bucket is below `p`. A hash of the kiosk's id, so buckets spread evenly and a
/// kiosk keeps its place from release to release.
pub fn rollout_bucket(cons_id: &str) -> u8 {
    let digest = Sha256::new()
        .chain_update(b"ANJUNGAN-ROLLOUT-1\n")
        .chain_update(cons_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % 100) as u8
}

/// Whether a rollout of `percent` % reaches the kiosk `cons_id`.
pub fn in_rollout(cons_id: &str, percent: u8) -> bool {
    rollout_bucket(cons_id) < percent.min(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_reaches_about_its_share_and_grows_without_dropping_anyone() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("K-{i:05}")).collect();
        for p in [0u8, 1, 10, 50, 100] {
            let n = ids.iter().filter(|id| in_rollout(id, p)).count();
            let expected = 100 * usize::from(p);
            assert!(
                n.abs_diff(expected) <= 150,
                "{p} % reached {n} of 10000 kiosks"
            );
        }
        assert!(ids.iter().all(|id| in_rollout(id, 100)));
        assert!(!ids.iter().any(|id| in_rollout(id, 0)));
        // A kiosk in at 10 % stays in at 20 %.
        assert!(
            ids.iter()
                .filter(|id| in_rollout(id, 10))
                .all(|id| in_rollout(id, 20))
        );
        assert_eq!(rollout_bucket("K-00001"), rollout_bucket("K-00001"));
    }

    #[test]
    fn offers_are_checked_field_by_field() {
        let good = Offer {
            sha256: "a".repeat(64),
            size: 10,
            version: "1.2.0+20261201".into(),
            channel: "stable".into(),
        };
        assert_eq!(good.check(), Ok(()));
        let bad = [
            Offer {
                sha256: "A".repeat(64),
                ..good.clone()
            },
            Offer {
                sha256: "a".repeat(63),
                ..good.clone()
            },
            Offer {
                size: 0,
                ..good.clone()
            },
            Offer {
                size: MAX_BUNDLE + 1,
                ..good.clone()
            },
            Offer {
                version: "1 2".into(),
                ..good.clone()
            },
            Offer {
                version: String::new(),
                ..good.clone()
            },
            Offer {
                channel: "Stable".into(),
                ..good.clone()
            },
            Offer {
                channel: "../x".into(),
                ..good.clone()
            },
        ];
        for offer in bad {
            assert!(offer.check().is_err(), "{offer:?} passed");
        }
    }
}
