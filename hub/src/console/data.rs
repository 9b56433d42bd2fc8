//! The dataset page: versions, row counts, the last import (and the upload, upload.rs).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::{Page, Staff, blocking, failed, forbidden};
use crate::server::Hub;

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
