//! What the kiosk's and the hub's command lines share: answers printed as JSON (`--json`)
//! or bilingual text ([`output`]), writes that survive a closed pipe ([`stdio`]), the
//! `--today`/`--tz` options, and the macros that print through [`stdio`].

pub mod output;
pub mod stdio;

use chrono::NaiveDate;
use clap::Args;

use crate::clock;
use crate::domain::{self, Bilingual};

pub use output::{Answer, Failure};

/// `print!` through [`stdio::write_out`]: a closed stdout ends the process quietly.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::stdio::write_out(format_args!($($arg)*)) };
}

/// `println!` through [`stdio::write_out`].
#[macro_export]
macro_rules! outln {
    () => { $crate::cli::stdio::write_out(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::stdio::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` through [`stdio::write_err`].
#[macro_export]
macro_rules! errln {
    () => { $crate::cli::stdio::write_err(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::cli::stdio::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Options every date-dependent command shares.
#[derive(Debug, Clone, Args)]
pub struct Today {
    /// The date to answer for (YYYY-MM-DD); default: today in --tz.
    #[arg(long, value_parser = parse_date_arg)]
    pub today: Option<NaiveDate>,
    /// The kiosk's zone: WIB, WITA, WIT or an IANA name.
    #[arg(long, default_value = "WIB", value_parser = parse_zone_arg)]
    pub tz: chrono_tz::Tz,
}

impl Today {
    pub fn resolve(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| clock::today_in(self.tz))
    }
}

pub fn parse_date_arg(s: &str) -> Result<NaiveDate, String> {
    domain::calendar::parse_date(s).map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

pub fn parse_zone_arg(s: &str) -> Result<chrono_tz::Tz, String> {
    clock::parse_zone(s)
        .ok_or_else(|| format!("{s:?} is not a time zone (WIB, WITA, WIT, Asia/Jakarta...)"))
}

/// A whole number in `range`, or a bilingual message naming the range.
pub fn parse_in_range(s: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    let (lo, hi) = (range.start(), range.end());
    match s.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{s:?} harus bilangan bulat {lo} sampai {hi} / must be a whole number from {lo} to {hi}"
        )),
    }
}

/// A message that exists in both languages, for the few texts a command writes itself.
pub fn bilingual(id: impl Into<String>, en: impl Into<String>) -> Bilingual {
    Bilingual {
        id: id.into(),
        en: en.into(),
    }
}

/// A command line clap could not parse: with `--json` anywhere on it, the usual
/// `{"error": "USAGE", ...}` document; otherwise clap's own help text.
pub fn usage_error(e: clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational || !std::env::args().any(|a| a == "--json") {
        e.exit();
    }
    let failure = Failure::usage(&e.render().to_string());
    failure.print(true);
    std::process::ExitCode::from(failure.exit_code())
}

/// Prints a command's outcome and gives its exit code.
pub fn finish(json: bool, result: Result<Answer, Failure>) -> std::process::ExitCode {
    match result {
        Ok(answer) => {
            answer.print(json);
            std::process::ExitCode::from(answer.exit_code())
        }
        Err(failure) => {
            failure.print(json);
            std::process::ExitCode::from(failure.exit_code())
        }
    }
}
