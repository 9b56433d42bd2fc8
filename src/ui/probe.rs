//! Where the kiosk's controls are on screen, for a test that drives the real screen from
//! outside: the image's boot test (`kiosk-image/boot_test.py`) taps through QEMU's touch
//! device and asks the app where to tap, instead of keeping coordinates of its own.
//!
//! Off unless `ANJUNGAN_UI_PROBE` names a file. Only the boot test's image variant sets it
//! (`anjungan.service.d/ui-probe.conf`, written by `kiosk-image/build.sh --test-shell`).
//! Then, twice a second on the UI thread, the probe lists every visible control a finger can
//! use (buttons, list items, inputs) with its accessible label and its rectangle in physical
//! pixels, and rewrites the file when the list changed (write to a temporary file, rename).
//! Only actionable controls are listed: their labels are the UI's own words, not a member's
//! data (names and numbers are shown as text, which the probe leaves out).
//!
//! The lookup is Slint's element query (`i-slint-backend-testing`'s search API, the one the
//! UI tests use), which needs the element debug info that `build.rs` emits in every build.

use std::path::{Path, PathBuf};
use std::time::Duration;

use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use serde::Serialize;
use slint::{ComponentHandle, Timer, TimerMode};

use super::AppWindow;

/// The environment variable that names the probe's file.
pub const ENV: &str = "ANJUNGAN_UI_PROBE";

const PERIOD: Duration = Duration::from_millis(500);

/// What the probe writes: the window's size and the controls on it, in physical pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub width: u32,
    pub height: u32,
    pub scale: f32,
    pub targets: Vec<Target>,
}

/// One control: its accessible role and label, and its rectangle clipped to the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub role: &'static str,
    pub label: String,
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

/// Keeps the probe running while it lives.
pub struct Probe {
    _timer: Timer,
}

/// Starts the probe when `ANJUNGAN_UI_PROBE` is set; call on the UI thread.
pub fn start_from_env(window: &AppWindow) -> Option<Probe> {
    let path = PathBuf::from(std::env::var_os(ENV).filter(|p| !p.is_empty())?);
    tracing::info!(path = %path.display(), "UI probe on (test image)");
    let weak = window.as_weak();
    let mut last: Option<Snapshot> = None;
    let timer = Timer::default();
    timer.start(TimerMode::Repeated, PERIOD, move || {
        let Some(window) = weak.upgrade() else { return };
        let now = snapshot(&window);
        if last.as_ref() == Some(&now) {
            return;
        }
        match write(&path, &now) {
            Ok(()) => last = Some(now),
            Err(e) => tracing::warn!(error = %e, "cannot write the UI probe's file"),
        }
    });
    Some(Probe { _timer: timer })
}

/// The controls on screen now.
pub fn snapshot(window: &AppWindow) -> Snapshot {
    let size = window.window().size();
    let scale = window.window().scale_factor();
    let (width, height) = (size.width as i32, size.height as i32);
    let mut targets: Vec<Target> = ElementQuery::from_root(window)
        .match_descendants()
        .match_predicate(|e| e.accessible_role().and_then(actionable).is_some())
        .find_all()
        .into_iter()
        .filter_map(|e| {
            let role = e.accessible_role().and_then(actionable)?;
            let label = e.accessible_label()?.to_string();
            if label.is_empty() {
                return None;
            }
            let (x, y, w, h) = rect(&e, scale);
            // Clipped to the window: a row scrolled away is not a target.
            let (x0, y0) = (x.max(0), y.max(0));
            let (x1, y1) = ((x + w).min(width), (y + h).min(height));
            (x1 > x0 && y1 > y0).then(|| Target {
                role,
                label,
                x: x0,
                y: y0,
                w: x1 - x0,
                h: y1 - y0,
            })
        })
        .collect();
    // Top to bottom, left to right: a stable order for the file and for a reader. One
    // control is several elements of the tree (a widget and the component inlined into
    // it), all with its label and rectangle: it is listed once.
    targets.sort_by(|a, b| (a.y, a.x, &a.label, a.w, a.h).cmp(&(b.y, b.x, &b.label, b.w, b.h)));
    targets.dedup();
    Snapshot {
        width: size.width,
        height: size.height,
        scale,
        targets,
    }
}

fn rect(e: &ElementHandle, scale: f32) -> (i32, i32, i32, i32) {
    let p = e.absolute_position();
    let s = e.size();
    (
        (p.x * scale).round() as i32,
        (p.y * scale).round() as i32,
        (s.width * scale).round() as i32,
        (s.height * scale).round() as i32,
    )
}

/// The roles a finger acts on, by the name the probe's file gives them.
fn actionable(role: AccessibleRole) -> Option<&'static str> {
    Some(match role {
        AccessibleRole::Button => "button",
        AccessibleRole::Checkbox => "checkbox",
        AccessibleRole::Combobox => "combobox",
        AccessibleRole::ListItem => "list-item",
        AccessibleRole::RadioButton => "radio-button",
        AccessibleRole::Slider => "slider",
        AccessibleRole::Spinbox => "spinbox",
        AccessibleRole::Switch => "switch",
        AccessibleRole::Tab => "tab",
        AccessibleRole::TextInput => "text-input",
        _ => return None,
    })
}

/// Writes the snapshot as JSON to `path` (mode 0600), through a temporary file and a rename
/// so a reader never sees half of it.
pub fn write(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(snapshot)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    anjungan_core::private::write(&tmp, &json)?;
    std::fs::rename(&tmp, path)
}
