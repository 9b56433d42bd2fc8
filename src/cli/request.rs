//! `anjungan request change-fktp|change-kelas`: take a change request into the outbox.

use anjungan::domain::Kelas;
use anjungan::services::ServiceError;
use anjungan::services::request::{Change, submit_change};
use clap::{Args, Subcommand};

use super::Failure;
use super::output::Answer;
use super::query::{ChangeFktpArgs, ChangeKelasArgs, identify_in};

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Request a move to another FKTP (the member must be eligible).
    ChangeFktp(RequestFktp),
    /// Request a kelas change for the whole family (the member must be eligible).
    ChangeKelas(RequestKelas),
}

#[derive(Debug, Args)]
pub struct RequestFktp {
    #[command(flatten)]
    change: ChangeFktpArgs,
    /// Refuse when the data is older than this many hours ([sync] max_data_age_hours).
    #[arg(long, default_value_t = 48, value_parser = super::parse_max_age_hours)]
    max_data_age_hours: u64,
}

#[derive(Debug, Args)]
pub struct RequestKelas {
    #[command(flatten)]
    change: ChangeKelasArgs,
    #[arg(long, default_value_t = 48, value_parser = super::parse_max_age_hours)]
    max_data_age_hours: u64,
}

impl RequestCommand {
    pub fn json(&self) -> bool {
        match self {
            Self::ChangeFktp(a) => a.change.member.json,
            Self::ChangeKelas(a) => a.change.member.json,
        }
    }
}

pub fn run(cmd: &RequestCommand) -> Result<Answer, Failure> {
    let (member, change, max_age) = match cmd {
        RequestCommand::ChangeFktp(a) => (
            &a.change.member,
            Change::Fktp(a.change.to.trim().to_owned()),
            a.max_data_age_hours,
        ),
        RequestCommand::ChangeKelas(a) => (
            &a.change.member,
            Change::Kelas(
                a.change
                    .to
                    .trim()
                    .parse::<Kelas>()
                    .map_err(|_| ServiceError::InvalidKelas(a.change.to.clone()))?,
            ),
            a.max_data_age_hours,
        ),
    };
    let mut m = identify_in(member)?;
    // Returns only after the outbox commit is durable (synchronous = FULL). A member
    // looked up at the hub goes through the outbox like any other.
    let submitted = submit_change(
        &mut m.store,
        &m.session,
        &change,
        m.today,
        chrono::Utc::now(),
        max_age,
    )?;
    Ok(Answer::json_or_text(&submitted))
}
