//! What the benches share: the percentile report and members sampled as they would type.
#![allow(dead_code)] // each bench uses its own part

use std::path::Path;
use std::time::Duration;

use anjungan::services::{Identity, IdentityKey};
use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Prints n, p50, p90, p99 and max of `times` in milliseconds.
pub fn report(name: &str, times: &[Duration]) {
    if times.is_empty() {
        println!("{name}: no samples");
        return;
    }
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
pub fn sample_identities(data: &Path, n: usize, today: NaiveDate) -> Vec<Identity> {
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
