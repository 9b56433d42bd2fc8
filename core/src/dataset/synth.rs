//! The synthetic dataset generator: realistic members, bills, facilities and offices over
//! real region codes, written in the dataset CSV format (docs/dataset.md).
//!
//! This module owns how synthetic data is shaped (family make-up, segment mix, arrears,
//! facility names and placement). It writes files and nothing else: it does not touch the
//! store and does not decide JKN rules. Tariffs and dues it writes are the published figures
//! (domain.md §4), so that a generated dataset exercises the rules the domain module applies.
//!
//! The output depends only on [`GenOptions`]: the same options give byte-identical files.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Days, Months, NaiveDate};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::content;
use crate::dataset::regions::{self, District, NameGroup, Regency};

/// Header of `members.csv`.
pub const MEMBERS_HEADER: [&str; 17] = super::MEMBER_COLUMNS;
/// Header of `bills.csv`.
pub const BILLS_HEADER: [&str; 4] = ["kk_no", "period", "amount", "paid_on"];
/// Header of `facilities.csv`.
pub const FACILITIES_HEADER: [&str; 14] = [
    "code",
    "name",
    "type",
    "address",
    "kecamatan",
    "kabkota",
    "province_code",
    "phone",
    "hours",
    "lat",
    "lon",
    "capacity",
    "members",
    "active",
];
/// Header of `offices.csv`.
pub const OFFICES_HEADER: [&str; 9] = [
    "code", "name", "level", "address", "kabkota", "phone", "hours", "lat", "lon",
];
/// Header of `tariffs.csv`.
pub const TARIFFS_HEADER: [&str; 4] = ["effective_from", "segment", "kelas", "amount"];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Rows in `members.csv`.
    pub members: usize,
    /// Rows in `facilities.csv`; at least 1 when `members` > 0.
    pub facilities: usize,
    /// Rows in `offices.csv`; `None` means `facilities / 20`, at least 20.
    pub offices: Option<usize>,
    /// Seed of the random stream; the output is a function of the options alone.
    pub seed: u64,
    /// The day the data is "as of": bills run up to its month, dates never pass it.
    pub today: NaiveDate,
}

/// Rows written per file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GenSummary {
    /// Rows in `members.csv`.
    pub members: u64,
    /// Distinct `kk_no` values among them.
    pub families: u64,
    /// Rows in `bills.csv`.
    pub bills: u64,
    /// Rows in `facilities.csv`.
    pub facilities: u64,
    /// Rows in `offices.csv`.
    pub offices: u64,
    /// Rows in `tariffs.csv`.
    pub tariffs: u64,
    /// Articles in the copied `info.csv`.
    pub info_articles: u64,
    /// Services in the copied `services.csv`.
    pub counter_services: u64,
}

/// Writes a complete dataset into `out` (created if missing), overwriting files of the
/// same names. `rules.csv` holds one row, `SAMPLE_DATA = 1`: the kiosk then says "DATA
/// CONTOH / SAMPLE DATA" on every screen; every other rule is the domain's default.
pub fn generate(opts: &GenOptions, out: &Path) -> Result<GenSummary> {
    let earliest = NaiveDate::from_ymd_opt(2016, 1, 1).expect("valid date");
    if opts.today < earliest {
        bail!("today must be 2016-01-01 or later: JKN registrations start in 2014");
    }
    if opts.members > 0 && opts.facilities == 0 {
        bail!("members need at least one facility to be registered at");
    }
    if opts.members >= 1_000_000_000 {
        bail!("at most 999,999,999 members: card numbers have 9 free digits");
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let world = World::new();
    let mut summary = GenSummary::default();

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x6661_736b_6573);
    let mut w = writer(out, "facilities.csv")?;
    let fktps = gen_facilities(&world, opts.facilities, &mut rng, &mut w)?;
    w.flush()?;
    summary.facilities = opts.facilities as u64;

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x6b61_6e74_6f72);
    let n_offices = opts.offices.unwrap_or((opts.facilities / 20).max(20));
    let mut w = writer(out, "offices.csv")?;
    summary.offices = gen_offices(&world, n_offices, &mut rng, &mut w)?;
    w.flush()?;

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x7065_7365_7274);
    let mut mw = writer(out, "members.csv")?;
    let mut bw = writer(out, "bills.csv")?;
    let (members, families, bills) = gen_members(&world, opts, &fktps, &mut rng, &mut mw, &mut bw)?;
    mw.flush()?;
    bw.flush()?;
    summary.members = members;
    summary.families = families;
    summary.bills = bills;

    let mut w = writer(out, "tariffs.csv")?;
    summary.tariffs = write_tariffs(&mut w)?;
    w.flush()?;

    // Copied byte for byte, so a generated dataset is self-contained and reads back
    // with the same parsers as an override.
    std::fs::write(out.join(content::INFO_FILE), content::DEFAULT_INFO_CSV)?;
    std::fs::write(
        out.join(content::SERVICES_FILE),
        content::DEFAULT_SERVICES_CSV,
    )?;
    summary.info_articles = content::default_info().len() as u64;
    summary.counter_services = content::default_services().len() as u64;
    std::fs::write(out.join("rules.csv"), SAMPLE_RULES_CSV)?;
    Ok(summary)
}

/// What marks a generated dataset as sample data, through import and sync alike.
pub const SAMPLE_RULES_CSV: &str = "effective_from,key,value,source\n\
    2014-01-01,SAMPLE_DATA,1,Data contoh buatan anjungan gen-dataset (bukan data anggota)\n";

type CsvOut = csv::Writer<File>;

fn writer(dir: &Path, name: &str) -> Result<CsvOut> {
    let path = dir.join(name);
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 18)
        .from_writer(file))
}

// ---------------------------------------------------------------------------------------
// Regions, weights and names prepared once.

/// Approximate population per province in hundred thousands (BPS 2023, rounded), used to
/// spread people and facilities the way Indonesia is spread: mostly Java.
const PROVINCE_POPULATION: [(&str, u64); 38] = [
    ("11", 54),
    ("12", 151),
    ("13", 56),
    ("14", 66),
    ("15", 36),
    ("16", 87),
    ("17", 21),
    ("18", 91),
    ("19", 15),
    ("21", 21),
    ("31", 107),
    ("32", 499),
    ("33", 375),
    ("34", 37),
    ("35", 414),
    ("36", 123),
    ("51", 44),
    ("52", 55),
    ("53", 55),
    ("61", 55),
    ("62", 27),
    ("63", 42),
    ("64", 39),
    ("65", 7),
    ("71", 27),
    ("72", 30),
    ("73", 93),
    ("74", 27),
    ("75", 12),
    ("76", 14),
    ("81", 19),
    ("82", 13),
    ("91", 10),
    ("92", 6),
    ("93", 5),
    ("94", 14),
    ("95", 14),
    ("96", 6),
];

struct World {
    regencies: &'static [Regency],
    /// Picks a regency index in proportion to its share of the population.
    regency_picker: Picker,
    /// Per regency: its districts.
    districts: Vec<&'static [District]>,
    /// Per regency: first index of its districts in `regions::districts()`.
    district_base: Vec<usize>,
    /// Per regency: (name groups, picker over them).
    name_mix: Vec<usize>,
    mixes: Vec<(Vec<&'static NameGroup>, Picker)>,
    /// Per regency: time zone label for opening hours.
    zone: Vec<&'static str>,
    /// Per regency: telephone area code.
    area_code: Vec<&'static str>,
    /// Per regency: short and display names, computed once.
    short: Vec<String>,
    display: Vec<String>,
}

impl World {
    fn new() -> Self {
        let regencies = regions::regencies();
        let all_districts = regions::districts();
        let mut weights = Vec::with_capacity(regencies.len());
        let mut districts = Vec::with_capacity(regencies.len());
        let mut district_base = Vec::with_capacity(regencies.len());
        let mut name_mix = Vec::with_capacity(regencies.len());
        let mut mixes: Vec<(Vec<&'static NameGroup>, Picker)> = Vec::new();
        let mut mix_of_province: HashMap<&str, usize> = HashMap::new();
        for r in regencies {
            let pop = PROVINCE_POPULATION
                .iter()
                .find(|(p, _)| *p == r.province_code)
                .map_or(10, |(_, n)| *n);
            let siblings = regions::regencies_of(&r.province_code).len().max(1) as u64;
            // Cities are denser than their share of the regency count suggests.
            let bump = if r.is_kota() { 3 } else { 2 };
            weights.push((pop * 1000 * bump / siblings).max(1));
            let ds = regions::districts_of(&r.code);
            districts.push(ds);
            district_base.push(all_districts.partition_point(|d| d.code < r.code));
            let mix = *mix_of_province
                .entry(r.province_code.as_str())
                .or_insert_with(|| {
                    let entries = regions::name_mix(&r.province_code);
                    let groups = entries
                        .iter()
                        .filter_map(|(g, _)| regions::name_group(g))
                        .collect();
                    let w = entries
                        .iter()
                        .filter(|(g, _)| regions::name_group(g).is_some())
                        .map(|(_, w)| u64::from(*w))
                        .collect();
                    mixes.push((groups, Picker::new(w)));
                    mixes.len() - 1
                });
            name_mix.push(mix);
        }
        let zone = regencies
            .iter()
            .map(|r| zone_of(&r.province_code))
            .collect();
        let area_code = regencies
            .iter()
            .map(|r| area_code_of(&r.province_code))
            .collect();
        Self {
            regencies,
            regency_picker: Picker::new(weights),
            districts,
            district_base,
            name_mix,
            mixes,
            zone,
            area_code,
            short: regencies.iter().map(Regency::short_name).collect(),
            display: regencies.iter().map(Regency::display_name).collect(),
        }
    }

    fn name_group(&self, regency: usize, rng: &mut ChaCha8Rng) -> &'static NameGroup {
        let (groups, picker) = &self.mixes[self.name_mix[regency]];
        groups[picker.pick(rng)]
    }
}

/// Weighted choice by binary search over cumulative weights.
struct Picker {
    cumulative: Vec<u64>,
}

impl Picker {
    fn new(weights: Vec<u64>) -> Self {
        let mut total = 0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { cumulative }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&0);
        if total == 0 {
            return 0;
        }
        let x = rng.random_range(0..total);
        self.cumulative.partition_point(|&c| c <= x)
    }
}

fn zone_of(province: &str) -> &'static str {
    match province {
        "51" | "52" | "53" | "63" | "64" | "65" | "71" | "72" | "73" | "74" | "75" | "76" => "WITA",
        "81" | "82" | "91" | "92" | "93" | "94" | "95" | "96" => "WIT",
        _ => "WIB",
    }
}

fn area_code_of(province: &str) -> &'static str {
    match province {
        "11" => "0651",
        "12" => "061",
        "13" => "0751",
        "14" => "0761",
        "15" => "0741",
        "16" => "0711",
        "17" => "0736",
        "18" => "0721",
        "19" => "0717",
        "21" => "0778",
        "31" => "021",
        "32" => "022",
        "33" => "024",
        "34" => "0274",
        "35" => "031",
        "36" => "0254",
        "51" => "0361",
        "52" => "0370",
        "53" => "0380",
        "61" => "0561",
        "62" => "0536",
        "63" => "0511",
        "64" => "0541",
        "65" => "0551",
        "71" => "0431",
        "72" => "0451",
        "73" => "0411",
        "74" => "0401",
        "75" => "0435",
        "76" => "0426",
        "81" => "0911",
        "82" => "0921",
        "91" => "0967",
        "92" => "0986",
        "93" => "0971",
        "94" => "0984",
        "95" => "0969",
        _ => "0951",
    }
}

// ---------------------------------------------------------------------------------------
// Facilities.

#[derive(Clone, Copy, PartialEq, Eq)]
enum FType {
    Puskesmas,
    Klinik,
    Dokter,
    DokterGigi,
    RsDPratama,
    RsA,
    RsB,
    RsC,
    RsD,
    Apotek,
    Optik,
}

/// Type, share in per mille. FKTP make up 75%.
const FTYPES: [(FType, u64); 11] = [
    (FType::Puskesmas, 250),
    (FType::Klinik, 220),
    (FType::Dokter, 180),
    (FType::DokterGigi, 80),
    (FType::RsDPratama, 20),
    (FType::RsA, 5),
    (FType::RsB, 20),
    (FType::RsC, 60),
    (FType::RsD, 40),
    (FType::Apotek, 80),
    (FType::Optik, 45),
];

impl FType {
    fn code(self) -> &'static str {
        match self {
            Self::Puskesmas => "PUSKESMAS",
            Self::Klinik => "KLINIK_PRATAMA",
            Self::Dokter => "DOKTER_PRAKTIK",
            Self::DokterGigi => "DOKTER_GIGI",
            Self::RsDPratama => "RS_D_PRATAMA",
            Self::RsA => "RS_KELAS_A",
            Self::RsB => "RS_KELAS_B",
            Self::RsC => "RS_KELAS_C",
            Self::RsD => "RS_KELAS_D",
            Self::Apotek => "APOTEK",
            Self::Optik => "OPTIK",
        }
    }

    fn is_fktp(self) -> bool {
        matches!(
            self,
            Self::Puskesmas | Self::Klinik | Self::Dokter | Self::DokterGigi | Self::RsDPratama
        )
    }

    /// The letter in the code and the slot of its serial counter.
    fn letter(self) -> (u8, usize) {
        match self {
            Self::Puskesmas => (b'P', 0),
            Self::Klinik => (b'K', 1),
            Self::Dokter => (b'U', 2),
            Self::DokterGigi => (b'G', 3),
            Self::RsDPratama => (b'D', 4),
            Self::RsA | Self::RsB | Self::RsC | Self::RsD => (b'R', 5),
            Self::Apotek => (b'A', 6),
            Self::Optik => (b'O', 7),
        }
    }

    /// Registered-member capacity range of an FKTP.
    fn capacity_range(self) -> (u32, u32) {
        match self {
            Self::Puskesmas => (8_000, 20_000),
            Self::Klinik => (3_000, 15_000),
            Self::Dokter => (2_000, 6_000),
            Self::DokterGigi => (2_000, 5_000),
            Self::RsDPratama => (5_000, 15_000),
            _ => (0, 0),
        }
    }
}

/// Active FKTPs the member generator may register families at.
struct Fktps {
    codes: Vec<String>,
    by_regency: Vec<Vec<u32>>,
    /// Fallback when a regency has none: the same province's, keyed by province code.
    by_province: HashMap<String, Vec<u32>>,
}

const STREETS: [&str; 24] = [
    "Jend. Sudirman",
    "Ahmad Yani",
    "Diponegoro",
    "Gatot Subroto",
    "Merdeka",
    "Pahlawan",
    "Veteran",
    "Pemuda",
    "Kartini",
    "Cut Nyak Dien",
    "Imam Bonjol",
    "HOS Cokroaminoto",
    "Sultan Hasanuddin",
    "Pattimura",
    "Sisingamangaraja",
    "Teuku Umar",
    "Dewi Sartika",
    "Gajah Mada",
    "Hayam Wuruk",
    "Ki Hajar Dewantara",
    "Sam Ratulangi",
    "Mangga Dua",
    "Flamboyan",
    "Melati",
];
const CLINIC_A: [&str; 16] = [
    "Sehat", "Medika", "Bhakti", "Mitra", "Citra", "Permata", "Anugerah", "Kasih", "Harapan",
    "Insan", "Prima", "Pelita", "Bunda", "Amanah", "Berkah", "Keluarga",
];
const CLINIC_B: [&str; 12] = [
    "Husada",
    "Medika",
    "Sentosa",
    "Utama",
    "Sejahtera",
    "Mandiri",
    "Abadi",
    "Bersama",
    "Sehat",
    "Mulia",
    "Jaya",
    "Insani",
];
const HOSPITAL_BRANDS: [&str; 10] = [
    "RS Islam",
    "RS Bhayangkara",
    "RS Hermina",
    "RS Mitra Keluarga",
    "RS Muhammadiyah",
    "RS Siloam",
    "RS Santo Yusup",
    "RS Advent",
    "RS Permata Bunda",
    "RS Umum Daerah Pratama",
];
const PHARMACY_BRANDS: [&str; 5] = [
    "Apotek Kimia Farma",
    "Apotek K-24",
    "Apotek Sehat",
    "Apotek Keluarga",
    "Apotek Bunda",
];
const OPTIC_BRANDS: [&str; 4] = [
    "Optik Tunggal",
    "Optik Melawai",
    "Optik Seis",
    "Optik Kasih",
];
const ROMAN: [&str; 10] = [
    "", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X",
];

fn gen_facilities(world: &World, n: usize, rng: &mut ChaCha8Rng, w: &mut CsvOut) -> Result<Fktps> {
    w.write_record(FACILITIES_HEADER)?;
    let provinces = regions::provinces();
    let type_picker = Picker::new(FTYPES.iter().map(|(_, s)| *s).collect());
    let mut serials: Vec<[u16; 8]> = vec![[0; 8]; world.regencies.len()];
    let mut puskesmas_per_district: HashMap<usize, usize> = HashMap::new();
    let mut has_rsud = vec![false; world.regencies.len()];
    let mut fktps = Fktps {
        codes: Vec::new(),
        by_regency: vec![Vec::new(); world.regencies.len()],
        by_province: HashMap::new(),
    };
    let mut name = String::with_capacity(64);
    let mut buf = String::with_capacity(128);
    let mut code = [0u8; 8];
    for i in 0..n {
        // The first facilities give every province a working Puskesmas, so small
        // datasets still cover the whole country.
        let seeded = n >= provinces.len() && i < provinces.len();
        let ftype = if seeded {
            FType::Puskesmas
        } else {
            FTYPES[type_picker.pick(rng)].0
        };
        let (letter, slot) = ftype.letter();
        let mut reg = if seeded {
            let in_prov = regions::regencies_of(&provinces[i].code);
            let first = world
                .regencies
                .partition_point(|r| r.code < in_prov[0].code);
            first + rng.random_range(0..in_prov.len())
        } else {
            world.regency_picker.pick(rng)
        };
        let mut tries = 0;
        while serials[reg][slot] >= 999 {
            tries += 1;
            if tries > 10_000 {
                bail!(
                    "too many facilities: no regency has a free {} code",
                    ftype.code()
                );
            }
            reg = rng.random_range(0..world.regencies.len());
        }
        serials[reg][slot] += 1;
        let serial = serials[reg][slot];
        let regency = &world.regencies[reg];
        code[..4].copy_from_slice(regency.code.as_bytes());
        code[4] = letter;
        write_digits(&mut code[5..8], u64::from(serial));
        let code_str = std::str::from_utf8(&code).expect("ASCII code");

        let districts = world.districts[reg];
        let d_idx = rng.random_range(0..districts.len());
        let district = &districts[d_idx];
        let short = &world.short[reg];

        name.clear();
        match ftype {
            FType::Puskesmas => {
                let k = puskesmas_per_district
                    .entry(world.district_base[reg] + d_idx)
                    .or_insert(0);
                name.push_str("Puskesmas ");
                name.push_str(&district.name);
                name.push_str(ROMAN[(*k).min(ROMAN.len() - 1)]);
                *k += 1;
            }
            FType::Klinik => {
                if rng.random_ratio(1, 20) {
                    name.push_str("Klinik Pratama Polres ");
                    name.push_str(short);
                } else {
                    let a = CLINIC_A[rng.random_range(0..CLINIC_A.len())];
                    let mut b = CLINIC_B[rng.random_range(0..CLINIC_B.len())];
                    if a == b {
                        b = "Utama";
                    }
                    name.push_str("Klinik Pratama ");
                    name.push_str(a);
                    name.push(' ');
                    name.push_str(b);
                }
            }
            FType::Dokter | FType::DokterGigi => {
                name.push_str(if ftype == FType::Dokter {
                    "dr. "
                } else {
                    "drg. "
                });
                let group = world.name_group(reg, rng);
                let female = rng.random_bool(0.5);
                push_person_name(&mut name, group, female, None, None, rng);
            }
            FType::RsDPratama => {
                name.push_str("RS Kelas D Pratama ");
                name.push_str(&district.name);
            }
            FType::RsA | FType::RsB | FType::RsC | FType::RsD => {
                if !has_rsud[reg] {
                    has_rsud[reg] = true;
                    name.push_str("RSUD ");
                    name.push_str(&world.display[reg]);
                } else {
                    name.push_str(HOSPITAL_BRANDS[rng.random_range(0..HOSPITAL_BRANDS.len())]);
                    name.push(' ');
                    name.push_str(&district.name);
                }
            }
            FType::Apotek => {
                name.push_str(PHARMACY_BRANDS[rng.random_range(0..PHARMACY_BRANDS.len())]);
                name.push(' ');
                name.push_str(&district.name);
            }
            FType::Optik => {
                name.push_str(OPTIC_BRANDS[rng.random_range(0..OPTIC_BRANDS.len())]);
                name.push(' ');
                name.push_str(&district.name);
            }
        }

        let (lat, lon) = jitter(regency, 0.15, rng);
        let active = i == 0 || seeded || !rng.random_ratio(3, 100);
        let (capacity, members) = if ftype.is_fktp() {
            let (lo, hi) = ftype.capacity_range();
            let cap = rng.random_range(lo / 100..=hi / 100) * 100;
            let members = if rng.random_ratio(8, 100) {
                cap
            } else {
                rng.random_range(cap * 3 / 10..cap)
            };
            (cap, members)
        } else {
            (0, 0)
        };
        if ftype.is_fktp() && active {
            let id = fktps.codes.len() as u32;
            fktps.by_regency[reg].push(id);
            fktps
                .by_province
                .entry(regency.province_code.clone())
                .or_default()
                .push(id);
            fktps.codes.push(code_str.to_string());
        }

        w.write_field(code_str)?;
        w.write_field(&name)?;
        w.write_field(ftype.code())?;
        buf.clear();
        push_address(&mut buf, &district.name, rng);
        w.write_field(&buf)?;
        w.write_field(&district.name)?;
        w.write_field(&regency.name)?;
        w.write_field(&regency.province_code)?;
        buf.clear();
        if matches!(ftype, FType::Dokter | FType::DokterGigi) {
            push_mobile(&mut buf, rng);
        } else {
            push_landline(&mut buf, world.area_code[reg], rng);
        }
        w.write_field(&buf)?;
        buf.clear();
        push_hours(&mut buf, ftype, world.zone[reg], rng);
        w.write_field(&buf)?;
        buf.clear();
        push_coord(&mut buf, lat, lon);
        let (lat_s, lon_s) = buf.split_at(buf.find(',').unwrap_or(0));
        w.write_field(lat_s)?;
        w.write_field(&lon_s[1..])?;
        w.write_field(capacity.to_string())?;
        w.write_field(members.to_string())?;
        w.write_field(if active { "1" } else { "0" })?;
        w.write_record(None::<&[u8]>)?;
    }
    Ok(fktps)
}

fn jitter(regency: &Regency, spread: f64, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let lat = regency.lat + rng.random_range(-spread..spread);
    let lon = regency.lon + rng.random_range(-spread..spread);
    (lat, lon)
}

fn push_coord(buf: &mut String, lat: f64, lon: f64) {
    use std::fmt::Write as _;
    let _ = write!(buf, "{lat:.6},{lon:.6}");
}

fn push_address(buf: &mut String, district: &str, rng: &mut ChaCha8Rng) {
    use std::fmt::Write as _;
    buf.push_str("Jl. ");
    if rng.random_ratio(1, 5) {
        buf.push_str("Raya ");
        buf.push_str(district);
    } else {
        buf.push_str(STREETS[rng.random_range(0..STREETS.len())]);
    }
    let _ = write!(buf, " No. {}", rng.random_range(1..=250));
    if rng.random_ratio(3, 10) {
        // The em dash keeps non-ASCII text in every generated dataset, so importers and
        // printers get exercised on UTF-8.
        let _ = write!(
            buf,
            " — RT {:02}/RW {:02}",
            rng.random_range(1..=15),
            rng.random_range(1..=12)
        );
    }
}

fn push_landline(buf: &mut String, area: &str, rng: &mut ChaCha8Rng) {
    use std::fmt::Write as _;
    let digits = if area.len() == 3 { 7 } else { 6 };
    let _ = write!(buf, "({area}) {}", rng.random_range(2..=9));
    for _ in 1..digits {
        buf.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

fn push_mobile(buf: &mut String, rng: &mut ChaCha8Rng) {
    use std::fmt::Write as _;
    let prefix = [
        "0811", "0812", "0813", "0821", "0852", "0857", "0878", "0896",
    ];
    let _ = write!(
        buf,
        "{}-{:04}-{:04}",
        prefix[rng.random_range(0..prefix.len())],
        rng.random_range(0..10_000),
        rng.random_range(0..10_000)
    );
}

fn push_hours(buf: &mut String, ftype: FType, zone: &str, rng: &mut ChaCha8Rng) {
    let text = match ftype {
        FType::Puskesmas => "Senin–Kamis 07.30–14.30, Jumat 07.30–11.30, Sabtu 07.30–13.00",
        FType::Klinik if rng.random_ratio(1, 4) => "Setiap hari 24 jam",
        FType::Klinik => "Senin–Sabtu 08.00–21.00",
        FType::Dokter | FType::DokterGigi if rng.random_bool(0.5) => "Senin–Jumat 17.00–21.00",
        FType::Dokter | FType::DokterGigi => "Senin–Sabtu 16.00–20.00",
        FType::Apotek => "Setiap hari 08.00–22.00",
        FType::Optik => "Senin–Sabtu 09.00–20.00",
        _ => "IGD 24 jam; poliklinik Senin–Jumat 08.00–14.00",
    };
    buf.push_str(text);
    if text != "Setiap hari 24 jam" {
        buf.push(' ');
        buf.push_str(zone);
    }
}

// ---------------------------------------------------------------------------------------
// Offices.

/// Regional deputy offices: (numeral, seat regency). A plausible layout, not the
/// official one.
const KEDEPUTIAN: [(&str, &str); 12] = [
    ("I", "1271"),
    ("II", "1471"),
    ("III", "1671"),
    ("IV", "3174"),
    ("V", "3273"),
    ("VI", "3374"),
    ("VII", "3578"),
    ("VIII", "6471"),
    ("IX", "7371"),
    ("X", "7171"),
    ("XI", "5171"),
    ("XII", "9171"),
];

fn gen_offices(world: &World, n: usize, rng: &mut ChaCha8Rng, w: &mut CsvOut) -> Result<u64> {
    w.write_record(OFFICES_HEADER)?;
    let regs = world.regencies;
    // Seats first: each province's most populous regency, then the rest by population.
    let weight = |i: usize| {
        let c = &world.regency_picker.cumulative;
        c[i] - if i == 0 { 0 } else { c[i - 1] }
    };
    let mut order: Vec<usize> = (0..regs.len()).collect();
    order.sort_by(|&a, &b| weight(b).cmp(&weight(a)).then(a.cmp(&b)));
    let mut seats = Vec::new();
    let mut seen_province = std::collections::HashSet::new();
    for &i in &order {
        if seen_province.insert(regs[i].province_code.as_str()) {
            seats.push(i);
        }
    }
    for &i in &order {
        if !seats.contains(&i) {
            seats.push(i);
        }
    }

    let mut rows: Vec<(String, String, &str, usize)> = Vec::with_capacity(n);
    if n > 0 {
        let jp = regs.partition_point(|r| r.code.as_str() < "3171");
        rows.push((
            "PUSAT".into(),
            "Kantor Pusat BPJS Kesehatan".into(),
            "PUSAT",
            jp,
        ));
    }
    for (numeral, seat) in KEDEPUTIAN {
        if rows.len() >= n {
            break;
        }
        let i = regs.partition_point(|r| r.code.as_str() < seat);
        rows.push((
            format!("KW-{numeral}"),
            format!("Kedeputian Wilayah {numeral} ({})", world.short[i]),
            "KEDEPUTIAN",
            i,
        ));
    }
    // Roughly the real proportions: about a quarter of regencies host a branch office,
    // most of the others a regency office, and MPP counters spread over both.
    let rest = n.saturating_sub(rows.len());
    let cabang = (rest / 2).min(seats.len() / 4);
    let mpp = ((rest - cabang) / 2).min(seats.len());
    let kabkota = (rest - cabang - mpp).min(seats.len() - cabang);
    for &i in &seats[..cabang] {
        rows.push((
            format!("KC-{}", regs[i].code),
            format!("Kantor Cabang {}", world.short[i]),
            "CABANG",
            i,
        ));
    }
    for &i in &seats[cabang..cabang + kabkota] {
        rows.push((
            format!("KK-{}", regs[i].code),
            format!("Kantor BPJS Kesehatan {}", world.display[i]),
            "KABKOTA",
            i,
        ));
    }
    for &i in &seats[..mpp] {
        rows.push((
            format!("MPP-{}", regs[i].code),
            format!("MPP {}", world.display[i]),
            "MPP",
            i,
        ));
    }

    let mut buf = String::with_capacity(96);
    for (code, name, level, i) in &rows {
        let regency = &regs[*i];
        let districts = world.districts[*i];
        let district = &districts[rng.random_range(0..districts.len())].name;
        w.write_field(code)?;
        w.write_field(name)?;
        w.write_field(level)?;
        buf.clear();
        if *level == "PUSAT" {
            buf.push_str("Jl. Letjen Suprapto Kav. 20 No. 14, Cempaka Putih");
        } else if *level == "MPP" {
            buf.push_str("Gedung Mal Pelayanan Publik, ");
            push_address(&mut buf, district, rng);
        } else {
            push_address(&mut buf, district, rng);
        }
        w.write_field(&buf)?;
        w.write_field(&regency.name)?;
        buf.clear();
        if *level == "PUSAT" {
            buf.push_str("165");
        } else {
            push_landline(&mut buf, world.area_code[*i], rng);
        }
        w.write_field(&buf)?;
        buf.clear();
        buf.push_str(if *level == "MPP" {
            "Senin–Jumat 08.00–15.00, Sabtu 08.00–12.00 "
        } else {
            "Senin–Jumat 08.00–15.00 "
        });
        buf.push_str(world.zone[*i]);
        w.write_field(&buf)?;
        let (lat, lon) = jitter(regency, 0.02, rng);
        buf.clear();
        push_coord(&mut buf, lat, lon);
        let (lat_s, lon_s) = buf.split_at(buf.find(',').unwrap_or(0));
        w.write_field(lat_s)?;
        w.write_field(&lon_s[1..])?;
        w.write_record(None::<&[u8]>)?;
    }
    Ok(rows.len() as u64)
}

// ---------------------------------------------------------------------------------------
// Tariffs.

fn write_tariffs(w: &mut CsvOut) -> Result<u64> {
    w.write_record(TARIFFS_HEADER)?;
    let rows: [(&str, &str, &str); 8] = [
        ("PBPU", "1", "150000"),
        ("PBPU", "2", "100000"),
        ("PBPU", "3", "35000"),
        ("BP", "1", "150000"),
        ("BP", "2", "100000"),
        ("BP", "3", "35000"),
        // PBI is paid by the government: the member owes nothing.
        ("PBI_APBN", "3", "0"),
        ("PBI_APBD", "3", "0"),
    ];
    for (segment, kelas, amount) in rows {
        w.write_record(["2021-01-01", segment, kelas, amount])?;
    }
    Ok(rows.len() as u64)
}

// ---------------------------------------------------------------------------------------
// Members and bills.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Seg {
    PbiApbn,
    PbiApbd,
    PpuPn,
    PpuBu,
    Pbpu,
    Bp,
}

/// Segment, share in per mille of families (domain.md mix).
const SEGMENTS: [(Seg, u64); 6] = [
    (Seg::PbiApbn, 400),
    (Seg::PbiApbd, 120),
    (Seg::PpuPn, 80),
    (Seg::PpuBu, 200),
    (Seg::Pbpu, 170),
    (Seg::Bp, 30),
];

impl Seg {
    fn code(self) -> &'static str {
        match self {
            Self::PbiApbn => "PBI_APBN",
            Self::PbiApbd => "PBI_APBD",
            Self::PpuPn => "PPU_PN",
            Self::PpuBu => "PPU_BU",
            Self::Pbpu => "PBPU",
            Self::Bp => "BP",
        }
    }
    fn is_pbi(self) -> bool {
        matches!(self, Self::PbiApbn | Self::PbiApbd)
    }
    fn is_ppu(self) -> bool {
        matches!(self, Self::PpuPn | Self::PpuBu)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Rel {
    Peserta,
    Suami,
    Istri,
    Anak,
    Tambahan,
}

impl Rel {
    fn code(self) -> &'static str {
        match self {
            Self::Peserta => "PESERTA",
            Self::Suami => "SUAMI",
            Self::Istri => "ISTRI",
            Self::Anak => "ANAK",
            Self::Tambahan => "TAMBAHAN",
        }
    }
}

struct Person {
    rel: Rel,
    female: bool,
    age: u32,
    birth: NaiveDate,
    registered: NaiveDate,
    status: &'static str,
    /// `status_reason`: why a NON_AKTIF member is not active (empty otherwise).
    reason: &'static str,
    name: String,
}

/// Family sizes 1–6, per mille.
const FAMILY_SIZES: [u64; 6] = [150, 200, 250, 220, 120, 60];
const BALI_ORDER: [[&str; 4]; 3] = [
    ["Wayan", "Made", "Nyoman", "Ketut"],
    ["Putu", "Kadek", "Komang", "Ketut"],
    ["Gede", "Nengah", "Nyoman", "Ketut"],
];
/// Given names that are titles or prefixes and need a second name after them.
const NEEDS_SECOND: [&str; 6] = ["Teuku", "Cut", "Andi", "Muhammad", "Nur", "Sri"];

fn gen_members(
    world: &World,
    opts: &GenOptions,
    fktps: &Fktps,
    rng: &mut ChaCha8Rng,
    mw: &mut CsvOut,
    bw: &mut CsvOut,
) -> Result<(u64, u64, u64)> {
    mw.write_record(MEMBERS_HEADER)?;
    bw.write_record(BILLS_HEADER)?;
    if opts.members == 0 {
        return Ok((0, 0, 0));
    }
    if fktps.codes.is_empty() {
        bail!("no active FKTP was generated; raise the facility count");
    }
    let today = opts.today;
    let jkn_start = NaiveDate::from_ymd_opt(2014, 1, 1).expect("valid date");
    let month_ago = today - Months::new(1);
    let today_month = month_index(today);
    let size_picker = Picker::new(FAMILY_SIZES.to_vec());
    let seg_picker = Picker::new(SEGMENTS.iter().map(|(_, s)| *s).collect());
    // A bijection on 0..10^9 (3^18 is coprime to 10^9) spreads card numbers out while
    // keeping them unique.
    let card_offset = opts.seed % 1_000_000_000;
    let mut nik_serial: HashMap<u64, u16> = HashMap::with_capacity(opts.members);
    let mut kk_serial: HashMap<u64, u16> = HashMap::new();
    let mut people: Vec<Person> = (0..6)
        .map(|_| Person {
            rel: Rel::Peserta,
            female: false,
            age: 0,
            birth: today,
            registered: today,
            status: "AKTIF",
            reason: "",
            name: String::with_capacity(48),
        })
        .collect();
    let mut family_name = String::with_capacity(24);
    let mut num = String::with_capacity(16);
    let mut written = 0usize;
    let mut families = 0u64;
    let mut bills = 0u64;

    while written < opts.members {
        let size = (size_picker.pick(rng) + 1).min(opts.members - written);
        families += 1;
        let reg = world.regency_picker.pick(rng);
        let districts = world.districts[reg];
        let d_local = rng.random_range(0..districts.len());
        let district = &districts[d_local];
        let district_key = (world.district_base[reg] + d_local) as u64;
        let group = world.name_group(reg, rng);
        let seg = SEGMENTS[seg_picker.pick(rng)].0;

        // Make-up and ages.
        let with_spouse = size >= 2 && rng.random_ratio(85, 100);
        let with_extra = size >= 3 && rng.random_ratio(6, 100);
        let head_female = if with_spouse {
            rng.random_ratio(1, 10)
        } else {
            rng.random_ratio(4, 10)
        };
        let has_dependants = size >= 2;
        let head_age = if has_dependants {
            22 + rng.random_range(0..=25) + rng.random_range(0..=25)
        } else {
            18 + rng.random_range(0..=30) + rng.random_range(0..=30)
        };
        let mut youngest_parent = head_age;
        for (k, p) in people.iter_mut().enumerate().take(size) {
            p.status = "AKTIF";
            p.reason = "";
            if k == 0 {
                p.rel = Rel::Peserta;
                p.female = head_female;
                p.age = head_age;
            } else if k == 1 && with_spouse {
                p.female = !head_female;
                p.rel = if p.female { Rel::Istri } else { Rel::Suami };
                let delta: i32 = rng.random_range(-8..=5);
                p.age = (head_age as i32 + delta).clamp(18, 95) as u32;
                youngest_parent = youngest_parent.min(p.age);
            } else if k == size - 1 && with_extra {
                p.rel = Rel::Tambahan;
                p.female = rng.random_bool(0.6);
                p.age = if head_age + 20 <= 90 {
                    rng.random_range(head_age + 20..=(head_age + 35).min(90))
                } else {
                    rng.random_range(head_age - 5..=head_age.min(95))
                };
            } else {
                p.rel = Rel::Anak;
                p.female = rng.random_bool(0.5);
                p.age = 0; // set below, once the parents are known
            }
        }
        let max_child = youngest_parent.saturating_sub(18).min(25);
        for p in people.iter_mut().take(size) {
            if p.rel == Rel::Anak {
                p.age = rng.random_range(0..=max_child);
            }
        }
        // Older children first, as on a KK, and so Balinese birth-order names fit.
        people[..size].sort_by_key(|p| (rel_rank(p.rel), std::cmp::Reverse(p.age)));

        // Dates.
        let arrears_months: u32 = if matches!(seg, Seg::Pbpu | Seg::Bp) && rng.random_ratio(15, 100)
        {
            rng.random_range(1..=30)
        } else {
            0
        };
        let billed_months = if arrears_months > 0 {
            (arrears_months + 1).max(12)
        } else {
            12
        };
        let reg_latest = if arrears_months > 0 {
            first_of_month(today) - Months::new(billed_months - 1)
        } else {
            month_ago
        };
        // The head is an adult when registering.
        let mut family_reg = random_date(rng, jkn_start, reg_latest);
        for p in people.iter_mut().take(size) {
            let days = u64::from(p.age) * 365 + u64::from(p.age / 4) + rng.random_range(0..365);
            // Nobody in the data is younger than a month, so registration can follow birth.
            p.birth = today - Days::new(days.max(31));
        }
        let head_adult = people[0].birth + Months::new(12 * 18);
        if family_reg < head_adult {
            family_reg = head_adult.min(reg_latest).max(jkn_start);
        }
        for p in people.iter_mut().take(size) {
            p.registered = if p.birth >= family_reg {
                (p.birth + Days::new(rng.random_range(0..=28))).min(month_ago.max(p.birth))
            } else {
                family_reg
            };
        }
        let fktp_since = recent_or_uniform(rng, family_reg, today);
        let kelas_since = recent_or_uniform(rng, family_reg, today);

        // Segment details shared by the family.
        let (kelas, wage, employer) = match seg {
            Seg::PbiApbn | Seg::PbiApbd => (3u8, 0u64, ""),
            Seg::PpuPn | Seg::PpuBu => {
                let hi = if seg == Seg::PpuPn { 240 } else { 300 };
                let wage = rng.random_range(50..=hi) * 50_000;
                let employer = if seg == Seg::PpuPn {
                    match rng.random_range(0..100) {
                        0..20 => "TNI",
                        20..35 => "POLRI",
                        _ => "",
                    }
                } else {
                    ""
                };
                (if wage > 4_000_000 { 1 } else { 2 }, wage, employer)
            }
            Seg::Pbpu | Seg::Bp => {
                let k = match rng.random_range(0..100) {
                    0..20 => 1,
                    20..45 => 2,
                    _ => 3,
                };
                (k, 0, "")
            }
        };
        let family_dropped = (seg.is_pbi() && rng.random_ratio(6, 100))
            || (seg.is_ppu() && rng.random_ratio(15, 1000));
        for (k, p) in people.iter_mut().enumerate().take(size) {
            if family_dropped {
                p.status = "NON_AKTIF";
                p.reason = if seg.is_pbi() {
                    "PBI_DTKS"
                } else {
                    "PEMBERI_KERJA_BERHENTI"
                };
            } else if k > 0 && rng.random_ratio(15, 1000) {
                p.status = "MENINGGAL";
            } else if seg.is_ppu() && p.rel == Rel::Anak && p.age > 21 {
                p.status = "NON_AKTIF";
                p.reason = "USIA_TANGGUNGAN";
            }
        }

        // Names.
        family_name.clear();
        if !group.family.is_empty() {
            family_name.push_str(&group.family[rng.random_range(0..group.family.len())]);
        }
        let bali_set = rng.random_range(0..BALI_ORDER.len());
        let mut child_no = 0usize;
        for p in people.iter_mut().take(size) {
            p.name.clear();
            let order = match p.rel {
                Rel::Anak => {
                    child_no += 1;
                    Some(BALI_ORDER[bali_set][(child_no - 1) % 4])
                }
                _ => Some(BALI_ORDER[bali_set][rng.random_range(0..4)]),
            };
            // A wife keeps her own marga (Batak) or takes the husband's fam (Minahasa,
            // Maluku, NTT, Papua); children carry the head's family name.
            let fam = if group.family.is_empty() {
                None
            } else if matches!(p.rel, Rel::Istri | Rel::Suami | Rel::Tambahan)
                && (group.id == "BATAK" || p.rel != Rel::Istri)
            {
                Some(group.family[rng.random_range(0..group.family.len())].as_str())
            } else {
                Some(family_name.as_str())
            };
            push_person_name(&mut p.name, group, p.female, fam, order, rng);
        }

        // Numbers.
        let kk_issued = random_date(
            rng,
            NaiveDate::from_ymd_opt(2010, 1, 1).expect("date"),
            family_reg,
        );
        let mut kk = [0u8; 16];
        kk[..6].copy_from_slice(district.code.as_bytes());
        write_ddmmyy(&mut kk[6..12], kk_issued, false);
        let kk_key = (district_key << 20) | days_key(kk_issued);
        let serial = next_serial(&mut kk_serial, kk_key, rng);
        write_digits(&mut kk[12..16], u64::from(serial));
        let kk_str = std::str::from_utf8(&kk).expect("ASCII digits");

        let fktp = {
            let local = &fktps.by_regency[reg];
            let province = fktps.by_province.get(&world.regencies[reg].province_code);
            let i = if !local.is_empty() {
                local[rng.random_range(0..local.len())] as usize
            } else if let Some(p) = province.filter(|p| !p.is_empty()) {
                p[rng.random_range(0..p.len())] as usize
            } else {
                rng.random_range(0..fktps.codes.len())
            };
            fktps.codes[i].as_str()
        };

        for p in people.iter().take(size) {
            let mut nik = [0u8; 16];
            let mut birth = p.birth;
            let serial = loop {
                let key = (district_key << 20) | (days_key(birth) << 1) | u64::from(p.female);
                if let Some(s) = try_serial(&mut nik_serial, key, rng) {
                    break s;
                }
                // All 9,999 serials of that day are taken: a neighbouring birthday will do.
                birth = birth - Days::new(1);
            };
            nik[..6].copy_from_slice(district.code.as_bytes());
            write_ddmmyy(&mut nik[6..12], birth, p.female);
            write_digits(&mut nik[12..16], u64::from(serial));

            let idx = written as u64;
            let card = (idx * 387_420_489 + card_offset) % 1_000_000_000;
            let mut card_no = *b"0001000000000";
            write_digits(&mut card_no[4..13], card);

            let registered = p.registered.min(today);
            mw.write_field(card_no)?;
            mw.write_field(nik)?;
            mw.write_field(kk_str)?;
            mw.write_field(&p.name)?;
            mw.write_field(iso_date(birth))?;
            mw.write_field(if p.female { "P" } else { "L" })?;
            mw.write_field(p.rel.code())?;
            mw.write_field(seg.code())?;
            mw.write_field([b'0' + kelas])?;
            mw.write_field(fktp)?;
            mw.write_field(iso_date(fktp_since.max(registered)))?;
            mw.write_field(iso_date(kelas_since.max(registered)))?;
            mw.write_field(iso_date(registered))?;
            mw.write_field(p.status)?;
            if seg.is_ppu() && p.rel == Rel::Peserta {
                num.clear();
                push_u64(&mut num, wage);
                mw.write_field(&num)?;
            } else {
                mw.write_field("")?;
            }
            mw.write_field(employer)?;
            mw.write_field(p.reason)?;
            mw.write_record(None::<&[u8]>)?;
            written += 1;
        }

        // Bills for families that pay (PPU through the employer, PBPU/BP themselves).
        if seg.is_pbi() {
            continue;
        }
        let alive = people[..size]
            .iter()
            .filter(|p| p.status != "MENINGGAL")
            .count() as u64;
        let amount = if seg.is_ppu() {
            let base = wage.min(12_000_000);
            base * 5 / 100 + base * alive.saturating_sub(5) / 100
        } else {
            let tariff = match kelas {
                1 => 150_000,
                2 => 100_000,
                _ => 35_000,
            };
            tariff * alive
        };
        num.clear();
        push_u64(&mut num, amount);
        let unpaid_tail = if arrears_months > 0 {
            arrears_months
        } else if family_dropped {
            rng.random_range(2..=6)
        } else if rng.random_ratio(if today.day() <= 10 { 4 } else { 1 }, 10) {
            1
        } else {
            0
        };
        let reg_month = month_index(family_reg);
        let first = (today_month - i64::from(billed_months) + 1).max(reg_month);
        for m in first..=today_month {
            let (y, mo) = (m.div_euclid(12) as i32, m.rem_euclid(12) as u32 + 1);
            let mut period = *b"0000-00";
            write_digits(&mut period[..4], y as u64);
            write_digits(&mut period[5..7], u64::from(mo));
            bw.write_field(kk_str)?;
            bw.write_field(period)?;
            bw.write_field(&num)?;
            let unpaid = today_month - m < i64::from(unpaid_tail);
            if unpaid {
                bw.write_field("")?;
            } else {
                let last_day = if m == today_month {
                    today.day().min(10)
                } else {
                    10
                };
                let day = rng.random_range(1..=last_day);
                let date = NaiveDate::from_ymd_opt(y, mo, day).expect("day 1..=10 exists");
                bw.write_field(iso_date(date))?;
            }
            bw.write_record(None::<&[u8]>)?;
            bills += 1;
        }
    }
    Ok((written as u64, families, bills))
}

fn rel_rank(rel: Rel) -> u8 {
    match rel {
        Rel::Peserta => 0,
        Rel::Suami | Rel::Istri => 1,
        Rel::Anak => 2,
        Rel::Tambahan => 3,
    }
}

/// Appends a person's name in the tradition of `group`.
fn push_person_name(
    out: &mut String,
    group: &NameGroup,
    female: bool,
    family: Option<&str>,
    bali_order: Option<&str>,
    rng: &mut ChaCha8Rng,
) {
    let given = if female { &group.female } else { &group.male };
    let bali = group.id == "BALI";
    if bali {
        out.push_str(if female { "Ni " } else { "I " });
        out.push_str(bali_order.unwrap_or("Made"));
        out.push(' ');
    }
    let first = &given[rng.random_range(0..given.len())];
    out.push_str(first);
    let want_second = NEEDS_SECOND.contains(&first.as_str())
        || (!bali && family.is_none() && rng.random_bool(0.5))
        || (bali && rng.random_ratio(1, 3));
    if want_second && given.len() > 1 {
        let mut second = &given[rng.random_range(0..given.len())];
        if second == first || NEEDS_SECOND.contains(&second.as_str()) {
            second = &given[(given.iter().position(|g| g == first).unwrap_or(0) + 1) % given.len()];
        }
        if second != first {
            out.push(' ');
            out.push_str(second);
        }
    }
    if let Some(fam) = family.filter(|f| !f.is_empty()) {
        if female && group.id == "BATAK" {
            out.push_str(" Br ");
        } else {
            out.push(' ');
        }
        out.push_str(fam);
    }
}

/// A date in `[lo, hi]` (or `lo` when the range is empty).
fn random_date(rng: &mut ChaCha8Rng, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
    let span = (hi - lo).num_days();
    if span <= 0 {
        return lo;
    }
    lo + Days::new(rng.random_range(0..=span) as u64)
}

/// Within the last 3 months (20%), 3–12 months (15%), else anywhere since `since`, so that
/// the 3- and 12-month eligibility rules meet both outcomes.
fn recent_or_uniform(rng: &mut ChaCha8Rng, since: NaiveDate, today: NaiveDate) -> NaiveDate {
    let r = rng.random_range(0..100);
    let d = if r < 20 {
        today - Days::new(rng.random_range(0..90))
    } else if r < 35 {
        today - Days::new(rng.random_range(90..365))
    } else {
        random_date(rng, since, today)
    };
    d.max(since).min(today)
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn days_key(d: NaiveDate) -> u64 {
    // Days since 1900 in 19 bits (enough until the 3330s): unique per day, and leaves room
    // for the district and sex bits packed around it.
    (d - NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date")).num_days() as u64 & 0x7_ffff
}

/// The next free serial for `key`; a new key starts at a random serial so numbers do not
/// all end in 0001. `None` once 9999 is used.
fn try_serial(map: &mut HashMap<u64, u16>, key: u64, rng: &mut ChaCha8Rng) -> Option<u16> {
    match map.get_mut(&key) {
        Some(s) if *s >= 9999 => None,
        Some(s) => {
            *s += 1;
            Some(*s)
        }
        None => {
            let s = rng.random_range(1..=8999);
            map.insert(key, s);
            Some(s)
        }
    }
}

fn next_serial(map: &mut HashMap<u64, u16>, key: u64, rng: &mut ChaCha8Rng) -> u16 {
    // KK numbers share a district and issue day far less than 9,999 times; wrapping keeps
    // the function total without a retry loop.
    try_serial(map, key, rng).unwrap_or_else(|| {
        map.insert(key, 1);
        1
    })
}

fn write_digits(out: &mut [u8], mut n: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

fn write_ddmmyy(out: &mut [u8], d: NaiveDate, female: bool) {
    let day = d.day() + if female { 40 } else { 0 };
    write_digits(&mut out[0..2], u64::from(day));
    write_digits(&mut out[2..4], u64::from(d.month()));
    write_digits(&mut out[4..6], (d.year().rem_euclid(100)) as u64);
}

fn iso_date(d: NaiveDate) -> [u8; 10] {
    let mut out = *b"0000-00-00";
    write_digits(&mut out[0..4], d.year() as u64);
    write_digits(&mut out[5..7], u64::from(d.month()));
    write_digits(&mut out[8..10], u64::from(d.day()));
    out
}

fn push_u64(out: &mut String, n: u64) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn opts(members: usize, facilities: usize) -> GenOptions {
        GenOptions {
            members,
            facilities,
            offices: None,
            seed: 42,
            today: NaiveDate::from_ymd_opt(2025, 3, 7).unwrap(),
        }
    }

    fn read(dir: &Path, file: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
        let mut r = csv::Reader::from_path(dir.join(file)).unwrap();
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r.records().map(Result::unwrap).collect();
        (header, rows)
    }

    /// One generated dataset shared by the read-only tests.
    fn sample() -> &'static (tempfile::TempDir, GenSummary) {
        static SAMPLE: std::sync::OnceLock<(tempfile::TempDir, GenSummary)> =
            std::sync::OnceLock::new();
        SAMPLE.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let summary = generate(&opts(12_000, 600), dir.path()).unwrap();
            (dir, summary)
        })
    }

    #[test]
    fn same_options_give_identical_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let o = opts(2_000, 150);
        let sa = generate(&o, a.path()).unwrap();
        let sb = generate(&o, b.path()).unwrap();
        assert_eq!(sa, sb);
        for f in [
            "members.csv",
            "bills.csv",
            "facilities.csv",
            "offices.csv",
            "tariffs.csv",
            "info.csv",
            "services.csv",
        ] {
            let x = std::fs::read(a.path().join(f)).unwrap();
            let y = std::fs::read(b.path().join(f)).unwrap();
            assert!(x == y, "{f} differs between runs");
            assert!(!x.contains(&b'\r'), "{f} has CR line endings");
        }
        let c = tempfile::tempdir().unwrap();
        generate(&GenOptions { seed: 43, ..o }, c.path()).unwrap();
        assert_ne!(
            std::fs::read(a.path().join("members.csv")).unwrap(),
            std::fs::read(c.path().join("members.csv")).unwrap()
        );
        // The only rule it writes marks it as sample data.
        let rules = std::fs::read_to_string(a.path().join("rules.csv")).unwrap();
        assert_eq!(rules, SAMPLE_RULES_CSV);
    }

    #[test]
    fn headers_and_counts_are_exact() {
        let (dir, summary) = sample();
        let dir = dir.path();
        let files: [(&str, &[&str], u64); 5] = [
            ("members.csv", &MEMBERS_HEADER, summary.members),
            ("bills.csv", &BILLS_HEADER, summary.bills),
            ("facilities.csv", &FACILITIES_HEADER, summary.facilities),
            ("offices.csv", &OFFICES_HEADER, summary.offices),
            ("tariffs.csv", &TARIFFS_HEADER, summary.tariffs),
        ];
        for (file, header, count) in files {
            let (h, rows) = read(dir, file);
            assert_eq!(h, header, "{file} header");
            assert_eq!(rows.len() as u64, count, "{file} count");
        }
        assert_eq!(summary.members, 12_000);
        assert_eq!(summary.facilities, 600);
        assert_eq!(summary.offices, 30, "facilities/20, at least 20");
        let info = content::parse_info(File::open(dir.join("info.csv")).unwrap()).unwrap();
        assert_eq!(info, content::default_info());
        let services =
            content::parse_services(File::open(dir.join("services.csv")).unwrap()).unwrap();
        assert_eq!(services.len() as u64, summary.counter_services);
        let (_, tariffs) = read(dir, "tariffs.csv");
        let t: Vec<String> = tariffs
            .iter()
            .map(|r| r.iter().collect::<Vec<_>>().join(","))
            .collect();
        assert!(t.contains(&"2021-01-01,PBPU,3,35000".to_string()));
        assert!(t.contains(&"2021-01-01,BP,1,150000".to_string()));
        assert!(t.contains(&"2021-01-01,PBI_APBN,3,0".to_string()));
    }

    #[test]
    fn niks_match_birth_date_sex_and_a_real_district() {
        let (dir, _) = sample();
        let (_, rows) = read(dir.path(), "members.csv");
        let mut niks = HashSet::new();
        let mut cards = HashSet::new();
        let mut women = 0;
        for r in &rows {
            let (card, nik, kk, birth, sex) = (&r[0], &r[1], &r[2], &r[4], &r[5]);
            assert!(card.len() == 13 && card.starts_with("0001"));
            assert!(card.bytes().all(|b| b.is_ascii_digit()));
            assert!(nik.len() == 16 && nik.bytes().all(|b| b.is_ascii_digit()));
            assert!(kk.len() == 16 && kk.bytes().all(|b| b.is_ascii_digit()));
            assert!(cards.insert(card.to_string()), "duplicate card {card}");
            assert!(niks.insert(nik.to_string()), "duplicate NIK");
            assert!(
                regions::district(&nik[..6]).is_some(),
                "NIK region not real"
            );
            assert!(regions::district(&kk[..6]).is_some(), "KK region not real");
            let birth = NaiveDate::parse_from_str(birth, "%Y-%m-%d").unwrap();
            let mut dd: u32 = nik[6..8].parse().unwrap();
            if sex == "P" {
                women += 1;
                assert!((41..=71).contains(&dd));
                dd -= 40;
            } else {
                assert_eq!(sex, "L");
                assert!((1..=31).contains(&dd));
            }
            assert_eq!(dd, birth.day());
            assert_eq!(nik[8..10].parse::<u32>().unwrap(), birth.month());
            assert_eq!(nik[10..12].parse::<i32>().unwrap(), birth.year() % 100);
            let serial: u32 = nik[12..].parse().unwrap();
            assert!((1..=9999).contains(&serial));
            // The century rule (20YY unless in the future) must give back the birth year.
            let yy = birth.year() % 100;
            let today = opts(0, 0).today;
            let century = NaiveDate::from_ymd_opt(2000 + yy, birth.month(), birth.day())
                .filter(|d| *d <= today)
                .map_or(1900, |_| 2000);
            assert_eq!(century + yy, birth.year());
        }
        assert!(women > rows.len() / 3 && women < rows.len() * 2 / 3);
    }

    #[test]
    fn families_have_one_head_plausible_ages_and_one_segment() {
        let (dir, _) = sample();
        let (_, rows) = read(dir.path(), "members.csv");
        let today = opts(0, 0).today;
        let mut fams: HashMap<&str, Vec<&csv::StringRecord>> = HashMap::new();
        for r in &rows {
            fams.entry(&r[2]).or_default().push(r);
        }
        assert!(fams.len() > 2_500);
        let mut segs: HashMap<&str, usize> = HashMap::new();
        let mut statuses: HashMap<&str, usize> = HashMap::new();
        for members in fams.values() {
            assert!((1..=6).contains(&members.len()));
            let heads: Vec<_> = members.iter().filter(|r| &r[6] == "PESERTA").collect();
            assert_eq!(heads.len(), 1, "exactly one PESERTA per KK");
            let head = heads[0];
            assert_ne!(&head[13], "MENINGGAL");
            let head_birth = &head[4];
            for m in members {
                assert_eq!(&m[7], &head[7], "one segment per family");
                assert_eq!(&m[8], &head[8], "one kelas per family");
                assert_eq!(&m[9], &head[9], "one FKTP per family");
                if &m[6] == "ANAK" {
                    assert!(&m[4] > head_birth, "children are younger than the head");
                }
                let reg = &m[12];
                assert!(reg >= "2014-01-01" && reg >= &m[4]);
                assert!(&m[10] >= reg && &m[11] >= reg);
                for d in [&m[10], &m[11], &m[12]] {
                    assert!(*d <= *today.to_string(), "date after today");
                }
                *statuses.entry(&m[13]).or_default() += 1;
            }
            *segs.entry(&head[7]).or_default() += 1;
            let seg = &head[7];
            if seg.starts_with("PBI") {
                assert_eq!(&head[8], "3");
            }
            let wage = &head[14];
            assert_eq!(
                seg.starts_with("PPU"),
                !wage.is_empty(),
                "wage only for PPU heads"
            );
            if let Ok(w) = wage.parse::<u64>() {
                assert_eq!(&head[8], if w > 4_000_000 { "1" } else { "2" });
            }
            if !head[15].is_empty() {
                assert_eq!(seg, "PPU_PN");
                assert!(["TNI", "POLRI"].contains(&&head[15]));
            }
        }
        let fam_count = fams.len() as f64;
        let share = |s: &str| *segs.get(s).unwrap_or(&0) as f64 / fam_count;
        assert!((share("PBI_APBN") - 0.40).abs() < 0.04);
        assert!((share("PBPU") - 0.17).abs() < 0.03);
        assert!(share("BP") > 0.01);
        let total = rows.len() as f64;
        let non_aktif = *statuses.get("NON_AKTIF").unwrap_or(&0) as f64 / total;
        let meninggal = *statuses.get("MENINGGAL").unwrap_or(&0) as f64 / total;
        assert!(
            (0.015..0.06).contains(&non_aktif),
            "NON_AKTIF share {non_aktif}"
        );
        assert!(
            (0.003..0.02).contains(&meninggal),
            "MENINGGAL share {meninggal}"
        );
        let recent = rows
            .iter()
            .filter(|r| {
                let d = NaiveDate::parse_from_str(&r[10], "%Y-%m-%d").unwrap();
                (today - d).num_days() < 90
            })
            .count();
        assert!(recent > rows.len() / 10 && recent < rows.len() / 2);
    }

    #[test]
    fn members_are_registered_at_existing_fktps() {
        let (dir, _) = sample();
        let (_, facilities) = read(dir.path(), "facilities.csv");
        let fktp_types = [
            "PUSKESMAS",
            "KLINIK_PRATAMA",
            "DOKTER_PRAKTIK",
            "DOKTER_GIGI",
            "RS_D_PRATAMA",
        ];
        let by_code: HashMap<&str, &csv::StringRecord> =
            facilities.iter().map(|f| (&f[0], f)).collect();
        assert_eq!(by_code.len(), facilities.len(), "facility codes are unique");
        let (_, members) = read(dir.path(), "members.csv");
        let (mut same_regency, mut same_province) = (0, 0);
        for m in &members {
            let f = by_code.get(&m[9]).expect("member's FKTP exists");
            assert!(fktp_types.contains(&&f[2]), "{} is not an FKTP", &f[2]);
            assert_eq!(&f[13], "1", "members are registered at active FKTPs");
            same_regency += usize::from(f[0][..4] == m[1][..4]);
            same_province += usize::from(f[0][..2] == m[1][..2]);
        }
        // Every province has an active Puskesmas; with 600 facilities over 514 regencies
        // not every regency has an FKTP, so the province is the fallback.
        assert_eq!(same_province, members.len());
        assert!(same_regency > members.len() / 2);
    }

    #[test]
    fn facilities_are_realistic_and_cover_every_province() {
        let (dir, _) = sample();
        let (_, rows) = read(dir.path(), "facilities.csv");
        let mut provinces = HashSet::new();
        let (mut fktp, mut full, mut inactive, mut non_ascii) = (0, 0, 0, 0);
        let mut hours_with_dash = 0;
        for f in &rows {
            let code = &f[0];
            assert_eq!(code.len(), 8);
            let regency = regions::regency(&code[..4]).expect("code starts with a regency");
            assert_eq!(&f[5], regency.name.as_str());
            assert_eq!(&f[6], regency.province_code.as_str());
            assert!(
                regions::districts_of(&regency.code)
                    .iter()
                    .any(|d| d.name == f[4]),
                "kecamatan {} is not in {}",
                &f[4],
                regency.name
            );
            let lat: f64 = f[9].parse().unwrap();
            let lon: f64 = f[10].parse().unwrap();
            assert!((lat - regency.lat).abs() <= 0.15 && (lon - regency.lon).abs() <= 0.15);
            assert_eq!(f[9].split('.').nth(1).unwrap().len(), 6);
            let cap: u32 = f[11].parse().unwrap();
            let members: u32 = f[12].parse().unwrap();
            assert!(members <= cap);
            provinces.insert(f[6].to_string());
            if [
                "PUSKESMAS",
                "KLINIK_PRATAMA",
                "DOKTER_PRAKTIK",
                "DOKTER_GIGI",
                "RS_D_PRATAMA",
            ]
            .contains(&&f[2])
            {
                fktp += 1;
                assert!((2_000..=20_000).contains(&cap));
                full += usize::from(members == cap);
            } else {
                assert_eq!((cap, members), (0, 0));
            }
            inactive += usize::from(&f[13] == "0");
            non_ascii += usize::from(!f[3].is_ascii());
            assert!(!f[8].is_empty());
            hours_with_dash += usize::from(f[8].contains('–'));
        }
        assert!(hours_with_dash > rows.len() / 2);
        assert_eq!(provinces.len(), 38);
        assert!(fktp > rows.len() / 2);
        assert!(full > fktp / 30 && full < fktp / 6, "about 8% full");
        assert!(inactive > 0 && inactive < rows.len() / 10);
        assert!(non_ascii > 0);
        let java: usize = rows.iter().filter(|f| f[6].starts_with('3')).count();
        assert!(java > rows.len() / 3, "weighted toward Java");
    }

    #[test]
    fn bills_cover_twelve_months_and_some_families_owe_over_24() {
        let (dir, _) = sample();
        let today = opts(0, 0).today;
        let (_, members) = read(dir.path(), "members.csv");
        let seg: HashMap<&str, &str> = members.iter().map(|m| (&m[2], &m[7])).collect();
        let (_, bills) = read(dir.path(), "bills.csv");
        let mut unpaid: HashMap<&str, usize> = HashMap::new();
        let mut months: HashMap<&str, HashSet<&str>> = HashMap::new();
        for b in &bills {
            let s = seg.get(&b[0]).expect("bill for a known family");
            assert!(!s.starts_with("PBI"), "PBI families get no bills");
            let period = &b[1];
            assert_eq!(period.len(), 7);
            assert!(*period <= *today.format("%Y-%m").to_string());
            assert!(
                months.entry(&b[0]).or_default().insert(period),
                "duplicate period"
            );
            let amount: u64 = b[2].parse().unwrap();
            if ["PBPU", "BP"].contains(s) {
                assert!(amount.is_multiple_of(35_000) || amount.is_multiple_of(50_000));
            }
            if b[3].is_empty() {
                *unpaid.entry(&b[0]).or_default() += 1;
            } else {
                let paid = NaiveDate::parse_from_str(&b[3], "%Y-%m-%d").unwrap();
                assert_eq!(paid.format("%Y-%m").to_string(), *period);
                assert!(paid.day() <= 10 && paid <= today);
            }
        }
        let payers = seg.values().filter(|s| !s.starts_with("PBI")).count();
        assert_eq!(months.len(), payers, "every paying family has bills");
        assert!(
            unpaid.values().any(|&n| n >= 25),
            "some families beyond the 24-month cap"
        );
        assert!(
            unpaid.values().any(|&n| (4..=24).contains(&n)),
            "some REHAB candidates"
        );
        assert!(months.values().any(|m| m.len() == 12));
    }

    #[test]
    fn offices_have_unique_short_codes_and_one_head_office() {
        let (dir, _) = sample();
        let (_, rows) = read(dir.path(), "offices.csv");
        let codes: HashSet<&str> = rows.iter().map(|r| &r[0]).collect();
        assert_eq!(codes.len(), rows.len());
        assert!(codes.iter().all(|c| c.len() <= 16));
        let levels: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
        assert_eq!(levels.iter().filter(|l| **l == "PUSAT").count(), 1);
        for l in ["KEDEPUTIAN", "CABANG", "KABKOTA", "MPP"] {
            assert!(levels.contains(&l), "no {l} office");
        }
        assert!(rows.iter().any(|r| r[1].starts_with("MPP Kota")));
        let custom = tempfile::tempdir().unwrap();
        let s = generate(
            &GenOptions {
                offices: Some(5),
                ..opts(10, 50)
            },
            custom.path(),
        )
        .unwrap();
        assert_eq!(s.offices, 5);
    }

    #[test]
    fn bad_options_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(generate(&opts(10, 0), dir.path()).is_err());
        let old = GenOptions {
            today: NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
            ..opts(10, 10)
        };
        assert!(generate(&old, dir.path()).is_err());
        let empty = generate(&opts(0, 0), dir.path()).unwrap();
        assert_eq!((empty.members, empty.bills), (0, 0));
    }

    /// `cargo test --release -- --ignored --nocapture million` prints the time taken.
    #[test]
    #[ignore]
    fn million_members() {
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        let s = generate(&opts(1_000_000, 30_000), dir.path()).unwrap();
        println!("{s:?} in {:.2?}", start.elapsed());
    }
}
