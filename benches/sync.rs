//! Sync speed: a 10,000-row delta verified and applied; a full snapshot applied while a
//! lookup loop runs on another connection; the hub answering 200 kiosks polling at once.
//!
//! Run: `cargo bench --bench sync` (1,000,000 members, 30,000 facilities).
//! Smaller: `ANJUNGAN_BENCH_MEMBERS=100000 ANJUNGAN_BENCH_FACILITIES=3000 cargo bench --bench sync`.
//! Hub state, base kiosk database and payloads are kept under `target/tmp/sync-bench-*`
//! and reused.

mod common;

use std::path::{Path, PathBuf};

use common::{report, sample_identities};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anjungan::dataset::{self, synth::GenOptions};
use anjungan::hub::kiosks::Kiosks;
use anjungan::hub::server::{Hub, ServeOptions, ServerLimits, router, serve_listener};
use anjungan::hub::store::Ask;
use anjungan::hub::{HubStore, SqliteHub};
use anjungan::services::MemberSession;
use anjungan::store::Store;
use anjungan::sync::payload::{self, Expect};
use anjungan::sync::tls::{self, HubEndpoint};
use anjungan::sync::{auth, keys, nonce, unix_now};
use chrono::NaiveDate;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let members = env_usize("ANJUNGAN_BENCH_MEMBERS", 1_000_000);
    let facilities = env_usize("ANJUNGAN_BENCH_FACILITIES", 30_000);
    let kiosks = env_usize("ANJUNGAN_BENCH_KIOSKS", 200);
    let rounds = env_usize("ANJUNGAN_BENCH_ROUNDS", 10);
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sync-bench-{members}-{facilities}"));
    let data = root.join("dataset");
    let data2 = root.join("dataset-v2");
    std::fs::create_dir_all(&root).expect("bench dir");

    if !data.join("members.csv").exists() {
        dataset::synth::generate(
            &GenOptions {
                members,
                facilities,
                offices: None,
                seed: 42,
                today,
            },
            &data,
        )
        .expect("generate dataset");
    }
    let key = keys::generate();
    let key = match keys::read_signing_key(&root.join("hub.key")) {
        Ok(k) => k,
        Err(_) => {
            keys::write_pair(&key, &root).expect("keys");
            key
        }
    };
    let public = key.verifying_key();

    // Hub state: version 1 = the dataset; version 2 = 10,000 members renamed.
    let state = root.join("hub.db");
    let hub = SqliteHub::open(&state).expect("hub state");
    if hub.version().expect("version") == 0 {
        let t = Instant::now();
        let s = hub.import(&data, today).expect("hub import");
        println!(
            "hub import v1: {} rows in {:.1} s",
            s.upserts,
            t.elapsed().as_secs_f64()
        );
    }
    if hub.version().expect("version") == 1 {
        make_v2(&data, &data2, 10_000);
        let t = Instant::now();
        let s = hub.import(&data2, today).expect("hub import v2");
        println!(
            "hub import v2 (diff of the whole dataset): {} upserts, {} deletes in {:.1} s",
            s.upserts,
            s.deletes,
            t.elapsed().as_secs_f64()
        );
    }
    let epoch = hub.epoch().expect("epoch");

    // The payloads, as the hub writes them.
    let snap_file = root.join("snapshot.payload");
    let delta_file = root.join("delta.payload");
    let n_snap = "snap-nonce";
    let n_delta = "delta-nonce";
    let t = Instant::now();
    let mut f = std::fs::File::create(&snap_file).expect("file");
    hub.write_answer(&mut f, &Ask::all(0, "", n_snap, "bench"), &key)
        .expect("snapshot");
    println!(
        "hub writes snapshot v2: {:.1} s, {} MB compressed",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&snap_file).map(|m| m.len()).unwrap_or(0) / 1_000_000
    );
    let t = Instant::now();
    let mut f = std::fs::File::create(&delta_file).expect("file");
    hub.write_answer(&mut f, &Ask::all(1, &epoch, n_delta, "bench"), &key)
        .expect("delta");
    println!("hub writes delta v1→v2: {:.3} s", t.elapsed().as_secs_f64());

    // The kiosk: a base database imported locally (old data), copied fresh for each run.
    let base = root.join("base.db");
    if !base.exists() {
        let mut s = Store::open(&base).expect("base db");
        dataset::import_dir(&mut s, &data, today).expect("import");
    }
    let kiosk = root.join("kiosk.db");
    let fresh_copy = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", kiosk.display()));
        }
        std::fs::copy(&base, &kiosk).expect("copy base");
    };

    // 1. Snapshot over old data, with a lookup loop on another connection.
    fresh_copy();
    let identities = sample_identities(&data, 5_000, today);
    let stop = Arc::new(AtomicBool::new(false));
    let looper = {
        let (stop, kiosk, ids) = (Arc::clone(&stop), kiosk.clone(), identities.clone());
        std::thread::spawn(move || {
            let store = Store::open_read_only(&kiosk).expect("reader");
            let mut times = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let id = &ids[i % ids.len()];
                i += 1;
                let t = Instant::now();
                if let Ok(s) = MemberSession::identify(&store, id) {
                    let _ = s.status(today);
                    let _ = s.dues(today);
                }
                times.push(t.elapsed());
            }
            times
        })
    };
    std::thread::sleep(Duration::from_millis(500)); // the loop's warm-up, untimed below
    let t = Instant::now();
    let applied = verify_with_nonce(&kiosk, &snap_file, &public, n_snap).expect("snapshot applies");
    let snap_secs = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let lookups = looper.join().expect("lookup loop");
    println!(
        "snapshot verify+apply: {:.1} s ({} members) [target ≤ 60 s]",
        snap_secs,
        applied.counts.get("members").map_or(0, |c| c.upsert)
    );
    report("lookups during snapshot apply", &lookups);

    // 2. The 10,000-row delta, verified and applied (5 runs, each on a fresh copy).
    let mut delta_times = Vec::new();
    for _ in 0..5 {
        // The base copy holds exactly the hub's version 1: mark it so, as a synced kiosk.
        fresh_copy();
        {
            let s = Store::open(&kiosk).expect("kiosk");
            s.set_meta("data_version", "1").expect("meta");
            s.set_meta("sync_epoch", &epoch).expect("meta");
        }
        let t = Instant::now();
        let a = verify_with_nonce(&kiosk, &delta_file, &public, n_delta).expect("delta");
        delta_times.push(t.elapsed());
        assert_eq!(a.version, 2);
    }
    report("10,000-row delta verify+apply [target ≤ 1 s]", &delta_times);

    // 3. The hub answering kiosks polling at once, "no change".
    drop(hub);
    load_test(&state, key, kiosks, rounds);
}

/// Verifies and applies with the nonce the payload was written for.
fn verify_with_nonce(
    db: &Path,
    file: &Path,
    key: &ed25519_dalek::VerifyingKey,
    nonce: &str,
) -> Result<anjungan::sync::apply::Applied, anjungan::sync::SyncError> {
    // The payload files may be older than the ±300 s clock window (they are reused between
    // runs): verify hash and signature with the window open, then apply as the agent does.
    let verified = payload::verify(
        std::fs::File::open(file)?,
        &Expect {
            key,
            nonce,
            now: unix_now(),
            max_skew: i64::MAX / 2,
        },
    )?;
    let mut store = Store::open(db)?;
    anjungan::sync::apply::apply_file(
        store.connection(),
        file,
        &verified,
        "bench",
        &chrono::Utc::now().to_rfc3339(),
    )
}

/// Copies the dataset with `n` members renamed.
fn make_v2(from: &Path, to: &Path, n: usize) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("dataset") {
        let entry = entry.expect("entry");
        if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
    let mut reader = csv::Reader::from_path(from.join("members.csv")).expect("members");
    let mut writer = csv::Writer::from_path(to.join("members.csv")).expect("members v2");
    writer
        .write_record(reader.headers().expect("header"))
        .expect("write");
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.expect("row");
        let mut row: Vec<String> = rec.iter().map(str::to_owned).collect();
        if i < n {
            row[3].push_str(" Baru");
        }
        writer.write_record(&row).expect("write");
    }
    writer.flush().expect("flush");
}

fn load_test(state: &Path, key: ed25519_dalek::SigningKey, n: usize, rounds: usize) {
    let public = key.verifying_key();
    let toml: String = (0..n)
        .map(|i| format!("[[kiosk]]\ncons_id = \"k{i}\"\nsecret = \"secret-of-k{i}\"\n"))
        .collect();
    let kiosks = Kiosks::parse(&toml).expect("kiosks");
    let store = SqliteHub::open(state).expect("state");
    let (version, epoch) = (store.version().expect("v"), store.epoch().expect("e"));
    let hub = Arc::new(Hub::new(Arc::new(store), key, kiosks));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Over TLS, as kiosks reach a hub: a certificate made for this run, trusted alone.
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = tls::self_signed(&[]).expect("certificate");
        std::fs::write(dir.path().join("tls.crt"), cert).expect("write");
        std::fs::write(dir.path().join("tls.key"), key).expect("write");
        let config = tls::server_config(&dir.path().join("tls.crt"), &dir.path().join("tls.key"))
            .expect("tls");
        let options = ServeOptions {
            tls: Some(Arc::new(config)),
            limits: ServerLimits {
                max_connections: n + 16,
                ..ServerLimits::default()
            },
        };
        tokio::spawn(serve_listener(
            listener,
            router(hub),
            options,
            std::future::pending(),
        ));
        let endpoint = HubEndpoint::new(
            &format!("https://localhost:{}", addr.port()),
            Some(&dir.path().join("tls.crt")),
        )
        .expect("endpoint");
        let client = endpoint
            .client(Duration::from_secs(10), Duration::from_secs(60))
            .expect("client");
        let base = endpoint.base().to_owned();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..n {
            let (client, epoch, base) = (client.clone(), epoch.clone(), base.clone());
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                for _ in 0..rounds {
                    let nonce = nonce();
                    let mut url = reqwest::Url::parse(&format!("{base}/v1/sync")).expect("url");
                    url.query_pairs_mut()
                        .append_pair("since", &version.to_string())
                        .append_pair("epoch", &epoch)
                        .append_pair("nonce", &nonce);
                    let target = format!("{}?{}", url.path(), url.query().unwrap_or_default());
                    let empty = auth::body_sha256(b"");
                    let call = auth::CallLine {
                        method: "GET",
                        path_and_query: &target,
                        content_sha256: &empty,
                    };
                    let cons = format!("k{i}");
                    let mut rb = client.get(url);
                    for (h, v) in auth::sign_request(
                        &cons,
                        &format!("secret-of-k{i}"),
                        unix_now(),
                        &anjungan::sync::nonce(),
                        &call,
                    ) {
                        rb = rb.header(h, v);
                    }
                    let t = Instant::now();
                    let result = async {
                        let resp = rb.send().await.map_err(|e| e.to_string())?;
                        if !resp.status().is_success() {
                            return Err(format!("HTTP {}", resp.status()));
                        }
                        resp.bytes().await.map_err(|e| e.to_string())
                    }
                    .await;
                    out.push((t.elapsed(), nonce, result));
                }
                out
            }));
        }
        let mut times = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let Ok(Ok(results)) = tokio::time::timeout(Duration::from_secs(120), t).await else {
                errors += rounds;
                continue;
            };
            for (d, nonce, r) in results {
                match r {
                    Ok(body) => {
                        let ok = payload::verify(
                            &body[..],
                            &Expect {
                                key: &public,
                                nonce: &nonce,
                                now: unix_now(),
                                max_skew: 300,
                            },
                        )
                        .is_ok_and(|v| v.header.kind == payload::Kind::None);
                        if !ok {
                            errors += 1;
                        }
                        times.push(d);
                    }
                    Err(_) => errors += 1,
                }
            }
        }
        println!(
            "hub load: {n} kiosks × {rounds} polls at once in {:.1} s, {errors} errors",
            started.elapsed().as_secs_f64()
        );
        report("\"no change\" poll [target p99 ≤ 200 ms]", &times);
    });
}
