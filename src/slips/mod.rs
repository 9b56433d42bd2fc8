//! Slip layouts: the service views turned into receipt documents for the printer.
//!
//! Owns what each slip says and in which order, in Indonesian or English. It takes the views
//! the screens show (already masked: `3201**********01`, `0001*****8911`) and never prints a
//! name, a full NIK or a date of birth; only the VA slip shows the VA in full, because the
//! member needs it to pay (domain.md §8). It does not talk to the printer.

use anjungan_drivers::receipt::{Align, PaperWidth, Receipt, sanitize, wrap};
use chrono::NaiveDateTime;

use crate::content::CounterService;
use crate::domain::rupiah;
use crate::services::member::{ChangeView, DuesView, StatusView, VaView};

/// The language a slip is printed in: the member's, the same type the screens use.
pub use crate::domain::Lang;

/// What every slip's header and footer need.
#[derive(Debug, Clone)]
pub struct SlipContext {
    /// The kiosk's name from config, e.g. "KC Bandung".
    pub kiosk_name: String,
    pub width: PaperWidth,
    pub lang: Lang,
    /// Local time of printing, in the kiosk's zone.
    pub printed_at: NaiveDateTime,
}

impl SlipContext {
    fn start(&self, title_id: &str, title_en: &str) -> Receipt {
        let mut r = Receipt::new(self.width);
        r.styled("BPJS Kesehatan", Align::Center, true, 1);
        r.styled(self.kiosk_name.clone(), Align::Center, false, 1);
        r.separator();
        r.styled(self.lang.pick(title_id, title_en), Align::Center, true, 1);
        r
    }

    fn end(&self, r: &mut Receipt) {
        r.separator();
        r.styled(
            format!(
                "{} {}",
                self.lang.tr("Dicetak"),
                self.printed_at
                    .format(&format!("%d-%m-%Y {}", self.lang.time_format()))
            ),
            Align::Center,
            false,
            1,
        );
        r.styled(
            self.lang.tr("Care Center 165 | Pandawa 08118165165"),
            Align::Center,
            false,
            1,
        );
    }
}

/// A queue ticket as the kiosk prints it.
#[derive(Debug, Clone)]
pub struct TicketSlip<'a> {
    /// `A-012` or `A-P01`.
    pub number: String,
    pub service: &'a CounterService,
    pub priority: bool,
    /// People ahead in the same series.
    pub ahead: u16,
}

impl TicketSlip<'_> {
    /// Estimated wait: everyone ahead takes the service's time.
    pub fn wait_minutes(&self) -> u32 {
        u32::from(self.ahead) * self.service.minutes
    }
}

/// The queue ticket: number, service, time, people ahead, estimated wait, what to bring.
pub fn queue_ticket(ctx: &SlipContext, t: &TicketSlip<'_>) -> Receipt {
    let l = ctx.lang;
    let mut r = ctx.start("NOMOR ANTREAN", "QUEUE NUMBER");
    let size = match ctx.width {
        PaperWidth::Mm58 => 3,
        PaperWidth::Mm80 => 4,
    };
    r.styled(t.number.clone(), Align::Center, true, size);
    if t.priority {
        r.styled(
            l.tr("PRIORITAS (lansia/disabilitas/hamil)"),
            Align::Center,
            true,
            1,
        );
    }
    r.styled(
        format!(
            "{} - {}",
            t.service.code,
            l.pick(&t.service.name_id, &t.service.name_en)
        ),
        Align::Center,
        false,
        1,
    );
    r.separator();
    r.pair(
        l.tr("Waktu"),
        ctx.printed_at
            .format(&format!("%d-%m-%Y {}", l.time_format()))
            .to_string(),
    );
    r.pair(l.tr("Antrean di depan"), t.ahead.to_string());
    r.pair(
        l.tr("Perkiraan tunggu"),
        format!("{} {}", t.wait_minutes(), l.tr("menit")),
    );
    r.separator();
    r.styled(l.tr("Dokumen yang dibawa:"), Align::Left, true, 1);
    for d in &t.service.documents {
        checkbox(&mut r, ctx.width.columns(), l.pick(&d.id, &d.en));
    }
    if !t.service.notes.is_empty() {
        r.styled(l.tr("Perlu diketahui:"), Align::Left, true, 1);
        for n in &t.service.notes {
            bullet(&mut r, ctx.width.columns(), l.pick(&n.id, &n.en));
        }
    }
    r.separator();
    r.styled(
        l.tr("Tunggu nomor Anda dipanggil."),
        Align::Center,
        false,
        1,
    );
    ctx.end(&mut r);
    r
}

/// A checklist item: `[ ] text`, continuation lines indented under the text.
fn checkbox(r: &mut Receipt, cols: usize, text: &str) {
    let lines = wrap(&sanitize(text), cols.saturating_sub(4));
    for (i, line) in lines.iter().enumerate() {
        let mark = if i == 0 { "[ ] " } else { "    " };
        r.line(format!("{mark}{line}"));
    }
}

/// A note: `- text`, continuation lines indented under the text; nothing to tick.
fn bullet(r: &mut Receipt, cols: usize, text: &str) {
    let lines = wrap(&sanitize(text), cols.saturating_sub(2));
    for (i, line) in lines.iter().enumerate() {
        let mark = if i == 0 { "- " } else { "  " };
        r.line(format!("{mark}{line}"));
    }
}

/// The membership status slip.
pub fn status_slip(ctx: &SlipContext, v: &StatusView) -> Receipt {
    let l = ctx.lang;
    let mut r = ctx.start("STATUS KEPESERTAAN", "MEMBERSHIP STATUS");
    r.pair("NIK", v.nik_masked.clone());
    r.pair(l.tr("No. Kartu"), v.card_masked.clone());
    r.styled(l.text(&v.status.label()).to_owned(), Align::Center, true, 2);
    r.line(l.text(&v.explanation));
    r.line(l.text(&v.pay.what_to_do));
    r.separator();
    r.pair(l.tr("Segmen"), l.text(&v.segment_label).to_owned());
    r.pair(l.tr("Kelas"), v.kelas.get().to_string());
    r.pair("FKTP", v.fktp_code.clone());
    if let Some(name) = &v.fktp_name {
        r.styled(name.clone(), Align::Right, false, 1);
    }
    if v.family.len() > 1 {
        r.separator();
        r.styled(l.tr("Anggota keluarga:"), Align::Left, true, 1);
        for m in &v.family {
            r.pair(
                format!("{} {}", m.card_masked, l.text(&m.relation.label())),
                l.text(&m.status.label()).to_owned(),
            );
        }
    }
    ctx.end(&mut r);
    r
}

/// The dues slip.
pub fn dues_slip(ctx: &SlipContext, v: &DuesView) -> Receipt {
    let l = ctx.lang;
    let d = &v.dues;
    let mut r = ctx.start("TAGIHAN IURAN", "CONTRIBUTION BILL");
    r.pair(l.tr("No. Kartu"), v.card_masked.clone());
    r.pair("Status", l.text(&v.status.label()).to_owned());
    r.separator();
    if v.pay.payer != crate::domain::Payer::Member {
        // PBI and PPU: who pays, and nothing to pay.
        r.styled(l.text(&v.pay.who_pays).to_owned(), Align::Left, true, 1);
        r.line(l.text(&v.pay.what_to_do));
        ctx.end(&mut r);
        return r;
    }
    r.pair(l.tr("Iuran per bulan"), rupiah(d.monthly_amount));
    r.pair(l.tr("Bulan tertunggak"), d.unpaid_months.to_string());
    for line in crate::domain::unpaid_months_by_year(&d.unpaid_periods, l) {
        r.styled(line, Align::Right, false, 1);
    }
    if d.unpaid_months > 0 {
        r.pair(l.tr("Tunggakan"), rupiah(d.arrears_amount));
    }
    r.pair(l.tr("Iuran bulan ini"), rupiah(d.current_month_amount));
    if d.reactivation_amount > 0 {
        r.pair(l.tr("Bayar untuk aktif"), rupiah(d.reactivation_amount));
    }
    if v.arrears_capped {
        r.line(match l {
            Lang::Id => format!(
                "Tunggakan ditagih paling banyak {} bulan.",
                v.max_billed_months
            ),
            Lang::En => format!(
                "At most {} months of arrears are billed.",
                v.max_billed_months
            ),
        });
    }
    if let Some(p) = &v.rehab {
        r.separator();
        r.line(match l {
            Lang::Id => format!(
                "REHAB: dapat dicicil {} kali, {} per bulan.",
                p.instalments,
                rupiah(p.per_instalment)
            ),
            Lang::En => format!(
                "REHAB: may be paid in {} instalments of {}.",
                p.instalments,
                rupiah(p.per_instalment)
            ),
        });
    }
    r.line(l.text(&v.pay.what_to_do));
    ctx.end(&mut r);
    r
}

/// Where a VA can be paid, printed under the numbers.
const WHERE_TO_PAY: [(&str, &str); 3] = [
    (
        "Teller, ATM, mobile/internet banking bank di atas",
        "Teller, ATM, mobile/internet banking of the banks above",
    ),
    (
        "Kantor Pos, Indomaret, Alfamart, Tokopedia",
        "Post offices, Indomaret, Alfamart, Tokopedia",
    ),
    ("Aplikasi Mobile JKN", "The Mobile JKN app"),
];

/// The Virtual Account slip: the one slip with a full number on it.
pub fn va_slip(ctx: &SlipContext, v: &VaView) -> Receipt {
    let l = ctx.lang;
    let mut r = ctx.start("VIRTUAL ACCOUNT KELUARGA", "FAMILY VIRTUAL ACCOUNT");
    r.pair(l.tr("Kartu kepala keluarga"), v.head_card_masked.clone());
    r.separator();
    if !v.pay.uses_va {
        r.styled(l.text(&v.pay.who_pays).to_owned(), Align::Left, true, 1);
        r.line(l.text(&v.pay.what_to_do));
        ctx.end(&mut r);
        return r;
    }
    for (bank, va) in &v.va {
        r.styled(bank.clone(), Align::Left, true, 1);
        r.styled(va.clone(), Align::Right, false, 1);
    }
    r.separator();
    r.styled(l.tr("Tempat pembayaran:"), Align::Left, true, 1);
    for (id, en) in WHERE_TO_PAY {
        r.line(format!("- {}", l.pick(id, en)));
    }
    ctx.end(&mut r);
    r
}

/// What a change request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Fktp,
    Kelas,
}

/// The change-request slip: reference, what changes, from when, and a QR of the reference.
pub fn change_slip(
    ctx: &SlipContext,
    reference: &str,
    kind: ChangeKind,
    v: &ChangeView,
) -> Receipt {
    let l = ctx.lang;
    let mut r = ctx.start("PERMOHONAN PERUBAHAN DATA", "CHANGE REQUEST");
    // The reference large: it is what the member types back in.
    r.styled(l.tr("Nomor referensi:"), Align::Center, false, 1);
    r.styled(reference.to_owned(), Align::Center, true, 2);
    let what = match kind {
        ChangeKind::Fktp => l.tr("Pindah FKTP"),
        ChangeKind::Kelas => l.tr("Pindah kelas"),
    };
    r.pair(l.tr("Perubahan"), what.to_owned());
    // Names, with the code small under them.
    for (label, name, code) in [
        (l.tr("Dari"), v.from_name.as_deref(), &v.from),
        (l.tr("Ke"), v.to_name.as_deref(), &v.to),
    ] {
        match name {
            Some(n) => {
                r.pair(label, n.to_owned());
                r.styled(code.clone(), Align::Right, false, 1);
            }
            None => {
                r.pair(label, code.clone());
            }
        }
    }
    if v.eligible {
        r.pair(
            l.tr("Berlaku mulai"),
            v.effective_date.format("%d-%m-%Y").to_string(),
        );
        if let Some(a) = v.new_family_monthly_amount {
            r.pair(l.tr("Iuran keluarga baru"), rupiah(a));
        }
        if !v.family.is_empty() {
            for m in &v.family {
                r.line(format!(
                    "  {} {}",
                    m.card_masked,
                    l.text(&m.relation.label())
                ));
            }
        }
        // The same words as the screen.
        r.line(l.tr("Permohonan Anda tercatat. Simpan nomor ini untuk mengecek hasilnya di anjungan mana pun (menu Cek Permohonan)."));
    } else {
        r.styled(l.tr("TIDAK MEMENUHI SYARAT"), Align::Center, true, 1);
        for message in &v.messages {
            r.line(format!("- {}", l.text(message)));
        }
    }
    r.qr(reference.to_owned());
    ctx.end(&mut r);
    r
}

/// A place to go: name, address, hours, phone, and a QR code that opens it in a map app.
/// Facilities and offices use the same layout.
pub fn place_slip(ctx: &SlipContext, place: &PlaceSlip<'_>) -> Receipt {
    let l = ctx.lang;
    let mut r = ctx.start("LOKASI", "LOCATION");
    r.styled(place.name.to_owned(), Align::Left, true, 1);
    r.line(place.kind.to_owned());
    r.separator();
    r.pair(l.tr("Alamat"), place.address.to_owned());
    r.pair(l.tr("Jam buka"), place.hours.to_owned());
    r.pair(l.tr("Telepon"), place.phone.to_owned());
    if let Some(km) = place.distance_km {
        r.pair(l.tr("Jarak dari sini"), format!("{km:.1} km"));
    }
    r.separator();
    r.line(l.tr("Pindai untuk membuka peta:"));
    r.qr(maps_link(place.lat, place.lon));
    ctx.end(&mut r);
    r
}

/// What a place slip shows.
#[derive(Debug, Clone)]
pub struct PlaceSlip<'a> {
    pub name: &'a str,
    /// The facility type or office level, in the slip's language.
    pub kind: &'a str,
    pub address: &'a str,
    pub hours: &'a str,
    pub phone: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub distance_km: Option<f64>,
}

/// The link a place's QR code holds, on paper and on screen: Google's cross-platform maps
/// URL, which Android and iOS hand to the installed maps app (a `geo:` URI opens nothing in
/// many phones' camera apps).
pub fn maps_link(lat: f64, lon: f64) -> String {
    format!("https://www.google.com/maps/search/?api=1&query={lat:.6},{lon:.6}")
}

/// A systemd-cryptenroll recovery key: eight groups of eight modhex characters.
pub fn is_recovery_key(key: &str) -> bool {
    let groups: Vec<&str> = key.split('-').collect();
    groups.len() == 8
        && groups
            .iter()
            .all(|g| g.len() == 8 && g.chars().all(|c| "cbdefghijklnrtuv".contains(c)))
}

/// The data partition's recovery key, printed once at the kiosk's first boot for the
/// technician (kiosk-image/README.md, "The encrypted data partition"). Both languages on
/// one slip: it is read by whoever recovers the kiosk, years later. Two groups a line, so
/// it fits 58 mm paper. The caller checked the key with [`is_recovery_key`].
pub fn recovery_key_slip(ctx: &SlipContext, key: &str) -> Receipt {
    let mut r = Receipt::new(ctx.width);
    r.styled("BPJS Kesehatan", Align::Center, true, 1);
    r.styled(ctx.kiosk_name.clone(), Align::Center, false, 1);
    r.separator();
    r.styled("KUNCI PEMULIHAN DISK", Align::Center, true, 1);
    r.styled("DISK RECOVERY KEY", Align::Center, false, 1);
    r.separator();
    let groups: Vec<&str> = key.split('-').collect();
    for pair in groups.chunks(2) {
        r.styled(pair.join("-"), Align::Center, true, 1);
    }
    r.separator();
    for text in [
        "Kunci ini membuka data kiosk bila TPM rusak atau papan induk diganti. \
         Simpan terkunci, terpisah dari kiosk. Dicetak sekali saja.",
        "This key opens the kiosk's data if its TPM fails or the mainboard is replaced. \
         Keep it locked away, apart from the kiosk. It is printed once only.",
    ] {
        for line in wrap(text, ctx.width.columns()) {
            r.line(line);
        }
    }
    r.separator();
    r.styled(
        ctx.printed_at.format("%d-%m-%Y %H:%M").to_string(),
        Align::Center,
        false,
        1,
    );
    r.feed(3);
    r
}

/// The technician's test page.
pub fn test_slip(ctx: &SlipContext) -> Receipt {
    let l = ctx.lang;
    let mut r = ctx.start("HALAMAN UJI PRINTER", "PRINTER TEST PAGE");
    r.line(format!(
        "{} {} {}",
        l.tr("Lebar"),
        ctx.width.columns(),
        l.tr("kolom")
    ));
    r.line("0123456789".repeat(ctx.width.columns() / 10 + 1));
    r.styled("Left", Align::Left, false, 1);
    r.styled("Center", Align::Center, false, 1);
    r.styled("Right", Align::Right, false, 1);
    r.styled("Bold", Align::Left, true, 1);
    r.styled("2x", Align::Left, false, 2);
    r.line("Rp150.000 – “kutip” ’apostrof’");
    r.qr("ANJUNGAN-TEST");
    ctx.end(&mut r);
    r
}
