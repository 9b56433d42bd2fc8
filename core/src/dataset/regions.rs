//! Real Indonesian region codes (Kemendagri) and Indonesian name lists, embedded from
//! `data/`.
//!
//! This module owns the province, regency (kabupaten/kota) and district (kecamatan)
//! tables, the approximate regency centroids, and the name lists the generator draws from.
//! It validates nothing about members or facilities; NIK rules live in the domain module,
//! which may ask this one whether a code exists. See `data/README.md` for where the data
//! comes from and how accurate the coordinates are.

use std::io::Read;
use std::sync::OnceLock;

const PROVINCES_CSV: &str = include_str!("data/provinces.csv");
const REGENCIES_CSV: &str = include_str!("data/regencies.csv");
const DISTRICTS_CSV: &str = include_str!("data/districts.csv");
const NAMES_CSV: &str = include_str!("data/names.csv");

/// A province (provinsi), e.g. `32` JAWA BARAT.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Province {
    /// Two digits, the `PP` of a NIK.
    pub code: String,
    /// Official name in capitals.
    pub name: String,
}

/// A regency or city (kabupaten/kota), e.g. `3273` KOTA BANDUNG.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Regency {
    /// Four digits: province code + `KK` (01–69 kabupaten, 71–99 kota).
    pub code: String,
    /// The province's two digits.
    pub province_code: String,
    /// Official name in capitals, with its `KABUPATEN`/`KOTA` prefix.
    pub name: String,
    /// Approximate centroid latitude (see `data/README.md` for accuracy).
    pub lat: f64,
    /// Approximate centroid longitude.
    pub lon: f64,
}

impl Regency {
    /// Whether this is a kota (city) rather than a kabupaten.
    pub fn is_kota(&self) -> bool {
        self.code[2..] >= *"71"
    }

    /// The name for people, e.g. `Kota Bandung`, `Kabupaten Aceh Selatan`.
    pub fn display_name(&self) -> String {
        title_case(&self.name)
    }

    /// The name without its `KABUPATEN`/`KOTA` prefix, in title case, e.g. `Bandung`.
    pub fn short_name(&self) -> String {
        let bare = self
            .name
            .strip_prefix("KABUPATEN ")
            .or_else(|| self.name.strip_prefix("KOTA ADMINISTRASI "))
            .or_else(|| self.name.strip_prefix("KOTA "))
            .unwrap_or(&self.name);
        title_case(bare)
    }
}

/// A district (kecamatan), e.g. `327302` Coblong.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct District {
    /// Six digits: regency code + `CC`, the first six digits of a NIK.
    pub code: String,
    /// The regency's four digits.
    pub regency_code: String,
    /// Name as published, in title case.
    pub name: String,
}

/// Sex a given name is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum NameSex {
    /// Laki-laki.
    Male,
    /// Perempuan.
    Female,
}

/// The names of one naming tradition, e.g. `BATAK` or `SUNDA`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NameGroup {
    /// Group id as in `names.csv`.
    pub id: String,
    /// Given names used for men.
    pub male: Vec<String>,
    /// Given names used for women.
    pub female: Vec<String>,
    /// Family names (marga, fam) shared down a family; empty where the tradition has none.
    pub family: Vec<String>,
}

/// A region or name file that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file} line {line}: {reason}")]
pub struct RegionError {
    /// File name, e.g. `regencies.csv`.
    pub file: &'static str,
    /// 1-based line, the header is line 1; 0 when unknown.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// All embedded region tables, sorted by code.
#[derive(Debug)]
pub struct Regions {
    /// Provinces by code.
    pub provinces: Vec<Province>,
    /// Regencies by code.
    pub regencies: Vec<Regency>,
    /// Districts by code, so each regency's districts are contiguous.
    pub districts: Vec<District>,
}

struct Embedded {
    regions: Regions,
    names: Vec<NameGroup>,
}

fn embedded() -> &'static Embedded {
    static DATA: OnceLock<Embedded> = OnceLock::new();
    DATA.get_or_init(|| {
        // The embedded files are checked by this module's tests; failure is a build bug.
        let regions = parse_regions(
            PROVINCES_CSV.as_bytes(),
            REGENCIES_CSV.as_bytes(),
            DISTRICTS_CSV.as_bytes(),
        )
        .expect("embedded region data is valid");
        let names = parse_names(NAMES_CSV.as_bytes()).expect("embedded names.csv is valid");
        Embedded { regions, names }
    })
}

/// All provinces, by code.
pub fn provinces() -> &'static [Province] {
    &embedded().regions.provinces
}

/// All regencies and cities, by code.
pub fn regencies() -> &'static [Regency] {
    &embedded().regions.regencies
}

/// All districts, by code.
pub fn districts() -> &'static [District] {
    &embedded().regions.districts
}

/// The province with this two-digit code.
pub fn province(code: &str) -> Option<&'static Province> {
    let p = provinces();
    p.binary_search_by(|x| x.code.as_str().cmp(code))
        .ok()
        .map(|i| &p[i])
}

/// The province's name, e.g. `JAWA BARAT` for `32`.
pub fn province_name(code: &str) -> Option<&'static str> {
    province(code).map(|p| p.name.as_str())
}

/// The regency with this four-digit code.
pub fn regency(code: &str) -> Option<&'static Regency> {
    let r = regencies();
    r.binary_search_by(|x| x.code.as_str().cmp(code))
        .ok()
        .map(|i| &r[i])
}

/// The district with this six-digit code.
pub fn district(code: &str) -> Option<&'static District> {
    let d = districts();
    d.binary_search_by(|x| x.code.as_str().cmp(code))
        .ok()
        .map(|i| &d[i])
}

/// The regencies of one province, by code.
pub fn regencies_of(province_code: &str) -> &'static [Regency] {
    let r = regencies();
    let start = r.partition_point(|x| x.province_code.as_str() < province_code);
    let end = r.partition_point(|x| x.province_code.as_str() <= province_code);
    &r[start..end]
}

/// The districts of one regency, by code; empty for an unknown regency.
pub fn districts_of(regency_code: &str) -> &'static [District] {
    let d = districts();
    let start = d.partition_point(|x| x.regency_code.as_str() < regency_code);
    let end = d.partition_point(|x| x.regency_code.as_str() <= regency_code);
    &d[start..end]
}

/// The embedded name groups.
pub fn name_groups() -> &'static [NameGroup] {
    &embedded().names
}

/// The name group with this id.
pub fn name_group(id: &str) -> Option<&'static NameGroup> {
    name_groups().iter().find(|g| g.id == id)
}

/// Which naming traditions are common in a province, with relative weights.
///
/// A rough picture for synthetic data, not demography: it keeps Batak marga in North
/// Sumatra and Balinese birth-order names in Bali, with some migration everywhere.
pub fn name_mix(province_code: &str) -> &'static [(&'static str, u32)] {
    match province_code {
        "11" => &[("ACEH", 85), ("MELAYU", 10), ("JAWA", 5)],
        "12" => &[("BATAK", 55), ("MELAYU", 25), ("JAWA", 20)],
        "13" => &[("MINANG", 90), ("JAWA", 5), ("BATAK", 5)],
        "14" | "15" | "16" | "17" | "19" | "21" => {
            &[("MELAYU", 60), ("JAWA", 25), ("MINANG", 8), ("BATAK", 7)]
        }
        "18" => &[("JAWA", 55), ("MELAYU", 35), ("SUNDA", 10)],
        "31" => &[
            ("JAWA", 35),
            ("SUNDA", 20),
            ("MELAYU", 20),
            ("BATAK", 10),
            ("MINANG", 8),
            ("MINAHASA", 7),
        ],
        "32" | "36" => &[("SUNDA", 80), ("JAWA", 15), ("MELAYU", 5)],
        "33" | "34" | "35" => &[("JAWA", 90), ("MELAYU", 10)],
        "51" => &[("BALI", 85), ("JAWA", 10), ("MELAYU", 5)],
        "52" => &[("MELAYU", 80), ("BALI", 10), ("BUGIS", 10)],
        "53" => &[("NTT", 85), ("MELAYU", 10), ("JAWA", 5)],
        "61" | "62" | "63" | "64" | "65" => {
            &[("MELAYU", 50), ("JAWA", 25), ("BUGIS", 15), ("NTT", 10)]
        }
        "71" => &[("MINAHASA", 80), ("MELAYU", 20)],
        "72" | "73" | "74" | "76" => &[("BUGIS", 80), ("MELAYU", 15), ("JAWA", 5)],
        "75" => &[("MELAYU", 85), ("BUGIS", 15)],
        "81" => &[("MALUKU", 80), ("MELAYU", 10), ("BUGIS", 10)],
        "82" => &[("MELAYU", 55), ("MALUKU", 35), ("BUGIS", 10)],
        "91" | "92" | "93" | "94" | "95" | "96" => {
            &[("PAPUA", 65), ("JAWA", 15), ("BUGIS", 10), ("MALUKU", 10)]
        }
        _ => &[("JAWA", 50), ("MELAYU", 50)],
    }
}

/// Parses the three region tables (`provinces.csv`, `regencies.csv`, `districts.csv`
/// formats) and checks that every code is well formed, unique, sorted, and points at an
/// existing parent.
pub fn parse_regions(
    provinces: impl Read,
    regencies: impl Read,
    districts: impl Read,
) -> Result<Regions, RegionError> {
    let mut out = Regions {
        provinces: Vec::new(),
        regencies: Vec::new(),
        districts: Vec::new(),
    };
    read_csv(provinces, "provinces.csv", &["code", "name"], |line, r| {
        let code = digits(&r[0], 2, "provinces.csv", line)?;
        out.provinces.push(Province {
            code,
            name: non_empty(&r[1], "provinces.csv", line)?,
        });
        Ok(())
    })?;
    ensure_sorted(&out.provinces, |p| &p.code, "provinces.csv")?;

    let file = "regencies.csv";
    read_csv(
        regencies,
        file,
        &["code", "province_code", "name", "lat", "lon"],
        |line, r| {
            let code = digits(&r[0], 4, file, line)?;
            let province_code = digits(&r[1], 2, file, line)?;
            if !code.starts_with(&province_code) {
                return Err(err(file, line, "code does not start with province_code"));
            }
            if out
                .provinces
                .binary_search_by(|p| p.code.cmp(&province_code))
                .is_err()
            {
                return Err(err(file, line, "unknown province_code"));
            }
            let lat = coord(&r[3], -11.5, 6.5, file, line)?;
            let lon = coord(&r[4], 94.5, 141.5, file, line)?;
            out.regencies.push(Regency {
                code,
                province_code,
                name: non_empty(&r[2], file, line)?,
                lat,
                lon,
            });
            Ok(())
        },
    )?;
    ensure_sorted(&out.regencies, |r| &r.code, file)?;

    let file = "districts.csv";
    read_csv(
        districts,
        file,
        &["code", "regency_code", "name"],
        |line, r| {
            let code = digits(&r[0], 6, file, line)?;
            let regency_code = digits(&r[1], 4, file, line)?;
            if !code.starts_with(&regency_code) || code.ends_with("00") {
                return Err(err(file, line, "code must be regency_code + 01..99"));
            }
            if out
                .regencies
                .binary_search_by(|x| x.code.cmp(&regency_code))
                .is_err()
            {
                return Err(err(file, line, "unknown regency_code"));
            }
            out.districts.push(District {
                code,
                regency_code,
                name: non_empty(&r[2], file, line)?,
            });
            Ok(())
        },
    )?;
    ensure_sorted(&out.districts, |d| &d.code, file)?;
    Ok(out)
}

/// Parses `names.csv`: header `group,kind,sex,name`, `kind` is `given` (with `sex` `L` or
/// `P`) or `family` (with `sex` `-`). Every group needs at least one male and one female
/// given name.
pub fn parse_names(r: impl Read) -> Result<Vec<NameGroup>, RegionError> {
    let file = "names.csv";
    let mut groups: Vec<NameGroup> = Vec::new();
    read_csv(r, file, &["group", "kind", "sex", "name"], |line, rec| {
        let group = non_empty(&rec[0], file, line)?;
        let name = non_empty(&rec[3], file, line)?;
        let idx = match groups.iter().position(|g| g.id == group) {
            Some(i) => i,
            None => {
                groups.push(NameGroup {
                    id: group,
                    male: Vec::new(),
                    female: Vec::new(),
                    family: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[idx];
        match (rec[1].trim(), rec[2].trim()) {
            ("given", "L") => g.male.push(name),
            ("given", "P") => g.female.push(name),
            ("family", "-") => g.family.push(name),
            _ => {
                return Err(err(
                    file,
                    line,
                    "kind/sex must be given/L, given/P or family/-",
                ));
            }
        }
        Ok(())
    })?;
    if let Some(g) = groups
        .iter()
        .find(|g| g.male.is_empty() || g.female.is_empty())
    {
        return Err(err(
            file,
            0,
            &format!("group {} needs male and female given names", g.id),
        ));
    }
    Ok(groups)
}

/// `KOTA ADMINISTRASI JAKARTA PUSAT` → `Kota Administrasi Jakarta Pusat`.
pub fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        // Letters after an apostrophe stay lower case (Ra'as), after a space or dash not.
        start = matches!(c, ' ' | '-' | '(' | '/' | '.');
    }
    out
}

fn read_csv(
    r: impl Read,
    file: &'static str,
    header: &[&str],
    mut f: impl FnMut(u64, &csv::StringRecord) -> Result<(), RegionError>,
) -> Result<(), RegionError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r);
    let mut first = true;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            err(file, line, &e.to_string())
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if first {
            first = false;
            if rec.iter().ne(header.iter().copied()) {
                return Err(err(
                    file,
                    line,
                    &format!("header must be `{}`", header.join(",")),
                ));
            }
            continue;
        }
        if rec.len() != header.len() {
            return Err(err(
                file,
                line,
                &format!("expected {} columns, found {}", header.len(), rec.len()),
            ));
        }
        f(line, &rec)?;
    }
    if first {
        return Err(err(file, 1, "empty file"));
    }
    Ok(())
}

fn ensure_sorted<T>(
    items: &[T],
    key: impl Fn(&T) -> &String,
    file: &'static str,
) -> Result<(), RegionError> {
    match items.windows(2).position(|w| key(&w[0]) >= key(&w[1])) {
        // +3: the header is line 1 and the second item of the window is the bad one.
        Some(i) => Err(err(
            file,
            i as u64 + 3,
            "codes must be unique and in ascending order",
        )),
        None => Ok(()),
    }
}

fn err(file: &'static str, line: u64, reason: &str) -> RegionError {
    RegionError {
        file,
        line,
        reason: reason.to_string(),
    }
}

fn digits(s: &str, len: usize, file: &'static str, line: u64) -> Result<String, RegionError> {
    let s = s.trim();
    if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(err(file, line, &format!("`{s}` is not a {len}-digit code")))
    }
}

fn non_empty(s: &str, file: &'static str, line: u64) -> Result<String, RegionError> {
    let s = s.trim();
    if s.is_empty() {
        Err(err(file, line, "empty name"))
    } else {
        Ok(s.to_string())
    }
}

fn coord(s: &str, min: f64, max: f64, file: &'static str, line: u64) -> Result<f64, RegionError> {
    match s.trim().parse::<f64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(err(
            file,
            line,
            &format!("`{s}` is not a coordinate in Indonesia"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID_PROVINCES: [&str; 38] = [
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35",
        "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
        "81", "82", "91", "92", "93", "94", "95", "96",
    ];

    #[test]
    fn embedded_tables_load_and_match_the_domain_province_list() {
        let codes: Vec<&str> = provinces().iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, VALID_PROVINCES);
        assert_eq!(regencies().len(), 514);
        assert!(districts().len() > 7000);
        for p in provinces() {
            assert!(
                !regencies_of(&p.code).is_empty(),
                "{} has no regency",
                p.code
            );
        }
        for r in regencies() {
            assert!(
                !districts_of(&r.code).is_empty(),
                "{} has no district",
                r.code
            );
        }
    }

    #[test]
    fn lookups_find_real_codes() {
        assert_eq!(province_name("32"), Some("JAWA BARAT"));
        assert_eq!(province_name("99"), None);
        let bdg = regency("3273").unwrap();
        assert_eq!(bdg.name, "KOTA BANDUNG");
        assert!(bdg.is_kota());
        assert_eq!(bdg.display_name(), "Kota Bandung");
        assert_eq!(bdg.short_name(), "Bandung");
        assert!((bdg.lat + 6.92).abs() < 0.1 && (bdg.lon - 107.61).abs() < 0.1);
        assert!(!regency("3204").unwrap().is_kota());
        assert_eq!(
            regency("3171").unwrap().short_name(),
            "Jakarta Pusat",
            "the ADMINISTRASI prefix is dropped too"
        );
        let ds = districts_of("3273");
        assert!(ds.iter().any(|d| d.name == "Coblong"));
        assert!(ds.iter().all(|d| d.regency_code == "3273"));
        assert_eq!(district("327302").map(|d| d.name.as_str()), Some("Coblong"));
        assert!(districts_of("9999").is_empty());
        assert!(regency("0000").is_none());
    }

    #[test]
    fn name_groups_cover_every_province_mix() {
        assert!(
            name_groups()
                .iter()
                .map(|g| g.male.len() + g.female.len())
                .sum::<usize>()
                > 300
        );
        for p in provinces() {
            for (g, w) in name_mix(&p.code) {
                assert!(*w > 0);
                assert!(name_group(g).is_some(), "unknown name group {g}");
            }
        }
        assert!(!name_group("BATAK").unwrap().family.is_empty());
        assert!(name_group("JAWA").unwrap().family.is_empty());
    }

    #[test]
    fn bad_region_files_are_errors_with_lines() {
        let p = "code,name\n11,ACEH\n";
        let r = "code,province_code,name,lat,lon\n1101,11,KABUPATEN X,4.0,97.0\n";
        let d = "code,regency_code,name\n110101,1101,A\n";
        assert!(parse_regions(p.as_bytes(), r.as_bytes(), d.as_bytes()).is_ok());

        let bad_r = "code,province_code,name,lat,lon\n1101,11,X,4.0,97.0\n1201,12,Y,4.0,97.0\n";
        let e = parse_regions(p.as_bytes(), bad_r.as_bytes(), d.as_bytes()).unwrap_err();
        assert_eq!((e.file, e.line), ("regencies.csv", 3));

        let bad_coord = "code,province_code,name,lat,lon\n1101,11,X,40.0,97.0\n";
        let e = parse_regions(p.as_bytes(), bad_coord.as_bytes(), d.as_bytes()).unwrap_err();
        assert_eq!(e.line, 2);

        let bad_d = "code,regency_code,name\n110101,1101,A\n110100,1101,B\n";
        let e = parse_regions(p.as_bytes(), r.as_bytes(), bad_d.as_bytes()).unwrap_err();
        assert_eq!((e.file, e.line), ("districts.csv", 3));

        let unsorted = "code,regency_code,name\n110102,1101,A\n110101,1101,B\n";
        let e = parse_regions(p.as_bytes(), r.as_bytes(), unsorted.as_bytes()).unwrap_err();
        assert_eq!(e.line, 3);

        let e = parse_regions("code\n11\n".as_bytes(), r.as_bytes(), d.as_bytes()).unwrap_err();
        assert_eq!(e.line, 1);

        let e = parse_names("group,kind,sex,name\nX,given,Q,Budi\n".as_bytes()).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn title_case_handles_punctuation() {
        assert_eq!(title_case("KOTA BAU-BAU"), "Kota Bau-Bau");
        assert_eq!(title_case("RA'AS"), "Ra'as");
    }
}
