//! The fleet, for technicians and supervisors: every kiosk with its last heartbeat and
//! health, silent and unhealthy ones first. (The map and the per-device columns of the
//! console issue are not built yet.)

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::{Page, Staff, blocking, failed, forbidden};
use crate::server::Hub;
use crate::store::FleetStatus;

/// A kiosk is silent after this long without a heartbeat (as `anjungan-hub fleet`).
const SILENT_AFTER_SECS: i64 = 45 * 60;

/// `GET /console/fleet`.
pub(crate) async fn page(State(hub): State<Arc<Hub>>, staff: Staff) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.sees_fleet() {
        return forbidden(lang, Some(&staff.session));
    }
    let rows = match blocking(&hub, |s| s.fleet()).await {
        Ok(r) => r,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let now = chrono::Utc::now();
    let mut fleet: Vec<FleetStatus> = rows
        .iter()
        .map(|r| FleetStatus::judge(r, now, SILENT_AFTER_SECS))
        .collect();
    for id in hub.kiosks().cons_ids() {
        if !fleet.iter().any(|f| f.cons_id == id) {
            fleet.push(FleetStatus::never_seen(&id));
        }
    }
    // Silent first, then unhealthy, then by name.
    fleet.sort_by_key(|f| (!f.silent, f.healthy != Some(false), f.cons_id.clone()));
    let body = html! {
        table {
            thead { tr {
                th { (lang.tr("Anjungan")) }
                th { (lang.tr("Keadaan")) }
                th { (lang.tr("Laporan terakhir")) }
                th { (lang.tr("Masalah")) }
            } }
            tbody {
                @for f in &fleet {
                    tr {
                        td data-label=(lang.tr("Anjungan")) { code { (f.cons_id) } }
                        td data-label=(lang.tr("Keadaan")) {
                            @if f.silent { span.no { (lang.tr("Diam")) } }
                            @else if f.healthy == Some(false) { span.no { (lang.tr("Bermasalah")) } }
                            @else { span.ok { (lang.tr("Sehat")) } }
                        }
                        td data-label=(lang.tr("Laporan terakhir")) {
                            @match &f.last_seen {
                                Some(t) => { (t.get(..19).unwrap_or(t).replace('T', " ")) }
                                None => { span.muted { (lang.tr("belum pernah")) } }
                            }
                        }
                        td data-label=(lang.tr("Masalah")) {
                            @if f.problems.is_empty() { span.muted { "-" } }
                            @else { ul { @for p in &f.problems { li { (p) } } } }
                        }
                    }
                }
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
