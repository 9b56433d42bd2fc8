//! BPJS-bridging-style request authentication (domain.md §9), shared by kiosk and hub.
//!
//! Every kiosk call carries `X-cons-id`, `X-timestamp` (Unix seconds, UTC) and
//! `X-signature` = Base64(HMAC-SHA256(key = secret, msg = "consId&timestamp")). The hub
//! accepts a timestamp only within ±[`WINDOW_SECS`] of its own clock.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header names, as BPJS spells them.
pub const H_CONS_ID: &str = "X-cons-id";
pub const H_TIMESTAMP: &str = "X-timestamp";
pub const H_SIGNATURE: &str = "X-signature";

/// How far a request's timestamp may be from the hub's clock.
pub const WINDOW_SECS: i64 = 300;

/// Base64(HMAC-SHA256(secret, message)).
pub fn hmac_b64(secret: &[u8], message: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message);
    B64.encode(mac.finalize().into_bytes())
}

/// The three header values for a call made at `timestamp`.
pub fn sign_request(cons_id: &str, secret: &str, timestamp: i64) -> [(&'static str, String); 3] {
    let ts = timestamp.to_string();
    let sig = hmac_b64(secret.as_bytes(), format!("{cons_id}&{ts}").as_bytes());
    [
        (H_CONS_ID, cons_id.to_owned()),
        (H_TIMESTAMP, ts),
        (H_SIGNATURE, sig),
    ]
}

/// Why the hub refused a call's credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing or malformed {0} header")]
    Missing(&'static str),
    #[error("unknown cons-id")]
    UnknownKiosk,
    #[error("bad signature")]
    BadSignature,
    #[error("timestamp outside the ±{WINDOW_SECS} s window")]
    StaleTimestamp,
}

impl AuthError {
    /// The stable code in the hub's error answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) => "AUTH_MISSING",
            Self::UnknownKiosk => "AUTH_UNKNOWN_KIOSK",
            Self::BadSignature => "AUTH_BAD_SIGNATURE",
            Self::StaleTimestamp => "AUTH_STALE_TIMESTAMP",
        }
    }
}

/// Checks a call's headers. `secret_of` looks a cons-id up in the hub's kiosk list.
pub fn verify_request<'a>(
    cons_id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    now: i64,
    secret_of: impl Fn(&str) -> Option<&'a str>,
) -> Result<(), AuthError> {
    let cons_id = cons_id
        .filter(|c| !c.is_empty())
        .ok_or(AuthError::Missing(H_CONS_ID))?;
    let raw_ts = timestamp.ok_or(AuthError::Missing(H_TIMESTAMP))?;
    let ts: i64 = raw_ts
        .trim()
        .parse()
        .map_err(|_| AuthError::Missing(H_TIMESTAMP))?;
    let signature = signature.ok_or(AuthError::Missing(H_SIGNATURE))?;
    let secret = secret_of(cons_id).ok_or(AuthError::UnknownKiosk)?;
    let given = B64
        .decode(signature.trim())
        .map_err(|_| AuthError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{cons_id}&{raw_ts}").as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&given)
        .map_err(|_| AuthError::BadSignature)?;
    if (now - ts).abs() > WINDOW_SECS {
        return Err(AuthError::StaleTimestamp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bpjs_test_vector() {
        assert_eq!(
            hmac_b64(b"bbb", b"aaa"),
            "20BKS3PWnD3XU4JbSSZvVlGi2WWnDa8Sv9uHJ+wsELA="
        );
    }

    #[test]
    fn a_signed_call_passes_and_each_fault_is_named() {
        let secret_of = |c: &str| (c == "k1").then_some("s3cret");
        let now = 1_800_000_000;
        let [(_, c), (_, t), (_, s)] = sign_request("k1", "s3cret", now);
        assert_eq!(
            verify_request(Some(&c), Some(&t), Some(&s), now + 299, secret_of),
            Ok(())
        );
        assert_eq!(
            verify_request(Some(&c), Some(&t), Some(&s), now + 301, secret_of),
            Err(AuthError::StaleTimestamp)
        );
        assert_eq!(
            verify_request(Some(&c), Some(&t), Some(&s), now - 301, secret_of),
            Err(AuthError::StaleTimestamp)
        );
        assert_eq!(
            verify_request(Some("k2"), Some(&t), Some(&s), now, secret_of),
            Err(AuthError::UnknownKiosk)
        );
        let [_, _, (_, wrong)] = sign_request("k1", "other", now);
        assert_eq!(
            verify_request(Some(&c), Some(&t), Some(&wrong), now, secret_of),
            Err(AuthError::BadSignature)
        );
        // The timestamp is part of what is signed: changing it breaks the signature.
        let later = (now + 10).to_string();
        assert_eq!(
            verify_request(Some(&c), Some(&later), Some(&s), now, secret_of),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            verify_request(None, Some(&t), Some(&s), now, secret_of),
            Err(AuthError::Missing(H_CONS_ID))
        );
    }
}
