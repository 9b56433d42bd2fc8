//! The kiosk's flows as plain Rust: the controller driven by events on a real SQLite store
//! imported from the fixture, its effects answered by hand. No window, no threads.

mod common;

use common::{at, today};

use std::path::Path;

use anjungan::dataset::import_dir;
use anjungan::domain::Status;
use anjungan::kiosk::{
    Controller, Effect, Event, Fault, IdKind, Issued, MemberAction, Now, Outcome, Purpose, Screen,
    SearchFilter, Settings, Slip, Tile,
};
use anjungan::store::Store;
use chrono::{NaiveDate, NaiveDateTime};

fn store_from(dir: &Path) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    import_dir(
        &mut store,
        dir,
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    )
    .unwrap();
    store
}

fn kiosk() -> Controller {
    Controller::new(store_from(&common::fixture()), Settings::default(), at(0)).unwrap()
}

/// Types an identifier and a birth date (DDMMYYYY) and submits.
fn identify(c: &mut Controller, kind: IdKind, id: &str, dob: &str, t: u64) -> Vec<Effect> {
    c.handle(Event::IdKind(kind), at(t));
    for d in id.chars().chain(dob.chars()) {
        c.handle(Event::Digit(d), at(t));
    }
    c.handle(Event::Submit, at(t))
}

#[test]
fn status_print_rate_and_home_forgets_the_member() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Status), at(0));
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 1);
    assert!(
        matches!(c.screen(), Screen::MemberHome(_)),
        "{:?}",
        c.screen()
    );
    c.handle(Event::Member(MemberAction::Status), at(1));
    let Screen::Status(view) = c.screen() else {
        panic!("expected the status screen, got {:?}", c.screen())
    };
    assert_eq!(view.status, Status::TidakAktifMenunggak);
    assert_eq!(view.nik_masked, "3273**********01");

    let effects = c.handle(Event::Print, at(2));
    match printed(&effects) {
        Some(Slip::Status(v)) => assert_eq!(v.card_masked, "0001*****0011"),
        other => panic!("expected one status slip, got {other:?}"),
    }
    assert!(c.busy().is_some());
    // Taps wait while the printer works.
    c.handle(Event::Done, at(3));
    assert!(matches!(c.screen(), Screen::Status(_)));
    c.handle(Event::Outcome(Outcome::Printed(Ok(()))), at(4));
    assert!(c.busy().is_none());
    assert!(!c.notice().unwrap().error);

    c.handle(Event::Done, at(5));
    assert!(matches!(c.screen(), Screen::Rating));
    assert!(!c.holds_member_data(), "the session ends with the service");
    assert!(c.handle(Event::Rate(5), at(6)).is_empty());
    assert!(matches!(c.screen(), Screen::Thanks));
    // Counted in the controller's store, anonymously: one count per star value and day.
    let day = c.store().counts_in(&today().to_string()).unwrap();
    assert_eq!(
        day,
        [anjungan::counters::SlotCount::new(
            today().to_string(),
            anjungan::counters::Metric::Ratings,
            "5",
            1
        )]
    );
    c.handle(Event::Tick, at(6 + 4_000));
    assert!(matches!(c.screen(), Screen::Home));
}

#[test]
fn a_card_number_works_too_and_the_va_is_the_heads() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Va), at(0));
    identify(&mut c, IdKind::Card, "0001000000012", "03071983", 1);
    c.handle(Event::Member(MemberAction::Va), at(1));
    let Screen::Va(va) = c.screen() else {
        panic!("expected the VA screen, got {:?}", c.screen())
    };
    assert_eq!(va.va["Mandiri"], "8988801000000011");
}

/// Types a wrong birth date for `nik` `n` times from the identify screen, clearing the NIK
/// between tries, and returns the last message.
fn mismatch(c: &mut Controller, nik: &str, n: u32, t: u64) -> String {
    let mut last = String::new();
    for attempt in 0..n {
        identify(c, IdKind::Nik, nik, "13051980", t + u64::from(attempt));
        let Screen::Identify { message, .. } = c.screen() else {
            panic!("attempt {attempt}: {:?}", c.screen())
        };
        last = message.as_ref().expect("a message").en.clone();
        c.handle(Event::FocusField(anjungan::kiosk::Field::Id), at(t));
        c.handle(Event::Clear, at(t));
    }
    last
}

#[test]
fn mismatches_lock_that_identifier_only_and_warn_before() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Dues), at(0));
    for attempt in 1..=4u32 {
        identify(
            &mut c,
            IdKind::Nik,
            "3273011205800001",
            "13051980",
            attempt.into(),
        );
        let Screen::Identify { message, form, .. } = c.screen() else {
            panic!("attempt {attempt}: {:?}", c.screen())
        };
        let message = message.as_ref().unwrap();
        assert!(message.en.contains("do not match"), "{message:?}");
        let left = 5 - attempt;
        assert!(
            message.id.contains(&format!("Sisa {left} kali")),
            "attempt {attempt}: {message:?}"
        );
        // The NIK stays, the birth date is cleared for another try.
        assert_eq!(form.id.len(), 16);
        assert!(form.birth.is_empty());
        for _ in 0..16 {
            c.handle(
                Event::FocusField(anjungan::kiosk::Field::Id),
                at(attempt.into()),
            );
            c.handle(Event::Backspace, at(attempt.into()));
        }
    }
    identify(&mut c, IdKind::Nik, "3273011205800001", "13051980", 5);
    let Screen::Identify { message, form, .. } = c.screen() else {
        panic!("expected the identify screen, got {:?}", c.screen())
    };
    let message = message.as_ref().unwrap();
    assert!(
        message.en.contains("locked") && message.en.contains("15 minutes"),
        "{message:?}"
    );
    assert!(message.id.contains("15 menit"), "{message:?}");
    assert!(
        form.id.is_empty(),
        "nothing of the locked NIK stays on screen"
    );

    // The right date of birth does not open a locked NIK, nor the same member's card.
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 6);
    assert!(
        matches!(c.screen(), Screen::Identify { message: Some(m), .. } if m.en.contains("locked")),
        "{:?}",
        c.screen()
    );
    c.handle(Event::Clear, at(7));
    identify(&mut c, IdKind::Card, "0001000000011", "12051980", 7);
    assert!(
        matches!(c.screen(), Screen::Identify { message: Some(m), .. } if m.en.contains("locked")),
        "the card of the same member shares the count: {:?}",
        c.screen()
    );

    // The next member is not blocked: another identity goes straight through.
    c.handle(Event::Home, at(8));
    c.handle(Event::Tile(Tile::Status), at(9));
    assert!(
        matches!(c.screen(), Screen::Identify { .. }),
        "no kiosk-wide lock"
    );
    identify(&mut c, IdKind::Card, "0001000000012", "03071983", 10);
    assert!(
        matches!(c.screen(), Screen::MemberHome(_)),
        "{:?}",
        c.screen()
    );

    // After 15 minutes the identifier opens again with its own date of birth.
    c.handle(Event::Home, at(11));
    c.handle(Event::Tile(Tile::Status), at(12));
    identify(
        &mut c,
        IdKind::Nik,
        "3273011205800001",
        "12051980",
        14 * 60_000,
    );
    assert!(
        matches!(c.screen(), Screen::Identify { .. }),
        "still locked at 14 min"
    );
    // The hub's figures get counts of the slot, nothing of who: four mismatches, and four
    // tries refused by the lock (the one that locked it among them).
    let counts = c.store().counts_in("2026-11-22T10:00").unwrap();
    let n = |metric: &str| {
        counts
            .iter()
            .find(|r| r.metric == metric && r.key.is_empty())
            .map(|r| r.n)
    };
    assert_eq!(
        (n("id_failures"), n("lockouts")),
        (Some(4), Some(4)),
        "{counts:?}"
    );
    c.handle(Event::Home, at(15 * 60_000 + 10));
    c.handle(Event::Tile(Tile::Status), at(15 * 60_000 + 10));
    identify(
        &mut c,
        IdKind::Nik,
        "3273011205800001",
        "12051980",
        15 * 60_000 + 10,
    );
    assert!(
        matches!(c.screen(), Screen::MemberHome(_)),
        "{:?}",
        c.screen()
    );
}

#[test]
fn a_lockout_outlives_a_restart_and_a_success_only_clears_its_own_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    {
        let mut store = Store::open(&db).unwrap();
        import_dir(&mut store, &common::fixture(), common::today()).unwrap();
    }
    let open = || Controller::new(Store::open(&db).unwrap(), Settings::default(), at(0)).unwrap();
    let mut c = open();
    c.handle(Event::Tile(Tile::Status), at(0));
    let last = mismatch(&mut c, "3273011205800001", 3, 1);
    assert!(last.contains("2 tries left"), "{last}");
    // Another member's success does not reset Budi's count.
    c.handle(Event::Home, at(5));
    c.handle(Event::Tile(Tile::Status), at(5));
    identify(&mut c, IdKind::Card, "0001000000012", "03071983", 6);
    assert!(matches!(c.screen(), Screen::MemberHome(_)));
    drop(c);

    // A restart: the count holds.
    let mut c = open();
    c.handle(Event::Tile(Tile::Status), at(10));
    let last = mismatch(&mut c, "3273011205800001", 1, 10);
    assert!(
        last.contains("1 try left"),
        "the count survived the restart: {last}"
    );
    let last = mismatch(&mut c, "3273011205800001", 1, 11);
    assert!(last.contains("locked"), "{last}");
    drop(c);
    let mut c = open();
    c.handle(Event::Tile(Tile::Status), at(20));
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 21);
    assert!(
        matches!(c.screen(), Screen::Identify { message: Some(m), .. } if m.en.contains("locked")),
        "a restart does not lift the lock: {:?}",
        c.screen()
    );

    // Nothing in the file names the NIK: the rows are keyed by an HMAC.
    let mut store = Store::open(&db).unwrap();
    let conn = store.connection();
    let keys: Vec<String> = conn
        .prepare("SELECT key_hash FROM id_attempts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!keys.is_empty());
    for k in &keys {
        assert_eq!(k.len(), 64, "{k}");
        assert!(!k.contains("3273011205800001") && !k.contains("0001000000011"));
    }
}

#[test]
fn on_a_read_only_store_the_lockout_holds_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    {
        let mut store = Store::open(&db).unwrap();
        import_dir(&mut store, &common::fixture(), common::today()).unwrap();
    }
    let store = Store::open_read_only(&db).unwrap();
    assert!(store.is_read_only());
    let mut c = Controller::new(store, Settings::default(), at(0)).unwrap();
    c.handle(Event::Tile(Tile::Status), at(0));
    let last = mismatch(&mut c, "3273011205800001", 5, 1);
    assert!(last.contains("locked"), "{last}");
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 10);
    assert!(
        matches!(c.screen(), Screen::Identify { .. }),
        "{:?}",
        c.screen()
    );
}

#[test]
fn idle_counts_down_then_wipes_the_session() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Dues), at(0));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 1_000);
    c.handle(Event::Member(MemberAction::Dues), at(1_000));
    assert!(matches!(c.screen(), Screen::Dues(_)));
    assert!(c.holds_member_data());
    c.handle(Event::Tick, at(60_000));
    assert_eq!(c.countdown(at(60_000)), None);
    c.handle(Event::Tick, at(61_000));
    assert_eq!(c.countdown(at(61_000)), Some(10));
    assert_eq!(c.countdown(at(69_500)), Some(2));
    // A tap keeps the session.
    c.handle(Event::StillHere, at(65_000));
    c.handle(Event::Tick, at(71_500));
    assert!(matches!(c.screen(), Screen::Dues(_)));
    c.handle(Event::Tick, at(65_000 + 70_000));
    assert!(matches!(c.screen(), Screen::Home));
    assert!(!c.holds_member_data());
}

#[test]
fn enter_on_the_idle_warning_keeps_the_session_and_presses_nothing_underneath() {
    use anjungan::kiosk::Press;
    use anjungan::ui::view;
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Dues), at(0));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 1_000);
    c.handle(Event::Member(MemberAction::Dues), at(1_000));
    // The focus starts on the dues screen's first button, Cetak.
    assert_eq!(view::render(&c, at(1_000)).focus_id, "print");
    c.handle(Event::Tick, at(62_000));
    assert!(c.countdown(at(62_000)).is_some());
    let effects = view::handle(&mut c, Event::Physical(Press::Enter), at(62_000));
    assert!(
        printed(&effects).is_none(),
        "Enter printed under the warning"
    );
    assert_eq!(c.countdown(at(62_500)), None, "the session is kept");
    assert!(matches!(c.screen(), Screen::Dues(_)));
    // Without the warning, Enter is a tap on the focused button.
    let effects = view::handle(&mut c, Event::Physical(Press::Enter), at(63_000));
    assert!(matches!(printed(&effects), Some(Slip::Dues(_))));
}

#[test]
fn digits_type_into_the_identify_field_the_focus_is_on_and_the_focus_follows_the_typing() {
    use anjungan::kiosk::Press;
    use anjungan::ui::view;
    let mut c = kiosk();
    let key = |c: &mut Controller, p: Press| view::handle(c, Event::Physical(p), at(1));
    key(&mut c, Press::Enter); // Cek Status, the first tile
    assert_eq!(view::render(&c, at(1)).focus_id, "id-field");
    for d in "3273016802900004".chars() {
        key(&mut c, Press::Digit(d));
    }
    // The number is complete: the form and the focus move on to the date of birth.
    let v = view::render(&c, at(1));
    assert!(v.dob_focused);
    assert_eq!(v.focus_id, "dob-field");
    // Up to the number, Backspace there: the number loses its last digit, not the date.
    key(&mut c, Press::Prev);
    assert_eq!(view::render(&c, at(1)).focus_id, "id-field");
    key(&mut c, Press::Backspace);
    let v = view::render(&c, at(1));
    assert!(!v.dob_focused);
    assert!(v.id_text.contains('_'), "{}", v.id_text);
    assert_eq!(v.focus_id, "id-field");
    // The last digit again, then the date: the focus went along.
    key(&mut c, Press::Digit('4'));
    assert_eq!(view::render(&c, at(1)).focus_id, "dob-field");
    for d in "28021990".chars() {
        key(&mut c, Press::Digit(d));
    }
    key(&mut c, Press::Enter);
    assert!(
        matches!(c.screen(), Screen::MemberHome(_)),
        "{:?}",
        c.screen()
    );
}

#[test]
fn fktp_change_refusals_list_every_reason_with_the_earliest_date() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::ChangeFktp), at(0));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 1);
    let Screen::Refused { change, .. } = c.screen() else {
        panic!("expected a refusal, got {:?}", c.screen())
    };
    let codes: Vec<&str> = change.reasons.iter().map(|r| r.code()).collect();
    assert_eq!(codes, ["FKTP_MIN_3_MONTHS"]);
    assert_eq!(change.earliest_date, NaiveDate::from_ymd_opt(2026, 12, 22));
    assert_eq!(change.messages.len(), 1);
    assert!(
        change.messages[0].id.contains("22-12-2026"),
        "the date is in the sentence: {:?}",
        change.messages[0]
    );
    assert!(!change.messages[0].id.contains("tertera di layar"));
}

#[test]
fn a_pbi_refusal_gives_its_own_reason_and_no_date_waiting_cannot_help() {
    // Made (PBI) registered at his FKTP a month ago: the waiting period would apply too, but
    // a PBI member cannot change FKTP at a kiosk at all, so waiting does not help.
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(common::fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let members = std::fs::read_to_string(dir.path().join("members.csv")).unwrap();
    let moved = members.replace(
        "PBI_APBN,3,3273P001,2020-01-01",
        "PBI_APBN,3,3273P001,2026-10-22",
    );
    assert_ne!(moved, members);
    std::fs::write(dir.path().join("members.csv"), moved).unwrap();
    for (tile, no) in [(Tile::ChangeFktp, "gaji"), (Tile::ChangeKelas, "TNI")] {
        let mut c = Controller::new(store_from(dir.path()), Settings::default(), at(0)).unwrap();
        c.handle(Event::Tile(tile), at(0));
        identify(&mut c, IdKind::Nik, "3273012902000006", "29022000", 1);
        let Screen::Refused { change, .. } = c.screen() else {
            panic!("expected a refusal, got {:?}", c.screen())
        };
        let codes: Vec<&str> = change.reasons.iter().map(|r| r.code()).collect();
        assert_eq!(codes, ["SEGMENT_NOT_ALLOWED"], "{tile:?}");
        assert_eq!(change.earliest_date, None, "{tile:?}: no 'paling cepat'");
        assert_eq!(change.messages.len(), 1);
        let m = &change.messages[0];
        assert!(m.id.contains("PBI"), "{m:?}");
        assert!(
            !m.id.contains(no) && !m.id.contains("Polri"),
            "{tile:?}: {m:?}"
        );
        let view = anjungan::ui::view::render(&c, at(2));
        assert!(
            view.rows.iter().all(|r| !r.label.contains("Paling cepat")),
            "{:?}",
            view.rows
        );
    }
}

/// The fixture, with Dewi at her FKTP since January so she may move.

#[test]
fn fktp_change_chooses_confirms_and_records_a_request() {
    let data = common::movable_fixture();
    let mut c = Controller::new(store_from(data.path()), Settings::default(), at(0)).unwrap();
    c.handle(Event::Tile(Tile::ChangeFktp), at(0));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 1);
    let Screen::FktpChoose { options } = c.screen() else {
        panic!("expected the FKTP choice, got {:?}", c.screen())
    };
    let offered: Vec<&str> = options.iter().map(|f| f.code.as_str()).collect();
    // Open FKTPs only, not her own, nearest to her current FKTP first.
    assert_eq!(offered, ["3273P001", "3273K005", "3171P001"]);
    c.handle(Event::ChooseFacility(1), at(2));
    let Screen::FktpConfirm { target, change } = c.screen() else {
        panic!("expected the confirmation, got {:?}", c.screen())
    };
    assert_eq!(target.code, "3273K005");
    assert_eq!(
        change.effective_date,
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    );
    // Confirming takes the request into the outbox before the reference is shown.
    let effects = c.handle(Event::Confirm, at(3));
    let Screen::RequestDone(receipt) = c.screen() else {
        panic!("expected the receipt, got {:?}", c.screen())
    };
    let reference = receipt.reference.clone();
    assert!(reference.starts_with("AJ-"), "{reference}");
    assert_eq!(
        anjungan::ui::view::render(&c, at(3)).qr_text,
        reference,
        "the reference as a QR code to scan"
    );
    assert_eq!(receipt.kind, "FKTP");
    assert_eq!(receipt.card_masked, "0001*****0021");
    assert_eq!(receipt.change.to, "3273K005");
    assert!(matches!(printed(&effects), Some(Slip::Request(_))));
    c.handle(Event::Outcome(Outcome::Printed(Ok(()))), at(4));

    // The same kiosk answers for that reference (typed in lower case).
    c.handle(Event::Home, at(5));
    c.handle(Event::Tile(Tile::Request), at(6));
    for k in reference.to_lowercase().chars() {
        c.handle(Event::Key(k), at(7));
    }
    c.handle(Event::Submit, at(8));
    let Screen::RequestCheck { answer, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert!(
        answer
            .as_ref()
            .unwrap()
            .en
            .contains("recorded on this kiosk"),
        "{answer:?}"
    );

    // A second FKTP change, to another clinic, for the same month: refused before any
    // choice, naming the first request.
    c.handle(Event::Home, at(9));
    c.handle(Event::Tile(Tile::ChangeFktp), at(9));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 10);
    let Screen::Refused { change, .. } = c.screen() else {
        panic!("expected a refusal, got {:?}", c.screen())
    };
    assert_eq!(change.messages.len(), 1);
    assert!(
        change.messages[0].id.contains(&reference),
        "{:?}",
        change.messages
    );
    assert!(
        change.messages[0].en.contains("waiting"),
        "{:?}",
        change.messages
    );
    c.handle(Event::Done, at(11));
}

#[test]
fn one_request_per_kind_per_month_holds_in_the_service_too() {
    use anjungan::services::request::{Change, submit_change};
    use anjungan::services::{Identity, IdentityKey, MemberSession, ServiceError};
    let data = common::movable_fixture();
    let mut store = store_from(data.path());
    let today = common::today();
    let now = chrono::Utc::now();
    store.set_meta("data_loaded_at", &now.to_rfc3339()).unwrap();
    let id = Identity::parse(
        IdentityKey::Nik("3273016802900004".into()),
        "1990-02-28",
        today,
    )
    .unwrap();
    let dewi = MemberSession::identify(&store, &id).unwrap();
    let first = submit_change(
        &mut store,
        &dewi,
        &Change::Fktp("3273K005".into()),
        today,
        now,
        48,
    )
    .unwrap();
    // The hub approves it; the decision arrives by sync.
    store
        .connection()
        .execute(
            "INSERT INTO request_status (reference, state, reason, decided_at) VALUES (?1, 'APPROVED', NULL, ?2)",
            rusqlite::params![first.reference, now.to_rfc3339()],
        )
        .unwrap();
    let second = submit_change(
        &mut store,
        &dewi,
        &Change::Fktp("3273P001".into()),
        today,
        now,
        48,
    );
    match second {
        Err(ServiceError::RequestExists {
            reference,
            approved,
        }) => {
            assert_eq!(reference, first.reference);
            assert!(approved);
        }
        other => panic!("a second FKTP change in the same month was taken: {other:?}"),
    }
    // Kelas is per family, and its own kind: Dewi's kelas request is taken, then refused
    // for anyone on her family card.
    let kelas = submit_change(
        &mut store,
        &dewi,
        &Change::Kelas(anjungan::domain::Kelas::new(1).unwrap()),
        today,
        now,
        48,
    )
    .unwrap();
    let again = submit_change(
        &mut store,
        &dewi,
        &Change::Kelas(anjungan::domain::Kelas::new(3).unwrap()),
        today,
        now,
        48,
    );
    assert!(
        matches!(&again, Err(ServiceError::RequestExists { reference, approved: false }) if *reference == kelas.reference),
        "{again:?}"
    );
    // A rejection frees the month.
    store
        .connection()
        .execute(
            "UPDATE request_status SET state = 'REJECTED' WHERE reference = ?1",
            [&first.reference],
        )
        .unwrap();
    assert!(
        submit_change(
            &mut store,
            &dewi,
            &Change::Fktp("3273P001".into()),
            today,
            now,
            48
        )
        .is_ok()
    );
}

#[test]
fn kelas_change_shows_the_family_total_before_confirming() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::ChangeKelas), at(0));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 1);
    assert!(
        matches!(c.screen(), Screen::KelasChoose { .. }),
        "{:?}",
        c.screen()
    );
    // Her own kelas is not a choice.
    c.handle(Event::ChooseKelas(2), at(2));
    assert!(matches!(c.screen(), Screen::KelasChoose { .. }));
    c.handle(Event::ChooseKelas(1), at(2));
    let Screen::KelasConfirm { change } = c.screen() else {
        panic!("expected the confirmation, got {:?}", c.screen())
    };
    assert_eq!(change.new_family_monthly_amount, Some(150_000));
    assert_eq!(
        change.current_family_monthly_amount,
        Some(100_000),
        "the total now, beside the new one"
    );
    let v = anjungan::ui::view::render(&c, at(2));
    assert!(
        all_text(&v).contains("Iuran keluarga sekarang=Rp100.000"),
        "{}",
        all_text(&v)
    );
    assert_eq!(
        change.family.len(),
        1,
        "the deceased husband is not counted"
    );
    let effects = c.handle(Event::Confirm, at(3));
    let Screen::RequestDone(receipt) = c.screen() else {
        panic!("expected the receipt, got {:?}", c.screen())
    };
    assert_eq!(receipt.kind, "KELAS");
    assert!(matches!(printed(&effects), Some(Slip::Request(_))));
}

#[test]
fn stale_data_refuses_change_requests_but_not_lookups() {
    let mut c = kiosk();
    let later = Now {
        mono_ms: 10,
        local: NaiveDateTime::parse_from_str("2030-01-01 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap(),
    };
    c.handle(Event::Tile(Tile::ChangeKelas), later);
    assert!(matches!(c.screen(), Screen::Home));
    assert!(c.notice().unwrap().message.en.contains("48 hours"));
    c.handle(Event::Tile(Tile::Status), later);
    assert!(matches!(c.screen(), Screen::Identify { .. }));
}

#[test]
fn a_ticket_retry_reuses_its_request_id_and_paper_out_keeps_the_number_on_screen() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Queue), at(0));
    c.handle(Event::TogglePriority, at(1));
    let first = c.handle(Event::TakeTicket(0), at(2));
    let [
        Effect::TakeTicket {
            service,
            priority,
            request_id,
        },
    ] = first.as_slice()
    else {
        panic!("expected a ticket request, got {first:?}")
    };
    assert_eq!((service.as_str(), *priority), ("A", true));
    let offline = Fault {
        code: "DISPENSER_OFFLINE".into(),
        message: anjungan::domain::Bilingual {
            id: "Mesin antrean tidak merespons.".into(),
            en: "The ticket machine does not respond.".into(),
        },
    };
    c.handle(Event::Outcome(Outcome::TicketTaken(Err(offline))), at(3));
    assert!(c.notice().unwrap().error);
    let retry = c.handle(Event::TakeTicket(0), at(4));
    let [
        Effect::TakeTicket {
            request_id: again, ..
        },
    ] = retry.as_slice()
    else {
        panic!("expected a retry, got {retry:?}")
    };
    assert_eq!(again, request_id, "a retry must not draw a second number");
    let effects = c.handle(
        Event::Outcome(Outcome::TicketTaken(Ok(Issued {
            number: "A-P01".into(),
            ahead: 2,
        }))),
        at(5),
    );
    let Screen::QueueTicket(ticket) = c.screen() else {
        panic!("expected the ticket, got {:?}", c.screen())
    };
    assert_eq!(ticket.number, "A-P01");
    assert_eq!(ticket.wait_minutes, 30);
    assert!(!ticket.service.documents.is_empty());
    assert!(matches!(printed(&effects), Some(Slip::Ticket(_))));
    c.handle(
        Event::Outcome(Outcome::Printed(Err(Fault {
            code: "PAPER_END".into(),
            message: anjungan::domain::Bilingual {
                id: "Kertas printer habis.".into(),
                en: "The printer is out of paper.".into(),
            },
        }))),
        at(6),
    );
    assert!(matches!(c.screen(), Screen::QueueTicket(_)));
    assert!(c.notice().unwrap().message.en.contains("photograph"));
    // Counted for the figures: one ticket (the failed try is none), its estimated wait,
    // not over the 30-minute target, and the printer's fault by its code.
    let counts: Vec<(String, String, i64)> = c
        .store()
        .counts_in("2026-11-22T10:00")
        .unwrap()
        .into_iter()
        .map(|r| (r.metric, r.key, r.n))
        .collect();
    let want = [
        ("print_faults", "PAPER_END", 1),
        ("tickets", "A", 1),
        ("wait_minutes", "A", 30),
    ]
    .map(|(m, k, n)| (m.to_owned(), k.to_owned(), n));
    assert_eq!(counts, want);
}

#[test]
fn search_types_filters_and_opens_a_place() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Search), at(0));
    for k in "PUSK".chars() {
        c.handle(Event::Key(k), at(1));
    }
    let Screen::Search { results, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert_eq!(results.len(), 3);
    c.handle(Event::SearchFilter(SearchFilter::Office), at(2));
    c.handle(Event::Backspace, at(2));
    c.handle(Event::Backspace, at(2));
    c.handle(Event::Backspace, at(2));
    c.handle(Event::Backspace, at(2));
    for k in "MPP".chars() {
        c.handle(Event::Key(k), at(3));
    }
    let Screen::Search { results, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert_eq!(results.len(), 1);
    c.handle(Event::OpenResult(0), at(4));
    assert!(matches!(c.screen(), Screen::PlaceDetail(_)));
    let effects = c.handle(Event::Print, at(5));
    assert!(matches!(printed(&effects), Some(Slip::Office(_))));
}

#[test]
fn info_articles_and_request_checks() {
    let mut store = store_from(&common::fixture());
    store
        .enqueue_request(
            "AJ-TEST1",
            "FKTP",
            "0001000000021",
            "{}",
            "2026-11-22T03:00:00Z",
        )
        .unwrap();
    let mut c = Controller::new(store, Settings::default(), at(0)).unwrap();
    c.handle(Event::Tile(Tile::Info), at(0));
    c.handle(Event::OpenArticle(0), at(1));
    assert!(matches!(c.screen(), Screen::InfoArticle(0)));
    c.handle(Event::Back, at(2));
    assert!(matches!(c.screen(), Screen::InfoMenu));

    c.handle(Event::Tile(Tile::Request), at(3));
    for k in "aj-test1".chars() {
        c.handle(Event::Key(k), at(4));
    }
    c.handle(Event::Submit, at(5));
    let Screen::RequestCheck { reference, answer } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert_eq!(reference, "AJ-TEST1");
    assert!(
        answer
            .as_ref()
            .unwrap()
            .en
            .contains("recorded on this kiosk")
    );
    c.handle(Event::Key('X'), at(6));
    c.handle(Event::Submit, at(7));
    let Screen::RequestCheck { answer, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert!(answer.as_ref().unwrap().en.contains("not found"));
}

/// The slip of a single print effect.
fn printed(effects: &[Effect]) -> Option<&Slip> {
    match effects {
        [Effect::Print(slip)] => Some(slip),
        _ => None,
    }
}

/// Looks `nik` up for `tile` and renders the screen, in Indonesian and in English.
fn screen_for(
    tile: Tile,
    nik: &str,
    dob: &str,
) -> (anjungan::ui::view::KioskView, anjungan::ui::view::KioskView) {
    let mut c = kiosk();
    c.handle(Event::Tile(tile), at(0));
    identify(&mut c, IdKind::Nik, nik, dob, 1);
    let action = match tile {
        Tile::Dues => MemberAction::Dues,
        Tile::Va => MemberAction::Va,
        _ => MemberAction::Status,
    };
    c.handle(Event::Member(action), at(2));
    let id = anjungan::ui::view::render(&c, at(2));
    c.handle(Event::ToggleLang, at(3));
    let en = anjungan::ui::view::render(&c, at(3));
    (id, en)
}

fn all_text(v: &anjungan::ui::view::KioskView) -> String {
    let rows: Vec<String> = v
        .rows
        .iter()
        .map(|r| format!("{}={}", r.label, r.value))
        .collect();
    format!(
        "{}\n{}\n{}\n{}",
        v.result_heading,
        v.result_text,
        v.result_note,
        rows.join("\n")
    )
}

#[test]
fn members_who_owe_nothing_are_not_told_to_pay() {
    const MADE_PBI: (&str, &str) = ("3273012902000006", "29022000");
    const HENDRA_PPU: (&str, &str) = ("3273013112750005", "31121975");
    const DEWI_PAID: (&str, &str) = ("3273016802900004", "28021990");

    // PBI: the VA screen says the government pays, shows no number and prints nothing.
    let (id, en) = screen_for(Tile::Va, MADE_PBI.0, MADE_PBI.1);
    assert!(
        id.result_heading.contains("Pemerintah Pusat"),
        "{}",
        all_text(&id)
    );
    assert!(id.rows.is_empty(), "no VA for a PBI family: {:?}", id.rows);
    assert!(!id.can_print);
    assert!(
        en.result_text.contains("do not need to pay"),
        "{}",
        all_text(&en)
    );
    // PBI dues: the government pays; no amount to pay.
    let (id, en) = screen_for(Tile::Dues, MADE_PBI.0, MADE_PBI.1);
    assert!(
        id.result_heading.contains("Pemerintah"),
        "{}",
        all_text(&id)
    );
    assert!(
        !all_text(&id).contains("aktif kembali"),
        "{}",
        all_text(&id)
    );
    assert!(!en.result_text.contains("Pay "), "{}", all_text(&en));

    // PPU: the employer pays, on the dues screen and the VA screen; never "pay by the 10th".
    let (id, en) = screen_for(Tile::Dues, HENDRA_PPU.0, HENDRA_PPU.1);
    assert!(
        id.result_heading.contains("pemberi kerja"),
        "{}",
        all_text(&id)
    );
    for text in [all_text(&id), all_text(&en)] {
        assert!(
            !text.contains("tanggal 10") && !text.contains("10th"),
            "{text}"
        );
        assert!(
            !text.contains("aktif kembali") && !text.contains("reactivate"),
            "{text}"
        );
    }
    let (id, _) = screen_for(Tile::Va, HENDRA_PPU.0, HENDRA_PPU.1);
    assert!(
        id.rows.is_empty() && id.result_heading.contains("pemberi kerja"),
        "{}",
        all_text(&id)
    );

    // PBPU, all paid: no "total to reactivate Rp0", the next due date instead.
    let (id, en) = screen_for(Tile::Dues, DEWI_PAID.0, DEWI_PAID.1);
    let text = all_text(&id);
    assert!(!text.contains("Total untuk aktif kembali"), "{text}");
    assert!(!text.contains("Rp0"), "{text}");
    assert!(en.result_text.contains("paid up"), "{}", all_text(&en));
    // PBPU in arrears: the amount to pay is on the screen that says to pay it.
    let (id, _) = screen_for(Tile::Status, "3273011205800001", "12051980");
    assert!(id.result_text.contains("Rp2.565.000"), "{}", id.result_text);
    assert!(
        !id.result_text.contains("tertera di layar"),
        "{}",
        id.result_text
    );
    let (id, _) = screen_for(Tile::Dues, "3273011205800001", "12051980");
    let text = all_text(&id);
    assert!(
        text.contains("2025: Jan–Des") && text.contains("2026: Jan–Okt"),
        "{text}"
    );
}

/// Taps one key of the keypad (digits) or a control, counting taps like a finger would.
fn tap(c: &mut Controller, taps: &mut u32, e: Event, t: u64) {
    *taps += 1;
    c.handle(e, at(t));
}

#[test]
fn status_dues_and_va_in_one_visit_take_at_most_30_taps() {
    let mut c = kiosk();
    let mut taps = 0;
    tap(&mut c, &mut taps, Event::Tile(Tile::Status), 0);
    for d in "3273011205800001".chars().chain("12051980".chars()) {
        tap(&mut c, &mut taps, Event::Digit(d), 1);
    }
    tap(&mut c, &mut taps, Event::Submit, 2);
    // One screen answers all three: status with its reason, the amount, and the VA.
    let Screen::MemberHome(home) = c.screen() else {
        panic!("expected the member home, got {:?}", c.screen())
    };
    assert_eq!(
        home.counter.as_deref(),
        Some("G"),
        "arrears: the reactivation counter"
    );
    let v = anjungan::ui::view::render(&c, at(3));
    let text = format!("{}\n{}", v.result_text, all_text(&v));
    assert!(
        v.result_heading.contains("MENUNGGAK"),
        "{}",
        v.result_heading
    );
    assert!(text.contains("Rp2.565.000"), "{text}");
    assert!(
        text.contains("8888801000000011") && text.contains("8988801000000011"),
        "{text}"
    );
    assert!(
        v.member_va && v.member_ticket.contains('G'),
        "{}",
        v.member_ticket
    );
    assert!(!text.contains("tertera di layar"));
    // Dues in detail and the VA screen are one tap away, and back is one tap.
    tap(&mut c, &mut taps, Event::Member(MemberAction::Dues), 4);
    assert!(matches!(c.screen(), Screen::Dues(_)));
    tap(&mut c, &mut taps, Event::Back, 5);
    assert!(
        matches!(c.screen(), Screen::MemberHome(_)),
        "back to the member home"
    );
    tap(&mut c, &mut taps, Event::Member(MemberAction::Va), 6);
    assert!(matches!(c.screen(), Screen::Va(_)));
    tap(&mut c, &mut taps, Event::Back, 7);
    assert!(
        c.holds_member_data(),
        "the session holds while the member is served"
    );
    assert!(taps <= 30, "{taps} taps");
    // The counter ticket that fits, from the member home.
    let effects = c.handle(Event::Member(MemberAction::Ticket), at(8));
    assert!(
        matches!(effects.as_slice(), [Effect::TakeTicket { service, priority: false, .. }] if service == "G"),
        "{effects:?}"
    );
    // Done ends the visit and forgets the member.
    c.handle(
        Event::Outcome(Outcome::TicketTaken(Err(Fault {
            code: "DISPENSER_OFFLINE".into(),
            message: anjungan::domain::Bilingual::new("x", "x"),
        }))),
        at(9),
    );
    c.handle(Event::Done, at(10));
    assert!(matches!(c.screen(), Screen::Rating), "{:?}", c.screen());
    assert!(!c.holds_member_data());
}

#[test]
fn the_member_home_offers_the_counter_that_fits_and_no_va_to_families_that_do_not_pay() {
    for (nik, dob, counter, va) in [
        ("3273016802900004", "28021990", "E", true), // PBPU, active, paid
        ("3273012902000006", "29022000", "E", false), // PBI
        ("3273013112750005", "31121975", "E", false), // PPU
    ] {
        let mut c = kiosk();
        c.handle(Event::Tile(Tile::Va), at(0));
        identify(&mut c, IdKind::Nik, nik, dob, 1);
        let Screen::MemberHome(home) = c.screen() else {
            panic!("{nik}: {:?}", c.screen())
        };
        assert_eq!(home.counter.as_deref(), Some(counter), "{nik}");
        assert_eq!(home.va.is_some(), va, "{nik}");
        let v = anjungan::ui::view::render(&c, at(2));
        assert_eq!(v.member_va, va, "{nik}");
        assert_eq!(
            v.rows.iter().any(|r| r.label.starts_with("VA")),
            va,
            "{nik}"
        );
    }
}

#[test]
fn searches_offer_places_that_serve_members_and_kelas_choices_show_prices() {
    // The fixture plus a regional deputy office right next to the kiosk and a dentist
    // right next to Dewi's FKTP.
    let data = common::movable_fixture();
    let offices = std::fs::read_to_string(data.path().join("offices.csv")).unwrap();
    std::fs::write(
        data.path().join("offices.csv"),
        offices
            + "KDW-JBR,BPJS Kesehatan Kedeputian Wilayah Jawa Barat,KEDEPUTIAN,Jl. Dago,KOTA BANDUNG,022-1,Senin–Jumat 08.00–16.00,-6.900100,107.620100\n",
    )
    .unwrap();
    let facilities = std::fs::read_to_string(data.path().join("facilities.csv")).unwrap();
    std::fs::write(
        data.path().join("facilities.csv"),
        facilities
            + "3273G009,drg. Sinta,DOKTER_GIGI,Jl. Dekat,Coblong,KOTA BANDUNG,32,022-2,Senin–Sabtu 08.00–20.00,-6.8846,107.6131,2000,10,1\n",
    )
    .unwrap();
    let settings = Settings {
        location: anjungan::store::Point::parse("-6.9,107.62"),
        ..Settings::default()
    };
    let mut c = Controller::new(store_from(data.path()), settings.clone(), at(0)).unwrap();
    c.handle(Event::Tile(Tile::Search), at(0));
    c.handle(Event::SearchFilter(SearchFilter::Office), at(1));
    let Screen::Search { results, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    let names: Vec<String> = results
        .iter()
        .map(|p| match p {
            anjungan::kiosk::Place::Office(o) => o.name.clone(),
            anjungan::kiosk::Place::Facility(f) => f.name.clone(),
        })
        .collect();
    assert!(!names.is_empty());
    assert!(
        names
            .iter()
            .all(|n| !n.contains("Kedeputian") && !n.contains("Pusat")),
        "offices that serve no members are not offered: {names:?}"
    );
    // English hours.
    c.handle(Event::ToggleLang, at(2));
    let v = anjungan::ui::view::render(&c, at(2));
    assert!(
        v.items.iter().any(|i| i.detail.contains("Mon–Fri")),
        "{:?}",
        v.items
    );
    assert!(
        v.items.iter().all(|i| !i.detail.contains("Senin")),
        "{:?}",
        v.items
    );

    // The FKTP chooser offers no dentist, however near.
    let mut c = Controller::new(store_from(data.path()), settings, at(0)).unwrap();
    c.handle(Event::Tile(Tile::ChangeFktp), at(0));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 1);
    let Screen::FktpChoose { options } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert!(options.iter().all(|f| f.code != "3273G009"), "{options:?}");

    // Kelas choices carry the family's price for each class.
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::ChangeKelas), at(0));
    identify(&mut c, IdKind::Nik, "3273016802900004", "28021990", 1);
    let v = anjungan::ui::view::render(&c, at(2));
    let subtitles: Vec<&str> = v.items.iter().map(|i| i.subtitle.as_str()).collect();
    assert_eq!(subtitles.len(), 3);
    assert!(subtitles[0].contains("Rp150.000"), "{subtitles:?}");
    assert!(
        subtitles[1].contains("Rp100.000") && subtitles[1].contains("sekarang"),
        "{subtitles:?}"
    );
    assert!(subtitles[2].contains("Rp35.000"), "{subtitles:?}");
}

#[test]
fn small_things_a_member_meets() {
    // The idle overlay hides the NIK typed so far.
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Status), at(0));
    for d in "3273011205800001".chars() {
        c.handle(Event::Digit(d), at(1));
    }
    let shown = anjungan::ui::view::render(&c, at(2));
    assert!(shown.id_text.contains("0001"), "{}", shown.id_text);
    c.handle(Event::Tick, at(61_000));
    let idle = anjungan::ui::view::render(&c, at(61_000));
    assert!(idle.countdown > 0);
    assert!(
        !idle.id_text.chars().any(|ch| ch.is_ascii_digit()),
        "{}",
        idle.id_text
    );

    // Family members other than the one who identified are named only partly.
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Status), at(0));
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 1);
    c.handle(Event::Member(MemberAction::Status), at(2));
    let v = anjungan::ui::view::render(&c, at(2));
    let text = all_text(&v);
    assert!(
        text.contains("Budi Santoso"),
        "their own name in full: {text}"
    );
    assert!(
        text.contains("Siti A.") && !text.contains("Siti Aminah"),
        "{text}"
    );
    assert!(
        text.contains("Rizky S.") && !text.contains("Rizky Santoso"),
        "{text}"
    );
}

#[test]
fn the_queue_list_is_short_and_says_what_its_numbers_mean() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Queue), at(0));
    let v = anjungan::ui::view::render(&c, at(1));
    for item in &v.items {
        assert!(
            item.badge.starts_with("Dilayani ±"),
            "service time, not a wait: {}",
            item.badge
        );
        assert!(item.subtitle.starts_with("Bawa: "), "{}", item.subtitle);
        assert!(
            item.subtitle.len() < 120,
            "no wall of text: {}",
            item.subtitle
        );
    }
    let effects = c.handle(Event::TakeTicket(0), at(2));
    assert!(matches!(effects.as_slice(), [Effect::TakeTicket { .. }]));
    c.handle(
        Event::Outcome(Outcome::TicketTaken(Ok(Issued {
            number: "A-007".into(),
            ahead: 6,
        }))),
        at(3),
    );
    let v = anjungan::ui::view::render(&c, at(3));
    assert!(
        v.ticket_info.contains("diambil pukul 10.00"),
        "{}",
        v.ticket_info
    );
    let time = v.data_as_of.split(' ').nth(3).unwrap_or_default();
    assert!(
        time.len() == 5 && time.as_bytes()[2] == b'.',
        "one time format: {}",
        v.data_as_of
    );
    c.handle(Event::ToggleLang, at(4));
    let v = anjungan::ui::view::render(&c, at(4));
    assert!(
        v.ticket_info.contains("taken at 10:00"),
        "{}",
        v.ticket_info
    );
    // The checklist holds what to bring; "registered through HR" is a note, not a box.
    assert!(
        !v.ticket_documents
            .iter()
            .any(|d| d.contains("registered through")),
        "{:?}",
        v.ticket_documents
    );
    assert!(
        v.ticket_notes
            .iter()
            .any(|d| d.contains("registered through")),
        "{:?}",
        v.ticket_notes
    );
}

#[test]
fn places_and_requests_carry_a_qr_code_to_scan() {
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Search), at(0));
    for k in "cibeunying".chars() {
        c.handle(Event::Key(k), at(1));
    }
    c.handle(Event::OpenResult(0), at(2));
    let v = anjungan::ui::view::render(&c, at(2));
    assert_eq!(
        v.qr_text,
        "https://www.google.com/maps/search/?api=1&query=-6.894500,107.635000"
    );
    assert!(!v.qr_caption.is_empty());
    let (dark, width) = anjungan::ui::qr::modules(&v.qr_text).unwrap();
    assert_eq!(dark.len() as u32, width * width);
    // No QR on a screen that has nothing to scan.
    c.handle(Event::Home, at(3));
    assert!(anjungan::ui::view::render(&c, at(3)).qr_text.is_empty());
}

#[test]
fn a_failing_search_says_so_instead_of_showing_nothing() {
    let mut store = store_from(&common::fixture());
    // A damaged index: every facility query fails.
    store
        .connection()
        .execute_batch(
            "DROP TABLE facilities_fts; DROP TABLE facilities_geo; DROP TABLE facilities;",
        )
        .unwrap();
    let settings = Settings {
        location: anjungan::store::Point::parse("-6.9,107.62"),
        ..Settings::default()
    };
    let mut c = Controller::new(store, settings, at(0)).unwrap();
    c.handle(Event::Tile(Tile::Search), at(0));
    c.handle(Event::Key('p'), at(1));
    let Screen::Search { results, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert!(results.is_empty());
    let notice = c.notice().expect("the member is told");
    assert!(
        notice.error && notice.message.en.contains("Search is not working"),
        "{notice:?}"
    );
}

#[test]
fn a_non_active_member_is_told_the_recorded_reason_and_its_counter() {
    // Rina (PBI) is NON_AKTIF with the recorded reason PBI_DTKS.
    const RINA: (&str, &str) = ("3273015506950008", "15061995");
    let (id, en) = screen_for(Tile::Status, RINA.0, RINA.1);
    assert_eq!(id.result_heading, "NON-AKTIF");
    assert!(id.result_text.contains("DTKS"), "{}", id.result_text);
    assert!(
        id.result_text.contains("Dinas Sosial"),
        "{}",
        id.result_text
    );
    assert!(
        en.result_text.contains("welfare register"),
        "{}",
        en.result_text
    );
    // Not the generic list of what it might be.
    for text in [&id.result_text, &en.result_text] {
        assert!(
            !text.contains("misalnya") && !text.contains("for example"),
            "{text}"
        );
        assert!(
            !text.contains("batas usia") && !text.contains("age limit"),
            "{text}"
        );
    }

    // The member home says the next step first, the reason under it, and offers counter C.
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Status), at(0));
    identify(&mut c, IdKind::Nik, RINA.0, RINA.1, 1);
    let Screen::MemberHome(home) = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert_eq!(home.counter.as_deref(), Some("C"));
    assert!(home.va.is_none(), "no VA for a PBI family");
    let v = anjungan::ui::view::render(&c, at(2));
    assert!(v.result_text.contains("Dinas Sosial"), "{}", v.result_text);
    assert!(v.result_note.contains("DTKS"), "{}", v.result_note);
    assert_eq!(v.member_ticket, "Antrean loket C");
}

#[test]
fn a_sync_shows_on_the_next_data_check_not_at_every_render() {
    use anjungan::kiosk::DATA_CHECK_MS;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let mut store = Store::open(&db).unwrap();
    import_dir(&mut store, &common::fixture(), common::today()).unwrap();
    let mut c = Controller::new(store, Settings::default(), at(0)).unwrap();
    let before = anjungan::ui::view::render(&c, at(1)).data_as_of;

    // Another handle (the sync agent's) brings a new version: new freshness, one more
    // counter service.
    let mut other = Store::open(&db).unwrap();
    other
        .set_meta("data_loaded_at", "2026-11-22T06:30:00Z")
        .unwrap();
    other.set_meta("data_version", "99").unwrap();
    other
        .connection()
        .execute(
            "INSERT INTO counter_services (code, name_id, name_en, minutes) \
             VALUES ('J', 'Layanan baru', 'New service', 10)",
            [],
        )
        .unwrap();

    // Renders before the next check read nothing from the store.
    c.handle(Event::Tick, at(DATA_CHECK_MS - 1));
    assert_eq!(
        anjungan::ui::view::render(&c, at(DATA_CHECK_MS - 1)).data_as_of,
        before
    );
    // The check after a member opened the queue list waits for home to change the list.
    c.handle(Event::Tile(Tile::Queue), at(DATA_CHECK_MS - 1));
    c.handle(Event::Tick, at(DATA_CHECK_MS));
    let v = anjungan::ui::view::render(&c, at(DATA_CHECK_MS));
    assert_ne!(v.data_as_of, before, "freshness is read on the tick");
    assert!(v.data_as_of.contains("13.30"), "{}", v.data_as_of);
    assert_eq!(v.items.len(), 9, "the list a member is choosing from stays");
    c.handle(Event::Home, at(DATA_CHECK_MS + 1));
    c.handle(Event::Tick, at(2 * DATA_CHECK_MS + 1));
    c.handle(Event::Tile(Tile::Queue), at(2 * DATA_CHECK_MS + 2));
    let v = anjungan::ui::view::render(&c, at(2 * DATA_CHECK_MS + 2));
    assert_eq!(v.items.len(), 10, "{:?}", v.items);
    assert!(v.items[9].title.starts_with("J"), "{:?}", v.items[9]);
}

#[test]
fn a_tap_meant_for_another_list_does_nothing() {
    // The queue list shows; taps that say they were on the articles, FKTP or kelas list (a
    // list drawn before the screen changed) must not take a ticket or open anything.
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Queue), at(0));
    for (i, e) in [
        Event::OpenArticle(0),
        Event::ChooseFacility(0),
        Event::ChooseKelas(1),
        Event::OpenResult(0),
    ]
    .into_iter()
    .enumerate()
    {
        let label = format!("{e:?}");
        assert!(c.handle(e, at(1 + i as u64)).is_empty(), "{label}");
        assert!(
            matches!(c.screen(), Screen::Queue { .. }),
            "{label}: {:?}",
            c.screen()
        );
    }
    assert!(matches!(
        c.handle(Event::TakeTicket(0), at(9)).as_slice(),
        [Effect::TakeTicket { .. }]
    ));
}

#[test]
fn a_scanned_card_leaves_only_the_date_of_birth_to_type() {
    // From the home screen: identification for the status, the card filled in.
    let mut c = kiosk();
    c.handle(Event::Scanned(Some("0001000000011".into())), at(0));
    let Screen::Identify { purpose, form, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert_eq!(*purpose, Purpose::Status);
    assert_eq!(
        (form.kind, form.id.as_str()),
        (IdKind::Card, "0001000000011")
    );
    assert_eq!(form.field, anjungan::kiosk::Field::BirthDate);
    // Said (and spoken in speech mode) without the number: only what to do next.
    let n = c.notice().expect("a confirmation");
    assert!(!n.error && n.message.en.contains("Card read"), "{n:?}");
    assert!(!n.message.id.contains("0001"), "{n:?}");
    for d in "12051980".chars() {
        c.handle(Event::Digit(d), at(1));
    }
    c.handle(Event::Submit, at(2));
    assert!(
        matches!(c.screen(), Screen::MemberHome(_)),
        "{:?}",
        c.screen()
    );

    // On the identify screen of another purpose, it fills the card and keeps the purpose.
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Dues), at(0));
    for d in "3273".chars() {
        c.handle(Event::Digit(d), at(1));
    }
    c.handle(Event::Scanned(Some(" 0001000000012 ".into())), at(2));
    let Screen::Identify { purpose, form, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert_eq!(
        (*purpose, form.id.as_str()),
        (Purpose::Dues, "0001000000012")
    );

    // Not a card number: a message in both languages, and nothing changes.
    for bad in [
        Some("https://example.com/x"),
        Some("000100000001"),
        Some("3273011205800001"),
        None,
    ] {
        let mut c = kiosk();
        c.handle(Event::Scanned(bad.map(String::from)), at(0));
        assert!(matches!(c.screen(), Screen::Home), "{bad:?}");
        let n = c.notice().expect("a message");
        assert!(
            n.error && n.message.id.contains("bukan nomor kartu JKN"),
            "{bad:?}"
        );
        assert!(n.message.en.contains("not a JKN card number"), "{bad:?}");
    }

    // During another flow a scan does not take over.
    let mut c = kiosk();
    c.handle(Event::Tile(Tile::Queue), at(0));
    c.handle(Event::Scanned(Some("0001000000011".into())), at(1));
    assert!(matches!(c.screen(), Screen::Queue { .. }));
    assert!(c.notice().unwrap().message.en.contains("go back to Home"));
}

/// A family's rows in the wire columns, as the hub's lookup answer carries them.
fn family_rows(store: &mut Store, kk: &str) -> Vec<(String, Vec<serde_json::Value>)> {
    let conn = store.connection();
    let mut out = Vec::new();
    for table in ["members", "bills"] {
        let spec = anjungan::sync::tables::table(table).unwrap();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM {table} WHERE kk_no = ?1",
                spec.columns.join(", ")
            ))
            .unwrap();
        let mut rows = stmt.query([kk]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values = (0..spec.columns.len())
                .map(|i| anjungan::sync::tables::wire_value(row, i).unwrap())
                .collect();
            out.push((table.to_owned(), values));
        }
    }
    out
}

#[test]
fn a_member_from_another_region_is_asked_at_the_hub_and_forgotten_with_the_visit() {
    use anjungan::kiosk::LookedUp;
    const BUDI_KK: &str = "3273010101000001";
    // The hub's copy holds Budi's family; this kiosk's regions do not.
    let rows = family_rows(&mut store_from(&common::fixture()), BUDI_KK);
    assert_eq!(rows.len(), 3 + 28);
    let mut store = store_from(&common::fixture());
    store
        .connection()
        .execute_batch(&format!(
            "DELETE FROM bills WHERE kk_no = '{BUDI_KK}'; DELETE FROM members WHERE kk_no = '{BUDI_KK}';"
        ))
        .unwrap();
    let settings = Settings {
        hub_lookup: true,
        ..Settings::default()
    };
    let mut c = Controller::new(store, settings, at(0)).unwrap();
    let count = |c: &Controller, sql: &str| -> i64 {
        c.store()
            .connection_ref()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };

    // Not here: the controller asks the hub, and waits.
    c.handle(Event::Tile(Tile::Status), at(0));
    let effects = identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 1);
    assert!(
        matches!(effects.as_slice(), [Effect::LookUp { id, birth_date }]
            if id == "3273011205800001" && birth_date == "1980-05-12"),
        "{effects:?}"
    );
    assert!(c.busy().is_some(), "the screen says it is looking");
    // Found: the member's home, answered from the family the hub sent.
    c.handle(
        Event::Outcome(Outcome::LookedUp(LookedUp::Found(rows.clone()))),
        at(2),
    );
    assert!(
        matches!(c.screen(), Screen::MemberHome(_)),
        "{:?}",
        c.screen()
    );
    c.handle(Event::Member(MemberAction::Status), at(3));
    let Screen::Status(view) = c.screen() else {
        panic!("expected the status screen, got {:?}", c.screen())
    };
    assert_eq!(view.status, Status::TidakAktifMenunggak);
    // Held on the store's connection only, in TEMP tables; the store's own rows untouched.
    assert_eq!(
        count(
            &c,
            &format!("SELECT count(*) FROM main.members WHERE kk_no = '{BUDI_KK}'")
        ),
        0
    );
    assert_eq!(count(&c, "SELECT count(*) FROM temp.members"), 3);
    // Home: the visit is over, and the visitor's family is gone with it.
    c.handle(Event::Home, at(4));
    assert!(!c.holds_member_data());
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM sqlite_temp_master WHERE name IN ('members', 'bills')"
        ),
        0
    );
    // A local member is still answered locally, with no call to the hub.
    c.handle(Event::Tile(Tile::Status), at(5));
    let effects = identify(&mut c, IdKind::Nik, "3273013112750005", "31121975", 6);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(c.screen(), Screen::MemberHome(_)));
    c.handle(Event::Home, at(7));

    // The hub says no: the usual mismatch. Unreachable: the mismatch that says the kiosk is
    // offline, the same for a visitor as for a local member's typo.
    let message = |c: &Controller| match c.screen() {
        Screen::Identify {
            message: Some(m), ..
        } => m.clone(),
        other => panic!("expected the identify screen with a message, got {other:?}"),
    };
    c.handle(Event::Tile(Tile::Status), at(8));
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 9);
    c.handle(
        Event::Outcome(Outcome::LookedUp(LookedUp::Mismatch)),
        at(10),
    );
    assert!(!message(&c).id.contains("165"), "{:?}", message(&c));
    c.handle(Event::Home, at(11));
    c.handle(Event::Tile(Tile::Status), at(12));
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 13);
    c.handle(
        Event::Outcome(Outcome::LookedUp(LookedUp::Unreachable)),
        at(14),
    );
    let visitor = message(&c);
    assert!(visitor.id.contains("Care Center 165"), "{visitor:?}");
    c.handle(Event::Home, at(15));
    c.handle(Event::Tile(Tile::Status), at(16));
    let effects = identify(&mut c, IdKind::Nik, "3273013112750005", "30121975", 17);
    assert!(matches!(effects.as_slice(), [Effect::LookUp { .. }]));
    c.handle(
        Event::Outcome(Outcome::LookedUp(LookedUp::Unreachable)),
        at(18),
    );
    let typo = message(&c);
    let words = |m: &str| m.split(" Sisa ").next().unwrap_or_default().to_owned();
    assert_eq!(words(&typo.id), words(&visitor.id));
    // Locked at the hub: the lock's message, and nothing of the number stays on screen.
    c.handle(Event::Home, at(19));
    c.handle(Event::Tile(Tile::Status), at(20));
    identify(&mut c, IdKind::Nik, "3273011205800001", "12051980", 21);
    c.handle(
        Event::Outcome(Outcome::LookedUp(LookedUp::Locked(3_000))),
        at(22),
    );
    let Screen::Identify { form, .. } = c.screen() else {
        panic!("{:?}", c.screen())
    };
    assert!(form.id.is_empty(), "{form:?}");
}

/// Generated sample data says so on every screen; members' data (the fixture) does not.
/// The mark travels in the dataset's rules, so an import and a sync carry it alike.
#[test]
fn generated_sample_data_says_so_on_every_screen() {
    let members = kiosk();
    assert!(!members.sample_data());
    assert!(!anjungan::ui::view::render(&members, at(0)).sample_data);

    let dir = tempfile::tempdir().unwrap();
    anjungan::dataset::synth::generate(
        &anjungan::dataset::synth::GenOptions {
            members: 50,
            facilities: 5,
            offices: None,
            seed: 7,
            today: common::today(),
        },
        dir.path(),
    )
    .unwrap();
    let mut c = Controller::new(store_from(dir.path()), Settings::default(), at(0)).unwrap();
    assert!(c.sample_data());
    for event in [
        Event::Tile(Tile::Status),
        Event::Home,
        Event::Tile(Tile::Queue),
    ] {
        c.handle(event, at(1));
        assert!(
            anjungan::ui::view::render(&c, at(1)).sample_data,
            "{:?}",
            c.screen()
        );
    }
}
