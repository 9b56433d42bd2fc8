//! How the CLI prints: one JSON document on stdout with `--json`, readable bilingual text
//! otherwise. Errors are `{"error": CODE, "message": ..., "message_en": ...}`.

use std::fmt::Write as _;
use std::path::Path;

use crate::dataset::{ImportError, ImportReport};
use crate::domain::{self, Bilingual, Explain};
use crate::services::ServiceError;
use crate::store::StoreError;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};

use super::bilingual;
use crate::{errln, out, outln};

/// A successful answer, kept as JSON so both renderings come from the same data.
pub struct Answer {
    value: Value,
    /// The exit status: 0, or 2 for an answer that says the input was wrong (`nik`).
    exit: u8,
}

impl Answer {
    pub fn json_or_text<T: Serialize>(view: &T) -> Self {
        Self {
            value: serde_json::to_value(view).unwrap_or_else(|e| json!({ "error": e.to_string() })),
            exit: 0,
        }
    }

    /// Row queries print a JSON array of row objects.
    pub fn rows<T: Serialize>(rows: &[T]) -> Self {
        Self::json_or_text(&rows)
    }

    pub fn generated<T: Serialize>(out: &Path, summary: T) -> Self {
        Self {
            value: json!({ "out": out.display().to_string(), "rows": summary }),
            exit: 0,
        }
    }

    pub fn imported(report: ImportReport) -> Self {
        let per_s = report.core_rows() as f64 / report.seconds.max(1e-9);
        let mut value = serde_json::to_value(&report).unwrap_or(Value::Null);
        value["rows_per_second"] = json!(per_s.round() as i64);
        Self { value, exit: 0 }
    }

    /// `anjungan nik`: an invalid NIK is still an answer (`"valid": false` with the reason),
    /// but exits 2, as every input mistake does.
    pub fn nik(nik: &str, today: NaiveDate) -> Self {
        let parsed = domain::parse_nik(nik, today);
        let exit = if parsed.is_ok() { 0 } else { 2 };
        let value = match parsed {
            Ok(info) => json!({
                "valid": true,
                "error": null,
                "nik_masked": domain::mask_nik(nik.trim()),
                "birth_date": info.birth_date.to_string(),
                "sex": info.sex.code(),
                "province_code": info.province_code,
                "regency_code": info.regency_code,
                "district_code": info.district_code,
            }),
            Err(e) => {
                let m = e.explain();
                json!({
                    "valid": false,
                    "error": e.code(),
                    "message": m.id,
                    "message_en": m.en,
                    "birth_date": null,
                    "sex": null,
                    "province_code": null,
                })
            }
        };
        Self { value, exit }
    }

    /// The process status this answer exits with.
    pub fn exit_code(&self) -> u8 {
        self.exit
    }

    pub fn print(&self, json: bool) {
        if json {
            outln!(
                "{}",
                serde_json::to_string_pretty(&self.value).unwrap_or_default()
            );
        } else {
            let mut text = String::new();
            render(&mut text, &self.value, 0);
            out!("{text}");
        }
    }
}

/// Human text from the same JSON: nested keys indented, bilingual messages on two lines.
fn render(out: &mut String, value: &Value, depth: usize) {
    let pad = "  ".repeat(depth);
    match value {
        Value::Object(map) if is_bilingual(map) => {
            let _ = writeln!(out, "{pad}{}", map["id"].as_str().unwrap_or_default());
            let _ = writeln!(out, "{pad}({})", map["en"].as_str().unwrap_or_default());
        }
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::Object(inner) if !is_bilingual(inner) || depth > 0 => {
                        let _ = writeln!(out, "{pad}{key}:");
                        render(out, v, depth + 1);
                    }
                    Value::Array(items)
                        if items.iter().all(|i| !i.is_object() && !i.is_array()) =>
                    {
                        let list: Vec<String> = items.iter().map(|i| scalar(key, i)).collect();
                        let shown = if list.is_empty() {
                            "-".to_owned()
                        } else {
                            list.join(", ")
                        };
                        let _ = writeln!(out, "{pad}{key}: {shown}");
                    }
                    Value::Object(_) | Value::Array(_) => {
                        let _ = writeln!(out, "{pad}{key}:");
                        render(out, v, depth + 1);
                    }
                    _ => {
                        let _ = writeln!(out, "{pad}{key}: {}", scalar(key, v));
                    }
                }
            }
        }
        Value::Array(items) if items.is_empty() => {
            let _ = writeln!(out, "{pad}(tidak ada / none)");
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let _ = writeln!(out, "{pad}- [{}]", i + 1);
                render(out, item, depth + 1);
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar("", other));
        }
    }
}

fn is_bilingual(map: &serde_json::Map<String, Value>) -> bool {
    map.len() == 2
        && map.get("id").is_some_and(Value::is_string)
        && map.get("en").is_some_and(Value::is_string)
}

/// Amounts print as rupiah in text; JSON keeps integers.
fn scalar(key: &str, v: &Value) -> String {
    match v {
        Value::Number(n)
            if key.contains("amount")
                || key.starts_with("per_")
                || key.ends_with("_instalment") =>
        {
            n.as_i64()
                .map(domain::rupiah)
                .unwrap_or_else(|| n.to_string())
        }
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// A command that did not answer: a stable code, a bilingual message, an exit code.
#[derive(Debug)]
pub struct Failure {
    code: &'static str,
    message: Bilingual,
    extra: Option<(&'static str, Value)>,
    exit: u8,
}

impl Failure {
    /// A refusal with its own code and bilingual message; `exit` is the process status.
    pub fn new(code: &'static str, message: Bilingual, exit: u8) -> Self {
        Self {
            code,
            message,
            extra: None,
            exit,
        }
    }

    /// Something a member or technician typed: exit 2.
    pub fn user(code: &'static str, message: Bilingual) -> Self {
        Self {
            code,
            message,
            extra: None,
            exit: 2,
        }
    }

    /// A fault of the kiosk itself: exit 1. The detail goes to the technician, in English.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self {
            code: "INTERNAL",
            message: bilingual(
                format!("Terjadi gangguan: {e}"),
                format!("Internal error: {e}"),
            ),
            extra: None,
            exit: 1,
        }
    }

    /// The command line itself is wrong; clap's explanation is English.
    pub fn usage(detail: &str) -> Self {
        let detail = detail.trim();
        Self::user(
            "USAGE",
            bilingual(
                format!("Perintah tidak lengkap atau salah. {detail}"),
                format!("The command is incomplete or wrong. {detail}"),
            ),
        )
    }

    /// A printer or dispenser fault: exit 3, with what the member or technician should do.
    pub fn device(code: &'static str, message: Bilingual) -> Self {
        Self {
            code,
            message,
            extra: None,
            exit: 3,
        }
    }

    /// Adds one more field to the JSON error (e.g. the number taken before a print failed).
    /// With an empty key, the fields of an object `value` are added at the top level.
    pub fn with_extra(mut self, key: &'static str, value: Value) -> Self {
        self.extra = Some((key, value));
        self
    }

    /// A store error: a disk that refuses writes is a device fault (exit 3) with its own
    /// code, so the technician knows to look at the disk; anything else is internal.
    pub fn store(e: crate::store::StoreError) -> Self {
        if e.is_read_only() {
            Self::device(
                "DB_READ_ONLY",
                bilingual(
                    "Basis data hanya dapat dibaca (disk atau berkas hanya-baca); pencarian tetap berjalan, perubahan tidak dapat disimpan. Periksa disk kiosk.",
                    "The database is read-only (read-only disk or file); lookups still answer, changes cannot be saved. Check the kiosk's disk.",
                ),
            )
        } else if e.is_disk_fault() {
            Self::device(
                "DISK_FULL",
                bilingual(
                    format!("Disk penuh atau gagal menulis; tidak ada yang disimpan: {e}"),
                    format!("The disk is full or failed a write; nothing was saved: {e}"),
                ),
            )
        } else if matches!(e, crate::store::StoreError::Sqlite(_)) {
            Self::internal(e)
        } else {
            Self::new(e.code(), e.explain(), 1)
        }
    }

    pub fn no_database(db: &Path) -> Self {
        Self::user(
            "NO_DATABASE",
            bilingual(
                format!(
                    "Basis data {} tidak ada. Jalankan `anjungan import DIR --db FILE` dahulu.",
                    db.display()
                ),
                format!(
                    "Database {} does not exist. Run `anjungan import DIR --db FILE` first.",
                    db.display()
                ),
            ),
        )
    }

    pub fn exit_code(&self) -> u8 {
        self.exit
    }

    pub fn print(&self, json: bool) {
        if json {
            let mut value = json!({
                "error": self.code,
                "message": self.message.id,
                "message_en": self.message.en,
            });
            if let Some((key, extra)) = &self.extra {
                match extra {
                    Value::Object(fields) if key.is_empty() => {
                        for (k, v) in fields {
                            value[k] = v.clone();
                        }
                    }
                    _ => value[*key] = extra.clone(),
                }
            }
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        } else {
            errln!("{}: {}\n({})", self.code, self.message.id, self.message.en);
            if let Some((_, Value::Array(rows))) = &self.extra {
                for row in rows {
                    errln!(
                        "  {}:{}: {}",
                        row["file"].as_str().unwrap_or_default(),
                        row["line"],
                        row["reason"].as_str().unwrap_or_default()
                    );
                }
            }
        }
    }
}

/// A database that cannot be opened or read: a fault of the kiosk (exit 1), with its own code
/// when it is the key (`DB_KEY_WRONG`, `DB_KEY_MISSING`, …) so a technician knows what to do.
impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::store(e)
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        let message = e.explain();
        match e {
            ServiceError::Store(inner) => Self::store(inner),
            other => Self::user(other.code(), message),
        }
    }
}

impl From<ImportError> for Failure {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::BadRows { rows, total } => Self {
                code: "BAD_ROWS",
                message: bilingual(
                    format!(
                        "{total} baris tidak valid; tidak ada yang diimpor. Perbaiki baris yang disebut lalu ulangi."
                    ),
                    format!(
                        "{total} bad row(s); nothing was imported. Fix the rows named and run the import again."
                    ),
                ),
                extra: Some((
                    "bad_rows",
                    serde_json::to_value(rows).unwrap_or(Value::Null),
                )),
                exit: 2,
            },
            ImportError::Store(inner) => Self::store(inner),
            ImportError::EmptyMembers => Self::user(
                "EMPTY_MEMBERS",
                bilingual(
                    "members.csv tidak berisi baris; impor ini akan menghapus semua peserta. Tidak ada yang diimpor. Jika memang disengaja, ulangi dengan --allow-empty.",
                    "members.csv has no rows; this import would remove every member. Nothing was imported. If that is intended, run it again with --allow-empty.",
                ),
            ),
            other => Self::user(
                "BAD_DATASET",
                bilingual(
                    format!("Dataset tidak dapat diimpor: {other}"),
                    format!("The dataset cannot be imported: {other}"),
                ),
            ),
        }
    }
}
