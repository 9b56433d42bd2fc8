//! When a kiosk may install and restart: inside its install window (local time, outside
//! service hours) and while no member is using it.

use std::str::FromStr;

use chrono::{NaiveTime, Timelike};

/// A daily span of local time, `22:00-05:00` (may pass midnight); equal ends: all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstallWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for InstallWindow {
    /// 22:00 to 05:00: after the branch closes, before the first member arrives.
    fn default() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(22, 0, 0).expect("a valid time"),
            end: NaiveTime::from_hms_opt(5, 0, 0).expect("a valid time"),
        }
    }
}

impl InstallWindow {
    /// Whether `t` (local) lies inside: from `start` up to, not including, `end`.
    pub fn contains(&self, t: NaiveTime) -> bool {
        let t = t.with_nanosecond(0).unwrap_or(t);
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Less => self.start <= t && t < self.end,
            std::cmp::Ordering::Greater => t >= self.start || t < self.end,
        }
    }
}

impl FromStr for InstallWindow {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("install window {s:?} must be HH:MM-HH:MM in local time, e.g. 22:00-05:00");
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let time = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        Ok(Self {
            start: time(a)?,
            end: time(b)?,
        })
    }
}

impl std::fmt::Display for InstallWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn a_window_over_midnight_holds_the_night_and_not_the_day() {
        let w: InstallWindow = "22:00-05:00".parse().unwrap();
        assert_eq!(w, InstallWindow::default());
        for inside in [t(22, 0), t(23, 59), t(0, 0), t(4, 59)] {
            assert!(w.contains(inside), "{inside}");
        }
        for outside in [t(5, 0), t(8, 0), t(12, 0), t(21, 59)] {
            assert!(!w.contains(outside), "{outside}");
        }
        assert_eq!(w.to_string(), "22:00-05:00");
    }

    #[test]
    fn a_daytime_window_and_an_all_day_one() {
        let w: InstallWindow = "12:00-13:30".parse().unwrap();
        assert!(w.contains(t(12, 0)) && w.contains(t(13, 29)));
        assert!(!w.contains(t(13, 30)) && !w.contains(t(11, 59)));
        let all: InstallWindow = "00:00-00:00".parse().unwrap();
        assert!(all.contains(t(9, 0)) && all.contains(t(23, 59)));
    }

    #[test]
    fn malformed_windows_say_how_to_write_one() {
        for bad in [
            "",
            "22:00",
            "25:00-05:00",
            "22-05",
            "10:00–11:00",
            "ab:cd-ef:gh",
        ] {
            let e = bad.parse::<InstallWindow>().unwrap_err();
            assert!(e.contains("HH:MM-HH:MM"), "{bad}: {e}");
        }
    }
}
