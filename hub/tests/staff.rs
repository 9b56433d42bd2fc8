//! The console's people store, on both backends: users, lockouts, sessions and the audit
//! log. A lockout and an ended session hold for every replica over the same state.

mod common;

use anjungan_hub::staff::StaffStore;
use anjungan_hub::staff::{self, LOGIN_FAILURES, LOGIN_LOCK_SECS, Role, SESSION_MAX_SECS, UserRow};
use common::{Backend, fresh};

both!(
    users_are_added_once_listed_disabled_and_reset,
    five_wrong_passwords_lock_a_user_for_fifteen_minutes,
    sessions_end_when_idle_old_disabled_or_reset,
    the_audit_log_is_newest_first,
    kiosks_are_registered_rekeyed_and_revoked_beside_the_file,
    kiosk_counts_are_kept_whole_per_slot_for_every_replica,
    an_upload_started_on_one_replica_is_followed_on_another,
);

fn user(name: &str, role: Role) -> UserRow {
    UserRow {
        name: name.into(),
        role,
        password_hash: staff::hash_password("a long enough password").unwrap(),
        disabled: false,
        failures: 0,
        locked_until: None,
        created_at: "2026-12-02T00:00:00Z".into(),
        password_set_at: "2026-12-02T00:00:00Z".into(),
    }
}

fn users_are_added_once_listed_disabled_and_reset(backend: Backend) {
    let f = fresh(backend);
    let hub = &*f.store;
    assert!(hub.user_add(&user("siti", Role::Officer)).unwrap());
    assert!(hub.user_add(&user("agus", Role::Supervisor)).unwrap());
    assert!(
        !hub.user_add(&user("siti", Role::Technician)).unwrap(),
        "taken"
    );
    let names: Vec<_> = hub
        .users()
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.role))
        .collect();
    assert_eq!(
        names,
        [
            ("agus".to_string(), Role::Supervisor),
            ("siti".to_string(), Role::Officer)
        ]
    );
    let siti = hub.user("siti").unwrap().unwrap();
    assert!(staff::verify_password(
        "a long enough password",
        &siti.password_hash
    ));
    assert!(hub.user("nobody").unwrap().is_none());

    assert!(hub.user_set_disabled("siti", true).unwrap());
    assert!(hub.user("siti").unwrap().unwrap().disabled);
    assert!(hub.user_set_disabled("siti", false).unwrap());
    assert!(!hub.user_set_disabled("nobody", true).unwrap());

    let new_hash = staff::hash_password("another password 2").unwrap();
    assert!(
        hub.user_set_password("siti", &new_hash, "2026-12-03T00:00:00Z")
            .unwrap()
    );
    let siti = hub.user("siti").unwrap().unwrap();
    assert!(staff::verify_password(
        "another password 2",
        &siti.password_hash
    ));
    assert!(!staff::verify_password(
        "a long enough password",
        &siti.password_hash
    ));
    assert_eq!(siti.password_set_at, "2026-12-03T00:00:00Z");
    // Another replica sees the same people.
    assert_eq!(f.reopen().users().unwrap().len(), 2);
}

fn five_wrong_passwords_lock_a_user_for_fifteen_minutes(backend: Backend) {
    let f = fresh(backend);
    let hub = &*f.store;
    hub.user_add(&user("siti", Role::Officer)).unwrap();
    let now = 1_800_000_000;
    for i in 1..LOGIN_FAILURES {
        assert_eq!(hub.login_failed("siti", now + i).unwrap(), None, "try {i}");
    }
    // The count is shared: the fifth may come through another replica.
    let other = f.reopen();
    let until = other
        .login_failed("siti", now + 10)
        .unwrap()
        .expect("the fifth locks");
    assert_eq!(until, now + 10 + LOGIN_LOCK_SECS);
    let siti = hub.user("siti").unwrap().unwrap();
    assert!(siti.locked_at(now + 11));
    assert!(!siti.locked_at(until + 1), "it ends");
    // A good password clears the count; a reset clears a lock.
    hub.login_failed("siti", until + 5).unwrap();
    hub.login_succeeded("siti").unwrap();
    assert_eq!(hub.user("siti").unwrap().unwrap().failures, 0);
    for i in 0..LOGIN_FAILURES {
        hub.login_failed("siti", until + 10 + i).unwrap();
    }
    assert!(hub.user("siti").unwrap().unwrap().locked_at(until + 20));
    hub.user_set_password(
        "siti",
        &staff::hash_password("fresh password!").unwrap(),
        "t",
    )
    .unwrap();
    assert!(!hub.user("siti").unwrap().unwrap().locked_at(until + 20));
    // An unknown name counts nothing and locks nothing.
    assert_eq!(hub.login_failed("nobody", now).unwrap(), None);
}

fn sessions_end_when_idle_old_disabled_or_reset(backend: Backend) {
    let f = fresh(backend);
    let hub = &*f.store;
    hub.user_add(&user("siti", Role::Officer)).unwrap();
    let now = 1_800_000_000;
    let idle = 900;
    hub.session_create("h1", "siti", "csrf1", now).unwrap();
    let s = hub.session("h1", now + 60, idle).unwrap().expect("live");
    assert_eq!((s.user.name.as_str(), s.csrf.as_str()), ("siti", "csrf1"));
    // Use keeps it alive; the other replica sees it too.
    assert!(f.reopen().session("h1", now + 900, idle).unwrap().is_some());
    assert!(hub.session("h1", now + 1_700, idle).unwrap().is_some());
    // Unused for longer than the idle time: ended, and gone for good.
    assert!(hub.session("h1", now + 2_601, idle).unwrap().is_none());
    assert!(hub.session("h1", now + 2_602, 1_000_000).unwrap().is_none());
    assert!(hub.session("unknown", now, idle).unwrap().is_none());

    // Too old, however busy.
    hub.session_create("h2", "siti", "csrf2", now).unwrap();
    let mut t = now;
    while t < now + SESSION_MAX_SECS {
        t += 600;
        if t - now <= SESSION_MAX_SECS {
            assert!(hub.session("h2", t, idle).unwrap().is_some(), "at {t}");
        }
    }
    assert!(
        hub.session("h2", now + SESSION_MAX_SECS + 1, idle)
            .unwrap()
            .is_none()
    );

    // Disabling or resetting a user ends their sessions; logging out ends one.
    hub.session_create("h3", "siti", "c", now).unwrap();
    hub.user_set_disabled("siti", true).unwrap();
    hub.user_set_disabled("siti", false).unwrap();
    assert!(hub.session("h3", now + 1, idle).unwrap().is_none());
    hub.session_create("h4", "siti", "c", now).unwrap();
    hub.user_set_password("siti", &staff::hash_password("0123456789ab").unwrap(), "t")
        .unwrap();
    assert!(hub.session("h4", now + 1, idle).unwrap().is_none());
    hub.session_create("h5", "siti", "c", now).unwrap();
    hub.session_end("h5").unwrap();
    assert!(hub.session("h5", now + 1, idle).unwrap().is_none());
}

fn the_audit_log_is_newest_first(backend: Backend) {
    let f = fresh(backend);
    let hub = &*f.store;
    hub.audit("siti", "login", "", "").unwrap();
    hub.audit("siti", "approve", "AJ-1", "").unwrap();
    hub.audit("", "login_failed", "", "unknown user").unwrap();
    let log = hub.audit_log(2).unwrap();
    let actions: Vec<_> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["login_failed", "approve"]);
    assert_eq!(log[1].subject, "AJ-1");
    assert!(log[0].id > log[1].id);
    assert_eq!(hub.audit_log(10).unwrap().len(), 3);
}

/// `anjungan-hub users …` with `stdin` as its standard input: (exit code, JSON answer).
fn users_cli(args: &[&str], stdin: &str) -> (i32, serde_json::Value) {
    let mut all = vec!["users"];
    all.extend_from_slice(args);
    all.push("--json");
    common::hub_cli_with(&all, stdin)
}

#[test]
fn the_users_command_reads_passwords_from_stdin_and_never_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("hub.db").display().to_string();
    let s = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = extra.iter().map(|x| x.to_string()).collect();
        v.extend([
            "--state".to_string(),
            state.clone(),
            "--data".into(),
            ".".into(),
        ]);
        v
    };
    let run = |args: Vec<String>, stdin: &str| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        users_cli(&refs, stdin)
    };
    let (code, v) = run(s(&["add", "siti", "--role", "officer"]), "rahasia-siti-1\n");
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["added"], "siti");
    let (code, v) = run(s(&["add", "siti", "--role", "officer"]), "rahasia-siti-1\n");
    assert_eq!((code, v["error"].as_str()), (3, Some("USER_EXISTS")), "{v}");
    let (code, v) = run(s(&["add", "agus", "--role", "officer"]), "short\n");
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("INVALID_PASSWORD")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("Kata sandi"), "{v}");
    let (code, v) = run(s(&["add", "agus", "--role", "admin"]), "long enough pass\n");
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("INVALID_ROLE")),
        "{v}"
    );
    let (code, v) = run(
        s(&["add", "Agus Salim", "--role", "officer"]),
        "long enough pass\n",
    );
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("INVALID_USER_NAME")),
        "{v}"
    );

    let (code, v) = run(s(&["list"]), "");
    assert_eq!(code, 0, "{v}");
    let text = v.to_string();
    assert!(
        text.contains("\"siti\"") && text.contains("officer"),
        "{text}"
    );
    assert!(
        !text.contains("argon2") && !text.contains("rahasia"),
        "{text}"
    );

    let (code, v) = run(s(&["disable", "siti"]), "");
    assert_eq!((code, v["disabled"].as_bool()), (0, Some(true)), "{v}");
    let (code, v) = run(s(&["reset", "siti"]), "rahasia-baru-22\n");
    assert_eq!(code, 0, "{v}");
    let (code, v) = run(s(&["reset", "nobody"]), "rahasia-baru-22\n");
    assert_eq!(
        (code, v["error"].as_str()),
        (3, Some("UNKNOWN_USER")),
        "{v}"
    );

    // What the store holds: the new password only, as Argon2id; the audit names the acts.
    let hub = anjungan_hub::SqliteHub::open(&dir.path().join("hub.db")).unwrap();
    let siti = hub.user("siti").unwrap().unwrap();
    assert!(siti.disabled);
    assert!(staff::verify_password(
        "rahasia-baru-22",
        &siti.password_hash
    ));
    assert!(!staff::verify_password(
        "rahasia-siti-1",
        &siti.password_hash
    ));
    let actions: Vec<_> = hub
        .audit_log(10)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions, ["user_reset", "user_disable", "user_add"]);
}

fn kiosks_are_registered_rekeyed_and_revoked_beside_the_file(backend: Backend) {
    use anjungan_hub::kiosks::{Kiosks, registry};
    let f = fresh(backend);
    let hub = &*f.store;
    let file = Kiosks::parse(
        "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"file-secret-1\"\nname = \"KC Bandung\"\n\
         branch = \"KC Bandung\"\n",
    )
    .unwrap();
    let secret = registry::register(
        hub,
        &file,
        "k2",
        Some("MPP"),
        Some(" KC Bandung "),
        Some((-6.9, 107.6)),
    )
    .unwrap()
    .expect("a new kiosk");
    assert_eq!(secret.len(), 43);
    let k2 = hub.kiosk("k2").unwrap().unwrap();
    assert_eq!((k2.secret.as_str(), k2.revoked), (secret.as_str(), false));
    assert_eq!(
        (k2.name.as_deref(), k2.branch.as_deref(), k2.lat, k2.lon),
        (Some("MPP"), Some("KC Bandung"), Some(-6.9), Some(107.6))
    );
    // Taken ids: registered, or in the file.
    assert_eq!(
        registry::register(hub, &file, "k2", None, None, None).unwrap(),
        None
    );
    assert_eq!(
        registry::register(hub, &file, "k1", None, None, None).unwrap(),
        None
    );
    assert!(registry::register(hub, &file, "bad id", None, None, None).is_err());
    assert!(registry::register(hub, &file, "k9", None, None, Some((95.0, 0.0))).is_err());

    // A file kiosk revoked: a row that wins over the file; a new secret takes it back.
    assert!(registry::revoke(hub, &file, "k1").unwrap());
    let k1 = hub.kiosk("k1").unwrap().unwrap();
    assert!(k1.revoked);
    assert_eq!(k1.name.as_deref(), Some("KC Bandung"));
    assert_eq!(
        k1.branch.as_deref(),
        Some("KC Bandung"),
        "the file's branch kept"
    );
    let long = "x".repeat(101);
    assert!(registry::register(hub, &file, "k8", None, Some(&long), None).is_err());
    let fresh_secret = registry::rekey(hub, &file, "k1").unwrap().unwrap();
    let k1 = hub.kiosk("k1").unwrap().unwrap();
    assert_eq!(
        (k1.secret.as_str(), k1.revoked),
        (fresh_secret.as_str(), false)
    );
    assert_ne!(fresh_secret, "file-secret-1");
    // Unknown ids.
    assert!(!registry::revoke(hub, &file, "k7").unwrap());
    assert_eq!(registry::rekey(hub, &file, "k7").unwrap(), None);
    // Every replica sees the same registry.
    let ids: Vec<_> = f
        .reopen()
        .kiosks_registered()
        .unwrap()
        .into_iter()
        .map(|k| k.cons_id)
        .collect();
    assert_eq!(ids, ["k1", "k2"]);
}

#[test]
fn the_kiosks_command_prints_a_secret_once_and_lists_none() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("hub.db").display().to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["kiosks"];
        all.extend_from_slice(args);
        all.extend(["--state", &state, "--data", ".", "--json"]);
        common::hub_cli_with(&all, "")
    };
    let (code, v) = run(&[
        "add",
        "k5",
        "--name",
        "MPP Cimahi",
        "--lat",
        "-6.87",
        "--lon",
        "107.54",
    ]);
    assert_eq!(code, 0, "{v}");
    let secret = v["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43);
    let (code, v) = run(&["add", "k5"]);
    assert_eq!(
        (code, v["error"].as_str()),
        (3, Some("KIOSK_EXISTS")),
        "{v}"
    );
    let (code, v) = run(&["add", "k6", "--lat", "-6.87"]);
    assert_eq!(code, 2, "--lat needs --lon: {v}");
    let (code, v) = run(&["list"]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v.to_string().contains("MPP Cimahi") && !v.to_string().contains(&secret),
        "{v}"
    );
    let (code, v) = run(&["rekey", "k5"]);
    assert_eq!(code, 0, "{v}");
    assert_ne!(v["secret"].as_str().unwrap(), secret);
    let (code, v) = run(&["revoke", "k5"]);
    assert_eq!((code, v["revoked"].as_bool()), (0, Some(true)), "{v}");
    let (code, v) = run(&["revoke", "nobody"]);
    assert_eq!(
        (code, v["error"].as_str()),
        (3, Some("UNKNOWN_KIOSK")),
        "{v}"
    );
}

fn kiosk_counts_are_kept_whole_per_slot_for_every_replica(backend: Backend) {
    use anjungan_core::counters::{Metric, SlotCount};
    use anjungan_hub::counts::CountQuery;
    let f = fresh(backend);
    let hub = &*f.store;
    let row = |slot: &str, metric, key: &str, n| SlotCount::new(slot.into(), metric, key, n);
    hub.record_counts(
        "k1",
        &[
            row("2026-12-01T08:00", Metric::Tickets, "A", 2),
            row("2026-12-01T08:30", Metric::Tickets, "A", 1),
            row("2026-11-30", Metric::Ratings, "5", 4),
        ],
    )
    .unwrap();
    // A later heartbeat carries the slot's whole count again: it replaces, never adds.
    hub.record_counts("k1", &[row("2026-12-01T08:00", Metric::Tickets, "A", 3)])
        .unwrap();
    // One that arrives late, with an older (lower) count, takes nothing back.
    hub.record_counts("k1", &[row("2026-12-01T08:00", Metric::Tickets, "A", 1)])
        .unwrap();
    hub.record_counts("k2", &[row("2026-12-01T08:00", Metric::Tickets, "A", 7)])
        .unwrap();
    hub.record_counts("k2", &[]).unwrap();
    let seen: Vec<(String, String, i64)> = f
        .reopen()
        .counts(&CountQuery::slots("2026-11-30", "2026-12-02"))
        .unwrap()
        .into_iter()
        .map(|c| (c.cons_id, c.count.slot, c.count.n))
        .collect();
    let want = [
        ("k1", "2026-11-30", 4),
        ("k1", "2026-12-01T08:00", 3),
        ("k2", "2026-12-01T08:00", 7),
        ("k1", "2026-12-01T08:30", 1),
    ]
    .map(|(k, s, n)| (k.to_owned(), s.to_owned(), n));
    assert_eq!(seen, want);
    // The range is half open: the 1st only.
    assert_eq!(
        hub.counts(&CountQuery::slots("2026-12-01", "2026-12-01T08:30"))
            .unwrap()
            .len(),
        2
    );
    // Summed per kiosk and day, for one kiosk.
    let k1 = ["k1".to_owned()];
    let per_day: Vec<(String, String, String, i64)> = hub
        .counts(&CountQuery {
            from: "2026-11-30",
            to: "2026-12-02",
            kiosks: Some(&k1),
            per_day: true,
        })
        .unwrap()
        .into_iter()
        .map(|c| (c.cons_id, c.count.slot, c.count.metric, c.count.n))
        .collect();
    let want = [
        ("k1", "2026-11-30", "ratings", 4),
        ("k1", "2026-12-01", "tickets", 4),
    ]
    .map(|(k, s, m, n)| (k.to_owned(), s.to_owned(), m.to_owned(), n));
    assert_eq!(per_day, want);
    let nobody: [String; 0] = [];
    assert!(
        hub.counts(&CountQuery {
            kiosks: Some(&nobody),
            ..CountQuery::slots("2026-11-30", "2026-12-02")
        })
        .unwrap()
        .is_empty()
    );
}

fn an_upload_started_on_one_replica_is_followed_on_another(backend: Backend) {
    let f = fresh(backend);
    let hub = &*f.store;
    let now = 1_800_000_000;
    hub.job_start("j1", "agus", now).unwrap();
    let other = f.reopen();
    let running = other.job("j1").unwrap().unwrap();
    assert_eq!(
        (running.by.as_str(), running.started_at, running.finished_at),
        ("agus", now, None)
    );
    other
        .job_finish("j1", "{\"Refused\":\"bad\"}", now + 5)
        .unwrap();
    let done = hub.job("j1").unwrap().unwrap();
    assert_eq!(done.finished_at, Some(now + 5));
    assert_eq!(done.outcome.as_deref(), Some("{\"Refused\":\"bad\"}"));
    assert!(hub.job("j2").unwrap().is_none());
    // A day later a new upload forgets the finished one.
    hub.job_start("j2", "agus", now + staff::JOB_KEEP_SECS + 10)
        .unwrap();
    assert!(hub.job("j1").unwrap().is_none());
    assert!(hub.job("j2").unwrap().is_some());
}
