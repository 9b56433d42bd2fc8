//! Every screen measured in millimetres on the configured panel (21.5 inches, 1080×1920 by
//! default), in normal, large-text and high-contrast modes: each touch target at least
//! 10 mm on both sides, at least 2 mm between targets, and the capital letters of body text
//! at least 4.8 mm high (ADA 707.7.2). A breach fails the test with the table.
//!
//! Targets are what the Slint testing backend reports with the role of a button or a text
//! box, at their laid-out size. List entries not wholly inside their list's visible area
//! (scrolled under what follows it) are measured for size, not for gaps. Letters: Slint does not expose a text's
//! font size, so the theme's text sizes are read from the live window in each mode, and the
//! views' own `font-size:` lengths from `ui/` (see `cap_heights`).

mod common;

use anjungan::config::DisplayConfig;
use anjungan::kiosk::{Event, IdKind, MemberAction, Tile};
use anjungan::ui::{Page, Theme};
use common::Rig;
use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use slint::ComponentHandle;

const TARGET_MM: f64 = 10.0;
const GAP_MM: f64 = 2.0;
const CAP_MM: f64 = 4.8;
/// Noto Sans (bundled): the capital I is 0.714 of the font size.
const CAP_RATIO: f64 = 0.714;

#[derive(Clone)]
struct Target {
    label: String,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Target {
    /// The clear space between two targets, in px (0 when they overlap).
    fn gap(&self, o: &Target) -> f64 {
        let dx = (o.x - (self.x + self.w)).max(self.x - (o.x + o.w)).max(0.0);
        let dy = (o.y - (self.y + self.h)).max(self.y - (o.y + o.h)).max(0.0);
        dx.hypot(dy)
    }
}

fn is_target(e: &ElementHandle) -> bool {
    matches!(
        e.accessible_role(),
        Some(AccessibleRole::Button | AccessibleRole::TextInput)
    )
}

fn rect(e: &ElementHandle) -> (f64, f64, f64, f64) {
    let p = e.absolute_position();
    let s = e.size();
    (
        f64::from(p.x),
        f64::from(p.y),
        f64::from(s.width),
        f64::from(s.height),
    )
}

/// The targets inside a list (a `Flickable`) that are not wholly in its visible area: they
/// are scrolled away, under what follows the list.
fn scrolled_away(rig: &Rig) -> Vec<Target> {
    let mut out = Vec::new();
    for flick in ElementHandle::find_by_element_type_name(&rig.window, "Flickable") {
        let (fx, fy, fw, fh) = rect(&flick);
        for e in flick
            .query_descendants()
            .match_predicate(is_target)
            .find_all()
        {
            let t = target(&e);
            let inside = t.x >= fx - 0.5
                && t.y >= fy - 0.5
                && t.x + t.w <= fx + fw + 0.5
                && t.y + t.h <= fy + fh + 0.5;
            if !inside {
                out.push(t);
            }
        }
    }
    out
}

fn target(e: &ElementHandle) -> Target {
    let (x, y, w, h) = rect(e);
    Target {
        label: e
            .accessible_label()
            .map(|l| l.to_string())
            .unwrap_or_default(),
        x,
        y,
        w,
        h,
    }
}

impl PartialEq for Target {
    fn eq(&self, o: &Target) -> bool {
        o.label == self.label && o.x == self.x && o.y == self.y && o.w == self.w && o.h == self.h
    }
}

fn targets(rig: &Rig) -> Vec<Target> {
    ElementQuery::from_root(&rig.window)
        .match_descendants()
        .match_predicate(is_target)
        .find_all()
        .into_iter()
        .map(|e| target(&e))
        .fold(Vec::new(), |mut seen: Vec<Target>, t| {
            // A widget is found once per element it is built of (a KButton and the
            // Rectangle it inherits): one target.
            if !seen.contains(&t) {
                seen.push(t);
            }
            seen
        })
}

/// One measured screen: its smallest target, its tightest gap, and what breached.
struct Measured {
    screen: String,
    targets: usize,
    smallest: (f64, String),
    tightest: (f64, String),
    breaches: Vec<String>,
}

fn measure(rig: &Rig, screen: &str, mm: f64) -> Measured {
    let all = targets(rig);
    let (w, h) = {
        let s = rig.window.window().size();
        (f64::from(s.width), f64::from(s.height))
    };
    // What lies between the header and the footer is on screen only inside that band (a
    // list scrolls under them).
    let header_bottom = all
        .iter()
        .filter(|t| ["English", "Bahasa Indonesia"].contains(&t.label.as_str()))
        .map(|t| t.y + t.h)
        .fold(0.0, f64::max);
    let footer_top = all
        .iter()
        .filter(|t| ["Kembali", "Back", "Beranda", "Home"].contains(&t.label.as_str()))
        .map(|t| t.y)
        .fold(h, f64::min);
    let on_screen = |t: &Target| {
        let chrome = t.y + t.h <= header_bottom + 1.0 || t.y >= footer_top - 1.0;
        t.x >= 0.0
            && t.x + t.w <= w + 0.5
            && (chrome || (t.y >= header_bottom && t.y + t.h <= footer_top))
    };
    let mut m = Measured {
        screen: screen.to_owned(),
        targets: all.len(),
        smallest: (f64::MAX, String::new()),
        tightest: (f64::MAX, String::new()),
        breaches: Vec::new(),
    };
    for t in &all {
        let side = t.w.min(t.h) * mm;
        if side < m.smallest.0 {
            m.smallest = (side, t.label.clone());
        }
        if side < TARGET_MM {
            m.breaches.push(format!(
                "{screen}: '{}' is {:.1}×{:.1} mm",
                t.label,
                t.w * mm,
                t.h * mm
            ));
        }
    }
    let away = scrolled_away(rig);
    let shown: Vec<&Target> = all
        .iter()
        .filter(|t| on_screen(t) && !away.contains(t))
        .collect();
    for (i, a) in shown.iter().enumerate() {
        for b in &shown[i + 1..] {
            let gap = a.gap(b) * mm;
            if gap < m.tightest.0 {
                m.tightest = (gap, format!("'{}' / '{}'", a.label, b.label));
            }
            if gap < GAP_MM {
                m.breaches.push(format!(
                    "{screen}: '{}' and '{}' {:.1} mm apart",
                    a.label, b.label, gap
                ));
            }
        }
    }
    m
}

/// Every member screen, reached by the controller's events, measured as it shows.
fn walk(rig: &std::rc::Rc<Rig>, mode: &str, mm: f64) -> Vec<Measured> {
    let mut out = Vec::new();
    let mut at = |rig: &Rig, name: &str, page: Page| {
        assert_eq!(rig.kiosk().get_page(), page, "{mode}: {name}");
        out.push(measure(rig, &format!("{mode} {name}"), mm));
    };
    let identify = |rig: &std::rc::Rc<Rig>, nik: &str, dob: &str| {
        for d in nik.chars().chain(dob.chars()) {
            rig.handle(Event::Digit(d));
        }
        rig.handle(Event::Submit);
    };
    at(rig, "home", Page::Home);
    rig.handle(Event::Tile(Tile::Status));
    at(rig, "identify", Page::Identify);
    rig.handle(Event::IdKind(IdKind::Card));
    at(rig, "identify-card", Page::Identify);
    rig.handle(Event::IdKind(IdKind::Nik));
    identify(rig, "3273011205800001", "12051980");
    at(rig, "member-home", Page::MemberHome);
    for (action, name) in [
        (MemberAction::Dues, "dues"),
        (MemberAction::Status, "status"),
        (MemberAction::Va, "va"),
    ] {
        rig.handle(Event::Member(action));
        at(rig, name, Page::Result);
        rig.handle(Event::Back);
    }
    rig.handle(Event::Home);
    // Dewi may move her FKTP and her kelas.
    rig.handle(Event::Tile(Tile::ChangeFktp));
    identify(rig, "3273016802900004", "28021990");
    at(rig, "fktp-choose", Page::List);
    rig.handle(Event::ChooseFacility(0));
    at(rig, "fktp-confirm", Page::Result);
    rig.handle(Event::Home);
    rig.handle(Event::Tile(Tile::ChangeKelas));
    identify(rig, "3273016802900004", "28021990");
    at(rig, "kelas-choose", Page::List);
    // Another kelas than hers, whichever she has.
    rig.handle(Event::ChooseKelas(1));
    if rig.kiosk().get_page() == Page::List {
        rig.handle(Event::ChooseKelas(3));
    }
    at(rig, "kelas-confirm", Page::Result);
    rig.handle(Event::Home);
    // A list and its first entry.
    for (tile, list, list_page, open, entry, entry_page) in [
        (
            Tile::Info,
            "info",
            Page::List,
            Event::OpenArticle(0),
            "article",
            Page::Article,
        ),
        (
            Tile::Search,
            "search",
            Page::Search,
            Event::OpenResult(0),
            "place",
            Page::Result,
        ),
    ] {
        rig.handle(Event::Tile(tile));
        at(rig, list, list_page);
        rig.handle(open);
        at(rig, entry, entry_page);
        rig.handle(Event::Home);
    }
    rig.handle(Event::Tile(Tile::Request));
    for c in "AB".chars() {
        rig.handle(Event::Key(c));
    }
    at(rig, "request-check", Page::RequestCheck);
    rig.handle(Event::Home);
    rig.handle(Event::Tile(Tile::Queue));
    at(rig, "queue", Page::List);
    rig.handle(Event::TakeTicket(0));
    at(rig, "ticket", Page::Ticket);
    rig.handle(Event::Done);
    at(rig, "rating", Page::Rating);
    rig.handle(Event::Rate(5));
    at(rig, "thanks", Page::Thanks);
    rig.handle(Event::Done);
    out
}

/// The cap heights of the text the member reads, in mm: the theme's sizes from the live
/// window, and every other `font-size:` length written in the member's views (the
/// technician's diagnostics are not held to it).
fn cap_heights(rig: &Rig, mode: &str, mm: f64) -> Vec<(String, f64)> {
    let theme = rig.window.global::<Theme>();
    let scale = f64::from(theme.get_scale());
    let mut out = vec![
        (
            format!("{mode} Theme.font-small"),
            f64::from(theme.get_font_small()),
        ),
        (
            format!("{mode} Theme.font-body"),
            f64::from(theme.get_font_body()),
        ),
        (
            format!("{mode} Theme.font-title"),
            f64::from(theme.get_font_title()),
        ),
    ];
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut files = vec![ui.join("app.slint"), ui.join("widgets.slint")];
    for e in std::fs::read_dir(ui.join("views")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n != "diag_view.slint") {
            files.push(p);
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("font-size:") {
                rest = &rest[i + "font-size:".len()..];
                let expr = rest.split(';').next().unwrap_or("").trim();
                // `Npx`, `Npx * Theme.scale` or `(Apx : Bpx) * Theme.scale`: the smallest.
                let px: Option<f64> = expr
                    .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'p' || c == 'x'))
                    .filter_map(|t| t.strip_suffix("px"))
                    .filter_map(|t| t.parse().ok())
                    .reduce(f64::min);
                if let Some(px) = px {
                    let scaled = if expr.contains("Theme.scale") {
                        px * scale
                    } else {
                        px
                    };
                    out.push((
                        format!(
                            "{mode} {}:{} {expr}",
                            f.file_name().unwrap().to_string_lossy(),
                            n + 1
                        ),
                        scaled,
                    ));
                }
            }
        }
    }
    out.into_iter()
        .map(|(what, px)| (what, px * CAP_RATIO * mm))
        .collect()
}

#[test]
fn every_target_gap_and_letter_is_big_enough_in_every_mode() {
    common::start_backend();
    let display = DisplayConfig::default();
    let mm = display.mm_per_px();
    let data = common::movable_fixture();
    let mut measured = Vec::new();
    let mut caps = Vec::new();
    for mode in ["normal", "large-text", "high-contrast"] {
        let rig = common::portrait(&data);
        match mode {
            "large-text" => rig.handle(Event::ToggleLargeText),
            "high-contrast" => rig.handle(Event::ToggleContrast),
            _ => {}
        }
        caps.extend(cap_heights(&rig, mode, mm));
        measured.extend(walk(&rig, mode, mm));
    }

    let mut table = format!(
        "panel {:.1}\" {}×{} px: {:.4} mm/px\n{:<28} {:>7} {:>10} {:>9}  tightest pair\n",
        display.diagonal_inches,
        display.width_px,
        display.height_px,
        mm,
        "screen",
        "targets",
        "min side",
        "min gap",
    );
    for m in &measured {
        table += &format!(
            "{:<28} {:>7} {:>7.1} mm {:>6.1} mm  {} (smallest: '{}')\n",
            m.screen, m.targets, m.smallest.0, m.tightest.0, m.tightest.1, m.smallest.1
        );
    }
    let mut breaches: Vec<String> = measured.iter().flat_map(|m| m.breaches.clone()).collect();
    let smallest_cap = caps
        .iter()
        .cloned()
        .reduce(|a, b| if b.1 < a.1 { b } else { a })
        .unwrap();
    table += &format!(
        "smallest cap height: {:.2} mm ({})\n",
        smallest_cap.1, smallest_cap.0
    );
    for (what, cap) in &caps {
        if *cap < CAP_MM {
            breaches.push(format!("{what}: capitals {cap:.2} mm high"));
        }
    }
    println!("{table}");
    assert!(
        measured.iter().all(|m| m.targets >= 3),
        "every screen has targets\n{table}"
    );
    assert!(
        breaches.is_empty(),
        "{} breaches:\n{}\n\n{table}",
        breaches.len(),
        breaches.join("\n")
    );
    drop(data);
}
