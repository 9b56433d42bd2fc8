//! The hub's HTTP API (axum): `GET /v1/sync`, `POST /v1/requests`, `POST /v1/heartbeat`.
//!
//! Every call is authenticated (BPJS bridging headers, [`crate::sync::auth`]). Sync answers
//! are produced by a blocking thread inside one read transaction and streamed, compressed,
//! as they are written; the signature comes last. Errors are JSON:
//! `{"error": CODE, "message": Indonesian, "message_en": English}`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::HubError;
use super::kiosks::Kiosks;
use super::state::{self, HubStore};
use crate::sync::auth::{self, AuthError};
use crate::sync::client::SubmitBody;

/// The media type of a sync answer.
pub const SYNC_CONTENT_TYPE: &str = "application/vnd.anjungan.sync+gzip";

/// What every handler shares.
pub struct Hub {
    state_path: PathBuf,
    key: SigningKey,
    kiosks: Kiosks,
    writer: Mutex<HubStore>,
    readers: Mutex<Vec<Connection>>,
}

impl Hub {
    pub fn new(state_path: PathBuf, key: SigningKey, kiosks: Kiosks) -> Result<Self, HubError> {
        let writer = HubStore::open(&state_path)?;
        Ok(Self {
            state_path,
            key,
            kiosks,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    fn reader(&self) -> Result<Connection, HubError> {
        if let Some(c) = self.readers.lock().ok().and_then(|mut v| v.pop()) {
            return Ok(c);
        }
        let c =
            crate::store::open_connection_as(&self.state_path, crate::store::DbRole::Hub, false)?;
        Ok(c)
    }

    fn give_back(&self, c: Connection) {
        if let Ok(mut v) = self.readers.lock()
            && v.len() < 16
        {
            v.push(c);
        }
    }
}

/// The router, for tests and for [`serve`].
pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/v1/sync", get(sync))
        .route("/v1/requests", post(submit))
        .route("/v1/heartbeat", post(heartbeat))
        .with_state(hub)
}

/// Serves until the process is stopped.
pub async fn serve(hub: Arc<Hub>, addr: SocketAddr) -> Result<(), HubError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "hub listening");
    // Tests and scripts read this line to learn the port when ADDR ends in :0.
    eprintln!("hub listening on {}", listener.local_addr()?);
    axum::serve(listener, router(hub)).await?;
    Ok(())
}

/// An error answer.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    id: String,
    en: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({ "error": self.code, "message": self.id, "message_en": self.en })),
        )
            .into_response()
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let (id, en) = match e {
            AuthError::Missing(h) => (
                format!("Header {h} tidak ada atau salah bentuk."),
                format!("Header {h} is missing or malformed."),
            ),
            AuthError::UnknownKiosk => (
                "cons-id tidak dikenal hub ini. Periksa konfigurasi anjungan.".into(),
                "This hub does not know the cons-id. Check the kiosk's configuration.".into(),
            ),
            AuthError::BadSignature => (
                "Tanda tangan salah. Periksa secret anjungan.".into(),
                "Bad signature. Check the kiosk's secret.".into(),
            ),
            AuthError::StaleTimestamp => (
                "Waktu permintaan di luar ±300 detik. Periksa jam anjungan.".into(),
                "The request's timestamp is outside ±300 s. Check the kiosk's clock.".into(),
            ),
        };
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: e.code(),
            id,
            en,
        }
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::ReferenceConflict(r) => Self {
                status: StatusCode::CONFLICT,
                code: "REFERENCE_CONFLICT",
                id: format!("Nomor referensi {r} sudah dipakai untuk permohonan lain."),
                en: format!("Reference {r} was already used for a different request."),
            },
            HubError::BadRequest(m) => bad_request(&m),
            other => {
                tracing::error!(error = %other, "hub fault");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "HUB_ERROR",
                    id: "Hub sedang mengalami gangguan. Coba lagi nanti.".into(),
                    en: "The hub has a fault. Try again later.".into(),
                }
            }
        }
    }
}

fn bad_request(m: &str) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "BAD_REQUEST",
        id: format!("Permintaan tidak valid: {m}"),
        en: format!("Bad request: {m}"),
    }
}

fn authenticate(hub: &Hub, headers: &HeaderMap) -> Result<String, ApiError> {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    auth::verify_request(
        h(auth::H_CONS_ID),
        h(auth::H_TIMESTAMP),
        h(auth::H_SIGNATURE),
        crate::sync::unix_now(),
        |c| hub.kiosks.secret(c),
    )
    .inspect_err(|e| tracing::warn!(code = e.code(), "refused a call"))?;
    Ok(h(auth::H_CONS_ID).unwrap_or_default().to_owned())
}

#[derive(Debug, Deserialize)]
struct SyncQuery {
    #[serde(default)]
    since: i64,
    #[serde(default)]
    epoch: String,
    nonce: String,
}

async fn sync(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    query: Result<Query<SyncQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let cons_id = authenticate(&hub, &headers)?;
    let Query(q) = query.map_err(|e| bad_request(&e.body_text()))?;
    if q.nonce.is_empty() || q.nonce.len() > 128 || q.epoch.len() > 128 {
        return Err(bad_request("nonce must be 1–128 characters"));
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let worker = Arc::clone(&hub);
    tokio::task::spawn_blocking(move || {
        let mut conn = match worker.reader() {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                return;
            }
        };
        let sink = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        match state::write_answer(
            &mut conn,
            sink,
            q.since,
            &q.epoch,
            &q.nonce,
            &cons_id,
            &worker.key,
        ) {
            Ok(mut sink) => {
                if let Err(e) = sink.flush_chunk() {
                    tracing::debug!(error = %e, "client went away");
                }
            }
            Err(e) => {
                // The body ends without its signature: the kiosk refuses it.
                tracing::warn!(error = %e, "sync answer aborted");
                let _ = tx.blocking_send(Err(std::io::Error::other("aborted")));
            }
        }
        // A transaction left open by an abort is rolled back when `conn` is dropped.
        if conn.is_autocommit() {
            worker.give_back(conn);
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((
        [(header::CONTENT_TYPE, SYNC_CONTENT_TYPE)],
        Body::from_stream(stream),
    )
        .into_response())
}

const CHUNK: usize = 64 * 1024;

/// A `Write` that sends chunks to the response body; fails once the client is gone.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn flush_chunk(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush_chunk()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad_request(&e.to_string()))
}

async fn submit(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let cons_id = authenticate(&hub, &headers)?;
    let req: SubmitBody = parse_json(&body)?;
    let valid_ref = !req.reference.is_empty()
        && req.reference.len() <= 64
        && req
            .reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_ref {
        return Err(bad_request("reference must be 1–64 letters, digits or '-'"));
    }
    if !matches!(req.kind.as_str(), "FKTP" | "KELAS") {
        return Err(bad_request("kind must be FKTP or KELAS"));
    }
    if crate::domain::CardNo::parse(&req.card_no).is_err() || !req.change.is_object() {
        return Err(bad_request(
            "card_no must be a JKN card number and change an object",
        ));
    }
    let worker = Arc::clone(&hub);
    let ack = tokio::task::spawn_blocking(move || {
        let mut store = worker
            .writer
            .lock()
            .map_err(|_| HubError::BadRequest("hub state lock poisoned".into()))?;
        store.submit(&cons_id, &req, &worker.key)
    })
    .await
    .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))??;
    tracing::info!(reference = %ack.reference, duplicate = ack.duplicate, "request received");
    Ok(axum::Json(ack).into_response())
}

async fn heartbeat(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let cons_id = authenticate(&hub, &headers)?;
    let health: Value = parse_json(&body)?;
    if !health.is_object() || body.len() > 64 * 1024 {
        return Err(bad_request(
            "the health summary must be a JSON object under 64 KiB",
        ));
    }
    let worker = Arc::clone(&hub);
    tokio::task::spawn_blocking(move || {
        let mut store = worker
            .writer
            .lock()
            .map_err(|_| HubError::BadRequest("hub state lock poisoned".into()))?;
        store.heartbeat(&cons_id, &health)
    })
    .await
    .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))??;
    Ok(axum::Json(json!({ "ok": true })).into_response())
}
