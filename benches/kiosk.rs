//! The kiosk's speed figures on a full-size dataset: import rate, member lookup latency,
//! facility text and nearest search latency. Each operation is timed one by one so the
//! report gives real percentiles (p50, p99), not an average.
//!
//! Run: `cargo bench --bench kiosk` (defaults: 1,000,000 members, 30,000 facilities).
//! Smaller: `ANJUNGAN_BENCH_MEMBERS=100000 ANJUNGAN_BENCH_FACILITIES=3000 cargo bench --bench kiosk`.
//! The dataset and database are kept under `target/bench-data/` and reused when present;
//! set `ANJUNGAN_BENCH_REIMPORT=1` to measure the import again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anjungan::dataset::{self, synth::GenOptions};
use anjungan::services::{Identity, IdentityKey, MemberSession};
use anjungan::store::{FacilityQuery, Point, Store};
use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let members = env_usize("ANJUNGAN_BENCH_MEMBERS", 1_000_000);
    let facilities = env_usize("ANJUNGAN_BENCH_FACILITIES", 30_000);
    let samples = env_usize("ANJUNGAN_BENCH_SAMPLES", 5_000);
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench-data-{members}-{facilities}"));
    let data = root.join("dataset");
    let db = root.join("kiosk.db");

    if !data.join("members.csv").exists() {
        let t = Instant::now();
        let summary = dataset::synth::generate(
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
        println!(
            "generated {summary:?} in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    if !db.exists() || std::env::var_os("ANJUNGAN_BENCH_REIMPORT").is_some() {
        let _ = std::fs::remove_file(&db);
        let mut store = Store::open(&db).expect("open db");
        let report = dataset::import_dir(&mut store, &data, today).expect("import");
        println!(
            "import: {} rows (members {} + bills {} + facilities {}) in {:.2} s = {:.0} rows/s",
            report.core_rows(),
            report.members,
            report.bills,
            report.facilities,
            report.seconds,
            report.core_rows() as f64 / report.seconds
        );
    }

    let identities = sample_identities(&data, samples, today);
    let store = Store::open_read_only(&db).expect("open db read-only");
    let mut rng = ChaCha8Rng::seed_from_u64(7);

    // Status + dues: identify (member, family, bills, FKTP, rules) then both views.
    let lookups = time_each(&identities, |id| {
        let s = MemberSession::identify(&store, id).expect("identify");
        std::hint::black_box((s.status(today), s.dues(today)));
    });
    report("status+dues lookup", &lookups);

    let words = [
        "puskesmas",
        "klinik",
        "apotek",
        "bandung",
        "jl",
        "sehat",
        "pratama",
        "kota",
    ];
    let texts: Vec<String> = (0..samples)
        .map(|_| {
            let w = words[rng.random_range(0..words.len())];
            // Members type prefixes: take 3..=len characters.
            let n = rng.random_range(3..=w.len());
            w[..n].to_owned()
        })
        .collect();
    let text = time_each(&texts, |t| {
        let q = FacilityQuery {
            text: Some(t.clone()),
            limit: 20,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report("facility text search (limit 20)", &text);

    let points: Vec<Point> = (0..samples)
        .map(|_| Point {
            // Over Indonesia's land mass: Sumatra to Papua.
            lat: rng.random_range(-8.5..3.5),
            lon: rng.random_range(95.5..140.5),
        })
        .collect();
    let near = time_each(&points, |p| {
        let q = FacilityQuery {
            near: Some(*p),
            limit: 50,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report("nearest-50 facilities", &near);

    let java: Vec<Point> = (0..samples)
        .map(|_| Point {
            lat: rng.random_range(-7.8..-6.2),
            lon: rng.random_range(106.5..112.5),
        })
        .collect();
    let near_text = time_each(&java, |p| {
        let q = FacilityQuery {
            near: Some(*p),
            text: Some("puskesmas".into()),
            limit: 50,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report("nearest-50 'puskesmas' (Java)", &near_text);
}

fn time_each<T>(items: &[T], mut f: impl FnMut(&T)) -> Vec<Duration> {
    // Warm the page cache and statement cache first, as a running kiosk would be.
    for item in items.iter().take(200) {
        f(item);
    }
    items
        .iter()
        .map(|item| {
            let t = Instant::now();
            f(item);
            t.elapsed()
        })
        .collect()
}

fn report(name: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let pct = |p: f64| sorted[((sorted.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name}: n={} p50={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms",
        sorted.len(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        sorted.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Random members' NIK and date of birth, read from the dataset as a member would type them.
fn sample_identities(data: &Path, n: usize, today: NaiveDate) -> Vec<Identity> {
    let mut reader = csv::Reader::from_path(data.join("members.csv")).expect("members.csv");
    let all: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[1].to_owned(), r[4].to_owned())
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..n)
        .map(|_| {
            let (nik, dob) = &all[rng.random_range(0..all.len())];
            Identity::parse(IdentityKey::Nik(nik.clone()), dob, today).expect("valid identity")
        })
        .collect()
}
