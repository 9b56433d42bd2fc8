//! The kiosk's HTTP client for the hub: authenticated calls, bounded answers.
//!
//! reqwest with rustls (no OpenSSL), trusting only the hub's certificate
//! ([`super::tls::HubEndpoint`]). Every call is signed for its method, path, query and body
//! with a fresh nonce ([`super::auth`]). Nothing the hub sends is trusted to be small: a
//! download is capped in bytes and in time, and error and acknowledgement bodies are read
//! only up to a few KiB. A download restarts from zero every time (the file is truncated),
//! so an interrupted one leaves nothing that could be mistaken for a whole answer.

use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::sealed::SealedFile;
use super::tls::HubEndpoint;
use super::{SyncError, auth, keys, unix_now};
use crate::store::OutboxEntry;

/// What the signed acknowledgement of a request covers, after this prefix.
pub const ACK_CONTEXT: &str = "ANJUNGAN-ACK-2\n";

/// What a request's content digest covers, after this prefix.
pub const REQUEST_CONTEXT: &str = "ANJUNGAN-REQ-1\n";
/// The largest heartbeat receipt a kiosk reads.
pub const HEARTBEAT_ACK_MAX: usize = 1024;

/// Domain separation for the hub's signed answer to a heartbeat.
pub const HEARTBEAT_CONTEXT: &str = "ANJUNGAN-HEARTBEAT-1\n";

/// What the hub signs when it takes a heartbeat: the kiosk, the call's nonce and body
/// digest (so the answer is to this heartbeat and no other), and when it was taken.
pub fn heartbeat_ack_message(
    cons_id: &str,
    nonce: &str,
    content_sha256: &str,
    received_at: &str,
) -> String {
    format!("{HEARTBEAT_CONTEXT}{cons_id}\n{nonce}\n{content_sha256}\n{received_at}")
}

/// The hub's answer to a heartbeat.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HeartbeatAck {
    pub ok: bool,
    pub received_at: String,
    /// Base64 Ed25519 signature of [`heartbeat_ack_message`].
    pub signature: String,
}

/// The most of an error answer the kiosk reads (and keeps, in `sync_meta` and the outbox).
pub const ERROR_BODY_MAX: usize = 4 * 1024;
/// The most of an acknowledgement the kiosk reads.
pub const ACK_BODY_MAX: usize = 16 * 1024;

/// The bytes an acknowledgement's signature covers: the reference, the state, the reason
/// and the digest of the request as the hub stored it.
pub fn ack_message(reference: &str, state: &str, reason: Option<&str>, content: &str) -> String {
    format!(
        "{ACK_CONTEXT}{reference}\n{state}\n{}\n{content}",
        reason.unwrap_or_default()
    )
}

/// `value` as JSON with every object's keys sorted and no spaces: the same text for the
/// same value on kiosk and hub, whatever order the keys arrived in.
pub fn canonical_json(value: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(k.as_str()).to_string());
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// The SHA-256 (hex) of a change request's content: what the kiosk accepted from the
/// member, and what the hub must have stored. Both sides compute it the same way.
pub fn request_digest(
    reference: &str,
    kind: &str,
    card_no: &str,
    change: &Value,
    created_at: &str,
) -> String {
    let text = format!(
        "{REQUEST_CONTEXT}{reference}\n{kind}\n{card_no}\n{}\n{created_at}",
        canonical_json(change)
    );
    super::payload::hex(&Sha256::digest(text.as_bytes()))
}

/// The digest of an outbox entry as the kiosk accepted it.
pub fn entry_digest(entry: &OutboxEntry) -> String {
    let change = serde_json::from_str(&entry.payload).unwrap_or(Value::Null);
    request_digest(
        &entry.reference,
        &entry.kind,
        &entry.card_no,
        &change,
        &entry.created_at,
    )
}

/// The body of `POST /v1/requests`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitBody {
    pub reference: String,
    pub kind: String,
    pub card_no: String,
    /// The change, as a JSON object.
    pub change: Value,
    pub created_at: String,
    /// [`request_digest`] of the above, as the kiosk computed it.
    pub content_sha256: String,
}

impl SubmitBody {
    /// [`request_digest`] of this body's content.
    pub fn digest(&self) -> String {
        request_digest(
            &self.reference,
            &self.kind,
            &self.card_no,
            &self.change,
            &self.created_at,
        )
    }
}

/// The hub's answer to a submitted request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ack {
    pub reference: String,
    /// `RECEIVED`, `APPROVED` or `REJECTED`.
    pub state: String,
    pub reason: Option<String>,
    /// When the hub first received it (a repeat gets the first answer).
    pub received_at: String,
    /// Whether this submit was a repeat.
    pub duplicate: bool,
    /// [`request_digest`] of the request as the hub stored it.
    pub content_sha256: String,
    /// Base64 Ed25519 signature of [`ack_message`].
    pub signature: String,
}

/// How much a kiosk takes from its hub.
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    /// The most bytes one sync download may have.
    pub max_download: u64,
    pub connect_timeout: Duration,
    /// The longest wait for the next bytes of an answer.
    pub read_timeout: Duration,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            max_download: 1024 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
        }
    }
}

/// Talks to one hub as one kiosk.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    endpoint: HubEndpoint,
    cons_id: String,
    secret: String,
    key: VerifyingKey,
    limits: ClientLimits,
}

impl HubClient {
    pub fn new(
        endpoint: &HubEndpoint,
        cons_id: &str,
        secret: &str,
        key: VerifyingKey,
        limits: ClientLimits,
    ) -> Result<Self, SyncError> {
        let http = endpoint.client(limits.connect_timeout, limits.read_timeout)?;
        Ok(Self {
            http,
            endpoint: endpoint.clone(),
            cons_id: cons_id.to_owned(),
            secret: secret.to_owned(),
            key,
            limits,
        })
    }

    /// The pinned hub key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    pub fn base(&self) -> &str {
        self.endpoint.base()
    }

    /// The hub's address and how it is reached.
    pub fn endpoint(&self) -> &HubEndpoint {
        &self.endpoint
    }

    /// The hub key this client believes.
    pub fn pinned_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Sends a signed call to `path` with `body` and the call's `nonce`.
    pub(super) async fn send_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        nonce: &str,
    ) -> Result<reqwest::Response, SyncError> {
        let url = self.url(path, &[])?;
        self.send(method, url, body, nonce, None).await
    }

    /// Reads at most `max` bytes of an answer.
    pub(super) async fn read_answer(
        &self,
        resp: reqwest::Response,
        max: usize,
    ) -> Result<Vec<u8>, SyncError> {
        read_capped(resp, max).await
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<reqwest::Url, SyncError> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.endpoint.base()))
            .map_err(|e| SyncError::Network(e.to_string()))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends `method url` with `body`, signed for exactly these.
    async fn send(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        body: Vec<u8>,
        nonce: &str,
        from_byte: Option<u64>,
    ) -> Result<reqwest::Response, SyncError> {
        let path_and_query = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let sha = auth::body_sha256(&body);
        let call = auth::CallLine {
            method: method.as_str(),
            path_and_query: &path_and_query,
            content_sha256: &sha,
        };
        let headers = auth::sign_request(&self.cons_id, &self.secret, unix_now(), nonce, &call);
        let mut rb = self.http.request(method, url);
        for (h, v) in headers {
            rb = rb.header(h, v);
        }
        if let Some(from) = from_byte.filter(|f| *f > 0) {
            rb = rb.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        if !body.is_empty() {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        // Seconds only (not an HTTP date), at most a day: a hostile hub cannot park a kiosk.
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| s.min(86_400));
        let text = read_capped(resp, ERROR_BODY_MAX).await.unwrap_or_default();
        let body: Value = serde_json::from_slice(&text).unwrap_or(Value::Null);
        let clip = |s: &str| s.chars().take(300).collect::<String>();
        Err(SyncError::Hub {
            status,
            code: body["error"]
                .as_str()
                .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_graphic()))
                .unwrap_or("HTTP_ERROR")
                .to_owned(),
            message: body["message_en"]
                .as_str()
                .map_or_else(|| format!("HTTP {status}"), clip),
            retry_after,
        })
    }

    /// `GET /v1/sync`: writes the (still unverified) answer to `dest`; returns its size.
    /// Refuses an answer over the size limit as soon as it shows (its `Content-Length`, or
    /// the bytes so far), removing what was written.
    pub async fn download(
        &self,
        since: i64,
        epoch: &str,
        nonce: &str,
        regions: Option<&[String]>,
        channel: Option<&str>,
        dest: &SealedFile,
    ) -> Result<u64, SyncError> {
        let since = since.to_string();
        let regions = regions.map(|r| r.join(","));
        let mut query = vec![
            ("since", since.as_str()),
            ("epoch", epoch),
            ("nonce", nonce),
        ];
        if let Some(r) = &regions {
            query.push(("regions", r.as_str()));
        }
        // The kiosk's update channel: the hub offers that channel's bundle (absent: none).
        if let Some(c) = channel {
            query.push(("channel", c));
        }
        let url = self.url("/v1/sync", &query)?;
        let resp = self
            .send(reqwest::Method::GET, url, Vec::new(), &super::nonce(), None)
            .await?;
        let max = self.limits.max_download;
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(SyncError::TooLarge { limit: max });
        }
        let result = async {
            let mut file = dest.create().await?;
            let mut stream = resp.bytes_stream();
            let mut size = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| SyncError::Network(e.to_string()))?;
                size += chunk.len() as u64;
                if size > max {
                    return Err(SyncError::TooLarge { limit: max });
                }
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            Ok(size)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(dest.path()).await;
        }
        result
    }

    /// `GET /v1/updates/{sha256}` from byte `from` on (a `Range` request; 0: the whole
    /// bundle). The answer is the hub's; the caller checks what it says it holds.
    pub async fn get_bundle(
        &self,
        sha256: &str,
        from: u64,
    ) -> Result<reqwest::Response, SyncError> {
        let url = self.url(&format!("/v1/updates/{sha256}"), &[])?;
        self.send(
            reqwest::Method::GET,
            url,
            Vec::new(),
            &super::nonce(),
            Some(from),
        )
        .await
    }

    /// `POST /v1/requests`: delivers one request. The answer must be signed by the pinned
    /// key and name the digest of exactly this request.
    pub async fn submit(&self, entry: &OutboxEntry) -> Result<Ack, SyncError> {
        let mut body = SubmitBody {
            reference: entry.reference.clone(),
            kind: entry.kind.clone(),
            card_no: entry.card_no.clone(),
            change: serde_json::from_str(&entry.payload).unwrap_or(Value::Null),
            created_at: entry.created_at.clone(),
            content_sha256: String::new(),
        };
        body.content_sha256 = body.digest();
        let bytes = serde_json::to_vec(&body).map_err(|e| SyncError::Network(e.to_string()))?;
        let resp = self
            .send(
                reqwest::Method::POST,
                self.url("/v1/requests", &[])?,
                bytes,
                &super::nonce(),
                None,
            )
            .await?;
        let text = read_capped(resp, ACK_BODY_MAX).await?;
        let ack: Ack = serde_json::from_slice(&text).map_err(|_| SyncError::BadAck)?;
        let message = ack_message(
            &ack.reference,
            &ack.state,
            ack.reason.as_deref(),
            &ack.content_sha256,
        );
        if ack.reference != entry.reference
            || !keys::verify_b64(&self.key, message.as_bytes(), &ack.signature)
        {
            return Err(SyncError::BadAck);
        }
        if ack.content_sha256 != body.content_sha256 {
            return Err(SyncError::AckMismatch {
                hub: ack.content_sha256,
                kiosk: body.content_sha256,
            });
        }
        Ok(ack)
    }

    /// `POST /v1/heartbeat` with a health summary object.
    pub async fn heartbeat(&self, health: &Value) -> Result<HeartbeatAck, SyncError> {
        let bytes = serde_json::to_vec(health).map_err(|e| SyncError::Network(e.to_string()))?;
        let sha = auth::body_sha256(&bytes);
        let nonce = super::nonce();
        let resp = self
            .send(
                reqwest::Method::POST,
                self.url("/v1/heartbeat", &[])?,
                bytes,
                &nonce,
                None,
            )
            .await?;
        let text = read_capped(resp, HEARTBEAT_ACK_MAX).await?;
        // Only the pinned key's answer to this very call counts as heard.
        let ack: HeartbeatAck = serde_json::from_slice(&text).map_err(|_| SyncError::BadAck)?;
        let message = heartbeat_ack_message(&self.cons_id, &nonce, &sha, &ack.received_at);
        if !ack.ok || !keys::verify_b64(&self.key, message.as_bytes(), &ack.signature) {
            return Err(SyncError::BadAck);
        }
        Ok(ack)
    }
}

/// Reads at most `max` bytes of an answer; a longer one is cut there (and its connection
/// dropped).
async fn read_capped(resp: reqwest::Response, max: usize) -> Result<Vec<u8>, SyncError> {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| SyncError::Network(e.to_string()))?;
        let room = max - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= max {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_request_digest_ignores_key_order_and_nothing_else() {
        let a = json!({"to": "3273P002", "from": "3273P001", "effective_date": "2026-12-01"});
        let b: Value = serde_json::from_str(
            r#"{"effective_date":"2026-12-01","from":"3273P001","to":"3273P002"}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&a),
            r#"{"effective_date":"2026-12-01","from":"3273P001","to":"3273P002"}"#
        );
        let d = |c: &Value| request_digest("AJ-1", "FKTP", "0001", c, "2026-11-22T03:00:00+00:00");
        assert_eq!(d(&a), d(&b));
        let altered = json!({"to": "3273P009", "from": "3273P001", "effective_date": "2026-12-01"});
        assert_ne!(d(&a), d(&altered));
        assert_ne!(
            d(&a),
            request_digest("AJ-1", "FKTP", "0002", &a, "2026-11-22T03:00:00+00:00")
        );
        // Fields cannot slide into each other.
        assert_ne!(
            request_digest("AJ-1", "FKTP\n0001", "", &a, "t"),
            request_digest("AJ-1", "FKTP", "\n0001", &a, "t")
        );
    }
}
