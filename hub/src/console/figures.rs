//! The figures page, for supervisors: per branch or kiosk, by day (the last 30) and by
//! 30-minute slot (one day), drawn as SVG bars with the numbers in tables beside them and
//! each table as CSV.
//!
//! - tickets by service, and their estimated wait against the 30-minute target;
//! - requests received and decided, and the time to decision;
//! - satisfaction ratings (per day: kiosks count them so);
//! - identification failures and lockouts, and printer faults.
//!
//! Everything but the requests comes from the counts kiosks send with their heartbeats
//! ([`anjungan_core::counters`]), in their own clock's slots. Requests are dated in WIB.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anjungan_core::counters::{Metric, WAIT_TARGET_MINUTES, slot_day};
use anjungan_core::domain::Lang;
use anjungan_core::i18n;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::chart::{Bars, PALETTE, Series, Target};
use super::{Page, Staff, blocking, failed, forbidden};
use crate::counts::{CountQuery, KioskCount};
use crate::server::Hub;
use crate::store::RequestRow;

/// Days shown on the figures page.
const DAYS: i64 = 30;

/// The earliest day the page shows (JKN began in 2014).
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2014, 1, 1).expect("a date");

/// Which kiosks and which day the page shows.
#[derive(Debug, Deserialize, Default, Clone)]
pub(crate) struct Scope {
    branch: Option<String>,
    kiosk: Option<String>,
    /// `YYYY-MM-DD`: the day of the 30-minute slots, and the last of the 30 days.
    day: Option<String>,
}

/// The selection the page and the CSVs are made of.
struct Selection {
    branch: Option<String>,
    kiosk: Option<String>,
    day: NaiveDate,
    /// Every known kiosk and its branch.
    kiosks: BTreeMap<String, Option<String>>,
}

impl Selection {
    fn new(scope: &Scope, kiosks: BTreeMap<String, Option<String>>) -> Self {
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let today = anjungan_core::clock::today_in(anjungan_core::clock::DEFAULT_ZONE);
        let day = scope
            .day
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .filter(|d| *d <= today && *d >= FIRST_DAY)
            .unwrap_or(today);
        Self {
            branch: blank(&scope.branch),
            kiosk: blank(&scope.kiosk),
            day,
            kiosks,
        }
    }

    fn first_day(&self) -> NaiveDate {
        self.day - chrono::Duration::days(DAYS - 1)
    }

    fn days(&self) -> Vec<NaiveDate> {
        (0..DAYS)
            .map(|i| self.first_day() + chrono::Duration::days(i))
            .collect()
    }

    fn includes(&self, cons_id: &str) -> bool {
        match (&self.kiosk, &self.branch) {
            (Some(k), _) => k == cons_id,
            (None, Some(b)) => self
                .kiosks
                .get(cons_id)
                .is_some_and(|branch| branch.as_deref() == Some(b.as_str())),
            (None, None) => true,
        }
    }

    /// The kiosks to read counts of (`None`: all).
    fn wanted(&self) -> Option<Vec<String>> {
        (self.kiosk.is_some() || self.branch.is_some()).then(|| {
            self.kiosks
                .keys()
                .filter(|id| self.includes(id))
                .cloned()
                .chain(self.kiosk.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        })
    }

    fn branches(&self) -> BTreeSet<&str> {
        self.kiosks.values().flatten().map(String::as_str).collect()
    }

    /// The query string that keeps this selection (for the CSV links).
    fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(b) = &self.branch {
            q.append_pair("branch", b);
        }
        if let Some(k) = &self.kiosk {
            q.append_pair("kiosk", k);
        }
        q.append_pair("day", &self.day.to_string());
        q.finish()
    }
}

/// Counts summed over some kiosks and slots.
#[derive(Debug, Default, Clone, PartialEq)]
struct Tally(BTreeMap<(Metric, String), i64>);

impl Tally {
    fn add(&mut self, metric: Metric, key: &str, n: i64) {
        *self.0.entry((metric, key.to_owned())).or_default() += n;
    }

    fn get(&self, metric: Metric, key: &str) -> i64 {
        self.0.get(&(metric, key.to_owned())).copied().unwrap_or(0)
    }

    fn sum(&self, metric: Metric) -> i64 {
        self.0
            .iter()
            .filter(|((m, _), _)| *m == metric)
            .map(|(_, n)| n)
            .sum()
    }

    fn keys(&self, metric: Metric) -> impl Iterator<Item = &str> {
        self.0
            .keys()
            .filter(move |(m, _)| *m == metric)
            .map(|(_, k)| k.as_str())
    }

    /// The tickets' mean estimated wait, in minutes.
    fn mean_wait(&self) -> Option<f64> {
        let tickets = self.sum(Metric::Tickets);
        (tickets > 0).then(|| self.sum(Metric::WaitMinutes) as f64 / tickets as f64)
    }

    /// The share of tickets whose estimated wait was over the target, in percent.
    fn over_target(&self) -> Option<f64> {
        let tickets = self.sum(Metric::Tickets);
        (tickets > 0).then(|| 100.0 * self.sum(Metric::WaitOver) as f64 / tickets as f64)
    }

    fn mean_rating(&self) -> Option<f64> {
        let n = self.sum(Metric::Ratings);
        let stars: i64 = (1..=5)
            .map(|s| s * self.get(Metric::Ratings, &s.to_string()))
            .sum();
        (n > 0).then(|| stars as f64 / n as f64)
    }
}

/// One day's requests.
#[derive(Debug, Default, Clone, PartialEq)]
struct Decisions {
    received: u32,
    approved: u32,
    rejected: u32,
    /// Hours from receipt to decision, for the requests decided that day.
    hours: Vec<f64>,
}

impl Decisions {
    fn median_hours(&self) -> Option<f64> {
        let mut h = self.hours.clone();
        if h.is_empty() {
            return None;
        }
        h.sort_by(f64::total_cmp);
        let mid = h.len() / 2;
        Some(if h.len() % 2 == 1 {
            h[mid]
        } else {
            (h[mid - 1] + h[mid]) / 2.0
        })
    }
}

/// The day (WIB) of an RFC 3339 time.
fn wib_day(s: &str) -> Option<(DateTime<Utc>, NaiveDate)> {
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    Some((
        t,
        t.with_timezone(&anjungan_core::clock::DEFAULT_ZONE)
            .date_naive(),
    ))
}

/// The half hour (WIB, `HH:MM`) of an RFC 3339 time on `day`.
fn wib_slot(s: &str, day: NaiveDate) -> Option<String> {
    let t = DateTime::parse_from_rfc3339(s)
        .ok()?
        .with_timezone(&anjungan_core::clock::DEFAULT_ZONE)
        .naive_local();
    (t.date() == day).then(|| anjungan_core::counters::slot_of(t)[11..16].to_owned())
}

/// Everything the page draws, for one selection.
struct Figures {
    days: Vec<NaiveDate>,
    daily: BTreeMap<NaiveDate, Tally>,
    /// The selected day's slots, `HH:MM`.
    slots: BTreeMap<String, Tally>,
    /// Per kiosk over the 30 days.
    per_kiosk: BTreeMap<String, Tally>,
    requests: BTreeMap<NaiveDate, Decisions>,
    /// Requests received per kiosk over the 30 days.
    requests_per_kiosk: BTreeMap<String, u32>,
    /// The selected day's requests per slot (WIB `HH:MM`): received, and decided.
    requests_by_slot: BTreeMap<String, (u32, u32)>,
    /// The whole range.
    all: Tally,
    /// Requests waiting for a decision now, of every kiosk.
    waiting: usize,
}

impl Figures {
    /// From the selection's counts per kiosk and day over its 30 days (`per_day`), the
    /// selected day's counts slot by slot (`day`), and the requests.
    fn of(
        sel: &Selection,
        per_day: &[KioskCount],
        day: &[KioskCount],
        requests: &[RequestRow],
    ) -> Self {
        let days = sel.days();
        let mut daily: BTreeMap<NaiveDate, Tally> =
            days.iter().map(|d| (*d, Tally::default())).collect();
        let mut slots = BTreeMap::new();
        let mut per_kiosk = BTreeMap::new();
        let mut all = Tally::default();
        for c in day.iter().filter(|c| sel.includes(&c.cons_id)) {
            let Some(metric) = Metric::parse(&c.count.metric) else {
                continue;
            };
            if metric.daily() || slot_day(&c.count.slot) != Some(sel.day) {
                continue;
            }
            let time = c.count.slot.get(11..16).unwrap_or("").to_owned();
            slots
                .entry(time)
                .or_insert_with(Tally::default)
                .add(metric, &c.count.key, c.count.n);
        }
        for c in per_day.iter().filter(|c| sel.includes(&c.cons_id)) {
            let Some(metric) = Metric::parse(&c.count.metric) else {
                continue;
            };
            let Some(day) = slot_day(&c.count.slot) else {
                continue;
            };
            let Some(tally) = daily.get_mut(&day) else {
                continue;
            };
            let (key, n) = (c.count.key.as_str(), c.count.n);
            tally.add(metric, key, n);
            all.add(metric, key, n);
            per_kiosk
                .entry(c.cons_id.clone())
                .or_insert_with(Tally::default)
                .add(metric, key, n);
        }
        let mut by_day: BTreeMap<NaiveDate, Decisions> =
            days.iter().map(|d| (*d, Decisions::default())).collect();
        let mut requests_per_kiosk = BTreeMap::new();
        let mut requests_by_slot: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        for r in requests.iter().filter(|r| sel.includes(&r.cons_id)) {
            for (at, decided) in [(Some(&r.received_at), false), (r.decided_at.as_ref(), true)] {
                if let Some(slot) = at.and_then(|t| wib_slot(t, sel.day)) {
                    let e = requests_by_slot.entry(slot).or_default();
                    if decided {
                        e.1 += 1;
                    } else {
                        e.0 += 1;
                    }
                }
            }
            let received = wib_day(&r.received_at);
            if let Some(d) = received.and_then(|(_, day)| by_day.get_mut(&day)) {
                d.received += 1;
                *requests_per_kiosk.entry(r.cons_id.clone()).or_default() += 1;
            }
            if let Some((t, day)) = r.decided_at.as_deref().and_then(wib_day)
                && let Some(d) = by_day.get_mut(&day)
            {
                match r.state.as_str() {
                    "APPROVED" => d.approved += 1,
                    "REJECTED" => d.rejected += 1,
                    _ => {}
                }
                if let Some((from, _)) = received {
                    d.hours
                        .push((t - from).num_seconds().max(0) as f64 / 3600.0);
                }
            }
        }
        Self {
            days,
            daily,
            slots,
            per_kiosk,
            requests: by_day,
            requests_per_kiosk,
            requests_by_slot,
            all,
            waiting: requests.iter().filter(|r| r.state == "RECEIVED").count(),
        }
    }

    fn services(&self) -> Vec<String> {
        self.all.keys(Metric::Tickets).map(str::to_owned).collect()
    }

    fn fault_codes(&self) -> Vec<String> {
        self.all
            .keys(Metric::PrintFaults)
            .map(str::to_owned)
            .collect()
    }

    /// The selected day's slots from the first to the last with counts, and at least the
    /// service hours 07:00 to 16:30.
    fn slot_labels(&self) -> Vec<String> {
        let all: Vec<String> = (0..48)
            .map(|i| format!("{:02}:{:02}", i / 2, (i % 2) * 30))
            .collect();
        let first = self
            .slots
            .keys()
            .next()
            .map_or("07:00", String::as_str)
            .min("07:00");
        let last = self
            .slots
            .keys()
            .next_back()
            .map_or("16:30", String::as_str)
            .max("16:30");
        all.iter()
            .filter(|s| s.as_str() >= first && s.as_str() <= last)
            .cloned()
            .collect()
    }
}

/// A table of the page, the same rows as HTML and as CSV.
struct Table {
    /// The CSV header's names.
    csv: Vec<String>,
    /// The page's column headings.
    heads: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn csv(&self) -> String {
        let cell = |c: &str| {
            // A name typed in the registry (a branch) that a spreadsheet would run as a
            // formula is written as text.
            let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{c}")
            } else {
                c.to_owned()
            };
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        };
        let mut out = self.csv.join(",");
        out.push('\n');
        for r in &self.rows {
            out.push_str(&r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }

    /// Rows where every number column is 0 or empty are left off the page (not the CSV).
    fn html(&self) -> Markup {
        let shown: Vec<&Vec<String>> = self
            .rows
            .iter()
            .filter(|r| {
                r.iter()
                    .skip(1)
                    .any(|c| !c.is_empty() && c != "0" && c != "-")
            })
            .collect();
        html! {
            div.scroll {
                table {
                    thead { tr { @for h in &self.heads { th { (h) } } } }
                    tbody {
                        @for r in shown.iter().rev() {
                            tr { @for (h, c) in self.heads.iter().zip(r.iter()) { td data-label=(h) { (c) } } }
                        }
                    }
                }
            }
        }
    }
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(String::new, |v| format!("{v:.decimals$}"))
}

/// The tables by name, as the CSV links name them.
const TABLES: [&str; 6] = [
    "tickets", "slots", "requests", "ratings", "problems", "kiosks",
];

fn table(name: &str, lang: Lang, sel: &Selection, f: &Figures) -> Option<Table> {
    let services = f.services();
    let faults = f.fault_codes();
    let s = |v: &str| v.to_owned();
    let tr = |v: &str| lang.tr(v).to_owned();
    Some(match name {
        "tickets" => {
            let mut csv = vec![s("date")];
            let mut heads = vec![tr(i18n::n_("Tanggal"))];
            for svc in &services {
                csv.push(format!("tickets_{svc}"));
                heads.push(lang.tr_with("Tiket {s}", &[("s", svc)]));
            }
            csv.extend([
                s("tickets"),
                s("mean_wait_minutes"),
                s("over_target_percent"),
            ]);
            heads.extend([
                tr(i18n::n_("Jumlah tiket")),
                tr(i18n::n_("Rata-rata tunggu (menit)")),
                tr(i18n::n_("% di atas 30 menit")),
            ]);
            let rows = f
                .daily
                .iter()
                .map(|(d, t)| {
                    let mut row = vec![d.to_string()];
                    row.extend(
                        services
                            .iter()
                            .map(|svc| t.get(Metric::Tickets, svc).to_string()),
                    );
                    row.push(t.sum(Metric::Tickets).to_string());
                    row.push(opt(t.mean_wait(), 1));
                    row.push(opt(t.over_target(), 0));
                    row
                })
                .collect();
            Table { csv, heads, rows }
        }
        "slots" => {
            let mut csv = vec![s("slot")];
            let mut heads = vec![tr(i18n::n_("Jam"))];
            for svc in &services {
                csv.push(format!("tickets_{svc}"));
                heads.push(lang.tr_with("Tiket {s}", &[("s", svc)]));
            }
            csv.extend(
                [
                    "tickets",
                    "mean_wait_minutes",
                    "over_target_percent",
                    "id_failures",
                    "lockouts",
                    "print_faults",
                    "requests_received",
                    "requests_decided",
                ]
                .map(s),
            );
            heads.extend(
                [
                    i18n::n_("Jumlah tiket"),
                    i18n::n_("Rata-rata tunggu (menit)"),
                    i18n::n_("% di atas 30 menit"),
                    i18n::n_("Gagal identifikasi"),
                    i18n::n_("Terkunci"),
                    i18n::n_("Gangguan printer"),
                    i18n::n_("Permintaan diterima"),
                    i18n::n_("Permintaan diputuskan"),
                ]
                .map(tr),
            );
            let empty = Tally::default();
            let rows = f
                .slot_labels()
                .into_iter()
                .map(|slot| {
                    let t = f.slots.get(&slot).unwrap_or(&empty);
                    let mut row = vec![format!("{}T{slot}", sel.day)];
                    row.extend(
                        services
                            .iter()
                            .map(|svc| t.get(Metric::Tickets, svc).to_string()),
                    );
                    row.push(t.sum(Metric::Tickets).to_string());
                    row.push(opt(t.mean_wait(), 1));
                    row.push(opt(t.over_target(), 0));
                    for m in [Metric::IdFailures, Metric::Lockouts, Metric::PrintFaults] {
                        row.push(t.sum(m).to_string());
                    }
                    let (received, decided) =
                        f.requests_by_slot.get(&slot).copied().unwrap_or_default();
                    row.extend([received.to_string(), decided.to_string()]);
                    row
                })
                .collect();
            Table { csv, heads, rows }
        }
        "requests" => Table {
            csv: [
                "date",
                "received",
                "approved",
                "rejected",
                "median_hours_to_decision",
            ]
            .map(s)
            .to_vec(),
            heads: [
                i18n::n_("Tanggal"),
                i18n::n_("Diterima"),
                i18n::n_("Disetujui"),
                i18n::n_("Ditolak"),
                i18n::n_("Median jam sampai keputusan"),
            ]
            .map(tr)
            .to_vec(),
            rows: f
                .requests
                .iter()
                .map(|(d, r)| {
                    vec![
                        d.to_string(),
                        r.received.to_string(),
                        r.approved.to_string(),
                        r.rejected.to_string(),
                        opt(r.median_hours(), 2),
                    ]
                })
                .collect(),
        },
        "ratings" => {
            let mut csv = vec![s("date")];
            let mut heads = vec![tr(i18n::n_("Tanggal"))];
            for stars in 1..=5 {
                csv.push(format!("stars_{stars}"));
                heads.push(lang.tr_with("{n} bintang", &[("n", &stars)]));
            }
            csv.extend([s("ratings"), s("mean_stars")]);
            heads.extend([
                tr(i18n::n_("Jumlah penilaian")),
                tr(i18n::n_("Rata-rata bintang")),
            ]);
            let rows = f
                .daily
                .iter()
                .map(|(d, t)| {
                    let mut row = vec![d.to_string()];
                    row.extend(
                        (1..=5).map(|st| t.get(Metric::Ratings, &st.to_string()).to_string()),
                    );
                    row.push(t.sum(Metric::Ratings).to_string());
                    row.push(opt(t.mean_rating(), 2));
                    row
                })
                .collect();
            Table { csv, heads, rows }
        }
        "problems" => {
            let mut csv = ["date", "id_failures", "lockouts", "print_faults"]
                .map(s)
                .to_vec();
            let mut heads = [
                i18n::n_("Tanggal"),
                i18n::n_("Gagal identifikasi"),
                i18n::n_("Terkunci"),
                i18n::n_("Gangguan printer"),
            ]
            .map(tr)
            .to_vec();
            for code in &faults {
                csv.push(format!("print_fault_{code}"));
                heads.push(code.clone());
            }
            let rows = f
                .daily
                .iter()
                .map(|(d, t)| {
                    let mut row = vec![d.to_string()];
                    for m in [Metric::IdFailures, Metric::Lockouts, Metric::PrintFaults] {
                        row.push(t.sum(m).to_string());
                    }
                    row.extend(
                        faults
                            .iter()
                            .map(|c| t.get(Metric::PrintFaults, c).to_string()),
                    );
                    row
                })
                .collect();
            Table { csv, heads, rows }
        }
        "kiosks" => {
            let csv = [
                "branch",
                "kiosk",
                "tickets",
                "mean_wait_minutes",
                "over_target_percent",
                "ratings",
                "mean_stars",
                "id_failures",
                "lockouts",
                "print_faults",
                "requests",
            ]
            .map(s)
            .to_vec();
            let heads = [
                i18n::n_("Cabang"),
                i18n::n_("Anjungan"),
                i18n::n_("Jumlah tiket"),
                i18n::n_("Rata-rata tunggu (menit)"),
                i18n::n_("% di atas 30 menit"),
                i18n::n_("Jumlah penilaian"),
                i18n::n_("Rata-rata bintang"),
                i18n::n_("Gagal identifikasi"),
                i18n::n_("Terkunci"),
                i18n::n_("Gangguan printer"),
                i18n::n_("Permintaan"),
            ]
            .map(tr)
            .to_vec();
            let row = |branch: &str, kiosk: &str, t: &Tally, requests: u32| {
                vec![
                    branch.to_owned(),
                    kiosk.to_owned(),
                    t.sum(Metric::Tickets).to_string(),
                    opt(t.mean_wait(), 1),
                    opt(t.over_target(), 0),
                    t.sum(Metric::Ratings).to_string(),
                    opt(t.mean_rating(), 2),
                    t.sum(Metric::IdFailures).to_string(),
                    t.sum(Metric::Lockouts).to_string(),
                    t.sum(Metric::PrintFaults).to_string(),
                    requests.to_string(),
                ]
            };
            // Grouped by branch, each branch's kiosks and then its total.
            let mut by_branch: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            let ids: BTreeSet<&str> = f
                .per_kiosk
                .keys()
                .chain(f.requests_per_kiosk.keys())
                .map(String::as_str)
                .collect();
            for id in ids {
                let branch = sel.kiosks.get(id).cloned().flatten().unwrap_or_default();
                by_branch.entry(branch).or_default().push(id);
            }
            let empty = Tally::default();
            let mut rows = Vec::new();
            for (branch, ids) in &by_branch {
                let name = if branch.is_empty() {
                    tr(i18n::n_("(tanpa cabang)"))
                } else {
                    branch.clone()
                };
                let mut total = Tally::default();
                let mut requests = 0;
                for id in ids {
                    let t = f.per_kiosk.get(*id).unwrap_or(&empty);
                    let r = f.requests_per_kiosk.get(*id).copied().unwrap_or(0);
                    rows.push(row(&name, id, t, r));
                    for ((m, k), n) in &t.0 {
                        total.add(*m, k, *n);
                    }
                    requests += r;
                }
                rows.push(row(&name, &tr(i18n::n_("Semua")), &total, requests));
            }
            // The page shows the first row on top: this table is not by day.
            rows.reverse();
            Table { csv, heads, rows }
        }
        _ => return None,
    })
}

/// The kiosks the hub knows (its file and its store) and their branches.
fn known_kiosks(
    hub: &Hub,
    registered: &[crate::kiosks::KioskRow],
) -> BTreeMap<String, Option<String>> {
    let mut out: BTreeMap<String, Option<String>> = hub
        .kiosks()
        .cons_ids()
        .into_iter()
        .map(|id| {
            let branch = hub.kiosks().entry(&id).and_then(|e| e.branch.clone());
            (id, branch)
        })
        .collect();
    for k in registered {
        let from_file = out.get(&k.cons_id).cloned().flatten();
        out.insert(k.cons_id.clone(), k.branch.clone().or(from_file));
    }
    out
}

/// Reads what a selection needs.
async fn load(hub: &Arc<Hub>, scope: &Scope) -> Result<(Selection, Figures), crate::HubError> {
    let registered = blocking(hub, |s| s.kiosks_registered()).await?;
    let sel = Selection::new(scope, known_kiosks(hub, &registered));
    let from = sel.first_day().to_string();
    let day = sel.day.to_string();
    let to = (sel.day + chrono::Duration::days(1)).to_string();
    let wanted = sel.wanted();
    let (per_day, slots, requests) = blocking(hub, move |s| {
        let kiosks = wanted.as_deref();
        let per_day = s.counts(&CountQuery {
            from: &from,
            to: &to,
            kiosks,
            per_day: true,
        })?;
        let slots = s.counts(&CountQuery {
            from: &day,
            to: &to,
            kiosks,
            per_day: false,
        })?;
        Ok((per_day, slots, s.requests()?))
    })
    .await?;
    let figures = Figures::of(&sel, &per_day, &slots, &requests);
    Ok((sel, figures))
}

fn short_day(d: &NaiveDate) -> String {
    d.format("%d-%m").to_string()
}

fn services_series(labels_of: &[&Tally], services: &[String]) -> Vec<Series> {
    services
        .iter()
        .enumerate()
        .map(|(i, svc)| Series {
            name: svc.clone(),
            colour: PALETTE[i % PALETTE.len()],
            values: labels_of
                .iter()
                .map(|t| t.get(Metric::Tickets, svc) as f64)
                .collect(),
        })
        .collect()
}

fn wait_chart(lang: Lang, title: &str, labels: &[String], tallies: &[&Tally]) -> Markup {
    let series = [Series {
        name: lang.tr("Rata-rata tunggu (menit)").to_owned(),
        colour: PALETTE[1],
        values: tallies
            .iter()
            .map(|t| t.mean_wait().unwrap_or(0.0))
            .collect(),
    }];
    Bars {
        title,
        labels,
        series: &series,
        stacked: false,
        target: Some(Target {
            value: f64::from(WAIT_TARGET_MINUTES),
            label: lang.tr_with("target {n} menit", &[("n", &WAIT_TARGET_MINUTES)]),
        }),
        decimals: 0,
        label_from_end: by_day(labels),
    }
    .render()
}

/// Day labels (`dd-mm`) are named back from today; half hours (`HH:MM`) from 07:00 on.
fn by_day(labels: &[String]) -> bool {
    !labels.first().is_some_and(|l| l.contains(':'))
}

/// `GET /console/figures`: supervisors.
pub(crate) async fn page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Query(scope): Query<Scope>,
) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.manages_users() {
        return forbidden(lang, Some(&staff.session));
    }
    let (sel, f) = match load(&hub, &scope).await {
        Ok(x) => x,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let waiting = f.waiting;
    let query = sel.query();
    let services = f.services();
    let day_labels: Vec<String> = f.days.iter().map(short_day).collect();
    let daily: Vec<&Tally> = f.daily.values().collect();
    let slot_labels = f.slot_labels();
    let empty = Tally::default();
    let slots: Vec<&Tally> = slot_labels
        .iter()
        .map(|s| f.slots.get(s).unwrap_or(&empty))
        .collect();
    let csv_link = |name: &str| {
        html! {
            p { a href={ "/console/figures/" (name) ".csv?" (query) } download={ (name) ".csv" } { (lang.tr("Unduh CSV")) } }
        }
    };
    let tables: BTreeMap<&str, Table> = TABLES
        .iter()
        .filter_map(|n| table(n, lang, &sel, &f).map(|t| (*n, t)))
        .collect();
    let ticket_days = services_series(&daily, &services);
    let ticket_slots = services_series(&slots, &services);
    let requests: Vec<&Decisions> = f.requests.values().collect();
    let request_series = [
        Series {
            name: lang.tr("diterima").to_owned(),
            colour: PALETTE[7],
            values: requests.iter().map(|d| f64::from(d.received)).collect(),
        },
        Series {
            name: lang.tr("diputuskan").to_owned(),
            colour: PALETTE[0],
            values: requests
                .iter()
                .map(|d| f64::from(d.approved + d.rejected))
                .collect(),
        },
    ];
    let rating_series: Vec<Series> = (1..=5)
        .rev()
        .map(|stars: i64| Series {
            name: lang.tr_with("{n} bintang", &[("n", &stars)]),
            colour: ["#a4161a", "#e07b00", "#c9a227", "#7cb342", "#0b6b2e"][stars as usize - 1],
            values: daily
                .iter()
                .map(|t| t.get(Metric::Ratings, &stars.to_string()) as f64)
                .collect(),
        })
        .collect();
    let problem_series = |tallies: &[&Tally]| {
        [
            (
                Metric::IdFailures,
                i18n::n_("Gagal identifikasi"),
                PALETTE[2],
            ),
            (Metric::Lockouts, i18n::n_("Terkunci"), PALETTE[4]),
            (
                Metric::PrintFaults,
                i18n::n_("Gangguan printer"),
                PALETTE[3],
            ),
        ]
        .map(|(m, name, colour)| Series {
            name: lang.tr(name).to_owned(),
            colour,
            values: tallies.iter().map(|t| t.sum(m) as f64).collect(),
        })
    };
    let bars = |title: &str, labels: &[String], series: &[Series], stacked: bool| {
        Bars {
            title,
            labels,
            series,
            stacked,
            target: None,
            decimals: 0,
            label_from_end: by_day(labels),
        }
        .render()
    };
    let no_counts = f.all.0.is_empty();
    let body = html! {
        form.filters method="get" action="/console/figures" {
            label { (lang.tr("Cabang")) " "
                select name="branch" {
                    option value="" { (lang.tr("Semua")) }
                    @for b in sel.branches() {
                        option value=(b) selected[sel.branch.as_deref() == Some(b)] { (b) }
                    }
                }
            }
            " "
            label { (lang.tr("Anjungan")) " "
                select name="kiosk" {
                    option value="" { (lang.tr("Semua")) }
                    @for (id, branch) in &sel.kiosks {
                        @if sel.branch.is_none() || branch.as_deref() == sel.branch.as_deref() {
                            option value=(id) selected[sel.kiosk.as_deref() == Some(id.as_str())] { (id) }
                        }
                    }
                }
            }
            " "
            label { (lang.tr("Tanggal")) " " input type="date" name="day" value=(sel.day.to_string()); }
            " "
            button type="submit" { (lang.tr("Tampilkan")) }
        }
        p { (lang.tr_with("{n} permintaan menunggu keputusan sekarang.", &[("n", &waiting)])) }
        @if no_counts {
            p.muted { (lang.tr("Belum ada hitungan dari anjungan untuk pilihan ini: anjungan mengirimnya bersama heartbeat.")) }
        }

        h2 { (lang.tr_with("Tiket per 30 menit, {day}", &[("day", &sel.day.format("%d-%m-%Y"))])) }
        (bars(lang.tr("Tiket per 30 menit"), &slot_labels, &ticket_slots, true))
        (wait_chart(lang, lang.tr("Perkiraan tunggu per 30 menit"), &slot_labels, &slots))
        (csv_link("slots"))
        (tables["slots"].html())

        h2 { (lang.tr("Tiket per hari (30 hari)")) }
        (bars(lang.tr("Tiket per hari"), &day_labels, &ticket_days, true))
        (wait_chart(lang, lang.tr("Perkiraan tunggu per hari"), &day_labels, &daily))
        p.muted { (lang.tr("Perkiraan tunggu: antrean di depan saat tiket diambil kali lama layanan; target di bawah 30 menit.")) }
        (csv_link("tickets"))
        (tables["tickets"].html())

        h2 { (lang.tr("Permintaan per hari (30 hari terakhir)")) }
        (bars(lang.tr("Permintaan per hari (30 hari terakhir)"), &day_labels, &request_series, false))
        (csv_link("requests"))
        (tables["requests"].html())

        h2 { (lang.tr("Kepuasan per hari")) }
        (bars(lang.tr("Kepuasan per hari"), &day_labels, &rating_series, true))
        p.muted { (lang.tr("Penilaian dihitung per hari dan dikirim setelah hari itu selesai, supaya tidak dapat dicocokkan dengan kunjungan.")) }
        (csv_link("ratings"))
        (tables["ratings"].html())

        h2 { (lang.tr("Gagal identifikasi, penguncian dan gangguan printer")) }
        (bars(lang.tr("Gangguan per hari"), &day_labels, &problem_series(&daily), false))
        (bars(lang.tr("Gangguan per 30 menit"), &slot_labels, &problem_series(&slots), false))
        (csv_link("problems"))
        (tables["problems"].html())

        h2 { (lang.tr("Per cabang dan anjungan (30 hari)")) }
        (csv_link("kiosks"))
        (tables["kiosks"].html())
    };
    Page {
        lang,
        title: lang.tr("Angka"),
        here: "/console/figures",
        staff: Some(&staff.session),
        body,
    }
    .render(StatusCode::OK)
}

/// `GET /console/figures/{table}.csv`, with the page's selection.
pub(crate) async fn csv(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(file): Path<String>,
    Query(scope): Query<Scope>,
) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.manages_users() {
        return forbidden(lang, Some(&staff.session));
    }
    let Some(name) = file.strip_suffix(".csv").filter(|n| TABLES.contains(n)) else {
        return super::not_found(lang, Some(&staff.session));
    };
    let (sel, f) = match load(&hub, &scope).await {
        Ok(x) => x,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let Some(t) = table(name, lang, &sel, &f) else {
        return super::not_found(lang, Some(&staff.session));
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        t.csv(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anjungan_core::counters::SlotCount;

    fn count(kiosk: &str, slot: &str, metric: Metric, key: &str, n: i64) -> KioskCount {
        KioskCount {
            cons_id: kiosk.into(),
            count: SlotCount::new(slot.into(), metric, key, n),
        }
    }

    fn selection(scope: Scope) -> Selection {
        let kiosks = [
            ("k1".to_owned(), Some("KC Bandung".to_owned())),
            ("k2".to_owned(), Some("KC Bandung".to_owned())),
            ("k3".to_owned(), None),
        ]
        .into_iter()
        .collect();
        Selection::new(&scope, kiosks)
    }

    #[test]
    fn counts_sum_per_day_slot_kiosk_and_branch() {
        let sel = selection(Scope {
            branch: Some("KC Bandung".into()),
            day: Some("2026-12-01".into()),
            ..Scope::default()
        });
        let counts = [
            count("k1", "2026-12-01T08:00", Metric::Tickets, "A", 3),
            count("k1", "2026-12-01T08:00", Metric::WaitMinutes, "A", 120),
            count("k1", "2026-12-01T08:00", Metric::WaitOver, "A", 1),
            count("k2", "2026-12-01T08:00", Metric::Tickets, "A", 1),
            count("k2", "2026-12-01T08:00", Metric::WaitMinutes, "A", 0),
            count("k2", "2026-11-30", Metric::Ratings, "4", 2),
            count("k2", "2026-11-30", Metric::Ratings, "5", 2),
            // Another branch, and a day outside the 30.
            count("k3", "2026-12-01T08:00", Metric::Tickets, "A", 50),
            count("k1", "2026-10-01T08:00", Metric::Tickets, "A", 50),
        ];
        // The store's two answers: per kiosk and day, and the day's slots.
        let mut per_day: BTreeMap<(String, String, String, String), i64> = BTreeMap::new();
        for c in &counts {
            let day = c.count.slot[..10].to_owned();
            *per_day
                .entry((
                    c.cons_id.clone(),
                    day,
                    c.count.metric.clone(),
                    c.count.key.clone(),
                ))
                .or_default() += c.count.n;
        }
        let per_day: Vec<KioskCount> = per_day
            .into_iter()
            .map(|((cons_id, slot, metric, key), n)| KioskCount {
                cons_id,
                count: SlotCount {
                    slot,
                    metric,
                    key,
                    n,
                },
            })
            .collect();
        let day: Vec<KioskCount> = counts
            .iter()
            .filter(|c| c.count.slot.starts_with("2026-12-01"))
            .cloned()
            .collect();
        assert_eq!(
            sel.wanted(),
            Some(vec!["k1".to_owned(), "k2".to_owned()]),
            "KC Bandung's kiosks only are read"
        );
        let f = Figures::of(&sel, &per_day, &day, &[]);
        let slot = &f.slots["08:00"];
        assert_eq!(slot.sum(Metric::Tickets), 4);
        assert_eq!(slot.mean_wait(), Some(30.0));
        assert_eq!(slot.over_target(), Some(25.0));
        let day = &f.daily[&NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()];
        assert_eq!(day.mean_rating(), Some(4.5));
        assert_eq!(f.all.sum(Metric::Tickets), 4);

        let slots = table("slots", Lang::En, &sel, &f).unwrap().csv();
        assert!(slots.starts_with("slot,tickets_A,tickets,mean_wait_minutes,over_target_percent,"));
        assert!(
            slots.contains("\n2026-12-01T08:00,4,4,30.0,25,0,0,0,0,0\n"),
            "{slots}"
        );
        assert!(
            slots.contains("\n2026-12-01T07:00,0,0,,,0,0,0,0,0\n"),
            "{slots}"
        );
        let kiosks = table("kiosks", Lang::En, &sel, &f).unwrap().csv();
        assert!(
            kiosks.contains("\nKC Bandung,k1,3,40.0,33,0,,0,0,0,0\n"),
            "{kiosks}"
        );
        assert!(
            kiosks.contains("\nKC Bandung,All,4,30.0,25,4,4.50,0,0,0,0\n"),
            "{kiosks}"
        );
        assert!(!kiosks.contains("k3"), "{kiosks}");
        // A branch name a spreadsheet would run, and one with a comma, come out as text.
        let t = Table {
            csv: vec!["branch".into()],
            heads: vec!["Cabang".into()],
            rows: vec![vec!["=HYPERLINK(\"x\")".into()], vec!["KC A, B".into()]],
        };
        assert_eq!(t.csv(), "branch\n\"'=HYPERLINK(\"\"x\"\")\"\n\"KC A, B\"\n");
    }

    #[test]
    fn requests_count_on_the_wib_day_they_came_and_were_decided() {
        let sel = selection(Scope {
            kiosk: Some("k1".into()),
            day: Some("2026-12-01".into()),
            ..Scope::default()
        });
        let req = |kiosk: &str, state: &str, received: &str, decided: Option<&str>| RequestRow {
            id: 1,
            reference: "AJ-1".into(),
            cons_id: kiosk.into(),
            kind: "FKTP".into(),
            card_no: "0001000000011".into(),
            change: serde_json::json!({}),
            created_at: received.into(),
            received_at: received.into(),
            state: state.into(),
            reason: None,
            decided_at: decided.map(str::to_owned),
            content_sha256: String::new(),
        };
        let requests = [
            // 18:00 UTC on the 30th is 01:00 WIB on the 1st.
            req(
                "k1",
                "APPROVED",
                "2026-11-30T18:00:00Z",
                Some("2026-12-01T02:00:00Z"),
            ),
            req("k1", "RECEIVED", "2026-12-01T01:00:00Z", None),
            req("k2", "RECEIVED", "2026-12-01T01:00:00Z", None),
        ];
        let f = Figures::of(&sel, &[], &[], &requests);
        let d = &f.requests[&NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()];
        assert_eq!((d.received, d.approved, d.rejected), (2, 1, 0));
        assert_eq!(d.median_hours(), Some(8.0));
        // By WIB half hour: received at 01:00 (the one from the 30th) and 08:00, decided
        // at 09:00.
        assert_eq!(f.requests_by_slot.get("01:00"), Some(&(1, 0)));
        assert_eq!(f.requests_by_slot.get("08:00"), Some(&(1, 0)));
        assert_eq!(f.requests_by_slot.get("09:00"), Some(&(0, 1)));
    }

    #[test]
    fn a_day_in_the_future_or_garbage_shows_today() {
        let today = anjungan_core::clock::today_in(anjungan_core::clock::DEFAULT_ZONE);
        for day in ["2999-01-01", "kemarin", "", "-262143-01-01", "1900-01-01"] {
            let sel = selection(Scope {
                day: Some(day.into()),
                ..Scope::default()
            });
            assert_eq!(sel.day, today, "{day}");
        }
    }
}
