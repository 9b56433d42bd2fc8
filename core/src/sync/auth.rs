//! Request authentication, shared by kiosk and hub (docs/sync-protocol.md §2).
//!
//! BPJS-bridging-style headers, bound to the request: every kiosk call carries `X-cons-id`,
//! `X-timestamp` (Unix seconds, UTC), `X-nonce` (fresh and random), `X-content-sha256`
//! (hex SHA-256 of the body) and `X-signature` = Base64(HMAC-SHA256(key = secret, msg =
//! `consId&timestamp&nonce&METHOD&PATH?QUERY&sha256hex`)). The hub accepts a timestamp
//! only within ±[`WINDOW_SECS`] of its own clock and a nonce only once in that window
//! ([`NonceCache`]), so a captured header set cannot be replayed, moved to another path or
//! put on another body.

use std::collections::{HashMap, VecDeque};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Header names, as BPJS spells them (plus the two that bind a call to its content).
pub const H_CONS_ID: &str = "X-cons-id";
pub const H_TIMESTAMP: &str = "X-timestamp";
pub const H_SIGNATURE: &str = "X-signature";
pub const H_NONCE: &str = "X-nonce";
pub const H_CONTENT_SHA256: &str = "X-content-sha256";

/// How far a request's timestamp may be from the hub's clock.
pub const WINDOW_SECS: i64 = 300;

/// A nonce is 16 to 64 characters of `A–Z a–z 0–9 - _`.
pub const NONCE_LEN: std::ops::RangeInclusive<usize> = 16..=64;

/// Base64(HMAC-SHA256(secret, message)).
pub fn hmac_b64(secret: &[u8], message: &[u8]) -> String {
    B64.encode(mac(secret, message).finalize().into_bytes())
}

fn mac(secret: &[u8], message: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message);
    mac
}

/// Lowercase hex SHA-256 of `body` (of nothing for an empty body).
pub fn body_sha256(body: &[u8]) -> String {
    super::payload::hex(&Sha256::digest(body))
}

/// What one call is: the parts of it the signature covers besides the credentials.
#[derive(Debug, Clone, Copy)]
pub struct CallLine<'a> {
    /// `GET`, `POST`, … as sent.
    pub method: &'a str,
    /// The request target as sent: the path and, when there is one, `?` and the query.
    pub path_and_query: &'a str,
    /// [`body_sha256`] of the body.
    pub content_sha256: &'a str,
}

/// The signed message: `consId&timestamp&nonce&METHOD&PATH?QUERY&sha256hex`.
pub fn signed_message(cons_id: &str, timestamp: &str, nonce: &str, call: &CallLine<'_>) -> String {
    format!(
        "{cons_id}&{timestamp}&{nonce}&{}&{}&{}",
        call.method, call.path_and_query, call.content_sha256
    )
}

/// The five header values for `call` made at `timestamp` with `nonce`.
pub fn sign_request(
    cons_id: &str,
    secret: &str,
    timestamp: i64,
    nonce: &str,
    call: &CallLine<'_>,
) -> [(&'static str, String); 5] {
    let ts = timestamp.to_string();
    let sig = hmac_b64(
        secret.as_bytes(),
        signed_message(cons_id, &ts, nonce, call).as_bytes(),
    );
    [
        (H_CONS_ID, cons_id.to_owned()),
        (H_TIMESTAMP, ts),
        (H_NONCE, nonce.to_owned()),
        (H_CONTENT_SHA256, call.content_sha256.to_owned()),
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
    /// Signed the protocol-1 way (`consId&timestamp` only): the kiosk needs an update.
    #[error("signed the old way (consId&timestamp only)")]
    OldSignature,
    #[error("timestamp outside the ±{WINDOW_SECS} s window")]
    StaleTimestamp,
    #[error("nonce already used")]
    Replayed,
    #[error("the body does not match its X-content-sha256")]
    ContentMismatch,
    /// The hub holds as many nonces as it may; it refuses rather than forget one early.
    #[error("too many calls in the window")]
    Busy,
}

impl AuthError {
    /// The stable code in the hub's error answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) => "AUTH_MISSING",
            Self::UnknownKiosk => "AUTH_UNKNOWN_KIOSK",
            Self::BadSignature => "AUTH_BAD_SIGNATURE",
            Self::OldSignature => "AUTH_OLD_SIGNATURE",
            Self::StaleTimestamp => "AUTH_STALE_TIMESTAMP",
            Self::Replayed => "AUTH_REPLAYED",
            Self::ContentMismatch => "AUTH_CONTENT_MISMATCH",
            Self::Busy => "AUTH_BUSY",
        }
    }
}

/// The auth headers of one call, as received (`None`: absent or not visible ASCII).
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    pub cons_id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub content_sha256: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// A call whose headers check out. The body still has to match `content_sha256`
/// ([`Verified::check_body`]) once it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub cons_id: String,
    pub nonce: String,
    pub timestamp: i64,
    pub content_sha256: String,
}

impl Verified {
    /// The body's hash must be the one that was signed.
    pub fn check_body(&self, body: &[u8]) -> Result<(), AuthError> {
        if body_sha256(body) == self.content_sha256 {
            Ok(())
        } else {
            Err(AuthError::ContentMismatch)
        }
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_nonce(s: &str) -> bool {
    NONCE_LEN.contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks a call's headers against the request line. `secret_of` looks a cons-id up in
/// the hub's kiosk list. Does not look at the nonce cache: the caller does that after,
/// so that only a correctly signed call can use up a nonce.
///
/// The signature is checked before the timestamp, so a forged call learns nothing about
/// the window.
pub fn verify_request<'a>(
    presented: &Presented<'_>,
    call_method: &str,
    call_path_and_query: &str,
    now: i64,
    secret_of: impl Fn(&str) -> Option<&'a str>,
) -> Result<Verified, AuthError> {
    let cons_id = presented
        .cons_id
        .filter(|c| !c.is_empty() && c.len() <= 64)
        .ok_or(AuthError::Missing(H_CONS_ID))?;
    let raw_ts = presented
        .timestamp
        .filter(|t| !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(AuthError::Missing(H_TIMESTAMP))?;
    let ts: i64 = raw_ts
        .parse()
        .map_err(|_| AuthError::Missing(H_TIMESTAMP))?;
    let signature = presented
        .signature
        .filter(|s| s.len() <= 128)
        .ok_or(AuthError::Missing(H_SIGNATURE))?;
    let secret = secret_of(cons_id).ok_or(AuthError::UnknownKiosk)?;
    let given = B64
        .decode(signature.trim())
        .map_err(|_| AuthError::BadSignature)?;
    let (Some(nonce), Some(content)) = (presented.nonce, presented.content_sha256) else {
        // A protocol-1 kiosk: say so, rather than only "missing header".
        if mac(secret.as_bytes(), format!("{cons_id}&{raw_ts}").as_bytes())
            .verify_slice(&given)
            .is_ok()
        {
            return Err(AuthError::OldSignature);
        }
        return Err(AuthError::Missing(if presented.nonce.is_none() {
            H_NONCE
        } else {
            H_CONTENT_SHA256
        }));
    };
    if !is_nonce(nonce) {
        return Err(AuthError::Missing(H_NONCE));
    }
    if !is_hex64(content) {
        return Err(AuthError::Missing(H_CONTENT_SHA256));
    }
    let call = CallLine {
        method: call_method,
        path_and_query: call_path_and_query,
        content_sha256: content,
    };
    let message = signed_message(cons_id, raw_ts, nonce, &call);
    // Constant-time comparison.
    if mac(secret.as_bytes(), message.as_bytes())
        .verify_slice(&given)
        .is_err()
    {
        if mac(secret.as_bytes(), format!("{cons_id}&{raw_ts}").as_bytes())
            .verify_slice(&given)
            .is_ok()
        {
            return Err(AuthError::OldSignature);
        }
        return Err(AuthError::BadSignature);
    }
    // `abs_diff` cannot overflow, whatever the timestamp.
    if now.abs_diff(ts) > WINDOW_SECS.unsigned_abs() {
        return Err(AuthError::StaleTimestamp);
    }
    Ok(Verified {
        cons_id: cons_id.to_owned(),
        nonce: nonce.to_owned(),
        timestamp: ts,
        content_sha256: content.to_owned(),
    })
}

/// The nonces the hub has seen within the window, per kiosk. A nonce is remembered until
/// its call's timestamp leaves the window, after which [`verify_request`] refuses the call
/// anyway. Bounded: when full of live nonces it refuses new calls ([`AuthError::Busy`])
/// rather than forget one that could still be replayed.
#[derive(Debug)]
pub struct NonceCache {
    seen: HashMap<(String, String), i64>,
    /// (expiry, key) in insertion order; expiries grow with insertion only roughly, so
    /// pruning pops while the front has expired and leaves late ones for later.
    order: VecDeque<(i64, (String, String))>,
    capacity: usize,
}

impl NonceCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `v`'s nonce, or refuses it as a replay.
    pub fn check_and_remember(&mut self, v: &Verified, now: i64) -> Result<(), AuthError> {
        self.prune(now);
        let key = (v.cons_id.clone(), v.nonce.clone());
        if let Some(&expiry) = self.seen.get(&key)
            && expiry >= now
        {
            return Err(AuthError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(AuthError::Busy);
        }
        // The call is refused as stale once now > ts + window: forget it after that.
        let expiry = v.timestamp.saturating_add(WINDOW_SECS);
        self.seen.insert(key.clone(), expiry);
        self.order.push_back((expiry, key));
        Ok(())
    }

    fn prune(&mut self, now: i64) {
        // Entries are pruned in insertion order; one with a later expiry holds back the
        // ones behind it for at most 2 × WINDOW_SECS, which the capacity allows for.
        while let Some((expiry, _)) = self.order.front() {
            if *expiry >= now {
                break;
            }
            if let Some((_, key)) = self.order.pop_front()
                && self.seen.get(&key).is_some_and(|e| *e < now)
            {
                self.seen.remove(&key);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn the_bpjs_test_vector() {
        assert_eq!(
            hmac_b64(b"bbb", b"aaa"),
            "20BKS3PWnD3XU4JbSSZvVlGi2WWnDa8Sv9uHJ+wsELA="
        );
        assert_eq!(body_sha256(b""), EMPTY_SHA256);
    }

    /// The vector in docs/sync-protocol.md §2.
    #[test]
    fn the_protocol_2_test_vector() {
        let call = CallLine {
            method: "GET",
            path_and_query: "/v1/sync?since=3&epoch=e1&nonce=n1",
            content_sha256: EMPTY_SHA256,
        };
        let message = signed_message(
            "k1",
            "1800000000",
            "0123456789abcdef0123456789abcdef",
            &call,
        );
        assert_eq!(
            message,
            "k1&1800000000&0123456789abcdef0123456789abcdef&GET&/v1/sync?since=3&epoch=e1&nonce=n1&\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hmac_b64(b"secret-kiosk-1", message.as_bytes()),
            "lRF3RuYFfYJjcIeectA8j6XtPBRYNbjLw3CfC3R591E="
        );
    }

    fn presented<'a>(h: &'a [(&'static str, String); 5]) -> Presented<'a> {
        let get = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
        Presented {
            cons_id: get(H_CONS_ID),
            timestamp: get(H_TIMESTAMP),
            nonce: get(H_NONCE),
            content_sha256: get(H_CONTENT_SHA256),
            signature: get(H_SIGNATURE),
        }
    }

    #[test]
    fn a_signed_call_passes_and_each_fault_is_named() {
        let secret_of = |c: &str| (c == "k1").then_some("s3cret-s3cret");
        let now = 1_800_000_000;
        let body = br#"{"a":1}"#;
        let sha = body_sha256(body);
        let call = CallLine {
            method: "POST",
            path_and_query: "/v1/requests",
            content_sha256: &sha,
        };
        let nonce = "0123456789abcdef0123456789abcdef";
        let h = sign_request("k1", "s3cret-s3cret", now, nonce, &call);
        let p = presented(&h);
        let ok = verify_request(&p, "POST", "/v1/requests", now + 299, secret_of).unwrap();
        assert_eq!(ok.cons_id, "k1");
        assert_eq!(ok.check_body(body), Ok(()));
        assert_eq!(
            ok.check_body(br#"{"a":2}"#),
            Err(AuthError::ContentMismatch)
        );
        let v = |p: &Presented<'_>, m: &str, path: &str, at: i64| {
            verify_request(p, m, path, at, secret_of).map(|_| ())
        };
        assert_eq!(
            v(&p, "POST", "/v1/requests", now + 301),
            Err(AuthError::StaleTimestamp)
        );
        assert_eq!(
            v(&p, "POST", "/v1/requests", now - 301),
            Err(AuthError::StaleTimestamp)
        );
        // Another path, another method: the signature no longer fits.
        assert_eq!(
            v(&p, "POST", "/v1/heartbeat", now),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            v(&p, "GET", "/v1/requests", now),
            Err(AuthError::BadSignature)
        );
        // A body hash swapped in the header breaks the signature too.
        let other = body_sha256(b"{}");
        let swapped = Presented {
            content_sha256: Some(&other),
            ..p
        };
        assert_eq!(
            v(&swapped, "POST", "/v1/requests", now),
            Err(AuthError::BadSignature)
        );
        let unknown = Presented {
            cons_id: Some("k2"),
            ..p
        };
        assert_eq!(
            v(&unknown, "POST", "/v1/requests", now),
            Err(AuthError::UnknownKiosk)
        );
        let [_, _, _, _, (_, wrong)] = sign_request("k1", "other-secret", now, nonce, &call);
        let forged = Presented {
            signature: Some(&wrong),
            ..p
        };
        assert_eq!(
            v(&forged, "POST", "/v1/requests", now),
            Err(AuthError::BadSignature)
        );
        let later = (now + 10).to_string();
        let moved = Presented {
            timestamp: Some(&later),
            ..p
        };
        assert_eq!(
            v(&moved, "POST", "/v1/requests", now),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            v(
                &Presented { cons_id: None, ..p },
                "POST",
                "/v1/requests",
                now
            ),
            Err(AuthError::Missing(H_CONS_ID))
        );
        // A URL-safe signature is not standard Base64.
        let url_safe = h[4].1.replace('+', "-").replace('/', "_");
        if url_safe != h[4].1 {
            let p2 = Presented {
                signature: Some(&url_safe),
                ..p
            };
            assert_eq!(
                v(&p2, "POST", "/v1/requests", now),
                Err(AuthError::BadSignature)
            );
        }
    }

    #[test]
    fn the_old_signature_and_absent_headers_are_refused() {
        let secret_of = |c: &str| (c == "k1").then_some("s3cret-s3cret");
        let now = 1_800_000_000_i64;
        let ts = now.to_string();
        let old = hmac_b64(b"s3cret-s3cret", format!("k1&{ts}").as_bytes());
        let bare = Presented {
            cons_id: Some("k1"),
            timestamp: Some(&ts),
            signature: Some(&old),
            ..Presented::default()
        };
        assert_eq!(
            verify_request(&bare, "GET", "/v1/sync", now, secret_of),
            Err(AuthError::OldSignature)
        );
        let nonce = "0123456789abcdef0123456789abcdef";
        let with_new_headers = Presented {
            nonce: Some(nonce),
            content_sha256: Some(EMPTY_SHA256),
            ..bare
        };
        assert_eq!(
            verify_request(&with_new_headers, "GET", "/v1/sync", now, secret_of),
            Err(AuthError::OldSignature)
        );
        let junk = Presented {
            signature: Some("AAAA"),
            ..bare
        };
        assert_eq!(
            verify_request(&junk, "GET", "/v1/sync", now, secret_of),
            Err(AuthError::Missing(H_NONCE))
        );
    }

    #[test]
    fn an_extreme_timestamp_is_stale_not_an_overflow() {
        let secret_of = |c: &str| (c == "k1").then_some("s3cret-s3cret");
        let now = 1_800_000_000_i64;
        let nonce = "0123456789abcdef0123456789abcdef";
        let call = CallLine {
            method: "GET",
            path_and_query: "/v1/sync",
            content_sha256: EMPTY_SHA256,
        };
        // now − 2^63 does not fit an i64; as text it is refused as malformed or stale.
        for ts in [i64::MAX, 0, 1] {
            let h = sign_request("k1", "s3cret-s3cret", ts, nonce, &call);
            let p = presented(&h);
            assert_eq!(
                verify_request(&p, "GET", "/v1/sync", now, secret_of),
                Err(AuthError::StaleTimestamp),
                "{ts}"
            );
        }
        let huge = "99999999999999999999";
        let sig = hmac_b64(
            b"s3cret-s3cret",
            signed_message("k1", huge, nonce, &call).as_bytes(),
        );
        let p = Presented {
            cons_id: Some("k1"),
            timestamp: Some(huge),
            nonce: Some(nonce),
            content_sha256: Some(EMPTY_SHA256),
            signature: Some(&sig),
        };
        assert_eq!(
            verify_request(&p, "GET", "/v1/sync", now, secret_of),
            Err(AuthError::Missing(H_TIMESTAMP))
        );
        let negative = Presented {
            timestamp: Some("-9223372036854775808"),
            ..p
        };
        assert_eq!(
            verify_request(&negative, "GET", "/v1/sync", now, secret_of),
            Err(AuthError::Missing(H_TIMESTAMP))
        );
    }

    #[test]
    fn a_nonce_is_taken_once_within_the_window_and_forgotten_after() {
        let mut cache = NonceCache::new(3);
        let v = |n: &str, ts: i64| Verified {
            cons_id: "k1".into(),
            nonce: n.into(),
            timestamp: ts,
            content_sha256: String::new(),
        };
        let now = 1_000_000;
        assert_eq!(cache.check_and_remember(&v("a", now), now), Ok(()));
        assert_eq!(
            cache.check_and_remember(&v("a", now), now + 10),
            Err(AuthError::Replayed)
        );
        // Another kiosk may use the same nonce.
        let other = Verified {
            cons_id: "k2".into(),
            ..v("a", now)
        };
        assert_eq!(cache.check_and_remember(&other, now), Ok(()));
        assert_eq!(cache.check_and_remember(&v("b", now), now), Ok(()));
        assert_eq!(
            cache.check_and_remember(&v("c", now), now),
            Err(AuthError::Busy)
        );
        // Once the window has passed, the old nonces go and room returns.
        let later = now + WINDOW_SECS + 1;
        assert_eq!(cache.check_and_remember(&v("c", later), later), Ok(()));
        assert_eq!(cache.len(), 1);
    }
}
