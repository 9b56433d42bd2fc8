//! The dispenser client against the simulator over real pseudo-terminals: one test per
//! injected fault, each ending with no duplicate and no lost number.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anjungan_drivers::dispenser::sim::{Clock, DispenserSim, Faults, SimConfig};
use anjungan_drivers::dispenser::{ClientConfig, DispenserClient, DispenserError, NakCode, Ticket};
use chrono::{DateTime, TimeZone, Utc};

fn fixed_clock() -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
    // 2026-11-23 02:00 UTC = 09:00 WIB.
    let now = Arc::new(Mutex::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap(),
    ));
    let n = now.clone();
    (Arc::new(move || *n.lock().unwrap()), now)
}

fn cfg() -> ClientConfig {
    ClientConfig {
        reply_timeout: Duration::from_millis(300),
        attempts: 5,
        reconnect_for: Duration::from_secs(5),
    }
}

fn run_with(faults: Faults, n: usize) -> (Vec<Ticket>, DispenserSim) {
    let (clock, _) = fixed_clock();
    let sim = DispenserSim::new(
        SimConfig {
            faults,
            ..SimConfig::default()
        },
        clock,
    );
    let port = sim.spawn_pty(None).unwrap();
    let uri = format!("serial://{}?baud=115200", port.path().display());
    let mut c = DispenserClient::new(&uri, cfg()).unwrap();
    let tickets: Vec<Ticket> = (0..n).map(|_| c.issue('A', false).unwrap()).collect();
    (tickets, sim)
}

/// Every request got exactly the next number, and the dispenser issued nothing else.
fn assert_no_duplicate_no_lost(tickets: &[Ticket], sim: &DispenserSim) {
    let got: Vec<u16> = tickets.iter().map(|t| t.number).collect();
    let want: Vec<u16> = (1..=tickets.len() as u16).collect();
    assert_eq!(got, want, "client numbers");
    let issued: Vec<u16> = sim.log().iter().map(|t| t.number).collect();
    assert_eq!(issued, want, "dispenser issued exactly these");
    let ids: Vec<u32> = sim.log().iter().map(|t| t.request_id).collect();
    assert_eq!(
        ids,
        tickets.iter().map(|t| t.request_id).collect::<Vec<_>>()
    );
}

#[test]
fn no_fault_numbers_run_in_order() {
    let (t, sim) = run_with(Faults::default(), 4);
    assert_no_duplicate_no_lost(&t, &sim);
    assert_eq!(t[2].display(), "A-003");
    assert_eq!(t[2].ahead, 2);
}

#[test]
fn dropped_replies_are_retried_without_a_second_number() {
    let (t, sim) = run_with(
        Faults {
            drop_every: 2,
            ..Faults::default()
        },
        5,
    );
    assert_no_duplicate_no_lost(&t, &sim);
    assert!(
        t.iter().any(|t| t.repeat),
        "some answers came from the request memory"
    );
}

#[test]
fn a_dispenser_that_always_answers_late_still_serves_one_number_per_request() {
    // Every reply comes 700 ms after its request, past the 300 ms timeout: each request is
    // answered by the late reply to its first attempt, and the retries cost no number.
    let (clock, _) = fixed_clock();
    let sim = DispenserSim::new(
        SimConfig {
            faults: Faults {
                delay_every: 1,
                delay: Duration::from_millis(700),
                ..Faults::default()
            },
            ..SimConfig::default()
        },
        clock,
    );
    let port = sim.spawn_pty(None).unwrap();
    let uri = format!("serial://{}?baud=115200", port.path().display());
    let mut c = DispenserClient::new(&uri, cfg()).unwrap();
    let mut tickets = Vec::new();
    for _ in 0..2 {
        tickets.push(c.issue('A', false).unwrap());
        // The next member comes a few seconds later, when the dispenser has answered the
        // retries (each repeat, 700 ms late, names the same number).
        std::thread::sleep(Duration::from_millis(2_500));
    }
    assert_no_duplicate_no_lost(&tickets, &sim);
}

#[test]
fn delayed_replies_to_old_attempts_are_discarded() {
    let (t, sim) = run_with(
        Faults {
            delay_every: 2,
            delay: Duration::from_millis(450),
            ..Faults::default()
        },
        4,
    );
    assert_no_duplicate_no_lost(&t, &sim);
}

#[test]
fn corrupt_replies_are_rejected_by_crc_and_retried() {
    let (t, sim) = run_with(
        Faults {
            corrupt_every: 2,
            ..Faults::default()
        },
        5,
    );
    assert_no_duplicate_no_lost(&t, &sim);
    assert!(t.iter().any(|t| t.repeat));
}

#[test]
fn a_reboot_mid_request_keeps_the_committed_number() {
    let (t, sim) = run_with(
        Faults {
            reboot_every: 2,
            reboot_time: Duration::from_millis(200),
            ..Faults::default()
        },
        4,
    );
    assert_no_duplicate_no_lost(&t, &sim);
    assert!(t[1].repeat && t[3].repeat);
}

#[test]
fn paper_out_is_refused_and_costs_no_number() {
    let (clock, _) = fixed_clock();
    let sim = DispenserSim::new(SimConfig::default(), clock);
    let port = sim.spawn_pty(None).unwrap();
    let uri = format!("serial://{}", port.path().display());
    let mut c = DispenserClient::new(&uri, cfg()).unwrap();
    let a = c.issue('B', false).unwrap();
    sim.set_paper_out(true);
    let e = c.issue('B', false).unwrap_err();
    assert!(
        matches!(e, DispenserError::Refused(NakCode::PaperOut)),
        "{e:?}"
    );
    assert_eq!(e.code(), "DISPENSER_PAPER_OUT");
    assert_eq!(c.status().unwrap().paper, 2);
    sim.set_paper_out(false);
    let b = c.issue('B', false).unwrap();
    assert_no_duplicate_no_lost(&[a, b], &sim);
}

#[test]
fn successive_clients_share_the_dispenser_state() {
    let (clock, _) = fixed_clock();
    let sim = DispenserSim::new(SimConfig::default(), clock);
    let port = sim.spawn_pty(None).unwrap();
    let uri = format!("serial://{}", port.path().display());
    let mut all = Vec::new();
    for _ in 0..3 {
        let mut c = DispenserClient::new(&uri, cfg()).unwrap();
        c.ping().unwrap();
        all.push(c.issue('A', false).unwrap());
    }
    assert_no_duplicate_no_lost(&all, &sim);
    let mut c = DispenserClient::new(&uri, cfg()).unwrap();
    let p = c.issue('A', true).unwrap();
    assert_eq!(p.display(), "A-P01");
    assert_eq!(c.reprint(all[1].request_id).unwrap().display(), "A-002");
    assert!(matches!(
        c.reprint(42),
        Err(DispenserError::Refused(NakCode::UnknownRequest))
    ));
    let st = c.status().unwrap();
    assert_eq!((st.issued, st.day.to_string().as_str()), (4, "2026-11-23"));
    c.reset_day().unwrap();
    assert_eq!(c.issue('A', false).unwrap().number, 1);
}

#[test]
fn the_day_resets_at_the_configured_local_hour() {
    let (clock, now) = fixed_clock();
    let sim = DispenserSim::new(
        SimConfig {
            reset_hour: 6,
            ..SimConfig::default()
        },
        clock,
    );
    let port = sim.spawn_pty(None).unwrap();
    let uri = format!("serial://{}", port.path().display());
    let mut c = DispenserClient::new(&uri, cfg()).unwrap();
    assert_eq!(c.issue('C', false).unwrap().number, 1);
    // 22:30 UTC = 05:30 WIB next morning: before the 06:00 reset, same day.
    *now.lock().unwrap() = Utc.with_ymd_and_hms(2026, 11, 23, 22, 30, 0).unwrap();
    assert_eq!(c.issue('C', false).unwrap().number, 2);
    // 23:30 UTC = 06:30 WIB: a new day.
    *now.lock().unwrap() = Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).unwrap();
    assert_eq!(c.issue('C', false).unwrap().display(), "C-001");
}

#[test]
fn the_client_reconnects_when_the_adapter_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("anjungan-dispenser");
    let (clock, _) = fixed_clock();
    let sim = DispenserSim::new(SimConfig::default(), clock);
    let port = sim.spawn_pty(Some(&link)).unwrap();
    let uri = format!("serial://{}", link.display());
    let mut c = DispenserClient::new(&uri, cfg()).unwrap();
    let first = c.issue('D', false).unwrap();
    // Pull the adapter: the pty closes and the device name disappears.
    port.unplug();
    assert!(!link.exists());
    // The client's next request finds its port dead; plug back in while it retries.
    let worker = std::thread::spawn(move || {
        let t = c.issue('D', false);
        (t, c.reconnects)
    });
    let _port2 = sim.spawn_pty(Some(&link)).unwrap();
    let (second, reconnects) = worker.join().unwrap();
    let second = second.unwrap();
    assert!(reconnects >= 1);
    assert_no_duplicate_no_lost(&[first, second], &sim);
}

#[test]
fn an_absent_dispenser_is_an_offline_error() {
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("serial://{}/none", dir.path().display());
    let mut c = DispenserClient::new(
        &uri,
        ClientConfig {
            reconnect_for: Duration::from_millis(100),
            ..cfg()
        },
    )
    .unwrap();
    let e = c.issue('A', false).unwrap_err();
    assert_eq!(e.code(), "DISPENSER_OFFLINE");
    assert!(matches!(
        DispenserClient::new("tcp://x:1", cfg()),
        Err(DispenserError::NotSerial(_))
    ));
}

#[test]
fn corrupt_requests_are_rejected_and_the_line_resyncs() {
    use anjungan_drivers::dispenser::Frame;
    use anjungan_drivers::transport::{SerialTransport, Transport};
    let (clock, _) = fixed_clock();
    let sim = DispenserSim::new(SimConfig::default(), clock);
    let port = sim.spawn_pty(None).unwrap();
    let mut t = SerialTransport::open(port.path(), 9600).unwrap();
    let mut bad = Frame::new(1, 0x01, vec![]).to_bytes();
    bad[3] ^= 0x01;
    let good = Frame::new(2, 0x01, vec![]).to_bytes();
    t.send(&[&b"\x02\x7fjunk"[..], &bad, &good].concat())
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < 7 {
        let n = t.recv(&mut buf, Duration::from_secs(2)).unwrap();
        assert!(n > 0, "no reply");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, Frame::new(2, 0x06, vec![]).to_bytes());
    let (frames, rejected) = sim.frame_counts();
    assert_eq!(frames, 1);
    assert!(rejected >= 2, "rejected {rejected}");
}

#[test]
fn the_async_client_survives_faults_without_a_second_number() {
    use anjungan_drivers::dispenser::async_client::AsyncDispenserClient;
    let (t, sim) = {
        let (clock, _) = fixed_clock();
        let sim = DispenserSim::new(
            SimConfig {
                faults: Faults {
                    drop_every: 3,
                    corrupt_every: 4,
                    ..Faults::default()
                },
                ..SimConfig::default()
            },
            clock,
        );
        let port = sim.spawn_pty(None).unwrap();
        let uri = format!("serial://{}?baud=115200", port.path().display());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let tickets = rt.block_on(async {
            let mut c = AsyncDispenserClient::new(&uri, cfg()).unwrap();
            c.ping().await.unwrap();
            let mut out = Vec::new();
            for _ in 0..6 {
                out.push(c.issue('E', false).await.unwrap());
            }
            out
        });
        drop(port);
        (tickets, sim)
    };
    assert_no_duplicate_no_lost(&t, &sim);
    assert_eq!(t[5].display(), "E-006");
}

#[test]
fn the_async_client_reconnects_too() {
    use anjungan_drivers::dispenser::async_client::AsyncDispenserClient;
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("dispenser");
    let (clock, _) = fixed_clock();
    let sim = DispenserSim::new(SimConfig::default(), clock);
    let port = sim.spawn_pty(Some(&link)).unwrap();
    let uri = format!("serial://{}", link.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut c = AsyncDispenserClient::new(&uri, cfg()).unwrap();
    let first = rt.block_on(c.issue('I', false)).unwrap();
    port.unplug();
    let worker = std::thread::spawn(move || {
        let t = rt.block_on(c.issue('I', false));
        (t, c.reconnects)
    });
    let _port2 = sim.spawn_pty(Some(&link)).unwrap();
    let (second, reconnects) = worker.join().unwrap();
    assert!(reconnects >= 1);
    assert_no_duplicate_no_lost(&[first, second.unwrap()], &sim);
}
