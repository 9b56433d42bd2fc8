//! The identification lockout: too many mismatches for one identifier lock that identifier,
//! and only that one, for a while.
//!
//! A lockout per kiosk locks out the next member in the queue and is undone by the
//! guesser's own valid NIK; this one counts per identifier. The count is kept under an
//! HMAC of the identifier (the key is a random value of this kiosk's encrypted store), so no
//! NIK or card number is written in clear. The NIK and the card number of one member share
//! one count once the member is found, so switching from one to the other buys no tries.
//!
//! The count lives in the store, so a restart neither lifts a lock nor gives fresh tries, and
//! the CLI's `request` honours the same count as the UI. On a store that cannot be written
//! it is kept in memory for the life of the process.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ServiceError;
use super::member::{Identity, IdentityKey, MemberSession};
use crate::store::{Attempts, Store};

/// How many mismatches lock an identifier, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_secs: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lock_secs: 15 * 60,
        }
    }
}

/// Rows untouched for this long are forgotten.
const FORGET_AFTER_SECS: i64 = 24 * 3600;

/// The lockout over one store.
pub struct Lockout {
    policy: LockoutPolicy,
    key: [u8; 32],
    /// Counts the store could not take (a read-only file): they hold for this process.
    memory: HashMap<String, Attempts>,
}

impl Lockout {
    /// A lockout that keeps its counts in `store` (its hash key made there on first use), or
    /// in memory when the store cannot be written.
    pub fn new(store: &Store, policy: LockoutPolicy) -> Self {
        let key = match store.lockout_key() {
            Ok(Some(key)) => key,
            Ok(None) => {
                tracing::warn!(
                    "the store is read-only: identification lockouts are kept in memory"
                );
                rand::random()
            }
            Err(e) => {
                tracing::warn!(
                    code = e.code(),
                    "lockout key unreadable: lockouts are kept in memory"
                );
                rand::random()
            }
        };
        Self {
            policy: LockoutPolicy {
                max_failures: policy.max_failures.max(1),
                lock_secs: policy.lock_secs.max(1),
            },
            key,
            memory: HashMap::new(),
        }
    }

    pub fn policy(&self) -> LockoutPolicy {
        self.policy
    }

    /// Identifies the member unless the identifier is locked; a mismatch counts against the
    /// identifier (and, once the member is known, against their other identifier too).
    ///
    /// Errors: [`ServiceError::IdentityLocked`] while locked (also for the right date of
    /// birth), [`ServiceError::IdentityMismatch`] with the tries left, or what
    /// [`MemberSession::identify`] returns.
    pub fn identify(
        &mut self,
        store: &Store,
        identity: &Identity,
        now: DateTime<Utc>,
    ) -> Result<MemberSession, ServiceError> {
        let now = now.timestamp();
        let hashes = self.hashes(store, &identity.key)?;
        let left = hashes
            .iter()
            .filter_map(|h| self.current(store, h, now).locked_until)
            .map(|until| until - now)
            .max();
        if let Some(left) = left {
            return Err(ServiceError::IdentityLocked {
                seconds_left: left.clamp(1, self.policy.lock_secs) as u64,
            });
        }
        match MemberSession::identify(store, identity) {
            Ok(session) => {
                for h in &hashes {
                    self.memory.remove(h);
                    if let Err(e) = store.clear_attempts(h)
                        && !e.is_read_only()
                    {
                        tracing::warn!(code = e.code(), "lockout count not cleared");
                    }
                }
                Ok(session)
            }
            Err(ServiceError::IdentityMismatch { .. }) => {
                let mut most = 0;
                let mut locked = false;
                for h in &hashes {
                    let mut a = self.current(store, h, now);
                    a.failures += 1;
                    a.last_failed_at = now;
                    if a.failures >= self.policy.max_failures {
                        a.locked_until = Some(now + self.policy.lock_secs);
                        locked = true;
                    }
                    most = most.max(a.failures);
                    self.save(store, h, a, now);
                }
                if locked {
                    tracing::info!("identification locked for one identifier");
                    Err(ServiceError::IdentityLocked {
                        seconds_left: self.policy.lock_secs as u64,
                    })
                } else {
                    Err(ServiceError::IdentityMismatch {
                        attempts_left: Some(self.policy.max_failures - most),
                        offline: false,
                    })
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The hashes the identifier's count is kept under: its own, and the found member's
    /// other identifier.
    fn hashes(&self, store: &Store, key: &IdentityKey) -> Result<Vec<String>, ServiceError> {
        let mut hashes = vec![self.hash(key)];
        let found = match key {
            IdentityKey::Nik(n) => store.member_by_nik(n)?,
            IdentityKey::Card(c) => store.member_by_card(c)?,
        };
        if let Some(m) = found {
            for other in [IdentityKey::Nik(m.nik), IdentityKey::Card(m.card_no)] {
                let h = self.hash(&other);
                if !hashes.contains(&h) {
                    hashes.push(h);
                }
            }
        }
        Ok(hashes)
    }

    fn hash(&self, key: &IdentityKey) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        match key {
            IdentityKey::Nik(n) => {
                mac.update(b"nik:");
                mac.update(n.as_bytes());
            }
            IdentityKey::Card(c) => {
                mac.update(b"card:");
                mac.update(c.as_bytes());
            }
        }
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The count as it stands at `now`: a lock that has run out, or failures older than one
    /// lock period, start afresh.
    fn current(&self, store: &Store, h: &str, now: i64) -> Attempts {
        let a = match self.memory.get(h) {
            Some(a) => *a,
            None => store.attempts(h).unwrap_or_else(|e| {
                tracing::warn!(code = e.code(), "lockout count unreadable");
                Attempts::default()
            }),
        };
        let expired = match a.locked_until {
            Some(until) => until <= now,
            None => a.failures > 0 && now - a.last_failed_at >= self.policy.lock_secs,
        };
        if expired {
            return Attempts::default();
        }
        // A clock stepped back never makes a lock longer than one lock period.
        Attempts {
            locked_until: a
                .locked_until
                .map(|until| until.min(now + self.policy.lock_secs)),
            ..a
        }
    }

    fn save(&mut self, store: &Store, h: &str, a: Attempts, now: i64) {
        match store.set_attempts(h, &a, now - FORGET_AFTER_SECS) {
            Ok(()) => {
                self.memory.remove(h);
            }
            Err(e) => {
                if !e.is_read_only() {
                    tracing::warn!(code = e.code(), "lockout count kept in memory only");
                }
                self.memory.insert(h.to_owned(), a);
            }
        }
    }
}
