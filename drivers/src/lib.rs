//! Device drivers for the kiosk: the ESC/POS receipt printer and the serial queue-ticket
//! dispenser, each behind a small trait with a real implementation and a simulator that
//! speaks the same bytes.
//!
//! Not yet implemented: this crate is filled by the drivers issue (#4). It exists now so
//! the workspace layout is the one the rest of the code will grow into.
