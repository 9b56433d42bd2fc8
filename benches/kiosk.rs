//! The kiosk's speed figures on a full-size dataset: import rate, member lookup latency,
//! facility text and nearest search latency. Each operation is timed one by one so the
//! report gives real percentiles (p50, p99), not an average.
//!
//! Run: `cargo bench --bench kiosk` (defaults: 1,000,000 members, 30,000 facilities).
//! Smaller: `ANJUNGAN_BENCH_MEMBERS=100000 ANJUNGAN_BENCH_FACILITIES=3000 cargo bench --bench kiosk`.
//! The dataset and database are kept under `target/tmp/bench-data-<members>-<facilities>/`
//! and reused when present;
//! set `ANJUNGAN_BENCH_REIMPORT=1` to measure the import again, and `ANJUNGAN_BENCH_CLEAR=1`
//! to compare the (encrypted) database with a clear copy of it in the same run.

mod common;

use std::path::{Path, PathBuf};

use common::{report, sample_identities};
use std::time::{Duration, Instant};

use anjungan::dataset::{self, synth::GenOptions};
use anjungan::services::MemberSession;
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

    // A running kiosk has its database in the page cache (350 MB at 1M members); read it
    // once so the figures measure the kiosk, not the disk.
    let mut file = std::fs::File::open(&db).expect("open db file");
    std::io::copy(&mut file, &mut std::io::sink()).expect("read db file");

    let identities = sample_identities(&data, samples, today);
    let store = Store::open_read_only(&db).expect("open db read-only");
    let mut rng = ChaCha8Rng::seed_from_u64(7);

    // Status + dues: identify (member, family, bills, FKTP, rules) then both views.
    let lookups = time_each(&identities, |id| {
        let s = MemberSession::identify(&store, id).expect("identify");
        std::hint::black_box((s.status(today), s.dues(today)));
    });
    report("status+dues lookup", &lookups);

    // What members type: the start of a word from a real facility's name, kecamatan or
    // kab/kota, one or two words.
    let words = place_words(&data.join("facilities.csv"), &[1, 4, 5]);
    let prefix = |rng: &mut ChaCha8Rng| {
        let w: &Vec<char> = &words[rng.random_range(0..words.len())];
        let n = rng.random_range(w.len().min(3)..=w.len());
        w[..n].iter().collect::<String>()
    };
    let texts: Vec<String> = (0..samples)
        .map(|_| {
            if rng.random_bool(0.5) {
                prefix(&mut rng)
            } else {
                format!("{} {}", prefix(&mut rng), prefix(&mut rng))
            }
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
    report("facility text search, typed words (limit 20)", &text);

    // The broadest prefixes there are: the first letters of a type word or of "Jl.".
    let broad: Vec<String> = ["pus", "kli", "apo", "jl", "kota", "rs"]
        .iter()
        .cycle()
        .take(samples / 5)
        .map(|s| s.to_string())
        .collect();
    let text_broad = time_each(&broad, |t| {
        let q = FacilityQuery {
            text: Some(t.clone()),
            limit: 20,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report(
        "facility text search, broadest prefixes (limit 20)",
        &text_broad,
    );

    // Kiosks stand in BPJS offices and MPPs: search from there, a few hundred metres off.
    let sites = office_sites(&data.join("offices.csv"));
    let kiosk_points: Vec<Point> = (0..samples)
        .map(|_| {
            let p = sites[rng.random_range(0..sites.len())];
            Point {
                lat: p.lat + rng.random_range(-0.01..0.01),
                lon: p.lon + rng.random_range(-0.01..0.01),
            }
        })
        .collect();
    let near = time_each(&kiosk_points, |p| {
        let q = FacilityQuery {
            near: Some(*p),
            limit: 50,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report("nearest-50 facilities from kiosk sites", &near);

    let anywhere: Vec<Point> = (0..samples)
        .map(|_| Point {
            // Indonesia's bounding box, sea included: the worst case for a tree walk.
            lat: rng.random_range(-8.5..3.5),
            lon: rng.random_range(95.5..140.5),
        })
        .collect();
    let near_any = time_each(&anywhere, |p| {
        let q = FacilityQuery {
            near: Some(*p),
            limit: 50,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report(
        "nearest-50 facilities from anywhere in the bounding box",
        &near_any,
    );

    let near_text = time_each(&kiosk_points, |p| {
        let q = FacilityQuery {
            near: Some(*p),
            text: Some("puskesmas".into()),
            limit: 50,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report("nearest-50 'puskesmas' from kiosk sites", &near_text);

    let near_open = time_each(&kiosk_points, |p| {
        let q = FacilityQuery {
            near: Some(*p),
            open_fktp_only: true,
            limit: 50,
            ..FacilityQuery::default()
        };
        std::hint::black_box(store.search_facilities(&q).expect("search"));
    });
    report(
        "nearest-50 open FKTPs from kiosk sites (Ubah FKTP)",
        &near_open,
    );

    if std::env::var_os("ANJUNGAN_BENCH_CLEAR").is_some() {
        compare_with_clear(
            &root,
            &db,
            &store,
            &identities,
            &texts,
            &kiosk_points,
            today,
        );
    }
}

/// What encryption costs: the same operations on a clear copy of the same database, in the
/// same run, alternating encrypted and clear twice so that drift affects both alike.
/// Prints the ratios encrypted / clear of the medians (p50) and of the p99s.
fn compare_with_clear(
    root: &Path,
    db: &Path,
    store: &Store,
    identities: &[anjungan::services::Identity],
    texts: &[String],
    points: &[Point],
    today: NaiveDate,
) {
    let clear = root.join("kiosk-clear.db");
    if !clear.exists() {
        // An empty key makes SQLCipher write a plain SQLite file.
        let conn = anjungan::store::open_connection(db).expect("open db");
        conn.execute(
            "ATTACH DATABASE ?1 AS plain KEY ''",
            [clear.display().to_string()],
        )
        .expect("attach clear copy");
        conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
            .expect("export");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version");
        conn.execute_batch(&format!(
            "PRAGMA plain.user_version = {version}; DETACH DATABASE plain;"
        ))
        .expect("detach");
    }
    let mut file = std::fs::File::open(&clear).expect("open clear copy");
    std::io::copy(&mut file, &mut std::io::sink()).expect("read clear copy");
    let conn = rusqlite::Connection::open_with_flags(
        &clear,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open clear copy");
    conn.pragma_update(None, "temp_store", "MEMORY")
        .expect("temp_store");
    let plain = Store::from_read_only(conn).expect("clear store");

    type Op<'a> = Box<dyn Fn(&Store) -> Vec<Duration> + 'a>;
    let ops: Vec<(&str, Op<'_>)> = vec![
        (
            "status+dues lookup",
            Box::new(|s: &Store| {
                time_each(identities, |id| {
                    let m = MemberSession::identify(s, id).expect("identify");
                    std::hint::black_box((m.status(today), m.dues(today)));
                })
            }),
        ),
        (
            "facility text search, typed words",
            Box::new(|s: &Store| {
                time_each(texts, |t| {
                    let q = FacilityQuery {
                        text: Some(t.clone()),
                        limit: 20,
                        ..FacilityQuery::default()
                    };
                    std::hint::black_box(s.search_facilities(&q).expect("search"));
                })
            }),
        ),
        (
            "nearest-50 facilities from kiosk sites",
            Box::new(|s: &Store| {
                time_each(points, |p| {
                    let q = FacilityQuery {
                        near: Some(*p),
                        limit: 50,
                        ..FacilityQuery::default()
                    };
                    std::hint::black_box(s.search_facilities(&q).expect("search"));
                })
            }),
        ),
    ];
    let pct = |times: &mut Vec<Duration>, p: f64| {
        times.sort();
        times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
    };
    for (name, op) in &ops {
        let (mut enc, mut clr) = (Vec::new(), Vec::new());
        for _ in 0..2 {
            enc.extend(op(store));
            clr.extend(op(&plain));
        }
        let (e50, c50) = (pct(&mut enc, 0.5), pct(&mut clr, 0.5));
        let (e99, c99) = (pct(&mut enc, 0.99), pct(&mut clr, 0.99));
        println!(
            "encrypted vs clear, {name}: p50 {e50:.3} / {c50:.3} ms = x{:.2}, p99 {e99:.3} / {c99:.3} ms = x{:.2}",
            e50 / c50,
            e99 / c99
        );
    }
}

/// Every word (letters only, 3+ characters) in the given columns of a place file.
fn place_words(file: &Path, columns: &[usize]) -> Vec<Vec<char>> {
    let mut reader = csv::Reader::from_path(file).expect("place file");
    let mut words = Vec::new();
    for record in reader.records() {
        let record = record.expect("row");
        for &c in columns {
            for w in record[c].split(|ch: char| !ch.is_alphanumeric()) {
                if w.chars().count() >= 3 {
                    words.push(w.to_lowercase().chars().collect());
                }
            }
        }
    }
    words
}

/// Office coordinates: where kiosks stand.
fn office_sites(file: &Path) -> Vec<Point> {
    let mut reader = csv::Reader::from_path(file).expect("offices.csv");
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            Point {
                lat: r[7].parse().expect("lat"),
                lon: r[8].parse().expect("lon"),
            }
        })
        .collect()
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
