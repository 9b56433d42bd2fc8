//! `anjungan say`: speaks a text through the kiosk's normaliser and speech engine into a
//! WAV file, so a technician can test the speaker (and hear how a sentence is read).

use std::io::Write as _;
use std::path::PathBuf;

use anjungan::domain::{Bilingual, Explain};
use anjungan::slips::Lang;
use anjungan::speech::Espeak;
use clap::Args;
use serde_json::json;

use super::Failure;
use super::output::Answer;
use super::print::parse_lang;

#[derive(Debug, Args)]
pub struct SayArgs {
    /// What to say, as the kiosk would show it ("Rp2.565.000", "22-11-2026", "A-012").
    text: String,
    #[arg(long, default_value = "id", value_parser = parse_lang)]
    lang: Lang,
    /// The 16-bit PCM WAV file to write.
    #[arg(long)]
    out: PathBuf,
    /// The espeak-ng program.
    #[arg(long, default_value = "espeak-ng")]
    espeak: String,
    #[arg(long)]
    pub json: bool,
}

pub fn say(a: &SayArgs) -> Result<Answer, Failure> {
    let engine = Espeak {
        program: a.espeak.clone(),
    };
    let utterance = engine
        .say(&a.text, a.lang)
        .map_err(|e| Failure::new(e.code(), e.explain(), 1))?;
    write_new(&a.out, &utterance.wav.to_bytes()).map_err(|e| {
        Failure::user(
            "OUT_NOT_WRITABLE",
            Bilingual::tr_with(
                "Berkas {path} tidak dapat ditulis ({error}). Pilih folder yang ada dan boleh ditulisi.",
                &[("path", &a.out.display()), ("error", &e)],
            ),
        )
    })?;
    Ok(Answer::json_or_text(&json!({
        "spoken": utterance.spoken,
        "seconds": (utterance.wav.seconds() * 1000.0).round() / 1000.0,
        "sample_rate": utterance.wav.sample_rate,
        "out": a.out.display().to_string(),
    })))
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// never sees half a WAV.
fn write_new(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
