//! Whether a member may change FKTP or kelas at the kiosk, and the amounts shown
//! before confirming (the family's new monthly total, PPU dues for information).
//!
//! Owns the rules of domain.md §5. It decides only; creating, storing and sending the
//! change request belongs to the services and store modules.

use chrono::NaiveDate;
use serde::Serialize;

use super::calendar::{add_months, first_of_next_month};
use super::codes::{Employer, FacilityType, Kelas, Segment, Status, code_enum};
use super::message::{Bilingual, Explain};
use super::rules::Rules;
use super::tariff::TariffTable;

code_enum! {
    /// Why a change is refused. A refusal lists every reason that applies, so the
    /// member can fix them all at once.
    pub enum Reason("reason") {
        /// Status is not AKTIF.
        NotActive => "NOT_ACTIVE",
        /// The segment (or TNI/Polri employer) must use a counter.
        SegmentNotAllowed => "SEGMENT_NOT_ALLOWED",
        /// Not yet long enough at the current FKTP.
        FktpMin3Months => "FKTP_MIN_3_MONTHS",
        /// The target FKTP has no capacity left.
        FktpFull => "FKTP_FULL",
        /// The target FKTP does not accept members now.
        FktpInactive => "FKTP_INACTIVE",
        /// The target facility is not first-level.
        NotFktp => "NOT_FKTP",
        /// No facility has the target code.
        UnknownFacility => "UNKNOWN_FACILITY",
        /// The target is what the member already has.
        SameAsCurrent => "SAME_AS_CURRENT",
        /// Not yet long enough since the last class change.
        KelasMin12Months => "KELAS_MIN_12_MONTHS",
        /// Unpaid contributions.
        HasArrears => "HAS_ARREARS",
    }
}

impl Reason {
    /// Like [`Explain::explain`], with the waiting periods taken from `rules` rather
    /// than the defaults the codes are named after.
    pub fn explain_with(&self, rules: &Rules) -> Bilingual {
        self.explain_at(rules, None)
    }

    /// Like [`Reason::explain_with`], with the earliest date written into the waiting
    /// periods' message when it is known.
    pub fn explain_at(&self, rules: &Rules, earliest: Option<NaiveDate>) -> Bilingual {
        match self {
            Self::FktpMin3Months => fktp_wait(rules.fktp_min_months, earliest),
            Self::KelasMin12Months => kelas_wait(rules.kelas_min_months, earliest),
            other => other.explain(),
        }
    }
}

/// " Anda dapat <verb> mulai DD-MM-YYYY." in both languages, or nothing without a date.
fn from_date(earliest: Option<NaiveDate>, id_verb: &str, en_verb: &str) -> (String, String) {
    match earliest {
        Some(d) => {
            let d = d.format("%d-%m-%Y");
            (
                format!(" Anda dapat {id_verb} mulai {d}."),
                format!(" You can {en_verb} from {d}."),
            )
        }
        None => (String::new(), String::new()),
    }
}

fn fktp_wait(months: u32, earliest: Option<NaiveDate>) -> Bilingual {
    let (id, en) = from_date(earliest, "pindah", "change");
    Bilingual::new(
        format!(
            "Anda belum {months} bulan terdaftar di FKTP saat ini.{id} Jika Anda pindah domisili \
             atau tugas, ambil antrean loket F dengan membawa dokumen pendukung."
        ),
        format!(
            "You have not been registered at your current FKTP for {months} months yet.{en} If you \
             moved house or were reassigned, take a ticket for counter F and bring supporting \
             documents."
        ),
    )
}

fn kelas_wait(months: u32, earliest: Option<NaiveDate>) -> Bilingual {
    let (id, en) = from_date(earliest, "mengajukan", "request it");
    Bilingual::new(
        format!(
            "Kelas dapat diubah paling cepat {months} bulan setelah perubahan kelas terakhir atau \
             setelah pendaftaran.{id}"
        ),
        format!(
            "The class can be changed {months} months after the last class change or after \
             registration at the earliest.{en}"
        ),
    )
}

/// Why a member's segment may not make this change at a kiosk, and where to go instead:
/// one message for the member's own case, not a list of every segment's.
pub fn segment_refusal(segment: Segment, employer: Option<Employer>, kelas: bool) -> Bilingual {
    match (kelas, segment.is_pbi(), segment.is_ppu()) {
        (false, true, _) => Bilingual::tr(
            "Peserta PBI tidak dapat mengubah FKTP di anjungan. Ambil antrean loket F, atau \
             hubungi Pandawa (WhatsApp 08118165165).",
        ),
        (false, _, _) if employer.is_some() => Bilingual::tr(
            "Peserta TNI dan Polri mengubah FKTP melalui satuan kerja masing-masing, tidak di \
             anjungan. Ambil antrean loket F bila perlu bantuan.",
        ),
        (true, true, _) => Bilingual::tr(
            "Peserta PBI dirawat di kelas 3 yang iurannya dibayar pemerintah, jadi kelasnya tidak \
             dapat diubah di anjungan. Untuk memilih kelas lain, Anda perlu beralih menjadi \
             peserta mandiri: ambil antrean loket C.",
        ),
        (true, _, true) => Bilingual::tr(
            "Kelas pekerja penerima upah mengikuti gaji dan diatur pemberi kerja. Tanyakan ke \
             bagian SDM pemberi kerja Anda, atau ambil antrean loket H.",
        ),
        _ => Reason::SegmentNotAllowed.explain(),
    }
}

impl Explain for Reason {
    fn explain(&self) -> Bilingual {
        match self {
            Self::NotActive => Bilingual::tr(
                "Perubahan hanya dapat dilakukan saat status kepesertaan AKTIF. Lihat status Anda \
                 untuk langkah mengaktifkannya kembali.",
            ),
            Self::SegmentNotAllowed => Bilingual::tr(
                "Perubahan ini tidak dapat dilakukan di anjungan untuk jenis kepesertaan Anda. \
                 Ambil antrean loket, atau hubungi Pandawa (WhatsApp 08118165165).",
            ),
            Self::FktpMin3Months => fktp_wait(3, None),
            Self::FktpFull => {
                Bilingual::tr("FKTP tujuan sudah penuh. Pilih FKTP lain di sekitar Anda.")
            }
            Self::FktpInactive => {
                Bilingual::tr("FKTP tujuan sedang tidak menerima peserta JKN. Pilih FKTP lain.")
            }
            Self::NotFktp => Bilingual::tr(
                "Faskes tujuan bukan FKTP (misalnya rumah sakit, apotek, atau optik). Pilih \
                 puskesmas, klinik pratama, dokter praktik, dokter gigi, atau RS kelas D pratama.",
            ),
            Self::UnknownFacility => Bilingual::tr(
                "Kode faskes tidak ditemukan. Periksa kodenya (8 karakter, misalnya 0301R001) atau \
                 cari faskes melalui menu Pencarian Lokasi.",
            ),
            Self::SameAsCurrent => Bilingual::tr(
                "Pilihan baru sama dengan yang sekarang, jadi tidak ada yang perlu diubah.",
            ),
            Self::KelasMin12Months => kelas_wait(12, None),
            Self::HasArrears => Bilingual::tr(
                "Masih ada tunggakan iuran. Lunasi melalui Virtual Account keluarga Anda, lalu \
                 ajukan perubahan kelas kembali.",
            ),
        }
    }
}

/// What the eligibility rules need to know about the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    /// Segment.
    pub segment: Segment,
    /// TNI or Polri, for PPU_PN members.
    pub employer: Option<Employer>,
    /// Current status (after `dues::derive_status`).
    pub status: Status,
    /// Current FKTP code.
    pub fktp_code: String,
    /// Registered at the current FKTP since.
    pub fktp_since: NaiveDate,
    /// Current class.
    pub kelas: Kelas,
    /// Date of the last class change, or of registration.
    pub kelas_since: NaiveDate,
}

/// What the rules need to know about the target facility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilityFacts {
    /// Facility code.
    pub code: String,
    /// Type.
    pub facility_type: FacilityType,
    /// Accepting members.
    pub active: bool,
    /// Members it may hold.
    pub capacity: i64,
    /// Members it holds.
    pub members: i64,
}

/// The answer to "may I make this change today?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    /// No reason applies.
    pub eligible: bool,
    /// Every reason that applies, in a stable order.
    pub reasons: Vec<Reason>,
    /// When the change would take effect if accepted today: the 1st of next month.
    pub effective_date: NaiveDate,
    /// When the waiting period is over, if it is among the reasons.
    pub earliest_date: Option<NaiveDate>,
}

impl Eligibility {
    fn new(reasons: Vec<Reason>, today: NaiveDate, earliest_date: Option<NaiveDate>) -> Self {
        Eligibility {
            eligible: reasons.is_empty(),
            reasons,
            effective_date: first_of_next_month(today),
            earliest_date,
        }
    }
}

fn same_code(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether the member may move to FKTP `target_code` (`target` is its record, if found).
///
/// Reasons, in this order: NOT_ACTIVE; SEGMENT_NOT_ALLOWED (PBI, or PPU_PN with a
/// TNI/Polri employer); FKTP_MIN_3_MONTHS (the waiting period, in calendar months with
/// month-end clamping, ends after today; ending today is fine); SAME_AS_CURRENT
/// (codes compared trimmed, case-insensitively); UNKNOWN_FACILITY; NOT_FKTP;
/// FKTP_INACTIVE; FKTP_FULL (members ≥ capacity). A target that is not an FKTP gets
/// NOT_FKTP only: its activity and capacity do not matter.
pub fn fktp_change(
    m: &MemberFacts,
    target_code: &str,
    target: Option<&FacilityFacts>,
    today: NaiveDate,
    rules: &Rules,
) -> Eligibility {
    let mut reasons = Vec::new();
    if m.status != Status::Aktif {
        reasons.push(Reason::NotActive);
    }
    let tni_polri = m.segment == Segment::PpuPn && m.employer.is_some();
    if m.segment.is_pbi() || tni_polri {
        reasons.push(Reason::SegmentNotAllowed);
    }
    let earliest = add_months(m.fktp_since, rules.fktp_min_months);
    let waiting = earliest > today;
    if waiting {
        reasons.push(Reason::FktpMin3Months);
    }
    if same_code(target_code, &m.fktp_code) {
        reasons.push(Reason::SameAsCurrent);
    }
    match target {
        None => reasons.push(Reason::UnknownFacility),
        // Capacity is kept only for FKTPs; a hospital's 0/0 would read as "full".
        Some(f) if !f.facility_type.is_fktp() => reasons.push(Reason::NotFktp),
        Some(f) => {
            if !f.active {
                reasons.push(Reason::FktpInactive);
            }
            if f.members >= f.capacity {
                reasons.push(Reason::FktpFull);
            }
        }
    }
    Eligibility::new(reasons, today, waiting.then_some(earliest))
}

/// Whether the member's family may move to `new_kelas`.
///
/// Reasons, in this order: NOT_ACTIVE; SEGMENT_NOT_ALLOWED (anything but PBPU and BP);
/// KELAS_MIN_12_MONTHS (waiting period ends after today); HAS_ARREARS; SAME_AS_CURRENT.
pub fn kelas_change(
    m: &MemberFacts,
    new_kelas: Kelas,
    has_arrears: bool,
    today: NaiveDate,
    rules: &Rules,
) -> Eligibility {
    let mut reasons = Vec::new();
    if m.status != Status::Aktif {
        reasons.push(Reason::NotActive);
    }
    if !m.segment.member_pays() {
        reasons.push(Reason::SegmentNotAllowed);
    }
    let earliest = add_months(m.kelas_since, rules.kelas_min_months);
    let waiting = earliest > today;
    if waiting {
        reasons.push(Reason::KelasMin12Months);
    }
    if has_arrears {
        reasons.push(Reason::HasArrears);
    }
    if new_kelas == m.kelas {
        reasons.push(Reason::SameAsCurrent);
    }
    Eligibility::new(reasons, today, waiting.then_some(earliest))
}

/// The family's monthly total in `new_kelas` on `date`: the PBPU/BP tariff × family
/// size, since a class change applies to everyone on the KK. `None` for other
/// segments, a missing tariff, an empty family or overflow.
pub fn new_family_monthly_amount(
    tariffs: &TariffTable,
    segment: Segment,
    new_kelas: Kelas,
    family_size: u32,
    date: NaiveDate,
) -> Option<i64> {
    if !segment.member_pays() || family_size == 0 {
        return None;
    }
    tariffs
        .amount(segment, new_kelas, date)?
        .checked_mul(i64::from(family_size))
}

/// Highest wage PPU dues are computed on (Perpres 64/2020).
pub const PPU_WAGE_CAP: i64 = 12_000_000;
/// Wages above this give kelas I; up to it, kelas II.
pub const PPU_KELAS_I_ABOVE: i64 = 4_000_000;
/// People covered by the basic PPU contribution: member, spouse and 3 children.
pub const PPU_COVERED_PEOPLE: u32 = 5;

/// PPU monthly dues, for information only: employers pay them and the kiosk never
/// bills them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PpuDues {
    /// The wage the dues are computed on: the wage raised to the UMK and cut at
    /// [`PPU_WAGE_CAP`].
    pub base_wage: i64,
    /// 4% of the base wage, paid by the employer.
    pub employer: i64,
    /// 1% of the base wage, paid by the worker.
    pub worker: i64,
    /// Family members beyond the 5 covered.
    pub extra_members: u32,
    /// 1% of the base wage for each extra member, paid by the worker.
    pub extra_amount: i64,
    /// Everything: employer + worker + extra.
    pub total: i64,
    /// Class the wage gives: I above Rp4.000.000 of base wage, else II.
    pub kelas: Kelas,
}

/// `percent`% of `amount`, rounded half up to the rupiah.
fn percent(amount: i64, percent: i64) -> i64 {
    let v = (i128::from(amount) * i128::from(percent) + 50) / 100;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// PPU dues for a wage in a regency with minimum wage `umk` and a family of
/// `family_size` people (domain.md §4). The class follows the base wage, which is
/// what the employer reports. Amounts round half up to the rupiah; the payroll is
/// authoritative.
pub fn ppu_dues(wage: i64, umk: i64, family_size: u32) -> PpuDues {
    // The floor is bounded by the cap first, so clamp cannot panic on a UMK above it.
    let floor = umk.clamp(0, PPU_WAGE_CAP);
    let base_wage = wage.clamp(floor, PPU_WAGE_CAP);
    let employer = percent(base_wage, 4);
    let worker = percent(base_wage, 1);
    let extra_members = family_size.saturating_sub(PPU_COVERED_PEOPLE);
    let extra_amount = percent(base_wage, 1).saturating_mul(i64::from(extra_members));
    PpuDues {
        base_wage,
        employer,
        worker,
        extra_members,
        extra_amount,
        total: employer.saturating_add(worker).saturating_add(extra_amount),
        kelas: if base_wage > PPU_KELAS_I_ABOVE {
            Kelas::I
        } else {
            Kelas::II
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn member() -> MemberFacts {
        MemberFacts {
            segment: Segment::Pbpu,
            employer: None,
            status: Status::Aktif,
            fktp_code: "0301R001".into(),
            fktp_since: d(2025, 1, 15),
            kelas: Kelas::III,
            kelas_since: d(2024, 6, 1),
        }
    }

    fn puskesmas() -> FacilityFacts {
        FacilityFacts {
            code: "0138U020".into(),
            facility_type: FacilityType::Puskesmas,
            active: true,
            capacity: 10_000,
            members: 9_999,
        }
    }

    const TODAY: fn() -> NaiveDate = || d(2026, 3, 15);

    #[test]
    fn reason_codes() {
        let codes: Vec<_> = Reason::ALL.iter().map(Reason::code).collect();
        assert_eq!(
            codes,
            [
                "NOT_ACTIVE",
                "SEGMENT_NOT_ALLOWED",
                "FKTP_MIN_3_MONTHS",
                "FKTP_FULL",
                "FKTP_INACTIVE",
                "NOT_FKTP",
                "UNKNOWN_FACILITY",
                "SAME_AS_CURRENT",
                "KELAS_MIN_12_MONTHS",
                "HAS_ARREARS"
            ]
        );
        assert_eq!(
            serde_json::to_string(&Reason::FktpFull).unwrap(),
            "\"FKTP_FULL\""
        );
        for r in Reason::ALL {
            let m = r.explain();
            assert!(!m.id.is_empty() && !m.en.is_empty() && m.id != m.en, "{r}");
        }
        assert!(
            Reason::SegmentNotAllowed
                .explain()
                .id
                .contains("08118165165")
        );
        let day = NaiveDate::from_ymd_opt(2026, 12, 22);
        assert!(
            Reason::FktpMin3Months
                .explain_at(&Rules::default(), day)
                .en
                .contains("22-12-2026")
        );
        assert!(!Reason::FktpMin3Months.explain().en.contains("on screen"));
        let custom = Rules {
            fktp_min_months: 6,
            ..Rules::default()
        };
        assert!(
            Reason::FktpMin3Months
                .explain_with(&custom)
                .id
                .contains("6 bulan")
        );
        assert!(
            Reason::KelasMin12Months
                .explain_with(&Rules::default())
                .en
                .contains("12 months")
        );
        assert_eq!(
            Reason::HasArrears.explain_with(&custom),
            Reason::HasArrears.explain()
        );
    }

    #[test]
    fn eligible_fktp_change_takes_effect_next_month() {
        let e = fktp_change(
            &member(),
            "0138U020",
            Some(&puskesmas()),
            TODAY(),
            &Rules::default(),
        );
        assert_eq!(
            e,
            Eligibility {
                eligible: true,
                reasons: vec![],
                effective_date: d(2026, 4, 1),
                earliest_date: None,
            }
        );
        let dec = fktp_change(
            &member(),
            "0138U020",
            Some(&puskesmas()),
            d(2026, 12, 31),
            &Rules::default(),
        );
        assert_eq!(dec.effective_date, d(2027, 1, 1));
    }

    #[test]
    fn fktp_three_month_boundary() {
        let r = Rules::default();
        let table = [
            // (registered since, today, blocked, earliest)
            (d(2025, 12, 15), d(2026, 3, 15), false, d(2026, 3, 15)),
            (d(2025, 12, 15), d(2026, 3, 14), true, d(2026, 3, 15)),
            // Month-end clamping: 30 Nov + 3 months = 28 Feb.
            (d(2024, 11, 30), d(2025, 2, 28), false, d(2025, 2, 28)),
            (d(2024, 11, 30), d(2025, 2, 27), true, d(2025, 2, 28)),
            (d(2023, 11, 30), d(2024, 2, 28), true, d(2024, 2, 29)),
            (d(2023, 11, 30), d(2024, 2, 29), false, d(2024, 2, 29)),
            (d(2025, 10, 31), d(2026, 1, 31), false, d(2026, 1, 31)),
            (d(2025, 10, 31), d(2026, 1, 30), true, d(2026, 1, 31)),
            // Registered in the future (bad data) is still waiting.
            (d(2026, 6, 1), d(2026, 3, 15), true, d(2026, 9, 1)),
        ];
        for (since, today, blocked, earliest) in table {
            let m = MemberFacts {
                fktp_since: since,
                ..member()
            };
            let e = fktp_change(&m, "0138U020", Some(&puskesmas()), today, &r);
            assert_eq!(
                e.reasons.contains(&Reason::FktpMin3Months),
                blocked,
                "{since} {today}"
            );
            assert_eq!(e.eligible, !blocked, "{since} {today}");
            assert_eq!(
                e.earliest_date,
                blocked.then_some(earliest),
                "{since} {today}"
            );
        }
    }

    #[test]
    fn fktp_each_reason_alone() {
        let r = Rules::default();
        let ok = puskesmas();
        let cases: Vec<(MemberFacts, &str, Option<FacilityFacts>, Reason)> = vec![
            (
                MemberFacts {
                    status: Status::TidakAktifMenunggak,
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::NotActive,
            ),
            (
                MemberFacts {
                    status: Status::NonAktif,
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::NotActive,
            ),
            (
                MemberFacts {
                    status: Status::Meninggal,
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::NotActive,
            ),
            (
                MemberFacts {
                    segment: Segment::PbiApbn,
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::SegmentNotAllowed,
            ),
            (
                MemberFacts {
                    segment: Segment::PbiApbd,
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::SegmentNotAllowed,
            ),
            (
                MemberFacts {
                    segment: Segment::PpuPn,
                    employer: Some(Employer::Tni),
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::SegmentNotAllowed,
            ),
            (
                MemberFacts {
                    segment: Segment::PpuPn,
                    employer: Some(Employer::Polri),
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::SegmentNotAllowed,
            ),
            (
                MemberFacts {
                    fktp_since: d(2026, 1, 1),
                    ..member()
                },
                "0138U020",
                Some(ok.clone()),
                Reason::FktpMin3Months,
            ),
            (
                member(),
                " 0301r001 ",
                Some(FacilityFacts {
                    code: "0301R001".into(),
                    ..ok.clone()
                }),
                Reason::SameAsCurrent,
            ),
            (member(), "XXXXXXXX", None, Reason::UnknownFacility),
            (
                member(),
                "0138U020",
                Some(FacilityFacts {
                    facility_type: FacilityType::RsKelasB,
                    ..ok.clone()
                }),
                Reason::NotFktp,
            ),
            (
                member(),
                "0138U020",
                Some(FacilityFacts {
                    facility_type: FacilityType::Apotek,
                    ..ok.clone()
                }),
                Reason::NotFktp,
            ),
            (
                member(),
                "0138U020",
                Some(FacilityFacts {
                    active: false,
                    ..ok.clone()
                }),
                Reason::FktpInactive,
            ),
            (
                member(),
                "0138U020",
                Some(FacilityFacts {
                    members: 10_000,
                    ..ok.clone()
                }),
                Reason::FktpFull,
            ),
            (
                member(),
                "0138U020",
                Some(FacilityFacts {
                    members: 12_000,
                    ..ok.clone()
                }),
                Reason::FktpFull,
            ),
            (
                member(),
                "0138U020",
                Some(FacilityFacts {
                    capacity: 0,
                    members: 0,
                    ..ok.clone()
                }),
                Reason::FktpFull,
            ),
        ];
        for (m, code, target, want) in cases {
            let e = fktp_change(&m, code, target.as_ref(), TODAY(), &r);
            assert_eq!(e.reasons, vec![want], "{m:?} {code} {target:?}");
            assert!(!e.eligible);
        }
    }

    #[test]
    fn fktp_allowed_segments() {
        for seg in [Segment::Pbpu, Segment::Bp, Segment::PpuBu, Segment::PpuPn] {
            let m = MemberFacts {
                segment: seg,
                ..member()
            };
            let e = fktp_change(
                &m,
                "0138U020",
                Some(&puskesmas()),
                TODAY(),
                &Rules::default(),
            );
            assert!(e.eligible, "{seg}");
        }
        for t in FacilityType::ALL.iter().filter(|t| t.is_fktp()) {
            let f = FacilityFacts {
                facility_type: *t,
                ..puskesmas()
            };
            let e = fktp_change(&member(), "0138U020", Some(&f), TODAY(), &Rules::default());
            assert!(e.eligible, "{t}");
        }
    }

    #[test]
    fn fktp_lists_every_reason_in_order() {
        let m = MemberFacts {
            segment: Segment::PbiApbn,
            status: Status::NonAktif,
            fktp_since: d(2026, 2, 1),
            ..member()
        };
        let target = FacilityFacts {
            facility_type: FacilityType::RsKelasA,
            active: false,
            members: 5,
            capacity: 5,
            ..puskesmas()
        };
        let e = fktp_change(&m, "0301R001", Some(&target), TODAY(), &Rules::default());
        assert_eq!(
            e.reasons,
            vec![
                Reason::NotActive,
                Reason::SegmentNotAllowed,
                Reason::FktpMin3Months,
                Reason::SameAsCurrent,
                Reason::NotFktp,
            ]
        );
        let fktp = FacilityFacts {
            facility_type: FacilityType::Puskesmas,
            ..target
        };
        let e = fktp_change(&m, "0301R001", Some(&fktp), TODAY(), &Rules::default());
        assert_eq!(
            e.reasons,
            vec![
                Reason::NotActive,
                Reason::SegmentNotAllowed,
                Reason::FktpMin3Months,
                Reason::SameAsCurrent,
                Reason::FktpInactive,
                Reason::FktpFull,
            ]
        );
        assert_eq!(e.earliest_date, Some(d(2026, 5, 1)));
        let unknown = fktp_change(&m, "0301R001", None, TODAY(), &Rules::default());
        assert_eq!(
            unknown.reasons,
            vec![
                Reason::NotActive,
                Reason::SegmentNotAllowed,
                Reason::FktpMin3Months,
                Reason::SameAsCurrent,
                Reason::UnknownFacility,
            ]
        );
        let json = serde_json::to_value(&unknown).unwrap();
        assert_eq!(json["reasons"][4], "UNKNOWN_FACILITY");
        assert_eq!(json["effective_date"], "2026-04-01");
    }

    #[test]
    fn kelas_twelve_month_boundary() {
        let r = Rules::default();
        let table = [
            (d(2025, 3, 15), d(2026, 3, 15), false, d(2026, 3, 15)),
            (d(2025, 3, 15), d(2026, 3, 14), true, d(2026, 3, 15)),
            (d(2024, 2, 29), d(2025, 2, 28), false, d(2025, 2, 28)),
            (d(2024, 2, 29), d(2025, 2, 27), true, d(2025, 2, 28)),
            (d(2024, 11, 30), d(2025, 11, 30), false, d(2025, 11, 30)),
            (d(2024, 11, 30), d(2025, 11, 29), true, d(2025, 11, 30)),
        ];
        for (since, today, blocked, earliest) in table {
            let m = MemberFacts {
                kelas_since: since,
                ..member()
            };
            let e = kelas_change(&m, Kelas::II, false, today, &r);
            assert_eq!(
                e.reasons.contains(&Reason::KelasMin12Months),
                blocked,
                "{since} {today}"
            );
            assert_eq!(e.eligible, !blocked);
            assert_eq!(e.earliest_date, blocked.then_some(earliest));
        }
    }

    #[test]
    fn kelas_reasons() {
        let r = Rules::default();
        let ok = kelas_change(&member(), Kelas::I, false, TODAY(), &r);
        assert!(ok.eligible);
        assert_eq!(ok.effective_date, d(2026, 4, 1));
        let table = [
            (
                MemberFacts {
                    status: Status::TidakAktifMenunggak,
                    ..member()
                },
                Kelas::I,
                false,
                vec![Reason::NotActive],
            ),
            (
                MemberFacts {
                    segment: Segment::PpuBu,
                    ..member()
                },
                Kelas::I,
                false,
                vec![Reason::SegmentNotAllowed],
            ),
            (
                MemberFacts {
                    segment: Segment::PpuPn,
                    ..member()
                },
                Kelas::I,
                false,
                vec![Reason::SegmentNotAllowed],
            ),
            (
                MemberFacts {
                    segment: Segment::PbiApbn,
                    ..member()
                },
                Kelas::I,
                false,
                vec![Reason::SegmentNotAllowed],
            ),
            (
                MemberFacts {
                    segment: Segment::Bp,
                    ..member()
                },
                Kelas::I,
                false,
                vec![],
            ),
            (
                MemberFacts {
                    kelas_since: d(2025, 6, 1),
                    ..member()
                },
                Kelas::I,
                false,
                vec![Reason::KelasMin12Months],
            ),
            (member(), Kelas::I, true, vec![Reason::HasArrears]),
            (member(), Kelas::III, false, vec![Reason::SameAsCurrent]),
            (
                MemberFacts {
                    status: Status::TidakAktifMenunggak,
                    segment: Segment::PbiApbd,
                    kelas_since: d(2026, 1, 1),
                    ..member()
                },
                Kelas::III,
                true,
                vec![
                    Reason::NotActive,
                    Reason::SegmentNotAllowed,
                    Reason::KelasMin12Months,
                    Reason::HasArrears,
                    Reason::SameAsCurrent,
                ],
            ),
        ];
        for (m, k, arrears, want) in table {
            let e = kelas_change(&m, k, arrears, TODAY(), &r);
            assert_eq!(e.reasons, want, "{m:?} {k} {arrears}");
            assert_eq!(e.eligible, want.is_empty());
        }
    }

    #[test]
    fn family_monthly_amount() {
        let t = TariffTable::defaults();
        let on = TODAY();
        assert_eq!(
            new_family_monthly_amount(&t, Segment::Pbpu, Kelas::I, 4, on),
            Some(600_000)
        );
        assert_eq!(
            new_family_monthly_amount(&t, Segment::Bp, Kelas::II, 1, on),
            Some(100_000)
        );
        assert_eq!(
            new_family_monthly_amount(&t, Segment::Pbpu, Kelas::III, 5, on),
            Some(175_000)
        );
        assert_eq!(
            new_family_monthly_amount(&t, Segment::PpuBu, Kelas::I, 4, on),
            None
        );
        assert_eq!(
            new_family_monthly_amount(&t, Segment::PbiApbn, Kelas::III, 4, on),
            None
        );
        assert_eq!(
            new_family_monthly_amount(&t, Segment::Pbpu, Kelas::I, 0, on),
            None
        );
        assert_eq!(
            new_family_monthly_amount(&t, Segment::Pbpu, Kelas::I, 4, d(2019, 1, 1)),
            None
        );
        let huge = TariffTable::defaults()
            .with_rows([(d(2020, 1, 1), Segment::Pbpu, Kelas::I, i64::MAX)])
            .unwrap();
        assert_eq!(
            new_family_monthly_amount(&huge, Segment::Pbpu, Kelas::I, 2, on),
            None
        );
    }

    #[test]
    fn ppu() {
        let table = [
            // (wage, umk, family, base, employer, worker, extra members, extra, total, kelas)
            (
                5_000_000,
                3_000_000,
                4,
                5_000_000,
                200_000,
                50_000,
                0,
                0,
                250_000,
                Kelas::I,
            ),
            (
                2_000_000,
                3_000_000,
                5,
                3_000_000,
                120_000,
                30_000,
                0,
                0,
                150_000,
                Kelas::II,
            ),
            (
                20_000_000,
                3_000_000,
                7,
                12_000_000,
                480_000,
                120_000,
                2,
                240_000,
                840_000,
                Kelas::I,
            ),
            (
                4_000_000,
                3_000_000,
                1,
                4_000_000,
                160_000,
                40_000,
                0,
                0,
                200_000,
                Kelas::II,
            ),
            (
                4_000_001,
                3_000_000,
                1,
                4_000_001,
                160_000,
                40_000,
                0,
                0,
                200_000,
                Kelas::I,
            ),
            // UMK raises the base and with it the class.
            (
                3_500_000,
                4_500_000,
                6,
                4_500_000,
                180_000,
                45_000,
                1,
                45_000,
                270_000,
                Kelas::I,
            ),
            // Rounds half up: 4% of 4 901 798 = 196 071.92; 1% = 49 017.98.
            (
                4_901_798,
                4_901_798,
                5,
                4_901_798,
                196_072,
                49_018,
                0,
                0,
                245_090,
                Kelas::I,
            ),
            // A UMK above the cap must not panic.
            (
                1,
                13_000_000,
                5,
                12_000_000,
                480_000,
                120_000,
                0,
                0,
                600_000,
                Kelas::I,
            ),
            (-5, -10, 0, 0, 0, 0, 0, 0, 0, Kelas::II),
        ];
        for (wage, umk, fam, base, er, wk, xm, xa, total, kelas) in table {
            assert_eq!(
                ppu_dues(wage, umk, fam),
                PpuDues {
                    base_wage: base,
                    employer: er,
                    worker: wk,
                    extra_members: xm,
                    extra_amount: xa,
                    total,
                    kelas
                },
                "wage {wage} umk {umk} family {fam}"
            );
        }
        let max = ppu_dues(i64::MAX, i64::MIN, u32::MAX);
        assert_eq!(max.base_wage, PPU_WAGE_CAP);
    }
}
