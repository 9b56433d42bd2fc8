//! `anjungan-hub users …`: the people who may use the branch console.
//!
//! Passwords are read from standard input, one line (so they stay out of `ps` and the
//! shell's history), and kept only as Argon2id hashes.

use std::io::BufRead;

use anjungan_core::cli::{Answer, Failure, bilingual};
use clap::Subcommand;
use serde_json::json;

use super::{Common, hub_failure};
use crate::staff::{self, Role, UserRow};

#[derive(Debug, Subcommand)]
pub(super) enum UsersCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        name: String,
        /// officer (decides requests), supervisor (also figures, audit and users) or
        /// technician (fleet and diagnostics only).
        #[arg(long)]
        role: String,
        #[command(flatten)]
        common: Common,
    },
    /// Every user, with role, state and lock.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Stop a user from logging in (their sessions end now).
    Disable {
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Let a disabled user log in again.
    Enable {
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Set a new password, read from standard input (one line); clears a lockout and ends
    /// the user's sessions.
    Reset {
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

impl UsersCommand {
    pub(super) fn json(&self) -> bool {
        match self {
            Self::Add { common, .. }
            | Self::List { common }
            | Self::Disable { common, .. }
            | Self::Enable { common, .. }
            | Self::Reset { common, .. } => common.json,
        }
    }
}

fn usage(code: &'static str, id: impl Into<String>, en: impl Into<String>) -> Failure {
    Failure::new(code, bilingual(id, en), 2)
}

fn valid_name(name: &str) -> Result<(), Failure> {
    staff::check_name(name).map_err(|en| {
        usage(
            "INVALID_USER_NAME",
            "Nama pengguna 1-32 karakter: huruf kecil, angka, '.', '_' atau '-'.",
            en,
        )
    })
}

/// One line of standard input: the password, checked.
fn read_password() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(Failure::internal)?;
    let password = line.trim_end_matches(['\n', '\r']);
    staff::check_password(password).map_err(|en| {
        usage(
            "INVALID_PASSWORD",
            format!(
                "Kata sandi (dari stdin, satu baris) minimal {} karakter, tanpa karakter kontrol.",
                staff::MIN_PASSWORD_CHARS
            ),
            format!("{en} (read from standard input, one line)"),
        )
    })?;
    Ok(password.to_owned())
}

fn no_such_user(name: &str) -> Failure {
    Failure::new(
        "UNKNOWN_USER",
        bilingual(
            format!("Tidak ada pengguna bernama {name:?}. Lihat: anjungan-hub users list"),
            format!("There is no user named {name:?}. See: anjungan-hub users list"),
        ),
        3,
    )
}

pub(super) fn run(command: &UsersCommand) -> Result<Answer, Failure> {
    match command {
        UsersCommand::Add { name, role, common } => {
            valid_name(name)?;
            let role = Role::parse(role).ok_or_else(|| {
                usage(
                    "INVALID_ROLE",
                    "Peran harus officer, supervisor atau technician.",
                    "The role must be officer, supervisor or technician.",
                )
            })?;
            let password = read_password()?;
            let store = common.open()?;
            let now = chrono::Utc::now().to_rfc3339();
            let user = UserRow {
                name: name.clone(),
                role,
                password_hash: staff::hash_password(&password).map_err(hub_failure)?,
                disabled: false,
                failures: 0,
                locked_until: None,
                created_at: now.clone(),
                password_set_at: now,
            };
            if !store.user_add(&user).map_err(hub_failure)? {
                return Err(Failure::new(
                    "USER_EXISTS",
                    bilingual(
                        format!(
                            "Pengguna {name:?} sudah ada. Ganti kata sandinya dengan: users reset"
                        ),
                        format!(
                            "User {name:?} already exists. Change the password with: users reset"
                        ),
                    ),
                    3,
                ));
            }
            store
                .audit("cli", "user_add", name, role.code())
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(
                &json!({ "added": name, "role": role }),
            ))
        }
        UsersCommand::List { common } => {
            let now = anjungan_core::sync::unix_now();
            let users = common.open()?.users().map_err(hub_failure)?;
            let rows: Vec<_> = users
                .iter()
                .map(|u| {
                    json!({
                        "name": u.name,
                        "role": u.role,
                        "disabled": u.disabled,
                        "locked": u.locked_at(now),
                        "created_at": u.created_at,
                        "password_set_at": u.password_set_at,
                    })
                })
                .collect();
            Ok(Answer::rows(&rows))
        }
        UsersCommand::Disable { name, common } | UsersCommand::Enable { name, common } => {
            let disable = matches!(command, UsersCommand::Disable { .. });
            let store = common.open()?;
            if !store
                .user_set_disabled(name, disable)
                .map_err(hub_failure)?
            {
                return Err(no_such_user(name));
            }
            let action = if disable {
                "user_disable"
            } else {
                "user_enable"
            };
            store.audit("cli", action, name, "").map_err(hub_failure)?;
            Ok(Answer::json_or_text(
                &json!({ "user": name, "disabled": disable }),
            ))
        }
        UsersCommand::Reset { name, common } => {
            let store = common.open()?;
            if store.user(name).map_err(hub_failure)?.is_none() {
                return Err(no_such_user(name));
            }
            let password = read_password()?;
            let hash = staff::hash_password(&password).map_err(hub_failure)?;
            let at = chrono::Utc::now().to_rfc3339();
            if !store
                .user_set_password(name, &hash, &at)
                .map_err(hub_failure)?
            {
                return Err(no_such_user(name));
            }
            store
                .audit("cli", "user_reset", name, "")
                .map_err(hub_failure)?;
            Ok(Answer::json_or_text(
                &json!({ "user": name, "reset": true }),
            ))
        }
    }
}
