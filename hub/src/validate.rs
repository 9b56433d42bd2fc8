//! What the hub accepts as a change request, checked before anything is stored.
//!
//! The kiosk checks eligibility against its copy of the data; the hub cannot trust that
//! copy (an old kiosk, a tampered one, a bug), so it re-checks what it can from its own rows:
//! the target exists, the fields have sane sizes, and a member (FKTP) or a family (kelas)
//! has at most one open or approved request of a kind per effective month. It does not
//! re-run the JKN eligibility rules. Messages never repeat a card
//! number, a NIK or anything else the request carries about the member.

use anjungan_core::sync::client::SubmitBody;
use serde_json::Value;

use crate::HubError;
use crate::store::HubStore;

/// The largest `change` object, as compact JSON.
pub const MAX_CHANGE_BYTES: usize = 1024;
/// The longest `created_at`.
pub const MAX_CREATED_AT_CHARS: usize = 64;
/// The longest decision reason an operator may give.
pub const MAX_REASON_CHARS: usize = 500;

fn invalid(code: &'static str, reason: impl Into<String>) -> HubError {
    HubError::InvalidRequest {
        code,
        reason: reason.into(),
    }
}

/// Checks a submitted request against the hub's rows.
///
/// A repeat of a reference the hub already holds is not checked again: the first answer
/// stands (idempotent), even if, say, the target FKTP was closed since.
///
/// `Ok(Some(existing))`: a well-formed request that duplicates one the hub already holds
/// ([`conflicting_request`]); the hub takes it and decides it `REJECTED` at once, naming
/// `existing`, so the member who checks the reference is told why.
pub fn check_submission<S: HubStore + ?Sized>(
    store: &S,
    req: &SubmitBody,
) -> Result<Option<String>, HubError> {
    if store.has_reference(&req.reference)? {
        return Ok(None);
    }
    let valid_ref = !req.reference.is_empty()
        && req.reference.len() <= 64
        && req
            .reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_ref {
        return Err(invalid(
            "INVALID_REFERENCE",
            "reference must be 1-64 letters, digits or '-'",
        ));
    }
    if anjungan_core::domain::CardNo::parse(&req.card_no).is_err() {
        return Err(invalid("INVALID_CARD", "card_no is not a JKN card number"));
    }
    check_created_at(&req.created_at)?;
    let Value::Object(change) = &req.change else {
        return Err(invalid("INVALID_CHANGE", "change must be a JSON object"));
    };
    let size = serde_json::to_string(&req.change).map_or(usize::MAX, |s| s.len());
    if size > MAX_CHANGE_BYTES {
        return Err(invalid(
            "INVALID_CHANGE",
            format!("change must be at most {MAX_CHANGE_BYTES} bytes of JSON"),
        ));
    }
    let to = change.get("to");
    match req.kind.as_str() {
        "FKTP" => check_fktp(store, to)?,
        "KELAS" => check_kelas(to)?,
        _ => return Err(invalid("INVALID_KIND", "kind must be FKTP or KELAS")),
    }
    conflicting_request(store, req)
}

/// The request this one duplicates, if any: one of the same kind that is still waiting
/// (`RECEIVED`, any month) for the same card, or waiting or approved for the same effective
/// month, for the same member (FKTP) or anyone on the same family card (kelas, which
/// applies to the whole family).
fn conflicting_request<S: HubStore + ?Sized>(
    store: &S,
    req: &SubmitBody,
) -> Result<Option<String>, HubError> {
    let month = req
        .change
        .get("effective_date")
        .and_then(Value::as_str)
        .map(|d| d.chars().take(7).collect::<String>());
    store.conflicting_request(req, month.as_deref())
}

/// `created_at`: an RFC 3339 time of at most [`MAX_CREATED_AT_CHARS`].
fn check_created_at(created_at: &str) -> Result<(), HubError> {
    if created_at.chars().count() > MAX_CREATED_AT_CHARS
        || chrono::DateTime::parse_from_rfc3339(created_at).is_err()
    {
        return Err(invalid(
            "INVALID_CREATED_AT",
            format!(
                "created_at must be an RFC 3339 time of at most {MAX_CREATED_AT_CHARS} characters"
            ),
        ));
    }
    Ok(())
}

/// The target of an FKTP change: an active first-level facility the hub knows.
fn check_fktp<S: HubStore + ?Sized>(store: &S, to: Option<&Value>) -> Result<(), HubError> {
    let Some(code) = to.and_then(Value::as_str).filter(|c| c.len() <= 16) else {
        return Err(invalid(
            "INVALID_CHANGE",
            "change.to must be an FKTP code of at most 16 characters",
        ));
    };
    let fktp_types: Vec<&str> = anjungan_core::domain::FacilityType::ALL
        .iter()
        .filter(|t| t.is_fktp())
        .map(|t| t.code())
        .collect();
    match store.facility(code)? {
        Some((kind, true)) if fktp_types.contains(&kind.as_str()) => Ok(()),
        _ => Err(invalid(
            "UNKNOWN_FKTP",
            format!("{code:?} is not an active FKTP at this hub"),
        )),
    }
}

/// The target of a kelas change: 1, 2 or 3 (as a number or a string).
fn check_kelas(to: Option<&Value>) -> Result<(), HubError> {
    let kelas = match to {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    if !matches!(kelas, Some(1..=3)) {
        return Err(invalid(
            "INVALID_KELAS",
            "change.to must be kelas 1, 2 or 3",
        ));
    }
    Ok(())
}

/// A decision's reason (`hub requests approve|reject --reason`): at most
/// [`MAX_REASON_CHARS`] characters, no control characters.
pub fn check_reason(reason: Option<&str>) -> Result<(), HubError> {
    let Some(reason) = reason else {
        return Ok(());
    };
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(invalid(
            "INVALID_REASON",
            format!("the reason must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    if reason.chars().any(char::is_control) {
        return Err(invalid(
            "INVALID_REASON",
            "the reason must not contain control characters (e.g. newlines or escapes)",
        ));
    }
    Ok(())
}
