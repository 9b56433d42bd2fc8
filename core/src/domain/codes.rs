//! The closed vocabularies of JKN data: segments, statuses, relations, classes,
//! facility and office types, each with the code used in datasets and the hub API.
//!
//! Owns code <-> enum conversion and the human labels of each code. It does not own
//! any rule that depends on a code (those live in `dues`, `eligibility`, ...).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::message::{Bilingual, Explain};

/// A string that is not one of the codes of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} code {value:?}")]
pub struct UnknownCode {
    /// Which vocabulary was being parsed, e.g. `"segment"`.
    pub kind: &'static str,
    /// The rejected input, as given.
    pub value: String,
}

/// Declares a code enum: `ALL`, `code()`, `FromStr` (trimmed, ASCII case-insensitive),
/// `Display` and serde as the code string.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The code used in datasets and the hub API.
            pub fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant => $code),+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::codes::UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code().eq_ignore_ascii_case(t))
                    .ok_or_else(|| $crate::domain::codes::UnknownCode {
                        kind: $kind,
                        value: s.to_string(),
                    })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// Membership segment (jenis kepesertaan): who pays the contribution.
    pub enum Segment("segment") {
        /// PBI funded by the central budget.
        PbiApbn => "PBI_APBN",
        /// PBI / PBPU Pemda funded by a regional budget.
        PbiApbd => "PBI_APBD",
        /// Wage earner of the state: PNS, TNI, Polri, officials.
        PpuPn => "PPU_PN",
        /// Wage earner of a private employer.
        PpuBu => "PPU_BU",
        /// Self-employed ("mandiri").
        Pbpu => "PBPU",
        /// Non-worker: investors, pensioners, ...
        Bp => "BP",
    }
}

impl Segment {
    /// Contributions paid by a government budget (PBI).
    pub fn is_pbi(&self) -> bool {
        matches!(self, Self::PbiApbn | Self::PbiApbd)
    }

    /// Contributions paid through an employer (PPU).
    pub fn is_ppu(&self) -> bool {
        matches!(self, Self::PpuPn | Self::PpuBu)
    }

    /// The family pays its own contributions (PBPU, BP), so it can fall into arrears.
    pub fn member_pays(&self) -> bool {
        matches!(self, Self::Pbpu | Self::Bp)
    }

    /// Human name of the segment.
    pub fn label(&self) -> Bilingual {
        match self {
            Self::PbiApbn => Bilingual::tr("PBI APBN (iuran dibayar Pemerintah Pusat)"),
            Self::PbiApbd => {
                Bilingual::tr("PBI APBD / PBPU Pemda (iuran dibayar Pemerintah Daerah)")
            }
            Self::PpuPn => Bilingual::tr(
                "Pekerja Penerima Upah Penyelenggara Negara (PNS, TNI, Polri, pejabat negara)",
            ),
            Self::PpuBu => Bilingual::tr("Pekerja Penerima Upah Badan Usaha (karyawan swasta)"),
            Self::Pbpu => Bilingual::tr("Pekerja Bukan Penerima Upah (mandiri)"),
            Self::Bp => Bilingual::tr("Bukan Pekerja (investor, pensiunan, dan lainnya)"),
        }
    }
}

code_enum! {
    /// The status as stored in a dataset. Arrears are not stored: they are derived
    /// from bills (see `dues::derive_status`), so a stale flag cannot contradict them.
    pub enum StoredStatus("stored status") {
        /// Active unless bills say otherwise.
        Aktif => "AKTIF",
        /// Dropped from PBI, employer stopped paying, child past the age limit.
        NonAktif => "NON_AKTIF",
        /// Deceased.
        Meninggal => "MENINGGAL",
    }
}

code_enum! {
    /// Why a member is NON_AKTIF, as recorded in the dataset (`members.csv` column
    /// `status_reason`, optional): the kiosk tells the member this reason and its next step,
    /// not a list of possibilities (domain.md §11).
    pub enum NonActiveReason("status reason") {
        /// Dropped from the DTKS (the social welfare register), so PBI support ended.
        PbiDtks => "PBI_DTKS",
        /// The employer stopped reporting or paying for the worker.
        PemberiKerjaBerhenti => "PEMBERI_KERJA_BERHENTI",
        /// A child past 21 (25 while studying) is no longer a dependant.
        UsiaTanggungan => "USIA_TANGGUNGAN",
        /// The member's record duplicates another one.
        DataGanda => "DATA_GANDA",
        /// Living abroad for six months or more.
        LuarNegeri => "LUAR_NEGERI",
    }
}

impl NonActiveReason {
    /// The counter service that resolves it: a change of segment (C), a data change (E) or
    /// reactivation (G).
    pub fn counter_service(self) -> &'static str {
        match self {
            Self::PbiDtks | Self::PemberiKerjaBerhenti | Self::UsiaTanggungan => "C",
            Self::DataGanda => "E",
            Self::LuarNegeri => "G",
        }
    }

    /// What the member does next, in one sentence that names the counter and what to bring.
    pub fn next_step(self) -> Bilingual {
        match self {
            Self::PbiDtks => Bilingual::tr(
                "Hubungi Dinas Sosial setempat untuk didaftarkan kembali sebagai PBI, atau ambil antrean loket C dengan membawa KK dan KTP untuk beralih menjadi peserta mandiri.",
            ),
            Self::PemberiKerjaBerhenti => Bilingual::tr(
                "Tanyakan ke bagian SDM pemberi kerja Anda. Jika Anda tidak lagi bekerja di sana, ambil antrean loket C dengan membawa KK dan KTP untuk beralih menjadi peserta mandiri.",
            ),
            Self::UsiaTanggungan => Bilingual::tr(
                "Ambil antrean loket C dengan membawa KK dan KTP untuk mendaftar sebagai peserta sendiri. Jika Anda berusia di bawah 25 tahun dan masih sekolah atau kuliah, bawa juga surat keterangan dari sekolah atau kampus.",
            ),
            Self::DataGanda => Bilingual::tr(
                "Ambil antrean loket E (perubahan data) dengan membawa KTP dan KK agar data Anda digabungkan.",
            ),
            Self::LuarNegeri => Bilingual::tr(
                "Setelah kembali ke Indonesia, ambil antrean loket G dengan membawa paspor, KTP dan KK untuk mengaktifkan kembali kepesertaan Anda.",
            ),
        }
    }
}

impl Explain for NonActiveReason {
    /// Why the member is NON_AKTIF, in one sentence; [`NonActiveReason::next_step`] says what
    /// to do about it (the screens show both, the reason under the status, the step first).
    fn explain(&self) -> Bilingual {
        match self {
            Self::PbiDtks => Bilingual::tr(
                "Status NON-AKTIF: Anda tidak lagi terdaftar dalam Data Terpadu Kesejahteraan Sosial (DTKS), sehingga bantuan iuran (PBI) dihentikan.",
            ),
            Self::PemberiKerjaBerhenti => Bilingual::tr(
                "Status NON-AKTIF: pemberi kerja Anda tidak lagi melaporkan dan membayar iuran untuk Anda.",
            ),
            Self::UsiaTanggungan => Bilingual::tr(
                "Status NON-AKTIF: Anda telah melewati batas usia anak tanggungan (21 tahun, atau 25 tahun bila masih sekolah).",
            ),
            Self::DataGanda => Bilingual::tr(
                "Status NON-AKTIF: data kepesertaan Anda tercatat ganda dengan data lain.",
            ),
            Self::LuarNegeri => Bilingual::tr(
                "Status NON-AKTIF: Anda tercatat tinggal di luar negeri selama enam bulan atau lebih.",
            ),
        }
    }
}

code_enum! {
    /// Membership status as shown to the member.
    pub enum Status("status") {
        /// Covered.
        Aktif => "AKTIF",
        /// Suspended for unpaid contributions.
        TidakAktifMenunggak => "TIDAK_AKTIF_MENUNGGAK",
        /// Not a member any more until the segment is changed or restored.
        NonAktif => "NON_AKTIF",
        /// Deceased.
        Meninggal => "MENINGGAL",
    }
}

impl Status {
    /// The status as a word for screens and slips, in both languages.
    pub fn label(&self) -> Bilingual {
        match self {
            Self::Aktif => Bilingual::tr("AKTIF"),
            Self::TidakAktifMenunggak => Bilingual::tr("TIDAK AKTIF – MENUNGGAK"),
            Self::NonAktif => Bilingual::tr("NON-AKTIF"),
            Self::Meninggal => Bilingual::tr("MENINGGAL"),
        }
    }
}

impl Explain for Status {
    fn explain(&self) -> Bilingual {
        match self {
            Self::Aktif => Bilingual::tr(
                "Status AKTIF: Anda dapat berobat dengan JKN, mulai dari FKTP Anda. \
                 Bawa KTP atau kartu JKN (KIS) saat berobat.",
            ),
            Self::TidakAktifMenunggak => Bilingual::tr(
                "Status TIDAK AKTIF – MENUNGGAK: penjaminan dihentikan sementara karena ada iuran \
                 yang belum dibayar. Status aktif kembali setelah tunggakan beserta iuran bulan ini \
                 dibayar melalui Virtual Account keluarga Anda. \
                 Jika tunggakan 4–24 bulan, Anda dapat mencicil melalui program REHAB.",
            ),
            Self::NonAktif => Bilingual::tr(
                "Status NON-AKTIF: kepesertaan Anda tidak aktif, misalnya karena PBI dinonaktifkan, \
                 pemberi kerja berhenti membayar, atau anak melewati batas usia tanggungan. \
                 Ambil antrean loket C (peralihan jenis kepesertaan) dengan membawa KK dan KTP. \
                 Peserta PBI dapat menghubungi Dinas Sosial setempat untuk pengaktifan kembali.",
            ),
            Self::Meninggal => Bilingual::tr(
                "Status MENINGGAL: peserta tercatat telah meninggal dunia. Jika data ini keliru, \
                 atau untuk melaporkan perubahan anggota keluarga, keluarga dapat datang ke loket \
                 (layanan D) dengan KK dan surat keterangan kematian.",
            ),
        }
    }
}

code_enum! {
    /// Relation to the head of the family on the KK.
    pub enum Relation("relation") {
        /// The member who holds the family's account.
        Peserta => "PESERTA",
        /// Husband.
        Suami => "SUAMI",
        /// Wife.
        Istri => "ISTRI",
        /// Child.
        Anak => "ANAK",
        /// Additional family member (beyond the core family).
        Tambahan => "TAMBAHAN",
    }
}

impl Relation {
    /// Human name of the relation.
    pub fn label(&self) -> Bilingual {
        match self {
            Self::Peserta => Bilingual::tr("Peserta"),
            Self::Suami => Bilingual::tr("Suami"),
            Self::Istri => Bilingual::tr("Istri"),
            Self::Anak => Bilingual::tr("Anak"),
            Self::Tambahan => Bilingual::tr("Anggota keluarga tambahan"),
        }
    }
}

code_enum! {
    /// Sex as encoded in the NIK and datasets.
    pub enum Sex("sex") {
        /// Laki-laki (male).
        L => "L",
        /// Perempuan (female).
        P => "P",
    }
}

impl Sex {
    /// Human name.
    pub fn label(&self) -> Bilingual {
        match self {
            Self::L => Bilingual::tr("Laki-laki"),
            Self::P => Bilingual::tr("Perempuan"),
        }
    }
}

code_enum! {
    /// Employer of a PPU_PN member, where it changes what the kiosk may do:
    /// TNI and Polri members change FKTP only at a counter.
    pub enum Employer("employer") {
        /// Tentara Nasional Indonesia.
        Tni => "TNI",
        /// Kepolisian Negara Republik Indonesia.
        Polri => "POLRI",
    }
}

impl Employer {
    /// Parses the optional dataset column: blank means no employer of note.
    pub fn parse_optional(s: &str) -> Result<Option<Self>, UnknownCode> {
        if s.trim().is_empty() {
            Ok(None)
        } else {
            s.parse().map(Some)
        }
    }
}

code_enum! {
    /// Kind of health facility (faskes).
    pub enum FacilityType("facility type") {
        /// Community health centre.
        Puskesmas => "PUSKESMAS",
        /// Primary clinic.
        KlinikPratama => "KLINIK_PRATAMA",
        /// Private practice doctor.
        DokterPraktik => "DOKTER_PRAKTIK",
        /// Dentist.
        DokterGigi => "DOKTER_GIGI",
        /// Class D primary hospital.
        RsDPratama => "RS_D_PRATAMA",
        /// Class A hospital.
        RsKelasA => "RS_KELAS_A",
        /// Class B hospital.
        RsKelasB => "RS_KELAS_B",
        /// Class C hospital.
        RsKelasC => "RS_KELAS_C",
        /// Class D hospital.
        RsKelasD => "RS_KELAS_D",
        /// Pharmacy.
        Apotek => "APOTEK",
        /// Optician.
        Optik => "OPTIK",
    }
}

impl FacilityType {
    /// First-level facility (FKTP), where a member can be registered.
    pub fn is_fktp(&self) -> bool {
        matches!(
            self,
            Self::Puskesmas
                | Self::KlinikPratama
                | Self::DokterPraktik
                | Self::DokterGigi
                | Self::RsDPratama
        )
    }

    /// Human name of the facility type.
    pub fn label(&self) -> Bilingual {
        match self {
            Self::Puskesmas => Bilingual::tr("Puskesmas"),
            Self::KlinikPratama => Bilingual::tr("Klinik Pratama"),
            Self::DokterPraktik => Bilingual::tr("Dokter Praktik Perorangan"),
            Self::DokterGigi => Bilingual::tr("Dokter Gigi"),
            Self::RsDPratama => Bilingual::tr("Rumah Sakit Kelas D Pratama"),
            Self::RsKelasA => Bilingual::tr("Rumah Sakit Kelas A"),
            Self::RsKelasB => Bilingual::tr("Rumah Sakit Kelas B"),
            Self::RsKelasC => Bilingual::tr("Rumah Sakit Kelas C"),
            Self::RsKelasD => Bilingual::tr("Rumah Sakit Kelas D"),
            Self::Apotek => Bilingual::tr("Apotek"),
            Self::Optik => Bilingual::tr("Optik"),
        }
    }
}

code_enum! {
    /// Level of a BPJS Kesehatan office.
    pub enum OfficeLevel("office level") {
        /// Head office.
        Pusat => "PUSAT",
        /// Regional deputy office.
        Kedeputian => "KEDEPUTIAN",
        /// Branch office.
        Cabang => "CABANG",
        /// Regency / city office.
        KabKota => "KABKOTA",
        /// Counter in a public service mall.
        Mpp => "MPP",
    }
}

impl OfficeLevel {
    /// Offices where a member is served at a counter: branch, regency/city and MPP. The
    /// head office and the regional deputy offices serve no members in person.
    pub const SERVING_MEMBERS: [OfficeLevel; 3] = [Self::Cabang, Self::KabKota, Self::Mpp];

    /// Human name of the office level.
    pub fn label(&self) -> Bilingual {
        match self {
            Self::Pusat => Bilingual::tr("Kantor Pusat"),
            Self::Kedeputian => Bilingual::tr("Kedeputian Wilayah"),
            Self::Cabang => Bilingual::tr("Kantor Cabang"),
            Self::KabKota => Bilingual::tr("Kantor Kabupaten/Kota"),
            Self::Mpp => Bilingual::tr("Mal Pelayanan Publik (MPP)"),
        }
    }
}

/// Treatment class (kelas rawat) I, II or III; other numbers cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kelas(u8);

impl Kelas {
    /// Kelas I.
    pub const I: Kelas = Kelas(1);
    /// Kelas II.
    pub const II: Kelas = Kelas(2);
    /// Kelas III.
    pub const III: Kelas = Kelas(3);
    /// All classes, I to III.
    pub const ALL: &'static [Kelas] = &[Kelas::I, Kelas::II, Kelas::III];

    /// `Some` for 1, 2 or 3.
    pub fn new(n: u8) -> Option<Kelas> {
        (1..=3).contains(&n).then_some(Kelas(n))
    }

    /// The class number, 1 to 3.
    pub fn get(&self) -> u8 {
        self.0
    }

    /// Human name, with the roman numeral members see on their card.
    pub fn label(&self) -> Bilingual {
        let roman = match self.0 {
            1 => "I",
            2 => "II",
            _ => "III",
        };
        Bilingual::tr_with("Kelas {roman}", &[("roman", &roman)])
    }
}

impl FromStr for Kelas {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "1" => Ok(Kelas::I),
            "2" => Ok(Kelas::II),
            "3" => Ok(Kelas::III),
            _ => Err(UnknownCode {
                kind: "kelas",
                value: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for Kelas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Kelas {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for Kelas {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u8::deserialize(d)?;
        Kelas::new(n)
            .ok_or_else(|| serde::de::Error::custom(format!("kelas must be 1..=3, got {n}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code of every vocabulary, checked against the spelling the dataset uses.
    #[test]
    fn codes_are_exact() {
        let seg: Vec<_> = Segment::ALL.iter().map(Segment::code).collect();
        assert_eq!(
            seg,
            ["PBI_APBN", "PBI_APBD", "PPU_PN", "PPU_BU", "PBPU", "BP"]
        );
        let st: Vec<_> = StoredStatus::ALL.iter().map(StoredStatus::code).collect();
        assert_eq!(st, ["AKTIF", "NON_AKTIF", "MENINGGAL"]);
        let st: Vec<_> = Status::ALL.iter().map(Status::code).collect();
        assert_eq!(
            st,
            ["AKTIF", "TIDAK_AKTIF_MENUNGGAK", "NON_AKTIF", "MENINGGAL"]
        );
        let r: Vec<_> = Relation::ALL.iter().map(Relation::code).collect();
        assert_eq!(r, ["PESERTA", "SUAMI", "ISTRI", "ANAK", "TAMBAHAN"]);
        let s: Vec<_> = Sex::ALL.iter().map(Sex::code).collect();
        assert_eq!(s, ["L", "P"]);
        let e: Vec<_> = Employer::ALL.iter().map(Employer::code).collect();
        assert_eq!(e, ["TNI", "POLRI"]);
        let f: Vec<_> = FacilityType::ALL.iter().map(FacilityType::code).collect();
        assert_eq!(
            f,
            [
                "PUSKESMAS",
                "KLINIK_PRATAMA",
                "DOKTER_PRAKTIK",
                "DOKTER_GIGI",
                "RS_D_PRATAMA",
                "RS_KELAS_A",
                "RS_KELAS_B",
                "RS_KELAS_C",
                "RS_KELAS_D",
                "APOTEK",
                "OPTIK"
            ]
        );
        let o: Vec<_> = OfficeLevel::ALL.iter().map(OfficeLevel::code).collect();
        assert_eq!(o, ["PUSAT", "KEDEPUTIAN", "CABANG", "KABKOTA", "MPP"]);
    }

    #[test]
    fn every_code_round_trips_through_from_str_display_and_serde() {
        fn check<T>(all: &[T])
        where
            T: FromStr<Err = UnknownCode> + fmt::Display + Serialize + PartialEq + fmt::Debug,
        {
            for v in all {
                let shown = v.to_string();
                assert_eq!(&shown.parse::<T>().unwrap(), v);
                assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{shown}\""));
            }
        }
        check(Segment::ALL);
        check(StoredStatus::ALL);
        check(Status::ALL);
        check(Relation::ALL);
        check(Sex::ALL);
        check(Employer::ALL);
        check(FacilityType::ALL);
        check(OfficeLevel::ALL);
    }

    #[test]
    fn from_str_trims_and_ignores_ascii_case_but_rejects_others() {
        assert_eq!(" pbpu ".parse::<Segment>(), Ok(Segment::Pbpu));
        assert_eq!("Polri".parse::<Employer>(), Ok(Employer::Polri));
        let err = "ASN".parse::<Employer>().unwrap_err();
        assert_eq!(err.kind, "employer");
        assert_eq!(err.value, "ASN");
        assert_eq!(err.to_string(), "unknown employer code \"ASN\"");
        assert!("PBI APBN".parse::<Segment>().is_err());
        assert!("".parse::<Sex>().is_err());
    }

    #[test]
    fn deserialize_accepts_codes_and_rejects_others() {
        let s: Segment = serde_json::from_str("\"PBI_APBD\"").unwrap();
        assert_eq!(s, Segment::PbiApbd);
        assert!(serde_json::from_str::<Segment>("\"PBI\"").is_err());
    }

    #[test]
    fn employer_column_is_optional() {
        assert_eq!(Employer::parse_optional(""), Ok(None));
        assert_eq!(Employer::parse_optional("  "), Ok(None));
        assert_eq!(Employer::parse_optional("TNI"), Ok(Some(Employer::Tni)));
        assert!(Employer::parse_optional("SWASTA").is_err());
    }

    #[test]
    fn segment_predicates() {
        use Segment::*;
        let table = [
            // (segment, is_pbi, is_ppu, member_pays)
            (PbiApbn, true, false, false),
            (PbiApbd, true, false, false),
            (PpuPn, false, true, false),
            (PpuBu, false, true, false),
            (Pbpu, false, false, true),
            (Bp, false, false, true),
        ];
        for (s, pbi, ppu, pays) in table {
            assert_eq!(s.is_pbi(), pbi, "{s}");
            assert_eq!(s.is_ppu(), ppu, "{s}");
            assert_eq!(s.member_pays(), pays, "{s}");
        }
    }

    #[test]
    fn fktp_types_are_the_five_first_level_ones() {
        let fktp: Vec<_> = FacilityType::ALL
            .iter()
            .filter(|t| t.is_fktp())
            .map(FacilityType::code)
            .collect();
        assert_eq!(
            fktp,
            [
                "PUSKESMAS",
                "KLINIK_PRATAMA",
                "DOKTER_PRAKTIK",
                "DOKTER_GIGI",
                "RS_D_PRATAMA"
            ]
        );
    }

    #[test]
    fn kelas_is_one_to_three() {
        assert_eq!(Kelas::new(0), None);
        assert_eq!(Kelas::new(4), None);
        assert_eq!(Kelas::new(2).map(|k| k.get()), Some(2));
        assert_eq!("3".parse::<Kelas>(), Ok(Kelas::III));
        assert_eq!(" 1 ".parse::<Kelas>(), Ok(Kelas::I));
        assert!("III".parse::<Kelas>().is_err());
        assert!("0".parse::<Kelas>().is_err());
        assert!("".parse::<Kelas>().is_err());
        assert_eq!(serde_json::to_string(&Kelas::II).unwrap(), "2");
        assert_eq!(serde_json::from_str::<Kelas>("1").unwrap(), Kelas::I);
        assert!(serde_json::from_str::<Kelas>("4").is_err());
        assert_eq!(Kelas::III.label().id, "Kelas III");
        assert_eq!(Kelas::III.to_string(), "3");
    }

    #[test]
    fn labels_and_explanations_are_never_empty_and_differ_by_language() {
        for s in Segment::ALL {
            let l = s.label();
            assert!(!l.id.is_empty() && !l.en.is_empty() && l.id != l.en, "{s}");
        }
        for t in FacilityType::ALL {
            assert!(!t.label().id.is_empty(), "{t}");
        }
        for o in OfficeLevel::ALL {
            assert!(!o.label().en.is_empty(), "{o}");
        }
        for st in Status::ALL {
            let e = st.explain();
            assert!(e.id.len() > 40 && e.en.len() > 40, "{st}");
        }
    }

    /// Each recorded NON_AKTIF reason says why in its own words, and its next step names the
    /// counter the member home offers.
    #[test]
    fn non_active_reasons_name_their_own_counter() {
        let mut seen = std::collections::HashSet::new();
        for r in NonActiveReason::ALL {
            let why = r.explain();
            let next = r.next_step();
            assert!(why.id.starts_with("Status NON-AKTIF"), "{r}");
            assert!(why.en.starts_with("Status NON-ACTIVE"), "{r}");
            assert!(seen.insert(why.id.clone()), "{r} repeats another reason");
            let counter = r.counter_service();
            assert!(
                next.id.contains(&format!("loket {counter}")),
                "{r}: {}",
                next.id
            );
            assert!(
                next.en.contains(&format!("counter {counter}")),
                "{r}: {}",
                next.en
            );
        }
        assert_eq!(NonActiveReason::DataGanda.counter_service(), "E");
        assert_eq!(NonActiveReason::PbiDtks.counter_service(), "C");
    }

    /// The status texts must say what to do next, not only what the status is.
    #[test]
    fn status_explanations_name_the_next_step() {
        let m = Status::TidakAktifMenunggak.explain();
        assert!(m.id.contains("Virtual Account") && m.id.contains("REHAB"));
        assert!(m.en.contains("Virtual Account") && m.en.contains("REHAB"));
        let n = Status::NonAktif.explain();
        assert!(n.id.contains("Dinas Sosial") && n.id.contains("loket"));
        let d = Status::Meninggal.explain();
        assert!(d.id.contains("loket") && d.en.contains("counter"));
    }
}
