//! Failed identifications per identifier, for the lockout in [`crate::services::lockout`].
//!
//! Rows are keyed by a keyed hash of the identifier, never the NIK or card number itself;
//! the hash key is a random value kept in `sync_meta` of this (encrypted) file. The store
//! owns the SQL only: when to lock and for how long is the service's rule.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// What is recorded against one identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    /// Failures since the last success or the end of the last lock.
    pub failures: u32,
    /// When the last failure happened (Unix seconds).
    pub last_failed_at: i64,
    /// Locked until then (Unix seconds), when locked.
    pub locked_until: Option<i64>,
}

/// The `sync_meta` key of the random key the identifier hashes are made with.
const KEY_LOCKOUT_KEY: &str = "lockout_hmac_key";

impl Store {
    /// The random key of the identifier hashes: read, or made and stored on first use.
    /// `None` when the file cannot be written and holds none yet (the caller keeps one in
    /// memory).
    pub fn lockout_key(&self) -> Result<Option<[u8; 32]>, StoreError> {
        if let Some(hex) = self.meta(KEY_LOCKOUT_KEY)?
            && let Some(key) = from_hex(&hex)
        {
            return Ok(Some(key));
        }
        if self.is_read_only() {
            return Ok(None);
        }
        let key: [u8; 32] = rand::random();
        self.set_meta(KEY_LOCKOUT_KEY, &to_hex(&key))?;
        Ok(Some(key))
    }

    /// What is recorded against `key_hash`.
    pub fn attempts(&self, key_hash: &str) -> Result<Attempts, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT failures, last_failed_at, locked_until FROM id_attempts WHERE key_hash = ?1",
            )?
            .query_row([key_hash], |r| {
                Ok(Attempts {
                    failures: r.get(0)?,
                    last_failed_at: r.get(1)?,
                    locked_until: r.get(2)?,
                })
            })
            .optional()?
            .unwrap_or_default())
    }

    /// Replaces what is recorded against `key_hash`, and forgets rows untouched since
    /// `forget_before` (Unix seconds), so the table holds only recent failures.
    pub fn set_attempts(
        &self,
        key_hash: &str,
        attempts: &Attempts,
        forget_before: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO id_attempts (key_hash, failures, last_failed_at, locked_until)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(key_hash) DO UPDATE SET failures = excluded.failures,
                    last_failed_at = excluded.last_failed_at, locked_until = excluded.locked_until",
            )?
            .execute(params![
                key_hash,
                attempts.failures,
                attempts.last_failed_at,
                attempts.locked_until
            ])?;
        self.conn
            .prepare_cached(
                "DELETE FROM id_attempts WHERE last_failed_at < ?1
                 AND coalesce(locked_until, 0) < ?1",
            )?
            .execute([forget_before])?;
        Ok(())
    }

    /// Forgets `key_hash` (a success).
    pub fn clear_attempts(&self, key_hash: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM id_attempts WHERE key_hash = ?1")?
            .execute([key_hash])?;
        Ok(())
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_round_trip_and_old_rows_are_forgotten() {
        let store = Store::open_in_memory().unwrap();
        let key = store.lockout_key().unwrap().unwrap();
        assert_eq!(
            store.lockout_key().unwrap(),
            Some(key),
            "made once, then kept"
        );
        assert_eq!(store.attempts("a").unwrap(), Attempts::default());
        let a = Attempts {
            failures: 3,
            last_failed_at: 1_000,
            locked_until: None,
        };
        store.set_attempts("a", &a, 0).unwrap();
        assert_eq!(store.attempts("a").unwrap(), a);
        let b = Attempts {
            failures: 5,
            last_failed_at: 5_000,
            locked_until: Some(6_000),
        };
        store.set_attempts("b", &b, 2_000).unwrap();
        assert_eq!(
            store.attempts("a").unwrap(),
            Attempts::default(),
            "a was old"
        );
        assert_eq!(store.attempts("b").unwrap(), b);
        store.clear_attempts("b").unwrap();
        assert_eq!(store.attempts("b").unwrap(), Attempts::default());
    }
}
