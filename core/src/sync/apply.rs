//! Applies a verified payload to the kiosk database in one transaction.
//!
//! Readers on other connections see the old data until the commit, then the new (WAL).
//! The outbox is never cleared: a snapshot replaces the synced tables only.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::SyncError;
use super::payload::{self, Count, Kind, Lines, Verified};
use super::tables::Applier;
use crate::store::{
    KEY_EPOCH, KEY_LAST_SYNC_ERROR, KEY_LAST_SYNC_OK, KEY_LOADED_AT, KEY_REGIONS, KEY_SOURCE,
    KEY_VERSION, set_meta,
};

/// Set to make a snapshot's apply stop just before its commit and wait to be killed: the
/// crash test's hook (tests/sync.rs). It exists only in builds with the `fault-injection`
/// feature, which only the workspace's tests turn on (a dev-dependency); a release build
/// has no such code.
#[cfg(feature = "fault-injection")]
pub const FAULT_STALL_BEFORE_COMMIT: &str = "ANJUNGAN_FAULT_STALL_BEFORE_COMMIT";

/// What an apply did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Applied {
    pub kind: Kind,
    pub from: i64,
    pub version: i64,
    pub counts: BTreeMap<String, Count>,
}

/// What to ask the hub with for `regions`: the local version and epoch, or (0, "") when the
/// local data was made for other regions, so the answer is a snapshot of the new set.
pub fn position_for(
    conn: &Connection,
    regions: Option<&[String]>,
) -> Result<(i64, String), SyncError> {
    let position = local_position(conn)?;
    let held: Option<String> = conn
        .query_row(
            "SELECT value FROM sync_meta WHERE key = ?1",
            [KEY_REGIONS],
            |r| r.get(0),
        )
        .optional()?;
    let held = held.unwrap_or_else(|| "*".to_owned());
    Ok(if held == super::regions::regions_key(regions) {
        position
    } else {
        (0, String::new())
    })
}

/// The local version and epoch, as the kiosk asks the hub with them.
pub fn local_position(conn: &Connection) -> Result<(i64, String), SyncError> {
    let get = |key: &str| -> Result<Option<String>, SyncError> {
        use rusqlite::OptionalExtension;
        Ok(conn
            .query_row("SELECT value FROM sync_meta WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    };
    let version = get(KEY_VERSION)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let epoch = get(KEY_EPOCH)?.unwrap_or_default();
    Ok((version, epoch))
}

/// Applies the payload in `file`, which [`payload::verify`] accepted as `verified`.
pub fn apply_file(
    conn: &mut Connection,
    file: &Path,
    verified: &Verified,
    source: &str,
    now_rfc3339: &str,
) -> Result<Applied, SyncError> {
    apply_reader(conn, File::open(file)?, verified, source, now_rfc3339)
}

/// Applies the payload read from `reader` (the same bytes [`payload::verify`] accepted).
pub fn apply_reader(
    conn: &mut Connection,
    reader: impl Read,
    verified: &Verified,
    source: &str,
    now_rfc3339: &str,
) -> Result<Applied, SyncError> {
    // A large page cache while writing, as the importer does: index pages stay in memory.
    conn.pragma_update(None, "cache_size", -262_144)?;
    let result = apply_in_tx(conn, reader, verified, source, now_rfc3339);
    conn.pragma_update(None, "cache_size", -8_192)?;
    result
}

fn apply_in_tx(
    conn: &mut Connection,
    reader: impl Read,
    verified: &Verified,
    source: &str,
    now_rfc3339: &str,
) -> Result<Applied, SyncError> {
    let header = &verified.header;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (local_version, local_epoch) = local_position(&tx)?;
    let same_epoch = local_epoch == header.epoch;
    if header.kind == Kind::Lookup {
        return Err(SyncError::Mismatch(
            "a lookup answer is for one session, never for the database".into(),
        ));
    }
    if header.kind != Kind::Snapshot && (!same_epoch || header.from != local_version) {
        return Err(SyncError::Mismatch(format!(
            "a {:?} from version {} does not apply to local version {local_version}",
            header.kind, header.from
        )));
    }
    let held_regions: String = tx
        .query_row(
            "SELECT value FROM sync_meta WHERE key = ?1",
            [KEY_REGIONS],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| "*".to_owned());
    let regions = super::regions::regions_key(header.regions.as_deref());
    if header.kind != Kind::Snapshot && held_regions != regions {
        return Err(SyncError::Mismatch(format!(
            "a {:?} for regions {regions} does not apply to data for regions {held_regions}",
            header.kind
        )));
    }
    if header.kind == Kind::Snapshot && same_epoch && header.version < local_version {
        // A signed but older snapshot: refuse to go back in time.
        return Err(SyncError::Mismatch(format!(
            "snapshot version {} is older than local version {local_version}",
            header.version
        )));
    }
    let mut counts = BTreeMap::new();
    if header.kind != Kind::None {
        let mut applier = Applier::new(&tx);
        if header.kind == Kind::Snapshot {
            applier.clear_all()?;
        }
        let mut lines = Lines::new(reader);
        lines.advance()?; // the header, already checked
        while lines.advance()? {
            if lines.line.first() != Some(&b'[') {
                break; // the end line
            }
            let (op, table, values) = payload::parse_change(&lines.line)?;
            applier.apply(&table, op, &values)?;
        }
        for (t, (u, d)) in applier.finish()? {
            counts.insert(
                t.to_owned(),
                Count {
                    upsert: u,
                    delete: d,
                },
            );
        }
        set_meta(&tx, KEY_VERSION, &header.version.to_string())?;
        set_meta(&tx, KEY_EPOCH, &header.epoch)?;
        set_meta(&tx, KEY_LOADED_AT, now_rfc3339)?;
        set_meta(&tx, KEY_SOURCE, source)?;
        set_meta(&tx, KEY_REGIONS, &regions)?;
    }
    set_meta(&tx, KEY_LAST_SYNC_OK, now_rfc3339)?;
    tx.execute(
        "DELETE FROM sync_meta WHERE key = ?1",
        [KEY_LAST_SYNC_ERROR],
    )?;
    #[cfg(feature = "fault-injection")]
    if header.kind == Kind::Snapshot && std::env::var_os(FAULT_STALL_BEFORE_COMMIT).is_some() {
        eprintln!("fault: stalled before commit");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    tx.commit()?;
    Ok(Applied {
        kind: header.kind,
        from: header.from,
        version: header.version,
        counts,
    })
}
