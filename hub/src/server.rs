//! The hub's HTTP API (axum): `GET /v1/sync`, `POST /v1/requests`, `POST /v1/heartbeat`
//! (a kiosk's health report, answered with a signed receipt).
//!
//! Served over TLS (rustls) by its own accept loop ([`serve_listener`]), which bounds what a
//! hostile client can hold: a connection cap, a TLS handshake deadline, a header-read
//! timeout, an idle timeout on every connection, and per-endpoint body caps read with a
//! deadline. Every call is authenticated (request-bound BPJS-style headers,
//! [`anjungan_core::sync::auth`]) before its body is read, and a nonce is taken only once. Sync
//! answers are produced by a blocking thread inside one read transaction and streamed,
//! compressed, as they are written; the signature comes last. Errors are JSON:
//! `{"error": CODE, "message": Indonesian, "message_en": English}`, 404 and 405 included.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;

use anjungan_core::report::DiagReport;
use anjungan_core::sync::auth::{self, AuthError, Verified};
use anjungan_core::sync::client::{HeartbeatAck, SubmitBody, heartbeat_ack_message};
use anjungan_core::sync::keys;

use crate::HubError;
use crate::kiosks::Kiosks;
use crate::store::{Ask, HubStore, LookupOutcome, LookupQuery};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The media type of a sync answer.
pub const SYNC_CONTENT_TYPE: &str = "application/vnd.anjungan.sync+gzip";

/// What every handler shares. The state is all in the store, so any number of hubs
/// over one PostgreSQL database answer alike.
pub struct Hub {
    store: Arc<dyn HubStore>,
    key: SigningKey,
    kiosks: Kiosks,
    body_read: Duration,
    lookup_key: [u8; 32],
    console_idle_secs: i64,
    console_flag_after_days: i64,
}

impl Hub {
    pub fn new(store: Arc<dyn HubStore>, key: SigningKey, kiosks: Kiosks) -> Self {
        // The lookup log's hash key: derived from the signing key, so every replica (which
        // holds the same key) names an identifier the same way, and nobody without the key
        // can turn a hash back into a NIK by trying them all.
        let lookup_key = Sha256::new()
            .chain_update(b"ANJUNGAN-LOOKUP-KEY-1")
            .chain_update(key.to_bytes())
            .finalize()
            .into();
        Self {
            store,
            key,
            kiosks,
            body_read: BODY_READ_TIMEOUT,
            lookup_key,
            console_idle_secs: crate::staff::SESSION_IDLE_SECS,
            console_flag_after_days: 3,
        }
    }

    /// The console's idle time (a session unused this long has ended) and the working days
    /// after which a waiting request is flagged.
    pub fn with_console(mut self, idle_secs: i64, flag_after_days: i64) -> Self {
        self.console_idle_secs = idle_secs.max(60);
        self.console_flag_after_days = flag_after_days.max(0);
        self
    }

    pub(crate) fn store(&self) -> Arc<dyn HubStore> {
        Arc::clone(&self.store)
    }

    pub(crate) fn kiosks(&self) -> &Kiosks {
        &self.kiosks
    }

    pub(crate) fn console_idle_secs(&self) -> i64 {
        self.console_idle_secs
    }

    pub(crate) fn console_flag_after_days(&self) -> i64 {
        self.console_flag_after_days
    }

    /// The keyed hash an identifier is counted and logged under (hex).
    pub fn lookup_hash(&self, id: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.lookup_key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        anjungan_core::sync::payload::hex(&mac.finalize().into_bytes())
    }

    /// Sets how long a client may take to send a request body.
    pub fn with_body_read_timeout(mut self, d: Duration) -> Self {
        self.body_read = d;
        self
    }
}

/// The router, for tests and for [`serve`].
pub fn router(hub: Arc<Hub>) -> Router {
    Router::new()
        .route("/v1/sync", get(sync))
        .route("/v1/time", get(time))
        .route("/v1/requests", post(submit))
        .route("/v1/heartbeat", post(heartbeat))
        .route("/v1/lookup", post(lookup))
        .route("/v1/updates/{sha256}", get(bundle))
        .nest("/console", crate::console::router())
        .route("/console/", get(crate::console::home))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(hub)
}

/// `GET /v1/time`: no content, no authentication. It tells a kiosk's diagnostics that the
/// hub answers and, through the `Date` header, how far the clocks differ (a signed request
/// outside ±300 s is refused). It reveals nothing else, and it keeps the probe from
/// knocking on an authenticated path (which logged `AUTH_MISSING` every cycle).
async fn time() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "NOT_FOUND",
        id: "Alamat ini tidak ada di hub. Periksa versi anjungan.".into(),
        en: "No such address on this hub. Check the kiosk's version.".into(),
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "METHOD_NOT_ALLOWED",
        id: "Metode HTTP ini tidak diterima untuk alamat ini.".into(),
        en: "This HTTP method is not accepted at this address.".into(),
    }
}

/// What one client may hold of the hub.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// The longest a TLS handshake may take.
    pub handshake: Duration,
    /// The longest a client may take to send a request's headers, also between requests.
    pub header_read: Duration,
    /// A connection that moves no byte either way for this long is closed.
    pub idle: Duration,
}

/// The longest a client may take to send a request body, unless
/// [`Hub::with_body_read_timeout`] says otherwise.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(20);

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            handshake: Duration::from_secs(10),
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }
    }
}

/// How the hub listens.
#[derive(Clone)]
pub struct ServeOptions {
    /// `None`: plain HTTP (only ever on a loopback address; the CLI enforces it).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub limits: ServerLimits,
}

/// Binds `addr` and serves until the process is stopped.
pub async fn serve(hub: Arc<Hub>, addr: SocketAddr, options: ServeOptions) -> Result<(), HubError> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(%local, scheme, "hub listening");
    // Tests and scripts read this line to learn the port when ADDR ends in :0.
    eprintln!("hub listening on {scheme}://{local}");
    serve_listener(listener, router(hub), options, std::future::pending()).await
}

/// The accept loop: TLS (when configured), then HTTP/1.1 with the limits, until `stop`.
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    app: Router,
    options: ServeOptions,
    stop: impl Future<Output = ()>,
) -> Result<(), HubError> {
    let limits = options.limits;
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let acceptor = options.tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut stop => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before accept: wait a
                    // moment instead of spinning, and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, "connection cap reached; closing a new connection");
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let io = IdleTimeout::new(tcp, limits.idle);
            match acceptor {
                Some(acceptor) => {
                    match tokio::time::timeout(limits.handshake, acceptor.accept(io)).await {
                        Ok(Ok(tls)) => serve_connection(tls, app, limits).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
                None => serve_connection(io, app, limits).await,
            }
        });
    }
}

async fn serve_connection<IO>(io: IO, app: Router, limits: ServerLimits)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper_util::service::TowerToHyperService::new(app);
    let result = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_buf_size(64 * 1024)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended");
    }
}

/// A connection that fails with `TimedOut` once no byte has moved either way for `idle`:
/// a half-open peer, a client that stopped reading, or a keep-alive left hanging.
struct IdleTimeout<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<T> IdleTimeout<T> {
    fn new(inner: T, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Ready(r) => {
                if matches!(r, Ok(n) if n > 0) {
                    self.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
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

/// An error answer with `Retry-After: secs`.
fn retry_after(secs: i64, error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(secs.max(0)));
    response
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
            AuthError::OldSignature => (
                "Anjungan memakai protokol lama (tanda tangan consId&timestamp). Perbarui anjungan.".into(),
                "The kiosk signs the old way (consId&timestamp only). Update the kiosk.".into(),
            ),
            AuthError::Replayed => (
                "Permintaan ini sudah pernah diterima (nonce dipakai ulang); ditolak.".into(),
                "This request was already received (nonce reused); refused.".into(),
            ),
            AuthError::ContentMismatch => (
                "Isi permintaan tidak sesuai dengan X-content-sha256; ditolak.".into(),
                "The request body does not match X-content-sha256; refused.".into(),
            ),
            AuthError::Busy => (
                "Hub sedang menerima terlalu banyak permintaan. Coba lagi sebentar lagi.".into(),
                "The hub is receiving too many requests. Try again shortly.".into(),
            ),
        };
        Self {
            status: if e == AuthError::Busy {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::UNAUTHORIZED
            },
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
            HubError::ContentMismatch(r) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "CONTENT_MISMATCH",
                id: format!(
                    "Ringkasan isi permohonan {r} tidak cocok dengan isinya; ditolak dan dicatat."
                ),
                en: format!(
                    "The content digest of request {r} does not match its content; refused and flagged."
                ),
            },
            HubError::BadRequest(m) => bad_request(&m),
            HubError::InvalidRequest { code, reason } => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code,
                id: format!("Permohonan ditolak hub: {reason}"),
                en: format!("The hub refused the request: {reason}"),
            },
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

fn too_large(max: usize) -> ApiError {
    ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "BODY_TOO_LARGE",
        id: format!("Isi permintaan melebihi {max} byte."),
        en: format!("The request body is over {max} bytes."),
    }
}

/// Checks the call's credentials against its request line, then takes its nonce (in the
/// store, on a blocking thread: with PostgreSQL it is a write every replica sees). Reads
/// nothing of the body.
async fn authenticate(hub: &Arc<Hub>, parts: &Parts) -> Result<Verified, ApiError> {
    let h = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let presented = auth::Presented {
        cons_id: h(auth::H_CONS_ID),
        timestamp: h(auth::H_TIMESTAMP),
        nonce: h(auth::H_NONCE),
        content_sha256: h(auth::H_CONTENT_SHA256),
        signature: h(auth::H_SIGNATURE),
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |p| p.as_str());
    let now = anjungan_core::sync::unix_now();
    // A kiosk registered in the store (console, `anjungan-hub kiosks`) wins over the
    // kiosks file: its secret, or its revocation. A store that cannot answer refuses the
    // call (a revoked kiosk must not slip in through the file meanwhile).
    let registered = match presented.cons_id {
        Some(id) if crate::kiosks::check_cons_id(id).is_ok() => {
            let (worker, id) = (Arc::clone(hub), id.to_owned());
            tokio::task::spawn_blocking(move || worker.store.kiosk(&id))
                .await
                .map_err(|_| AuthError::Busy)?
                .map_err(|e| {
                    tracing::warn!(error = %e, "the kiosk registry did not answer");
                    AuthError::Busy
                })?
        }
        _ => None,
    };
    let verified =
        auth::verify_request(
            &presented,
            parts.method.as_str(),
            target,
            now,
            |c| match &registered {
                Some(k) if k.cons_id == c => (!k.revoked).then_some(k.secret.as_str()),
                _ => hub.kiosks.secret(c),
            },
        )
        .inspect_err(|e| tracing::warn!(code = e.code(), "refused a call"))?;
    let worker = Arc::clone(hub);
    let taken = tokio::task::spawn_blocking(move || {
        worker.store.take_nonce(&verified, now).map(|()| verified)
    })
    .await
    .unwrap_or(Err(AuthError::Busy))
    .inspect_err(|e| tracing::warn!(code = e.code(), "refused a call"))?;
    Ok(taken)
}

/// Reads an authenticated call's body: at most `max` bytes, within the body deadline, and
/// it must be the body that was signed.
async fn read_body(hub: &Hub, who: &Verified, body: Body, max: usize) -> Result<Bytes, ApiError> {
    let bytes = match tokio::time::timeout(hub.body_read, axum::body::to_bytes(body, max)).await {
        Err(_) => {
            return Err(ApiError {
                status: StatusCode::REQUEST_TIMEOUT,
                code: "BODY_TIMEOUT",
                id: "Isi permintaan terlalu lambat dikirim.".into(),
                en: "The request body arrived too slowly.".into(),
            });
        }
        Ok(Err(_)) => return Err(too_large(max)),
        Ok(Ok(b)) => b,
    };
    who.check_body(&bytes)
        .inspect_err(|e| tracing::warn!(code = e.code(), "refused a call"))?;
    Ok(bytes)
}

/// Refuses a declared body over `max` before anything is read.
fn declared_within(parts: &Parts, max: usize) -> Result<(), ApiError> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max as u64 => Err(too_large(max)),
        _ => Ok(()),
    }
}

/// Body caps per endpoint.
pub const LOOKUP_BODY_MAX: usize = 1024;
pub const SUBMIT_BODY_MAX: usize = 16 * 1024;
pub const HEARTBEAT_BODY_MAX: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
struct SyncQuery {
    #[serde(default)]
    since: i64,
    #[serde(default)]
    epoch: String,
    nonce: String,
    /// `3204,3273`: the kiosk's regions; absent: all.
    #[serde(default)]
    regions: Option<String>,
    /// The kiosk's update channel; absent: it takes no updates from the hub.
    #[serde(default)]
    channel: Option<String>,
}

async fn sync(State(hub): State<Arc<Hub>>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let who = authenticate(&hub, &parts).await?;
    declared_within(&parts, 0)?;
    read_body(&hub, &who, body, 0).await?;
    let cons_id = who.cons_id;
    let Query(q) =
        Query::<SyncQuery>::try_from_uri(&parts.uri).map_err(|e| bad_request(&e.body_text()))?;
    if q.nonce.is_empty() || q.nonce.len() > 128 || q.epoch.len() > 128 {
        return Err(bad_request("nonce must be 1–128 characters"));
    }
    let regions = match &q.regions {
        Some(list) => {
            let list: Vec<&str> = list.split(',').collect();
            anjungan_core::sync::regions::parse_regions(&list).map_err(|e| bad_request(&e))?
        }
        None => None,
    };
    if let Some(c) = &q.channel {
        anjungan_core::update::check_channel(c).map_err(|e| bad_request(&e))?;
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let worker = Arc::clone(&hub);
    tokio::task::spawn_blocking(move || {
        let mut sink = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        // The channel's newest bundle, when its rollout reaches this kiosk. A store that
        // cannot say offers nothing this time (the data still goes out).
        let offer = q.channel.as_deref().and_then(|c| {
            worker
                .store
                .update_latest(c)
                .inspect_err(|e| tracing::warn!(error = %e, "update offer not read"))
                .ok()
                .flatten()
                .and_then(|row| crate::updates::offer_for(Some(&row), &cons_id))
        });
        let ask = Ask {
            since: q.since,
            epoch: &q.epoch,
            nonce: &q.nonce,
            cons_id: &cons_id,
            regions: regions.as_deref(),
            update: offer.as_ref(),
        };
        match worker.store.write_answer(&mut sink, &ask, &worker.key) {
            Ok(()) => {
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

/// `GET /v1/updates/{sha256}`: a bundle's bytes to an authenticated kiosk, all of them or
/// the `Range` asked for (206, to resume a broken download). Read chunk by chunk from the
/// store on a blocking thread and streamed. The kiosk checks the whole file against the
/// hash its signed sync answer named, so nothing here needs signing.
async fn bundle(
    State(hub): State<Arc<Hub>>,
    axum::extract::Path(sha256): axum::extract::Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let who = authenticate(&hub, &parts).await?;
    declared_within(&parts, 0)?;
    read_body(&hub, &who, body, 0).await?;
    if anjungan_core::update::check_sha256(&sha256).is_err() {
        return Err(no_bundle());
    }
    let worker = Arc::clone(&hub);
    let sha = sha256.clone();
    let row = tokio::task::spawn_blocking(move || worker.store.update(&sha))
        .await
        .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))??
        .ok_or_else(no_bundle)?;
    let range = parts
        .headers
        .get(header::RANGE)
        .map(|v| v.to_str().unwrap_or("?"));
    let (first, last, status) = match crate::updates::parse_range(range, row.size) {
        Ok(None) => (0, row.size - 1, StatusCode::OK),
        Ok(Some((a, b))) => (a, b, StatusCode::PARTIAL_CONTENT),
        Err(crate::updates::Unsatisfiable) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{}", row.size))],
            )
                .into_response());
        }
    };
    tracing::info!(cons_id = %who.cons_id, version = %row.version, first, "bundle download");
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let worker = Arc::clone(&hub);
    tokio::task::spawn_blocking(move || {
        let chunk = crate::updates::CHUNK;
        for index in first / chunk..=last / chunk {
            let data = match worker.store.update_chunk(&sha256, index) {
                Ok(Some(d)) => d,
                Ok(None) | Err(_) => {
                    // Removed meanwhile, or the store failed: the body ends short, and the
                    // kiosk resumes or starts over.
                    tracing::warn!(index, "bundle chunk not read");
                    let _ = tx.blocking_send(Err(std::io::Error::other("chunk missing")));
                    return;
                }
            };
            let start = index * chunk;
            let from = first.saturating_sub(start) as usize;
            let to = ((last + 1 - start) as usize).min(data.len());
            if from >= to {
                continue;
            }
            let piece = Bytes::from(data).slice(from..to);
            if tx.blocking_send(Ok(piece)).is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, last + 1 - first)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, format!("\"{}\"", row.sha256));
    if status == StatusCode::PARTIAL_CONTENT {
        response = response.header(
            header::CONTENT_RANGE,
            format!("bytes {first}-{last}/{}", row.size),
        );
    }
    response
        .body(Body::from_stream(stream))
        .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())).into())
}

fn no_bundle() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        code: "NO_SUCH_BUNDLE",
        id: "Paket pembaruan ini tidak ada di hub (mungkin sudah dihapus).".into(),
        en: "The hub holds no such update bundle (it may have been removed).".into(),
    }
}

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

async fn submit(State(hub): State<Arc<Hub>>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let who = authenticate(&hub, &parts).await?;
    declared_within(&parts, SUBMIT_BODY_MAX)?;
    let body = read_body(&hub, &who, body, SUBMIT_BODY_MAX).await?;
    let cons_id = who.cons_id;
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
    if anjungan_core::domain::CardNo::parse(&req.card_no).is_err() || !req.change.is_object() {
        return Err(bad_request(
            "card_no must be a JKN card number and change an object",
        ));
    }
    let worker = Arc::clone(&hub);
    let ack = tokio::task::spawn_blocking(move || worker.store.submit(&cons_id, &req, &worker.key))
        .await
        .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))??;
    tracing::info!(reference = %ack.reference, duplicate = ack.duplicate, "request received");
    Ok(axum::Json(ack).into_response())
}

async fn heartbeat(State(hub): State<Arc<Hub>>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let who = authenticate(&hub, &parts).await?;
    declared_within(&parts, HEARTBEAT_BODY_MAX)?;
    let body = read_body(&hub, &who, body, HEARTBEAT_BODY_MAX).await?;
    // A heartbeat is the kiosk's health report: read as one, or refused. What is stored is
    // the report as sent (a newer kiosk's fields kept).
    let report = match serde_json::from_slice::<DiagReport>(&body) {
        Ok(r) => r,
        Err(e) => {
            return Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "BAD_REPORT",
                id: format!("Isi heartbeat bukan laporan kesehatan anjungan: {e}"),
                en: format!("The heartbeat is not a kiosk health report: {e}"),
            });
        }
    };
    if report.counters.len() > 2 * anjungan_core::counters::MAX_PER_HEARTBEAT {
        return Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "BAD_REPORT",
            id: format!(
                "Heartbeat membawa {} hitungan; paling banyak {}.",
                report.counters.len(),
                2 * anjungan_core::counters::MAX_PER_HEARTBEAT
            ),
            en: format!(
                "The heartbeat carries {} counts; at most {}.",
                report.counters.len(),
                2 * anjungan_core::counters::MAX_PER_HEARTBEAT
            ),
        });
    }
    // The counts go to their own table; the fleet row keeps the report without them.
    let (counts, dropped) = crate::counts::checked(&report.counters);
    if dropped > 0 {
        tracing::warn!(cons_id = %who.cons_id, dropped, "heartbeat counts dropped as malformed or repeated");
    }
    let mut health: Value = parse_json(&body)?;
    if let Some(map) = health.as_object_mut() {
        map.remove("counters");
    }
    let Verified {
        cons_id,
        nonce,
        content_sha256,
        ..
    } = who;
    let worker = Arc::clone(&hub);
    let cons = cons_id.clone();
    tokio::task::spawn_blocking(move || {
        worker.store.heartbeat(&cons, &health)?;
        worker.store.record_counts(&cons, &counts)
    })
    .await
    .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))??;
    let received_at = chrono::Utc::now().to_rfc3339();
    let message = heartbeat_ack_message(&cons_id, &nonce, &content_sha256, &received_at);
    Ok(axum::Json(HeartbeatAck {
        ok: true,
        signature: keys::sign_b64(&hub.key, message.as_bytes()),
        received_at,
    })
    .into_response())
}

#[derive(Debug, Deserialize)]
struct LookupBody {
    id: String,
    birth_date: String,
}

/// `POST /v1/lookup`: a member from another region, by NIK or card and date of birth. An
/// exact match gets the family's rows in a signed payload bound to the call's nonce;
/// anything else `IDENTITY_MISMATCH`, the same for an unknown identifier and a wrong date.
/// Limited per kiosk (per minute) and per identifier across every kiosk and replica
/// ([`crate::store::LOOKUP_FAILURES`] failures lock it); logged under a keyed hash, never
/// the identifier.
async fn lookup(State(hub): State<Arc<Hub>>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let who = authenticate(&hub, &parts).await?;
    declared_within(&parts, LOOKUP_BODY_MAX)?;
    let body = read_body(&hub, &who, body, LOOKUP_BODY_MAX).await?;
    let q: LookupBody = parse_json(&body)?;
    let id = q.id.trim().to_owned();
    let valid_id = (id.len() == 16 || id.len() == 13) && id.bytes().all(|b| b.is_ascii_digit());
    let valid_date = chrono::NaiveDate::parse_from_str(&q.birth_date, "%Y-%m-%d").is_ok();
    if !valid_id || !valid_date {
        return Err(bad_request(
            "id must be a NIK (16 digits) or a JKN card number (13 digits), birth_date YYYY-MM-DD",
        ));
    }
    let key_hash = hub.lookup_hash(&id);
    let worker = Arc::clone(&hub);
    let cons_id = who.cons_id.clone();
    let hash = key_hash.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        worker.store.lookup(&LookupQuery {
            cons_id: &cons_id,
            key_hash: &hash,
            id: &id,
            birth_date: &q.birth_date,
            now: anjungan_core::sync::unix_now(),
        })
    })
    .await
    .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))??;
    let key = &key_hash[..16];
    match outcome {
        LookupOutcome::Found {
            family,
            epoch,
            version,
        } => {
            tracing::info!(key, outcome = "found", "lookup");
            let worker = Arc::clone(&hub);
            let nonce = who.nonce.clone();
            let cons_id = who.cons_id.clone();
            let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, HubError> {
                let header = anjungan_core::sync::payload::Header::new(
                    anjungan_core::sync::payload::Kind::Lookup,
                    &epoch,
                    0,
                    version,
                    anjungan_core::sync::unix_now(),
                    &nonce,
                    &cons_id,
                );
                let mut out = Vec::new();
                let mut w = anjungan_core::sync::payload::PayloadWriter::new(&mut out, &header)?;
                use anjungan_core::sync::tables::Op;
                for row in &family.members {
                    w.change("members", Op::Upsert, row)?;
                }
                for row in &family.bills {
                    w.change("bills", Op::Upsert, row)?;
                }
                w.finish(&worker.key)?;
                Ok(out)
            })
            .await
            .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))??;
            Ok(([(header::CONTENT_TYPE, SYNC_CONTENT_TYPE)], bytes).into_response())
        }
        LookupOutcome::Mismatch => {
            tracing::info!(key, outcome = "mismatch", "lookup");
            Err(ApiError {
                status: StatusCode::NOT_FOUND,
                code: "IDENTITY_MISMATCH",
                id: "Data tidak cocok: tidak ada peserta dengan nomor dan tanggal lahir ini."
                    .into(),
                en: "The details do not match: no member has this number and date of birth.".into(),
            })
        }
        LookupOutcome::Locked(secs) => {
            tracing::warn!(key, outcome = "locked", "lookup");
            Ok(retry_after(
                secs.max(1),
                ApiError {
                    status: StatusCode::LOCKED,
                    code: "IDENTITY_LOCKED",
                    id: format!(
                        "Nomor ini dikunci sementara ({} menit lagi) karena terlalu banyak percobaan yang tidak cocok.",
                        (secs + 59) / 60
                    ),
                    en: format!(
                        "This number is locked for a while ({} more minutes) after too many attempts that did not match.",
                        (secs + 59) / 60
                    ),
                },
            ))
        }
        LookupOutcome::Busy => {
            tracing::warn!(outcome = "rate_limited", "lookup");
            let into_next_minute = 60 - anjungan_core::sync::unix_now().rem_euclid(60);
            Ok(retry_after(into_next_minute, ApiError {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "LOOKUP_RATE_LIMITED",
                id: "Anjungan ini terlalu sering mencari peserta dari daerah lain. Coba lagi sebentar lagi.".into(),
                en: "This kiosk looked up members from other regions too often. Try again shortly.".into(),
            }))
        }
    }
}
