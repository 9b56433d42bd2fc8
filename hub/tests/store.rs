//! The hub store's one suite, run against both backends: every test here is a function of
//! the backend, and `both!` makes a `sqlite::` and a `postgres::` test of it. The kiosk's
//! side (verify, apply) is the real one, so "the same rows" means what a kiosk ends up
//! with.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use anjungan_core::dataset;
use anjungan_core::store::Store;
use anjungan_core::sync::auth::{AuthError, Verified};
use anjungan_core::sync::client::SubmitBody;
use anjungan_core::sync::payload::{self, Expect, Kind};
use anjungan_core::sync::{apply, keys, tables, unix_now};
use anjungan_hub::store::{Ask, LookupOutcome, LookupQuery};
use anjungan_hub::{HubError, HubStore};
use common::{Backend, copy_fixture, fixture, fresh, today, with_fixture};
use serde_json::{Value, json};

both!(
    versions_are_made_only_by_changes,
    a_snapshot_gives_the_kiosk_the_rows_a_direct_import_gives,
    a_delta_gives_the_kiosk_the_rows_of_the_new_version,
    a_decision_is_a_version_and_cannot_be_made_twice,
    the_hub_refuses_bad_targets_oversized_fields_and_a_second_pending_request,
    one_open_or_approved_request_per_kind_per_member_or_family_per_effective_month,
    a_decision_reason_is_bounded_and_plain,
    a_nonce_is_taken_once,
    heartbeats_make_the_fleet,
    reopening_migrates_nothing_and_a_newer_schema_is_refused,
    a_failed_import_changes_nothing,
    a_region_kiosk_gets_its_families_and_every_global_table,
    a_family_that_moves_leaves_one_region_and_reaches_the_other,
    a_lookup_finds_only_an_exact_match_and_five_failures_lock_the_identifier,
);

fn a_lookup_finds_only_an_exact_match_and_five_failures_lock_the_identifier(backend: Backend) {
    let f = with_fixture(backend);
    let hub = &*f.store;
    let by_nik = hub
        .lookup_family("3273011205800001", "1980-05-12")
        .unwrap()
        .expect("Budi by NIK");
    assert_eq!(by_nik.members.len(), 3, "the whole family");
    assert_eq!(by_nik.bills.len(), 28);
    assert!(by_nik.members.iter().all(|m| m[2] == BUDI_KK));
    let by_card = hub.lookup_family("0001000000011", "1980-05-12").unwrap();
    assert_eq!(by_card.as_ref(), Some(&by_nik));
    assert_eq!(
        hub.lookup_family("3273011205800001", "1980-05-13").unwrap(),
        None
    );
    assert_eq!(
        hub.lookup_family("3273019999999999", "1980-05-12").unwrap(),
        None
    );
    // A family member's NIK finds the same family, and only with their own birth date.
    assert!(
        hub.lookup_family("3273014307830002", "1980-05-12")
            .unwrap()
            .is_none()
    );

    let now = unix_now();
    let key = "c0ffee";
    for _ in 0..4 {
        assert_eq!(hub.lookup_failed(key, now).unwrap(), None);
    }
    let until = hub
        .lookup_failed(key, now)
        .unwrap()
        .expect("the fifth failure locks");
    assert_eq!(until, now + anjungan_hub::store::LOOKUP_LOCK_SECS);
    assert_eq!(hub.lookup_locked(key, now).unwrap(), Some(until));
    assert_eq!(hub.lookup_locked("other", now).unwrap(), None);
    // The lock holds for every replica over the same state.
    if backend == Backend::Postgres {
        assert_eq!(f.reopen().lookup_locked(key, now).unwrap(), Some(until));
    }
    assert_eq!(hub.lookup_locked(key, until + 1).unwrap(), None, "it ends");
    // Failures an hour apart do not add up.
    hub.lookup_cleared(key).unwrap();
    for i in 0..6 {
        assert_eq!(hub.lookup_failed(key, now + i * 3_601).unwrap(), None);
    }
    // Calls per kiosk per minute.
    let minute = now - now.rem_euclid(60);
    assert_eq!(hub.lookup_calls("k1", minute).unwrap(), 1);
    assert_eq!(hub.lookup_calls("k1", minute + 30).unwrap(), 2);
    assert_eq!(hub.lookup_calls("k2", minute).unwrap(), 1);
    assert_eq!(
        hub.lookup_calls("k1", minute + 60).unwrap(),
        1,
        "a new minute"
    );

    // The whole lookup, as the server asks for it.
    let ask = |cons_id: &'static str,
               key_hash: &'static str,
               id: &'static str,
               dob: &'static str,
               now: i64| {
        hub.lookup(&LookupQuery {
            cons_id,
            key_hash,
            id,
            birth_date: dob,
            now,
        })
        .unwrap()
    };
    let later = minute + 600;
    match ask("k3", "budi", "3273011205800001", "1980-05-12", later) {
        LookupOutcome::Found {
            family,
            epoch,
            version,
        } => {
            assert_eq!(family, by_nik);
            assert_eq!((epoch, version), (hub.epoch().unwrap(), 1));
        }
        other => panic!("{other:?}"),
    }
    for _ in 0..4 {
        assert_eq!(
            ask("k3", "typo", "3273011205800001", "1980-05-13", later),
            LookupOutcome::Mismatch
        );
    }
    assert_eq!(
        ask("k3", "typo", "3273011205800001", "1980-05-13", later),
        LookupOutcome::Locked(anjungan_hub::store::LOOKUP_LOCK_SECS)
    );
    // Locked: even the right date is refused, without looking.
    assert_eq!(
        ask("k3", "typo", "3273011205800001", "1980-05-12", later + 10),
        LookupOutcome::Locked(anjungan_hub::store::LOOKUP_LOCK_SECS - 10)
    );
    // Four failures, then a match: the failures are forgotten.
    for _ in 0..4 {
        assert_eq!(
            ask("k4", "dewi", "3273016802900004", "1990-02-27", later),
            LookupOutcome::Mismatch
        );
    }
    assert!(matches!(
        ask("k4", "dewi", "3273016802900004", "1990-02-28", later),
        LookupOutcome::Found { .. }
    ));
    assert_eq!(
        ask("k4", "dewi", "3273016802900004", "1990-02-27", later),
        LookupOutcome::Mismatch
    );
    // The kiosk's rate: k3 has made 7 calls this minute; the 31st is refused.
    for _ in 7..anjungan_hub::store::LOOKUPS_PER_MINUTE {
        ask("k3", "other", "3273019999999999", "1980-01-01", later + 20);
    }
    assert_eq!(
        ask("k3", "other2", "3273011205800001", "1980-05-12", later + 30),
        LookupOutcome::Busy
    );
    assert!(
        matches!(
            ask("k3", "other2", "3273011205800001", "1980-05-12", later + 60),
            LookupOutcome::Found { .. }
        ),
        "a new minute"
    );
}

const DEWI_KK: &str = "3273010101000002";
const BUDI_KK: &str = "3273010101000001";

/// Moves the Lestari family (Dewi heads it) to Jakarta Pusat: its head's FKTP becomes
/// 3171P001, so the family's bucket is 3171; her husband keeps his clinic in Bandung.
fn move_dewi(data: &Path) {
    let members = std::fs::read_to_string(data.join("members.csv")).unwrap();
    let moved: Vec<String> = members
        .lines()
        .map(|l| {
            if l.starts_with("0001000000021,") {
                l.replacen("3273D004", "3171P001", 1)
            } else {
                l.to_owned()
            }
        })
        .collect();
    std::fs::write(data.join("members.csv"), moved.join("\n") + "\n").unwrap();
}

fn kk_of(rows: &[Vec<Value>], kk_column: usize) -> std::collections::BTreeSet<String> {
    rows.iter()
        .map(|r| r[kk_column].as_str().unwrap().to_owned())
        .collect()
}

fn regions(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn a_region_kiosk_gets_its_families_and_every_global_table(backend: Backend) {
    let f = fresh(backend);
    let data = f.dir.path().join("data");
    copy_fixture(&data);
    move_dewi(&data);
    f.store.import(&data, today()).unwrap();
    let bandung = f.dir.path().join("bandung.db");
    let jakarta = f.dir.path().join("jakarta.db");
    let both = f.dir.path().join("both.db");
    let applied = sync_regions(&*f.store, &bandung, Some(&regions(&["3273"])));
    assert_eq!(applied.kind, Kind::Snapshot);
    sync_regions(&*f.store, &jakarta, Some(&regions(&["3171"])));
    sync_regions(&*f.store, &both, Some(&regions(&["3171", "3273"])));
    let (b, j, all) = (dump(&bandung), dump(&jakarta), dump(&both));
    assert!(!kk_of(&b["members"], 2).contains(DEWI_KK));
    assert!(kk_of(&b["members"], 2).contains(BUDI_KK));
    assert_eq!(kk_of(&j["members"], 2), [DEWI_KK.to_owned()].into());
    assert_eq!(kk_of(&j["bills"], 0), [DEWI_KK.to_owned()].into());
    assert_eq!(j["members"].len(), 2, "the whole family, husband included");
    assert!(!kk_of(&b["bills"], 0).contains(DEWI_KK));
    // The global tables are everywhere, whole.
    for t in [
        "facilities",
        "offices",
        "tariffs",
        "rules",
        "info_articles",
        "counter_services",
    ] {
        assert_eq!(b[t], all[t], "{t}");
        assert_eq!(j[t], all[t], "{t}");
    }
    assert_eq!(
        b["members"].len() + j["members"].len(),
        all["members"].len()
    );
    // Both regions are what a kiosk of every region holds.
    let direct = f.dir.path().join("direct.db");
    imported(&data, &direct);
    assert_eq!(all, dump(&direct));
    // The kiosk remembers what its data was made for.
    let store = Store::open(&jakarta).unwrap();
    assert_eq!(
        store
            .meta(anjungan_core::store::KEY_REGIONS)
            .unwrap()
            .as_deref(),
        Some("3171")
    );
}

fn a_family_that_moves_leaves_one_region_and_reaches_the_other(backend: Backend) {
    let f = fresh(backend);
    let data = f.dir.path().join("data");
    copy_fixture(&data);
    f.store.import(&data, today()).unwrap();
    let bandung = f.dir.path().join("bandung.db");
    let jakarta = f.dir.path().join("jakarta.db");
    let r3273 = regions(&["3273"]);
    let r3171 = regions(&["3171"]);
    sync_regions(&*f.store, &bandung, Some(&r3273));
    sync_regions(&*f.store, &jakarta, Some(&r3171));
    assert!(kk_of(&dump(&bandung)["members"], 2).contains(DEWI_KK));
    assert!(dump(&jakarta)["members"].is_empty());
    move_dewi(&data);
    assert_eq!(f.store.import(&data, today()).unwrap().version, 2);
    let b = sync_regions(&*f.store, &bandung, Some(&r3273));
    let j = sync_regions(&*f.store, &jakarta, Some(&r3171));
    assert_eq!((b.kind, j.kind), (Kind::Delta, Kind::Delta));
    let (bd, jd) = (dump(&bandung), dump(&jakarta));
    assert!(
        !kk_of(&bd["members"], 2).contains(DEWI_KK),
        "gone from Bandung"
    );
    assert!(!kk_of(&bd["bills"], 0).contains(DEWI_KK), "with its bills");
    assert_eq!(kk_of(&jd["members"], 2), [DEWI_KK.to_owned()].into());
    assert_eq!(jd["bills"].len(), 13, "every bill arrives, changed or not");
    // What the deltas made is what a fresh snapshot of each region holds.
    let fresh_b = f.dir.path().join("fresh-bandung.db");
    let fresh_j = f.dir.path().join("fresh-jakarta.db");
    sync_regions(&*f.store, &fresh_b, Some(&r3273));
    sync_regions(&*f.store, &fresh_j, Some(&r3171));
    assert_eq!(bd, dump(&fresh_b));
    assert_eq!(jd, dump(&fresh_j));
    // A kiosk that changes its regions gets a snapshot of the new set, not a delta.
    let changed = sync_regions(&*f.store, &bandung, Some(&r3171));
    assert_eq!(changed.kind, Kind::Snapshot);
    assert_eq!(dump(&bandung), jd);
}

/// What a kiosk holds in the synced tables, table by table.
fn dump(db: &Path) -> BTreeMap<&'static str, Vec<Vec<Value>>> {
    let mut store = Store::open(db).unwrap();
    let conn = store.connection();
    let mut out = BTreeMap::new();
    for spec in tables::TABLES {
        let mut stmt = conn.prepare(&tables::select_all_sql(spec)).unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut all = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            all.push(
                (0..spec.columns.len())
                    .map(|i| tables::wire_value(row, i).unwrap())
                    .collect(),
            );
        }
        out.insert(spec.name, all);
    }
    out
}

/// A kiosk database made by importing `dir` directly.
fn imported(dir: &Path, db: &Path) {
    let mut store = Store::open(db).unwrap();
    dataset::import_dir(&mut store, dir, today()).unwrap();
}

/// Asks the hub as a kiosk of every region at `db` would, verifies the answer and applies
/// it.
fn sync_kiosk(store: &dyn HubStore, db: &Path) -> apply::Applied {
    sync_regions(store, db, None)
}

/// [`sync_kiosk`] for a kiosk of `regions`.
fn sync_regions(store: &dyn HubStore, db: &Path, regions: Option<&[String]>) -> apply::Applied {
    let key = keys::generate();
    let (since, epoch) = {
        let mut kiosk = Store::open(db).unwrap();
        apply::position_for(kiosk.connection(), regions).unwrap()
    };
    let nonce = anjungan_core::sync::nonce();
    let mut answer = Vec::new();
    let ask = Ask {
        since,
        epoch: &epoch,
        nonce: &nonce,
        cons_id: "k1",
        regions,
        update: None,
    };
    store.write_answer(&mut answer, &ask, &key).unwrap();
    let file = db.with_extension("answer");
    std::fs::write(&file, &answer).unwrap();
    let verified = payload::verify(
        std::fs::File::open(&file).unwrap(),
        &Expect {
            key: &key.verifying_key(),
            nonce: &nonce,
            now: unix_now(),
            max_skew: 300,
        },
    )
    .unwrap();
    let mut kiosk = Store::open(db).unwrap();
    apply::apply_file(
        kiosk.connection(),
        &file,
        &verified,
        "test",
        &chrono::Utc::now().to_rfc3339(),
    )
    .unwrap()
}

fn versions_are_made_only_by_changes(backend: Backend) {
    let f = with_fixture(backend);
    let epoch = f.store.epoch().unwrap();
    assert!(!epoch.is_empty());
    let again = f.store.import(&fixture(), today()).unwrap();
    assert!(!again.new_version);
    assert_eq!((again.version, again.upserts, again.deletes), (1, 0, 0));
    // Another handle (another replica, or the next process) sees the same state.
    let other = f.reopen();
    assert_eq!(other.version().unwrap(), 1);
    assert_eq!(other.epoch().unwrap(), epoch);
}

fn a_snapshot_gives_the_kiosk_the_rows_a_direct_import_gives(backend: Backend) {
    let f = with_fixture(backend);
    let kiosk = f.dir.path().join("kiosk.db");
    let applied = sync_kiosk(&*f.store, &kiosk);
    assert_eq!((applied.kind, applied.version), (Kind::Snapshot, 1));
    let direct = f.dir.path().join("direct.db");
    imported(&fixture(), &direct);
    let (got, want) = (dump(&kiosk), dump(&direct));
    assert!(got["members"].len() >= 8, "{:?}", got["members"].len());
    assert_eq!(got, want);
    // At the current version the answer is "no change".
    assert_eq!(sync_kiosk(&*f.store, &kiosk).kind, Kind::None);
}

fn a_delta_gives_the_kiosk_the_rows_of_the_new_version(backend: Backend) {
    let f = fresh(backend);
    let data = f.dir.path().join("data");
    copy_fixture(&data);
    f.store.import(&data, today()).unwrap();
    let kiosk = f.dir.path().join("kiosk.db");
    sync_kiosk(&*f.store, &kiosk);
    // Version 2: a member leaves, one is renamed, a clinic moves and gets a quote in its
    // name (text that needs escaping on every path).
    let members = std::fs::read_to_string(data.join("members.csv")).unwrap();
    let mut lines: Vec<String> = members.lines().map(str::to_owned).collect();
    let gone = lines.pop().unwrap();
    lines[1] = lines[1].replace("Budi Santoso", "Budi Santoso Jr");
    std::fs::write(data.join("members.csv"), lines.join("\n") + "\n").unwrap();
    let facilities = std::fs::read_to_string(data.join("facilities.csv")).unwrap();
    let facilities = facilities
        .replace("Puskesmas Dago,", "\"Puskesmas \"\"Dago\"\" \\ Baru\",")
        .replace("-6.885000,107.613000", "-6.885125,107.613375");
    std::fs::write(data.join("facilities.csv"), facilities).unwrap();
    let v2 = f.store.import(&data, today()).unwrap();
    assert_eq!(v2.version, 2);
    assert!(v2.upserts >= 2 && v2.deletes >= 1, "{v2:?}");
    let applied = sync_kiosk(&*f.store, &kiosk);
    assert_eq!(
        (applied.kind, applied.from, applied.version),
        (Kind::Delta, 1, 2)
    );
    let direct = f.dir.path().join("direct.db");
    imported(&data, &direct);
    let got = dump(&kiosk);
    assert_eq!(got, dump(&direct));
    // The hub's own rows moved too: a new kiosk's snapshot of version 2 is the same.
    let new_kiosk = f.dir.path().join("new-kiosk.db");
    assert_eq!(sync_kiosk(&*f.store, &new_kiosk).kind, Kind::Snapshot);
    assert_eq!(dump(&new_kiosk), got);
    let card = gone.split(',').next().unwrap();
    assert!(
        !got["members"].iter().any(|r| r[0] == card),
        "the member who left is gone"
    );
    assert!(
        got["facilities"]
            .iter()
            .any(|r| r[1] == "Puskesmas \"Dago\" \\ Baru"),
        "{:?}",
        got["facilities"]
    );
}

fn submit_body(reference: &str, kind: &str, change: Value) -> SubmitBody {
    let mut b = SubmitBody {
        reference: reference.into(),
        kind: kind.into(),
        card_no: "0001000000021".into(),
        change,
        created_at: "2026-11-22T03:00:00Z".into(),
        content_sha256: String::new(),
    };
    b.content_sha256 = b.digest();
    b
}

fn code_of(e: HubError) -> String {
    match e {
        HubError::InvalidRequest { code, .. } => code.into(),
        other => format!("{other:?}"),
    }
}

fn a_decision_is_a_version_and_cannot_be_made_twice(backend: Backend) {
    let f = with_fixture(backend);
    let hub = &*f.store;
    let key = keys::generate();
    let kiosk = f.dir.path().join("kiosk.db");
    sync_kiosk(hub, &kiosk);
    let mut body = submit_body("AJ-00000-00001", "KELAS", json!({"to": 1}));
    body.card_no = "0001000000011".into();
    // A digest that does not fit the content is refused and flagged.
    body.content_sha256 = "0".repeat(64);
    assert!(matches!(
        hub.submit("k1", &body, &key),
        Err(HubError::ContentMismatch(_))
    ));
    let flags = hub.flags().unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].code, "CONTENT_MISMATCH");
    body.content_sha256 = body.digest();
    let ack = hub.submit("k1", &body, &key).unwrap();
    assert_eq!(ack.content_sha256, body.digest());
    assert!(!ack.duplicate);
    // The acknowledgement is signed over what was stored.
    let message = anjungan_core::sync::client::ack_message(
        &ack.reference,
        &ack.state,
        ack.reason.as_deref(),
        &ack.content_sha256,
    );
    assert!(keys::verify_b64(
        &key.verifying_key(),
        message.as_bytes(),
        &ack.signature
    ));
    let row = hub.decide("AJ-00000-00001", true, None).unwrap();
    assert_eq!(row.state, "APPROVED");
    assert_eq!(hub.version().unwrap(), 2);
    let id = row.id.to_string();
    assert!(matches!(
        hub.decide(&id, false, Some("x")),
        Err(HubError::AlreadyDecided { .. })
    ));
    assert!(matches!(
        hub.decide("AJ-NOPE", true, None),
        Err(HubError::UnknownRequest(_))
    ));
    // A repeat after the decision gets the decided state, signed.
    let again = hub.submit("k1", &body, &key).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.state, "APPROVED");
    // The decision reaches the kiosk in a delta, naming the content it decided on.
    let applied = sync_kiosk(hub, &kiosk);
    assert_eq!((applied.kind, applied.version), (Kind::Delta, 2));
    let status = &dump(&kiosk)["request_status"];
    assert_eq!(status.len(), 1);
    assert_eq!(status[0][0], "AJ-00000-00001");
    assert_eq!(status[0][1], "APPROVED");
    assert_eq!(status[0][4], Value::from(body.digest()));
}

fn the_hub_refuses_bad_targets_oversized_fields_and_a_second_pending_request(backend: Backend) {
    let f = with_fixture(backend);
    let hub = &*f.store;
    let key = keys::generate();
    let refused = |b: SubmitBody| code_of(hub.submit("k1", &b, &key).unwrap_err());
    assert_eq!(
        refused(submit_body("AJ-1", "FKTP", json!({"to": "NOPE0001"}))),
        "UNKNOWN_FKTP"
    );
    // Inactive (3273K003) and not first-level (3273R001).
    assert_eq!(
        refused(submit_body("AJ-2", "FKTP", json!({"to": "3273K003"}))),
        "UNKNOWN_FKTP"
    );
    assert_eq!(
        refused(submit_body("AJ-3", "FKTP", json!({"to": "3273R001"}))),
        "UNKNOWN_FKTP"
    );
    assert_eq!(
        refused(submit_body("AJ-4", "KELAS", json!({"to": 4}))),
        "INVALID_KELAS"
    );
    assert_eq!(
        refused(submit_body("AJ-5", "KELAS", json!({"to": "0"}))),
        "INVALID_KELAS"
    );
    assert_eq!(
        refused(submit_body(
            "AJ-6",
            "KELAS",
            json!({"to": 1, "pad": "x".repeat(2000)})
        )),
        "INVALID_CHANGE"
    );
    let mut late = submit_body("AJ-7", "KELAS", json!({"to": 1}));
    late.created_at = "2026-11-22T03:00:00Z".repeat(4);
    assert_eq!(refused(late), "INVALID_CREATED_AT");
    let mut garbage = submit_body("AJ-8", "KELAS", json!({"to": 1}));
    garbage.created_at = "yesterday".into();
    assert_eq!(refused(garbage), "INVALID_CREATED_AT");
    assert!(
        hub.requests().unwrap().is_empty(),
        "nothing refused is kept"
    );

    let first = submit_body(
        "AJ-OK-1",
        "FKTP",
        json!({"from": "3273D004", "to": "3273P002"}),
    );
    assert!(!hub.submit("k1", &first, &key).unwrap().duplicate);
    // A repeat of the same reference stays idempotent.
    assert!(hub.submit("k1", &first, &key).unwrap().duplicate);
    // The same reference with other content is refused.
    let mut forged = first.clone();
    forged.change = json!({"to": "3273P001"});
    forged.content_sha256 = forged.digest();
    assert!(matches!(
        hub.submit("k1", &forged, &key),
        Err(HubError::ReferenceConflict(_))
    ));
    // A different FKTP request for the same card while the first waits (from another
    // kiosk): taken, and rejected at once with a reason that names the first.
    let second = submit_body("AJ-OK-2", "FKTP", json!({"to": "3273P001"}));
    let ack = hub.submit("k2", &second, &key).unwrap();
    assert_eq!(ack.state, "REJECTED");
    assert!(
        ack.reason.as_deref().unwrap().contains("AJ-OK-1"),
        "{ack:?}"
    );
    // Another kind is its own queue.
    let kelas = submit_body("AJ-OK-3", "KELAS", json!({"to": "1"}));
    assert_eq!(hub.submit("k1", &kelas, &key).unwrap().state, "RECEIVED");
    // Once the first is decided (rejected), a new one may come.
    hub.decide("AJ-OK-1", false, Some("Kuota FKTP penuh"))
        .unwrap();
    let third = submit_body("AJ-OK-4", "FKTP", json!({"to": "3273P001"}));
    assert_eq!(hub.submit("k2", &third, &key).unwrap().state, "RECEIVED");
    assert_eq!(hub.requests().unwrap().len(), 4);
}

fn one_open_or_approved_request_per_kind_per_member_or_family_per_effective_month(
    backend: Backend,
) {
    let f = with_fixture(backend);
    let hub = &*f.store;
    let key = keys::generate();
    let dec = json!({"from": "3273D004", "to": "3273P002", "effective_date": "2026-12-01"});
    let first = submit_body("AJ-M1", "FKTP", dec);
    assert_eq!(hub.submit("k1", &first, &key).unwrap().state, "RECEIVED");
    hub.decide("AJ-M1", true, None).unwrap();
    // Approved, same effective month, another clinic: a conflict, named.
    let again = submit_body(
        "AJ-M2",
        "FKTP",
        json!({"to": "3273P001", "effective_date": "2026-12-01"}),
    );
    let ack = hub.submit("k2", &again, &key).unwrap();
    assert_eq!(ack.state, "REJECTED");
    assert!(ack.reason.unwrap().contains("AJ-M1"));
    // The next month is a new month.
    let jan = submit_body(
        "AJ-M3",
        "FKTP",
        json!({"to": "3273P001", "effective_date": "2027-01-01"}),
    );
    assert_eq!(hub.submit("k2", &jan, &key).unwrap().state, "RECEIVED");

    // Kelas applies to the whole family: Budi's request blocks Siti's for that month.
    let mut budi = submit_body(
        "AJ-K1",
        "KELAS",
        json!({"to": 2, "effective_date": "2026-12-01"}),
    );
    budi.card_no = "0001000000011".into();
    budi.content_sha256 = budi.digest();
    assert_eq!(hub.submit("k1", &budi, &key).unwrap().state, "RECEIVED");
    let mut siti = submit_body(
        "AJ-K2",
        "KELAS",
        json!({"to": 1, "effective_date": "2026-12-01"}),
    );
    siti.card_no = "0001000000012".into();
    siti.content_sha256 = siti.digest();
    let ack = hub.submit("k2", &siti, &key).unwrap();
    assert_eq!(ack.state, "REJECTED", "the family already has one");
    assert!(ack.reason.unwrap().contains("AJ-K1"));
    // The decision reaches the kiosks like an officer's: a request_status row.
    let rejected = hub
        .requests()
        .unwrap()
        .into_iter()
        .find(|r| r.reference == "AJ-K2")
        .unwrap();
    assert_eq!(rejected.state, "REJECTED");
    assert!(rejected.decided_at.is_some());
}

fn a_decision_reason_is_bounded_and_plain(backend: Backend) {
    let f = with_fixture(backend);
    let hub = &*f.store;
    let key = keys::generate();
    let b = submit_body("AJ-R-1", "KELAS", json!({"to": "1"}));
    hub.submit("k1", &b, &key).unwrap();
    let long = "x".repeat(501);
    for reason in [long.as_str(), "ok\u{1b}[31m", "line\nbreak"] {
        assert_eq!(
            code_of(hub.decide("AJ-R-1", false, Some(reason)).unwrap_err()),
            "INVALID_REASON"
        );
    }
    assert_eq!(
        hub.version().unwrap(),
        1,
        "a refused decision makes no version"
    );
    assert!(hub.decide("AJ-R-1", false, Some(&"x".repeat(500))).is_ok());
}

fn a_nonce_is_taken_once(backend: Backend) {
    let f = fresh(backend);
    let now = unix_now();
    let call = |nonce: &str| Verified {
        cons_id: "k1".into(),
        nonce: nonce.into(),
        timestamp: now,
        content_sha256: String::new(),
    };
    f.store.take_nonce(&call("n-1"), now).unwrap();
    assert_eq!(
        f.store.take_nonce(&call("n-1"), now),
        Err(AuthError::Replayed)
    );
    // Another kiosk may use the same nonce text.
    let mut other = call("n-1");
    other.cons_id = "k2".into();
    f.store.take_nonce(&other, now).unwrap();
    if backend == Backend::Postgres {
        // Every replica over the database refuses it: the nonces are in the database.
        let replica = f.reopen();
        assert_eq!(
            replica.take_nonce(&call("n-1"), now),
            Err(AuthError::Replayed)
        );
        replica.take_nonce(&call("n-2"), now).unwrap();
        assert_eq!(
            f.store.take_nonce(&call("n-2"), now),
            Err(AuthError::Replayed)
        );
    }
}

fn heartbeats_make_the_fleet(backend: Backend) {
    let f = fresh(backend);
    f.store
        .heartbeat("k1", &json!({"healthy": true, "kiosk_id": "k1"}))
        .unwrap();
    f.store
        .heartbeat("k1", &json!({"healthy": false, "kiosk_id": "k1"}))
        .unwrap();
    f.store.heartbeat("k0", &json!({"healthy": true})).unwrap();
    let fleet = f.store.fleet().unwrap();
    assert_eq!(fleet.len(), 2);
    assert_eq!(fleet[0].cons_id, "k0");
    assert_eq!(fleet[1].heartbeats, 2);
    assert_eq!(fleet[1].health["healthy"], false);
}

fn reopening_migrates_nothing_and_a_newer_schema_is_refused(backend: Backend) {
    let f = with_fixture(backend);
    drop(f.reopen());
    assert_eq!(f.reopen().version().unwrap(), 1);
    // A state written by a newer build.
    match &f.database {
        anjungan_hub::Database::Sqlite(path) => {
            let hub = anjungan_hub::SqliteHub::open(path).unwrap();
            hub.with_connection(|c| {
                c.execute(
                    "INSERT INTO hub_schema_migrations VALUES (999, 'future', 'x')",
                    [],
                )?;
                Ok(())
            })
            .unwrap();
        }
        anjungan_hub::Database::Postgres(url) => {
            let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
            c.execute(
                "INSERT INTO hub_schema_migrations (version, name) VALUES (999, 'future')",
                &[],
            )
            .unwrap();
        }
    }
    let refused = f.database.open();
    match refused {
        Err(HubError::BadRequest(m)) => assert!(m.contains("newer"), "{m}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a newer schema was opened"),
    }
}

/// A copy of the fixture at `dir/name` with `edit` applied to `file`.
fn fixture_edited(
    dir: &Path,
    name: &str,
    file: &str,
    edit: impl FnOnce(String) -> String,
) -> std::path::PathBuf {
    let data = dir.join(name);
    copy_fixture(&data);
    let text = std::fs::read_to_string(data.join(file)).unwrap();
    std::fs::write(data.join(file), edit(text)).unwrap();
    data
}

/// The reasons of a refused import's bad rows, as `file:line: reason`.
fn bad_rows(result: Result<anjungan_hub::store::ImportSummary, HubError>) -> Vec<String> {
    match result {
        Err(HubError::Import(dataset::ImportError::BadRows { rows, .. })) => {
            rows.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected bad rows, got {other:?}"),
    }
}

fn a_failed_import_changes_nothing(backend: Backend) {
    // A first import refused by its last bill, after every member has been copied in: the
    // store stays empty, and a good import afterwards is whole.
    let f = fresh(backend);
    let late = fixture_edited(f.dir.path(), "late", "bills.csv", |t| {
        let mut t = t.trim_end().to_owned();
        t.push_str("\n3273010101000001,2025-13,75000,\n");
        t
    });
    let reasons = bad_rows(f.store.import(&late, today()));
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].starts_with("bills.csv:45: period"),
        "{reasons:?}"
    );
    assert_eq!(f.store.version().unwrap(), 0);
    // A card number twice: the second is the bad row (the same for every store).
    let twice = fixture_edited(f.dir.path(), "twice", "members.csv", |t| {
        let second = t.lines().nth(2).unwrap().to_owned();
        let (card, rest) = second.split_once(',').unwrap();
        let first_card = t
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_owned();
        assert_ne!(card, first_card);
        t.replacen(&second, &format!("{first_card},{rest}"), 1)
    });
    let reasons = bad_rows(f.store.import(&twice, today()));
    assert_eq!(
        reasons,
        ["members.csv:3: duplicate key: this code or number already appears earlier"]
    );
    assert_eq!(f.store.version().unwrap(), 0);
    assert_eq!(f.store.import(&fixture(), today()).unwrap().version, 1);
    let kiosk = f.dir.path().join("first.db");
    sync_kiosk(&*f.store, &kiosk);
    let direct = f.dir.path().join("direct.db");
    imported(&fixture(), &direct);
    assert_eq!(dump(&kiosk), dump(&direct));

    // A later import refused by a NIK that is not one: version 1 stands, whole.
    let data = fixture_edited(f.dir.path(), "bad", "members.csv", |t| {
        t.replacen("3273011205800001", "32730112058000XX", 1)
    });
    let reasons = bad_rows(f.store.import(&data, today()));
    assert!(reasons[0].contains("nik"), "{reasons:?}");
    assert_eq!(f.store.version().unwrap(), 1);
    let kiosk = f.dir.path().join("kiosk.db");
    sync_kiosk(&*f.store, &kiosk);
    assert_eq!(dump(&kiosk), dump(&direct));
    // Nothing staged is left behind.
    let left: Vec<_> = std::fs::read_dir(f.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("staging"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A first import into PostgreSQL drops the big tables' indexes to load them in bulk: every
/// one is built again, and the planner has statistics.
#[test]
fn postgres_first_import_builds_every_index_again_and_analyzes() {
    let f = with_fixture(Backend::Postgres);
    let anjungan_hub::Database::Postgres(url) = &f.database else {
        unreachable!()
    };
    let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
    let names: std::collections::BTreeSet<String> = c
        .query(
            "SELECT indexname FROM pg_indexes \
             WHERE tablename IN ('members', 'bills', 'hub_buckets')",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected = [
        "bills_pkey",
        "hub_buckets_bucket",
        "hub_buckets_pkey",
        "members_kk",
        "members_nik",
        "members_pkey",
    ];
    assert_eq!(
        names.iter().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    let stats: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'members'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(stats > 0);
    // The bulk load left every row visible: counts match the fixture.
    let members: i64 = c
        .query_one("SELECT count(*) FROM members", &[])
        .unwrap()
        .get(0);
    assert_eq!(members, 8);
}
