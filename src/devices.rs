//! Device faults as the member and technician see them: a stable code and an Indonesian +
//! English message that says what to do next.
//!
//! Owns only the wording; the faults themselves are typed in `anjungan-drivers`.

use anjungan_drivers::dispenser::{DispenserError, NakCode};
use anjungan_drivers::printer::{Fault, PrinterError};

use crate::domain::{Bilingual, Explain};

fn printer_fault(f: Fault) -> Bilingual {
    match f {
        Fault::PaperEnd => Bilingual::new(
            "Kertas printer habis. Slip tidak tercetak. Mohon hubungi petugas untuk mengganti \
             kertas, lalu coba cetak lagi.",
            "The printer is out of paper. The slip was not printed. Please ask a staff member to \
             load paper, then print again.",
        ),
        Fault::CoverOpen => Bilingual::new(
            "Penutup printer terbuka. Slip tidak tercetak. Mohon hubungi petugas untuk menutupnya, \
             lalu coba cetak lagi.",
            "The printer cover is open. The slip was not printed. Please ask a staff member to \
             close it, then print again.",
        ),
        Fault::Offline => Bilingual::new(
            "Printer tidak dapat digunakan saat ini. Slip tidak tercetak. Mohon hubungi petugas; \
             informasi Anda tetap tersedia di layar dan di Mobile JKN.",
            "The printer is not available right now. The slip was not printed. Please ask a staff \
             member; your information is still on screen and in Mobile JKN.",
        ),
    }
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
            Self::Flooding => Bilingual::new(
                "Printer mengirim data terus-menerus dan tidak dapat dipakai. Matikan lalu nyalakan printer, atau periksa alamatnya.",
                "The printer keeps sending data and cannot be used. Switch it off and on, or check its address.",
            ),
            Self::Uri(e) => Bilingual::new(
                format!("Alamat printer salah: {e}"),
                format!("Bad printer address: {e}"),
            ),
            Self::Render(e) => Bilingual::new(
                format!("Slip tidak dapat disusun: {e}"),
                format!("The slip cannot be laid out: {e}"),
            ),
        }
    }
}

impl Explain for DispenserError {
    fn explain(&self) -> Bilingual {
        match self {
            Self::Refused(NakCode::PaperOut) => Bilingual::new(
                "Kertas mesin antrean habis. Mohon hubungi petugas untuk mendapatkan nomor antrean.",
                "The ticket machine is out of paper. Please ask a staff member for a queue number.",
            ),
            Self::Refused(NakCode::SeriesFull) => Bilingual::new(
                "Kuota antrean layanan ini untuk hari ini sudah penuh. Silakan datang kembali besok \
                 atau gunakan Mobile JKN / Pandawa 08118165165.",
                "Today's queue for this service is full. Please come back tomorrow or use Mobile \
                 JKN / Pandawa 08118165165.",
            ),
            Self::Refused(NakCode::UnknownService) => Bilingual::new(
                "Layanan tidak dikenal. Pilih layanan A sampai I.",
                "Unknown service. Choose a service from A to I.",
            ),
            Self::Uri(_) | Self::NotSerial(_) => Bilingual::new(
                format!("Alamat mesin antrean salah: {self}"),
                format!("Bad ticket dispenser address: {self}"),
            ),
            _ => Bilingual::new(
                "Mesin antrean tidak merespons. Nomor antrean belum diambil. Mohon hubungi petugas \
                 atau coba lagi sebentar lagi.",
                "The ticket machine is not responding. No queue number was taken. Please ask a \
                 staff member or try again in a moment.",
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
