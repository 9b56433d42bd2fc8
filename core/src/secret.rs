//! The kiosk's hub secret: where it is read from, and the checks on a secret file.
//!
//! A secret on the command line (`--secret`) is visible to every user in `ps`, and one in
//! `config.toml` sits in a file that many tools read. The preferred places, in order:
//! 1. the systemd credential `$CREDENTIALS_DIRECTORY/hub-secret` (`LoadCredential=`);
//! 2. `--secret-file FILE`;
//! 3. `--secret VALUE` (works, with a warning);
//! 4. the environment variable `ANJUNGAN_HUB_SECRET`;
//! 5. `[hub] secret_file = "FILE"`;
//! 6. `[hub] secret = "..."` (works, with a warning).
//!
//! This module never logs or returns a secret in an error; it knows nothing of how the secret
//! is used (see [`crate::sync::auth`]).

use std::path::{Path, PathBuf};

/// The systemd credential's name inside `$CREDENTIALS_DIRECTORY`.
pub const CREDENTIAL_NAME: &str = "hub-secret";
/// The environment variable that may hold the secret.
pub const ENV_VAR: &str = "ANJUNGAN_HUB_SECRET";
/// The shortest secret accepted (the hub's kiosks.toml demands the same).
pub const MIN_CHARS: usize = 8;

/// Why no usable secret was found.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{path}: the secret file cannot be read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the secret file is not a regular file")]
    NotRegular { path: String },
    #[error(
        "{path}: the secret file is readable by other users (mode {mode:o}); run `chmod 600` on it"
    )]
    Readable { path: String, mode: u32 },
    #[error("{what}: the secret must be at least {min} characters", min = MIN_CHARS)]
    TooShort { what: String },
    #[error("[hub] sets both secret and secret_file; keep one")]
    Both,
    #[error(
        "no hub secret: give --secret-file FILE, {env}, [hub] secret_file or the systemd credential {cred}",
        env = ENV_VAR,
        cred = CREDENTIAL_NAME
    )]
    Missing,
}

impl SecretError {
    /// The stable code printed as `{"error": CODE}`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "SECRET_UNREADABLE",
            Self::NotRegular { .. } => "SECRET_NOT_A_FILE",
            Self::Readable { .. } => "SECRET_FILE_READABLE",
            Self::TooShort { .. } => "SECRET_TOO_SHORT",
            Self::Both => "SECRET_CONFLICT",
            Self::Missing => "MISSING_SECRET",
        }
    }
}

/// Every place a secret may come from, as the caller found them.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `$CREDENTIALS_DIRECTORY`, if set.
    pub credentials_dir: Option<PathBuf>,
    pub flag_file: Option<PathBuf>,
    pub flag: Option<String>,
    /// `$ANJUNGAN_HUB_SECRET`, if set.
    pub env: Option<String>,
    pub config_file: Option<PathBuf>,
    pub config_value: Option<String>,
}

impl Sources {
    /// The credential directory and environment variable of this process, plus the given
    /// flags and configuration values.
    pub fn from_env(
        flag_file: Option<PathBuf>,
        flag: Option<String>,
        config_file: Option<PathBuf>,
        config_value: Option<String>,
    ) -> Self {
        Self {
            credentials_dir: std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from),
            flag_file,
            flag,
            env: std::env::var(ENV_VAR).ok().filter(|v| !v.is_empty()),
            config_file,
            config_value,
        }
    }

    /// The secret from the first place that has one, in the order of the module docs.
    pub fn resolve(&self) -> Result<String, SecretError> {
        if let Some(dir) = &self.credentials_dir {
            let path = dir.join(CREDENTIAL_NAME);
            if path.exists() {
                return read_secret_file(&path);
            }
        }
        if let Some(path) = &self.flag_file {
            return read_secret_file(path);
        }
        if let Some(value) = &self.flag {
            tracing::warn!(
                "--secret is visible to every user in `ps`; use --secret-file FILE (mode 600) or the systemd credential {CREDENTIAL_NAME}"
            );
            return checked(value.clone(), "--secret");
        }
        if let Some(value) = &self.env {
            return checked(value.clone(), ENV_VAR);
        }
        if let Some(path) = &self.config_file {
            return read_secret_file(path);
        }
        if let Some(value) = &self.config_value {
            tracing::warn!(
                "[hub] secret is kept in the configuration file; move it to [hub] secret_file (mode 600) or the systemd credential {CREDENTIAL_NAME}"
            );
            return checked(value.clone(), "[hub] secret");
        }
        Err(SecretError::Missing)
    }
}

/// Reads a secret file: a regular file, not readable by others (a group-readable one is
/// accepted with a warning, for a `root:anjungan 0640` layout), one trailing newline
/// trimmed, at least [`MIN_CHARS`] characters.
pub fn read_secret_file(path: &Path) -> Result<String, SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = || path.display().to_string();
    let io = |source| SecretError::Io {
        path: shown(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(SecretError::NotRegular { path: shown() });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o007 != 0 {
        return Err(SecretError::Readable {
            path: shown(),
            mode,
        });
    }
    if mode & 0o070 != 0 {
        tracing::warn!(
            path = %path.display(),
            "the secret file is readable by its group (mode {mode:o}); chmod 600 unless that group is only the kiosk's"
        );
    }
    let mut text = std::fs::read_to_string(path).map_err(io)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    checked(text, &shown())
}

fn checked(secret: String, what: &str) -> Result<String, SecretError> {
    if secret.chars().count() < MIN_CHARS {
        return Err(SecretError::TooShort { what: what.into() });
    }
    Ok(secret)
}

/// Warns when a file holding secrets (the hub's kiosks.toml) is readable by group or others.
pub fn warn_if_readable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "this file holds kiosk secrets but is readable by group or others (mode {mode:o}); run `chmod 600` on it"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn a_secret_file_is_checked_and_trimmed_of_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        let ok = file(dir.path(), "ok", "s3cret-value\n", 0o600);
        assert_eq!(read_secret_file(&ok).unwrap(), "s3cret-value");
        let crlf = file(dir.path(), "crlf", "s3cret-value\r\n", 0o640);
        assert_eq!(read_secret_file(&crlf).unwrap(), "s3cret-value");
        let open = file(dir.path(), "open", "s3cret-value\n", 0o644);
        assert_eq!(
            read_secret_file(&open).unwrap_err().code(),
            "SECRET_FILE_READABLE"
        );
        let short = file(dir.path(), "short", "short\n", 0o600);
        assert_eq!(
            read_secret_file(&short).unwrap_err().code(),
            "SECRET_TOO_SHORT"
        );
        assert_eq!(
            read_secret_file(dir.path()).unwrap_err().code(),
            "SECRET_NOT_A_FILE"
        );
        let e = read_secret_file(&dir.path().join("absent")).unwrap_err();
        assert_eq!(e.code(), "SECRET_UNREADABLE");
        // No error names the secret itself.
        let e = read_secret_file(&open).unwrap_err().to_string();
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn the_credential_wins_then_flags_then_env_then_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("creds");
        std::fs::create_dir(&creds).unwrap();
        file(&creds, CREDENTIAL_NAME, "from-credential\n", 0o400);
        let flag_file = file(dir.path(), "flag", "from-flag-file\n", 0o600);
        let config_file = file(dir.path(), "conf", "from-config-file\n", 0o600);
        let mut s = Sources {
            credentials_dir: Some(creds.clone()),
            flag_file: Some(flag_file),
            flag: Some("from-flag".into()),
            env: Some("from-env-var".into()),
            config_file: Some(config_file),
            config_value: Some("from-config".into()),
        };
        let mut order = Vec::new();
        loop {
            match s.resolve() {
                Ok(v) => order.push(v),
                Err(e) => {
                    assert_eq!(e.code(), "MISSING_SECRET");
                    break;
                }
            }
            // Take away the source that answered.
            if s.credentials_dir.take().is_none()
                && s.flag_file.take().is_none()
                && s.flag.take().is_none()
                && s.env.take().is_none()
                && s.config_file.take().is_none()
            {
                s.config_value = None;
            }
        }
        assert_eq!(
            order,
            [
                "from-credential",
                "from-flag-file",
                "from-flag",
                "from-env-var",
                "from-config-file",
                "from-config"
            ]
        );
        // A credential directory without hub-secret is passed over.
        let empty = Sources {
            credentials_dir: Some(dir.path().join("nowhere")),
            env: Some("from-env-var".into()),
            ..Sources::default()
        };
        assert_eq!(empty.resolve().unwrap(), "from-env-var");
        let short = Sources {
            flag: Some("1234567".into()),
            ..Sources::default()
        };
        assert_eq!(short.resolve().unwrap_err().code(), "SECRET_TOO_SHORT");
    }
}
