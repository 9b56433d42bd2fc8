//! Stateless replicas on PostgreSQL, as processes: several `anjungan-hub serve` over one
//! database, a real kiosk sync agent that knows them all (`URL1,URL2`) over HTTPS, one
//! replica killed, a decision made through the command line, a call replayed to another
//! replica, and the signed heartbeat receipt.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anjungan_core::report::DiagReport;
use anjungan_core::store::Store;
use anjungan_core::sync::auth::{self, CallLine};
use anjungan_core::sync::client::{ClientLimits, HubClient};
use anjungan_core::sync::payload::Kind;
use anjungan_core::sync::tls::HubEndpoint;
use anjungan_core::sync::{SyncAgent, SyncError, keys, unix_now};
use anjungan_hub::{HubStore, PgHub};
use serde_json::Value;

const SECRET: &str = "k1-secret-for-the-replica-test-0123456789";

fn hub_cli(args: &[&str]) -> (i32, Value) {
    common::hub_cli_with(args, "")
}

fn replica(dir: &Path, database: &str) -> common::Served {
    common::serve(dir, &["--database", database])
}

fn agent(dir: &Path, db: &Path, urls: &str) -> SyncAgent {
    common::kiosk_agent(dir, db, urls, SECRET)
}

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let database = common::pg_database();
    let out = dir.path().display().to_string();
    let (code, v) = hub_cli(&["keygen", "--out", &out, "--json"]);
    assert_eq!(code, 0, "{v}");
    std::fs::write(
        dir.path().join("kiosks.toml"),
        format!("[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET}\"\n"),
    )
    .unwrap();
    let fixture = common::fixture().display().to_string();
    let (code, v) = hub_cli(&[
        "import",
        "--database",
        &database,
        "--data",
        &fixture,
        "--today",
        "2026-11-22",
        "--json",
    ]);
    assert_eq!((code, v["version"].as_i64()), (0, Some(1)), "{v}");
    (dir, database)
}

#[test]
fn a_kiosk_fails_over_between_replicas_and_loses_nothing() {
    let (dir, database) = setup();
    let a = replica(dir.path(), &database);
    let b = replica(dir.path(), &database);
    let kiosk = dir.path().join("kiosk.db");
    let agent = agent(dir.path(), &kiosk, &format!("{},{}", a.url, b.url));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let first = rt.block_on(agent.run_once()).unwrap();
    assert_eq!(
        (first.applied.kind, first.applied.version),
        (Kind::Snapshot, 1)
    );

    // A request taken while replica A is gone: delivered through B in the same cycle.
    {
        let mut store = Store::open(&kiosk).unwrap();
        store
            .enqueue_request(
                "AJ-REPL-00001",
                "KELAS",
                "0001000000011",
                r#"{"to": 2, "effective_date": "2026-12-01"}"#,
                "2026-11-22T03:00:00Z",
            )
            .unwrap();
    }
    drop(a);
    let report = rt.block_on(agent.run_once()).unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(report.applied.kind, Kind::None);
    let hub = PgHub::connect(&database).unwrap();
    let held = hub.requests().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        (held[0].reference.as_str(), held[0].cons_id.as_str()),
        ("AJ-REPL-00001", "k1")
    );
    // Its heartbeat reached the shared fleet table, whichever replica took it.
    assert_eq!(hub.fleet().unwrap()[0].cons_id, "k1");

    // An officer decides through the command line; the kiosk hears it from B.
    let (code, v) = hub_cli(&[
        "requests",
        "approve",
        "AJ-REPL-00001",
        "--database",
        &database,
        "--json",
    ]);
    assert_eq!((code, v["state"].as_str()), (0, Some("APPROVED")), "{v}");
    let report = rt.block_on(agent.run_once()).unwrap();
    assert_eq!(
        (report.applied.kind, report.applied.version),
        (Kind::Delta, 2)
    );
    let store = Store::open(&kiosk).unwrap();
    let entry = store.request("AJ-REPL-00001").unwrap().unwrap();
    assert_eq!(entry.state.code(), "APPROVED", "{entry:?}");

    // Both replicas gone: the cycle fails as unreachable, and nothing is lost.
    drop(b);
    let err = rt.block_on(agent.run_once()).unwrap_err();
    assert!(matches!(err, SyncError::Network(_)), "{err:?}");
    assert_eq!(
        Store::open(&kiosk).unwrap().dataset_info().unwrap().version,
        2
    );
}

fn signed_get(url: &str, nonce: &str) -> Vec<(&'static str, String)> {
    let target = "/v1/sync?since=0&epoch=&nonce=abcdef0123456789";
    let call = CallLine {
        method: "GET",
        path_and_query: target,
        content_sha256: &auth::body_sha256(b""),
    };
    let _ = url;
    auth::sign_request("k1", SECRET, unix_now(), nonce, &call).to_vec()
}

#[test]
fn a_call_taken_by_one_replica_is_refused_by_another_and_heartbeats_are_signed() {
    let (dir, database) = setup();
    let a = replica(dir.path(), &database);
    let b = replica(dir.path(), &database);
    let ca: PathBuf = dir.path().join("tls.crt");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let headers = signed_get(&a.url, "replayed-nonce-0001");
        let call = |base: &str| {
            let endpoint = HubEndpoint::new(base, Some(&ca)).unwrap();
            let http = endpoint
                .client(Duration::from_secs(5), Duration::from_secs(5))
                .unwrap();
            let mut rb = http.get(format!(
                "{}/v1/sync?since=0&epoch=&nonce=abcdef0123456789",
                endpoint.base()
            ));
            for (h, v) in &headers {
                rb = rb.header(*h, v);
            }
            rb.send()
        };
        let first = call(&a.url).await.unwrap();
        assert_eq!(first.status().as_u16(), 200);
        let replayed = call(&b.url).await.unwrap();
        assert_eq!(replayed.status().as_u16(), 401);
        let body: Value = replayed.json().await.unwrap();
        assert_eq!(body["error"], "AUTH_REPLAYED", "{body}");

        // The heartbeat's receipt is signed by the hub's key, for this heartbeat.
        let report = serde_json::to_value(DiagReport {
            kiosk_id: "k1".into(),
            ..DiagReport::default()
        })
        .unwrap();
        let pinned = keys::read_public_key(&dir.path().join("hub.pub")).unwrap();
        let endpoint = HubEndpoint::new(&b.url, Some(&ca)).unwrap();
        let client =
            HubClient::new(&endpoint, "k1", SECRET, pinned, ClientLimits::default()).unwrap();
        let ack = client.heartbeat(&report).await.unwrap();
        assert!(ack.ok);
        // Pinned to another key, the same receipt is not believed.
        let other = keys::generate().verifying_key();
        let client =
            HubClient::new(&endpoint, "k1", SECRET, other, ClientLimits::default()).unwrap();
        assert!(matches!(
            client.heartbeat(&report).await,
            Err(SyncError::BadAck)
        ));
        // Something that is not a health report is refused.
        let client =
            HubClient::new(&endpoint, "k1", SECRET, pinned, ClientLimits::default()).unwrap();
        match client
            .heartbeat(&serde_json::json!({"healthy": "yes"}))
            .await
        {
            Err(SyncError::Hub { status, code, .. }) => {
                assert_eq!((status, code.as_str()), (422, "BAD_REPORT"));
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn a_lookup_through_either_replica_finds_the_family_and_failures_lock_it_on_both() {
    use anjungan_core::sync::lookup::LookupAnswer;
    let (dir, database) = setup();
    let a = replica(dir.path(), &database);
    let b = replica(dir.path(), &database);
    let ca = dir.path().join("tls.crt");
    let pinned = keys::read_public_key(&dir.path().join("hub.pub")).unwrap();
    let client = |url: &str| {
        let endpoint = HubEndpoint::new(url, Some(&ca)).unwrap();
        HubClient::new(&endpoint, "k1", SECRET, pinned, ClientLimits::default()).unwrap()
    };
    let (ca_client, cb_client) = (client(&a.url), client(&b.url));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Budi by NIK through A, by card through B: his family, signed for this call.
        let LookupAnswer::Found(rows) = ca_client
            .lookup("3273011205800001", "1980-05-12")
            .await
            .unwrap()
        else {
            panic!("Budi not found");
        };
        let members = rows.iter().filter(|(t, _)| t == "members").count();
        let bills = rows.iter().filter(|(t, _)| t == "bills").count();
        assert_eq!((members, bills), (3, 28));
        assert!(matches!(
            cb_client
                .lookup("0001000000011", "1980-05-12")
                .await
                .unwrap(),
            LookupAnswer::Found(_)
        ));
        // Five wrong birth dates, alternating replicas: the identifier locks on both,
        // and then even the right date is refused.
        for i in 0..5 {
            let c = if i % 2 == 0 { &ca_client } else { &cb_client };
            let answer = c.lookup("3273016802900004", "1990-01-01").await.unwrap();
            if i < 4 {
                assert_eq!(answer, LookupAnswer::Mismatch, "try {i}");
            } else {
                assert!(matches!(answer, LookupAnswer::Locked { .. }), "{answer:?}");
            }
        }
        for c in [&ca_client, &cb_client] {
            assert!(matches!(
                c.lookup("3273016802900004", "1990-02-28").await.unwrap(),
                LookupAnswer::Locked { seconds_left } if seconds_left > 3_500
            ));
        }
        // The kiosk is told how long the lock lasts (Retry-After): two minutes, say.
        let db = database.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
            let now = anjungan_core::sync::unix_now();
            c.execute(
                "UPDATE hub_lookup_failures SET locked_until = $1 WHERE locked_until IS NOT NULL",
                &[&(now + 120)],
            )
            .unwrap();
        })
        .join()
        .unwrap();
        for c in [&ca_client, &cb_client] {
            let answer = c.lookup("3273016802900004", "1990-02-28").await.unwrap();
            assert!(
                matches!(answer, LookupAnswer::Locked { seconds_left } if (110..=120).contains(&seconds_left)),
                "{answer:?}"
            );
        }
        // Another identifier is not locked.
        assert!(matches!(
            cb_client
                .lookup("3273013112750005", "1975-12-31")
                .await
                .unwrap(),
            LookupAnswer::Found(_)
        ));
    });
    // The lock table holds hashes, never the NIK.
    let mut c = postgres::Client::connect(&database, postgres::NoTls).unwrap();
    let keys: Vec<String> = c
        .query("SELECT key_hash FROM hub_lookup_failures", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| k.len() == 64 && !k.contains("3273016802900004"))
    );
}
