//! The console's figures at fleet scale (issue 15): the kiosks' counts as heartbeats bring
//! them, and the two reads a figures page makes, on SQLite and (with ANJUNGAN_BENCH_PG) on
//! PostgreSQL:
//! 1. keeping one heartbeat's counts (a kiosk's day, 100 rows), median and p99;
//! 2. the page's reads for all kiosks and for one branch: the 30 days summed per kiosk and
//!    day in the database, and the chosen day slot by slot; against reading every slot of
//!    the 30 days (what summing in the hub would need), as a ratio in the same run.
//!
//! Run: cargo bench -p anjungan-hub --bench figures
//!      (PostgreSQL too: source scripts/pg.sh start; ANJUNGAN_BENCH_PG=$ANJUNGAN_TEST_PG …)
//! Knobs: ANJUNGAN_BENCH_KIOSKS (2,000), ANJUNGAN_BENCH_DAYS (30),
//! ANJUNGAN_BENCH_BRANCH (50: kiosks in the branch read alone).

use std::time::Instant;

use anjungan_core::counters::{Metric, SlotCount};
use anjungan_hub::counts::CountQuery;
use anjungan_hub::{HubStore, PgHub, SqliteHub};
use chrono::NaiveDate;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p99(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * 0.99).round() as usize]
}

/// One kiosk's day as its heartbeats leave it: 20 half hours of 07:00–16:30, two services'
/// tickets and waits and the identification failures (100 rows).
fn day_rows(day: NaiveDate, seed: usize) -> Vec<SlotCount> {
    let mut rows = Vec::with_capacity(100);
    for half in 0..20 {
        let slot = format!("{day}T{:02}:{:02}", 7 + half / 2, (half % 2) * 30);
        let n = ((seed + half) % 7) as i64;
        for (metric, key, v) in [
            (Metric::Tickets, "A", n + 1),
            (Metric::Tickets, "B", n),
            (Metric::WaitMinutes, "A", 15 * n),
            (Metric::WaitMinutes, "B", 10 * n),
            (Metric::IdFailures, "", n % 2),
        ] {
            rows.push(SlotCount::new(slot.clone(), metric, key, v));
        }
    }
    rows
}

fn bench(name: &str, hub: &dyn HubStore, kiosks: usize, days: usize, branch: usize) {
    let last = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let first = last - chrono::Duration::days(days as i64 - 1);
    let started = Instant::now();
    let mut keep_ms = Vec::with_capacity(kiosks * days);
    for d in 0..days {
        let day = first + chrono::Duration::days(d as i64);
        for k in 0..kiosks {
            let rows = day_rows(day, k + d);
            let t = Instant::now();
            hub.record_counts(&format!("k{k:05}"), &rows)
                .expect("record");
            keep_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let rows = kiosks * days * 100;
    println!(
        "{name}: {rows} counts kept in {:.1} s; one heartbeat's 100: median {:.2} ms, p99 {:.2} ms",
        started.elapsed().as_secs_f64(),
        median(keep_ms.clone()),
        p99(keep_ms)
    );
    let (from, to) = (
        first.to_string(),
        (last + chrono::Duration::days(1)).to_string(),
    );
    let day = last.to_string();
    let ids: Vec<String> = (0..branch).map(|k| format!("k{k:05}")).collect();
    let time = |q: CountQuery<'_>| {
        let mut ms = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let t = Instant::now();
            n = hub.counts(&q).expect("counts").len();
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        (median(ms), n)
    };
    for (scope, kiosks) in [("all kiosks", None), ("one branch", Some(ids.as_slice()))] {
        let (per_day, n_day) = time(CountQuery {
            from: &from,
            to: &to,
            kiosks,
            per_day: true,
        });
        let (slots, n_slots) = time(CountQuery {
            from: &day,
            to: &to,
            kiosks,
            per_day: false,
        });
        let (raw, n_raw) = time(CountQuery {
            from: &from,
            to: &to,
            kiosks,
            per_day: false,
        });
        println!(
            "{name}, {scope}: per kiosk and day {per_day:.1} ms ({n_day} rows) + the day's slots \
             {slots:.1} ms ({n_slots} rows) = {:.1} ms; every slot of {days} days {raw:.1} ms \
             ({n_raw} rows), {:.1}x the page's reads",
            per_day + slots,
            raw / (per_day + slots)
        );
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let kiosks = env_usize("ANJUNGAN_BENCH_KIOSKS", 2_000);
    let days = env_usize("ANJUNGAN_BENCH_DAYS", 30).max(1);
    let branch = env_usize("ANJUNGAN_BENCH_BRANCH", 50).min(kiosks);
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteHub::open(&dir.path().join("hub.db")).expect("sqlite");
    bench("sqlite", &sqlite, kiosks, days, branch);
    match std::env::var("ANJUNGAN_BENCH_PG") {
        Ok(admin) => {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("admin");
            c.batch_execute("DROP DATABASE IF EXISTS anjungan_bench_figures")
                .expect("drop");
            c.batch_execute("CREATE DATABASE anjungan_bench_figures")
                .expect("create");
            let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
            let pg = PgHub::connect(&format!("{base}/anjungan_bench_figures")).expect("pg");
            bench("postgres", &pg, kiosks, days, branch);
        }
        Err(_) => println!("postgres: skipped (set ANJUNGAN_BENCH_PG)"),
    }
}
