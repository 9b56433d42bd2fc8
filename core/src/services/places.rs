//! Facility and office search as members and the CLI ask for it.

use super::ServiceError;
use crate::domain::{FacilityType, OfficeLevel};
use crate::store::{FacilityQuery, FacilityRecord, OfficeQuery, OfficeRecord, Store};

/// The most rows one search returns; a kiosk screen shows far fewer.
pub const MAX_LIMIT: usize = 500;

/// Parses a type filter: comma-separated type codes, or `FKTP` / `FKRTL` for a whole tier.
pub fn parse_facility_types(s: &str) -> Result<Vec<FacilityType>, ServiceError> {
    let mut out = Vec::new();
    for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let upper = word.to_ascii_uppercase();
        match upper.as_str() {
            "FKTP" => out.extend(FacilityType::ALL.iter().filter(|t| t.is_fktp())),
            "FKRTL" => out.extend(FacilityType::ALL.iter().filter(|t| !t.is_fktp())),
            code => out.push(
                code.parse()
                    .map_err(|_| ServiceError::InvalidFilter(word.to_owned()))?,
            ),
        }
    }
    out.dedup();
    Ok(out)
}

/// Parses an office level filter: comma-separated level codes.
pub fn parse_office_levels(s: &str) -> Result<Vec<OfficeLevel>, ServiceError> {
    s.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.to_ascii_uppercase()
                .parse()
                .map_err(|_| ServiceError::InvalidFilter(w.to_owned()))
        })
        .collect()
}

/// Searches facilities with the limit kept within [1, MAX_LIMIT].
pub fn search_facilities(
    store: &Store,
    q: &FacilityQuery,
) -> Result<Vec<FacilityRecord>, ServiceError> {
    let q = FacilityQuery {
        limit: q.limit.clamp(1, MAX_LIMIT),
        ..q.clone()
    };
    Ok(store.search_facilities(&q)?)
}

/// Searches offices with the limit kept within [1, MAX_LIMIT].
pub fn search_offices(store: &Store, q: &OfficeQuery) -> Result<Vec<OfficeRecord>, ServiceError> {
    let q = OfficeQuery {
        limit: q.limit.clamp(1, MAX_LIMIT),
        ..q.clone()
    };
    Ok(store.search_offices(&q)?)
}
