//! Device drivers for the kiosk: the ESC/POS receipt printer and the serial queue-ticket
//! dispenser, each behind a small trait with a real implementation and a simulator that
//! speaks the same bytes over a real pty or TCP port.
//!
//! This crate knows nothing about JKN: slips are built by the kiosk from [`receipt::Receipt`]
//! blocks, and queue numbers are opaque service codes and counters here.
//!
//! - [`receipt`]: the receipt document model and its ESC/POS rendering (escpos crate);
//! - [`transport`]: `tcp://`, `serial://` and `file://` device URIs behind [`transport::Transport`];
//! - [`printer`]: real-time status and printing with fault reporting;
//! - [`escpos_decode`], [`paper`], [`printer_sim`]: the virtual printer;
//! - [`dispenser`]: the ticket dispenser protocol, its clients (blocking and tokio) and its
//!   simulator;
//! - [`pty`]: pseudo-terminals and baud-rate pacing for the simulators.

pub mod dispenser;
pub mod escpos_decode;
pub mod paper;
pub mod printer;
pub mod printer_sim;
pub mod pty;
pub mod receipt;
pub mod scanner;
pub mod transport;
