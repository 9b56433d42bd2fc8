//! Software updates for the fleet (docs/updates.md): RAUC bundles by channel, a staged
//! rollout and a pause, kept by both stores (bytes included, in chunks), so any replica
//! offers and serves them alike.
//!
//! A kiosk that names its channel in `GET /v1/sync` finds [`offer_for`]'s answer in the
//! signed header: the channel's newest bundle, when its rollout reaches the kiosk
//! ([`anjungan_core::update::in_rollout`]) and it is not paused. A pause stops new
//! installs at once: the next sync answer carries no offer, and a kiosk installs only what
//! its last answer offered.

use std::io::Read;
use std::path::Path;

use anjungan_core::update::{self, Offer};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::HubError;

/// The bytes of one stored chunk of a bundle.
pub const CHUNK: u64 = 1 << 20;

/// One bundle the hub holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateRow {
    pub sha256: String,
    pub version: String,
    pub channel: String,
    pub size: u64,
    /// Unix seconds.
    pub added_at: i64,
    pub added_by: String,
    /// The percentage of kiosks it reaches, 0–100.
    pub rollout: u8,
    pub paused: bool,
}

impl UpdateRow {
    /// What a kiosk is offered of this bundle.
    pub fn offer(&self) -> Offer {
        Offer {
            sha256: self.sha256.clone(),
            size: self.size,
            version: self.version.clone(),
            channel: self.channel.clone(),
        }
    }
}

pub trait UpdateStore {
    /// Stores a bundle: its row (not yet offered), then its bytes from `bytes` chunk by
    /// chunk (each its own short write, so kiosks are served meanwhile), then marks it
    /// complete. A bundle with the same hash is refused.
    fn update_add(&self, row: &UpdateRow, bytes: &mut dyn Read) -> Result<(), HubError>;

    /// Every complete bundle, newest first.
    fn updates(&self) -> Result<Vec<UpdateRow>, HubError>;

    /// The newest complete bundle of `channel`.
    fn update_latest(&self, channel: &str) -> Result<Option<UpdateRow>, HubError>;

    /// Sets the rollout and/or the pause of `channel`'s newest bundle; returns it.
    fn update_set(
        &self,
        channel: &str,
        rollout: Option<u8>,
        paused: Option<bool>,
    ) -> Result<Option<UpdateRow>, HubError>;

    /// A complete bundle by its hash.
    fn update(&self, sha256: &str) -> Result<Option<UpdateRow>, HubError>;

    /// Chunk `index` of a complete bundle.
    fn update_chunk(&self, sha256: &str, index: u64) -> Result<Option<Vec<u8>>, HubError>;

    /// Removes a bundle and its bytes; whether it was there.
    fn update_remove(&self, sha256: &str) -> Result<bool, HubError>;
}

/// What `kiosk` is offered by a channel's newest bundle `latest`.
pub fn offer_for(latest: Option<&UpdateRow>, cons_id: &str) -> Option<Offer> {
    let row = latest?;
    (!row.paused && update::in_rollout(cons_id, row.rollout)).then(|| row.offer())
}

/// Adds the bundle at `path`: hashed first (one read), then stored (a second read).
pub fn add_file(
    store: &dyn UpdateStore,
    path: &Path,
    version: &str,
    channel: &str,
    rollout: u8,
    by: &str,
    now: i64,
) -> Result<UpdateRow, HubError> {
    update::check_version(version).map_err(HubError::BadRequest)?;
    update::check_channel(channel).map_err(HubError::BadRequest)?;
    if rollout > 100 {
        return Err(HubError::BadRequest(format!(
            "rollout {rollout} % must be 0 to 100"
        )));
    }
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK as usize];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    if size == 0 || size > update::MAX_BUNDLE {
        return Err(HubError::BadRequest(format!(
            "{} holds {size} bytes: a bundle is 1 byte to {} bytes",
            path.display(),
            update::MAX_BUNDLE
        )));
    }
    let row = UpdateRow {
        sha256: anjungan_core::sync::payload::hex(&hasher.finalize()),
        version: version.to_owned(),
        channel: channel.to_owned(),
        size,
        added_at: now,
        added_by: by.to_owned(),
        rollout,
        paused: false,
    };
    if store.update(&row.sha256)?.is_some() {
        return Err(HubError::BadRequest(format!(
            "this bundle ({}) is held already",
            &row.sha256[..12]
        )));
    }
    let mut file = std::fs::File::open(path)?;
    store.update_add(&row, &mut file)?;
    Ok(row)
}

/// What [`each_chunk`] hands each chunk to.
pub type PutChunk<'a> = dyn FnMut(u64, &[u8]) -> Result<(), HubError> + 'a;

/// Reads `bytes` in [`CHUNK`]s and hands each to `put` with its index; checks that the
/// total is `size`.
pub fn each_chunk(bytes: &mut dyn Read, size: u64, put: &mut PutChunk<'_>) -> Result<(), HubError> {
    let mut buf = vec![0u8; CHUNK as usize];
    let mut index = 0;
    let mut total = 0u64;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            let n = bytes.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        put(index, &buf[..filled])?;
        total += filled as u64;
        index += 1;
        if filled < buf.len() {
            break;
        }
    }
    if total != size {
        return Err(HubError::BadRequest(format!(
            "the bundle changed while it was stored ({total} bytes, not {size})"
        )));
    }
    Ok(())
}

/// A `Range` header's first and last byte, for a bundle of `size` bytes: `bytes=N-`,
/// `bytes=N-M`, `bytes=-K` (the last K). `None`: no header (the whole bundle). `Err`:
/// a range the bundle cannot satisfy (416).
/// A `Range` the bundle cannot satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

pub fn parse_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, Unsatisfiable> {
    let Some(h) = header else {
        return Ok(None);
    };
    let spec = h.trim().strip_prefix("bytes=").ok_or(Unsatisfiable)?;
    // One range only; several are legal HTTP but no kiosk asks for them.
    if spec.contains(',') || size == 0 {
        return Err(Unsatisfiable);
    }
    let (a, b) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let (first, last) = match (a.trim(), b.trim()) {
        ("", k) => {
            let k: u64 = k.parse().map_err(|_| Unsatisfiable)?;
            if k == 0 {
                return Err(Unsatisfiable);
            }
            (size.saturating_sub(k), size - 1)
        }
        (n, "") => (n.parse().map_err(|_| Unsatisfiable)?, size - 1),
        (n, m) => {
            let (n, m): (u64, u64) = (
                n.parse().map_err(|_| Unsatisfiable)?,
                m.parse().map_err(|_| Unsatisfiable)?,
            );
            (n, m.min(size - 1))
        }
    };
    if first >= size || first > last {
        return Err(Unsatisfiable);
    }
    Ok(Some((first, last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rollout: u8, paused: bool) -> UpdateRow {
        UpdateRow {
            sha256: "b".repeat(64),
            version: "0.2.0".into(),
            channel: "stable".into(),
            size: 5,
            added_at: 0,
            added_by: "cli".into(),
            rollout,
            paused,
        }
    }

    #[test]
    fn a_paused_or_unreached_bundle_is_not_offered() {
        let ids: Vec<String> = (0..200).map(|i| format!("K{i}")).collect();
        let offered = |r: &UpdateRow| {
            ids.iter()
                .filter(|id| offer_for(Some(r), id).is_some())
                .count()
        };
        assert_eq!(offered(&row(100, false)), 200);
        assert_eq!(offered(&row(0, false)), 0);
        assert_eq!(offered(&row(100, true)), 0);
        let some = offered(&row(25, false));
        assert!((20..=80).contains(&some), "{some}");
        assert_eq!(offer_for(None, "K1"), None);
        assert_eq!(
            offer_for(Some(&row(100, false)), "K1").unwrap().sha256,
            "b".repeat(64)
        );
    }

    #[test]
    fn ranges_are_read_as_http_says_and_bad_ones_refused() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-"), 10), Ok(Some((0, 9))));
        assert_eq!(parse_range(Some("bytes=4-"), 10), Ok(Some((4, 9))));
        assert_eq!(parse_range(Some("bytes=2-5"), 10), Ok(Some((2, 5))));
        assert_eq!(parse_range(Some("bytes=2-500"), 10), Ok(Some((2, 9))));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(parse_range(Some("bytes=-30"), 10), Ok(Some((0, 9))));
        for bad in [
            "bytes=10-",
            "bytes=5-2",
            "bytes=a-",
            "items=0-",
            "bytes=0-1,3-4",
            "bytes=-0",
            "bytes=",
        ] {
            assert_eq!(parse_range(Some(bad), 10), Err(Unsatisfiable), "{bad}");
        }
    }

    #[test]
    fn chunks_cover_the_bytes_in_order_and_a_short_file_is_refused() {
        let data: Vec<u8> = (0..(CHUNK as usize * 2 + 7))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        each_chunk(&mut data.as_slice(), data.len() as u64, &mut |i, c| {
            assert_eq!(i as usize, sizes.len());
            sizes.push(c.len());
            got.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, data);
        assert_eq!(sizes, vec![CHUNK as usize, CHUNK as usize, 7]);
        let short = each_chunk(&mut &data[..10], 11, &mut |_, _| Ok(()));
        assert!(short.is_err());
    }
}
