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
    /// The family's region (bucket): the kab/kota of its head's FKTP.
    pub region: Option<String>,
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
            region: None,
        }
    }
}

/// The family's bucket by the rule of `anjungan_core::sync::regions`: the first four
/// characters of the FKTP of its head (`PESERTA`; the lowest card number among several, or
/// among all when none is).
fn region_of(family: &[Vec<Value>]) -> Option<String> {
    let text = |row: &Vec<Value>, i: usize| {
        row.get(i)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    family
        .iter()
        .min_by_key(|m| (text(m, RELATION) != "PESERTA", text(m, 0)))
        .map(|head| text(head, FKTP).chars().take(4).collect())
}

/// Column positions in the wire rows of `members`.
const KK: usize = 2;
const BIRTH: usize = 4;
const RELATION: usize = 6;
const FKTP: usize = 9;

/// The request's target, as the kiosk sent it.
fn target(req: &RequestRow) -> String {
    match req.change.get("to") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Rechecks `req` against the hub's rows as of `today`.
pub fn recheck(
    store: &dyn HubStore,
    req: &RequestRow,
    today: NaiveDate,
) -> Result<Recheck, HubError> {
    let to = target(req);
    let member = store.wire_rows(
        "members",
        Some(("card_no", std::slice::from_ref(&req.card_no))),
    )?;
    let Some(row) = member.first() else {
        return Ok(Recheck::refused(
            Bilingual::tr("Peserta tidak ada lagi di data hub."),
            to,
        ));
    };
    let text = |i: usize| {
        row.get(i)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (kk, birth, fktp) = (text(KK), text(BIRTH), text(FKTP));
    let family = store.wire_rows("members", Some(("kk_no", std::slice::from_ref(&kk))))?;
    let bills = store.wire_rows("bills", Some(("kk_no", &[kk])))?;
    let region = region_of(&family);
    let mut codes = vec![fktp];
    if req.kind == "FKTP" {
        codes.push(to.clone());
    }
    let facilities = store.wire_rows("facilities", Some(("code", &codes)))?;
    let rules = store.wire_rows("rules", None)?;
    let tariffs = store.wire_rows("tariffs", None)?;

    let mut scratch = Store::open_in_memory()?;
    {
        let tx = scratch
            .connection()
            .transaction()
            .map_err(anjungan_core::store::StoreError::from)?;
        let mut applier = Applier::new(&tx);
        for (table, rows) in [
            ("members", &family),
            ("bills", &bills),
            ("facilities", &facilities),
            ("rules", &rules),
            ("tariffs", &tariffs),
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
        return Ok(Recheck {
            region,
            ..Recheck::refused(Bilingual::tr("Data peserta di hub tidak lengkap."), to)
        });
    };
    let identity = Identity {
        key: IdentityKey::Card(card.as_str().to_owned()),
        birth_date,
    };
    let session = match MemberSession::identify(&scratch, &identity) {
        Ok(s) => s,
        Err(e) => {
            use anjungan_core::domain::Explain as _;
            return Ok(Recheck {
                region,
                ..Recheck::refused(e.explain(), to)
            });
        }
    };
    let view = match req.kind.as_str() {
        "FKTP" => session
            .change_fktp(&scratch, &to, today)
            .map_err(|e| HubError::BadRequest(format!("recheck: {e}")))?,
        _ => match to.parse::<Kelas>() {
            Ok(kelas) => session.change_kelas(kelas, today),
            Err(_) => {
                return Ok(Recheck {
                    region,
                    ..Recheck::refused(Bilingual::tr("Kelas yang diminta tidak dikenal."), to)
                });
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
        region,
    })
}
