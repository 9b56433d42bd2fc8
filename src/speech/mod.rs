//! Speech: text in words a speech engine reads right (`normalize`), the engine (`engine`,
//! espeak-ng as a subprocess) and the worker that says one utterance at a time off the UI
//! thread (`speaker`: ALSA through aplay, or a recorder for tests and the demo). What each
//! screen says is `ui::speech`. No Slint here. See docs/accessibility.md.

pub mod engine;
pub mod jack;
pub mod normalize;
pub mod speaker;
pub mod wav;
pub mod words;

pub use engine::{Espeak, SpeechError, Utterance};
pub use normalize::normalize;
pub use speaker::{Aplay, Recorder, Say, Sink, Speaker};
