//! Eligibility as the hub sees it now: the kiosk's own rules ([`MemberSession`]) run over
//! the hub's current rows of the member's family, the two facilities and the rules, loaded
//! into a private in-memory database for the one check. So an officer sees what the member
//! would be told today, not what the kiosk computed when the request was made.

use anjungan_core::domain::{Bilingual, CardNo, Kelas};
use anjungan_core::services::{Identity, IdentityKey, MemberSession};
use anjungan_core::store::Store;
use anjungan_core::sync::tables::{Applier, Op};
use chrono::NaiveDate;
use serde_json::Value;

use crate::HubError;
use crate::store::{HubStore, RequestRow};

/// What the hub makes of a request today.
#[derive(Debug, Clone, PartialEq)]
pub struct Recheck {
    pub eligible: bool,
    /// Why not, one message per reason (empty when eligible).
    pub reasons: Vec<Bilingual>,
    /// Current and requested: FKTP codes with names, or classes.
    pub from: String,
    pub from_name: Option<String>,
    pub to: String,
    pub to_name: Option<String>,
    pub effective_date: Option<NaiveDate>,
}

impl Recheck {
    fn refused(reason: Bilingual, to: String) -> Self {
        Self {
            eligible: false,
            reasons: vec![reason],
            from: String::new(),
            from_name: None,
            to,
            to_name: None,
            effective_date: None,
        }
    }
}

/// Column positions in the wire rows of `members`.
const KK: usize = 2;
const BIRTH: usize = 4;
const RELATION: usize = 6;
const FKTP: usize = 9;

fn text(row: &[Value], i: usize) -> String {
    row.get(i)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The requesting member's row and their family's: two reads, enough for the inbox's
/// region column and filter; [`recheck`] reads the rest only for the rows it shows.
pub struct Household {
    member: Vec<Value>,
    family: Vec<Vec<Value>>,
}

impl Household {
    /// The household of card `card`, if the hub still has the member.
    pub fn of(store: &dyn HubStore, card: &str) -> Result<Option<Self>, HubError> {
        let Some(member) = store
            .wire_rows("members", Some(("card_no", &[card.to_owned()])))?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let kk = text(&member, KK);
        let family = store.wire_rows("members", Some(("kk_no", &[kk])))?;
        Ok(Some(Self { member, family }))
    }

    /// The family's bucket by the rule of `anjungan_core::sync::regions`: the first four
    /// characters of the FKTP of its head (`PESERTA`; the lowest card number among
    /// several, or among all when none is).
    pub fn region(&self) -> Option<String> {
        self.family
            .iter()
            .min_by_key(|m| (text(m, RELATION) != "PESERTA", text(m, 0)))
            .map(|head| text(head, FKTP).chars().take(4).collect())
    }
}

/// The rules and tariffs, read once for every request a page rechecks.
pub struct Rules {
    rules: Vec<Vec<Value>>,
    tariffs: Vec<Vec<Value>>,
}

impl Rules {
    pub fn load(store: &dyn HubStore) -> Result<Self, HubError> {
        Ok(Self {
            rules: store.wire_rows("rules", None)?,
            tariffs: store.wire_rows("tariffs", None)?,
        })
    }
}

/// The request's target, as the kiosk sent it.
fn target(req: &RequestRow) -> String {
    match req.change.get("to") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Rechecks `req` (its member's `household`, `None` when the hub no longer has them)
/// against the hub's rows as of `today`.
pub fn recheck(
    store: &dyn HubStore,
    req: &RequestRow,
    household: Option<&Household>,
    rules: &Rules,
    today: NaiveDate,
) -> Result<Recheck, HubError> {
    let to = target(req);
    let Some(household) = household else {
        return Ok(Recheck::refused(
            Bilingual::tr("Peserta tidak ada lagi di data hub."),
            to,
        ));
    };
    let (kk, birth, fktp) = (
        text(&household.member, KK),
        text(&household.member, BIRTH),
        text(&household.member, FKTP),
    );
    let bills = store.wire_rows("bills", Some(("kk_no", &[kk])))?;
    let mut codes = vec![fktp];
    if req.kind == "FKTP" {
        codes.push(to.clone());
    }
    let facilities = store.wire_rows("facilities", Some(("code", &codes)))?;

    let mut scratch = Store::open_in_memory()?;
    {
        let tx = scratch
            .connection()
            .transaction()
            .map_err(anjungan_core::store::StoreError::from)?;
        let mut applier = Applier::new(&tx);
        for (table, rows) in [
            ("members", &household.family),
            ("bills", &bills),
            ("facilities", &facilities),
            ("rules", &rules.rules),
            ("tariffs", &rules.tariffs),
        ] {
            for values in rows {
                applier.apply(table, Op::Upsert, values)?;
            }
        }
        applier.finish()?;
        tx.commit()
            .map_err(anjungan_core::store::StoreError::from)?;
    }
    let (Ok(card), Ok(birth_date)) = (
        CardNo::parse(&req.card_no),
        NaiveDate::parse_from_str(&birth, "%Y-%m-%d"),
    ) else {
        return Ok(Recheck::refused(
            Bilingual::tr("Data peserta di hub tidak lengkap."),
            to,
        ));
    };
    let identity = Identity {
        key: IdentityKey::Card(card.as_str().to_owned()),
        birth_date,
    };
    let session = match MemberSession::identify(&scratch, &identity) {
        Ok(s) => s,
        Err(e) => {
            use anjungan_core::domain::Explain as _;
            return Ok(Recheck::refused(e.explain(), to));
        }
    };
    let view = match req.kind.as_str() {
        "FKTP" => session
            .change_fktp(&scratch, &to, today)
            .map_err(|e| HubError::BadRequest(format!("recheck: {e}")))?,
        _ => match to.parse::<Kelas>() {
            Ok(kelas) => session.change_kelas(kelas, today),
            Err(_) => {
                return Ok(Recheck::refused(
                    Bilingual::tr("Kelas yang diminta tidak dikenal."),
                    to,
                ));
            }
        },
    };
    Ok(Recheck {
        eligible: view.eligible,
        reasons: view.messages,
        from: view.from,
        from_name: view.from_name,
        to: view.to,
        to_name: view.to_name,
        effective_date: Some(view.effective_date),
    })
}
