//! The fleet, for technicians and supervisors: every kiosk with its last heartbeat and its
//! devices (printer paper, dispenser, sync age and data version, outbox backlog, software
//! version), silent and unhealthy ones first, and a map that places them by their
//! coordinates over the centroids of Indonesia's 514 kab/kota. Kiosks are registered,
//! given a new secret (shown once) and revoked here, beside `--kiosks FILE`.

use std::sync::Arc;

use anjungan_core::domain::Lang;
use anjungan_core::report::DiagReport;
use anjungan_core::update::agent::{Phase, UpdateReport, Verdict};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{Page, Staff, blocking, failed, field, forbidden};
use crate::HubError;
use crate::kiosks::registry;
use crate::server::Hub;
use crate::staff::Role;
use crate::store::FleetStatus;

/// A kiosk is silent after this long without a heartbeat (as `anjungan-hub fleet`).
const SILENT_AFTER_SECS: i64 = 45 * 60;

/// One kiosk as the page shows it.
struct Kiosk {
    status: FleetStatus,
    report: Option<DiagReport>,
    name: Option<String>,
    at: Option<(f64, f64)>,
    revoked: bool,
}

impl Kiosk {
    /// `revoked`, `silent`, `unhealthy` or `healthy`: the marker's colour and the sort.
    fn state(&self) -> &'static str {
        if self.revoked {
            "revoked"
        } else if self.status.silent {
            "silent"
        } else if self.status.healthy == Some(false) {
            "unhealthy"
        } else {
            "healthy"
        }
    }
}

/// `GET /console/fleet`.
pub(crate) async fn page(State(hub): State<Arc<Hub>>, staff: Staff) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.sees_fleet() {
        return forbidden(lang, Some(&staff.session));
    }
    let (rows, registered) =
        match blocking(&hub, |s| Ok((s.fleet()?, s.kiosks_registered()?))).await {
            Ok(r) => r,
            Err(e) => return failed(lang, Some(&staff.session), &e),
        };
    let now = chrono::Utc::now();
    let mut fleet: Vec<FleetStatus> = rows
        .iter()
        .map(|r| FleetStatus::judge(r, now, SILENT_AFTER_SECS))
        .collect();
    let known = hub
        .kiosks()
        .cons_ids()
        .into_iter()
        .chain(registered.iter().map(|k| k.cons_id.clone()));
    for id in known.collect::<Vec<_>>() {
        if !fleet.iter().any(|f| f.cons_id == id) {
            fleet.push(FleetStatus::never_seen(&id));
        }
    }
    let mut kiosks: Vec<Kiosk> = fleet
        .into_iter()
        .map(|status| {
            let entry = hub.kiosks().entry(&status.cons_id);
            let row = registered.iter().find(|k| k.cons_id == status.cons_id);
            Kiosk {
                // The hub took it as a report when it came (`POST /v1/heartbeat`).
                report: serde_json::from_value(status.health.clone()).ok(),
                name: row
                    .and_then(|k| k.name.clone())
                    .or_else(|| entry.and_then(|e| e.name.clone())),
                at: row
                    .and_then(|k| k.lat.zip(k.lon))
                    .or_else(|| entry.and_then(|e| e.lat.zip(e.lon))),
                revoked: row.is_some_and(|k| k.revoked),
                status,
            }
        })
        .collect();
    // Silent first, then unhealthy, then by name.
    kiosks.sort_by_key(|k| {
        (
            k.revoked,
            !k.status.silent,
            k.status.healthy != Some(false),
            k.status.cons_id.clone(),
        )
    });
    let silent = kiosks.iter().filter(|k| k.state() == "silent").count();
    let unhealthy = kiosks.iter().filter(|k| k.state() == "unhealthy").count();
    let body = html! {
        p {
            (lang.tr_with("{n} anjungan: {silent} diam, {unhealthy} bermasalah.", &[
                ("n", &kiosks.len()), ("silent", &silent), ("unhealthy", &unhealthy),
            ]))
        }
        (map(lang, &kiosks))
        table {
            thead { tr {
                th { (lang.tr("Anjungan")) }
                th { (lang.tr("Keadaan")) }
                th { (lang.tr("Laporan terakhir")) }
                th { (lang.tr("Printer")) }
                th { (lang.tr("Dispenser")) }
                th { (lang.tr("Data")) }
                th { (lang.tr("Antrean kirim")) }
                th { (lang.tr("Versi")) }
                th { (lang.tr("Masalah")) }
                th { (lang.tr("Tindakan")) }
            } }
            tbody {
                @for k in &kiosks { (row(lang, k, &staff.session.csrf)) }
            }
        }
        h2 { (lang.tr("Daftarkan anjungan")) }
        div.card {
            form method="post" action="/console/kiosks/add" {
                input type="hidden" name="csrf" value=(staff.session.csrf);
                label for="cons_id" { (lang.tr("ID anjungan (cons-id)")) }
                input type="text" id="cons_id" name="cons_id" required maxlength="64" pattern="[A-Za-z0-9._-]+";
                label for="kiosk_name" { (lang.tr("Nama (boleh kosong)")) }
                input type="text" id="kiosk_name" name="name" maxlength="100";
                label for="branch" { (lang.tr("Kantor cabang (boleh kosong)")) }
                input type="text" id="branch" name="branch" maxlength="100" placeholder="KC Bandung";
                label for="lat" { (lang.tr("Lintang dan bujur (boleh kosong)")) }
                input type="text" id="lat" name="lat" inputmode="decimal" placeholder="-6.9025" style="width:9rem";
                " "
                input type="text" id="lon" name="lon" inputmode="decimal" placeholder="107.6188" style="width:9rem" aria-label=(lang.tr("Bujur"));
                p { button type="submit" { (lang.tr("Daftarkan")) } }
            }
        }
    };
    Page {
        lang,
        title: lang.tr("Anjungan"),
        here: "/console/fleet",
        staff: Some(&staff.session),
        body,
    }
    .render(StatusCode::OK)
}

fn state_label(lang: Lang, state: &str) -> Markup {
    match state {
        "silent" => html! { span.no { (lang.tr("Diam")) } },
        "unhealthy" => html! { span.no { (lang.tr("Bermasalah")) } },
        "revoked" => html! { span.muted { (lang.tr("Dicabut")) } },
        _ => html! { span.ok { (lang.tr("Sehat")) } },
    }
}

/// "3 j 20 m" / "3 h 20 m": how old the kiosk's data is.
fn age(lang: Lang, secs: i64) -> String {
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    match lang {
        Lang::Id if h > 0 => format!("{h} j {m} m"),
        Lang::En if h > 0 => format!("{h} h {m} m"),
        _ => format!("{m} m"),
    }
}

fn row(lang: Lang, k: &Kiosk, csrf: &str) -> Markup {
    let r = k.report.as_ref();
    let dash = html! { span.muted { "-" } };
    html! {
        tr {
            td data-label=(lang.tr("Anjungan")) {
                code { (k.status.cons_id) }
                @if let Some(n) = &k.name { br; small { (n) } }
            }
            td data-label=(lang.tr("Keadaan")) { (state_label(lang, k.state())) }
            td data-label=(lang.tr("Laporan terakhir")) {
                @match &k.status.last_seen {
                    Some(t) => { (t.get(..19).unwrap_or(t).replace('T', " ")) }
                    None => { span.muted { (lang.tr("belum pernah")) } }
                }
            }
            td data-label=(lang.tr("Printer")) {
                @match r.map(|r| &r.printer) {
                    Some(p) if p.health.configured => {
                        @if p.health.healthy { span.ok { "OK" } } @else { span.no { (p.health.code.as_deref().unwrap_or("?")) } }
                        @if let Some(paper) = &p.paper { br; small { (lang.tr("kertas")) ": " (paper) } }
                    }
                    _ => { (dash) }
                }
            }
            td data-label=(lang.tr("Dispenser")) {
                @match r.map(|r| &r.dispenser) {
                    Some(d) if d.health.configured => {
                        @if d.health.healthy { span.ok { "OK" } } @else { span.no { (d.health.code.as_deref().unwrap_or("?")) } }
                        @if let Some(paper) = &d.paper { br; small { (lang.tr("kertas")) ": " (paper) } }
                        @if !d.tickets_today.is_empty() {
                            br; small { (lang.tr_with("{n} tiket hari ini", &[("n", &d.tickets_today.values().sum::<i64>())])) }
                        }
                    }
                    _ => { (dash) }
                }
            }
            td data-label=(lang.tr("Data")) {
                @match r.map(|r| &r.sync) {
                    Some(s) if s.data_version > 0 => {
                        "v" (s.data_version)
                        @if let Some(a) = s.data_age_secs {
                            br; small class=[s.data_stale.then_some("no")] { (age(lang, a)) }
                        }
                    }
                    _ => { (dash) }
                }
                @if r.is_some_and(|r| r.database.sample_data) {
                    br; small.no { "DATA CONTOH / SAMPLE DATA" }
                }
            }
            td data-label=(lang.tr("Antrean kirim")) {
                @match r.map(|r| r.sync.pending_outbox) {
                    Some(n) => { (n) }
                    None => { (dash) }
                }
            }
            td data-label=(lang.tr("Versi")) {
                @match r.map(|r| r.system.app_version.as_str()).filter(|v| !v.is_empty()) {
                    Some(v) => { (v) }
                    None => { (dash) }
                }
                @if let Some(u) = r.and_then(|r| r.update.as_ref()) { (update_cell(lang, u)) }
            }
            td data-label=(lang.tr("Masalah")) {
                @if k.status.problems.is_empty() { (dash) }
                @else { ul { @for p in &k.status.problems { li { (p) } } } }
            }
            td data-label=(lang.tr("Tindakan")) {
                form.inline method="post" action={ "/console/kiosks/" (k.status.cons_id) "/rekey" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { (lang.tr("Secret baru")) }
                }
                @if !k.revoked {
                    " "
                    form.inline method="post" action={ "/console/kiosks/" (k.status.cons_id) "/revoke" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button.reject type="submit" { (lang.tr("Cabut")) }
                    }
                }
            }
        }
    }
}

/// A kiosk image's updates, under its app version: the slot and image version it runs, a
/// download under way, and the last install's outcome (a rollback or a failure in red).
fn update_cell(lang: Lang, u: &UpdateReport) -> Markup {
    let outcome = u.last_result.as_ref().map(|o| {
        let (word, bad) = match o.result {
            Verdict::Installed => (lang.tr("terpasang"), false),
            Verdict::RolledBack => (lang.tr("dibatalkan (rollback)"), true),
            Verdict::Failed => (lang.tr("gagal"), true),
            Verdict::Interrupted => (lang.tr("terhenti"), true),
        };
        (word, bad, o.version.as_str())
    });
    html! {
        @if let Some(slot) = &u.slot {
            br; small { (lang.tr("slot")) " " (slot) @if let Some(v) = &u.version { " · " (v) } }
        }
        @if u.phase == Phase::Downloading && u.size > 0 {
            br; small { (lang.tr_with("mengunduh {v}: {p}%", &[
                ("v", &u.offered.as_deref().unwrap_or("?")),
                ("p", &(u.downloaded.saturating_mul(100) / u.size)),
            ])) }
        }
        @if let Some((word, bad, version)) = outcome {
            br; small class=[bad.then_some("no")] {
                (lang.tr("pembaruan terakhir")) ": " (version) " " (word)
            }
        }
    }
}

/// The page that shows a new secret, once.
fn secret_page(staff: &Staff, id: &str, secret: &str) -> Response {
    let lang = staff.lang;
    Page {
        lang,
        title: lang.tr("Secret anjungan"),
        here: "/console/fleet",
        staff: Some(&staff.session),
        body: html! {
            div.card {
                p { (lang.tr("Anjungan")) " " code { (id) } }
                p { (lang.tr("Salin secret ini ke konfigurasi anjungan ([hub] secret_file, satu baris). Secret ini tidak ditampilkan lagi.")) }
                p { code id="secret" style="font-size:1.1rem;word-break:break-all" { (secret) } }
                p { a href="/console/fleet" { (lang.tr("Kembali ke daftar anjungan")) } }
            }
        },
    }
    .render(StatusCode::OK)
}

fn may_manage(role: Role) -> bool {
    role.sees_fleet()
}

/// `POST /console/kiosks/add`.
pub(crate) async fn add(State(hub): State<Arc<Hub>>, staff: Staff, body: Body) -> Response {
    let lang = staff.lang;
    let form = match staff.form(body, may_manage).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let id = field(&form, "cons_id")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let name = field(&form, "name").map(str::to_owned);
    let branch = field(&form, "branch").map(str::to_owned);
    let number = |key: &str| {
        let raw = field(&form, key).unwrap_or_default().trim();
        if raw.is_empty() {
            Ok(None)
        } else {
            raw.replace(',', ".").parse::<f64>().map(Some)
        }
    };
    let at = match (number("lat"), number("lon")) {
        (Ok(None), Ok(None)) => None,
        (Ok(Some(lat)), Ok(Some(lon))) => Some((lat, lon)),
        _ => {
            return refused_page(
                &staff,
                lang.tr(
                    "Isi lintang dan bujur sebagai angka desimal, keduanya atau tidak sama sekali.",
                ),
            );
        }
    };
    let who = staff.session.user.name.clone();
    let worker = Arc::clone(&hub);
    let done = blocking(&hub, move |s| {
        let secret = registry::register(
            s,
            worker.kiosks(),
            &id,
            name.as_deref(),
            branch.as_deref(),
            at,
        )?;
        if secret.is_some() {
            s.audit(&who, "kiosk_add", &id, "")?;
        }
        Ok((id, secret))
    })
    .await;
    match done {
        Ok((id, Some(secret))) => secret_page(&staff, &id, &secret),
        Ok((_, None)) => refused_page(&staff, lang.tr("ID anjungan itu sudah dipakai.")),
        Err(HubError::InvalidRequest { .. }) => refused_page(
            &staff,
            lang.tr("ID anjungan 1-64 huruf, angka, '.', '_' atau '-'; nama dan cabang paling banyak 100 karakter; koordinat dalam batas."),
        ),
        Err(e) => failed(lang, Some(&staff.session), &e),
    }
}

/// `POST /console/kiosks/{id}/{rekey|revoke}`.
pub(crate) async fn change(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((id, action)): Path<(String, String)>,
    body: Body,
) -> Response {
    let lang = staff.lang;
    if let Err(refused) = staff.form(body, may_manage).await {
        return refused;
    }
    let who = staff.session.user.name.clone();
    let worker = Arc::clone(&hub);
    let done = blocking(&hub, move |s| {
        let file = worker.kiosks();
        let outcome = match action.as_str() {
            "rekey" => registry::rekey(s, file, &id)?.map(Some),
            "revoke" => registry::revoke(s, file, &id)?.then_some(None),
            _ => None,
        };
        if outcome.is_some() {
            let audit = if action == "rekey" {
                "kiosk_rekey"
            } else {
                "kiosk_revoke"
            };
            s.audit(&who, audit, &id, "")?;
        }
        Ok((id, outcome))
    })
    .await;
    match done {
        Ok((id, Some(Some(secret)))) => secret_page(&staff, &id, &secret),
        Ok((_, Some(None))) => Redirect::to("/console/fleet").into_response(),
        Ok((_, None)) => refused_page(&staff, lang.tr("Anjungan itu tidak dikenal hub ini.")),
        Err(HubError::InvalidRequest { .. }) => {
            refused_page(&staff, lang.tr("Anjungan itu tidak dikenal hub ini."))
        }
        Err(e) => failed(lang, Some(&staff.session), &e),
    }
}

fn refused_page(staff: &Staff, message: &str) -> Response {
    let lang = staff.lang;
    Page {
        lang,
        title: lang.tr("Anjungan"),
        here: "/console/fleet",
        staff: Some(&staff.session),
        body: html! {
            p.error role="alert" { (message) }
            p { a href="/console/fleet" { (lang.tr("Kembali ke daftar anjungan")) } }
        },
    }
    .render(StatusCode::UNPROCESSABLE_ENTITY)
}

/// The drawing's frame: Indonesia from Sabang to Merauke, Miangas to Rote.
const WEST: f64 = 94.5;
const EAST: f64 = 141.5;
const NORTH: f64 = 6.5;
const SOUTH: f64 = -11.5;
const WIDTH: f64 = 940.0;
const HEIGHT: f64 = 360.0;

fn place(lat: f64, lon: f64) -> Option<(f64, f64)> {
    let inside = (WEST..=EAST).contains(&lon) && (SOUTH..=NORTH).contains(&lat);
    inside.then(|| {
        (
            (lon - WEST) / (EAST - WEST) * WIDTH,
            (NORTH - lat) / (NORTH - SOUTH) * HEIGHT,
        )
    })
}

/// Indonesia's provinces as SVG paths already in this frame: `(ISO 3166-2, name, d)`.
/// `hub/assets/provinces.tsv`, made by `scripts/provinces.py` from Natural Earth's 1:50m
/// admin-1 outlines (public domain; hub/assets/PROVINCES.md).
fn provinces() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    include_str!("../../assets/provinces.tsv")
        .lines()
        .filter_map(|line| {
            let mut cells = line.splitn(3, '\t');
            Some((cells.next()?, cells.next()?, cells.next()?))
        })
}

/// The map: the provinces' outlines, each kiosk with coordinates as a marker coloured by
/// its state, named in its tooltip and label.
fn map(lang: Lang, kiosks: &[Kiosk]) -> Markup {
    let placed: Vec<(&Kiosk, (f64, f64))> = kiosks
        .iter()
        .filter_map(|k| k.at.and_then(|(lat, lon)| place(lat, lon)).map(|p| (k, p)))
        .collect();
    let unplaced: Vec<&str> = kiosks
        .iter()
        .filter(|k| k.at.and_then(|(lat, lon)| place(lat, lon)).is_none())
        .map(|k| k.status.cons_id.as_str())
        .collect();
    let colour = |state: &str| match state {
        "silent" => "#a4161a",
        "unhealthy" => "#e07b00",
        "revoked" => "#8a959e",
        _ => "#0b6b2e",
    };
    html! {
        figure.map {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
                aria-label=(lang.tr("Peta anjungan")) style="width:100%;max-width:940px;background:#eaf2f8;border:1px solid #d6dbe0" {
                @for (code, name, d) in provinces() {
                    path d=(d) fill="#d3dce3" stroke="#ffffff" stroke-width="0.6" fill-rule="evenodd" {
                        title { (name) " (" (code) ")" }
                    }
                }
                // Silent and unhealthy markers drawn last, so they are on top.
                @for (k, (x, y)) in placed.iter().rev() {
                    g {
                        title { (k.status.cons_id) @if let Some(n) = &k.name { " · " (n) } }
                        circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="6"
                            fill=(colour(k.state())) stroke="#fff" stroke-width="1.5" {}
                        text x=(format!("{:.1}", x + 8.0)) y=(format!("{:.1}", y + 4.0))
                            font-size="11" fill="#1b1f23" { (k.status.cons_id) }
                    }
                }
            }
            figcaption.muted {
                span style="color:#0b6b2e" { "●" } " " (lang.tr("Sehat")) "  "
                span style="color:#e07b00" { "●" } " " (lang.tr("Bermasalah")) "  "
                span style="color:#a4161a" { "●" } " " (lang.tr("Diam")) ". "
                (lang.tr("Batas provinsi: Natural Earth (domain publik), 33 provinsi sebelum pemekaran 2012 dan 2022."))
                @if !unplaced.is_empty() {
                    " " (lang.tr("Tanpa koordinat di berkas kiosks:")) " " (unplaced.join(", "))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_holds_indonesia_and_nothing_far_outside() {
        let (x, y) = place(-6.9, 107.6).expect("Bandung");
        assert!((0.0..WIDTH).contains(&x) && (0.0..HEIGHT).contains(&y));
        let (xw, _) = place(5.89, 95.32).expect("Sabang");
        let (xe, _) = place(-8.5, 140.4).expect("Merauke");
        assert!(xw < x && x < xe);
        assert_eq!(
            place(1.35, 103.8).map(|_| ()),
            Some(()),
            "Singapore is inside the frame"
        );
        assert_eq!(place(51.5, -0.1), None);
        // Every province is drawn (Natural Earth's 33), each as closed SVG rings.
        let provinces: Vec<_> = provinces().collect();
        assert_eq!(provinces.len(), 33);
        assert!(
            provinces
                .iter()
                .any(|(code, name, _)| *code == "ID-JB" && *name == "Jawa Barat")
        );
        assert!(
            provinces
                .iter()
                .all(|(_, _, d)| d.starts_with('m') && d.trim_end().ends_with('z'))
        );
        // Every kab/kota centroid is on the map.
        assert!(
            anjungan_core::dataset::regions::regencies()
                .iter()
                .all(|r| place(r.lat, r.lon).is_some())
        );
    }
}
