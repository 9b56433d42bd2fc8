//! Helpers for tests across processes: the `anjungan` binary, the small fixture imported
//! into a kiosk database, and a real hub process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::fixture;
use std::process::{Child, Command, Stdio};

use anjungan::dataset::import_dir;
use anjungan::store::Store;
use chrono::NaiveDate;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_anjungan");
pub const SECRET: &str = "secret-kiosk-1";

pub fn anj(args: &[&str]) -> (i32, Value) {
    let out = Command::new(BIN).args(args).output().expect("run anjungan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout:?}; stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

pub fn imported_db(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    let mut store = Store::open(&db).unwrap();
    import_dir(
        &mut store,
        &fixture(),
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    )
    .unwrap();
    db
}

/// A real hub process on a free port, serving HTTPS with the certificate `hub keygen`
/// made; killed (by its own pid) when dropped.
pub struct Hub {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// The hub's certificate, for kiosks (`--hub-ca`).
    pub ca: PathBuf,
}

impl Hub {
    pub fn start(dir: &Path) -> Self {
        let (code, v) = anj(&[
            "hub",
            "keygen",
            "--out",
            dir.join("keys").to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{v}");
        std::fs::write(
            dir.join("kiosks.toml"),
            format!("[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET}\"\n"),
        )
        .unwrap();
        let mut child = Command::new(BIN)
            .args(["hub", "--data", fixture().to_str().unwrap()])
            .args(["--key", dir.join("keys/hub.key").to_str().unwrap()])
            .args(["--kiosks", dir.join("kiosks.toml").to_str().unwrap()])
            .args(["--state", dir.join("hub.db").to_str().unwrap()])
            .args(["--listen", "127.0.0.1:0"])
            .args(["--tls-cert", dir.join("keys/tls.crt").to_str().unwrap()])
            .args(["--tls-key", dir.join("keys/tls.key").to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("hub listening on ") {
                        break a.trim().to_owned();
                    }
                }
                _ => panic!("hub exited before listening"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            url,
            ca: dir.join("keys/tls.crt"),
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The agent settings of kiosk `k1` for the hub [`Hub::start`] made in `dir`.
pub fn agent_config(dir: &Path, db: &Path, url: &str) -> anjungan::sync::AgentConfig {
    anjungan::sync::AgentConfig {
        db: db.to_path_buf(),
        hub_url: url.to_owned(),
        regions: None,
        hub_ca: Some(dir.join("keys/tls.crt")),
        cons_id: "k1".into(),
        secret: SECRET.into(),
        hub_key: anjungan::sync::keys::read_public_key(&dir.join("keys/hub.pub")).unwrap(),
        interval: std::time::Duration::from_secs(900),
        retry_base: std::time::Duration::from_secs(30),
        retry_cap: std::time::Duration::from_secs(600),
        request_retention: std::time::Duration::from_secs(90 * 86_400),
        limits: anjungan::sync::client::ClientLimits::default(),
        cycle_deadline: std::time::Duration::from_secs(120),
        update_channel: None,
    }
}
