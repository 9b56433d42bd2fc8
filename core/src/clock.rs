//! The kiosk's "today": a date in its configured zone, never the machine's local time.
//!
//! Everything that depends on the date (dues month, eligibility, effective dates) takes
//! `today` as an argument; only the program's edge calls [`today_in`].

use chrono::NaiveDate;
use chrono_tz::Tz;

/// WIB, the zone of most kiosks; WITA (Asia/Makassar) and WIT (Asia/Jayapura) are the others.
pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Jakarta;

/// Today's date in `zone`.
pub fn today_in(zone: Tz) -> NaiveDate {
    chrono::Utc::now().with_timezone(&zone).date_naive()
}

/// Parses a zone name such as `Asia/Makassar`; the three Indonesian abbreviations are
/// accepted too.
pub fn parse_zone(s: &str) -> Option<Tz> {
    match s.trim().to_ascii_uppercase().as_str() {
        "WIB" => Some(chrono_tz::Asia::Jakarta),
        "WITA" => Some(chrono_tz::Asia::Makassar),
        "WIT" => Some(chrono_tz::Asia::Jayapura),
        _ => s.trim().parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_zone_names_resolve() {
        assert_eq!(parse_zone("wita"), Some(chrono_tz::Asia::Makassar));
        assert_eq!(parse_zone("Asia/Jayapura"), Some(chrono_tz::Asia::Jayapura));
        assert_eq!(parse_zone("Mars/Olympus"), None);
    }
}
