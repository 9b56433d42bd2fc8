//! Device faults as the member and technician see them: a stable code and an Indonesian +
//! English message that says what to do next.
//!
//! Owns only the wording; the faults themselves are typed in `anjungan-drivers`.

use anjungan_drivers::dispenser::{DispenserError, NakCode};
use anjungan_drivers::printer::{EscPosPrinter, Fault, PrinterError, Timeouts};

use crate::domain::{Bilingual, Explain};

fn printer_fault(f: Fault) -> Bilingual {
    match f {
        Fault::PaperEnd => Bilingual::tr(
            "Kertas printer habis. Slip tidak tercetak. Mohon hubungi petugas untuk mengganti \
             kertas, lalu coba cetak lagi.",
        ),
        Fault::CoverOpen => Bilingual::tr(
            "Penutup printer terbuka. Slip tidak tercetak. Mohon hubungi petugas untuk menutupnya, \
             lalu coba cetak lagi.",
        ),
        Fault::Offline => Bilingual::tr(
            "Printer tidak dapat digunakan saat ini. Slip tidak tercetak. Mohon hubungi petugas; \
             informasi Anda tetap tersedia di layar dan di Mobile JKN.",
        ),
    }
}

/// Why no queue number was taken: the printer could not print the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketBlocked {
    /// The printer's fault code (`PRINTER_PAPER_END`, `PRINTER_OFFLINE`, ...).
    pub code: &'static str,
    pub message: Bilingual,
}

/// Reads the printer's real-time status before a queue number is taken, so a number is
/// never called for a member who got no ticket. The kiosk UI and `anjungan ticket` both ask.
pub fn printer_ready_for_ticket(uri: &str) -> Result<(), TicketBlocked> {
    let fault = match EscPosPrinter::open(uri, Timeouts::default()).and_then(|mut p| p.status()) {
        Ok(s) if s.ready() => return Ok(()),
        Ok(s) => s.fault().unwrap_or(Fault::Offline),
        Err(PrinterError::Uri(e)) => {
            return Err(TicketBlocked {
                code: "PRINTER_URI",
                message: PrinterError::Uri(e).explain(),
            });
        }
        Err(e) => e.fault().unwrap_or(Fault::Offline),
    };
    let why = match fault {
        Fault::PaperEnd => ("Kertas printer habis", "The printer is out of paper"),
        Fault::CoverOpen => ("Penutup printer terbuka", "The printer cover is open"),
        Fault::Offline => (
            "Printer tidak dapat digunakan",
            "The printer is not available",
        ),
    };
    Err(TicketBlocked {
        code: fault.code(),
        message: Bilingual::new(
            format!(
                "{}, jadi tiket antrean tidak dapat dicetak. Nomor antrean belum diambil. \
                 Silakan ambil nomor di loket informasi dan beri tahu petugas.",
                why.0
            ),
            format!(
                "{}, so a queue ticket cannot be printed. No queue number was taken. \
                 Please get a number at the information counter and tell the staff.",
                why.1
            ),
        ),
    })
}

impl Explain for PrinterError {
    fn explain(&self) -> Bilingual {
        match self {
            Self::NotReady(f) => printer_fault(*f),
            Self::Interrupted(f) => {
                let cause = printer_fault(*f);
                Bilingual::new(
                    format!(
                        "Pencetakan terhenti; slip mungkin tidak lengkap. {} Jangan gunakan slip yang terpotong.",
                        cause.id
                    ),
                    format!(
                        "Printing stopped; the slip may be incomplete. {} Do not use a partial slip.",
                        cause.en
                    ),
                )
            }
            Self::Connect { .. } | Self::Io(_) => printer_fault(Fault::Offline),
            Self::Flooding => Bilingual::tr(
                "Printer mengirim data terus-menerus dan tidak dapat dipakai. Matikan lalu nyalakan printer, atau periksa alamatnya.",
            ),
            Self::Uri(e) => Bilingual::tr_with("Alamat printer salah: {e}", &[("e", &e)]),
            Self::Render(e) => Bilingual::tr_with("Slip tidak dapat disusun: {e}", &[("e", &e)]),
        }
    }
}

impl Explain for DispenserError {
    fn explain(&self) -> Bilingual {
        match self {
            Self::Refused(NakCode::PaperOut) => Bilingual::tr(
                "Kertas mesin antrean habis. Mohon hubungi petugas untuk mendapatkan nomor antrean.",
            ),
            Self::Refused(NakCode::SeriesFull) => Bilingual::tr(
                "Kuota antrean layanan ini untuk hari ini sudah penuh. Silakan datang kembali besok \
                 atau gunakan Mobile JKN / Pandawa 08118165165.",
            ),
            Self::Refused(NakCode::UnknownService) => {
                Bilingual::tr("Layanan tidak dikenal. Pilih layanan A sampai I.")
            }
            Self::Uri(_) | Self::NotSerial(_) => {
                Bilingual::tr_with("Alamat mesin antrean salah: {self}", &[("self", &self)])
            }
            _ => Bilingual::tr(
                "Mesin antrean tidak merespons. Nomor antrean belum diambil. Mohon hubungi petugas \
                 atau coba lagi sebentar lagi.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_visible_fault_says_what_to_do_in_both_languages() {
        for f in [Fault::PaperEnd, Fault::CoverOpen, Fault::Offline] {
            for e in [PrinterError::NotReady(f), PrinterError::Interrupted(f)] {
                let m = e.explain();
                assert!(m.id.contains("petugas") && m.en.contains("staff"), "{m:?}");
            }
        }
        let m = DispenserError::NoReply(5).explain();
        assert!(m.id.contains("petugas") && m.en.contains("staff"));
        let m = DispenserError::Refused(NakCode::PaperOut).explain();
        assert!(m.id.contains("Kertas") && m.en.contains("paper"));
    }
}
