//! Headphone detection: the sound card's jack control, read through ALSA's `amixer` (a
//! subprocess, like the engine and the player: no -dev package to build). Most HDA codecs
//! have a boolean control named "Headphone Jack" on the CARD interface; a kiosk's own card
//! may name it otherwise, so the name is configurable (`[speech] jack`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One jack control of one sound card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jack {
    /// The program that reads it: `amixer`.
    pub program: String,
    /// The ALSA card number.
    pub card: u32,
    /// The control's name, e.g. `Headphone Jack`.
    pub control: String,
}

/// How long one read may take before it counts as unreadable.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

impl Jack {
    pub fn new(card: u32, control: impl Into<String>) -> Self {
        Self {
            program: "amixer".into(),
            card,
            control: control.into(),
        }
    }

    /// Whether something is plugged in; `None` when the control cannot be read (no
    /// amixer, no such card or control).
    pub fn plugged(&self) -> Option<bool> {
        let mut child = Command::new(&self.program)
            .args([
                "-c",
                &self.card.to_string(),
                "cget",
                &format!("iface=CARD,name={}", self.control),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + READ_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
            }
        }
        let out = child.wait_with_output().ok()?;
        if !out.status.success() {
            return None;
        }
        parse(&String::from_utf8_lossy(&out.stdout))
    }
}

/// The value of a boolean control in `amixer cget` output (`  : values=on`).
pub fn parse(amixer: &str) -> Option<bool> {
    let values = amixer
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(": values="))?;
    match values.trim() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLUGGED: &str = "numid=18,iface=CARD,name='Headphone Jack'\n  ; type=BOOLEAN,access=r-------,values=1\n  : values=on\n";

    #[test]
    fn amixer_output_reads_as_plugged_or_not() {
        assert_eq!(parse(PLUGGED), Some(true));
        assert_eq!(
            parse(&PLUGGED.replace("values=on", "values=off")),
            Some(false)
        );
        assert_eq!(
            parse("amixer: Cannot find the given element from control hw:0\n"),
            None
        );
        assert_eq!(parse("  : values=50,50\n"), None);
    }

    #[test]
    fn the_control_is_read_through_the_program_and_a_missing_one_is_unreadable() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        // Stands in for amixer: answers as amixer does for the card and control asked.
        let fake = dir.path().join("amixer");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\n[ \"$1 $2 $3\" = \"-c 1 cget\" ] && [ \"$4\" = \"iface=CARD,name=Headphone Jack\" ] || exit 1\ncat <<'EOF'\n{PLUGGED}EOF\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut jack = Jack::new(1, "Headphone Jack");
        jack.program = fake.display().to_string();
        assert_eq!(jack.plugged(), Some(true));
        jack.card = 0;
        assert_eq!(jack.plugged(), None, "another card: amixer fails");
        jack.program = "anjungan-no-such-amixer".into();
        assert_eq!(jack.plugged(), None);
    }
}
