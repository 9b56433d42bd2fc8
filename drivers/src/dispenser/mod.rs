//! The queue-ticket dispenser: protocol messages, numbering, client and simulator.
//!
//! Owns the protocol of `docs/dispenser-protocol.md`: commands and replies, the numbering
//! rules (per service per day, `A-012`, priority series `A-P01`, the day starting at a
//! configured local hour), and the guarantee that one request id never gets two numbers.
//! It knows service codes only as letters; what a service means is the kiosk's business.

pub mod async_client;
pub mod client;
pub mod frame;
pub mod numbering;
pub mod sim;

pub use client::{ClientConfig, DispenserClient, DispenserError};
pub use frame::{Frame, FrameCodec, crc16};
pub use numbering::{Numbering, service_day};

/// Command and reply codes.
pub mod cmd {
    pub const PING: u8 = 0x01;
    pub const STATUS: u8 = 0x02;
    pub const ISSUE: u8 = 0x03;
    pub const REPRINT: u8 = 0x04;
    pub const RESET_DAY: u8 = 0x05;
    pub const ACK: u8 = 0x06;
    pub const NAK: u8 = 0x15;
}

/// Why the dispenser refused a request (the NAK payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NakCode {
    UnknownCommand = 0x02,
    BadPayload = 0x03,
    UnknownService = 0x04,
    PaperOut = 0x05,
    UnknownRequest = 0x06,
    SeriesFull = 0x07,
}

impl NakCode {
    /// From the wire byte.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0x02 => Self::UnknownCommand,
            0x03 => Self::BadPayload,
            0x04 => Self::UnknownService,
            0x05 => Self::PaperOut,
            0x06 => Self::UnknownRequest,
            0x07 => Self::SeriesFull,
            _ => return None,
        })
    }
}

impl std::fmt::Display for NakCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UnknownCommand => "unknown command",
            Self::BadPayload => "bad payload",
            Self::UnknownService => "unknown service",
            Self::PaperOut => "ticket paper out",
            Self::UnknownRequest => "unknown request id",
            Self::SeriesFull => "series full for today",
        })
    }
}

/// An issued ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    /// Service code, `A`..`Z`.
    pub service: char,
    pub priority: bool,
    /// 1..=999 (regular) or 1..=99 (priority).
    pub number: u16,
    /// Tickets of the same series issued before this one today and not yet served.
    pub ahead: u16,
    pub request_id: u32,
    /// The dispenser had already issued this ticket for this request id (a retry).
    pub repeat: bool,
}

impl Ticket {
    /// The number as printed and called: `A-012`, priority `A-P01`.
    pub fn display(&self) -> String {
        if self.priority {
            format!("{}-P{:02}", self.service, self.number)
        } else {
            format!("{}-{:03}", self.service, self.number)
        }
    }

    /// ISSUE/REPRINT reply payload (12 bytes).
    pub fn to_payload(&self) -> Vec<u8> {
        let mut p = vec![self.service as u8, self.priority as u8];
        p.extend_from_slice(&self.number.to_be_bytes());
        p.extend_from_slice(&self.ahead.to_be_bytes());
        p.extend_from_slice(&self.request_id.to_be_bytes());
        p.push(self.repeat as u8);
        p
    }

    /// Parses an ISSUE/REPRINT reply payload.
    pub fn from_payload(p: &[u8]) -> Option<Self> {
        if p.len() != 11 || !p[0].is_ascii_uppercase() || p[1] > 1 {
            return None;
        }
        Some(Self {
            service: p[0] as char,
            priority: p[1] == 1,
            number: u16::from_be_bytes([p[2], p[3]]),
            ahead: u16::from_be_bytes([p[4], p[5]]),
            request_id: u32::from_be_bytes([p[6], p[7], p[8], p[9]]),
            repeat: p[10] == 1,
        })
    }
}

/// The dispenser's STATUS reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispenserStatus {
    /// 0 ok, 1 low, 2 out.
    pub paper: u8,
    /// The service day it is numbering for.
    pub day: chrono::NaiveDate,
    /// Tickets issued that day, all series.
    pub issued: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_display_with_series() {
        let mut t = Ticket {
            service: 'A',
            priority: false,
            number: 12,
            ahead: 11,
            request_id: 7,
            repeat: false,
        };
        assert_eq!(t.display(), "A-012");
        t.priority = true;
        t.number = 1;
        assert_eq!(t.display(), "A-P01");
        assert_eq!(Ticket::from_payload(&t.to_payload()), Some(t));
        assert_eq!(Ticket::from_payload(&[0; 3]), None);
    }
}
