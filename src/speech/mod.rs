//! Speech: what the kiosk says, in words a speech engine reads right (`normalize`), and the
//! engines that say it (`engine`): espeak-ng as a subprocess, and a recorder for tests and
//! the demo. Speech never runs on the UI thread (see docs/accessibility.md).

pub mod engine;
pub mod normalize;
pub mod wav;
pub mod words;

pub use engine::{Espeak, SpeechError, Utterance};
pub use normalize::normalize;
