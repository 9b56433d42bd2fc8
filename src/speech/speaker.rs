//! The kiosk's voice: a worker thread that synthesises and plays one utterance at a time,
//! off the UI and controller threads. A new utterance cuts the one being said.
//!
//! Where the sound goes is a [`Sink`]: the sound card through ALSA's `aplay` (a subprocess,
//! like the engine: no -dev package at build time, killed to cut a sentence), or a
//! [`Recorder`] that writes each utterance as `NNNN.wav` and `NNNN.txt` (the demo and the
//! tests; a kiosk never writes speech to disk).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use super::engine::{Espeak, SpeechError};
use super::wav::Wav;
use crate::domain::Lang;

/// Something to say, in words already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    pub spoken: String,
    pub lang: Lang,
    /// `kiosk::VOLUME_MIN..=VOLUME_MAX`; `VOLUME_DEFAULT` is the engine's normal loudness.
    pub volume: u8,
}

/// Where sound goes.
pub trait Sink: Send + 'static {
    /// Starts playing `wav` (the words it says are `spoken`); returns while it plays.
    fn start(&mut self, wav: &Wav, spoken: &str) -> Result<(), String>;
    /// Whether the last sound is still playing.
    fn playing(&mut self) -> bool;
    /// Cuts the sound that is playing.
    fn cut(&mut self);
}

/// ALSA through `aplay`: the WAV goes in on stdin.
pub struct Aplay {
    pub program: String,
    /// ALSA device (`-D`), e.g. `default` or `plughw:0,0`.
    pub device: Option<String>,
    child: Option<Child>,
    /// Said once, not for every utterance: the sound output is missing.
    warned: bool,
}

impl Aplay {
    pub fn new(device: Option<String>) -> Self {
        Self {
            program: "aplay".into(),
            device,
            child: None,
            warned: false,
        }
    }
}

impl Sink for Aplay {
    fn start(&mut self, wav: &Wav, _spoken: &str) -> Result<(), String> {
        self.cut();
        let mut cmd = Command::new(&self.program);
        cmd.arg("-q");
        if let Some(d) = &self.device {
            cmd.args(["-D", d]);
        }
        let spawned = cmd
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                if !self.warned {
                    // No sound output is never fatal: the kiosk goes on, silent.
                    tracing::warn!(error = %e, "no sound output (aplay): speech is not heard");
                    self.warned = true;
                }
                return Err(e.to_string());
            }
        };
        let bytes = wav.to_bytes();
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // Feed it on a thread: a long sentence is larger than the pipe.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        self.child = Some(child);
        Ok(())
    }

    fn playing(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    fn cut(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Writes every utterance to `dir` as `0001.wav` + `0001.txt`, in order.
pub struct Recorder {
    pub dir: PathBuf,
    next: u32,
}

impl Recorder {
    pub fn new(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir, next: 1 })
    }
}

impl Sink for Recorder {
    fn start(&mut self, wav: &Wav, spoken: &str) -> Result<(), String> {
        let n = self.next;
        self.next += 1;
        let base = self.dir.join(format!("{n:04}"));
        std::fs::write(base.with_extension("wav"), wav.to_bytes()).map_err(|e| e.to_string())?;
        std::fs::write(base.with_extension("txt"), format!("{spoken}\n")).map_err(|e| e.to_string())
    }

    fn playing(&mut self) -> bool {
        false
    }

    fn cut(&mut self) {}
}

/// What the worker is told.
enum Order {
    Say(Say),
    Stop,
}

/// The handle the kiosk keeps: send and forget.
#[derive(Clone)]
pub struct Speaker {
    tx: Sender<Order>,
}

impl Speaker {
    /// Starts the worker thread with `engine` and `sink`.
    pub fn start(engine: Espeak, sink: impl Sink) -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("kiosk-speech".into())
            .spawn(move || work(engine, sink, rx))
            .expect("a thread starts");
        Self { tx }
    }

    /// Says `say`, cutting whatever is being said.
    pub fn say(&self, say: Say) {
        let _ = self.tx.send(Order::Say(say));
    }

    /// Stops speaking (the member left, the screen went quiet).
    pub fn stop(&self) {
        let _ = self.tx.send(Order::Stop);
    }
}

fn work(engine: Espeak, mut sink: impl Sink, rx: Receiver<Order>) {
    let mut next: Option<Order> = None;
    loop {
        let command = match next.take() {
            Some(c) => c,
            None => match rx.recv() {
                Ok(c) => c,
                Err(_) => break,
            },
        };
        // Only the latest matters: what was queued behind it is already out of date.
        let mut command = command;
        while let Ok(newer) = rx.try_recv() {
            command = newer;
        }
        let Order::Say(say) = command else {
            sink.cut();
            continue;
        };
        sink.cut();
        match engine.synthesize_at(&say.spoken, say.lang, say.volume) {
            Ok(wav) => {
                if let Err(e) = sink.start(&wav, &say.spoken) {
                    tracing::debug!(error = %e, "utterance not played");
                }
            }
            // The engine's own words only: the text may hold personal data.
            Err(e) => log_engine_error(&e),
        }
        // While it plays, a new command cuts it.
        while sink.playing() {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(c) => {
                    next = Some(c);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    sink.cut();
                    return;
                }
            }
        }
    }
    sink.cut();
}

fn log_engine_error(e: &SpeechError) {
    tracing::warn!(code = e.code(), "speech failed");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    /// A sink that "plays" each sound for a fixed time and records what it started and cut.
    struct Slow {
        log: Arc<Mutex<Vec<String>>>,
        until: Option<Instant>,
        playing_for: Duration,
    }

    impl Sink for Slow {
        fn start(&mut self, _wav: &Wav, spoken: &str) -> Result<(), String> {
            self.log.lock().unwrap().push(format!("start {spoken}"));
            self.until = Some(Instant::now() + self.playing_for);
            Ok(())
        }
        fn playing(&mut self) -> bool {
            self.until.is_some_and(|t| Instant::now() < t)
        }
        fn cut(&mut self) {
            if self.playing() {
                self.log.lock().unwrap().push("cut".into());
            }
            self.until = None;
        }
    }

    fn espeak_installed() -> bool {
        Command::new("espeak-ng").arg("--version").output().is_ok()
    }

    #[test]
    fn a_new_utterance_cuts_the_one_being_said() {
        assert!(espeak_installed(), "scripts/test.sh installs espeak-ng");
        let log = Arc::new(Mutex::new(Vec::new()));
        let speaker = Speaker::start(
            Espeak::default(),
            Slow {
                log: log.clone(),
                until: None,
                playing_for: Duration::from_secs(30),
            },
        );
        let say = |s: &str| Say {
            spoken: s.into(),
            lang: Lang::Id,
            volume: crate::kiosk::VOLUME_DEFAULT,
        };
        speaker.say(say("satu"));
        let deadline = Instant::now() + Duration::from_secs(5);
        while log.lock().unwrap().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        speaker.say(say("dua"));
        while log.lock().unwrap().len() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(*log.lock().unwrap(), ["start satu", "cut", "start dua"]);
        speaker.stop();
        while log.lock().unwrap().len() < 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(log.lock().unwrap().last().unwrap(), "cut");
    }

    #[test]
    fn the_recorder_writes_each_utterance_in_order() {
        assert!(espeak_installed(), "scripts/test.sh installs espeak-ng");
        let dir = tempfile::tempdir().unwrap();
        let mut rec = Recorder::new(dir.path().join("speech")).unwrap();
        let engine = Espeak::default();
        for s in ["Selamat datang", "Silakan ambil struk Anda"] {
            let wav = engine.synthesize(s, Lang::Id).unwrap();
            rec.start(&wav, s).unwrap();
        }
        let txt = std::fs::read_to_string(dir.path().join("speech/0002.txt")).unwrap();
        assert_eq!(txt, "Silakan ambil struk Anda\n");
        let wav = Wav::parse(&std::fs::read(dir.path().join("speech/0001.wav")).unwrap()).unwrap();
        assert!(wav.seconds() > 0.3, "{}", wav.seconds());
    }
}
