//! National scale on PostgreSQL (issue 14), on this machine with the server beside it:
//! 1. `hub import` into PostgreSQL (rows/s), and the same dataset into SQLite for a ratio;
//! 2. the largest region's snapshot written and applied on a fresh kiosk, and the kiosk
//!    database's size for one region against all regions;
//! 3. on-demand lookups over HTTPS on loopback at a fixed rate (p50/p99);
//! 4. two replicas (`anjungan-hub serve` processes over the database) answering simulated
//!    kiosks polling "no change" (bounded loops), one replica killed (SIGKILL) midway:
//!    every kiosk fails over to the other; errors and lost polls are counted.
//!
//! Run (a throwaway PostgreSQL first):
//!   source scripts/pg.sh start
//!   ANJUNGAN_BENCH_PG=$ANJUNGAN_TEST_PG cargo bench -p anjungan-hub --bench scale
//! Knobs: ANJUNGAN_BENCH_MEMBERS (default 1,000,000), ANJUNGAN_BENCH_FACILITIES (30,000),
//! ANJUNGAN_BENCH_KIOSKS (2,000), ANJUNGAN_BENCH_POLLS (5 per kiosk),
//! ANJUNGAN_BENCH_LOOKUP_RATE (200/s), ANJUNGAN_BENCH_LOOKUP_SECS (15),
//! ANJUNGAN_BENCH_SPREAD_SECS (10: each round of polls is spread over this many seconds),
//! ANJUNGAN_BENCH_REGION_MEMBERS (200,000: a kiosk of the largest regions until it has
//! this many members),
//! ANJUNGAN_BENCH_REUSE=1 (keep the last run's database: no imports),
//! ANJUNGAN_BENCH_SKIP_SQLITE=1, ANJUNGAN_BENCH_SKIP_ALL_REGIONS=1,
//! ANJUNGAN_BENCH_SKIP_SNAPSHOTS=1 (for the 10M run: the parts that need hours or tens of GB).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anjungan_core::dataset::{self, synth::GenOptions};
use anjungan_core::store::Store;
use anjungan_core::sync::payload::{self, Expect};
use anjungan_core::sync::tls::{self, HubEndpoint};
use anjungan_core::sync::{apply, auth, keys, nonce, unix_now};
use anjungan_hub::store::Ask;
use anjungan_hub::{HubStore, PgHub, SqliteHub};
use chrono::NaiveDate;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn fresh_database(admin: &str, name: &str) -> String {
    let mut c = postgres::Client::connect(admin, postgres::NoTls).expect("admin connection");
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .expect("drop");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
    format!("{base}/{name}")
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Ok(admin) = std::env::var("ANJUNGAN_BENCH_PG") else {
        eprintln!(
            "set ANJUNGAN_BENCH_PG (source scripts/pg.sh start; ANJUNGAN_BENCH_PG=$ANJUNGAN_TEST_PG)"
        );
        return;
    };
    let members = env_usize("ANJUNGAN_BENCH_MEMBERS", 1_000_000);
    let facilities = env_usize("ANJUNGAN_BENCH_FACILITIES", 30_000);
    let n_kiosks = env_usize("ANJUNGAN_BENCH_KIOSKS", 2_000);
    let polls = env_usize("ANJUNGAN_BENCH_POLLS", 5);
    let lookup_rate = env_usize("ANJUNGAN_BENCH_LOOKUP_RATE", 200);
    let lookup_secs = env_usize("ANJUNGAN_BENCH_LOOKUP_SECS", 15);
    let spread = env_usize("ANJUNGAN_BENCH_SPREAD_SECS", 10).max(1);
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tmp")
        .join(format!("hub-scale-{members}-{facilities}"));
    let data = root.join("dataset");
    std::fs::create_dir_all(&root).expect("bench dir");
    if !data.join("members.csv").exists() {
        let t = Instant::now();
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
        .expect("generate");
        println!(
            "generated {members} members in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }

    // 1. Imports (ANJUNGAN_BENCH_REUSE=1: keep the database of the last run).
    let reuse = std::env::var_os("ANJUNGAN_BENCH_REUSE").is_some();
    let url = if reuse {
        let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
        format!("{base}/bench_scale")
    } else {
        fresh_database(&admin, "bench_scale")
    };
    let pg = PgHub::connect(&url).expect("postgres");
    if !reuse || pg.version().expect("version") == 0 {
        let t = Instant::now();
        let summary = pg.import(&data, today).expect("import into postgres");
        let pg_secs = t.elapsed().as_secs_f64();
        let rows = summary.upserts as f64;
        println!(
            "import into PostgreSQL: {} rows in {pg_secs:.1} s = {:.0} rows/s",
            summary.upserts,
            rows / pg_secs
        );
        if std::env::var_os("ANJUNGAN_BENCH_SKIP_SQLITE").is_none() {
            let sqlite_path = root.join("hub-sqlite.db");
            for suffix in ["", "-wal", "-shm", ".key"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_path.display()));
            }
            let sqlite = SqliteHub::open(&sqlite_path).expect("sqlite");
            let t = Instant::now();
            sqlite.import(&data, today).expect("import into sqlite");
            let sq_secs = t.elapsed().as_secs_f64();
            println!(
                "import into SQLite: {sq_secs:.1} s = {:.0} rows/s; PostgreSQL/SQLite time ratio {:.2}",
                rows / sq_secs,
                pg_secs / sq_secs
            );
        }
    }

    // 2. The largest region's snapshot, applied on a fresh kiosk; sizes.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("client");
    let row = c
        .query_one(
            "SELECT b.bucket, count(*) FROM members m JOIN hub_buckets b ON b.kk_no = m.kk_no \
             GROUP BY b.bucket ORDER BY 2 DESC LIMIT 1",
            &[],
        )
        .expect("largest bucket");
    let (bucket, in_bucket): (String, i64) = (row.get(0), row.get(1));
    let regions_count: i64 = c
        .query_one("SELECT count(DISTINCT bucket) FROM hub_buckets", &[])
        .expect("buckets")
        .get(0);
    println!("{regions_count} regions; the largest, {bucket}, has {in_bucket} members");
    // A kiosk of several regions with at least this many members between them (the issue's
    // "one region of 200,000 members": no kab/kota of a 10M dataset is that big).
    let target = env_usize("ANJUNGAN_BENCH_REGION_MEMBERS", 200_000) as i64;
    let sizes: Vec<(String, i64)> = c
        .query(
            "SELECT b.bucket, count(*) FROM members m JOIN hub_buckets b ON b.kk_no = m.kk_no \
             GROUP BY b.bucket ORDER BY 2 DESC",
            &[],
        )
        .expect("buckets by size")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let (mut wide, mut in_wide) = (Vec::new(), 0);
    for (b, n) in &sizes {
        if in_wide >= target {
            break;
        }
        wide.push(b.clone());
        in_wide += n;
    }
    let key = keys::generate();
    let kiosk_size = |regions: Option<&[String]>, name: &str| -> (f64, f64, u64) {
        let db = root.join(format!("{name}.db"));
        for suffix in ["", "-wal", "-shm", ".key"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let file = root.join(format!("{name}.payload"));
        let n = nonce();
        let t = Instant::now();
        let mut out = std::fs::File::create(&file).expect("payload file");
        pg.write_answer(
            &mut out,
            &Ask {
                since: 0,
                epoch: "",
                nonce: &n,
                cons_id: "bench",
                regions,
                update: None,
            },
            &key,
        )
        .expect("snapshot");
        drop(out);
        let write = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let verified = payload::verify(
            std::fs::File::open(&file).expect("open"),
            &Expect {
                key: &key.verifying_key(),
                nonce: &n,
                now: unix_now(),
                max_skew: 300,
            },
        )
        .expect("verify");
        let mut store = Store::open(&db).expect("kiosk");
        apply::apply_file(store.connection(), &file, &verified, "bench", "now").expect("apply");
        drop(store);
        let applied = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(format!("{}-wal", db.display()))
                .map(|m| m.len())
                .unwrap_or(0);
        (write, applied, size)
    };
    let region = [bucket.clone()];
    if std::env::var_os("ANJUNGAN_BENCH_SKIP_SNAPSHOTS").is_none() {
        let (w1, a1, s1) = kiosk_size(Some(&region), "kiosk-one-region");
        println!(
            "region {bucket} snapshot: hub writes {w1:.1} s, kiosk verifies and applies {a1:.1} s, \
         kiosk database {:.1} MB",
            s1 as f64 / 1e6
        );
        let (w3, a3, s3) = kiosk_size(Some(&wide), "kiosk-wide");
        println!(
            "{} largest regions ({in_wide} members) snapshot: hub writes {w3:.1} s, kiosk \
             verifies and applies {a3:.1} s, kiosk database {:.1} MB",
            wide.len(),
            s3 as f64 / 1e6
        );
        if std::env::var_os("ANJUNGAN_BENCH_SKIP_ALL_REGIONS").is_none() {
            let (w2, a2, s2) = kiosk_size(None, "kiosk-all-regions");
            println!(
                "all regions snapshot: hub writes {w2:.1} s, kiosk verifies and applies {a2:.1} s, \
                 kiosk database {:.1} MB (one region / all = {:.3})",
                s2 as f64 / 1e6,
                s1 as f64 / s2 as f64
            );
        }
    }

    // Identities to look up: (NIK, birth date) of real members.
    let ids: Vec<(String, String)> = c
        .query(
            "SELECT nik, birth_date FROM members TABLESAMPLE SYSTEM (1) LIMIT 5000",
            &[],
        )
        .expect("sample")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    drop(c);

    // The kiosks, and two replicas: `anjungan-hub serve` processes over the database.
    let toml: String = (0..n_kiosks.max(500))
        .map(|i| format!("[[kiosk]]\ncons_id = \"k{i}\"\nsecret = \"secret-of-k{i}\"\n"))
        .collect();
    std::fs::write(root.join("kiosks.toml"), toml).expect("kiosks file");
    keys::write_pair(&key, &root).expect("hub key");
    let version = pg.version().expect("version");
    let epoch = pg.epoch().expect("epoch");
    drop(pg);
    let (cert, tkey) = tls::self_signed(&[]).expect("certificate");
    std::fs::write(root.join("tls.crt"), cert).expect("write");
    std::fs::write(root.join("tls.key"), tkey).expect("write");
    let ca = root.join("tls.crt");
    let mut replicas: Vec<std::process::Child> = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let s = |p: &str| root.join(p).display().to_string();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anjungan-hub"))
            .args(["serve", "--database", &url, "--key", &s("hub.key")])
            .args(["--kiosks", &s("kiosks.toml"), "--tls-cert", &s("tls.crt")])
            .args(["--tls-key", &s("tls.key"), "--listen", "127.0.0.1:0"])
            .args(["--max-connections", &(n_kiosks + 64).to_string()])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("replica");
        use std::io::BufRead as _;
        let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
        let base = loop {
            let line = lines.next().expect("replica stopped").expect("line");
            if let Some(u) = line.strip_prefix("hub listening on ") {
                break u.trim().replace("127.0.0.1", "localhost");
            }
        };
        std::thread::spawn(move || for _ in lines {});
        bases.push(base);
        replicas.push(child);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut first = Some(replicas.remove(0));
    rt.block_on(async {
        let endpoint = HubEndpoint::new(&bases[0], Some(&ca)).expect("endpoint");
        let client = endpoint
            .client(Duration::from_secs(10), Duration::from_secs(30))
            .expect("client");

        // 3. Lookups at a fixed rate, after a second of warm-up (not counted) that lets
        // each replica's connection pools grow to what the rate needs.
        for i in 0..lookup_rate {
            let body = serde_json::to_vec(&serde_json::json!({
                "id": ids[i % ids.len()].0, "birth_date": ids[i % ids.len()].1
            }))
            .expect("json");
            let _ = signed(
                &client,
                &bases[i % 2],
                "POST",
                "/v1/lookup",
                &body,
                499 - i % 100,
            )
            .await;
        }
        let lookups = lookup_rate * lookup_secs;
        let mut tasks = Vec::new();
        let started = Instant::now();
        let errors = Arc::new(AtomicU64::new(0));
        for i in 0..lookups {
            let (client, base) = (client.clone(), bases[i % 2].clone());
            let (id, dob) = ids[i % ids.len()].clone();
            let errors = Arc::clone(&errors);
            let at = Duration::from_secs_f64(i as f64 / lookup_rate as f64);
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(tokio::time::Instant::from_std(started + at)).await;
                let body = serde_json::to_vec(&serde_json::json!({"id": id, "birth_date": dob}))
                    .expect("json");
                let kiosk = i % 500;
                let t = Instant::now();
                let ok = signed(&client, &base, "POST", "/v1/lookup", &body, kiosk)
                    .await
                    .is_ok_and(|s| s == 200);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                t.elapsed().as_secs_f64() * 1000.0
            }));
        }
        let mut ms: Vec<f64> = Vec::new();
        for t in tasks {
            ms.push(t.await.expect("task"));
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "lookups: {lookups} at {lookup_rate}/s over 2 replicas, p50 {:.1} ms, p99 {:.1} ms, \
             errors {}",
            pct(&ms, 0.5),
            pct(&ms, 0.99),
            errors.load(Ordering::Relaxed)
        );

        // 4. Polling "no change", one replica stopped midway.
        let lost = Arc::new(AtomicU64::new(0));
        let failovers = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        let started = Instant::now();
        for i in 0..n_kiosks {
            let client = client.clone();
            let bases = bases.clone();
            let epoch = epoch.clone();
            let (lost, failovers) = (Arc::clone(&lost), Arc::clone(&failovers));
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                let mut prefer = i % 2;
                for round in 0..polls {
                    // Spread the kiosks over the round (a kiosk polls on its own timer).
                    let slot = Duration::from_millis(
                        ((i * 7919 + round * 104_729) % (spread * 1000)) as u64,
                    );
                    tokio::time::sleep_until(tokio::time::Instant::from_std(
                        started + Duration::from_secs((spread * round) as u64) + slot,
                    ))
                    .await;
                    let t = Instant::now();
                    let mut done = false;
                    for attempt in 0..2 {
                        let base = &bases[(prefer + attempt) % 2];
                        let n = nonce();
                        let target = format!("/v1/sync?since={version}&epoch={epoch}&nonce={n}");
                        match signed(&client, base, "GET", &target, b"", i).await {
                            Ok(200) => {
                                if attempt > 0 {
                                    failovers.fetch_add(1, Ordering::Relaxed);
                                    prefer = (prefer + 1) % 2;
                                }
                                done = true;
                                break;
                            }
                            _ => continue,
                        }
                    }
                    if done {
                        out.push(t.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        lost.fetch_add(1, Ordering::Relaxed);
                    }
                }
                out
            }));
        }
        // Replica 0 is killed (SIGKILL) in the middle of the run.
        let stop_at = Duration::from_secs((spread * polls / 2) as u64);
        let mut victim = first.take().expect("replica 0");
        tokio::spawn(async move {
            tokio::time::sleep(stop_at).await;
            let _ = victim.kill();
            let _ = victim.wait();
        });
        let mut ms: Vec<f64> = Vec::new();
        for t in tasks {
            ms.extend(t.await.expect("task"));
        }
        let secs = started.elapsed().as_secs_f64();
        ms.sort_by(f64::total_cmp);
        println!(
            "polling: {n_kiosks} kiosks x {polls} polls over 2 replicas ({:.0}/s), replica 0 \
             killed at {}s: p50 {:.1} ms, p99 {:.1} ms, answered {}, failed over {}, lost {}",
            ms.len() as f64 / secs,
            stop_at.as_secs(),
            pct(&ms, 0.5),
            pct(&ms, 0.99),
            ms.len(),
            failovers.load(Ordering::Relaxed),
            lost.load(Ordering::Relaxed)
        );
    });
    for mut r in replicas {
        let _ = r.kill();
        let _ = r.wait();
    }
}

/// One signed call as kiosk `k{kiosk}`; the HTTP status, the body read whole.
async fn signed(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    target: &str,
    body: &[u8],
    kiosk: usize,
) -> Result<u16, String> {
    let sha = auth::body_sha256(body);
    let call = auth::CallLine {
        method,
        path_and_query: target,
        content_sha256: &sha,
    };
    let url = format!("{base}{target}");
    let mut rb = match method {
        "POST" => client.post(url).body(body.to_vec()),
        _ => client.get(url),
    };
    for (h, v) in auth::sign_request(
        &format!("k{kiosk}"),
        &format!("secret-of-k{kiosk}"),
        unix_now(),
        &nonce(),
        &call,
    ) {
        rb = rb.header(h, v);
    }
    let resp = rb.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    resp.bytes().await.map_err(|e| e.to_string())?;
    Ok(status)
}
