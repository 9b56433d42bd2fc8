//! What the screen shows, as plain data: the controller's state rendered into the strings
//! and lists the Slint views display, in the member's language.
//!
//! This is a pure function of the controller and the time, so it is tested without a
//! window; `ui::apply` copies it into the Slint adapter.

use crate::domain::{self, Bilingual, Status};
use crate::kiosk::controller::{
    Controller, Event, Lang, Now, Place, Press, Purpose, Screen, SearchFilter,
};
use crate::kiosk::effects::Effect;
use crate::kiosk::identify::{Field, IdKind};

/// Which Slint page to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Home,
    MemberHome,
    Identify,
    Result,
    List,
    Article,
    Search,
    Ticket,
    RequestCheck,
    Rating,
    Thanks,
}

/// The heading colour of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToneKind {
    Neutral,
    Ok,
    Warn,
    Bad,
}

/// What a list holds, so a tap on an entry means the right thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKindData {
    Articles,
    Services,
    Fktp,
    Kelas,
}

/// One label–value line of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowData {
    pub label: String,
    pub value: String,
    pub strong: bool,
}

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemData {
    pub title: String,
    pub subtitle: String,
    pub detail: String,
    pub badge: String,
    pub enabled: bool,
}

/// Everything the Slint adapter holds, as Rust data.
#[derive(Debug, Clone, PartialEq)]
pub struct KioskView {
    pub page: PageKind,
    pub english: bool,
    pub large_text: bool,
    pub high_contrast: bool,
    pub page_title: String,
    pub kiosk_name: String,
    pub data_as_of: String,
    pub data_stale: bool,
    /// The data is a generated sample: the screen says "DATA CONTOH / SAMPLE DATA".
    pub sample_data: bool,
    pub notice: String,
    pub notice_error: bool,
    pub busy: String,
    pub countdown: i32,
    pub id_is_nik: bool,
    pub id_text: String,
    pub dob_text: String,
    pub dob_focused: bool,
    pub id_message: String,
    pub id_ready: bool,
    pub tone: ToneKind,
    pub result_heading: String,
    pub result_text: String,
    pub rows: Vec<RowData>,
    pub result_note: String,
    pub can_print: bool,
    /// What the on-screen QR code holds (empty: none shown), and what it is for.
    pub qr_text: String,
    pub qr_caption: String,
    /// Member home: the VA button (only for families that pay through one).
    pub member_va: bool,
    /// Member home: the ticket button's label, empty when no counter service fits.
    pub member_ticket: String,
    pub can_confirm: bool,
    pub confirm_label: String,
    pub items: Vec<ItemData>,
    pub list_kind: ListKindData,
    pub list_intro: String,
    pub show_priority: bool,
    pub priority: bool,
    pub article_title: String,
    pub article_body: String,
    pub article_source: String,
    pub search_text: String,
    pub search_filter: SearchFilter,
    pub ticket_number: String,
    pub ticket_service: String,
    pub ticket_info: String,
    pub ticket_documents: Vec<String>,
    /// What to know that is not a document, shown without a box to tick.
    pub ticket_notes: Vec<String>,
    pub reference_text: String,
    pub reference_answer: String,
    /// F1 presses: speech says the screen again when this changes.
    pub repeat: u32,
    /// The control the keypad's focus is on (`ui::focus`): its widget's `fid`, and what
    /// speech says of it.
    pub focus_id: String,
    pub focus_spoken: String,
    /// A physical key was pressed in this visit: the focus ring shows.
    pub keys_used: bool,
    /// Speech is on: the speech key, or headphones plugged in.
    pub speech_on: bool,
    /// Headphones are plugged in (the jack, where the kiosk reads one).
    pub headphones: bool,
    /// Speech volume, `VOLUME_MIN..=VOLUME_MAX`.
    pub volume: u8,
}

impl KioskView {
    pub(super) fn empty(lang: Lang) -> Self {
        Self {
            page: PageKind::Home,
            english: lang == Lang::En,
            large_text: false,
            high_contrast: false,
            page_title: String::new(),
            kiosk_name: String::new(),
            data_as_of: String::new(),
            data_stale: false,
            sample_data: false,
            notice: String::new(),
            notice_error: false,
            busy: String::new(),
            countdown: 0,
            id_is_nik: true,
            id_text: String::new(),
            dob_text: String::new(),
            dob_focused: false,
            id_message: String::new(),
            id_ready: false,
            tone: ToneKind::Neutral,
            result_heading: String::new(),
            result_text: String::new(),
            rows: Vec::new(),
            result_note: String::new(),
            qr_text: String::new(),
            qr_caption: String::new(),
            member_va: false,
            member_ticket: String::new(),
            can_print: false,
            can_confirm: false,
            confirm_label: String::new(),
            items: Vec::new(),
            list_kind: ListKindData::Articles,
            list_intro: String::new(),
            show_priority: false,
            priority: false,
            article_title: String::new(),
            article_body: String::new(),
            article_source: String::new(),
            search_text: String::new(),
            search_filter: SearchFilter::All,
            ticket_number: String::new(),
            ticket_service: String::new(),
            ticket_info: String::new(),
            ticket_documents: Vec::new(),
            ticket_notes: Vec::new(),
            reference_text: String::new(),
            reference_answer: String::new(),
            repeat: 0,
            focus_id: String::new(),
            focus_spoken: String::new(),
            keys_used: false,
            speech_on: false,
            headphones: false,
            volume: crate::kiosk::VOLUME_DEFAULT,
        }
    }
}

/// Picks the member's language from a bilingual text.
pub fn tr(lang: Lang, b: &Bilingual) -> String {
    lang.text(b).to_owned()
}

/// Dataset content carries both languages itself (articles, counter services); it is not
/// in the catalog.
fn content(lang: Lang, id: &str, en: &str) -> String {
    lang.pick(id, en).to_owned()
}

fn row(label: String, value: impl Into<String>) -> RowData {
    RowData {
        label,
        value: value.into(),
        strong: false,
    }
}

fn strong(label: String, value: impl Into<String>) -> RowData {
    RowData {
        label,
        value: value.into(),
        strong: true,
    }
}

/// Digits grouped by four, with blanks for what is still to type.
fn grouped(digits: &str, len: usize) -> String {
    let mut s = String::new();
    for i in 0..len {
        if i > 0 && i % 4 == 0 {
            s.push(' ');
        }
        s.push(digits.chars().nth(i).unwrap_or('_'));
    }
    s
}

/// Opening hours as the dataset writes them (Indonesian), in the member's language.
pub fn hours_text(lang: Lang, hours: &str) -> String {
    if lang == Lang::Id {
        return hours.to_owned();
    }
    const DAYS: [(&str, &str); 9] = [
        ("24 jam", "24 hours"),
        ("Senin", "Mon"),
        ("Selasa", "Tue"),
        ("Rabu", "Wed"),
        ("Kamis", "Thu"),
        ("Jumat", "Fri"),
        ("Sabtu", "Sat"),
        ("Minggu", "Sun"),
        ("Libur", "Closed"),
    ];
    DAYS.iter()
        .fold(hours.to_owned(), |h, (id, en)| h.replace(id, en))
}

/// A name with its code small after it ("Puskesmas Cibeunying · 3273P001"); the code alone
/// when no name is known.
fn named(name: Option<&str>, code: &str) -> String {
    match name {
        Some(n) => format!("{n} · {code}"),
        None => code.to_owned(),
    }
}

fn date_text(d: chrono::NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

fn status_tone(s: Status) -> ToneKind {
    match s {
        Status::Aktif => ToneKind::Ok,
        Status::TidakAktifMenunggak => ToneKind::Warn,
        Status::NonAktif | Status::Meninggal => ToneKind::Bad,
    }
}

fn status_word(lang: Lang, s: Status) -> String {
    tr(lang, &s.label())
}

/// Renders the controller for the screen.
pub fn render(c: &Controller, now: Now) -> KioskView {
    let lang = c.lang;
    let mut v = KioskView::empty(lang);
    v.large_text = c.large_text;
    v.kiosk_name = c.settings().kiosk_name.clone();
    v.high_contrast = c.high_contrast;
    let (loaded, stale) = c.data_freshness(now);
    v.data_stale = stale;
    v.sample_data = c.sample_data();
    v.data_as_of = match loaded {
        Some(at) => format!(
            "{} {} {}",
            lang.tr("Data per").to_owned(),
            at.format(&format!("%d-%m-%Y {}", lang.time_format())),
            zone_label(c.settings().zone)
        ),
        None => lang.tr("Data belum tersedia").to_owned(),
    } + &if stale {
        lang.tr(" · mungkin tidak terbaru").to_owned()
    } else {
        String::new()
    };
    if let Some(n) = c.notice() {
        v.notice = tr(lang, &n.message);
        v.notice_error = n.error;
    }
    if let Some(b) = c.busy() {
        v.busy = tr(lang, b);
    }
    v.repeat = c.repeat();
    let access = c.access();
    v.keys_used = access.keys_used;
    v.speech_on = access.speech;
    v.headphones = c.headphones();
    v.volume = access.volume;
    v.countdown = c.countdown(now).map_or(0, |s| s as i32);

    match c.screen() {
        Screen::Home => {
            v.page = PageKind::Home;
            v.page_title = lang.tr("Anjungan Mandiri JKN").to_owned();
        }
        Screen::MemberHome(h) => {
            let s = &h.status;
            v.page = PageKind::MemberHome;
            v.page_title = lang.tr("Layanan Peserta").to_owned();
            v.tone = status_tone(s.status);
            // First what to do (with the amount), then the amount and the VA, then who the
            // member is; the reason for the status closes the page. All of it scrolls
            // together, so large text pushes nothing important off the screen.
            v.result_heading = status_word(lang, s.status);
            v.result_text = tr(lang, &s.pay.what_to_do);
            v.rows = Vec::new();
            if let Some(amount) = s.pay.amount_due {
                v.rows.push(strong(
                    lang.tr("Yang perlu dibayar").to_owned(),
                    domain::rupiah(amount),
                ));
            }
            if let Some(va) = &h.va {
                // Banks that share one number share one row.
                let mut by_number: Vec<(&String, Vec<&str>)> = Vec::new();
                for (bank, number) in &va.va {
                    match by_number.iter_mut().find(|(n, _)| *n == number) {
                        Some((_, banks)) => banks.push(bank),
                        None => by_number.push((number, vec![bank.as_str()])),
                    }
                }
                for (number, banks) in by_number {
                    v.rows
                        .push(strong(format!("VA {}", banks.join(", ")), number.clone()));
                }
            }
            v.rows
                .push(row(lang.tr("Iuran").to_owned(), tr(lang, &s.pay.who_pays)));
            v.rows.push(row(
                lang.tr("Peserta").to_owned(),
                format!("{} · {}", s.name, s.card_masked),
            ));
            v.rows.push(row(
                lang.tr("Kelas rawat").to_owned(),
                s.kelas.get().to_string(),
            ));
            v.rows.push(row(
                "FKTP".into(),
                match &s.fktp_name {
                    Some(n) => format!("{n} · {}", s.fktp_code),
                    None => s.fktp_code.clone(),
                },
            ));
            v.result_note = tr(lang, &s.explanation);
            v.can_print = true;
            v.member_va = h.va.is_some();
            v.member_ticket = h
                .counter
                .as_ref()
                .map(|code| match lang {
                    Lang::Id => format!("Antrean loket {code}"),
                    Lang::En => format!("Ticket for counter {code}"),
                })
                .unwrap_or_default();
        }
        Screen::Identify {
            purpose,
            form,
            message,
        } => {
            v.page = PageKind::Identify;
            v.page_title = purpose_title(lang, *purpose);
            v.id_is_nik = form.kind == IdKind::Nik;
            v.id_text = grouped(&form.id, form.kind.digits());
            v.dob_text = form.birth_display();
            // Under the idle overlay the typed numbers are hidden: a member who walked
            // away leaves no NIK on the screen for the next one to read.
            if v.countdown > 0 {
                let hide = |s: &str| {
                    s.chars()
                        .map(|c| if c.is_ascii_digit() { '•' } else { c })
                        .collect()
                };
                v.id_text = hide(&v.id_text);
                v.dob_text = hide(&v.dob_text);
            }
            if lang == Lang::En {
                v.dob_text = v
                    .dob_text
                    .replace('H', "D")
                    .replace('B', "M")
                    .replace('T', "Y");
            }
            v.dob_focused = form.field == Field::BirthDate;
            v.id_message = message.as_ref().map(|m| tr(lang, m)).unwrap_or_default();
            v.id_ready = form.ready(now.today());
        }
        Screen::Status(s) => {
            v.page = PageKind::Result;
            v.page_title = lang.tr("Status Kepesertaan").to_owned();
            v.tone = status_tone(s.status);
            v.result_heading = status_word(lang, s.status);
            v.result_text = format!(
                "{}\n{}",
                tr(lang, &s.explanation),
                tr(lang, &s.pay.what_to_do)
            );
            v.rows = vec![
                row(lang.tr("Nama").to_owned(), s.name.clone()),
                row("NIK".into(), s.nik_masked.clone()),
                row(lang.tr("No. Kartu").to_owned(), s.card_masked.clone()),
                row(lang.tr("Segmen").to_owned(), tr(lang, &s.segment_label)),
                row(lang.tr("Kelas rawat").to_owned(), s.kelas.get().to_string()),
                row(
                    "FKTP".into(),
                    match &s.fktp_name {
                        Some(n) => format!("{n} ({})", s.fktp_code),
                        None => s.fktp_code.clone(),
                    },
                ),
            ];
            for m in &s.family {
                v.rows.push(row(
                    tr(lang, &m.relation.label()),
                    format!(
                        "{} · {} · {}",
                        m.name,
                        m.card_masked,
                        status_word(lang, m.status)
                    ),
                ));
            }
            v.can_print = true;
        }
        Screen::Dues(d) => {
            v.page = PageKind::Result;
            v.page_title = lang.tr("Tagihan Iuran").to_owned();
            let member_pays = d.pay.payer == domain::Payer::Member;
            v.tone = if d.status == Status::TidakAktifMenunggak {
                ToneKind::Warn
            } else {
                ToneKind::Ok
            };
            v.result_heading = if !member_pays {
                tr(lang, &d.pay.who_pays)
            } else if d.status == Status::TidakAktifMenunggak {
                format!(
                    "{} {}",
                    lang.tr("Bayar").to_owned(),
                    domain::rupiah(d.dues.reactivation_amount)
                )
            } else if d.dues.current_month_amount > 0 {
                format!(
                    "{} {}",
                    lang.tr("Iuran bulan ini").to_owned(),
                    domain::rupiah(d.dues.current_month_amount)
                )
            } else {
                lang.tr("Iuran sudah lunas").to_owned()
            };
            v.result_text = tr(lang, &d.pay.what_to_do);
            v.rows = vec![row(lang.tr("No. Kartu").to_owned(), d.card_masked.clone())];
            if member_pays {
                if d.dues.unpaid_months > 0 {
                    v.rows.push(row(
                        lang.tr("Bulan belum dibayar").to_owned(),
                        format!(
                            "{}\n{}",
                            d.dues.unpaid_months,
                            domain::unpaid_months_by_year(&d.dues.unpaid_periods, lang).join("\n")
                        ),
                    ));
                    v.rows.push(row(
                        lang.tr("Tunggakan ditagihkan").to_owned(),
                        format!(
                            "{} ({} {})",
                            domain::rupiah(d.dues.arrears_amount),
                            d.dues.billed_arrears_months,
                            lang.tr("bulan").to_owned()
                        ),
                    ));
                }
                v.rows.push(row(
                    lang.tr("Iuran bulan ini").to_owned(),
                    if d.dues.current_month_amount > 0 {
                        domain::rupiah(d.dues.current_month_amount)
                    } else {
                        lang.tr("Lunas").to_owned()
                    },
                ));
                if d.status == Status::TidakAktifMenunggak {
                    v.rows.push(strong(
                        lang.tr("Total untuk aktif kembali").to_owned(),
                        domain::rupiah(d.dues.reactivation_amount),
                    ));
                }
                v.rows.push(row(
                    lang.tr("Iuran per bulan").to_owned(),
                    domain::rupiah(d.dues.monthly_amount),
                ));
            } else if d.dues.monthly_amount > 0 {
                v.rows.push(row(
                    lang.tr("Iuran per bulan (bukan tagihan Anda)").to_owned(),
                    domain::rupiah(d.dues.monthly_amount),
                ));
            }
            let mut notes = Vec::new();
            if d.arrears_capped {
                notes.push(match lang {
                    Lang::Id => format!(
                        "Tunggakan lebih dari {} bulan: yang ditagihkan paling banyak {} bulan terakhir.",
                        d.max_billed_months, d.max_billed_months
                    ),
                    Lang::En => format!(
                        "More than {} months are unpaid: at most the last {} months are billed.",
                        d.max_billed_months, d.max_billed_months
                    ),
                });
            }
            if let Some(plan) = &d.rehab {
                notes.push(match lang {
                    Lang::Id => format!(
                        "Program REHAB: tunggakan dapat dicicil {} kali, sekitar {} per bulan. Daftar lewat Mobile JKN atau Care Center 165 paling lambat tanggal 28.",
                        plan.instalments,
                        domain::rupiah(plan.per_instalment)
                    ),
                    Lang::En => format!(
                        "REHAB programme: the arrears can be paid in {} instalments of about {}. Register through Mobile JKN or Care Center 165 by the 28th.",
                        plan.instalments,
                        domain::rupiah(plan.per_instalment)
                    ),
                });
            }
            v.result_note = notes.join("\n");
            v.can_print = true;
        }
        Screen::Va(va) => {
            v.page = PageKind::Result;
            v.page_title = lang.tr("Info Virtual Account").to_owned();
            v.tone = ToneKind::Neutral;
            if !va.pay.uses_va {
                // PBI and PPU: nobody in the family pays into a VA, so none is shown.
                v.result_heading = tr(lang, &va.pay.who_pays);
                v.result_text = tr(lang, &va.pay.what_to_do);
                v.rows = Vec::new();
                v.can_print = false;
                return v;
            }
            v.result_heading = lang.tr("Nomor Virtual Account keluarga").to_owned();
            v.result_text = format!(
                "{}\n{}",
                tr(lang, &va.pay.what_to_do),
                lang.tr("Bayar dengan nomor ini di bank, ATM, mobile banking, kantor pos, minimarket atau Mobile JKN.").to_owned()
            );
            v.rows = va
                .va
                .iter()
                .map(|(bank, number)| strong(bank.clone(), number.clone()))
                .collect();
            v.result_note = match lang {
                Lang::Id => format!("Atas nama kepala keluarga, kartu {}.", va.head_card_masked),
                Lang::En => format!(
                    "In the name of the head of family, card {}.",
                    va.head_card_masked
                ),
            };
            v.can_print = true;
        }
        Screen::InfoMenu => {
            v.page = PageKind::List;
            v.page_title = "Info JKN".into();
            v.list_kind = ListKindData::Articles;
            v.list_intro = lang.tr("Pilih topik.").to_owned();
            v.items = c
                .articles()
                .iter()
                .map(|a| ItemData {
                    title: content(lang, &a.title_id, &a.title_en),
                    subtitle: category_label(lang, &a.category),
                    enabled: true,
                    ..ItemData::default()
                })
                .collect();
        }
        Screen::InfoArticle(i) => {
            v.page = PageKind::Article;
            v.page_title = "Info JKN".into();
            if let Some(a) = c.articles().get(*i) {
                v.article_title = content(lang, &a.title_id, &a.title_en);
                v.article_body = content(lang, &a.body_id, &a.body_en);
                v.article_source = a.source.clone();
            }
        }
        Screen::Search {
            text,
            filter,
            results,
        } => {
            v.page = PageKind::Search;
            v.page_title = lang.tr("Cari Faskes & Kantor").to_owned();
            v.search_text = text.clone();
            v.search_filter = *filter;
            v.items = results.iter().map(|p| place_item(lang, p)).collect();
        }
        Screen::PlaceDetail(place) => {
            v.page = PageKind::Result;
            v.page_title = lang.tr("Detail Lokasi").to_owned();
            v.tone = ToneKind::Neutral;
            let (name, address, hours, phone, kind, distance) = match &**place {
                Place::Facility(f) => (
                    f.name.clone(),
                    format!("{}, {}, {}", f.address, f.kecamatan, f.kabkota),
                    hours_text(lang, &f.hours),
                    f.phone.clone(),
                    tr(lang, &f.facility_type.label()),
                    f.distance_km,
                ),
                Place::Office(o) => (
                    o.name.clone(),
                    format!("{}, {}", o.address, o.kabkota),
                    hours_text(lang, &o.hours),
                    o.phone.clone(),
                    tr(lang, &o.level.label()),
                    o.distance_km,
                ),
            };
            v.result_heading = name;
            v.result_text = kind;
            v.rows = vec![
                row(lang.tr("Alamat").to_owned(), address),
                row(lang.tr("Jam buka").to_owned(), hours),
                row(lang.tr("Telepon").to_owned(), phone),
            ];
            if let Some(d) = distance {
                v.rows
                    .push(row(lang.tr("Jarak").to_owned(), format!("{d:.1} km")));
            }
            v.result_note = lang
                .tr("Cetak struk ini untuk membawa alamat dan kode QR peta.")
                .to_owned();
            let (lat, lon) = match &**place {
                Place::Facility(f) => (f.lat, f.lon),
                Place::Office(o) => (o.lat, o.lon),
            };
            v.qr_text = super::qr::maps_url(lat, lon);
            v.qr_caption = lang
                .tr("Pindai untuk membuka lokasi ini di aplikasi peta ponsel Anda.")
                .to_owned();
            v.can_print = true;
        }
        Screen::Refused { purpose, change } => {
            v.page = PageKind::Result;
            v.page_title = purpose_title(lang, *purpose);
            v.tone = ToneKind::Bad;
            v.result_heading = lang.tr("Perubahan belum dapat diajukan").to_owned();
            v.result_text = change
                .messages
                .iter()
                .map(|m| format!("• {}", tr(lang, m)))
                .collect::<Vec<_>>()
                .join("\n");
            if let Some(d) = change.earliest_date {
                v.rows.push(row(
                    lang.tr("Paling cepat dapat diajukan").to_owned(),
                    date_text(d),
                ));
            }
        }
        Screen::FktpChoose { options } => {
            v.page = PageKind::List;
            v.page_title = lang.tr("Ubah FKTP").to_owned();
            v.list_kind = ListKindData::Fktp;
            v.list_intro = lang.tr("Pilih FKTP baru. Hanya FKTP yang masih menerima peserta yang ditampilkan, terdekat lebih dulu.").to_owned();
            v.items = options
                .iter()
                .map(|f| place_item(lang, &Place::Facility(f.clone())))
                .collect();
        }
        Screen::FktpConfirm { target, change } => {
            v.page = PageKind::Result;
            v.page_title = lang.tr("Ubah FKTP").to_owned();
            v.tone = ToneKind::Ok;
            v.result_heading = lang.tr("Periksa lalu ajukan").to_owned();
            v.result_text = lang.tr("Permohonan Anda akan dikirim ke BPJS Kesehatan. Anda mendapat nomor permohonan untuk mengecek hasilnya.").to_owned();
            v.rows = vec![
                row(
                    lang.tr("FKTP sekarang").to_owned(),
                    named(change.from_name.as_deref(), &change.from),
                ),
                strong(lang.tr("FKTP baru").to_owned(), target.name.clone()),
                row(
                    lang.tr("Alamat").to_owned(),
                    format!("{}, {}", target.address, target.kecamatan),
                ),
                strong(
                    lang.tr("Berlaku mulai").to_owned(),
                    date_text(change.effective_date),
                ),
            ];
            v.can_confirm = true;
            v.confirm_label = lang.tr("Ajukan").to_owned();
        }
        Screen::KelasChoose { current, prices } => {
            v.page = PageKind::List;
            v.page_title = lang.tr("Ubah Kelas").to_owned();
            v.list_kind = ListKindData::Kelas;
            v.list_intro = match lang {
                Lang::Id => format!(
                    "Kelas rawat sekarang: {}. Perubahan berlaku untuk seluruh keluarga dalam KK.",
                    current.get()
                ),
                Lang::En => format!(
                    "Current class: {}. A change applies to the whole family on the KK.",
                    current.get()
                ),
            };
            v.items = (1..=3u8)
                .map(|k| ItemData {
                    title: format!("{} {k}", lang.tr("Kelas").to_owned()),
                    subtitle: {
                        // Every choice with its price for the whole family.
                        let price = prices[usize::from(k - 1)]
                            .map(|a| match lang {
                                Lang::Id => {
                                    format!("{} per bulan untuk keluarga", domain::rupiah(a))
                                }
                                Lang::En => format!("{} a month for the family", domain::rupiah(a)),
                            })
                            .unwrap_or_default();
                        if k == current.get() {
                            format!("{} · {price}", lang.tr("Kelas Anda sekarang").to_owned())
                        } else {
                            price
                        }
                    },
                    enabled: k != current.get(),
                    ..ItemData::default()
                })
                .collect();
        }
        Screen::KelasConfirm { change } => {
            v.page = PageKind::Result;
            v.page_title = lang.tr("Ubah Kelas").to_owned();
            v.tone = ToneKind::Ok;
            v.result_heading = format!(
                "{} {} → {}",
                lang.tr("Kelas").to_owned(),
                change.from,
                change.to
            );
            v.result_text = lang.tr("Perubahan berlaku untuk semua anggota keluarga berikut. Periksa iuran bulanan yang baru sebelum mengajukan.").to_owned();
            for m in &change.family {
                v.rows.push(row(
                    tr(lang, &m.relation.label()),
                    format!("{} · {}", m.name, m.card_masked),
                ));
            }
            if let Some(amount) = change.current_family_monthly_amount {
                v.rows.push(row(
                    lang.tr("Iuran keluarga sekarang").to_owned(),
                    domain::rupiah(amount),
                ));
            }
            if let Some(amount) = change.new_family_monthly_amount {
                v.rows.push(strong(
                    lang.tr("Iuran keluarga per bulan").to_owned(),
                    domain::rupiah(amount),
                ));
            }
            v.rows.push(strong(
                lang.tr("Berlaku mulai").to_owned(),
                date_text(change.effective_date),
            ));
            v.can_confirm = true;
            v.confirm_label = lang.tr("Ajukan").to_owned();
        }
        Screen::RequestDone(r) => {
            v.page = PageKind::Result;
            v.page_title = lang.tr("Permohonan Diterima").to_owned();
            v.tone = ToneKind::Ok;
            v.result_heading = r.reference.clone();
            v.result_text = lang.tr("Permohonan Anda tercatat. Simpan nomor ini untuk mengecek hasilnya di anjungan mana pun (menu Cek Permohonan).").to_owned();
            v.rows = vec![
                row(lang.tr("Permohonan").to_owned(), tr(lang, &r.what)),
                row(lang.tr("No. Kartu").to_owned(), r.card_masked.clone()),
                row(
                    lang.tr("Berlaku mulai").to_owned(),
                    date_text(r.effective_date),
                ),
            ];
            v.qr_text = r.reference.clone();
            v.qr_caption = lang
                .tr("Pindai untuk menyimpan nomor permohonan di ponsel Anda.")
                .to_owned();
            v.can_print = true;
        }
        Screen::Queue { priority } => {
            v.page = PageKind::List;
            v.page_title = lang.tr("Ambil Antrean").to_owned();
            v.list_intro = lang
                .tr("Pilih layanan. Setiap layanan menampilkan dokumen yang perlu dibawa.")
                .to_owned();
            v.show_priority = true;
            v.list_kind = ListKindData::Services;
            v.priority = *priority;
            v.items = c
                .services()
                .iter()
                .map(|s| ItemData {
                    title: format!("{} — {}", s.code, content(lang, &s.name_id, &s.name_en)),
                    // Short: the first documents, and how many more; the whole checklist
                    // is on the ticket screen and slip.
                    subtitle: {
                        let docs: Vec<String> = s
                            .documents
                            .iter()
                            .map(|d| content(lang, &d.id, &d.en))
                            .collect();
                        let shown = docs.iter().take(2).cloned().collect::<Vec<_>>().join(", ");
                        let more = docs.len().saturating_sub(2);
                        let bring = lang.tr("Bawa").to_owned();
                        if more > 0 {
                            match lang {
                                Lang::Id => format!("{bring}: {shown} +{more} lainnya"),
                                Lang::En => format!("{bring}: {shown} +{more} more"),
                            }
                        } else {
                            format!("{bring}: {shown}")
                        }
                    },
                    // The time at the counter, not the wait.
                    badge: match lang {
                        Lang::Id => format!("Dilayani ±{} menit", s.minutes),
                        Lang::En => format!("Served in ±{} min", s.minutes),
                    },
                    enabled: true,
                    ..ItemData::default()
                })
                .collect();
        }
        Screen::QueueTicket(ticket) => {
            v.page = PageKind::Ticket;
            v.page_title = lang.tr("Nomor Antrean").to_owned();
            v.ticket_number = ticket.number.clone();
            v.ticket_service = content(lang, &ticket.service.name_id, &ticket.service.name_en);
            v.ticket_info = match lang {
                Lang::Id => format!(
                    "{} orang di depan Anda · perkiraan tunggu {} menit · diambil pukul {}",
                    ticket.ahead,
                    ticket.wait_minutes,
                    ticket.issued_at.format(lang.time_format())
                ),
                Lang::En => format!(
                    "{} ahead of you · about {} minutes' wait · taken at {}",
                    ticket.ahead,
                    ticket.wait_minutes,
                    ticket.issued_at.format(lang.time_format())
                ),
            };
            v.ticket_documents = ticket
                .service
                .documents
                .iter()
                .map(|d| content(lang, &d.id, &d.en))
                .collect();
            v.ticket_notes = ticket
                .service
                .notes
                .iter()
                .map(|d| content(lang, &d.id, &d.en))
                .collect();
        }
        Screen::RequestCheck { reference, answer } => {
            v.page = PageKind::RequestCheck;
            v.page_title = lang.tr("Cek Permohonan").to_owned();
            v.reference_text = reference.clone();
            v.reference_answer = answer.as_ref().map(|a| tr(lang, a)).unwrap_or_default();
        }
        Screen::Rating => {
            v.page = PageKind::Rating;
            v.page_title = lang.tr("Penilaian").to_owned();
        }
        Screen::Thanks => {
            v.page = PageKind::Thanks;
            v.page_title = lang.tr("Terima Kasih").to_owned();
        }
    }
    if let Some(f) = super::focus::controls(&v).at(access.focus) {
        v.focus_id = f.id.clone();
        v.focus_spoken = if f.enabled {
            f.spoken.clone()
        } else {
            format!("{}, {}", f.spoken, lang.tr("tidak tersedia"))
        };
    }
    v
}

/// Hands `event` to the controller, as [`Controller::handle`] does, except where a
/// physical key depends on the focus: Enter activates the control the focus is on, as a
/// tap on it would (a disabled control does nothing; a text box moves the focus on), and
/// digits type into the identify field the focus is on. The runtime and the UI
/// tests both drive the controller through this.
pub fn handle(c: &mut Controller, event: Event, now: Now) -> Vec<Effect> {
    // Digits and Backspace type into the identify field the focus is on: when the member
    // moved the focus to the other field, the typing moves there first.
    if let Event::Physical(Press::Digit(_) | Press::Backspace) = event {
        let v = render(c, now);
        if v.page == PageKind::Identify
            && let Some(f) = super::focus::controls(&v).at(c.access().focus)
        {
            let dob = match f.id.as_str() {
                "id-field" => Some(false),
                "dob-field" => Some(true),
                _ => None,
            };
            if let Some(dob) = dob.filter(|&d| d != v.dob_focused) {
                c.handle(
                    Event::FocusField(if dob { Field::BirthDate } else { Field::Id }),
                    now,
                );
                c.focus_to_start();
            }
        }
    }
    if let Event::Physical(Press::Enter) = event {
        let v = render(c, now);
        // The idle warning covers the screen: Enter answers it ("Lanjutkan"), never the
        // control underneath (which might print or submit).
        if v.countdown > 0 {
            c.key_used();
            return c.handle(Event::StillHere, now);
        }
        if let Some(f) = super::focus::controls(&v).at(c.access().focus) {
            c.key_used();
            return match (&f.event, f.enabled) {
                (Some(e), true) => c.handle(e.clone(), now),
                (None, _) => c.handle(Event::Physical(Press::Next), now),
                (Some(_), false) => c.handle(Event::StillHere, now),
            };
        }
    }
    c.handle(event, now)
}

/// WIB, WITA or WIT for Indonesia's zones; the IANA name otherwise.
fn zone_label(zone: chrono_tz::Tz) -> String {
    match zone {
        chrono_tz::Asia::Jakarta | chrono_tz::Asia::Pontianak => "WIB".into(),
        chrono_tz::Asia::Makassar => "WITA".into(),
        chrono_tz::Asia::Jayapura => "WIT".into(),
        other => other.name().into(),
    }
}

fn purpose_title(lang: Lang, p: Purpose) -> String {
    match p {
        Purpose::Status => lang.tr("Cek Status").to_owned(),
        Purpose::Dues => lang.tr("Cek Tagihan").to_owned(),
        Purpose::Va => lang.tr("Info Virtual Account").to_owned(),
        Purpose::ChangeFktp => lang.tr("Ubah FKTP").to_owned(),
        Purpose::ChangeKelas => lang.tr("Ubah Kelas").to_owned(),
    }
}

fn category_label(lang: Lang, category: &str) -> String {
    let msgid = match category {
        "HAK" => crate::i18n::n_("Hak peserta"),
        "KEWAJIBAN" => crate::i18n::n_("Kewajiban peserta"),
        "MANFAAT_FKTP" => crate::i18n::n_("Manfaat di FKTP"),
        "MANFAAT_FKRTL" => crate::i18n::n_("Manfaat di rumah sakit"),
        "ALAT_BANTU" => crate::i18n::n_("Alat bantu kesehatan"),
        "TIDAK_DIJAMIN" => crate::i18n::n_("Yang tidak dijamin"),
        "IURAN" => crate::i18n::n_("Iuran"),
        "DENDA" => crate::i18n::n_("Denda pelayanan"),
        "KANAL" => crate::i18n::n_("Kanal layanan"),
        "PENGADUAN" => crate::i18n::n_("Pengaduan"),
        "AMAN_JKN" => crate::i18n::n_("Anjungan AMAN JKN"),
        "REHAB" => crate::i18n::n_("Program REHAB"),
        "PRIVASI" => crate::i18n::n_("Data pribadi"),
        other => return other.to_owned(),
    };
    lang.tr(msgid).to_owned()
}

fn place_item(lang: Lang, p: &Place) -> ItemData {
    match p {
        Place::Facility(f) => ItemData {
            title: f.name.clone(),
            subtitle: format!(
                "{} · {}, {}",
                tr(lang, &f.facility_type.label()),
                f.address,
                f.kecamatan
            ),
            detail: hours_text(lang, &f.hours),
            badge: f
                .distance_km
                .map(|d| format!("{d:.1} km"))
                .unwrap_or_default(),
            enabled: f.active,
        },
        Place::Office(o) => ItemData {
            title: o.name.clone(),
            subtitle: format!("{} · {}", tr(lang, &o.level.label()), o.address),
            detail: hours_text(lang, &o.hours),
            badge: o
                .distance_km
                .map(|d| format!("{d:.1} km"))
                .unwrap_or_default(),
            enabled: true,
        },
    }
}
