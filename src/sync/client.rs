//! The kiosk's HTTP client for the hub: authenticated calls, downloads to a file.
//!
//! reqwest with rustls (no OpenSSL). Every call carries fresh BPJS-style auth headers.
//! A download restarts from zero every time (the file is truncated), so an interrupted one
//! leaves nothing that could be mistaken for a whole answer.

use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::sealed::SealedFile;
use super::{SyncError, auth, keys, unix_now};
use crate::store::OutboxEntry;

/// What the signed acknowledgement of a request covers, after this prefix.
pub const ACK_CONTEXT: &str = "ANJUNGAN-ACK-1\n";

/// The bytes an acknowledgement's signature covers.
pub fn ack_message(reference: &str, state: &str, reason: Option<&str>) -> String {
    format!(
        "{ACK_CONTEXT}{reference}\n{state}\n{}",
        reason.unwrap_or_default()
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
    /// Base64 Ed25519 signature of [`ack_message`].
    pub signature: String,
}

/// Talks to one hub as one kiosk.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: String,
    cons_id: String,
    secret: String,
    key: VerifyingKey,
}

impl HubClient {
    pub fn new(
        base: &str,
        cons_id: &str,
        secret: &str,
        key: VerifyingKey,
    ) -> Result<Self, SyncError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SyncError::Network(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            cons_id: cons_id.to_owned(),
            secret: secret.to_owned(),
            key,
        })
    }

    /// The pinned hub key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn authed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        auth::sign_request(&self.cons_id, &self.secret, unix_now())
            .into_iter()
            .fold(rb, |rb, (h, v)| rb.header(h, v))
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> Result<reqwest::Response, SyncError> {
        let resp = self
            .authed(rb)
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        Err(SyncError::Hub {
            status,
            code: body["error"].as_str().unwrap_or("HTTP_ERROR").to_owned(),
            message: body["message_en"]
                .as_str()
                .map_or_else(|| format!("HTTP {status}"), str::to_owned),
        })
    }

    /// `GET /v1/sync`: writes the (still unverified) answer to `dest`; returns its size.
    pub async fn download(
        &self,
        since: i64,
        epoch: &str,
        nonce: &str,
        dest: &SealedFile,
    ) -> Result<u64, SyncError> {
        let rb = self.http.get(format!("{}/v1/sync", self.base)).query(&[
            ("since", since.to_string().as_str()),
            ("epoch", epoch),
            ("nonce", nonce),
        ]);
        let resp = self.send(rb).await?;
        let mut file = dest.create().await?;
        let mut stream = resp.bytes_stream();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| SyncError::Network(e.to_string()))?;
            size += chunk.len() as u64;
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        Ok(size)
    }

    /// `POST /v1/requests`: delivers one request; the answer must be signed by the pinned key.
    pub async fn submit(&self, entry: &OutboxEntry) -> Result<Ack, SyncError> {
        let body = SubmitBody {
            reference: entry.reference.clone(),
            kind: entry.kind.clone(),
            card_no: entry.card_no.clone(),
            change: serde_json::from_str(&entry.payload).unwrap_or(Value::Null),
            created_at: entry.created_at.clone(),
        };
        let rb = self
            .http
            .post(format!("{}/v1/requests", self.base))
            .json(&body);
        let resp = self.send(rb).await?;
        let ack: Ack = resp
            .json()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        let message = ack_message(&ack.reference, &ack.state, ack.reason.as_deref());
        if ack.reference != entry.reference
            || !keys::verify_b64(&self.key, message.as_bytes(), &ack.signature)
        {
            return Err(SyncError::BadAck);
        }
        Ok(ack)
    }

    /// `POST /v1/heartbeat` with a health summary object.
    pub async fn heartbeat(&self, health: &Value) -> Result<(), SyncError> {
        let rb = self
            .http
            .post(format!("{}/v1/heartbeat", self.base))
            .json(health);
        self.send(rb).await.map(|_| ())
    }
}
