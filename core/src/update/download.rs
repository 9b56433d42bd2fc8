//! A bundle's download: in the background, resumed where it stopped, within the data
//! partition's free space, and checked against the offer's hash before anyone uses it.
//!
//! The bytes go to `DIR/<sha256>.raucb.part`. A broken connection keeps what arrived, and
//! the next attempt asks for the rest (`Range: bytes=N-`); a hub that answers with the
//! whole bundle instead (200) starts it over. Once the file has the offer's size its
//! SHA-256 is computed: a match renames it to `DIR/<sha256>.raucb` (so a finished name is
//! a checked bundle), a mismatch deletes it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{Offer, UpdateError};
use crate::sync::SyncError;
use crate::sync::client::HubClient;

/// The checked bundle's path for `sha256` in `dir`.
pub fn bundle_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(format!("{sha256}.raucb"))
}

/// Where its bytes go while they arrive.
pub fn part_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(format!("{sha256}.raucb.part"))
}

/// What a call to [`fetch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The checked bundle.
    pub path: PathBuf,
    /// The bytes this call received (0: it was already here).
    pub received: u64,
    /// Where this call started (above 0: a resumed download).
    pub resumed_from: u64,
}

/// Bytes free for an unprivileged writer on the filesystem holding `dir`.
pub fn free_bytes(dir: &Path) -> Result<u64, UpdateError> {
    let st = nix::sys::statvfs::statvfs(dir)
        .map_err(|e| UpdateError::Io(std::io::Error::from_raw_os_error(e as i32)))?;
    #[allow(clippy::unnecessary_cast)] // the field types differ between targets
    Ok((st.blocks_available() as u64).saturating_mul(st.fragment_size() as u64))
}

/// Downloads `offer` into `dir` (created when missing), going on from what an earlier call
/// left. It needs the bundle's missing bytes plus `reserve` free on the disk (what the
/// database must keep), or it refuses with [`UpdateError::NoSpace`] before asking the hub.
/// `progress` holds the bytes on disk so far.
pub async fn fetch(
    client: &HubClient,
    offer: &Offer,
    dir: &Path,
    reserve: u64,
    progress: &AtomicU64,
) -> Result<Fetched, UpdateError> {
    offer.check().map_err(UpdateError::BadOffer)?;
    std::fs::create_dir_all(dir)?;
    let done = bundle_path(dir, &offer.sha256);
    if done.is_file() {
        progress.store(offer.size, Ordering::Relaxed);
        return Ok(Fetched {
            path: done,
            received: 0,
            resumed_from: offer.size,
        });
    }
    let part = part_path(dir, &offer.sha256);
    let mut have = std::fs::metadata(&part).map_or(0, |m| m.len());
    if have > offer.size {
        std::fs::remove_file(&part)?;
        have = 0;
    }
    let free = free_bytes(dir)?;
    let need = offer.size - have;
    if free < need.saturating_add(reserve) {
        return Err(UpdateError::NoSpace {
            need: need.saturating_add(reserve),
            free,
        });
    }
    progress.store(have, Ordering::Relaxed);
    let mut received = 0;
    let resumed_from = have;
    if have < offer.size {
        let resp = client.get_bundle(&offer.sha256, have).await?;
        let start = match resp.status().as_u16() {
            206 => content_range_start(&resp, offer.size).ok_or_else(|| {
                UpdateError::Sync(SyncError::Network(
                    "the hub's partial answer is not for the bytes asked".into(),
                ))
            })?,
            _ => 0,
        };
        if start != have {
            // The whole bundle (200), or a part this kiosk did not ask for: start over.
            have = 0;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(have == 0)
            .append(have > 0)
            .open(&part)
            .await?;
        let mut stream = resp.bytes_stream();
        let mut written = have;
        let end = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| SyncError::Network(e.to_string()))?;
                if written + chunk.len() as u64 > offer.size {
                    return Err(UpdateError::Corrupt {
                        expected: offer.sha256.clone(),
                        got: format!("more than {} bytes", offer.size),
                    });
                }
                file.write_all(&chunk).await?;
                written += chunk.len() as u64;
                received += chunk.len() as u64;
                progress.store(written, Ordering::Relaxed);
            }
            Ok(())
        }
        .await;
        // What arrived stays for the next attempt, even when the link broke.
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        if let Err(e) = end {
            if matches!(e, UpdateError::Corrupt { .. }) {
                let _ = std::fs::remove_file(&part);
                progress.store(0, Ordering::Relaxed);
            }
            return Err(e);
        }
        if written < offer.size {
            return Err(UpdateError::Sync(SyncError::Network(format!(
                "the download stopped at {written} of {} bytes; it goes on next time",
                offer.size
            ))));
        }
    }
    let path = part.clone();
    let got = tokio::task::spawn_blocking(move || sha256_file(&path))
        .await
        .map_err(|e| UpdateError::Io(std::io::Error::other(e.to_string())))??;
    if got != offer.sha256 {
        let _ = std::fs::remove_file(&part);
        progress.store(0, Ordering::Relaxed);
        return Err(UpdateError::Corrupt {
            expected: offer.sha256.clone(),
            got,
        });
    }
    std::fs::rename(&part, &done)?;
    Ok(Fetched {
        path: done,
        received,
        resumed_from,
    })
}

/// The first byte of a `Content-Range: bytes A-B/SIZE` answer that ends the bundle.
fn content_range_start(resp: &reqwest::Response, size: u64) -> Option<u64> {
    let value = resp
        .headers()
        .get(reqwest::header::CONTENT_RANGE)?
        .to_str()
        .ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b, total) = (
        a.parse::<u64>().ok()?,
        b.parse::<u64>().ok()?,
        total.parse::<u64>().ok()?,
    );
    (total == size && b + 1 == size && a <= b).then_some(a)
}

/// The SHA-256 of a file, in lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, UpdateError> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::sync::payload::hex(&hasher.finalize()))
}

/// Removes every bundle and partial download in `dir` but `keep`'s: an offer that
/// changed leaves nothing behind on the data partition.
pub fn remove_others(dir: &Path, keep: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.ends_with(".raucb") || name.ends_with(".raucb.part");
        let kept = keep.is_some_and(|k| name.starts_with(k));
        if ours
            && !kept
            && let Err(e) = std::fs::remove_file(entry.path())
        {
            tracing::warn!(error = %e, "an old update file was not removed");
        }
    }
}
