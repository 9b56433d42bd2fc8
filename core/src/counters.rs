//! Counts for the branch console's figures, per 30-minute slot of the kiosk's own clock:
//! tickets per service, their estimated waits, identification failures and lockouts,
//! printer faults; and satisfaction ratings per day. Counts only: nothing in a row names,
//! or can be matched to, a member.
//!
//! The kiosk keeps them in its store ([`crate::store::Store::count`]) and sends the rows
//! that changed since the hub last acknowledged them with each heartbeat
//! ([`crate::report::DiagReport::counters`]). A row carries its whole count, not an
//! increment, so a row sent twice (an acknowledgement lost) is stored the same at the hub.
//!
//! Ratings are the exception to the 30-minute slot: they are counted per day and sent only
//! once the day has ended, so a rating cannot be matched to a visit by its time.

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};

/// The service level the figures are drawn against: a member waits under 30 minutes
/// (seeds 000 and 001; docs/domain.md).
pub const WAIT_TARGET_MINUTES: u32 = 30;

/// The most rows one heartbeat carries; the rest go with the next.
pub const MAX_PER_HEARTBEAT: usize = 400;

/// The most bytes a heartbeat with its counts may take: under the hub's 64 KiB body
/// limit, with room for the report growing. The agent sends fewer counts to stay under it.
pub const HEARTBEAT_BUDGET: usize = 56 * 1024;

/// The most one count may reach (a kiosk serves hundreds a day, not millions).
pub const MAX_COUNT: i64 = 10_000_000;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// Tickets issued, by service code.
    Tickets,
    /// The estimated waits of those tickets, summed in minutes, by service code.
    WaitMinutes,
    /// Tickets whose estimated wait was over [`WAIT_TARGET_MINUTES`], by service code.
    WaitOver,
    /// Identifications that did not match (no key).
    IdFailures,
    /// Identifications refused because the identifier was locked, or that locked it.
    Lockouts,
    /// Slips or tickets the printer failed, by fault code.
    PrintFaults,
    /// Ratings per day, by stars (`1`–`5`).
    Ratings,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Tickets,
        Metric::WaitMinutes,
        Metric::WaitOver,
        Metric::IdFailures,
        Metric::Lockouts,
        Metric::PrintFaults,
        Metric::Ratings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Tickets => "tickets",
            Metric::WaitMinutes => "wait_minutes",
            Metric::WaitOver => "wait_over",
            Metric::IdFailures => "id_failures",
            Metric::Lockouts => "lockouts",
            Metric::PrintFaults => "print_faults",
            Metric::Ratings => "ratings",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Counted per day (a `YYYY-MM-DD` slot) rather than per 30 minutes.
    pub fn daily(self) -> bool {
        self == Metric::Ratings
    }
}

/// One count as the kiosk sends it and the hub keeps it.
/// Fields a newer kiosk adds are ignored, not refused (the heartbeat's health goes with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotCount {
    /// `YYYY-MM-DDTHH:MM` (the slot's start, minutes 00 or 30, the kiosk's local time), or
    /// `YYYY-MM-DD` for a daily metric.
    pub slot: String,
    pub metric: String,
    /// The service code, fault code or stars; empty when the metric has none.
    #[serde(default)]
    pub key: String,
    pub n: i64,
}

/// The 30-minute slot `local` falls in.
pub fn slot_of(local: NaiveDateTime) -> String {
    let minute = if local.minute() < 30 { 0 } else { 30 };
    format!("{}T{:02}:{minute:02}", local.date(), local.hour())
}

/// The daily slot of `day`.
pub fn day_slot(day: NaiveDate) -> String {
    day.to_string()
}

/// The day a slot belongs to.
pub fn slot_day(slot: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(slot.get(..10)?, "%Y-%m-%d").ok()
}

/// `code` as a key the hub accepts: other characters become `_`, at most 32 kept (a
/// service code such as `A.1` is counted as `A_1` rather than dropped at the hub).
pub fn key_of(code: &str) -> String {
    code.chars()
        .take(32)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A key the hub accepts: up to 32 letters, digits, `_` or `-`.
fn valid_key(key: &str) -> bool {
    key.len() <= 32
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl SlotCount {
    pub fn new(slot: String, metric: Metric, key: &str, n: i64) -> Self {
        Self {
            slot,
            metric: metric.as_str().to_owned(),
            key: key.to_owned(),
            n,
        }
    }

    /// The metric, when the row is one the hub keeps; otherwise what is wrong with it.
    pub fn check(&self) -> Result<Metric, String> {
        let metric = Metric::parse(&self.metric)
            .ok_or_else(|| format!("unknown metric {:?}", self.metric))?;
        let slot_ok = if metric.daily() {
            self.slot.len() == 10 && slot_day(&self.slot).is_some()
        } else {
            self.slot.len() == 16
                && slot_day(&self.slot).is_some()
                && NaiveDateTime::parse_from_str(&self.slot, "%Y-%m-%dT%H:%M")
                    .is_ok_and(|t| t.minute() % 30 == 0)
        };
        if !slot_ok {
            return Err(format!(
                "slot {:?} is not a {} slot",
                self.slot,
                if metric.daily() {
                    "YYYY-MM-DD"
                } else {
                    "YYYY-MM-DDTHH:00 or :30"
                }
            ));
        }
        if !valid_key(&self.key) {
            return Err(format!("key {:?} is not a code", self.key));
        }
        if metric == Metric::Ratings && !matches!(self.key.as_str(), "1" | "2" | "3" | "4" | "5") {
            return Err(format!(
                "a rating's key is 1 to 5 stars, not {:?}",
                self.key
            ));
        }
        if !(0..=MAX_COUNT).contains(&self.n) {
            return Err(format!("count {} is out of range", self.n));
        }
        Ok(metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn slots_are_half_hours_of_the_local_clock() {
        assert_eq!(slot_of(at("2026-12-02 08:29:59")), "2026-12-02T08:00");
        assert_eq!(slot_of(at("2026-12-02 08:30:00")), "2026-12-02T08:30");
        assert_eq!(slot_of(at("2026-12-02 23:59:00")), "2026-12-02T23:30");
        assert_eq!(
            slot_day("2026-12-02T23:30"),
            NaiveDate::from_ymd_opt(2026, 12, 2)
        );
    }

    #[test]
    fn any_code_becomes_a_key_the_hub_keeps() {
        for (code, key) in [
            ("A", "A"),
            ("A.1", "A_1"),
            ("Á/B", "__B"),
            ("PAPER_END", "PAPER_END"),
        ] {
            assert_eq!(key_of(code), key);
            assert!(valid_key(&key_of(code)));
        }
        assert_eq!(key_of(&"x".repeat(40)).len(), 32);
    }

    #[test]
    fn the_hub_keeps_only_well_formed_rows() {
        let ok = SlotCount::new("2026-12-02T08:30".into(), Metric::Tickets, "A", 4);
        assert_eq!(ok.check(), Ok(Metric::Tickets));
        let rating = SlotCount::new("2026-12-01".into(), Metric::Ratings, "5", 2);
        assert_eq!(rating.check(), Ok(Metric::Ratings));
        let bad = [
            SlotCount::new("2026-12-02T08:15".into(), Metric::Tickets, "A", 1),
            SlotCount::new("2026-12-02".into(), Metric::Tickets, "A", 1),
            SlotCount::new("2026-12-02T08:00".into(), Metric::Ratings, "5", 1),
            SlotCount::new("2026-12-01".into(), Metric::Ratings, "6", 1),
            SlotCount::new("2026-12-02T08:00".into(), Metric::Tickets, "A; DROP", 1),
            SlotCount::new("2026-12-02T08:00".into(), Metric::Tickets, "A", -1),
            SlotCount::new("2026-13-02T08:00".into(), Metric::Tickets, "A", 1),
            SlotCount {
                metric: "names".into(),
                ..ok.clone()
            },
        ];
        for row in bad {
            assert!(row.check().is_err(), "{row:?}");
        }
    }
}
