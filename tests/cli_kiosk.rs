//! `anjungan kiosk` refuses a bad setup before it opens any window, saying what is wrong.

use std::process::Command;

fn kiosk(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_anjungan"))
        .arg("kiosk")
        .args(args)
        // No display: were the checks to pass, the window would fail, not hang.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run anjungan");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_setup_is_named_before_any_window() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = kiosk(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--db"), "{err}");

    let (code, err) = kiosk(&["--db", "/nonexistent/kiosk.db"]);
    assert_eq!(code, 2);
    assert!(err.contains("NO_DATABASE"), "{err}");

    let bad = dir.path().join("config.toml");
    std::fs::write(&bad, "[kiosk]\nzone = \"Mars\"\n").unwrap();
    let (code, err) = kiosk(&["--config", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("BAD_CONFIG") && err.contains("kiosk.zone"),
        "{err}"
    );

    // A configured hub whose key file is missing is refused too, not ignored.
    let db = dir.path().join("kiosk.db");
    anjungan::store::Store::open(&db).unwrap();
    let with_hub = dir.path().join("hub.toml");
    std::fs::write(
        &with_hub,
        format!(
            "[kiosk]\ndb = \"{}\"\n[hub]\nurl = \"http://127.0.0.1:1\"\npublic_key = \"{}/none.pub\"\ncons_id = \"k1\"\nsecret = \"secret-kiosk-1\"\n",
            db.display(),
            dir.path().display()
        ),
    )
    .unwrap();
    let (code, err) = kiosk(&["--config", with_hub.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("BAD_HUB_KEY"), "{err}");
}
