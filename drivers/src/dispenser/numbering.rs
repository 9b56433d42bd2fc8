//! Ticket numbering: per service, per series (regular/priority), per service day, with a
//! memory of recent request ids so a retried request gets the number it already has.
//!
//! "Now" is always an argument: the service day is computed from a UTC instant, the kiosk's
//! zone offset and the reset hour, never from the machine's local time.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

use super::{NakCode, Ticket};

/// How many recent request ids the dispenser remembers.
pub const RECENT_REQUESTS: usize = 256;

/// The service day at `now` for a kiosk in `zone` whose day starts at `reset_hour` local time.
pub fn service_day(now: DateTime<Utc>, zone: FixedOffset, reset_hour: u32) -> NaiveDate {
    let local = now.with_timezone(&zone).naive_local();
    (local - Duration::hours(i64::from(reset_hour.min(23)))).date()
}

/// The dispenser's counters: what a real one keeps in non-volatile memory.
#[derive(Debug, Clone)]
pub struct Numbering {
    day: NaiveDate,
    counters: HashMap<(char, bool), u16>,
    recent: VecDeque<Ticket>,
}

impl Numbering {
    /// Fresh counters for `day`.
    pub fn new(day: NaiveDate) -> Self {
        Self {
            day,
            counters: HashMap::new(),
            recent: VecDeque::new(),
        }
    }

    /// The day being numbered.
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// Tickets issued today, all series.
    pub fn issued(&self) -> u16 {
        self.counters.values().copied().sum()
    }

    /// Starts a new day if `day` is not the current one.
    pub fn roll_to(&mut self, day: NaiveDate) {
        if day != self.day {
            self.reset(day);
        }
    }

    /// RESET-DAY: counters back to zero (request memory too: yesterday's ids mean nothing).
    pub fn reset(&mut self, day: NaiveDate) {
        self.day = day;
        self.counters.clear();
        self.recent.clear();
    }

    /// Issues the next number, or returns the one `request_id` already has.
    pub fn issue(
        &mut self,
        service: char,
        priority: bool,
        request_id: u32,
        day: NaiveDate,
    ) -> Result<Ticket, NakCode> {
        if !service.is_ascii_uppercase() {
            return Err(NakCode::UnknownService);
        }
        self.roll_to(day);
        if let Some(t) = self.lookup(request_id) {
            return Ok(Ticket { repeat: true, ..t });
        }
        let max = if priority { 99 } else { 999 };
        let c = self.counters.entry((service, priority)).or_insert(0);
        if *c >= max {
            return Err(NakCode::SeriesFull);
        }
        *c += 1;
        let t = Ticket {
            service,
            priority,
            number: *c,
            // No counter calls tickets in this protocol: every earlier ticket is still ahead.
            ahead: *c - 1,
            request_id,
            repeat: false,
        };
        if self.recent.len() == RECENT_REQUESTS {
            self.recent.pop_front();
        }
        self.recent.push_back(t);
        Ok(t)
    }

    /// The ticket a request id got, if remembered.
    pub fn lookup(&self, request_id: u32) -> Option<Ticket> {
        self.recent
            .iter()
            .rev()
            .find(|t| t.request_id == request_id)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn numbers_per_service_and_series_and_repeats() {
        let mut n = Numbering::new(d("2026-11-22"));
        let day = d("2026-11-22");
        assert_eq!(n.issue('A', false, 1, day).unwrap().display(), "A-001");
        assert_eq!(n.issue('A', false, 2, day).unwrap().display(), "A-002");
        assert_eq!(n.issue('B', false, 3, day).unwrap().display(), "B-001");
        assert_eq!(n.issue('A', true, 4, day).unwrap().display(), "A-P01");
        let again = n.issue('A', false, 2, day).unwrap();
        assert_eq!((again.display(), again.repeat), ("A-002".into(), true));
        assert_eq!(n.issued(), 4);
        assert_eq!(n.issue('a', false, 9, day), Err(NakCode::UnknownService));
    }

    #[test]
    fn the_day_rolls_and_series_fill() {
        let mut n = Numbering::new(d("2026-11-22"));
        n.issue('C', false, 1, d("2026-11-22")).unwrap();
        let t = n.issue('C', false, 2, d("2026-11-23")).unwrap();
        assert_eq!(t.number, 1);
        for i in 0..98 {
            n.issue('D', true, 100 + i, d("2026-11-23")).unwrap();
        }
        assert_eq!(
            n.issue('D', true, 999, d("2026-11-23")).unwrap().display(),
            "D-P99"
        );
        assert_eq!(
            n.issue('D', true, 1000, d("2026-11-23")),
            Err(NakCode::SeriesFull)
        );
    }

    #[test]
    fn service_day_follows_zone_and_reset_hour() {
        let wita = FixedOffset::east_opt(8 * 3600).unwrap();
        // 2026-11-22 21:30 UTC is 05:30 on the 23rd in WITA.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 21, 30, 0).unwrap();
        assert_eq!(service_day(now, wita, 0), d("2026-11-23"));
        assert_eq!(service_day(now, wita, 6), d("2026-11-22"));
        assert_eq!(service_day(now, wita, 5), d("2026-11-23"));
    }
}
