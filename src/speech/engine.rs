//! The speech engine: Debian's `espeak-ng` program, run once per utterance.
//!
//! A subprocess rather than a binding to libespeak-ng: the build needs no -dev package and
//! no unsafe code, a crash in the engine cannot take the kiosk down, an utterance is cut by
//! killing its process, and starting it costs about 20 ms. The text goes in on stdin, never
//! on the command line, where other users of the machine could read it in `/proc`; the
//! sound comes back on stdout, so nothing is written to disk.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::normalize::normalize;
use super::wav::{Wav, WavError};
use crate::domain::{Bilingual, Explain, Lang};

/// The longest an utterance may take to synthesise before it is cut.
pub const SYNTH_TIMEOUT: Duration = Duration::from_secs(10);
/// The most characters spoken at once (a screen's guidance is far shorter).
pub const MAX_CHARS: usize = 2_000;

/// Something said: the words given to the engine, and its sound.
#[derive(Debug, Clone)]
pub struct Utterance {
    pub spoken: String,
    pub wav: Wav,
}

/// Why nothing could be said.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("espeak-ng is not installed ({0})")]
    NotInstalled(String),
    #[error("espeak-ng failed: {0}")]
    Failed(String),
    #[error("espeak-ng took longer than {0:?}")]
    Timeout(Duration),
    #[error("espeak-ng gave no usable sound: {0}")]
    BadOutput(#[from] WavError),
    #[error("nothing to say")]
    Empty,
    #[error("{0} characters is too long to say at once (at most {MAX_CHARS})")]
    TooLong(usize),
}

impl SpeechError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotInstalled(_) => "SPEECH_NOT_INSTALLED",
            Self::Failed(_) | Self::Timeout(_) | Self::BadOutput(_) => "SPEECH_FAILED",
            Self::Empty => "SPEECH_EMPTY",
            Self::TooLong(_) => "SPEECH_TOO_LONG",
        }
    }
}

impl Explain for SpeechError {
    fn explain(&self) -> Bilingual {
        match self {
            Self::NotInstalled(_) => Bilingual::tr(
                "Mesin suara espeak-ng belum terpasang. Pasang paket Debian espeak-ng, lalu coba lagi.",
            ),
            Self::Failed(_) | Self::Timeout(_) | Self::BadOutput(_) => Bilingual::tr(
                "Mesin suara gagal membuat suara. Coba lagi; jika terulang, periksa pemasangan espeak-ng.",
            ),
            Self::Empty => Bilingual::tr("Tidak ada teks untuk diucapkan. Tulis teksnya."),
            Self::TooLong(n) => Bilingual::tr_with(
                "Teks terlalu panjang untuk diucapkan sekaligus ({n} karakter). Bagi menjadi beberapa bagian.",
                &[("n", n)],
            ),
        }
    }
}

/// espeak-ng, by program name (found on `PATH`) or path.
#[derive(Debug, Clone)]
pub struct Espeak {
    pub program: String,
}

impl Default for Espeak {
    fn default() -> Self {
        Self {
            program: "espeak-ng".into(),
        }
    }
}

impl Espeak {
    /// The voice for a language: espeak-ng's `id` and `en`.
    fn voice(lang: Lang) -> &'static str {
        match lang {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// Normalises `text` for `lang` and synthesises it.
    pub fn say(&self, text: &str, lang: Lang) -> Result<Utterance, SpeechError> {
        let chars = text.chars().count();
        if text.trim().is_empty() {
            return Err(SpeechError::Empty);
        }
        if chars > MAX_CHARS {
            return Err(SpeechError::TooLong(chars));
        }
        let spoken = normalize(text, lang);
        let wav = self.synthesize(&spoken, lang)?;
        Ok(Utterance { spoken, wav })
    }

    /// Synthesises words already normalised, at the default volume.
    pub fn synthesize(&self, spoken: &str, lang: Lang) -> Result<Wav, SpeechError> {
        self.synthesize_at(spoken, lang, crate::kiosk::VOLUME_DEFAULT)
    }

    /// Synthesises words already normalised at a volume step: the engine's amplitude
    /// (`-a`, 100 is its normal) is 20 per step, so the default step 5 is the normal
    /// loudness and 10 twice it.
    pub fn synthesize_at(&self, spoken: &str, lang: Lang, volume: u8) -> Result<Wav, SpeechError> {
        let amplitude =
            u32::from(volume.clamp(crate::kiosk::VOLUME_MIN, crate::kiosk::VOLUME_MAX)) * 20;
        let mut child = Command::new(&self.program)
            .args([
                "-v",
                Self::voice(lang),
                "-a",
                &amplitude.to_string(),
                "--stdout",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => SpeechError::NotInstalled(self.program.clone()),
                _ => SpeechError::Failed(e.to_string()),
            })?;
        {
            let mut stdin = child.stdin.take().expect("stdin is piped");
            stdin
                .write_all(spoken.as_bytes())
                .map_err(|e| SpeechError::Failed(e.to_string()))?;
        }
        // Read stdout on a thread, so a stuck engine is killed at the deadline.
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).map(|_| out)
        });
        let deadline = Instant::now() + SYNTH_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(SpeechError::Timeout(SYNTH_TIMEOUT));
                }
                Err(e) => return Err(SpeechError::Failed(e.to_string())),
            }
        };
        let out = reader
            .join()
            .map_err(|_| SpeechError::Failed("reader thread panicked".into()))?
            .map_err(|e| SpeechError::Failed(e.to_string()))?;
        if !status.success() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            // The engine's own words, never the text (which may hold personal data).
            return Err(SpeechError::Failed(format!(
                "{status}: {}",
                err.lines().next().unwrap_or("")
            )));
        }
        let wav = Wav::parse(&out)?;
        if wav.data.is_empty() {
            return Err(SpeechError::BadOutput(WavError::NoData));
        }
        Ok(wav)
    }
}
