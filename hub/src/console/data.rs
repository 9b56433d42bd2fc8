//! The dataset page (versions, row counts, the last import) and the figures page (requests
//! received and decided per day, time to decision, tickets today), with CSV exports.
//!
//! Charts are drawn here as SVG bars: a few dozen rectangles and labels, which a charting
//! crate would bring a font stack for.

use std::collections::BTreeMap;
use std::sync::Arc;

use anjungan_core::domain::Lang;
use anjungan_core::report::DiagReport;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};

use super::{Page, Staff, blocking, failed, forbidden};
use crate::server::Hub;
use crate::store::RequestRow;

/// `GET /console/dataset`: supervisors and technicians.
pub(crate) async fn dataset_page(State(hub): State<Arc<Hub>>, staff: Staff) -> Response {
    let lang = staff.lang;
    let role = staff.session.user.role;
    if !(role.sees_fleet() || role.manages_users()) {
        return forbidden(lang, Some(&staff.session));
    }
    let found = blocking(&hub, |s| {
        let versions = s.versions(50)?;
        let counts = s.row_counts()?;
        let last_import = s
            .audit_log(2_000)?
            .into_iter()
            .find(|a| a.action == "import" || a.action == "import_failed");
        Ok((versions, counts, last_import))
    })
    .await;
    let (versions, counts, last_import) = match found {
        Ok(f) => f,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let body = html! {
        h2 { (lang.tr("Impor terakhir")) }
        @match &last_import {
            Some(a) if a.action == "import" => {
                p { span.ok { (lang.tr("Berhasil")) } " · " (a.at.get(..19).unwrap_or(&a.at).replace('T', " ")) " · " (a.subject) " · " (a.detail) }
            }
            Some(a) => {
                p { span.no { (lang.tr("Ditolak, tidak ada yang berubah")) } " · " (a.at.get(..19).unwrap_or(&a.at).replace('T', " ")) }
                p.muted { (a.detail) }
            }
            None => { p.muted { (lang.tr("Belum ada impor yang tercatat dari perintah anjungan-hub import.")) } }
        }
        h2 { (lang.tr("Isi data sekarang")) }
        table style="max-width:30rem" {
            thead { tr { th { (lang.tr("Tabel")) } th { (lang.tr("Baris")) } } }
            tbody {
                @for (table, n) in &counts {
                    tr { td data-label=(lang.tr("Tabel")) { code { (table) } } td data-label=(lang.tr("Baris")) { (n) } }
                }
            }
        }
        h2 { (lang.tr("Versi")) }
        table {
            thead { tr {
                th { (lang.tr("Versi")) } th { (lang.tr("Waktu")) } th { (lang.tr("Jenis")) }
                th { (lang.tr("Sumber")) } th { (lang.tr("Diubah")) } th { (lang.tr("Dihapus")) }
            } }
            tbody {
                @for v in &versions {
                    tr {
                        td data-label=(lang.tr("Versi")) { (v.version) }
                        td data-label=(lang.tr("Waktu")) { (v.created_at.get(..19).unwrap_or(&v.created_at).replace('T', " ")) }
                        td data-label=(lang.tr("Jenis")) {
                            @if v.kind == "IMPORT" { (lang.tr("impor")) } @else { (lang.tr("keputusan")) }
                        }
                        td data-label=(lang.tr("Sumber")) { (v.source) }
                        td data-label=(lang.tr("Diubah")) { (v.upserts) }
                        td data-label=(lang.tr("Dihapus")) { (v.deletes) }
                    }
                }
            }
        }
        @if role.manages_users() {
            h2 { (lang.tr("Unggah dataset baru")) }
            div.card {
                p.muted { (lang.tr("Satu berkas zip berisi members.csv dan berkas dataset lainnya (docs/dataset.md). Semua baris diperiksa; satu baris salah berarti tidak ada yang berubah.")) }
                form method="post" action="/console/dataset/upload" enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(staff.session.csrf);
                    label for="dataset" { (lang.tr("Berkas zip")) }
                    input type="file" id="dataset" name="dataset" accept=".zip,application/zip" required;
                    p { button type="submit" { (lang.tr("Unggah dan impor")) } }
                }
            }
        }
    };
    Page {
        lang,
        title: lang.tr("Dataset"),
        here: "/console/dataset",
        staff: Some(&staff.session),
        body,
    }
    .render(StatusCode::OK)
}

/// Days shown on the figures page.
const DAYS: i64 = 30;

/// One day's requests.
#[derive(Debug, Default, Clone, PartialEq)]
struct Day {
    received: u32,
    approved: u32,
    rejected: u32,
    /// Hours from receipt to decision, for the requests decided that day.
    hours: Vec<f64>,
}

impl Day {
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

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Requests by day (UTC) over the `DAYS` days up to `today`, oldest first.
fn by_day(requests: &[RequestRow], today: NaiveDate) -> Vec<(NaiveDate, Day)> {
    let first = today - chrono::Duration::days(DAYS - 1);
    let mut days: BTreeMap<NaiveDate, Day> = (0..DAYS)
        .map(|i| (first + chrono::Duration::days(i), Day::default()))
        .collect();
    for r in requests {
        let received = parse_time(&r.received_at);
        if let Some(d) = received.and_then(|t| days.get_mut(&t.date_naive())) {
            d.received += 1;
        }
        let decided = r.decided_at.as_deref().and_then(parse_time);
        if let Some(t) = decided
            && let Some(d) = days.get_mut(&t.date_naive())
        {
            match r.state.as_str() {
                "APPROVED" => d.approved += 1,
                "REJECTED" => d.rejected += 1,
                _ => {}
            }
            if let Some(from) = received {
                d.hours
                    .push((t - from).num_seconds().max(0) as f64 / 3600.0);
            }
        }
    }
    days.into_iter().collect()
}

/// Tickets issued today by service, per kiosk, from the kiosks' last heartbeats.
fn tickets_today(rows: &[crate::store::FleetRow]) -> Vec<(String, BTreeMap<String, i64>)> {
    rows.iter()
        .filter_map(|r| {
            let report: DiagReport = serde_json::from_value(r.health.clone()).ok()?;
            (!report.dispenser.tickets_today.is_empty())
                .then(|| (r.cons_id.clone(), report.dispenser.tickets_today))
        })
        .collect()
}

/// `GET /console/figures`: supervisors.
pub(crate) async fn figures_page(State(hub): State<Arc<Hub>>, staff: Staff) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.manages_users() {
        return forbidden(lang, Some(&staff.session));
    }
    let today = Utc::now().date_naive();
    let found = blocking(&hub, |s| Ok((s.requests()?, s.fleet()?))).await;
    let (requests, fleet) = match found {
        Ok(f) => f,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let days = by_day(&requests, today);
    let tickets = tickets_today(&fleet);
    let waiting = requests.iter().filter(|r| r.state == "RECEIVED").count();
    let body = html! {
        p { (lang.tr_with("{n} permintaan menunggu keputusan sekarang.", &[("n", &waiting)])) }
        h2 { (lang.tr("Permintaan per hari (30 hari terakhir)")) }
        (chart(lang, &days))
        p { a href="/console/figures/requests.csv" download="permintaan.csv" { (lang.tr("Unduh CSV")) } }
        table {
            thead { tr {
                th { (lang.tr("Tanggal")) } th { (lang.tr("Diterima")) } th { (lang.tr("Disetujui")) }
                th { (lang.tr("Ditolak")) } th { (lang.tr("Median jam sampai keputusan")) }
            } }
            tbody {
                @for (date, d) in days.iter().rev().filter(|(_, d)| d.received + d.approved + d.rejected > 0) {
                    tr {
                        td data-label=(lang.tr("Tanggal")) { (date.format("%d-%m-%Y")) }
                        td data-label=(lang.tr("Diterima")) { (d.received) }
                        td data-label=(lang.tr("Disetujui")) { (d.approved) }
                        td data-label=(lang.tr("Ditolak")) { (d.rejected) }
                        td data-label=(lang.tr("Median jam sampai keputusan")) {
                            @match d.median_hours() { Some(h) => { (format!("{h:.1}")) } None => { "-" } }
                        }
                    }
                }
            }
        }
        h2 { (lang.tr("Tiket hari ini per layanan")) }
        @if tickets.is_empty() {
            p.muted { (lang.tr("Belum ada anjungan yang melaporkan tiket hari ini.")) }
        } @else {
            table style="max-width:40rem" {
                thead { tr { th { (lang.tr("Anjungan")) } th { (lang.tr("Layanan")) } th { (lang.tr("Tiket")) } } }
                tbody {
                    @for (kiosk, services) in &tickets {
                        @for (service, n) in services {
                            tr {
                                td data-label=(lang.tr("Anjungan")) { code { (kiosk) } }
                                td data-label=(lang.tr("Layanan")) { (service) }
                                td data-label=(lang.tr("Tiket")) { (n) }
                            }
                        }
                    }
                }
            }
        }
        p.muted { (lang.tr("Waktu tunggu, kepuasan, kegagalan identifikasi dan gangguan printer per 30 menit belum dikirim anjungan; angka itu menyusul.")) }
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

/// `GET /console/figures/requests.csv`.
pub(crate) async fn requests_csv(State(hub): State<Arc<Hub>>, staff: Staff) -> Response {
    if !staff.session.user.role.manages_users() {
        return forbidden(staff.lang, Some(&staff.session));
    }
    let requests = match blocking(&hub, |s| s.requests()).await {
        Ok(r) => r,
        Err(e) => return failed(staff.lang, Some(&staff.session), &e),
    };
    let mut csv = String::from("date,received,approved,rejected,median_hours_to_decision\n");
    for (date, d) in by_day(&requests, Utc::now().date_naive()) {
        let median = d
            .median_hours()
            .map(|h| format!("{h:.2}"))
            .unwrap_or_default();
        csv.push_str(&format!(
            "{date},{},{},{},{median}\n",
            d.received, d.approved, d.rejected
        ));
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"permintaan.csv\"",
            ),
        ],
        csv,
    )
        .into_response()
}

/// Received (grey) and decided (green) per day, as SVG bars with the numbers above them.
fn chart(lang: Lang, days: &[(NaiveDate, Day)]) -> Markup {
    let (w, h, left, bottom) = (940.0_f64, 220.0_f64, 30.0_f64, 30.0_f64);
    let max = days
        .iter()
        .map(|(_, d)| d.received.max(d.approved + d.rejected))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (w - left) / days.len().max(1) as f64;
    let bar = (slot / 2.0 - 1.0).max(1.0);
    let y = |n: u32| (h - bottom) - (n as f64 / max) * (h - bottom - 20.0);
    html! {
        svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-label=(lang.tr("Permintaan per hari (30 hari terakhir)"))
            style="width:100%;max-width:940px;background:#fff;border:1px solid #d6dbe0" {
            line x1=(left) y1=(h - bottom) x2=(w) y2=(h - bottom) stroke="#8a959e" {}
            @for (i, (date, d)) in days.iter().enumerate() {
                @let x = left + i as f64 * slot;
                @let decided = d.approved + d.rejected;
                rect x=(format!("{x:.1}")) y=(format!("{:.1}", y(d.received))) width=(format!("{bar:.1}"))
                    height=(format!("{:.1}", (h - bottom) - y(d.received))) fill="#9aa5ae" {
                    title { (date) ": " (d.received) " " (lang.tr("diterima")) }
                }
                rect x=(format!("{:.1}", x + bar + 1.0)) y=(format!("{:.1}", y(decided))) width=(format!("{bar:.1}"))
                    height=(format!("{:.1}", (h - bottom) - y(decided))) fill="#0b6b2e" {
                    title { (date) ": " (decided) " " (lang.tr("diputuskan")) }
                }
                @if d.received > 0 {
                    text x=(format!("{x:.1}")) y=(format!("{:.1}", y(d.received) - 3.0)) font-size="10" { (d.received) }
                }
                @if i % 5 == 0 || i + 1 == days.len() {
                    text x=(format!("{x:.1}")) y=(format!("{:.1}", h - bottom + 14.0)) font-size="10" fill="#5b6670" { (date.format("%d-%m")) }
                }
            }
            rect x=(left) y="4" width="10" height="10" fill="#9aa5ae" {}
            text x=(left + 14.0) y="13" font-size="11" { (lang.tr("diterima")) }
            rect x=(left + 90.0) y="4" width="10" height="10" fill="#0b6b2e" {}
            text x=(left + 104.0) y="13" font-size="11" { (lang.tr("diputuskan")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(state: &str, received: &str, decided: Option<&str>) -> RequestRow {
        RequestRow {
            id: 1,
            reference: "AJ-1".into(),
            cons_id: "k1".into(),
            kind: "FKTP".into(),
            card_no: "0001000000011".into(),
            change: json!({}),
            created_at: received.into(),
            received_at: received.into(),
            state: state.into(),
            reason: None,
            decided_at: decided.map(Into::into),
            content_sha256: String::new(),
        }
    }

    #[test]
    fn requests_count_on_the_day_they_came_and_were_decided() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let rows = [
            req("RECEIVED", "2026-12-02T01:00:00Z", None),
            req(
                "APPROVED",
                "2026-12-01T08:00:00Z",
                Some("2026-12-02T08:00:00Z"),
            ),
            req(
                "REJECTED",
                "2026-12-01T10:00:00Z",
                Some("2026-12-01T12:00:00Z"),
            ),
            // Outside the 30 days: not counted.
            req(
                "APPROVED",
                "2026-09-01T10:00:00Z",
                Some("2026-09-01T12:00:00Z"),
            ),
        ];
        let days = by_day(&rows, today);
        assert_eq!(days.len(), 30);
        let (d1, first) = &days[28];
        let (d2, second) = &days[29];
        assert_eq!((*d1, *d2), (today.pred_opt().unwrap(), today));
        assert_eq!((first.received, first.approved, first.rejected), (2, 0, 1));
        assert_eq!(first.median_hours(), Some(2.0));
        assert_eq!(
            (second.received, second.approved, second.rejected),
            (1, 1, 0)
        );
        assert_eq!(second.median_hours(), Some(24.0));
        assert!(days[..28].iter().all(|(_, d)| *d == Day::default()));
    }
}
