//! Info JKN articles and counter services: the defaults shipped with the kiosk and the
//! CSV format a dataset directory (or the hub) uses to replace them.
//!
//! This module owns `info.csv` and `services.csv` beside it, their parsers and writers.
//! It knows nothing about members, dues or the store; it must not hold rules (tariffs,
//! caps, waiting periods) as numbers the code acts on: the figures in the articles are
//! text for people, and the rules live in the domain module.
//!
//! # `info.csv`
//! Header `id,category,title_id,title_en,body_id,body_en,source`, UTF-8, one article per
//! record.
//! - `id`: unique, non-empty, e.g. `hak-peserta`.
//! - `category`: one of [`CATEGORIES`] (`HAK`, `KEWAJIBAN`, `MANFAAT_FKTP`,
//!   `MANFAAT_FKRTL`, `ALAT_BANTU`, `TIDAK_DIJAMIN`, `IURAN`, `DENDA`, `KANAL`,
//!   `PENGADUAN`, `AMAN_JKN`, `REHAB`, `PRIVASI`). A category may hold several articles;
//!   they are shown in file order.
//! - `title_id` / `title_en`: Indonesian and English titles, non-empty.
//! - `body_id` / `body_en`: plain text, non-empty; line breaks are real newlines inside a
//!   quoted field (`\r\n` is read as `\n`). Keep them short: they fill one kiosk screen.
//! - `source`: where the text comes from (regulation, BPJS material); may be empty.
//!
//! # `services.csv`
//! Header `code,name_id,name_en,minutes,documents_id,documents_en`, one counter service
//! per record.
//! - `code`: unique, non-empty, no spaces; it prefixes queue numbers (`A-12`).
//! - `name_id` / `name_en`: non-empty.
//! - `minutes`: expected service time, a whole number of at least 1.
//! - `documents_id` / `documents_en`: what to bring, `|`-separated, at least one entry,
//!   the same count in both languages (entry *n* of one translates entry *n* of the
//!   other). An entry that applies to one segment starts with it, e.g. `PBPU/mandiri: ...`.
//!   Only things a member can bring belong here: the kiosk prints them as a checklist.
//! - `notes_id` / `notes_en` (optional pair of columns, after the documents): what a member
//!   should know that is not a document ("Pegawai swasta: didaftarkan melalui HRD", a
//!   condition of the service), `|`-separated, may be empty, the same count in both
//!   languages. Shown and printed under the checklist, without a box to tick.
//!
//! Errors name the file, the line (the header is line 1; a record that spans lines is
//! reported at its first line) and the reason.

use std::collections::HashSet;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

/// File name of the Info JKN articles in a dataset directory.
pub const INFO_FILE: &str = "info.csv";
/// File name of the counter services in a dataset directory.
pub const SERVICES_FILE: &str = "services.csv";

/// The default `info.csv`, byte for byte as shipped.
pub const DEFAULT_INFO_CSV: &str = include_str!("info.csv");
/// The default `services.csv`, byte for byte as shipped.
pub const DEFAULT_SERVICES_CSV: &str = include_str!("services.csv");

/// Every category an Info JKN article may have, in the order the menu shows them.
pub const CATEGORIES: [&str; 13] = [
    "HAK",
    "KEWAJIBAN",
    "MANFAAT_FKTP",
    "MANFAAT_FKRTL",
    "ALAT_BANTU",
    "TIDAK_DIJAMIN",
    "IURAN",
    "DENDA",
    "KANAL",
    "PENGADUAN",
    "AMAN_JKN",
    "REHAB",
    "PRIVASI",
];

const INFO_HEADER: [&str; 7] = [
    "id", "category", "title_id", "title_en", "body_id", "body_en", "source",
];
/// The services header; the last two columns (the notes) are optional.
const SERVICES_HEADER: [&str; 8] = [
    "code",
    "name_id",
    "name_en",
    "minutes",
    "documents_id",
    "documents_en",
    "notes_id",
    "notes_en",
];
/// How many of [`SERVICES_HEADER`]'s columns a file must have.
const SERVICES_REQUIRED: usize = 6;

/// One Info JKN article, in Indonesian and English.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfoArticle {
    /// Unique id, stable across syncs.
    pub id: String,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// Indonesian title.
    pub title_id: String,
    /// English title.
    pub title_en: String,
    /// Indonesian body; lines separated by `\n`.
    pub body_id: String,
    /// English body; lines separated by `\n`.
    pub body_en: String,
    /// Regulation or material the text is taken from.
    pub source: String,
}

/// One document a member should bring, in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Indonesian text.
    pub id: String,
    /// English text.
    pub en: String,
}

/// A counter service that a queue ticket can be taken for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CounterService {
    /// Queue code, e.g. `A`.
    pub code: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
    /// Expected service time in minutes.
    pub minutes: u32,
    /// What to bring, at least one entry.
    pub documents: Vec<Document>,
    /// What to know that is not a document (who registers private employees, a condition
    /// of the service); may be empty.
    #[serde(default)]
    pub notes: Vec<Document>,
}

/// Why a content file was rejected, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file} line {line}: {reason}")]
pub struct ContentError {
    /// [`INFO_FILE`] or [`SERVICES_FILE`].
    pub file: &'static str,
    /// 1-based line; the header is line 1, 0 when the position is unknown.
    pub line: u64,
    /// What is wrong.
    pub reason: ContentErrorReason,
}

/// The reason inside a [`ContentError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ContentErrorReason {
    /// The header row is missing or not the expected one.
    #[error("header must be `{expected}`")]
    BadHeader {
        /// The expected header, comma-separated.
        expected: String,
    },
    /// A record has the wrong number of fields.
    #[error("expected {expected} columns, found {found}")]
    ColumnCount {
        /// Columns in the header.
        expected: usize,
        /// Columns in this record.
        found: usize,
    },
    /// `category` is not one of [`CATEGORIES`].
    #[error("unknown category `{0}`")]
    UnknownCategory(String),
    /// A required field is empty.
    #[error("`{0}` is empty")]
    Empty(&'static str),
    /// A field holds a value its column does not allow.
    #[error("`{field}` has invalid value `{value}`")]
    Invalid {
        /// Column name.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// `minutes` is not a whole number of at least 1.
    #[error("`minutes` must be a whole number of at least 1, found `{0}`")]
    BadMinutes(String),
    /// The two document lists have different lengths.
    #[error("{id} Indonesian documents but {en} English documents")]
    DocumentCountMismatch {
        /// Entries in `documents_id`.
        id: usize,
        /// Entries in `documents_en`.
        en: usize,
    },
    /// The two note lists have different lengths.
    #[error("{id} Indonesian notes but {en} English notes")]
    NoteCountMismatch {
        /// Entries in `notes_id`.
        id: usize,
        /// Entries in `notes_en`.
        en: usize,
    },
    /// An id or code appears twice.
    #[error("duplicate {field} `{value}`")]
    Duplicate {
        /// `id` or `code`.
        field: &'static str,
        /// The repeated value.
        value: String,
    },
    /// The bytes are not readable CSV (bad quoting, not UTF-8, I/O error).
    #[error("unreadable CSV: {0}")]
    Csv(String),
}

/// The Info JKN articles shipped with the kiosk.
pub fn default_info() -> Vec<InfoArticle> {
    // The embedded file is checked by this module's tests, so failure here is a build bug.
    parse_info(DEFAULT_INFO_CSV.as_bytes()).expect("embedded info.csv is valid")
}

/// The counter services shipped with the kiosk.
pub fn default_services() -> Vec<CounterService> {
    parse_services(DEFAULT_SERVICES_CSV.as_bytes()).expect("embedded services.csv is valid")
}

/// Reads `info.csv` as described in the module docs.
pub fn parse_info<R: Read>(r: R) -> Result<Vec<InfoArticle>, ContentError> {
    let file = INFO_FILE;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for_each_record(r, file, &INFO_HEADER, INFO_HEADER.len(), |line, rec| {
        let err = |reason| ContentError { file, line, reason };
        let f = |i: usize| normalize(&rec[i]);
        let article = InfoArticle {
            id: f(0).trim().to_string(),
            category: f(1).trim().to_string(),
            title_id: f(2).trim().to_string(),
            title_en: f(3).trim().to_string(),
            body_id: f(4).trim().to_string(),
            body_en: f(5).trim().to_string(),
            source: f(6).trim().to_string(),
        };
        for (name, value) in [
            ("id", &article.id),
            ("category", &article.category),
            ("title_id", &article.title_id),
            ("title_en", &article.title_en),
            ("body_id", &article.body_id),
            ("body_en", &article.body_en),
        ] {
            if value.is_empty() {
                return Err(err(ContentErrorReason::Empty(name)));
            }
        }
        if !CATEGORIES.contains(&article.category.as_str()) {
            return Err(err(ContentErrorReason::UnknownCategory(article.category)));
        }
        if !seen.insert(article.id.clone()) {
            return Err(err(ContentErrorReason::Duplicate {
                field: "id",
                value: article.id,
            }));
        }
        out.push(article);
        Ok(())
    })?;
    Ok(out)
}

/// Reads `services.csv` as described in the module docs.
pub fn parse_services<R: Read>(r: R) -> Result<Vec<CounterService>, ContentError> {
    let file = SERVICES_FILE;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for_each_record(r, file, &SERVICES_HEADER, SERVICES_REQUIRED, |line, rec| {
        let err = |reason| ContentError { file, line, reason };
        let code = rec[0].trim().to_string();
        let name_id = rec[1].trim().to_string();
        let name_en = rec[2].trim().to_string();
        for (name, value) in [
            ("code", &code),
            ("name_id", &name_id),
            ("name_en", &name_en),
        ] {
            if value.is_empty() {
                return Err(err(ContentErrorReason::Empty(name)));
            }
        }
        if code.chars().any(char::is_whitespace) {
            return Err(err(ContentErrorReason::Invalid {
                field: "code",
                value: code,
            }));
        }
        let minutes = match rec[3].trim().parse::<u32>() {
            Ok(m) if m >= 1 => m,
            _ => return Err(err(ContentErrorReason::BadMinutes(rec[3].to_string()))),
        };
        let documents = bilingual_list(
            (&rec[4], &rec[5]),
            ("documents_id", "documents_en"),
            |id, en| ContentErrorReason::DocumentCountMismatch { id, en },
        )
        .map_err(err)?;
        if documents.is_empty() {
            return Err(err(ContentErrorReason::Empty("documents_id")));
        }
        if !seen.insert(code.clone()) {
            return Err(err(ContentErrorReason::Duplicate {
                field: "code",
                value: code,
            }));
        }
        let notes = bilingual_list(
            (rec.get(6).unwrap_or(""), rec.get(7).unwrap_or("")),
            ("notes_id", "notes_en"),
            |id, en| ContentErrorReason::NoteCountMismatch { id, en },
        )
        .map_err(err)?;
        out.push(CounterService {
            code,
            name_id,
            name_en,
            minutes,
            documents,
            notes,
        });
        Ok(())
    })?;
    Ok(out)
}

/// Writes articles in the `info.csv` format, LF line endings; [`parse_info`] reads it back.
pub fn write_info<W: Write>(w: W, articles: &[InfoArticle]) -> csv::Result<()> {
    let mut wtr = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    wtr.write_record(INFO_HEADER)?;
    for a in articles {
        wtr.write_record([
            &a.id,
            &a.category,
            &a.title_id,
            &a.title_en,
            &a.body_id,
            &a.body_en,
            &a.source,
        ])?;
    }
    wtr.flush()?;
    Ok(())
}

/// Writes services in the `services.csv` format, LF line endings; [`parse_services`]
/// reads it back.
pub fn write_services<W: Write>(w: W, services: &[CounterService]) -> csv::Result<()> {
    let mut wtr = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w);
    wtr.write_record(SERVICES_HEADER)?;
    for s in services {
        let join = |docs: &[Document], en: bool| {
            docs.iter()
                .map(|d| if en { d.en.as_str() } else { d.id.as_str() })
                .collect::<Vec<_>>()
                .join("|")
        };
        wtr.write_record([
            s.code.as_str(),
            &s.name_id,
            &s.name_en,
            &s.minutes.to_string(),
            &join(&s.documents, false),
            &join(&s.documents, true),
            &join(&s.notes, false),
            &join(&s.notes, true),
        ])?;
    }
    wtr.flush()?;
    Ok(())
}

/// Checks the header, then hands each record with its starting line to `f`.
/// A file may leave out the columns of `header` after the first `required`; its records
/// then have as many fields as its own header.
fn for_each_record<R: Read>(
    r: R,
    file: &'static str,
    header: &[&str],
    required: usize,
    mut f: impl FnMut(u64, &csv::StringRecord) -> Result<(), ContentError>,
) -> Result<(), ContentError> {
    // Flexible, so that a short or long record reaches our own check and gets its line.
    // Only LF ends a record, so line numbers stay right on CRLF files; fields are trimmed.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(r);
    let mut records = rdr.records();
    let bad_header = || ContentError {
        file,
        line: 1,
        reason: ContentErrorReason::BadHeader {
            expected: header.join(","),
        },
    };
    let columns = match records.next() {
        Some(Ok(h)) => {
            // A UTF-8 BOM from spreadsheet exports must not make a good header look bad.
            let first = h.get(0).map(|s| s.trim_start_matches('\u{feff}'));
            let same = (h.len() == header.len() || h.len() == required)
                && first == Some(header[0])
                && h.iter()
                    .skip(1)
                    .zip(&header[1..])
                    .all(|(a, b)| a.trim() == *b);
            if !same {
                return Err(bad_header());
            }
            h.len()
        }
        Some(Err(e)) => return Err(csv_error(file, e)),
        None => return Err(bad_header()),
    };
    for rec in records {
        let rec = rec.map_err(|e| csv_error(file, e))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != columns {
            return Err(ContentError {
                file,
                line,
                reason: ContentErrorReason::ColumnCount {
                    expected: columns,
                    found: rec.len(),
                },
            });
        }
        f(line, &rec)?;
    }
    Ok(())
}

fn csv_error(file: &'static str, e: csv::Error) -> ContentError {
    let line = e.position().map_or(0, |p| p.line());
    ContentError {
        file,
        line,
        reason: ContentErrorReason::Csv(e.to_string()),
    }
}

fn normalize(s: &str) -> String {
    s.replace("\r\n", "\n")
}

/// Two `|`-separated lists that translate each other entry by entry (`documents_id` and
/// `documents_en`, or the notes): the same count, no empty entry.
fn bilingual_list(
    (id, en): (&str, &str),
    (id_field, en_field): (&'static str, &'static str),
    mismatch: fn(usize, usize) -> ContentErrorReason,
) -> Result<Vec<Document>, ContentErrorReason> {
    let ids = split_documents(id);
    let ens = split_documents(en);
    if ids.len() != ens.len() {
        return Err(mismatch(ids.len(), ens.len()));
    }
    if ids.iter().any(|d| d.is_empty()) {
        return Err(ContentErrorReason::Empty(id_field));
    }
    if ens.iter().any(|d| d.is_empty()) {
        return Err(ContentErrorReason::Empty(en_field));
    }
    Ok(ids
        .into_iter()
        .zip(ens)
        .map(|(id, en)| Document { id, en })
        .collect())
}

fn split_documents(s: &str) -> Vec<String> {
    if s.trim().is_empty() {
        return Vec::new();
    }
    s.split('|').map(|d| d.trim().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO_HEAD: &str = "id,category,title_id,title_en,body_id,body_en,source\n";
    const SVC_HEAD: &str = "code,name_id,name_en,minutes,documents_id,documents_en\n";

    fn info_err(text: &str) -> ContentError {
        parse_info(text.as_bytes()).unwrap_err()
    }

    fn svc_err(text: &str) -> ContentError {
        parse_services(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn default_info_parses_and_covers_every_category() {
        let info = default_info();
        for cat in CATEGORIES {
            assert!(
                info.iter().any(|a| a.category == cat),
                "no article in category {cat}"
            );
        }
        for a in &info {
            assert!(!a.source.is_empty(), "{} has no source", a.id);
            assert!(!a.body_id.contains('\r') && !a.body_en.contains('\r'));
            assert_eq!(
                a.body_id.lines().count(),
                a.body_en.lines().count(),
                "{}: Indonesian and English bodies should match line for line",
                a.id
            );
        }
    }

    #[test]
    fn default_info_carries_the_seed_facts() {
        let info = default_info();
        let body = |id: &str| {
            info.iter()
                .find(|a| a.id == id)
                .map(|a| a.body_id.clone())
                .unwrap()
        };
        assert_eq!(body("hak-peserta").lines().count(), 6);
        assert_eq!(body("kewajiban-peserta").lines().count(), 7);
        assert_eq!(
            body("manfaat-fktp")
                .lines()
                .filter(|l| l.starts_with(char::is_numeric))
                .count(),
            8
        );
        assert_eq!(
            body("manfaat-fkrtl")
                .lines()
                .filter(|l| l.starts_with(char::is_numeric))
                .count(),
            5
        );
        let denda = body("denda-pelayanan");
        assert!(denda.contains("Rp30.000.000") && denda.contains("Rp20.000.000"));
        assert!(denda.contains("Perpres 64/2020"));
        let kanal = body("kanal-layanan");
        for needle in [
            "165",
            "08118165165",
            "Mobile JKN",
            "www.bpjs-kesehatan.go.id",
        ] {
            assert!(kanal.contains(needle), "kanal lacks {needle}");
        }
        assert!(body("pengaduan").contains("SP4N LAPOR!"));
    }

    #[test]
    fn default_services_are_a_to_i_with_documents() {
        let services = default_services();
        let codes: Vec<&str> = services.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["A", "B", "C", "D", "E", "F", "G", "H", "I"]);
        for s in &services {
            assert_eq!(s.minutes, 15);
            assert!(!s.documents.is_empty(), "{} has no documents", s.code);
        }
        let a = &services[0].documents;
        assert!(a.iter().any(|d| d.id.contains("materai 10.000")));
        assert!(a.iter().any(|d| d.id.starts_with("ASN")));
        // "Registered through HR" is no document to bring: it is a note.
        assert!(!a.iter().any(|d| d.id.starts_with("Pegawai swasta")));
        assert!(services[0].notes[0].id.starts_with("Pegawai swasta"));
    }

    /// The checklist holds only things a member can bring: no "registered through HR", no
    /// "see service C", no conditions of the service.
    #[test]
    fn default_checklists_hold_documents_only() {
        let not_documents = [
            "didaftarkan melalui",
            "lihat layanan",
            "Hanya PBPU",
            "tidak ada tunggakan",
        ];
        for s in default_services() {
            for d in &s.documents {
                for phrase in not_documents {
                    assert!(!d.id.contains(phrase), "{}: {:?} is a note", s.code, d.id);
                }
            }
            for n in &s.notes {
                assert!(
                    !n.id.is_empty() && !n.en.is_empty() && n.id != n.en,
                    "{}",
                    s.code
                );
            }
        }
        let h = default_services()
            .into_iter()
            .find(|s| s.code == "H")
            .unwrap();
        assert_eq!(h.documents.len(), 2);
        assert!(h.notes[0].en.contains("no arrears"), "{:?}", h.notes);
    }

    #[test]
    fn notes_are_optional_and_must_pair_up() {
        let six = format!("{SVC_HEAD}X,Satu,One,10,KTP,ID card\n");
        let s = parse_services(six.as_bytes()).unwrap();
        assert!(s[0].notes.is_empty());
        let eight_head =
            "code,name_id,name_en,minutes,documents_id,documents_en,notes_id,notes_en\n";
        let eight = format!("{eight_head}X,Satu,One,10,KTP,ID card,Catatan|Lagi,Note|More\n");
        let s = parse_services(eight.as_bytes()).unwrap();
        assert_eq!(s[0].notes.len(), 2);
        assert_eq!(s[0].notes[1].en, "More");
        let uneven = format!("{eight_head}X,Satu,One,10,KTP,ID card,Catatan|Lagi,Note\n");
        assert_eq!(
            parse_services(uneven.as_bytes()).unwrap_err().reason,
            ContentErrorReason::NoteCountMismatch { id: 2, en: 1 }
        );
        // A record must have as many fields as its own header.
        let short = format!("{eight_head}X,Satu,One,10,KTP,ID card\n");
        assert!(matches!(
            parse_services(short.as_bytes()).unwrap_err().reason,
            ContentErrorReason::ColumnCount {
                expected: 8,
                found: 6
            }
        ));
    }

    #[test]
    fn writers_round_trip_the_defaults() {
        let info = default_info();
        let mut buf = Vec::new();
        write_info(&mut buf, &info).unwrap();
        assert_eq!(parse_info(buf.as_slice()).unwrap(), info);
        assert_eq!(String::from_utf8(buf).unwrap(), DEFAULT_INFO_CSV);

        let services = default_services();
        let mut buf = Vec::new();
        write_services(&mut buf, &services).unwrap();
        assert_eq!(parse_services(buf.as_slice()).unwrap(), services);
        assert_eq!(String::from_utf8(buf).unwrap(), DEFAULT_SERVICES_CSV);
    }

    #[test]
    fn crlf_files_and_bom_are_accepted() {
        let text = format!(
            "\u{feff}{}a,HAK,T,T,\"x\r\ny\",\"x\r\ny\",s\r\n",
            INFO_HEAD.replace('\n', "\r\n")
        );
        let info = parse_info(text.as_bytes()).unwrap();
        assert_eq!(info[0].body_id, "x\ny");
    }

    #[test]
    fn bad_info_names_the_line_and_reason() {
        let e = info_err("id,category\n");
        assert_eq!((e.line, e.file), (1, INFO_FILE));
        assert!(matches!(e.reason, ContentErrorReason::BadHeader { .. }));

        let e = info_err(&format!("{INFO_HEAD}a,HAK,T,T,B,B,s\nb,HAK,T,T,B,B\n"));
        assert_eq!(e.line, 3);
        assert_eq!(
            e.reason,
            ContentErrorReason::ColumnCount {
                expected: 7,
                found: 6
            }
        );

        // The two-line bodies make record `a` span lines 2-4, so `b` starts on line 5.
        let e = info_err(&format!(
            "{INFO_HEAD}a,HAK,T,T,\"one\ntwo\",\"one\ntwo\",s\nb,GRATIS,T,T,B,B,s\n"
        ));
        assert_eq!(e.line, 5);
        assert_eq!(
            e.reason,
            ContentErrorReason::UnknownCategory("GRATIS".into())
        );

        let e = info_err(&format!("{INFO_HEAD}a,HAK, ,T,B,B,s\n"));
        assert_eq!(
            (e.line, e.reason),
            (2, ContentErrorReason::Empty("title_id"))
        );

        let e = info_err(&format!("{INFO_HEAD}a,HAK,T,T,B,B,s\na,IURAN,T,T,B,B,s\n"));
        assert_eq!(e.line, 3);
        assert!(matches!(
            e.reason,
            ContentErrorReason::Duplicate { field: "id", .. }
        ));

        let e = info_err("");
        assert_eq!(e.line, 1);
        assert!(e.to_string().starts_with("info.csv line 1:"));
    }

    #[test]
    fn bad_services_name_the_line_and_reason() {
        let e = svc_err(&format!("{SVC_HEAD}A,Daftar,Register,lima belas,KK,KK\n"));
        assert_eq!(e.line, 2);
        assert_eq!(
            e.reason,
            ContentErrorReason::BadMinutes("lima belas".into())
        );

        let e = svc_err(&format!("{SVC_HEAD}A,Daftar,Register,0,KK,KK\n"));
        assert!(matches!(e.reason, ContentErrorReason::BadMinutes(_)));

        let e = svc_err(&format!(
            "{SVC_HEAD}A,Daftar,Register,15,KK,KK\nB,Tambah,Add,15,KK|KTP,Family card\n"
        ));
        assert_eq!(e.line, 3);
        assert_eq!(
            e.reason,
            ContentErrorReason::DocumentCountMismatch { id: 2, en: 1 }
        );

        let e = svc_err(&format!("{SVC_HEAD}A,Daftar,Register,15,,\n"));
        assert_eq!(e.reason, ContentErrorReason::Empty("documents_id"));

        let e = svc_err(&format!("{SVC_HEAD}A,Daftar,Register,15,KK||KTP,a|b|c\n"));
        assert_eq!(e.reason, ContentErrorReason::Empty("documents_id"));

        let e = svc_err(&format!(
            "{SVC_HEAD}A,Daftar,Register,15,KK,KK\nA,Lagi,Again,15,KK,KK\n"
        ));
        assert_eq!(e.line, 3);
        assert!(matches!(
            e.reason,
            ContentErrorReason::Duplicate { field: "code", .. }
        ));

        let e = svc_err(&format!("{SVC_HEAD}A,,Register,15,KK,KK\n"));
        assert_eq!(e.reason, ContentErrorReason::Empty("name_id"));

        let e = svc_err(&format!("{SVC_HEAD}A,Daftar,Register,15,KK,KK,extra\n"));
        assert_eq!(
            e.reason,
            ContentErrorReason::ColumnCount {
                expected: 6,
                found: 7
            }
        );
    }

    #[test]
    fn broken_csv_is_an_error_not_a_panic() {
        let e = info_err(&format!("{INFO_HEAD}a,HAK,T,T,\"unterminated\n"));
        assert_eq!(e.file, INFO_FILE);
        let bytes = [SVC_HEAD.as_bytes(), b"A,\xff\xfe,Register,15,KK,KK\n"].concat();
        let e = parse_services(bytes.as_slice()).unwrap_err();
        assert!(matches!(e.reason, ContentErrorReason::Csv(_)));
        assert_eq!(e.line, 2);
    }
}
