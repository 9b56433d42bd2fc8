//! Logging in and out, the session cookie, the CSRF check and the language cookie.
//!
//! - The session cookie (`__Host-anjungan-session`) holds a random token; the store keeps
//!   only its SHA-256. It is HttpOnly, Secure and SameSite=Strict, and the session ends
//!   after the idle time ([`crate::server::Hub::console_idle_secs`]).
//! - The login form is protected by a double-submit token: a cookie set with the form and
//!   the same value in a hidden field.
//! - Five wrong passwords lock the user for 15 minutes, in the store (every replica).
//!   Unknown names are checked against a decoy hash, so they take as long as wrong
//!   passwords; the audit log names an unknown name only as "unknown".

use std::sync::Arc;

use anjungan_core::domain::Lang;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{Page, bad_form, blocking, failed, field, forbidden, lang_of, read_form, start_page};
use crate::server::Hub;
use crate::staff::{self, Role, SessionRow};

pub(crate) const SESSION_COOKIE: &str = "__Host-anjungan-session";
const LOGIN_COOKIE: &str = "__Host-anjungan-login";
pub(crate) const LANG_COOKIE: &str = "__Host-anjungan-lang";

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: host-only, every path, HTTPS only, never sent cross-site, and out
/// of reach of scripts. `max_age` `None`: until the browser closes; `Some(0)`: remove.
fn set_cookie(name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A logged-in user, for handlers that need one. Without a live session the request is
/// answered with a redirect to the login page.
pub(crate) struct Staff {
    pub session: SessionRow,
    pub lang: Lang,
}

impl Staff {
    /// Whether `form` carries this session's CSRF token.
    pub fn form_is_ours(&self, form: &[(String, String)]) -> bool {
        field(form, "csrf").is_some_and(|t| staff::same_token(t, &self.session.csrf))
    }

    /// The pairs of a form this session posted, when it carries the session's CSRF token
    /// and the user's role may do what it asks; otherwise the 403 page to answer with.
    pub async fn form(
        &self,
        body: Body,
        allowed: fn(Role) -> bool,
    ) -> Result<Vec<(String, String)>, Response> {
        let form = read_form(body)
            .await
            .filter(|f| self.form_is_ours(f))
            .ok_or_else(|| bad_form(self.lang, Some(&self.session)))?;
        if !allowed(self.session.user.role) {
            return Err(forbidden(self.lang, Some(&self.session)));
        }
        Ok(form)
    }
}

impl FromRequestParts<Arc<Hub>> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, hub: &Arc<Hub>) -> Result<Self, Response> {
        let lang = lang_of(&parts.headers);
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Redirect::to("/console/login").into_response());
        };
        let hash = staff::token_hash(&token);
        let idle = hub.console_idle_secs();
        let now = anjungan_core::sync::unix_now();
        match blocking(hub, move |s| s.session(&hash, now, idle)).await {
            Ok(Some(session)) => Ok(Staff { session, lang }),
            Ok(None) => Err(Redirect::to("/console/login?ended=1").into_response()),
            Err(e) => Err(failed(lang, None, &e)),
        }
    }
}

impl axum::extract::OptionalFromRequestParts<Arc<Hub>> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        hub: &Arc<Hub>,
    ) -> Result<Option<Self>, Response> {
        Ok(
            <Staff as FromRequestParts<Arc<Hub>>>::from_request_parts(parts, hub)
                .await
                .ok(),
        )
    }
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    ended: Option<u8>,
}

/// `GET /console/login`.
pub(crate) async fn login_page(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let lang = lang_of(&headers);
    let notice = q
        .ended
        .is_some()
        .then(|| lang.tr("Sesi Anda berakhir. Silakan masuk lagi."));
    login_form(lang, notice, None, StatusCode::OK)
}

fn login_form(
    lang: Lang,
    notice: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = staff::token();
    let mut response = Page {
        lang,
        title: lang.tr("Masuk"),
        here: "/console/login",
        staff: None,
        body: html! {
            div.card {
                @if let Some(n) = notice { p.notice { (n) } }
                @if let Some(e) = &error { p.error role="alert" { (e) } }
                form method="post" action="/console/login" {
                    input type="hidden" name="csrf" value=(token);
                    label for="username" { (lang.tr("Nama pengguna")) }
                    input type="text" id="username" name="username" autocomplete="username" required autofocus;
                    label for="password" { (lang.tr("Kata sandi")) }
                    input type="password" id="password" name="password" autocomplete="current-password" required;
                    p { button type="submit" { (lang.tr("Masuk")) } }
                }
            }
        },
    }
    .render(status);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &token, Some(600)),
    );
    response
}

/// `POST /console/login`.
pub(crate) async fn login(State(hub): State<Arc<Hub>>, headers: HeaderMap, body: Body) -> Response {
    let lang = lang_of(&headers);
    let Some(form) = read_form(body).await else {
        return bad_form(lang, None);
    };
    let sent = cookie(&headers, LOGIN_COOKIE);
    if !matches!((field(&form, "csrf"), sent.as_deref()), (Some(a), Some(b)) if staff::same_token(a, b))
    {
        return bad_form(lang, None);
    }
    let name = field(&form, "username")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let password = field(&form, "password").unwrap_or_default().to_owned();
    let wrong = || lang.tr("Nama pengguna atau kata sandi salah.").to_owned();
    let now = anjungan_core::sync::unix_now();
    let lookup = name.clone();
    let user = match blocking(&hub, move |s| s.user(&lookup)).await {
        Ok(u) => u,
        Err(e) => return failed(lang, None, &e),
    };
    let Some(user) = user else {
        // As slow as a wrong password, and the typed name is not kept: it may be a
        // password typed in the wrong field.
        // Off the async workers, like the real check below.
        let _ = tokio::task::spawn_blocking(move || {
            staff::verify_password(&password, staff::decoy_hash())
        })
        .await;
        let _ = blocking(&hub, |s| s.audit("", "login_failed", "", "unknown user")).await;
        return login_form(lang, None, Some(wrong()), StatusCode::UNAUTHORIZED);
    };
    if user.locked_at(now) {
        let minutes = (user.locked_until.unwrap_or(now) - now + 59) / 60;
        let who = user.name.clone();
        let _ = blocking(&hub, move |s| s.audit(&who, "login_locked", &who, "")).await;
        return login_form(
            lang,
            None,
            Some(lang.tr_with(
                "Akun ini dikunci sementara karena terlalu banyak kata sandi salah. Coba lagi {minutes} menit lagi, atau minta supervisor mengatur ulang kata sandi.",
                &[("minutes", &minutes)],
            )),
            StatusCode::FORBIDDEN,
        );
    }
    let verified = {
        let hash = user.password_hash.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || staff::verify_password(&password, &hash))
            .await
            .unwrap_or(false)
    };
    if !verified || user.disabled {
        let who = user.name.clone();
        let disabled = user.disabled;
        let locked = blocking(&hub, move |s| {
            let locked = if disabled {
                None
            } else {
                s.login_failed(&who, now)?
            };
            let action = if locked.is_some() {
                "login_locked"
            } else {
                "login_failed"
            };
            let detail = if disabled {
                "disabled"
            } else {
                "wrong password"
            };
            s.audit(&who, action, &who, detail)?;
            Ok(locked)
        })
        .await;
        let error = match locked {
            Ok(Some(_)) => lang.tr_with(
                "Akun ini dikunci sementara karena terlalu banyak kata sandi salah. Coba lagi {minutes} menit lagi, atau minta supervisor mengatur ulang kata sandi.",
                &[("minutes", &(staff::LOGIN_LOCK_SECS / 60))],
            ),
            Ok(None) => wrong(),
            Err(e) => return failed(lang, None, &e),
        };
        return login_form(lang, None, Some(error), StatusCode::UNAUTHORIZED);
    }
    let token = staff::token();
    let csrf = staff::token();
    let hash = staff::token_hash(&token);
    let who = user.name.clone();
    let created = blocking(&hub, move |s| {
        s.login_succeeded(&who)?;
        s.session_create(&hash, &who, &csrf, now)?;
        s.audit(&who, "login", &who, "")
    })
    .await;
    if let Err(e) = created {
        return failed(lang, None, &e);
    }
    tracing::info!(user = %user.name, role = user.role.code(), "console login");
    let mut response = Redirect::to(start_page(user.role)).into_response();
    let h = response.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token, None));
    h.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", Some(0)));
    response
}

/// `POST /console/logout`.
pub(crate) async fn logout(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(refused) = staff.form(body, |_| true).await {
        return refused;
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let hash = staff::token_hash(&token);
        let who = staff.session.user.name.clone();
        let _ = blocking(&hub, move |s| {
            s.session_end(&hash)?;
            s.audit(&who, "logout", &who, "")
        })
        .await;
    }
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0)));
    response
}

#[derive(Deserialize)]
pub(crate) struct LangQuery {
    back: Option<String>,
}

/// `GET /console/lang/{id|en}?back=PATH`: remembers the language, and goes back to a
/// console page (only a console path: never an address elsewhere).
pub(crate) async fn set_lang(Path(lang): Path<String>, Query(q): Query<LangQuery>) -> Response {
    let value = if lang == "en" { "en" } else { "id" };
    let back = q
        .back
        .filter(|b| {
            b.starts_with("/console/")
                && !b.contains("//")
                && b.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/-_".contains(&c))
        })
        .unwrap_or_else(|| "/console/".into());
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, value, Some(365 * 86_400)),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-anjungan-session=tok; b=2"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-anjungan-lang=en"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, LANG_COOKIE).as_deref(), Some("en"));
        assert_eq!(cookie(&h, "anjungan-session"), None);
        let set = set_cookie(SESSION_COOKIE, "tok", None);
        let set = set.to_str().unwrap();
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(part), "{set}");
        }
    }
}
