//! `anjungan say`: real speech from espeak-ng (installed by scripts/test.sh), checked as WAV.

use std::path::Path;
use std::process::Command;

use anjungan::domain::Lang;
use anjungan::speech::normalize;
use anjungan::speech::wav::Wav;

fn say(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_anjungan"))
        .arg("say")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn read_wav(path: &Path) -> Wav {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    // The header's sizes are the real ones, not espeak-ng's streaming placeholders.
    let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff + 8, bytes.len());
    Wav::parse(&bytes).unwrap()
}

#[test]
fn says_both_languages_into_valid_wav_files() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, l, text, starts) in [
        (
            "id",
            Lang::Id,
            "Bayar Rp2.565.000 sebelum 10-12-2026. Nomor antrean A-012.",
            "Bayar dua juta lima ratus enam puluh lima ribu rupiah sebelum sepuluh Desember",
        ),
        (
            "en",
            Lang::En,
            "Pay Rp2.565.000 by 10-12-2026. Queue number A-012.",
            "Pay two million five hundred sixty-five thousand rupiah by ten December",
        ),
    ] {
        let out = dir.path().join(format!("{lang}.wav"));
        let (code, v) = say(&[text, "--lang", lang, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{v}");
        let spoken = v["spoken"].as_str().unwrap();
        assert!(spoken.starts_with(starts), "{spoken}");
        assert_eq!(
            spoken,
            normalize(text, l),
            "the same normaliser as the kiosk"
        );
        let wav = read_wav(&out);
        assert!(wav.sample_rate >= 16_000, "{}", wav.sample_rate);
        assert_eq!(v["sample_rate"], wav.sample_rate);
        assert_eq!(wav.channels, 1);
        // A sentence of this length takes seconds, not milliseconds, to say.
        assert!(wav.seconds() > 2.0, "{}", wav.seconds());
        let said = v["seconds"].as_f64().unwrap();
        assert!(
            (said - wav.seconds()).abs() < 0.01,
            "{said} vs {}",
            wav.seconds()
        );
        // Not silence: the samples move.
        let loud = wav
            .data
            .chunks_exact(2)
            .filter(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs() > 1_000)
            .count();
        assert!(loud > 1_000, "{loud} loud samples");
    }
}

#[test]
fn a_missing_engine_an_empty_text_and_a_bad_path_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wav");
    let out = out.to_str().unwrap();

    let (code, v) = say(&["Halo", "--out", out, "--espeak", "/nonexistent/espeak-ng"]);
    assert_eq!(
        (code, v["error"].as_str()),
        (1, Some("SPEECH_NOT_INSTALLED")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("espeak-ng"), "{v}");
    assert!(v["message_en"].as_str().unwrap().contains("Install"), "{v}");

    let (code, v) = say(&["   ", "--out", out]);
    assert_eq!(
        (code, v["error"].as_str()),
        (1, Some("SPEECH_EMPTY")),
        "{v}"
    );

    let long = "a".repeat(2_001);
    let (_, v) = say(&[&long, "--out", out]);
    assert_eq!(v["error"], "SPEECH_TOO_LONG", "{v}");

    let (code, v) = say(&["Halo", "--out", "/nonexistent/dir/x.wav"]);
    assert_eq!(
        (code, v["error"].as_str()),
        (2, Some("OUT_NOT_WRITABLE")),
        "{v}"
    );
    assert!(!Path::new(out).exists(), "nothing written on a failure");
}
