//! The diagnostics PIN: 6 to 12 digits, kept only as an Argon2id hash (PHC string) in the
//! configuration file's `[diag] pin_hash`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::domain::Bilingual;

/// The shortest PIN accepted.
pub const MIN_PIN: usize = 6;
/// The longest PIN accepted (and the most digits the pad takes).
pub const MAX_PIN: usize = 12;

/// Checks that a PIN is 6 to 12 digits.
pub fn check_format(pin: &str) -> Result<(), Bilingual> {
    if (MIN_PIN..=MAX_PIN).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Bilingual::tr("PIN harus 6 sampai 12 angka."))
    }
}

/// Hashes a PIN with Argon2id and a random salt.
pub fn hash(pin: &str) -> Result<String, Bilingual> {
    check_format(pin)?;
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| Bilingual::tr_with("Garam gagal: {e}", &[("e", &e)]))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Bilingual::tr_with("PIN tidak dapat di-hash: {e}", &[("e", &e)]))
}

/// Whether `pin` matches the stored hash. A malformed hash matches nothing.
pub fn verify(stored: &str, pin: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Writes `pin_hash` into the `[diag]` section of a configuration file's text, keeping every
/// other line (and comment) as it was.
pub fn set_in_config(text: &str, hash: &str) -> String {
    let entry = format!("pin_hash = \"{hash}\"");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header = lines.iter().position(|l| l.trim() == "[diag]");
    match header {
        Some(h) => {
            let end = lines[h + 1..]
                .iter()
                .position(|l| l.trim_start().starts_with('['))
                .map_or(lines.len(), |i| h + 1 + i);
            let existing = (h + 1..end).find(|&i| {
                let t = lines[i].trim_start();
                t.strip_prefix("pin_hash")
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            });
            match existing {
                Some(i) => lines[i] = entry,
                None => lines.insert(h + 1, entry),
            }
        }
        None => {
            if lines.last().is_some_and(|l| !l.trim().is_empty()) {
                lines.push(String::new());
            }
            lines.push("[diag]".into());
            lines.push(entry);
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_pin_only() {
        let h = hash("246810").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("246810"));
        assert!(verify(&h, "246810"));
        assert!(!verify(&h, "246811"));
        assert!(!verify("not a hash", "246810"));
        assert!(hash("12a4").is_err());
        assert!(hash("123").is_err());
        assert!(hash("12345").is_err(), "five digits are too few");
        assert!(hash("1234567890123").is_err());
        assert!(check_format("123456").is_ok());
    }

    #[test]
    fn the_config_keeps_its_other_lines() {
        let text = "# kiosk\n[kiosk]\nid = \"k1\"\n\n[diag]\nidle_secs = 300\npin_hash = \"old\"\n[hub]\nurl = \"x\"\n";
        let out = set_in_config(text, "$argon2id$new");
        assert!(out.contains("pin_hash = \"$argon2id$new\""));
        assert!(!out.contains("old"));
        assert!(out.starts_with("# kiosk\n[kiosk]\nid = \"k1\"\n"));
        assert!(out.contains("idle_secs = 300") && out.contains("[hub]\nurl = \"x\""));
        let fresh = set_in_config("[kiosk]\nid = \"k1\"\n", "$h");
        assert_eq!(fresh, "[kiosk]\nid = \"k1\"\n\n[diag]\npin_hash = \"$h\"\n");
        let bare = set_in_config("[diag]\n[printer]\nuri = \"tcp://p\"\n", "$h");
        assert_eq!(
            bare,
            "[diag]\npin_hash = \"$h\"\n[printer]\nuri = \"tcp://p\"\n"
        );
    }
}
