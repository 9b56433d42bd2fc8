//! What the hub's tests share: the fixture dataset, a fresh store of either backend, and a
//! fresh PostgreSQL database in the throwaway cluster `scripts/test.sh` starts.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use anjungan_hub::{Database, HubStore};
use chrono::NaiveDate;

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/small")
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The cluster's admin URL: `scripts/test.sh` (and `source scripts/pg.sh start`) set it.
pub fn pg_admin_url() -> String {
    std::env::var("ANJUNGAN_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "ANJUNGAN_TEST_PG is not set: run the tests with scripts/test.sh, which starts a \
             throwaway PostgreSQL (or `source scripts/pg.sh start` first)"
        )
    })
}

/// A new, empty database in the test cluster; its URL.
pub fn pg_database() -> String {
    let admin = pg_admin_url();
    let name = format!("t_{}", anjungan_core::sync::nonce().to_lowercase());
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(60)
        .collect();
    let mut client = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("the test PostgreSQL at {admin} does not answer: {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("ANJUNGAN_TEST_PG has no database part: {admin}"),
    }
}

/// A fresh store, and the directory it (or its scratch space) lives in.
pub struct Fresh {
    pub store: Box<dyn HubStore>,
    pub database: Database,
    pub dir: tempfile::TempDir,
}

impl Fresh {
    /// Another handle on the same state: what a second replica sees.
    pub fn reopen(&self) -> Box<dyn HubStore> {
        self.database.open().unwrap()
    }
}

pub fn fresh(backend: Backend) -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let database = match backend {
        Backend::Sqlite => Database::Sqlite(dir.path().join("hub.db")),
        Backend::Postgres => Database::Postgres(pg_database()),
    };
    let store = database.open().unwrap();
    Fresh {
        store,
        database,
        dir,
    }
}

/// A fresh store with the fixture imported as version 1.
pub fn with_fixture(backend: Backend) -> Fresh {
    let f = fresh(backend);
    assert_eq!(f.store.import(&fixture(), today()).unwrap().version, 1);
    f
}

/// Copies the fixture dataset to `dir` for a test to change.
pub fn copy_fixture(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
}

/// Runs a test body once per backend: `both!(name);` makes `sqlite::name` and
/// `postgres::name` from `fn name(backend: Backend)`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name($crate::common::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name($crate::common::Backend::Postgres) })*
        }
    };
}
