//! Sync between kiosks and the hub (docs/sync-protocol.md).
//!
//! This module owns the wire: request authentication ([`auth`]), the hub's signing keys
//! ([`keys`]), the signed payload format ([`payload`]), the synced tables and how a change
//! is applied ([`tables`]), and the kiosk side: applying a verified payload in one
//! transaction ([`apply`]), the HTTP client ([`client`]), the encrypted download file
//! ([`sealed`]) and the background agent ([`agent`]). The hub server (the `anjungan-hub` crate) shares everything here.

pub mod agent;
pub mod apply;
pub mod auth;
pub mod client;
pub mod hubcheck;
pub mod keys;
pub mod lookup;
pub mod payload;
pub mod regions;
pub mod sealed;
pub mod tables;
pub mod tls;

pub use agent::{AgentConfig, CycleReport, SyncAgent, SyncStatus};

/// Why a sync cycle (or one step of it) failed. Nothing half-applied remains in any case.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The hub could not be reached, or the connection broke.
    #[error("cannot reach the hub: {0}")]
    Network(String),
    /// The hub answered with an error.
    #[error("the hub refused: {code}: {message}")]
    Hub {
        status: u16,
        code: String,
        message: String,
        /// The answer's `Retry-After`, in seconds (capped at a day), when it gave one.
        retry_after: Option<u64>,
    },
    /// The answer failed verification; it was not applied.
    #[error(transparent)]
    Payload(#[from] payload::PayloadError),
    /// A signed answer would move this kiosk backwards or does not fit its data.
    #[error("the answer does not fit this kiosk's data: {0}")]
    Mismatch(String),
    /// A request acknowledgement was not signed by the pinned key.
    #[error("the hub's acknowledgement is not signed by the pinned key")]
    BadAck,
    /// A validly signed acknowledgement (or decision) names other content than the kiosk
    /// accepted: the request was altered on the way or at the hub. Kept, never accepted.
    #[error("the hub holds different content for this request (hub {hub}, kiosk {kiosk})")]
    AckMismatch { hub: String, kiosk: String },
    /// The hub's answer grew past the configured limit; what arrived was removed.
    #[error("the hub's answer is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// The cycle ran past its overall deadline.
    #[error("the sync did not finish within {secs} s")]
    Deadline { secs: u64 },
    /// The hub's address or certificate cannot be used (nothing was sent).
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("applying failed: {0}")]
    Apply(#[from] tables::ApplyError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("local file: {0}")]
    Io(#[from] std::io::Error),
}

impl SyncError {
    /// The stable code shown to technicians and in `sync --json`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Network(_) => "HUB_UNREACHABLE",
            Self::Hub { .. } => "HUB_REFUSED",
            Self::Payload(p) => p.code(),
            Self::Mismatch(_) => "PAYLOAD_MISMATCH",
            Self::BadAck => "ACK_BAD_SIGNATURE",
            Self::AckMismatch { .. } => "ACK_CONTENT_MISMATCH",
            Self::TooLarge { .. } => "DOWNLOAD_TOO_LARGE",
            Self::Deadline { .. } => "SYNC_DEADLINE",
            Self::Tls(t) => t.code(),
            Self::Apply(_) => "APPLY_FAILED",
            Self::Store(_) => "STORE_ERROR",
            Self::Io(_) => "LOCAL_IO",
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh random nonce (128 bits, hex).
pub fn nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    payload::hex(&bytes)
}
