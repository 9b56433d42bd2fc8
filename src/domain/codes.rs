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
            Self::PbiApbn => Bilingual::new(
                "PBI APBN (iuran dibayar Pemerintah Pusat)",
                "PBI APBN (contributions paid by the central government)",
            ),
            Self::PbiApbd => Bilingual::new(
                "PBI APBD / PBPU Pemda (iuran dibayar Pemerintah Daerah)",
                "PBI APBD / PBPU Pemda (contributions paid by the regional government)",
            ),
            Self::PpuPn => Bilingual::new(
                "Pekerja Penerima Upah Penyelenggara Negara (PNS, TNI, Polri, pejabat negara)",
                "Wage earner, state (civil servants, TNI, Polri, officials)",
            ),
            Self::PpuBu => Bilingual::new(
                "Pekerja Penerima Upah Badan Usaha (karyawan swasta)",
                "Wage earner, private employer",
            ),
            Self::Pbpu => Bilingual::new(
                "Pekerja Bukan Penerima Upah (mandiri)",
                "Self-employed (mandiri)",
            ),
            Self::Bp => Bilingual::new(
                "Bukan Pekerja (investor, pensiunan, dan lainnya)",
                "Non-worker (investors, pensioners and others)",
            ),
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
            Self::PbiDtks => Bilingual::new(
                "Hubungi Dinas Sosial setempat untuk didaftarkan kembali sebagai PBI, atau ambil antrean loket C dengan membawa KK dan KTP untuk beralih menjadi peserta mandiri.",
                "Ask your local Dinas Sosial (social affairs office) to register you as PBI again, or take a ticket for counter C and bring your KK and KTP to become a self-paying member.",
            ),
            Self::PemberiKerjaBerhenti => Bilingual::new(
                "Tanyakan ke bagian SDM pemberi kerja Anda. Jika Anda tidak lagi bekerja di sana, ambil antrean loket C dengan membawa KK dan KTP untuk beralih menjadi peserta mandiri.",
                "Ask your employer's HR department. If you no longer work there, take a ticket for counter C and bring your KK and KTP to become a self-paying member.",
            ),
            Self::UsiaTanggungan => Bilingual::new(
                "Ambil antrean loket C dengan membawa KK dan KTP untuk mendaftar sebagai peserta sendiri. Jika Anda berusia di bawah 25 tahun dan masih sekolah atau kuliah, bawa juga surat keterangan dari sekolah atau kampus.",
                "Take a ticket for counter C and bring your KK and KTP to register as a member in your own right. If you are under 25 and still studying, also bring a letter from your school or university.",
            ),
            Self::DataGanda => Bilingual::new(
                "Ambil antrean loket E (perubahan data) dengan membawa KTP dan KK agar data Anda digabungkan.",
                "Take a ticket for counter E (data change) and bring your KTP and KK so your records can be merged.",
            ),
            Self::LuarNegeri => Bilingual::new(
                "Setelah kembali ke Indonesia, ambil antrean loket G dengan membawa paspor, KTP dan KK untuk mengaktifkan kembali kepesertaan Anda.",
                "Once you are back in Indonesia, take a ticket for counter G and bring your passport, KTP and KK to reactivate your membership.",
            ),
        }
    }
}

impl Explain for NonActiveReason {
    /// Why the member is NON_AKTIF, in one sentence; [`NonActiveReason::next_step`] says what
    /// to do about it (the screens show both, the reason under the status, the step first).
    fn explain(&self) -> Bilingual {
        match self {
            Self::PbiDtks => Bilingual::new(
                "Status NON-AKTIF: Anda tidak lagi terdaftar dalam Data Terpadu Kesejahteraan Sosial (DTKS), sehingga bantuan iuran (PBI) dihentikan.",
                "Status NON-ACTIVE: you are no longer on the social welfare register (DTKS), so your contribution assistance (PBI) has ended.",
            ),
            Self::PemberiKerjaBerhenti => Bilingual::new(
                "Status NON-AKTIF: pemberi kerja Anda tidak lagi melaporkan dan membayar iuran untuk Anda.",
                "Status NON-ACTIVE: your employer no longer reports you or pays your contribution.",
            ),
            Self::UsiaTanggungan => Bilingual::new(
                "Status NON-AKTIF: Anda telah melewati batas usia anak tanggungan (21 tahun, atau 25 tahun bila masih sekolah).",
                "Status NON-ACTIVE: you have passed the age limit for a dependent child (21, or 25 while studying).",
            ),
            Self::DataGanda => Bilingual::new(
                "Status NON-AKTIF: data kepesertaan Anda tercatat ganda dengan data lain.",
                "Status NON-ACTIVE: your membership record duplicates another record.",
            ),
            Self::LuarNegeri => Bilingual::new(
                "Status NON-AKTIF: Anda tercatat tinggal di luar negeri selama enam bulan atau lebih.",
                "Status NON-ACTIVE: you are recorded as living abroad for six months or more.",
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
            Self::Aktif => Bilingual::new("AKTIF", "ACTIVE"),
            Self::TidakAktifMenunggak => {
                Bilingual::new("TIDAK AKTIF – MENUNGGAK", "INACTIVE – IN ARREARS")
            }
            Self::NonAktif => Bilingual::new("NON-AKTIF", "NOT ACTIVE"),
            Self::Meninggal => Bilingual::new("MENINGGAL", "DECEASED"),
        }
    }
}

impl Explain for Status {
    fn explain(&self) -> Bilingual {
        match self {
            Self::Aktif => Bilingual::new(
                "Status AKTIF: Anda dapat berobat dengan JKN, mulai dari FKTP Anda. \
                 Bawa KTP atau kartu JKN (KIS) saat berobat.",
                "Status ACTIVE: you can get care with JKN, starting at your FKTP. \
                 Bring your ID card or JKN card (KIS) when you go.",
            ),
            Self::TidakAktifMenunggak => Bilingual::new(
                "Status TIDAK AKTIF – MENUNGGAK: penjaminan dihentikan sementara karena ada iuran \
                 yang belum dibayar. Status aktif kembali setelah tunggakan beserta iuran bulan ini \
                 dibayar melalui Virtual Account keluarga Anda. \
                 Jika tunggakan 4–24 bulan, Anda dapat mencicil melalui program REHAB.",
                "Status INACTIVE – IN ARREARS: coverage is suspended because contributions are unpaid. \
                 Coverage resumes once the arrears and this month's contribution are paid to your \
                 family's Virtual Account. \
                 With 4–24 months of arrears you may pay in instalments through the REHAB programme.",
            ),
            Self::NonAktif => Bilingual::new(
                "Status NON-AKTIF: kepesertaan Anda tidak aktif, misalnya karena PBI dinonaktifkan, \
                 pemberi kerja berhenti membayar, atau anak melewati batas usia tanggungan. \
                 Ambil antrean loket C (peralihan jenis kepesertaan) dengan membawa KK dan KTP. \
                 Peserta PBI dapat menghubungi Dinas Sosial setempat untuk pengaktifan kembali.",
                "Status NON-ACTIVE: your membership is inactive, for example because PBI support ended, \
                 your employer stopped paying, or a child passed the age limit. \
                 Take a ticket for counter C (change of membership type) and bring your KK and KTP. \
                 PBI members can ask their local Dinas Sosial (social affairs office) to reactivate it.",
            ),
            Self::Meninggal => Bilingual::new(
                "Status MENINGGAL: peserta tercatat telah meninggal dunia. Jika data ini keliru, \
                 atau untuk melaporkan perubahan anggota keluarga, keluarga dapat datang ke loket \
                 (layanan D) dengan KK dan surat keterangan kematian.",
                "Status DECEASED: the member is recorded as deceased. If this is wrong, or to report \
                 a change in the family, a family member can come to the counter (service D) with the \
                 KK and the death certificate.",
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
            Self::Peserta => Bilingual::new("Peserta", "Member"),
            Self::Suami => Bilingual::new("Suami", "Husband"),
            Self::Istri => Bilingual::new("Istri", "Wife"),
            Self::Anak => Bilingual::new("Anak", "Child"),
            Self::Tambahan => {
                Bilingual::new("Anggota keluarga tambahan", "Additional family member")
            }
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
            Self::L => Bilingual::new("Laki-laki", "Male"),
            Self::P => Bilingual::new("Perempuan", "Female"),
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
            Self::Puskesmas => Bilingual::new("Puskesmas", "Community health centre (Puskesmas)"),
            Self::KlinikPratama => Bilingual::new("Klinik Pratama", "Primary clinic"),
            Self::DokterPraktik => {
                Bilingual::new("Dokter Praktik Perorangan", "Private practice doctor")
            }
            Self::DokterGigi => Bilingual::new("Dokter Gigi", "Dentist"),
            Self::RsDPratama => {
                Bilingual::new("Rumah Sakit Kelas D Pratama", "Class D primary hospital")
            }
            Self::RsKelasA => Bilingual::new("Rumah Sakit Kelas A", "Class A hospital"),
            Self::RsKelasB => Bilingual::new("Rumah Sakit Kelas B", "Class B hospital"),
            Self::RsKelasC => Bilingual::new("Rumah Sakit Kelas C", "Class C hospital"),
            Self::RsKelasD => Bilingual::new("Rumah Sakit Kelas D", "Class D hospital"),
            Self::Apotek => Bilingual::new("Apotek", "Pharmacy"),
            Self::Optik => Bilingual::new("Optik", "Optician"),
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
            Self::Pusat => Bilingual::new("Kantor Pusat", "Head office"),
            Self::Kedeputian => Bilingual::new("Kedeputian Wilayah", "Regional deputy office"),
            Self::Cabang => Bilingual::new("Kantor Cabang", "Branch office"),
            Self::KabKota => Bilingual::new("Kantor Kabupaten/Kota", "Regency/city office"),
            Self::Mpp => Bilingual::new(
                "Mal Pelayanan Publik (MPP)",
                "Public service mall (MPP) counter",
            ),
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
        Bilingual::new(format!("Kelas {roman}"), format!("Class {roman}"))
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
