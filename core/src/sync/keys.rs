//! The hub's Ed25519 key pair: generation, files, signing and verification.
//!
//! Files hold one line of standard Base64: `hub.key` the 32-byte secret seed, `hub.pub` the
//! 32-byte public key. Kiosks pin `hub.pub`; only the hub reads `hub.key`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: cannot read or write: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a Base64 Ed25519 key of 32 bytes")]
    Malformed { path: String },
    /// `--key` names the public key (`hub.pub`), not the secret `hub.key`.
    #[error("{path}: this is the hub's public key (hub.pub); the hub needs its secret key hub.key")]
    IsPublic { path: String },
}

impl KeyError {
    /// The stable code printed as `{"error": CODE}`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "KEY_UNREADABLE",
            Self::Malformed { .. } => "KEY_MALFORMED",
            Self::IsPublic { .. } => "KEY_IS_PUBLIC",
        }
    }
}

/// Makes a new signing key from the operating system's randomness.
pub fn generate() -> SigningKey {
    let seed: [u8; 32] = rand::random();
    SigningKey::from_bytes(&seed)
}

/// Writes `hub.key` (mode 0600) and `hub.pub` into `dir`.
pub fn write_pair(key: &SigningKey, dir: &Path) -> Result<(), KeyError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| KeyError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let secret = dir.join("hub.key");
    write_private(&secret, &format!("{}\n", B64.encode(key.to_bytes()))).map_err(io(&secret))?;
    let public = dir.join("hub.pub");
    std::fs::write(
        &public,
        format!("{}\n", B64.encode(key.verifying_key().to_bytes())),
    )
    .map_err(io(&public))?;
    Ok(())
}

#[cfg(unix)]
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

fn read32(path: &Path) -> Result<[u8; 32], KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let malformed = || KeyError::Malformed {
        path: path.display().to_string(),
    };
    let bytes = B64.decode(text.trim()).map_err(|_| malformed())?;
    bytes.try_into().map_err(|_| malformed())
}

/// Reads `hub.key`.
///
/// Both files are 32 bytes of Base64, so a `hub.pub` given by mistake would be taken as a
/// secret seed and the hub would sign with a key no kiosk trusts. It is recognised and
/// refused: by its name, or by a `hub.pub` beside it that holds the same bytes.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let bytes = read32(path)?;
    let is_public = || KeyError::IsPublic {
        path: path.display().to_string(),
    };
    if path.extension().is_some_and(|e| e == "pub") {
        return Err(is_public());
    }
    let beside = path.with_file_name("hub.pub");
    if beside != path && read32(&beside).is_ok_and(|public| public == bytes) {
        return Err(is_public());
    }
    Ok(SigningKey::from_bytes(&bytes))
}

/// Reads a pinned `hub.pub`.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(&read32(path)?).map_err(|_| KeyError::Malformed {
        path: path.display().to_string(),
    })
}

/// Base64 signature of `message`.
pub fn sign_b64(key: &SigningKey, message: &[u8]) -> String {
    B64.encode(key.sign(message).to_bytes())
}

/// Whether `signature_b64` is `key`'s signature of `message` (strict verification).
///
/// Only the one encoding [`sign_b64`] writes is accepted: standard Base64 with padding,
/// 88 characters, nothing around it. URL-safe, unpadded or padded-with-spaces variants
/// are refused, so a signature has exactly one spelling.
pub fn verify_b64(key: &VerifyingKey, message: &[u8], signature_b64: &str) -> bool {
    let canonical = signature_b64.len() == 88
        && signature_b64.ends_with("==")
        && signature_b64.as_bytes()[..86]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    if !canonical {
        return false;
    }
    let Ok(bytes) = B64.decode(signature_b64) else {
        return false;
    };
    if B64.encode(&bytes) != signature_b64 {
        return false;
    }
    let Ok(sig) = Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify_strict(message, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_safe_signature_with_no_plus_or_slash_is_the_same_text() {
        // A signature free of '+' and '/' is spelled the same in both alphabets; one with
        // them must not verify in its URL-safe spelling.
        let key = generate();
        let public = key.verifying_key();
        let mut seen = false;
        for i in 0..64u32 {
            let message = i.to_be_bytes();
            let sig = sign_b64(&key, &message);
            if sig.contains('+') || sig.contains('/') {
                let url = sig.replace('+', "-").replace('/', "_");
                assert!(!verify_b64(&public, &message, &url));
                seen = true;
            }
        }
        assert!(seen);
    }

    #[test]
    fn the_public_key_is_refused_as_the_signing_key() {
        let dir = tempfile::tempdir().unwrap();
        write_pair(&generate(), dir.path()).unwrap();
        let e = read_signing_key(&dir.path().join("hub.pub")).unwrap_err();
        assert_eq!(e.code(), "KEY_IS_PUBLIC");
        // The same public key copied under another name, beside hub.pub.
        std::fs::copy(dir.path().join("hub.pub"), dir.path().join("copy.key")).unwrap();
        let e = read_signing_key(&dir.path().join("copy.key")).unwrap_err();
        assert_eq!(e.code(), "KEY_IS_PUBLIC");
        assert!(read_signing_key(&dir.path().join("hub.key")).is_ok());
    }

    #[test]
    fn keys_round_trip_through_files_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate();
        write_pair(&key, dir.path()).unwrap();
        let secret = read_signing_key(&dir.path().join("hub.key")).unwrap();
        let public = read_public_key(&dir.path().join("hub.pub")).unwrap();
        let sig = sign_b64(&secret, b"hello");
        assert!(verify_b64(&public, b"hello", &sig));
        assert!(!verify_b64(&public, b"hellO", &sig));
        let other = generate();
        assert!(!verify_b64(&other.verifying_key(), b"hello", &sig));
        assert!(!verify_b64(&public, b"hello", "not base64!"));
        // Only the canonical spelling verifies.
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let raw = B64.decode(&sig).unwrap();
        for variant in [
            URL_SAFE.encode(&raw),
            URL_SAFE_NO_PAD.encode(&raw),
            STANDARD_NO_PAD.encode(&raw),
            format!(" {sig}"),
            format!("{sig}\n"),
        ] {
            if variant != sig {
                assert!(!verify_b64(&public, b"hello", &variant), "{variant}");
            }
        }
        std::fs::write(dir.path().join("bad.pub"), "AAAA\n").unwrap();
        assert!(matches!(
            read_public_key(&dir.path().join("bad.pub")),
            Err(KeyError::Malformed { .. })
        ));
    }
}
