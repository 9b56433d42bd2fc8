//! The change-request outbox: requests the kiosk accepted and must deliver to the hub.
//!
//! An accepted request is committed with `synchronous = FULL` before the member is told it
//! was accepted, so a power cut cannot lose it. Delivery and decisions update its state;
//! the sync agent owns the delivery loop.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Store, StoreError, code_col};

/// Where a request is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutboxState {
    /// Accepted here, not yet confirmed by the hub.
    Pending,
    /// The hub acknowledged it and will decide.
    Sent,
    Approved,
    Rejected,
    /// The hub's signed answer names other content than the kiosk accepted (altered on the
    /// way, or at the hub). Kept for a technician; never treated as delivered or decided.
    Mismatch,
}

impl OutboxState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Mismatch => "MISMATCH",
        }
    }
}

impl std::str::FromStr for OutboxState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "PENDING" => Self::Pending,
            "SENT" => Self::Sent,
            "APPROVED" => Self::Approved,
            "REJECTED" => Self::Rejected,
            "MISMATCH" => Self::Mismatch,
            _ => return Err(()),
        })
    }
}

/// One accepted change request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    /// The kiosk's reference number, printed on the slip; the hub's idempotency key.
    pub reference: String,
    /// `FKTP` or `KELAS`.
    pub kind: String,
    pub card_no: String,
    /// The change itself, as JSON (e.g. `{"to":"0301R001","effective_date":"2026-12-01"}`).
    pub payload: String,
    pub state: OutboxState,
    pub created_at: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub decision_reason: Option<String>,
}

impl OutboxEntry {
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            reference: r.get(0)?,
            kind: r.get(1)?,
            card_no: r.get(2)?,
            payload: r.get(3)?,
            state: code_col(r, 4)?,
            created_at: r.get(5)?,
            attempts: r.get(6)?,
            last_error: r.get(7)?,
            decision_reason: r.get(8)?,
        })
    }
}

/// A hub decision on a request, synced to every kiosk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub state: String,
    pub reason: Option<String>,
    pub decided_at: Option<String>,
}

const OUTBOX_COLUMNS: &str =
    "reference, kind, card_no, payload, state, created_at, attempts, last_error, decision_reason";

impl Store {
    /// Records an accepted request durably. A second call with the same reference is
    /// refused by the primary key, so a request is never recorded twice.
    pub fn enqueue_request(
        &mut self,
        reference: &str,
        kind: &str,
        card_no: &str,
        payload: &str,
        created_at: &str,
    ) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let result = self.conn.execute(
            "INSERT INTO outbox (reference, kind, card_no, payload, state, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'PENDING', ?5)",
            params![reference, kind, card_no, payload, created_at],
        );
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        result?;
        Ok(())
    }

    /// One request by its reference.
    pub fn request(&self, reference: &str) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE reference = ?1"
            ))?
            .query_row([reference], OutboxEntry::from_row)
            .optional()?)
    }

    /// This kiosk's requests of `kind` for any of `cards` that are not rejected (neither
    /// here nor by a decision synced from the hub), oldest first; `state` is the hub's
    /// decision where one has arrived.
    pub fn open_requests(
        &self,
        kind: &str,
        cards: &[String],
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let cards = serde_json::to_string(cards).unwrap_or_else(|_| "[]".into());
        let columns = OUTBOX_COLUMNS
            .split(", ")
            .map(|c| {
                if c == "state" {
                    "coalesce(s.state, o.state)".to_owned()
                } else {
                    format!("o.{c}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {columns} FROM outbox o LEFT JOIN request_status s ON s.reference = o.reference \
             WHERE o.kind = ?1 AND o.card_no IN (SELECT value FROM json_each(?2)) \
             AND o.state <> 'REJECTED' AND coalesce(s.state, '') <> 'REJECTED' \
             ORDER BY o.created_at, o.reference"
        ))?;
        let rows = stmt.query_map(params![kind, cards], OutboxEntry::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Requests not yet confirmed by the hub, oldest first.
    pub fn pending_requests(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'PENDING' ORDER BY created_at, reference"
        ))?;
        let rows = stmt.query_map([], OutboxEntry::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks a request delivered: the hub acknowledged it, and may already have decided.
    pub fn mark_delivered(
        &self,
        reference: &str,
        state: OutboxState,
        reason: Option<&str>,
        at: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET state = ?2, decision_reason = coalesce(?3, decision_reason), \
                 sent_at = coalesce(sent_at, ?4), last_error = NULL, \
                 decided_at = CASE WHEN ?2 IN ('APPROVED', 'REJECTED') \
                              THEN coalesce(decided_at, ?4) END \
                 WHERE reference = ?1 AND state = 'PENDING'",
            )?
            .execute(params![reference, state.code(), reason, at])?;
        Ok(())
    }

    /// Records a failed delivery attempt; the request stays PENDING.
    pub fn record_delivery_error(&self, reference: &str, error: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE reference = ?1",
            )?
            .execute(params![reference, error])?;
        Ok(())
    }

    /// Sets a request aside: the hub's signed answer named other content (`error` says
    /// which digests). It is not sent again, not counted as pending, not shown as decided.
    pub fn mark_mismatch(&self, reference: &str, error: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET state = 'MISMATCH', attempts = attempts + 1, last_error = ?2 \
                 WHERE reference = ?1 AND state IN ('PENDING', 'SENT')",
            )?
            .execute(params![reference, error])?;
        Ok(())
    }

    /// Requests set aside because the hub's content differs (see [`Self::mark_mismatch`]).
    pub fn mismatched_requests(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'MISMATCH' ORDER BY created_at, reference"
        ))?;
        let rows = stmt.query_map([], OutboxEntry::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A decision synced from the hub for any kiosk's request.
    pub fn request_decision(&self, reference: &str) -> Result<Option<Decision>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT state, reason, decided_at FROM request_status WHERE reference = ?1",
            )?
            .query_row([reference], |r| {
                Ok(Decision {
                    state: r.get(0)?,
                    reason: r.get(1)?,
                    decided_at: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Forgets requests decided before `before` (RFC 3339, UTC), here and in the synced
    /// decisions: members may check a request only for a while (domain.md §8). Requests not
    /// yet decided are never forgotten. Returns how many rows went.
    pub fn prune_decided(&self, before: &str) -> Result<usize, StoreError> {
        let own = self.conn.execute(
            "DELETE FROM outbox WHERE state IN ('APPROVED', 'REJECTED') \
             AND decided_at IS NOT NULL AND decided_at < ?1",
            [before],
        )?;
        let synced = self.conn.execute(
            "DELETE FROM request_status WHERE decided_at IS NOT NULL AND decided_at < ?1",
            [before],
        )?;
        Ok(own + synced)
    }

    /// How many requests still wait for delivery.
    pub fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM outbox WHERE state = 'PENDING'")?
            .query_row([], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_kept_once_and_read_back() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .enqueue_request(
                "AJ-1",
                "FKTP",
                "0001944358911",
                "{}",
                "2026-11-22T03:00:00Z",
            )
            .unwrap();
        assert!(
            store
                .enqueue_request(
                    "AJ-1",
                    "FKTP",
                    "0001944358911",
                    "{}",
                    "2026-11-22T03:00:00Z"
                )
                .is_err()
        );
        let entry = store.request("AJ-1").unwrap().unwrap();
        assert_eq!(entry.state, OutboxState::Pending);
        assert_eq!(store.pending_count().unwrap(), 1);
        assert_eq!(store.pending_requests().unwrap(), vec![entry]);
    }

    #[test]
    fn only_requests_decided_long_ago_are_forgotten() {
        let mut store = Store::open_in_memory().unwrap();
        for r in ["AJ-OLD", "AJ-NEW", "AJ-WAIT"] {
            store
                .enqueue_request(
                    r,
                    "FKTP",
                    "0001944358911",
                    "{}",
                    "2026-01-01T00:00:00+00:00",
                )
                .unwrap();
        }
        store
            .mark_delivered(
                "AJ-OLD",
                OutboxState::Rejected,
                Some("x"),
                "2026-01-02T00:00:00+00:00",
            )
            .unwrap();
        store
            .mark_delivered(
                "AJ-NEW",
                OutboxState::Approved,
                None,
                "2026-11-20T00:00:00+00:00",
            )
            .unwrap();
        store
            .conn
            .execute(
                "INSERT INTO request_status (reference, state, reason, decided_at) \
                 VALUES ('AJ-ELSEWHERE', 'APPROVED', NULL, '2026-01-05T00:00:00+00:00')",
                [],
            )
            .unwrap();
        assert_eq!(store.prune_decided("2026-08-24T00:00:00+00:00").unwrap(), 2);
        assert!(store.request("AJ-OLD").unwrap().is_none());
        assert!(store.request("AJ-NEW").unwrap().is_some());
        assert_eq!(
            store.request("AJ-WAIT").unwrap().unwrap().state,
            OutboxState::Pending
        );
        assert!(store.request_decision("AJ-ELSEWHERE").unwrap().is_none());
    }
}
