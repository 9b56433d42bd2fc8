//! Software updates end to end: `anjungan-hub updates` adds a bundle, a real hub serves it
//! over HTTPS, a real kiosk sync agent finds the offer in its signed answer only once the
//! rollout reaches it (and loses it on pause), the download resumes after a break and a
//! damaged one is refused, the update agent installs through a stand-in for RAUC's command
//! line (same arguments, same JSON as RAUC 1.8) and asks for the restart, and a slot that
//! came back rolled back is reported and never installed again.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anjungan_core::store::Store;
use anjungan_core::sync::client::{ClientLimits, HubClient};
use anjungan_core::sync::keys;
use anjungan_core::sync::tls::HubEndpoint;
use anjungan_core::update::agent::{
    KEY_INSTALLING, KEY_OFFER, Phase, UpdateAgent, UpdateConfig, Verdict,
};
use anjungan_core::update::download::{self, part_path};
use anjungan_core::update::slots::Rauc;
use anjungan_core::update::{Offer, UpdateError};
use serde_json::Value;

const SECRET: &str = "k1-secret-for-the-update-test-0123456789";

fn status_json(booted: &str, primary: &str, b_status: &str, b_version: Option<&str>) -> String {
    let b_bundle = b_version.map_or_else(
        || r#"{"compatible":null}"#.to_owned(),
        |v| format!(r#"{{"compatible":"anjungan-kiosk-x86_64","version":"{v}"}}"#),
    );
    format!(
        r#"{{"compatible":"anjungan-kiosk-x86_64","variant":null,"booted":"{booted}","boot_primary":"{primary}","slots":[{{"rootfs.0":{{"class":"rootfs","device":"/dev/vda2","type":"ext4","bootname":"A","state":"{a}","parent":null,"mountpoint":null,"boot_status":"good","slot_status":{{"bundle":{{"compatible":null}}}}}}}},{{"rootfs.1":{{"class":"rootfs","device":"/dev/vda3","type":"ext4","bootname":"B","state":"{b}","parent":null,"mountpoint":null,"boot_status":"{b_status}","slot_status":{{"bundle":{b_bundle}}}}}}}]}}"#,
        a = if booted == "A" { "booted" } else { "inactive" },
        b = if booted == "B" { "booted" } else { "inactive" },
    )
}

/// A stand-in for `rauc`: `status --detailed --output-format=json` prints `status.json`;
/// `install FILE` keeps the bundle and makes B the next boot's slot.
fn fake_rauc(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let state = dir.join("rauc");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("status.json"),
        status_json("A", "rootfs.0", "bad", None),
    )
    .unwrap();
    std::fs::write(
        state.join("after-install.json"),
        status_json("A", "rootfs.1", "good", Some("0.2.0")),
    )
    .unwrap();
    let s = state.display();
    let script = format!(
        "#!/bin/sh\nset -e\ncase \"$1\" in\n  status) [ \"$2 $3\" = \"--detailed --output-format=json\" ] || exit 2; cat {s}/status.json ;;\n  install) [ -f \"$2\" ] || {{ echo \"rauc: no bundle $2\" >&2; exit 1; }}; cp \"$2\" {s}/installed.raucb; cp {s}/after-install.json {s}/status.json ;;\n  *) echo \"rauc: unknown command $1\" >&2; exit 1 ;;\nesac\n"
    );
    let path = state.join("rauc");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn cli(args: &[&str]) -> Value {
    let (code, v) = common::hub_cli_with(args, "");
    assert_eq!(code, 0, "{args:?}: {v}");
    v
}

fn offer_in(db: &Path) -> Option<Offer> {
    Store::open(db)
        .unwrap()
        .meta(KEY_OFFER)
        .unwrap()
        .map(|v| serde_json::from_str(&v).unwrap())
}

fn update_config(dir: &Path, db: &Path) -> UpdateConfig {
    UpdateConfig {
        db: db.to_path_buf(),
        dir: dir.join("updates"),
        channel: "stable".into(),
        window: "00:00-00:00".parse().unwrap(),
        zone: anjungan_core::clock::DEFAULT_ZONE,
        reserve: 0,
        check_every: Duration::from_secs(60),
        health_window: Duration::from_secs(60),
        health_mark: dir.join("healthy"),
        reboot_mark: dir.join("reboot"),
        image_version: Some("0.1.0".into()),
    }
}

#[test]
fn a_bundle_rolls_out_downloads_with_resume_installs_and_a_rollback_is_refused_after() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("data");
    common::copy_fixture(&data);
    let state = d.join("hub.db").display().to_string();
    let data_s = data.display().to_string();
    let store_args = ["--state", state.as_str(), "--data", data_s.as_str()];
    cli(&["keygen", "--out", &d.display().to_string(), "--json"]);
    std::fs::write(
        d.join("kiosks.toml"),
        format!("[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET}\"\n"),
    )
    .unwrap();
    // A bundle over three of the store's 1 MiB chunks.
    let bundle: Vec<u8> = (0..2_500_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let file = d.join("anjungan-0.2.0.raucb");
    std::fs::write(&file, &bundle).unwrap();
    let added = cli(&[
        &[
            "updates",
            "add",
            &file.display().to_string(),
            "--version",
            "0.2.0",
        ][..],
        &store_args,
        &["--json"],
    ]
    .concat());
    assert_eq!(added["rollout"], 0, "{added}");
    let sha = added["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha, download::sha256_file(&file).unwrap());
    // The same bundle twice is refused with a reason.
    let (code, again) = common::hub_cli_with(
        &[
            &[
                "updates",
                "add",
                &file.display().to_string(),
                "--version",
                "0.2.0",
            ][..],
            &store_args,
            &["--json"],
        ]
        .concat(),
        "",
    );
    assert_ne!(code, 0);
    assert_eq!(again["error"], "INVALID_BUNDLE", "{again}");

    let hub = common::serve(d, &store_args);
    let kiosk = d.join("kiosk.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let agent = anjungan_core::sync::SyncAgent::new(
        anjungan_core::sync::AgentConfig {
            update_channel: Some("stable".into()),
            ..common::agent_config("k1", d, &kiosk, &hub.url, SECRET)
        },
        Arc::new(|_: &_| anjungan_core::report::DiagReport::default()),
    )
    .unwrap();
    // Rollout 0 %: no offer.
    rt.block_on(agent.run_once()).unwrap();
    assert_eq!(offer_in(&kiosk), None);
    cli(&[&["updates", "rollout", "100"][..], &store_args, &["--json"]].concat());
    rt.block_on(agent.run_once()).unwrap();
    let offer = offer_in(&kiosk).expect("offered at 100 %");
    assert_eq!(
        (offer.sha256.as_str(), offer.size),
        (sha.as_str(), 2_500_000)
    );
    assert_eq!(offer.version, "0.2.0");

    // The download resumes from what a broken one left, and refuses damaged bytes.
    let client = HubClient::new(
        &HubEndpoint::new(&hub.url, Some(&d.join("tls.crt"))).unwrap(),
        "k1",
        SECRET,
        keys::read_public_key(&d.join("hub.pub")).unwrap(),
        ClientLimits::default(),
    )
    .unwrap();
    let updates = d.join("updates");
    std::fs::create_dir_all(&updates).unwrap();
    let progress = AtomicU64::new(0);
    let mut damaged = bundle[..1_000_000].to_vec();
    damaged[10] ^= 0xff;
    std::fs::write(part_path(&updates, &sha), &damaged).unwrap();
    let e = rt
        .block_on(download::fetch(&client, &offer, &updates, 0, &progress))
        .unwrap_err();
    assert!(matches!(e, UpdateError::Corrupt { .. }), "{e}");
    assert!(
        !part_path(&updates, &sha).exists(),
        "a damaged download is deleted"
    );
    std::fs::write(part_path(&updates, &sha), &bundle[..1_000_000]).unwrap();
    let fetched = rt
        .block_on(download::fetch(&client, &offer, &updates, 0, &progress))
        .unwrap();
    assert_eq!(
        (fetched.resumed_from, fetched.received),
        (1_000_000, 1_500_000)
    );
    assert_eq!(std::fs::read(&fetched.path).unwrap(), bundle);
    // No room: refused before anything is asked.
    std::fs::remove_file(&fetched.path).unwrap();
    let e = rt
        .block_on(download::fetch(
            &client,
            &offer,
            &updates,
            u64::MAX / 2,
            &progress,
        ))
        .unwrap_err();
    assert_eq!(e.code(), "UPDATE_NO_SPACE", "{e}");
    assert!(e.message().id.contains("Ruang partisi data kurang"));

    // The agent: a member at the kiosk holds the install back; idle, it installs.
    let rauc = fake_rauc(d);
    let idle = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let idle_probe = Arc::clone(&idle);
    let updater = UpdateAgent::new(
        update_config(d, &kiosk),
        vec![client.clone()],
        Arc::new(Rauc::new(&rauc)),
        Arc::new(move || idle_probe.load(std::sync::atomic::Ordering::Relaxed)),
        Arc::new(|| true),
    );
    rt.block_on(updater.after_boot()).unwrap();
    rt.block_on(updater.step()).unwrap();
    let status = updater.status();
    assert_eq!(status.phase, Phase::Ready, "{status:?}");
    assert_eq!(status.version.as_deref(), Some("0.1.0"));
    assert!(!d.join("rauc/installed.raucb").exists());
    idle.store(true, std::sync::atomic::Ordering::Relaxed);
    rt.block_on(updater.step()).unwrap();
    assert_eq!(updater.status().phase, Phase::Restarting);
    assert_eq!(
        std::fs::read(d.join("rauc/installed.raucb")).unwrap(),
        bundle
    );
    assert!(d.join("reboot").is_file(), "the restart is asked for");
    assert!(
        !download::bundle_path(&updates, &sha).exists(),
        "the installed bundle's file is removed"
    );
    let installing = Store::open(&kiosk).unwrap().meta(KEY_INSTALLING).unwrap();
    assert!(installing.unwrap().contains("\"to\":\"B\""));

    // B never got healthy: after its tries, A booted again with B bad.
    std::fs::write(
        d.join("rauc/status.json"),
        status_json("A", "rootfs.0", "bad", Some("0.2.0")),
    )
    .unwrap();
    let updater = UpdateAgent::new(
        update_config(d, &kiosk),
        vec![client],
        Arc::new(Rauc::new(&rauc)),
        Arc::new(|| true),
        Arc::new(|| true),
    );
    rt.block_on(updater.after_boot()).unwrap();
    let last = updater.status().last_result.expect("an outcome");
    assert_eq!(
        (last.result, last.version.as_str()),
        (Verdict::RolledBack, "0.2.0")
    );
    rt.block_on(updater.step()).unwrap();
    assert_eq!(updater.status().phase, Phase::Refused);
    assert!(!download::bundle_path(&updates, &sha).exists());

    // Pause: the next answer carries no offer.
    cli(&[&["updates", "pause"][..], &store_args, &["--json"]].concat());
    rt.block_on(agent.run_once()).unwrap();
    assert_eq!(offer_in(&kiosk), None);
    let list = cli(&[&["updates", "list"][..], &store_args, &["--json"]].concat());
    assert_eq!(list[0]["paused"], true, "{list}");
}
