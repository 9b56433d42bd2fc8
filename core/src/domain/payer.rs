//! Who pays a member's contributions, and what the member is told to do about paying.
//!
//! One true message per segment and status (docs/domain.md §3): a PBI member is told the
//! government pays and is never sent to a Virtual Account; a PPU member is told the employer
//! pays through the payroll; only PBPU and BP families pay themselves, through the family's
//! Virtual Account, and only they are shown an amount to pay. Every amount a message
//! mentions is in the message itself, so no text points to a figure that is not on screen.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::codes::{Segment, Status};
use super::dues::Dues;
use super::message::Bilingual;
use super::money::rupiah;

/// Who pays a segment's contributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Payer {
    /// PBI APBN: the central government's budget.
    CentralGovernment,
    /// PBI APBD / PBPU Pemda: the regional government's budget.
    RegionalGovernment,
    /// PPU: the employer, through the payroll (the state, for PPU PN).
    Employer,
    /// PBPU and BP: the family itself, through its Virtual Account.
    Member,
}

impl Segment {
    /// Who pays this segment's contributions.
    pub fn payer(&self) -> Payer {
        match self {
            Self::PbiApbn => Payer::CentralGovernment,
            Self::PbiApbd => Payer::RegionalGovernment,
            Self::PpuPn | Self::PpuBu => Payer::Employer,
            Self::Pbpu | Self::Bp => Payer::Member,
        }
    }
}

/// What the member is told about paying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayGuidance {
    pub payer: Payer,
    /// The family pays through its Virtual Account (PBPU, BP), so the VA is worth showing.
    pub uses_va: bool,
    /// An amount is due from the family now (arrears to reactivate, or this month).
    pub amount_due: Option<i64>,
    /// Who pays, as a heading: "Iuran dibayar Pemerintah Pusat".
    pub who_pays: Bilingual,
    /// What to do now, with every amount it refers to written out.
    pub what_to_do: Bilingual,
}

/// Month names, January first (also what speech reads a date with).
pub const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
pub const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "10 Desember 2026" / "10 December 2026": the day a month's contribution falls due.
fn due_date(month_of: NaiveDate) -> (String, String) {
    let m = month_of.month0() as usize;
    let y = month_of.year();
    (
        format!("10 {} {y}", MONTHS_ID[m]),
        format!("10 {} {y}", MONTHS_EN[m]),
    )
}

/// The month after `today`'s, for "the next contribution".
fn next_month(today: NaiveDate) -> NaiveDate {
    super::calendar::first_of_next_month(today)
}

/// What a member of `segment` with `status` and `dues` is told about paying on `today`.
pub fn pay_guidance(
    segment: Segment,
    status: Status,
    dues: &Dues,
    today: NaiveDate,
) -> PayGuidance {
    let payer = segment.payer();
    let (who_pays, what_to_do, amount_due) = match (payer, status) {
        (_, Status::Meninggal) => (
            who_pays(payer),
            Bilingual::tr(
                "Tidak ada iuran yang perlu dibayar untuk peserta ini. Untuk melaporkan perubahan anggota keluarga, ambil antrean layanan D.",
            ),
            None,
        ),
        (Payer::CentralGovernment | Payer::RegionalGovernment, Status::NonAktif) => (
            who_pays(payer),
            Bilingual::tr(
                "Bantuan iuran (PBI) Anda tidak aktif. Hubungi Dinas Sosial setempat untuk pengaktifan kembali, atau ambil antrean loket C untuk beralih menjadi peserta mandiri.",
            ),
            None,
        ),
        (Payer::CentralGovernment | Payer::RegionalGovernment, _) => (
            who_pays(payer),
            Bilingual::tr(
                "Anda tidak perlu membayar iuran, dan tidak ada Virtual Account yang perlu dibayar.",
            ),
            None,
        ),
        (Payer::Employer, Status::NonAktif) => (
            who_pays(payer),
            Bilingual::tr(
                "Iuran dari pemberi kerja tidak lagi diterima. Tanyakan ke bagian SDM pemberi kerja Anda, atau ambil antrean loket C untuk beralih menjadi peserta mandiri.",
            ),
            None,
        ),
        (Payer::Employer, _) => (
            who_pays(payer),
            Bilingual::tr(
                "Iuran dipotong dari gaji dan disetorkan oleh pemberi kerja setiap bulan. Anda tidak membayar lewat Virtual Account. Pertanyaan tentang potongan gaji: bagian SDM pemberi kerja.",
            ),
            None,
        ),
        (Payer::Member, Status::NonAktif) => (
            who_pays(payer),
            Bilingual::tr(
                "Kepesertaan Anda tidak aktif, jadi belum ada iuran yang dapat dibayar. Ambil antrean loket C dengan membawa KK dan KTP.",
            ),
            None,
        ),
        (Payer::Member, Status::TidakAktifMenunggak) => {
            let amount = rupiah(dues.reactivation_amount);
            (
                who_pays(payer),
                Bilingual {
                    id: format!(
                        "Bayar {amount} (tunggakan dan iuran bulan ini) melalui Virtual Account keluarga agar kepesertaan aktif kembali."
                    ),
                    en: format!(
                        "Pay {amount} (the arrears and this month) to your family's Virtual Account to reactivate your membership."
                    ),
                },
                Some(dues.reactivation_amount),
            )
        }
        (Payer::Member, Status::Aktif) if dues.current_month_amount > 0 => {
            let amount = rupiah(dues.current_month_amount);
            let (id, en) = due_date(today);
            (
                who_pays(payer),
                Bilingual {
                    id: format!(
                        "Iuran bulan ini {amount} jatuh tempo {id}. Bayar melalui Virtual Account keluarga agar tetap aktif."
                    ),
                    en: format!(
                        "This month's contribution of {amount} is due on {en}. Pay it to your family's Virtual Account to stay active."
                    ),
                },
                Some(dues.current_month_amount),
            )
        }
        (Payer::Member, Status::Aktif) => {
            let amount = rupiah(dues.monthly_amount);
            let (id, en) = due_date(next_month(today));
            (
                who_pays(payer),
                Bilingual {
                    id: format!(
                        "Iuran sudah lunas. Iuran berikutnya {amount}, bayar paling lambat {id} melalui Virtual Account keluarga."
                    ),
                    en: format!(
                        "Your contributions are paid up. The next one is {amount}, due by {en}, to your family's Virtual Account."
                    ),
                },
                None,
            )
        }
    };
    PayGuidance {
        payer,
        uses_va: payer == Payer::Member && status != Status::Meninggal,
        amount_due,
        who_pays,
        what_to_do,
    }
}

fn who_pays(payer: Payer) -> Bilingual {
    match payer {
        Payer::CentralGovernment => Bilingual::tr("Iuran dibayar Pemerintah Pusat"),
        Payer::RegionalGovernment => Bilingual::tr("Iuran dibayar Pemerintah Daerah"),
        Payer::Employer => Bilingual::tr("Iuran dibayar melalui pemberi kerja"),
        Payer::Member => Bilingual::tr("Iuran dibayar sendiri melalui Virtual Account"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dues(reactivation: i64, current: i64, monthly: i64) -> Dues {
        Dues {
            unpaid_months: 0,
            billed_arrears_months: 0,
            arrears_amount: reactivation - current.min(reactivation),
            current_month_amount: current,
            reactivation_amount: reactivation,
            monthly_amount: monthly,
            oldest_unpaid: None,
            unpaid_periods: Vec::new(),
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    const ALL: [Segment; 6] = [
        Segment::PbiApbn,
        Segment::PbiApbd,
        Segment::PpuPn,
        Segment::PpuBu,
        Segment::Pbpu,
        Segment::Bp,
    ];
    const STATUSES: [Status; 4] = [
        Status::Aktif,
        Status::TidakAktifMenunggak,
        Status::NonAktif,
        Status::Meninggal,
    ];

    #[test]
    fn only_families_that_pay_themselves_are_told_to_pay_or_sent_to_a_va() {
        for segment in ALL {
            for status in STATUSES {
                // Even with a bill on record, PBI and PPU are never asked to pay.
                let g = pay_guidance(segment, status, &dues(84_000, 42_000, 42_000), day());
                let pays = segment.member_pays()
                    && matches!(status, Status::Aktif | Status::TidakAktifMenunggak);
                assert_eq!(
                    g.amount_due.is_some(),
                    pays,
                    "{segment:?} {status:?}: {g:?}"
                );
                assert_eq!(
                    g.uses_va,
                    segment.member_pays() && status != Status::Meninggal,
                    "{segment:?} {status:?}"
                );
                if !segment.member_pays() {
                    for text in [&g.what_to_do.id, &g.what_to_do.en] {
                        let lower = text.to_lowercase();
                        assert!(
                            !lower.contains("bayar melalui") && !lower.contains("pay it to"),
                            "{segment:?} {status:?} is told to pay: {text}"
                        );
                        assert!(!text.contains("Rp"), "{segment:?} {status:?}: {text}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_amount_a_message_points_to_is_in_the_message() {
        let g = pay_guidance(
            Segment::Pbpu,
            Status::TidakAktifMenunggak,
            &dues(2_565_000, 105_000, 105_000),
            day(),
        );
        assert!(g.what_to_do.id.contains("Rp2.565.000"), "{g:?}");
        assert!(g.what_to_do.en.contains("Rp2.565.000"), "{g:?}");
        assert_eq!(g.amount_due, Some(2_565_000));
        let g = pay_guidance(Segment::Bp, Status::Aktif, &dues(0, 42_000, 42_000), day());
        assert!(
            g.what_to_do.id.contains("Rp42.000") && g.what_to_do.id.contains("10 November 2026")
        );
        let paid = pay_guidance(Segment::Pbpu, Status::Aktif, &dues(0, 0, 150_000), day());
        assert_eq!(paid.amount_due, None);
        assert!(
            paid.what_to_do.en.contains("paid up")
                && paid.what_to_do.en.contains("10 December 2026")
        );
        let pbi = pay_guidance(Segment::PbiApbn, Status::Aktif, &dues(0, 0, 42_000), day());
        assert!(pbi.who_pays.id.contains("Pemerintah Pusat"));
        let ppu = pay_guidance(Segment::PpuBu, Status::Aktif, &dues(0, 0, 0), day());
        assert!(ppu.who_pays.en.contains("employer"));
        assert!(
            ppu.what_to_do
                .id
                .contains("tidak membayar lewat Virtual Account")
        );
    }
}
