//! The kiosk's member flows, independent of any screen toolkit.
//!
//! [`Controller`] is a plain state machine: events in (touches, timers, device outcomes),
//! screens and [`Effect`]s out. The Slint UI in `ui/` renders it; tests drive it directly.

pub mod controller;
pub mod effects;
pub mod flows;
pub mod identify;

pub use controller::{
    Access, Controller, DATA_CHECK_MS, Event, Lang, MemberAction, MemberHome, Now, Place, Press,
    Purpose, Screen, SearchFilter, Settings, Tile, VOLUME_DEFAULT, VOLUME_MAX, VOLUME_MIN,
};
pub use effects::{Effect, Fault, Issued, LookedUp, Outcome, RequestReceipt, Slip, Ticket};
pub use identify::{Field, IdKind, IdentifyForm};
