//! Facility and office search through the store, on the hand-written fixture: filters
//! combined with text and distance, and input that must not break the FTS5 query.

use std::path::Path;

use anjungan::dataset::import_dir;
use anjungan::domain::{FacilityType, OfficeLevel};
use anjungan::store::{FacilityQuery, OfficeQuery, Point, Store};
use chrono::NaiveDate;

fn store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    import_dir(
        &mut store,
        &fixture,
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    )
    .unwrap();
    store
}

fn codes(rows: &[anjungan::store::FacilityRecord]) -> Vec<&str> {
    rows.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn text_with_type_and_region_filters() {
    let s = store();
    let q = |text: &str, types: Vec<FacilityType>, region: Option<&str>| {
        s.search_facilities(&FacilityQuery {
            text: Some(text.into()),
            types,
            region: region.map(Into::into),
            limit: 10,
            ..FacilityQuery::default()
        })
        .unwrap()
    };
    // "bandung" is every Bandung facility's kab/kota; the type filter keeps clinics only.
    let mut clinics = codes(&q("bandung", vec![FacilityType::KlinikPratama], None))
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    clinics.sort();
    assert_eq!(clinics, ["3273K003", "3273K005"]);
    // Region by province code and by kab/kota name, case-insensitive.
    assert_eq!(codes(&q("puskesmas", vec![], Some("31"))), ["3171P001"]);
    assert_eq!(
        q("puskesmas", vec![], Some("kota bandung")).len(),
        2,
        "Puskesmas Cibeunying and Dago"
    );
    // A name match outranks an address-only match: "sukajadi" is in K003's address and
    // kecamatan; nothing has it in its name, so it is the only hit.
    assert_eq!(codes(&q("sukajadi", vec![], None)), ["3273K003"]);
}

#[test]
fn name_matches_rank_above_address_matches() {
    // Two clinics whose names are each other's street: the name match must come first,
    // whichever row was loaded first.
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    std::fs::copy(fixture.join("members.csv"), dir.path().join("members.csv")).unwrap();
    std::fs::write(
        dir.path().join("facilities.csv"),
        "code,name,type,address,kecamatan,kabkota,province_code,phone,hours,lat,lon,capacity,members,active\n\
         F1,Klinik Melati,KLINIK_PRATAMA,Jl. Mawar No. 1,Coblong,KOTA BANDUNG,32,-,-,-6.9,107.6,10,1,1\n\
         F2,Klinik Mawar,KLINIK_PRATAMA,Jl. Melati No. 2,Coblong,KOTA BANDUNG,32,-,-,-6.9,107.6,10,1,1\n",
    )
    .unwrap();
    let mut s = Store::open_in_memory().unwrap();
    import_dir(
        &mut s,
        dir.path(),
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    )
    .unwrap();
    let search = |text: &str| {
        s.search_facilities(&FacilityQuery {
            text: Some(text.into()),
            limit: 10,
            ..FacilityQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect::<Vec<_>>()
    };
    assert_eq!(search("mawar"), ["F2", "F1"]);
    assert_eq!(search("melati"), ["F1", "F2"]);
    assert_eq!(search("mel klinik"), ["F1", "F2"]);
}

#[test]
fn hostile_text_is_only_words() {
    let s = store();
    for text in [
        "\"",
        "NEAR(",
        "pusk*",
        "a OR b",
        "name:puskesmas",
        "'); DROP TABLE facilities;--",
        "🙂",
        "",
    ] {
        let rows = s
            .search_facilities(&FacilityQuery {
                text: Some(text.into()),
                limit: 5,
                ..FacilityQuery::default()
            })
            .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(rows.len() <= 5);
    }
    // The table survived.
    assert_eq!(s.row_counts().unwrap()[2], ("facilities", 7));
    // "pusk*" is read as the word "pusk": it still finds the Puskesmas.
    let rows = s
        .search_facilities(&FacilityQuery {
            text: Some("pusk*".into()),
            limit: 5,
            ..FacilityQuery::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 3);
}

#[test]
fn open_fktps_near_a_point_exclude_full_inactive_and_hospitals() {
    let s = store();
    let rows = s
        .search_facilities(&FacilityQuery {
            near: Some(Point {
                lat: -6.89,
                lon: 107.617,
            }),
            open_fktp_only: true,
            types: vec![FacilityType::Puskesmas],
            limit: 10,
            ..FacilityQuery::default()
        })
        .unwrap();
    assert_eq!(codes(&rows), ["3273P001", "3171P001"]);
    let d: Vec<f64> = rows.iter().map(|r| r.distance_km.unwrap()).collect();
    assert!(d[0] < 3.0 && d[1] > 100.0, "{d:?}");
    assert_eq!(
        s.search_facilities(&FacilityQuery {
            limit: 0,
            ..FacilityQuery::default()
        })
        .unwrap(),
        vec![]
    );
}

#[test]
fn offices_by_level_text_and_distance() {
    let s = store();
    let rows = s
        .search_offices(&OfficeQuery {
            levels: vec![OfficeLevel::Pusat, OfficeLevel::Cabang],
            near: Some(Point {
                lat: -6.9,
                lon: 107.64,
            }),
            limit: 5,
            ..OfficeQuery::default()
        })
        .unwrap();
    let found: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(found, ["KC-BDG", "KP-JKT"]);
    assert_eq!(rows[0].distance_km, Some(0.0));
    let rows = s
        .search_offices(&OfficeQuery {
            text: Some("mpp".into()),
            limit: 5,
            ..OfficeQuery::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].hours, "Senin–Jumat 08.00–12.00");
}
