//! A supervisor's dataset upload: a zip of the dataset's CSV files, imported with the same
//! all-or-nothing rules as `anjungan-hub import`, while a page that refreshes itself shows
//! how long it has been running and then what came of it.
//!
//! The zip is streamed to a private file (at most [`UPLOAD_MAX`]), and only the dataset's
//! own file names are taken from it, each at most once, flat or inside one folder, with the
//! bytes actually unpacked capped (a zip bomb stops at [`UNZIPPED_MAX`]). Everything
//! unpacked is removed after the import, whatever its outcome. The job's state lives in
//! the store (`hub_jobs`), so any replica shows its progress; its outcome also goes to the
//! audit log, which the dataset page shows.

use std::io::{Read, Write};
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use anjungan_core::dataset::files;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use serde::{Deserialize, Serialize};

use super::{Page, Staff, bad_form, blocking, failed, forbidden};
use crate::HubError;
use crate::server::Hub;
use crate::staff;
use crate::store::ImportSummary;

/// The largest zip taken.
pub(crate) const UPLOAD_MAX: usize = 512 << 20;
/// The most bytes unpacked from one zip, all files together.
const UNZIPPED_MAX: u64 = 8 << 30;

/// The names a dataset's files have (docs/dataset.md).
const NAMES: &[&str] = &[
    files::MEMBERS,
    files::BILLS,
    files::FACILITIES,
    files::OFFICES,
    files::TARIFFS,
    files::RULES,
    files::INFO,
    files::SERVICES,
];

/// What came of an upload, as the store keeps it (`hub_jobs.outcome`, JSON) for every
/// replica's progress page.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Outcome {
    Imported(ImportSummary),
    Refused(String),
}

fn unix_now() -> i64 {
    anjungan_core::sync::unix_now()
}

/// An upload still running after this long has stopped (its replica went down): the page
/// says so instead of reloading for ever.
const JOB_STALE_SECS: i64 = 3 * 3600;

/// A private scratch path under the temp dir, removed with its contents when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        let p =
            std::env::temp_dir().join(format!("anjungan-upload-{}", anjungan_core::sync::nonce()));
        std::fs::create_dir(&p)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self(p))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Why a zip is not a dataset (English; shown with the Indonesian heading).
fn refused(reason: impl Into<String>) -> HubError {
    HubError::BadRequest(reason.into())
}

/// Unpacks the dataset's files of the zip at `zip` into `into`.
fn unpack(zip: &FsPath, into: &FsPath) -> Result<Vec<String>, HubError> {
    let file = std::fs::File::open(zip)?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|_| refused("the upload is not a zip file"))?;
    let mut taken: Vec<String> = Vec::new();
    let mut budget = UNZIPPED_MAX;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| refused(format!("the zip is damaged: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        // Flat, or inside one folder; never a path that climbs out.
        let name = entry.name().replace('\\', "/");
        let parts: Vec<&str> = name.split('/').collect();
        if parts.len() > 2 || parts.iter().any(|p| *p == ".." || p.is_empty()) {
            continue;
        }
        let Some(base) = parts.last().copied().filter(|b| NAMES.contains(b)) else {
            continue;
        };
        if taken.iter().any(|t| t == base) {
            return Err(refused(format!("the zip holds {base} twice")));
        }
        let mut out = std::fs::File::create(into.join(base))?;
        let mut limited = (&mut entry).take(budget + 1);
        let copied = std::io::copy(&mut limited, &mut out)
            .map_err(|e| refused(format!("{base} cannot be unpacked: {e}")))?;
        if copied > budget {
            return Err(refused(format!(
                "the zip unpacks to more than {} GiB",
                UNZIPPED_MAX >> 30
            )));
        }
        budget -= copied;
        out.flush()?;
        taken.push(base.to_owned());
    }
    if !taken.iter().any(|t| t == files::MEMBERS) {
        return Err(refused(
            "the zip has no members.csv (flat, or inside one folder)",
        ));
    }
    Ok(taken)
}

/// `POST /console/dataset/upload`: the form's `csrf` first, then the file `dataset`.
pub(crate) async fn upload(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    mut form: Multipart,
) -> Response {
    let lang = staff.lang;
    let mut csrf_ok = false;
    let scratch = match Scratch::new() {
        Ok(s) => s,
        Err(e) => return failed(lang, Some(&staff.session), &e.into()),
    };
    let zip_path = scratch.0.join("upload.zip");
    let mut received = false;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return bad_form(lang, Some(&staff.session)),
        };
        match field.name() {
            Some("csrf") => {
                let value = field.text().await.unwrap_or_default();
                csrf_ok = staff::same_token(&value, &staff.session.csrf);
            }
            Some("dataset") if csrf_ok => {
                if !staff.session.user.role.manages_users() {
                    return forbidden(lang, Some(&staff.session));
                }
                let mut field = field;
                let mut out = match std::fs::File::create(&zip_path) {
                    Ok(f) => f,
                    Err(e) => return failed(lang, Some(&staff.session), &e.into()),
                };
                let mut size = 0usize;
                loop {
                    match field.chunk().await {
                        Ok(Some(bytes)) => {
                            size += bytes.len();
                            if size > UPLOAD_MAX || out.write_all(&bytes).is_err() {
                                return upload_refused(
                                    &staff,
                                    &format!("the upload is larger than {} MiB", UPLOAD_MAX >> 20),
                                );
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return upload_refused(&staff, "the upload was cut off"),
                    }
                }
                received = size > 0;
            }
            // Anything before the token, or a field of another name, is not read.
            _ => return bad_form(lang, Some(&staff.session)),
        }
    }
    if !csrf_ok {
        return bad_form(lang, Some(&staff.session));
    }
    if !received {
        return upload_refused(&staff, "no file was chosen");
    }
    let job = anjungan_core::sync::nonce();
    let who = staff.session.user.name.clone();
    let (id, by) = (job.clone(), who.clone());
    if let Err(e) = blocking(&hub, move |s| s.job_start(&id, &by, unix_now())).await {
        return failed(lang, Some(&staff.session), &e);
    }
    let store = hub.store();
    let id = job.clone();
    tokio::task::spawn_blocking(move || {
        let scratch = scratch;
        let data = scratch.0.join("dataset");
        let outcome = std::fs::create_dir(&data)
            .map_err(HubError::from)
            .and_then(|()| unpack(&zip_path, &data))
            .and_then(|_| store.import(&data, chrono::Utc::now().date_naive()));
        staff::audit_import(&*store, &who, &outcome);
        let kept = match outcome {
            Ok(summary) => Outcome::Imported(summary),
            Err(e) => Outcome::Refused(e.to_string()),
        };
        let json = serde_json::to_string(&kept).unwrap_or_default();
        if let Err(e) = store.job_finish(&id, &json, unix_now()) {
            // The import stands and the audit log has it; only the progress page misses it.
            tracing::warn!(error = %e, "upload outcome not recorded");
        }
        drop(scratch);
    });
    Redirect::to(&format!("/console/dataset/upload/{job}")).into_response()
}

fn upload_refused(staff: &Staff, reason: &str) -> Response {
    let lang = staff.lang;
    Page {
        lang,
        title: lang.tr("Unggah dataset"),
        here: "/console/dataset",
        staff: Some(&staff.session),
        body: html! {
            p.error role="alert" { (lang.tr("Unggahan ditolak, tidak ada yang berubah.")) }
            p lang="en" { (reason) }
            p { a href="/console/dataset" { (lang.tr("Kembali ke dataset")) } }
        },
    }
    .render(StatusCode::UNPROCESSABLE_ENTITY)
}

/// `GET /console/dataset/upload/{job}`: running (the page refreshes itself every two
/// seconds), or what came of it.
pub(crate) async fn progress(
    State(hub): State<Arc<Hub>>,
    staff: Staff,
    Path(job): Path<String>,
) -> Response {
    let lang = staff.lang;
    if !staff.session.user.role.manages_users() {
        return forbidden(lang, Some(&staff.session));
    }
    let row = match blocking(&hub, move |s| s.job(&job)).await {
        Ok(r) => r,
        Err(e) => return failed(lang, Some(&staff.session), &e),
    };
    let now = unix_now();
    let state = row.map(|j| {
        let outcome = j.outcome.as_deref().map(|o| {
            serde_json::from_str::<Outcome>(o).unwrap_or_else(|_| Outcome::Refused(o.to_owned()))
        });
        (now - j.started_at, j.by, outcome)
    });
    let stale = matches!(&state, Some((secs, _, None)) if *secs > JOB_STALE_SECS);
    let state = if stale { None } else { state };
    let running = matches!(state, Some((_, _, None)));
    let body = html! {
        @match &state {
            None if stale => {
                p.error role="alert" { (lang.tr("Unggahan ini tampaknya terhenti (hub yang mengimpornya berhenti). Data lama tetap dipakai; periksa log audit, lalu unggah lagi.")) }
            }
            None => {
                p { (lang.tr("Unggahan ini tidak dikenal hub ini. Hasil impor ada di halaman dataset.")) }
            }
            Some((secs, by, None)) => {
                p role="status" { (lang.tr_with("Sedang memeriksa dan mengimpor… {secs} detik (oleh {by}).", &[("secs", secs), ("by", by)])) }
                progress {}
                p.muted { (lang.tr("Halaman ini memuat ulang sendiri. Data lama tetap dipakai sampai impor selesai.")) }
            }
            Some((_, _, Some(Outcome::Imported(s)))) => {
                @if s.new_version {
                    p.notice role="status" { (lang.tr_with("Impor selesai: versi {v} ({u} diubah, {d} dihapus). Anjungan menerimanya pada sinkronisasi berikutnya.", &[("v", &s.version), ("u", &s.upserts), ("d", &s.deletes)])) }
                } @else {
                    p.notice role="status" { (lang.tr_with("Tidak ada yang berubah: data sama dengan versi {v}.", &[("v", &s.version)])) }
                }
            }
            Some((_, _, Some(Outcome::Refused(reason)))) => {
                p.error role="alert" { (lang.tr("Data ditolak, tidak ada yang berubah.")) }
                p lang="en" { (reason) }
            }
        }
        p { a href="/console/dataset" { (lang.tr("Kembali ke dataset")) } }
    };
    let mut response = Page {
        lang,
        title: lang.tr("Unggah dataset"),
        here: "/console/dataset",
        staff: Some(&staff.session),
        body,
    }
    .render(StatusCode::OK);
    if running {
        response
            .headers_mut()
            .insert("refresh", HeaderValue::from_static("2"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, bytes) in entries {
                w.start_file(*name, options).unwrap();
                w.write_all(bytes).unwrap();
            }
            w.finish().unwrap();
        }
        out.into_inner()
    }

    fn unpacked(entries: &[(&str, &[u8])]) -> Result<Vec<String>, String> {
        let dir = Scratch::new().unwrap();
        let zip = dir.0.join("u.zip");
        std::fs::write(&zip, zip_of(entries)).unwrap();
        let into = dir.0.join("out");
        std::fs::create_dir(&into).unwrap();
        let result = unpack(&zip, &into).map_err(|e| e.to_string());
        // Nothing lands outside the folder.
        let mut names: Vec<String> = std::fs::read_dir(&into)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        result.map(|_| names)
    }

    #[test]
    fn only_the_datasets_files_are_taken_from_a_zip() {
        assert_eq!(
            unpacked(&[
                ("members.csv", b"a"),
                ("bills.csv", b"b"),
                ("README.txt", b"x")
            ])
            .unwrap(),
            ["bills.csv", "members.csv"]
        );
        assert_eq!(
            unpacked(&[
                ("data/members.csv", b"a"),
                ("a/b/bills.csv", b"b"),
                ("../rules.csv", b"r")
            ])
            .unwrap(),
            ["members.csv"],
            "one folder at most, and nothing that climbs out"
        );
        assert!(
            unpacked(&[("bills.csv", b"b")])
                .unwrap_err()
                .contains("no members.csv")
        );
        assert!(
            unpacked(&[("members.csv", b"a"), ("x/members.csv", b"b")])
                .unwrap_err()
                .contains("twice")
        );
        let dir = Scratch::new().unwrap();
        std::fs::write(dir.0.join("not.zip"), b"plain text").unwrap();
        assert!(
            unpack(&dir.0.join("not.zip"), &dir.0)
                .unwrap_err()
                .to_string()
                .contains("not a zip")
        );
    }
}
