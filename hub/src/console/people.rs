//! Supervisors' pages: the users (add, disable, enable, a new password) and the audit log.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::{Page, Staff, blocking, failed, field, forbidden, role_label};
use crate::server::Hub;
use crate::staff::{self, Role, UserRow};

/// `GET /console/users`.
pub(crate) async fn users_page(State(hub): State<Arc<Hub>>, staff: Staff) -> Response {
    users_with(&hub, &staff, None, StatusCode::OK).await
}

async fn users_with(
    hub: &Arc<Hub>,
    staff: &Staff,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.manages_users() {
        return forbidden(lang, Some(&staff.session));
    }
    let users = match blocking(hub, |s| s.users()).await {
        Ok(u) => u,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let now = anjungan_core::sync::unix_now();
    let csrf = &staff.session.csrf;
    let body = html! {
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        table {
            thead { tr {
                th { (lang.tr("Nama pengguna")) }
                th { (lang.tr("Peran")) }
                th { (lang.tr("Keadaan")) }
                th { (lang.tr("Kata sandi diganti")) }
                th { (lang.tr("Tindakan")) }
            } }
            tbody {
                @for u in &users {
                    tr {
                        td data-label=(lang.tr("Nama pengguna")) { (u.name) }
                        td data-label=(lang.tr("Peran")) { (role_label(lang, u.role)) }
                        td data-label=(lang.tr("Keadaan")) {
                            @if u.disabled { span.no { (lang.tr("Dinonaktifkan")) } }
                            @else if u.locked_at(now) { span.no { (lang.tr("Terkunci")) } }
                            @else { span.ok { (lang.tr("Aktif")) } }
                        }
                        td data-label=(lang.tr("Kata sandi diganti")) { (u.password_set_at.get(..10).unwrap_or_default()) }
                        td data-label=(lang.tr("Tindakan")) {
                            @if u.name != staff.session.user.name {
                                form.inline method="post" action={ "/console/users/" (u.name) (if u.disabled { "/enable" } else { "/disable" }) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" class=[(!u.disabled).then_some("reject")] {
                                        @if u.disabled { (lang.tr("Aktifkan")) } @else { (lang.tr("Nonaktifkan")) }
                                    }
                                }
                                " "
                            }
                            form.inline method="post" action={ "/console/users/" (u.name) "/reset" } {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="password" name="password" autocomplete="new-password" required
                                    minlength=(staff::MIN_PASSWORD_CHARS) placeholder=(lang.tr("Kata sandi baru"))
                                    aria-label={ (lang.tr("Kata sandi baru")) " " (u.name) } style="width:12rem";
                                " "
                                button type="submit" { (lang.tr("Ganti kata sandi")) }
                            }
                        }
                    }
                }
            }
        }
        h2 { (lang.tr("Tambah pengguna")) }
        div.card {
            form method="post" action="/console/users/add" {
                input type="hidden" name="csrf" value=(csrf);
                label for="name" { (lang.tr("Nama pengguna")) }
                input type="text" id="name" name="name" required maxlength="32" pattern="[a-z0-9._-]+";
                label for="role" { (lang.tr("Peran")) }
                select id="role" name="role" {
                    @for r in Role::ALL { option value=(r.code()) { (role_label(lang, r)) } }
                }
                label for="password" { (lang.tr("Kata sandi")) }
                input type="password" id="password" name="password" autocomplete="new-password" required minlength=(staff::MIN_PASSWORD_CHARS);
                p { button type="submit" { (lang.tr("Tambah")) } }
            }
        }
    };
    Page {
        lang,
        title: lang.tr("Pengguna"),
        here: "/console/users",
        staff: Some(&staff.session),
        body,
    }
    .render(status)
}

/// `POST /console/users/add`.
pub(crate) async fn add(State(hub): State<Arc<Hub>>, staff: Staff, body: Body) -> Response {
    let lang = staff.lang;
    let form = match staff.form(body, Role::manages_users).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let name = field(&form, "name").unwrap_or_default().trim().to_owned();
    let password = field(&form, "password").unwrap_or_default().to_owned();
    let Some(role) = Role::parse(field(&form, "role").unwrap_or_default()) else {
        return users_with(
            &hub,
            &staff,
            Some(lang.tr("Pilih peran dari daftar.").into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if staff::check_name(&name).is_err() {
        let e = lang.tr("Nama pengguna 1-32 karakter: huruf kecil, angka, '.', '_' atau '-'.");
        return users_with(
            &hub,
            &staff,
            Some(e.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if staff::check_password(&password).is_err() {
        let e = lang.tr_with(
            "Kata sandi minimal {n} karakter, tanpa karakter kontrol.",
            &[("n", &staff::MIN_PASSWORD_CHARS)],
        );
        return users_with(&hub, &staff, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let who = staff.session.user.name.clone();
    let added = blocking(&hub, move |s| {
        let now = chrono::Utc::now().to_rfc3339();
        let user = UserRow {
            name: name.clone(),
            role,
            password_hash: staff::hash_password(&password)?,
            disabled: false,
            failures: 0,
            locked_until: None,
            created_at: now.clone(),
            password_set_at: now,
        };
        let added = s.user_add(&user)?;
        if added {
            s.audit(&who, "user_add", &name, role.code())?;
        }
        Ok(added)
    })
    .await;
    match added {
        Ok(true) => Redirect::to("/console/users").into_response(),
        Ok(false) => {
            users_with(
                &hub,
                &staff,
                Some(lang.tr("Nama pengguna itu sudah dipakai.").into()),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => failed(lang, Some(&staff.session), &e),
    }
}

/// `POST /console/users/{name}/{disable|enable|reset}`.
pub(crate) async fn change(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path((name, action)): Path<(String, String)>,
    body: Body,
) -> Response {
    let lang = staff.lang;
    let form = match staff.form(body, Role::manages_users).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    if action == "disable" && name == staff.session.user.name {
        return users_with(
            &hub,
            &staff,
            Some(
                lang.tr("Anda tidak dapat menonaktifkan akun Anda sendiri.")
                    .into(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let password = field(&form, "password").unwrap_or_default().to_owned();
    if action == "reset" && staff::check_password(&password).is_err() {
        let e = lang.tr_with(
            "Kata sandi minimal {n} karakter, tanpa karakter kontrol.",
            &[("n", &staff::MIN_PASSWORD_CHARS)],
        );
        return users_with(&hub, &staff, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let who = staff.session.user.name.clone();
    let done = blocking(&hub, move |s| {
        let (found, audit) = match action.as_str() {
            "disable" => (s.user_set_disabled(&name, true)?, "user_disable"),
            "enable" => (s.user_set_disabled(&name, false)?, "user_enable"),
            "reset" => {
                let hash = staff::hash_password(&password)?;
                let at = chrono::Utc::now().to_rfc3339();
                (s.user_set_password(&name, &hash, &at)?, "user_reset")
            }
            _ => (false, ""),
        };
        if found {
            s.audit(&who, audit, &name, "")?;
        }
        Ok(found)
    })
    .await;
    match done {
        Ok(true) => Redirect::to("/console/users").into_response(),
        Ok(false) => {
            users_with(
                &hub,
                &staff,
                Some(lang.tr("Pengguna itu tidak ada.").into()),
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => failed(lang, Some(&staff.session), &e),
    }
}

/// `GET /console/audit`: the newest 500 lines.
pub(crate) async fn audit_page(State(hub): State<Arc<Hub>>, staff: Staff) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.manages_users() {
        return forbidden(lang, Some(&staff.session));
    }
    let log = match blocking(&hub, |s| s.audit_log(500)).await {
        Ok(l) => l,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let body = html! {
        table {
            thead { tr {
                th { (lang.tr("Waktu")) }
                th { (lang.tr("Pengguna")) }
                th { (lang.tr("Tindakan")) }
                th { (lang.tr("Atas")) }
                th { (lang.tr("Keterangan")) }
            } }
            tbody {
                @for a in &log {
                    tr {
                        td data-label=(lang.tr("Waktu")) { (a.at.get(..19).unwrap_or(&a.at).replace('T', " ")) }
                        td data-label=(lang.tr("Pengguna")) { (a.actor) }
                        td data-label=(lang.tr("Tindakan")) { code { (a.action) } }
                        td data-label=(lang.tr("Atas")) { (a.subject) }
                        td data-label=(lang.tr("Keterangan")) { (a.detail) }
                    }
                }
            }
        }
    };
    Page {
        lang,
        title: lang.tr("Log audit"),
        here: "/console/audit",
        staff: Some(&staff.session),
        body,
    }
    .render(StatusCode::OK)
}
