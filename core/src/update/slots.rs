//! The A/B root slots, through RAUC's command line (`rauc status`, `rauc install`; RAUC
//! 1.8, Debian 12). RAUC writes the slot that is not running, checks the bundle's
//! signature against the image's keyring and makes the new slot the next boot's; the
//! image's boot loader integration counts its tries (kiosk-image/README.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::UpdateError;

/// One slot as `rauc status --detailed --output-format=json` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// RAUC's name: `rootfs.0`.
    pub name: String,
    /// The boot loader's name: `A`.
    pub bootname: Option<String>,
    /// `booted`, `active` or `inactive`.
    pub state: String,
    /// `good` or `bad` (the boot loader's view).
    pub boot_status: Option<String>,
    /// The version of the bundle last installed into it (none for the factory slot).
    pub version: Option<String>,
}

/// The system's slots now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotStatus {
    /// The booted slot's bootname (`A`).
    pub booted: Option<String>,
    /// The slot the next boot starts (RAUC's name, `rootfs.1`).
    pub primary: Option<String>,
    pub slots: Vec<Slot>,
}

impl SlotStatus {
    /// Reads RAUC's JSON: `{"booted": "A", "boot_primary": "rootfs.0", "slots":
    /// [{"rootfs.0": {"bootname": "A", "state": "booted", "boot_status": "good",
    /// "slot_status": {"bundle": {"version": "…"}}}}, …]}`.
    pub fn parse(json: &str) -> Result<Self, UpdateError> {
        let v: Value = serde_json::from_str(json)
            .map_err(|e| UpdateError::Slots(format!("rauc status is not JSON: {e}")))?;
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let mut slots = Vec::new();
        for item in v["slots"].as_array().into_iter().flatten() {
            let Some(map) = item.as_object() else {
                continue;
            };
            for (name, s) in map {
                slots.push(Slot {
                    name: name.clone(),
                    bootname: text(&s["bootname"]),
                    state: text(&s["state"]).unwrap_or_default(),
                    boot_status: text(&s["boot_status"]),
                    version: text(&s["slot_status"]["bundle"]["version"]),
                });
            }
        }
        slots.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            booted: text(&v["booted"]),
            primary: text(&v["boot_primary"]),
            slots,
        })
    }

    /// The slot the system runs from.
    pub fn booted_slot(&self) -> Option<&Slot> {
        let booted = self.booted.as_deref()?;
        self.slots
            .iter()
            .find(|s| s.bootname.as_deref() == Some(booted))
    }

    /// The bootname of the slot the next boot starts.
    pub fn primary_bootname(&self) -> Option<&str> {
        let primary = self.primary.as_deref()?;
        self.slots
            .iter()
            .find(|s| s.name == primary)
            .and_then(|s| s.bootname.as_deref())
    }
}

/// What the update agent asks of the slots; [`Rauc`] on a kiosk.
pub trait SlotSystem: Send + Sync {
    fn status(&self) -> Result<SlotStatus, UpdateError>;
    /// Installs a bundle into the inactive slot and makes it the next boot's.
    fn install(&self, bundle: &Path) -> Result<(), UpdateError>;
}

/// RAUC through its command line (which speaks to `rauc.service` over D-Bus).
#[derive(Debug, Clone)]
pub struct Rauc {
    program: PathBuf,
}

impl Rauc {
    /// `program`: `rauc`, or its path.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
        }
    }

    fn run(&self, args: &[&std::ffi::OsStr]) -> Result<String, UpdateError> {
        let out = Command::new(&self.program)
            .args(args)
            .env("LC_ALL", "C")
            .output()
            .map_err(|e| {
                UpdateError::Slots(format!("{} cannot run: {e}", self.program.display()))
            })?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let why = failure_reason(
            &String::from_utf8_lossy(&out.stdout),
            &String::from_utf8_lossy(&out.stderr),
        );
        Err(UpdateError::Slots(format!(
            "{} {} failed ({}): {why}",
            self.program.display(),
            args.first()
                .map(|a| a.to_string_lossy().into_owned())
                .unwrap_or_default(),
            out.status
        )))
    }
}

/// Why a `rauc` command failed, in RAUC's words (they hold no member data), at most 400
/// characters: the service's `LastError` when the client printed it on stdout (`rauc
/// install` does: "LastError: … Pre-install handler error: …"; its stderr then says only
/// "Installing `…` failed"), then the last lines of stderr.
fn failure_reason(stdout: &str, stderr: &str) -> String {
    let last_error = stdout
        .lines()
        .rev()
        .find_map(|l| l.split_once("LastError: ").map(|(_, why)| why.trim()))
        .filter(|why| !why.is_empty());
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    let mut parts: Vec<&str> = last_error.into_iter().collect();
    parts.extend(tail.into_iter().rev());
    parts.join(" / ").chars().take(400).collect()
}

impl SlotSystem for Rauc {
    fn status(&self) -> Result<SlotStatus, UpdateError> {
        let json = self.run(&[
            "status".as_ref(),
            "--detailed".as_ref(),
            "--output-format=json".as_ref(),
        ])?;
        SlotStatus::parse(&json)
    }

    fn install(&self, bundle: &Path) -> Result<(), UpdateError> {
        self.run(&["install".as_ref(), bundle.as_os_str()])
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rauc status --detailed --output-format=json` on a two-slot system, as RAUC 1.8
    /// writes it (`r_status_formatter_json` in its src/main.c).
    const RAUC_1_8: &str = r#"{"compatible":"anjungan-kiosk-x86_64","variant":null,"booted":"B","boot_primary":"rootfs.1","slots":[{"rootfs.1":{"class":"rootfs","device":"/dev/disk/by-partuuid/x-3","type":"ext4","bootname":"B","state":"booted","parent":null,"mountpoint":"/","boot_status":"good","slot_status":{"bundle":{"compatible":"anjungan-kiosk-x86_64","version":"0.2.0+g1234567"},"checksum":{"sha256":"ab","size":10},"installed":{"timestamp":"2026-12-01T20:00:00Z","count":1},"activated":{"timestamp":"2026-12-01T20:00:01Z","count":1},"status":"ok"}}},{"rootfs.0":{"class":"rootfs","device":"/dev/disk/by-partuuid/x-2","type":"ext4","bootname":"A","state":"inactive","parent":null,"mountpoint":null,"boot_status":"good","slot_status":{"bundle":{"compatible":null}}}}]}"#;

    #[test]
    fn rauc_status_reads_the_booted_slot_and_its_version() {
        let s = SlotStatus::parse(RAUC_1_8).unwrap();
        assert_eq!(s.booted.as_deref(), Some("B"));
        assert_eq!(s.primary_bootname(), Some("B"));
        let booted = s.booted_slot().unwrap();
        assert_eq!(booted.name, "rootfs.1");
        assert_eq!(booted.version.as_deref(), Some("0.2.0+g1234567"));
        assert_eq!(s.slots[0].name, "rootfs.0");
        assert_eq!(s.slots[0].version, None);
        assert_eq!(s.slots[0].state, "inactive");
    }

    #[test]
    fn garbage_from_rauc_is_an_error_not_a_panic() {
        assert!(SlotStatus::parse("rauc: command not found").is_err());
        let empty = SlotStatus::parse("{}").unwrap();
        assert_eq!(empty.booted_slot(), None);
        assert_eq!(empty.primary_bootname(), None);
    }

    #[test]
    fn a_refused_install_says_what_rauc_service_said() {
        // `rauc install` of an older bundle on the image, as RAUC 1.8's client printed it.
        let stdout = "  0% Installing\n  0% Determining slot states\n 40% Checking bundle done.\n\
                      100% Installing failed.\n\
                      LastError: Pre-install handler error: Child process exited with code 1\n";
        let stderr = "Installing `/var/lib/anjungan/updates/x.raucb` failed\n";
        assert_eq!(
            failure_reason(stdout, stderr),
            "Pre-install handler error: Child process exited with code 1 / \
             Installing `/var/lib/anjungan/updates/x.raucb` failed"
        );
        // No LastError: stderr's last three lines, as before.
        assert_eq!(failure_reason("", "a\nb\nc\nd\n"), "b / c / d");
        assert_eq!(failure_reason("LastError: \n", "x"), "x");
        assert!(
            failure_reason(&"LastError: é".repeat(300), "")
                .chars()
                .count()
                <= 400
        );
    }

    #[test]
    fn a_failing_program_is_read_on_both_streams() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("rauc");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho ' 40% Checking bundle done.'\n\
             echo 'LastError: Pre-install handler error: Child process exited with code 1'\n\
             echo \"Installing \\`$2\\` failed\" >&2\nexit 1\n",
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let e = Rauc::new(&fake)
            .install(Path::new("/x.raucb"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Pre-install handler error"), "{e}");
        assert!(e.contains("Installing `/x.raucb` failed"), "{e}");
    }

    #[test]
    fn a_missing_program_and_a_failing_one_say_why() {
        let missing = Rauc::new("/nonexistent/rauc").status().unwrap_err();
        assert!(missing.to_string().contains("cannot run"), "{missing}");
        let failing = Rauc::new("false")
            .install(Path::new("/x.raucb"))
            .unwrap_err();
        assert!(failing.to_string().contains("install failed"), "{failing}");
    }
}
