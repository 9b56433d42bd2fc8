//! The UI runtime's devices over the real wire: queue numbers from the simulated dispenser on
//! a pseudo-terminal, slips printed to the virtual printer over TCP and decoded back.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anjungan::content;
use anjungan::dataset::import_dir;
use anjungan::kiosk::{Lang, Slip, Ticket};
use anjungan::store::{FacilityQuery, Store};
use anjungan::ui::devices::KioskDevices;
use anjungan::ui::runtime::Devices;
use anjungan_drivers::dispenser::sim::{DispenserSim, SimConfig};
use anjungan_drivers::printer_sim::{SimOptions, StatusPreset, VirtualPrinter};
use anjungan_drivers::receipt::PaperWidth;
use chrono::NaiveDate;

#[test]
fn tickets_and_slips_cross_the_real_wire() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
    let mut store = Store::open(&db).unwrap();
    import_dir(
        &mut store,
        &fixture,
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    )
    .unwrap();

    let dispenser = DispenserSim::new(SimConfig::default(), Arc::new(chrono::Utc::now));
    let port = dispenser.spawn_pty(None).unwrap();
    let printer = VirtualPrinter::new(SimOptions {
        width: PaperWidth::Mm80,
        ..SimOptions::default()
    });
    let (addr, _server) = printer.spawn_tcp("127.0.0.1:0").unwrap();
    let devices = KioskDevices::new(
        Some(format!("tcp://{addr}")),
        PaperWidth::Mm80,
        Some(&format!("serial://{}?baud=115200", port.path().display())),
        "KC Bandung".into(),
        chrono_tz::Asia::Jakarta,
        db.clone(),
    )
    .unwrap();

    // Two numbers in a row, then a priority one in its own series.
    let first = devices.take_ticket("A", false, 1).unwrap();
    let second = devices.take_ticket("A", false, 2).unwrap();
    let priority = devices.take_ticket("A", true, 3).unwrap();
    assert_eq!(first.number, "A-001");
    assert_eq!((second.number.as_str(), second.ahead), ("A-002", 1));
    assert_eq!(priority.number, "A-P01");

    let service = content::default_services().remove(0);
    let ticket = Ticket {
        number: second.number.clone(),
        service,
        priority: false,
        ahead: second.ahead,
        wait_minutes: 15,
        issued_at: NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    };
    devices.print(&Slip::Ticket(ticket), Lang::Id).unwrap();
    let facility = store
        .search_facilities(&FacilityQuery {
            text: Some("cibeunying".into()),
            limit: 1,
            ..FacilityQuery::default()
        })
        .unwrap()
        .remove(0);
    devices.print(&Slip::Facility(facility), Lang::En).unwrap();
    let (pages, _) = printer.wait_pages(2, Duration::from_secs(10));
    assert_eq!(pages.len(), 2);
    assert!(pages.iter().all(|p| p.cut));
    let ticket_text = pages[0].text();
    assert!(ticket_text.contains("A-002"), "{ticket_text}");
    assert!(ticket_text.contains("KC Bandung"), "{ticket_text}");
    let place_text = pages[1].text();
    assert!(place_text.contains("Puskesmas Cibeunying"), "{place_text}");
    assert!(place_text.contains("Scan to open the map"), "{place_text}");
    assert_eq!(
        pages[1].qr_codes(),
        ["https://www.google.com/maps/search/?api=1&query=-6.894500,107.635000"]
    );

    // Paper out: the slip is refused with a member-facing reason, nothing printed.
    printer.set_status(StatusPreset::PaperOut.status());
    let fault = devices
        .print(
            &Slip::Ticket(Ticket {
                number: "A-003".into(),
                service: content::default_services().remove(0),
                priority: false,
                ahead: 0,
                wait_minutes: 0,
                issued_at: NaiveDate::from_ymd_opt(2026, 11, 22)
                    .unwrap()
                    .and_hms_opt(9, 31, 0)
                    .unwrap(),
            }),
            Lang::Id,
        )
        .unwrap_err();
    assert!(fault.message.id.contains("Kertas"), "{fault:?}");
    assert_eq!(printer.pages().len(), 2);

    // Diagnostics' counters went to the store through the devices' one handle: the
    // printed slips, the fault, and the three tickets of today.
    drop(devices);
    let mut store = Store::open(&db).unwrap();
    let counters = anjungan::diag::counters::printer(&store).unwrap();
    assert_eq!(counters.printed, 2, "{counters:?}");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .date_naive();
    let tickets = anjungan::diag::counters::tickets_on(&mut store, today).unwrap();
    assert_eq!(tickets.get("A"), Some(&3), "{tickets:?}");
}
