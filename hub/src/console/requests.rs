//! The requests inbox: members' FKTP and kelas changes waiting for a decision, oldest
//! first, each with the eligibility the hub computes now ([`super::recheck`]). Approve one,
//! or several at once; reject one with a reason from the list and, if wanted, a note.
//! Decisions are versions like `anjungan-hub requests approve`: kiosks get them on their
//! next sync.

use std::sync::Arc;

use anjungan_core::domain::{CardNo, Lang};
use anjungan_core::i18n;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use maud::{Markup, html};
use serde::Deserialize;

use super::recheck::{Household, Recheck, Rules, recheck};
use super::{Page, Staff, blocking, failed, field, forbidden};
use crate::HubError;
use crate::server::Hub;
use crate::staff::Role;
use crate::store::RequestRow;
use crate::validate::MAX_REASON_CHARS;

/// Rows shown on one page of the inbox.
const PAGE_ROWS: usize = 50;
/// The longest note an officer may add to a rejection.
const MAX_NOTE_CHARS: usize = 300;

/// Why a request may be rejected: (code, Indonesian, as the member reads it).
const REJECT_REASONS: &[(&str, &str)] = &[
    ("DOCS", i18n::n_("Dokumen pendukung belum lengkap")),
    (
        "FKTP_FULL",
        i18n::n_("FKTP tujuan penuh atau tidak menerima peserta baru"),
    ),
    (
        "NOT_ELIGIBLE",
        i18n::n_("Peserta belum memenuhi syarat (masa tunggu atau tunggakan)"),
    ),
    (
        "DATA",
        i18n::n_("Data peserta perlu diperbarui di kantor cabang"),
    ),
    ("DUPLICATE", i18n::n_("Permintaan ganda")),
    ("OTHER", i18n::n_("Alasan lain")),
];

#[derive(Deserialize, Default)]
pub(crate) struct Filters {
    kind: Option<String>,
    kiosk: Option<String>,
    region: Option<String>,
    /// At least this many days old.
    age: Option<i64>,
    /// After a decision: how many went through and how many did not.
    done: Option<usize>,
    failed: Option<usize>,
    page: Option<usize>,
}

/// Working days (Monday to Friday) from `from` to `to`, not counting `from`'s own day.
pub(crate) fn working_days(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().unwrap_or(to);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
    }
    n
}

/// A pending request with what the hub makes of it now.
struct Row {
    req: RequestRow,
    /// The family's region (bucket), when the hub still has the member.
    region: Option<String>,
    check: Recheck,
    age_days: i64,
    late: bool,
}

/// One page of the inbox, and what its filters offer.
struct Inbox {
    shown: Vec<Row>,
    kiosks: Vec<String>,
    regions: Vec<String>,
    /// Rows that pass the filters, on every page.
    total: usize,
    page: usize,
}

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "FKTP" => lang.tr("Ganti FKTP"),
        _ => lang.tr("Ganti kelas"),
    }
}

fn masked(card: &str) -> String {
    CardNo::parse(card).map_or_else(|_| "*************".into(), |c| c.masked())
}

/// `GET /console/requests`.
pub(crate) async fn inbox(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Query(f): Query<Filters>,
) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.decides_requests() {
        return forbidden(lang, Some(&staff.session));
    }
    let flag_days = hub.console_flag_after_days();
    let now = Utc::now();
    let today = now.date_naive();
    let (kind, kiosk, region, age) = (f.kind.clone(), f.kiosk.clone(), f.region.clone(), f.age);
    let wanted_page = f.page.unwrap_or(0);
    let inbox = blocking(&hub, move |s| {
        let mut pending: Vec<RequestRow> = s
            .requests()?
            .into_iter()
            .filter(|r| r.state == "RECEIVED")
            .collect();
        pending.sort_by(|a, b| a.received_at.cmp(&b.received_at).then(a.id.cmp(&b.id)));
        // Every waiting request's household (two reads) for the region column and filter;
        // eligibility, which takes a private database each, only for the page shown.
        let mut rows = Vec::with_capacity(pending.len());
        for req in pending {
            let household = Household::of(s, &req.card_no)?;
            let received = DateTime::parse_from_rfc3339(&req.received_at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now);
            rows.push((
                req,
                household,
                (now - received).num_days(),
                working_days(received.date_naive(), today) > flag_days,
            ));
        }
        let region_of = |h: &Option<Household>| h.as_ref().and_then(Household::region);
        let mut kiosks: Vec<String> = rows.iter().map(|r| r.0.cons_id.clone()).collect();
        kiosks.sort();
        kiosks.dedup();
        let mut regions: Vec<String> = rows.iter().filter_map(|r| region_of(&r.1)).collect();
        regions.sort();
        regions.dedup();
        let unset = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
        rows.retain(|(req, household, age_days, _)| {
            (unset(&kind) || kind.as_deref() == Some(req.kind.as_str()))
                && (unset(&kiosk) || kiosk.as_deref() == Some(req.cons_id.as_str()))
                && (unset(&region) || region_of(household).as_deref() == region.as_deref())
                && age.is_none_or(|a| *age_days >= a)
        });
        let total = rows.len();
        let page = wanted_page.min(total.saturating_sub(1) / PAGE_ROWS);
        let rules = Rules::load(s)?;
        let shown = rows
            .into_iter()
            .skip(page * PAGE_ROWS)
            .take(PAGE_ROWS)
            .map(|(req, household, age_days, late)| {
                Ok(Row {
                    check: recheck(s, &req, household.as_ref(), &rules, today)?,
                    region: region_of(&household),
                    req,
                    age_days,
                    late,
                })
            })
            .collect::<Result<Vec<_>, HubError>>()?;
        Ok(Inbox {
            shown,
            kiosks,
            regions,
            total,
            page,
        })
    })
    .await;
    let Inbox {
        shown,
        kiosks,
        regions,
        total,
        page,
    } = match inbox {
        Ok(i) => i,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let csrf = staff.session.csrf.clone();
    let selected = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let body = html! {
        @if let Some(done) = f.done {
            p.notice role="status" {
                (lang.tr_with("{n} permintaan sudah diputuskan.", &[("n", &done)]))
                @if let Some(bad) = f.failed.filter(|n| *n > 0) {
                    " " span.error { (lang.tr_with("{n} tidak dapat diputuskan (mungkin sudah diputuskan orang lain).", &[("n", &bad)])) }
                }
            }
        }
        form.filters method="get" action="/console/requests" {
            label { (lang.tr("Jenis")) " "
                select name="kind" {
                    option value="" { (lang.tr("Semua")) }
                    option value="FKTP" selected[selected(&f.kind, "FKTP")] { (kind_label(lang, "FKTP")) }
                    option value="KELAS" selected[selected(&f.kind, "KELAS")] { (kind_label(lang, "KELAS")) }
                }
            }
            label { (lang.tr("Anjungan")) " "
                select name="kiosk" {
                    option value="" { (lang.tr("Semua")) }
                    @for k in &kiosks { option value=(k) selected[selected(&f.kiosk, k)] { (k) } }
                }
            }
            label { (lang.tr("Wilayah")) " "
                select name="region" {
                    option value="" { (lang.tr("Semua")) }
                    @for g in &regions { option value=(g) selected[selected(&f.region, g)] { (region_name(g)) } }
                }
            }
            label { (lang.tr("Umur minimal (hari)")) " "
                input type="number" name="age" min="0" max="3650" value=[f.age] style="width:5rem";
            }
            button type="submit" { (lang.tr("Saring")) }
        }
        p.muted {
            (lang.tr_with("{n} permintaan menunggu keputusan, yang terlama di atas.", &[("n", &total)]))
            " "
            (lang.tr_with("Ditandai bila lebih dari {days} hari kerja.", &[("days", &flag_days)]))
        }
        @if shown.is_empty() {
            p { (lang.tr("Tidak ada permintaan yang menunggu.")) }
        } @else {
            form method="post" action="/console/requests/decide" {
                input type="hidden" name="csrf" value=(csrf);
                table {
                    thead { tr {
                        th { span.muted { "✓" } }
                        th { (lang.tr("Referensi")) }
                        th { (lang.tr("Peserta")) }
                        th { (lang.tr("Perubahan")) }
                        th { (lang.tr("Kelayakan saat ini")) }
                        th { (lang.tr("Berlaku")) }
                        th { (lang.tr("Diterima")) }
                        th { (lang.tr("Keputusan")) }
                    } }
                    tbody {
                        @for r in &shown { (row(lang, r)) }
                    }
                }
                p { button type="submit" name="action" value="approve_selected" { (lang.tr("Setujui yang dipilih")) } }
            }
            @if total > PAGE_ROWS {
                p {
                    @if page > 0 { a href={ "/console/requests?page=" (page - 1) } { "← " (lang.tr("Sebelumnya")) } " " }
                    (lang.tr_with("Halaman {page} dari {pages}", &[("page", &(page + 1)), ("pages", &total.div_ceil(PAGE_ROWS))]))
                    @if (page + 1) * PAGE_ROWS < total { " " a href={ "/console/requests?page=" (page + 1) } { (lang.tr("Berikutnya")) " →" } }
                }
            }
        }
    };
    Page {
        lang,
        title: lang.tr("Permintaan perubahan"),
        here: "/console/requests",
        staff: Some(&staff.session),
        body,
    }
    .render(StatusCode::OK)
}

fn region_name(code: &str) -> String {
    anjungan_core::dataset::regions::regency(code)
        .map_or_else(|| code.to_owned(), |r| format!("{code} {}", r.short_name()))
}

fn row(lang: Lang, r: &Row) -> Markup {
    let c = &r.check;
    let name_or_code = |name: &Option<String>, code: &str| match name {
        Some(n) => html! { (n) " " small { "(" (code) ")" } },
        None => html! { (code) },
    };
    html! {
        tr {
            td data-label="✓" {
                input type="checkbox" name="ids" value=(r.req.id) aria-label={ (lang.tr("Pilih")) " " (r.req.reference) };
            }
            td data-label=(lang.tr("Referensi")) {
                code { (r.req.reference) }
                @if r.late { " " span.flag { (lang.tr("terlambat")) } }
            }
            td data-label=(lang.tr("Peserta")) {
                (masked(&r.req.card_no))
                @if let Some(g) = &r.region { br; small { (region_name(g)) } }
            }
            td data-label=(lang.tr("Perubahan")) {
                (kind_label(lang, &r.req.kind)) ": "
                @if r.req.kind == "FKTP" {
                    (name_or_code(&c.from_name, &c.from)) " → " (name_or_code(&c.to_name, &c.to))
                } @else {
                    (lang.tr("kelas")) " " (c.from) " → " (c.to)
                }
            }
            td data-label=(lang.tr("Kelayakan saat ini")) {
                @if c.eligible {
                    span.ok { (lang.tr("Memenuhi syarat")) }
                } @else {
                    span.no { (lang.tr("Tidak memenuhi syarat")) }
                    ul { @for reason in &c.reasons { li { (lang.text(reason)) } } }
                }
            }
            td data-label=(lang.tr("Berlaku")) {
                @if let Some(d) = c.effective_date { (d.format("%d-%m-%Y")) }
            }
            td data-label=(lang.tr("Diterima")) {
                (r.req.received_at.get(..10).unwrap_or(&r.req.received_at))
                br; small { (lang.tr_with("{days} hari lalu", &[("days", &r.age_days)])) " · " (r.req.cons_id) }
            }
            td data-label=(lang.tr("Keputusan")) {
                button type="submit" name="approve_one" value=(r.req.id) { (lang.tr("Setujui")) }
                " "
                a.reject href={ "/console/requests/" (r.req.id) "/reject" } { (lang.tr("Tolak")) }
            }
        }
    }
}

/// `POST /console/requests/decide`: approve one (`approve_one`) or the checked ones.
pub(crate) async fn decide(State(hub): State<Arc<Hub>>, staff: Staff, body: Body) -> Response {
    let lang = staff.lang;
    let form = match staff.form(body, Role::decides_requests).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let ids: Vec<String> = match field(&form, "approve_one") {
        Some(one) => vec![one.to_owned()],
        None => form
            .iter()
            .filter(|(k, _)| k == "ids")
            .map(|(_, v)| v.clone())
            .take(500)
            .collect(),
    };
    let ids: Vec<String> = ids
        .into_iter()
        .filter(|id| !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let who = staff.session.user.name.clone();
    let outcome = blocking(&hub, move |s| {
        let (mut done, mut refused) = (0, 0);
        for id in &ids {
            match s.decide(id, true, None) {
                Ok(row) => {
                    s.audit(&who, "approve", &row.reference, &row.kind)?;
                    done += 1;
                }
                Err(HubError::AlreadyDecided { .. } | HubError::UnknownRequest(_)) => refused += 1,
                Err(e) => return Err(e),
            }
        }
        Ok((done, refused))
    })
    .await;
    match outcome {
        Ok((done, refused)) => {
            Redirect::to(&format!("/console/requests?done={done}&failed={refused}")).into_response()
        }
        Err(e) => failed(lang, Some(&staff.session), &e),
    }
}

/// `GET /console/requests/{id}/reject`: the reason form.
pub(crate) async fn reject_page(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Response {
    reject_form(&hub, &staff, id, None).await
}

async fn reject_form(hub: &Arc<Hub>, staff: &Staff, id: i64, error: Option<&str>) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.decides_requests() {
        return forbidden(lang, Some(&staff.session));
    }
    let found = blocking(hub, move |s| {
        Ok(s.requests()?.into_iter().find(|r| r.id == id))
    })
    .await;
    let req = match found {
        Ok(Some(r)) if r.state == "RECEIVED" => r,
        Ok(_) => return Redirect::to("/console/requests?done=0&failed=1").into_response(),
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let body = html! {
        div.card {
            p { code { (req.reference) } " · " (kind_label(lang, &req.kind)) " · " (masked(&req.card_no)) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action={ "/console/requests/" (req.id) "/reject" } {
                input type="hidden" name="csrf" value=(staff.session.csrf);
                label for="reason" { (lang.tr("Alasan")) }
                select id="reason" name="reason" required {
                    @for (code, text) in REJECT_REASONS {
                        option value=(code) { (lang.tr(text)) }
                    }
                }
                label for="note" { (lang.tr_with("Catatan untuk peserta (boleh kosong, paling banyak {n} karakter)", &[("n", &MAX_NOTE_CHARS)])) }
                textarea id="note" name="note" rows="3" maxlength=(MAX_NOTE_CHARS) {}
                p {
                    button.reject type="submit" { (lang.tr("Tolak permintaan")) }
                    " " a href="/console/requests" { (lang.tr("Batal")) }
                }
            }
        }
    };
    Page {
        lang,
        title: lang.tr("Tolak permintaan"),
        here: "/console/requests",
        staff: Some(&staff.session),
        body,
    }
    .render(if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    })
}

/// `POST /console/requests/{id}/reject`.
pub(crate) async fn reject(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Body,
) -> Response {
    let lang = staff.lang;
    let form = match staff.form(body, Role::decides_requests).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let code = field(&form, "reason").unwrap_or_default();
    let Some((code, text)) = REJECT_REASONS.iter().find(|(c, _)| *c == code) else {
        return reject_form(&hub, &staff, id, Some(lang.tr("Pilih alasan dari daftar."))).await;
    };
    let note: String = field(&form, "note")
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if note.chars().count() > MAX_NOTE_CHARS {
        let e = lang.tr_with(
            "Catatan paling banyak {n} karakter.",
            &[("n", &MAX_NOTE_CHARS)],
        );
        return reject_form(&hub, &staff, id, Some(&e)).await;
    }
    if *code == "OTHER" && note.is_empty() {
        return reject_form(
            &hub,
            &staff,
            id,
            Some(lang.tr("Untuk \"Alasan lain\", tulis alasannya di catatan.")),
        )
        .await;
    }
    // What the member reads at the kiosk: the reason in Indonesian (the kiosk's language
    // for dataset and hub texts), then the officer's note.
    let reason = if note.is_empty() {
        (*text).to_owned()
    } else {
        format!("{text}: {note}")
    };
    let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
    let who = staff.session.user.name.clone();
    let code = (*code).to_owned();
    let outcome = blocking(&hub, move |s| {
        match s.decide(&id.to_string(), false, Some(&reason)) {
            Ok(row) => {
                s.audit(&who, "reject", &row.reference, &code)?;
                Ok(true)
            }
            Err(HubError::AlreadyDecided { .. } | HubError::UnknownRequest(_)) => Ok(false),
            Err(e) => Err(e),
        }
    })
    .await;
    match outcome {
        Ok(true) => Redirect::to("/console/requests?done=1&failed=0").into_response(),
        Ok(false) => Redirect::to("/console/requests?done=0&failed=1").into_response(),
        Err(HubError::InvalidRequest { .. }) => {
            reject_form(
                &hub,
                &staff,
                id,
                Some(lang.tr("Catatan itu tidak dapat dipakai: tulis teks biasa.")),
            )
            .await
        }
        Err(e) => failed(lang, Some(&staff.session), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Friday to Monday: one working day (Monday).
        assert_eq!(working_days(d("2026-11-27"), d("2026-11-30")), 1);
        assert_eq!(working_days(d("2026-11-30"), d("2026-11-30")), 0);
        assert_eq!(working_days(d("2026-11-23"), d("2026-12-04")), 9);
        assert_eq!(working_days(d("2026-12-04"), d("2026-11-23")), 0);
    }
}
