//! The kiosk image's files agree with the code: the default config parses as the kiosk reads
//! it, names the devices the udev rules create, and the service runs the kiosk on that
//! config under systemd's watchdog.

use std::path::Path;

use anjungan::config::Config;
use anjungan_drivers::transport::DeviceUri;

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("kiosk-image")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn serial_path(uri: &str) -> String {
    match uri.parse::<DeviceUri>().unwrap() {
        DeviceUri::Serial { path, .. } => path.display().to_string(),
        other => panic!("expected a serial URI, got {other}"),
    }
}

#[test]
fn default_config_names_the_devices_the_udev_rules_create() {
    let config = Config::parse(&read("config.toml")).expect("kiosk-image/config.toml parses");
    assert_eq!(
        config.kiosk.db,
        Path::new("/var/lib/anjungan/kiosk.db"),
        "anjungan-firstboot seeds this path"
    );
    let rules = read("anjungan.rules");
    let printer = serial_path(&config.printer.expect("[printer]").uri);
    let dispenser = serial_path(&config.dispenser.expect("[dispenser]").uri);
    for (dev, kind) in [(printer, "printer"), (dispenser, "dispenser")] {
        let name = dev.strip_prefix("/dev/").expect("a /dev path");
        assert_eq!(name, format!("anjungan-{kind}"));
        let symlink = format!("SYMLINK+=\"{name}\"");
        let cmdline = format!("ENV{{anjungan.{kind}}}==\"ttyS1\"");
        assert!(
            rules
                .lines()
                .any(|l| l.contains(&symlink) && l.contains(&cmdline)),
            "a rule gives ttyS1 the name {name} when the kernel line says so"
        );
        assert!(
            rules
                .lines()
                .any(|l| l.contains(&symlink) && l.contains("ATTRS{idVendor}")),
            "a USB rule gives {name}"
        );
    }
}

#[test]
fn the_service_runs_the_kiosk_under_the_watchdog() {
    let unit = read("anjungan.service");
    let has = |line: &str| unit.lines().any(|l| l.trim() == line);
    assert!(has("Type=notify"));
    assert!(has("Restart=always"));
    assert!(unit.lines().any(|l| l.starts_with("WatchdogSec=")));
    assert!(has(
        "ExecStart=/usr/bin/anjungan kiosk --config /etc/anjungan/config.toml"
    ));
    assert!(has("User=anjungan"));
    assert!(has("Environment=SLINT_BACKEND=linuxkms-software"));
}

/// The app's side of the image's update contract (kiosk-image/README.md, "The app's
/// side"): the files it creates in /run/anjungan are the ones the image's root units wait
/// for, and the .deb does not install the image-only units.
#[test]
fn the_image_units_watch_the_files_the_app_creates_in_its_runtime_directory() {
    let unit = read("anjungan.service");
    let has = |line: &str| unit.lines().any(|l| l.trim() == line);
    assert!(has("RuntimeDirectory=anjungan"));
    assert!(has("RuntimeDirectoryMode=0755"));
    assert!(has("RuntimeDirectoryPreserve=yes"));
    assert!(
        read("anjungan-boot-ok").contains("/run/anjungan/healthy"),
        "anjungan-boot-ok waits for the app's healthy file"
    );
    let path = read("anjungan-reboot.path");
    assert!(
        path.lines()
            .any(|l| l.trim() == "PathExists=/run/anjungan/reboot")
    );
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("Cargo.toml");
    for image_only in [
        "anjungan-boot-ok",
        "anjungan-reboot",
        "anjungan-machine-id",
        "rauc-bootloader",
        "anjungan-test-shell",
    ] {
        assert!(
            !manifest.contains(image_only),
            "{image_only} is installed by build.sh, not by the .deb"
        );
    }
}
