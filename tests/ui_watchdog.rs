//! systemd's notifications (READY, the watchdog heartbeat) arrive on a real notify socket,
//! and come from the UI thread: while that thread is blocked, no heartbeat goes out.
//!
//! One `#[test]` in its own process: it sets `NOTIFY_SOCKET`/`WATCHDOG_USEC` as systemd
//! would, and the testing backend's event loop can start once per process.

use std::os::unix::net::UnixDatagram;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anjungan::ui::watchdog;

#[test]
fn ready_then_heartbeats_from_the_ui_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // SAFETY: set before any other thread of this test process starts.
    unsafe {
        std::env::set_var("NOTIFY_SOCKET", &path);
        std::env::set_var("WATCHDOG_USEC", "200000");
        std::env::set_var("WATCHDOG_PID", std::process::id().to_string());
    }
    i_slint_backend_testing::init_integration_test_with_system_time();

    // Messages as they arrive, with their arrival time.
    let (tx, rx) = mpsc::channel::<(Instant, String)>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok(n) = socket.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
            if tx.send((Instant::now(), msg)).is_err() {
                break;
            }
        }
    });

    let heartbeat = watchdog::start();
    assert_eq!(heartbeat.period, Some(Duration::from_millis(100)));
    // After half a second of normal running, the UI thread blocks for 700 ms, then runs
    // another half second and the loop ends.
    let blocked = std::sync::Arc::new(std::sync::Mutex::new(None::<(Instant, Instant)>));
    let b = blocked.clone();
    slint::Timer::single_shot(Duration::from_millis(500), move || {
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(700));
        *b.lock().unwrap() = Some((start, Instant::now()));
        slint::Timer::single_shot(Duration::from_millis(500), || {
            let _ = slint::quit_event_loop();
        });
    });
    slint::run_event_loop().unwrap();
    drop(heartbeat);

    let messages: Vec<(Instant, String)> = rx.try_iter().collect();
    let first = messages.first().expect("no notification at all");
    assert!(
        first.1.contains("READY=1"),
        "the first message is READY: {:?}",
        first.1
    );
    let beats: Vec<Instant> = messages
        .iter()
        .filter(|(_, m)| m.trim() == "WATCHDOG=1")
        .map(|(t, _)| *t)
        .collect();
    assert!(beats.len() >= 6, "heartbeats every 100 ms: {}", beats.len());
    let (start, end) = blocked.lock().unwrap().expect("the UI thread was blocked");
    let during: Vec<&Instant> = beats
        .iter()
        .filter(|t| **t > start + Duration::from_millis(50) && **t < end)
        .collect();
    assert!(
        during.is_empty(),
        "no heartbeat while the UI thread is blocked, got {}",
        during.len()
    );
    assert!(
        beats.iter().any(|t| *t > end),
        "heartbeats resume after the UI thread is free again"
    );
}
