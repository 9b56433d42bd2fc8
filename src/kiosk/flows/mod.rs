//! The member flows, one module each: the events of its screens, and the work behind them.
//! [`crate::kiosk::Controller`] routes each event to the flow whose screen shows; the flows
//! call the services and the store, never the UI.
//!
//! The dues and VA screens have no flow of their own: they are detail screens of the member
//! home (print, back, done), so `member_home` holds them.

pub mod change;
pub mod change_fktp;
pub mod change_kelas;
pub mod identify;
pub mod info;
pub mod member_home;
pub mod queue;
pub mod rating;
pub mod request_check;
pub mod search;

use super::controller::Screen;
use super::{Effect, Event};

/// What a flow made of an event.
pub(crate) enum Step {
    /// Show this screen and carry out these effects.
    Show(Screen, Vec<Effect>),
    /// The flow moved to another screen itself (home, another flow); carry out these effects.
    Moved(Vec<Effect>),
    /// Not an event of this flow: Back goes home, anything else is ignored.
    Pass(Screen, Event),
}
