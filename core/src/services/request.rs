//! Change requests (FKTP, kelas): taking one into the outbox, and telling its state.
//!
//! A request is taken only when the member is eligible and the kiosk's data is fresh
//! enough to trust that answer. It is committed durably before the reference is shown.
//! Only what domain.md §8 allows is stored: the reference, card number, the change, state.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::{MemberSession, ServiceError};
use crate::domain::{Bilingual, Kelas};
use crate::store::{OutboxState, Store, StoreError};

/// The change asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Fktp(String),
    Kelas(Kelas),
}

/// The member's receipt: what goes on the slip and into the QR code.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub reference: String,
    pub state: OutboxState,
    /// `FKTP` or `KELAS`.
    pub kind: &'static str,
    pub from: String,
    pub to: String,
    pub effective_date: NaiveDate,
    pub message: Bilingual,
}

/// The alphabet of references: Crockford base32, without I, L, O and U, which are easily
/// misread (a slip is typed back in by hand).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new reference: `AJ-XXXXX-XXXXX`, 50 random bits. Short enough to read aloud and print
/// as a small QR code; random so kiosks need no coordination to stay unique.
pub fn new_reference() -> String {
    let bits: u64 = rand::random::<u64>() >> 14;
    let c = |i: u32| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char;
    let a: String = (0..5).map(c).collect();
    let b: String = (5..10).map(c).collect();
    format!("AJ-{a}-{b}")
}

/// Normalises a typed reference: trims, upper-cases, and reads the misreadable letters as
/// the digits they stand for.
pub fn normalize_reference(typed: &str) -> String {
    typed
        .trim()
        .to_ascii_uppercase()
        .chars()
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// Whether data as of `as_of` is fresh enough at `now`.
pub fn data_fresh(as_of: Option<DateTime<Utc>>, now: DateTime<Utc>, max_age_hours: u64) -> bool {
    as_of.is_some_and(|t| (now - t).num_seconds() <= max_age_secs(max_age_hours))
}

/// `max_age_hours` in seconds, saturating: a huge limit must not wrap into a negative one.
pub fn max_age_secs(max_age_hours: u64) -> i64 {
    i64::try_from(max_age_hours)
        .unwrap_or(i64::MAX)
        .saturating_mul(3600)
}

/// The request of `kind` this member (FKTP) or family (kelas) already has: one still
/// waiting, or one waiting or approved for the same effective month as `effective`. The
/// hub applies the same rule across kiosks (`hub::validate`).
pub fn existing_request(
    store: &Store,
    session: &MemberSession,
    kind: &str,
    effective: NaiveDate,
) -> Result<Option<ServiceError>, ServiceError> {
    let cards: Vec<String> = if kind == "KELAS" {
        session.family.iter().map(|m| m.card_no.clone()).collect()
    } else {
        vec![session.member.card_no.clone()]
    };
    let month = |d: &str| d.chars().take(7).collect::<String>();
    let want = month(&effective.to_string());
    for entry in store.open_requests(kind, &cards)? {
        let waiting = matches!(
            entry.state,
            OutboxState::Pending | OutboxState::Sent | OutboxState::Mismatch
        );
        let same_month = serde_json::from_str::<serde_json::Value>(&entry.payload)
            .ok()
            .and_then(|p| p.get("effective_date")?.as_str().map(month))
            .is_some_and(|m| m == want);
        let own = entry.card_no == session.member.card_no;
        if (waiting && own) || same_month {
            return Ok(Some(ServiceError::RequestExists {
                reference: entry.reference,
                approved: entry.state == OutboxState::Approved,
            }));
        }
    }
    Ok(None)
}

/// Takes a change request into the outbox.
pub fn submit_change(
    store: &mut Store,
    session: &MemberSession,
    change: &Change,
    today: NaiveDate,
    now: DateTime<Utc>,
    max_age_hours: u64,
) -> Result<Submitted, ServiceError> {
    let as_of = store.data_as_of()?;
    if !data_fresh(as_of, now, max_age_hours) {
        return Err(ServiceError::DataTooOld {
            as_of: as_of.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
            max_hours: max_age_hours,
        });
    }
    let (kind, view) = match change {
        Change::Fktp(to) => ("FKTP", session.change_fktp(store, to, today)?),
        Change::Kelas(k) => ("KELAS", session.change_kelas(*k, today)),
    };
    if !view.eligible {
        return Err(ServiceError::NotEligible(view.messages));
    }
    if let Some(exists) = existing_request(store, session, kind, view.effective_date)? {
        return Err(exists);
    }
    let payload = json!({
        "from": view.from,
        "to": view.to,
        "effective_date": view.effective_date.to_string(),
    })
    .to_string();
    let created = now.to_rfc3339();
    let card = session.member.card_no.clone();
    // A reference collision is astronomically unlikely; the primary key refuses it anyway.
    let mut last = None;
    for _ in 0..3 {
        let reference = new_reference();
        match store.enqueue_request(&reference, kind, &card, &payload, &created) {
            Ok(()) => {
                return Ok(Submitted {
                    reference,
                    state: OutboxState::Pending,
                    kind,
                    from: view.from,
                    to: view.to,
                    effective_date: view.effective_date,
                    message: state_message(OutboxState::Pending, None),
                });
            }
            Err(StoreError::Sqlite(e))
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) =>
            {
                last = Some(StoreError::Sqlite(e));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or(ServiceError::UnknownReference, ServiceError::Store))
}

/// What a member is told about a request.
#[derive(Debug, Clone, Serialize)]
pub struct RequestStatusView {
    pub reference: String,
    pub state: OutboxState,
    pub reason: Option<String>,
    pub decided_at: Option<String>,
    pub message: Bilingual,
}

/// A request's state: from this kiosk's outbox, or from the decisions synced from the hub
/// (a request made at another kiosk).
pub fn request_status(store: &Store, typed: &str) -> Result<RequestStatusView, ServiceError> {
    let reference = normalize_reference(typed);
    let decided = store.request_decision(&reference)?;
    let (state, reason, decided_at) = match (store.request(&reference)?, decided) {
        // This kiosk's own request whose content differs at the hub: no decision on other
        // content counts for it.
        (Some(entry), _) if entry.state == OutboxState::Mismatch => (entry.state, None, None),
        (_, Some(d)) => (
            d.state.parse().unwrap_or(OutboxState::Sent),
            d.reason,
            d.decided_at,
        ),
        (Some(entry), None) => (entry.state, entry.decision_reason, None),
        (None, None) => return Err(ServiceError::UnknownReference),
    };
    Ok(RequestStatusView {
        message: state_message(state, reason.as_deref()),
        reference,
        state,
        reason,
        decided_at,
    })
}

fn state_message(state: OutboxState, reason: Option<&str>) -> Bilingual {
    match state {
        OutboxState::Pending => Bilingual::tr(
            "Permohonan tercatat di anjungan ini dan akan dikirim ke BPJS Kesehatan. Simpan slip dan nomor referensinya.",
        ),
        OutboxState::Sent => Bilingual::tr(
            "Permohonan sudah diterima BPJS Kesehatan dan sedang diproses. Cek lagi nanti dengan nomor referensi.",
        ),
        OutboxState::Approved => Bilingual::tr(
            "Permohonan disetujui. Perubahan berlaku mulai tanggal efektif pada slip.",
        ),
        OutboxState::Mismatch => Bilingual::tr(
            "Permohonan tercatat di anjungan ini, tetapi pengirimannya perlu diperiksa petugas. Silakan ke loket dengan slip dan nomor referensinya.",
        ),
        OutboxState::Rejected => {
            let r = reason.unwrap_or("-");
            Bilingual::tr_with(
                "Permohonan ditolak. Alasan: {r}. Silakan ke loket untuk bantuan.",
                &[("r", &r)],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_unambiguous_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let r = new_reference();
            assert_eq!(r.len(), 14, "{r}");
            assert!(r.starts_with("AJ-"));
            assert!(!r[3..].contains(['I', 'L', 'O', 'U']), "{r}");
            assert_eq!(normalize_reference(&r.to_lowercase()), r);
            assert!(seen.insert(r));
        }
        assert_eq!(normalize_reference(" aj-0o1il-abcde "), "AJ-00111-ABCDE");
    }

    #[test]
    fn freshness_has_an_edge_and_no_data_is_stale() {
        let now = Utc::now();
        assert!(data_fresh(Some(now - chrono::Duration::hours(48)), now, 48));
        assert!(!data_fresh(
            Some(now - chrono::Duration::hours(48) - chrono::Duration::seconds(1)),
            now,
            48
        ));
        assert!(!data_fresh(None, now, 48));
    }
}
