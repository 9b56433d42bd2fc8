//! The wire, tried as an attacker would (issue: trust). Over real sockets on 127.0.0.1:
//! - request-bound authentication: a captured header set replayed twice, on another path
//!   or query, or with another body, is refused; so is the protocol-1 signature;
//! - TLS: the hub serves nothing in clear unless `--plain-http` on loopback; kiosks refuse
//!   plain `http://` to other hosts and other schemes before connecting, and trust only
//!   the hub's own certificate;
//! - a change request altered between kiosk and hub is never marked SENT, even by an
//!   attacker holding the kiosk's secret (the signed ack names the stored content);
//! - hostile hubs: an endless download, an endless error body, a trickled answer;
//! - hostile clients: idle and half-open connections, slow headers, a connection flood,
//!   huge and slow bodies; 404/405 answer JSON.

mod common;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anjungan::hub::kiosks::Kiosks;
use anjungan::hub::server::{Hub, ServeOptions, ServerLimits, router, serve_listener};
use anjungan::hub::{HubStore, SqliteHub};
use anjungan::store::{OutboxState, Store};
use anjungan::sync::agent::{AgentConfig, SyncAgent};
use anjungan::sync::auth::{self, CallLine};
use anjungan::sync::client::ClientLimits;
use anjungan::sync::keys;
use anjungan::sync::tls::{self, HubEndpoint};
use common::{BIN, SECRET, fixture, imported_db, today};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A hub in this process, on 127.0.0.1, with its own certificate and key.
struct InHub {
    rt: tokio::runtime::Runtime,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    key: ed25519_dalek::SigningKey,
    tls: bool,
}

impl InHub {
    fn start(limits: ServerLimits, body_read: Duration, with_tls: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("hub.db");
        let store = SqliteHub::open(&state).unwrap();
        store.import(&fixture(), today()).unwrap();
        let key = keys::generate();
        let kiosks = Kiosks::parse(&format!(
            "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET}\"\n"
        ))
        .unwrap();
        let hub = Arc::new(
            Hub::new(Arc::new(store), key.clone(), kiosks).with_body_read_timeout(body_read),
        );
        let (cert, tls_key) = tls::self_signed(&[]).unwrap();
        std::fs::write(dir.path().join("tls.crt"), cert).unwrap();
        std::fs::write(dir.path().join("tls.key"), tls_key).unwrap();
        let config =
            tls::server_config(&dir.path().join("tls.crt"), &dir.path().join("tls.key")).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let options = ServeOptions {
            tls: with_tls.then(|| Arc::new(config)),
            limits,
        };
        rt.spawn(serve_listener(
            listener,
            router(hub),
            options,
            std::future::pending(),
        ));
        Self {
            rt,
            addr,
            dir,
            key,
            tls: with_tls,
        }
    }

    fn default_tls() -> Self {
        Self::start(ServerLimits::default(), Duration::from_secs(20), true)
    }

    fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://127.0.0.1:{}", self.addr.port())
        }
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }

    fn store(&self) -> SqliteHub {
        SqliteHub::open(&self.dir.path().join("hub.db")).unwrap()
    }

    fn client(&self) -> reqwest::Client {
        HubEndpoint::new(&self.url(), Some(&self.ca()))
            .unwrap()
            .client(Duration::from_secs(5), Duration::from_secs(10))
            .unwrap()
    }

    fn public_key_file(&self) -> PathBuf {
        let path = self.dir.path().join("hub.pub");
        keys::write_pair(&self.key, &self.dir.path().join("pair")).unwrap();
        std::fs::copy(self.dir.path().join("pair/hub.pub"), &path).unwrap();
        path
    }
}

/// The five auth headers for `method target` with `body`, as a kiosk would send them.
fn headers_for(method: &str, target: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let sha = auth::body_sha256(body);
    auth::sign_request(
        "k1",
        SECRET,
        chrono::Utc::now().timestamp(),
        &anjungan::sync::nonce(),
        &CallLine {
            method,
            path_and_query: target,
            content_sha256: &sha,
        },
    )
    .to_vec()
}

/// Sends a call with exactly these headers and body; the status and the JSON answer.
fn send(
    hub: &InHub,
    method: &str,
    target: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
) -> (u16, Value) {
    try_send(hub, method, target, headers, body).unwrap()
}

/// [`send`], with a connection the hub closed (a full connection cap) as the error.
fn try_send(
    hub: &InHub,
    method: &str,
    target: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
) -> Result<(u16, Value), reqwest::Error> {
    let client = hub.client();
    let url = format!("{}{target}", hub.url());
    hub.rt.block_on(async {
        let mut rb = client.request(method.parse().unwrap(), url);
        for (h, v) in headers {
            rb = rb.header(*h, v);
        }
        if !body.is_empty() {
            rb = rb.body(body.to_vec());
        }
        let resp = rb.send().await?;
        let status = resp.status().as_u16();
        let text = resp.bytes().await.unwrap_or_default();
        Ok((status, serde_json::from_slice(&text).unwrap_or(Value::Null)))
    })
}

fn assert_refused(answer: &(u16, Value), status: u16, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], code, "{}", answer.1);
    assert!(
        answer.1["message"].is_string() && answer.1["message_en"].is_string(),
        "{}",
        answer.1
    );
}

const SYNC_TARGET: &str = "/v1/sync?since=0&epoch=&nonce=0123456789abcdef";

#[test]
fn a_captured_header_set_is_refused_twice_on_another_path_or_with_another_body() {
    let hub = InHub::default_tls();
    let captured = headers_for("GET", SYNC_TARGET, b"");
    assert_eq!(send(&hub, "GET", SYNC_TARGET, &captured, b"").0, 200);
    // Twice: the nonce was taken.
    assert_refused(
        &send(&hub, "GET", SYNC_TARGET, &captured, b""),
        401,
        "AUTH_REPLAYED",
    );
    // Another query, another path, another method: the signature does not cover them.
    let fresh = headers_for("GET", SYNC_TARGET, b"");
    assert_refused(
        &send(
            &hub,
            "GET",
            "/v1/sync?since=0&epoch=&nonce=fedcba9876543210",
            &fresh,
            b"",
        ),
        401,
        "AUTH_BAD_SIGNATURE",
    );
    assert_refused(
        &send(&hub, "POST", "/v1/heartbeat", &captured, b"{}"),
        401,
        "AUTH_BAD_SIGNATURE",
    );
    // A request signed for one body, sent with another: refused, and nothing stored.
    let body = |to: &str| {
        let mut b = json!({
            "reference": "AJ-WIRE0-00001", "kind": "FKTP", "card_no": "0001000000011",
            "change": {"from": "3273P001", "to": to, "effective_date": "2026-12-01"},
            "created_at": "2026-11-22T03:00:00+00:00",
        });
        let digest = anjungan::sync::client::request_digest(
            "AJ-WIRE0-00001",
            "FKTP",
            "0001000000011",
            &b["change"],
            "2026-11-22T03:00:00+00:00",
        );
        b["content_sha256"] = json!(digest);
        serde_json::to_vec(&b).unwrap()
    };
    let signed_for = headers_for("POST", "/v1/requests", &body("3273P002"));
    assert_refused(
        &send(&hub, "POST", "/v1/requests", &signed_for, &body("3273K005")),
        401,
        "AUTH_CONTENT_MISMATCH",
    );
    assert!(hub.store().requests().unwrap().is_empty());
    // The same headers with the body they were made for: their nonce is spent.
    assert_refused(
        &send(&hub, "POST", "/v1/requests", &signed_for, &body("3273P002")),
        401,
        "AUTH_REPLAYED",
    );
    // Signed properly, it is stored.
    let ok = headers_for("POST", "/v1/requests", &body("3273P002"));
    let (status, ack) = send(&hub, "POST", "/v1/requests", &ok, &body("3273P002"));
    assert_eq!(status, 200, "{ack}");
    assert_eq!(hub.store().requests().unwrap().len(), 1);
    assert_eq!(
        ack["content_sha256"],
        hub.store().requests().unwrap()[0].content_sha256
    );
}

#[test]
fn the_time_probe_answers_without_auth_and_says_nothing_but_the_time() {
    let hub = InHub::default_tls();
    let client = hub.client();
    let url = format!("{}/v1/time", hub.url());
    let (status, date, body) = hub.rt.block_on(async {
        let resp = client.get(url).send().await.unwrap();
        let date = resp
            .headers()
            .get("date")
            .map(|d| d.to_str().unwrap().to_owned());
        (resp.status().as_u16(), date, resp.bytes().await.unwrap())
    });
    assert_eq!(status, 204);
    assert!(body.is_empty(), "no content");
    let date = date.expect("a Date header");
    let hub_time = chrono::DateTime::parse_from_rfc2822(&date).unwrap();
    assert!((chrono::Utc::now() - hub_time.to_utc()).num_seconds().abs() < 5);
    // And the probe diagnostics uses sees the hub reachable, with its clock skew.
    let check = anjungan::diag::probe::check_hub_blocking(&hub.url(), Some(&hub.ca()));
    assert!(check.reachable && check.skew_secs.is_some(), "{check:?}");
}

#[test]
fn the_old_signature_missing_headers_and_wild_timestamps_are_refused() {
    let hub = InHub::default_tls();
    let now = chrono::Utc::now().timestamp().to_string();
    let old = auth::hmac_b64(SECRET.as_bytes(), format!("k1&{now}").as_bytes());
    let v1 = vec![
        (auth::H_CONS_ID, "k1".to_owned()),
        (auth::H_TIMESTAMP, now.clone()),
        (auth::H_SIGNATURE, old),
    ];
    assert_refused(
        &send(&hub, "GET", SYNC_TARGET, &v1, b""),
        401,
        "AUTH_OLD_SIGNATURE",
    );
    assert_refused(
        &send(&hub, "GET", SYNC_TARGET, &[], b""),
        401,
        "AUTH_MISSING",
    );
    // now − 2^63 and other timestamps that do not fit: refused, never wrapped around.
    let sha = auth::body_sha256(b"");
    for ts in ["-9223372036854775808", "99999999999999999999", "1"] {
        let nonce = anjungan::sync::nonce();
        let call = CallLine {
            method: "GET",
            path_and_query: SYNC_TARGET,
            content_sha256: &sha,
        };
        let sig = auth::hmac_b64(
            SECRET.as_bytes(),
            auth::signed_message("k1", ts, &nonce, &call).as_bytes(),
        );
        let h = vec![
            (auth::H_CONS_ID, "k1".to_owned()),
            (auth::H_TIMESTAMP, ts.to_owned()),
            (auth::H_NONCE, nonce),
            (auth::H_CONTENT_SHA256, sha.clone()),
            (auth::H_SIGNATURE, sig),
        ];
        let answer = send(&hub, "GET", SYNC_TARGET, &h, b"");
        assert_eq!(answer.0, 401, "{ts}: {}", answer.1);
        assert!(
            matches!(
                answer.1["error"].as_str(),
                Some("AUTH_MISSING" | "AUTH_STALE_TIMESTAMP")
            ),
            "{ts}: {}",
            answer.1
        );
    }
    // Unknown addresses and methods answer JSON too.
    let h = headers_for("GET", "/v1/nope", b"");
    assert_refused(&send(&hub, "GET", "/v1/nope", &h, b""), 404, "NOT_FOUND");
    assert_refused(
        &send(&hub, "DELETE", "/v1/sync", &[], b""),
        405,
        "METHOD_NOT_ALLOWED",
    );
}

fn run_hub_cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_hub_serves_nothing_in_clear_unless_plain_http_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let (code, out) = run_hub_cli(&[
        "hub",
        "keygen",
        "--out",
        keys_dir.to_str().unwrap(),
        "--name",
        "hub.cabang.example",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    for f in ["hub.key", "hub.pub", "tls.crt", "tls.key"] {
        assert!(keys_dir.join(f).is_file(), "{f}");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(keys_dir.join("tls.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "tls.key is readable by others: {mode:o}");
    std::fs::write(
        dir.path().join("kiosks.toml"),
        format!("[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET}\"\n"),
    )
    .unwrap();
    let base = |listen: &str| -> Vec<String> {
        [
            "hub",
            "--data",
            fixture().to_str().unwrap(),
            "--key",
            keys_dir.join("hub.key").to_str().unwrap(),
            "--kiosks",
            dir.path().join("kiosks.toml").to_str().unwrap(),
            "--state",
            dir.path().join("hub.db").to_str().unwrap(),
            "--listen",
            listen,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |extra: &[&str], listen: &str| {
        let mut args = base(listen);
        args.extend(extra.iter().map(|s| s.to_string()));
        run_hub_cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // No TLS files: it does not start.
    let (code, out) = run(&[], "127.0.0.1:0");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("TLS_REQUIRED"), "{out}");
    // Plain HTTP only on loopback.
    let (code, out) = run(&["--plain-http"], "0.0.0.0:0");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("PLAIN_HTTP_NOT_LOOPBACK"), "{out}");
    // The public key is not a signing key; a key file is not a certificate.
    let (code, out) = run(
        &[
            "--tls-cert",
            keys_dir.join("tls.key").to_str().unwrap(),
            "--tls-key",
            keys_dir.join("tls.key").to_str().unwrap(),
        ],
        "127.0.0.1:0",
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("TLS_FILE_INVALID"), "{out}");

    // A TLS hub does not answer a plain HTTP request: no HTTP status line comes back.
    let hub = InHub::default_tls();
    let mut tcp = std::net::TcpStream::connect(hub.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(b"GET /v1/sync HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "answered in clear: {:?}",
        String::from_utf8_lossy(&answer)
    );
    // A client that insists on http:// to the TLS port gets no answer either.
    let plain = hub.rt.block_on(reqwest::get(format!(
        "http://127.0.0.1:{}/v1/sync",
        hub.addr.port()
    )));
    assert!(plain.is_err(), "{plain:?}");
}

/// `anjungan sync --once` for kiosk k1 against `url`.
fn kiosk_sync(db: &Path, url: &str, public: &Path, ca: Option<&Path>) -> (i32, Value) {
    let mut cmd = Command::new(BIN);
    cmd.args(["sync", "--once", "--db", db.to_str().unwrap(), "--hub", url])
        .args(["--hub-pub", public.to_str().unwrap()])
        .args(["--cons-id", "k1", "--secret", SECRET, "--json"]);
    if let Some(ca) = ca {
        cmd.args(["--hub-ca", ca.to_str().unwrap()]);
    }
    let out = cmd.output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}; {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn kiosks_refuse_clear_or_foreign_hubs_and_trust_only_the_hub_certificate() {
    let hub = InHub::default_tls();
    let public = hub.public_key_file();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    // Refused before any connection: plain http:// to another host, other schemes, https
    // without the hub's certificate. 192.0.2.1 is TEST-NET: nothing would answer.
    for (url, ca, code) in [
        ("http://192.0.2.1:8787", Some(hub.ca()), "HUB_URL_INSECURE"),
        ("http://hub.cabang.example:8787", None, "HUB_URL_INSECURE"),
        ("ftp://127.0.0.1:21/", None, "HUB_URL_INVALID"),
        ("https://192.0.2.1:8787", None, "HUB_CA_REQUIRED"),
    ] {
        let (exit, out) = kiosk_sync(&db, url, &public, ca.as_deref());
        assert_eq!(exit, 2, "{url}: {out}");
        assert_eq!(out["error"], code, "{url}: {out}");
        let en = out["message_en"].as_str().unwrap();
        assert!(
            en.contains("https://") || en.contains("certificate"),
            "{en}"
        );
    }
    // Another certificate than the hub's: the TLS handshake fails, nothing is taken.
    let (other, _) = tls::self_signed(&[]).unwrap();
    std::fs::write(dir.path().join("other.crt"), other).unwrap();
    let (exit, out) = kiosk_sync(
        &db,
        &hub.url(),
        &public,
        Some(&dir.path().join("other.crt")),
    );
    assert_ne!(exit, 0, "{out}");
    assert_eq!(out["error"], "HUB_UNREACHABLE", "{out}");
    assert_eq!(Store::open(&db).unwrap().dataset_info().unwrap().version, 0);
    // With the hub's own certificate the sync goes through.
    let (exit, out) = kiosk_sync(&db, &hub.url(), &public, Some(&hub.ca()));
    assert_eq!(exit, 0, "{out}");
    assert_eq!(out["status"]["data_version"], 1);
    // diag reports a refused address as unreachable, with the reason.
    let out = Command::new(BIN)
        .args([
            "diag",
            "--db",
            db.to_str().unwrap(),
            "--hub",
            "ftp://127.0.0.1/",
        ])
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sync"]["reachable"], false, "{v}");
    assert_eq!(v["sync"]["code"], "HUB_UNREACHABLE", "{v}");
    assert!(
        v["sync"]["problem_en"]
            .as_str()
            .unwrap()
            .contains("HUB_URL_INVALID"),
        "{v}"
    );
}

/// How the proxy treats `POST /v1/requests`.
#[derive(Clone, Copy, PartialEq)]
enum Alter {
    Pass,
    /// Rewrite the target FKTP in the body, leave the headers.
    Body,
    /// Rewrite it and recompute `X-content-sha256`.
    BodyAndHash,
    /// Rewrite it, fix the stated digest, and sign again with the kiosk's stolen secret.
    Resign,
}

/// A proxy in front of a plain-HTTP hub that alters change requests on their way.
fn altering_proxy(
    rt: &tokio::runtime::Runtime,
    upstream: String,
    mode: Arc<Mutex<Alter>>,
) -> String {
    use axum::body::Body;
    use axum::http::Request;
    use axum::response::Response;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = move |req: Request<Body>| {
        let (upstream, mode) = (upstream.clone(), Arc::clone(&mode));
        async move {
            let target = req
                .uri()
                .path_and_query()
                .map_or("/".to_owned(), |p| p.to_string());
            let method = req.method().clone();
            let mut headers: Vec<(String, String)> = req
                .headers()
                .iter()
                .filter(|(k, _)| k.as_str().starts_with("x-") || *k == "content-type")
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            let mut body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap()
                .to_vec();
            let mode = *mode.lock().unwrap();
            if target == "/v1/requests" && mode != Alter::Pass {
                let mut v: Value = serde_json::from_slice(&body).unwrap();
                v["change"]["to"] = json!("3273K005");
                if mode == Alter::Resign {
                    let digest = anjungan::sync::client::request_digest(
                        v["reference"].as_str().unwrap(),
                        v["kind"].as_str().unwrap(),
                        v["card_no"].as_str().unwrap(),
                        &v["change"],
                        v["created_at"].as_str().unwrap(),
                    );
                    v["content_sha256"] = json!(digest);
                }
                body = serde_json::to_vec(&v).unwrap();
                let set = |headers: &mut Vec<(String, String)>, name: &str, value: String| {
                    for (k, val) in headers.iter_mut() {
                        if k.eq_ignore_ascii_case(name) {
                            *val = value.clone();
                        }
                    }
                };
                match mode {
                    Alter::BodyAndHash => set(
                        &mut headers,
                        auth::H_CONTENT_SHA256,
                        auth::body_sha256(&body),
                    ),
                    Alter::Resign => {
                        for (h, value) in headers_for("POST", "/v1/requests", &body) {
                            set(&mut headers, h, value);
                        }
                    }
                    _ => {}
                }
            }
            let client = reqwest::Client::new();
            let mut rb = client.request(method, format!("{upstream}{target}"));
            for (k, v) in headers {
                rb = rb.header(k, v);
            }
            let resp = rb.body(body).send().await.unwrap();
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.unwrap_or_default();
            Response::builder()
                .status(status)
                .body(Body::from(bytes))
                .unwrap()
        }
    };
    let app = axum::Router::new().fallback(handler);
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn agent(dir: &Path, db: &Path, url: &str, public: &Path, ca: Option<PathBuf>) -> SyncAgent {
    anjungan::diag::probe::headless_agent(AgentConfig {
        db: db.to_path_buf(),
        hub_url: url.to_owned(),
        regions: None,
        hub_ca: ca,
        cons_id: "k1".into(),
        secret: SECRET.into(),
        hub_key: keys::read_public_key(public).unwrap(),
        interval: Duration::from_secs(900),
        retry_base: Duration::from_secs(30),
        retry_cap: Duration::from_secs(600),
        request_retention: Duration::from_secs(90 * 86_400),
        limits: ClientLimits::default(),
        cycle_deadline: Duration::from_secs(60),
        update_channel: None,
    })
    .unwrap_or_else(|e| panic!("{e} in {}", dir.display()))
}

#[test]
fn a_request_altered_between_kiosk_and_hub_is_never_marked_sent() {
    let hub = InHub::start(ServerLimits::default(), Duration::from_secs(20), false);
    let public = hub.public_key_file();
    let mode = Arc::new(Mutex::new(Alter::Body));
    let proxy = altering_proxy(&hub.rt, hub.url(), Arc::clone(&mode));
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path(), "kiosk.db");
    let reference = "AJ-4K7QM-2XD9R";
    Store::open(&db)
        .unwrap()
        .enqueue_request(
            reference,
            "FKTP",
            "0001000000011",
            r#"{"from":"3273P001","to":"3273P002","effective_date":"2026-12-01"}"#,
            "2026-11-22T03:00:00+00:00",
        )
        .unwrap();
    let kiosk = agent(dir.path(), &db, &proxy, &public, None);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let state = || {
        Store::open(&db)
            .unwrap()
            .request(reference)
            .unwrap()
            .unwrap()
    };

    // The body changed on the way: its hash no longer fits what was signed.
    let _ = rt.block_on(kiosk.run_once());
    let e = state();
    assert_eq!(e.state, OutboxState::Pending);
    assert!(
        e.last_error
            .as_deref()
            .unwrap()
            .contains("AUTH_CONTENT_MISMATCH"),
        "{e:?}"
    );
    // The hash header changed too: the signature no longer fits.
    *mode.lock().unwrap() = Alter::BodyAndHash;
    let _ = rt.block_on(kiosk.run_once());
    let e = state();
    assert_eq!(e.state, OutboxState::Pending);
    assert!(
        e.last_error
            .as_deref()
            .unwrap()
            .contains("AUTH_BAD_SIGNATURE"),
        "{e:?}"
    );
    assert!(hub.store().requests().unwrap().is_empty());

    // An attacker with the kiosk's secret signs the altered request again. The hub stores
    // what it got and signs the digest of that; the kiosk sees it is not its request.
    *mode.lock().unwrap() = Alter::Resign;
    let _ = rt.block_on(kiosk.run_once());
    let e = state();
    assert_eq!(e.state, OutboxState::Mismatch, "{e:?}");
    assert!(
        e.last_error
            .as_deref()
            .unwrap()
            .contains("ACK_CONTENT_MISMATCH"),
        "{e:?}"
    );
    let stored = hub.store().requests().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].change["to"], "3273K005");
    let status = anjungan::sync::agent::read_status(&db).unwrap();
    assert_eq!((status.pending_outbox, status.mismatched_outbox), (0, 1));

    // The officer approves what the hub holds; the decision names the altered content,
    // so this kiosk does not take it as the decision on its request.
    *mode.lock().unwrap() = Alter::Pass;
    hub.store().decide(reference, true, None).unwrap();
    rt.block_on(kiosk.run_once()).unwrap();
    assert_eq!(state().state, OutboxState::Mismatch);
    // The member asking at this kiosk is sent to a counter, not told it was approved.
    let (code, v) = common::anj(&[
        "query",
        "request",
        "--db",
        db.to_str().unwrap(),
        "--reference",
        reference,
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["state"], "MISMATCH", "{v}");
    // Diagnostics name it (and so does the heartbeat, which is the same report).
    let out = Command::new(BIN)
        .args(["diag", "--db", db.to_str().unwrap(), "--hub", &hub.url()])
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sync"]["code"], "REQUEST_CONTENT_MISMATCH", "{v}");
    assert_eq!(v["sync"]["mismatched_outbox"], 1, "{v}");
}

#[test]
fn an_unaltered_request_is_sent_and_its_decision_taken() {
    let hub = InHub::default_tls();
    let public = hub.public_key_file();
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path(), "kiosk.db");
    let reference = "AJ-5N8PQ-3YE0S";
    // Keys in another order than the hub will store them: the digest is of the value.
    Store::open(&db)
        .unwrap()
        .enqueue_request(
            reference,
            "FKTP",
            "0001000000011",
            r#"{"to":"3273P002","effective_date":"2026-12-01","from":"3273P001"}"#,
            "2026-11-22T03:00:00+00:00",
        )
        .unwrap();
    let kiosk = agent(dir.path(), &db, &hub.url(), &public, Some(hub.ca()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(kiosk.run_once()).unwrap();
    assert_eq!(report.delivered, 1);
    let state = || {
        Store::open(&db)
            .unwrap()
            .request(reference)
            .unwrap()
            .unwrap()
    };
    assert_eq!(state().state, OutboxState::Sent);
    hub.store()
        .decide(reference, false, Some("Kuota penuh"))
        .unwrap();
    rt.block_on(kiosk.run_once()).unwrap();
    assert_eq!(state().state, OutboxState::Rejected);
}

/// A hostile hub on plain HTTP (loopback): answers every call with `respond`.
fn hostile_hub<F, Fut>(rt: &tokio::runtime::Runtime, respond: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let respond = Arc::new(respond);
    rt.spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let respond = Arc::clone(&respond);
            tokio::spawn(async move {
                // Read the request head (the kiosk sends no body on GET).
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if tcp.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                if head.starts_with(b"POST") {
                    // Drain a small body (heartbeats).
                    let mut sink = [0u8; 65536];
                    let _ =
                        tokio::time::timeout(Duration::from_millis(200), tcp.read(&mut sink)).await;
                }
                respond(tcp).await;
            });
        }
    });
    format!("http://127.0.0.1:{}", addr.port())
}

fn limited_agent(db: &Path, url: &str, public: &Path, max: u64, deadline: Duration) -> SyncAgent {
    anjungan::diag::probe::headless_agent(AgentConfig {
        db: db.to_path_buf(),
        hub_url: url.to_owned(),
        regions: None,
        hub_ca: None,
        cons_id: "k1".into(),
        secret: SECRET.into(),
        hub_key: keys::read_public_key(public).unwrap(),
        interval: Duration::from_secs(900),
        retry_base: Duration::from_secs(30),
        retry_cap: Duration::from_secs(600),
        request_retention: Duration::from_secs(90 * 86_400),
        limits: ClientLimits {
            max_download: max,
            ..ClientLimits::default()
        },
        cycle_deadline: deadline,
        update_channel: None,
    })
    .unwrap()
}

fn hostile_world() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path(), "kiosk.db");
    keys::write_pair(&keys::generate(), &dir.path().join("keys")).unwrap();
    let public = dir.path().join("keys/hub.pub");
    (dir, db, public)
}

fn download_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("sync-download"))
        .collect()
}

#[test]
fn a_hostile_hub_cannot_fill_the_disk_the_memory_or_hang_the_kiosk() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (dir, db, public) = hostile_world();
    let before = Store::open(&db).unwrap().dataset_info().unwrap();
    let last_error = || {
        Store::open(&db)
            .unwrap()
            .meta(anjungan::store::KEY_LAST_SYNC_ERROR)
            .unwrap()
            .unwrap_or_default()
    };
    // An endless download, with no length: cut at 1 MiB, and the file removed.
    let endless = hostile_hub(&rt, |mut tcp| async move {
        let _ = tcp
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
            .await;
        let chunk = vec![0x5a_u8; 64 * 1024];
        while tcp.write_all(&chunk).await.is_ok() {}
    });
    let kiosk = limited_agent(&db, &endless, &public, 1024 * 1024, Duration::from_secs(60));
    let err = rt.block_on(kiosk.run_once()).unwrap_err();
    assert_eq!(err.code(), "DOWNLOAD_TOO_LARGE", "{err}");
    assert!(download_leftovers(dir.path()).is_empty());
    // A declared length over the cap is refused before a byte is written.
    let declared = hostile_hub(&rt, |mut tcp| async move {
        let _ = tcp
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 417000000\r\n\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let kiosk = limited_agent(
        &db,
        &declared,
        &public,
        1024 * 1024,
        Duration::from_secs(60),
    );
    let err = rt.block_on(kiosk.run_once()).unwrap_err();
    assert_eq!(err.code(), "DOWNLOAD_TOO_LARGE", "{err}");
    assert!(download_leftovers(dir.path()).is_empty());

    // An endless error body: read up to a few KiB, then dropped; what is kept is short.
    let errors = hostile_hub(&rt, |mut tcp| async move {
        let _ = tcp
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n{\"error\":\"")
            .await;
        let chunk = vec![b'A'; 64 * 1024];
        while tcp.write_all(&chunk).await.is_ok() {}
    });
    let kiosk = limited_agent(&db, &errors, &public, 1024 * 1024, Duration::from_secs(60));
    let err = rt.block_on(kiosk.run_once()).unwrap_err();
    assert_eq!(err.code(), "HUB_REFUSED", "{err}");
    let kept = last_error();
    assert!(kept.len() < 1024, "{} bytes kept", kept.len());
    assert!(kept.starts_with("HUB_REFUSED"), "{kept}");

    // A trickled answer (a byte every 100 ms, never enough to trip the read timeout):
    // the cycle's deadline ends it, and the partial download goes.
    let trickle = hostile_hub(&rt, |mut tcp| async move {
        let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
        loop {
            if tcp.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let kiosk = limited_agent(&db, &trickle, &public, 1024 * 1024, Duration::from_secs(2));
    let err = rt.block_on(kiosk.run_once()).unwrap_err();
    assert_eq!(err.code(), "SYNC_DEADLINE", "{err}");
    assert!(last_error().starts_with("SYNC_DEADLINE"));
    assert!(download_leftovers(dir.path()).is_empty());
    // Nothing changed in the data through all of it.
    assert_eq!(Store::open(&db).unwrap().dataset_info().unwrap(), before);
}

/// A TLS client connection to the in-process hub.
async fn tls_connect(
    hub_addr: SocketAddr,
    ca: &Path,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let roots = tls::load_roots(ca).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(hub_addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// Reads until the peer closes (Ok(bytes)) or `limit` passes (Err).
async fn closed_within<S: tokio::io::AsyncRead + Unpin>(
    s: &mut S,
    limit: Duration,
) -> Result<Vec<u8>, ()> {
    let mut out = Vec::new();
    match tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    {
        Ok(()) => Ok(out),
        Err(_) => Err(()),
    }
}

/// A POST over TLS written by hand: its headers (declaring `length` bytes), then `sent` of
/// the body, and whatever the hub answers until it closes (at most 8 s).
async fn raw_call(
    addr: SocketAddr,
    ca: &Path,
    path: &str,
    length: u64,
    headers: &[(&'static str, String)],
    sent: &[u8],
) -> String {
    let mut s = tls_connect(addr, ca).await;
    let mut req =
        format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(sent).await.unwrap();
    let answer = closed_within(&mut s, Duration::from_secs(8)).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn hostile_clients_are_cut_off_and_the_hub_keeps_serving() {
    let limits = ServerLimits {
        max_connections: 8,
        handshake: Duration::from_secs(1),
        header_read: Duration::from_secs(1),
        idle: Duration::from_secs(2),
    };
    let hub = InHub::start(limits, Duration::from_secs(1), true);
    let ca = hub.ca();
    let addr = hub.addr;
    hub.rt.block_on(async {
        // Half-open: connected, never a byte. Closed by the handshake deadline.
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert!(
            closed_within(&mut silent, Duration::from_secs(8))
                .await
                .is_ok()
        );
        // Handshake done, no request: closed by the header-read timeout.
        let mut idle = tls_connect(addr, &ca).await;
        assert!(
            closed_within(&mut idle, Duration::from_secs(8))
                .await
                .is_ok()
        );
        // Slow headers, a byte every 300 ms (30 s to finish): cut off long before.
        let mut slow = tls_connect(addr, &ca).await;
        let head = b"GET /v1/sync HTTP/1.1\r\nHost: localhost\r\nX-Padding: ".repeat(2);
        let mut cut = false;
        for b in head.iter().cycle().take(100) {
            if slow.write_all(&[*b]).await.is_err() || slow.flush().await.is_err() {
                cut = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(cut, "a slowloris client kept its connection for 30 s");

        // A flood: 8 connections held open fill the cap; the 9th is closed at once.
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut ninth = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = ninth.write_all(b"\x16\x03\x01").await;
        assert!(
            closed_within(&mut ninth, Duration::from_millis(900))
                .await
                .is_ok()
        );
        drop(held);
    });
    // Once the flood is gone (their handshakes time out), a kiosk is served again.
    let mut served = false;
    for _ in 0..30 {
        let h = headers_for("GET", SYNC_TARGET, b"");
        // Until the held connections' slots are free again, a new one may be reset: retry.
        if try_send(&hub, "GET", SYNC_TARGET, &h, b"").is_ok_and(|a| a.0 == 200) {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(served, "the hub did not recover from the flood");

    hub.rt.block_on(async {
        // A huge body, not authenticated: refused on its headers, the body never read.
        let text = raw_call(addr, &ca, "/v1/requests", 104_857_600, &[], b"").await;
        assert!(text.starts_with("HTTP/1.1 401"), "{text}");
        assert!(text.contains("AUTH_MISSING"), "{text}");
        // Authenticated, declaring 100 MiB: 413 before reading it.
        let h = headers_for("POST", "/v1/requests", b"never sent");
        let text = raw_call(addr, &ca, "/v1/requests", 104_857_600, &h, b"").await;
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        assert!(text.contains("BODY_TOO_LARGE"), "{text}");
        // Authenticated, a body that stalls after 10 bytes: 408 at the body deadline.
        let h = headers_for("POST", "/v1/heartbeat", b"{\"a\":12345678901234567890}");
        let text = raw_call(addr, &ca, "/v1/heartbeat", 26, &h, b"{\"a\":1234").await;
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("BODY_TIMEOUT"), "{text}");
    });
    // And still serving.
    let h = headers_for("GET", SYNC_TARGET, b"");
    assert_eq!(send(&hub, "GET", SYNC_TARGET, &h, b"").0, 200);
}

/// A kiosk's heartbeat counts are counts and nothing else: a row the hub cannot read as one
/// (a slot not on the half hour, a metric it does not know, a key that is no code, a
/// negative count) is dropped and the rest kept; a flood of rows is refused whole; and the
/// fleet row keeps the report without them.
#[test]
fn heartbeat_counts_are_checked_row_by_row_and_a_flood_is_refused() {
    use anjungan::counters::{MAX_PER_HEARTBEAT, Metric, SlotCount};
    use anjungan::hub::counts::{CountQuery, CountStore};
    let hub = InHub::default_tls();
    let report = |counters: Vec<SlotCount>| {
        let mut r = anjungan::report::DiagReport {
            kiosk_id: "k1".into(),
            counters,
            ..Default::default()
        };
        r.summarise();
        serde_json::to_vec(&r).unwrap()
    };
    let good = SlotCount::new("2026-12-01T08:30".into(), Metric::Tickets, "A", 4);
    let hostile = [
        SlotCount::new("2026-12-01T08:10".into(), Metric::Tickets, "A", 1),
        SlotCount::new("2026-12-01T09:00".into(), Metric::Tickets, "<script>", 1),
        SlotCount::new("2026-12-01T09:00".into(), Metric::Tickets, "B", -5),
        SlotCount {
            metric: "nik".into(),
            key: "3273011205800001".into(),
            ..good.clone()
        },
    ];
    let body = report([vec![good.clone()], hostile.to_vec()].concat());
    let answer = send(
        &hub,
        "POST",
        "/v1/heartbeat",
        &headers_for("POST", "/v1/heartbeat", &body),
        &body,
    );
    assert_eq!(answer.0, 200, "{}", answer.1);
    let kept = hub
        .store()
        .counts(&CountQuery::slots("2026-12-01", "2026-12-02"))
        .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!((kept[0].cons_id.as_str(), &kept[0].count), ("k1", &good));
    let fleet = hub.store().fleet().unwrap();
    assert!(
        fleet[0].health.get("counters").is_none(),
        "{}",
        fleet[0].health
    );

    let flood: Vec<SlotCount> = (0..=2 * MAX_PER_HEARTBEAT)
        .map(|i| {
            SlotCount::new(
                "2026-12-01T10:00".into(),
                Metric::Tickets,
                &format!("S{i}"),
                1,
            )
        })
        .collect();
    let body = report(flood);
    assert_refused(
        &send(
            &hub,
            "POST",
            "/v1/heartbeat",
            &headers_for("POST", "/v1/heartbeat", &body),
            &body,
        ),
        422,
        "BAD_REPORT",
    );
    assert_eq!(
        hub.store()
            .counts(&CountQuery::slots("2026-12-01", "2026-12-02"))
            .unwrap()
            .len(),
        1,
        "nothing of the flood kept"
    );
}
