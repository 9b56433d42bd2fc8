//! Sync over real HTTPS on 127.0.0.1: a real hub process, real kiosk processes, and a
//! tampering proxy in between where a fault needs one (there the hub runs `--plain-http`
//! on loopback, so the proxy can reach the bytes: what is tested is the payload's own
//! signature, which holds without TLS). Every case ends by checking the
//! kiosk database: integrity, search indexes matching their tables, the data version, and
//! the outbox (nothing lost, nothing duplicated).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use anjungan::services::{Identity, IdentityKey, MemberSession};
use anjungan::store::Store;
use anjungan::sync::client::{ClientLimits, HubClient};
use anjungan::sync::keys;
use anjungan::sync::tls::HubEndpoint;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_anjungan");

fn anj(args: &[&str]) -> (i32, Value) {
    anj_env(args, &[])
}

fn anj_env(args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let out = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run anjungan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {stdout:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), value)
}

/// A dataset, a hub key pair and a kiosks file in a temp dir.
struct World {
    dir: tempfile::TempDir,
}

const SECRET_1: &str = "secret-kiosk-1";
const SECRET_2: &str = "secret-kiosk-2";

fn world(members: usize) -> World {
    let dir = tempfile::tempdir().unwrap();
    let w = World { dir };
    let (code, out) = anj(&[
        "gen-dataset",
        "--out",
        w.data().to_str().unwrap(),
        "--members",
        &members.to_string(),
        "--facilities",
        "40",
        "--seed",
        "1",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    for name in ["keys", "other-keys"] {
        let (code, out) = anj(&[
            "hub",
            "keygen",
            "--out",
            w.path(name).to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{out}");
    }
    std::fs::write(
        w.path("kiosks.toml"),
        format!(
            "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET_1}\"\n\
             [[kiosk]]\ncons_id = \"k2\"\nsecret = \"{SECRET_2}\"\n"
        ),
    )
    .unwrap();
    w
}

impl World {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn data(&self) -> PathBuf {
        self.path("data")
    }
    fn key(&self) -> PathBuf {
        self.path("keys/hub.key")
    }
    fn public(&self) -> PathBuf {
        self.path("keys/hub.pub")
    }
    fn db(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn ca(&self) -> PathBuf {
        self.path("keys/tls.crt")
    }

    fn hub(&self) -> HubProc {
        self.hub_with(&self.key(), "127.0.0.1:0", None)
    }

    /// A hub on plain HTTP (loopback only), for the tampering proxy.
    fn hub_plain(&self) -> HubProc {
        self.hub_cmd(&self.key(), "127.0.0.1:0", None, true)
    }

    fn hub_with(&self, key: &Path, listen: &str, state: Option<&Path>) -> HubProc {
        self.hub_cmd(key, listen, state, false)
    }

    fn hub_cmd(&self, key: &Path, listen: &str, state: Option<&Path>, plain: bool) -> HubProc {
        let mut cmd = Command::new(BIN);
        cmd.args(["hub", "--data", self.data().to_str().unwrap()])
            .args(["--key", key.to_str().unwrap()])
            .args(["--kiosks", self.path("kiosks.toml").to_str().unwrap()])
            .args(["--listen", listen]);
        if plain {
            cmd.arg("--plain-http");
        } else {
            let dir = key.parent().unwrap();
            cmd.args(["--tls-cert", dir.join("tls.crt").to_str().unwrap()])
                .args(["--tls-key", dir.join("tls.key").to_str().unwrap()]);
        }
        if let Some(s) = state {
            cmd.args(["--state", s.to_str().unwrap()]);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("hub listening on ") {
                        break a.trim().to_owned();
                    }
                    seen.push_str(&line);
                    seen.push('\n');
                }
                _ => panic!("hub exited before listening: {seen}"),
            }
        };
        // Keep draining stderr so the hub never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        HubProc { child, url: addr }
    }

    fn sync(&self, db: &str, url: &str) -> (i32, Value) {
        self.sync_as(db, url, "k1", SECRET_1, &self.public(), &[])
    }

    fn sync_as(
        &self,
        db: &str,
        url: &str,
        cons_id: &str,
        secret: &str,
        public: &Path,
        env: &[(&str, &str)],
    ) -> (i32, Value) {
        anj_env(
            &[
                "sync",
                "--once",
                "--db",
                db,
                "--hub",
                url,
                "--hub-pub",
                public.to_str().unwrap(),
                "--hub-ca",
                self.ca().to_str().unwrap(),
                "--cons-id",
                cons_id,
                "--secret",
                secret,
                "--json",
            ],
            env,
        )
    }

    fn hub_requests(&self) -> Vec<Value> {
        let (code, v) = anj(&[
            "hub",
            "requests",
            "list",
            "--data",
            self.data().to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{v}");
        v.as_array().unwrap().clone()
    }
}

struct HubProc {
    child: Child,
    /// As the hub printed it: `https://127.0.0.1:PORT` (or `http://` with --plain-http).
    url: String,
}

impl HubProc {
    fn url(&self) -> String {
        self.url.clone()
    }
    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for HubProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a consistency check found.
#[derive(Debug, PartialEq)]
struct State {
    version: i64,
    members: i64,
    facilities: i64,
    /// (reference, state), sorted.
    outbox: Vec<(String, String)>,
}

/// Checks the database is whole and its indexes match their tables, and reads its state.
fn check(db: &str) -> State {
    let conn = anjungan::store::open_connection(Path::new(db)).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    // FTS5 compares its index with the content table and fails on any difference.
    conn.execute_batch(
        "INSERT INTO facilities_fts(facilities_fts) VALUES ('integrity-check');
         INSERT INTO offices_fts(offices_fts) VALUES ('integrity-check');",
    )
    .unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let facilities = count("SELECT count(*) FROM facilities");
    assert_eq!(
        facilities,
        count("SELECT count(*) FROM facilities_geo g JOIN facilities f ON f.id = g.id")
    );
    assert_eq!(facilities, count("SELECT count(*) FROM facilities_geo"));
    assert_eq!(
        count("SELECT count(*) FROM offices"),
        count("SELECT count(*) FROM offices_geo g JOIN offices o ON o.id = g.id")
    );
    let version = conn
        .query_row(
            "SELECT value FROM sync_meta WHERE key = 'data_version'",
            [],
            |r| r.get::<_, String>(0),
        )
        .map(|v| v.parse().unwrap())
        .unwrap_or(0);
    let mut stmt = conn
        .prepare("SELECT reference, state FROM outbox ORDER BY reference")
        .unwrap();
    let outbox = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    State {
        version,
        members: count("SELECT count(*) FROM members"),
        facilities,
        outbox,
    }
}

fn hub_members(w: &World) -> i64 {
    let conn = anjungan::store::open_connection_as(
        &w.data().join(".hub/hub.db"),
        anjungan::store::DbRole::Hub,
        false,
    )
    .unwrap();
    conn.query_row("SELECT count(*) FROM members", [], |r| r.get(0))
        .unwrap()
}

/// Finds a member who may move FKTP today, and a facility to move to, in a kiosk database.
fn eligible_fktp_change(w: &World, db: &str) -> (String, String, String) {
    let today = chrono::Utc::now().date_naive();
    let store = Store::open(Path::new(db)).unwrap();
    let mut members = csv::Reader::from_path(w.data().join("members.csv")).unwrap();
    let headers = members.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (card, dob) = (col("card_no"), col("birth_date"));
    let mut facilities = csv::Reader::from_path(w.data().join("facilities.csv")).unwrap();
    let targets: Vec<String> = facilities
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    for rec in members.records() {
        let rec = rec.unwrap();
        let id =
            Identity::parse(IdentityKey::Card(rec[card].to_owned()), &rec[dob], today).unwrap();
        let Ok(session) = MemberSession::identify(&store, &id) else {
            continue;
        };
        for to in &targets {
            if session.change_fktp(&store, to, today).unwrap().eligible {
                return (rec[card].to_owned(), rec[dob].to_owned(), to.clone());
            }
        }
    }
    panic!("no eligible member in the dataset");
}

/// A kiosk database built by a local import (fresh data, no hub yet).
fn imported_kiosk(w: &World, name: &str) -> String {
    let db = w.db(name);
    let (code, out) = anj(&["import", w.data().to_str().unwrap(), "--db", &db, "--json"]);
    assert_eq!(code, 0, "{out}");
    db
}

fn request_fktp(db: &str, card: &str, dob: &str, to: &str) -> (i32, Value) {
    anj(&[
        "request",
        "change-fktp",
        "--db",
        db,
        "--card",
        card,
        "--dob",
        dob,
        "--to",
        to,
        "--json",
    ])
}

fn query_request(db: &str, reference: &str) -> Value {
    let (code, v) = anj(&[
        "query",
        "request",
        "--db",
        db,
        "--reference",
        reference,
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    v
}

#[test]
fn snapshot_then_delta_then_signed_no_change() {
    let w = world(200);
    let hub = w.hub();
    let db = w.db("kiosk.db");
    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["cycle"]["applied"]["kind"], "snapshot");
    let before = check(&db);
    assert_eq!(before.version, 1);
    assert_eq!(before.members, 200);

    // Change the dataset: drop one member, rename one facility; re-import as version 2.
    let members = std::fs::read_to_string(w.data().join("members.csv")).unwrap();
    let kept: Vec<&str> = members
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(w.data().join("members.csv"), kept.join("\n") + "\n").unwrap();
    let facilities = std::fs::read_to_string(w.data().join("facilities.csv")).unwrap();
    let mut lines: Vec<String> = facilities.lines().map(str::to_owned).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    cells[1] = "Klinik Sinkron Baru".into();
    lines[1] = cells.join(",");
    std::fs::write(w.data().join("facilities.csv"), lines.join("\n") + "\n").unwrap();
    let (code, imp) = anj(&[
        "hub",
        "import",
        "--data",
        w.data().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{imp}");
    assert_eq!(imp["version"], 2);
    assert_eq!(imp["deletes"], 1);
    assert_eq!(imp["upserts"], 1);

    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["cycle"]["applied"]["kind"], "delta");
    assert_eq!(out["cycle"]["applied"]["counts"]["members"]["delete"], 1);
    let after = check(&db);
    assert_eq!(after.version, 2);
    assert_eq!(after.members, 199);
    assert_eq!(after.members, hub_members(&w));
    // The renamed facility is found by text search (the FTS index followed).
    let (code, found) = anj(&[
        "query",
        "facilities",
        "--db",
        &db,
        "--text",
        "sinkron baru",
        "--json",
    ]);
    assert_eq!(code, 0, "{found}");
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");

    // Nothing new: a signed "no change" that still confirms freshness.
    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["cycle"]["applied"]["kind"], "none");
    assert_eq!(out["status"]["data_version"], 2);
    assert!(out["status"]["last_success"].is_string());
    let (code, status) = anj(&["sync", "--status", "--db", &db, "--json"]);
    assert_eq!(code, 0, "{status}");
    assert_eq!(status["data_out_of_date"], false);
    assert_eq!(status["last_error"], Value::Null);
    assert_eq!(check(&db), after);
}

/// A proxy between kiosk and hub that can damage the hub's answer to `GET /v1/sync`.
#[derive(Clone)]
enum Tamper {
    Pass,
    /// Keep only the first half of the body.
    Truncate,
    /// Flip one bit in the middle of the body.
    Flip,
    /// Serve this earlier answer instead (a replay).
    Replay(Vec<u8>),
    /// Forward some bytes, tell the test (which kills the hub), then break the connection.
    KillMidway(std::sync::mpsc::Sender<()>),
}

struct Proxy {
    /// Keeps the proxy's server running for the test's life.
    _rt: tokio::runtime::Runtime,
    addr: String,
    tamper: Arc<Mutex<Tamper>>,
    /// The last untampered sync answer.
    last: Arc<Mutex<Vec<u8>>>,
}

impl Proxy {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    fn set(&self, t: Tamper) {
        *self.tamper.lock().unwrap() = t;
    }
}

fn proxy(upstream: String) -> Proxy {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::response::Response;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tamper = Arc::new(Mutex::new(Tamper::Pass));
    let last = Arc::new(Mutex::new(Vec::new()));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (t, l) = (Arc::clone(&tamper), Arc::clone(&last));
    let handler = move |req: Request<Body>| {
        let (t, l, upstream) = (Arc::clone(&t), Arc::clone(&l), upstream.clone());
        async move {
            let client = reqwest::Client::new();
            let uri = req.uri().clone();
            let url = format!(
                "{upstream}{}",
                uri.path_and_query().map_or("/", |p| p.as_str())
            );
            let mut rb = client.request(req.method().clone(), url);
            for (k, v) in req.headers() {
                if k.as_str().starts_with("x-") || k == "content-type" {
                    rb = rb.header(k, v);
                }
            }
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            let resp = match rb.body(body).send().await {
                Ok(r) => r,
                Err(_) => {
                    return Response::builder()
                        .status(StatusCode::BAD_GATEWAY)
                        .body(Body::from("{}"))
                        .unwrap();
                }
            };
            let status = resp.status();
            let bytes = resp.bytes().await.unwrap_or_default().to_vec();
            let is_sync = uri.path() == "/v1/sync" && status.is_success();
            let mode = t.lock().unwrap().clone();
            let out: Result<Vec<u8>, ()> = if !is_sync {
                Ok(bytes)
            } else {
                *l.lock().unwrap() = bytes.clone();
                match mode {
                    Tamper::Pass => Ok(bytes),
                    Tamper::Truncate => Ok(bytes[..bytes.len() / 2].to_vec()),
                    Tamper::Flip => {
                        let mut b = bytes;
                        let at = b.len() / 2;
                        b[at] ^= 0x10;
                        Ok(b)
                    }
                    Tamper::Replay(old) => Ok(old),
                    Tamper::KillMidway(tx) => {
                        let _ = tx.send(());
                        let head = bytes[..bytes.len() / 3].to_vec();
                        let stream = futures_util::stream::iter(vec![
                            Ok::<_, std::io::Error>(axum::body::Bytes::from(head)),
                            Err(std::io::Error::other("hub killed")),
                        ]);
                        return Response::builder()
                            .status(status.as_u16())
                            .body(Body::from_stream(stream))
                            .unwrap();
                    }
                }
            };
            Response::builder()
                .status(status.as_u16())
                .body(Body::from(out.unwrap_or_default()))
                .unwrap()
        }
    };
    let app = axum::Router::new().fallback(handler);
    rt.spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Proxy {
        _rt: rt,
        addr,
        tamper,
        last,
    }
}

/// A kiosk at version 1 behind a proxy, and a hub that has version 2 waiting.
fn kiosk_with_pending_delta() -> (World, HubProc, Proxy, String, State) {
    let w = world(150);
    let hub = w.hub_plain();
    let p = proxy(hub.url());
    let db = w.db("kiosk.db");
    let (code, out) = w.sync(&db, &p.url());
    assert_eq!(code, 0, "{out}");
    let members = std::fs::read_to_string(w.data().join("members.csv")).unwrap();
    let kept: Vec<&str> = members.lines().take(101).collect();
    std::fs::write(w.data().join("members.csv"), kept.join("\n") + "\n").unwrap();
    let (code, imp) = anj(&[
        "hub",
        "import",
        "--data",
        w.data().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{imp}");
    let before = check(&db);
    assert_eq!((before.version, before.members), (1, 150));
    (w, hub, p, db, before)
}

#[test]
fn a_truncated_body_is_refused_and_nothing_changes() {
    let (w, _hub, p, db, before) = kiosk_with_pending_delta();
    p.set(Tamper::Truncate);
    let (code, out) = w.sync(&db, &p.url());
    assert_ne!(code, 0, "{out}");
    assert!(
        out["error"].as_str().unwrap().starts_with("PAYLOAD_"),
        "{out}"
    );
    assert!(out["message"].is_string() && out["message_en"].is_string());
    assert_eq!(check(&db), before);
    p.set(Tamper::Pass);
    let (code, out) = w.sync(&db, &p.url());
    assert_eq!(code, 0, "{out}");
    assert_eq!(check(&db).members, 100);
}

#[test]
fn one_flipped_byte_is_refused_and_nothing_changes() {
    let (w, _hub, p, db, before) = kiosk_with_pending_delta();
    p.set(Tamper::Flip);
    let (code, out) = w.sync(&db, &p.url());
    assert_ne!(code, 0, "{out}");
    assert!(
        out["error"].as_str().unwrap().starts_with("PAYLOAD_"),
        "{out}"
    );
    assert_eq!(check(&db), before);
    // The download file is gone: the next cycle starts from zero.
    assert!(!Path::new(&format!("{db}.sync-download")).exists());
}

#[test]
fn a_replayed_answer_is_refused() {
    let (w, _hub, p, db, before) = kiosk_with_pending_delta();
    // The answer to the kiosk's first request (its snapshot), replayed to a later request.
    let recorded = p.last.lock().unwrap().clone();
    assert!(!recorded.is_empty());
    p.set(Tamper::Replay(recorded));
    let (code, out) = w.sync(&db, &p.url());
    assert_ne!(code, 0, "{out}");
    assert_eq!(out["error"], "PAYLOAD_NONCE_MISMATCH", "{out}");
    assert_eq!(check(&db), before);
}

#[test]
fn a_payload_signed_with_another_key_is_refused() {
    let w = world(120);
    let hub = w.hub();
    let db = w.db("kiosk.db");
    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    let before = check(&db);
    // An impostor hub with its own key and state, serving the same kind of data. On
    // plain HTTP (loopback), so that TLS does not stop it first: the pinned key must.
    let impostor = w.hub_cmd(
        &w.path("other-keys/hub.key"),
        "127.0.0.1:0",
        Some(&w.path("impostor/hub.db")),
        true,
    );
    let (code, out) = w.sync(&db, &impostor.url());
    assert_ne!(code, 0, "{out}");
    assert_eq!(out["error"], "PAYLOAD_BAD_SIGNATURE", "{out}");
    assert_eq!(check(&db), before);
    // A fresh kiosk pinned to the real key takes nothing from the impostor either.
    let fresh = w.db("fresh.db");
    let (code, _) = w.sync(&fresh, &impostor.url());
    assert_ne!(code, 0);
    assert_eq!(check(&fresh).members, 0);
}

#[test]
fn hub_killed_mid_transfer_then_restarted() {
    let w = world(150);
    let mut hub = w.hub_plain();
    let port = hub.url().trim_start_matches("http://").to_owned();
    let p = proxy(hub.url());
    let db = w.db("kiosk.db");
    let (tx, rx) = std::sync::mpsc::channel();
    p.set(Tamper::KillMidway(tx));
    let kiosk = {
        let (w_public, db) = (w.public(), db.clone());
        let url = p.url();
        std::thread::spawn(move || {
            anj(&[
                "sync",
                "--once",
                "--db",
                &db,
                "--hub",
                &url,
                "--hub-pub",
                w_public.to_str().unwrap(),
                "--cons-id",
                "k1",
                "--secret",
                SECRET_1,
                "--json",
            ])
        })
    };
    rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
    hub.kill();
    let (code, out) = kiosk.join().unwrap();
    assert_ne!(code, 0, "{out}");
    let after_kill = check(&db);
    assert_eq!((after_kill.version, after_kill.members), (0, 0));
    // The hub comes back on the same address with its state; the next cycle succeeds.
    let hub = w.hub_cmd(&w.key(), &port, None, true);
    p.set(Tamper::Pass);
    let (code, out) = w.sync(&db, &p.url());
    assert_eq!(code, 0, "{out}");
    assert_eq!(check(&db).members, 150);
    drop(hub);
}

#[test]
fn kiosk_killed_during_snapshot_apply_keeps_old_data_and_requests() {
    let w = world(150);
    let db = imported_kiosk(&w, "kiosk.db");
    let (card, dob, to) = eligible_fktp_change(&w, &db);
    let (code, req) = request_fktp(&db, &card, &dob, &to);
    assert_eq!(code, 0, "{req}");
    let reference = req["reference"].as_str().unwrap().to_owned();
    // Make the local data differ from the hub's, so a half-applied snapshot would show.
    let conn = anjungan::store::open_connection(Path::new(&db)).unwrap();
    conn.execute("DELETE FROM bills", []).unwrap();
    drop(conn);
    let before = check(&db);
    let hub = w.hub();

    let mut kiosk = Command::new(BIN)
        .args(["sync", "--once", "--db", &db, "--hub", &hub.url()])
        .args(["--hub-pub", w.public().to_str().unwrap()])
        .args(["--hub-ca", w.ca().to_str().unwrap()])
        .args(["--cons-id", "k1", "--secret", SECRET_1, "--json"])
        .env("ANJUNGAN_FAULT_STALL_BEFORE_COMMIT", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(kiosk.stderr.take().unwrap()).lines();
    let stalled = lines.any(|l| l.is_ok_and(|l| l.contains("fault: stalled before commit")));
    assert!(stalled, "the kiosk never reached the apply");
    // While the snapshot is written but not committed, readers see the old data and
    // lookups answer (WAL).
    let reader =
        anjungan::store::open_connection_as(Path::new(&db), anjungan::store::DbRole::Kiosk, true)
            .unwrap();
    let bills: i64 = reader
        .query_row("SELECT count(*) FROM bills", [], |r| r.get(0))
        .unwrap();
    assert_eq!(bills, 0, "a reader saw uncommitted rows");
    drop(reader);
    let (code, status) = anj(&[
        "query", "status", "--db", &db, "--card", &card, "--dob", &dob, "--json",
    ]);
    assert_eq!(code, 0, "{status}");
    kiosk.kill().unwrap(); // SIGKILL, with the snapshot written but not committed
    kiosk.wait().unwrap();

    // The request was pushed before the pull: the hub has it once, and it is SENT locally.
    let after = check(&db);
    let bills: i64 = anjungan::store::open_connection(Path::new(&db))
        .unwrap()
        .query_row("SELECT count(*) FROM bills", [], |r| r.get(0))
        .unwrap();
    assert_eq!(bills, 0, "a half-applied snapshot is visible");
    assert_eq!(after.version, before.version);
    assert_eq!(after.members, before.members);
    assert_eq!(after.outbox.len(), 1);
    assert_eq!(after.outbox[0].0, reference);

    // Restarted: the snapshot applies whole; the request is still there, not duplicated.
    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    let done = check(&db);
    assert_eq!(done.version, 1);
    assert_eq!(done.members, 150);
    assert_eq!(done.outbox, vec![(reference.clone(), "SENT".to_owned())]);
    let on_hub = w.hub_requests();
    assert_eq!(on_hub.len(), 1);
    assert_eq!(on_hub[0]["reference"], reference.as_str());
}

#[test]
fn a_request_taken_while_the_hub_is_down_is_delivered_once_and_decided() {
    let w = world(150);
    let db = imported_kiosk(&w, "kiosk.db");
    let (card, dob, to) = eligible_fktp_change(&w, &db);
    let (code, req) = request_fktp(&db, &card, &dob, &to);
    assert_eq!(code, 0, "{req}");
    assert_eq!(req["state"], "PENDING");
    let reference = req["reference"].as_str().unwrap().to_owned();

    // The hub is down: a reserved port with nobody listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    for _ in 0..3 {
        let (code, out) = w.sync(&db, &format!("http://{port}"));
        assert_ne!(code, 0, "{out}");
        assert_eq!(out["error"], "HUB_UNREACHABLE", "{out}");
    }
    assert_eq!(query_request(&db, &reference)["state"], "PENDING");
    assert_eq!(
        check(&db).outbox,
        vec![(reference.clone(), "PENDING".to_owned())]
    );

    let hub = w.hub_with(&w.key(), &port, None);
    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["cycle"]["delivered"], 1);
    assert_eq!(query_request(&db, &reference)["state"], "SENT");
    // Another cycle delivers nothing again.
    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["cycle"]["delivered"], 0);
    let on_hub = w.hub_requests();
    assert_eq!(on_hub.len(), 1);
    assert_eq!(on_hub[0]["card_no"], card.as_str());

    // The operator rejects it; the decision reaches this kiosk and any other.
    let (code, d) = anj(&[
        "hub",
        "requests",
        "reject",
        &reference,
        "--reason",
        "Kuota FKTP penuh",
        "--data",
        w.data().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{d}");
    let (code, out) = w.sync(&db, &hub.url());
    assert_eq!(code, 0, "{out}");
    let status = query_request(&db, &reference);
    assert_eq!(status["state"], "REJECTED");
    assert_eq!(status["reason"], "Kuota FKTP penuh");
    let other = w.db("other.db");
    let (code, out) = w.sync_as(&other, &hub.url(), "k2", SECRET_2, &w.public(), &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(query_request(&other, &reference)["state"], "REJECTED");
    assert_eq!(check(&db).outbox, vec![(reference, "REJECTED".to_owned())]);
}

#[test]
fn stale_data_refuses_requests_but_lookups_still_answer() {
    let w = world(120);
    let db = imported_kiosk(&w, "kiosk.db");
    let (card, dob, to) = eligible_fktp_change(&w, &db);
    // Not eligible (no such facility): refused with the reasons, nothing recorded.
    let (code, out) = request_fktp(&db, &card, &dob, "9999X999");
    assert_eq!(code, 2, "{out}");
    assert_eq!(out["error"], "NOT_ELIGIBLE");
    assert!(out["message"].is_string() && out["message_en"].is_string());
    assert!(check(&db).outbox.is_empty());
    let conn = anjungan::store::open_connection(Path::new(&db)).unwrap();
    conn.execute(
        "UPDATE sync_meta SET value = '2020-01-01T00:00:00+00:00' WHERE key = 'data_loaded_at'",
        [],
    )
    .unwrap();
    drop(conn);
    let (code, out) = request_fktp(&db, &card, &dob, &to);
    assert_eq!(code, 2, "{out}");
    assert_eq!(out["error"], "DATA_TOO_OLD");
    assert!(out["message"].as_str().unwrap().contains("2020-01-01"));
    assert!(
        out["message_en"]
            .as_str()
            .unwrap()
            .contains("Lookups still work")
    );
    let (code, status) = anj(&[
        "query", "status", "--db", &db, "--card", &card, "--dob", &dob, "--json",
    ]);
    assert_eq!(code, 0, "{status}");
    assert!(check(&db).outbox.is_empty());
}

#[test]
fn the_same_request_submitted_twice_and_concurrently_is_stored_once() {
    let w = world(60);
    let hub = w.hub();
    let key = keys::read_public_key(&w.public()).unwrap();
    let endpoint = HubEndpoint::new(&hub.url(), Some(&w.ca())).unwrap();
    let client = HubClient::new(&endpoint, "k1", SECRET_1, key, ClientLimits::default()).unwrap();
    // The hub checks the target: an active first-level facility of this dataset.
    let facilities = std::fs::read_to_string(w.data().join("facilities.csv")).unwrap();
    let fktp = facilities
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| {
            matches!(f[2], "PUSKESMAS" | "KLINIK_PRATAMA" | "DOKTER_PRAKTIK")
                && f.last() == Some(&"1")
        })
        .map(|f| f[0].to_owned())
        .expect("an active FKTP");
    let members = std::fs::read_to_string(w.data().join("members.csv")).unwrap();
    let cards: Vec<String> = members
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    let entry = anjungan::store::OutboxEntry {
        reference: "AJ-TEST0-00001".into(),
        kind: "FKTP".into(),
        card_no: cards[0].clone(),
        payload: format!(r#"{{"to":"{fktp}","effective_date":"2026-12-01"}}"#),
        state: anjungan::store::OutboxState::Pending,
        created_at: "2026-11-22T03:00:00Z".into(),
        attempts: 0,
        last_error: None,
        decision_reason: None,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let acks = rt.block_on(async {
        let first = client.submit(&entry).await.unwrap();
        let second = client.submit(&entry).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (c, e) = (client.clone(), entry.clone());
            tasks.push(tokio::spawn(async move { c.submit(&e).await }));
        }
        let mut all = vec![first, second];
        for t in tasks {
            all.push(t.await.unwrap().unwrap());
        }
        all
    });
    assert!(!acks[0].duplicate);
    assert!(acks[1..].iter().all(|a| a.duplicate));
    assert!(
        acks.iter()
            .all(|a| a.received_at == acks[0].received_at && a.state == "RECEIVED")
    );
    // A concurrent first submit too: a new reference sent 16 times at once.
    // (Another member: one member has one FKTP request waiting at a time.)
    let fresh = anjungan::store::OutboxEntry {
        reference: "AJ-TEST0-00002".into(),
        card_no: cards[1].clone(),
        ..entry.clone()
    };
    let firsts = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (c, e) = (client.clone(), fresh.clone());
            tasks.push(tokio::spawn(async move { c.submit(&e).await }));
        }
        let mut n = 0;
        for t in tasks {
            if !t.await.unwrap().unwrap().duplicate {
                n += 1;
            }
        }
        n
    });
    assert_eq!(firsts, 1);
    // The same reference for a different request is refused, not merged.
    let other = anjungan::store::OutboxEntry {
        card_no: cards[2].clone(),
        ..entry.clone()
    };
    let err = rt.block_on(client.submit(&other)).unwrap_err();
    assert!(err.to_string().contains("REFERENCE_CONFLICT"), "{err}");
    let on_hub = w.hub_requests();
    assert_eq!(on_hub.len(), 2);
}

#[test]
fn the_agent_backs_off_while_the_hub_is_down_and_recovers() {
    use anjungan::sync::AgentConfig;
    let w = world(80);
    let db = imported_kiosk(&w, "kiosk.db");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let config = AgentConfig {
        db: PathBuf::from(&db),
        hub_url: format!("https://{port}"),
        regions: None,
        hub_ca: Some(w.ca()),
        cons_id: "k1".into(),
        secret: SECRET_1.into(),
        hub_key: keys::read_public_key(&w.public()).unwrap(),
        interval: std::time::Duration::from_secs(900),
        retry_base: std::time::Duration::from_secs(30),
        retry_cap: std::time::Duration::from_secs(600),
        request_retention: std::time::Duration::from_secs(90 * 86_400),
        limits: ClientLimits::default(),
        cycle_deadline: std::time::Duration::from_secs(120),
        update_channel: None,
    };
    let agent = anjungan::diag::probe::headless_agent(config).unwrap();
    let status = agent.status_handle();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for n in 1..=3 {
        assert!(rt.block_on(agent.run_once()).is_err());
        let s = status.read().unwrap().clone();
        assert_eq!(s.consecutive_failures, n);
        assert!(
            s.last_error
                .as_deref()
                .unwrap()
                .starts_with("HUB_UNREACHABLE")
        );
        // Data age still counts from the local import.
        assert!(s.data_age_secs.unwrap() < 3600);
    }
    let _hub = w.hub_with(&w.key(), &port, None);
    let report = rt.block_on(agent.run_once()).unwrap();
    assert_eq!(report.applied.version, 1);
    let s = agent.status();
    assert_eq!(s.consecutive_failures, 0);
    assert_eq!(s.last_error, None);
    assert_eq!(s.data_version, 1);
    assert!(s.last_success.is_some());
    assert_eq!(check(&db).members, 80);
}

#[test]
fn the_agent_task_syncs_at_once_on_start_and_stops_on_shutdown() {
    use anjungan::sync::AgentConfig;
    let w = world(60);
    let hub = w.hub();
    let db = w.db("kiosk.db");
    let agent = anjungan::diag::probe::headless_agent(AgentConfig {
        db: PathBuf::from(&db),
        hub_url: hub.url(),
        regions: None,
        hub_ca: Some(w.ca()),
        cons_id: "k2".into(),
        secret: SECRET_2.into(),
        hub_key: keys::read_public_key(&w.public()).unwrap(),
        interval: std::time::Duration::from_secs(3600),
        retry_base: std::time::Duration::from_secs(3600),
        retry_cap: std::time::Duration::from_secs(3600),
        request_retention: std::time::Duration::from_secs(90 * 86_400),
        limits: ClientLimits::default(),
        cycle_deadline: std::time::Duration::from_secs(120),
        update_channel: None,
    })
    .unwrap();
    let status = agent.status_handle();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // Asked to stop before it starts: it still runs its first cycle at once, then returns
    // instead of waiting an hour.
    stop.send(true).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(agent.run(stopped));
    let s = status.read().unwrap().clone();
    assert_eq!(s.data_version, 1);
    assert!(s.last_success.is_some());
    assert_eq!(check(&db).members, 60);
    // Its heartbeat reached the hub's fleet list.
    let (code, fleet) = anj(&[
        "hub",
        "fleet",
        "--data",
        w.data().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{fleet}");
    assert_eq!(fleet[0]["cons_id"], "k2");
    // The heartbeat is the `diag` report: sync, database and system (no devices here).
    assert_eq!(fleet[0]["health"]["sync"]["data_version"], 1);
    assert_eq!(fleet[0]["health"]["printer"]["configured"], false);
    assert_eq!(fleet[0]["silent"], false);
}

/// The small hand-written fixture (Bandung, kab/kota 3273) with one family moved to
/// Jakarta Pusat (3171: Hendra, alone on his KK, gets an FKTP there) and Dewi free to
/// change her FKTP, served by a hub whose state lives in `dir`.
fn fixture_hub(dir: &Path) -> HubProc {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    let fixture = dir.join("data");
    std::fs::create_dir_all(&fixture).unwrap();
    for entry in std::fs::read_dir(&source).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), fixture.join(entry.file_name())).unwrap();
        }
    }
    let members = std::fs::read_to_string(fixture.join("members.csv")).unwrap();
    let moved: Vec<String> = members
        .lines()
        .map(|l| {
            if l.starts_with("0001000000031,") {
                l.replacen("3273P001", "3171P001", 1)
            } else {
                l.replace("3273D004,2026-09-22", "3273D004,2026-01-05")
            }
        })
        .collect();
    std::fs::write(fixture.join("members.csv"), moved.join("\n") + "\n").unwrap();
    let (code, out) = anj(&["hub", "keygen", "--out", dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(
        dir.join("kiosks.toml"),
        format!("[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET_1}\"\n"),
    )
    .unwrap();
    let s = |p: &str| dir.join(p).display().to_string();
    let mut child = Command::new(BIN)
        .args(["hub", "--data", fixture.to_str().unwrap()])
        .args(["--state", &s("hub.db"), "--today", "2026-11-22"])
        .args(["--key", &s("hub.key"), "--kiosks", &s("kiosks.toml")])
        .args(["--tls-cert", &s("tls.crt"), "--tls-key", &s("tls.key")])
        .args(["--listen", "127.0.0.1:0"])
        .env("ANJUNGAN_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("hub exited before listening").unwrap();
        if let Some(a) = line.strip_prefix("hub listening on ") {
            break a.trim().to_owned();
        }
    };
    // Keep the hub's log: the test checks that no identifier reached it.
    let log = dir.join("hub.log");
    std::thread::spawn(move || {
        use std::io::Write as _;
        let mut f = std::fs::File::create(log).unwrap();
        for line in lines.map_while(Result::ok) {
            let _ = writeln!(f, "{line}");
        }
    });
    HubProc { child, url }
}

#[test]
fn a_member_from_another_region_is_looked_up_at_the_hub_and_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = fixture_hub(dir.path());
    let s = |p: &str| dir.path().join(p).display().to_string();
    // A kiosk in Jakarta Pusat: the Bandung families are not in its regions.
    let config = dir.path().join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "[kiosk]\nid = \"k1\"\ndb = {db:?}\nregions = [\"3171\"]\n\
             [hub]\nurl = {url:?}\nca = {ca:?}\npublic_key = {public:?}\ncons_id = \"k1\"\n\
             secret = \"{SECRET_1}\"\n",
            db = s("kiosk.db"),
            url = hub.url(),
            ca = s("tls.crt"),
            public = s("hub.pub"),
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let (code, v) = anj(&["sync", "--once", "--config", cfg, "--json"]);
    assert_eq!(code, 0, "{v}");
    let members = |db: &str| -> i64 {
        let mut store = Store::open(Path::new(db)).unwrap();
        store
            .connection()
            .query_row("SELECT count(*) FROM members", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        members(&s("kiosk.db")),
        1,
        "only the Jakarta family (Hendra's) is on this kiosk"
    );
    let facilities: i64 = Store::open(Path::new(&s("kiosk.db")))
        .unwrap()
        .connection()
        .query_row("SELECT count(*) FROM facilities", [], |r| r.get(0))
        .unwrap();
    assert!(facilities >= 7, "the global tables are here: {facilities}");

    // Budi, from Bandung: found at the hub, answered, and marked as such.
    let query = |what: &str, dob: &str| {
        anj(&[
            "query",
            what,
            "--config",
            cfg,
            "--nik",
            "3273011205800001",
            "--dob",
            dob,
            "--today",
            "2026-11-22",
            "--json",
        ])
    };
    let (code, v) = query("status", "1980-05-12");
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["source"], "hub", "{v}");
    let (code, v) = query("dues", "1980-05-12");
    assert_eq!((code, v["source"].as_str()), (0, Some("hub")), "{v}");
    assert!(v.to_string().contains("2565000"), "Budi's arrears: {v}");
    // Never on disk: the kiosk's file still holds only its own region's members.
    assert_eq!(members(&s("kiosk.db")), 1);
    // A local member is answered locally.
    let (code, v) = anj(&[
        "query",
        "status",
        "--config",
        cfg,
        "--nik",
        "3273013112750005",
        "--dob",
        "1975-12-31",
        "--today",
        "2026-11-22",
        "--json",
    ]);
    assert_eq!((code, v["source"].as_str()), (0, Some("local")), "{v}");
    // A wrong date of birth: the same mismatch as a local typo.
    let (code, v) = query("status", "1980-05-13");
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("IDENTITY_MISMATCH")),
        "{v}"
    );
    assert!(!v["message"].as_str().unwrap().contains("165"), "{v}");

    // Dewi, from Bandung too: her FKTP change request goes through the outbox as any
    // other.
    let (code, v) = anj(&[
        "request",
        "change-fktp",
        "--config",
        cfg,
        "--nik",
        "3273016802900004",
        "--dob",
        "1990-02-28",
        "--to",
        "3273P001",
        "--today",
        "2026-11-22",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    let reference = v["reference"].as_str().unwrap().to_owned();
    let (code, v) = anj(&["sync", "--once", "--config", cfg, "--json"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = anj(&[
        "hub",
        "requests",
        "list",
        "--state",
        &s("hub.db"),
        "--data",
        dir.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    assert!(v.to_string().contains(&reference), "{v}");
    assert_eq!(members(&s("kiosk.db")), 1);

    // The hub's log names lookups by a keyed hash, never the NIK or the card.
    let log = std::fs::read_to_string(dir.path().join("hub.log")).unwrap_or_default();
    assert!(log.contains("lookup"), "{log}");
    assert!(
        !log.contains("3273011205800001") && !log.contains("0001000000011"),
        "{log}"
    );

    // Offline: the same IDENTITY_MISMATCH, saying the kiosk is offline, for everyone.
    hub.kill();
    let (code, v) = query("status", "1980-05-12");
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("IDENTITY_MISMATCH")),
        "{v}"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Care Center 165"),
        "{v}"
    );
    assert!(
        v["message_en"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot reach"),
        "{v}"
    );
}
