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

/// A running `anjungan-hub serve`; killed when dropped.
pub struct Served {
    pub child: std::process::Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `anjungan-hub serve` with the keys, kiosks file and TLS certificate in `dir`
/// (`hub keygen --out dir`, `dir/kiosks.toml`) and `store` (`--database URL`, or `--state
/// FILE --data DIR`); returns once it listens.
pub fn serve(dir: &Path, store: &[&str]) -> Served {
    use std::io::BufRead as _;
    let s = |p: &str| dir.join(p).display().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anjungan-hub"))
        .arg("serve")
        .args(store)
        .args(["--key", &s("hub.key"), "--kiosks", &s("kiosks.toml")])
        .args(["--tls-cert", &s("tls.crt"), "--tls-key", &s("tls.key")])
        .args(["--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the hub stopped before listening")
            .unwrap();
        if let Some(url) = line.strip_prefix("hub listening on ") {
            break url.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Served { child, url }
}

/// A real kiosk sync agent for kiosk `k1` (secret `secret`) at `db`, trusting the hub's
/// key and certificate in `dir`.
pub fn kiosk_agent(
    dir: &Path,
    db: &Path,
    urls: &str,
    secret: &str,
) -> anjungan_core::sync::SyncAgent {
    kiosk_agent_as("k1", dir, db, urls, secret)
}

/// [`kiosk_agent`] for kiosk `cons_id`.
pub fn kiosk_agent_as(
    cons_id: &str,
    dir: &Path,
    db: &Path,
    urls: &str,
    secret: &str,
) -> anjungan_core::sync::SyncAgent {
    kiosk_agent_reporting(cons_id, dir, db, urls, secret, None)
}

/// [`kiosk_agent_as`], whose heartbeat also carries `update` (a kiosk image's updates).
pub fn kiosk_agent_reporting(
    cons_id: &str,
    dir: &Path,
    db: &Path,
    urls: &str,
    secret: &str,
    update: Option<anjungan_core::update::agent::UpdateReport>,
) -> anjungan_core::sync::SyncAgent {
    use anjungan_core::report::DiagReport;
    let id = cons_id.to_owned();
    let health = std::sync::Arc::new(move |_: &_| {
        let mut r = DiagReport {
            kiosk_id: id.clone(),
            update: update.clone(),
            ..DiagReport::default()
        };
        r.summarise();
        r
    });
    anjungan_core::sync::SyncAgent::new(agent_config(cons_id, dir, db, urls, secret), health)
        .unwrap()
}

/// The sync agent's settings for kiosk `cons_id` at `db`, trusting the hub's key and
/// certificate in `dir` (no update channel).
pub fn agent_config(
    cons_id: &str,
    dir: &Path,
    db: &Path,
    urls: &str,
    secret: &str,
) -> anjungan_core::sync::AgentConfig {
    use std::time::Duration;
    anjungan_core::sync::AgentConfig {
        db: db.to_path_buf(),
        hub_url: urls.to_owned(),
        regions: None,
        hub_ca: Some(dir.join("tls.crt")),
        cons_id: cons_id.into(),
        secret: secret.into(),
        hub_key: anjungan_core::sync::keys::read_public_key(&dir.join("hub.pub")).unwrap(),
        interval: Duration::from_secs(900),
        retry_base: Duration::from_secs(30),
        retry_cap: Duration::from_secs(600),
        request_retention: Duration::from_secs(90 * 86_400),
        limits: anjungan_core::sync::client::ClientLimits::default(),
        cycle_deadline: Duration::from_secs(60),
        update_channel: None,
    }
}

/// `anjungan-hub ARGS` with `stdin`: its exit code and its JSON answer (stdout, or stderr
/// for a failure).
pub fn hub_cli_with(args: &[&str], stdin: &str) -> (i32, serde_json::Value) {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anjungan-hub"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    };
    let v = serde_json::from_slice(text).unwrap_or_else(|_| {
        panic!(
            "{args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}
