//! `anjungan diag --json` against the real simulators (virtual printer over TCP, dispenser
//! over a pty) and a real hub process, in each fault state; `diag set-pin`; `hub fleet`
//! flagging silent and unhealthy kiosks from their heartbeats.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use anjungan::diag::probe::{self, ProbeSetup};
use anjungan::hub::{HubStore, SqliteHub};
use anjungan::store::Store;
use anjungan::sync::agent::SyncAgent;
use anjungan_drivers::dispenser::sim::{DispenserSim, SimConfig};
use anjungan_drivers::printer_sim::{SimOptions, StatusPreset, VirtualPrinter};
use serde_json::Value;

mod common;

use common::{BIN, Hub, SECRET, anj, fixture, imported_db};

/// A port nothing listens on.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr.to_string()
}

fn diag(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["diag", "--json"];
    all.extend_from_slice(args);
    anj(&all)
}

fn assert_problem(v: &Value, component: &str, code: &str) {
    let c = &v[component];
    assert_eq!(c["healthy"], false, "{component}: {c}");
    assert_eq!(c["configured"], true, "{component}: {c}");
    assert_eq!(c["code"], code, "{component}: {c}");
    assert!(
        c["problem"].as_str().is_some_and(|p| !p.is_empty())
            && c["problem_en"].as_str().is_some_and(|p| !p.is_empty()),
        "{component} says what is wrong in both languages: {c}"
    );
    assert_eq!(v["healthy"], false);
    assert!(
        v["unhealthy"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == component),
        "{v}"
    );
}

#[test]
fn diag_json_reports_each_fault_state_of_the_simulators() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path(), "kiosk.db");
    let db_s = db.to_str().unwrap();
    let printer = VirtualPrinter::new(SimOptions::default());
    let (addr, _server) = printer.spawn_tcp("127.0.0.1:0").unwrap();
    let printer_uri = format!("tcp://{addr}");
    let dispenser = DispenserSim::new(SimConfig::default(), Arc::new(chrono::Utc::now));
    let port = dispenser.spawn_pty(None).unwrap();
    let dispenser_uri = format!("serial://{}?baud=115200", port.path().display());
    let hub = Hub::start(dir.path());
    let ca = hub.ca.to_str().unwrap();
    let all = |hub: &str| -> Vec<String> {
        [
            "--db",
            db_s,
            "--printer",
            &printer_uri,
            "--dispenser",
            &dispenser_uri,
            "--hub",
            hub,
            "--hub-ca",
            ca,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |args: &[String]| diag(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // Everything up: exit 0, every component configured and healthy.
    let (code, v) = run(&all(&hub.url));
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["healthy"], true);
    for c in ["printer", "dispenser", "sync", "database", "system"] {
        assert_eq!(v[c]["healthy"], true, "{c}: {}", v[c]);
        assert_eq!(v[c]["configured"], true, "{c}");
        assert!(v[c].get("problem").is_none(), "{c}");
    }
    assert_eq!(v["printer"]["transport"], "tcp");
    assert_eq!(v["printer"]["paper"], "ok");
    assert_eq!(v["printer"]["cover"], "closed");
    assert_eq!(v["dispenser"]["link"], "up");
    assert_eq!(v["dispenser"]["last_frame"], "STATUS ACK");
    assert_eq!(v["sync"]["reachable"], true);
    assert!(v["system"]["clock_skew_secs"].as_i64().unwrap().abs() <= 2);
    assert!(v["database"]["rows"]["members"].as_i64().unwrap() > 0);
    assert!(!v["system"]["app_version"].as_str().unwrap().is_empty());

    // Printer: paper out, cover open, offline, unreachable.
    printer.set_status(StatusPreset::PaperOut.status());
    let (code, v) = run(&all(&hub.url));
    assert_eq!(code, 3);
    assert_problem(&v, "printer", "PRINTER_PAPER_END");
    assert_eq!(v["printer"]["paper"], "out");
    assert_eq!(v["unhealthy"], serde_json::json!(["printer"]));
    printer.set_status(StatusPreset::CoverOpen.status());
    let (_, v) = run(&all(&hub.url));
    assert_problem(&v, "printer", "PRINTER_COVER_OPEN");
    assert_eq!(v["printer"]["cover"], "open");
    printer.set_status(StatusPreset::Offline.status());
    let (_, v) = run(&all(&hub.url));
    assert_problem(&v, "printer", "PRINTER_OFFLINE");
    printer.set_status(StatusPreset::Ready.status());
    let mut gone = all(&hub.url);
    gone[3] = format!("tcp://{}", closed_port());
    let (code, v) = run(&gone);
    assert_eq!(code, 3);
    assert_problem(&v, "printer", "PRINTER_UNREACHABLE");
    assert_eq!(v["printer"]["online"], false);

    // Dispenser: paper out, then unplugged.
    dispenser.set_paper_out(true);
    let (code, v) = run(&all(&hub.url));
    assert_eq!(code, 3);
    assert_problem(&v, "dispenser", "DISPENSER_PAPER_OUT");
    assert_eq!(v["dispenser"]["paper"], "out");
    dispenser.set_paper_out(false);

    // Stale data: the last import and sync were long ago.
    {
        let store = Store::open(&db).unwrap();
        store
            .set_meta("data_loaded_at", "2026-01-01T00:00:00+00:00")
            .unwrap();
    }
    let (code, v) = run(&all(&hub.url));
    assert_eq!(code, 3);
    assert_problem(&v, "sync", "DATA_STALE");
    assert_eq!(v["sync"]["data_stale"], true);

    // Hub down.
    let down = format!("http://{}", closed_port());
    let (_, v) = run(&all(&down));
    assert_problem(&v, "sync", "HUB_UNREACHABLE");
    assert_eq!(v["sync"]["reachable"], false);

    port.unplug();
    let (code, v) = run(&all(&hub.url));
    assert_eq!(code, 3);
    assert_problem(&v, "dispenser", "DISPENSER_OFFLINE");
    assert_eq!(v["dispenser"]["link"], "down");

    // An empty database; nothing else configured is not a fault.
    let empty = dir.path().join("empty.db");
    drop(Store::open(&empty).unwrap());
    let (code, v) = diag(&["--db", empty.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert_problem(&v, "database", "DB_EMPTY");
    for c in ["printer", "dispenser", "sync"] {
        assert_eq!(v[c]["configured"], false, "{c}");
        assert_eq!(v[c]["healthy"], true, "{c}");
    }
    assert_eq!(v["unhealthy"], serde_json::json!(["database"]));

    // A missing database, and the same report as text.
    let (_, v) = diag(&["--db", dir.path().join("nope.db").to_str().unwrap()]);
    assert_problem(&v, "database", "DB_MISSING");
    let out = Command::new(BIN)
        .args(["diag", "--db", empty.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("DB_EMPTY") && text.contains("healthy: false"),
        "{text}"
    );
}

#[test]
fn the_heartbeat_is_the_report_and_the_fleet_flags_silent_and_unhealthy_kiosks() {
    let dir = tempfile::tempdir().unwrap();
    let db = imported_db(dir.path(), "kiosk.db");
    let hub = Hub::start(dir.path());
    let printer = VirtualPrinter::new(SimOptions {
        status: StatusPreset::PaperOut.status(),
        ..SimOptions::default()
    });
    let (addr, _server) = printer.spawn_tcp("127.0.0.1:0").unwrap();
    let setup = ProbeSetup {
        kiosk_id: "k1".into(),
        printer: Some(format!("tcp://{addr}")),
        dispenser: None,
        scanner: None,
        speech: None,
        print_gate: probe::print_gate(),
        db: db.clone(),
        hub_url: Some(hub.url.clone()),
        hub_ca: Some(hub.ca.clone()),
        max_data_age_hours: 48,
        zone: chrono_tz::Asia::Jakarta,
        started: std::time::Instant::now(),
    };
    let agent = SyncAgent::new(
        common::agent_config(dir.path(), &db, &hub.url),
        Arc::new(move |h: &_| probe::report(&setup, Some(h))),
    )
    .unwrap();
    // Two PIN lockouts today and one two days ago: the report counts the day's.
    {
        let store = Store::open(&db).unwrap();
        let now = chrono::Utc::now();
        for hours in [1, 3, 48] {
            anjungan::diag::audit::record(
                &store,
                now - chrono::Duration::hours(hours),
                "LOCKED",
                "300 s",
            )
            .unwrap();
        }
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(agent.run_once()).unwrap();

    // A second kiosk that went quiet an hour ago, healthy when last heard.
    let state = dir.path().join("hub.db");
    {
        let hub_store = SqliteHub::open(&state).unwrap();
        hub_store
            .heartbeat("k0", &serde_json::json!({ "healthy": true }))
            .unwrap();
    }
    let conn =
        anjungan::store::open_connection_as(&state, anjungan::store::DbRole::Hub, false).unwrap();
    let old = (chrono::Utc::now() - chrono::Duration::minutes(61)).to_rfc3339();
    conn.execute(
        "UPDATE hub_fleet SET last_seen = ?1 WHERE cons_id = 'k0'",
        [&old],
    )
    .unwrap();
    drop(conn);
    std::fs::write(
        dir.path().join("all-kiosks.toml"),
        format!(
            "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET}\"\n\
             [[kiosk]]\ncons_id = \"k9\"\nsecret = \"secret-kiosk-9\"\n"
        ),
    )
    .unwrap();
    let fleet = |mins: &str| {
        let (code, v) = anj(&[
            "hub",
            "fleet",
            "--data",
            fixture().to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--kiosks",
            dir.path().join("all-kiosks.toml").to_str().unwrap(),
            "--silent-after-mins",
            mins,
            "--json",
        ]);
        assert_eq!(code, 0, "{v}");
        v.as_array().unwrap().clone()
    };
    let rows = fleet("30");
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["cons_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["k0", "k1", "k9"]);
    // k0: silent for an hour.
    assert_eq!(rows[0]["flags"], serde_json::json!(["SILENT"]));
    // k1: heard just now, with the diag report: the printer is out of paper.
    assert_eq!(rows[1]["silent"], false);
    assert_eq!(rows[1]["flags"], serde_json::json!(["UNHEALTHY"]));
    assert_eq!(rows[1]["health"]["printer"]["code"], "PRINTER_PAPER_END");
    assert_eq!(rows[1]["health"]["sync"]["healthy"], true);
    assert!(
        rows[1]["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("printer: PRINTER_PAPER_END: "),
        "{}",
        rows[1]["problems"]
    );
    assert_eq!(rows[1]["health"]["system"]["pin_lockouts_24h"], 2);
    // What the hub stored from the heartbeat holds no member's NIK, card or KK number,
    // name or date of birth, in any form the app shows them.
    let stored = serde_json::to_string(&rows).unwrap();
    let members = std::fs::read_to_string(fixture().join("members.csv")).unwrap();
    for line in members.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (card, nik, kk, name, dob) = (f[0], f[1], f[2], f[3], f[4]);
        let (y, m, d) = (&dob[..4], &dob[5..7], &dob[8..10]);
        for secret in [
            card.to_owned(),
            nik.to_owned(),
            kk.to_owned(),
            name.to_owned(),
            dob.to_owned(),
            format!("{d}-{m}-{y}"),
            format!("{d}/{m}/{y}"),
        ] {
            assert!(
                !stored.contains(&secret),
                "the fleet view holds {secret:?}: {stored}"
            );
        }
    }
    // k9: known but never heard from.
    assert_eq!(rows[2]["flags"], serde_json::json!(["SILENT"]));
    assert_eq!(rows[2]["last_seen"], Value::Null);
    // The threshold is a flag: at two hours k0 is not silent.
    let rows = fleet("120");
    assert!(
        rows[0]["flags"].as_array().unwrap().is_empty(),
        "{}",
        rows[0]
    );
}

#[test]
fn set_pin_writes_only_an_argon2_hash_into_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "# the kiosk\n[kiosk]\nid = \"k1\"\n\n[diag]\nidle_secs = 120\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    // The file holds the hub secret: owner-only stays owner-only, whatever the umask.
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let set = |pin: &str| {
        let mut child = Command::new(BIN)
            .args([
                "diag",
                "set-pin",
                "--config",
                config.to_str().unwrap(),
                "--json",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{pin}").unwrap();
        let out = child.wait_with_output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap_or(-1), v)
    };
    // A leftover temporary name pointing elsewhere is replaced, not written through.
    let elsewhere = dir.path().join("elsewhere.txt");
    std::fs::write(&elsewhere, "").unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("config.toml.new")).unwrap();
    let (code, v) = set("482916");
    assert_eq!(code, 0, "{v}");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "");
    assert_eq!(mode(&config), 0o600);
    assert!(!dir.path().join("config.toml.new").exists());
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains("482916"), "{text}");
    assert!(
        text.starts_with("# the kiosk\n[kiosk]\nid = \"k1\"\n"),
        "{text}"
    );
    let parsed = anjungan::config::Config::parse(&text).unwrap();
    assert_eq!(parsed.diag.idle_secs, 120);
    let hash = parsed.diag.pin_hash.unwrap();
    assert!(anjungan::diag::pin::verify(&hash, "482916"));
    assert!(!anjungan::diag::pin::verify(&hash, "482917"));
    // A PIN that is not 6-12 digits is refused and the file is left alone.
    for bad in ["12ab", "48291"] {
        let (code, v) = set(bad);
        assert_eq!(code, 2, "{bad}: {v}");
        assert_eq!(v["error"], "BAD_PIN");
        assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    }
    // Another mode is kept as it was.
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, v) = set("937215");
    assert_eq!(code, 0, "{v}");
    assert_eq!(mode(&config), 0o640);
}

/// A kiosk on generated sample data says so in its report (and so in its heartbeat and the
/// hub's fleet view); one on members' data does not.
#[test]
fn the_report_names_generated_sample_data() {
    let dir = tempfile::tempdir().unwrap();
    let members = imported_db(dir.path(), "members.db");
    let sample_dir = dir.path().join("sample");
    anjungan::dataset::synth::generate(
        &anjungan::dataset::synth::GenOptions {
            members: 40,
            facilities: 4,
            offices: None,
            seed: 3,
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        },
        &sample_dir,
    )
    .unwrap();
    let sample = dir.path().join("sample.db");
    anjungan::dataset::import_dir(
        &mut Store::open(&sample).unwrap(),
        &sample_dir,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    )
    .unwrap();
    for (db, expected) in [(&members, false), (&sample, true)] {
        let (_, v) = diag(&["--db", db.to_str().unwrap()]);
        assert_eq!(v["database"]["sample_data"], expected, "{}", v["database"]);
    }
}
