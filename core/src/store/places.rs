//! Facility (faskes) and office search: free text through FTS5, nearest through R*Tree.
//!
//! Both kinds of place share one search engine ([`PlaceTable`]); they differ only in
//! their columns and filters.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params_from_iter};
use serde::Serialize;

use super::{Store, StoreError, code_col};
use crate::domain::{FacilityType, OfficeLevel};

/// A point on Earth, in decimal degrees (south latitudes are negative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    /// Parses `LAT,LON`, as in `--near -6.90,107.59`.
    pub fn parse(s: &str) -> Option<Point> {
        let (lat, lon) = s.split_once(',')?;
        let lat: f64 = lat.trim().parse().ok()?;
        let lon: f64 = lon.trim().parse().ok()?;
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
            .then_some(Point { lat, lon })
    }

    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(&self, other: &Point) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dla = la2 - la1;
        let dlo = (other.lon - self.lon).to_radians();
        let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

/// What a member searches facilities by. Every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct FacilityQuery {
    /// Free text; every word must match as a prefix in name, address, kecamatan or kabkota.
    pub text: Option<String>,
    /// Rank by distance from here instead of by relevance.
    pub near: Option<Point>,
    /// Only these types (empty: all).
    pub types: Vec<FacilityType>,
    /// A two-digit province code, or a kab/kota name (case-insensitive).
    pub region: Option<String>,
    /// Only active FKTPs that still take members (for an FKTP change).
    pub open_fktp_only: bool,
    pub limit: usize,
}

/// What a member searches offices by.
#[derive(Debug, Clone, Default)]
pub struct OfficeQuery {
    pub text: Option<String>,
    pub near: Option<Point>,
    pub levels: Vec<OfficeLevel>,
    /// A kab/kota name (case-insensitive).
    pub region: Option<String>,
    pub limit: usize,
}

/// One facility row, with its distance when the query had a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacilityRecord {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub facility_type: FacilityType,
    pub address: String,
    pub kecamatan: String,
    pub kabkota: String,
    pub province_code: String,
    pub phone: String,
    pub hours: String,
    pub lat: f64,
    pub lon: f64,
    pub capacity: i64,
    pub members: i64,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

/// One office row, with its distance when the query had a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeRecord {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub level: OfficeLevel,
    pub address: String,
    pub kabkota: String,
    pub phone: String,
    pub hours: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

const FACILITY_COLUMNS: &str = "code, name, type, address, kecamatan, kabkota, province_code, \
     phone, hours, lat, lon, capacity, members, active";
const OFFICE_COLUMNS: &str = "code, name, level, address, kabkota, phone, hours, lat, lon";

impl FacilityRecord {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            code: row.get(0)?,
            name: row.get(1)?,
            facility_type: code_col(row, 2)?,
            address: row.get(3)?,
            kecamatan: row.get(4)?,
            kabkota: row.get(5)?,
            province_code: row.get(6)?,
            phone: row.get(7)?,
            hours: row.get(8)?,
            lat: row.get(9)?,
            lon: row.get(10)?,
            capacity: row.get(11)?,
            members: row.get(12)?,
            active: row.get(13)?,
            distance_km: None,
        })
    }
}

impl OfficeRecord {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            code: row.get(0)?,
            name: row.get(1)?,
            level: code_col(row, 2)?,
            address: row.get(3)?,
            kabkota: row.get(4)?,
            phone: row.get(5)?,
            hours: row.get(6)?,
            lat: row.get(7)?,
            lon: row.get(8)?,
            distance_km: None,
        })
    }
}

/// The names a place kind is stored under.
struct PlaceTable {
    table: &'static str,
    fts: &'static str,
    geo: &'static str,
    /// bm25 column weights: a match in the name counts most, then the area, then the street.
    weights: &'static str,
}

const FACILITIES: PlaceTable = PlaceTable {
    table: "facilities",
    fts: "facilities_fts",
    geo: "facilities_geo",
    weights: "10.0, 1.0, 4.0, 2.0",
};
const OFFICES: PlaceTable = PlaceTable {
    table: "offices",
    fts: "offices_fts",
    geo: "offices_geo",
    weights: "10.0, 1.0, 3.0",
};

/// SQL conditions on the place table `t`, with their parameters.
#[derive(Default)]
struct Filter {
    sql: Vec<String>,
    params: Vec<Value>,
}

impl Filter {
    fn push(&mut self, sql: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.sql.push(sql.into());
        self.params.extend(params);
    }

    fn code_in(&mut self, column: &str, codes: &[&str]) {
        if codes.is_empty() {
            return;
        }
        let marks = vec!["?"; codes.len()].join(",");
        self.push(
            format!("t.{column} IN ({marks})"),
            codes.iter().map(|c| Value::Text((*c).to_owned())),
        );
    }

    fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!(" AND {}", self.sql.join(" AND "))
        }
    }
}

/// Above this many text matches, a near search walks outwards through the R*Tree instead of
/// measuring every match.
const DIRECT_DISTANCE_MAX: i64 = 2_000;

/// Most text matches ranked by relevance. Scoring costs a lookup per match, so a query as
/// broad as "jl" (every address) is ranked among its first matches in code order; the
/// member narrows it by typing another word.
const RANKED_MATCHES_MAX: i64 = 3_000;

/// Turns member-typed text into an FTS5 query where every word must match as a prefix.
///
/// Words are split the way the `unicode61` tokenizer splits them, so the query holds only
/// letters and digits inside quotes and cannot carry FTS5 syntax.
pub fn fts_prefix_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Store {
    /// Searches facilities; see [`FacilityQuery`].
    pub fn search_facilities(&self, q: &FacilityQuery) -> Result<Vec<FacilityRecord>, StoreError> {
        let mut filter = Filter::default();
        let types: Vec<&str> = if q.open_fktp_only {
            let wanted =
                |t: &FacilityType| t.is_fktp() && (q.types.is_empty() || q.types.contains(t));
            FacilityType::ALL
                .iter()
                .filter(|t| wanted(t))
                .map(|t| t.code())
                .collect()
        } else {
            q.types.iter().map(|t| t.code()).collect()
        };
        if q.open_fktp_only && types.is_empty() {
            return Ok(Vec::new());
        }
        filter.code_in("type", &types);
        if q.open_fktp_only {
            filter.push("t.active = 1 AND t.members < t.capacity", []);
        }
        if let Some(region) = q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            if region.len() == 2 && region.bytes().all(|b| b.is_ascii_digit()) {
                filter.push("t.province_code = ?", [Value::Text(region.to_owned())]);
            } else {
                filter.push(
                    "t.kabkota = ? COLLATE NOCASE",
                    [Value::Text(region.to_owned())],
                );
            }
        }
        let hits = self.search_places(&FACILITIES, q.text.as_deref(), q.near, &filter, q.limit)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FACILITY_COLUMNS} FROM facilities WHERE id = ?1"
        ))?;
        hits.into_iter()
            .map(|(id, distance_km)| {
                let mut rec = stmt.query_row([id], FacilityRecord::from_row)?;
                rec.distance_km = distance_km.and(q.near).map(|o| {
                    round_km(o.distance_km(&Point {
                        lat: rec.lat,
                        lon: rec.lon,
                    }))
                });
                Ok(rec)
            })
            .collect()
    }

    /// The facility with this code, if any.
    pub fn facility(&self, code: &str) -> Result<Option<FacilityRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FACILITY_COLUMNS} FROM facilities WHERE code = ?1"
        ))?;
        let code = code.trim();
        if let Some(found) = stmt
            .query_row([code], FacilityRecord::from_row)
            .optional()?
        {
            return Ok(Some(found));
        }
        // Codes are compared case-insensitively elsewhere (SAME_AS_CURRENT); a typed
        // "3273d004" must find 3273D004 too. Rare, so the slower scan is fine.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FACILITY_COLUMNS} FROM facilities WHERE code = ?1 COLLATE NOCASE"
        ))?;
        Ok(stmt
            .query_row([code], FacilityRecord::from_row)
            .optional()?)
    }

    /// Searches offices; see [`OfficeQuery`].
    pub fn search_offices(&self, q: &OfficeQuery) -> Result<Vec<OfficeRecord>, StoreError> {
        let mut filter = Filter::default();
        let levels: Vec<&str> = q.levels.iter().map(|l| l.code()).collect();
        filter.code_in("level", &levels);
        if let Some(region) = q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            filter.push(
                "t.kabkota = ? COLLATE NOCASE",
                [Value::Text(region.to_owned())],
            );
        }
        let hits = self.search_places(&OFFICES, q.text.as_deref(), q.near, &filter, q.limit)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OFFICE_COLUMNS} FROM offices WHERE id = ?1"
        ))?;
        hits.into_iter()
            .map(|(id, distance_km)| {
                let mut rec = stmt.query_row([id], OfficeRecord::from_row)?;
                rec.distance_km = distance_km.and(q.near).map(|o| {
                    round_km(o.distance_km(&Point {
                        lat: rec.lat,
                        lon: rec.lon,
                    }))
                });
                Ok(rec)
            })
            .collect()
    }

    /// Finds the ids of matching places, best first, with distances when `near` is given.
    fn search_places(
        &self,
        pt: &PlaceTable,
        text: Option<&str>,
        near: Option<Point>,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(i64, Option<f64>)>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let fts = text.and_then(fts_prefix_query);
        let PlaceTable {
            table,
            fts: fts_table,
            geo,
            weights,
        } = pt;
        let where_filter = filter.where_clause();
        let Some(origin) = near else {
            let (sql, mut params) = match &fts {
                Some(query) => (
                    format!(
                        "SELECT m.id FROM (\
                           SELECT t.id AS id, t.name AS name, bm25({fts_table}, {weights}) AS score \
                           FROM {fts_table} f JOIN {table} t ON t.id = f.rowid \
                           WHERE {fts_table} MATCH ?{where_filter} LIMIT {RANKED_MATCHES_MAX}\
                         ) m ORDER BY m.score, m.name LIMIT ?"
                    ),
                    vec![Value::Text(query.clone())],
                ),
                None => (
                    format!(
                        "SELECT t.id FROM {table} t WHERE 1{where_filter} ORDER BY t.name LIMIT ?"
                    ),
                    Vec::new(),
                ),
            };
            params.extend(filter.params.iter().cloned());
            params.push(Value::Integer(limit as i64));
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let ids = stmt.query_map(params_from_iter(params), |r| r.get::<_, i64>(0))?;
            return Ok(ids
                .map(|id| id.map(|id| (id, None)))
                .collect::<Result<_, _>>()?);
        };

        // With few text matches, measuring each one is cheaper than walking the tree.
        if let Some(query) = &fts {
            let count: i64 = self
                .conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM {fts_table} WHERE {fts_table} MATCH ?1"
                ))?
                .query_row([query], |r| r.get(0))?;
            if count <= DIRECT_DISTANCE_MAX {
                let sql = format!(
                    "SELECT t.id, t.lat, t.lon FROM {fts_table} f JOIN {table} t ON t.id = f.rowid \
                     WHERE {fts_table} MATCH ?{where_filter}"
                );
                let mut params = vec![Value::Text(query.clone())];
                params.extend(filter.params.iter().cloned());
                let found = self.measured(&sql, params, origin)?;
                return Ok(nearest(found, limit, f64::INFINITY));
            }
        }

        // Walk outwards: a box of half-side r degrees holds every place within r × 111 km.
        let text_filter = if fts.is_some() {
            format!(" AND t.id IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH ?)")
        } else {
            String::new()
        };
        // Unfiltered, the tree's own (32-bit) coordinates rank well enough; callers measure
        // the chosen rows again at full precision.
        let sql = if filter.sql.is_empty() && fts.is_none() {
            format!(
                "SELECT g.id, g.min_lat, g.min_lon FROM {geo} g \
                 WHERE g.min_lat >= ? AND g.max_lat <= ? AND g.min_lon >= ? AND g.max_lon <= ?"
            )
        } else {
            format!(
                "SELECT t.id, t.lat, t.lon FROM {geo} g JOIN {table} t ON t.id = g.id \
                 WHERE g.min_lat >= ? AND g.max_lat <= ? AND g.min_lon >= ? AND g.max_lon <= ?\
                 {where_filter}{text_filter}"
            )
        };
        let cos_lat = origin.lat.to_radians().cos().max(0.01);
        let mut radius_deg = 0.05_f64;
        loop {
            let whole_earth = radius_deg >= 180.0;
            let lon_span = radius_deg / cos_lat;
            let mut params = vec![
                Value::Real(origin.lat - radius_deg),
                Value::Real(origin.lat + radius_deg),
                Value::Real(origin.lon - lon_span),
                Value::Real(origin.lon + lon_span),
            ];
            params.extend(filter.params.iter().cloned());
            if let Some(query) = &fts {
                params.push(Value::Text(query.clone()));
            }
            let found = self.measured(&sql, params, origin)?;
            // Only places within the circle inscribed in the box are certainly the nearest.
            let sure_km = if whole_earth {
                f64::INFINITY
            } else {
                radius_deg * 110.5
            };
            let sure = found.iter().filter(|(_, d)| *d <= sure_km).count();
            if sure >= limit || whole_earth {
                return Ok(nearest(found, limit, sure_km));
            }
            // Grow the box by the area still needed, at least doubling it.
            let growth = ((limit as f64 / sure.max(1) as f64).sqrt() * 1.5).clamp(2.0, 8.0);
            radius_deg *= growth;
        }
    }

    /// Runs a query returning `(id, lat, lon)` and measures each row's distance from `origin`.
    fn measured(
        &self,
        sql: &str,
        params: Vec<Value>,
        origin: Point,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params_from_iter(params), |r| {
            let p = Point {
                lat: r.get(1)?,
                lon: r.get(2)?,
            };
            Ok((r.get::<_, i64>(0)?, origin.distance_km(&p)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The `limit` nearest of `found` that lie within `max_km`, nearest first.
fn nearest(mut found: Vec<(i64, f64)>, limit: usize, max_km: f64) -> Vec<(i64, Option<f64>)> {
    found.retain(|(_, d)| *d <= max_km);
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    found
        .into_iter()
        .take(limit)
        .map(|(id, d)| (id, Some(d)))
        .collect()
}

/// Distances are shown to the metre.
fn round_km(d: f64) -> f64 {
    (d * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_query_quotes_every_word_and_drops_syntax() {
        assert_eq!(fts_prefix_query("dvor"), Some("\"dvor\"*".into()));
        assert_eq!(
            fts_prefix_query("  Pusk. \"Cibeu\" OR"),
            Some("\"Pusk\"* \"Cibeu\"* \"OR\"*".into())
        );
        assert_eq!(fts_prefix_query(" -*()\" "), None);
    }

    #[test]
    fn near_point_accepts_southern_latitudes() {
        assert_eq!(
            Point::parse("-6.90,107.59"),
            Some(Point {
                lat: -6.90,
                lon: 107.59
            })
        );
        assert_eq!(Point::parse("-6.9, 107.59").map(|p| p.lat), Some(-6.9));
        assert_eq!(Point::parse("91,0"), None);
        assert_eq!(Point::parse("abc"), None);
        assert_eq!(Point::parse("-6.9"), None);
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // Bandung (Gedung Sate) to Jakarta (Monas): about 116 km in a straight line.
        let bandung = Point {
            lat: -6.9025,
            lon: 107.6188,
        };
        let jakarta = Point {
            lat: -6.1754,
            lon: 106.8272,
        };
        let d = bandung.distance_km(&jakarta);
        assert!((d - 118.0).abs() < 4.0, "got {d}");
    }
}
