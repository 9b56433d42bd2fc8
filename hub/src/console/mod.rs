//! The branch console: `/console/` on the hub's own listener, for officers (requests),
//! supervisors (also users and the audit log) and technicians (the fleet).
//!
//! Pages are rendered on the server with maud, with no JavaScript: every action is a form
//! that posts and is answered with a redirect (post/redirect/get). Every form carries the
//! session's CSRF token; a POST without it gets 403. Sessions live in the hub's store
//! ([`crate::staff`]), so any replica serves any page. Texts go through the kiosk's
//! catalog (`ui/translations`): Indonesian by default, English on the toggle.

mod auth;
mod chart;
mod data;
mod figures;
mod fleet;
mod people;
pub mod recheck;
mod requests;
mod upload;

use std::sync::Arc;

use anjungan_core::domain::Lang;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::HubError;
use crate::server::Hub;
use crate::staff::{Role, SessionRow};
use crate::store::HubStore;

pub(crate) use auth::Staff;

/// The console's routes, to be nested under `/console`.
pub fn router() -> Router<Arc<Hub>> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/lang/{lang}", get(auth::set_lang))
        .route("/requests", get(requests::inbox))
        .route("/requests/decide", post(requests::decide))
        .route(
            "/requests/{id}/reject",
            get(requests::reject_page).post(requests::reject),
        )
        .route("/fleet", get(fleet::page))
        .route("/kiosks/add", post(fleet::add))
        .route("/kiosks/{id}/{action}", post(fleet::change))
        .route("/users", get(people::users_page))
        .route("/users/add", post(people::add))
        .route("/users/{name}/{action}", post(people::change))
        .route("/audit", get(people::audit_page))
        .route("/dataset", get(data::dataset_page))
        .route(
            "/dataset/upload",
            post(upload::upload).layer(axum::extract::DefaultBodyLimit::max(upload::UPLOAD_MAX)),
        )
        .route("/dataset/upload/{job}", get(upload::progress))
        .route("/figures", get(figures::page))
        .route("/figures/{file}", get(figures::csv))
        .layer(axum::middleware::map_response(secure_headers))
}

/// What every console answer carries: no caching, no framing, no scripts, no referrer.
async fn secure_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `/console/`: where the user's role starts.
pub(crate) async fn home(staff: Option<Staff>) -> Response {
    match staff {
        Some(s) => Redirect::to(start_page(s.session.user.role)).into_response(),
        None => Redirect::to("/console/login").into_response(),
    }
}

/// The first page for a role.
pub(crate) fn start_page(role: Role) -> &'static str {
    if role.decides_requests() {
        "/console/requests"
    } else {
        "/console/fleet"
    }
}

/// Runs a store call on a blocking thread (the PostgreSQL client must not block the
/// async workers).
pub(crate) async fn blocking<T: Send + 'static>(
    hub: &Arc<Hub>,
    f: impl FnOnce(&dyn HubStore) -> Result<T, HubError> + Send + 'static,
) -> Result<T, HubError> {
    let store = hub.store();
    tokio::task::spawn_blocking(move || f(&*store))
        .await
        .map_err(|e| HubError::Io(std::io::Error::other(e.to_string())))?
}

/// The language the console speaks to this browser (its cookie; Indonesian by default).
pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    match auth::cookie(headers, auth::LANG_COOKIE).as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Id,
    }
}

/// The most a console form body may be.
const FORM_MAX: usize = 64 * 1024;

/// A form body as its pairs (a key may repeat).
pub(crate) async fn read_form(body: Body) -> Option<Vec<(String, String)>> {
    let bytes = axum::body::to_bytes(body, FORM_MAX).await.ok()?;
    Some(
        form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

/// The first value of `key` in a form.
pub(crate) fn field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A page: the frame (navigation for the user's role, the language toggle, logout) around
/// `body`.
pub(crate) struct Page<'a> {
    pub lang: Lang,
    pub title: &'a str,
    /// The navigation entry to mark (`/console/requests`, ...).
    pub here: &'a str,
    pub staff: Option<&'a SessionRow>,
    pub body: Markup,
}

impl Page<'_> {
    pub fn render(self, status: StatusCode) -> Response {
        let lang = self.lang;
        let nav: Vec<(&str, &str)> = match self.staff.map(|s| s.user.role) {
            None => Vec::new(),
            Some(role) => {
                let mut v = Vec::new();
                if role.decides_requests() {
                    v.push(("/console/requests", lang.tr("Permintaan")));
                }
                if role.sees_fleet() {
                    v.push(("/console/fleet", lang.tr("Anjungan")));
                }
                if role.manages_users() {
                    v.push(("/console/figures", lang.tr("Angka")));
                }
                if role.sees_fleet() || role.manages_users() {
                    v.push(("/console/dataset", lang.tr("Dataset")));
                }
                if role.manages_users() {
                    v.push(("/console/users", lang.tr("Pengguna")));
                    v.push(("/console/audit", lang.tr("Log audit")));
                }
                v
            }
        };
        let (other, other_label) = match lang {
            Lang::Id => ("en", "English"),
            Lang::En => ("id", "Bahasa Indonesia"),
        };
        let markup = html! {
            (DOCTYPE)
            html lang=(if lang == Lang::En { "en" } else { "id" }) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · " (lang.tr("Konsol cabang Anjungan")) }
                    style { (PreEscaped(CSS)) }
                }
                body {
                    header {
                        strong.brand { (lang.tr("Konsol cabang Anjungan")) }
                        nav {
                            @for (href, label) in &nav {
                                a href=(href) class=[(self.here == *href).then_some("here")] { (label) }
                            }
                        }
                        span.right {
                            a href={ "/console/lang/" (other) "?back=" (self.here) } lang=(other) { (other_label) }
                            @if let Some(s) = self.staff {
                                span.who { (s.user.name) " · " (role_label(lang, s.user.role)) }
                                form method="post" action="/console/logout" {
                                    input type="hidden" name="csrf" value=(s.csrf);
                                    button.link type="submit" { (lang.tr("Keluar")) }
                                }
                            }
                        }
                    }
                    main {
                        h1 { (self.title) }
                        (self.body)
                    }
                }
            }
        };
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            markup.into_string(),
        )
            .into_response()
    }
}

pub(crate) fn role_label(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Officer => lang.tr("Petugas"),
        Role::Supervisor => lang.tr("Supervisor"),
        Role::Technician => lang.tr("Teknisi"),
    }
}

/// 403: the user's role may not do this.
pub(crate) fn forbidden(lang: Lang, staff: Option<&SessionRow>) -> Response {
    Page {
        lang,
        title: lang.tr("Tidak diizinkan"),
        here: "",
        staff,
        body: html! {
            p.error { (lang.tr("Peran Anda tidak mengizinkan halaman atau tindakan ini. Minta supervisor cabang bila Anda memerlukannya.")) }
        },
    }
    .render(StatusCode::FORBIDDEN)
}

/// 404: no such page (a CSV the figures do not have).
pub(crate) fn not_found(lang: Lang, staff: Option<&SessionRow>) -> Response {
    Page {
        lang,
        title: lang.tr("Tidak ditemukan"),
        here: "",
        staff,
        body: html! {
            p.error { (lang.tr("Halaman ini tidak ada. Pilih dari menu di atas.")) }
        },
    }
    .render(StatusCode::NOT_FOUND)
}

/// 403: a form without its valid CSRF token (an old page, or another site's form).
pub(crate) fn bad_form(lang: Lang, staff: Option<&SessionRow>) -> Response {
    Page {
        lang,
        title: lang.tr("Formulir tidak berlaku"),
        here: "",
        staff,
        body: html! {
            p.error { (lang.tr("Formulir ini sudah tidak berlaku. Muat ulang halaman, lalu coba lagi.")) }
        },
    }
    .render(StatusCode::FORBIDDEN)
}

/// 500 or 503: the store failed. The error is logged, not shown (it may name a table).
pub(crate) fn failed(lang: Lang, staff: Option<&SessionRow>, e: &HubError) -> Response {
    tracing::error!(error = %e, "console: the store failed");
    Page {
        lang,
        title: lang.tr("Terjadi gangguan"),
        here: "",
        staff,
        body: html! {
            p.error { (lang.tr("Hub tidak dapat menyelesaikan permintaan ini sekarang. Coba lagi sebentar lagi; bila berulang, hubungi teknisi.")) }
        },
    }
    .render(StatusCode::SERVICE_UNAVAILABLE)
}

/// The console's one stylesheet: readable at 1366×768 and on a phone (tables become
/// cards below 700 px).
const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 "DejaVu Sans","Liberation Sans",Arial,sans-serif;color:#1b1f23;background:#f4f6f8}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.6rem 1rem;background:#0b5d3b;color:#fff}
header a,header .link{color:#fff}
.brand{font-size:1.05rem;margin-right:.5rem}
nav{display:flex;gap:1rem;flex-wrap:wrap}
nav a{text-decoration:none;padding:.15rem 0;border-bottom:3px solid transparent}
nav a.here{border-bottom-color:#ffd54f;font-weight:bold}
.right{margin-left:auto;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
.right form{display:inline;margin:0}
.who{opacity:.9}
main{padding:1rem;max-width:1340px}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #d6dbe0;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:#e8edf1;font-size:.9rem}
td small,.muted{color:#5b6670}
.ok{color:#0b6b2e;font-weight:bold}
.no{color:#a4161a;font-weight:bold}
.flag{background:#fff3cd;color:#7a4a00;border-radius:3px;padding:0 .3rem;font-size:.85rem;white-space:nowrap}
.error{color:#a4161a;font-weight:bold}
.notice{background:#e6f4ea;border-left:4px solid #0b6b2e;padding:.5rem .75rem}
form.inline{display:inline}
button,input,select,textarea{font:inherit}
button{padding:.35rem .8rem;border:1px solid #0b5d3b;background:#0b5d3b;color:#fff;border-radius:4px;cursor:pointer}
button.reject,a.reject{background:#fff;color:#a4161a;border:1px solid #a4161a;border-radius:4px;padding:.35rem .8rem;text-decoration:none;display:inline-block}
button.link{background:none;border:0;padding:0;text-decoration:underline}
label{display:block;margin:.6rem 0 .2rem;font-weight:bold}
input[type=text],input[type=password],select,textarea{width:100%;max-width:28rem;padding:.4rem;border:1px solid #8a959e;border-radius:4px}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin-bottom:1rem}
.filters label{margin:0;font-weight:normal;font-size:.9rem}
.filters select,.filters input{width:auto}
.card{background:#fff;padding:1rem;max-width:30rem;border:1px solid #d6dbe0;border-radius:6px}
@media (max-width:700px){
 table,thead,tbody,tr,td{display:block;width:100%}
 thead{display:none}
 tr{background:#fff;margin-bottom:.75rem;border:1px solid #d6dbe0;border-radius:6px}
 td{border:0;padding:.3rem .6rem}
 td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;color:#5b6670}
}
"#;
