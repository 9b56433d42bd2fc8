//! `anjungan scanner-sim`: a simulated serial card scanner. Each line typed on stdin goes out
//! on a pseudo-terminal as the scanner would send it: the characters, then CR.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;

use anjungan_drivers::pty::Pty;
use clap::Args;

use super::Failure;
use super::output::Answer;

#[derive(Debug, Args)]
pub struct ScannerSimArgs {
    /// Serve on a new pseudo-terminal (its path is the first line printed).
    #[arg(long)]
    pty: bool,
}

/// Opens the simulator's pty and forwards stdin's lines to it on a thread; returns the path
/// the kiosk opens (as `serial://PATH`).
pub fn spawn_from_stdin() -> std::io::Result<PathBuf> {
    let pty = Pty::open()?;
    let path = pty.path().to_path_buf();
    std::thread::Builder::new()
        .name("scanner-sim".into())
        .spawn(move || forward(pty))?;
    Ok(path)
}

fn forward(mut pty: Pty) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        let mut bytes = line.trim_end().as_bytes().to_vec();
        bytes.push(b'\r');
        if pty.master.write_all(&bytes).is_err() {
            return;
        }
    }
}

pub fn scanner_sim(a: &ScannerSimArgs) -> Result<Answer, Failure> {
    if !a.pty {
        return Err(Failure::user(
            "USAGE",
            anjungan::domain::Bilingual::tr(
                "Tambahkan --pty: simulator pemindai berjalan pada pseudo-terminal.",
            ),
        ));
    }
    let pty = Pty::open().map_err(Failure::internal)?;
    outln!("{}", pty.path().display());
    errln!(
        "Pemindai simulasi / Simulated scanner: serial://{}?baud=9600 — ketik nomor kartu lalu Enter / type a card number, then Enter",
        pty.path().display()
    );
    forward(pty);
    Ok(Answer::json_or_text(
        &serde_json::json!({ "scanner": "closed" }),
    ))
}
