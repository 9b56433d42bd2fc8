//! The branch's staff and their access: users with a role, their console sessions, login
//! lockouts and the audit log ([`StaffStore`], kept by both stores so that a lockout or a
//! session holds on every replica), and the checks on names and passwords.
//!
//! Passwords are kept as Argon2id PHC strings; sessions as the SHA-256 of the cookie's
//! random token, so a copy of the database opens no session. The audit log names staff and
//! request references, never a member's card or NIK.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::HubError;

/// What a person at the branch may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Decides members' change requests.
    Officer,
    /// Decides requests, sees the figures and the audit log, manages users.
    Supervisor,
    /// Sees the fleet and the kiosks' diagnostics, nothing about requests.
    Technician,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Officer, Role::Supervisor, Role::Technician];

    pub fn code(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Technician => "technician",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn decides_requests(self) -> bool {
        matches!(self, Role::Officer | Role::Supervisor)
    }

    pub fn manages_users(self) -> bool {
        self == Role::Supervisor
    }

    pub fn sees_fleet(self) -> bool {
        matches!(self, Role::Technician | Role::Supervisor)
    }
}

/// One user, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    /// Wrong passwords since the last good one (or the last lock).
    pub failures: i64,
    /// Unix seconds until which logins are refused, if a lock was set.
    pub locked_until: Option<i64>,
    pub created_at: String,
    pub password_set_at: String,
}

impl UserRow {
    /// Whether the user is locked out at `now`.
    pub fn locked_at(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|u| u > now)
    }
}

/// A live console session: its user and the token every form must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user: UserRow,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    /// The user who acted (for a failed login: the name typed, when it is a user's;
    /// otherwise empty).
    pub actor: String,
    /// `login`, `login_failed`, `login_locked`, `logout`, `approve`, `reject`, `user_add`,
    /// `user_disable`, `user_enable`, `user_reset`.
    pub action: String,
    /// What it was done to: a request's reference, a user's name.
    pub subject: String,
    pub detail: String,
}

/// Wrong passwords that lock a user...
pub const LOGIN_FAILURES: i64 = 5;
/// ...for this long.
pub const LOGIN_LOCK_SECS: i64 = 15 * 60;
/// A session unused for this long has ended (the default of `serve --console-idle-mins`).
pub const SESSION_IDLE_SECS: i64 = 15 * 60;
/// A session ends after this long, used or not.
pub const SESSION_MAX_SECS: i64 = 12 * 3600;

/// The people store: users, sessions, lockouts and the audit log.
pub trait StaffStore {
    /// Adds a user; `false` when the name is taken.
    fn user_add(&self, user: &UserRow) -> Result<bool, HubError>;
    /// Every user, by name.
    fn users(&self) -> Result<Vec<UserRow>, HubError>;
    fn user(&self, name: &str) -> Result<Option<UserRow>, HubError>;
    /// Disables or enables a user; disabling ends their sessions. `false`: no such user.
    fn user_set_disabled(&self, name: &str, disabled: bool) -> Result<bool, HubError>;
    /// Sets a new password, clears failures and lock, ends their sessions. `false`: no
    /// such user.
    fn user_set_password(&self, name: &str, hash: &str, at: &str) -> Result<bool, HubError>;
    /// Counts a wrong password; returns until when the user is now locked, when this one
    /// locks them ([`LOGIN_FAILURES`], for [`LOGIN_LOCK_SECS`]).
    fn login_failed(&self, name: &str, now: i64) -> Result<Option<i64>, HubError>;
    /// A good password: failures start again from zero.
    fn login_succeeded(&self, name: &str) -> Result<(), HubError>;
    fn session_create(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: i64,
    ) -> Result<(), HubError>;
    /// The session, if it is live at `now` (used within `idle_secs`, younger than
    /// [`SESSION_MAX_SECS`], its user enabled); marks it used. An ended one is removed.
    fn session(
        &self,
        token_hash: &str,
        now: i64,
        idle_secs: i64,
    ) -> Result<Option<SessionRow>, HubError>;
    fn session_end(&self, token_hash: &str) -> Result<(), HubError>;
    fn audit(&self, actor: &str, action: &str, subject: &str, detail: &str)
    -> Result<(), HubError>;
    /// The newest `limit` lines, newest first.
    fn audit_log(&self, limit: i64) -> Result<Vec<AuditRow>, HubError>;
    /// Records an upload that starts importing; forgets finished ones older than a day.
    fn job_start(&self, id: &str, by: &str, now: i64) -> Result<(), HubError>;
    /// Records what came of an upload (JSON, see `console::upload`).
    fn job_finish(&self, id: &str, outcome: &str, now: i64) -> Result<(), HubError>;
    fn job(&self, id: &str) -> Result<Option<JobRow>, HubError>;
}

/// A dataset upload being imported (no `finished_at`), or done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: String,
    pub by: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// JSON: the import's summary, or why the data was refused.
    pub outcome: Option<String>,
}

/// Finished uploads are forgotten after this long.
pub const JOB_KEEP_SECS: i64 = 86_400;

/// Writes an import's outcome to the audit log (the console's dataset page shows the last
/// one): the version and its counts, or the importer's reason, which names rules and lines,
/// never a member's values. A failure to write is logged, not returned: the import stands.
pub fn audit_import(
    store: &dyn StaffStore,
    actor: &str,
    outcome: &Result<crate::store::ImportSummary, HubError>,
) {
    let (subject, detail, action) = match outcome {
        Ok(s) => (
            format!("v{}", s.version),
            format!("{} upserts, {} deletes", s.upserts, s.deletes),
            "import",
        ),
        Err(e) => (
            String::new(),
            e.to_string().chars().take(300).collect(),
            "import_failed",
        ),
    };
    if let Err(e) = store.audit(actor, action, &subject, &detail) {
        tracing::warn!(error = %e, "the import's audit line was not written");
    }
}

/// Why a name or a password is not accepted (English; the CLI adds Indonesian).
pub fn check_name(name: &str) -> Result<(), &'static str> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err("a user name is 1-32 characters: lowercase letters, digits, '.', '_' or '-'")
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn check_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Err("a password has at least 10 characters")
    } else if n > MAX_PASSWORD_CHARS {
        Err("a password has at most 256 characters")
    } else if password.chars().any(char::is_control) {
        Err("a password has no control characters")
    } else {
        Ok(())
    }
}

/// The Argon2id PHC string of `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, HubError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|e| HubError::BadRequest(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HubError::BadRequest(format!("password hash: {e}")))
}

/// Whether `password` matches the PHC string `hash`. A malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash that no password matches, verified against when the name is unknown, so that an
/// unknown name takes as long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&token()).unwrap_or_default())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    rand::random()
}

/// A fresh random token (256 bits, base64url): a session's cookie, a form's CSRF value.
pub fn token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    anjungan_core::sync::payload::hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert!(!verify_password("", decoy_hash()));
        // A fresh salt each time.
        assert_ne!(h, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_name("siti.rahma").is_ok());
        for bad in ["", "Siti", "siti rahma", "a'b", &"x".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_password("0123456789").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password("0123456789\u{7}").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn tokens_are_fresh_and_compared_whole() {
        let (a, b) = (token(), token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..42]));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn roles_allow_what_the_issue_says() {
        assert!(Role::Officer.decides_requests() && !Role::Officer.manages_users());
        assert!(!Role::Officer.sees_fleet());
        assert!(Role::Supervisor.decides_requests() && Role::Supervisor.manages_users());
        assert!(Role::Technician.sees_fleet() && !Role::Technician.decides_requests());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
