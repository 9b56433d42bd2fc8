//! What the kiosk's flows ask of the world, and what comes back.
//!
//! The controller never touches a device or the network: it returns [`Effect`]s, the runtime
//! carries them out off the UI thread, and their outcomes come back as events. Tests carry
//! them out with fakes; the kiosk with the real printer, dispenser and outbox.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::content::CounterService;
use crate::domain::Bilingual;
use crate::services::member::{ChangeView, DuesView, StatusView, VaView};
use crate::store::{FacilityRecord, OfficeRecord};

/// A slip to print.
#[derive(Debug, Clone, Serialize)]
pub enum Slip {
    Status(StatusView),
    Dues(DuesView),
    Va(VaView),
    Facility(FacilityRecord),
    Office(OfficeRecord),
    Ticket(Ticket),
    Request(RequestReceipt),
}

/// A queue number as the dispenser issued it, with what the ticket tells the member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    /// `A-012`, or `A-P01` in the priority series.
    pub number: String,
    pub service: CounterService,
    pub priority: bool,
    /// People waiting before this number.
    pub ahead: u32,
    /// Estimated wait in minutes.
    pub wait_minutes: u32,
    pub issued_at: NaiveDateTime,
}

/// What the dispenser answers for a ticket request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issued {
    /// `A-012`, or `A-P01` in the priority series.
    pub number: String,
    /// People waiting before this number.
    pub ahead: u32,
}

/// What the member takes home after a request: no NIK, a masked card.
#[derive(Debug, Clone, Serialize)]
pub struct RequestReceipt {
    pub reference: String,
    /// `FKTP` or `KELAS`.
    pub kind: &'static str,
    pub card_masked: String,
    pub what: Bilingual,
    pub effective_date: NaiveDate,
    /// The eligibility answer the request was taken on (for the slip).
    pub change: ChangeView,
}

/// A device or outbox fault, said to the member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// A stable code for logs and diagnostics, e.g. `PAPER_END`.
    pub code: String,
    pub message: Bilingual,
}

/// Work the runtime does for the controller.
#[derive(Debug, Clone)]
pub enum Effect {
    Print(Box<Slip>),
    /// Take a queue number. `request_id` makes a retry return the same number (the
    /// dispenser keeps it for the day, so it is random per kiosk start, never a counter
    /// that starts again at a restart).
    TakeTicket {
        service: String,
        priority: bool,
        request_id: u32,
    },
    /// Ask the hub for a member who is not in this kiosk's regions (NIK or card, and the
    /// date of birth as `YYYY-MM-DD`).
    LookUp {
        id: String,
        birth_date: String,
    },
}

/// What the hub said of a member from another region.
#[derive(Debug, Clone, PartialEq)]
pub enum LookedUp {
    /// The family's rows (`members`, `bills`) in the wire columns, for this visit only.
    Found(Vec<(String, Vec<serde_json::Value>)>),
    /// No member with this identifier and date of birth.
    Mismatch,
    /// Too many failures for this identifier across the fleet: locked this many seconds.
    Locked(u64),
    /// No hub answered (or none is configured).
    Unreachable,
}

/// The outcome of an [`Effect`], fed back to the controller.
#[derive(Debug, Clone)]
pub enum Outcome {
    Printed(Result<(), Fault>),
    TicketTaken(Result<Issued, Fault>),
    LookedUp(LookedUp),
}
