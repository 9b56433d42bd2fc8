//! The kiosk's devices for the UI runtime: slips laid out by [`crate::slips`] and printed
//! through the ESC/POS driver and queue numbers from the serial dispenser. Diagnostics'
//! counters (slips printed, tickets per service) go to the store through one handle, opened
//! at the first count.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anjungan_drivers::dispenser::{ClientConfig, DispenserClient};
use anjungan_drivers::printer::{EscPosPrinter, Timeouts};
use anjungan_drivers::receipt::{PaperWidth, Receipt};

use super::runtime::Devices;
use crate::diag;
use crate::domain::{Bilingual, Explain};
use crate::kiosk::{Fault, Issued, Lang, Slip};
use crate::slips::{self, ChangeKind, PlaceSlip, SlipContext, TicketSlip};
use crate::store::Store;

/// Real (or simulated: the same bytes) printer and dispenser, by URI.
pub struct KioskDevices {
    pub printer: Option<String>,
    pub paper: PaperWidth,
    /// Shared with diagnostics: one serial line, one request at a time.
    pub dispenser: Option<Arc<Mutex<DispenserClient>>>,
    /// Held while a slip prints; shared with diagnostics' printer probe and test prints, so
    /// they never open the printer in the middle of a member's slip.
    pub print_gate: diag::probe::PrintGate,
    pub kiosk_name: String,
    pub zone: chrono_tz::Tz,
    /// Where diagnostics' counters are kept.
    pub db: PathBuf,
    /// The one store handle for those counters, opened at the first count (the controller
    /// opens and migrates the store first), not once per print.
    counters: Mutex<Option<Store>>,
    /// The hub to ask for members from other regions ([`KioskDevices::with_lookup`]).
    lookup: Option<crate::sync::AgentConfig>,
}

impl KioskDevices {
    /// Devices from URIs; a bad URI is a configuration error said at start.
    pub fn new(
        printer: Option<String>,
        paper: PaperWidth,
        dispenser: Option<&str>,
        kiosk_name: String,
        zone: chrono_tz::Tz,
        db: PathBuf,
    ) -> Result<Self, Bilingual> {
        let dispenser = match dispenser {
            Some(uri) => Some(Arc::new(Mutex::new(
                DispenserClient::new(uri, ClientConfig::default()).map_err(|e| e.explain())?,
            ))),
            None => None,
        };
        Ok(Self::with_client(
            printer, paper, dispenser, kiosk_name, zone, db,
        ))
    }

    /// Asks `hub` (its URLs, key and secret) for members this kiosk's data does not know.
    pub fn with_lookup(mut self, hub: Option<crate::sync::AgentConfig>) -> Self {
        self.lookup = hub;
        self
    }

    /// Devices around a dispenser client made elsewhere (its timeouts chosen by the caller).
    pub fn with_client(
        printer: Option<String>,
        paper: PaperWidth,
        dispenser: Option<Arc<Mutex<DispenserClient>>>,
        kiosk_name: String,
        zone: chrono_tz::Tz,
        db: PathBuf,
    ) -> Self {
        Self {
            printer,
            paper,
            dispenser,
            print_gate: diag::probe::print_gate(),
            kiosk_name,
            zone,
            db,
            counters: Mutex::new(None),
            lookup: None,
        }
    }

    /// Runs `f` on the counters' store handle, opening it if needed; a failure is logged,
    /// never the member's problem.
    fn count(&self, what: &str, f: impl FnOnce(&Store) -> Result<(), crate::store::StoreError>) {
        let mut handle = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if handle.is_none() {
            match Store::open(&self.db) {
                Ok(s) => *handle = Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, what, "not counted: the store did not open");
                    return;
                }
            }
        }
        if let Some(store) = handle.as_ref()
            && let Err(e) = f(store)
        {
            tracing::warn!(error = %e, what, "not counted");
        }
    }

    fn receipt(&self, slip: &Slip, lang: Lang) -> Receipt {
        let ctx = SlipContext {
            kiosk_name: self.kiosk_name.clone(),
            width: self.paper,
            lang,
            printed_at: chrono::Utc::now().with_timezone(&self.zone).naive_local(),
        };
        let pick = |b: &Bilingual| lang.text(b).to_owned();
        match slip {
            Slip::Status(v) => slips::status_slip(&ctx, v),
            Slip::Dues(v) => slips::dues_slip(&ctx, v),
            Slip::Va(v) => slips::va_slip(&ctx, v),
            Slip::Ticket(t) => slips::queue_ticket(
                &ctx,
                &TicketSlip {
                    number: t.number.clone(),
                    service: &t.service,
                    priority: t.priority,
                    ahead: u16::try_from(t.ahead).unwrap_or(u16::MAX),
                },
            ),
            Slip::Request(r) => slips::change_slip(
                &ctx,
                &r.reference,
                if r.kind == "KELAS" {
                    ChangeKind::Kelas
                } else {
                    ChangeKind::Fktp
                },
                &r.change,
            ),
            Slip::Facility(f) => {
                let kind = pick(&f.facility_type.label());
                let address = format!("{}, {}, {}", f.address, f.kecamatan, f.kabkota);
                let hours = super::view::hours_text(lang, &f.hours);
                slips::place_slip(
                    &ctx,
                    &PlaceSlip {
                        name: &f.name,
                        kind: &kind,
                        address: &address,
                        hours: &hours,
                        phone: &f.phone,
                        lat: f.lat,
                        lon: f.lon,
                        distance_km: f.distance_km,
                    },
                )
            }
            Slip::Office(o) => {
                let kind = pick(&o.level.label());
                let address = format!("{}, {}", o.address, o.kabkota);
                let hours = super::view::hours_text(lang, &o.hours);
                slips::place_slip(
                    &ctx,
                    &PlaceSlip {
                        name: &o.name,
                        kind: &kind,
                        address: &address,
                        hours: &hours,
                        phone: &o.phone,
                        lat: o.lat,
                        lon: o.lon,
                        distance_km: o.distance_km,
                    },
                )
            }
        }
    }
}

fn fault(code: &str, message: Bilingual) -> Fault {
    Fault {
        code: code.to_owned(),
        message,
    }
}

impl Devices for KioskDevices {
    fn look_up(&self, id: &str, birth_date: &str) -> crate::kiosk::LookedUp {
        use crate::kiosk::LookedUp;
        use crate::sync::lookup::{LookupAnswer, lookup};
        let Some(config) = &self.lookup else {
            return LookedUp::Unreachable;
        };
        let answer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(crate::sync::SyncError::Io)
            .and_then(|rt| rt.block_on(lookup(config, id, birth_date)));
        match answer {
            Ok(LookupAnswer::Found(rows)) => LookedUp::Found(rows),
            Ok(LookupAnswer::Mismatch) => LookedUp::Mismatch,
            Ok(LookupAnswer::Locked { seconds_left }) => LookedUp::Locked(seconds_left),
            Err(e) => {
                tracing::warn!(code = e.code(), "member lookup at the hub failed");
                LookedUp::Unreachable
            }
        }
    }

    fn print(&self, slip: &Slip, lang: Lang) -> Result<(), Fault> {
        let Some(uri) = &self.printer else {
            return Err(fault(
                "PRINTER_NOT_CONFIGURED",
                Bilingual::tr(
                    "Anjungan ini belum memiliki printer. Foto layar ini atau catat informasinya.",
                ),
            ));
        };
        let receipt = self.receipt(slip, lang);
        let result = {
            let _printing = self.print_gate.lock().unwrap_or_else(|p| p.into_inner());
            EscPosPrinter::open(uri, Timeouts::default()).and_then(|mut p| p.print(&receipt))
        };
        // Diagnostics' counters: slips printed, the last fault (codes only).
        let code = result
            .as_ref()
            .err()
            .map(|e| e.fault().map_or(e.code(), |f| f.code()));
        self.count("print", |s| {
            diag::counters::record_print(s, code, chrono::Utc::now())
        });
        if let Ok(report) = &result {
            tracing::info!(bytes = report.bytes, "slip printed");
        }
        result.map(|_| ()).map_err(|e| {
            tracing::warn!(code = e.code(), "print failed");
            fault(e.code(), e.explain())
        })
    }

    fn take_ticket(&self, service: &str, priority: bool, request_id: u32) -> Result<Issued, Fault> {
        let Some(client) = &self.dispenser else {
            return Err(fault(
                "DISPENSER_NOT_CONFIGURED",
                Bilingual::tr(
                    "Mesin antrean belum tersedia di anjungan ini. Silakan ambil nomor di loket informasi.",
                ),
            ));
        };
        // A number the member cannot take home is a number called to an empty counter:
        // ask the printer first, and take none while it cannot print.
        if let Some(uri) = &self.printer {
            let _printing = self.print_gate.lock().unwrap_or_else(|p| p.into_inner());
            crate::devices::printer_ready_for_ticket(uri).map_err(|b| fault(b.code, b.message))?;
        }
        let code = service.chars().next().unwrap_or('?');
        let mut client = client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The controller's id, the same on every retry of this member's choice, so the
        // dispenser answers a retry with the number it already gave.
        let issued = client.issue_with_id(code, priority, request_id);
        drop(client);
        self.count_ticket(service, &issued);
        issued
            .map(|t| Issued {
                number: t.display(),
                ahead: u32::from(t.ahead),
            })
            .map_err(|e| {
                tracing::warn!(code = e.code(), "ticket failed");
                fault(e.code(), e.explain())
            })
    }
}

impl KioskDevices {
    /// Diagnostics' counters: the dispenser's last frame and tickets per service per day.
    fn count_ticket(
        &self,
        service: &str,
        issued: &Result<
            anjungan_drivers::dispenser::Ticket,
            anjungan_drivers::dispenser::DispenserError,
        >,
    ) {
        let now = chrono::Utc::now();
        let frame = match issued {
            Ok(_) => "ISSUE ACK",
            Err(anjungan_drivers::dispenser::DispenserError::Refused(_)) => "ISSUE NAK",
            Err(_) => return,
        };
        self.count("ticket", |s| {
            diag::counters::record_frame(s, frame, now)?;
            if issued.is_ok() {
                let day = now.with_timezone(&self.zone).date_naive();
                diag::counters::record_ticket(s, day, service)?;
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_print_waits_while_the_printer_is_probed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.db");
        Store::open(&db).unwrap();
        let devices = KioskDevices::new(
            None,
            PaperWidth::Mm80,
            None,
            "KC Bandung".into(),
            crate::clock::DEFAULT_ZONE,
            db,
        )
        .unwrap();
        let gate = devices.print_gate.clone();
        let service = crate::content::default_services().remove(0);
        crate::diag::probe::tests::waits_for_the_gate(&gate, move |uri| {
            let devices = KioskDevices {
                printer: Some(uri),
                ..devices
            };
            let slip = Slip::Ticket(crate::kiosk::Ticket {
                number: "A-001".into(),
                service,
                priority: false,
                ahead: 0,
                wait_minutes: 0,
                issued_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
                    .unwrap()
                    .and_hms_opt(10, 0, 0)
                    .unwrap(),
            });
            // The test closes the connection; whether the bytes got out does not matter.
            let _ = devices.print(&slip, Lang::Id);
        });
    }
}
