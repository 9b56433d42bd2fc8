//! The importer against generated datasets and hostile files: every member a generated
//! dataset holds can identify, a refresh keeps accepted requests, and no file content makes
//! the importer panic or half-apply.

use std::path::Path;

use anjungan::dataset::synth::{GenOptions, generate};
use anjungan::dataset::{ImportError, import_dir};
use anjungan::domain::{Status, StoredStatus};
use anjungan::services::{Identity, IdentityKey, MemberSession};
use anjungan::store::Store;
use chrono::NaiveDate;
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn generated(dir: &Path, members: usize) -> anjungan::dataset::synth::GenSummary {
    generate(
        &GenOptions {
            members,
            facilities: 120,
            offices: None,
            seed: 7,
            today: today(),
        },
        dir,
    )
    .expect("generate")
}

#[test]
fn every_generated_member_identifies_and_gets_consistent_answers() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generated(dir.path(), 1_500);
    let mut store = Store::open_in_memory().unwrap();
    let report = import_dir(&mut store, dir.path(), today()).unwrap();
    assert_eq!(report.members, summary.members);
    assert_eq!(report.bills, summary.bills);
    assert_eq!(report.facilities, summary.facilities);
    assert_eq!(report.offices, summary.offices);
    assert_eq!(report.counter_services, 9);
    assert!(report.info_articles >= 13);

    let mut reader = csv::Reader::from_path(dir.path().join("members.csv")).unwrap();
    let (mut menunggak, mut capped) = (0, 0);
    for row in reader.records() {
        let row = row.unwrap();
        let identity =
            Identity::parse(IdentityKey::Card(row[0].to_owned()), &row[4], today()).unwrap();
        let session = MemberSession::identify(&store, &identity).expect("identify");
        assert_eq!(session.member.nik, &row[1]);
        let status = session.status(today());
        // The screen never carries the full identifiers.
        assert_eq!(status.nik_masked.matches('*').count(), 10);
        let dues = session.dues(today());
        if status.status == Status::TidakAktifMenunggak {
            menunggak += 1;
            assert!(dues.dues.reactivation_amount >= dues.dues.arrears_amount);
            assert!(dues.dues.arrears_amount > 0);
        }
        if dues.arrears_capped {
            capped += 1;
            assert_eq!(dues.dues.billed_arrears_months, 24);
        }
        if session.member.status == StoredStatus::Meninggal {
            assert_eq!(status.status, Status::Meninggal);
        }
        let va = session.virtual_accounts(today()).unwrap();
        // A family that pays itself gets the five banks' VAs; PBI and PPU get none, and
        // are told who pays instead.
        let pays = session.member.segment.member_pays() && status.status != Status::Meninggal;
        assert_eq!(
            va.va.len(),
            if pays { 5 } else { 0 },
            "{:?}",
            session.member.segment
        );
        assert_eq!(va.pay.uses_va, pays);
        if !pays {
            assert!(
                dues.pay.amount_due.is_none(),
                "{:?} is asked to pay",
                session.member.segment
            );
        }
    }
    assert!(
        menunggak > 0,
        "the generator should put some families in arrears"
    );
    assert!(capped > 0, "some families should be past the 24-month cap");
}

#[test]
fn a_refresh_replaces_data_but_keeps_accepted_requests() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), 300);
    let mut store = Store::open_in_memory().unwrap();
    let first = import_dir(&mut store, dir.path(), today()).unwrap();
    store
        .enqueue_request(
            "AJ-TEST-1",
            "FKTP",
            "0001000000011",
            "{}",
            "2026-11-22T01:00:00Z",
        )
        .unwrap();

    let smaller = tempfile::tempdir().unwrap();
    generated(smaller.path(), 100);
    let second = import_dir(&mut store, smaller.path(), today()).unwrap();
    assert!(second.members < first.members);
    assert_eq!(second.version, first.version + 1);
    let counts: std::collections::HashMap<_, _> = store.row_counts().unwrap().into_iter().collect();
    assert_eq!(counts["members"], second.members as i64);
    assert_eq!(counts["facilities"], second.facilities as i64);
    assert_eq!(counts["outbox"], 1);
    assert!(store.request("AJ-TEST-1").unwrap().is_some());
}

#[test]
fn missing_members_file_and_missing_columns_are_refused_whole() {
    let empty = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    assert!(matches!(
        import_dir(&mut store, empty.path(), today()),
        Err(ImportError::MissingMembers { .. })
    ));

    std::fs::write(empty.path().join("members.csv"), "card_no,nik\n1,2\n").unwrap();
    match import_dir(&mut store, empty.path(), today()) {
        Err(ImportError::Header { file, missing }) => {
            assert_eq!(file, "members.csv");
            assert!(
                missing.contains("kk_no") && missing.contains("birth_date"),
                "{missing}"
            );
        }
        other => panic!("expected a header error, got {other:?}"),
    }
    assert!(!store.has_members().unwrap());
}

#[test]
fn a_bom_extra_columns_and_quoted_fields_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| {
        format!(
            "\u{feff}extra,card_no,nik,kk_no,name,birth_date,sex,relation,segment,kelas,fktp_code,\
             fktp_since,kelas_since,registered_on,status,wage\r\n\
             x,0001000000011,3273011205800001,3273010101000001,\"{name}\",1980-05-12,L,PESERTA,\
             PBPU,3,3273P001,2019-03-01,2019-03-01,2019-03-01,AKTIF,\r\n"
        )
    };
    std::fs::write(
        dir.path().join("members.csv"),
        file("Santoso, \"\"Budi\"\""),
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let report = import_dir(&mut store, dir.path(), today()).unwrap();
    assert_eq!(report.members, 1);
    let m = store.member_by_card("0001000000011").unwrap().unwrap();
    assert_eq!(m.name, "Santoso, \"Budi\"");
    assert_eq!(m.employer, None);

    // A quoted newline still parses as one field (the line count stays right), but a line
    // break is a control character, which no field may hold.
    std::fs::write(dir.path().join("members.csv"), file("Budi\nSantoso")).unwrap();
    match import_dir(&mut store, dir.path(), today()) {
        Err(ImportError::BadRows { rows, .. }) => {
            assert_eq!(rows[0].line, 2);
            assert!(rows[0].reason.contains("control character"), "{rows:?}");
        }
        other => panic!("expected a bad row, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever bytes a members.csv holds, the importer answers with a result, and a failed
    /// import leaves the previous data whole.
    #[test]
    fn arbitrary_member_files_never_panic_or_half_apply(body in proptest::collection::vec(any::<u8>(), 0..600),
                                                       header in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = if header {
            b"card_no,nik,kk_no,name,birth_date,sex,relation,segment,kelas,fktp_code,fktp_since,kelas_since,registered_on,status,wage\n".to_vec()
        } else {
            Vec::new()
        };
        text.extend_from_slice(&body);
        std::fs::write(dir.path().join("members.csv"), &text).unwrap();

        let mut store = Store::open_in_memory().unwrap();
        let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small");
        import_dir(&mut store, &good, today()).unwrap();
        let before = (store.row_counts().unwrap(), fingerprint(&mut store));
        if import_dir(&mut store, dir.path(), today()).is_err() {
            prop_assert_eq!((store.row_counts().unwrap(), fingerprint(&mut store)), before);
        }
    }
}

/// The members' content, so a rollback that kept the counts but not the rows would show.
fn fingerprint(store: &mut Store) -> String {
    store
        .connection()
        .query_row(
            "SELECT group_concat(card_no || nik || name || birth_date || status, '|') \
             FROM (SELECT * FROM members ORDER BY card_no)",
            [],
            |r| r.get::<_, Option<String>>(0),
        )
        .unwrap()
        .unwrap_or_default()
}

/// The members header of the small fixture without `status_reason`, and a row for it.
fn member_file(status: &str, reason: Option<&str>) -> String {
    let (head, tail) = match reason {
        Some(r) => (",status_reason", format!(",{r}")),
        None => ("", String::new()),
    };
    format!(
        "card_no,nik,kk_no,name,birth_date,sex,relation,segment,kelas,fktp_code,fktp_since,\
         kelas_since,registered_on,status,wage,employer{head}\n\
         0001000000051,3273015506950008,3273010101000005,Rina Marlina,1995-06-15,P,PESERTA,\
         PBI_APBN,3,3273P001,2021-01-01,2021-01-01,2021-01-01,{status},,{tail}\n"
    )
}

#[test]
fn a_non_active_reason_is_optional_known_and_only_for_non_active_members() {
    use anjungan::domain::NonActiveReason;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let rina = |store: &Store| store.member_by_card("0001000000051").unwrap().unwrap();

    // Without the column: imports as before, no reason.
    std::fs::write(
        dir.path().join("members.csv"),
        member_file("NON_AKTIF", None),
    )
    .unwrap();
    import_dir(&mut store, dir.path(), today()).unwrap();
    assert_eq!(rina(&store).status_reason, None);

    // With it: read back as the code, for every known code.
    for reason in NonActiveReason::ALL {
        let file = member_file("NON_AKTIF", Some(reason.code()));
        std::fs::write(dir.path().join("members.csv"), file).unwrap();
        import_dir(&mut store, dir.path(), today()).unwrap();
        assert_eq!(rina(&store).status_reason, Some(*reason));
    }
    // Empty: no reason.
    let file = member_file("NON_AKTIF", Some(""));
    std::fs::write(dir.path().join("members.csv"), file).unwrap();
    import_dir(&mut store, dir.path(), today()).unwrap();
    assert_eq!(rina(&store).status_reason, None);

    // An unknown code, or a reason on an active member, refuses the row and says why.
    for (status, reason, says) in [
        (
            "NON_AKTIF",
            "PINDAH",
            "status_reason \"PINDAH\" is not a known code",
        ),
        ("AKTIF", "PBI_DTKS", "only for NON_AKTIF"),
    ] {
        let file = member_file(status, Some(reason));
        std::fs::write(dir.path().join("members.csv"), file).unwrap();
        match import_dir(&mut store, dir.path(), today()) {
            Err(ImportError::BadRows { rows, .. }) => {
                assert_eq!(rows[0].line, 2);
                assert!(rows[0].reason.contains(says), "{rows:?}");
            }
            other => panic!("expected a bad row, got {other:?}"),
        }
    }
}
