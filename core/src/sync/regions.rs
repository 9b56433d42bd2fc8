//! Regions: the partitions ("buckets") of member data. A family's bucket is the kab/kota
//! code, the first four characters, of its head's FKTP code (the `PESERTA` row; a family
//! without one takes its first card's). A kiosk syncs the buckets of its regions plus the
//! global tables (facilities, offices, content, rules, decisions); no regions means all.

/// The most regions one kiosk may ask for: Indonesia has 514 kab/kota.
pub const MAX_REGIONS: usize = 600;

/// A kiosk's regions, checked: each four digits, sorted, without repeats. An empty list
/// means every region (`None`).
pub fn parse_regions<S: AsRef<str>>(list: &[S]) -> Result<Option<Vec<String>>, String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for r in list {
        let r = r.as_ref().trim();
        if r.is_empty() {
            continue;
        }
        if r.len() != 4 || !r.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{r:?} bukan kode kab/kota 4 angka (mis. 3273) / is not a 4-digit kab/kota code (e.g. 3273)"
            ));
        }
        out.push(r.to_owned());
    }
    out.sort();
    out.dedup();
    if out.len() > MAX_REGIONS {
        return Err(format!(
            "paling banyak {MAX_REGIONS} wilayah / at most {MAX_REGIONS} regions"
        ));
    }
    Ok((!out.is_empty()).then_some(out))
}

/// `3204,3273`: the regions as the sync call and the kiosk's metadata carry them; `*` for
/// all.
pub fn regions_key(regions: Option<&[String]>) -> String {
    match regions {
        Some(r) => r.join(","),
        None => "*".to_owned(),
    }
}

/// The family-bucket query over a members table: `(kk_no, bucket)`. The same SQL in
/// SQLite and PostgreSQL: the head sorts first (`0`), card numbers are 13 digits, so
/// characters 15 to 18 of the smallest key are the first four of its FKTP code.
pub fn bucket_sql(members: &str) -> String {
    format!(
        "SELECT kk_no, substr(min(CASE WHEN relation = 'PESERTA' THEN '0' ELSE '1' END \
         || card_no || fktp_code), 15, 4) AS bucket FROM {members} GROUP BY kk_no"
    )
}

/// The synced tables whose rows belong to a family's bucket (by their `kk_no`).
pub const BUCKETED: &[&str] = &["members", "bills"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_four_digits_sorted_and_unique() {
        assert_eq!(
            parse_regions(&["3273", " 3204", "3273", ""]).unwrap(),
            Some(vec!["3204".to_owned(), "3273".to_owned()])
        );
        assert_eq!(parse_regions::<&str>(&[]).unwrap(), None);
        assert!(parse_regions(&["327"]).is_err());
        assert!(parse_regions(&["32a3"]).is_err());
        assert!(parse_regions(&["3273'; --"]).is_err());
        let many: Vec<String> = (1000..1000 + MAX_REGIONS + 1)
            .map(|n| n.to_string())
            .collect();
        assert!(parse_regions(&many).is_err());
        assert_eq!(regions_key(None), "*");
        assert_eq!(
            regions_key(Some(&["3204".to_owned(), "3273".to_owned()])),
            "3204,3273"
        );
    }

    #[test]
    fn a_family_takes_its_heads_kabkota() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE m (card_no, kk_no, relation, fktp_code);
             INSERT INTO m VALUES ('0001000000002', 'K1', 'ISTRI', '3204P001');
             INSERT INTO m VALUES ('0001000000009', 'K1', 'PESERTA', '3273P001');
             INSERT INTO m VALUES ('0001000000005', 'K2', 'ANAK', '3578P002');
             INSERT INTO m VALUES ('0001000000003', 'K2', 'ANAK', '3171P001');",
        )
        .unwrap();
        let mut stmt = conn
            .prepare(&format!("{} ORDER BY kk_no", bucket_sql("m")))
            .unwrap();
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [("K1".into(), "3273".into()), ("K2".into(), "3171".into())]
        );
    }
}
