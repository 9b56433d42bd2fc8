//! Physical keys through the real Slint window: a USB keypad reaches the controller, and
//! identification can be finished without touching the screen.

mod common;

use anjungan::kiosk::Press;
use anjungan::ui::{IdentifyAdapter, Page};
use common::Rig;
use slint::ComponentHandle;
use slint::platform::{Key, WindowEvent};

fn key(rig: &Rig, text: slint::SharedString) {
    let w = rig.window.window();
    w.dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
    w.dispatch_event(WindowEvent::KeyReleased { text });
}

fn keys(rig: &Rig, s: &str) {
    for c in s.chars() {
        key(rig, c.to_string().into());
    }
}

#[test]
fn identification_by_keys_alone() {
    common::start_backend();
    let data = common::movable_fixture();
    let rig = common::portrait(&data);
    assert_eq!(rig.kiosk().get_page(), Page::Home);
    // Enter on the home screen: its first tile, Cek Status.
    key(&rig, Key::Return.into());
    assert_eq!(rig.kiosk().get_page(), Page::Identify);
    // The NIK, one wrong digit and Backspace, then the date of birth.
    keys(&rig, "32730112058000019");
    key(&rig, Key::Backspace.into());
    keys(&rig, "1205198");
    assert!(!rig.adapter::<IdentifyAdapter>().get_id_ready());
    keys(&rig, "0");
    assert!(rig.adapter::<IdentifyAdapter>().get_id_ready());
    key(&rig, Key::Return.into());
    assert_eq!(rig.kiosk().get_page(), Page::MemberHome);
    // Escape goes back, as the Kembali button does.
    key(&rig, Key::Escape.into());
    assert_eq!(rig.kiosk().get_page(), Page::Home);
    // Letters and digits type into the search keyboard.
    // (Moving to the search tile by keys needs the focus ring, not built yet.)
    rig.handle(anjungan::kiosk::Event::Tile(anjungan::kiosk::Tile::Search));
    keys(&rig, "pusk");
    assert_eq!(
        rig.adapter::<anjungan::ui::SearchAdapter>()
            .get_search_text(),
        "PUSK"
    );
    drop(data);
}

#[test]
fn slint_key_names_map_to_presses() {
    use anjungan::ui::press;
    assert_eq!(press("7"), Some(Press::Digit('7')));
    assert_eq!(press("a"), Some(Press::Letter('a')));
    assert_eq!(
        press(&slint::SharedString::from(Key::Return)),
        Some(Press::Enter)
    );
    assert_eq!(
        press(&slint::SharedString::from(Key::Escape)),
        Some(Press::Escape)
    );
    assert_eq!(
        press(&slint::SharedString::from(Key::Backspace)),
        Some(Press::Backspace)
    );
    assert_eq!(
        press(&slint::SharedString::from(Key::F1)),
        Some(Press::Help)
    );
    assert_eq!(press(&slint::SharedString::from(Key::Shift)), None);
    assert_eq!(press("ab"), None);
}
