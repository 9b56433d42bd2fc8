//! `anjungan query ...`: the member questions, answered as the kiosk would.

use std::path::PathBuf;

use anjungan::domain::Kelas;
use anjungan::services::{
    Identity, IdentityKey, Lockout, LockoutPolicy, MemberSession, ServiceError, places,
};
use anjungan::store::{FacilityQuery, OfficeQuery, Point, Store};
use clap::{Args, Subcommand};

use super::output::Answer;
use super::{Failure, Today};

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Membership status.
    Status(MemberArgs),
    /// Dues and arrears.
    Dues(MemberArgs),
    /// Virtual Account numbers.
    Va(MemberArgs),
    /// Facility (faskes) search.
    Facilities(FacilityArgs),
    /// BPJS office search.
    Offices(OfficeArgs),
    /// May the member move to another FKTP?
    ChangeFktp(ChangeFktpArgs),
    /// May the member's family move to another kelas?
    ChangeKelas(ChangeKelasArgs),
    /// A change request's state (PENDING, SENT, APPROVED, REJECTED) and reason.
    Request(RequestArgs),
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    #[arg(long)]
    db: PathBuf,
    /// The reference on the slip, e.g. AJ-4K7QM-2XD9R.
    #[arg(long)]
    reference: String,
    #[arg(long)]
    json: bool,
}

impl QueryCommand {
    pub fn json(&self) -> bool {
        match self {
            Self::Status(a) | Self::Dues(a) | Self::Va(a) => a.json,
            Self::Facilities(a) => a.json,
            Self::Offices(a) => a.json,
            Self::ChangeFktp(a) => a.member.json,
            Self::ChangeKelas(a) => a.member.json,
            Self::Request(a) => a.json,
        }
    }
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("who").required(true).args(["nik", "card"]))]
pub struct MemberArgs {
    /// The kiosk database (default with --config: its [kiosk] db).
    #[arg(long, required_unless_present = "config")]
    db: Option<PathBuf>,
    /// The kiosk's configuration file: with a [hub], a member who is not in this kiosk's
    /// regions is looked up at the hub (held in memory for this answer only).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The member's NIK (16 digits).
    #[arg(long)]
    nik: Option<String>,
    /// The member's JKN card number (13 digits).
    #[arg(long)]
    card: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long)]
    dob: String,
    #[command(flatten)]
    pub(super) today: Today,
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Debug, Args)]
pub struct ChangeFktpArgs {
    #[command(flatten)]
    pub(super) member: MemberArgs,
    /// The FKTP code to move to.
    #[arg(long)]
    pub(super) to: String,
}

#[derive(Debug, Args)]
pub struct ChangeKelasArgs {
    #[command(flatten)]
    pub(super) member: MemberArgs,
    /// The kelas to move to: 1, 2 or 3.
    #[arg(long)]
    pub(super) to: String,
}

#[derive(Debug, Args)]
pub struct FacilityArgs {
    #[arg(long)]
    db: PathBuf,
    /// Free text: every word must match the start of a word in name, address, kecamatan or
    /// kab/kota.
    #[arg(long)]
    text: Option<String>,
    /// Rank by distance from LAT,LON (e.g. -6.90,107.59).
    #[arg(long, allow_hyphen_values = true)]
    near: Option<String>,
    /// Type codes, comma-separated, or FKTP / FKRTL.
    #[arg(long = "type")]
    kind: Option<String>,
    /// A province code (2 digits) or a kab/kota name.
    #[arg(long)]
    region: Option<String>,
    /// Only active FKTPs that still take members.
    #[arg(long)]
    open: bool,
    /// At most this many rows, 1 to 200 (larger values are capped at 200).
    #[arg(long, default_value_t = 20, value_parser = parse_limit)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct OfficeArgs {
    #[arg(long)]
    db: PathBuf,
    #[arg(long)]
    text: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    near: Option<String>,
    /// Level codes, comma-separated: PUSAT, KEDEPUTIAN, CABANG, KABKOTA, MPP.
    #[arg(long = "type")]
    kind: Option<String>,
    /// A kab/kota name.
    #[arg(long)]
    region: Option<String>,
    /// At most this many rows, 1 to 200 (larger values are capped at 200).
    #[arg(long, default_value_t = 20, value_parser = parse_limit)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

/// An answer about a member, with where the member's data came from: `local` (this
/// kiosk's regions) or `hub` (looked up for this answer).
#[derive(serde::Serialize)]
struct Sourced<'a, T: serde::Serialize> {
    source: &'static str,
    #[serde(flatten)]
    view: &'a T,
}

fn sourced<T: serde::Serialize>(source: &'static str, view: &T) -> Answer {
    Answer::json_or_text(&Sourced { source, view })
}

pub fn run(q: &QueryCommand) -> Result<Answer, Failure> {
    match q {
        QueryCommand::Status(a) => {
            let m = identify_in(a)?;
            Ok(sourced(m.source, &m.session.status(m.today)))
        }
        QueryCommand::Dues(a) => {
            let m = identify_in(a)?;
            Ok(sourced(m.source, &m.session.dues(m.today)))
        }
        QueryCommand::Va(a) => {
            let m = identify_in(a)?;
            Ok(sourced(m.source, &m.session.virtual_accounts(m.today)?))
        }
        QueryCommand::ChangeFktp(a) => {
            let m = identify_in(&a.member)?;
            Ok(sourced(
                m.source,
                &m.session.change_fktp(&m.store, &a.to, m.today)?,
            ))
        }
        QueryCommand::ChangeKelas(a) => {
            let to =
                a.to.trim()
                    .parse::<Kelas>()
                    .map_err(|_| ServiceError::InvalidKelas(a.to.clone()))?;
            let m = identify_in(&a.member)?;
            Ok(sourced(m.source, &m.session.change_kelas(to, m.today)))
        }
        QueryCommand::Request(a) => {
            let store = open(&a.db)?;
            Ok(Answer::json_or_text(
                &anjungan::services::request::request_status(&store, &a.reference)?,
            ))
        }
        QueryCommand::Facilities(a) => {
            let store = open(&a.db)?;
            let query = FacilityQuery {
                text: a.text.clone(),
                near: near(a.near.as_deref())?,
                types: match &a.kind {
                    Some(k) => places::parse_facility_types(k)?,
                    None => Vec::new(),
                },
                region: a.region.clone(),
                open_fktp_only: a.open,
                limit: a.limit,
            };
            Ok(Answer::rows(&places::search_facilities(&store, &query)?))
        }
        QueryCommand::Offices(a) => {
            let store = open(&a.db)?;
            let query = OfficeQuery {
                text: a.text.clone(),
                near: near(a.near.as_deref())?,
                levels: match &a.kind {
                    Some(k) => places::parse_office_levels(k)?,
                    None => Vec::new(),
                },
                region: a.region.clone(),
                limit: a.limit,
            };
            Ok(Answer::rows(&places::search_offices(&store, &query)?))
        }
    }
}

/// The most rows a search returns; a larger `--limit` is capped here.
pub const MAX_LIMIT: usize = 200;

/// `--limit`: 0 is refused (it used to return a row); above [`MAX_LIMIT`] is capped.
fn parse_limit(s: &str) -> Result<usize, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("0: harus minimal 1 / must be at least 1".into()),
        Ok(n) => Ok(usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT)),
        Err(_) => Err(format!(
            "{s:?}: harus bilangan bulat 1 sampai {MAX_LIMIT} / must be a whole number from 1 to {MAX_LIMIT}"
        )),
    }
}

fn near(s: Option<&str>) -> Result<Option<Point>, ServiceError> {
    s.map(|s| Point::parse(s).ok_or_else(|| ServiceError::InvalidLocation(s.to_owned())))
        .transpose()
}

/// Opens the database for reading; a missing file is a technician's mistake, said plainly.
pub(super) fn open(db: &std::path::Path) -> Result<Store, Failure> {
    if !db.is_file() {
        return Err(Failure::no_database(db));
    }
    Store::open_read_only_any(db).map_err(Failure::store)
}

impl MemberArgs {
    /// The configuration file, when one was given.
    fn config(&self) -> Result<Option<anjungan::config::Config>, Failure> {
        self.config
            .as_deref()
            .map(|path| {
                anjungan::config::Config::load(path).map_err(|e| {
                    Failure::new(
                        "BAD_CONFIG",
                        super::bilingual(
                            format!("Berkas konfigurasi tidak dapat dipakai: {e}"),
                            format!("The configuration file cannot be used: {e}"),
                        ),
                        2,
                    )
                })
            })
            .transpose()
    }

    /// The database: --db, else the configuration's [kiosk] db.
    pub(super) fn db(&self) -> Result<PathBuf, Failure> {
        if let Some(db) = &self.db {
            return Ok(db.clone());
        }
        Ok(self.config()?.map(|c| c.kiosk.db).unwrap_or_default())
    }
}

/// An identified member.
pub(super) struct Identified {
    pub session: MemberSession,
    pub today: chrono::NaiveDate,
    /// The kiosk's store; for a member looked up at the hub it also holds their family,
    /// in memory, on this connection only.
    pub store: Store,
    /// `local` or `hub`.
    pub source: &'static str,
}

pub(super) fn identify(a: &MemberArgs) -> Result<(MemberSession, chrono::NaiveDate), Failure> {
    identify_in(a).map(|m| (m.session, m.today))
}

/// Identifies the member through the kiosk's lockout (the same count as the UI's, kept in
/// the database; in memory on a read-only file). A mismatch, with a hub configured, asks
/// the hub: a member from another region is found there. When the hub cannot be reached
/// the mismatch says the kiosk is offline, for a local typo too, so it reveals nothing.
pub(super) fn identify_in(a: &MemberArgs) -> Result<Identified, Failure> {
    let today = a.today.resolve();
    // clap's "who" group guarantees one of the two; a NIK wins if both were given.
    let key = match (&a.nik, &a.card) {
        (Some(n), _) => IdentityKey::Nik(n.clone()),
        (None, c) => IdentityKey::Card(c.clone().unwrap_or_default()),
    };
    let identity = Identity::parse(key, &a.dob, today)?;
    let config = a.config()?;
    let db = a.db()?;
    if !db.is_file() {
        return Err(Failure::no_database(&db));
    }
    let mut store = Store::open_for_lookups(&db).map_err(Failure::store)?;
    let mut lockout = Lockout::new(&store, LockoutPolicy::default());
    // A kiosk whose regions hold no member yet (NO_DATA) asks the hub too; offline it
    // keeps saying it has no data, which reveals nothing.
    let (attempts_left, local_error) = match lockout.identify(&store, &identity, chrono::Utc::now())
    {
        Ok(session) => {
            return Ok(Identified {
                session,
                today,
                store,
                source: "local",
            });
        }
        Err(ServiceError::IdentityMismatch { attempts_left, .. }) => (attempts_left, None),
        Err(e @ ServiceError::NoData) => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let hub = match &config {
        Some(c) if c.hub.is_some() => super::sync::kiosk_agent_config(c, db.clone())?,
        _ => None,
    };
    let Some(hub) = hub else {
        return Err(local_error
            .unwrap_or(ServiceError::IdentityMismatch {
                attempts_left,
                offline: false,
            })
            .into());
    };
    let id = match &identity.key {
        IdentityKey::Nik(n) | IdentityKey::Card(n) => n.clone(),
    };
    let birth = identity.birth_date.format("%Y-%m-%d").to_string();
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::internal)?
        .block_on(anjungan::sync::lookup::lookup(&hub, &id, &birth));
    use anjungan::sync::lookup::LookupAnswer;
    match answer {
        Ok(LookupAnswer::Found(rows)) => {
            anjungan::sync::lookup::visit(&mut store, &rows).map_err(Failure::internal)?;
            // Found: the count the local mismatch made is cleared like any success.
            let session = lockout.identify(&store, &identity, chrono::Utc::now())?;
            Ok(Identified {
                session,
                today,
                store,
                source: "hub",
            })
        }
        Ok(LookupAnswer::Mismatch) => Err(ServiceError::IdentityMismatch {
            attempts_left,
            offline: false,
        }
        .into()),
        Ok(LookupAnswer::Locked { seconds_left }) => {
            Err(ServiceError::IdentityLocked { seconds_left }.into())
        }
        Err(e) => {
            tracing::warn!(code = e.code(), "member lookup at the hub failed");
            Err(local_error
                .unwrap_or(ServiceError::IdentityMismatch {
                    attempts_left,
                    offline: true,
                })
                .into())
        }
    }
}
