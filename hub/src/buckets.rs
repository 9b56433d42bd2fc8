//! The SQL both backends use for regions (buckets; `anjungan_core::sync::regions`): which
//! rows an import deletes and upserts, tagged with the bucket they belong to, which
//! families moved to another bucket, and what a region's snapshot and deltas hold.
//!
//! `main` and `new` are how a backend names the current and the imported tables: SQLite
//! attaches the staging file (`main.members`, `new.members`), PostgreSQL streams the
//! checked rows into temporary tables (`members`, `new_members`). `new_buckets` and `moved` are temporary
//! tables in both.

use anjungan_core::sync::regions::{BUCKETED, bucket_sql};
use anjungan_core::sync::tables::TableSpec;

/// Whether a table's rows belong to a family's bucket.
pub fn bucketed(spec: &TableSpec) -> bool {
    BUCKETED.contains(&spec.name)
}

/// Fills `new_buckets` (kk_no, bucket) from the imported members, and `moved` with the
/// families whose bucket changed.
pub fn prepare(main: &str, new: &str) -> Vec<String> {
    vec![
        format!(
            "INSERT INTO new_buckets (kk_no, bucket) {}",
            bucket_sql(&format!("{new}members"))
        ),
        format!(
            "INSERT INTO moved (kk_no) SELECT n.kk_no FROM new_buckets n \
             JOIN {main}hub_buckets o ON o.kk_no = n.kk_no WHERE o.bucket <> n.bucket"
        ),
    ]
}

/// The keys of the rows an import deletes, and each one's bucket (`NULL`: global): rows
/// gone from the data, and every row of a family that moved (its old bucket's kiosks drop
/// it).
pub fn deleted_rows(spec: &TableSpec, main: &str, new: &str) -> String {
    let t = spec.name;
    let keys = spec.key.join(", ");
    let gone = format!("SELECT {keys} FROM {main}{t} EXCEPT SELECT {keys} FROM {new}{t}");
    if !bucketed(spec) {
        return format!("SELECT {keys}, NULL AS bucket FROM ({gone}) g");
    }
    let keys_t: Vec<String> = spec.key.iter().map(|k| format!("t.{k}")).collect();
    let keys_t = keys_t.join(", ");
    format!(
        "SELECT {keys_t}, ob.bucket AS bucket FROM {main}{t} t \
         LEFT JOIN {main}hub_buckets ob ON ob.kk_no = t.kk_no \
         WHERE ({keys_t}) IN ({gone}) OR t.kk_no IN (SELECT kk_no FROM moved)"
    )
}

/// The rows an import upserts, and each one's bucket: rows new or changed, and every row
/// of a family that moved (its new bucket's kiosks never had it).
pub fn changed_rows(spec: &TableSpec, main: &str, new: &str) -> String {
    let t = spec.name;
    let cols = spec.columns.join(", ");
    let changed = format!("SELECT {cols} FROM {new}{t} EXCEPT SELECT {cols} FROM {main}{t}");
    if !bucketed(spec) {
        return format!("SELECT {cols}, NULL AS bucket FROM ({changed}) c");
    }
    let cols_of = |alias: &str| {
        spec.columns
            .iter()
            .map(|c| format!("{alias}.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "SELECT {}, nb.bucket AS bucket FROM ({changed}) c \
         LEFT JOIN new_buckets nb ON nb.kk_no = c.kk_no \
         UNION \
         SELECT {}, nb.bucket AS bucket FROM {new}{t} t \
         JOIN moved mv ON mv.kk_no = t.kk_no LEFT JOIN new_buckets nb ON nb.kk_no = t.kk_no",
        cols_of("c"),
        cols_of("t")
    )
}

/// Brings `hub_buckets` to the imported families.
pub fn update(main: &str) -> Vec<String> {
    vec![
        format!("DELETE FROM {main}hub_buckets WHERE kk_no NOT IN (SELECT kk_no FROM new_buckets)"),
        format!("DELETE FROM {main}hub_buckets WHERE kk_no IN (SELECT kk_no FROM moved)"),
        format!(
            "INSERT INTO {main}hub_buckets (kk_no, bucket) SELECT n.kk_no, n.bucket \
             FROM new_buckets n WHERE n.kk_no NOT IN (SELECT kk_no FROM {main}hub_buckets)"
        ),
    ]
}

/// `'3204','3273'`. The regions were checked as four digits each (`parse_regions`); they
/// are checked again here, since they go into SQL text.
pub fn region_list(regions: &[String]) -> String {
    regions
        .iter()
        .filter(|r| r.len() == 4 && r.bytes().all(|b| b.is_ascii_digit()))
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A snapshot's rows of one table: all of a global table, the regions' families of a
/// bucketed one.
pub fn snapshot_rows(spec: &TableSpec, regions: Option<&[String]>) -> String {
    let cols = spec.columns.join(", ");
    match regions {
        Some(r) if bucketed(spec) => format!(
            "SELECT {cols} FROM {t} WHERE kk_no IN \
             (SELECT kk_no FROM hub_buckets WHERE bucket IN ({list}))",
            t = spec.name,
            list = region_list(r)
        ),
        _ => format!("SELECT {cols} FROM {}", spec.name),
    }
}

/// The condition a delta's recorded changes meet for `regions`: global, or theirs.
pub fn delta_filter(regions: Option<&[String]>) -> String {
    match regions {
        Some(r) => format!(" AND (bucket IS NULL OR bucket IN ({}))", region_list(r)),
        None => String::new(),
    }
}

/// How many rows a snapshot for `regions` carries (to compare a delta with).
pub fn snapshot_count(regions: Option<&[String]>) -> String {
    let parts: Vec<String> = anjungan_core::sync::tables::TABLES
        .iter()
        .map(|spec| {
            format!(
                "(SELECT count(*) FROM ({}) s_{})",
                snapshot_rows(spec, regions),
                spec.name
            )
        })
        .collect();
    format!("SELECT {}", parts.join(" + "))
}

/// A delta with more changes than this is compared with a snapshot's size.
pub const DELTA_CHECK: i64 = 10_000;

/// Changes of versions older than this many days are pruned; kiosks that far behind get
/// a snapshot.
pub const KEEP_DAYS: i64 = 30;
